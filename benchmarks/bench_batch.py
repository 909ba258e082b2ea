"""Batch throughput of the scenario runner on the shipped Gwangmyeong model, side by side with
pymrio (one IOSystem per scenario) and with the machine's limit (numpy GEMM and scipy's
``lu_solve`` on the same shapes).

Run: ``PYTHONPATH=. python benchmarks/bench_batch.py [--draws 10000] [--repeats 3] [--json out.json]``.

Rows of the table:

- ``run_scenarios``: the full user path, lever draws (pydantic models, built before timing) to
  one result Dataset per scenario;
- ``headline: Circuit + multiplier rows x F``: the same draws' headline totals (output, value
  added, resident compensation, employment, household income, city tax, reinvestment, leakage
  by channel) as the circuit's multiplier rows (one transposed solve) times the spending matrix;
  lighter than ``L @ F`` because it keeps only the totals, not per-sector arrays.
- ``core: Circuit + impact``: the prepared local-spending matrix, ``n x (draws * years)``,
  through one :class:`~simengine.circuit.Circuit` factorisation and ``impact`` (one matrix solve);
- ``pymrio calc_all``: per scenario, an ``IOSystem`` with the circuit's closed coefficients as
  ``A`` and the draw's yearly local spending as ``Y``, then ``calc_all()``; timed on a sample of
  draws and given per scenario (a favour to pymrio: one system per scenario, not per year);
- ``numpy GEMM L @ F`` and ``scipy lu_solve``: the explicit inverse times the same right-hand
  sides, and the LU solve of them, the machine's limit for this shape;
- ``coefficient draws``: draws that change circuit parameters (``[circuit]`` overrides), one
  factorisation per draw, through ``run_scenarios`` and through the core path.

Scenarios per second count scenarios (each ``years`` right-hand-side columns). Timings are the
minimum of ``--repeats`` warm runs. Prints a table and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
import scipy.linalg
from _record import write_result
from _timing import best_of, timed

from simengine.circuit import Circuit
from simengine.evaluation import prepare as _prepare
from simengine.levers.local_coexistence_plan import LocalCoexistencePlan
from simengine.levers.local_share_target import LocalShareTarget
from simengine.region_context import region_context
from simengine.region_context import with_values as _with_values
from simengine.runner import run_scenarios
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


def measure(
    *, draws: int = 10_000, repeats: int = 3, pymrio_sample: int = 20, coefficient_sample: int = 200, seed: int = 0
) -> dict:
    """Run every measurement once (minimum of ``repeats`` warm runs each); returns the rows and facts."""
    base = load_scenario(BASELINE)
    context = region_context(base.scenario.region)
    years = list(base.scenario.years)
    scenarios = final_demand_draws(base, draws, seed=seed)
    parameters, spending_by_draw = circuit_inputs(scenarios)
    spending = np.hstack(spending_by_draw)
    circuit = Circuit(context.economy, parameters[0])
    rows = []

    run_scenarios(scenarios[: min(draws, 20)])
    user_times = timed(lambda: run_scenarios(scenarios), repeats)
    rows.append(
        _row(
            "run_scenarios (full user path)",
            draws,
            min(user_times),
            len(years),
            median_seconds=statistics.median(user_times),
        )
    )
    prepare_seconds = best_of(lambda: circuit_inputs(scenarios), repeats)
    rows.append(_row("  of which levers -> spending", draws, prepare_seconds, len(years)))
    core_seconds = best_of(lambda: Circuit(context.economy, parameters[0]).impact(spending), repeats)
    rows.append(_row("core: Circuit + impact (1 LU, 1 solve)", draws, core_seconds, len(years)))
    headline_seconds = best_of(lambda: Circuit(context.economy, parameters[0]).headline(spending), repeats)
    rows.append(
        _row(
            "headline: Circuit + multiplier rows x F (1 LU, 1 small matrix product)",
            draws,
            headline_seconds,
            len(years),
        )
    )

    injection = np.vstack([spending, np.zeros((3, spending.shape[1]))])
    inverse = circuit._system.inverse()
    factors = scipy.linalg.lu_factor(np.eye(len(circuit.accounts)) - circuit.coefficients.values)
    gemm_seconds = best_of(lambda: inverse @ injection, repeats)
    lu_seconds = best_of(lambda: scipy.linalg.lu_solve(factors, injection, check_finite=False), repeats)
    rows.append(_row("numpy GEMM L @ F (machine limit)", draws, gemm_seconds, len(years)))
    rows.append(_row("scipy lu_solve on F", draws, lu_seconds, len(years)))

    pymrio_seconds = None
    try:
        import pymrio  # noqa: F401
    except ImportError:
        pymrio = None
    if pymrio is not None and pymrio_sample > 0:
        sample = range(min(pymrio_sample, draws))
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

        pymrio_seconds = best_of(pymrio_sample_run, repeats) / len(sample) * draws
        rows.append(
            _row(
                f"pymrio calc_all per scenario (sample {len(sample)}, extrapolated)", draws, pymrio_seconds, len(years)
            )
        )

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

    gemm_rate = draws * len(years) / gemm_seconds
    pymrio_rate = None if pymrio_seconds is None else draws / pymrio_seconds
    for row in rows:
        row["ratio_vs_gemm"] = row["columns_per_second"] / gemm_rate
        row["ratio_vs_pymrio"] = None if pymrio_rate is None else row["scenarios_per_second"] / pymrio_rate
    return {
        "draws": draws,
        "years": len(years),
        "accounts": len(circuit.accounts),
        "repeats": repeats,
        "rhs_columns": int(spending.shape[1]),
        "rows": rows,
        "goal_1000x_pymrio": {
            r["method"]: r["ratio_vs_pymrio"] is not None and r["ratio_vs_pymrio"] >= 1000 for r in rows[:4]
        },
        "goal_30pct_gemm": {r["method"]: r["ratio_vs_gemm"] >= 0.3 for r in rows[:4]},
    }


def format_table(result: dict) -> str:
    """The rows as a fixed-width text table."""
    lines = [f"{'method':62s} {'draws':>6s} {'seconds':>9s} {'scen/s':>11s} {'vs pymrio':>10s} {'vs GEMM':>8s}"]
    for r in result["rows"]:
        vs_pymrio = "-" if r["ratio_vs_pymrio"] is None else f"{r['ratio_vs_pymrio']:.0f}x"
        lines.append(
            f"{r['method']:62s} {r['draws']:6d} {r['seconds']:9.4f} {r['scenarios_per_second']:11.0f} "
            f"{vs_pymrio:>10s} {r['ratio_vs_gemm']:8.4f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--draws", type=int, default=10_000, help="final-demand lever draws")
    parser.add_argument("--repeats", type=int, default=3, help="warm runs per measurement (minimum reported)")
    parser.add_argument("--pymrio-sample", type=int, default=20, help="draws run through pymrio (0: skip)")
    parser.add_argument("--coefficient-draws", type=int, default=200, help="draws that change circuit parameters")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the result as JSON to this new file")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    result = measure(
        draws=args.draws,
        repeats=args.repeats,
        pymrio_sample=args.pymrio_sample,
        coefficient_sample=args.coefficient_draws,
        seed=args.seed,
    )
    result["wall_seconds"] = time.perf_counter() - start
    print(
        f"{args.draws} final-demand draws x {result['years']} years = {result['rhs_columns']} right-hand sides, "
        f"{result['accounts']} circuit accounts; minimum of {args.repeats} warm runs"
    )
    print(format_table(result))
    print(json.dumps(result))
    if args.json is not None:
        write_result(args.json, "bench_batch", result, argv)
    return result


if __name__ == "__main__":
    main()
