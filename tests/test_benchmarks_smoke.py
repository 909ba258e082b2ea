"""Smoke tests: every benchmark runs once at its smallest size, so none rots (timings not checked)."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench_core():
    return _load("bench_core")


def test_inputs_are_balanced_and_productive(bench_core):
    inputs = bench_core.make_inputs(30, seed=1, n_vectors=4)
    Z, x = inputs["Z"], inputs["gross_output"]
    np.testing.assert_allclose(Z.sum(axis=1) + inputs["final_demand"], x, rtol=1e-12)
    np.testing.assert_allclose(Z.sum(axis=0) + inputs["value_added"], x, rtol=1e-12)
    assert np.all(Z >= 0) and np.all((Z / x).sum(axis=0) < 1.0)
    assert inputs["demand_vectors"].shape == (30, 4)


@pytest.mark.parametrize("implementation", ["simengine", "lapack", "pymrio"])
def test_implementations_agree_with_lapack(bench_core, implementation):
    if implementation == "pymrio":
        pytest.importorskip("pymrio")
    inputs = bench_core.make_inputs(50, seed=2, n_vectors=3)
    results = {"lapack": bench_core.run_lapack(inputs), implementation: bench_core.RUNNERS[implementation](inputs)}
    bench_core.check_agreement(results)
    assert results[implementation]["output_effect"].shape == (50, 3)
    assert results[implementation]["employment_multiplier"].shape == (50,)


def test_bench_rows_and_table(bench_core):
    rows = bench_core.bench([50], repeats=1, n_vectors=3, implementations=["simengine", "lapack"])
    (row,) = rows
    assert row["sectors"] == 50 and row["pymrio_s"] is None and row["pymrio_over_simengine"] is None
    assert row["simengine_s"] > 0 and row["lapack_s"] > 0 and row["simengine_build_s"] > 0
    assert math.isclose(row["simengine_over_lapack"], row["simengine_s"] / row["lapack_s"])
    table = bench_core.format_table(rows).splitlines()
    assert len(table) == 3 and table[2].startswith("| 50 |") and "n/a" in table[2]


def test_main_writes_json(bench_core, tmp_path, capsys):
    out = tmp_path / "core.json"
    bench_core.main(["--sizes", "50", "--repeats", "1", "--json", str(out)])
    payload = json.loads(out.read_text())
    assert payload["machine"]["cpus"] >= 1 and payload["repeats"] == 1
    (row,) = payload["rows"]
    assert set(row) == {
        "sectors",
        "simengine_s",
        "simengine_build_s",
        "pymrio_s",
        "lapack_s",
        "pymrio_over_simengine",
        "simengine_over_lapack",
    }
    assert all(value is None or value > 0 for value in row.values())
    assert "| 50 |" in capsys.readouterr().out
