"""Batch throughput on the user's path (``run_batch`` with the results file written) on the shipped
Gwangmyeong model, side by side in one run with pymrio (one IOSystem per scenario), numpy GEMM
on the same propagation shape and the scenario-by-scenario path.

Run: ``PYTHONPATH=. python benchmarks/bench_batch.py [--draws 10000] [--points 10000] [--json out.json]``.

Rows of the table (rates count scenario-draws: a scenario under one draw of the response
parameters; each is ``years`` right-hand-side columns):

- ``run_batch headline``: the shipped batch (``scenarios/batch_gwangmyeong.toml``, 12
  scenarios) with ``[uncertainty] draws = --draws``, ``headline=True``, written with
  ``save_result``: the totals a ranking needs per scenario, draw and year;
- ``run_batch full accounts``: a random sweep of ``--points`` points of the combined package
  (``lever[0].target``, ``lever[4].min_local_subcontract_share``), per-sector accounts, written;
- ``run_batch scenario by scenario``: the same sweep's first points with ``arrays=False``
  (one model and one Dataset per point: the path ``simengine batch`` took before);
- ``pymrio calc_all per scenario``: per scenario, an ``IOSystem`` with the circuit's closed
  coefficients as ``A`` and the scenario's yearly local spending as ``Y``, then ``calc_all()``;
  timed on a sample and given per scenario;
- ``numpy GEMM L @ F``: the explicit circuit inverse times right-hand sides of the headline
  run's shape (accounts x scenario-draw-years), the machine's limit for the propagation; the
  headline row's ``propagation_vs_gemm`` is its propagation step's rate (columns per second of
  the ``solve`` part of its split) over GEMM's, ``ratio_vs_gemm`` the whole path's;
- ``workers``: the ``--workers-points`` sweep in this thread and on two worker threads
  (``batch_executor(2)``, what ``--workers 2`` uses), full accounts and headline, written;
- ``coefficient draws``: draws that change circuit parameters (``[circuit]`` overrides), one
  factorisation per draw, through ``run_scenarios`` and through the core path.

Each ``run_batch`` row reports its time split (``timings``: levers, solve, provenance, result
building) plus writing; the in-process headline and full-accounts rows also their rate per CPU
second of this process (``scenarios_per_cpu_second``: what one idle core would do, whatever the
load of the machine). Timings are the minimum of ``--repeats`` warm runs. Prints a table and one JSON
line; ``--json PATH`` also writes it (the committed copy is ``benchmarks/results/bench_batch.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from _record import write_result
from _timing import best_of, timed

from simengine.batch import available_cores, batch_executor
from simengine.circuit import Circuit
from simengine.evaluation import prepare as _prepare
from simengine.levers.local_coexistence_plan import LocalCoexistencePlan
from simengine.levers.local_share_target import LocalShareTarget
from simengine.region_context import region_context
from simengine.region_context import with_values as _with_values
from simengine.results import save_result
from simengine.runner import run_batch, run_scenarios
from simengine.scenario import load_scenario
from simengine.scenario.schema import Scenario

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "gwangmyeong_baseline.toml"

#: Appraisal settings under which a run is the plain IO propagation of its spending.
PLAIN_APPRAISAL = {"financing": "new_money", "premium": "as_spending", "feedback": False, "productivity_growth": 0.0}
#: Relative tolerance for pymrio's gross output against simengine's (both solve the same system).
PYMRIO_RTOL = 1e-9


def final_demand_draws(base: Scenario, n_draws: int, *, seed: int) -> list[Scenario]:
    """Lever draws that change only local award shares, so every draw shares one circuit.

    Each draw sets a local share target (random sector of the budget, target in [0.3, 0.95],
    ramp 0-3 years) and a coexistence plan for large construction (subcontract share in [0, 0.5]).
    Models are built with ``model_copy`` (no validation: the levers are valid by construction).
    """
    rng = np.random.default_rng(seed)
    sectors = sorted({cell.sector for cell in base.budget.cell})
    draws = []
    for k in range(n_draws):
        levers = [
            LocalShareTarget(
                kind="local_share_target",
                sector=sectors[int(rng.integers(len(sectors)))],
                target=float(rng.uniform(0.3, 0.95)),
                ramp_years=int(rng.integers(0, 4)),
            ),
            LocalCoexistencePlan(
                kind="local_coexistence_plan",
                sector="F",
                size_class="large",
                min_local_subcontract_share=float(rng.uniform(0.0, 0.5)),
                ramp_years=2,
            ),
        ]
        info = base.scenario.model_copy(update={"id": f"draw-{k:05d}"})
        draws.append(base.model_copy(update={"scenario": info, "lever": levers}))
    return draws


def coefficient_draws(base: Scenario, n_draws: int, *, seed: int) -> list[Scenario]:
    """Draws of :func:`final_demand_draws` that also override two circuit parameters.

    Household local consumption share in [0.2, 0.6] and reinvestment rate in [0.1, 0.5]
    (``[circuit]``): every draw has its own circuit, hence its own factorisation.
    """
    rng = np.random.default_rng(seed + 1)
    draws = []
    for draw in final_demand_draws(base, n_draws, seed=seed):
        circuit = draw.circuit.model_copy(
            update={
                "household_local_consumption_share": float(rng.uniform(0.2, 0.6)),
                "reinvestment_rate": float(rng.uniform(0.1, 0.5)),
            }
        )
        draws.append(draw.model_copy(update={"circuit": circuit}))
    return draws


def circuit_inputs(scenarios: list[Scenario]) -> tuple[list[Circuit | None], list[np.ndarray]]:
    """Per scenario: the circuit parameters of its first year and its local spending (n, years)."""
    context = region_context(scenarios[0].scenario.region)
    prepared = [_prepare(s, context) for s in scenarios]
    parameters = [_with_values(context, p.circuit_values[0]) for p in prepared]
    return parameters, [p.local_spending for p in prepared]


def pymrio_gross_output(coefficients, accounts: list[str], spending: np.ndarray, years: list[int]) -> np.ndarray:
    """Gross output of every circuit account over the horizon by pymrio (money), shape (n + 3,).

    One ``IOSystem`` with ``A`` = the closed coefficients and ``Y`` = one column per year of
    local spending (zero on the institution rows), then ``calc_all()``: ``x = L Y 1``.
    """
    import pandas as pd
    import pymrio

    index = pd.MultiIndex.from_product([["gwangmyeong"], accounts], names=["region", "sector"])
    columns = pd.MultiIndex.from_product([["gwangmyeong"], [str(y) for y in years]], names=["region", "category"])
    demand = np.zeros((len(accounts), len(years)))
    demand[: spending.shape[0]] = spending
    system = pymrio.IOSystem(
        A=pd.DataFrame(coefficients, index=index, columns=index), Y=pd.DataFrame(demand, index=index, columns=columns)
    )
    system.calc_all()
    return system.x.to_numpy().ravel()


def _row(method: str, draws: int, seconds: float, years: int, **extra) -> dict:
    return {
        "method": method,
        "draws": draws,
        "seconds": seconds,
        "scenarios_per_second": draws / seconds,
        "columns_per_second": draws * years / seconds,
        **extra,
    }


def _batch_files(folder: Path, *, draws: int, points: int, seed: int) -> tuple[Path, Path]:
    """The shipped batch with ``draws`` uncertainty draws, and a random sweep of ``points`` points."""
    scenarios = BASELINE.parent
    shipped = (scenarios / "batch_gwangmyeong.toml").read_text()
    for name in (
        "gwangmyeong_baseline.toml",
        "construction_local60.toml",
        "small_contracts.toml",
        "local_contribution.toml",
        "coexistence_plan.toml",
        "combined_package.toml",
    ):
        shipped = shipped.replace(f'"{name}"', f'"{scenarios / name}"')
    shipped = shipped.replace("draws = 2000", f"draws = {draws}")
    uncertain = folder / "uncertain.toml"
    uncertain.write_text(shipped)
    sweep = folder / "sweep.toml"
    sweep.write_text(
        f'schema_version = 1\nbaseline = "{BASELINE}"\n[batch]\nid = "sweep"\ntitle = "random sweep"\n'
        f'[sweep]\nbase = "{scenarios / "combined_package.toml"}"\nmethod = "random"\ndraws = {points}\n'
        f"seed = {seed}\n"
        '[[sweep.parameter]]\npath = "lever[0].target"\nlow = 0.3\nhigh = 0.95\n'
        '[[sweep.parameter]]\npath = "lever[4].min_local_subcontract_share"\nlow = 0.0\nhigh = 0.5\n'
    )
    return uncertain, sweep


def _user_path(batch: Path, out: Path, repeats: int, **options) -> tuple[float, dict, int, float]:
    """Best of ``repeats`` runs of ``run_batch`` plus ``save_result``: seconds, time split,
    scenario-draws and the CPU seconds of this process in that run."""
    best, split, size, cpu = np.inf, {}, 0, 0.0
    run_batch(batch, **options)  # warm
    for _ in range(repeats):
        timings: dict[str, float] = {}
        start, clock = time.perf_counter(), time.process_time()
        outcome = run_batch(batch, timings=timings, **options)
        mark = time.perf_counter()
        save_result(outcome.results, out, overwrite=True)
        end = time.perf_counter()
        if end - start < best:
            best, cpu = end - start, time.process_time() - clock
            split = {**{k: v for k, v in timings.items() if k != "wall"}, "writing": end - mark}
            size = outcome.results.sizes["scenario"] * outcome.results.sizes.get("draw", 1)
    return best, split, size, cpu


def measure(
    *,
    draws: int = 10_000,
    points: int = 10_000,
    workers_points: int = 10_000,
    scalar_sample: int = 200,
    repeats: int = 3,
    pymrio_sample: int = 20,
    coefficient_sample: int = 200,
    seed: int = 0,
) -> dict:
    """Run every measurement once (minimum of ``repeats`` warm runs each); returns the rows and facts."""
    base = load_scenario(BASELINE)
    context = region_context(base.scenario.region)
    years = list(base.scenario.years)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        uncertain, sweep = _batch_files(folder, draws=draws, points=points, seed=seed)
        out = folder / "out.nc"
        seconds, split, size, cpu = _user_path(uncertain, out, repeats, headline=True)
        headline_columns = size * len(years)
        rows.append(
            _row(
                f"run_batch headline, written (12 scenarios x {draws} draws)",
                size,
                seconds,
                len(years),
                split=split,
                scenarios_per_cpu_second=size / cpu,
            )
        )
        seconds, split, size, cpu = _user_path(sweep, out, repeats)
        rows.append(
            _row(
                f"run_batch full accounts, written ({points} sweep points)",
                size,
                seconds,
                len(years),
                split=split,
                scenarios_per_cpu_second=size / cpu,
            )
        )
        _, small = _batch_files(folder / ".." / folder.name, draws=1, points=scalar_sample, seed=seed)
        seconds, split, size, _ = _user_path(small, out, 1, arrays=False)
        rows.append(
            _row(
                f"run_batch scenario by scenario, written ({scalar_sample} sweep points)",
                size,
                seconds,
                len(years),
                split=split,
            )
        )
        _, parallel = _batch_files(folder / ".." / folder.name, draws=1, points=workers_points, seed=seed)
        for headline in (False, True):
            kind = "headline" if headline else "full accounts"
            seconds, split, size, _ = _user_path(parallel, out, repeats, headline=headline)
            rows.append(_row(f"workers=1, {kind} ({workers_points} points)", size, seconds, len(years), split=split))
            with batch_executor(2) as executor:
                seconds, split, size, _ = _user_path(parallel, out, repeats, headline=headline, executor=executor)
            rows.append(_row(f"workers=2, {kind} ({workers_points} points)", size, seconds, len(years), split=split))

    scenarios = final_demand_draws(base, max(pymrio_sample, 2), seed=seed)
    parameters, spending_by_draw = circuit_inputs(scenarios)
    circuit = Circuit(context.economy, parameters[0])
    # GEMM on the headline run's propagation shape (accounts x scenario-draw-years), timed on at
    # most 200,000 columns (the rate per column is flat well before that)
    sample_columns = min(headline_columns, 200_000)
    rng = np.random.default_rng(seed)
    injection = np.zeros((len(circuit.accounts), sample_columns))
    injection[: len(context.economy.sectors)] = rng.random((len(context.economy.sectors), sample_columns))
    inverse = circuit._system.inverse()
    gemm_seconds = best_of(lambda: inverse @ injection, repeats) * headline_columns / sample_columns
    rows.append(
        _row(
            "numpy GEMM L @ F, headline shape (machine limit)", headline_columns // len(years), gemm_seconds, len(years)
        )
    )

    pymrio_seconds = None
    try:
        import pymrio  # noqa: F401
    except ImportError:
        pymrio = None
    if pymrio is not None and pymrio_sample > 0:
        sample = range(pymrio_sample)
        accounts = list(circuit.accounts)
        # The check compares the plain IO propagation both solve: the decision channels of the
        # appraisal (financing, premium as a transfer, feedback, productivity growth) switched off.
        plain = [
            scenarios[k].model_copy(update={"appraisal": scenarios[k].appraisal.model_copy(update=PLAIN_APPRAISAL)})
            for k in sample
        ]
        _, plain_spending = circuit_inputs(plain)
        results = run_scenarios(plain)
        for k, ds in zip(sample, results, strict=True):
            x = pymrio_gross_output(circuit.coefficients.values, accounts, plain_spending[k], years)
            ours = circuit.impact(plain_spending[k].sum(axis=1))
            expected = np.concatenate(
                [
                    ds["local_output"].sum("time").values.ravel(),
                    [float(ours[name]) for name in ("household_income", "city_tax_revenue", "reinvestment")],
                ]
            )
            np.testing.assert_allclose(x, expected, rtol=PYMRIO_RTOL)

        def pymrio_sample_run():
            for k in sample:
                pymrio_gross_output(circuit.coefficients.values, accounts, spending_by_draw[k], years)

        pymrio_seconds = best_of(pymrio_sample_run, repeats) / len(sample)
        rows.append(_row(f"pymrio calc_all per scenario (sample {len(sample)})", 1, pymrio_seconds, len(years)))

    changing = coefficient_draws(base, coefficient_sample, seed=seed)
    changing_parameters, changing_spending = circuit_inputs(changing)
    run_scenarios(changing[:2])
    rows.append(
        _row(
            "coefficient draws: run_scenarios (1 LU each)",
            coefficient_sample,
            min(timed(lambda: run_scenarios(changing), repeats)),
            len(years),
        )
    )

    def changing_core():
        for p, s in zip(changing_parameters, changing_spending, strict=True):
            Circuit(context.economy, p).impact(s)

    rows.append(
        _row(
            "coefficient draws: core Circuit + impact", coefficient_sample, best_of(changing_core, repeats), len(years)
        )
    )

    gemm_rate = headline_columns / gemm_seconds
    pymrio_rate = None if pymrio_seconds is None else 1 / pymrio_seconds
    for row in rows:
        row["ratio_vs_gemm"] = row["columns_per_second"] / gemm_rate
        row["ratio_vs_pymrio"] = None if pymrio_rate is None else row["scenarios_per_second"] / pymrio_rate
    # the propagation step alone: the headline run's columns per second of its solve step
    # (multiplier rows times the spending), as a fraction of GEMM's columns per second
    rows[0]["propagation_vs_gemm"] = gemm_seconds / rows[0]["split"]["solve"]
    by_name = {row["method"].split(",")[0].split(" (")[0]: row for row in rows}
    headline_row, full_row = rows[0], rows[1]
    workers = {r["method"]: r["seconds"] for r in rows if r["method"].startswith("workers=")}
    pairs = sorted({m.split(", ", 1)[1] for m in workers})
    return {
        "draws": draws,
        "points": points,
        "years": len(years),
        "accounts": len(circuit.accounts),
        "repeats": repeats,
        "rhs_columns": int(headline_columns),
        "cores": available_cores(),
        "rows": rows,
        "goals": {
            "headline >= 100,000 scenario-draws/s": headline_row["scenarios_per_second"] >= 100_000,
            "headline >= 100,000 scenario-draws per CPU second": headline_row["scenarios_per_cpu_second"] >= 100_000,
            "headline >= 100x pymrio": headline_row["ratio_vs_pymrio"] is not None
            and headline_row["ratio_vs_pymrio"] >= 100,
            "headline propagation step >= 30% of GEMM": headline_row["propagation_vs_gemm"] >= 0.3,
            "full accounts >= 10,000 scenarios/s": full_row["scenarios_per_second"] >= 10_000,
            **{
                f"2 workers beat 1 ({pair})": workers[f"workers=2, {pair}"] < workers[f"workers=1, {pair}"]
                for pair in pairs
            },
        },
        "methods": sorted(by_name),
    }


def format_table(result: dict) -> str:
    """The rows as a fixed-width text table, each run_batch row followed by its time split."""
    lines = [f"{'method':66s} {'scen-draws':>10s} {'seconds':>9s} {'per s':>11s} {'vs pymrio':>10s} {'vs GEMM':>8s}"]
    for r in result["rows"]:
        vs_pymrio = "-" if r["ratio_vs_pymrio"] is None else f"{r['ratio_vs_pymrio']:.0f}x"
        lines.append(
            f"{r['method']:66s} {r['draws']:10d} {r['seconds']:9.4f} {r['scenarios_per_second']:11.0f} "
            f"{vs_pymrio:>10s} {r['ratio_vs_gemm']:8.4f}"
        )
        if "split" in r:
            lines.append("    split: " + ", ".join(f"{k} {v:.3f} s" for k, v in r["split"].items() if v))
        if "propagation_vs_gemm" in r:
            lines.append(f"    propagation step vs GEMM: {r['propagation_vs_gemm']:.3f}")
    lines.extend(f"goal {name}: {'met' if met else 'NOT met'}" for name, met in result["goals"].items())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--draws", type=int, default=10_000, help="uncertainty draws of the headline run")
    parser.add_argument("--points", type=int, default=10_000, help="sweep points of the full-accounts run")
    parser.add_argument("--workers-points", type=int, default=10_000, help="sweep points of the workers rows")
    parser.add_argument("--scalar-sample", type=int, default=200, help="points run scenario by scenario")
    parser.add_argument("--repeats", type=int, default=3, help="warm runs per measurement (minimum reported)")
    parser.add_argument("--pymrio-sample", type=int, default=20, help="scenarios run through pymrio (0: skip)")
    parser.add_argument("--coefficient-draws", type=int, default=200, help="draws that change circuit parameters")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the result as JSON to this file")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    result = measure(
        draws=args.draws,
        points=args.points,
        workers_points=args.workers_points,
        scalar_sample=args.scalar_sample,
        repeats=args.repeats,
        pymrio_sample=args.pymrio_sample,
        coefficient_sample=args.coefficient_draws,
        seed=args.seed,
    )
    result["wall_seconds"] = time.perf_counter() - start
    result["load_average"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    print(
        f"Gwangmyeong, {result['years']} years, {result['accounts']} circuit accounts, {result['cores']} cores "
        f"(load average {result['load_average']}); minimum of {args.repeats} warm runs"
    )
    print(format_table(result))
    print(json.dumps(result))
    if args.json is not None:
        write_result(args.json, "bench_batch", result, argv)
    return result


if __name__ == "__main__":
    main()
