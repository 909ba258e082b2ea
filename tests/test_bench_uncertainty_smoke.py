"""Smoke test: the uncertainty-comparison benchmark runs at its smallest size (no timing asserted)."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


def test_uncertainty_benchmark_runs_smallest_size(tmp_path, capsys):
    import bench_uncertainty

    out = tmp_path / "uncertainty.json"
    result = bench_uncertainty.main(["--draws", "4", "--scalar", "1", "--json", str(out)])
    assert result["scenarios"] == 12 and all(row["scenario_draws_per_second"] > 0 for row in result["rows"])
    written = json.loads(out.read_text())
    assert written["draws"] == 4 and written["benchmark"] == "bench_uncertainty" and written["machine"]["cpus"] >= 1
    assert "scenario-draws/s" in capsys.readouterr().out
