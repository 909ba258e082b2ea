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
from ..levers import AgentContext, BudgetArrays, agent_levers
from ..procurement.vocabulary import SIZE_CLASSES
from ..scenario.schema import Budget, Scenario
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


def scenario_levers(scenario: Scenario, *, table_scale: float, parameters: AgentParameters) -> list[Lever]:
    """The agent levers of a scenario's procurement levers (circuit levers act on the circuit).

    Each lever kind maps itself (``agent_levers`` of its module in :mod:`simengine.levers`), with
    its scope from the one scope function: one agent lever per selected sector (``category``),
    with the lever's ``size_class`` and ``method``. Mapping (scenario field -> agent field):
    ``local_share_target.target`` -> ``value`` with ``ramp_periods = 12 x ramp_years``;
    ``set_aside.max_contract_value`` -> ``threshold``, ``sme_only`` when every reserved group is
    an SME group (``local_sme``, ``sme``), and the reservation is always for local firms;
    ``contract_unbundling.lot_threshold`` -> ``threshold``, ``admin_cost_per_lot`` ->
    ``admin_cost``, ``scale_cost_penalty`` -> ``scale_penalty``;
    ``eligibility_relaxation.requirement_reduction``, ``local_coexistence_plan.min_local_subcontract_share``,
    ``bid_price_preference.discount`` (and ``cap`` -> ``cap``) and
    ``social_economy_purchase_target.share`` -> ``value``;
    ``local_contribution_score.weight`` ``w`` -> an extra scoring weight ``w / (1 - w)`` times
    the price and quality weights, so the item is a share ``w`` of those three.

    The ``response`` tables are analytic only. Every lever except ``local_share_target`` acts at
    full strength from the first month; a lever whose ``start_year`` differs from the
    scenario's raises :class:`ScenarioError`.
    """
    for lever in scenario.lever:
        if lever.ACTS_ON_CELLS and lever.start_year not in (None, scenario.scenario.start_year):
            raise ScenarioError(
                f"scenario {scenario.scenario.id}: lever {lever.kind} starts in {lever.start_year}; agent mode starts "
                "every lever in the first month: remove start_year or use mode = 'analytic'"
            )
    context = AgentContext(
        currency=scenario.budget.currency,
        table_scale=table_scale,
        parameters=parameters,
        budget=BudgetArrays.from_budget(scenario.budget),
    )
    return agent_levers(scenario.lever, context)


def scenario_periods(scenario: Scenario) -> int:
    """Months simulated: 12 per year of the scenario's horizon."""
    return MONTHS_PER_YEAR * scenario.scenario.horizon
