"""Monte Carlo over draws: seeds, the run on worker threads in slices of months with a progress bar, summaries."""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numba
import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from ..errors import ScenarioError
from ..kernels import layout
from ..kernels.agents import _run_periods, concentration

__all__ = ["draw_keys", "run_draws", "RawDraws", "summarise", "SLICE_SECONDS"]

#: Target wall time of one kernel call: the kernel cannot be interrupted, so Ctrl-C and SIGTERM
#: take effect between calls; months are sliced so that a call lasts about this long.
SLICE_SECONDS = 0.1


def draw_keys(seed: int, draws: int) -> np.ndarray:
    """One 63-bit key per draw from ``SeedSequence(seed).spawn(draws)`` (int64, non-negative)."""
    children = np.random.SeedSequence(seed).spawn(draws)
    return np.array([int(child.generate_state(1, np.uint64)[0] >> np.uint64(1)) for child in children], dtype=np.int64)


@dataclass(frozen=True)
class RawDraws:
    """Unlabelled kernel outputs with a leading draw axis (see :mod:`simengine.kernels.layout`)."""

    period: np.ndarray
    sector: np.ndarray
    cell: np.ndarray
    flows: np.ndarray
    hhi: np.ndarray
    contracts: int


def _thread_count(workers: int | None) -> int:
    """Worker threads: ``workers`` (at most numba's thread limit), default numba's current count."""
    if workers is None:
        return numba.get_num_threads()
    if workers < 1:
        raise ScenarioError(f"workers must be >= 1, got {workers}")
    return min(workers, numba.config.NUMBA_NUM_THREADS)


def run_draws(
    inputs, keys: np.ndarray, periods: int, *, workers: int | None = None, progress: bool = False, chunk: int = 1
) -> RawDraws:
    """Run the kernel for every key on ``workers`` threads, each draw in slices of months.

    Each thread takes the next ``chunk`` draws and runs them one after another through the
    compiled kernel (which releases the GIL), so a thread keeps one draw's state in its caches
    and no thread waits for another. A slice lasts about :data:`SLICE_SECONDS` (its length in
    months adapts to the measured speed); a draw's state carries over from slice to slice, so
    the result depends neither on the slicing nor on the threads. On a signal (Ctrl-C,
    SIGTERM) or an error, no new slice starts and the threads are joined before the exception
    goes on: they stop within one slice.
    """
    if chunk < 1:
        raise ScenarioError(f"chunk must be >= 1, got {chunk}")
    threads = _thread_count(workers)
    draws = len(keys)
    n = inputs.economy.compensation.shape[0]
    n_firms = inputs.firms.capacity.shape[0]
    q = inputs.cells.rate.shape[0]
    period = np.zeros((draws, periods, layout.N_OUT_PERIOD))
    sector = np.zeros((draws, periods, layout.N_OUT_SECTOR, n))
    cell = np.zeros((draws, q, layout.N_OUT_CELL))
    flows = np.zeros((draws, layout.N_OUT_FLOWS))
    hhi = np.zeros((draws, n))
    contracts = np.zeros(draws, dtype=np.int64)
    done = np.zeros(draws, dtype=np.int64)  # months run, by draw (progress)
    stop = threading.Event()
    arrays = inputs.arrays()

    def run_block(first: int) -> None:
        for d in range(first, min(first + chunk, draws)):
            state_firm = np.zeros((layout.N_STATE_FIRM, n_firms))
            state_firm[layout.SF_CAPACITY] = inputs.firms.capacity
            state_sector = np.zeros((layout.N_STATE_SECTOR, n))
            state_scalar = np.zeros(layout.N_STATE_SCALAR)
            t, months = 0, 1
            while t < periods:
                if stop.is_set():
                    return
                t1 = min(periods, t + months)
                began = time.perf_counter()
                contracts[d] += _run_periods(
                    keys[d], t, t1, *arrays, state_firm, state_sector, state_scalar,
                    period[d], sector[d], cell[d], flows[d],
                )  # fmt: skip
                rate = (time.perf_counter() - began) / (t1 - t)
                # at most twice the last slice: one quick month (or a moment with the cores free)
                # must not plan a slice of years that a busy machine then takes seconds to run
                planned = int(SLICE_SECONDS / rate) if rate > 0 else 2 * months
                months = max(1, min(periods, 2 * months, planned))
                t = done[d] = t1
            hhi[d] = concentration(state_firm[None, layout.SF_AWARDED], inputs.firms.sector_start)[0]

    blocks = range(0, draws, chunk)
    with tqdm(total=draws * periods, disable=not progress, unit="draw-month") as bar:
        if threads == 1 or len(blocks) == 1:
            for first in blocks:
                run_block(first)
                bar.update(int(done.sum()) - bar.n)
        else:
            # plain threads taking blocks from a shared iterator: the main thread holds no lock
            # that a worker needs, so a signal that interrupts it anywhere cannot deadlock them
            next_block, lock, errors = iter(blocks), threading.Lock(), []
            began = [threading.Event() for _ in range(threads)]
            finished = [threading.Event() for _ in range(threads)]

            def worker(i: int) -> None:
                began[i].set()  # before the first look at ``stop``: see the joins below
                try:
                    while not stop.is_set():
                        with lock:
                            first = next(next_block, None)
                        if first is None:
                            return
                        run_block(first)
                except BaseException as error:  # handed to the main thread
                    errors.append(error)
                    stop.set()
                finally:
                    finished[i].set()

            pool = [
                threading.Thread(target=worker, args=(i,), name=f"agent-draws-{i}", daemon=True) for i in range(threads)
            ]
            try:
                for thread in pool:
                    thread.start()
                for thread in pool:
                    while thread.is_alive():
                        thread.join(0.25)
                        bar.update(int(done.sum()) - bar.n)
            except BaseException:
                stop.set()
                # a worker that has begun finishes its slice; one that begins now sees ``stop``
                for i in range(threads):
                    if began[i].is_set():
                        finished[i].wait()
                raise
            if errors:
                raise errors[0]
    return RawDraws(period, sector, cell, flows, hhi, int(contracts.sum()))


def summarise(ds: xr.Dataset, quantiles: Sequence[float] = (0.05, 0.5, 0.95)) -> xr.Dataset:
    """Mean and quantiles over ``draw`` of every variable, on a new ``stat`` dimension."""
    if "draw" not in ds.dims:
        raise ScenarioError("summarise needs a result with a 'draw' dimension (run with draws > 1)")
    mean = ds.mean("draw", keep_attrs=True).expand_dims(stat=["mean"])
    parts = [mean]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "All-NaN slice", RuntimeWarning)  # cells without contracts
        for level in quantiles:
            part = ds.quantile(level, dim="draw", keep_attrs=True).drop_vars("quantile")
            parts.append(part.expand_dims(stat=[f"q{level:g}"]))
    return xr.concat(parts, dim="stat", combine_attrs="override")
