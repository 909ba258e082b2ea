"""Region context: what a region name loads (model, city accounts, circuit defaults), cached,
and the scenario-level circuit settings (the numbers a scenario's ``[circuit]`` table and circuit
levers state) mapped to the region's per-sector :class:`~simengine.circuit.CircuitParameters`.

A scenario states each circuit setting as one number; per-sector parameters take it as their
weighted mean and keep their sector pattern (:func:`move_mean_to`). :data:`CIRCUIT_SETTINGS` is
the one definition of that mapping, used by analytic and agent mode alike.
"""

from __future__ import annotations

import functools
import hashlib
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .accounts import LeontiefSystem
from .circuit import CircuitParameters, CircuitStack
from .circuit_settings import (
    CIRCUIT_KEYS,
    apply_settings,
    move_mean_to,
    read_settings,
    settings_arrays,
)
from .datasets import load_region, load_table, region_path
from .errors import DataError, ScenarioError
from .local_economy import LocalEconomy
from .prices import gdp_deflator_ratio, productivity_factor
from .procurement.vocabulary import DEFAULT_TABLE
from .regional import RegionalModel
from .scenario.schema import Scenario

__all__ = [
    "RegionContext",
    "region_context",
    "CIRCUIT_KEYS",
    "move_mean_to",
    "circuit_values",
    "with_values",
    "circuit_stack",
    "circuit_signature",
    "column_circuits",
    "scenario_circuit_values",
    "table_unit",
    "budget_deflator",
    "employment_factor",
]


@dataclass(frozen=True)
class RegionContext:
    """Everything a scenario of one region needs, loaded once per process."""

    name: str
    model: RegionalModel
    economy: LocalEconomy
    parameters: CircuitParameters
    open_local: LeontiefSystem
    unit: str
    data_version: str
    price_year: int


@functools.cache
def region_context(name: str) -> RegionContext:
    """Load a shipped region's model, its city's accounts and circuit defaults (cached)."""
    model = load_region(name)
    economy = model.local_economy()
    table = load_table(DEFAULT_TABLE)
    parameters = CircuitParameters.default_for(economy.sectors, table=table)
    digest = hashlib.sha256(Path(region_path(name)).read_bytes()).hexdigest()[:16]
    return RegionContext(
        name=name,
        model=model,
        economy=economy,
        parameters=parameters,
        open_local=LeontiefSystem(economy.local_inputs),
        unit=economy.unit,
        data_version=f"{name}:{digest}",
        price_year=int(table.dataset.attrs["price_year"]),
    )


def circuit_values(context: RegionContext) -> dict[str, object]:
    """The region's circuit settings as a scenario states them (:func:`simengine.circuit_settings.read_settings`)."""
    return read_settings(context.parameters, context.economy)


def with_values(context: RegionContext, values: dict[str, object]) -> CircuitParameters:
    """The region's circuit parameters with the scenario's settings applied (sector pattern kept)."""
    return apply_settings(context.parameters, context.economy, values)


def circuit_stack(context: RegionContext, values: Sequence[dict[str, object]] | np.ndarray) -> CircuitStack:
    """The circuits of many sets of circuit settings at once: set ``k`` as ``with_values(context, values[k])``,
    built as arrays and factorised as one stack (:class:`~simengine.circuit.CircuitStack`); ``values``
    may be their :func:`~simengine.circuit_settings.settings_table`."""
    return CircuitStack(context.economy, settings_arrays(context.parameters, context.economy, values))


#: A row of :func:`~simengine.circuit_settings.settings_table` as bytes (native float64).
_ROW = struct.Struct(f"={len(CIRCUIT_KEYS)}d")


def circuit_signature(values: dict[str, object]) -> bytes:
    """Bytes that identify a circuit's settings (scenario-periods with equal ones share a factorisation):
    the row of :func:`~simengine.circuit_settings.settings_table` (NaN for a setting not stated)."""
    return _ROW.pack(*[np.nan if values[k] is None else values[k] for k in CIRCUIT_KEYS])


def column_circuits(values: dict[str, object], columns: int) -> tuple[list[bytes], np.ndarray, np.ndarray | None]:
    """The distinct circuits of settings that may vary by column (a setting given as a ``(columns,)`` array).

    Returns
    -------
    signatures : list of bytes
        :func:`circuit_signature` of each distinct set of settings (sorted by their bytes when
        the settings vary by column).
    table : ndarray (sets, len(CIRCUIT_KEYS))
        Each distinct set as a row of :func:`~simengine.circuit_settings.settings_table`.
    members : ndarray of int (columns,) or None
        Index into ``signatures`` of each column; None when the settings are scalars (one set).
    """
    row = []
    for k in CIRCUIT_KEYS:
        value = values[k]
        if type(value) is np.ndarray:
            break
        row.append(np.nan if value is None else value)
    else:
        key = _ROW.pack(*row)
        return [key], np.frombuffer(key, dtype=np.float64)[None], None
    table = np.empty((columns, len(CIRCUIT_KEYS)))
    for j, k in enumerate(CIRCUIT_KEYS):
        table[:, j] = np.nan if values[k] is None else values[k]
    # rows compared by their bits (a setting not stated is the same NaN in every column)
    distinct, members = np.unique(table.view(np.uint64), axis=0, return_inverse=True)
    rows = np.ascontiguousarray(distinct.view(np.float64))
    return [row.tobytes() for row in rows], rows, members.reshape(-1).astype(np.int64)


def table_unit(scenario: Scenario, context: RegionContext) -> str:
    """The monetary unit of the region's table (e.g. ``"million"``); the budget must be in its currency."""
    if scenario.budget.currency != "KRW":
        raise ScenarioError(
            f"scenario {scenario.scenario.id}: budget.currency is {scenario.budget.currency!r}, but the region "
            f"{context.name} is in {context.unit}; give amounts in KRW"
        )
    return context.unit.split()[-1] if " " in context.unit else "one"


def scenario_circuit_values(scenario: Scenario, context: RegionContext) -> dict[str, object]:
    """The region's circuit values with the scenario's ``[circuit]`` overrides."""
    values = circuit_values(context)
    values.update({k: v for k, v in scenario.circuit.model_dump().items() if v is not None})
    return values


def budget_deflator(scenario: Scenario, context: RegionContext) -> float:
    """Price level of the budget's price year relative to the table's: ``budget.deflator`` when given,
    else the shipped Korea GDP deflator series (:func:`simengine.prices.gdp_deflator_ratio`)."""
    budget = scenario.budget
    if budget.deflator is not None:
        return float(budget.deflator)
    if budget.price_year == context.price_year:
        return 1.0
    try:
        return gdp_deflator_ratio(budget.price_year, context.price_year)
    except DataError as exc:
        raise ScenarioError(f"scenario {scenario.scenario.id}: budget.price_year {budget.price_year}: {exc}") from None


def employment_factor(scenario: Scenario, context: RegionContext) -> float:
    """What employment per unit of budget-price money is divided by: the deflator times labour
    productivity growth from the table year to the price year (:mod:`simengine.prices`)."""
    growth = scenario.appraisal.productivity_growth
    return budget_deflator(scenario, context) * productivity_factor(
        scenario.budget.price_year, context.price_year, growth
    )
