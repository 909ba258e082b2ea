"""Agent mode through scenario files: the mappings to the agent model, the runner and calibration."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from simengine.agents import AgentCircuit, AgentParameters, Lever
from simengine.agents.calibrate import CalibrationTargets, register_cells
from simengine.agents.scenario import (
    scenario_cells,
    scenario_levers,
    scenario_periods,
    typical_contract_value,
)
from simengine.cli import main
from simengine.errors import ScenarioError
from simengine.procurement import read_register, spend_analysis
from simengine.procurement.synthetic import SHIPPED_REGISTER
from simengine.results import check_result
from simengine.runner import region_context, run_scenario, run_scenarios
from simengine.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
EXAMPLES = sorted(p for p in SCENARIOS.glob("*.toml") if not p.name.startswith(("batch", "agents")))


@pytest.fixture(scope="module")
def context():
    return region_context("gwangmyeong")


def _as_agents(scenario, **changes):
    info = scenario.scenario.model_copy(update={"mode": "agents", "draws": 1, "horizon": 1, **changes})
    return scenario.model_copy(update={"scenario": info})


def test_circuit_mapping_keeps_local_purchases_and_taxes(context):
    parameters = context.parameters
    circuit = AgentCircuit.from_parameters(context.economy, parameters)
    np.testing.assert_allclose(
        circuit.consumption_mix * circuit.household_local_share, parameters.households.local_purchases(), rtol=1e-12
    )
    np.testing.assert_allclose(
        circuit.capital_goods_mix * circuit.capital_local_share, parameters.investment.local_purchases(), rtol=1e-12
    )
    np.testing.assert_array_equal(circuit.resident_wage_share, parameters.resident_wage_share)
    # replacement investment of every local firm, then ownership and reinvestment of the rest:
    # reinvestment, local owners' income and outside owners' share per unit of surplus are the analytic ones
    d, o, rho = circuit.replacement_share, circuit.local_ownership_share, circuit.reinvestment_rate
    o_a, rho_a = parameters.local_ownership_share, parameters.reinvestment_rate
    assert np.all(d > 0)
    np.testing.assert_allclose(d + (1 - d) * o * rho, o_a * rho_a, rtol=1e-12)
    np.testing.assert_allclose((1 - d) * o * (1 - rho), o_a * (1 - rho_a), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose((1 - d) * (1 - o), 1 - o_a, rtol=1e-12)
    assert circuit.local_wage_tax_rate == parameters.local_income_tax_rate_on_wages
    assert circuit.national_wage_tax_rate == parameters.national_tax_rate_on_wages
    assert circuit.local_profit_tax_rate == parameters.local_tax_rate_on_surplus
    assert circuit.national_profit_tax_rate == parameters.national_tax_rate_on_surplus
    assert (circuit.city_respend_share, circuit.city_transfer_share) == (
        parameters.city_respend_share,
        parameters.city_transfer_share,
    )
    assert circuit.sectors == context.economy.sectors
    from dataclasses import replace

    other = replace(context.economy, sectors=tuple(reversed(context.economy.sectors)))
    with pytest.raises(ScenarioError, match="different sectors"):
        AgentCircuit.from_parameters(other, parameters)


def test_budget_cells_follow_the_scenario_budget():
    scenario = load_scenario(SCENARIOS / "gwangmyeong_baseline.toml")
    cells = scenario_cells(scenario.budget, to_table=1.0)
    assert cells.categories == cells.category_sectors == tuple(dict.fromkeys(c.sector for c in scenario.budget.cell))
    assert "mall" in cells.methods and "shopping_mall" not in cells.methods
    assert cells.annual_amount.sum() == pytest.approx(sum(c.amount for c in scenario.budget.cell))
    for cell in scenario.budget.cell:
        method = "mall" if cell.method == "shopping_mall" else cell.method
        index = (
            cells.categories.index(cell.sector),
            cells.size_classes.index(cell.size_class),
            cells.methods.index(method),
        )
        assert cells.baseline_local_share[index] == cell.local_share
        expected = (
            cell.amount / cell.contracts if cell.contracts else typical_contract_value(scenario.budget, cell.size_class)
        )
        assert cells.mean_contract_value[index] == pytest.approx(expected)
    assert typical_contract_value(scenario.budget, "medium") == pytest.approx(math.sqrt(200 * 10_000))
    assert scenario_periods(scenario) == 12 * scenario.scenario.horizon


def test_levers_map_to_agent_levers():
    scenario = load_scenario(SCENARIOS / "combined_package.toml")
    levers = scenario_levers(scenario, table_scale=1e6, parameters=AgentParameters())
    by_kind = {lever.kind: lever for lever in levers}
    assert set(by_kind) == {
        "local_share_target",
        "contract_unbundling",
        "set_aside",
        "local_contribution_score",
        "local_coexistence_plan",
    }  # circuit levers act on the circuit
    assert by_kind["local_share_target"] == Lever(
        "local_share_target",
        value=0.6,
        category="F",
        size_class="large",
        ramp_periods=max(1, 12 * scenario.lever[0].ramp_years),
    )
    assert by_kind["contract_unbundling"].threshold == 10_000 and by_kind["contract_unbundling"].category == "F"
    assert by_kind["set_aside"].threshold == 200 and by_kind["set_aside"].sme_only
    assert by_kind["local_contribution_score"].value == pytest.approx(0.1 / 0.9 * 2.0)
    assert by_kind["local_contribution_score"].method == "scoring"
    assert by_kind["local_coexistence_plan"].value == 0.3
    assert by_kind["contract_unbundling"].scale_penalty == scenario.lever[1].scale_cost_penalty
    assert by_kind["contract_unbundling"].admin_cost == scenario.lever[1].admin_cost_per_lot.amount


def test_bid_preference_and_social_target_map_directly():
    scenario = load_scenario(SCENARIOS / "agents_bid_preference.toml")
    (lever,) = scenario_levers(scenario, table_scale=1e6, parameters=AgentParameters())
    assert (lever.kind, lever.value, lever.method, lever.cap) == ("bid_price_preference", 0.05, "mall", math.inf)
    busan = load_scenario(SCENARIOS / "busan_social_economy.toml")
    (social,) = scenario_levers(busan, table_scale=1e6, parameters=AgentParameters())
    assert (social.kind, social.value) == ("social_economy_purchase_target", 0.10)


def test_lever_starting_later_is_refused_in_agent_mode():
    scenario = load_scenario(SCENARIOS / "agents_bid_preference.toml")
    late = scenario.lever[0].model_copy(update={"start_year": scenario.scenario.start_year + 1})
    with pytest.raises(ScenarioError, match="starts in 2027"):
        scenario_levers(scenario.model_copy(update={"lever": [late]}), table_scale=1e6, parameters=AgentParameters())


def test_agent_result_carries_provenance_extras_and_draws():
    result = run_scenario(SCENARIOS / "agents_bid_preference.toml")
    check_result(result)
    assert result.sizes["draw"] == 2 and result.attrs["time_unit"] == "month" and result.attrs["mode"] == "agents"
    assert result.attrs["region"] == "gwangmyeong" and result.attrs["table"] == "korea-2014"
    assert result.attrs["data_version"].startswith("gwangmyeong:")
    assert "bid_price_preference" in result.attrs["scenario_levers"]
    for name in ("realised_local_share", "bidders_per_contract", "hhi", "sme_share", "social_economy_share"):
        assert name in result
    assert result["year"].values[0] == 2026 and result.sizes["time"] == 12
    assert float(result["cost_premium"].sum()) > 0  # the preference costs money
    again = run_scenario(SCENARIOS / "agents_bid_preference.toml")
    np.testing.assert_array_equal(result["local_output"].values, again["local_output"].values)


def test_analytic_hash_ignores_agent_only_keys():
    scenario = load_scenario(SCENARIOS / "gwangmyeong_baseline.toml")
    reseeded = scenario.model_copy(update={"scenario": scenario.scenario.model_copy(update={"seed": 7, "draws": 3})})
    first, second = run_scenarios([scenario, reseeded])
    assert first["scenario_hash"].item() == second["scenario_hash"].item()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_scenario_also_runs_in_agent_mode(path):
    scenario = _as_agents(load_scenario(path))
    if any(getattr(lever, "consumption_base", None) is not None for lever in scenario.lever):
        # the programme's own consumption base is evaluated in analytic mode only: refused, then run without it
        with pytest.raises(ScenarioError, match="only analytic mode evaluates"):
            run_scenario(scenario)
        lever = [
            lv.model_copy(update={"consumption_base": None}) if hasattr(lv, "consumption_base") else lv
            for lv in scenario.lever
        ]
        scenario = scenario.model_copy(update={"lever": lever})
    result = run_scenario(scenario)
    check_result(result)
    assert result.attrs["mode"] == "agents" and "draw" not in result.dims
    assert float(result["local_output"].sum()) > 0


def test_register_cells_and_targets_follow_the_spend_analysis():
    register = read_register(SHIPPED_REGISTER)
    cells = register_cells(register)
    assert cells.category_sectors == tuple(
        {"construction": "F", "goods": "G46", "services": "N"}[c] for c in cells.categories
    )
    assert cells.annual_amount.sum() == pytest.approx(register["value"].sum() / 1e6)
    assert cells.contracts_per_year().sum() == pytest.approx(len(register))
    analysis = spend_analysis(register, by=("method",))
    targets = CalibrationTargets.from_spend(analysis)
    assert targets.bidders_per_contract is None
    assert targets.local_share_by_method["mall"] == pytest.approx(0.374, abs=1e-8)  # the register's calibration value
    assert targets.local_share_by_method["negotiated"] == pytest.approx(
        float(analysis["local_share_value"].sel({"method": "negotiated"}))
    )


def test_cli_agents_calibrate_prints_the_fit():
    result = CliRunner().invoke(main, ["agents", "calibrate", "--draws", "1", "--evaluations", "1", "--seed", "3"])
    assert result.exit_code == 0, result.output
    for method in ("negotiated", "open", "restricted", "scoring", "mall"):
        assert f"local_share[{method}]" in result.output
    assert "local_entry_bias[negotiated]" in result.output and "bidders not in the register" in result.output
    missing = CliRunner().invoke(main, ["agents", "calibrate", "--register", "nope.csv"])
    assert missing.exit_code != 0


@pytest.mark.parametrize("suffix", [".csv", ".nc"])
def test_cli_agents_calibrate_writes_the_fit_by_suffix(tmp_path, suffix):
    """``-o FILE`` writes the moments and fitted parameters as CSV or NetCDF by suffix."""
    from simengine.io import read_netcdf

    out = tmp_path / f"fit{suffix}"
    result = CliRunner().invoke(
        main, ["agents", "calibrate", "--draws", "1", "--evaluations", "1", "--seed", "3", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    if suffix == ".csv":
        frame = pd.read_csv(out, index_col="quantity")
    else:
        frame = read_netcdf(out).to_dataframe()
    assert {f"local_entry_bias[{m}]" for m in ("negotiated", "open", "restricted", "scoring", "mall")} <= set(
        frame.index
    )
    moments = frame[frame["kind"] == "moment"]
    assert "local_share[negotiated]" in moments.index
    np.testing.assert_allclose(moments["difference"], moments["simulated"] - moments["target"], atol=1e-12)
    again = CliRunner().invoke(main, ["agents", "calibrate", "--evaluations", "1", "-o", str(out)])
    assert again.exit_code == 1 and "exists" in again.output


@pytest.mark.parametrize("name", ["fit.json", "fit", "fit.xlsx"])
def test_cli_agents_calibrate_refuses_other_suffixes_before_work(tmp_path, name):
    out = tmp_path / name
    result = CliRunner().invoke(main, ["agents", "calibrate", "--evaluations", "1", "-o", str(out)])
    assert result.exit_code == 1
    assert "must end in .csv or .nc" in result.output and len(result.output.strip().splitlines()) == 1
    assert not out.exists()
