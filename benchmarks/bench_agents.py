"""Benchmark of the agent model at Gwangmyeong scale, side by side with its pure-Python twin
and BoARIO's per-step cost on a table of the same size.

Run: ``PYTHONPATH=. python benchmarks/bench_agents.py [--scale 1.0] [--repeats 5] [--draws 1000]
[--json benchmarks/results/bench_agents.json]``. Prints a table and one JSON line (written to
``--json`` too). The twin runs a few months and its time is extrapolated per contract (said so
in the table). Every figure has its wall time and its CPU time (all threads of the process), and
the machine's load average is recorded: on a shared machine the wall times are noisy and the CPU
times and the ratios measured side by side in this one run are the figures to compare. BoARIO
(``pip install boario progressbar2``) is optional.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import threadpoolctl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import numba  # noqa: E402
from _record import write_result  # noqa: E402

import simengine  # noqa: E402
from simengine.agents import AgentCircuit, AgentParameters, BudgetCells, Households, generate_firms  # noqa: E402
from simengine.agents.model import pack_inputs  # noqa: E402
from simengine.agents.montecarlo import draw_keys, run_draws  # noqa: E402
from simengine.local_economy import LocalEconomy  # noqa: E402


def _cpu_timed(function) -> tuple[float, float]:
    """Wall and CPU seconds (all threads) of one call."""
    start, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - start, time.process_time() - cpu


def _boario_step_seconds(n_sectors: int, steps: int) -> tuple[float, float] | None:
    """Wall and CPU seconds per step of BoARIO's ARIOPsiModel on ``n_sectors`` sectors x 2 regions,
    on one core as the agent kernel (BLAS pinned to one thread: on a shared machine BLAS's own
    threads wait for cores that other jobs hold, which made BoARIO's steps ten times slower)."""
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
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        start, cpu = time.perf_counter(), time.process_time()
        simulation.loop()
    return (time.perf_counter() - start) / steps, (time.process_time() - cpu) / steps


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
    parser.add_argument("--json", type=Path, default=None, help="also write the JSON result to this file")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    periods = 120
    economy = LocalEconomy.from_table(simengine.load_table("korea-2014"))
    circuit = AgentCircuit.for_economy(economy)
    cells = BudgetCells.gwangmyeong_example(economy).scaled(args.scale)
    firms = generate_firms(economy, cells, circuit, n_firms=max(int(25_000 * args.scale), 200), seed=0)
    inputs = pack_inputs(economy, circuit, cells, (), firms, Households.by_income_quintile(circuit), AgentParameters())
    key = draw_keys(0, 1)
    run_draws(inputs, key, 2, workers=1)  # warm numba (compiled or loaded from cache)

    single_runs = [_cpu_timed(lambda: run_draws(inputs, key, periods, workers=1)) for _ in range(args.repeats)]
    single = [wall for wall, _ in single_runs]
    single_cpu = statistics.median(cpu for _, cpu in single_runs)
    contracts = run_draws(inputs, key, periods, workers=1).contracts
    per_contract_period = statistics.median(single) / contracts

    import reference

    twin_start, twin_cpu = time.perf_counter(), time.process_time()
    twin_period = reference.run_periods(int(key[0]), args.twin_periods, *inputs.arrays())[0]
    twin_seconds, twin_cpu = time.perf_counter() - twin_start, time.process_time() - twin_cpu
    twin_contracts = sum(row[3] for row in twin_period)
    twin_full = twin_seconds / max(twin_contracts, 1) * contracts
    twin_full_cpu = twin_cpu / max(twin_contracts, 1) * contracts

    keys = draw_keys(1, args.draws)
    one_thread = keys[: args.draws_one_thread or args.draws]
    mc1, mc1_cpu = _cpu_timed(lambda: run_draws(inputs, one_thread, periods, workers=1))
    mc1 *= len(keys) / len(one_thread)  # per-draw time x draws (said so in the table)
    mc1_cpu *= len(keys) / len(one_thread)
    mc2, mc2_cpu = _cpu_timed(lambda: run_draws(inputs, keys, periods, workers=2))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    boario = None if args.no_boario else _boario_step_seconds(len(economy.sectors), 24)
    per_period = statistics.median(single) / periods
    per_period_cpu = single_cpu / periods

    result = {
        "firms": len(firms),
        "contracts_per_run": contracts,
        "periods": periods,
        "sectors": len(economy.sectors),
        "run_seconds_median": statistics.median(single),
        "run_seconds_min": min(single),
        "run_seconds_max": max(single),
        "run_cpu_seconds_median": single_cpu,
        "per_period_seconds": per_period,
        "per_period_cpu_seconds": per_period_cpu,
        "twin_seconds_extrapolated": twin_full,
        "twin_cpu_seconds_extrapolated": twin_full_cpu,
        "twin_ratio": twin_full / statistics.median(single),
        "twin_cpu_ratio": twin_full_cpu / single_cpu,
        "twin_measured_contracts": twin_contracts,
        "draws": args.draws,
        "draws_one_thread_measured": len(one_thread),
        "monte_carlo_seconds_1_thread": mc1,
        "monte_carlo_cpu_seconds_1_thread": mc1_cpu,
        "monte_carlo_seconds_2_threads": mc2,
        "monte_carlo_cpu_seconds_2_threads": mc2_cpu,
        "speedup_2_threads": mc1 / mc2,
        "peak_rss_mb": peak_mb,
        "boario_step_seconds": None if boario is None else boario[0],
        "boario_step_cpu_seconds": None if boario is None else boario[1],
        "boario_ratio": None if boario is None else boario[0] / per_period,
        "boario_cpu_ratio": None if boario is None else boario[1] / per_period_cpu,
        "per_contract_period_seconds": per_contract_period,
        "load_average_before": load_before[0],
        "load_average_after": os.getloadavg()[0],
        "cores": os.cpu_count(),
        "numba": numba.__version__,
    }
    print(f"{'measure':56s} {'wall':>10s} {'cpu':>10s}")
    print(
        f"{'one 10-year run, 1 core, median (s)':56s} {result['run_seconds_median']:10.3f} {single_cpu:10.3f}"
        f"  [wall {result['run_seconds_min']:.3f}-{result['run_seconds_max']:.3f}]"
    )
    print(f"{'  per monthly period (ms)':56s} {1e3 * per_period:10.3f} {1e3 * per_period_cpu:10.3f}")
    print(f"{'pure-Python twin, extrapolated per contract (s)':56s} {twin_full:10.1f} {twin_full_cpu:10.1f}")
    print(f"{'  speed ratio numba / twin':56s} {result['twin_ratio']:9.0f}x {result['twin_cpu_ratio']:9.0f}x")
    scaled = "" if len(one_thread) == len(keys) else f" (from {len(one_thread)} draws)"
    print(f"{f'{args.draws} draws, 1 thread (s){scaled}':56s} {mc1:10.2f} {mc1_cpu:10.2f}")
    print(f"{f'{args.draws} draws, 2 threads (s)':56s} {mc2:10.2f} {mc2_cpu:10.2f}  speedup {mc1 / mc2:.2f}")
    print(f"{'peak resident memory (MB)':56s} {peak_mb:10.0f}")
    if boario is not None:
        print(
            f"{'BoARIO ARIOPsiModel per step, same sectors x 2 regions (ms)':56s} {1e3 * boario[0]:10.3f}"
            f" {1e3 * boario[1]:10.3f}  BoARIO step / agent period {result['boario_ratio']:.2f} (wall), "
            f"{result['boario_cpu_ratio']:.2f} (cpu)"
        )
    print(f"{'load average (1 min) before / after':56s} {load_before[0]:10.1f} {result['load_average_after']:10.1f}")
    print(json.dumps(result))
    if args.json is not None:
        write_result(args.json, "bench_agents", result, argv)
    return result


if __name__ == "__main__":
    main()
