"""Monte Carlo over draws: seeds, the parallel run in chunks with a progress bar, summaries."""

from __future__ import annotations

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
from ..kernels.agents import _run_draws

__all__ = ["draw_keys", "run_draws", "RawDraws", "summarise"]


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
    """Run the kernel for every key; chunks of ``chunk`` draws feed the progress bar."""
    draws = len(keys)
    n = inputs.economy.shape[1]
    q = inputs.cells_float.shape[0]
    period = np.zeros((draws, periods, layout.N_OUT_PERIOD))
    sector = np.zeros((draws, periods, layout.N_OUT_SECTOR, n))
    cell = np.zeros((draws, q, layout.N_OUT_CELL))
    flows = np.zeros((draws, layout.N_OUT_FLOWS))
    hhi = np.zeros((draws, n))
    contracts = 0
    with _threads(workers), tqdm(total=draws, disable=not progress, unit="draw") as bar:
        for start in range(0, draws, chunk):
            stop = min(start + chunk, draws)
            contracts += _run_draws(
                keys[start:stop],
                periods,
                *inputs.arrays(),
                period[start:stop],
                sector[start:stop],
                cell[start:stop],
                flows[start:stop],
                hhi[start:stop],
            )
            bar.update(stop - start)
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
