"""Scenario files in agent mode: budget cells and levers of a scenario as the agent model takes them.

The scenario's ``[[budget.cell]]`` tables (sector x size class x method) become
:class:`~simengine.agents.BudgetCells` whose categories are the sector codes themselves (each
category is executed by its own sector), and its ``[[lever]]`` tables become
:class:`~simengine.agents.Lever` structs of the same kind. Behavioural levers then act through
firm behaviour (entry, bids, awards); share levers (``local_share_target``,
``social_economy_purchase_target``) act directly by reserving contracts.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ScenarioError
from ..scenario.schema import (
    CIRCUIT_LEVERS,
    BidPricePreference,
    Budget,
    ContractUnbundling,
    EligibilityRelaxation,
    LocalCoexistencePlan,
    LocalContributionScore,
    LocalShareTarget,
    Money,
    Scenario,
    SetAside,
    SocialEconomyPurchaseTarget,
)
from .cells import BudgetCells, Lever
from .model import MONTHS_PER_YEAR, AgentParameters

__all__ = [
    "SCENARIO_METHODS",
    "SIZE_CLASSES",
    "typical_contract_value",
    "scenario_cells",
    "scenario_levers",
    "scenario_periods",
]

#: Scenario-file method -> agent-model method.
SCENARIO_METHODS = {
    "negotiated": "negotiated",
    "restricted": "restricted",
    "open": "open",
    "scoring": "scoring",
    "shopping_mall": "mall",
}
#: Size classes in the order of the scenario schema.
SIZE_CLASSES = ("small", "medium", "large")


def _money(value: Money, currency: str, table_scale: float) -> float:
    """A scenario money value in the table's monetary unit."""
    if value.currency != currency:
        raise ScenarioError(f"money value {value.amount} {value.unit} is not in the budget currency {currency}")
    return value.in_unit("one") / table_scale


def typical_contract_value(budget: Budget, size_class: str) -> float:
    """Assumed mean contract value of a size class when a cell does not give ``contracts`` (budget unit).

    ASSUMPTION: ``small``: half its upper bound; ``medium``: the geometric mean of its bounds;
    ``large``: twice the ``medium`` upper bound.
    """
    small, medium = budget.size_class_upper.small, budget.size_class_upper.medium
    return {"small": small / 2.0, "medium": math.sqrt(small * medium), "large": 2.0 * medium}[size_class]


def scenario_cells(budget: Budget, *, to_table: float) -> BudgetCells:
    """The agent model's budget cells for a scenario budget.

    Parameters
    ----------
    budget : Budget
        The scenario's ``[budget]`` (amounts in its currency and monetary unit).
    to_table : float
        Factor from the budget's monetary unit to the table's (e.g. 1 for KRW million to KRW million).

    Returns
    -------
    BudgetCells
        Categories = the sector codes of the cells (in order of first appearance), each executed
        by its own sector; size classes ``small, medium, large``; methods as in
        :data:`SCENARIO_METHODS`. ``annual_amount`` and ``mean_contract_value`` are in the table's
        unit; the mean contract value is ``amount / contracts`` where a cell gives ``contracts``,
        else :func:`typical_contract_value`. ``baseline_local_share`` is the cell's local share
        (the reference of ``local_share_target``; realised shares come from behaviour).
    """
    sectors = tuple(dict.fromkeys(cell.sector for cell in budget.cell))
    methods = tuple(dict.fromkeys(SCENARIO_METHODS[cell.method] for cell in budget.cell))
    shape = (len(sectors), len(SIZE_CLASSES), len(methods))
    amount, share, mean_value = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for cell in budget.cell:
        method = SCENARIO_METHODS[cell.method]
        index = sectors.index(cell.sector), SIZE_CLASSES.index(cell.size_class), methods.index(method)
        amount[index] = cell.amount * to_table
        share[index] = cell.local_share
        if cell.contracts:
            per_contract = cell.amount / cell.contracts
        else:
            per_contract = typical_contract_value(budget, cell.size_class)
        mean_value[index] = per_contract * to_table
    return BudgetCells(
        categories=sectors,
        category_sectors=sectors,
        size_classes=SIZE_CLASSES,
        methods=methods,
        annual_amount=amount,
        baseline_local_share=share,
        mean_contract_value=mean_value,
    )


def _scope(lever) -> dict[str, str | None]:
    method = getattr(lever, "method", None)
    return {
        "category": getattr(lever, "sector", None),
        "size_class": getattr(lever, "size_class", None),
        "method": None if method is None else SCENARIO_METHODS[method],
    }


def scenario_levers(scenario: Scenario, *, table_scale: float, parameters: AgentParameters) -> list[Lever]:
    """The agent levers of a scenario's procurement levers (circuit levers act on the circuit).

    Mapping (scenario field -> agent field): ``sector`` -> ``category``; ``method``,
    ``size_class`` -> the same scope; ``local_share_target.target`` -> ``value`` with
    ``ramp_periods = 12 x ramp_years``; ``set_aside.max_contract_value`` -> ``threshold``,
    ``sme_only`` when every reserved group is an SME group (``local_sme``, ``sme``), and the
    reservation is always for local firms; ``contract_unbundling.lot_threshold`` ->
    ``threshold``, ``admin_cost_per_lot`` -> ``admin_cost``, ``scale_cost_penalty`` -> ``scale_penalty``;
    ``eligibility_relaxation.requirement_reduction``, ``local_coexistence_plan.min_local_subcontract_share``,
    ``bid_price_preference.discount`` (and ``cap`` -> ``cap``) and
    ``social_economy_purchase_target.share`` -> ``value``;
    ``local_contribution_score.weight`` ``w`` -> an extra scoring weight ``w / (1 - w)`` times
    the price and quality weights, so the item is a share ``w`` of those three.

    The ``response`` tables are analytic only. Every lever except ``local_share_target`` acts at
    full strength from the first month; a lever whose ``start_year`` differs from the
    scenario's raises :class:`ScenarioError`.
    """
    currency = scenario.budget.currency
    levers = []
    for lever in scenario.lever:
        if isinstance(lever, CIRCUIT_LEVERS):
            continue
        if lever.start_year not in (None, scenario.scenario.start_year):
            raise ScenarioError(
                f"scenario {scenario.scenario.id}: lever {lever.kind} starts in {lever.start_year}; agent mode starts "
                "every lever in the first month: remove start_year or use mode = 'analytic'"
            )
        scope = _scope(lever)
        if isinstance(lever, LocalShareTarget):
            levers.append(
                Lever(
                    "local_share_target",
                    value=lever.target,
                    ramp_periods=max(1, MONTHS_PER_YEAR * lever.ramp_years),
                    **scope,
                )
            )
        elif isinstance(lever, SetAside):
            sme_only = all(group in ("local_sme", "sme") for group in lever.reserved_for)
            levers.append(
                Lever(
                    "set_aside",
                    threshold=_money(lever.max_contract_value, currency, table_scale),
                    sme_only=sme_only,
                    **scope,
                )
            )
        elif isinstance(lever, ContractUnbundling):
            levers.append(
                Lever(
                    "contract_unbundling",
                    threshold=_money(lever.lot_threshold, currency, table_scale),
                    admin_cost=_money(lever.admin_cost_per_lot, currency, table_scale),
                    scale_penalty=lever.scale_cost_penalty,
                    **scope,
                )
            )
        elif isinstance(lever, EligibilityRelaxation):
            levers.append(Lever("eligibility_relaxation", value=lever.requirement_reduction, **scope))
        elif isinstance(lever, LocalContributionScore):
            base = parameters.score_price_weight + parameters.score_quality_weight
            levers.append(
                Lever(
                    "local_contribution_score",
                    value=lever.weight / (1.0 - lever.weight) * base if lever.weight < 1.0 else math.inf,
                    **scope,
                )
            )
        elif isinstance(lever, LocalCoexistencePlan):
            levers.append(Lever("local_coexistence_plan", value=lever.min_local_subcontract_share, **scope))
        elif isinstance(lever, BidPricePreference):
            cap = math.inf if lever.cap is None else _money(lever.cap, currency, table_scale)
            levers.append(Lever("bid_price_preference", value=lever.discount, cap=cap, **scope))
        elif isinstance(lever, SocialEconomyPurchaseTarget):
            levers.append(Lever("social_economy_purchase_target", value=lever.share, **scope))
    return levers


def scenario_periods(scenario: Scenario) -> int:
    """Months simulated: 12 per year of the scenario's horizon."""
    return MONTHS_PER_YEAR * scenario.scenario.horizon
