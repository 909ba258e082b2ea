"""Benchmark of the core IO engine against pymrio and bare LAPACK, side by side in one run.

For random productive tables of ``n`` sectors the task is: output, value-added and
employment multipliers (simple, open model) plus the effects on output, value added and
employment of 100 final-demand vectors. Three implementations do it from the same arrays:

``simengine``
    The full user path: ``IOTable.from_arrays`` (with its data-quality checks), three
    ``multipliers`` calls and one ``impact`` call with an (n, 100) demand matrix.
``pymrio``
    ``IOSystem`` with ``Z``, ``Y`` and one extension (value added and employment rows),
    ``calc_all()``; multipliers are the extension's ``M`` and the column sums of ``L``;
    effects are ``L @ F`` weighted by the extension's ``S``.
``lapack``
    The machine's limit: ``I - Z diag(x)^-1`` in numpy, ``scipy.linalg.lu_factor`` once,
    ``lu_solve`` (transposed) for the three coefficient rows and ``lu_solve`` for the
    100 right-hand sides.

All three answers are checked to agree (``numpy.testing.assert_allclose``) before timing.
Each implementation is run once to warm up, then ``repeats`` times, interleaved; the
minimum wall time is reported (the machine is shared and noisy). The time of
``IOTable.from_arrays`` alone is reported as well (it is part of the simengine time). Run::

    python benchmarks/bench_core.py --sizes 1000 2000 4000 --repeats 3 --json benchmarks/results/bench_core.json
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import scipy.linalg

if __name__ == "__main__":  # run as a script: import simengine from this checkout
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _record import write_result  # noqa: E402

from simengine import IOTable  # noqa: E402

#: Number of final-demand vectors whose effects are computed.
N_DEMAND_VECTORS = 100
#: Agreement required between the implementations (relative, on every number).
AGREEMENT_RTOL = 1e-8

IMPLEMENTATIONS = ("simengine", "pymrio", "lapack")


def make_inputs(n: int, *, seed: int = 0, n_vectors: int = N_DEMAND_VECTORS) -> dict[str, np.ndarray]:
    """A random balanced, productive table of ``n`` sectors plus demand vectors.

    Parameters
    ----------
    n : int
        Number of sectors.
    seed : int
        Seed of :func:`numpy.random.default_rng`.
    n_vectors : int
        Number of final-demand vectors (columns of ``demand_vectors``).

    Returns
    -------
    dict of ndarray
        ``Z`` (n, n) intermediate flows (money); ``final_demand`` (n,) (money);
        ``gross_output`` (n,) (money), so that rows balance; ``value_added`` (n,)
        (money), so that columns balance; ``employment`` (n,) (persons);
        ``demand_vectors`` (n, n_vectors) changes in final demand (money).

    Notes
    -----
    Coefficients are drawn first: ``A >= 0`` with column sums in [0.2, 0.8] (so the table is
    productive), then ``x = (I - A)^-1 f`` and ``Z = A diag(x)``.
    """
    rng = np.random.default_rng(seed)
    A = rng.random((n, n))
    A *= rng.uniform(0.2, 0.8, n) / A.sum(axis=0)
    final_demand = rng.uniform(1.0, 1000.0, n)
    gross_output = scipy.linalg.solve(np.eye(n) - A, final_demand)
    Z = A * gross_output[None, :]
    return {
        "Z": Z,
        "final_demand": final_demand,
        "gross_output": gross_output,
        "value_added": gross_output - Z.sum(axis=0),
        "employment": gross_output * rng.uniform(0.001, 0.05, n),
        "demand_vectors": rng.uniform(0.0, 100.0, (n, n_vectors)),
    }


def build_simengine_table(inputs: dict[str, np.ndarray]) -> IOTable:
    """``IOTable.from_arrays`` on the inputs (construction and data-quality checks only)."""
    return IOTable.from_arrays(
        inputs["Z"],
        inputs["final_demand"],
        x=inputs["gross_output"],
        value_added=inputs["value_added"],
        employment=inputs["employment"],
    )


def run_simengine(inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The simengine user path; returns multipliers (n,) and total effects (n, k) by kind."""
    table = build_simengine_table(inputs)
    result = {f"{kind}_multiplier": table.multipliers(kind).values for kind in ("output", "value_added", "employment")}
    effects = table.impact(inputs["demand_vectors"]).sel(effect="total")
    result |= {f"{kind}_effect": effects[kind].values for kind in ("output", "value_added", "employment")}
    return result


def run_pymrio(inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The pymrio path (``calc_all`` plus its extension); same outputs as :func:`run_simengine`."""
    import pandas as pd
    import pymrio

    n = len(inputs["final_demand"])
    sectors = pd.MultiIndex.from_product([["R"], [f"S{i + 1}" for i in range(n)]], names=["region", "sector"])
    categories = pd.MultiIndex.from_product([["R"], ["final_demand"]], names=["region", "category"])
    satellite = pd.DataFrame(
        np.vstack([inputs["value_added"], inputs["employment"]]),
        index=pd.Index(["value_added", "employment"], name="stressor"),
        columns=sectors,
    )
    system = pymrio.IOSystem(
        Z=pd.DataFrame(inputs["Z"], index=sectors, columns=sectors),
        Y=pd.DataFrame(inputs["final_demand"][:, None], index=sectors, columns=categories),
        factors={"name": "factors", "F": satellite},
    )
    system.calc_all()
    L = system.L.to_numpy()
    M = system.factors.M.to_numpy()
    S = system.factors.S.to_numpy()
    output_effect = L @ inputs["demand_vectors"]
    return {
        "output_multiplier": L.sum(axis=0),
        "value_added_multiplier": M[0],
        "employment_multiplier": M[1],
        "output_effect": output_effect,
        "value_added_effect": S[0][:, None] * output_effect,
        "employment_effect": S[1][:, None] * output_effect,
    }


def run_lapack(inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Bare LAPACK: one LU of ``I - A``, transposed solves for multipliers, one solve for effects."""
    x = inputs["gross_output"]
    identity_minus_a = inputs["Z"] / -x[None, :]
    identity_minus_a[np.diag_indices_from(identity_minus_a)] += 1.0
    lu = scipy.linalg.lu_factor(identity_minus_a, overwrite_a=True, check_finite=False)
    coefficients = np.vstack([np.ones_like(x), inputs["value_added"] / x, inputs["employment"] / x])
    multipliers = scipy.linalg.lu_solve(lu, coefficients.T, trans=1, check_finite=False)
    output_effect = scipy.linalg.lu_solve(lu, inputs["demand_vectors"], check_finite=False)
    return {
        "output_multiplier": multipliers[:, 0],
        "value_added_multiplier": multipliers[:, 1],
        "employment_multiplier": multipliers[:, 2],
        "output_effect": output_effect,
        "value_added_effect": coefficients[1][:, None] * output_effect,
        "employment_effect": coefficients[2][:, None] * output_effect,
    }


RUNNERS: dict[str, Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]] = {
    "simengine": run_simengine,
    "pymrio": run_pymrio,
    "lapack": run_lapack,
}


def check_agreement(results: dict[str, dict[str, np.ndarray]], *, rtol: float = AGREEMENT_RTOL) -> None:
    """Assert every implementation's numbers equal the first one's (``assert_allclose``)."""
    (reference_name, reference), *others = results.items()
    for name, result in others:
        for key, expected in reference.items():
            np.testing.assert_allclose(
                result[key], expected, rtol=rtol, atol=0.0, err_msg=f"{name} vs {reference_name}: {key}"
            )


def best_times(functions: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Minimum wall time (s) of each function over ``repeats`` rounds, after one warm-up call each.

    Rounds interleave the functions (one call of each per round), so a burst of load from
    other processes on the machine hits all of them rather than one.
    """
    for function in functions.values():
        function()
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - start)
    return {name: min(values) for name, values in times.items()}


def available_implementations() -> list[str]:
    """The implementations that can run here (pymrio is optional: the ``bench`` extra)."""
    try:
        import pymrio  # noqa: F401
    except ImportError:
        return [name for name in IMPLEMENTATIONS if name != "pymrio"]
    return list(IMPLEMENTATIONS)


def bench(
    sizes: Sequence[int],
    *,
    repeats: int = 3,
    seed: int = 0,
    n_vectors: int = N_DEMAND_VECTORS,
    implementations: Sequence[str] | None = None,
) -> list[dict[str, float | int | None]]:
    """Time every implementation at every size, side by side in this process.

    Parameters
    ----------
    sizes : sequence of int
        Numbers of sectors.
    repeats : int
        Timed runs per implementation and size (after one warm-up); the minimum is kept.
    seed : int
        Seed of the inputs (size ``n`` uses ``seed + n``).
    n_vectors : int
        Number of final-demand vectors.
    implementations : sequence of str, optional
        Subset of :data:`IMPLEMENTATIONS`; default all that are installed.

    Returns
    -------
    list of dict
        One row per size: ``sectors``, the minimum time of each implementation in
        seconds (``None`` if not run), ``simengine_build_s`` (the minimum time of
        ``IOTable.from_arrays`` alone, part of ``simengine_s``), ``pymrio_over_simengine`` and
        ``simengine_over_lapack`` (dimensionless ratios, ``None`` if not available).
    """
    names = list(implementations or available_implementations())
    rows = []
    for n in sizes:
        inputs = make_inputs(n, seed=seed + n, n_vectors=n_vectors)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # pandas deprecations inside pymrio
            check_agreement({name: RUNNERS[name](inputs) for name in names})
            timed = {name: functools.partial(RUNNERS[name], inputs) for name in names}
            if "simengine" in names:
                timed["simengine_build"] = functools.partial(build_simengine_table, inputs)
            times = best_times(timed, repeats)
        row: dict[str, float | int | None] = {"sectors": n}
        row |= {f"{name}_s": times.get(name) for name in (*IMPLEMENTATIONS, "simengine_build")}
        row["pymrio_over_simengine"] = _ratio(times, "pymrio", "simengine")
        row["simengine_over_lapack"] = _ratio(times, "simengine", "lapack")
        rows.append(row)
    return rows


def _ratio(times: dict[str, float], numerator: str, denominator: str) -> float | None:
    if numerator in times and denominator in times:
        return times[numerator] / times[denominator]
    return None


def format_table(rows: Sequence[dict]) -> str:
    """The rows as a Markdown table (times in seconds, ratios to two decimals)."""

    def cell(value, digits):
        return "n/a" if value is None else f"{value:.{digits}f}"

    lines = [
        "| sectors | simengine s | build s | pymrio s | LAPACK s | pymrio / simengine | simengine / LAPACK |",
        "|--------:|------------:|--------:|---------:|---------:|-------------------:|-------------------:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['sectors']} | {cell(row['simengine_s'], 3)} | {cell(row['simengine_build_s'], 3)} | "
            f"{cell(row['pymrio_s'], 3)} | "
            f"{cell(row['lapack_s'], 3)} | {cell(row['pymrio_over_simengine'], 2)} | "
            f"{cell(row['simengine_over_lapack'], 2)} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> list[dict]:
    """Command-line entry point: print the table and optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 4000], help="numbers of sectors")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per case; the minimum is reported")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random tables")
    parser.add_argument("--json", dest="json_path", help="write the rows and machine facts to this JSON file")
    args = parser.parse_args(argv)
    rows = bench(args.sizes, repeats=args.repeats, seed=args.seed)
    print(format_table(rows))
    if args.json_path:
        write_result(args.json_path, "bench_core", {"repeats": args.repeats, "seed": args.seed, "rows": rows}, argv)
    return rows


if __name__ == "__main__":
    main()
