"""The streamed summary of a comparison under uncertainty: exact rank counts and intervals, equal to
the in-memory summary and to brute-force loops, for any chunk size and executor; the draws file."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import spearmanr

from simengine.errors import DataError, ScenarioError
from simengine.results import OBJECTIVE_STREAMS
from simengine.scenario import load_scenario
from simengine.uncertainty import (
    QUANTILES,
    _average_ranks,
    _spearman_rows,
    rank_counts,
    rank_draws,
    read_uncertainty,
    summarise,
    uncertainty_compare,
    uncertainty_summary,
)

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
NAMES = ("gwangmyeong_baseline", "construction_local60", "small_contracts", "local_contribution", "combined_package")


@pytest.fixture(scope="module")
def shipped():
    return [load_scenario(SCENARIOS / f"{name}.toml") for name in NAMES]


@pytest.fixture(scope="module")
def in_memory(shipped):
    return uncertainty_compare(shipped, draws=300, seed=7, chunk_size=300)


@pytest.fixture(scope="module")
def reference(in_memory):
    return summarise(in_memory)


def _assert_same(a: xr.Dataset, b: xr.Dataset) -> None:
    assert set(a.data_vars) == set(b.data_vars)
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
    assert a.attrs["leader"] == b.attrs["leader"] and a.attrs["draws"] == b.attrs["draws"]


def test_streamed_summary_equals_the_in_memory_summary_for_any_chunk_size(shipped, reference):
    """Chunks reduced as they finish give the summary of all draws held at once, to the bit."""
    for chunk_size in (1, 37, 4096):
        _assert_same(reference, uncertainty_summary(shipped, draws=300, seed=7, chunk_size=chunk_size))


def test_streamed_summary_is_the_same_with_a_thread_pool(shipped, reference):
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        _assert_same(reference, uncertainty_summary(shipped, draws=300, seed=7, chunk_size=23, executor=pool))


@pytest.mark.slow
def test_streamed_summary_is_the_same_with_two_worker_processes(shipped, reference, tmp_path):
    with concurrent.futures.ProcessPoolExecutor(2) as pool:
        summary = uncertainty_summary(
            shipped, draws=300, seed=7, chunk_size=64, executor=pool, output=tmp_path / "draws.nc"
        )
    _assert_same(reference, summary)
    _assert_same(reference, read_uncertainty(tmp_path / "draws.nc"))


def _brute_force_ranks(scores: np.ndarray, base: int) -> np.ndarray:
    """Rank of every scenario in every draw by a loop: 1 + the packages strictly better; the baseline last."""
    n, draws = scores.shape
    ranks = np.zeros((n, draws), dtype=int)
    for d in range(draws):
        for i in range(n):
            if i == base:
                ranks[i, d] = n
                continue
            ranks[i, d] = 1 + sum(1 for j in range(n) if j != base and scores[j, d] > scores[i, d])
    return ranks


def test_streamed_rank_probabilities_equal_a_brute_force_loop(shipped, in_memory):
    """P(first), P(top 3) and the whole rank distribution of the streamed summary equal a loop over
    the same draws (the in-memory comparison holds them)."""
    summary = uncertainty_summary(shipped, draws=300, seed=7, chunk_size=41)
    base = [str(s) for s in in_memory["scenario"].values].index(in_memory.attrs["baseline"])
    n, draws = len(NAMES), 300
    for objective in OBJECTIVE_STREAMS:
        ranks = _brute_force_ranks(in_memory[f"npb_{objective}"].values, base)
        counts = np.array([[np.sum(ranks[i] == r) for r in range(1, n + 1)] for i in range(n)])
        np.testing.assert_array_equal(summary[f"rank_count_{objective}"].values, counts)
        np.testing.assert_array_equal(summary[f"p_first_{objective}"].values, (ranks == 1).sum(axis=1) / draws)
        np.testing.assert_array_equal(summary[f"p_top3_{objective}"].values, (ranks <= 3).sum(axis=1) / draws)


def test_intervals_are_exact_quantiles_of_every_draw(shipped, in_memory):
    summary = uncertainty_summary(shipped, draws=300, seed=7, chunk_size=50)
    for name in ("npb_resident_income", "delta_local_value_added", "pv_delta_cost"):
        q = np.quantile(in_memory[name].values, QUANTILES, axis=1)
        for row, key in zip(q, ("p05", "median", "p95"), strict=True):
            np.testing.assert_array_equal(summary[f"{name}_{key}"].values, row)
        counts = summary[f"{name}_count"].values
        assert (counts.sum(axis=1) == 300).all()
        edges = summary[f"{name}_edges"].values
        assert np.all(np.diff(edges) > 0)


def test_a_package_compared_with_itself_ties_with_probability_one(shipped):
    """Common random numbers: a package and its twin take the same rank in every draw, so with the
    baseline and the twin alone both rank first in every draw."""
    package = shipped[-1]
    twin = package.model_copy(update={"scenario": package.scenario.model_copy(update={"id": "twin"})})
    summary = uncertainty_summary([shipped[0], package, twin], draws=200, seed=1, chunk_size=33)
    for objective in OBJECTIVE_STREAMS:
        assert summary[f"p_first_{objective}"].values.tolist() == [0.0, 1.0, 1.0]
        np.testing.assert_array_equal(summary[f"rank_count_{objective}"].values[1], [200, 0, 0])
    wider = uncertainty_summary([*shipped, twin], draws=200, seed=1, chunk_size=64)
    for objective in OBJECTIVE_STREAMS:
        counts = wider[f"rank_count_{objective}"]
        np.testing.assert_array_equal(counts.sel(scenario="twin").values, counts.sel(scenario=package.scenario.id))


@settings(max_examples=40, deadline=None)
@given(
    scenarios=st.integers(2, 6),
    draws=st.integers(1, 60),
    cut=st.integers(0, 60),
    base=st.integers(0, 5),
    seed=st.integers(0, 2**16),
)
def test_rank_counts_of_chunks_add_up_and_equal_a_loop(scenarios, draws, cut, base, seed):
    """Integer scores (many ties): counts of two chunks add up to the counts of all draws, every row
    sums to the draws, and they equal a brute-force loop."""
    base = base % scenarios
    scores = np.random.default_rng(seed).integers(0, 4, (scenarios, draws)).astype(float)
    cut = min(cut, draws)
    whole = rank_counts(scores, base)
    np.testing.assert_array_equal(whole, rank_counts(scores[:, :cut], base) + rank_counts(scores[:, cut:], base))
    assert (whole.sum(axis=1) == draws).all()
    np.testing.assert_array_equal(rank_draws(scores, base), _brute_force_ranks(scores, base))


def test_spearman_rows_equal_scipy():
    """Spearman's rho with average ranks for ties (scipy.stats.spearmanr), each row against each row."""
    rng = np.random.default_rng(3)
    params = rng.random((3, 200))
    gaps = np.vstack([params[0] * 2 + rng.random(200), np.round(rng.random(200), 1), np.zeros(200)])
    table = _spearman_rows(params, gaps)
    for j in range(3):
        for i in range(2):
            assert table[j, i] == pytest.approx(spearmanr(params[j], gaps[i]).statistic, abs=1e-12)
        assert table[j, 2] == 0.0  # a constant row (the leader against itself)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from([0.0, 0.5, 1.0, -2.0, 3.25]) | st.floats(-1e6, 1e6), min_size=1, max_size=60))
def test_average_ranks_equal_scipy_rankdata_with_ties(values):
    """The summary's one-sort ranks are scipy's average ranks, ties included, to the bit."""
    from scipy.stats import rankdata

    values = np.array(values)
    np.testing.assert_array_equal(_average_ranks(values), rankdata(values, method="average"))


def test_draws_file_keeps_every_draw_and_the_summary(shipped, in_memory, reference, tmp_path):
    path = tmp_path / "draws.nc"
    uncertainty_summary(shipped, draws=300, seed=7, chunk_size=128, output=path)
    with xr.open_dataset(path, engine="h5netcdf") as stored:
        for name in in_memory.data_vars:
            np.testing.assert_array_equal(stored[name].values, in_memory[name].values, err_msg=name)
        assert stored.attrs["baseline"] == in_memory.attrs["baseline"] and stored.attrs["draws"] == 300
    _assert_same(reference, read_uncertainty(path))
    with pytest.raises(DataError, match="exists"):
        uncertainty_summary(shipped, draws=3, seed=7, output=path)
    with pytest.raises(DataError, match=r"\.nc"):
        uncertainty_summary(shipped, draws=3, seed=7, output=tmp_path / "draws.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["draws.nc"]


def test_a_failed_comparison_leaves_no_draws_file(shipped, tmp_path):
    with pytest.raises(ScenarioError, match="objective"):
        uncertainty_summary(shipped, draws=3, objective="happiness", output=tmp_path / "d.nc")
    with pytest.raises(ScenarioError, match="baseline"):
        uncertainty_summary(shipped, draws=3, baseline="nowhere", output=tmp_path / "d.nc")
    assert list(tmp_path.iterdir()) == []


def test_reading_a_file_that_is_not_a_comparison_is_one_error(tmp_path):
    other = tmp_path / "other.nc"
    xr.Dataset({"x": ("a", [1.0])}).to_netcdf(other, engine="h5netcdf")
    with pytest.raises(DataError, match="not an uncertainty comparison"):
        read_uncertainty(other)
    with pytest.raises(DataError, match="does not exist"):
        read_uncertainty(tmp_path / "missing.nc")


def test_cli_compare_streams_draws_to_a_file_and_report_shows_them(tmp_path):
    from click.testing import CliRunner

    from simengine.cli import main

    files = [str(SCENARIOS / f"{n}.toml") for n in NAMES[:3]]
    draws, page = tmp_path / "draws.nc", tmp_path / "report.html"
    arguments = ["compare", *files, "--uncertainty", "40", "--seed", "2", "--draws-output", str(draws)]
    result = CliRunner().invoke(main, [*arguments, "--report", str(page)])
    assert result.exit_code == 0, result.output
    assert f"wrote {draws}" in result.output and "Under uncertainty: 40 draws (seed 2)" in result.output
    assert read_uncertainty(draws).attrs["draws"] == 40
    assert '<section id="uncertainty">' in page.read_text(encoding="utf-8")
    again = CliRunner().invoke(main, arguments)
    assert again.exit_code == 1 and "exists" in again.output and "Traceback" not in again.output
    clash = CliRunner().invoke(main, [*arguments, "-o", str(draws), "--overwrite"])
    assert clash.exit_code == 1 and "same file" in clash.output
    alone = CliRunner().invoke(main, ["compare", *files, "--draws-output", str(tmp_path / "x.nc")])
    assert alone.exit_code == 1 and "--uncertainty" in alone.output
