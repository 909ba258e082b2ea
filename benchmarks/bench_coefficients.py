"""Draws that change circuit coefficients on the shipped Gwangmyeong model, side by side: the stacked
path, one Circuit per draw, pymrio per draw, and numpy/scipy LU on the same (K, 56, 56) shapes.

Run: ``python benchmarks/bench_coefficients.py [--draws 4000] [--repeats 3] [--json out.json]``.

A coefficient draw is one set of ``[circuit]`` values (household local consumption share,
reinvestment rate, local tax rate drawn uniformly): its own closed circuit (53 industries and
households, city, reinvestment: 56 accounts), hence its own factorisation. What a headline
ranking needs of each draw is the multiplier rows of its circuit (value added, employment,
household income, city tax per unit injected, one transposed solve with four right-hand sides)
and the first-round split of surplus transfers. Rows of the table, per draw:

- ``stacked: settings -> arrays -> LU stack -> rows``: :func:`simengine.region_context.circuit_stack`
  (settings applied as arrays, coefficients of all draws built at once, one batched LU kernel call
  per block) then the multiplier rows and surplus rows;
- ``of which LU kernel``: the batched LU kernel alone on the built ``I - M`` stack, with the
  industries' block (the same in every draw) eliminated once per block, and without;
- ``evaluate_draws, one scenario per draw``: the headline totals of ``K`` scenarios that differ in
  their ``[circuit]`` values (prepared before timing), the path uncertainty comparisons and
  batches of draws call; ``prepare_draws`` is timed on its own row;
- ``a Circuit per draw``: ``Circuit(economy, with_values(...))`` and the same rows per draw;
- ``pymrio calc_all per draw``: an ``IOSystem`` with the draw's closed coefficients as ``A`` and
  the four targets' spending, ``calc_all()`` (sampled, extrapolated);
- ``numpy.linalg.solve on (K, 56, 56)``: LAPACK ``gesv`` on the same stack (the machine's limit);
  ``scipy lu_factor + lu_solve per draw``: LAPACK through a Python loop;
- ``coefficient draws: run_batch [circuit] sweep``: the user's path, ``run_batch`` on a batch file
  whose sweep draws ``--points`` points of three ``[circuit]`` settings (household local
  consumption share, reinvestment rate, resident worker share) of the construction-local-60
  package, headline totals and full per-sector accounts, the result written with
  ``save_result``; the same with circuit programmes (the combined package, whose household and
  reinvestment programmes ramp the settings, so a point has a circuit per year until the ramps
  end; reinvestment rate and resident worker share swept); and the first ``--scalar-sample``
  points scenario by scenario (``arrays=False``, one validated model and one ``Circuit`` each:
  the path such sweeps took before). Each timed run is a new random sweep (fresh circuits,
  nothing cached by an earlier run); the rows give their time split.

Before timing, the script checks that the stacked rows equal one Circuit per draw bit for bit and
numpy's solve to 1e-12, that a sample of draws through ``evaluate_draws`` equals each scenario
run alone through ``run_scenario`` to 1e-12, and that a small ``[circuit]`` sweep through
``run_batch`` (headline and full accounts) equals the same sweep scenario by scenario to 1e-12
(relative to each variable's largest magnitude). BLAS runs on one thread, as the kernels do. Timings
are the minimum of ``--repeats`` warm runs on a shared machine: read the ratios, measured in one
run, rather than the absolute rates.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.linalg
import threadpoolctl
from _record import write_result
from _timing import best_of

from simengine.accounts import LeontiefStack
from simengine.batch import run_scenario
from simengine.circuit import Circuit, _border, _shared_head, circuit_coefficients, income_split
from simengine.draws import (
    _HEADLINE_ROWS,
    HEADLINE_TOTALS,
    _circuit_rows,
    _circuit_targets,
    evaluate_draws,
    prepare_draws,
)
from simengine.kernels.linalg import _bordered_rows
from simengine.region_context import circuit_stack, region_context, with_values
from simengine.results import as_headline, concat_results, headline, save_result
from simengine.runner import run_batch
from simengine.scenario import load_scenario
from simengine.scenario.schema import Scenario

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "gwangmyeong_baseline.toml"
#: Agreement required of the stacked rows with LAPACK, and of a draw with its scenario run alone.
RTOL = 1e-12


def coefficient_scenarios(base: Scenario, count: int, *, seed: int) -> list[Scenario]:
    """``count`` copies of ``base`` with drawn ``[circuit]`` values: household local consumption share
    in [0.2, 0.6], reinvestment rate in [0.1, 0.5], local tax rate in [0, 0.1]."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(count):
        circuit = base.circuit.model_copy(
            update={
                "household_local_consumption_share": float(rng.uniform(0.2, 0.6)),
                "reinvestment_rate": float(rng.uniform(0.1, 0.5)),
                "local_tax_rate": float(rng.uniform(0.0, 0.1)),
            }
        )
        info = base.scenario.model_copy(update={"id": f"coefficients-{k:05d}"})
        out.append(base.model_copy(update={"scenario": info, "circuit": circuit}))
    return out


def per_circuit(context, values: list[dict], targets: np.ndarray) -> np.ndarray:
    """The previous path: one Circuit (xarray coefficients, LAPACK-sized LU) per draw, then its rows."""
    rows = np.empty((len(values), targets.shape[1], targets.shape[0]))
    for k, v in enumerate(values):
        circuit = Circuit(context.economy, with_values(context, v))
        rows[k] = circuit._system.solve_transposed(targets).T
        circuit.surplus_transfer(np.zeros((len(context.economy.sectors), 1)))
    return rows


def pymrio_rows(matrix: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Rows ``t' L`` of one draw by pymrio: ``IOSystem(A, Y)``, ``calc_all()``, then ``t' L`` from its ``L``."""
    import pandas as pd
    import pymrio

    m = matrix.shape[0]
    index = pd.MultiIndex.from_product([["gwangmyeong"], [f"a{i}" for i in range(m)]], names=["region", "sector"])
    columns = pd.MultiIndex.from_product([["gwangmyeong"], [f"t{j}" for j in range(targets.shape[1])]])
    system = pymrio.IOSystem(
        A=pd.DataFrame(matrix, index=index, columns=index), Y=pd.DataFrame(targets, index=index, columns=columns)
    )
    system.calc_all()
    return targets.T @ system.L.to_numpy()


SCENARIOS = BASELINE.parent
#: The swept ``[circuit]`` settings of the run_batch rows (uniform ranges) and the base scenarios.
SWEPT = {
    "household_local_consumption_share": (0.2, 0.6),
    "reinvestment_rate": (0.1, 0.5),
    "resident_worker_share": (0.2, 0.6),
}
SWEEP_BASES = {
    "": ("construction_local60.toml", tuple(SWEPT)),
    " with circuit programmes": ("combined_package.toml", ("reinvestment_rate", "resident_worker_share")),
}


def sweep_file(folder: Path, points: int, seed: int, base: str, keys: tuple[str, ...]) -> Path:
    """A batch file: the baseline and a random sweep of ``points`` points of the ``[circuit]`` settings ``keys``."""
    batch = folder / f"circuit-{base.split('.')[0]}-{points}-{seed}.toml"
    parameters = "".join(
        f'[[sweep.parameter]]\npath = "circuit.{k}"\nlow = {SWEPT[k][0]}\nhigh = {SWEPT[k][1]}\n' for k in keys
    )
    batch.write_text(
        f'schema_version = 1\nbaseline = "{BASELINE}"\n[batch]\nid = "circuit-sweep"\ntitle = "[circuit] sweep"\n'
        f'[sweep]\nbase = "{SCENARIOS / base}"\nmethod = "random"\ndraws = {points}\nseed = {seed}\n{parameters}'
    )
    return batch


def _close(actual, expected) -> None:
    """Every variable of two results equal to RTOL relative to its largest magnitude, text equal."""
    assert sorted(actual.data_vars) == sorted(expected.data_vars)
    for name in expected.data_vars:
        a, e = actual[name].values, expected[name].transpose(*actual[name].dims).values
        if np.issubdtype(e.dtype, np.number):
            assert np.abs(a - e).max(initial=0.0) <= RTOL * max(np.abs(e).max(initial=0.0), 1e-300), name
        else:
            np.testing.assert_array_equal(a, e, err_msg=name)


def user_path(folder: Path, points: int, seed: int, base: str, keys, repeats: int, **options) -> tuple[float, dict]:
    """Best of ``repeats`` runs of ``run_batch`` plus ``save_result`` on fresh sweeps (seeds ``seed + r``):
    seconds and time split (``timings`` plus ``writing``)."""
    best, split = np.inf, {}
    out = folder / "out.nc"
    for r in range(repeats):
        batch = sweep_file(folder, points, seed + r, base, keys)
        timings: dict[str, float] = {}
        start = time.perf_counter()
        outcome = run_batch(batch, timings=timings, **options)
        mark = time.perf_counter()
        save_result(outcome.results, out, overwrite=True)
        end = time.perf_counter()
        assert not outcome.failures and outcome.results.sizes["scenario"] == points + 1
        if end - start < best:
            best = end - start
            split = {**{k: v for k, v in timings.items() if k != "wall"}, "writing": end - mark}
    return best, split


def _row(method: str, draws: int, seconds: float, **extra) -> dict:
    return {"method": method, "draws": draws, "seconds": seconds, "draws_per_second": draws / seconds, **extra}


def measure(
    *,
    draws: int = 4000,
    repeats: int = 3,
    pymrio_sample: int = 20,
    check_sample: int = 3,
    seed: int = 0,
    points: int | None = None,
    scalar_sample: int = 100,
):
    """Every row of the table, measured in one run (minimum of ``repeats`` warm runs each)."""
    base = load_scenario(BASELINE)
    context = region_context(base.scenario.region)
    scenarios = coefficient_scenarios(base, draws, seed=seed)
    prepare_seconds = best_of(lambda: [prepare_draws(s, context, {}, 1) for s in scenarios[:200]], 1)
    prepared = [prepare_draws(s, context, {}, 1) for s in scenarios]
    values = [p.circuit_values[0] for p in prepared]
    targets = _circuit_targets(context.economy)

    # correctness first: stacked = one Circuit per draw (bitwise) = numpy (1e-12); draws = run alone
    stack = circuit_stack(context, values)
    stacked = stack.multipliers(targets)
    sample = min(draws, 50)
    np.testing.assert_array_equal(stacked[:sample], per_circuit(context, values[:sample], targets))
    matrix, _ = circuit_coefficients(context.economy, stack.arrays)
    identity_minus = np.eye(len(targets)) - matrix
    lapack = np.linalg.solve(identity_minus.transpose(0, 2, 1), np.broadcast_to(targets, (draws, *targets.shape)))
    assert np.abs(stacked - lapack.transpose(0, 2, 1)).max() <= RTOL * np.abs(lapack).max()
    checked = evaluate_draws(prepared[:check_sample], context)
    for scenario, arrays in zip(scenarios[:check_sample], checked, strict=True):
        totals = headline(concat_results([run_scenario(scenario)]))
        for name in HEADLINE_TOTALS:
            np.testing.assert_allclose(arrays[name].sum(axis=-1), totals[name].values, rtol=RTOL, atol=0)

    def stacked_path():
        stack = circuit_stack(context, values)
        return _circuit_rows(stack), stack.surplus_rows()

    rows = [_row("stacked: settings -> arrays -> rows (CircuitStack)", draws, best_of(stacked_path, repeats))]
    block, n = stack.block, len(context.economy.sectors)
    slices = [slice(i, i + block) for i in range(0, draws, block)]
    head = _shared_head(context.economy)
    border, columns, corner = _border(income_split(context.economy, stack.arrays), stack.arrays)
    border, columns = np.subtract(0.0, border), np.subtract(0.0, columns)
    corner = np.subtract(np.eye(corner.shape[1]), corner)
    scratch = (np.empty((draws, *targets.T.shape)), np.empty((draws, corner.shape[1])), np.zeros(draws, dtype=np.int64))
    targets = np.ascontiguousarray(targets)

    def bordered():
        _bordered_rows(head, border, columns, corner, targets, *scratch)

    bordered()  # compiled for these array types before timing

    def kernel(shared: int):
        for part in slices:
            system = LeontiefStack(matrix[part], shared=shared)
            system.solve_transposed(np.broadcast_to(targets, (system.count, *targets.shape)))

    rows.append(
        _row("  of which the bordered kernel: border elimination + transposed solve", draws, best_of(bordered, repeats))
    )
    rows.append(
        _row(
            "LeontiefStack on the built I - M stack, industries' block shared",
            draws,
            best_of(lambda: kernel(n), repeats),
        )
    )
    rows.append(_row("  the same, industries' block not shared", draws, best_of(lambda: kernel(0), repeats)))

    def through_evaluate_draws():
        _HEADLINE_ROWS.clear()  # every run solves its circuits (none cached by the previous run)
        evaluate_draws(prepared, context)

    rows.append(_row("evaluate_draws, one scenario per draw", draws, best_of(through_evaluate_draws, repeats)))
    rows.append(_row("  prepare_draws per scenario (before evaluate_draws)", 200, prepare_seconds))
    circuit_sample = min(draws, 400)
    circuit_seconds = best_of(lambda: per_circuit(context, values[:circuit_sample], targets), repeats)
    rows.append(_row(f"a Circuit per draw (sample {circuit_sample})", circuit_sample, circuit_seconds))
    rows.append(
        _row(
            "numpy.linalg.solve on (K, 56, 56) (machine limit)",
            draws,
            best_of(
                lambda: [
                    np.linalg.solve(
                        identity_minus[part].transpose(0, 2, 1),
                        np.broadcast_to(targets, (len(identity_minus[part]), *targets.shape)),
                    )
                    for part in slices
                ],
                repeats,
            ),
        )
    )

    def scipy_loop():
        for k in range(circuit_sample):
            scipy.linalg.lu_solve(scipy.linalg.lu_factor(identity_minus[k], check_finite=False), targets, trans=1)

    rows.append(
        _row(
            f"scipy lu_factor + lu_solve per draw (sample {circuit_sample})",
            circuit_sample,
            best_of(scipy_loop, repeats),
        )
    )
    try:
        import pymrio  # noqa: F401

        have_pymrio = pymrio_sample > 0
    except ImportError:
        have_pymrio = False
    if have_pymrio:
        count = min(pymrio_sample, draws)
        for k in range(min(count, 3)):
            np.testing.assert_allclose(pymrio_rows(matrix[k], targets), stacked[k], rtol=1e-9)

        def pymrio_loop():
            for k in range(count):
                pymrio_rows(matrix[k], targets)

        rows.append(_row(f"pymrio calc_all per draw (sample {count})", count, best_of(pymrio_loop, repeats)))
    rows.extend(batch_rows(points or draws, repeats, scalar_sample, check_sample, seed))
    reference = {r["method"]: r["draws_per_second"] for r in rows}
    limit = reference["numpy.linalg.solve on (K, 56, 56) (machine limit)"]
    circuit_rate = reference[f"a Circuit per draw (sample {circuit_sample})"]
    pymrio_rate = next((v for k, v in reference.items() if k.startswith("pymrio")), None)
    for row in rows:
        row["vs_numpy_solve"] = row["draws_per_second"] / limit
        row["vs_circuit_per_draw"] = row["draws_per_second"] / circuit_rate
        row["vs_pymrio"] = None if pymrio_rate is None else row["draws_per_second"] / pymrio_rate
    return {
        "draws": draws,
        "accounts": int(len(targets)),
        "block": block,
        "repeats": repeats,
        "rows": rows,
        "points": points or draws,
        "goal_10000_per_second": {
            r["method"]: r["draws_per_second"] >= 10_000
            for r in rows
            if r["method"].startswith(("stacked", "evaluate_draws", "coefficient draws: run_batch"))
            and "scenario by scenario" not in r["method"]
        },
    }


def batch_rows(points: int, repeats: int, scalar_sample: int, check_sample: int, seed: int) -> list[dict]:
    """The run_batch rows: ``[circuit]`` sweeps on the user's path, checked against the scenario path first."""
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for base, keys in SWEEP_BASES.values():
            check = sweep_file(folder, max(check_sample, 1), seed + 1000, base, keys)
            alone = run_batch(check, arrays=False)
            assert not alone.failures
            _close(run_batch(check).results, alone.results)
            _close(run_batch(check, headline=True).results, as_headline(alone.results))
        for label, (base, keys) in SWEEP_BASES.items():
            kinds = (True, False) if not label else (True,)
            for headline_only in kinds:
                kind = "headline" if headline_only else "full accounts"
                seconds, split = user_path(folder, points, seed + 100, base, keys, repeats, headline=headline_only)
                method = f"coefficient draws: run_batch [circuit] sweep{label}, {kind}, written ({points} points)"
                rows.append(_row(method, points + 1, seconds, split=split))
        base, keys = SWEEP_BASES[""]
        sample = max(1, min(scalar_sample, points))
        seconds, split = user_path(folder, sample, seed + 200, base, keys, 1, arrays=False)
        method = f"coefficient draws: run_batch [circuit] sweep scenario by scenario, written ({sample} points)"
        rows.append(_row(method, sample + 1, seconds, split=split))
    return rows


def format_table(result: dict) -> str:
    """The rows as a fixed-width text table."""
    lines = [
        f"{'method':96s} {'draws':>6s} {'seconds':>9s} {'draws/s':>10s} "
        f"{'vs Circuit':>10s} {'vs pymrio':>10s} {'vs numpy':>9s}"
    ]
    for r in result["rows"]:
        vs_pymrio = "-" if r["vs_pymrio"] is None else f"{r['vs_pymrio']:.0f}x"
        lines.append(
            f"{r['method']:96s} {r['draws']:6d} {r['seconds']:9.4f} {r['draws_per_second']:10.0f} "
            f"{r['vs_circuit_per_draw']:9.1f}x {vs_pymrio:>10s} {r['vs_numpy_solve']:9.3f}"
        )
        if "split" in r:
            lines.append("    split: " + ", ".join(f"{k} {v:.3f} s" for k, v in r["split"].items() if v))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--draws", type=int, default=4000, help="coefficient draws (one circuit each)")
    parser.add_argument("--repeats", type=int, default=3, help="warm runs per measurement (minimum reported)")
    parser.add_argument("--pymrio-sample", type=int, default=20, help="draws run through pymrio (0: skip)")
    parser.add_argument("--check-sample", type=int, default=3, help="draws checked against run_scenario")
    parser.add_argument("--points", type=int, help="points of the run_batch [circuit] sweeps (default: --draws)")
    parser.add_argument("--scalar-sample", type=int, default=100, help="sweep points run scenario by scenario")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the result as JSON to this file")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    with threadpoolctl.threadpool_limits(1, user_api="blas"):  # every row single-threaded, as the kernels
        result = measure(
            draws=args.draws,
            repeats=args.repeats,
            pymrio_sample=args.pymrio_sample,
            check_sample=args.check_sample,
            seed=args.seed,
            points=args.points,
            scalar_sample=args.scalar_sample,
        )
    result["wall_seconds"] = time.perf_counter() - start
    print(
        f"{args.draws} coefficient draws, {result['accounts']} circuit accounts each, blocks of {result['block']}; "
        f"minimum of {args.repeats} warm runs (shared machine: compare the ratios)"
    )
    print(format_table(result))
    print(json.dumps(result))
    if args.json is not None:
        write_result(args.json, "bench_coefficients", result, argv)
    return result


if __name__ == "__main__":
    main()
