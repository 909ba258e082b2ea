"""Smoke test: the batch-throughput benchmark runs at its smallest size (no timing asserted)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


def _check_rows(result, pymrio_rows):
    methods = [row["method"] for row in result["rows"]]
    assert sum("pymrio" in m for m in methods) == pymrio_rows
    assert sum("GEMM" in m for m in methods) == 1
    for row in result["rows"]:
        assert row["seconds"] > 0 and row["scenarios_per_second"] > 0 and row["ratio_vs_gemm"] > 0
    assert result["rhs_columns"] == 12 * result["draws"] * result["years"]  # the shipped batch's 12 scenarios
    assert any(row["method"].startswith("run_batch headline") and "writing" in row["split"] for row in result["rows"])
    headline = result["rows"][0]
    assert headline["propagation_vs_gemm"] > 0 and "provenance" in headline["split"]
    assert sum(row["method"].startswith("workers=") for row in result["rows"]) == 4


def test_batch_benchmark_runs_smallest_size_without_pymrio(tmp_path, capsys):
    import bench_batch

    out = tmp_path / "batch.json"
    result = bench_batch.main(
        [
            *("--draws", "3", "--points", "4", "--workers-points", "4", "--scalar-sample", "2", "--repeats", "1"),
            *("--pymrio-sample", "0", "--coefficient-draws", "2", "--json", str(out)),
        ]
    )
    _check_rows(result, pymrio_rows=0)
    assert all(row["ratio_vs_pymrio"] is None for row in result["rows"])
    assert out.exists() and "GEMM" in capsys.readouterr().out


def test_batch_benchmark_checks_pymrio_on_a_sample():
    pytest.importorskip("pymrio")
    import bench_batch

    result = bench_batch.measure(
        draws=3, points=4, workers_points=4, scalar_sample=2, repeats=1, pymrio_sample=2, coefficient_sample=2
    )
    _check_rows(result, pymrio_rows=1)
    assert all(row["ratio_vs_pymrio"] > 0 for row in result["rows"])


def test_final_demand_draws_share_one_circuit():
    import bench_batch

    from simengine.scenario import load_scenario

    base = load_scenario(bench_batch.BASELINE)
    draws = bench_batch.final_demand_draws(base, 3, seed=1)
    assert len({d.scenario.id for d in draws}) == 3 and all(d.circuit == base.circuit for d in draws)
    changing = bench_batch.coefficient_draws(base, 3, seed=1)
    assert len({d.circuit.reinvestment_rate for d in changing}) == 3
