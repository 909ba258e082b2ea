"""Smoke test: the structural-path benchmark runs at its smallest size (no timing asserted)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


def test_path_benchmark_runs_smallest_size_and_the_searches_agree():
    import bench_paths

    result = bench_paths.main(["--sizes", "30", "--paths", "20", "--repeats", "1"])
    assert [row["paths"] for row in result["rows"]] == [20, 20]
