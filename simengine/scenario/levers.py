"""Analytic mode: what the levers of a scenario do to each budget cell in a given year.

Each procurement lever moves the local share of the cells it selects and adds a cost premium
(a fraction of the cell's amount: the same budget buys that much less). Shares that are
policy targets act directly; levers that act through firm behaviour act through the
``response`` parameters of :mod:`simengine.scenario.schema`. Levers apply in file order.

Notes
-----
With ``s`` a cell's local share before the lever and ``r`` the lever's ramp fraction in the year
(:func:`ramp_fraction`), the share after the lever is:

- local_share_target: ``s + r (target - s)``;
- set_aside: ``s + r c g max(0, p - s)`` with ``c`` the cell's spending under the value limit
  (contract values uniform within a size class, so ``c = (L^2 - low^2) / (high^2 - low^2)``;
  the open ``large`` class ends at ``2 x mean contract - low``), ``g`` the gap closed and ``p`` the reserved
  pool's local fraction; premium ``r c cost_premium``;
- contract_unbundling: ``s + r u a max(0, s_lot - s)`` with ``a`` the spending above the lot
  threshold, ``u`` the uptake and ``s_lot`` the amount-weighted baseline local share of the
  sector's spending under the threshold; premium ``r u a (scale_cost_penalty +
  admin_cost_per_lot / lot_threshold)`` (lots let at the threshold value);
- eligibility_relaxation, local_contribution_score, bid_price_preference: ``s + r k (1 - s)``
  with ``k = min(1, response slope x lever size)``; premium ``r x cost slope x lever size``
  (Marion 2007: a 5% bid preference raised costs 3.8%);
- local_coexistence_plan: ``s + r m (1 - s)``: non-local winners place ``m`` locally;
- social_economy_purchase_target: ``(1 - r e) s + r e q`` with ``e = max(0, share - baseline)``
  moved to social-economy suppliers of local fraction ``q``.

Every step is a convex combination of ``s`` and a value in [0, 1], so shares stay in [0, 1].
The local share is the share of the cell's spending received by local firms in the first round
(awards plus mandated local subcontracting).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import ScenarioError
from .schema import (
    CIRCUIT_LEVERS,
    BidPricePreference,
    Budget,
    ContractUnbundling,
    EligibilityRelaxation,
    HouseholdLocalConsumption,
    LocalCoexistencePlan,
    LocalContributionScore,
    LocalShareTarget,
    ReinvestmentProgramme,
    SetAside,
    SocialEconomyPurchaseTarget,
)

__all__ = ["LeverEffect", "ramp_fraction", "apply_levers", "apply_circuit_levers"]

#: Default local fraction of a reserved bidder pool, by group (ASSUMPTION for sme and social_economy).
POOL_LOCAL_FRACTION = {"local": 1.0, "local_sme": 1.0, "social_economy": 0.9, "sme": 0.7}


@dataclass(frozen=True)
class LeverEffect:
    """Local shares and cost premiums of the budget cells in one year.

    Attributes
    ----------
    local_share : ndarray, shape (n_cells,)
        Share of each cell's spending received by local firms (fraction).
    cost_premium : ndarray, shape (n_cells,)
        Procurement cost premium of each cell (fraction of its amount).
    """

    local_share: np.ndarray
    cost_premium: np.ndarray

    def premium_amount(self, amounts: np.ndarray) -> float:
        """Total cost premium in the budget's monetary unit, given the cells' amounts."""
        return float(np.dot(self.cost_premium, amounts))


def ramp_fraction(year: int, *, start_year: int, ramp_years: int) -> float:
    """Fraction of a lever's full effect in ``year``: 0 before ``start_year``, then ``(year - start + 1) / ramp_years``
    capped at 1; a ramp of 0 years is in full force from ``start_year``."""
    if year < start_year:
        return 0.0
    if ramp_years == 0:
        return 1.0
    return min(1.0, (year - start_year + 1) / ramp_years)


def _selected(budget: Budget, lever) -> np.ndarray:
    return np.array(
        [
            (getattr(lever, "sector", None) in (None, cell.sector))
            and (getattr(lever, "method", None) in (None, cell.method))
            and (getattr(lever, "size_class", None) in (None, cell.size_class))
            for cell in budget.cell
        ],
        dtype=bool,
    )


def _coverage_below(budget: Budget, limit: float, lever) -> np.ndarray:
    """Share of each cell's spending in contracts worth at most ``limit``.

    Contract values are taken as uniform within the cell's size class, so the spending share
    below ``L`` in ``[low, high]`` is ``(L^2 - low^2) / (high^2 - low^2)``. The open-ended
    ``large`` class uses the cell's mean contract (``amount / contracts``): values uniform on
    ``[low, 2 mean - low]``.
    """
    coverage = np.empty(len(budget.cell))
    for i, cell in enumerate(budget.cell):
        low, high = budget.size_class_upper.bounds(cell.size_class)
        if limit <= low:
            coverage[i] = 0.0
            continue
        if np.isinf(high):
            if cell.contracts is None:
                raise ScenarioError(
                    f"lever {lever.kind} reaches into the 'large' class of cell {cell.sector}/{cell.method} "
                    f"(limit {limit:g} above the medium bound {low:g}); give the cell's 'contracts' so that "
                    "its contract sizes are known"
                )
            high = max(2.0 * cell.amount / cell.contracts - low, low)
        if limit >= high:
            coverage[i] = 1.0
            continue
        coverage[i] = (limit**2 - low**2) / (high**2 - low**2)
    return coverage


def _cell_values(budget: Budget, name: str) -> np.ndarray:
    return np.array([getattr(cell, name) for cell in budget.cell], dtype=float)


def apply_levers(budget: Budget, levers: Sequence, year: int, *, start_year: int) -> LeverEffect:
    """Local share and cost premium of every budget cell in ``year`` under ``levers``.

    Parameters
    ----------
    budget : Budget
        The budget: cells with amounts (budget unit) and baseline local shares (fractions).
    levers : sequence of lever models
        Levers in the order they apply; circuit levers are ignored here (see :func:`apply_circuit_levers`).
    year : int
        Calendar year.
    start_year : int
        Start year of levers that do not give their own (the scenario's start year).

    Returns
    -------
    LeverEffect
        Arrays aligned with ``budget.cell``. With no levers, the baseline shares and zero premiums.
    """
    share = _cell_values(budget, "local_share")
    amount = _cell_values(budget, "amount")
    baseline = share.copy()
    premium = np.zeros_like(share)
    unit = budget.monetary_unit
    for lever in levers:
        if isinstance(lever, CIRCUIT_LEVERS):
            continue
        ramp = ramp_fraction(year, start_year=lever.start_year or start_year, ramp_years=lever.ramp_years)
        chosen = _selected(budget, lever) * ramp
        before = share.copy()
        if isinstance(lever, LocalShareTarget):
            share = share + chosen * (lever.target - share)
            premium += lever.response.cost_premium_per_share * np.maximum(share - before, 0.0)
        elif isinstance(lever, SetAside):
            response = lever.response
            pool = response.pool_local_fraction
            if pool is None:
                pool = min(POOL_LOCAL_FRACTION[group] for group in lever.reserved_for)
            covered = chosen * _coverage_below(budget, lever.max_contract_value.in_unit(unit), lever)
            share = share + covered * response.gap_closed * np.maximum(pool - share, 0.0)
            premium += covered * response.cost_premium
        elif isinstance(lever, ContractUnbundling):
            threshold = lever.lot_threshold.in_unit(unit)
            below = _coverage_below(budget, threshold, lever)
            in_sector = _selected(budget, lever)
            weights = amount * below * in_sector
            if weights.sum() > 0:
                lot_share = float(np.dot(weights, baseline) / weights.sum())
                moved = chosen * lever.response.uptake * (1.0 - below)
                share = share + moved * np.maximum(lot_share - share, 0.0)
                premium += moved * (lever.scale_cost_penalty + lever.admin_cost_per_lot.in_unit(unit) / threshold)
        elif isinstance(lever, (EligibilityRelaxation, LocalContributionScore, BidPricePreference)):
            size, gap_slope, cost_slope = _behavioural_response(lever, budget)
            share = share + chosen * np.minimum(1.0, gap_slope * size) * (1.0 - share)
            premium += chosen * cost_slope * size
        elif isinstance(lever, LocalCoexistencePlan):
            share = share + chosen * lever.min_local_subcontract_share * (1.0 - share)
            premium += lever.response.cost_premium_per_share * (share - before)
        elif isinstance(lever, SocialEconomyPurchaseTarget):
            moved = chosen * max(0.0, lever.share - budget.social_economy_share)
            share = (1.0 - moved) * share + moved * lever.response.local_fraction
            premium += moved * lever.response.cost_premium_per_share
        else:  # pragma: no cover - the schema admits no other kind
            raise TypeError(f"no analytic mapping for lever {type(lever).__name__}")
    return LeverEffect(local_share=np.clip(share, 0.0, 1.0), cost_premium=premium)


def _behavioural_response(lever, budget: Budget) -> tuple[np.ndarray, float, float]:
    """Per-cell lever size and the response slopes (gap closed, cost premium) per unit of size."""
    n = len(budget.cell)
    response = lever.response
    if isinstance(lever, EligibilityRelaxation):
        size = np.full(n, lever.requirement_reduction)
        return size, response.gap_closed_per_reduction, response.cost_premium_per_reduction
    if isinstance(lever, LocalContributionScore):
        return np.full(n, lever.weight), response.gap_closed_per_weight, response.cost_premium_per_weight
    size = np.full(n, lever.discount)
    if lever.cap is not None:
        cap = lever.cap.in_unit(budget.monetary_unit)
        for i, cell in enumerate(budget.cell):
            if cell.contracts is not None and cell.amount > 0:
                size[i] = min(lever.discount, cap / (cell.amount / cell.contracts))
    return size, response.gap_closed_per_discount, response.cost_premium_per_discount


def apply_circuit_levers(
    circuit_values: Mapping[str, float], levers: Sequence, year: int, *, start_year: int
) -> dict[str, float]:
    """Local-circuit parameters in ``year`` after household and reinvestment programmes.

    Parameters
    ----------
    circuit_values : mapping
        Baseline ``household_local_consumption_share`` and ``reinvestment_rate`` (fractions),
        as needed by the levers present, plus any other parameters (passed through).
    levers : sequence of lever models
        Procurement levers are ignored here.
    year, start_year : int
        As in :func:`apply_levers`.

    Returns
    -------
    dict
        The parameters, each moved toward its lever's value by the ramp fraction.
    """
    values = dict(circuit_values)
    targets = {
        HouseholdLocalConsumption: ("household_local_consumption_share", "share"),
        ReinvestmentProgramme: ("reinvestment_rate", "rate"),
    }
    for lever in levers:
        if not isinstance(lever, CIRCUIT_LEVERS):
            continue
        key, attribute = targets[type(lever)]
        if key not in values:
            raise ScenarioError(f"{type(lever).__name__} needs a baseline {key!r}; give it in [circuit] or the region")
        ramp = ramp_fraction(year, start_year=lever.start_year or start_year, ramp_years=lever.ramp_years)
        values[key] = values[key] + ramp * (getattr(lever, attribute) - values[key])
    return values
