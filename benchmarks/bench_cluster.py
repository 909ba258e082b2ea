"""A large uncertainty comparison streamed into a Zarr store: in this process vs a Dask LocalCluster.

The 12 scenarios of the shipped Gwangmyeong batch under ``--draws`` joint draws of every lever
response parameter (:func:`simengine.stores.draw_job`), written chunk by chunk into a Zarr store
(:func:`simengine.stores.run_job`), side by side in one run:

- **in-process**: every chunk computed and written in this process (BLAS pinned to one thread,
  as everywhere), the path without Dask;
- **Dask**: a ``LocalCluster`` of ``--workers`` one-thread processes
  (:func:`simengine.stores.dask_client`), for each of
  ``--chunk-sizes``; each worker computes its chunks and writes their regions itself;
- **Dask overhead**: ``--noop-tasks`` empty tasks through the same cluster (scheduler round trip
  per task), and the split of one chunk into compute and write time;
- **extrapolation**: from the per-worker rate and the scheduler's task rate, the smallest chunk
  that keeps the scheduler under 10% busy at 100 workers, and the write bandwidth the store's
  file system must then sustain.

The driver's memory is its resident set size, sampled every 50 ms during each run (the
LocalCluster's scheduler runs in the driver process, so it is included).

Run: ``PYTHONPATH=. python benchmarks/bench_cluster.py [--draws 1000000] [--json out.json]``.
"""

from __future__ import annotations

import argparse
import math
import os
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


def _worker_cpu_seconds() -> float:
    import psutil

    return sum(psutil.Process().cpu_times()[:2])


def _store_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--draws", type=int, default=1_000_000)
    parser.add_argument("--chunk-sizes", default="2048,8192,16384", help="draws per chunk, comma-separated")
    parser.add_argument("--in-process-chunk", type=int, default=8192, help="draws per chunk of the in-process run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--noop-tasks", type=int, default=500)
    parser.add_argument(
        "--skip-in-process",
        action="store_true",
        help="only the Dask runs, nothing computed in this process (its memory is then the driver's alone)",
    )
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

        # one chunk split into compute and write (in-process chunk size)
        size = min(args.in_process_chunk, args.draws if not args.skip_in_process else 64)
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

        def cpu_seconds(client=None) -> float:
            """CPU seconds used so far by this process and by the workers."""
            import psutil

            used = sum(psutil.Process().cpu_times()[:2])
            if client is not None:
                used += sum(client.run(_worker_cpu_seconds).values())
            return used

        def timed_run(chunk_size: int, client=None) -> dict:
            path = folder / f"run-{chunk_size}.zarr"
            with PeakMemory() as memory:
                cpu = cpu_seconds(client)
                start = time.perf_counter()
                job = draw_job(scenarios, draws=args.draws, seed=seed, chunk_size=chunk_size)
                outcome = run_job(job, path, client=client)
                seconds = time.perf_counter() - start
                cpu = cpu_seconds(client) - cpu
            assert outcome.computed == outcome.chunks
            stored = _store_bytes(path)
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

        in_process = None if args.skip_in_process else timed_run(args.in_process_chunk)
        runs = []
        with dask_client(f"local:{args.workers}") as client:
            # warm every worker: imports, numba's cached kernels, the region context
            client.run(lambda: __import__("simengine.stores"))
            run_job(
                draw_job(scenarios, draws=64 * args.workers * 2, seed=seed, chunk_size=64),
                folder / "warm-dask.zarr",
                client=client,
            )
            start = time.perf_counter()
            client.gather([client.submit(_noop, i, pure=False) for i in range(args.noop_tasks)])
            noop_seconds = (time.perf_counter() - start) / args.noop_tasks
            for chunk_size in sizes:
                run = timed_run(chunk_size, client)
                if in_process is not None:
                    run["vs_in_process"] = run["draws_per_second"] / in_process["draws_per_second"]
                    run["cpu_efficiency_vs_in_process"] = (
                        run["draws_per_cpu_second"] / in_process["draws_per_cpu_second"]
                    )
                runs.append(run)
        out = {
            "benchmark": "bench_cluster",
            "argv": argv if argv is not None else sys.argv[1:],
            "draws": args.draws,
            "scenarios": len(scenarios),
            "workers": args.workers,
            "cores": os.cpu_count(),
            "load_average_at_start": load_at_start,
            "load_average_at_end": os.getloadavg()[0],
            "in_process": in_process,
            "dask": runs,
            "chunk_split": {
                "chunk_size": size,
                "compute_seconds": compute_seconds,
                "write_seconds": write_seconds,
                "raw_bytes_per_draw": raw_bytes_per_draw,
                "stored_bytes_per_draw": stored_bytes_per_draw,
            },
            "dask_overhead": {"noop_tasks": args.noop_tasks, "seconds_per_task": noop_seconds},
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

    A chunk of ``C`` draws takes ``a + b C`` seconds on one worker (``a``: the fixed cost of a
    chunk, ``b``: seconds per draw), fitted to the Dask runs' CPU seconds per chunk (so that
    other jobs on a shared machine do not inflate it; wall seconds x workers where no CPU
    time was measured); the
    scheduler serves ``S`` tasks per second (the empty-task rate). With ``workers`` workers it
    must serve ``workers / (a + b C)`` tasks per second: at most 10% of ``S`` needs
    ``C >= (workers / (0.1 S) - a) / b``; ``draws / (C workers)`` chunks per worker keep the
    tail short when there are several; the store must take ``workers / b`` draws per second.
    """
    runs = out["dask"]
    sizes = np.array([r["chunk_size"] for r in runs], dtype=float)
    per_chunk = np.array([r.get("cpu_seconds", r["seconds"] * out["workers"]) / r["chunks"] for r in runs])
    if len(runs) >= 2 and np.ptp(sizes) > 0:
        b, a = np.polyfit(sizes, per_chunk, 1)
        a = max(a, 0.0)
    else:
        a, b = 0.0, per_chunk[0] / sizes[0]
    rate = 1.0 / out["dask_overhead"]["seconds_per_task"]
    smallest = max((workers / (0.1 * rate) - a) / b, 1.0)
    # the overhead Dask documents for a scheduler on its own core: about 1 ms per task
    documented = max((workers / (0.1 * DOCUMENTED_TASKS_PER_SECOND) - a) / b, 1.0)
    split = out["chunk_split"]
    candidates = sorted({int(c) for c in sizes} | {int(smallest), int(documented), 2048, 8192, 32768})
    return {
        "workers": workers,
        "draws": draws,
        "fixed_seconds_per_chunk": a,
        "draws_per_second_per_worker_marginal": 1.0 / b,
        "scheduler_tasks_per_second": rate,
        "smallest_chunk_scheduler_10pct_busy": smallest,
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
