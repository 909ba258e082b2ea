"""Analytic evaluation: levers -> local and non-local spending -> the closed local circuit -> result arrays.

Propagation (analytic mode), period by period over the scenario's horizon:

1. Levers (:func:`simengine.levers.apply_levers`, one module per kind) give each budget cell its local share
   (awards plus mandated local subcontracting) and cost premium in that year; circuit
   programmes add their annual cost.
2. Analysis by parts: the cell's amount times its local share is spent on local output of
   the cell's sector; the rest is awarded to firms elsewhere (leak ``nonlocal_awards``) and
   becomes final demand for the other regions' output, split by their output shares.
3. Local spending runs through the closed local circuit (:class:`simengine.circuit.Circuit`):
   local suppliers, resident wages, local owners, reinvestment and the city budget re-spend
   it until every won has leaked. Circuit levers (household local consumption,
   reinvestment programmes) and ``[circuit]`` overrides change the circuit's parameters.
   Static form: each period's spending runs through the whole circuit within the period.
   Dynamic form (``lags``): each account group re-spends after its lag
   (:meth:`simengine.circuit.Circuit.time_path`).
4. Output induced in other regions comes from the regional model's open inverse.

All scenario-periods that share circuit parameters are solved together as one matrix
right-hand side on one factorisation, so a batch of thousands of lever draws costs one LU
plus a matrix solve.

Identities every static analytic result satisfies (tests check them): ``sum(leakage) =
budget`` in each period (every won leaks eventually), ``local_awards + nonlocal_awards =
budget``, and the first-round flow accounts split the local awards exactly.

Agent-mode scenarios run through :mod:`simengine.agent_adapter` instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

from .accounts import column_product
from .circuit import LEAKAGE_CHANNELS as CIRCUIT_CHANNELS
from .circuit import Circuit, CircuitArrays, CircuitParameters
from .errors import ScenarioError
from .fields import MONETARY_SCALE
from .levers import (
    BudgetArrays,
    apply_circuit_levers,
    apply_levers,
    check_analytic,
    consumption_injection,
    programme_cost,
)
from .local_economy import LocalEconomy
from .provenance import provenance_attrs, scenario_variables
from .region_context import (
    RegionContext,
    circuit_signature,
    employment_factor,
    scenario_circuit_values,
    table_unit,
    with_values,
)
from .results import FLOW_ACCOUNTS, LEAKAGE_CHANNELS, build_result, check_result
from .scenario.schema import Scenario

__all__ = ["CIRCUIT_TO_RESULT_CHANNEL", "PERIODS_PER_YEAR", "Prepared", "prepare", "evaluate", "result_arrays"]

#: How the circuit's leakage channels aggregate into the result contract's channels.
CIRCUIT_TO_RESULT_CHANNEL = {
    "imports_abroad": "imports_abroad",
    "other_regions": "other_regions",
    "taxes_leaving_city": "taxes_leaving",
    "commuters": "commuters",
    "outside_owners": "outside_owners",
    "household_saving": "not_respent",
    "household_spending_outside": "spending_outside",
    "city_spending_outside": "spending_outside",
    "city_budget_not_respent": "not_respent",
    "investment_outside": "spending_outside",
}


@dataclass
class Prepared:
    """A scenario reduced to arrays by period: spending, transfers, costs and each period's circuit.

    Money is in the table's unit, per period. With a cost premium ``p`` on a cell of amount ``a``
    and local share ``s`` (``[appraisal] premium = "transfer"``), the cell buys the volume
    ``a / (1 + p)``; local firms receive ``a s`` of which ``a s p / (1 + p)`` is surplus (a
    transfer) and the rest buys inputs and labour; non-local firms likewise.
    """

    scenario: Scenario
    period_years: list[int]  # calendar year of each period
    time_unit: str  # "year" or "month"
    budget: np.ndarray  # (T,)
    deflator: float  # price level of the price year relative to the table's, times productivity growth
    local_spending: np.ndarray  # (n, T) volume bought from local firms
    household_spending: np.ndarray  # (n, T) extra local household spending of programmes
    nonlocal_spending: np.ndarray  # (n, T) volume bought from firms elsewhere
    local_transfer: np.ndarray  # (n, T) premium paid to local firms' surplus
    nonlocal_transfer: np.ndarray  # (T,) premium paid to firms elsewhere
    local_awards: np.ndarray  # (T,) value of contracts awarded to local firms
    real_volume: np.ndarray  # (T,) volume bought at pre-premium prices
    cost_premium: np.ndarray  # (T,) premium cost plus programme costs
    programme_cost: np.ndarray  # (T,)
    household_injection: np.ndarray  # (T,) extra local household spending of programmes
    displaced: np.ndarray  # (n, T) local purchases of the city spending that programme costs displace
    circuit_values: list[dict[str, object]]  # per period


#: Periods per year of each time unit.
PERIODS_PER_YEAR = {"year": 1, "month": 12}


@dataclass(frozen=True)
class BudgetCells:
    """What the levers and the spending split need of a scenario's budget, in the table's unit."""

    unit: str  # the table's monetary unit
    cells: BudgetArrays
    amounts: np.ndarray  # (cells,) annual amount, table unit
    cell_sector: np.ndarray  # (cells,) index of each cell's sector in the economy
    years: list[int]
    start: int

    @classmethod
    def of(cls, scenario: Scenario, context: RegionContext) -> BudgetCells:
        """The budget cells of an analytic scenario (raises for a lever analytic mode cannot evaluate)."""
        check_analytic(scenario.lever, scenario.scenario.id)
        budget = scenario.budget
        unit = table_unit(scenario, context)
        to_table = MONETARY_SCALE[budget.monetary_unit] / MONETARY_SCALE[unit]
        sectors = list(context.economy.sectors)
        return cls(
            unit=unit,
            cells=BudgetArrays.from_budget(budget),
            amounts=np.array([cell.amount for cell in budget.cell], dtype=np.float64) * to_table,
            cell_sector=np.array([sectors.index(cell.sector) for cell in budget.cell], dtype=np.int64),
            years=list(scenario.scenario.years),
            start=scenario.scenario.start_year,
        )


def prepare(scenario: Scenario, context: RegionContext, time_unit: str = "year") -> Prepared:
    """Reduce a scenario to the arrays :func:`evaluate` solves (levers applied year by year)."""
    b = BudgetCells.of(scenario, context)
    appraisal = scenario.appraisal
    unit, cells, amounts, cell_sector, years, start = b.unit, b.cells, b.amounts, b.cell_sector, b.years, b.start
    n, t = len(context.economy.sectors), len(years)
    local, nonlocal_, transfer = np.zeros((n, t)), np.zeros((n, t)), np.zeros((n, t))
    nonlocal_transfer, awards, volume = np.zeros(t), np.zeros(t), np.zeros(t)
    premium, programme, injection = np.zeros(t), np.zeros(t), np.zeros(t)
    displaced, extra = np.zeros((n, t)), np.zeros((n, t))
    base_values = scenario_circuit_values(scenario, context)
    households = context.parameters.households.local_purchases()
    mix = households / households.sum() if households.sum() > 0 else np.full(n, 1.0 / n)
    city = context.parameters.city.local_purchases()
    circuit_values = []
    for k, year in enumerate(years):
        effect = apply_levers(cells, scenario.lever, year, start_year=start)
        share, rate = effect.local_share, effect.cost_premium
        awards[k] = amounts @ share
        volume[k] = float(np.sum(amounts / (1.0 + rate)))
        if appraisal.premium == "transfer":
            bought = amounts / (1.0 + rate)
            np.add.at(local[:, k], cell_sector, bought * share)
            np.add.at(nonlocal_[:, k], cell_sector, bought * (1.0 - share))
            np.add.at(transfer[:, k], cell_sector, (amounts - bought) * share)
            nonlocal_transfer[k] = float(np.sum((amounts - bought) * (1.0 - share)))
            premium_cost = float(np.sum(amounts - bought))
        else:
            np.add.at(local[:, k], cell_sector, amounts * share)
            np.add.at(nonlocal_[:, k], cell_sector, amounts * (1.0 - share))
            premium_cost = effect.premium_amount(amounts)
        programme[k] = programme_cost(scenario.lever, year, start_year=start, monetary_unit=unit)
        premium[k] = premium_cost + programme[k]
        if premium[k] > amounts.sum():
            raise ScenarioError(
                f"scenario {scenario.scenario.id}: the levers cost {premium[k]:,.0f} in {year}, more than the whole "
                f"budget ({amounts.sum():,.0f} {context.unit}); check the units of lever amounts (annual_cost, "
                "lot_threshold, admin_cost_per_lot)"
            )
        injection[k] = consumption_injection(
            scenario.lever,
            year,
            start_year=start,
            baseline_share=float(base_values["household_local_consumption_share"]),
            monetary_unit=unit,
        )
        extra[:, k] = injection[k] * mix
        if appraisal.financing == "displaces_city_spending":
            displaced[:, k] = programme[k] * city
        circuit_values.append(apply_circuit_levers(base_values, scenario.lever, year, start_year=start))
    per_year = PERIODS_PER_YEAR[time_unit]

    def spread(values: np.ndarray) -> np.ndarray:
        """Each year's annual amount spread evenly over its periods."""
        return np.repeat(values, per_year, axis=-1) / per_year

    return Prepared(
        scenario=scenario,
        period_years=list(np.repeat(years, per_year).tolist()),
        time_unit=time_unit,
        budget=spread(np.full(t, amounts.sum())),
        deflator=employment_factor(scenario, context),
        local_spending=spread(local),
        household_spending=spread(extra),
        nonlocal_spending=spread(nonlocal_),
        local_transfer=spread(transfer),
        nonlocal_transfer=spread(nonlocal_transfer),
        local_awards=spread(awards),
        real_volume=spread(volume),
        cost_premium=spread(premium),
        programme_cost=spread(programme),
        household_injection=spread(injection),
        displaced=spread(displaced),
        circuit_values=[values for values in circuit_values for _ in range(per_year)],
    )


def _account_columns(accounts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """:meth:`Circuit.account_arrays` (columns last) with the circuit's channels aggregated into the result's."""
    leakage = np.zeros((len(LEAKAGE_CHANNELS), accounts["leakage"].shape[1]))
    for row, name in enumerate(CIRCUIT_CHANNELS):
        leakage[LEAKAGE_CHANNELS.index(CIRCUIT_TO_RESULT_CHANNEL[name])] += accounts["leakage"][row]
    return {
        "output": accounts["output"],
        "value_added": accounts["value_added"],
        "resident_income": accounts["compensation"][0],
        "employment": accounts["employment"],
        "city_tax": accounts["city_tax_revenue"],
        "household_income": accounts["household_income"],
        "leakage": leakage,
    }


def _accounts(ds: xr.Dataset, n: int) -> dict[str, np.ndarray]:
    """Circuit accounts (from :meth:`Circuit.impact` or :meth:`Circuit.time_path`) as arrays
    with the columns last, and the circuit's channels aggregated into the result's."""

    def columns(values: xr.DataArray, first: str) -> np.ndarray:
        return values.transpose(first, ...).values.reshape(values.sizes[first], -1)

    circuit_leak = columns(ds["leakage"], "channel")
    leakage = np.zeros((len(LEAKAGE_CHANNELS), circuit_leak.shape[1]))
    for row, name in enumerate(ds["channel"].values):
        leakage[LEAKAGE_CHANNELS.index(CIRCUIT_TO_RESULT_CHANNEL[str(name)])] += circuit_leak[row]
    return {
        "output": columns(ds["output"], "sector"),
        "value_added": columns(ds["value_added"], "sector"),
        "resident_income": columns(ds["compensation"].sel(residence="resident"), "sector"),
        "employment": columns(ds["employment"], "sector"),
        "city_tax": np.asarray(ds["city_tax_revenue"].values).reshape(-1),
        "household_income": np.asarray(ds["household_income"].values).reshape(-1),
        "leakage": leakage,
    }


def _transfer_receipts(circuit: Circuit, transfer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Institution receipts (3, k) and first-round leakage (result channels, k) of premium transfers."""
    receipts, leaks = circuit.surplus_transfer(transfer)
    leakage = np.zeros((len(LEAKAGE_CHANNELS), transfer.shape[1]))
    for name, values in leaks.items():
        leakage[LEAKAGE_CHANNELS.index(CIRCUIT_TO_RESULT_CHANNEL[name])] += values
    return receipts, leakage


_CLOSED_ROWS: dict[int, tuple[Circuit, np.ndarray, np.ndarray]] = {}
#: The headline indicators of displaced city purchases, in the order of ``displaced`` arrays.
DISPLACED_INDICATORS = ("value_added", "household_income", "city_tax_revenue")


def _closed_rows(circuit: Circuit) -> tuple[np.ndarray, np.ndarray]:
    """Rows of a circuit that turn local spending ``s`` into totals, cached per circuit.

    ``second`` ``(1, n)``: the local receipts of round 2 (:meth:`Circuit.rounds`, round 1 being
    the award ``s``), ``1' M [s; 0]`` as one row; ``displaced`` ``(3, n)``: the headline rows
    (:attr:`Circuit.headline_multipliers`) of :data:`DISPLACED_INDICATORS`.
    """
    cached = _CLOSED_ROWS.get(id(circuit))
    if cached is None or cached[0] is not circuit:
        n = len(circuit.economy.sectors)
        matrix = np.ascontiguousarray(circuit._matrix)
        second = column_product(np.ones((1, matrix.shape[0])), matrix)[:, :n]
        displaced = circuit.headline_multipliers.sel(indicator=list(DISPLACED_INDICATORS)).values
        if len(_CLOSED_ROWS) > 256:
            _CLOSED_ROWS.clear()
        cached = (circuit, np.ascontiguousarray(second), np.ascontiguousarray(displaced))
        _CLOSED_ROWS[id(circuit)] = cached
    return cached[1], cached[2]


def _consecutive(columns: np.ndarray) -> slice | np.ndarray:
    """``columns`` as a slice where they are consecutive (a view of the arrays, not a copy)."""
    columns = np.asarray(columns)
    if len(columns) and columns[-1] - columns[0] == len(columns) - 1 and np.all(np.diff(columns) == 1):
        return slice(int(columns[0]), int(columns[-1]) + 1)
    return columns


def closed_accounts(groups: dict, spending: np.ndarray, transfer: np.ndarray, displaced: np.ndarray, receipts_of):
    """The closed circuit's accounts of every column, one right-hand-side matrix per circuit.

    ``groups`` maps a circuit signature to ``(circuit, columns)``; ``receipts_of(circuit,
    transfer)`` gives the premium transfers' institution receipts and first-round leakage
    (:func:`_transfer_receipts`). Returns the accounts of :func:`_accounts` (columns last),
    the second round's local receipts, the transfers' leakage by result channel and the value
    added, household income and city tax of displaced city purchases ``(3, columns)``.
    """
    n, width = spending.shape
    closed: dict[str, np.ndarray] = {}
    # columns no circuit covers stay zero; when the circuits cover every column, no zero fill
    covered = sum(len(np.asarray(cols)) for _, cols in groups.values()) == width
    fresh = np.empty if covered else np.zeros
    second_round = np.zeros(width)
    transfer_leakage = np.zeros((len(LEAKAGE_CHANNELS), width))
    displaced_effects = np.zeros((3, width))
    for circuit, cols in groups.values():
        cols = _consecutive(cols)
        local = spending[:, cols]
        second, lost = _closed_rows(circuit)
        receipts, transfer_leakage[:, cols] = receipts_of(circuit, transfer[:, cols])
        accounts = _account_columns(circuit.account_arrays(local, receipts, non_resident=False))
        whole = isinstance(cols, slice) and cols == slice(0, width)
        for name, values in accounts.items():
            if whole:  # one circuit for every column: its arrays are the accounts
                closed[name] = values
            else:
                closed.setdefault(name, fresh((*values.shape[:-1], width)))[..., cols] = values
        second_round[cols] = column_product(second, local)[0]
        moved = displaced[:, cols]
        if moved.any():
            displaced_effects[:, cols] = column_product(lost, moved)
    return closed, second_round, transfer_leakage, displaced_effects


def evaluate(
    prepared: Sequence[Prepared], context: RegionContext, lags: dict[str, int] | None = None
) -> list[xr.Dataset]:
    """Solve every scenario-period of one region, grouping columns by circuit parameters.

    Without ``lags`` each period's spending runs through the closed circuit within the period
    (static form). With ``lags`` (dynamic form) each period's spending is a cohort whose
    re-spending unfolds over later periods (:meth:`Circuit.time_path`) under the circuit of
    the period it was spent in; the long-run (closed-form) effects are reported as well.
    """
    economy = context.economy
    n = len(economy.sectors)
    columns = [(i, k) for i, p in enumerate(prepared) for k in range(len(p.period_years))]
    width = len(columns)
    spending, transfer, displaced = np.zeros((n, width)), np.zeros((n, width)), np.zeros((n, width))
    groups: dict[bytes, list[int]] = {}
    circuits: dict[bytes, Circuit] = {}
    for c, (i, k) in enumerate(columns):
        spending[:, c] = prepared[i].local_spending[:, k] + prepared[i].household_spending[:, k]
        transfer[:, c] = prepared[i].local_transfer[:, k]
        displaced[:, c] = prepared[i].displaced[:, k]
        key = circuit_signature(prepared[i].circuit_values[k])
        groups.setdefault(key, []).append(c)
        if key not in circuits:
            circuits[key] = Circuit(economy, with_values(context, prepared[i].circuit_values[k]))
    closed, second_round, transfer_leakage, displaced_effects = closed_accounts(
        {key: (circuits[key], cols) for key, cols in groups.items()}, spending, transfer, displaced, _transfer_receipts
    )
    open_output = context.open_local.solve(spending)
    # programmes' extra local household spending is spending moved from elsewhere: the other
    # regions lose it (their share of it; the imported part leaves the country either way)
    elsewhere = np.hstack([p.nonlocal_spending - p.household_spending for p in prepared])
    regional = _regional_effects(spending, elsewhere, context)

    results = []
    offset = 0
    for p in prepared:
        cols = np.arange(offset, offset + len(p.period_years))
        offset += len(cols)
        path = {name: values[..., cols] for name, values in closed.items()}
        if lags is not None:
            path = {name: np.zeros_like(values) for name, values in path.items()}
            for key in dict.fromkeys(circuit_signature(v) for v in p.circuit_values):  # first-seen, not hash order
                chosen = np.array([circuit_signature(v) == key for v in p.circuit_values])
                receipts, _ = _transfer_receipts(circuits[key], p.local_transfer * chosen)
                cohort = (p.local_spending + p.household_spending) * chosen
                ds = circuits[key].time_path(cohort, lags=lags, receipts=receipts)
                for name, values in _accounts(ds, n).items():
                    path[name] += values
        last = circuit_signature(p.circuit_values[-1])
        results.append(
            _result_dataset(
                p,
                context,
                path=path,
                closed_output=closed["output"][:, cols],
                open_output=open_output[:, cols],
                regional={name: values[..., cols] for name, values in regional.items()},
                transfer_leakage=transfer_leakage[:, cols],
                displaced=displaced_effects[:, cols],
                second_round=second_round[cols],
                parameters=circuits[last].parameters,
            )
        )
    return results


def _regional_effects(
    local_spending: np.ndarray, nonlocal_spending: np.ndarray, context: RegionContext
) -> dict[str, np.ndarray]:
    """Effects in the open multi-region model of local and non-local awards.

    Spending is (n, k) money by sector for ``k`` scenario-periods; non-local awards go to the
    other regions in proportion to their output. One solve of the regional model with ``2k``
    right-hand sides: all awards, and the non-local awards alone.

    Returns
    -------
    dict
        ``nonlocal_output`` (n, k): output in the other regions (summed over them) induced by
        all awards; ``feedback_output`` (n, k): local output induced by the non-local awards
        (the other regions buying from the city); ``other_value_added`` (k,): value added in
        the other regions; ``national_output_open`` (k,): output of every region, open model.
    """
    model = context.model
    output = model.dataset["gross_output"].transpose("region", "sector").values
    va = model.dataset["value_added_coefficient"].transpose("region", "sector").values
    regions = len(model.regions)
    k = local_spending.shape[1]
    demand = np.zeros((regions, len(model.sectors), 2 * k))
    demand[0, :, :k] = local_spending
    others = output[1:]
    totals = others.sum(axis=0)
    fallback = np.full_like(others, 1.0 / max(regions - 1, 1))
    weights = np.divide(others, totals, out=fallback, where=totals > 0)
    demand[1:, :, :k] = weights[:, :, None] * nonlocal_spending[None, :, :]
    demand[1:, :, k:] = demand[1:, :, :k]
    solved = model.gross_output_for(demand)
    return {
        "nonlocal_output": solved[1:, :, :k].sum(axis=0),
        "feedback_output": solved[0, :, k:],
        "other_value_added": column_product(va[1:].reshape(1, -1), solved[1:, :, :k].reshape(-1, k))[0],
        "national_output_open": solved[:, :, :k].sum(axis=(0, 1)),
    }


def _columns(p) -> dict[str, np.ndarray]:
    """A prepared scenario's arrays with the columns last: ``(n, T, m)``, ``(T, m)`` and ``(T,)``.

    ``p`` is a :class:`Prepared` (one column) or a :class:`simengine.draws.DrawPrepared`
    (``m`` columns: sweep points times draws).
    """
    if isinstance(p, Prepared):
        one = lambda values: np.asarray(values)[..., None]  # noqa: E731
        return {
            "local": one(p.local_spending),
            "household": one(p.household_spending),
            "nonlocal": one(p.nonlocal_spending),
            "transfer": one(p.local_transfer),
            "nonlocal_transfer": one(p.nonlocal_transfer),
            "awards": one(p.local_awards),
            "volume": one(p.real_volume),
            "premium": one(p.cost_premium),
            "programme": one(p.programme_cost),
            "injection": one(p.household_injection),
            "per_year": PERIODS_PER_YEAR[p.time_unit],
        }
    return {
        "local": p.local_spending.transpose(1, 0, 2),
        "household": p.household_spending[..., None],
        "nonlocal": p.nonlocal_spending.transpose(1, 0, 2),
        "transfer": p.local_transfer.transpose(1, 0, 2),
        "nonlocal_transfer": p.nonlocal_transfer.T,
        "awards": p.local_awards.T,
        "volume": p.real_volume.T,
        "premium": p.cost_premium.T,
        "programme": p.programme_cost[:, None],
        "injection": p.household_injection[:, None],
        "per_year": 1,
    }


def _ordered_sum(values: np.ndarray, axis: int) -> np.ndarray:
    """Sum along ``axis`` one slice after the other: a column's total never depends on how many
    columns there are (numpy sums a lone column pairwise but several slice by slice)."""
    parts = np.moveaxis(np.asarray(values), axis, 0)
    out = np.array(parts[0], dtype=np.float64)
    for part in parts[1:]:
        out += part
    return out


def _first_round_flows(
    c: dict[str, np.ndarray], budget_total: float, economy: LocalEconomy, parameters: CircuitParameters | CircuitArrays
) -> np.ndarray:
    """First-round flow accounts per won of procurement, ``(accounts, m)``: under one circuit's
    ``parameters``, or each column's own (``CircuitArrays`` of ``m`` sets)."""
    spend = _ordered_sum(c["local"], 1) / budget_total
    wages = economy.compensation[:, None] * spend
    surplus = economy.operating_surplus[:, None] * spend + _ordered_sum(c["transfer"], 1) / budget_total
    local = _ordered_sum(c["awards"], 0) / budget_total
    # coefficient rows times the columns in a fixed order (column_product): a column's flows
    # never depend on the other columns of its batch
    on_spend = column_product(
        np.vstack(
            [
                economy.local_inputs.sum(axis=0),
                economy.other_region_inputs,
                economy.imported_inputs,
                economy.other_inputs,
            ]
        ),
        spend,
    )
    if isinstance(parameters, CircuitArrays):  # each column's own circuit, (m, n) shares
        resident, owned = parameters.resident_wage_share.T, parameters.local_ownership_share.T
        on_wages = [_ordered_sum(resident * wages, 0), _ordered_sum((1.0 - resident) * wages, 0)]
        on_surplus = [_ordered_sum(owned * surplus, 0), _ordered_sum((1.0 - owned) * surplus, 0)]
    else:
        shares = np.vstack([parameters.resident_wage_share, 1.0 - parameters.resident_wage_share])
        owners = np.vstack([parameters.local_ownership_share, 1.0 - parameters.local_ownership_share])
        on_wages, on_surplus = column_product(shares, wages), column_product(owners, surplus)
    values = {
        "local_awards": local,
        "nonlocal_awards": 1.0 - local,
        "local_inputs": on_spend[0],
        "other_region_inputs": on_spend[1],
        "imported_inputs": on_spend[2],
        "other_inputs": on_spend[3],
        "resident_wages": on_wages[0],
        "commuter_wages": on_wages[1],
        "local_profits": on_surplus[0],
        "outside_profits": on_surplus[1],
    }
    return np.array([values[a] for a in FLOW_ACCOUNTS])


def result_arrays(p, context: RegionContext, *, path: dict[str, np.ndarray], **arrays) -> dict[str, np.ndarray]:
    """The result variables of a prepared scenario's columns, each with a leading column axis.

    ``p`` is a :class:`Prepared` or a :class:`simengine.draws.DrawPrepared` (:func:`_columns`);
    ``path`` and ``arrays`` hold the solved accounts with the columns last (``(n, T, m)``,
    ``(T, m)``, ...). Returns name -> ``(m, ...)`` arrays in the dims of
    :data:`simengine.results.RESULT_VARIABLES` without ``scenario``. The one definition of the
    result arithmetic: :func:`evaluate` (one column per scenario) and
    :func:`simengine.draws.evaluate_accounts` (many) both use it.
    """
    s = p.scenario
    economy = context.economy
    c = _columns(p)
    regional = arrays["regional"]
    budget = np.asarray(p.budget)[:, None]
    local_awards = c["awards"]
    leakage = path["leakage"] + arrays["transfer_leakage"]
    leakage[LEAKAGE_CHANNELS.index("nonlocal_awards")] += _ordered_sum(c["nonlocal"], 0) + c["nonlocal_transfer"]
    direct = _ordered_sum(c["local"] + c["household"], 1)
    open_total = _ordered_sum(arrays["open_output"], 1)
    closed_total = _ordered_sum(arrays["closed_output"], 1)
    effects = np.stack([direct, open_total - direct, closed_total - open_total, closed_total])
    budget_total = p.budget.sum()
    lm3 = (budget_total + _ordered_sum(local_awards, 0) + _ordered_sum(arrays["second_round"], 0)) / budget_total
    feedback = regional["feedback_output"] if s.appraisal.feedback else np.zeros_like(regional["feedback_output"])
    value_added_rate = economy.compensation + economy.operating_surplus
    n, t = feedback.shape[:2]
    feedback_value_added = column_product(value_added_rate[None, :], feedback.reshape(n, -1))[0].reshape(t, -1)
    local_value_added = _ordered_sum(path["value_added"], 0)
    displaced = arrays["displaced"]
    local_tax = path["city_tax"]
    width = local_awards.shape[-1]
    columns = lambda values: np.broadcast_to(values, (*np.shape(values)[:-1], width))  # noqa: E731
    data = {
        "budget": columns(budget),
        "local_awards": local_awards,
        "local_award_share": local_awards / budget,
        "cost_premium": c["premium"],
        "local_output": path["output"].transpose(1, 0, 2),
        "local_value_added": path["value_added"].transpose(1, 0, 2),
        "local_income": path["resident_income"].transpose(1, 0, 2),
        # persons employed during the period: coefficients are persons per unit of annual output
        # at table prices and table-year productivity, so budget-price money is deflated first and
        # productivity growth to the price year divides it
        "local_employment": path["employment"].transpose(1, 0, 2) * c["per_year"] / p.deflator,
        "local_tax": local_tax,
        "nonlocal_output": regional["nonlocal_output"].transpose(1, 0, 2),
        "leakage": leakage.transpose(1, 0, 2),
        "flows": _first_round_flows(c, budget_total, economy, arrays["parameters"]),
        "output_effects": effects,
        "lm3": lm3,
        "real_volume": c["volume"],
        "premium_transfer": _ordered_sum(c["transfer"], 0),
        "programme_cost": columns(c["programme"]),
        "household_injection": columns(c["injection"]),
        "resident_household_income": path["household_income"],
        "displaced_value_added": displaced[0],
        "displaced_household_income": displaced[1],
        "displaced_local_tax": displaced[2],
        "feedback_output": feedback.transpose(1, 0, 2),
        "feedback_value_added": feedback_value_added,
        "other_regions_value_added": regional["other_value_added"],
        "national_value_added": local_value_added + feedback_value_added + regional["other_value_added"],
        "national_output_open": regional["national_output_open"],
        "fiscal_balance": local_tax - displaced[2] - c["premium"],
    }
    return {name: np.moveaxis(np.asarray(values), -1, 0) for name, values in data.items()}


def _result_dataset(p: Prepared, context: RegionContext, *, path: dict[str, np.ndarray], **arrays) -> xr.Dataset:
    s = p.scenario
    economy = context.economy
    one = lambda values: np.asarray(values)[..., None]  # noqa: E731
    columns = result_arrays(
        p,
        context,
        path={name: one(values) for name, values in path.items()},
        **{
            name: {k: one(v) for k, v in values.items()}
            if name == "regional"
            else values
            if name == "parameters"
            else one(values)
            for name, values in arrays.items()
        },
    )
    data = {name: values[0] for name, values in columns.items()}
    ds = build_result(
        data,
        context.unit,
        s.scenario.id,
        tuple(p.period_years),
        tuple(economy.sectors),
        extra=scenario_variables(s),
        attrs=provenance_attrs(s, context, time_unit=p.time_unit),
    )
    check_result(ds)
    return ds
