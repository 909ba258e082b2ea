"""Smoke test: the balancing benchmark runs at its smallest size (no timing asserted)."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


def test_balance_benchmark_runs_smallest_size_and_writes_its_record(tmp_path):
    import bench_balance

    out = tmp_path / "balance.json"
    result = bench_balance.main(["--sizes", "20", "--repeats", "1", "--json", str(out)])
    (row,) = result["rows"]
    assert row["size"] == 20 and row["ras_sweeps"] > 0 and row["gras_sweeps"] > 0
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["benchmark"] == "bench_balance" and written["rows"] == result["rows"]
