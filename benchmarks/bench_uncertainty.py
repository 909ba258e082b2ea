"""Throughput of the uncertainty comparison (:func:`simengine.uncertainty.uncertainty_compare`) on the
12 scenarios of the shipped Gwangmyeong batch, side by side with one ``run_scenario`` per scenario-draw;
and, with ``--streamed N``, the whole user path at scale.

Run: ``python benchmarks/bench_uncertainty.py [--draws 20000] [--scalar 24] [--json out.json]``.

Scenario-draws per second count one scenario under one joint draw of the response parameters
(5 annual right-hand-side columns each). The scalar row runs ``--scalar`` draws of every scenario
through :func:`simengine.batch.run_scenarios` (a pydantic model and a Dataset per scenario-draw).

``--streamed N`` also runs ``simengine compare scenarios/batch_gwangmyeong.toml --uncertainty N
--workers W --draws-output FILE`` in a child process under ``/usr/bin/time -v`` (wall-clock and
the peak resident memory of the largest process), sampling the resident memory of the whole
process tree (the command and its workers, summed) every 0.2 s; then ``simengine report`` of
the batch's results with that file (``--report-draws``: its time and the page's size).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _record import write_result  # noqa: E402

from simengine.batch import run_scenarios  # noqa: E402
from simengine.scenario import load_batch  # noqa: E402
from simengine.scenario.batch import expand_batch  # noqa: E402
from simengine.uncertainty import (  # noqa: E402
    DRAW_CHUNK,
    draw_parameters,
    response_priors,
    uncertainty_compare,
    with_responses,
)

BATCH = Path(__file__).resolve().parents[1] / "scenarios" / "batch_gwangmyeong.toml"
CLI = "from simengine.cli import main; main()"


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (Linux ``/proc``)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/status", encoding="ascii") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as handle:
                    stack.extend(int(child) for child in handle.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def measured_command(arguments: list[str]) -> dict:
    """Run ``simengine ARGUMENTS`` under ``/usr/bin/time -v``: seconds, CPU seconds (user and
    system, the command and its worker processes), peak RSS of the largest process and the peak
    of the process tree's summed RSS (sampled every 0.2 s)."""
    command = ["/usr/bin/time", "-v", sys.executable, "-c", CLI, *arguments]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], _tree_rss(process.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    seconds = time.perf_counter() - start
    sampler.join()
    if process.returncode != 0:
        raise RuntimeError(f"simengine {' '.join(arguments)} failed: {err.strip().splitlines()[-1:]}")
    largest = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1)) * 1024
    cpu = sum(float(re.search(rf"{kind} time \(seconds\): ([0-9.]+)", err).group(1)) for kind in ("User", "System"))
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "max_rss_bytes": largest,
        "tree_rss_peak_bytes": peak[0],
        "stdout": out,
    }


def streamed(draws: int, workers: int, report_draws: int | None, folder: Path) -> dict:
    """The user path at scale: the uncertainty comparison of the shipped batch, then its report."""
    draws_file = folder / "draws.nc"
    run = measured_command(
        [
            "compare",
            str(BATCH),
            "--uncertainty",
            str(draws),
            "--workers",
            str(workers),
            "--draws-output",
            str(draws_file),
        ]
    )
    result = {
        "draws": draws,
        "workers": workers,
        "compare_seconds": run["seconds"],
        "compare_cpu_seconds": run["cpu_seconds"],
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "compare_max_rss_mb": run["max_rss_bytes"] / 2**20,
        "compare_tree_rss_peak_mb": run["tree_rss_peak_bytes"] / 2**20,
        "draws_file_mb": draws_file.stat().st_size / 2**20,
    }
    results_file, page = folder / "results.nc", folder / "report.html"
    subprocess.run(
        [sys.executable, "-c", CLI, "batch", str(BATCH), "-o", str(results_file)], check=True, capture_output=True
    )
    if report_draws is not None and report_draws != draws:
        draws_file.unlink()
        measured_command(["compare", str(BATCH), "--uncertainty", str(report_draws), "--draws-output", str(draws_file)])
    shown = measured_command(["report", str(results_file), "--uncertainty", str(draws_file), "-o", str(page)])
    result.update(
        report_draws=report_draws or draws,
        report_seconds=shown["seconds"],
        report_cpu_seconds=shown["cpu_seconds"],
        report_max_rss_mb=shown["max_rss_bytes"] / 2**20,
        report_mb=page.stat().st_size / 2**20,
    )
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--draws", type=int, default=20_000)
    parser.add_argument("--scalar", type=int, default=24, help="draws run one scenario at a time")
    parser.add_argument("--chunk-size", type=int, default=DRAW_CHUNK)
    parser.add_argument("--streamed", type=int, help="also run the CLI comparison with this many draws")
    parser.add_argument("--workers", type=int, default=2, help="workers of the --streamed run")
    parser.add_argument("--report-draws", type=int, help="draws of the report measured (default: --streamed)")
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
    scalar_rate = len(members) / scalar_seconds
    rows = [
        {
            "path": "`uncertainty_compare`, one process (draw axis)",
            "scenario_draws": len(scenarios) * args.draws,
            "seconds": array_seconds,
            "scenario_draws_per_second": len(scenarios) * args.draws / array_seconds,
        },
        {
            "path": "`run_scenarios`, one member per scenario-draw",
            "scenario_draws": len(members),
            "seconds": scalar_seconds,
            "scenario_draws_per_second": scalar_rate,
        },
    ]
    for row in rows:
        row["ratio"] = row["scenario_draws_per_second"] / scalar_rate
    result = {
        "scenarios": len(scenarios),
        "draws": args.draws,
        "scalar_draws": args.scalar,
        "chunk_size": args.chunk_size,
        "rows": rows,
        "ratio": rows[0]["ratio"],
    }
    for row in rows:
        print(f"{row['path']:<50} {row['scenario_draws_per_second']:>12,.0f} scenario-draws/s")
    print(f"ratio {result['ratio']:.0f}x (same run)")
    if args.streamed:
        with tempfile.TemporaryDirectory(prefix="bench-uncertainty-") as folder:
            result["streamed"] = streamed(args.streamed, args.workers, args.report_draws, Path(folder))
        s = result["streamed"]
        print(
            f"simengine compare --uncertainty {s['draws']:,} --workers {s['workers']}: {s['compare_seconds']:.1f} s, "
            f"peak RSS {s['compare_max_rss_mb']:,.0f} MB (largest process), {s['compare_tree_rss_peak_mb']:,.0f} MB "
            f"(process tree, sampled); report of {s['report_draws']:,} draws {s['report_seconds']:.1f} s, "
            f"{s['report_mb']:.1f} MB"
        )
    print(json.dumps(result))
    if args.json:
        write_result(args.json, "bench_uncertainty", result, argv)
    return result


if __name__ == "__main__":
    main()
