"""The scenario runner: every example runs, identities hold, batches are robust and deterministic."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner
from factories import assert_results_close
from hypothesis import given, settings
from hypothesis import strategies as st

from simengine import DataError, ScenarioError
from simengine.circuit import DEFAULT_LAGS
from simengine.cli import main
from simengine.results import check_result, compare, headline
from simengine.runner import run_batch, run_scenario, run_scenarios
from simengine.scenario import load_scenario, ramp_fraction

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted(p for p in (ROOT / "scenarios").glob("*.toml") if not p.name.startswith("batch"))
BASELINE = ROOT / "scenarios" / "gwangmyeong_baseline.toml"
BATCH = ROOT / "scenarios" / "batch_gwangmyeong.toml"


@pytest.fixture(scope="module")
def baseline():
    return run_scenario(BASELINE)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_example_scenario_runs_and_meets_the_contract(path):
    result = run_scenario(path)
    check_result(result)
    leaked = result["leakage"].sum("channel")
    if result.attrs["mode"] == "agents":
        # Money is conserved every month: outside funding plus last month's circuit stock leaks or stays.
        stock = result["circuit_stock"]
        np.testing.assert_allclose(
            (result["external_funding"] + stock.shift(time=1, fill_value=0.0)).values,
            (leaked + stock).values,
            rtol=1e-9,
        )
    else:
        # Every won of the budget, and of the programmes' extra household spending, leaves the local
        # economy eventually, through a named channel.
        injected = result["budget"] + result["household_injection"]
        np.testing.assert_allclose(leaked.values, injected.values, rtol=1e-9)
    flows = result["flows"].isel(scenario=0)
    np.testing.assert_allclose((flows.sel(account="local_awards") + flows.sel(account="nonlocal_awards")).values, 1.0)
    assert result.attrs["region"] == load_scenario(path).scenario.region


def test_baseline_award_share_is_the_files_amount_weighted_share(baseline):
    scenario = load_scenario(BASELINE)
    amounts = np.array([c.amount for c in scenario.budget.cell])
    shares = np.array([c.local_share for c in scenario.budget.cell])
    expected = (amounts * shares).sum() / amounts.sum()
    np.testing.assert_allclose(baseline["local_award_share"].values, expected, rtol=1e-12)
    assert float(baseline["cost_premium"].sum()) == 0.0


def test_output_effects_add_up(baseline):
    effects = baseline["output_effects"].isel(scenario=0)
    parts = effects.sel(effect=["direct", "indirect", "induced"]).sum("effect")
    np.testing.assert_allclose(parts, effects.sel(effect="total"), rtol=1e-9)
    np.testing.assert_allclose(effects.sel(effect="total"), baseline["local_output"].sum("time").isel(scenario=0))
    np.testing.assert_allclose(effects.sel(effect="direct").sum(), baseline["local_awards"].sum())


def _with_budget_scaled(factor: float):
    scenario = load_scenario(BASELINE)
    cells = [c.model_copy(update={"amount": c.amount * factor}) for c in scenario.budget.cell]
    return scenario.model_copy(update={"budget": scenario.budget.model_copy(update={"cell": cells})})


@given(st.floats(0.1, 10.0))
@settings(max_examples=10, deadline=None)
def test_results_are_linear_in_the_budget(factor):
    one, scaled = run_scenarios([_with_budget_scaled(1.0), _with_budget_scaled(factor)])
    for name in ("local_output", "local_value_added", "local_tax", "nonlocal_output", "leakage"):
        np.testing.assert_allclose(scaled[name].values, factor * one[name].values, rtol=1e-9, atol=1e-9)


@given(st.floats(0.0, 1.0), st.floats(0.0, 1.0))
@settings(max_examples=10, deadline=None)
def test_raising_a_local_share_target_never_lowers_local_output(low, high):
    low, high = sorted((low, high))
    scenario = load_scenario(ROOT / "scenarios" / "construction_local60.toml")

    def with_target(target):
        lever = scenario.lever[0].model_copy(update={"target": target})
        return scenario.model_copy(update={"lever": [lever]})

    a, b = run_scenarios([with_target(low), with_target(high)])
    assert np.all(b["local_output"].values >= a["local_output"].values - 1e-9)


def test_batch_runs_sweeps_and_matches_single_runs():
    outcome = run_batch(BATCH)
    assert outcome.failures == {}
    ids = [str(s) for s in outcome.results["scenario"].values]
    assert ids[0] == "gwangmyeong-baseline" and any("sweep" in i for i in ids)
    single = run_scenario(BASELINE)
    assert_results_close(outcome.results.isel(scenario=[0]).drop_attrs(), single.drop_attrs())


def test_batch_with_a_bad_member_reports_it_and_finishes_the_others(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(f'schema_version = 1\nextends = "{BASELINE}"\n[scenario]\nid = "bad"\nbogus = 1\n')
    outcome = run_batch([BASELINE, bad, ROOT / "scenarios" / "coexistence_plan.toml"])
    assert list(outcome.failures) == [str(bad)] and "bogus" in outcome.failures[str(bad)]
    assert [str(s) for s in outcome.results["scenario"].values] == ["gwangmyeong-baseline", "coexistence-plan"]


def test_parallel_batch_is_bit_identical_to_serial():
    """Chunks are fixed by chunk_size, not by the executor, so any worker count gives the same bits."""
    serial = run_batch(BATCH, chunk_size=3).results
    with concurrent.futures.ProcessPoolExecutor(2) as executor:
        parallel = run_batch(BATCH, executor=executor, chunk_size=3).results
    xr.testing.assert_identical(serial, parallel)


@pytest.mark.parametrize("options", [{}, {"time_unit": "month", "lags": DEFAULT_LAGS}], ids=["yearly", "monthly"])
def test_chunk_size_does_not_change_a_single_bit(options):
    """Solves and products are column-independent, so chunking is invisible in the results."""
    one_chunk = run_batch(BATCH, **options).results
    for chunk_size in (1, 5):
        xr.testing.assert_identical(one_chunk, run_batch(BATCH, chunk_size=chunk_size, **options).results)


def test_compare_refuses_mixed_regions(baseline):
    busan = run_scenario(ROOT / "scenarios" / "busan_social_economy.toml")
    with pytest.raises(DataError, match="one region"):
        compare([baseline, busan])


def test_cli_run_batch_compare_and_report(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["run", str(BASELINE), "-o", str(tmp_path / "base.nc")])
    assert result.exit_code == 0, result.output
    assert "local award share" in result.output and "60.1%" in result.output
    result = runner.invoke(
        main, ["run", str(ROOT / "scenarios" / "combined_package.toml"), "-o", str(tmp_path / "pkg.nc")]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        main, ["compare", str(tmp_path / "base.nc"), str(tmp_path / "pkg.nc"), "--report", str(tmp_path / "c.html")]
    )
    assert result.exit_code == 0, result.output
    assert "combined-package" in result.output and (tmp_path / "c.html").stat().st_size > 10_000
    result = runner.invoke(main, ["batch", str(BATCH), "-o", str(tmp_path / "b.nc")])
    assert result.exit_code == 0, result.output
    assert xr.open_dataset(tmp_path / "b.nc", engine="h5netcdf").sizes["scenario"] == 12


def test_cli_batch_with_bad_member_exits_1_but_writes_the_rest(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("schema_version = 1\n[scenario\n")
    result = CliRunner().invoke(main, ["batch", str(BASELINE), str(bad), "-o", str(tmp_path / "b.nc")])
    assert result.exit_code == 1
    assert "bad.toml" in result.output and (tmp_path / "b.nc").exists()


def test_monthly_static_totals_equal_the_yearly_run(baseline):
    monthly = run_scenario(BASELINE, time_unit="month")
    assert monthly.attrs["time_unit"] == "month" and monthly.sizes["time"] == 12 * baseline.sizes["time"]
    for name in ("local_output", "local_value_added", "local_tax", "leakage", "budget"):
        np.testing.assert_allclose(monthly[name].sum("time"), baseline[name].sum("time"), rtol=1e-9)
    np.testing.assert_allclose(headline(monthly)["local_employment"], headline(baseline)["local_employment"], rtol=1e-9)


def test_dynamic_path_conserves_money_and_approaches_the_static_level():
    """Money spent = money leaked + money still in transit; with constant spending the monthly
    output approaches the static monthly level, from below."""
    dynamic = run_scenario(BASELINE, time_unit="month", lags=DEFAULT_LAGS)
    static = run_scenario(BASELINE, time_unit="month")
    leaked = dynamic["leakage"].sum(("time", "channel")).item()
    assert leaked < dynamic["budget"].sum().item()
    path = dynamic["local_output"].sum("sector").isel(scenario=0).values
    level = static["local_output"].sum("sector").isel(scenario=0).values
    assert np.all(np.diff(path) >= -1e-9) and np.all(path <= level + 1e-9)
    assert path[-1] > 0.99 * level[-1]


def test_cli_monthly_run(tmp_path):
    result = CliRunner().invoke(main, ["run", str(BASELINE), "--monthly", "-o", str(tmp_path / "m.nc")])
    assert result.exit_code == 0, result.output
    assert "60 month(s)" in result.output
    assert xr.open_dataset(tmp_path / "m.nc", engine="h5netcdf").attrs["time_unit"] == "month"


def test_programme_costs_count_from_their_start_year():
    """A household local-consumption programme's annual_cost is part of the levers' cost,
    ramped like the programme's effect."""
    scenario = load_scenario(ROOT / "scenarios" / "combined_package.toml")
    programmes = [lever for lever in scenario.lever if getattr(lever, "annual_cost", None) is not None]
    assert programmes
    without = scenario.model_copy(
        update={"lever": [lever for lever in scenario.lever if getattr(lever, "annual_cost", None) is None]}
    )
    with_cost, without_cost = run_scenarios([scenario, without])
    extra = (with_cost["cost_premium"] - without_cost["cost_premium"]).isel(scenario=0).values
    start = programmes[0].start_year or scenario.scenario.start_year
    ramp = programmes[0].ramp_years
    expected = [
        programmes[0].annual_cost.in_unit("million") * ramp_fraction(y, start_year=start, ramp_years=ramp)
        for y in with_cost["year"].values
    ]
    np.testing.assert_allclose(extra, expected)


def test_batch_streams_chunks_to_a_sink_in_order():
    """A sink (e.g. a Zarr store later) receives every chunk as it completes; nothing is kept."""
    received = []
    outcome = run_batch(BATCH, chunk_size=5, sink=received.append)
    assert outcome.results is None and outcome.failures == {}
    # the array engine sends one Dataset along scenario per task of chunk_size scenario-draws
    assert [sum(ds.sizes["scenario"] for ds in chunk) for chunk in received] == [5, 5, 2]
    streamed = xr.concat([ds for chunk in received for ds in chunk], dim="scenario", combine_attrs="drop_conflicts")
    whole = run_batch(BATCH, chunk_size=5).results
    # a chunk's attributes are what its scenarios share (a title shared within every chunk but
    # not by the whole batch survives concatenation); the per-scenario variables carry them
    xr.testing.assert_identical(streamed.drop_attrs(), whole.drop_attrs())
    assert all(streamed.attrs[key] == value for key, value in whole.attrs.items())


def test_batch_rejects_duplicate_ids():
    with pytest.raises(ScenarioError, match="duplicate scenario ids"):
        run_batch([BASELINE, BASELINE])


def test_lags_need_monthly_periods():
    with pytest.raises(ScenarioError, match="lags are in months"):
        run_scenario(BASELINE, lags=DEFAULT_LAGS)


@given(st.floats(0.0, 1.0))
@settings(max_examples=25, deadline=None)
def test_a_scenario_share_moves_the_weighted_mean_and_keeps_the_sector_pattern(target):
    """[circuit] household_local_consumption_share sets the mix-weighted mean of the region's
    per-sector shares; sectors keep their order (housing stays more local than electricity)."""
    from simengine.region_context import region_context
    from simengine.region_context import with_values as _with_values

    context = region_context("gwangmyeong")
    base = context.parameters.households
    values = {
        k: v
        for k, v in __import__("simengine.region_context", fromlist=["circuit_values"]).circuit_values(context).items()
    }
    values["household_local_consumption_share"] = target
    shares = _with_values(context, values).households.local_share
    np.testing.assert_allclose(base.mix @ shares / base.mix.sum(), target, atol=1e-12)
    assert np.all((shares >= 0) & (shares <= 1))
    order = np.argsort(base.local_share, kind="stable")
    assert np.all(np.diff(shares[order]) >= -1e-12)


def test_unchanged_circuit_values_reproduce_the_region_parameters():
    from simengine.region_context import circuit_values as _circuit_values
    from simengine.region_context import region_context
    from simengine.region_context import with_values as _with_values

    context = region_context("gwangmyeong")
    rebuilt = _with_values(context, _circuit_values(context))
    np.testing.assert_allclose(rebuilt.households.local_share, context.parameters.households.local_share, atol=1e-12)
    np.testing.assert_allclose(rebuilt.reinvestment_rate, context.parameters.reinvestment_rate, atol=1e-12)


def test_deflator_scales_employment_only(baseline):
    scenario = load_scenario(BASELINE)
    doubled = scenario.model_copy(update={"budget": scenario.budget.model_copy(update={"deflator": 2 * 1.086})})
    result = run_scenario(doubled)
    np.testing.assert_allclose(result["local_employment"], baseline["local_employment"] / 2, rtol=1e-12)
    np.testing.assert_allclose(result["local_value_added"], baseline["local_value_added"], rtol=1e-12)
    assert result.attrs["deflator"] == 2 * 1.086


def test_a_budget_in_other_prices_must_state_its_deflator():
    scenario = load_scenario(BASELINE)
    unstated = scenario.model_copy(update={"budget": scenario.budget.model_copy(update={"deflator": None})})
    with pytest.raises(ScenarioError, match="budget.deflator"):
        run_scenario(unstated)
