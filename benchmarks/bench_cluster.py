"""A large uncertainty comparison streamed into a Zarr store: in this process vs a Dask LocalCluster.

The 12 scenarios of the shipped Gwangmyeong batch under ``--draws`` joint draws of every lever
response parameter (:func:`simengine.stores.draw_job`), written chunk by chunk into a Zarr store
(:func:`simengine.stores.run_job`), side by side in one run:

- **in-process**: every chunk computed and written in this process (BLAS pinned to one thread,
  as everywhere), the path without Dask;
- **Dask**: a ``LocalCluster`` of ``--workers`` one-thread processes, for each of
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
import json
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

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
        "--skip-in-process", action="store_true", help="only the Dask runs (per-worker rate from the chunk split)"
    )
    parser.add_argument("--folder", type=Path, default=None, help="where the stores are written (then removed)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.chunk_sizes.split(",")]

    from distributed import Client

    from simengine.stores import _compute, _create, _write_region, draw_job, run_job
    from simengine.uncertainty import comparison_scenarios

    scenarios, _, seed = comparison_scenarios([BATCH])
    folder = Path(tempfile.mkdtemp(prefix="bench-cluster-", dir=args.folder))
    try:
        run_job(draw_job(scenarios, draws=64, seed=seed, chunk_size=64), folder / "warm.zarr")  # numba, region

        # one chunk split into compute and write (in-process chunk size)
        size = min(args.in_process_chunk, args.draws)
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

        def timed_run(chunk_size: int, client=None) -> dict:
            path = folder / f"run-{chunk_size}.zarr"
            with PeakMemory() as memory:
                start = time.perf_counter()
                job = draw_job(scenarios, draws=args.draws, seed=seed, chunk_size=chunk_size)
                outcome = run_job(job, path, client=client)
                seconds = time.perf_counter() - start
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
                "store_mb": stored / 2**20,
            }

        in_process = None if args.skip_in_process else timed_run(args.in_process_chunk)
        runs = []
        with Client(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None) as client:
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
                runs.append(run)
        # one process, one BLAS thread: one worker's rate
        per_worker = size / (compute_seconds + write_seconds) if in_process is None else in_process["draws_per_second"]
        scheduler_rate = 1.0 / noop_seconds  # tasks per second through the scheduler, end to end
        workers = 100
        smallest = workers * per_worker / (0.1 * scheduler_rate)  # scheduler at most 10% busy
        out = {
            "benchmark": "bench_cluster",
            "draws": args.draws,
            "scenarios": len(scenarios),
            "workers": args.workers,
            "cores": os.cpu_count(),
            "load_average_at_start": os.getloadavg()[0],
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
            "extrapolation_100_workers": {
                "per_worker_draws_per_second": per_worker,
                "scheduler_tasks_per_second": scheduler_rate,
                "tasks_per_second_at_chunk": {
                    str(c): workers * per_worker / c for c in sorted({*sizes, args.in_process_chunk})
                },
                "smallest_chunk_scheduler_10pct_busy": smallest,
                "store_write_mb_per_second": workers * per_worker * stored_bytes_per_draw / 2**20,
            },
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(markdown(out))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    return out


def markdown(out: dict) -> str:
    """The chunk-size table of a result (as in docs/scale_out.md)."""
    rows = [
        "| path | chunk (draws) | chunks | s | scenario-draws/s | vs in-process | driver peak MB |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    p = out["in_process"]
    if p is not None:
        rows.append(
            f"| in-process | {p['chunk_size']:,} | {p['chunks']} | {p['seconds']:.1f} | "
            f"{p['scenario_draws_per_second']:,.0f} | 1.00 | {p['driver_peak_rss_mb']:,.0f} |"
        )
    for r in out["dask"]:
        ratio = f"{r['vs_in_process']:.2f}" if "vs_in_process" in r else "-"
        rows.append(
            f"| Dask, {out['workers']} workers | {r['chunk_size']:,} | {r['chunks']} | {r['seconds']:.1f} | "
            f"{r['scenario_draws_per_second']:,.0f} | {ratio} | {r['driver_peak_rss_mb']:,.0f} |"
        )
    e, s = out["extrapolation_100_workers"], out["chunk_split"]
    rows += [
        "",
        f"{out['draws']:,} draws x {out['scenarios']} scenarios; Dask overhead "
        f"{out['dask_overhead']['seconds_per_task'] * 1e3:.2f} ms per task (empty tasks); one chunk of "
        f"{s['chunk_size']:,} draws: compute {s['compute_seconds']:.2f} s, write {s['write_seconds']:.2f} s "
        f"({s['stored_bytes_per_draw']:,.0f} bytes per draw stored); 100 workers: smallest chunk "
        f"{e['smallest_chunk_scheduler_10pct_busy']:,.0f} draws, "
        f"store writes {e['store_write_mb_per_second']:,.0f} MB/s",
    ]
    return "\n".join(rows)


if __name__ == "__main__":
    main()
