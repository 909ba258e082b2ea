"""Comparison under uncertainty: the draw-axis path against the scalar path, rank probabilities,
common random numbers and determinism over chunks and workers."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from simengine.batch import run_scenario
from simengine.errors import ScenarioError
from simengine.levers import LEVER_KINDS
from simengine.results import concat_results, headline, present_values
from simengine.scenario import load_scenario
from simengine.scenario.schema import Scenario
from simengine.uncertainty import (
    HEADLINE_TOTALS,
    draw_parameters,
    rank_draws,
    response_priors,
    summarise,
    uncertainty_compare,
    with_responses,
)

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
KRW_M = "KRW million"


def _lever_table(kind: str, level: float, ramp: int) -> dict:
    """One lever of ``kind`` on the Gwangmyeong budget, its strength set by ``level`` in [0, 1]."""
    tables = {
        "local_share_target": {"sector": "F", "target": 0.3 + 0.7 * level},
        "set_aside": {
            "sector": "F",
            "max_contract_value": {"amount": 100 + 4900 * level, "unit": KRW_M},
            "reserved_for": ["sme"],
        },
        "contract_unbundling": {
            "sector": "F",
            "lot_threshold": {"amount": 1_000 + 9_000 * level, "unit": KRW_M},
            "admin_cost_per_lot": {"amount": 5, "unit": KRW_M},
        },
        "eligibility_relaxation": {"sector": "N", "requirement_reduction": level},
        "local_contribution_score": {"weight": 0.2 * level},
        "local_coexistence_plan": {"min_local_subcontract_share": level},
        "bid_price_preference": {"discount": 0.1 * level, "cap": {"amount": 50, "unit": KRW_M}},
        "social_economy_purchase_target": {"share": 0.2 * level},
        "household_local_consumption": {"share": 0.3 + 0.4 * level},
        "reinvestment_programme": {"rate": 0.6 * level},
    }
    return {"kind": kind, "ramp_years": ramp, **tables[kind]}


def _scenario(base: Scenario, sid: str, tables: list[dict]) -> Scenario:
    document = base.model_dump(exclude_none=True)
    document["scenario"]["id"] = sid
    document["lever"] = tables
    return Scenario.model_validate(document)


@pytest.fixture(scope="module")
def baseline() -> Scenario:
    return load_scenario(SCENARIOS / "gwangmyeong_baseline.toml")


def _check_against_scalar(ds, scenarios, draws_to_check):
    """Every checked draw equals the scenarios run alone with that draw's parameters."""
    for d in draws_to_check:
        values = {str(k): float(ds["parameter_value"].sel(parameter=k, draw=d)) for k in ds["parameter"].values}
        runs = concat_results([run_scenario(with_responses(s, values)) for s in scenarios])
        totals, pv = headline(runs), present_values(runs, baseline=scenarios[0].scenario.id)
        for name in HEADLINE_TOTALS:
            np.testing.assert_allclose(ds[name].sel(draw=d).values, totals[name].values, rtol=1e-12, atol=0)
        # present values are differences of totals (to the baseline): 1e-12 relative to those totals
        scale = max(float(np.abs(totals[n].values).max()) for n in HEADLINE_TOTALS if n != "local_employment")
        for name in [v for v in ds.data_vars if v.startswith("npb_")] + ["pv_delta_cost"]:
            np.testing.assert_allclose(ds[name].sel(draw=d).values, pv[name].values, rtol=0, atol=1e-12 * scale)


@pytest.mark.slow
@settings(max_examples=12, deadline=None)
@given(
    kinds=st.lists(st.sampled_from(sorted(LEVER_KINDS)), min_size=1, max_size=3, unique=True),
    levels=st.lists(st.floats(0.05, 1.0), min_size=3, max_size=3),
    ramp=st.integers(0, 3),
    seed=st.integers(0, 2**32 - 1),
)
def test_every_draw_equals_the_scenario_run_alone(baseline, kinds, levels, ramp, seed):
    """Array path = scalar path: the draw-axis evaluation of random lever settings of every kind
    equals, draw by draw, the same scenario with those response parameters run alone through
    ``run_scenario`` (to 1e-12 relative, not bitwise: the draw path forms each total as a
    multiplier row times the spending, ``(w' L) f``, where the scalar path sums the per-sector
    accounts ``w' (L f)``, and it sums over sectors and years in another order; present values,
    differences of totals, to 1e-12 of the totals)."""
    tables = [_lever_table(k, v, ramp) for k, v in zip(kinds, levels, strict=False)]
    try:
        scenario = _scenario(baseline, "policy", tables)
        ds = uncertainty_compare([baseline, scenario], draws=3, seed=seed, chunk_size=2)
    except ScenarioError:
        assume(False)
    _check_against_scalar(ds, [baseline, scenario], [0, 2])


@settings(max_examples=30, deadline=None)
@given(
    kinds=st.lists(st.sampled_from(sorted(LEVER_KINDS)), min_size=1, max_size=4, unique=True),
    levels=st.lists(st.floats(0.05, 1.0), min_size=4, max_size=4),
    ramp=st.integers(0, 3),
    year=st.integers(2025, 2031),
)
def test_cells_no_lever_selects_keep_their_baseline_and_taken_cells_their_effect(baseline, kinds, levels, ramp, year):
    """What the draw axis relies on: lever effects on the cells some lever selects
    (``BudgetArrays.take``) equal those cells' effects in the whole budget, bit for bit, and every
    other cell keeps its baseline share at no premium, for every lever kind, ramp and year."""
    from simengine.levers import BudgetArrays, apply_levers

    tables = [_lever_table(k, v, ramp) for k, v in zip(kinds, levels, strict=False)]
    try:
        scenario = _scenario(baseline, "policy", tables)
        cells = BudgetArrays.from_budget(scenario.budget)
        start = scenario.scenario.start_year
        whole = apply_levers(cells, scenario.lever, year, start_year=start)
    except ScenarioError:
        assume(False)
    active = np.zeros(len(cells.amount), dtype=bool)
    for lever in scenario.lever:
        if lever.ACTS_ON_CELLS:
            active |= lever.select(cells)
    taken = apply_levers(cells.take(np.flatnonzero(active)), scenario.lever, year, start_year=start)
    np.testing.assert_array_equal(taken.local_share, whole.local_share[active])
    np.testing.assert_array_equal(taken.cost_premium, whole.cost_premium[active])
    np.testing.assert_array_equal(whole.local_share[~active], cells.baseline[~active])
    np.testing.assert_array_equal(whole.cost_premium[~active], 0.0)


def test_every_lever_kind_has_a_case(baseline):
    """Each kind's table above validates on the Gwangmyeong budget (so the property test reaches every kind)."""
    for kind in LEVER_KINDS:
        _scenario(baseline, kind, [_lever_table(kind, 0.5, 0)])


@pytest.fixture(scope="module")
def shipped(baseline) -> list[Scenario]:
    names = ["construction_local60", "small_contracts", "local_contribution", "combined_package"]
    return [baseline, *(load_scenario(SCENARIOS / f"{n}.toml") for n in names)]


@pytest.fixture(scope="module")
def shipped_draws(shipped):
    return uncertainty_compare(shipped, draws=64, seed=11, chunk_size=64)


def test_shipped_scenarios_draw_by_draw(shipped, shipped_draws):
    _check_against_scalar(shipped_draws, shipped, [5])


def test_rank_probabilities_equal_a_brute_force_loop(shipped_draws):
    summary = summarise(shipped_draws, "local_value_added")
    ids = [str(s) for s in shipped_draws["scenario"].values]
    base = shipped_draws.attrs["baseline"]
    for objective in ("local_value_added", "fiscal"):
        scores = shipped_draws[f"npb_{objective}"].values
        first, top3 = np.zeros(len(ids)), np.zeros(len(ids))
        for d in range(scores.shape[1]):
            for i, sid in enumerate(ids):
                if sid == base:
                    continue
                better = sum(1 for j, other in enumerate(ids) if other != base and scores[j, d] > scores[i, d])
                first[i] += better == 0
                top3[i] += better < 3
        n = scores.shape[1]
        np.testing.assert_array_equal(summary[f"p_first_{objective}"].values, first / n)
        np.testing.assert_array_equal(summary[f"p_top3_{objective}"].values, top3 / n)


def test_a_scenario_compared_with_itself_ties_in_every_draw(baseline, shipped):
    twin = shipped[-1].model_copy(update={"scenario": shipped[-1].scenario.model_copy(update={"id": "twin"})})
    ds = uncertainty_compare([baseline, shipped[-1], twin], draws=40, seed=3)
    for name in [v for v in ds.data_vars if v.startswith(("npb_", "delta_"))]:
        np.testing.assert_array_equal(ds[name].values[1], ds[name].values[2])
    ranks = rank_draws(ds["npb_local_value_added"].values, 0)
    assert (ranks[1] == ranks[2]).all() and (ranks[1] == 1).all()
    summary = summarise(ds)
    assert summary["p_first_local_value_added"].values.tolist() == [0.0, 1.0, 1.0]


def test_same_seed_same_results_for_any_chunk_size(shipped, shipped_draws):
    other = uncertainty_compare(shipped, draws=64, seed=11, chunk_size=7)
    for name in shipped_draws.data_vars:
        np.testing.assert_array_equal(other[name].values, shipped_draws[name].values)


@pytest.mark.slow
def test_same_results_with_two_worker_processes(shipped, shipped_draws):
    with concurrent.futures.ProcessPoolExecutor(2) as pool:
        other = uncertainty_compare(shipped, draws=64, seed=11, chunk_size=16, executor=pool)
    for name in shipped_draws.data_vars:
        np.testing.assert_array_equal(other[name].values, shipped_draws[name].values)


def test_draws_follow_the_priors_with_common_random_numbers(shipped):
    priors = response_priors(shipped)
    assert priors and all(p.low <= p.high for p in priors.values())
    values = draw_parameters(priors, 500, seed=5)
    for name, prior in priors.items():
        assert values[name].min() >= prior.low and values[name].max() <= prior.high
    # a parameter's stream does not depend on which other parameters are drawn
    alone = draw_parameters({name: priors[name] for name in list(priors)[:1]}, 500, seed=5)
    first = list(priors)[0]
    np.testing.assert_array_equal(alone[first], values[first])
    with pytest.raises(ScenarioError, match="at least 1"):
        draw_parameters(priors, 0, seed=5)


def test_sensitivity_names_the_parameters_that_move_the_ranking(shipped_draws):
    summary = summarise(shipped_draws)
    assert set(summary["sensitivity_max"]["parameter"].values) == set(shipped_draws["parameter"].values)
    assert np.all(np.abs(summary["sensitivity"].values) <= 1.0 + 1e-12)
    leader = summary.attrs["leader"]
    np.testing.assert_array_equal(summary["sensitivity"].sel(scenario=leader).values, 0.0)


def test_cli_compare_prints_the_ranking_under_uncertainty():
    from click.testing import CliRunner

    from simengine.cli import main

    files = [str(SCENARIOS / f"{n}.toml") for n in ("gwangmyeong_baseline", "construction_local60", "small_contracts")]
    result = CliRunner().invoke(main, ["compare", *files, "--uncertainty", "20", "--seed", "4", "--top", "2"])
    assert result.exit_code == 0, result.output
    assert "Under uncertainty: 20 draws (seed 4)" in result.output and "P(first)" in result.output
    assert "What moves the ranking" in result.output


def test_batch_file_uncertainty_table(tmp_path):
    from simengine.errors import SimEngineError
    from simengine.scenario import load_batch
    from simengine.uncertainty import comparison_scenarios

    batch = load_batch(SCENARIOS / "batch_gwangmyeong.toml")
    assert batch.uncertainty is not None and batch.uncertainty.draws <= 5000
    scenarios, draws, seed = comparison_scenarios([SCENARIOS / "batch_gwangmyeong.toml"])
    assert len(scenarios) == 12 and (draws, seed) == (batch.uncertainty.draws, batch.uncertainty.seed)
    bad = tmp_path / "b.toml"
    text = (SCENARIOS / "batch_gwangmyeong.toml").read_text(encoding="utf-8").replace("draws = 2000", "draws = 0")
    bad.write_text(text.replace('"gwangmyeong_baseline.toml"', f'"{SCENARIOS / "gwangmyeong_baseline.toml"}"'))
    with pytest.raises(SimEngineError, match="draws"):
        load_batch(bad)
