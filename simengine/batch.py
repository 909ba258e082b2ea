"""Running scenarios and batches: dispatch by mode, one factorisation per region, chunks, executors, sinks."""

from __future__ import annotations

import concurrent.futures
import functools
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import xarray as xr

from .agent_adapter import run_agent_scenario
from .errors import ScenarioError, SimEngineError
from .evaluation import PERIODS_PER_YEAR, evaluate, prepare
from .region_context import region_context
from .results import concat_results
from .scenario import load_batch, load_scenario
from .scenario.batch import SweepFailure, sweep_variants
from .scenario.load import is_batch_file
from .scenario.schema import Scenario

__all__ = ["run_scenario", "run_scenarios", "run_batch", "load_or_run", "BatchOutcome"]


def _as_scenario(item: Scenario | str | os.PathLike) -> Scenario:
    return item if isinstance(item, Scenario) else load_scenario(item)


def run_scenarios(
    scenarios: Sequence[Scenario | str | os.PathLike],
    *,
    time_unit: str = "year",
    lags: dict[str, int] | None = None,
) -> list[xr.Dataset]:
    """Run scenarios (models or file paths); analytic ones share one factorisation per region.

    Scenarios with ``mode = "agents"`` run one by one through :func:`run_agent_scenario`
    (monthly, whatever ``time_unit``).

    Parameters
    ----------
    scenarios : sequence of Scenario or path
    time_unit : {"year", "month"}
        Period of the results. Annual amounts are spread evenly over a year's months.
    lags : dict, optional
        Dynamic form: periods before each account group re-spends what it receives
        (see :data:`simengine.circuit.DEFAULT_LAGS`, in months). Without lags every period's
        spending runs through the whole circuit within the period (static form).

    Returns
    -------
    list of xarray.Dataset
        One result per scenario, in order, each meeting :func:`simengine.results.check_result`.
    """
    if time_unit not in PERIODS_PER_YEAR:
        raise ScenarioError(f"time_unit must be one of {list(PERIODS_PER_YEAR)}, got {time_unit!r}")
    if lags is not None and time_unit != "month":
        raise ScenarioError(
            f"lags are in months (simengine.circuit.DEFAULT_LAGS) but time_unit is {time_unit!r}; "
            "use time_unit='month' for the dynamic form"
        )
    loaded = [_as_scenario(item) for item in scenarios]
    by_region: dict[str, list[int]] = {}
    results: list[xr.Dataset | None] = [None] * len(loaded)
    for index, scenario in enumerate(loaded):
        if scenario.scenario.mode == "agents":
            results[index] = run_agent_scenario(scenario, region_context(scenario.scenario.region))
        else:
            by_region.setdefault(scenario.scenario.region, []).append(index)
    for region, indices in by_region.items():
        context = region_context(region)
        prepared = [prepare(loaded[i], context, time_unit) for i in indices]
        for i, ds in zip(indices, evaluate(prepared, context, lags), strict=True):
            results[i] = ds
    return results  # type: ignore[return-value]


def run_scenario(
    scenario: Scenario | str | os.PathLike, *, time_unit: str = "year", lags: dict[str, int] | None = None
) -> xr.Dataset:
    """Run one scenario (a model or a file path) and return its result Dataset.

    See :func:`run_scenarios` for ``time_unit`` and ``lags`` (the dynamic form).
    """
    return run_scenarios([scenario], time_unit=time_unit, lags=lags)[0]


@dataclass
class BatchOutcome:
    """A batch run: the combined results and the members that failed (with their errors)."""

    results: xr.Dataset | None
    failures: dict[str, str]


def _run_chunk(items: list, **options) -> tuple[list[xr.Dataset], dict[str, str]]:
    """Run a chunk of scenarios; a failing member is reported and the others still run."""
    scenarios, failures, labels = [], {}, {}
    for label, item in items:
        try:
            scenarios.append(_as_scenario(item))
        except SimEngineError as exc:
            failures[label] = str(exc)
        else:
            labels[scenarios[-1].scenario.id] = label
    try:
        return run_scenarios(scenarios, **options), failures
    except SimEngineError:
        results = []
        for scenario in scenarios:
            try:
                results.append(run_scenario(scenario, **options))
            except SimEngineError as exc:
                failures[labels.get(scenario.scenario.id, scenario.scenario.id)] = str(exc)
        return results, failures


def _check_agent_batch_memory(items: list) -> None:
    """Refuse a batch whose agent-mode results, all kept in memory, would exceed the agent memory limit."""
    from .agents.model import MAX_BYTES, result_bytes

    total, count, largest = 0.0, 0, None
    for item in items:
        try:
            scenario = _as_scenario(item)
        except SimEngineError:
            continue  # reported as that member's failure when it runs
        info = scenario.scenario
        if info.mode != "agents":
            continue
        sectors = len(region_context(info.region).economy.sectors)
        runs = 2 if scenario.lever else 1
        total += result_bytes(draws=info.draws, periods=12 * info.horizon, sectors=sectors, runs=runs)
        count += 1
        largest = largest or info
    if total > MAX_BYTES:
        raise ScenarioError(
            f"batch of {count} agent-mode scenarios would hold about {total / 2**30:,.1f} GB of results in memory "
            f"(e.g. scenario.draws = {largest.draws}, scenario.horizon = {largest.horizon}; limit "
            f"{MAX_BYTES / 2**30:.0f} GB): lower the sweep's size or the scenarios' draws or horizon, or run the "
            "batch in parts"
        )


def run_batch(
    members: str | os.PathLike | Iterable[Scenario | str | os.PathLike],
    *,
    executor: concurrent.futures.Executor | None = None,
    chunk_size: int = 256,
    progress: bool | Callable = False,
    time_unit: str = "year",
    lags: dict[str, int] | None = None,
    sink: Callable[[list[xr.Dataset]], None] | None = None,
) -> BatchOutcome:
    """Run a batch file, or a list of scenarios, into one Dataset along ``scenario``.

    Parameters
    ----------
    members : path of a batch file, or iterable of scenarios / scenario files
        A batch file's baseline comes first, then its scenarios and sweep variants.
    executor : concurrent.futures.Executor, optional
        Where chunks run. Default: in this process (the matrix solves use every core
        through BLAS). Any executor with ``submit`` works, e.g. a
        ``ProcessPoolExecutor`` or a Dask ``Client.get_executor()``.
    chunk_size : int
        Scenarios per task; each chunk is one factorisation per region and one matrix solve.
        Results are bit-identical for any executor, worker count and chunk size on one
        machine: every solve and product is column-independent
        (:func:`simengine.accounts.column_product`), so a scenario's numbers do not depend
        on which other scenarios share its chunk.
    progress : bool or callable
        Show a tqdm progress bar over chunks (or pass a tqdm-like callable).
    sink : callable, optional
        Receives each chunk's results (a list of single-scenario Datasets) as soon as the
        chunk completes, in chunk order, e.g. to append them to a Zarr or NetCDF store; the
        results are then not kept in memory and ``BatchOutcome.results`` is None.
    time_unit, lags
        As in :func:`run_scenarios`.

    Returns
    -------
    BatchOutcome
        ``results`` (None if every member failed) and ``failures`` by scenario label.
    """
    failures: dict[str, str] = {}
    if isinstance(members, (str, os.PathLike)) and not is_batch_file(members):
        members = [members]
    if isinstance(members, (str, os.PathLike)):
        batch = load_batch(members)
        items: list = [(str(Path(path)), path) for path in (batch.baseline, *batch.scenarios)]
        try:
            for label, variant in sweep_variants(batch):
                if isinstance(variant, SweepFailure):
                    failures[label] = str(variant.error)
                else:
                    items.append((label, variant))
        except SimEngineError as exc:  # the sweep's base file itself
            failures[f"sweep of {batch.sweep.base}"] = str(exc)
    else:
        items = [(str(m) if not isinstance(m, Scenario) else m.scenario.id, m) for m in members]
    if sink is None:
        _check_agent_batch_memory([item for _, item in items])
    chunks = [items[i : i + chunk_size] for i in range(0, len(items), chunk_size)]
    outcomes = []
    task = functools.partial(_run_chunk, time_unit=time_unit, lags=lags)
    if executor is None:
        iterator = map(task, chunks)
    else:
        iterator = (future.result() for future in [executor.submit(task, chunk) for chunk in chunks])
    if progress:
        from tqdm.auto import tqdm

        bar = progress if callable(progress) else tqdm
        iterator = bar(iterator, total=len(chunks), desc="scenarios", unit="chunk")
    seen: set[str] = set()
    for results, failed in iterator:
        failures.update(failed)
        ids = [str(ds["scenario"].values[0]) for ds in results]
        duplicated = sorted({i for i in ids if i in seen or ids.count(i) > 1})
        if duplicated:
            raise ScenarioError(
                f"batch has duplicate scenario ids {duplicated}; give each scenario a unique [scenario].id"
            )
        seen.update(ids)
        if sink is not None:
            sink(results)
        else:
            outcomes.extend(results)
    if not outcomes:
        return BatchOutcome(None, failures)
    combined = concat_results(outcomes)
    return BatchOutcome(combined, failures)


def load_or_run(paths: Sequence[str | os.PathLike]) -> list[xr.Dataset]:
    """Results for comparison: ``.nc`` files and ``.zarr`` stores are read, scenario and batch files are run.

    A batch member that fails raises :class:`ScenarioError` naming it (a comparison needs all).
    """
    from .results import load_result

    results = []
    for path in paths:
        if Path(path).suffix.lower() in (".nc", ".nc4", ".zarr"):
            results.append(load_result(path))
            continue
        outcome = run_batch(path)
        if outcome.failures:
            label, error = next(iter(outcome.failures.items()))
            raise ScenarioError(f"{label}: {error}")
        results.append(outcome.results)
    return results
