"""Render the benchmark tables of README.md and docs/*.md from the committed result files.

Every benchmark figure in the documentation has one source: the JSON file its script writes with
``--json`` (``benchmarks/results/<script>.json``, see ``benchmarks/_record.py``). A document asks
for a table with a pair of markers::

    <!-- bench:bench_core -->
    (rendered; do not edit by hand)
    <!-- /bench -->

``<!-- bench:NAME:VIEW -->`` picks another view of the same file (``VIEWS`` lists them; the
default view is ``table``). Run ``python benchmarks/render.py`` to rewrite every marked block
from the JSON files, ``python benchmarks/render.py --check`` to list the blocks that differ
(exit 1; the test suite runs the same check).

Rows come from the file, not from a fixed list here: a new row in a script's result is a new row
in its table, and a key a view does not know is left out. A benchmark without a view of its own
is rendered as a table of its ``rows`` with every key as a column. To add a table for a new
benchmark ``bench_x``: make its script write ``--json`` with ``_record.write_result``, run it into
``benchmarks/results/bench_x.json``, put the markers where the table belongs, add a view to
``VIEWS`` if the generic table does not read well, and run this script.

Uses the standard library only.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
#: A marked block: ``<!-- bench:NAME[:VIEW] -->`` ... ``<!-- /bench -->``.
MARKER = re.compile(
    r"(?P<open><!-- bench:(?P<name>[A-Za-z0-9_]+)(?::(?P<view>[A-Za-z0-9_]+))? -->\n)"
    r"(?P<body>.*?)(?P<close><!-- /bench -->)",
    re.S,
)


def documents(root: Path = ROOT) -> list[Path]:
    """The files whose marked blocks are rendered: README.md and docs/*.md."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


# --- numbers --------------------------------------------------------------------------------


def number(value: object, digits: int | None = None) -> str:
    """A figure for a table: thousands separators, ``digits`` decimals (default: 3 significant).

    None is ``n/a``; integers are written whole; text is passed through.
    """
    if value is None:
        return "n/a"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if digits is None:
        size = abs(value)
        digits = 0 if size >= 100 else 1 if size >= 10 else 2 if size >= 1 else 3 if size >= 0.01 else 4
    return f"{value:,.{digits}f}"


def ratio(value: object, digits: int = 2) -> str:
    """A ratio with an ``x``: ``2.85x``, ``77.5x``, ``207x`` (``n/a`` when missing).

    ``digits`` decimals below 10, one below 100, none above.
    """
    if value is None:
        return "n/a"
    size = abs(value)  # type: ignore[arg-type]
    return f"{number(value, digits if size < 10 else min(digits, 1) if size < 100 else 0)}x"


def small(value: object) -> str:
    """A fraction that may be tiny: ``0.299``, ``0.0006``, ``2.0e-05``."""
    if value is None:
        return "n/a"
    size = abs(value)  # type: ignore[arg-type]
    if size == 0 or size >= 1e-4:
        return number(value, 2 if size >= 1 else 3 if size >= 0.01 else 4)
    return f"{value:.1e}"


# --- tables ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A table column: its header, the row key it shows, how it is written and aligned."""

    header: str
    key: str
    write: Callable[[object], str] = number
    right: bool = True


def markdown_table(columns: Sequence[Column], rows: Iterable[dict]) -> str:
    """A Markdown table of ``rows``; columns whose key no row has are left out."""
    rows = list(rows)
    shown = [c for c in columns if any(c.key in row for row in rows)]
    lines = [
        "| " + " | ".join(c.header for c in shown) + " |",
        "|" + "|".join("--:" if c.right else "---" for c in shown) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(c.write(row[c.key]) if c.key in row else "" for c in shown) + " |")
    return "\n".join(lines)


def generic_table(result: dict) -> str:
    """Every key of ``result['rows']`` as a column, in order of first appearance."""
    rows = result.get("rows")
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise ValueError("has no list of rows to render; give it a view in benchmarks/render.py")
    keys = list(dict.fromkeys(key for row in rows for key in row))
    sample = {key: next(row[key] for row in rows if key in row) for key in keys}
    columns = [Column(key, key, right=not isinstance(sample[key], str)) for key in keys]
    return markdown_table(columns, rows)


def caption(result: dict, name: str) -> str:
    """Where the figures come from: date, command, machine and its load."""
    facts = result.get("machine")
    if not isinstance(facts, dict) or "date" not in result:
        return f"*Date and machine not recorded in `benchmarks/results/{name}.json`.*"
    libraries = [f"Python {facts.get('python', '?')}"]
    libraries.append(f"numpy {facts.get('numpy', '?')} ({facts.get('numpy_blas', '?')})")
    libraries.append(f"scipy {facts.get('scipy', '?')}")
    libraries += [f"{peer} {facts[peer]}" for peer in ("pymrio", "boario") if facts.get(peer)]
    cpus = facts.get("cpus")
    text = (
        f"*Measured {result['date'].replace('T', ' ').replace('Z', ' UTC')} with "
        f"`{result.get('command', name)}`, on {cpus} CPUs ({facts.get('cpu_model') or 'model not recorded'}), "
        f"{', '.join(libraries)}."
    )
    loads = [facts.get("load_average_start"), facts.get("load_average_end")]
    if name in MODEL_FIGURES:
        text += " The figures are model results, not timings: they do not depend on the machine's load."
    elif all(isinstance(load, int | float) for load in loads):
        text += f" Load average {loads[0]:.1f} at the start, {loads[1]:.1f} at the end"
        if isinstance(cpus, int) and max(loads) > 0.5 * cpus:
            text += (
                ": other jobs shared the machine, so the seconds are noisy; the ratios, measured side by side "
                "in one run, are steadier."
            )
        else:
            text += "."
    return text + "*"


# --- views of each benchmark ----------------------------------------------------------------


def core_table(result: dict) -> str:
    columns = [
        Column("sectors", "sectors"),
        Column("simengine s", "simengine_s", lambda v: number(v, 3)),
        Column("of which build s", "simengine_build_s", lambda v: number(v, 3)),
        Column("pymrio s", "pymrio_s", lambda v: number(v, 3)),
        Column("LAPACK s", "lapack_s", lambda v: number(v, 3)),
        Column("pymrio / simengine", "pymrio_over_simengine", ratio),
        Column("simengine / LAPACK", "simengine_over_lapack", ratio),
    ]
    return markdown_table(columns, result["rows"])


def core_goals(result: dict) -> str:
    """The goals at the largest size: at least 3x pymrio, within 1.3x of bare LAPACK."""
    row = max(result["rows"], key=lambda r: r["sectors"])
    faster, limit = row.get("pymrio_over_simengine"), row.get("simengine_over_lapack")

    def verdict(value, goal, above):
        if value is None:
            return "not measured"
        return "met" if (value >= goal if above else value <= goal) else "not met"

    return (
        f"At {row['sectors']:,} sectors simengine is {ratio(faster)} faster than pymrio (goal: at least 3x, "
        f"{verdict(faster, 3.0, True)}) and takes {ratio(limit)} the bare-LAPACK time (goal: at most 1.3x, "
        f"{verdict(limit, 1.3, False)})."
    )


def _split(value: object) -> str:
    """A time split ``{part: seconds}`` as ``levers 0.99, solve 0.10, ...``."""
    if not isinstance(value, dict):
        return ""
    return ", ".join(f"{name.replace('_', ' ')} {number(seconds, 2)}" for name, seconds in value.items())


def batch_table(result: dict) -> str:
    columns = [
        Column("path (Gwangmyeong, 5 years)", "method", str, right=False),
        Column("scenario-draws", "draws"),
        Column("seconds", "seconds", lambda v: number(v, 3 if v < 1 else 2)),
        Column("per second", "scenarios_per_second", lambda v: number(v, 0)),
        Column("per CPU second", "scenarios_per_cpu_second", lambda v: number(v, 0)),
        Column("vs pymrio per scenario", "ratio_vs_pymrio", lambda v: ratio(v, 1)),
        Column("vs numpy GEMM", "ratio_vs_gemm", small),
        Column("propagation step vs GEMM", "propagation_vs_gemm", small),
        Column("time split (s)", "split", _split, right=False),
    ]
    return markdown_table(columns, result["rows"])


def batch_goals(result: dict) -> str:
    """The goals of the batch benchmark, each met or not in this run."""
    goals = result.get("goals", {})
    if not goals:
        return "*No goals recorded in this result file.*"
    return (
        "Goals in this run: " + "; ".join(f"{name}: {'met' if met else 'not met'}" for name, met in goals.items()) + "."
    )


def coefficients_table(result: dict) -> str:
    columns = [
        Column("path", "method", lambda v: v.strip(), right=False),
        Column("draws", "draws"),
        Column("seconds", "seconds", lambda v: number(v, 3 if v < 1 else 2)),
        Column("draws/s", "draws_per_second", lambda v: number(v, 0)),
        Column("vs a Circuit per draw", "vs_circuit_per_draw", lambda v: ratio(v, 1)),
        Column("vs pymrio per draw", "vs_pymrio", lambda v: ratio(v, 0)),
        Column("vs numpy.linalg.solve on the stack", "vs_numpy_solve", small),
        Column("time split (s)", "split", _split, right=False),
    ]
    return markdown_table(columns, result["rows"])


def uncertainty_table(result: dict) -> str:
    columns = [
        Column("path", "path", str, right=False),
        Column("scenario-draws", "scenario_draws"),
        Column("seconds", "seconds", lambda v: number(v, 2)),
        Column("scenario-draws/s", "scenario_draws_per_second", lambda v: number(v, 0)),
        Column("ratio", "ratio", lambda v: ratio(v, 1)),
    ]
    return markdown_table(columns, result["rows"])


def uncertainty_streamed(result: dict) -> str:
    """The 1,000,000-draw comparison through the command line, and its report."""
    s = result.get("streamed")
    if not s:
        return "*Not measured in this result file: run with `--streamed N`.*"
    rows = [
        {"measure": "draws x scenarios", "value": f"{s['draws']:,} x {result['scenarios']}"},
        {
            "measure": f"`simengine compare --uncertainty`, {s['workers']} workers (s)",
            "value": number(s["compare_seconds"], 1),
        },
        *(
            [
                {
                    "measure": "CPU seconds, command and workers (user + system)",
                    "value": number(s["compare_cpu_seconds"], 1),
                },
                {
                    "measure": f"CPU seconds / {s['cores']} cores (the wall time of an idle machine, at best)",
                    "value": number(s["compare_cpu_seconds"] / s["cores"], 1),
                },
            ]
            if "compare_cpu_seconds" in s
            else []
        ),
        {"measure": "peak memory, largest process (MB)", "value": number(s["compare_max_rss_mb"], 0)},
        {"measure": "peak memory, command and workers summed (MB)", "value": number(s["compare_tree_rss_peak_mb"], 0)},
        {"measure": "draws file (MB)", "value": number(s["draws_file_mb"], 0)},
        {
            "measure": f"`simengine report --uncertainty` of {s['report_draws']:,} draws (s)",
            "value": number(s["report_seconds"], 1),
        },
        *(
            [{"measure": "CPU seconds of the report", "value": number(s["report_cpu_seconds"], 1)}]
            if "report_cpu_seconds" in s
            else []
        ),
        {"measure": "report size (MB)", "value": number(s["report_mb"], 2)},
    ]
    return markdown_table([Column("measure", "measure", str, right=False), Column("value", "value", str)], rows)


def _cluster_row(path: str, r: dict, memory: float, ratio: str, efficiency: str) -> str:
    return (
        f"| {path} | {r['chunk_size']:,} | {r['chunks']} | {r['seconds']:.1f} | "
        f"{r['scenario_draws_per_second']:,.0f} | "
        f"{ratio} | {r['cpu_seconds']:.1f} | {r['draws_per_cpu_second']:,.0f} | {efficiency} | {memory:,.0f} |"
    )


def cluster_tables(out: dict) -> str:
    """The tables of a cluster result (as in docs/scale_out.md): measured runs, then the extrapolation."""
    rows = [
        "| path | chunk (draws) | chunks | wall s | scenario-draws/s | vs in-process | CPU s | draws per CPU s "
        "| per CPU s vs in-process | peak MB |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    pools = out.get("pool") or [None] * len(out["dask"])
    for p, q, r in zip(out["in_process"], pools, out["dask"], strict=True):
        rows.append(_cluster_row("in-process", p, p["peak_rss_mb"], "1.00", "1.00"))
        if q is not None:
            rows.append(
                _cluster_row(
                    f"process pool, {out['workers']} processes (driver)",
                    q,
                    q["peak_rss_mb"],
                    f"{q['vs_in_process']:.2f}",
                    f"{q['cpu_efficiency_vs_in_process']:.2f}",
                )
            )
        rows.append(
            _cluster_row(
                f"Dask, {out['workers']} workers (driver)",
                r,
                r["driver_peak_rss_mb"],
                f"{r['vs_in_process']:.2f}",
                f"{r['cpu_efficiency_vs_in_process']:.2f}",
            )
        )
    s, e, o = out["chunk_split"], out["extrapolation_100_workers"], out["dask_overhead"]
    m, summary = out["malloc"], out["summary"]
    rows += [
        "",
        f"{out['draws']:,} draws x {out['scenarios']} scenarios, {out['cores']} cores, load average "
        f"{out['load_average_at_start']:.1f} at the start and {out['load_average_at_end']:.1f} at the end; each "
        "run is compared with the in-process run at the same chunk size just before it. Dask overhead: "
        f"{o['seconds_per_task'] * 1e3:.2f} ms per empty task ({o['noop_tasks']} tasks), "
        f"{o['driver_cpu_seconds_per_task'] * 1e3:.2f} ms of the driver's CPU (scheduler and client) per task; "
        f"an idle cluster burns {o['idle_cpu_per_second']:.3f} CPU seconds per second "
        f"({o['idle_cpu_per_second_dask_defaults']:.3f} with Dask's default configuration). One chunk of "
        f"{s['chunk_size']:,} draws in this process: compute {s['compute_seconds']:.2f} s, write "
        f"{s['write_seconds']:.2f} s, {s['stored_bytes_per_draw']:,.0f} bytes stored per draw "
        f"({s['raw_bytes_per_draw']:,.0f} raw); its CPU time {m['cpu_seconds_with_trim_threshold']:.2f} s with "
        f"`MALLOC_TRIM_THRESHOLD_` set as Dask's nanny sets it, {m['cpu_seconds_without']:.2f} s without. The "
        f"summary of the {summary['draws']:,}-draw store (`write_summary`, streamed): {summary['seconds']:.1f} s, "
        f"peak memory {summary['peak_rss_mb']:,.0f} MB.",
        "",
        f"Extrapolation to {e['workers']} workers and {e['draws']:,} draws: a chunk costs "
        f"{e['fixed_seconds_per_chunk']:.2f} s + 1 / {e['draws_per_second_per_worker_marginal']:,.0f} s per draw "
        f"on one worker; at {e['scheduler_cpu_seconds_per_task'] * 1e3:.2f} ms of CPU per task a scheduler on a "
        f"core of its own serves {e['scheduler_tasks_per_second']:,.0f} tasks/s, and the smallest chunk that "
        f"keeps it under 10% busy is {e['smallest_chunk_scheduler_10pct_busy']:,.0f} draws "
        f"({e['smallest_chunk_documented_scheduler_10pct_busy']:,.0f} at Dask's documented 1 ms per task); "
        f"the store must take {e['store_write_mb_per_second']:,.0f} MB/s.",
        "",
        "| chunk (draws) | tasks/s | scheduler busy | worker time in draws | chunks per worker | busy workers | s |",
        "|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for c, v in e["at_chunk"].items():
        rows.append(
            f"| {int(c):,} | {v['tasks_per_second']:,.1f} | {v['scheduler_busy']:.1%} | "
            f"{v['worker_efficiency']:.0%} | {v['chunks_per_worker']:,.1f} | {v['busy_workers']} | "
            f"{v['seconds']:,.1f} |"
        )
    return "\n".join(rows)


def _span(values: list[float]) -> str:
    """``low-high`` of ratios (one value alone when there is one)."""
    return f"{min(values):.2f}-{max(values):.2f}" if len(values) > 1 else f"{values[0]:.2f}"


def cluster_findings(out: dict) -> str:
    """What a cluster result says, as the bullets of docs/scale_out.md (every figure from the result)."""
    pairs = list(zip(out["in_process"], out["dask"], strict=True))
    wall = [r["vs_in_process"] for _, r in pairs]
    cpu = [r["cpu_efficiency_vs_in_process"] for _, r in pairs]
    sizes = ", ".join(f"{p['chunk_size']:,}" for p, _ in pairs)
    o, e, m = out["dask_overhead"], out["extrapolation_100_workers"], out["malloc"]
    largest = max(out["in_process"], key=lambda p: p["chunk_size"])
    driver = max(r["driver_peak_rss_mb"] for r in out["dask"])
    spread = (_span(wall), _span(cpu))
    workers = out["workers"]
    lines = [
        f"- **Throughput.** With {workers} workers the cluster streamed {spread[0]} times the in-process path's "
        f"draws per second, and {spread[1]} of its draws per CPU second (chunks of {sizes} draws, each pair "
        "side by side).",
    ]
    if out.get("pool"):
        pool_wall = [q["vs_in_process"] for q in out["pool"]]
        pool_cpu = [q["cpu_efficiency_vs_in_process"] for q in out["pool"]]
        own = [
            r["draws_per_cpu_second"] / q["draws_per_cpu_second"] for q, r in zip(out["pool"], out["dask"], strict=True)
        ]
        lines.append(
            f"- **Where the rest goes.** A process pool of {workers} processes without Dask gave "
            f"{_span(pool_wall)} times the in-process path's draws per second and {_span(pool_cpu)} of its draws "
            f"per CPU second; the Dask cluster {_span(own)} of the pool's draws per CPU second. The pool's ratio "
            "is what two processes sharing this machine's cores, caches and memory bandwidth (with its other "
            "jobs) cost without Dask; the cluster's ratio to the pool is Dask's own share."
        )
    lines += [
        f"- **Chunk size.** In this process, {sizes} draws per chunk gave "
        + ", ".join(f"{p['draws_per_cpu_second']:,.0f}" for p, _ in pairs)
        + " draws per CPU second; the fitted fixed cost of a chunk is "
        f"{e['fixed_seconds_per_chunk']:.3f} s. A worker holds one chunk in flight: the in-process run's peak "
        f"memory was {largest['peak_rss_mb']:,.0f} MB at {largest['chunk_size']:,} draws per chunk.",
        f"- **Dask's idle work.** An idle {workers}-worker cluster with Dask's default configuration burns "
        f"{o['idle_cpu_per_second_dask_defaults']:.3f} CPU seconds per second (profiler, event-loop ticks, "
        f"system and memory monitors), {o['idle_cpu_per_second']:.3f} with `simengine.stores.WORKER_CONFIG`: a "
        "cost per second of wall time, not per chunk, that grows with the run's wall time on a shared machine.",
        f"- **A trap, measured and avoided.** A chunk of {m['chunk_size']:,} draws took "
        f"{m['cpu_seconds_with_trim_threshold']:.2f} CPU s with `MALLOC_TRIM_THRESHOLD_` set as Dask's nanny sets "
        f"it (glibc's adaptive mmap threshold off, every large array fresh pages from the kernel) and "
        f"{m['cpu_seconds_without']:.2f} CPU s without it.",
        f"- **Driver memory.** The driver's peak was {driver:,.0f} MB over the Dask runs (imports, the drawn "
        "parameters, one future per chunk; no result passes through it), and the streamed summary of the "
        f"{out['summary']['draws']:,}-draw store peaked at {out['summary']['peak_rss_mb']:,.0f} MB.",
    ]
    return "\n".join(lines)


def cluster_paper(out: dict) -> str:
    """The 100-worker extrapolation of a cluster result, as the bullets of docs/scale_out.md."""
    e = out["extrapolation_100_workers"]
    w, draws, rate = e["workers"], e["draws"], e["draws_per_second_per_worker_marginal"]
    at8, at32 = e["at_chunk"]["8192"], e["at_chunk"]["32768"]
    smallest = math.ceil(e["smallest_chunk_scheduler_10pct_busy"])
    split = out["chunk_split"]
    largest = max(out["in_process"], key=lambda p: p["chunk_size"])
    return "\n".join(
        [
            f"- **The scheduler.** Here the scheduler and the client spent "
            f"{e['scheduler_cpu_seconds_per_task'] * 1e3:.2f} ms of CPU per (empty) task: a scheduler with a core "
            f"of its own serves {e['scheduler_tasks_per_second']:,.0f} tasks per second (Dask documents about "
            f"1 ms per task, {e['documented_scheduler_tasks_per_second']:,.0f} per second). At {w} workers and "
            f"{rate:,.0f} draws per worker-second, chunks of {smallest:,} draws keep it under 10% busy "
            f"({math.ceil(e['smallest_chunk_documented_scheduler_10pct_busy']):,} at the documented rate); chunks "
            f"of 8,192 draws keep it {at8['scheduler_busy']:.1%} busy, chunks of 32,768 draws "
            f"{at32['scheduler_busy']:.1%}.",
            f"- **Enough chunks.** A {draws:,}-draw comparison is about {draws / rate / w:.1f} s of work for {w} "
            f"workers: with chunks of 8,192 draws there are {at8['chunks_per_worker']:.1f} chunks per worker, and "
            f"chunks of 32,768 draws keep only {at32['busy_workers']} of them busy. {w} workers pay off for larger "
            f"jobs: ten chunks of {smallest:,} draws per worker from {10 * w * smallest:,} draws on, or many "
            "comparisons (every province, many packages) submitted as one job each.",
            f"- **The store.** {w} workers at the measured rate write {e['store_write_mb_per_second']:,.0f} MB/s "
            f"into the store ({split['stored_bytes_per_draw']:,.0f} bytes per draw after compression): a parallel "
            "file system or an object store; a single NFS server would be the limit before the scheduler is.",
            f"- **Memory.** A worker holds one chunk in flight: the process that computed chunks of "
            f"{largest['chunk_size']:,} draws here peaked at {largest['peak_rss_mb']:,.0f} MB, imports included; "
            "the driver's share grows only with the number of chunks and the drawn parameters.",
        ]
    )


def paths_table(result: dict) -> str:
    columns = [
        Column("table", "table", str, right=False),
        Column("k", "k"),
        Column("best-first s", "best_first_s", lambda v: number(v, 4)),
        Column("threshold tree s", "threshold_tree_s", lambda v: number(v, 4)),
        Column("tree / best-first", "ratio", ratio),
    ]
    return markdown_table(columns, result["rows"])


def balance_table(result: dict) -> str:
    columns = [
        Column("size", "size", lambda v: f"{v} x {v}"),
        Column("RAS sweeps", "ras_sweeps"),
        Column("RAS s", "ras_s", lambda v: number(v, 4)),
        Column("GRAS (10% negative) sweeps", "gras_sweeps"),
        Column("GRAS s", "gras_s", lambda v: number(v, 4)),
        Column("one RAS sweep / one matrix-vector product", "ras_sweep_over_matvec", ratio),
    ]
    return markdown_table(columns, result["rows"])


#: Measures of the agent benchmark: key, what it is, how it is written.
AGENT_MEASURES: tuple[tuple[str, str, Callable[[object], str]], ...] = (
    ("firms", "firms", number),
    ("contracts_per_run", "contracts per run (120 months)", number),
    ("run_seconds_median", "one run, 1 core, median (s)", lambda v: number(v, 3)),
    ("run_seconds_min", "one run, 1 core, fastest (s)", lambda v: number(v, 3)),
    ("per_period_seconds", "per monthly period (ms)", lambda v: number(1e3 * v, 2)),  # type: ignore[operator]
    ("twin_ratio", "numba kernel / pure-Python twin (twin extrapolated per contract)", ratio),
    ("monte_carlo_seconds_1_thread", "Monte Carlo draws, 1 thread (s; extrapolated from fewer draws)", number),
    ("monte_carlo_seconds_2_threads", "Monte Carlo draws, 2 threads (s)", number),
    ("speedup_2_threads", "speed-up on 2 threads", ratio),
    ("peak_rss_mb", "peak resident memory (MB)", lambda v: number(v, 0)),
    (
        "boario_step_seconds",
        "BoARIO `ARIOPsiModel` per step, same sectors x 2 regions (ms)",
        lambda v: number(1e3 * v, 2),
    ),  # type: ignore[operator]
    ("boario_ratio", "BoARIO step / our monthly period", ratio),
)


def agents_table(result: dict) -> str:
    rows = [
        {"measure": label, "value": "n/a" if result[key] is None else write(result[key])}
        for key, label, write in AGENT_MEASURES
        if key in result
    ]
    if "draws" in result:
        rows.insert(6, {"measure": "Monte Carlo draws", "value": number(result["draws"])})
    return markdown_table([Column("measure", "measure", str, right=False), Column("value", "value", str)], rows)


def consistency_table(result: dict) -> str:
    """Agent against analytic per outside-funded local award, and the circuit stock."""
    years, draws = result.get("years", "?"), result.get("draws", "?")
    rows = [
        {
            "measure": f"{years} years, {draws} draws: local output per local award (awarded value)",
            "agent": f"{number(result['output_per_local_award'], 4)} "
            f"(s.e. {number(result['output_per_local_award_se'], 4)})",
            "analytic": "",
        }
    ]
    names = {"local_output": "local output", "local_income": "resident income", "local_tax": "local tax"}
    for key, name in names.items():
        if f"{key}_per_funded_award" in result:
            rows.append(
                {
                    "measure": f"{name} per outside-funded local award, for the realised mix",
                    "agent": number(result[f"{key}_per_funded_award"], 5),
                    "analytic": number(result[f"{key}_analytic"], 5),
                }
            )
    rows.append(
        {
            "measure": f"circuit stock after {years} years (x a year's local awards)",
            "agent": number(result["stock_over_year_local_awards"], 3),
            "analytic": "",
        }
    )
    rows.append({"measure": "local award share", "agent": number(result["local_award_share"], 3), "analytic": ""})
    if "last_year_output_per_local_award" in result:
        rows.append(
            {
                "measure": f"year {10 * len(result.get('decades', []))} (one draw): local output per local award",
                "agent": number(result["last_year_output_per_local_award"], 4),
                "analytic": "",
            }
        )
    columns = [
        Column("", "measure", str, right=False),
        Column("agent", "agent", str),
        Column("analytic", "analytic", str),
    ]
    return markdown_table(columns, rows)


def consistency_decades(result: dict) -> str:
    """One long run by decade: output per local award, per funded award against the analytic circuit, stock."""
    rows = [
        {
            **row,
            "stock_years": row["stock"] / row["year_local_awards"] if row.get("year_local_awards") else None,
            "gap": row["output_per_funded_award"] / row["analytic"] - 1 if row.get("analytic") else None,
        }
        for row in result.get("decades", [])
    ]
    columns = [
        Column("decade", "decade"),
        Column("output per local award", "output_per_local_award", lambda v: number(v, 4)),
        Column("per funded award: agent", "output_per_funded_award", lambda v: number(v, 4)),
        Column("analytic", "analytic", lambda v: number(v, 4)),
        Column("gap", "gap", lambda v: "n/a" if v is None else f"{100 * v:+.2f}%"),  # type: ignore[operator]
        Column("stock (x a year's local awards)", "stock_years", lambda v: number(v, 3)),
    ]
    return markdown_table(columns, rows)


def responses_ranking(result: dict) -> str:
    """The shipped comparison ranked with literature/assumed and with agent-derived responses, side by side."""
    rankings = result["rankings"]
    literature, derived = rankings["literature"], rankings["agent-derived"]
    lines = [
        f"| scenario | rank (literature) | NPB {literature['objective']}, KRW bn | P(first) | "
        "rank (agent-derived) | NPB, KRW bn | P(first) |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for label in sorted(literature["scenarios"], key=lambda s: literature["scenarios"][s]["rank"]):
        a, b = literature["scenarios"][label], derived["scenarios"][label]
        lines.append(
            f"| {label} | {a['rank']} | {number(a['npb'] / 1000, 1)} | {a['p_first']:.2f} | "
            f"{b['rank']} | {number(b['npb'] / 1000, 1)} | {b['p_first']:.2f} |"
        )
    lines += [
        "",
        f"NPB: net present benefit of {literature['objective']} against the baseline (point values); P(first): "
        f"probability of ranking first under {literature['draws']:,} joint draws of the response parameters "
        f"(seed {literature['seed']}; agent-derived: each drawn on its fit's estimate +/- 2 s.e.).",
    ]
    return "\n".join(lines)


def responses_values(result: dict) -> str:
    """The shipped agent-derived response parameters beside the literature/assumed values."""
    block = result["responses"]
    lines = [
        "| lever kind | parameter | literature / assumed | agent-derived (s.e.) | by method (s.e.) | R² share |",
        "|---|---|--:|--:|---|--:|",
    ]
    for row in block["rows"]:
        methods = ", ".join(f"{m} {v:.3g} ({e:.2g})" for m, (v, e) in row["by_method"].items())
        r2 = "n/a" if row["r2_share"] is None else f"{row['r2_share']:.2f}"
        lines.append(
            f"| `{row['kind']}` | `{row['parameter']}` | {row['literature']:g} | {row['derived']:.3g} "
            f"({row['standard_error']:.2g}) | {methods} | {r2} |"
        )
    provenance = block["provenance"]
    lines += [
        "",
        f"From `simengine/levers/responses/agent-derived.toml`, written by `{provenance['command']}` "
        f"({provenance['draws']} draws x {provenance['months']} months, code {provenance['code_version']}, "
        f"{provenance['date']}; all six kinds took {provenance['wall_seconds'] / 60:.1f} minutes on "
        f"{provenance['cores']} cores shared with other jobs, {provenance['cpu_seconds']:,.0f} CPU-seconds).",
    ]
    return "\n".join(lines)


#: Views by (benchmark, view name). A benchmark without an entry gets :func:`generic_table`.
VIEWS: dict[tuple[str, str], Callable[[dict], str]] = {
    ("bench_core", "table"): core_table,
    ("bench_core", "goals"): core_goals,
    ("bench_batch", "table"): batch_table,
    ("bench_batch", "goals"): batch_goals,
    ("bench_coefficients", "table"): coefficients_table,
    ("bench_uncertainty", "table"): uncertainty_table,
    ("bench_uncertainty", "streamed"): uncertainty_streamed,
    ("bench_paths", "table"): paths_table,
    ("bench_cluster", "table"): cluster_tables,
    ("bench_cluster", "findings"): cluster_findings,
    ("bench_cluster_1m", "table"): cluster_tables,
    ("bench_cluster_1m", "findings"): cluster_findings,
    ("bench_cluster_1m", "paper"): cluster_paper,
    ("bench_balance", "table"): balance_table,
    ("bench_agents", "table"): agents_table,
    ("agents_consistency", "table"): consistency_table,
    ("agents_consistency", "decades"): consistency_decades,
    ("compare_responses", "table"): responses_ranking,
    ("compare_responses", "values"): responses_values,
}
#: Benchmarks whose figures are model results (ratios of model quantities), not timings.
MODEL_FIGURES = {"agents_consistency", "compare_responses"}
#: Views that are a sentence, not a table, and carry no caption.
SENTENCES = {
    ("bench_core", "goals"),
    ("bench_batch", "goals"),
    ("bench_cluster", "findings"),
    ("bench_cluster_1m", "findings"),
    ("bench_cluster_1m", "paper"),
}


class RenderError(Exception):
    """A marked block that cannot be rendered (no result file, unknown view, unreadable JSON)."""


def load_result(name: str, results: Path = RESULTS) -> dict:
    path = results / f"{name}.json"
    if not path.is_file():
        raise RenderError(f"no result file benchmarks/results/{name}.json; run benchmarks/{name}.py --json {path.name}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise RenderError(f"benchmarks/results/{name}.json: not JSON ({exc})") from None


def render_block(name: str, view: str | None, results: Path = RESULTS) -> str:
    """The text between the markers of ``name`` (and ``view``), ending in a newline."""
    view = view or "table"
    result = load_result(name, results)
    function = VIEWS.get((name, view))
    if function is None:
        if view != "table":
            known = sorted(v for n, v in VIEWS if n == name) or ["table"]
            raise RenderError(f"benchmark {name!r} has no view {view!r}; use one of {known}")
        function = generic_table
    try:
        body = function(result)
    except (KeyError, TypeError, ValueError) as exc:
        raise RenderError(
            f"benchmarks/results/{name}.json: cannot render view {view!r} ({type(exc).__name__}: {exc})"
        ) from None
    if (name, view) in SENTENCES:
        return body + "\n"
    return f"{body}\n\n{caption(result, name)}\n"


#: A fenced code block (markers shown inside one are examples, not tables).
FENCE = re.compile(r"^```.*?^```[^\n]*\n?", re.S | re.M)


def _outside_fences(text: str) -> list[tuple[bool, str]]:
    """``text`` cut into ``(is_code, part)`` pieces at its fenced code blocks."""
    pieces, start = [], 0
    for found in FENCE.finditer(text):
        pieces += [(False, text[start : found.start()]), (True, found.group())]
        start = found.end()
    return [*pieces, (False, text[start:])]


def render_text(text: str, results: Path = RESULTS) -> str:
    """``text`` with every marked block outside code fences rendered from the result files."""

    def replace(found: re.Match) -> str:
        return found["open"] + render_block(found["name"], found["view"], results) + found["close"]

    return "".join(part if code else MARKER.sub(replace, part) for code, part in _outside_fences(text))


def stale(paths: Iterable[Path] | None = None, results: Path = RESULTS) -> list[str]:
    """The documents whose marked blocks differ from their rendering (paths relative to the root)."""
    out = []
    for path in documents() if paths is None else paths:
        text = path.read_text(encoding="utf-8")
        if render_text(text, results) != text:
            out.append(str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path))
    return out


def markers(paths: Iterable[Path] | None = None) -> list[tuple[str, str, str]]:
    """Every marked block: (document, benchmark, view)."""
    found = []
    for path in documents() if paths is None else paths:
        for code, part in _outside_fences(path.read_text(encoding="utf-8")):
            if not code:
                found += [(path.name, match["name"], match["view"] or "table") for match in MARKER.finditer(part)]
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="list documents whose tables are out of date; exit 1 if any"
    )
    parser.add_argument("files", nargs="*", type=Path, help="documents [default: README.md and docs/*.md]")
    args = parser.parse_args(argv)
    paths = [path.resolve() for path in args.files] or documents()
    try:
        if args.check:
            out_of_date = stale(paths)
            for name in out_of_date:
                print(
                    f"{name}: benchmark tables differ from benchmarks/results/*.json; run python benchmarks/render.py"
                )
            return 1 if out_of_date else 0
        for path in paths:
            text = path.read_text(encoding="utf-8")
            rendered = render_text(text)
            if rendered != text:
                path.write_text(rendered, encoding="utf-8")
                print(f"rendered {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    except RenderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
