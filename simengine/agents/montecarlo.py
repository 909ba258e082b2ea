"""Monte Carlo over draws: seeds, the parallel run in chunks with a progress bar, summaries."""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numba
import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from ..errors import ScenarioError
from ..kernels import layout
from ..kernels.agents import _run_draws, concentration

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


@contextmanager
def _threads(workers: int | None):
    if workers is None:
        yield
        return
    if workers < 1:
        raise ScenarioError(f"workers must be >= 1, got {workers}")
    previous = numba.get_num_threads()
    numba.set_num_threads(min(workers, numba.config.NUMBA_NUM_THREADS))
    try:
        yield
    finally:
        numba.set_num_threads(previous)


def run_draws(
    inputs, keys: np.ndarray, periods: int, *, workers: int | None = None, progress: bool = False, chunk: int = 64
) -> RawDraws:
    """Run the kernel for every key, ``chunk`` draws at a time, each chunk in slices of months.

    A slice lasts about :data:`SLICE_SECONDS` (its length in months adapts to the measured
    speed), so that a signal (Ctrl-C, SIGTERM) is acted on within a second; the draws' state
    carries over from slice to slice, so the result does not depend on the slicing.
    """
    draws = len(keys)
    n = inputs.economy.compensation.shape[0]
    n_firms = inputs.firms.capacity.shape[0]
    q = inputs.cells.rate.shape[0]
    period = np.zeros((draws, periods, layout.N_OUT_PERIOD))
    sector = np.zeros((draws, periods, layout.N_OUT_SECTOR, n))
    cell = np.zeros((draws, q, layout.N_OUT_CELL))
    flows = np.zeros((draws, layout.N_OUT_FLOWS))
    hhi = np.zeros((draws, n))
    contracts = 0
    months = 1
    with _threads(workers), tqdm(total=draws * periods, disable=not progress, unit="draw-month") as bar:
        for start in range(0, draws, chunk):
            stop = min(start + chunk, draws)
            state_firm = np.zeros((stop - start, layout.N_STATE_FIRM, n_firms))
            state_firm[:, layout.SF_CAPACITY] = inputs.firms.capacity
            state_sector = np.zeros((stop - start, layout.N_STATE_SECTOR, n))
            state_scalar = np.zeros((stop - start, layout.N_STATE_SCALAR))
            t = 0
            while t < periods:
                t1 = min(periods, t + months)
                began = time.perf_counter()
                contracts += _run_draws(
                    keys[start:stop], t, t1, *inputs.arrays(), state_firm, state_sector, state_scalar,
                    period[start:stop], sector[start:stop], cell[start:stop], flows[start:stop],
                )  # fmt: skip
                elapsed = time.perf_counter() - began
                bar.update((stop - start) * (t1 - t))
                rate = elapsed / (t1 - t)
                months = max(1, min(periods, int(SLICE_SECONDS / rate) if rate > 0 else periods))
                t = t1
            hhi[start:stop] = concentration(state_firm[:, layout.SF_AWARDED], inputs.firms.sector_start)
    return RawDraws(period, sector, cell, flows, hhi, int(contracts))


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
