"""Smoke test: the cluster benchmark runs at its smallest size (no timing asserted)."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


@pytest.mark.slow
def test_cluster_benchmark_runs_smallest_size(tmp_path, capsys):
    import bench_cluster

    out = tmp_path / "cluster.json"
    result = bench_cluster.main(
        [
            "--draws",
            "96",
            "--chunk-sizes",
            "48",
            "--split-chunk",
            "48",
            "--noop-tasks",
            "10",
            "--idle-seconds",
            "1",
            "--json",
            str(out),
        ]
    )
    assert result["draws"] == 96 and result["dask"][0]["chunks"] == result["pool"][0]["chunks"] == 2
    written = json.loads(out.read_text())
    assert written["in_process"][0]["draws_per_second"] > 0 and written["summary"]["peak_rss_mb"] > 0
    assert "vs in-process" in capsys.readouterr().out
