"""Smoke test: the uncertainty-comparison benchmark runs at its smallest size (no timing asserted)."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


def test_uncertainty_benchmark_runs_smallest_size(tmp_path, capsys):
    import bench_uncertainty

    out = tmp_path / "uncertainty.json"
    result = bench_uncertainty.main(["--draws", "4", "--scalar", "1", "--json", str(out)])
    assert result["scenarios"] == 12 and all(rate > 0 for rate in result["scenario_draws_per_second"].values())
    assert json.loads(out.read_text())["draws"] == 4 and "scenario-draws/s" in capsys.readouterr().out
