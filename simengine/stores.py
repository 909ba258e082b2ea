"""Result stores that grow as chunks finish: Zarr, one region per chunk, done markers, resume, Dask.

A large batch is a :class:`ChunkJob`: the coordinates and the variables known before anything
runs, and a fixed list of chunk tasks, each a pure function of (batch specification, chunk
index, seed) that returns one region of the result along ``scenario`` (a batch's scenario
chunks, :func:`scenario_job`) or ``draw`` (an uncertainty comparison's draw chunks,
:func:`draw_job`). :func:`run_job` creates the store once, then every finished chunk writes its
own region (``to_zarr(region=...)``) and a done marker beside it; the chunks are fixed by the
job, not by where they run, so the same job runs in this process, on a process pool or on a
Dask cluster, and a killed run resumes with only its missing chunks.

Exact determinism
-----------------
On one machine a store's numbers are bitwise the same for any worker count, chunk size,
executor (none, a process pool, Dask) and BLAS thread count: every product and solve over
scenario or draw columns goes through the column-independent kernels of
:mod:`simengine.kernels.linalg` (a column's sums run in a fixed order, whatever the other
columns), and every chunk runs with BLAS pinned to one thread (``threadpoolctl``), in this
process and in every worker alike, so the few remaining LAPACK calls (the LU factorisation of
each circuit) take the same path everywhere. Across CPUs (another OpenBLAS kernel, another
numba target) results agree to rounding, about 1e-12 relative, not bitwise.

Layout of a store: the Zarr group of the result (format 2, readable by any Zarr library), its
attribute ``simengine_store`` (JSON: kind, fingerprint, chunk bounds), and a subgroup
``chunks_done`` with one marker group per finished chunk (its attributes: the chunk's failures
and result attributes). A batch store (:func:`batch_store`) keeps a batch file's
``[uncertainty]`` comparison in its group ``draws`` and that comparison's summary in
``draws/summary`` (:func:`write_summary`, streamed from the store). The
fingerprint hashes the scenarios as loaded (so a changed batch file or scenario file is
caught), the job's options and the package's source code; :func:`run_job` refuses to resume a
store of another fingerprint.
"""

from __future__ import annotations

import concurrent.futures
import functools
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import xarray as xr

from . import __version__
from .errors import DataError, ScenarioError
from .scenario.schema import Scenario

__all__ = [
    "STORE_SUFFIXES",
    "ChunkJob",
    "ChunkResult",
    "StoreOutcome",
    "scenario_job",
    "draw_job",
    "run_job",
    "open_store",
    "is_store",
    "code_fingerprint",
    "dask_client",
    "check_store_path",
    "batch_store",
    "has_group",
    "DRAWS_GROUP",
    "SUMMARY_GROUP",
    "write_summary",
    "read_summary",
    "WORKER_CONFIG",
]

#: Suffixes of Zarr result stores (directories).
STORE_SUFFIXES = (".zarr",)

_MARKERS = "chunks_done"
_META = "simengine_store"
_ZARR_FORMAT = 2


def _require_cluster_packages() -> None:
    """One clear error when the optional store packages are missing."""
    missing = []
    for name in ("zarr", "dask"):
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise DataError(
            f"Zarr result stores need the optional packages {', '.join(missing)}: "
            "pip install 'simengine[cluster]' (or write a .nc file instead)"
        )


class ChunkResult(NamedTuple):
    """What a chunk task returns: its region, its failed members and its attributes.

    ``attrs`` and ``conflicts`` are the chunk's share of the result's attributes: combined over
    the chunks as ``xarray.concat(..., combine_attrs="drop_conflicts")`` combines them over
    the members (a key in any chunk's ``conflicts`` is dropped).
    """

    region: xr.Dataset
    failures: dict[str, str]
    attrs: dict = {}
    conflicts: list = []


@dataclass(frozen=True)
class ChunkJob:
    """A batch split into chunks along one dimension, each a pure task writing its own region.

    Attributes
    ----------
    kind : str
        What the job computes (``"scenarios"`` or ``"draws"``), recorded in the store.
    dim : str
        The dimension the chunks split (``"scenario"`` or ``"draw"``).
    bounds : tuple of (int, int)
        Half-open index range of each chunk along ``dim``, in order, covering it without gaps.
    tasks : tuple of callable
        ``tasks[i]()`` returns a :class:`ChunkResult` whose region is a Dataset over ``dim`` of
        length ``bounds[i][1] - bounds[i][0]``. Each task is a picklable pure function of the
        job's specification and its chunk index.
    fixed : xarray.Dataset
        Everything known before any chunk runs: the coordinate along ``dim`` and the other
        coordinates, the variables that do not come from chunks, and attributes.
    fingerprint : str
        Hash of the specification (scenarios, options, code); a store of another fingerprint
        is never resumed.
    probe : callable, optional
        A cheap task whose region has the chunks' variables (any length along ``dim``, e.g.
        one draw): the store's layout comes from it, and every chunk runs where the chunks
        run. Without it the first chunk runs in the calling process and gives the layout.
    """

    kind: str
    dim: str
    bounds: tuple[tuple[int, int], ...]
    tasks: tuple[Callable[[], ChunkResult], ...]
    fixed: xr.Dataset
    fingerprint: str
    probe: Callable[[], ChunkResult] | None = None

    def __post_init__(self) -> None:
        if len(self.bounds) != len(self.tasks) or not self.bounds:
            raise ScenarioError(f"a chunk job needs one task per chunk, got {len(self.tasks)} for {len(self.bounds)}")


@dataclass
class StoreOutcome:
    """A finished store: its path, the members that failed (label -> error), chunks computed now."""

    path: Path
    failures: dict[str, str]
    computed: int
    chunks: int


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of the package's version and source files (``.py`` and ``.toml``), 16 hex digits."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(p for suffix in ("*.py", "*.toml") for p in root.rglob(suffix)):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _fingerprint(kind: str, scenarios: Sequence[Scenario], options: dict) -> str:
    digest = hashlib.sha256(kind.encode())
    digest.update(code_fingerprint().encode())
    digest.update(json.dumps(options, sort_keys=True, default=str).encode())
    for scenario in scenarios:
        digest.update(scenario.model_dump_json().encode())
    return digest.hexdigest()[:24]


def _bounds(length: int, chunk_size: int) -> tuple[tuple[int, int], ...]:
    if chunk_size < 1:
        raise ScenarioError(f"chunk size must be at least 1, got {chunk_size}")
    return tuple((lo, min(lo + chunk_size, length)) for lo in range(0, length, chunk_size))


def _plain(value):
    """An attribute value as JSON (numpy scalars and arrays to Python)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def _merge_attrs(parts: Iterable[tuple[dict, list]]) -> tuple[dict, list]:
    """The attributes every part shares, as a batch's result keeps them: each part is ``(attrs,
    conflicting keys)``; a key that conflicts anywhere, or that a part with attributes lacks (its
    own scenarios disagreed on it), is dropped. Parts without attributes (every member failed)
    do not count."""
    parts = [(attrs, dropped) for attrs, dropped in parts if attrs or dropped]
    merged: dict = {}
    conflicts: set = set()
    for attrs, dropped in parts:
        conflicts.update(dropped)
        for key, value in attrs.items():
            if key in merged and merged[key] != value:
                conflicts.add(key)
            merged.setdefault(key, value)
    for attrs, _ in parts:
        conflicts.update(key for key in merged if key not in attrs)
    return {k: v for k, v in merged.items() if k not in conflicts}, sorted(conflicts)


# -- scenario chunks ---------------------------------------------------------------------------


def _scenario_members(members) -> list[Scenario]:
    from .scenario import load_batch, load_scenario
    from .scenario.batch import expand_batch
    from .scenario.load import is_batch_file

    if isinstance(members, (str, os.PathLike)):
        if is_batch_file(members):
            return expand_batch(load_batch(members))
        members = [members]
    return [m if isinstance(m, Scenario) else load_scenario(m) for m in members]


def _scenario_task(scenarios: list[Scenario], time_unit: str, lags: dict | None) -> ChunkResult:
    """Run one chunk of scenarios; failed members keep NaN in their slot."""
    from .batch import run_batch
    from .provenance import scenario_variables
    from .results import concat_results

    results: list[xr.Dataset] = []
    outcome = run_batch(scenarios, chunk_size=len(scenarios), time_unit=time_unit, lags=lags, sink=results.extend)
    if not results:
        return ChunkResult(xr.Dataset(), outcome.failures)
    attrs, conflicts = _merge_attrs(({k: _plain(v) for k, v in ds.attrs.items()}, []) for ds in results)
    region = concat_results(results)
    region = region.reindex(scenario=[s.scenario.id for s in scenarios])
    region = region.drop_vars(list(scenario_variables(scenarios[0])))  # in the store's fixed part
    return ChunkResult(region, outcome.failures, attrs, conflicts)


def scenario_job(
    members: str | os.PathLike | Iterable[Scenario | str | os.PathLike],
    *,
    chunk_size: int = 256,
    time_unit: str = "year",
    lags: dict[str, int] | None = None,
) -> ChunkJob:
    """A batch (file, or scenarios) as chunks of ``chunk_size`` scenarios along ``scenario``.

    Every member is loaded first (a store needs every scenario id before it is created), so
    an invalid member raises :class:`simengine.errors.ScenarioError` naming it before anything
    is written. Each chunk is :func:`simengine.batch.run_batch` of its scenarios; the store
    equals ``run_batch(members).results`` bitwise, attributes included. ``time_unit`` and
    ``lags`` as in :func:`simengine.batch.run_scenarios`.
    """
    from .provenance import scenario_variables

    scenarios = _scenario_members(members)
    ids = [s.scenario.id for s in scenarios]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise ScenarioError(f"batch has duplicate scenario ids {duplicated}; give each scenario a unique [scenario].id")
    bounds = _bounds(len(scenarios), chunk_size)
    per = [scenario_variables(s) for s in scenarios]
    fixed = xr.Dataset(
        {name: ("scenario", np.array([v[name][1][0] for v in per])) for name in per[0]},
        coords={"scenario": ids},
    )
    options = {"chunk_size": chunk_size, "time_unit": time_unit, "lags": lags}
    tasks = tuple(functools.partial(_scenario_task, scenarios[lo:hi], time_unit, lags) for lo, hi in bounds)
    return ChunkJob("scenarios", "scenario", bounds, tasks, fixed, _fingerprint("scenarios", scenarios, options))


# -- draw chunks -------------------------------------------------------------------------------


def _draw_task(
    scenarios: list[Scenario], values: dict[str, np.ndarray], draws: int, base: int, start: int
) -> ChunkResult:
    """One chunk of an uncertainty comparison's draws, as a Dataset over ``scenario`` and ``draw``."""
    from .uncertainty import _chunk

    part = _chunk(scenarios, values, draws, base)
    region = xr.Dataset(
        {name: (("scenario", "draw"), array) for name, array in part.items()},
        coords={"draw": np.arange(start, start + draws)},
    )
    return ChunkResult(region, {})


def draw_job(
    scenarios: Sequence[Scenario],
    *,
    draws: int,
    seed: int = 0,
    baseline: str | None = None,
    chunk_size: int = 8192,
) -> ChunkJob:
    """An uncertainty comparison (:func:`simengine.uncertainty.uncertainty_compare`) as chunks of draws.

    The parameters are drawn once here (:func:`simengine.uncertainty.draw_parameters`) and each
    chunk gets its slice, so the store equals ``uncertainty_compare(scenarios, draws=draws,
    seed=seed, baseline=baseline)`` bitwise, for any chunk size.
    """
    from .uncertainty import draw_parameters, response_priors, uncertainty_compare

    scenarios = list(scenarios)
    probe = uncertainty_compare(scenarios, draws=1, seed=seed, baseline=baseline)  # checks the comparison
    if draws < 1:
        raise ScenarioError(f"uncertainty draws must be at least 1, got {draws}")
    priors = response_priors(scenarios)
    values = draw_parameters(priors, draws, seed)
    names = [str(p) for p in probe["parameter"].values]
    ids = [str(s) for s in probe["scenario"].values]
    fixed = xr.Dataset(
        {
            "parameter_value": (("parameter", "draw"), np.array([values[k] for k in names]).reshape(len(names), draws)),
            "prior_low": probe["prior_low"],
            "prior_high": probe["prior_high"],
        },
        coords={"scenario": ids, "draw": np.arange(draws), "parameter": names},
        attrs={**probe.attrs, "draws": draws},
    )
    b = ids.index(probe.attrs["baseline"])
    bounds = _bounds(draws, chunk_size)
    tasks = tuple(
        functools.partial(_draw_task, scenarios, {k: v[lo:hi] for k, v in values.items()}, hi - lo, b, lo)
        for lo, hi in bounds
    )
    options = {"draws": draws, "seed": seed, "baseline": probe.attrs["baseline"], "chunk_size": chunk_size}
    first = functools.partial(_draw_task, scenarios, {k: v[:1] for k, v in values.items()}, 1, b, 0)
    return ChunkJob("draws", "draw", bounds, tasks, fixed, _fingerprint("draws", scenarios, options), first)


# -- the store ---------------------------------------------------------------------------------


def is_store(path: str | os.PathLike) -> bool:
    """Whether ``path`` names a Zarr store (by its suffix)."""
    return Path(path).suffix.lower() in STORE_SUFFIXES


def _group_path(path: Path, group: str | None) -> Path:
    return path / group if group else path


def _read_meta(path: Path, group: str | None) -> dict | None:
    """The store's bookkeeping attribute, or None where ``path`` is not a simengine store."""
    attrs_file = _group_path(path, group) / ".zattrs"
    if not attrs_file.is_file():
        return None
    try:
        attrs = json.loads(attrs_file.read_text())
        return json.loads(attrs[_META])
    except (OSError, ValueError, KeyError):
        return None


def _done(path: Path, group: str | None) -> dict[int, dict]:
    """Markers of the finished chunks: index -> marker."""
    folder = _group_path(path, group) / _MARKERS
    out = {}
    if folder.is_dir():
        for marker in folder.iterdir():
            if not marker.name.isdigit():
                continue  # a marker being written when the run was killed: that chunk runs again
            try:
                out[int(marker.name)] = json.loads((marker / ".zattrs").read_text())
            except (ValueError, OSError):
                continue
    return out


_ZGROUP = json.dumps({"zarr_format": _ZARR_FORMAT})


def _write_marker(path: Path, group: str | None, index: int, marker: dict) -> None:
    """A chunk's done marker: the Zarr group ``chunks_done/<index>`` whose attributes are ``marker``,
    renamed into place in one step (it is there whole or not at all)."""
    folder = _group_path(path, group) / _MARKERS
    folder.mkdir(exist_ok=True)
    if not (folder / ".zgroup").exists():
        (folder / ".zgroup").write_text(_ZGROUP)
    temporary = folder / f".partial-{index}-{os.getpid()}"
    shutil.rmtree(temporary, ignore_errors=True)
    temporary.mkdir()
    (temporary / ".zgroup").write_text(_ZGROUP)
    (temporary / ".zattrs").write_text(json.dumps(marker, sort_keys=True))
    try:
        os.rename(temporary, folder / str(index))
    except OSError:  # already there: a retried chunk that had finished (the same numbers)
        shutil.rmtree(temporary, ignore_errors=True)


def _region_variables(region: xr.Dataset, dim: str, fixed: xr.Dataset) -> list[str]:
    """The variables a chunk writes: those along ``dim`` not already in the fixed part."""
    return [name for name in region.data_vars if dim in region[name].dims and name not in fixed.variables]


def _compute(task: Callable[[], ChunkResult]) -> ChunkResult:
    """Run a chunk task with BLAS pinned to one thread (the same path in the driver and in workers)."""
    with _blas_controller().limit(limits=1, user_api="blas"):
        return task()


@functools.lru_cache(maxsize=1)
def _blas_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _write_region(
    path: str, group: str | None, index: int, bounds: tuple[int, int], dim: str, expected: list[str], result
) -> dict[str, str]:
    """Write a chunk's region, then its done marker (a marker never precedes its data)."""
    lo, hi = bounds
    region = result.region
    if region.data_vars:
        along = {name for name in region.data_vars if dim in region[name].dims}
        if along != set(expected) or region.sizes.get(dim) != hi - lo:
            raise DataError(
                f"chunk {index} of the store {path} gave variables {sorted(region.data_vars)} over {dim} of length "
                f"{region.sizes.get(dim)}, expected {sorted(expected)} over a length of {hi - lo}"
            )
        region = region[expected]
        region = region.drop_vars(list(region.coords))
        floats = [name for name in expected if region[name].dtype.kind == "f"]
        _write_floats(path, group, dim, lo, hi, {name: region[name] for name in floats})
        others = [name for name in expected if name not in floats]
        if others:  # encoded by xarray (booleans, strings, integers with fill values)
            region[others].to_zarr(
                path, group=group, region={dim: slice(lo, hi)}, zarr_format=_ZARR_FORMAT, consolidated=False
            )
    marker = {"failures": result.failures, "attrs": result.attrs, "conflicts": list(result.conflicts)}
    _write_marker(Path(path), group, index, marker)
    return result.failures


def _write_floats(path: str, group: str | None, dim: str, lo: int, hi: int, variables: dict) -> None:
    """Write float variables into their region ``lo:hi`` along ``dim``, every array at once.

    Floats are stored as they are (xarray's encoding of a float variable without scale or offset
    is the identity), so the arrays are written with Zarr directly, all concurrently in one call
    of Zarr's event loop: measured, a third of the CPU of ``to_zarr(region=...)``, whose cost is
    mostly per variable, not per byte. The store's bytes are the same.
    """
    if not variables:
        return
    import asyncio

    import zarr.api.asynchronous as zarr_async
    from zarr.core.sync import sync

    async def write() -> None:
        root = await zarr_async.open_group(
            path, path=group or "", mode="r+", zarr_format=_ZARR_FORMAT, use_consolidated=False
        )
        arrays = await asyncio.gather(*(root.getitem(name) for name in variables))
        writes = []
        for (name, variable), array in zip(variables.items(), arrays, strict=True):
            dims = list(array.attrs["_ARRAY_DIMENSIONS"])
            if array.dtype != variable.dtype or sorted(dims) != sorted(variable.dims):
                raise DataError(
                    f"{path}: variable {name!r} is stored as {array.dtype} over {dims}, the chunk gave "
                    f"{variable.dtype} over {list(variable.dims)}; write a new store"
                )
            values = np.ascontiguousarray(variable.transpose(*dims).values)
            writes.append(array.setitem(tuple(slice(lo, hi) if d == dim else slice(None) for d in dims), values))
        await asyncio.gather(*writes)

    sync(write())


def _chunk_and_write(
    path: str, group: str | None, index: int, bounds: tuple[int, int], dim: str, expected: list[str], task: Callable
) -> dict[str, str]:
    """Run one chunk and write it: the task that runs where the chunk runs (this process, a pool
    process or a Dask worker), so that results never pass through the driver."""
    return _write_region(path, group, index, bounds, dim, expected, _compute(task))


def _create(path: Path, group: str | None, job: ChunkJob, first: xr.Dataset) -> list[str]:
    """Create the store once: the fixed part written, the chunk variables declared, chunked as ``job.bounds``."""
    import dask.array

    dim = job.dim
    length = job.fixed.sizes[dim]
    size = job.bounds[0][1] - job.bounds[0][0]
    names = _region_variables(first, dim, job.fixed)
    template = job.fixed.copy()
    for name in names:
        variable = first[name]
        shape = tuple(length if d == dim else variable.sizes[d] for d in variable.dims)
        chunks = tuple(size if d == dim else variable.sizes[d] for d in variable.dims)
        fill = np.nan if variable.dtype.kind == "f" else 0
        template[name] = (variable.dims, dask.array.full(shape, fill, chunks=chunks, dtype=variable.dtype))
        template[name].attrs.update(variable.attrs)
    for name in first.coords:
        if dim not in first[name].dims and name not in template.coords:
            template = template.assign_coords({name: first[name]})
    meta = {
        "kind": job.kind,
        "dim": dim,
        "fingerprint": job.fingerprint,
        "bounds": [list(b) for b in job.bounds],
        "variables": names,
    }
    template.attrs = {**{k: _plain(v) for k, v in job.fixed.attrs.items()}, _META: json.dumps(meta)}
    # written beside its place, then renamed into it: a store (or group) is there whole or not at all
    target = _group_path(path, group)
    partial = target.with_name(f"{target.name}-creating-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        if group is None:
            template.to_zarr(partial, mode="w-", compute=False, zarr_format=_ZARR_FORMAT, consolidated=False)
        else:
            template.to_zarr(
                path, group=partial.name, mode="a", compute=False, zarr_format=_ZARR_FORMAT, consolidated=False
            )
        os.rename(partial, target)
    except OSError as exc:
        from .io import write_error

        shutil.rmtree(partial, ignore_errors=True)
        raise write_error(target, exc) from None
    return names


def _prepare_path(path: Path, group: str | None, *, resume: bool, overwrite: bool) -> dict | None:
    """Check the output path before any work; return the existing store's bookkeeping when resuming."""
    if group is None:
        check_store_path(path, resume=resume, overwrite=overwrite)
    elif _read_meta(path, None) is None:
        raise DataError(f"{path}: a group goes into an existing simengine result store; write the store first")
    target = _group_path(path, group)
    if not target.exists():
        return None
    if resume:
        meta = _read_meta(path, group)
        if meta is None:
            raise DataError(f"{target}: not a simengine result store (no {_META} attribute); nothing to resume")
        return meta
    if group is not None and not overwrite:
        raise DataError(f"{target} exists; pass --resume to continue it or --overwrite to replace it")
    shutil.rmtree(target)
    return None


def run_job(
    job: ChunkJob,
    path: str | os.PathLike,
    *,
    group: str | None = None,
    resume: bool = False,
    overwrite: bool = False,
    client=None,
    executor: concurrent.futures.Executor | None = None,
    retries: int = 3,
    progress: bool | Callable = False,
) -> StoreOutcome:
    """Run ``job`` into the Zarr store ``path``: created once, then one region and marker per chunk.

    Parameters
    ----------
    job : ChunkJob
        From :func:`scenario_job`, :func:`draw_job` or built by hand.
    path : path ending in ``.zarr``
        The store (a directory). Apart from the probe (or the first chunk without one),
        every chunk runs where ``client`` or ``executor`` puts it and writes its region itself,
        so the store must be on a file system the workers share. The layout of the variables
        comes from ``job.probe`` (or from the first chunk, run here).
    group : str, optional
        Zarr group inside the store (e.g. ``"draws"`` beside a batch's scenario results).
    resume : bool
        Continue a store of the same job (same fingerprint): only chunks without a done
        marker run. A store of another job is refused with :class:`DataError`.
    overwrite : bool
        Replace an existing store (only a simengine store is ever removed).
    client : distributed.Client, optional
        Run chunks on a Dask cluster, each task with ``retries`` (a chunk lost with its worker
        is recomputed with the same numbers, since tasks are pure).
    executor : concurrent.futures.Executor, optional
        Run chunks on a pool instead (e.g. ``ProcessPoolExecutor``). Default: this process.
    retries : int
        Dask retries per chunk.
    progress : bool or callable
        Show a tqdm progress bar over chunks (or pass a tqdm-like callable).

    Returns
    -------
    StoreOutcome
    """
    _require_cluster_packages()
    path = Path(path)
    meta = _prepare_path(path, group, resume=resume, overwrite=overwrite)
    if meta is not None and meta.get("fingerprint") != job.fingerprint:
        raise DataError(
            f"{path}: the store holds another {meta.get('kind', '')} job (fingerprint {meta.get('fingerprint')}, "
            f"this one {job.fingerprint}): the batch file, a scenario file it names, the options (such as "
            "--chunk-size) or the simengine code changed since it was written; write a new store, or pass "
            "--overwrite instead of --resume"
        )
    done = _done(path, group) if meta is not None else {}
    pending = [i for i in range(len(job.bounds)) if i not in done]
    failures: dict[str, str] = {}
    for index in sorted(done):
        failures.update(done[index].get("failures", {}))
    computed = 0
    if meta is None:
        first = pending[0] if job.probe is None else None
        result = _compute(job.tasks[first] if job.probe is None else job.probe)
        if not result.region.data_vars:
            label, error = next(iter(result.failures.items()))
            raise ScenarioError(f"every member of the first chunk failed, e.g. {label}: {error}")
        expected = _create(path, group, job, result.region)
        if first is not None:
            failures.update(_write_region(str(path), group, first, job.bounds[first], job.dim, expected, result))
            pending.pop(0)
            computed += 1
        del result
    else:
        expected = meta["variables"]
    arguments = [(str(path), group, i, job.bounds[i], job.dim, expected, job.tasks[i]) for i in pending]
    if client is not None:
        from distributed import as_completed

        futures = [
            client.submit(
                _chunk_and_write, *a, key=f"simengine-{job.fingerprint[:12]}-{a[2]}", retries=retries, pure=False
            )
            for a in arguments
        ]
        iterator = (future.result() for future in as_completed(futures))
    elif executor is not None:
        futures = [executor.submit(_chunk_and_write, *a) for a in arguments]
        iterator = (future.result() for future in concurrent.futures.as_completed(futures))
    else:
        iterator = (_chunk_and_write(*a) for a in arguments)
    if progress:
        from tqdm.auto import tqdm

        bar = progress if callable(progress) else tqdm
        iterator = bar(iterator, total=len(arguments), desc=job.kind, unit="chunk")
    for failed in iterator:
        failures.update(failed)
        computed += 1
    _finish(path, group)
    return StoreOutcome(path, failures, computed, len(job.bounds))


def _finish(path: Path, group: str | None) -> None:
    """Mark a store complete: the chunks' attributes combined into the result's, metadata consolidated."""
    import zarr

    meta = _read_meta(path, group)
    done = _done(path, group)
    attrs, conflicts = _merge_attrs((done[i]["attrs"], done[i]["conflicts"]) for i in sorted(done))
    store = zarr.open_group(str(path), path=group or "", mode="r+", zarr_format=_ZARR_FORMAT)
    meta["complete"] = len(done) == len(meta["bounds"])
    store.attrs.update({**attrs, _META: json.dumps(meta)})
    zarr.consolidate_metadata(str(path), path=group or "", zarr_format=_ZARR_FORMAT)


def open_store(path: str | os.PathLike, *, group: str | None = None, load: bool = True) -> xr.Dataset:
    """Read a complete result store as the Dataset the job would have returned in memory.

    Parameters
    ----------
    path : path of a ``.zarr`` store written by :func:`run_job`
    group : str, optional
        Zarr group inside the store.
    load : bool
        Read every variable into memory (default); otherwise the variables stay lazy (Dask
        arrays read chunk by chunk). Members that failed are left out, as in
        :func:`simengine.batch.run_batch`.

    Raises
    ------
    DataError
        If ``path`` is not a simengine store, or some chunks are missing (a run that was
        stopped: finish it with ``--resume``).
    """
    _require_cluster_packages()
    path = Path(path)
    meta = _read_meta(path, group)
    if meta is None:
        where = f" group {group!r}" if group else ""
        raise DataError(f"{path}{where}: not a simengine result store (no {_META} attribute)")
    done = _done(path, group)
    missing = [i for i in range(len(meta["bounds"])) if i not in done]
    if missing or not meta.get("complete"):
        shown = ", ".join(str(i) for i in missing[:10]) + (" ..." if len(missing) > 10 else "")
        raise DataError(
            f"{path}: incomplete store, {len(missing)} of {len(meta['bounds'])} chunks not written ({shown}); "
            "finish it by running the same command again with --resume"
        )
    ds = xr.open_zarr(str(_group_path(path, group)), consolidated=True, zarr_format=_ZARR_FORMAT)
    ds.attrs.pop(_META, None)
    failed = {label for marker in done.values() for label in marker.get("failures", {})}
    dim = meta.get("dim", "scenario" if meta.get("kind") == "scenarios" else "draw")
    if failed and dim in ds.indexes:
        ds = ds.drop_sel({dim: [v for v in ds.indexes[dim] if v in failed]})
    for name in ds.variables:
        ds[name].encoding = {}
    return ds.load() if load else ds


#: Dask configuration of the clusters :func:`dask_client` starts, each setting measured on this
#: workload (``benchmarks/bench_cluster.py``):
#:
#: - Dask's nanny sets ``MALLOC_TRIM_THRESHOLD_`` in every worker, which turns off glibc's adaptive
#:   mmap threshold, so that every large array a chunk allocates is fresh pages from the kernel
#:   (page faults, several times the CPU time per chunk). Unset, workers allocate as this process does.
#: - The background work of an idle cluster (each worker's statistical profiler sampling its
#:   thread every 10 ms, the event-loop tick every 20 ms, the system monitor every 0.5 s, the
#:   nanny's memory check every 0.1 s) costs CPU in proportion to the run's wall time, not to its
#:   chunks: on a shared machine, where a run's wall time stretches, it is a large share of the
#:   cluster's CPU. The profiler is off and the others run once a second or two here; a task's
#:   result, retries and memory limits do not depend on them.
#:
#: Workers started by hand (``dask worker``) take the same keys from their Dask configuration
#: file, e.g. ``distributed: {nanny: {pre-spawn-environ: {MALLOC_TRIM_THRESHOLD_: null}},
#: worker: {profile: {enabled: false}}}``.
WORKER_CONFIG = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "1s",
}


def dask_client(spec: str, *, config: dict | None = None):
    """A ``distributed.Client`` for ``--dask``: ``local:N`` starts a LocalCluster of N one-thread
    processes on this machine (closed with the client), configured with ``config`` (default
    :data:`WORKER_CONFIG`); anything else is a scheduler address (``tcp://host:8786``). Use it
    as a context manager."""
    try:
        from distributed import Client
    except ImportError:
        raise DataError("--dask needs the optional package distributed: pip install 'simengine[cluster]'") from None
    if spec.startswith("local:"):
        count = spec.removeprefix("local:")
        if not count.isdigit() or int(count) < 1:
            raise DataError(f"--dask {spec!r}: give local:N with N a number of worker processes, e.g. local:2")
        import dask

        with dask.config.set(WORKER_CONFIG if config is None else config):
            return Client(n_workers=int(count), threads_per_worker=1, processes=True, dashboard_address=None)
    try:
        return Client(spec, timeout=30)
    except (OSError, TimeoutError, ValueError) as exc:
        raise DataError(
            f"--dask {spec!r}: cannot reach a Dask scheduler there ({exc}); start one, or use local:N"
        ) from None


def check_store_path(path: str | os.PathLike, *, resume: bool = False, overwrite: bool = False) -> Path:
    """Check, before any work, that a store can be written at ``path`` (see :func:`run_job`)."""
    _require_cluster_packages()
    path = Path(path)
    if not is_store(path):
        raise DataError(f"{path}: a result store's name must end in {' or '.join(STORE_SUFFIXES)}")
    if not path.parent.is_dir():
        raise DataError(f"cannot write {path}: folder {path.parent} does not exist")
    if path.exists() and not resume:
        if not overwrite:
            raise DataError(f"{path} exists; pass --resume to continue it or --overwrite to replace it")
        if _read_meta(path, None) is None:
            raise DataError(f"{path} exists and is not a simengine result store; refusing to replace it")
    if resume and path.exists() and _read_meta(path, None) is None:
        raise DataError(f"{path}: not a simengine result store (no {_META} attribute); nothing to resume")
    return path


#: Group of a batch store that holds its ``[uncertainty]`` comparison.
DRAWS_GROUP = "draws"


#: Group of a batch store that holds the summary of its draws (:func:`write_summary`), inside :data:`DRAWS_GROUP`.
SUMMARY_GROUP = f"{DRAWS_GROUP}/summary"


def has_group(path: str | os.PathLike, group: str) -> bool:
    """Whether the store at ``path`` holds the group ``group`` written by :func:`run_job`."""
    return _read_meta(Path(path), group) is not None


def _streamed_summary(path: Path, group: str | None) -> xr.Dataset:
    """:func:`simengine.uncertainty.summarise` of a complete draw store, read lazily: one variable of
    every draw in memory at a time (8 bytes per scenario-draw), the ranks counted block by block."""
    from .uncertainty import summarise

    with open_store(path, group=group, load=False) as draws:
        return summarise(draws).load()


def write_summary(path: str | os.PathLike, *, group: str | None = DRAWS_GROUP) -> xr.Dataset:
    """Summarise the uncertainty comparison of a complete store (group ``group``) and keep the summary
    in its subgroup ``summary`` (:data:`SUMMARY_GROUP` for a batch store), written whole or not at all.

    The summary equals :func:`simengine.uncertainty.summarise` of the comparison in memory, bitwise;
    the driver holds one variable of every draw at a time, never all of them (a 1,000,000-draw
    comparison of 12 scenarios: about 100 MB per variable). Returns the summary.
    """
    _require_cluster_packages()
    path = Path(path)
    summary = _streamed_summary(path, group)
    target = _group_path(path, group) / "summary"
    partial = target.with_name(f".summary-writing-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        summary.to_zarr(partial, mode="w-", zarr_format=_ZARR_FORMAT, consolidated=True)
        shutil.rmtree(target, ignore_errors=True)
        os.rename(partial, target)
    except OSError as exc:
        from .io import write_error

        shutil.rmtree(partial, ignore_errors=True)
        raise write_error(target, exc) from None
    return summary


def read_summary(path: str | os.PathLike, *, group: str | None = DRAWS_GROUP) -> xr.Dataset:
    """The summary of a store's uncertainty comparison (group ``group``): the one kept by
    :func:`write_summary`, or, for a store without one, summarised from its draws as
    :func:`write_summary` does (streamed) without writing anything.

    Raises
    ------
    DataError
        If the store holds no uncertainty comparison, or an incomplete one.
    """
    _require_cluster_packages()
    path = Path(path)
    if _read_meta(path, None) is None:
        raise DataError(f"{path}: not a simengine result store (no {_META} attribute)")
    if not has_group(path, group):
        raise DataError(
            f"{path}: the store holds no uncertainty comparison (no group {group!r}); it is written by "
            "'simengine batch' of a batch file with an [uncertainty] table"
        )
    kept = _group_path(path, group) / "summary"
    if (kept / ".zmetadata").is_file():
        with xr.open_zarr(str(kept), consolidated=True, zarr_format=_ZARR_FORMAT) as ds:
            summary = ds.load()
        for name in summary.variables:
            summary[name].encoding = {}
        return summary
    return _streamed_summary(path, group)


def batch_store(
    members: str | os.PathLike | Iterable[Scenario | str | os.PathLike],
    path: str | os.PathLike,
    *,
    chunk_size: int = 256,
    draw_chunk_size: int = 8192,
    time_unit: str = "year",
    lags: dict[str, int] | None = None,
    resume: bool = False,
    overwrite: bool = False,
    client=None,
    executor: concurrent.futures.Executor | None = None,
    progress: bool | Callable = False,
) -> StoreOutcome:
    """A batch into a Zarr store: its scenarios at the root (:func:`scenario_job`) and, for a batch
    file with an ``[uncertainty]`` table, its comparison under draws in the group
    :data:`DRAWS_GROUP` (:func:`draw_job`, analytic yearly batches only) and that comparison's
    summary in :data:`SUMMARY_GROUP` (:func:`write_summary`).

    Options as in :func:`run_job`; returns the scenario part's outcome.
    """
    from .scenario.load import is_batch_file

    check_store_path(path, resume=resume, overwrite=overwrite)
    job = scenario_job(members, chunk_size=chunk_size, time_unit=time_unit, lags=lags)
    common = {"resume": resume, "client": client, "executor": executor, "progress": progress}
    outcome = run_job(job, path, overwrite=overwrite, **common)
    if isinstance(members, (str, os.PathLike)) and is_batch_file(members) and time_unit == "year" and lags is None:
        from .uncertainty import comparison_scenarios

        scenarios, draws, seed = comparison_scenarios([members])
        if draws is not None and all(s.scenario.mode == "analytic" for s in scenarios):
            drawn = run_job(
                draw_job(scenarios, draws=draws, seed=seed, chunk_size=draw_chunk_size),
                path,
                group=DRAWS_GROUP,
                **common,
            )
            if drawn.computed or not (Path(path) / SUMMARY_GROUP / ".zmetadata").is_file():
                write_summary(path, group=DRAWS_GROUP)
    return outcome
