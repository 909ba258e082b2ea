"""Smoke test: the agent benchmark runs at its smallest size (no timing asserted)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


def test_agent_benchmark_runs_smallest_size():
    import bench_agents

    result = bench_agents.main(
        ["--scale", "0.01", "--repeats", "1", "--draws", "2", "--twin-periods", "1", "--no-boario"]
    )
    assert result["contracts_per_run"] > 0 and result["twin_ratio"] > 0
