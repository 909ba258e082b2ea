"""Region context: what a region name loads (model, city accounts, circuit defaults), cached,
and the scenario-level circuit settings (the numbers a scenario's ``[circuit]`` table and circuit
levers state) mapped to the region's per-sector :class:`~simengine.circuit.CircuitParameters`.

A scenario states each circuit setting as one number; per-sector parameters take it as their
weighted mean and keep their sector pattern (:func:`move_mean_to`). :data:`CIRCUIT_SETTINGS` is
the one definition of that mapping, used by analytic and agent mode alike.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .accounts import LeontiefSystem
from .circuit import CircuitParameters
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
    "circuit_signature",
    "scenario_circuit_values",
    "table_unit",
    "budget_deflator",
    "employment_factor",
]

#: Circuit parameters that ``[circuit]`` overrides and circuit levers act on, by scenario key.
CIRCUIT_KEYS = (
    "household_local_consumption_share",
    "reinvestment_rate",
    "resident_worker_share",
    "local_ownership_share",
    "local_tax_rate",
)


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


#: Per-sector circuit parameters a scenario sets as one number, with the sector weights that
#: define that number (a weighted mean): what households buy, what industries pay in wages,
#: what they earn as surplus.
_VECTOR_KEYS = {
    "household_local_consumption_share": lambda p, e: p.households.mix,
    "reinvestment_rate": lambda p, e: e.operating_surplus,
    "resident_worker_share": lambda p, e: e.compensation,
    "local_ownership_share": lambda p, e: e.operating_surplus,
}
_PARAMETER_FIELDS = {
    "household_local_consumption_share": lambda p: p.households.local_share,
    "reinvestment_rate": lambda p: p.reinvestment_rate,
    "resident_worker_share": lambda p: p.resident_wage_share,
    "local_ownership_share": lambda p: p.local_ownership_share,
}


def _weighted_mean(vector: np.ndarray, weights: np.ndarray) -> float:
    weights = np.clip(weights, 0.0, None)
    total = weights.sum()
    return float(weights @ vector / total) if total > 0 else float(np.mean(vector))


def move_mean_to(vector: np.ndarray, weights: np.ndarray, target: float) -> np.ndarray:
    """Per-sector shares whose weighted mean is ``target``, keeping the sectors' pattern.

    Raising the mean closes each sector's gap to 1 in the same proportion; lowering it
    scales every share down in the same proportion. Shares stay in [0, 1].
    """
    mean = _weighted_mean(vector, weights)
    if target >= mean:
        return vector if mean >= 1.0 else vector + (target - mean) / (1.0 - mean) * (1.0 - vector)
    return vector * (target / mean)


def circuit_values(context: RegionContext) -> dict[str, object]:
    """The circuit parameters a scenario can change, as the numbers a scenario states.

    Per-sector parameters appear as their weighted means (see :data:`_VECTOR_KEYS`);
    ``local_tax_rate`` is None unless a scenario sets it (it then replaces both local rates).
    """
    p, e = context.parameters, context.economy
    values: dict[str, object] = {
        key: _weighted_mean(_PARAMETER_FIELDS[key](p), weights(p, e)) for key, weights in _VECTOR_KEYS.items()
    }
    values["local_tax_rate"] = None
    return values


def with_values(context: RegionContext, values: dict[str, object]) -> CircuitParameters:
    """The region's circuit parameters with the scenario's numbers applied (sector pattern kept)."""
    p, e = context.parameters, context.economy
    vectors = {
        key: move_mean_to(_PARAMETER_FIELDS[key](p), weights(p, e), float(values[key]))
        for key, weights in _VECTOR_KEYS.items()
    }
    changed = dataclasses.replace(
        p,
        households=dataclasses.replace(p.households, local_share=vectors["household_local_consumption_share"]),
        reinvestment_rate=vectors["reinvestment_rate"],
        resident_wage_share=vectors["resident_worker_share"],
        local_ownership_share=vectors["local_ownership_share"],
    )
    if values["local_tax_rate"] is None:
        return changed
    rate = float(values["local_tax_rate"])
    return dataclasses.replace(changed, local_income_tax_rate_on_wages=rate, local_tax_rate_on_surplus=rate)


def circuit_signature(values: dict[str, object]) -> bytes:
    return b"".join(
        np.ascontiguousarray(np.nan if values[k] is None else values[k], dtype=np.float64).tobytes()
        for k in CIRCUIT_KEYS
    )


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
