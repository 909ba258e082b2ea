"""Comparison under uncertainty: response parameters drawn from their priors, as arrays along ``draw``.

A lever's response parameters (how far a bid preference closes the gap to an all-local award,
what a point of local share costs, ...) are labelled assumptions with documented prior ranges
(:meth:`simengine.levers.LeverBase.priors`). An uncertainty comparison draws every parameter
jointly and evaluates every scenario of the comparison under each draw:

- **Priors.** Each parameter ``kind.field`` is drawn uniform on its prior's ``[low, high]``
  (the registry gives ranges, not shapes), independently of the others.
- **Common random numbers.** Draw ``d`` uses the same value of ``kind.field`` in every
  scenario (and every lever of that kind in a scenario), so differences between scenarios
  are policy differences, not sampling noise: a scenario compared with itself ties in every
  draw. Each parameter has its own random stream, seeded from ``seed`` and the parameter's
  name (:func:`draw_parameters`), so adding a scenario with another lever kind does not
  change the draws of the others.
- **Arrays.** Levers apply to whole ``(draws, cells)`` arrays (no model per draw); response
  parameters never change the circuit's coefficients, so one factorisation per circuit serves
  every draw of every scenario, and every scenario-draw-period is one column of the same
  column-independent solves as :func:`simengine.evaluation.evaluate`
  (:meth:`simengine.accounts.LeontiefSystem.solve`): a draw's numbers do not depend on the
  chunk it is solved in, nor on the worker that solves it.

Static analytic form (annual periods, no lags) only. The draw-axis engine (:func:`prepare_draws`,
:func:`evaluate_draws`) lives in :mod:`simengine.draws`; it is re-exported here.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import itertools
import os
import tempfile
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import xarray as xr

from .draws import HEADLINE_TOTALS, DrawPrepared, evaluate_draws, prepare_draws
from .errors import DataError, ScenarioError
from .io import atomic_path, check_input_file, check_output_path, write_error
from .levers import Prior
from .region_context import region_context
from .results import OBJECTIVE_STREAMS
from .scenario.schema import Scenario

__all__ = [
    "HEADLINE_TOTALS",
    "response_priors",
    "draw_parameters",
    "with_responses",
    "DrawPrepared",
    "prepare_draws",
    "evaluate_draws",
    "uncertainty_compare",
    "uncertainty_summary",
    "read_uncertainty",
    "rank_draws",
    "rank_counts",
    "summarise",
    "comparison_scenarios",
    "uncertainty_order",
    "uncertainty_text",
]


def response_priors(scenarios: Sequence[Scenario]) -> dict[str, Prior]:
    """Every response parameter of the scenarios' cell levers with a prior, as ``kind.field`` -> prior (sorted).

    A scenario whose ``responses`` selects a response set with standard errors takes the range
    from the fits (:meth:`simengine.levers.response_sets.ResponseSet.prior`: estimate +/- 2 s.e.);
    where levers of one kind get different ranges, the parameter is drawn on their union.
    """
    from .levers.response_sets import response_set

    priors: dict[str, Prior] = {}
    for scenario in scenarios:
        chosen = response_set(scenario.scenario.responses)
        for lever in scenario.lever:
            if not lever.ACTS_ON_CELLS:
                continue
            for field, prior in lever.priors().items():
                if chosen is not None:
                    prior = chosen.prior(lever.kind, field, lever.method, prior)
                key = f"{lever.kind}.{field}"
                if key in priors and priors[key] != prior:
                    low, high = min(priors[key].low, prior.low), max(priors[key].high, prior.high)
                    prior = Prior(low, high, f"union of {priors[key].source}; {prior.source}")
                priors[key] = prior
    return dict(sorted(priors.items()))


def draw_parameters(priors: dict[str, Prior], draws: int, seed: int) -> dict[str, np.ndarray]:
    """Draws of each parameter, uniform on its prior's ``[low, high]``, shape ``(draws,)``.

    Parameter ``name`` uses the stream ``numpy.random.default_rng(SeedSequence(seed,
    spawn_key=(crc32(name),)))``: its values depend only on ``seed``, its name and ``draws``.
    """
    if draws < 1:
        raise ScenarioError(f"uncertainty draws must be at least 1, got {draws}")
    out = {}
    for name, prior in priors.items():
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(zlib.crc32(name.encode()),)))
        out[name] = prior.low + (prior.high - prior.low) * rng.random(draws)
    return out


def with_responses(scenario: Scenario, values: dict[str, float]) -> Scenario:
    """The scenario with its levers' response parameters set to ``values`` (``kind.field`` -> number).

    The scalar twin of one draw: running it alone gives that draw's figures.
    """
    levers = []
    for lever in scenario.lever:
        update = {}
        if lever.ACTS_ON_CELLS:
            update = {f: float(values[f"{lever.kind}.{f}"]) for f in lever.priors() if f"{lever.kind}.{f}" in values}
        if update:
            lever = lever.model_copy(update={"response": lever.response.model_copy(update=update)})
        levers.append(lever)
    return scenario.model_copy(update={"lever": levers})


def _chunk(
    scenarios: Sequence[Scenario], values: dict[str, np.ndarray], draws: int, base: int
) -> dict[str, np.ndarray]:
    """One chunk of draws reduced to ``(S, D)``: horizon totals, differences to the baseline
    ``base`` (index) in the same draw, present values (only these leave the chunk)."""
    by_region: dict[str, list[int]] = {}
    for i, s in enumerate(scenarios):
        by_region.setdefault(s.scenario.region, []).append(i)
    per = [None] * len(scenarios)
    for region, indices in by_region.items():
        context = region_context(region)
        prepared = [prepare_draws(scenarios[i], context, values, draws, by_cell=True) for i in indices]
        for i, arrays in zip(indices, evaluate_draws(prepared, context), strict=True):
            per[i] = arrays
    # year-major (T, S, D): every sum over the years adds whole (S, D) arrays
    streams = {name: np.stack([p[name].T for p in per], axis=1) for name in HEADLINE_TOTALS}
    factor = _discount(scenarios[0])
    out, present = {}, {}
    for name, yearly in streams.items():
        out[name] = _over_years(yearly)
        if name != "budget":
            change = yearly - yearly[:, base : base + 1]
            out[f"delta_{name}"] = _over_years(change)
            present[name] = _over_years(change, factor)  # present value of the change (linear in the stream)
    cost = present["cost_premium"]
    out["pv_delta_cost"] = cost
    for objective, (plus, minus) in OBJECTIVE_STREAMS.items():
        benefit = sum(present[name] for name in plus) - sum((present[name] for name in minus), 0.0)
        out[f"npb_{objective}"] = benefit if objective == "fiscal" else benefit - cost
    return out


def _over_years(yearly: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Sum over the leading year axis of ``(T, ...)``, each year weighted by ``weights`` ``(T,)`` if given."""
    out = yearly[0] * (1.0 if weights is None else weights[0])
    for k in range(1, len(yearly)):
        out += yearly[k] if weights is None else yearly[k] * weights[k]
    return out


def _discount(scenario: Scenario) -> np.ndarray:
    """Discount factor of each year, ``(1 + r)^-(year - base_year)`` (as :func:`simengine.results.discount_factors`)."""
    years = np.asarray(scenario.scenario.years, dtype=float)
    base = scenario.appraisal.base_year or scenario.scenario.start_year
    return (1.0 + scenario.appraisal.discount_rate) ** -(years - base)


#: Draws per chunk of a comparison (the default ``chunk_size``). Measured on the 12 shipped
#: scenarios streamed to a draws file with two workers: 8,192 draws per chunk took less CPU time
#: than 2,048 (fewer tasks, writes and per-chunk lever set-ups), at some 30 MB of results per chunk.
DRAW_CHUNK = 8192
#: Quantiles of the intervals: the 5th percentile, the median and the 95th percentile.
QUANTILES = (0.05, 0.5, 0.95)
#: Bins of each distribution across draws in a summary (equal widths over the non-baseline scenarios' range).
HISTOGRAM_BINS = 48
#: Draws ranked at once when rank counts are taken from stored draws (bounds the memory of :func:`rank_draws`).
RANK_BLOCK = 65_536


def _summarised(name: str) -> bool:
    """Whether a per-draw variable gets an interval and a distribution in the summary."""
    return name.startswith(("delta_", "npb_", "pv_delta_"))


def _comparison_checks(scenarios: Sequence[Scenario], baseline: str | None) -> tuple[list[str], int]:
    """Scenario ids and the baseline's index, after the checks every uncertainty comparison makes."""
    ids = [s.scenario.id for s in scenarios]
    if len(set(ids)) != len(ids):
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        raise ScenarioError(f"duplicate scenario ids {repeated} in an uncertainty comparison; give each its own id")
    base = baseline or ids[0]
    if base not in ids:
        raise ScenarioError(f"baseline {base!r} is not among the scenarios {ids}")
    appraisal = {(tuple(s.scenario.years), s.appraisal.discount_rate, s.appraisal.base_year) for s in scenarios}
    if len(appraisal) > 1:
        raise ScenarioError(
            "scenarios of an uncertainty comparison must share [scenario] start_year and horizon and "
            f"[appraisal] discount_rate and base_year; got {sorted(appraisal, key=str)}"
        )
    return ids, ids.index(base)


def _finished_chunks(
    scenarios: Sequence[Scenario],
    values: dict[str, np.ndarray],
    draws: int,
    base: int,
    chunk_size: int,
    executor: concurrent.futures.Executor | None,
):
    """Yield ``(first draw, end draw, chunk)`` of every chunk of draws as it finishes (any order).

    At most two chunks per worker are in flight, so the memory held does not grow with the
    number of draws; the chunks are fixed by ``chunk_size`` alone, never by the executor.
    """
    size = max(1, int(chunk_size))
    bounds = iter([(lo, min(lo + size, draws)) for lo in range(0, draws, size)])

    def task(lo: int, hi: int) -> tuple:
        return scenarios, {k: v[lo:hi] for k, v in values.items()}, hi - lo, base

    if executor is None:
        for lo, hi in bounds:
            yield lo, hi, _chunk(*task(lo, hi))
        return
    window = 2 * max(1, int(getattr(executor, "_max_workers", 1) or 1))
    pending: dict[concurrent.futures.Future, tuple[int, int]] = {}
    try:
        for lo, hi in itertools.islice(bounds, window):
            pending[executor.submit(_chunk, *task(lo, hi))] = (lo, hi)
        while pending:
            done, _ = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in sorted(done, key=pending.__getitem__):
                lo, hi = pending.pop(future)
                part = future.result()
                following = next(bounds, None)
                if following is not None:
                    pending[executor.submit(_chunk, *task(*following))] = following
                yield lo, hi, part
    finally:
        for future in pending:
            future.cancel()


class _MemorySink:
    """Per-draw arrays ``(scenarios, draws)`` filled in place as chunks finish."""

    def __init__(self, names: Sequence[str], scenarios: int, draws: int):
        self.arrays = {name: np.empty((scenarios, draws)) for name in names}

    def write(self, lo: int, hi: int, part: dict[str, np.ndarray]) -> None:
        for name, array in self.arrays.items():
            array[:, lo:hi] = part[name]


class _FileSink:
    """Per-draw arrays written into the HDF5 datasets of a NetCDF-4 file (chunks along ``draw``) as
    chunks finish: one ``h5py`` dataset write per variable and chunk of draws."""

    def __init__(self, handle, names: Sequence[str]):
        self.datasets = {name: handle[name] for name in names}

    def write(self, lo: int, hi: int, part: dict[str, np.ndarray]) -> None:
        for name, dataset in self.datasets.items():
            dataset[:, lo:hi] = part[name]


#: Per-draw variables of a comparison, in the order of :func:`_chunk`: horizon totals, their
#: differences to the baseline, the present value of the extra cost and each objective's net present benefit.
_CHUNK_NAMES = [
    *(v for name in HEADLINE_TOTALS for v in ((name,) if name == "budget" else (name, f"delta_{name}"))),
    "pv_delta_cost",
    *(f"npb_{o}" for o in OBJECTIVE_STREAMS),
]


def _attributes(base: str, seed: int, draws: int, objective: str, unit: str) -> dict:
    return {
        "baseline": base,
        "seed": seed,
        "draws": draws,
        "objective": objective,
        "units": unit,
        "prior": "uniform on [low, high] of each response parameter, independent, common random numbers",
    }


def uncertainty_compare(
    scenarios: Sequence[Scenario],
    *,
    draws: int,
    seed: int = 0,
    baseline: str | None = None,
    chunk_size: int = DRAW_CHUNK,
    executor: concurrent.futures.Executor | None = None,
) -> xr.Dataset:
    """Every scenario under ``draws`` joint draws of the response parameters (common random numbers), in memory.

    Parameters
    ----------
    scenarios : sequence of Scenario
        Analytic scenarios of one appraisal (the same years, discount rate and base year).
    draws : int
        Number of joint draws of every response parameter's prior.
    seed : int
        Seed of the draws (:func:`draw_parameters`).
    baseline : str, optional
        Scenario id of the baseline (default: the first).
    chunk_size : int
        Draws per task. Results are bit-identical for any chunk size, executor and worker count.
    executor : concurrent.futures.Executor, optional
        Where chunks run (default: this process).

    Returns
    -------
    xarray.Dataset
        Over ``scenario`` and ``draw``: the horizon totals :data:`HEADLINE_TOTALS`, their
        differences to the baseline in the same draw (``delta_<name>``), ``pv_delta_cost`` and,
        per objective ``o``, ``npb_<o>`` (net present benefit, as
        :func:`simengine.results.present_values`); over ``parameter`` and ``draw``,
        ``parameter_value``. Money in the table's unit. About 3.3 kB per draw for 12
        scenarios: beyond some 100,000 draws use :func:`uncertainty_summary`, which streams
        the draws to a file and keeps only the summary in memory.
    """
    ids, b = _comparison_checks(scenarios, baseline)
    priors = response_priors(scenarios)
    values = draw_parameters(priors, draws, seed)
    sink = _MemorySink(_CHUNK_NAMES, len(ids), draws)
    for lo, hi, part in _finished_chunks(scenarios, values, draws, b, chunk_size, executor):
        sink.write(lo, hi, part)
    data = {name: (("scenario", "draw"), array) for name, array in sink.arrays.items()}
    names = list(priors)
    data["parameter_value"] = (("parameter", "draw"), np.array([values[k] for k in names]).reshape(len(names), draws))
    ds = xr.Dataset(data, coords={"scenario": ids, "draw": np.arange(draws), "parameter": names})
    ds["prior_low"] = ("parameter", np.array([priors[k].low for k in names], dtype=float))
    ds["prior_high"] = ("parameter", np.array([priors[k].high for k in names], dtype=float))
    ds.attrs.update(
        _attributes(
            ids[b], seed, draws, scenarios[0].appraisal.objective, region_context(scenarios[0].scenario.region).unit
        )
    )
    return ds


def uncertainty_summary(
    scenarios: Sequence[Scenario],
    *,
    draws: int,
    seed: int = 0,
    baseline: str | None = None,
    objective: str | None = None,
    top: int = 3,
    chunk_size: int = DRAW_CHUNK,
    executor: concurrent.futures.Executor | None = None,
    output: str | os.PathLike | None = None,
    overwrite: bool = False,
) -> xr.Dataset:
    """:func:`summarise` of :func:`uncertainty_compare`, streamed: memory bounded for any number of draws.

    Each chunk of draws is reduced as it finishes: its ranks are counted (integer counts per
    scenario and rank, exact and independent of the order the chunks finish in) and its
    per-draw arrays are written into a NetCDF-4 file, chunk by chunk (``output``, or a
    temporary file removed afterwards). The intervals, distributions and sensitivities are
    then taken from that file one variable at a time (exact quantiles of every draw, as
    :func:`numpy.quantile`), so memory holds one variable of every draw (8 bytes per
    scenario-draw), never all of them. The summary equals :func:`summarise` of the in-memory
    comparison to the bit, for any chunk size, executor and worker count.

    Parameters
    ----------
    scenarios, draws, seed, baseline, chunk_size, executor
        As :func:`uncertainty_compare`.
    objective, top
        As :func:`summarise`.
    output : path, optional
        NetCDF-4 file (``.nc``) that keeps every draw (the variables of
        :func:`uncertainty_compare`) and, in its group ``summary``, the summary
        (:func:`read_uncertainty`); written atomically (a failure leaves no file).
    overwrite : bool
        Replace an existing ``output``.

    Returns
    -------
    xarray.Dataset
        The summary (:func:`summarise`).
    """
    ids, b = _comparison_checks(scenarios, baseline)
    chosen = objective or scenarios[0].appraisal.objective
    if chosen not in OBJECTIVE_STREAMS:
        raise ScenarioError(f"unknown objective {chosen!r}; use one of {list(OBJECTIVE_STREAMS)}")
    if output is not None:
        check_output_path(output, overwrite=overwrite, suffixes=(".nc", ".nc4"))
    priors = response_priors(scenarios)
    values = draw_parameters(priors, draws, seed)
    unit = region_context(scenarios[0].scenario.region).unit
    attrs = _attributes(ids[b], seed, draws, scenarios[0].appraisal.objective, unit)
    kept = _CHUNK_NAMES if output is not None else [n for n in _CHUNK_NAMES if _summarised(n)]
    with contextlib.ExitStack() as stack:
        if output is None:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="simengine-draws-"))
            path = Path(folder) / "draws.nc"
        else:
            path = stack.enter_context(atomic_path(output, overwrite=overwrite, suffixes=(".nc", ".nc4")))
        try:
            counts = _stream_to_file(path, scenarios, ids, b, values, priors, draws, kept, attrs, chunk_size, executor)
            with xr.open_dataset(path, engine="h5netcdf", cache=False) as stored:
                if executor is None:
                    summary = _summary(stored, counts, chosen, top)
                else:  # the workers read the variables: here only the names, coordinates and priors
                    names = [name for name in stored.data_vars if _summarised(name)]
                    header = stored[["prior_low", "prior_high", "scenario", "draw"]].load()
            if executor is not None:
                summary = _summary(header, counts, chosen, top, executor=executor, path=str(path), names=names)
            if output is not None:
                summary.to_netcdf(path, mode="a", group="summary", engine="h5netcdf")
        except OSError as exc:
            raise write_error(output if output is not None else path, exc) from None
    return summary


def _stream_to_file(path, scenarios, ids, b, values, priors, draws, kept, attrs, chunk_size, executor) -> dict:
    """Write every chunk's per-draw arrays into ``path`` as it finishes; return the rank counts per objective."""
    import h5netcdf
    import h5py

    names = list(priors)
    counts = {o: np.zeros((len(ids), len(ids)), dtype=np.int64) for o in OBJECTIVE_STREAMS}
    # no HDF5 file lock: worker processes forked while the file is open would inherit and keep it
    with h5netcdf.File(path, "w", locking=False) as handle:
        handle.dimensions = {"scenario": len(ids), "draw": draws, "parameter": len(names)}
        handle.create_variable("scenario", ("scenario",), dtype=h5py.string_dtype())[:] = np.array(ids, dtype=object)
        handle.create_variable("draw", ("draw",), dtype="i8")[:] = np.arange(draws)
        handle.create_variable("parameter", ("parameter",), dtype=h5py.string_dtype())[:] = np.array(
            names, dtype=object
        )
        stored = handle.create_variable("parameter_value", ("parameter", "draw"), dtype="f8")
        for j, name in enumerate(names):
            stored[j, :] = values[name]
        for key, source in (("prior_low", "low"), ("prior_high", "high")):
            handle.create_variable(key, ("parameter",), dtype="f8")[:] = np.array(
                [getattr(priors[k], source) for k in names], dtype=float
            )
        handle.attrs.update(attrs)
        for name in kept:
            handle.create_variable(
                name, ("scenario", "draw"), dtype="f8", chunks=(len(ids), max(1, min(draws, chunk_size, 65_536)))
            )
    # the NetCDF-4 metadata is written; the draws go straight into its HDF5 datasets
    with h5py.File(path, "r+", locking=False) as handle:
        sink = _FileSink(handle, kept)
        for lo, hi, part in _finished_chunks(scenarios, values, draws, b, chunk_size, executor):
            sink.write(lo, hi, part)
            for o, total in counts.items():
                total += rank_counts(part[f"npb_{o}"], b)
    return counts


def read_uncertainty(path: str | os.PathLike) -> xr.Dataset:
    """The summary of an uncertainty comparison kept in a file, loaded: the group ``summary`` of a
    NetCDF-4 file written by :func:`uncertainty_summary` (``output``), or of a ``.zarr`` batch store
    (:func:`simengine.stores.read_summary`, which summarises the store's draws streamed, in bounded
    memory, when it keeps no summary)."""
    from .stores import is_store, read_summary

    if is_store(path):
        return read_summary(path)
    # only the summary group is read (some kilobytes), however many draws the file keeps
    path = check_input_file(path, what="uncertainty file", max_bytes=2**62)
    try:
        with xr.open_dataset(path, engine="h5netcdf", group="summary") as ds:
            summary = ds.load()
    except Exception as exc:  # a broken or foreign file: any reader failure is this one refusal
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(
            f"{path}: not an uncertainty comparison written by simengine ({reason}); write one with "
            "'simengine compare ... --uncertainty N --draws-output FILE.nc'"
        ) from None
    if "p_first_local_value_added" not in summary:
        raise DataError(f"{path}: its summary group has no rank probabilities; write it again with simengine")
    return summary


def rank_draws(scores: np.ndarray, baseline_index: int | None = None) -> np.ndarray:
    """Competition ranks per draw: 1 + the number of scenarios with a strictly higher score.

    ``scores`` is ``(scenarios, draws)``. Equal scores share a rank (a scenario compared with
    itself ties); the baseline (if given) ranks last.
    """
    scores = np.array(scores, dtype=float)
    if baseline_index is not None:
        scores[baseline_index] = -np.inf
    ranks = np.ones(scores.shape, dtype=np.int64)
    for other in scores:  # one scenario at a time: memory (scenarios, draws), not its square
        ranks += other[None, :] > scores
    if baseline_index is not None:
        ranks[baseline_index] = scores.shape[0]
    return ranks


def rank_counts(scores: np.ndarray, baseline_index: int | None = None) -> np.ndarray:
    """Draws in which each scenario takes each rank (:func:`rank_draws`), ``(scenarios, ranks)`` integers.

    ``counts[i, r - 1]`` is the number of draws in which scenario ``i`` ranks ``r``. Counts of
    chunks of draws add up to the counts of all of them, in any order.
    """
    ranks = rank_draws(scores, baseline_index)
    n = ranks.shape[0]
    flat = (np.arange(n)[:, None] * n + (ranks - 1)).ravel()
    return np.bincount(flat, minlength=n * n).reshape(n, n).astype(np.int64)


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks of ``values`` (1 = smallest), ties sharing their average rank (as
    ``scipy.stats.rankdata(values, method="average")``): one sort."""
    values = np.asarray(values, dtype=float)
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    first = np.empty(len(values), dtype=bool)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    sizes = np.diff(np.append(starts, len(values)))
    ranks = np.empty(len(values))
    ranks[order] = np.repeat(starts + 0.5 * (sizes + 1), sizes)
    return ranks


def _standardised_ranks(rows: np.ndarray) -> np.ndarray:
    """Each row's average ranks, centred and scaled to unit root mean square (0 for a constant row)."""
    out = np.zeros(rows.shape)
    for k, row in enumerate(rows):
        r = _average_ranks(row)
        r -= r.mean()
        scale = np.sqrt(np.mean(r * r))
        if scale > 0:
            out[k] = r / scale
    return out


def _rank_products(p: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Mean products of standardised rank rows, ``(len(p), len(g))``: Spearman's correlations."""
    return np.array([[float(np.mean(a * c)) for c in g] for a in p]).reshape(len(p), len(g))


def _spearman_rows(params: np.ndarray, gaps: np.ndarray) -> np.ndarray:
    """Spearman rank correlation of every parameter row with every gap row, ``(parameters, gaps)``;
    0 where either is constant. Each row is ranked once."""
    return _rank_products(_standardised_ranks(params), _standardised_ranks(gaps))


def _histogram(values: np.ndarray, others: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Counts ``(scenarios, bins)`` of each row's draws in ``bins`` equal bins over the range of the rows
    ``others`` (the non-baseline scenarios), and the ``bins + 1`` edges.

    A draw ``v`` falls in bin ``floor((v - low) * bins / (high - low))``, draws outside the range
    (the baseline's) in the end bins: one pass over the values, no sort.
    """
    low = min(float(np.nanmin(values[i])) for i in others)
    high = max(float(np.nanmax(values[i])) for i in others)
    if not np.isfinite(low) or not np.isfinite(high):
        low, high = 0.0, 1.0
    if not high > low:
        pad = max(abs(low) * 1e-6, 0.5)
        low, high = low - pad, high + pad
    edges = low + (high - low) * np.arange(bins + 1) / bins
    counts = np.zeros((values.shape[0], bins), dtype=np.int64)
    for row, count in zip(values, counts, strict=True):  # a row at a time: temporaries of one scenario
        scaled = (row - low) * (bins / (high - low))
        np.clip(scaled, 0, bins - 1, out=scaled)
        count += np.bincount(scaled.astype(np.int64), minlength=bins)
    return counts, edges


def summarise(ds: xr.Dataset, objective: str | None = None, *, top: int = 3) -> xr.Dataset:
    """Median, 90% interval, distribution and rank probabilities of an :func:`uncertainty_compare` result.

    ``ds`` may be held in memory or opened lazily from a file (``xarray.open_dataset(...,
    cache=False)``): it is read one variable at a time, and the ranks are counted
    :data:`RANK_BLOCK` draws at a time.

    Returns
    -------
    xarray.Dataset
        Per scenario: ``<name>_median``, ``<name>_p05``, ``<name>_p95`` of every ``delta_*``,
        ``pv_delta_cost`` and ``npb_*`` variable, and its distribution across draws,
        ``<name>_count`` (scenario, bin; :data:`HISTOGRAM_BINS` equal bins) over the edges
        ``<name>_edges`` (edge); per objective ``o``, ``rank_count_<o>`` (scenario, rank:
        draws in which the scenario takes that rank, ties sharing a rank, the baseline last),
        ``p_first_<o>`` and ``p_top3_<o>`` (``top``). ``sensitivity`` (parameter, scenario):
        Spearman rank correlation of each parameter with the chosen objective's net present
        benefit less the leader's (the scenario most often first); ``sensitivity_max``
        (parameter): its largest absolute value over the scenarios but the baseline (which
        ranks last whatever the draw); ``prior_low``, ``prior_high``.
    """
    ids = [str(s) for s in ds["scenario"].values]
    b = ids.index(ds.attrs["baseline"])
    counts = {o: np.zeros((len(ids), len(ids)), dtype=np.int64) for o in OBJECTIVE_STREAMS}
    draws = ds.sizes["draw"]
    for o, total in counts.items():
        for lo in range(0, draws, RANK_BLOCK):
            total += rank_counts(ds[f"npb_{o}"].isel(draw=slice(lo, lo + RANK_BLOCK)).values, b)
    return _summary(ds, counts, objective or ds.attrs.get("objective", "local_value_added"), top)


def _variable_summary(values: np.ndarray, others: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Quantiles ``(3, scenarios)`` (:data:`QUANTILES`), histogram counts and edges of one per-draw variable."""
    q = np.array([np.quantile(row, QUANTILES) for row in values]).T.reshape(len(QUANTILES), len(values))
    count, edges = _histogram(values, others, HISTOGRAM_BINS)
    return q, count, edges


def _stored(path: str, name: str, rows: slice = slice(None)) -> np.ndarray:
    """Rows ``rows`` of variable ``name`` of a draws file, read with h5py."""
    import h5py

    # through a Python file object: a worker forked while the file was being written still holds
    # the HDF5 library's (stale) state of it, which opening it again by name would share
    with open(path, "rb") as raw, h5py.File(raw, "r") as handle:
        return handle[name][rows]


def _stored_variable_summary(path: str, name: str, others: np.ndarray) -> tuple:
    return _variable_summary(_stored(path, name), others)


def _stored_gap_ranks(path: str, name: str, leader: int, rows: slice) -> np.ndarray:
    score = _stored(path, name)
    return _standardised_ranks(score[rows] - score[leader : leader + 1])


def _stored_ranks(path: str, name: str) -> np.ndarray:
    return _standardised_ranks(_stored(path, name))


def _summary(
    ds: xr.Dataset,
    counts: dict[str, np.ndarray],
    chosen: str,
    top: int,
    *,
    executor: concurrent.futures.Executor | None = None,
    path: str | None = None,
    names: Sequence[str] | None = None,
) -> xr.Dataset:
    """The summary of :func:`summarise` from the per-draw variables and the rank counts.

    With an ``executor``, ``ds`` holds only the coordinates, attributes and priors of the
    (closed) draws file ``path`` and ``names`` its summarised variables: each variable's
    quantiles and histogram and the rank rows of the sensitivities are taken in the executor's
    workers, each reading its own variable from the file (the same functions on the same
    numbers, so the same bits as in this process).
    """
    ids = [str(s) for s in ds["scenario"].values]
    b = ids.index(ds.attrs["baseline"])
    others = np.array([i for i in range(len(ids)) if i != b] or [b])
    draws = ds.sizes["draw"]
    parallel = executor is not None and path is not None
    if not parallel:
        names = [name for name in ds.data_vars if _summarised(name)]
    if parallel:
        pending = {name: executor.submit(_stored_variable_summary, path, name, others) for name in names}
        param_ranks = executor.submit(_stored_ranks, path, "parameter_value")
    out = xr.Dataset(coords={"scenario": ids, "parameter": ds["parameter"].values, "rank": np.arange(1, len(ids) + 1)})
    for name in names:
        q, count, edges = pending[name].result() if parallel else _variable_summary(ds[name].values, others)
        for key, row in zip(("p05", "median", "p95"), q, strict=True):
            out[f"{name}_{key}"] = ("scenario", row)
        out[f"{name}_count"] = (("scenario", "bin"), count)
        out[f"{name}_edges"] = ("edge", edges)
    for o, count in counts.items():
        out[f"rank_count_{o}"] = (("scenario", "rank"), count)
        out[f"p_first_{o}"] = ("scenario", count[:, 0] / draws)
        out[f"p_top{top}_{o}"] = ("scenario", count[:, :top].sum(axis=1) / draws)
    p_first = out[f"p_first_{chosen}"].values.copy()
    p_first[b] = -1.0
    median = out[f"npb_{chosen}_median"].values
    leader = max((i for i in range(len(ids)) if i != b), key=lambda i: (p_first[i], median[i]), default=b)
    if parallel:
        half = (len(ids) + 1) // 2
        parts = [
            executor.submit(_stored_gap_ranks, path, f"npb_{chosen}", leader, rows)
            for rows in (slice(0, half), slice(half, len(ids)))
        ]
        table = _rank_products(param_ranks.result(), np.concatenate([part.result() for part in parts]))
    else:
        score = ds[f"npb_{chosen}"].values
        gaps = score - score[leader : leader + 1]
        del score
        table = _spearman_rows(ds["parameter_value"].values, gaps)
    out["sensitivity"] = (("parameter", "scenario"), table)
    out["sensitivity_max"] = ("parameter", np.abs(table[:, others]).max(axis=1) if table.size else np.zeros(0))
    out["prior_low"] = ("parameter", np.asarray(ds["prior_low"].values, dtype=float))
    out["prior_high"] = ("parameter", np.asarray(ds["prior_high"].values, dtype=float))
    out.attrs.update(ds.attrs, objective=chosen, leader=ids[leader], top=top)
    return out


def comparison_scenarios(paths: Sequence) -> tuple[list[Scenario], int | None, int]:
    """Scenarios of scenario and batch files, in order, and a batch file's ``[uncertainty]`` draws and seed.

    Returns ``(scenarios, draws, seed)``; ``draws`` is None when no batch file has an
    ``[uncertainty]`` table (the last one given wins).
    """
    from .scenario import load_batch, load_scenario
    from .scenario.batch import expand_batch
    from .scenario.load import is_batch_file

    scenarios, draws, seed = [], None, 0
    for path in paths:
        if is_batch_file(path):
            batch = load_batch(path)
            scenarios.extend(expand_batch(batch))
            if batch.uncertainty is not None:
                draws, seed = batch.uncertainty.draws, batch.uncertainty.seed
        else:
            scenarios.append(load_scenario(path))
    return scenarios, draws, seed


def _money(value: float) -> str:
    return f"{value:,.0f}"


def uncertainty_order(summary: xr.Dataset, objective: str | None = None) -> list[int]:
    """Positions of the scenarios of a summary but the baseline, most often first under ``objective``
    (default: the summary's) first, ties broken by the higher median net present benefit, then by position."""
    o = objective or summary.attrs["objective"]
    ids = [str(s) for s in summary["scenario"].values]
    first, median = summary[f"p_first_{o}"].values, summary[f"npb_{o}_median"].values
    others = [i for i, s in enumerate(ids) if s != summary.attrs["baseline"]]
    return sorted(others, key=lambda i: (-float(first[i]), -float(median[i]), i))


def uncertainty_text(summary: xr.Dataset, *, top: int = 10, unit: str = "") -> str:
    """Terminal table of :func:`summarise`: the top scenarios by probability of ranking first,
    with medians and 90% intervals, then the parameters that move the ranking most."""
    o = summary.attrs["objective"]
    k = summary.attrs.get("top", 3)
    ids = [str(s) for s in summary["scenario"].values]
    base = summary.attrs["baseline"]
    unit = unit or str(summary.attrs.get("units", ""))
    order = uncertainty_order(summary)[:top]
    width = max([len(ids[i]) for i in order] + [8])

    def interval(name: str, i: int) -> str:
        return (
            f"{_money(float(summary[f'{name}_median'][i]))} "
            f"[{_money(float(summary[f'{name}_p05'][i]))}, {_money(float(summary[f'{name}_p95'][i]))}]"
        )

    lines = [
        f"Under uncertainty: {summary.attrs['draws']:,} draws (seed {summary.attrs['seed']}) of every response "
        f"parameter, uniform on its prior, the same draws for every scenario; vs {base}, ranked by {o}"
        + (f" ({unit})" if unit else ""),
        f"{'scenario':<{width}}  {'NPB median [90% interval]':>36}  {'Δ local VA median [90% interval]':>36}  "
        f"{'P(first)':>8}  {f'P(top {k})':>9}",
    ]
    for i in order:
        lines.append(
            f"{ids[i]:<{width}}  {interval(f'npb_{o}', i):>36}  {interval('delta_local_value_added', i):>36}  "
            f"{float(summary[f'p_first_{o}'][i]):>8.1%}  {float(summary[f'p_top{k}_{o}'][i]):>9.1%}"
        )
    if len(ids) - 1 > len(order):
        lines.append(f"... {len(ids) - 1 - len(order)} more scenarios")
    if summary.sizes.get("parameter", 0):
        lines.append(
            f"What moves the ranking: Spearman correlation of each parameter with NPB less the leader's "
            f"({summary.attrs['leader']}), largest |rho| over the packages"
        )
        sens = summary["sensitivity_max"].values
        names = [str(p) for p in summary["parameter"].values]
        pw = max(len(n) for n in names)
        for j in np.argsort(-sens, kind="stable"):
            lines.append(f"  {names[j]:<{pw}}  |rho| {sens[j]:.2f}")
    return "\n".join(lines)
