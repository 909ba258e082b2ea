"""Throughput of the uncertainty comparison (:func:`simengine.uncertainty.uncertainty_compare`) on the
12 scenarios of the shipped Gwangmyeong batch, side by side with one ``run_scenario`` per scenario-draw.

Run: ``PYTHONPATH=. python benchmarks/bench_uncertainty.py [--draws 20000] [--scalar 24] [--json out.json]``.

Scenario-draws per second count one scenario under one joint draw of the response parameters
(5 annual right-hand-side columns each). The scalar row runs ``--scalar`` draws of every scenario
through :func:`simengine.batch.run_scenarios` (a pydantic model and a Dataset per scenario-draw).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from simengine.batch import run_scenarios
from simengine.scenario import load_batch
from simengine.scenario.batch import expand_batch
from simengine.uncertainty import draw_parameters, response_priors, uncertainty_compare, with_responses

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
    rows = {
        "uncertainty_compare (draw axis)": len(scenarios) * args.draws / array_seconds,
        "run_scenarios, one scenario-draw each": len(members) / scalar_seconds,
    }
    result = {
        "scenarios": len(scenarios),
        "draws": args.draws,
        "scenario_draws_per_second": rows,
        "ratio": rows["uncertainty_compare (draw axis)"] / rows["run_scenarios, one scenario-draw each"],
    }
    for name, rate in rows.items():
        print(f"{name:<42} {rate:>12,.0f} scenario-draws/s")
    print(f"ratio {result['ratio']:.0f}x (same run, loaded shared machine)")
    print(json.dumps(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
