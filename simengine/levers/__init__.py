"""The lever registry: one module per lever kind, collected into :data:`LEVER_KINDS` by import.

Each module in this package defines one lever kind (see :mod:`simengine.levers.base`): its
schema, its scope, its analytic effect, its programme cost, its agent-model mapping and the
prior ranges of its response parameters. The scenario schema's lever union
(:data:`Lever`), the JSON Schema and the reference docs are generated from the registry.

Adding a lever kind = one new module here (a class deriving from ``CellLever`` or
``LeverBase`` with ``kind: Literal["my_kind"]``), found by import, plus its tests.

::

    from simengine.levers import apply_levers
    effect = apply_levers(scenario.budget, scenario.lever, 2026, start_year=2026)
"""

from __future__ import annotations

import importlib
import pkgutil
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Union

import numpy as np
from pydantic import Field

from ..errors import ScenarioError
from .base import AgentContext, BudgetArrays, CellLever, LeverBase, Prior, Response, ramp_fraction, select_cells

__all__ = [
    "LEVER_KINDS",
    "CELL_LEVER_KINDS",
    "CIRCUIT_LEVER_KINDS",
    "Lever",
    "LeverBase",
    "CellLever",
    "Prior",
    "Response",
    "BudgetArrays",
    "AgentContext",
    "LeverEffect",
    "select_cells",
    "ramp_fraction",
    "apply_levers",
    "apply_circuit_levers",
    "programme_cost",
    "consumption_injection",
    "agent_levers",
    "check_analytic",
    "ArrayField",
    "array_field",
]


def _collect() -> dict[str, type[LeverBase]]:
    """Import every module of this package except ``base`` and collect its lever classes, by kind."""
    kinds: dict[str, type[LeverBase]] = {}
    names = sorted(info.name for info in pkgutil.iter_modules(__path__) if info.name != "base")
    for name in names:
        module = importlib.import_module(f"{__name__}.{name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, LeverBase) and "kind" in value.model_fields:
                if value.__module__ == module.__name__:
                    kinds[value.kind_name()] = value
    return kinds


#: kind -> lever class, built by importing the lever modules.
LEVER_KINDS: dict[str, type[LeverBase]] = _collect()
#: Kinds that act on budget cells, and kinds that act on the local circuit.
CELL_LEVER_KINDS = tuple(k for k, c in LEVER_KINDS.items() if c.ACTS_ON_CELLS)
CIRCUIT_LEVER_KINDS = tuple(k for k, c in LEVER_KINDS.items() if not c.ACTS_ON_CELLS)

#: The scenario schema's lever union, discriminated by ``kind``.
Lever = Annotated[Union[tuple(LEVER_KINDS.values())], Field(discriminator="kind")]  # noqa: UP007


@dataclass(frozen=True)
class LeverEffect:
    """Local shares and cost premiums of the budget cells in one year.

    Attributes
    ----------
    local_share : ndarray, shape (..., n_cells)
        Share of each cell's spending received by local firms (fraction).
    cost_premium : ndarray, shape (..., n_cells)
        Procurement cost premium of each cell (fraction of its amount).
    """

    local_share: np.ndarray
    cost_premium: np.ndarray

    def premium_amount(self, amounts: np.ndarray) -> np.ndarray | float:
        """Total cost premium in the budget's monetary unit, given the cells' amounts."""
        total = np.sum(self.cost_premium * amounts, axis=-1)
        return float(total) if np.ndim(total) == 0 else total


def apply_levers(
    budget,
    levers: Sequence[LeverBase],
    year: int,
    *,
    start_year: int,
    responses: Mapping[int, Mapping[str, Any]] | None = None,
) -> LeverEffect:
    """Local share and cost premium of every budget cell in ``year`` under ``levers``.

    Parameters
    ----------
    budget : Budget or BudgetArrays
        The budget: cells with amounts (budget unit) and baseline local shares (fractions).
    levers : sequence of lever models
        Levers in the order they apply; circuit levers are ignored here.
    year : int
        Calendar year.
    start_year : int
        Start year of levers that do not give their own (the scenario's start year).
    responses : mapping, optional
        Per lever position, response parameters that replace the lever's own: floats or
        arrays of shape ``(draws, 1)``; the result then has a leading ``draw`` axis.

    Returns
    -------
    LeverEffect
        Arrays aligned with the budget cells. With no levers, the baseline shares and zero premiums.

    Raises
    ------
    ScenarioError
        If a procurement lever's scope selects no cell.
    """
    cells = budget if isinstance(budget, BudgetArrays) else BudgetArrays.from_budget(budget)
    share = cells.baseline.copy()
    premium = np.zeros_like(share)
    for position, lever in enumerate(levers):
        if not lever.ACTS_ON_CELLS:
            continue
        selected = lever.select(cells)
        if not selected.any():
            raise ScenarioError(
                f"lever[{position}] ({lever.kind}) selects no budget cell; check its sector, sector_group, "
                "contract_type, method and size_class"
            )
        response = lever.response.values()
        if responses is not None and position in responses:
            response.update(responses[position])
        chosen = selected * lever.ramp(year, start_year)
        share, added = lever.effect(cells, share, chosen, response)
        premium = premium + added
    return LeverEffect(local_share=np.clip(share, 0.0, 1.0), cost_premium=premium)


def apply_circuit_levers(
    circuit_values: Mapping[str, float | None], levers: Sequence[LeverBase], year: int, *, start_year: int
) -> dict[str, float | None]:
    """Local-circuit parameters in ``year`` after the circuit levers, each ramped toward its value."""
    values = dict(circuit_values)
    for lever in levers:
        if lever.ACTS_ON_CELLS:
            continue
        try:
            values = lever.circuit_effect(values, lever.ramp(year, start_year))
        except KeyError as exc:
            raise ScenarioError(
                f"{type(lever).__name__} needs a baseline {exc.args[0]!r}; give it in [circuit] or the region"
            ) from None
    return values


def programme_cost(levers: Sequence[LeverBase], year: int, *, start_year: int, monetary_unit: str) -> float:
    """Programme costs of the levers in ``year`` (``monetary_unit``), ramped like their effect.

    The one cost function of programme levers: analytic and agent mode both charge it.
    """
    return float(sum(lever.programme_cost(monetary_unit) * lever.ramp(year, start_year) for lever in levers))


def consumption_injection(
    levers: Sequence[LeverBase], year: int, *, start_year: int, baseline_share: float, monetary_unit: str
) -> float:
    """Extra local household spending in ``year`` from programmes that state their consumption base."""
    return float(
        sum(
            lever.consumption_injection(baseline_share, lever.ramp(year, start_year), monetary_unit) for lever in levers
        )
    )


def check_analytic(levers: Sequence[LeverBase], scenario_id: str) -> None:
    """Raise :class:`ScenarioError` for a lever analytic mode cannot evaluate, naming agent mode."""
    for position, lever in enumerate(levers):
        if lever.ANALYTIC_REFUSAL and not getattr(lever, "analytic", True):
            raise ScenarioError(f"scenario {scenario_id}: lever[{position}] ({lever.kind}): {lever.ANALYTIC_REFUSAL}")


def agent_levers(levers: Sequence[LeverBase], context: AgentContext) -> list:
    """The agent model's levers of a scenario's procurement levers, in order."""
    out = []
    for lever in levers:
        out.extend(lever.agent_levers(context))
    return out


@dataclass(frozen=True)
class ArrayField:
    """A numeric field of a procurement lever that applies as an array along a point axis.

    Attributes
    ----------
    table : {"lever", "response"}
        Whether the field is the lever's own (``lever[i].target``) or a response parameter
        (``lever[i].response.gap_closed``).
    name : str
        The field's name.
    low, high : float
        Bounds of the field's schema (``-inf`` / ``inf`` where it gives none).
    low_open, high_open : bool
        Whether the bound itself is excluded (``gt`` / ``lt`` rather than ``ge`` / ``le``).
    """

    table: str
    name: str
    low: float = -np.inf
    high: float = np.inf
    low_open: bool = False
    high_open: bool = False

    def valid(self, values: np.ndarray) -> np.ndarray:
        """Which of ``values`` the schema accepts (finite and within the bounds), as a boolean array."""
        values = np.asarray(values, dtype=float)
        ok = np.isfinite(values)
        ok &= values > self.low if self.low_open else values >= self.low
        ok &= values < self.high if self.high_open else values <= self.high
        return ok


def _float_field(info) -> ArrayField | None:
    """Bounds of a ``float`` (or ``float | None``) pydantic field, or None for any other type."""
    annotation, metadata = info.annotation, list(info.metadata)
    if typing.get_origin(annotation) in (Union, types.UnionType):
        annotation = next((a for a in typing.get_args(annotation) if a is not type(None)), None)
    if typing.get_origin(annotation) is Annotated:  # e.g. ``Share | None``
        annotation, *extra = typing.get_args(annotation)
        metadata += [m for item in extra for m in getattr(item, "metadata", [item])]
    if annotation is not float:
        return None
    bounds: dict[str, object] = {}
    for item in metadata:  # pydantic's annotated-types constraints (Ge, Gt, Le, Lt)
        if getattr(item, "ge", None) is not None:
            bounds["low"] = float(item.ge)
        elif getattr(item, "gt", None) is not None:
            bounds.update(low=float(item.gt), low_open=True)
        elif getattr(item, "le", None) is not None:
            bounds["high"] = float(item.le)
        elif getattr(item, "lt", None) is not None:
            bounds.update(high=float(item.lt), high_open=True)
    return ArrayField("", "", **bounds)


def array_field(lever: LeverBase, path: str) -> ArrayField | None:
    """The :class:`ArrayField` of ``path`` (``"target"`` or ``"response.gap_closed"``) of a lever, or None.

    Plain float fields of procurement levers (``ACTS_ON_CELLS``) enter :meth:`CellLever.effect`
    only through array arithmetic, so a whole point axis of values, a ``(points, 1)`` array,
    gives every point's local shares and premiums at once. Every other field (money amounts,
    ramps, scopes, circuit levers) returns None: a sweep of it runs scenario by scenario.
    """
    if not lever.ACTS_ON_CELLS:
        return None
    table, _, name = path.rpartition(".")
    if table == "":
        info = type(lever).model_fields.get(name)
    elif table == "response" and "response" in type(lever).model_fields:
        info = type(lever.response).model_fields.get(name)
    else:
        return None
    if info is None or (found := _float_field(info)) is None:
        return None
    return ArrayField(table or "lever", name, found.low, found.high, found.low_open, found.high_open)
