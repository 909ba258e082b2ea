"""A large uncertainty comparison streamed into a Zarr store: in this process vs a Dask LocalCluster.

The 12 scenarios of the shipped Gwangmyeong batch under ``--draws`` joint draws of every lever
response parameter (:func:`simengine.stores.draw_job`), written chunk by chunk into a Zarr store
(:func:`simengine.stores.run_job`), side by side in one run, for each of ``--chunk-sizes``:

- **in-process**: every chunk computed and written by one process without Dask (BLAS pinned
  to one thread, as everywhere), run in a fresh process of its own so that its memory is its
  own; then
- **process pool**: ``--workers`` processes of a ``ProcessPoolExecutor`` (no Dask), each chunk
  written by the process that computed it, in a fresh process too (``--no-pool`` skips it): what
  two processes on this machine do without Dask;
- **Dask**: a ``LocalCluster`` of ``--workers`` one-thread processes
  (:func:`simengine.stores.dask_client`), started for the run; each worker computes its chunks
  and writes their regions itself. The driver's memory is its resident set size, sampled every
  50 ms (the LocalCluster's scheduler runs in the driver process, so it is included).

Alternating the two paths chunk size by chunk size keeps them under the same load of the
machine. Besides:

- **Dask overhead**: ``--noop-tasks`` empty tasks through a cluster (seconds per task, and the
  driver's CPU seconds per task: scheduler and client), and the CPU an idle cluster burns per
  second with Dask's default configuration and with :data:`simengine.stores.WORKER_CONFIG`;
- **a chunk split** into compute and write time, and the compute time with Dask's
  ``MALLOC_TRIM_THRESHOLD_`` set and unset (each in a fresh process);
- **the summary** of the store's comparison (:func:`simengine.stores.write_summary`, streamed
  from the store), in a fresh process: seconds and peak memory;
- **extrapolation**: from the per-worker rate and the scheduler's CPU per task, the smallest
  chunk that keeps a scheduler on a core of its own under 10% busy at 100 workers, and the write
  bandwidth the store's file system must then sustain.

Run: ``PYTHONPATH=. python benchmarks/bench_cluster.py [--draws 1000000] [--json out.json]``.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import math
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from _record import write_result
from render import cluster_tables

BATCH = Path(__file__).resolve().parents[1] / "scenarios" / "batch_gwangmyeong.toml"


class PeakMemory:
    """Peak resident set size of this process while the block runs (sampled every 50 ms), in MB."""

    def __enter__(self):
        import psutil

        self._process = psutil.Process()
        self.peak = self._process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)
        self.peak_mb = self.peak / 2**20


def _noop(index: int) -> int:
    return index


def _cpu_seconds() -> float:
    """CPU seconds (user and system) used so far by this process."""
    import psutil

    return sum(psutil.Process().cpu_times()[:2])


def _store_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _peak_rss_mb() -> float:
    """Peak resident set size of this process since it started its program, in MB.

    Linux's ``VmHWM`` (of this program's memory map); ``getrusage``'s ``ru_maxrss`` would not do
    in a spawned process, since it is kept across ``execve`` and so starts at the size of the
    process it was forked from.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # no /proc: an upper bound


def _fresh_process():
    """A pool of one fresh process (spawned: nothing inherited from this one's memory)."""
    return concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))


def _in_process_run(draws: int, chunk_size: int, path: str) -> dict:
    """The in-process path in this (fresh) process: warm up on 64 draws, then the timed run."""
    from simengine.stores import draw_job, run_job
    from simengine.uncertainty import comparison_scenarios

    scenarios, _, seed = comparison_scenarios([BATCH])
    run_job(
        draw_job(scenarios, draws=64, seed=seed, chunk_size=64),
        Path(path).with_name("warm-in-process.zarr"),
        overwrite=True,
    )
    cpu, start = _cpu_seconds(), time.perf_counter()
    outcome = run_job(draw_job(scenarios, draws=draws, seed=seed, chunk_size=chunk_size), path)
    seconds, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
    assert outcome.computed == outcome.chunks
    return {"seconds": seconds, "cpu_seconds": cpu, "chunks": outcome.chunks, "peak_rss_mb": _peak_rss_mb()}


def _warm_worker(folder: str) -> None:
    """Pool initializer: a chunk computed and written (imports, numba's cached kernels, the region
    context), as a warmed Dask worker has done."""
    from simengine.stores import draw_job, run_job
    from simengine.uncertainty import comparison_scenarios

    scenarios, _, seed = comparison_scenarios([BATCH])
    run_job(draw_job(scenarios, draws=64, seed=seed, chunk_size=64), Path(folder) / f"warm-{os.getpid()}.zarr")


def _pause(seconds: float) -> None:
    time.sleep(seconds)


def _pool_run(draws: int, chunk_size: int, path: str, workers: int) -> dict:
    """The process-pool path in this (fresh) process: ``run_job(..., executor=ProcessPoolExecutor(workers))``,
    the workers warmed first; CPU seconds of this process and of the pool's processes."""
    import psutil

    from simengine.stores import draw_job, run_job
    from simengine.uncertainty import comparison_scenarios

    scenarios, _, seed = comparison_scenarios([BATCH])
    _warm_worker(str(Path(path).parent))  # this process runs the job's probe, as the others' drivers do
    me = psutil.Process()
    context = multiprocessing.get_context("spawn")
    warm = (str(Path(path).parent),)
    with concurrent.futures.ProcessPoolExecutor(
        workers, mp_context=context, initializer=_warm_worker, initargs=warm
    ) as pool:
        list(pool.map(_pause, [0.5] * (2 * workers)))  # every process started and warmed

        def cpu() -> float:
            return _cpu_seconds() + sum(sum(child.cpu_times()[:2]) for child in me.children())

        used, start = cpu(), time.perf_counter()
        outcome = run_job(draw_job(scenarios, draws=draws, seed=seed, chunk_size=chunk_size), path, executor=pool)
        seconds, used = time.perf_counter() - start, cpu() - used
    assert outcome.computed == outcome.chunks
    return {"seconds": seconds, "cpu_seconds": used, "chunks": outcome.chunks, "peak_rss_mb": _peak_rss_mb()}


def _chunk_cpu(draws: int) -> float:
    """CPU seconds of one chunk of ``draws`` draws computed in this (fresh) process, after a warm-up chunk."""
    from simengine.stores import _compute, draw_job
    from simengine.uncertainty import comparison_scenarios

    scenarios, _, seed = comparison_scenarios([BATCH])
    job = draw_job(scenarios, draws=2 * draws, seed=seed, chunk_size=draws)
    _compute(job.tasks[0])
    cpu = _cpu_seconds()
    _compute(job.tasks[1])
    return _cpu_seconds() - cpu


def _malloc_check(draws: int) -> dict:
    """A chunk's CPU seconds with Dask's nanny setting ``MALLOC_TRIM_THRESHOLD_`` (65536) and without."""
    out = {"chunk_size": draws}
    for key, value in (("with_trim_threshold", "65536"), ("without", None)):
        saved = os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)
        if value is not None:
            os.environ["MALLOC_TRIM_THRESHOLD_"] = value  # read by glibc when the child starts
        try:
            with _fresh_process() as pool:
                out[f"cpu_seconds_{key}"] = pool.submit(_chunk_cpu, draws).result()
        finally:
            os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)
            if saved is not None:
                os.environ["MALLOC_TRIM_THRESHOLD_"] = saved
    return out


def _summary_run(path: str) -> dict:
    """:func:`simengine.stores.write_summary` of a complete draw store in this (fresh) process."""
    import simengine.uncertainty  # noqa: F401  (imports outside the timing)
    from simengine.stores import write_summary

    cpu, start = _cpu_seconds(), time.perf_counter()
    write_summary(path, group=None)  # a draw store of its own: the comparison at its root
    return {
        "seconds": time.perf_counter() - start,
        "cpu_seconds": _cpu_seconds() - cpu,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _idle_cpu_per_second(client, seconds: float) -> float:
    """CPU seconds per second an idle cluster burns over ``seconds``: its workers and this (driver) process."""
    before = _cpu_seconds() + sum(client.run(_cpu_seconds).values())
    time.sleep(seconds)
    return (_cpu_seconds() + sum(client.run(_cpu_seconds).values()) - before) / seconds


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--draws", type=int, default=1_000_000)
    parser.add_argument("--chunk-sizes", default="2048,8192", help="draws per chunk, comma-separated")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--noop-tasks", type=int, default=500)
    parser.add_argument(
        "--pool",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run a process pool of --workers processes (no Dask) at each chunk size",
    )
    parser.add_argument("--idle-seconds", type=float, default=10.0, help="how long the idle cluster's CPU is measured")
    parser.add_argument("--split-chunk", type=int, default=2048, help="draws of the chunk split and malloc check")
    parser.add_argument("--folder", type=Path, default=None, help="where the stores are written (then removed)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.chunk_sizes.split(",")]
    load_at_start = os.getloadavg()[0]

    from simengine.stores import _compute, _create, _write_region, dask_client, draw_job, run_job
    from simengine.uncertainty import comparison_scenarios

    scenarios, _, seed = comparison_scenarios([BATCH])
    folder = Path(tempfile.mkdtemp(prefix="bench-cluster-", dir=args.folder))
    try:
        run_job(draw_job(scenarios, draws=64, seed=seed, chunk_size=64), folder / "warm.zarr")  # numba, region

        # one chunk split into compute and write
        size = min(args.split_chunk, args.draws)
        job = draw_job(scenarios, draws=size, seed=seed, chunk_size=size)
        start = time.perf_counter()
        result = _compute(job.tasks[0])
        compute_seconds = time.perf_counter() - start
        names = _create(folder / "split.zarr", None, job, result.region)
        start = time.perf_counter()
        _write_region(str(folder / "split.zarr"), None, 0, job.bounds[0], "draw", names, result)
        write_seconds = time.perf_counter() - start
        raw_bytes_per_draw = sum(result.region[n].nbytes for n in names) / size
        stored_bytes_per_draw = _store_bytes(folder / "split.zarr") / size
        del result, job
        malloc = _malloc_check(size)

        def dask_run(chunk_size: int, client, keep: bool) -> dict:
            path = folder / f"dask-{chunk_size}.zarr"
            with PeakMemory() as memory:
                cpu = _cpu_seconds() + sum(client.run(_cpu_seconds).values())
                start = time.perf_counter()
                outcome = run_job(
                    draw_job(scenarios, draws=args.draws, seed=seed, chunk_size=chunk_size), path, client=client
                )
                seconds = time.perf_counter() - start
                cpu = _cpu_seconds() + sum(client.run(_cpu_seconds).values()) - cpu
            assert outcome.computed == outcome.chunks
            stored = _store_bytes(path)
            if not keep:
                shutil.rmtree(path)
            return {
                "chunk_size": chunk_size,
                "chunks": outcome.chunks,
                "seconds": seconds,
                "draws_per_second": args.draws / seconds,
                "scenario_draws_per_second": args.draws * len(scenarios) / seconds,
                "driver_peak_rss_mb": memory.peak_mb,
                "cpu_seconds": cpu,
                "draws_per_cpu_second": args.draws / cpu,
                "store_mb": stored / 2**20,
            }

        def fresh_run(function, chunk_size: int, *extra) -> dict:
            path = folder / f"{function.__name__}-{chunk_size}.zarr"
            with _fresh_process() as pool:
                p = pool.submit(function, args.draws, chunk_size, str(path), *extra).result()
            stored = _store_bytes(path)
            shutil.rmtree(path)
            return {
                "chunk_size": chunk_size,
                "chunks": p["chunks"],
                "seconds": p["seconds"],
                "draws_per_second": args.draws / p["seconds"],
                "scenario_draws_per_second": args.draws * len(scenarios) / p["seconds"],
                "peak_rss_mb": p["peak_rss_mb"],
                "cpu_seconds": p["cpu_seconds"],
                "draws_per_cpu_second": args.draws / p["cpu_seconds"],
                "store_mb": stored / 2**20,
            }

        def versus(run: dict, reference: dict) -> None:
            run["vs_in_process"] = run["draws_per_second"] / reference["draws_per_second"]
            run["cpu_efficiency_vs_in_process"] = run["draws_per_cpu_second"] / reference["draws_per_cpu_second"]

        in_process, pools, runs, overhead = [], [], [], None
        for k, chunk_size in enumerate(sizes):
            in_process.append(fresh_run(_in_process_run, chunk_size))
            if args.pool:
                pools.append(fresh_run(_pool_run, chunk_size, args.workers))
                versus(pools[-1], in_process[-1])
            with dask_client(f"local:{args.workers}") as client:
                # warm every worker: imports, numba's cached kernels, the region context
                run_job(
                    draw_job(scenarios, draws=64 * args.workers * 2, seed=seed, chunk_size=64),
                    folder / f"warm-dask-{chunk_size}.zarr",
                    client=client,
                )
                if overhead is None:
                    cpu, start = _cpu_seconds(), time.perf_counter()
                    client.gather([client.submit(_noop, i, pure=False) for i in range(args.noop_tasks)])
                    seconds, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
                    overhead = {
                        "noop_tasks": args.noop_tasks,
                        "seconds_per_task": seconds / args.noop_tasks,
                        "driver_cpu_seconds_per_task": cpu / args.noop_tasks,
                        "idle_cpu_per_second": _idle_cpu_per_second(client, args.idle_seconds),
                    }
                run = dask_run(chunk_size, client, keep=k == len(sizes) - 1)
            versus(run, in_process[-1])
            runs.append(run)
        # the idle cluster with Dask's defaults, for comparison (the same machine, minutes later)
        with dask_client(f"local:{args.workers}", config={}) as client:
            overhead["idle_cpu_per_second_dask_defaults"] = _idle_cpu_per_second(client, args.idle_seconds)

        stored = folder / f"dask-{sizes[-1]}.zarr"
        with _fresh_process() as pool:
            summary = {"draws": args.draws, **pool.submit(_summary_run, str(stored)).result()}
        out = {
            "argv": argv if argv is not None else sys.argv[1:],
            "draws": args.draws,
            "scenarios": len(scenarios),
            "workers": args.workers,
            "cores": os.cpu_count(),
            "load_average_at_start": load_at_start,
            "load_average_at_end": os.getloadavg()[0],
            "in_process": in_process,
            "pool": pools,
            "dask": runs,
            "chunk_split": {
                "chunk_size": size,
                "compute_seconds": compute_seconds,
                "write_seconds": write_seconds,
                "raw_bytes_per_draw": raw_bytes_per_draw,
                "stored_bytes_per_draw": stored_bytes_per_draw,
            },
            "malloc": malloc,
            "dask_overhead": overhead,
            "summary": summary,
        }
        out["extrapolation_100_workers"] = extrapolate(out)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(cluster_tables(out))
    if args.json:
        # the result file is named for the run (bench_cluster, or e.g. bench_cluster_1m for a second run)
        write_result(args.json, args.json.stem, {"script": "bench_cluster", **out}, argv)
    return out


#: Dask distributed's documented overhead, "about 1ms" per task, as a task rate.
DOCUMENTED_TASKS_PER_SECOND = 1000.0


def extrapolate(out: dict, workers: int = 100, draws: int = 1_000_000) -> dict:
    """The measured rates carried to ``workers`` workers on a ``draws``-draw comparison.

    A chunk of ``C`` draws takes ``a + b C`` CPU seconds on one worker (``a``: the fixed cost of
    a chunk, ``b``: seconds per draw), fitted to the in-process runs' CPU seconds per chunk (CPU
    time, so that other jobs on a shared machine do not inflate it). The scheduler spends ``s``
    CPU seconds per task: the driver's CPU per empty task (scheduler and client, measured), so a
    scheduler on a core of its own serves ``1 / s`` tasks per second. With ``workers`` workers
    it must serve ``workers / (a + b C)`` tasks per second: at most 10% of its core needs
    ``C >= (workers s / 0.1 - a) / b``; ``draws / (C workers)`` chunks per worker keep the tail
    short when there are several; the store must take ``workers / b`` draws per second.
    """
    runs = out["in_process"]
    sizes = np.array([r["chunk_size"] for r in runs], dtype=float)
    per_chunk = np.array([r["cpu_seconds"] / r["chunks"] for r in runs])
    if len(runs) >= 2 and np.ptp(sizes) > 0:
        b, a = np.polyfit(sizes, per_chunk, 1)
        if a < 0 or b <= 0:  # noise: no fixed cost resolved
            a, b = 0.0, float(np.sum(per_chunk) / np.sum(sizes))
    else:
        a, b = 0.0, per_chunk[0] / sizes[0]
    overhead = out["dask_overhead"]
    rate = 1.0 / overhead["driver_cpu_seconds_per_task"]

    def smallest(tasks_per_second: float) -> float:
        return max((workers / (0.1 * tasks_per_second) - a) / b, 1.0)

    split = out["chunk_split"]
    found, documented = smallest(rate), smallest(DOCUMENTED_TASKS_PER_SECOND)
    candidates = sorted({int(c) for c in sizes} | {math.ceil(found), math.ceil(documented), 2048, 8192, 32768})
    return {
        "workers": workers,
        "draws": draws,
        "fixed_seconds_per_chunk": a,
        "draws_per_second_per_worker_marginal": 1.0 / b,
        "scheduler_cpu_seconds_per_task": overhead["driver_cpu_seconds_per_task"],
        "scheduler_tasks_per_second": rate,
        "smallest_chunk_scheduler_10pct_busy": found,
        "documented_scheduler_tasks_per_second": DOCUMENTED_TASKS_PER_SECOND,
        "smallest_chunk_documented_scheduler_10pct_busy": documented,
        "store_write_mb_per_second": workers / b * split["stored_bytes_per_draw"] / 2**20,
        "at_chunk": {
            str(c): {
                "tasks_per_second": workers / (a + b * c),
                "scheduler_busy": workers / (a + b * c) / rate,
                "worker_efficiency": b * c / (a + b * c),
                "chunks_per_worker": draws / (c * workers),
                "busy_workers": min(workers, math.ceil(draws / c)),
                "seconds": math.ceil(draws / c / workers) * (a + b * c),
            }
            for c in candidates
        },
    }


if __name__ == "__main__":
    main()
