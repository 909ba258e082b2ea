"""Benchmark of structural path extraction against the classic threshold tree search, side by side.

Task: the ``k`` largest paths from final demand for one sector to every sector's output (the
paths that decompose an output multiplier). Two implementations, on the same table:

``best-first``
    :func:`simengine.structural_paths.largest_paths`: a priority queue ordered by each partial
    path's bound ``v (1' L)_m``, which stops after the ``k``-th path.
``threshold tree``
    The classic structural path search (Lenzen 2003; the unrolled supply tree of tools such as
    pyspa): a depth-first walk that keeps every path worth at least a threshold and prunes a
    branch when its bound falls below it, then sorts. It is given the exact threshold, the
    value of the ``k``-th path, which is its best case: in practice the threshold is guessed
    and the search rerun. The twin is plain Python, written from that description.

Both answers are checked to agree (the same paths, the same values) before timing. Tables:
the shipped ``korea-2014`` (53 sectors) and random productive tables of ``n`` sectors
(``bench_core.make_inputs``). Run::

    python benchmarks/bench_paths.py --sizes 200 500 --paths 100 1000 --repeats 3 \
        --json benchmarks/results/bench_paths.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _record import write_result  # noqa: E402
from _timing import best_of  # noqa: E402
from bench_core import make_inputs  # noqa: E402

from simengine import load_table  # noqa: E402
from simengine.accounts import LeontiefSystem  # noqa: E402
from simengine.structural_paths import largest_paths  # noqa: E402


def threshold_tree(A: np.ndarray, source: int, intensity: np.ndarray, threshold: float) -> list[tuple[tuple, float]]:
    """Every path from ``source`` worth at least ``threshold``, largest first (depth-first search).

    A partial path of value ``v`` ending at ``m`` is pruned when ``v (c' L)_m < threshold``;
    a complete path (any prefix, valued ``v c_m``) is kept when worth at least ``threshold``.
    """
    bound = LeontiefSystem(A).solve_transposed(intensity)
    found: list[tuple[tuple, float]] = []
    stack = [((source,), 1.0)]
    while stack:
        path, value = stack.pop()
        node = path[-1]
        if value * intensity[node] >= threshold:
            found.append((path, value * intensity[node]))
        for supplier in range(len(A)):
            extended = value * A[supplier, node]
            if extended > 0.0 and extended * bound[supplier] >= threshold:
                stack.append(((*path, supplier), extended))
    found.sort(key=lambda item: -item[1])
    return found


def coefficient_tables(sizes: list[int]) -> dict[str, np.ndarray]:
    """``korea-2014`` and random tables, as technical-coefficient matrices."""
    tables = {"korea-2014 (53)": load_table("korea-2014").technical_coefficients().values}
    for n in sizes:
        inputs = make_inputs(n, seed=n, n_vectors=1)
        tables[f"random ({n})"] = inputs["Z"] / inputs["gross_output"][None, :]
    return tables


def compare(A: np.ndarray, k: int, repeats: int, source: int = 0) -> dict:
    """Check the two answers agree, then time both; seconds and their ratio."""
    intensity = np.ones(len(A))
    best, _, _ = largest_paths(A, source, intensity, max_paths=k, max_expansions=10**7)
    threshold = best[-1][1]
    tree = threshold_tree(A, source, intensity, threshold)[: len(best)]
    np.testing.assert_allclose([v for _, v in tree], [v for _, v in best], rtol=1e-12, atol=0.0)
    best_s = best_of(lambda: largest_paths(A, source, intensity, max_paths=k, max_expansions=10**7), repeats)
    tree_s = best_of(lambda: threshold_tree(A, source, intensity, threshold), repeats)
    return {"paths": len(best), "best_first_s": best_s, "threshold_tree_s": tree_s, "ratio": tree_s / best_s}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[200, 500])
    parser.add_argument("--paths", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    rows = []
    for name, A in coefficient_tables(args.sizes).items():
        for k in args.paths:
            rows.append({"table": name, "k": k, **compare(A, k, args.repeats)})
    print(f"{'table':<18}{'k':>7}{'best-first s':>14}{'threshold tree s':>18}{'tree / best-first':>19}")
    for row in rows:
        print(
            f"{row['table']:<18}{row['k']:>7}{row['best_first_s']:>14.4f}{row['threshold_tree_s']:>18.4f}"
            f"{row['ratio']:>19.2f}"
        )
    result = {"repeats": args.repeats, "rows": rows}
    if args.json is not None:
        write_result(args.json, "bench_paths", result, argv)
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
