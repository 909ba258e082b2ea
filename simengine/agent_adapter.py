"""Agent adapter: a ``mode = "agents"`` scenario -> the agent model's inputs -> a result Dataset.

The same region economy as analytic mode; circuit parameters from the scenario's circuit
settings (:func:`simengine.region_context.with_values`) mapped by
:meth:`simengine.agents.AgentCircuit.from_parameters`; budget cells and levers mapped by
:mod:`simengine.agents.scenario` (each lever kind maps itself, :mod:`simengine.levers`).
Programme costs come from the same cost function as in analytic mode
(:func:`simengine.levers.programme_cost`).
"""

from __future__ import annotations

import os

import numpy as np
import xarray as xr

from .errors import ScenarioError
from .fields import MONETARY_SCALE
from .levers import apply_circuit_levers, programme_cost
from .provenance import provenance_attrs, scenario_variables
from .region_context import RegionContext, region_context, scenario_circuit_values, table_unit, with_values
from .results import RESULT_VARIABLES, check_result, fill_not_computed
from .scenario.schema import Scenario

__all__ = ["MAX_AGENT_HORIZON", "agent_inputs", "calibrate_agents", "run_agent_scenario"]

#: Longest horizon (years) accepted in agent mode; see :func:`run_agent_scenario`.
#: Longest horizon (years) accepted in agent mode; see :func:`run_agent_scenario`.
MAX_AGENT_HORIZON = 50


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


def agent_inputs(scenario: Scenario, context: RegionContext, circuit_values: dict | None = None) -> tuple:
    """The agent model's inputs of a scenario: ``(table_scale, circuit, cells, parameters, firms)``.

    ``circuit_values`` are the circuit settings (default: the region's with the scenario's
    ``[circuit]`` overrides); cells are :func:`~simengine.agents.scenario.scenario_cells` in the
    table's unit; parameters the default :class:`~simengine.agents.AgentParameters`; firms
    :func:`~simengine.agents.generate_firms` with the budget's social-economy share and the
    scenario's seed.
    """
    from .agents import AgentCircuit, AgentParameters, generate_firms
    from .agents.scenario import scenario_cells

    table_scale = MONETARY_SCALE[table_unit(scenario, context)]
    values = scenario_circuit_values(scenario, context) if circuit_values is None else circuit_values
    circuit = AgentCircuit.from_parameters(context.economy, with_values(context, values))
    cells = scenario_cells(scenario.budget, to_table=MONETARY_SCALE[scenario.budget.monetary_unit] / table_scale)
    firms = generate_firms(
        context.economy,
        cells,
        circuit,
        social_economy_share=scenario.budget.social_economy_share,
        seed=scenario.scenario.seed,
    )
    return table_scale, circuit, cells, AgentParameters(), firms


def run_agent_scenario(scenario: Scenario, context: RegionContext) -> xr.Dataset:
    """Run one ``mode = "agents"`` scenario through :func:`simengine.agents.simulate`.

    The horizon runs month by month (``time`` in months, ``year`` beside it); circuit levers
    (household local consumption, reinvestment programmes) and ``[circuit]`` overrides set the
    circuit at its values of the scenario's last year; the firm population is
    :func:`simengine.agents.generate_firms` with the budget's social-economy share and the
    scenario's seed.
    """
    from .agents import simulate
    from .agents.scenario import scenario_levers, scenario_periods

    info = scenario.scenario
    if info.horizon > MAX_AGENT_HORIZON:
        raise ScenarioError(
            f"scenario {info.id}: agent mode is limited to {MAX_AGENT_HORIZON} years (scenario.horizon = "
            f"{info.horizon}); set scenario.horizon to {MAX_AGENT_HORIZON} or less, or use analytic mode"
        )
    for position, lever in enumerate(scenario.lever):
        if getattr(lever, "consumption_base", None) is not None:
            raise ScenarioError(
                f"scenario {info.id}: lever[{position}] ({lever.kind}) states a consumption_base, whose extra local "
                "spending only analytic mode evaluates; use mode = 'analytic', or remove consumption_base (the "
                "programme then acts on procurement-induced consumption only, while annual_cost stays whole)"
            )
    values = apply_circuit_levers(
        scenario_circuit_values(scenario, context), scenario.lever, info.years[-1], start_year=info.start_year
    )
    table_scale, circuit, cells, parameters, firms = agent_inputs(scenario, context, values)
    levers = scenario_levers(scenario, table_scale=table_scale, parameters=parameters)
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
    ds = _with_programme_costs(ds, scenario, context)
    ds.attrs.update(provenance_attrs(scenario, context, time_unit="month"))
    ds = ds.assign(scenario_variables(scenario))
    check_result(ds)
    return ds


def _with_programme_costs(ds: xr.Dataset, scenario: Scenario, context: RegionContext) -> xr.Dataset:
    """Add the levers' programme costs to the agent model's ``cost_premium``, month by month.

    The same cost function as analytic mode (:func:`simengine.levers.programme_cost`): each
    year's annual cost, ramped, spread evenly over its twelve months.
    """
    info = scenario.scenario
    unit = table_unit(scenario, context)
    years = info.start_year + ds["time"].values // 12
    monthly = np.array(
        [programme_cost(scenario.lever, int(y), start_year=info.start_year, monetary_unit=unit) / 12.0 for y in years]
    )
    programme = xr.DataArray(monthly, dims=("time",))
    added = ds["cost_premium"] + programme
    spec = RESULT_VARIABLES["programme_cost"]
    ds = ds.assign(
        cost_premium=added.transpose(*ds["cost_premium"].dims).assign_attrs(ds["cost_premium"].attrs),
        programme_cost=programme.expand_dims(scenario=ds["scenario"].values).assign_attrs(
            units=ds["cost_premium"].attrs["units"], long_name=spec.long_name
        ),
    )
    return fill_not_computed(ds)
