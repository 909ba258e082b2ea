"""Benchmark of the agent model at Gwangmyeong scale, side by side with its pure-Python twin
and BoARIO's per-step cost on a table of the same size.

Run: ``PYTHONPATH=. python benchmarks/bench_agents.py [--scale 1.0] [--repeats 5] [--draws 1000]``.
Prints a table and one JSON line. The twin runs at a reduced size and its time is
extrapolated per contract-period (said so in the table).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _record import write_result  # noqa: E402
from _timing import timed  # noqa: E402

import simengine  # noqa: E402
from simengine.agents import AgentCircuit, AgentParameters, BudgetCells, Households, generate_firms  # noqa: E402
from simengine.agents.model import pack_inputs  # noqa: E402
from simengine.agents.montecarlo import draw_keys, run_draws  # noqa: E402
from simengine.local_economy import LocalEconomy  # noqa: E402


def _boario_step_seconds(n_sectors: int, steps: int) -> float | None:
    try:
        import pymrio
        from boario.extended_models import ARIOPsiModel
        from boario.simulation import Simulation
    except ImportError:
        return None
    rng = np.random.default_rng(0)
    labels = [f"s{i}" for i in range(n_sectors)]
    import pandas as pd

    index = pd.MultiIndex.from_product([["city", "rest"], labels], names=["region", "sector"])
    Z = pd.DataFrame(rng.uniform(0, 10, (2 * n_sectors, 2 * n_sectors)), index=index, columns=index)
    fd_cols = pd.MultiIndex.from_product([["city", "rest"], ["final"]], names=["region", "category"])
    Y = pd.DataFrame(rng.uniform(50, 100, (2 * n_sectors, 2)), index=index, columns=fd_cols)
    mrio = pymrio.IOSystem(Z=Z, Y=Y, unit=pd.DataFrame({"unit": ["M"] * (2 * n_sectors)}, index=index))
    mrio.calc_all()
    model = ARIOPsiModel(mrio)
    simulation = Simulation(model, n_temporal_units_to_sim=steps)
    start = time.perf_counter()
    simulation.loop()
    return (time.perf_counter() - start) / steps


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the Gwangmyeong size")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--draws", type=int, default=1000, help="Monte Carlo draws on 2 threads")
    parser.add_argument(
        "--draws-one-thread", type=int, default=None, help="draws on 1 thread (default --draws; time per draw compared)"
    )
    parser.add_argument("--twin-periods", type=int, default=3)
    parser.add_argument("--no-boario", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the result as JSON to this file")
    args = parser.parse_args(argv)
    periods = 120
    economy = LocalEconomy.from_table(simengine.load_table("korea-2014"))
    circuit = AgentCircuit.for_economy(economy)
    cells = BudgetCells.gwangmyeong_example(economy).scaled(args.scale)
    firms = generate_firms(economy, cells, circuit, n_firms=max(int(25_000 * args.scale), 200), seed=0)
    inputs = pack_inputs(economy, circuit, cells, (), firms, Households.by_income_quintile(circuit), AgentParameters())
    key = draw_keys(0, 1)
    run_draws(inputs, key, 2, workers=1)  # warm numba (compiled or loaded from cache)

    single = timed(lambda: run_draws(inputs, key, periods, workers=1), args.repeats)
    contracts = run_draws(inputs, key, periods, workers=1).contracts
    per_contract_period = statistics.median(single) / contracts

    import reference

    twin_start = time.perf_counter()
    twin_period = reference.run_periods(int(key[0]), args.twin_periods, *inputs.arrays())[0]
    twin_seconds = time.perf_counter() - twin_start
    twin_contracts = sum(row[3] for row in twin_period)
    twin_full = twin_seconds / max(twin_contracts, 1) * contracts

    keys = draw_keys(1, args.draws)
    one_thread = keys[: args.draws_one_thread or args.draws]
    mc1 = statistics.median(timed(lambda: run_draws(inputs, one_thread, periods, workers=1), 1))
    mc1 *= len(keys) / len(one_thread)  # per-draw time x draws (said so in the table)
    mc2 = statistics.median(timed(lambda: run_draws(inputs, keys, periods, workers=2), 1))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    boario = None if args.no_boario else _boario_step_seconds(len(economy.sectors), 24)

    result = {
        "firms": len(firms),
        "contracts_per_run": contracts,
        "periods": periods,
        "sectors": len(economy.sectors),
        "run_seconds_median": statistics.median(single),
        "run_seconds_min": min(single),
        "run_seconds_max": max(single),
        "per_period_seconds": statistics.median(single) / periods,
        "twin_seconds_extrapolated": twin_full,
        "twin_ratio": twin_full / statistics.median(single),
        "twin_measured_contracts": twin_contracts,
        "draws": args.draws,
        "monte_carlo_seconds_1_thread": mc1,
        "monte_carlo_seconds_2_threads": mc2,
        "speedup_2_threads": mc1 / mc2,
        "peak_rss_mb": peak_mb,
        "boario_step_seconds": boario,
        "boario_ratio": None if boario is None else boario / (statistics.median(single) / periods),
        "per_contract_period_seconds": per_contract_period,
    }
    print(f"{'measure':52s} {'value':>14s}")
    print(
        f"{'one run, 1 core, median [min-max] (s)':52s} {result['run_seconds_median']:8.3f} "
        f"[{result['run_seconds_min']:.3f}-{result['run_seconds_max']:.3f}]"
    )
    print(f"{'per monthly period (ms)':52s} {1e3 * result['per_period_seconds']:14.2f}")
    print(f"{'pure-Python twin, extrapolated per contract (s)':52s} {twin_full:14.1f}")
    print(f"{'  speed ratio numba / twin':52s} {result['twin_ratio']:13.0f}x")
    scaled = "" if len(one_thread) == len(keys) else f" (from {len(one_thread)} draws)"
    print(f"{f'{args.draws} draws, 1 thread (s){scaled}':52s} {mc1:14.2f}")
    print(f"{f'{args.draws} draws, 2 threads (s)':52s} {mc2:14.2f}  speedup {mc1 / mc2:.2f}")
    print(f"{'peak resident memory (MB)':52s} {peak_mb:14.0f}")
    if boario is not None:
        print(
            f"{'BoARIO ARIOPsiModel per step, same sectors x 2 regions (ms)':52s} {1e3 * boario:14.2f}"
            f"  ratio {result['boario_ratio']:.1f}x"
        )
    print(json.dumps(result))
    if args.json is not None:
        write_result(args.json, "bench_agents", result, argv)
    return result


if __name__ == "__main__":
    main()
