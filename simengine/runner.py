"""Run scenarios: budget and levers -> local awards -> the closed local circuit -> results.

Propagation (analytic mode), period by period over the scenario's horizon:

1. Levers (:func:`simengine.scenario.apply_levers`) give each budget cell its local share
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

A scenario with ``mode = "agents"`` runs through the agent model instead
(:func:`simengine.agents.simulate`, monthly over the horizon, ``draws`` Monte Carlo draws from
``seed``): the same region economy, its circuit parameters mapped by
:meth:`simengine.agents.AgentCircuit.from_parameters`, and budget cells and levers mapped by
:mod:`simengine.agents.scenario`. Its result carries the agent extras (realised local shares,
bidders per contract, HHI, SME and social-economy shares) beside the result contract.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import functools
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from . import __version__
from .accounts import LeontiefSystem
from .circuit import Circuit, CircuitParameters
from .datasets import load_region, load_table, region_path
from .errors import ScenarioError, SimEngineError
from .local_economy import LocalEconomy
from .regional import RegionalModel
from .results import FLOW_ACCOUNTS, LEAKAGE_CHANNELS, RESULT_VARIABLES, check_result, concat_results
from .scenario import apply_circuit_levers, apply_levers, load_batch, load_scenario, ramp_fraction
from .scenario.batch import expand_batch
from .scenario.load import is_batch_file
from .scenario.schema import MONETARY_SCALE, Scenario

__all__ = [
    "run_scenario",
    "run_scenarios",
    "run_agent_scenario",
    "calibrate_agents",
    "run_batch",
    "load_or_run",
    "BatchOutcome",
    "CIRCUIT_TO_RESULT_CHANNEL",
]

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

#: Circuit parameters that ``[circuit]`` overrides and circuit levers act on, by scenario key.
_CIRCUIT_KEYS = (
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
    table = load_table("korea-2014")
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


def _circuit_values(context: RegionContext) -> dict[str, object]:
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


def _with_values(context: RegionContext, values: dict[str, object]) -> CircuitParameters:
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


def _signature(values: dict[str, object]) -> bytes:
    return b"".join(
        np.ascontiguousarray(np.nan if values[k] is None else values[k], dtype=np.float64).tobytes()
        for k in _CIRCUIT_KEYS
    )


@dataclass
class _Prepared:
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


PERIODS_PER_YEAR = {"year": 1, "month": 12}
#: Longest horizon (years) accepted in agent mode; see :func:`run_agent_scenario`.
MAX_AGENT_HORIZON = 50


def _table_unit(scenario: Scenario, context: RegionContext) -> str:
    """The monetary unit of the region's table (e.g. ``"million"``); the budget must be in its currency."""
    if scenario.budget.currency != "KRW":
        raise ScenarioError(
            f"scenario {scenario.scenario.id}: budget.currency is {scenario.budget.currency!r}, but the region "
            f"{context.name} is in {context.unit}; give amounts in KRW"
        )
    return context.unit.split()[-1] if " " in context.unit else "one"


def _base_circuit_values(scenario: Scenario, context: RegionContext) -> dict[str, object]:
    """The region's circuit values with the scenario's ``[circuit]`` overrides."""
    values = _circuit_values(context)
    values.update({k: v for k, v in scenario.circuit.model_dump().items() if v is not None})
    return values


def _deflator(scenario: Scenario, context: RegionContext) -> float:
    """Price level of the budget's price year relative to the table's (1 when they are the same)."""
    budget = scenario.budget
    if budget.deflator is not None:
        return float(budget.deflator)
    if budget.price_year != context.price_year:
        raise ScenarioError(
            f"scenario {scenario.scenario.id}: budget.price_year is {budget.price_year} but the region's table "
            f"is in {context.price_year} prices; give budget.deflator, the price level of {budget.price_year} "
            f"relative to {context.price_year} (e.g. a GDP deflator ratio), or 1.0 to apply none"
        )
    return 1.0


def _prepare(scenario: Scenario, context: RegionContext, time_unit: str = "year") -> _Prepared:
    budget = scenario.budget
    table_unit = _table_unit(scenario, context)
    to_table = MONETARY_SCALE[budget.monetary_unit] / MONETARY_SCALE[table_unit]
    sectors = list(context.economy.sectors)
    cell_sector = np.array([sectors.index(cell.sector) for cell in budget.cell], dtype=np.int64)
    amounts = np.array([cell.amount for cell in budget.cell], dtype=np.float64) * to_table
    years = list(scenario.scenario.years)
    n, t = len(sectors), len(years)
    local = np.zeros((n, t))
    nonlocal_ = np.zeros((n, t))
    premium = np.zeros(t)
    base_values = _base_circuit_values(scenario, context)
    circuit_values = []
    for k, year in enumerate(years):
        effect = apply_levers(budget, scenario.lever, year, start_year=scenario.scenario.start_year)
        np.add.at(local[:, k], cell_sector, amounts * effect.local_share)
        np.add.at(nonlocal_[:, k], cell_sector, amounts * (1.0 - effect.local_share))
        premium[k] = effect.premium_amount(amounts) + _programme_cost(scenario, year, table_unit)
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

    return _Prepared(
        scenario=scenario,
        period_years=list(np.repeat(years, per_year).tolist()),
        time_unit=time_unit,
        budget=spread(np.full(t, amounts.sum())),
        deflator=_deflator(scenario, context),
        local_spending=spread(local),
        nonlocal_spending=spread(nonlocal_),
        cost_premium=spread(premium),
        circuit_values=[values for values in circuit_values for _ in range(per_year)],
    )


def _programme_cost(scenario: Scenario, year: int, monetary_unit: str) -> float:
    """Annual cost of the circuit programmes in ``year``, ramped like their effect."""
    total = 0.0
    for lever in scenario.lever:
        cost = getattr(lever, "annual_cost", None)
        if cost is not None:
            start = lever.start_year or scenario.scenario.start_year
            total += cost.in_unit(monetary_unit) * ramp_fraction(year, start_year=start, ramp_years=lever.ramp_years)
    return total


def _scenario_hash(scenario: Scenario) -> str:
    """Hash of the scenario; agent-only keys (draws, seed) count only in agent mode."""
    exclude = {"scenario": {"draws", "seed"}} if scenario.scenario.mode == "analytic" else None
    return hashlib.sha256(scenario.model_dump_json(exclude=exclude).encode()).hexdigest()[:16]


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


def _evaluate(
    prepared: Sequence[_Prepared], context: RegionContext, lags: dict[str, int] | None = None
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
        key = _signature(prepared[i].circuit_values[k])
        groups.setdefault(key, []).append(c)
        if key not in circuits:
            circuits[key] = Circuit(economy, _with_values(context, prepared[i].circuit_values[k]))
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
            for key in {_signature(v) for v in p.circuit_values}:
                cohort = p.local_spending * np.array([_signature(v) == key for v in p.circuit_values])
                for name, values in _accounts(circuits[key].time_path(cohort, lags=lags), n).items():
                    path[name] += values
        last = _signature(p.circuit_values[-1])
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


def _first_round_flows(p: _Prepared, economy: LocalEconomy, parameters: CircuitParameters) -> np.ndarray:
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


def _result_dataset(p: _Prepared, context: RegionContext, *, path: dict[str, np.ndarray], **arrays) -> xr.Dataset:
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
    variables.update(_scenario_variables(s))
    coords = _result_coordinates(tuple(p.period_years), tuple(economy.sectors))
    ds = xr.Dataset(
        variables,
        coords={**xr.Coordinates({"scenario": [s.scenario.id]}), **coords},
        attrs=_provenance_attrs(s, context, time_unit=p.time_unit),
    )
    check_result(ds)
    return ds


def _provenance_attrs(s: Scenario, context: RegionContext, *, time_unit: str) -> dict[str, object]:
    """Dataset attributes of a result: data provenance, money units, mode and scenario."""
    currency, monetary_unit = context.unit.split() if " " in context.unit else (context.unit, "one")
    return {
        "region": context.name,
        "table": "korea-2014",
        "data_version": context.data_version,
        "simengine_version": __version__,
        "currency": currency,
        "monetary_unit": monetary_unit,
        "price_year": s.budget.price_year,
        "table_price_year": context.price_year,
        "deflator": _deflator(s, context),
        "mode": s.scenario.mode,
        "time_unit": time_unit,
        "scenario_title": s.scenario.title,
        "scenario_levers": _levers_json(s),
    }


def _scenario_variables(s: Scenario) -> dict[str, tuple]:
    """Per-scenario title, levers (JSON) and hash, as variables over ``scenario`` (they survive
    concatenation into a batch, where differing attributes are dropped)."""
    return {
        "scenario_title": ("scenario", [s.scenario.title]),
        "scenario_levers": ("scenario", [_levers_json(s)]),
        "scenario_hash": ("scenario", [_scenario_hash(s)]),
    }


@functools.lru_cache(maxsize=64)
def _result_coordinates(period_years: tuple[int, ...], sectors: tuple[str, ...]) -> xr.Coordinates:
    """The coordinates every result of these periods and sectors shares (built once, read-only)."""
    year = np.array(period_years)
    year.flags.writeable = False
    return xr.Coordinates(
        {
            "time": np.arange(len(period_years)),
            "year": ("time", year),
            "sector": list(sectors),
            "channel": list(LEAKAGE_CHANNELS),
            "account": list(FLOW_ACCOUNTS),
            "effect": ["direct", "indirect", "induced", "total"],
        }
    )


def _levers_json(scenario: Scenario) -> str:
    return json.dumps(
        [lever.model_dump(mode="json", exclude_defaults=True) | {"kind": lever.kind} for lever in scenario.lever]
    )


def calibrate_agents(
    register: str | os.PathLike | None = None,
    *,
    region: str = "gwangmyeong",
    draws: int = 2,
    seed: int = 0,
    max_evaluations: int = 60,
):
    """Calibrate the agent model of a shipped region to a contract register's local shares by method.

    Parameters
    ----------
    register : path, optional
        A register CSV in the canonical layout (:func:`simengine.procurement.read_register`);
        default: the shipped SYNTHETIC Gwangmyeong register
        (:data:`simengine.procurement.synthetic.SHIPPED_REGISTER`).
    region : str
        Shipped region whose economy and circuit parameters the model uses.
    draws, seed, max_evaluations : int
        Monte Carlo draws per evaluation, root seed, and the optimiser's evaluation budget.

    Returns
    -------
    simengine.agents.calibrate.CalibrationResult
        Fitted parameters and the fit report (target, simulated, difference by method).
    """
    from .agents import AgentCircuit
    from .agents.calibrate import calibrate_to_register
    from .procurement import read_register
    from .procurement.synthetic import SHIPPED_REGISTER

    context = region_context(region)
    frame = read_register(SHIPPED_REGISTER if register is None else register)
    circuit = AgentCircuit.from_parameters(context.economy, context.parameters)
    return calibrate_to_register(
        frame, context.economy, circuit, draws=draws, seed=seed, max_evaluations=max_evaluations
    )


def _as_scenario(item: Scenario | str | os.PathLike) -> Scenario:
    return item if isinstance(item, Scenario) else load_scenario(item)


def run_agent_scenario(scenario: Scenario, context: RegionContext) -> xr.Dataset:
    """Run one ``mode = "agents"`` scenario through :func:`simengine.agents.simulate`.

    The horizon runs month by month (``time`` in months, ``year`` beside it); circuit levers
    (household local consumption, reinvestment programmes) and ``[circuit]`` overrides set the
    circuit at its values of the scenario's last year; the firm population is
    :func:`simengine.agents.generate_firms` with the budget's social-economy share and the
    scenario's seed.
    """
    from .agents import AgentCircuit, AgentParameters, generate_firms, simulate
    from .agents.scenario import scenario_cells, scenario_levers, scenario_periods

    info = scenario.scenario
    if info.horizon > MAX_AGENT_HORIZON:
        raise ScenarioError(
            f"scenario {info.id}: agent mode is limited to {MAX_AGENT_HORIZON} years (scenario.horizon = "
            f"{info.horizon}); set scenario.horizon to {MAX_AGENT_HORIZON} or less, or use analytic mode"
        )
    table_scale = MONETARY_SCALE[_table_unit(scenario, context)]
    values = apply_circuit_levers(
        _base_circuit_values(scenario, context), scenario.lever, info.years[-1], start_year=info.start_year
    )
    circuit = AgentCircuit.from_parameters(context.economy, _with_values(context, values))
    cells = scenario_cells(scenario.budget, to_table=MONETARY_SCALE[scenario.budget.monetary_unit] / table_scale)
    parameters = AgentParameters()
    levers = scenario_levers(scenario, table_scale=table_scale, parameters=parameters)
    firms = generate_firms(
        context.economy, cells, circuit, social_economy_share=scenario.budget.social_economy_share, seed=info.seed
    )
    ds = simulate(
        context.economy,
        circuit,
        cells,
        levers,
        periods=scenario_periods(scenario),
        seed=info.seed,
        draws=info.draws,
        firms=firms,
        parameters=parameters,
        scenario=info.id,
    )
    ds = ds.assign_coords(year=("time", info.start_year + ds["time"].values // 12))
    ds.attrs.update(_provenance_attrs(scenario, context, time_unit="month"))
    ds = ds.assign(_scenario_variables(scenario))
    check_result(ds)
    return ds


def run_scenarios(
    scenarios: Sequence[Scenario | str | os.PathLike],
    *,
    time_unit: str = "year",
    lags: dict[str, int] | None = None,
) -> list[xr.Dataset]:
    """Run scenarios (models or file paths); analytic ones share one factorisation per region.

    Scenarios with ``mode = "agents"`` run one by one through :func:`run_agent_scenario`
    (monthly, whatever ``time_unit``).

    Parameters
    ----------
    scenarios : sequence of Scenario or path
    time_unit : {"year", "month"}
        Period of the results. Annual amounts are spread evenly over a year's months.
    lags : dict, optional
        Dynamic form: periods before each account group re-spends what it receives
        (see :data:`simengine.circuit.DEFAULT_LAGS`, in months). Without lags every period's
        spending runs through the whole circuit within the period (static form).

    Returns
    -------
    list of xarray.Dataset
        One result per scenario, in order, each meeting :func:`simengine.results.check_result`.
    """
    if time_unit not in PERIODS_PER_YEAR:
        raise ScenarioError(f"time_unit must be one of {list(PERIODS_PER_YEAR)}, got {time_unit!r}")
    if lags is not None and time_unit != "month":
        raise ScenarioError(
            f"lags are in months (simengine.circuit.DEFAULT_LAGS) but time_unit is {time_unit!r}; "
            "use time_unit='month' for the dynamic form"
        )
    loaded = [_as_scenario(item) for item in scenarios]
    by_region: dict[str, list[int]] = {}
    results: list[xr.Dataset | None] = [None] * len(loaded)
    for index, scenario in enumerate(loaded):
        if scenario.scenario.mode == "agents":
            results[index] = run_agent_scenario(scenario, region_context(scenario.scenario.region))
        else:
            by_region.setdefault(scenario.scenario.region, []).append(index)
    for region, indices in by_region.items():
        context = region_context(region)
        prepared = [_prepare(loaded[i], context, time_unit) for i in indices]
        for i, ds in zip(indices, _evaluate(prepared, context, lags), strict=True):
            results[i] = ds
    return results  # type: ignore[return-value]


def run_scenario(
    scenario: Scenario | str | os.PathLike, *, time_unit: str = "year", lags: dict[str, int] | None = None
) -> xr.Dataset:
    """Run one scenario (a model or a file path) and return its result Dataset.

    See :func:`run_scenarios` for ``time_unit`` and ``lags`` (the dynamic form).
    """
    return run_scenarios([scenario], time_unit=time_unit, lags=lags)[0]


@dataclass
class BatchOutcome:
    """A batch run: the combined results and the members that failed (with their errors)."""

    results: xr.Dataset | None
    failures: dict[str, str]


def _run_chunk(items: list, **options) -> tuple[list[xr.Dataset], dict[str, str]]:
    """Run a chunk of scenarios; a failing member is reported and the others still run."""
    scenarios, failures = [], {}
    for label, item in items:
        try:
            scenarios.append(_as_scenario(item))
        except SimEngineError as exc:
            failures[label] = str(exc)
    try:
        return run_scenarios(scenarios, **options), failures
    except SimEngineError:
        results = []
        for scenario in scenarios:
            try:
                results.append(run_scenario(scenario, **options))
            except SimEngineError as exc:
                failures[scenario.scenario.id] = str(exc)
        return results, failures


def _check_agent_batch_memory(items: list) -> None:
    """Refuse a batch whose agent-mode results, all kept in memory, would exceed the agent memory limit."""
    from .agents.model import MAX_BYTES, result_bytes

    total, count, largest = 0.0, 0, None
    for item in items:
        try:
            scenario = _as_scenario(item)
        except SimEngineError:
            continue  # reported as that member's failure when it runs
        info = scenario.scenario
        if info.mode != "agents":
            continue
        sectors = len(region_context(info.region).economy.sectors)
        runs = 2 if scenario.lever else 1
        total += result_bytes(draws=info.draws, periods=12 * info.horizon, sectors=sectors, runs=runs)
        count += 1
        largest = largest or info
    if total > MAX_BYTES:
        raise ScenarioError(
            f"batch of {count} agent-mode scenarios would hold about {total / 2**30:,.1f} GB of results in memory "
            f"(e.g. scenario.draws = {largest.draws}, scenario.horizon = {largest.horizon}; limit "
            f"{MAX_BYTES / 2**30:.0f} GB): lower the sweep's size or the scenarios' draws or horizon, or run the "
            "batch in parts"
        )


def run_batch(
    members: str | os.PathLike | Iterable[Scenario | str | os.PathLike],
    *,
    executor: concurrent.futures.Executor | None = None,
    chunk_size: int = 256,
    progress: bool | Callable = False,
    time_unit: str = "year",
    lags: dict[str, int] | None = None,
    sink: Callable[[list[xr.Dataset]], None] | None = None,
) -> BatchOutcome:
    """Run a batch file, or a list of scenarios, into one Dataset along ``scenario``.

    Parameters
    ----------
    members : path of a batch file, or iterable of scenarios / scenario files
        A batch file's baseline comes first, then its scenarios and sweep variants.
    executor : concurrent.futures.Executor, optional
        Where chunks run. Default: in this process (the matrix solves use every core
        through BLAS). Any executor with ``submit`` works, e.g. a
        ``ProcessPoolExecutor`` or a Dask ``Client.get_executor()``.
    chunk_size : int
        Scenarios per task; each chunk is one factorisation per region and one matrix solve.
        Results are bit-identical for any executor, worker count and chunk size on one
        machine: every solve and product is column-independent
        (:func:`simengine.accounts.column_product`), so a scenario's numbers do not depend
        on which other scenarios share its chunk.
    progress : bool or callable
        Show a tqdm progress bar over chunks (or pass a tqdm-like callable).
    sink : callable, optional
        Receives each chunk's results (a list of single-scenario Datasets) as soon as the
        chunk completes, in chunk order, e.g. to append them to a Zarr or NetCDF store; the
        results are then not kept in memory and ``BatchOutcome.results`` is None.
    time_unit, lags
        As in :func:`run_scenarios`.

    Returns
    -------
    BatchOutcome
        ``results`` (None if every member failed) and ``failures`` by scenario label.
    """
    failures: dict[str, str] = {}
    if isinstance(members, (str, os.PathLike)) and not is_batch_file(members):
        members = [members]
    if isinstance(members, (str, os.PathLike)):
        batch = load_batch(members)
        items: list = [(str(Path(path)), path) for path in (batch.baseline, *batch.scenarios)]
        if batch.sweep is not None:
            try:
                variants = expand_batch(batch.model_copy(update={"scenarios": []}))[1:]
            except SimEngineError as exc:
                variants = []
                failures[f"sweep of {batch.sweep.base}"] = str(exc)
            items += [(v.scenario.id, v) for v in variants]
    else:
        items = [(str(m) if not isinstance(m, Scenario) else m.scenario.id, m) for m in members]
    if sink is None:
        _check_agent_batch_memory([item for _, item in items])
    chunks = [items[i : i + chunk_size] for i in range(0, len(items), chunk_size)]
    outcomes = []
    task = functools.partial(_run_chunk, time_unit=time_unit, lags=lags)
    if executor is None:
        iterator = map(task, chunks)
    else:
        iterator = (future.result() for future in [executor.submit(task, chunk) for chunk in chunks])
    if progress:
        from tqdm.auto import tqdm

        bar = progress if callable(progress) else tqdm
        iterator = bar(iterator, total=len(chunks), desc="scenarios", unit="chunk")
    seen: set[str] = set()
    for results, failed in iterator:
        failures.update(failed)
        ids = [str(ds["scenario"].values[0]) for ds in results]
        duplicated = sorted({i for i in ids if i in seen or ids.count(i) > 1})
        if duplicated:
            raise ScenarioError(
                f"batch has duplicate scenario ids {duplicated}; give each scenario a unique [scenario].id"
            )
        seen.update(ids)
        if sink is not None:
            sink(results)
        else:
            outcomes.extend(results)
    if not outcomes:
        return BatchOutcome(None, failures)
    combined = concat_results(outcomes)
    return BatchOutcome(combined, failures)


def load_or_run(paths: Sequence[str | os.PathLike]) -> list[xr.Dataset]:
    """Results for comparison: ``.nc`` files are read, scenario and batch files are run.

    A batch member that fails raises :class:`ScenarioError` naming it (a comparison needs all).
    """
    from .results import load_result

    results = []
    for path in paths:
        if Path(path).suffix.lower() in (".nc", ".nc4"):
            results.append(load_result(path))
            continue
        outcome = run_batch(path)
        if outcome.failures:
            label, error = next(iter(outcome.failures.items()))
            raise ScenarioError(f"{label}: {error}")
        results.append(outcome.results)
    return results
