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

from .circuit import Circuit, CircuitParameters
from .errors import ScenarioError
from .fields import MONETARY_SCALE
from .levers import apply_circuit_levers, apply_levers, check_analytic, programme_cost
from .local_economy import LocalEconomy
from .provenance import provenance_attrs, result_coordinates, scenario_variables
from .region_context import (
    RegionContext,
    budget_deflator,
    circuit_signature,
    scenario_circuit_values,
    table_unit,
    with_values,
)
from .results import FLOW_ACCOUNTS, LEAKAGE_CHANNELS, RESULT_VARIABLES, check_result
from .scenario.schema import Scenario

__all__ = ["CIRCUIT_TO_RESULT_CHANNEL", "PERIODS_PER_YEAR", "Prepared", "prepare", "evaluate"]

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
    """A scenario reduced to arrays by period: local spending and each period's circuit."""

    scenario: Scenario
    period_years: list[int]  # calendar year of each period
    time_unit: str  # "year" or "month"
    budget: np.ndarray  # (T,)
    deflator: float  # price level of the budget's price year relative to the table's
    local_spending: np.ndarray  # (n, T)
    nonlocal_spending: np.ndarray  # (n, T)
    cost_premium: np.ndarray  # (T,)
    circuit_values: list[dict[str, object]]  # per period


#: Periods per year of each time unit.
PERIODS_PER_YEAR = {"year": 1, "month": 12}


def prepare(scenario: Scenario, context: RegionContext, time_unit: str = "year") -> Prepared:
    budget = scenario.budget
    check_analytic(scenario.lever, scenario.scenario.id)
    unit = table_unit(scenario, context)
    to_table = MONETARY_SCALE[budget.monetary_unit] / MONETARY_SCALE[unit]
    sectors = list(context.economy.sectors)
    cell_sector = np.array([sectors.index(cell.sector) for cell in budget.cell], dtype=np.int64)
    amounts = np.array([cell.amount for cell in budget.cell], dtype=np.float64) * to_table
    years = list(scenario.scenario.years)
    n, t = len(sectors), len(years)
    local = np.zeros((n, t))
    nonlocal_ = np.zeros((n, t))
    premium = np.zeros(t)
    base_values = scenario_circuit_values(scenario, context)
    circuit_values = []
    for k, year in enumerate(years):
        effect = apply_levers(budget, scenario.lever, year, start_year=scenario.scenario.start_year)
        np.add.at(local[:, k], cell_sector, amounts * effect.local_share)
        np.add.at(nonlocal_[:, k], cell_sector, amounts * (1.0 - effect.local_share))
        premium[k] = effect.premium_amount(amounts) + programme_cost(
            scenario.lever, year, start_year=scenario.scenario.start_year, monetary_unit=unit
        )
        if premium[k] > amounts.sum():
            raise ScenarioError(
                f"scenario {scenario.scenario.id}: the levers cost {premium[k]:,.0f} in {year}, more than the whole "
                f"budget ({amounts.sum():,.0f} {context.unit}); check the units of lever amounts (annual_cost, "
                "lot_threshold, admin_cost_per_lot)"
            )
        circuit_values.append(
            apply_circuit_levers(base_values, scenario.lever, year, start_year=scenario.scenario.start_year)
        )
    per_year = PERIODS_PER_YEAR[time_unit]

    def spread(values: np.ndarray) -> np.ndarray:
        """Each year's annual amount spread evenly over its periods."""
        return np.repeat(values, per_year, axis=-1) / per_year

    return Prepared(
        scenario=scenario,
        period_years=list(np.repeat(years, per_year).tolist()),
        time_unit=time_unit,
        budget=spread(np.full(t, amounts.sum())),
        deflator=budget_deflator(scenario, context),
        local_spending=spread(local),
        nonlocal_spending=spread(nonlocal_),
        cost_premium=spread(premium),
        circuit_values=[values for values in circuit_values for _ in range(per_year)],
    )


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
        "leakage": leakage,
    }


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
    spending = np.zeros((n, len(columns)))
    groups: dict[bytes, list[int]] = {}
    circuits: dict[bytes, Circuit] = {}
    for c, (i, k) in enumerate(columns):
        spending[:, c] = prepared[i].local_spending[:, k]
        key = circuit_signature(prepared[i].circuit_values[k])
        groups.setdefault(key, []).append(c)
        if key not in circuits:
            circuits[key] = Circuit(economy, with_values(context, prepared[i].circuit_values[k]))
    closed = {}
    second_round = np.zeros(len(columns))
    for key, cols in groups.items():
        for name, values in _accounts(circuits[key].impact(spending[:, cols]), n).items():
            closed.setdefault(name, np.zeros((*values.shape[:-1], len(columns))))[..., cols] = values
        rounds = circuits[key].rounds(spending[:, cols], n_rounds=2)
        second_round[cols] = rounds["total"].sel(round=2).values.reshape(-1)
    open_output = context.open_local.solve(spending)
    nonlocal_output = _nonlocal_output(spending, np.hstack([p.nonlocal_spending for p in prepared]), context)

    results = []
    offset = 0
    for p in prepared:
        cols = np.arange(offset, offset + len(p.period_years))
        offset += len(cols)
        path = {name: values[..., cols] for name, values in closed.items()}
        if lags is not None:
            path = {name: np.zeros_like(values) for name, values in path.items()}
            for key in {circuit_signature(v) for v in p.circuit_values}:
                cohort = p.local_spending * np.array([circuit_signature(v) == key for v in p.circuit_values])
                for name, values in _accounts(circuits[key].time_path(cohort, lags=lags), n).items():
                    path[name] += values
        last = circuit_signature(p.circuit_values[-1])
        results.append(
            _result_dataset(
                p,
                context,
                path=path,
                closed_output=closed["output"][:, cols],
                open_output=open_output[:, cols],
                nonlocal_output=nonlocal_output[:, cols],
                second_round=second_round[cols],
                parameters=circuits[last].parameters,
            )
        )
    return results


def _nonlocal_output(local_spending: np.ndarray, nonlocal_spending: np.ndarray, context: RegionContext) -> np.ndarray:
    """Output in other regions (summed over them) induced by local and non-local awards.

    Spending is (n, k) money by sector for ``k`` scenario-periods, solved as one matrix
    right-hand side; non-local awards go to the other regions in proportion to their output.
    Returns (n, k).
    """
    model = context.model
    output = model.dataset["gross_output"].transpose("region", "sector").values
    regions = len(model.regions)
    demand = np.zeros((regions, len(model.sectors), local_spending.shape[1]))
    demand[0] = local_spending
    others = output[1:]
    totals = others.sum(axis=0)
    fallback = np.full_like(others, 1.0 / max(regions - 1, 1))
    weights = np.divide(others, totals, out=fallback, where=totals > 0)
    demand[1:] = weights[:, :, None] * nonlocal_spending[None, :, :]
    return model.gross_output_for(demand)[1:].sum(axis=0)


def _first_round_flows(p: Prepared, economy: LocalEconomy, parameters: CircuitParameters) -> np.ndarray:
    total_budget = p.budget.sum()
    spend = p.local_spending.sum(axis=1) / total_budget
    wages = economy.compensation * spend
    surplus = economy.operating_surplus * spend
    values = {
        "local_awards": spend.sum(),
        "nonlocal_awards": p.nonlocal_spending.sum() / total_budget,
        "local_inputs": economy.local_inputs.sum(axis=0) @ spend,
        "other_region_inputs": economy.other_region_inputs @ spend,
        "imported_inputs": economy.imported_inputs @ spend,
        "other_inputs": economy.other_inputs @ spend,
        "resident_wages": parameters.resident_wage_share @ wages,
        "commuter_wages": (1.0 - parameters.resident_wage_share) @ wages,
        "local_profits": parameters.local_ownership_share @ surplus,
        "outside_profits": (1.0 - parameters.local_ownership_share) @ surplus,
    }
    return np.array([values[a] for a in FLOW_ACCOUNTS])


def _result_dataset(p: Prepared, context: RegionContext, *, path: dict[str, np.ndarray], **arrays) -> xr.Dataset:
    s = p.scenario
    economy = context.economy
    local_awards = p.local_spending.sum(axis=0)
    leakage = path["leakage"].copy()
    leakage[LEAKAGE_CHANNELS.index("nonlocal_awards")] += p.nonlocal_spending.sum(axis=0)
    direct = p.local_spending.sum(axis=1)
    open_total = arrays["open_output"].sum(axis=1)
    closed_total = arrays["closed_output"].sum(axis=1)
    effects = np.vstack([direct, open_total - direct, closed_total - open_total, closed_total])
    budget_total = p.budget.sum()
    lm3 = (budget_total + local_awards.sum() + arrays["second_round"].sum()) / budget_total
    data = {
        "budget": p.budget,
        "local_awards": local_awards,
        "local_award_share": local_awards / p.budget,
        "cost_premium": p.cost_premium,
        "local_output": path["output"].T,
        "local_value_added": path["value_added"].T,
        "local_income": path["resident_income"].T,
        # persons employed during the period: coefficients are persons per unit of annual output
        # at table prices, so budget-price money is deflated first
        "local_employment": path["employment"].T * PERIODS_PER_YEAR[p.time_unit] / p.deflator,
        "local_tax": path["city_tax"],
        "nonlocal_output": arrays["nonlocal_output"].T,
        "leakage": leakage.T,
        "flows": _first_round_flows(p, economy, arrays["parameters"]),
        "output_effects": effects,
        "lm3": np.array(lm3),
    }
    money = context.unit
    variables = {}
    for name, (dims, kind, long_name) in RESULT_VARIABLES.items():
        units = {"money": money, "persons": "persons", "1": "1"}[kind]
        variables[name] = (dims, np.asarray(data[name])[None, ...], {"units": units, "long_name": long_name})
    variables.update(scenario_variables(s))
    coords = result_coordinates(tuple(p.period_years), tuple(economy.sectors))
    ds = xr.Dataset(
        variables,
        coords={**xr.Coordinates({"scenario": [s.scenario.id]}), **coords},
        attrs=provenance_attrs(s, context, time_unit=p.time_unit),
    )
    check_result(ds)
    return ds
