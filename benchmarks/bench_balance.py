"""Speed of RAS and GRAS balancing (:mod:`simengine.balance`) on random sparse matrices.

For each size ``n`` an initial matrix with half its entries zero is balanced to the margins of
a perturbed copy (every nonzero entry times a uniform factor in [0.8, 1.2]), so the totals are
feasible; for GRAS a tenth of the nonzero entries are negative. Both are timed with the default
tolerance (1e-10) beside one dense matrix-vector product of the same shape: the cost of one RAS
sweep in matrix-vector products moves less with the machine's load than the seconds. The minimum
of ``--repeats`` warm runs is reported. Run::

    python benchmarks/bench_balance.py --sizes 83 500 1000 --repeats 3 --json benchmarks/results/bench_balance.json
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

from simengine.balance import gras, ras  # noqa: E402


def problem(n: int, *, seed: int, negative_share: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Initial matrix and feasible row and column totals (module docstring)."""
    rng = np.random.default_rng(seed)
    initial = rng.uniform(1.0, 10.0, (n, n)) * (rng.random((n, n)) >= 0.5)
    initial[np.arange(n), np.arange(n)] = rng.uniform(1.0, 10.0, n)  # no empty row or column
    if negative_share:
        initial = np.where(rng.random((n, n)) < negative_share, -initial, initial)
    target = initial * rng.uniform(0.8, 1.2, (n, n))
    return initial, target.sum(axis=1), target.sum(axis=0)


def measure(n: int, repeats: int, seed: int) -> dict:
    """Sweeps and seconds of RAS and GRAS on one size, and of one matrix-vector product."""
    row: dict[str, object] = {"size": n}
    for name, method, negative in (("ras", ras, 0.0), ("gras", gras, 0.1)):
        initial, rows, columns = problem(n, seed=seed + n, negative_share=negative)
        result = method(initial, rows, columns)
        row[f"{name}_sweeps"] = int(result.iterations)
        row[f"{name}_s"] = best_of(lambda m=method, a=initial, r=rows, c=columns: m(a, r, c), repeats)
    vector = np.ones(n)
    row["matvec_s"] = best_of(lambda: initial @ vector, max(repeats, 20))
    row["ras_sweep_over_matvec"] = row["ras_s"] / max(row["ras_sweeps"], 1) / row["matvec_s"]  # type: ignore[operator]
    return row


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[83, 500, 1000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the result as JSON to this file")
    args = parser.parse_args(argv)
    rows = [measure(n, args.repeats, args.seed) for n in args.sizes]
    print(f"{'size':>6}{'RAS sweeps':>12}{'RAS s':>10}{'GRAS sweeps':>13}{'GRAS s':>10}{'matvec s':>11}")
    for row in rows:
        print(
            f"{row['size']:>6}{row['ras_sweeps']:>12}{row['ras_s']:>10.4f}{row['gras_sweeps']:>13}"
            f"{row['gras_s']:>10.4f}{row['matvec_s']:>11.6f}"
        )
    result = {"repeats": args.repeats, "seed": args.seed, "rows": rows}
    print(json.dumps(result))
    if args.json is not None:
        write_result(args.json, "bench_balance", result, argv)
    return result


if __name__ == "__main__":
    main()
