"""Sweeps and draws as arrays: the array engine of run_batch equals every scenario run alone.

The reference is the scenario-by-scenario path (``run_batch(..., arrays=False)``, one
pydantic model and one :func:`simengine.evaluation.evaluate` per variant) and, for draws of
response parameters, each draw's scalar twin (:func:`simengine.uncertainty.with_responses`).
The array engine sums in another order (multiplier rows and matrices instead of per-column
solves), so numbers agree to :data:`factories.ARRAY_RTOL` (1e-12) relative to each variable's
largest magnitude, not bitwise; text (ids, levers, hashes) is identical. Across chunk sizes
and worker counts the array engine is bitwise identical to itself (column-independent
kernels).
"""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner
from factories import assert_results_close
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simengine import DataError
from simengine.batch import batch_executor
from simengine.cli import main
from simengine.levers import LEVER_KINDS, array_field
from simengine.results import as_headline, compare, headline_set, is_headline, load_result, require_accounts
from simengine.runner import run_batch, run_scenario
from simengine.scenario import load_batch
from simengine.scenario.batch import expand_batch
from simengine.uncertainty import draw_parameters, response_priors, with_responses

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
BASELINE = SCENARIOS / "gwangmyeong_baseline.toml"

#: One procurement lever of every kind, as a TOML table, and the numeric fields a sweep varies.
LEVERS = {
    "bid_price_preference": (
        'kind = "bid_price_preference"\ndiscount = 0.05\n',
        ["discount", "response.gap_closed_per_discount", "response.cost_premium_per_discount"],
    ),
    "contract_unbundling": (
        'kind = "contract_unbundling"\nsector = "F"\nlot_threshold = { amount = 10_000, unit = "KRW million" }\n'
        'admin_cost_per_lot = { amount = 30, unit = "KRW million" }\nramp_years = 2\n',
        ["scale_cost_penalty", "response.uptake"],
    ),
    "eligibility_relaxation": (
        'kind = "eligibility_relaxation"\nsector = "F"\nrequirement_reduction = 0.3\n',
        ["requirement_reduction", "response.gap_closed_per_reduction", "response.cost_premium_per_reduction"],
    ),
    "local_coexistence_plan": (
        'kind = "local_coexistence_plan"\nsector = "F"\nsize_class = "large"\nmin_local_subcontract_share = 0.3\n'
        "ramp_years = 2\n",
        ["min_local_subcontract_share", "response.cost_premium_per_share"],
    ),
    "local_contribution_score": (
        'kind = "local_contribution_score"\nmethod = "scoring"\nweight = 0.1\n',
        ["weight", "response.gap_closed_per_weight", "response.cost_premium_per_weight"],
    ),
    "local_share_target": (
        'kind = "local_share_target"\nsector = "F"\nsize_class = "large"\ntarget = 0.6\nramp_years = 2\n',
        ["target", "response.cost_premium_per_share"],
    ),
    "set_aside": (
        'kind = "set_aside"\nsector = "N"\nmax_contract_value = { amount = 200, unit = "KRW million" }\n'
        'reserved_for = ["local_sme"]\n',
        ["response.gap_closed", "response.pool_local_fraction", "response.cost_premium"],
    ),
    "social_economy_purchase_target": (
        'kind = "social_economy_purchase_target"\nshare = 0.05\n',
        ["share", "response.local_fraction", "response.cost_premium_per_share"],
    ),
}


def test_every_procurement_lever_kind_is_covered():
    cell_kinds = {k for k, c in LEVER_KINDS.items() if c.ACTS_ON_CELLS}
    assert set(LEVERS) == cell_kinds


def _files(tmp: Path, kind: str, fields: list[str], draws: int, seed: int, *, uncertainty: int | None = None) -> Path:
    """A base scenario with one lever of ``kind`` (plus a circuit programme) and a random sweep of ``fields``."""
    lever, _ = LEVERS[kind]
    # a sweep sets keys the base file gives: write the swept fields (mid-range values) into it
    own = "".join(f"{f} = 0.1\n" for f in fields if "." not in f and f"{f} =" not in lever)
    response = "".join(f"{f.split('.')[1]} = 0.1\n" for f in fields if f.startswith("response."))
    base = tmp / "base.toml"
    base.write_text(
        f'schema_version = 1\nextends = "{BASELINE}"\n[scenario]\nid = "swept"\ntitle = "one lever, swept"\n'
        f"[[lever]]\n{lever}{own}"
        + (f"[lever.response]\n{response}" if response else "")
        + '[[lever]]\nkind = "household_local_consumption"\nshare = 0.4\nramp_years = 3\n'
    )
    from simengine.scenario import load_scenario

    scenario = load_scenario(base)
    parameters = []
    for field in fields:
        bounds = array_field(scenario.lever[0], field)
        high = min(bounds.high, 1.0)
        parameters.append(f'[[sweep.parameter]]\npath = "lever[0].{field}"\nlow = {bounds.low}\nhigh = {high}\n')
    batch = tmp / "batch.toml"
    batch.write_text(
        f'schema_version = 1\nbaseline = "{BASELINE}"\nscenarios = ["{SCENARIOS / "combined_package.toml"}"]\n'
        '[batch]\nid = "arrays"\ntitle = "a sweep as arrays"\n'
        f'[sweep]\nbase = "{base}"\nmethod = "random"\ndraws = {draws}\nseed = {seed}\n'
        + "".join(parameters)
        + ("" if uncertainty is None else f"[uncertainty]\ndraws = {uncertainty}\nseed = {seed}\n")
    )
    return batch


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(sorted(LEVERS)),
    points=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
    data=st.data(),
)
def test_every_sweep_point_equals_the_scenario_run_alone(kind, points, seed, data, tmp_path_factory):
    """Property: for every lever kind and random settings of its numeric fields, each point of
    the array sweep (full accounts, and headline totals) equals its variant run on its own."""
    fields = data.draw(st.lists(st.sampled_from(LEVERS[kind][1]), min_size=1, max_size=3, unique=True))
    batch = _files(tmp_path_factory.mktemp("sweep"), kind, fields, points, seed)
    arrays = run_batch(batch)
    alone = run_batch(batch, arrays=False)
    assert arrays.failures == alone.failures == {}
    assert_results_close(arrays.results, alone.results)
    assert arrays.results.attrs == alone.results.attrs
    totals = run_batch(batch, headline=True).results
    assert is_headline(totals) and "sector" not in totals.dims
    assert_results_close(totals, as_headline(alone.results))


@pytest.mark.parametrize("kind", sorted(LEVERS))
def test_every_draw_of_every_point_equals_its_scalar_twin(kind, tmp_path):
    """With [uncertainty] draws, headline results have a draw axis; for every lever kind, draw d
    of every scenario and sweep point is that scenario with the drawn response parameters of d
    (the same in every scenario: common random numbers), run alone."""
    batch = _files(tmp_path, kind, LEVERS[kind][1][:1], 2, 7, uncertainty=3)
    result = run_batch(batch, headline=True).results
    assert result.sizes["draw"] == 3 and result.sizes["scenario"] == 4
    scenarios = expand_batch(load_batch(batch))
    values = draw_parameters(response_priors(scenarios), 3, 7)
    np.testing.assert_array_equal(result["parameter_value"].values, np.array([values[k] for k in values]))
    for d in range(3):
        twins = [with_responses(s, {k: v[d] for k, v in values.items()}) for s in scenarios]
        alone = xr.concat([as_headline(run_scenario(t)) for t in twins], dim="scenario")
        drawn = result.isel(draw=d).drop_vars(["draw", "parameter_value", "prior_low", "prior_high", "parameter"])
        for name in alone.data_vars:
            if name.startswith("scenario_"):
                continue
            scale = float(np.abs(alone[name]).max())
            np.testing.assert_allclose(drawn[name].values, alone[name].values, rtol=0, atol=1e-12 * scale + 1e-300)


def test_any_chunk_size_and_worker_count_gives_the_same_bits(tmp_path):
    batch = _files(tmp_path, "set_aside", ["response.gap_closed", "response.cost_premium"], 9, 3, uncertainty=5)
    for headline in (True, False):
        reference = run_batch(batch, headline=headline).results
        for chunk_size in (1, 7, 16):
            xr.testing.assert_identical(reference, run_batch(batch, headline=headline, chunk_size=chunk_size).results)
        with concurrent.futures.ProcessPoolExecutor(2) as executor:
            parallel = run_batch(batch, headline=headline, executor=executor, chunk_size=11).results
        xr.testing.assert_identical(reference, parallel)
        with batch_executor(2) as threads:  # worker threads, tasks balanced over them or of a given size
            for chunk_size in (None, 5):
                threaded = run_batch(batch, headline=headline, executor=threads, chunk_size=chunk_size).results
                xr.testing.assert_identical(reference, threaded)


def test_out_of_bounds_points_are_labelled_failures_and_the_rest_run_as_arrays(tmp_path):
    batch = tmp_path / "b.toml"
    batch.write_text(
        f'schema_version = 1\nbaseline = "{BASELINE}"\n[batch]\nid = "b"\ntitle = "bad points"\n'
        f'[sweep]\nbase = "{SCENARIOS / "construction_local60.toml"}"\nmethod = "grid"\n'
        '[[sweep.parameter]]\npath = "lever[0].target"\nvalues = [0.5, 1.5, -0.1, 0.7]\n'
    )
    outcome = run_batch(batch, headline=True)
    assert sorted(outcome.failures) == [
        "construction-local60-sweep0001 (lever[0].target = 1.5)",
        "construction-local60-sweep0002 (lever[0].target = -0.1)",
    ]
    assert "less than or equal to 1" in outcome.failures["construction-local60-sweep0001 (lever[0].target = 1.5)"]
    assert [str(s) for s in outcome.results["scenario"].values] == [
        "gwangmyeong-baseline",
        "construction-local60-sweep0000",
        "construction-local60-sweep0003",
    ]


def test_headline_file_is_read_by_compare_and_refuses_full_only_views(tmp_path):
    out = tmp_path / "h.nc"
    result = CliRunner().invoke(
        main, ["batch", str(SCENARIOS / "batch_gwangmyeong.toml"), "--headline", "-o", str(out), "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    loaded = load_result(out)
    assert is_headline(loaded) and loaded.sizes["draw"] == 2000 and "sector" not in loaded.dims
    table = compare([loaded])
    assert all(name in table for name, *_ in headline_set(table))
    full = compare([run_batch(SCENARIOS / "batch_gwangmyeong.toml").results])
    # the ranking under the point estimates and the mean over draws agree on who is compared
    assert list(table["scenario"].values) == list(full["scenario"].values)
    mixed = compare([run_scenario(BASELINE), loaded.isel(scenario=[1])])
    assert list(mixed["scenario"].values) == ["gwangmyeong-baseline", str(loaded["scenario"].values[1])]
    with pytest.raises(DataError, match="headline mode"):
        require_accounts(loaded, "the per-sector table")
    shown = CliRunner().invoke(main, ["compare", str(out)])
    assert shown.exit_code == 0 and "NPB" in shown.output


def test_a_batch_without_uncertainty_is_written_without_expanding_its_sweep(tmp_path, monkeypatch):
    """``simengine batch`` of a sweep with no [uncertainty] table never builds one model per sweep
    point (the array engine runs the points as arrays; there is nothing to draw)."""
    import simengine.uncertainty

    def expand(*args, **kwargs):
        raise AssertionError("the batch was expanded into one scenario per sweep point")

    monkeypatch.setattr(simengine.uncertainty, "comparison_scenarios", expand)
    batch = _files(tmp_path, "local_share_target", ["target"], 40, 1)
    out = tmp_path / "r.nc"
    result = CliRunner().invoke(main, ["batch", str(batch), "-o", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert load_result(out).sizes["scenario"] == 42  # baseline, combined package, 40 points


def test_default_workers_is_one_for_small_batches_and_every_core_for_large(tmp_path):
    from simengine.batch import HEADLINE_PARALLEL_COLUMNS, PARALLEL_COLUMNS, available_cores, default_workers

    assert default_workers(SCENARIOS / "batch_gwangmyeong.toml") == 1  # 12 scenarios
    big = _files(tmp_path, "local_share_target", ["target"], 3, 1, uncertainty=HEADLINE_PARALLEL_COLUMNS)
    assert default_workers(big, headline=True) == available_cores()  # 5 scenarios x draws
    assert default_workers(big) == 1  # full mode keeps the point estimates: 5 scenarios
    (tmp_path / "sweep").mkdir()
    sweep = _files(tmp_path / "sweep", "local_share_target", ["target"], PARALLEL_COLUMNS, 1)
    assert default_workers(sweep) == available_cores()  # full accounts of PARALLEL_COLUMNS points and more
    assert default_workers(sweep, headline=True) == 1  # headline tasks are small: one below its own limit
    assert default_workers([BASELINE]) == 1


def test_headline_with_a_report_is_refused_before_any_work(tmp_path):
    result = CliRunner().invoke(
        main,
        ["batch", str(SCENARIOS / "batch_gwangmyeong.toml"), "--headline", "--report", str(tmp_path / "r.html")],
    )
    assert result.exit_code == 1 and "--headline" in result.output and not (tmp_path / "r.html").exists()
