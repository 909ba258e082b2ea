"""What every lever kind shares: the base schema, the one scope function, ramps, response priors.

A lever kind is a pydantic model deriving from :class:`LeverBase` (circuit levers) or
:class:`CellLever` (procurement levers acting on budget cells). It owns, in its module:

- its schema (fields with descriptions; ``kind: Literal["..."]``);
- its scope: :func:`select_cells`, the one shared scope function (sector, sector group,
  Korean contract type, size class, method);
- its analytic effect: :meth:`CellLever.effect` (local share and cost premium of the selected
  cells, as array operations on ``(..., cells)`` arrays, so that one scenario or a whole leading
  ``draw`` axis of response parameters is evaluated at once) or :meth:`LeverBase.circuit_effect`
  (local-circuit parameters), and :meth:`LeverBase.programme_cost` (programme cost, the same
  in analytic and agent mode);
- its agent-model mapping: :meth:`LeverBase.agent_levers`;
- its response parameters: a ``response`` table whose every field names its source or its
  documented prior range (:data:`Prior`, listed by :meth:`LeverBase.priors`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from pydantic import Field, model_validator

from ..errors import ScenarioError
from ..fields import ContractType, Method, RampYears, SizeClass, Table, Year
from ..procurement.vocabulary import contract_type_of, sector_group_of

__all__ = [
    "Prior",
    "LeverBase",
    "CellLever",
    "Response",
    "BudgetArrays",
    "AgentContext",
    "select_cells",
    "ramp_fraction",
    "behavioural_response",
]


@dataclass(frozen=True)
class Prior:
    """A response parameter's documented range and where its default comes from.

    ``low`` and ``high`` bound the values a sensitivity or uncertainty run should sweep;
    ``source`` cites the estimate, or says ASSUMPTION.
    """

    low: float
    high: float
    source: str


class Response(Table):
    """Base of a lever's ``response`` table: analytic-mode response parameters with priors.

    Subclasses set :attr:`PRIORS`, one :class:`Prior` per field.
    """

    PRIORS: ClassVar[dict[str, Prior]] = {}

    def values(self) -> dict[str, float]:
        """The response parameters as numbers (None stays None)."""
        return dict(self.__dict__)


def behavioural_response(share, chosen, gap_per_unit, cost_per_unit, size):
    """The rule of the behavioural levers: a lever of ``size`` closes ``min(1, gap_per_unit x size)`` of
    the gap to an all-local award, ``s + r k (1 - s)``, at a premium ``r x cost_per_unit x size``.

    ``share`` is ``(..., cells)``; ``chosen`` (cells,) the selection times the ramp; the slopes
    may carry a leading draw axis ``(draws, 1)``; ``size`` is a number or (cells,).
    """
    closed = np.minimum(1.0, gap_per_unit * size)
    return share + chosen * closed * (1.0 - share), chosen * cost_per_unit * size + 0.0 * share


def ramp_fraction(year: int, *, start_year: int, ramp_years: int) -> float:
    """Fraction of a lever's full effect in ``year``: 0 before ``start_year``, then ``(year - start + 1) / ramp_years``
    capped at 1; a ramp of 0 years is in full force from ``start_year``."""
    if year < start_year:
        return 0.0
    if ramp_years == 0:
        return 1.0
    return min(1.0, (year - start_year + 1) / ramp_years)


@dataclass(frozen=True)
class BudgetArrays:
    """A scenario budget as arrays over its cells (what lever effects compute on).

    Attributes
    ----------
    sector, size_class, method : tuple of str
        Labels of each cell.
    sector_group, contract_type : tuple of str
        Each cell's sector group and Korean contract type (from the vocabulary).
    amount : ndarray (cells,)
        Annual amount (budget's monetary unit).
    baseline : ndarray (cells,)
        Baseline local share (fraction).
    contracts : ndarray (cells,)
        Contracts per year (NaN where the cell does not give them).
    small, medium : float
        Inclusive upper bounds of the small and medium size classes (budget unit).
    monetary_unit : str
        The budget's monetary unit.
    social_economy_share : float
        Baseline share of purchases from social enterprises.
    whole : BudgetArrays or None
        For cells taken from a budget (:meth:`take`), that whole budget; None for a whole budget.
    index : ndarray of int or None
        For cells taken from a budget, their positions in it.
    """

    sector: tuple[str, ...]
    size_class: tuple[str, ...]
    method: tuple[str, ...]
    amount: np.ndarray
    baseline: np.ndarray
    contracts: np.ndarray
    small: float
    medium: float
    monetary_unit: str
    social_economy_share: float
    sector_group: tuple[str, ...] = ()
    contract_type: tuple[str, ...] = ()
    whole: BudgetArrays | None = field(default=None, compare=False, repr=False)
    index: np.ndarray | None = field(default=None, compare=False, repr=False)
    _coverage: dict = field(default_factory=dict, init=False, compare=False, repr=False)  # by limit

    def __post_init__(self) -> None:
        if not self.sector_group:
            object.__setattr__(self, "sector_group", tuple(sector_group_of(s) for s in self.sector))
        if not self.contract_type:
            object.__setattr__(self, "contract_type", tuple(contract_type_of(s) for s in self.sector))

    def take(self, index: np.ndarray) -> BudgetArrays:
        """The cells at positions ``index`` (integers, in order) as their own :class:`BudgetArrays`.

        Lever effects on the taken cells equal those cells' values in the whole budget: the
        size-class bounds, the monetary unit and the whole budget (:attr:`whole`, for what a
        lever reads from the other cells of a sector, :meth:`share_below`) are kept.
        """
        index = np.asarray(index, dtype=np.int64)
        whole = self if self.whole is None else self.whole
        inner = index if self.index is None else self.index[index]

        def pick(labels: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(labels[i] for i in index)

        return BudgetArrays(
            sector=pick(self.sector),
            size_class=pick(self.size_class),
            method=pick(self.method),
            amount=self.amount[index],
            baseline=self.baseline[index],
            contracts=self.contracts[index],
            small=self.small,
            medium=self.medium,
            monetary_unit=self.monetary_unit,
            social_economy_share=self.social_economy_share,
            sector_group=pick(self.sector_group),
            contract_type=pick(self.contract_type),
            whole=whole,
            index=inner,
        )

    @classmethod
    def from_budget(cls, budget) -> BudgetArrays:
        """Arrays of a :class:`simengine.scenario.Budget`."""
        cells = budget.cell
        return cls(
            sector=tuple(c.sector for c in cells),
            size_class=tuple(c.size_class for c in cells),
            method=tuple(c.method for c in cells),
            amount=np.array([c.amount for c in cells], dtype=float),
            baseline=np.array([c.local_share for c in cells], dtype=float),
            contracts=np.array([np.nan if c.contracts is None else c.contracts for c in cells], dtype=float),
            small=float(budget.size_class_upper.small),
            medium=float(budget.size_class_upper.medium),
            monetary_unit=budget.monetary_unit,
            social_economy_share=float(budget.social_economy_share),
        )

    def bounds(self, size_class: str) -> tuple[float, float]:
        """Lower and inclusive upper contract value of ``size_class`` (upper ``inf`` for large)."""
        return {"small": (0.0, self.small), "medium": (self.small, self.medium), "large": (self.medium, np.inf)}[
            size_class
        ]

    def coverage_below(self, limit: float, kind: str) -> np.ndarray:
        """Share of each cell's spending in contracts worth at most ``limit`` (cells,).

        Contract values are taken as uniform within the cell's size class, so the spending
        share below ``L`` in ``[low, high]`` is ``(L^2 - low^2) / (high^2 - low^2)``. The
        open-ended ``large`` class uses the cell's mean contract (``amount / contracts``):
        values uniform on ``[low, 2 mean - low]``. Computed once per limit (the result is cached).
        """
        if self.whole is not None:  # taken cells: the whole budget's (and its errors), at their positions
            return self.whole.coverage_below(limit, kind)[self.index]
        cached = self._coverage.get(float(limit))
        if cached is not None:
            return cached
        coverage = np.empty(len(self.amount))
        for i, size_class in enumerate(self.size_class):
            low, high = self.bounds(size_class)
            if limit <= low:
                coverage[i] = 0.0
                continue
            if np.isinf(high):
                if np.isnan(self.contracts[i]):
                    raise ScenarioError(
                        f"lever {kind} reaches into the 'large' class of cell {self.sector[i]}/{self.method[i]} "
                        f"(limit {limit:g} above the medium bound {low:g}); give the cell's 'contracts' so that "
                        "its contract sizes are known"
                    )
                high = max(2.0 * self.amount[i] / self.contracts[i] - low, low)
            coverage[i] = 1.0 if limit >= high else (limit**2 - low**2) / (high**2 - low**2)
        coverage.flags.writeable = False
        self._coverage[float(limit)] = coverage
        return coverage

    def share_below(self, limit: float, kind: str) -> tuple[np.ndarray, np.ndarray]:
        """Per cell, the baseline local share of its sector's spending in contracts worth at most
        ``limit`` (fraction, 0 where there is none) and whether there is any (boolean), both
        ``(cells,)``.

        The share is over every cell of the sector in the whole budget (:attr:`whole` for taken
        cells): the spending-weighted baseline share, weights ``amount x`` :meth:`coverage_below`.
        """
        whole = self if self.whole is None else self.whole
        cached = whole._coverage.get(("share_below", float(limit)))
        if cached is None:
            below = whole.coverage_below(limit, kind)
            _, sector = np.unique(np.array(whole.sector), return_inverse=True)
            weights = np.bincount(sector, whole.amount * below)
            shares = np.bincount(sector, whole.amount * below * whole.baseline)
            share = np.divide(shares, weights, out=np.zeros_like(weights), where=weights > 0)[sector]
            cached = whole._coverage[("share_below", float(limit))] = (share, weights[sector] > 0)
            for array in cached:
                array.flags.writeable = False
        share, has = cached
        return (share, has) if self.index is None else (share[self.index], has[self.index])


#: The scope keys of a procurement lever, in the order they are matched.
SCOPE_KEYS = ("sector", "sector_group", "contract_type", "size_class", "method")


def select_cells(lever, cells) -> np.ndarray:
    """The one scope function: which cells a lever selects (boolean array over the cells).

    A cell is selected when it matches every scope key the lever gives: ``sector`` (a sector
    code), ``sector_group`` (the code's section letter, :func:`sector_group_of`),
    ``contract_type`` (works / services / goods, :func:`contract_type_of`), ``size_class``
    and ``method``. Keys left out select every cell. ``cells`` is a :class:`BudgetArrays`
    (any object with those five label tuples). Used by analytic mode, agent mode and the
    scenario checks alike.
    """
    keep = np.ones(len(cells.sector), dtype=bool)
    for key in SCOPE_KEYS:
        chosen = getattr(lever, key, None)
        if chosen is not None:
            keep &= np.array([label == chosen for label in getattr(cells, key)], dtype=bool)
    return keep


@dataclass(frozen=True)
class AgentContext:
    """What a lever's agent mapping needs: the scenario's money units and the agent parameters.

    Attributes
    ----------
    currency : str
        The budget currency.
    table_scale : float
        Currency units per monetary unit of the region's table (1e6 for KRW million).
    parameters : simengine.agents.AgentParameters
        The agent model's parameters (scoring weights).
    budget : BudgetArrays
        The scenario budget (the scope selects its cells).
    """

    currency: str
    table_scale: float
    parameters: Any
    budget: BudgetArrays

    def money(self, value) -> float:
        """A scenario :class:`~simengine.scenario.Money` in the table's monetary unit."""
        if value.currency != self.currency:
            raise ScenarioError(
                f"money value {value.amount} {value.unit} is not in the budget currency {self.currency}"
            )
        return value.in_unit("one") / self.table_scale


class LeverBase(Table):
    """Fields and defaults every lever kind shares."""

    #: Whether the analytic (IO) mode can evaluate the kind; if not, :attr:`ANALYTIC_REFUSAL` says why.
    ANALYTIC: ClassVar[bool] = True
    ANALYTIC_REFUSAL: ClassVar[str] = ""
    #: Whether the kind acts on budget cells (True) or on the local circuit (False).
    ACTS_ON_CELLS: ClassVar[bool] = False

    label: str = Field(default="", max_length=200, description="Free text shown in reports.")
    start_year: Year | None = Field(default=None, description="First year in force (default: the scenario's start).")
    ramp_years: RampYears = Field(
        default=0,
        description="Years to full effect: effect fraction min(1, (year - start + 1) / ramp_years); 0 = at once.",
    )

    @classmethod
    def kind_name(cls) -> str:
        """The ``kind`` key of the lever's table."""
        return cls.model_fields["kind"].annotation.__args__[0]

    def ramp(self, year: int, start_year: int) -> float:
        """Fraction of the full effect in ``year`` (:func:`ramp_fraction`)."""
        return ramp_fraction(year, start_year=self.start_year or start_year, ramp_years=self.ramp_years)

    def programme_cost(self, monetary_unit: str) -> float:
        """Programme cost per year at full strength, in ``monetary_unit`` (0 unless the kind has a programme)."""
        return 0.0

    def consumption_injection(self, baseline_share: float, ramp: float, monetary_unit: str) -> float:
        """Extra local household spending in a year, in ``monetary_unit`` (0 unless the kind states a base)."""
        return 0.0

    def circuit_effect(self, values: Mapping[str, float | None], ramp: float) -> dict[str, float | None]:
        """Local-circuit parameters after the lever (unchanged unless the kind acts on the circuit)."""
        return dict(values)

    def agent_levers(self, context: AgentContext) -> list:
        """The agent model's :class:`simengine.agents.Lever` structs of this lever (none by default)."""
        return []

    @classmethod
    def priors(cls) -> dict[str, Prior]:
        """Documented prior ranges of the kind's response parameters, by field name."""
        response = cls.model_fields.get("response")
        return {} if response is None else dict(response.annotation.PRIORS)


class CellLever(LeverBase):
    """A procurement lever: moves the local share and cost of the budget cells it selects."""

    ACTS_ON_CELLS: ClassVar[bool] = True
    #: Kinds that must name some sector scope (``sector``, ``sector_group`` or ``contract_type``).
    NEEDS_SECTOR_SCOPE: ClassVar[bool] = False

    sector: str | None = Field(default=None, description="Sector code the lever applies to (default: every sector).")
    sector_group: str | None = Field(
        default=None,
        pattern=r"^[A-Z]$",
        description="Sector group: the section letter of the sector codes (e.g. C = every manufacturing code).",
    )
    contract_type: ContractType | None = Field(
        default=None,
        description="Korean contract type: works (공사, construction), goods (물품: A, B, C, G46) or "
        "services (용역: the other sectors).",
    )
    method: Method | None = Field(default=None, description="Procurement method it applies to (default: every method).")
    size_class: SizeClass | None = Field(default=None, description="Size class it applies to (default: every class).")

    @model_validator(mode="after")
    def _sector_scope(self):
        if self.NEEDS_SECTOR_SCOPE and self.sector is None and self.sector_group is None and self.contract_type is None:
            raise ValueError(f"{self.kind_name()} needs a sector scope: give sector, sector_group or contract_type")
        return self

    def select(self, budget: BudgetArrays) -> np.ndarray:
        """Boolean array over the budget cells: the cells this lever selects (:func:`select_cells`)."""
        return select_cells(self, budget)

    def effect(
        self, budget: BudgetArrays, share: np.ndarray, chosen: np.ndarray, response: Mapping[str, Any]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Local share and cost premium of the cells after the lever.

        Parameters
        ----------
        budget : BudgetArrays
            The budget cells.
        share : ndarray (..., cells)
            Local shares before the lever (a leading ``draw`` axis is allowed).
        chosen : ndarray (cells,)
            Selection times ramp fraction (0 outside the scope, the ramp fraction inside).
        response : mapping
            Response parameters by name: floats, or arrays of shape ``(..., 1)`` that broadcast
            over the cells (one value per draw).

        Returns
        -------
        share, premium : ndarray (..., cells)
            Shares after the lever (fractions) and the premium it adds (fraction of each cell's amount).
        """
        raise NotImplementedError

    def agent_scope(self, context: AgentContext) -> list[dict[str, str | None]]:
        """Agent-model scopes of the lever: one per selected sector (``category``), with size class and method.

        A lever with no sector scope keeps ``category = None`` (every category).
        """
        from ..agents.scenario import SCENARIO_METHODS

        method = None if self.method is None else SCENARIO_METHODS[self.method]
        if self.sector is None and self.sector_group is None and self.contract_type is None:
            return [{"category": None, "size_class": self.size_class, "method": method}]
        selected = self.select(context.budget)
        sectors = dict.fromkeys(s for s, keep in zip(context.budget.sector, selected, strict=True) if keep)
        return [{"category": s, "size_class": self.size_class, "method": method} for s in sectors]
