"""Smoke test: the coefficient-draw benchmark runs at its smallest size (no timing asserted)."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


def test_coefficient_benchmark_runs_smallest_size(tmp_path, capsys):
    """Its own checks run too: stacked rows = one Circuit per draw (bitwise) = numpy (1e-12), and a
    draw through evaluate_draws = the scenario run alone (1e-12)."""
    import bench_coefficients

    out = tmp_path / "coefficients.json"
    result = bench_coefficients.main(
        ["--draws", "3", "--repeats", "1", "--pymrio-sample", "0", "--check-sample", "1", "--json", str(out)]
    )
    methods = [row["method"] for row in result["rows"]]
    assert not any("pymrio" in m for m in methods) and sum("numpy" in m for m in methods) == 1
    for row in result["rows"]:
        assert row["seconds"] > 0 and row["draws_per_second"] > 0 and row["vs_pymrio"] is None
    assert json.loads(out.read_text())["draws"] == 3 and "numpy.linalg.solve" in capsys.readouterr().out


def test_coefficient_benchmark_checks_pymrio_on_a_sample():
    pytest.importorskip("pymrio")
    import bench_coefficients

    result = bench_coefficients.measure(draws=2, repeats=1, pymrio_sample=2, check_sample=1)
    assert sum("pymrio" in row["method"] for row in result["rows"]) == 1
    assert all(row["vs_pymrio"] > 0 for row in result["rows"])
