"""Throughput of the uncertainty comparison (:func:`simengine.uncertainty.uncertainty_compare`) on the
12 scenarios of the shipped Gwangmyeong batch, side by side with one ``run_scenario`` per scenario-draw.

Run: ``python benchmarks/bench_uncertainty.py [--draws 20000] [--scalar 24] [--json out.json]``.

Scenario-draws per second count one scenario under one joint draw of the response parameters
(5 annual right-hand-side columns each). The scalar row runs ``--scalar`` draws of every scenario
through :func:`simengine.batch.run_scenarios` (a pydantic model and a Dataset per scenario-draw).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _record import write_result  # noqa: E402

from simengine.batch import run_scenarios  # noqa: E402
from simengine.scenario import load_batch  # noqa: E402
from simengine.scenario.batch import expand_batch  # noqa: E402
from simengine.uncertainty import draw_parameters, response_priors, uncertainty_compare, with_responses  # noqa: E402

BATCH = Path(__file__).resolve().parents[1] / "scenarios" / "batch_gwangmyeong.toml"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--draws", type=int, default=20_000)
    parser.add_argument("--scalar", type=int, default=24, help="draws run one scenario at a time")
    parser.add_argument("--chunk-size", type=int, default=2048)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    scenarios = expand_batch(load_batch(BATCH))
    uncertainty_compare(scenarios, draws=8, seed=0)  # warm: region context, numba kernels
    start = time.perf_counter()
    uncertainty_compare(scenarios, draws=args.draws, seed=0, chunk_size=args.chunk_size)
    array_seconds = time.perf_counter() - start
    values = draw_parameters(response_priors(scenarios), args.scalar, 0)
    members = [
        with_responses(s, {k: float(v[d]) for k, v in values.items()}) for d in range(args.scalar) for s in scenarios
    ]
    start = time.perf_counter()
    run_scenarios(members)
    scalar_seconds = time.perf_counter() - start
    scalar_rate = len(members) / scalar_seconds
    rows = [
        {
            "path": "`uncertainty_compare`, one process (draw axis)",
            "scenario_draws": len(scenarios) * args.draws,
            "seconds": array_seconds,
            "scenario_draws_per_second": len(scenarios) * args.draws / array_seconds,
        },
        {
            "path": "`run_scenarios`, one member per scenario-draw",
            "scenario_draws": len(members),
            "seconds": scalar_seconds,
            "scenario_draws_per_second": scalar_rate,
        },
    ]
    for row in rows:
        row["ratio"] = row["scenario_draws_per_second"] / scalar_rate
    result = {
        "scenarios": len(scenarios),
        "draws": args.draws,
        "scalar_draws": args.scalar,
        "chunk_size": args.chunk_size,
        "rows": rows,
        "ratio": rows[0]["ratio"],
    }
    for row in rows:
        print(f"{row['path']:<50} {row['scenario_draws_per_second']:>12,.0f} scenario-draws/s")
    print(f"ratio {result['ratio']:.0f}x (same run)")
    print(json.dumps(result))
    if args.json:
        write_result(args.json, "bench_uncertainty", result, argv)
    return result


if __name__ == "__main__":
    main()
