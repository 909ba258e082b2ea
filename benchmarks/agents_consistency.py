"""Consistency of the agent model with the analytic circuit on the shipped Gwangmyeong baseline.

Run: ``python benchmarks/agents_consistency.py [--draws 20] [--years 10] [--long-years 100] [--json out.json]``.
Prints, for the default settings of ``scenarios/agents_baseline.toml``: local output per local
award (awarded value) in the agent run, per outside-funded local award against the analytic
circuit for the realised award mix, the circuit stock relative to a year's local awards, and
the same by decade of one long run. Prints one JSON line at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _record import write_result  # noqa: E402

from simengine.agent_adapter import agent_inputs  # noqa: E402
from simengine.agents import AgentParameters, simulate  # noqa: E402
from simengine.agents.consistency import per_local_award  # noqa: E402
from simengine.region_context import region_context  # noqa: E402
from simengine.scenario import load_scenario  # noqa: E402

BASELINE = str(Path(__file__).resolve().parents[1] / "scenarios" / "agents_baseline.toml")


def baseline_inputs(path: str = BASELINE):
    """Economy, analytic parameters, agent circuit, cells and firms of a scenario's baseline (as an
    agent-mode run builds them, :func:`simengine.agent_adapter.agent_inputs`)."""
    scenario = load_scenario(path)
    context = region_context(scenario.scenario.region)
    _, circuit, cells, _, firms = agent_inputs(scenario, context)
    return context.economy, context.parameters, circuit, cells, firms, scenario.scenario.seed


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--draws", type=int, default=20)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--long-years", type=int, default=100)
    parser.add_argument("--json", type=Path, help="also write the result as JSON to this file")
    args = parser.parse_args(argv)
    economy, parameters, circuit, cells, firms, seed = baseline_inputs()
    behaviour = AgentParameters()
    start = time.perf_counter()
    ds = simulate(
        economy, circuit, cells, periods=12 * args.years, seed=seed, draws=args.draws, firms=firms, parameters=behaviour
    )
    agent, analytic = per_local_award(ds, economy, parameters, slice(12, None))
    awarded = (ds["local_output"].sum(["time", "sector"]) / ds["local_awards"].sum("time")).values.ravel()
    year_local = float(ds["local_awards"].isel(time=slice(-12, None)).sum("time").mean())
    stock = float(ds["circuit_stock"].isel(time=-1).mean())
    share = float(ds["local_awards"].sum() / ds["budget"].sum())
    out = {
        "years": args.years,
        "draws": args.draws,
        "output_per_local_award": float(awarded.mean()),
        "output_per_local_award_se": float(awarded.std(ddof=1) / np.sqrt(len(awarded))),
        "local_award_share": share,
        "stock_over_year_local_awards": stock / year_local,
    }
    for name in agent:
        out[f"{name}_per_funded_award"] = float(agent[name].mean())
        out[f"{name}_analytic"] = analytic[name]
    print(f"{args.years} years, {args.draws} draws ({time.perf_counter() - start:.1f} s)")
    print(f"  output per local award (awarded)  {awarded.mean():.4f} (s.e. {out['output_per_local_award_se']:.4f})")
    for name in agent:
        print(f"  {name} per outside-funded local award  agent {agent[name].mean():.5f}  analytic {analytic[name]:.5f}")
    print(f"  local award share {share:.4f}; stock at the end = {stock / year_local:.3f} x a year's local awards")
    if args.long_years:
        long = simulate(
            economy, circuit, cells, periods=12 * args.long_years, seed=seed, draws=1, firms=firms, parameters=behaviour
        )
        decades = []
        for decade in range(args.long_years // 10):
            months = slice(120 * decade, 120 * (decade + 1))
            window = long.isel(time=months)
            ratio = float(window["local_output"].sum() / window["local_awards"].sum())
            funded, reference = per_local_award(long, economy, parameters, months)
            decades.append(
                {
                    "decade": decade + 1,
                    "output_per_local_award": ratio,
                    "output_per_funded_award": float(funded["local_output"][0]),
                    "analytic": reference["local_output"],
                    "stock": float(window["circuit_stock"].isel(time=-1).sum()),
                    "year_local_awards": float(window["local_awards"].isel(time=slice(-12, None)).sum()),
                }
            )
        last = long.isel(time=slice(-12, None))
        out["last_year_output_per_local_award"] = float(last["local_output"].sum() / last["local_awards"].sum())
        out["last_stock"] = float(long["circuit_stock"].isel(time=-1).sum())
        out["decades"] = decades
        print(f"{args.long_years}-year run, 1 draw")
        for row in decades:
            print(
                f"  decade {row['decade']:3d}: output/local award {row['output_per_local_award']:.4f}, "
                f"per funded {row['output_per_funded_award']:.4f} vs analytic {row['analytic']:.4f}, "
                f"stock {row['stock']:,.0f} = {row['stock'] / row['year_local_awards']:.3f} x a year's local awards"
            )
        print(f"  last year: output per local award {out['last_year_output_per_local_award']:.4f}")
    out["seconds"] = time.perf_counter() - start
    print(json.dumps(out))
    if args.json is not None:
        write_result(args.json, "agents_consistency", out, argv)
    return out


if __name__ == "__main__":
    main()
