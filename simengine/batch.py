"""Running scenarios and batches: dispatch by mode, one factorisation per region, chunks, executors, sinks."""

from __future__ import annotations

import collections
import concurrent.futures
import functools
import itertools
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from .agent_adapter import run_agent_scenario
from .draws import DrawPrepared, PointArrays, evaluate_accounts, evaluate_draws, prepare_draws
from .errors import ScenarioError, SimEngineError
from .evaluation import PERIODS_PER_YEAR, evaluate, prepare
from .provenance import levers_json, provenance_attrs, scenario_hash
from .region_context import region_context
from .results import (
    HEADLINE_CONTENT,
    HEADLINE_TOTALS,
    RESULT_VARIABLES,
    as_headline,
    build_result,
    check_result,
    concat_results,
)
from .scenario import load_batch, load_scenario
from .scenario.batch import SweepFailure, sweep_points, sweep_variants
from .scenario.load import is_batch_file
from .scenario.schema import Scenario
from .sweeps import array_sweep, point_provenance

__all__ = [
    "run_scenario",
    "run_scenarios",
    "run_batch",
    "load_or_run",
    "BatchOutcome",
    "default_workers",
    "batch_executor",
    "available_cores",
]


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


#: Scenario-draw columns per task of the array engine (the default ``chunk_size``): large enough
#: that per-task work (levers per year, one factorisation per circuit) is small beside the
#: column work, small enough that a task's arrays stay in the tens of megabytes.
ARRAY_CHUNK = 4096
#: Scenarios per task of the scenario-by-scenario path (the default ``chunk_size`` there).
SCENARIO_CHUNK = 256
#: Tasks per worker of an executor when ``chunk_size`` is not given: the array engine's columns
#: are split into at least this many tasks per worker (at most :data:`ARRAY_CHUNK` columns
#: each), so that the workers finish together.
TASKS_PER_WORKER = 2


def _task_columns(columns: int, executor) -> int:
    """Columns per task of the array engine: :data:`ARRAY_CHUNK`, or fewer so that an executor's
    workers get :data:`TASKS_PER_WORKER` tasks each. Results do not depend on it (see
    :func:`run_batch`)."""
    if executor is None:
        return ARRAY_CHUNK
    workers = max(1, int(getattr(executor, "_max_workers", 1) or 1))
    return max(1, min(ARRAY_CHUNK, -(-columns // (TASKS_PER_WORKER * workers))))


@dataclass
class _Member:
    """One member of a batch: a scenario, or a base scenario with sweep points as arrays."""

    label: str
    scenario: Scenario
    points: PointArrays | None = None
    labels: list[str] | None = None  # per point, for failures

    @property
    def size(self) -> int:
        return 1 if self.points is None else self.points.size


def _members(members, failures: dict[str, str], *, arrays: bool) -> tuple[list, list[_Member | tuple], object]:
    """Batch members in order: ``(label, scenario or path)`` items and, where the array engine
    takes them, :class:`_Member` entries (a sweep of numeric lever fields as one entry)."""
    uncertainty = None
    if isinstance(members, (str, os.PathLike)) and not is_batch_file(members):
        members = [members]
    if not isinstance(members, (str, os.PathLike)):
        return [(str(m) if not isinstance(m, Scenario) else m.scenario.id, m) for m in members], uncertainty
    batch = load_batch(members)
    uncertainty = batch.uncertainty
    items: list = []
    for path in (batch.baseline, *batch.scenarios):
        if batch.responses is None:
            items.append((str(Path(path)), path))
            continue
        try:  # the batch's response set replaces each file's own
            items.append((str(Path(path)), load_scenario(path, responses=batch.responses)))
        except SimEngineError as exc:
            failures[str(Path(path))] = str(exc)
    try:
        swept = array_sweep(batch) if arrays else None
        only = None if swept is None else swept.rejected
        if swept is not None and swept.points.size:
            items.append((swept.labels[0], _Member(swept.points.ids[0], swept.scenario, swept.points, swept.labels)))
        for label, variant in sweep_variants(batch, only=only) if only != [] else ():
            if isinstance(variant, SweepFailure):
                failures[label] = str(variant.error)
            else:
                items.append((label, variant))
    except SimEngineError as exc:  # the sweep's base file itself
        failures[f"sweep of {batch.sweep.base}"] = str(exc)
    return items, uncertainty


def _array_ready(scenario: Scenario) -> bool:
    return scenario.scenario.mode == "analytic"


def _pieces(members: list[_Member], columns_per_task: int, draws: int, *, split_draws: bool) -> list[list[tuple]]:
    """Tasks of at most ``columns_per_task`` scenario-draw columns: (member index, point slice,
    draw slice) pieces. With more draws than that (and ``split_draws``), a scenario's draws
    are split over several tasks, which keeps each task's arrays small and spreads one
    scenario over the workers."""
    every = slice(0, draws)
    if split_draws and draws > columns_per_task:
        spans = [slice(a, min(a + columns_per_task, draws)) for a in range(0, draws, columns_per_task)]
        tasks = []
        for index, member in enumerate(members):
            for k in range(member.size):
                rows = None if member.points is None else slice(k, k + 1)
                tasks.extend([(index, rows, span)] for span in spans)
        return tasks
    per_task = max(1, columns_per_task // max(draws, 1))
    tasks: list[list[tuple]] = [[]]
    room = per_task
    for index, member in enumerate(members):
        if member.points is None:
            if room < 1:
                tasks.append([])
                room = per_task
            tasks[-1].append((index, None, every))
            room -= 1
            continue
        start = 0
        while start < member.size:
            if room < 1:
                tasks.append([])
                room = per_task
            stop = min(member.size, start + room)
            tasks[-1].append((index, slice(start, stop), every))
            room -= stop - start
            start = stop
    return [task for task in tasks if task]


def _run_pieces(pieces: list, headline: bool) -> tuple[list, dict]:
    """One task of the array engine. ``pieces`` are ``(scenario, points or None, drawn values,
    draws)``; per piece ``(arrays, over_budget, error, (levers, hashes))``, arrays name ->
    ``(columns, ...)`` (:func:`evaluate_draws` or :func:`evaluate_accounts`). Also the task's
    seconds in ``levers`` (levers to spending arrays), ``solve`` (multiplier rows and solves) and
    ``provenance`` (each scenario's levers and hash)."""
    clock = time.perf_counter()
    seconds = {"levers": 0.0, "solve": 0.0, "provenance": 0.0}
    out: list = [None] * len(pieces)  # (arrays, over_budget, error, (levers, hashes)) per piece
    by_region: dict[str, list[int]] = {}
    prepared: dict[int, DrawPrepared] = {}
    for i, (scenario, points, values, draws) in enumerate(pieces):
        try:
            context = region_context(scenario.scenario.region)
            prepared[i] = prepare_draws(scenario, context, values, draws, points, by_cell=headline)
        except SimEngineError as exc:
            out[i] = (None, None, str(exc), None)
            continue
        by_region.setdefault(scenario.scenario.region, []).append(i)
    seconds["levers"] = time.perf_counter() - clock
    for region, indices in by_region.items():
        context = region_context(region)
        evaluate = evaluate_draws if headline else evaluate_accounts
        mark = time.perf_counter()
        try:
            results = evaluate([prepared[i] for i in indices], context)
        except SimEngineError:  # e.g. one scenario's circuit is not admissible: the others still run
            results = []
            for i in indices:
                try:
                    results.append(evaluate([prepared[i]], context)[0])
                except SimEngineError as exc:
                    out[i] = (None, None, str(exc), None)
                    results.append(None)
        finally:
            seconds["solve"] += time.perf_counter() - mark
        for i, arrays in zip(indices, results, strict=True):
            if arrays is None:
                continue
            scenario, points = pieces[i][:2]
            if points is None:
                provenance = ([levers_json(scenario)], [scenario_hash(scenario)])
            else:
                provenance = point_provenance(scenario, points)
            out[i] = (arrays, prepared[i].over_budget, None, provenance)
    seconds["provenance"] = time.perf_counter() - clock - seconds["levers"] - seconds["solve"]
    return out, seconds


def _released(futures: list) -> Iterable:
    """The futures' results in order, each future dropped once its result is taken (so that a
    task's arrays are freed once they are assembled, not kept until the batch ends)."""
    for position in range(len(futures)):
        future, futures[position] = futures[position], None
        yield future.result()


def _texts(values: Iterable[str]) -> np.ndarray:
    """Strings as an object array (one reference per string)."""
    values = list(values)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


class _Assembler:
    """Turns the array engine's task results into result Datasets along ``scenario``."""

    def __init__(
        self, members: list[_Member], draws: int, headline: bool, parameters, values, *, in_memory: bool = False
    ) -> None:
        self.members, self.draws, self.headline = members, draws, headline
        self.parameters, self.values = parameters, values
        self.dropped: set[tuple[int, int]] = set()  # (member, point) over budget in some draw
        # Full accounts of one region and horizon kept in memory: every variable is one array
        # over all of the batch's scenarios, filled as each task completes (one copy of the
        # task's arrays, while other tasks run; their arrays are then freed).
        runs = {(m.scenario.scenario.region, tuple(m.scenario.scenario.years)) for m in members}
        self.filled: dict[str, np.ndarray] | None = (
            {} if in_memory and not headline and draws == 1 and len(runs) == 1 else None
        )
        self.offsets = np.cumsum([0] + [m.size for m in members])  # first row of each member

    def task(self, task, result, failures: dict[str, str], retry: list) -> list[tuple]:
        """The task's results as parts of a Dataset (:meth:`dataset`); failures and retries recorded."""
        parts = []
        for (index, rows, span), piece in zip(task, result, strict=True):
            member = self.members[index]
            labels = [member.label] if rows is None else member.labels[rows]
            ids = [member.scenario.scenario.id] if rows is None else member.points.ids[rows]
            first = 0 if rows is None else rows.start
            if piece[2] is not None:
                failures.update(dict.fromkeys(labels, piece[2]))
                self.dropped.update((index, first + k) for k in range(len(ids)))
                continue
            arrays, over, _, (levers, hashes) = piece
            width = span.stop - span.start
            for k in np.flatnonzero(over.reshape(len(ids), width).any(axis=1)):
                if (index, first + int(k)) not in self.dropped:
                    self.dropped.add((index, first + int(k)))
                    self._over_budget(member, rows, int(k), labels[k], failures, retry)
            shaped = {name: values.reshape(len(ids), width, *values.shape[1:]) for name, values in arrays.items()}
            if self.filled is not None:
                start = self.offsets[index] + first
                for name, values in shaped.items():
                    if name not in self.filled:
                        self.filled[name] = np.empty((self.offsets[-1], *values.shape[2:]), dtype=values.dtype)
                    self.filled[name][start : start + len(ids)] = values[:, 0]
                shaped = None  # in self.filled
            parts.append((index, first, span.start, ids, shaped, levers, hashes))
        return parts

    def _over_budget(self, member: _Member, rows, k: int, label: str, failures: dict, retry: list) -> None:
        """A column whose levers cost more than the budget: the scenario path gives its error
        (with draws, the message of :func:`simengine.draws.prepare_draws`)."""
        if rows is None:
            scenario = member.scenario
        else:
            from .sweeps import _variant

            point = member.points.take(slice(rows.start + k, rows.start + k + 1))
            values = {(i, "lever", f): float(v[0]) for i, fs in point.fields.items() for f, v in fs.items()}
            values |= {(i, "response", f): float(v[0]) for i, fs in point.responses.items() for f, v in fs.items()}
            values |= {(None, "circuit", f): float(v[0]) for f, v in point.circuit.items()}
            scenario = _variant(member.scenario, point, values, point.ids[0])
        if self.draws == 1:
            retry.append((label, scenario))
        else:
            failures[label] = (
                f"scenario {scenario.scenario.id}: in some draws of [uncertainty] the levers cost more than the whole "
                "budget; check the units of lever amounts"
            )

    def dataset(self, parts) -> xr.Dataset:
        """One result Dataset along ``scenario`` of the parts of one or more tasks (a scenario's
        draw slices joined along ``draw``; points over budget in some draw left out)."""
        merged: dict[tuple[int, int], list] = {}
        for index, first, _, ids, shaped, levers, hashes in sorted(parts, key=lambda p: (p[0], p[1], p[2])):
            merged.setdefault((index, first), []).append((ids, shaped, levers, hashes))
        blocks = []  # (member index, ids, arrays, levers, hashes, several points)
        for (index, first), pieces in merged.items():
            ids, _, levers, hashes = pieces[0]
            keep = [k for k in range(len(ids)) if (index, first + k) not in self.dropped]
            if not keep:
                continue
            # the scenario's draw slices, in draw order (joined once, in stacked())
            if self.filled is not None:  # the rows of self.filled
                arrays = self.offsets[index] + first + np.asarray(keep)
            else:
                arrays = [p[1] if len(keep) == len(ids) else {n: v[keep] for n, v in p[1].items()} for p in pieces]
            several = self.members[index].points is not None and len(keep) > 1
            blocks.append(
                (index, [ids[k] for k in keep], arrays, [levers[k] for k in keep], [hashes[k] for k in keep], several)
            )
        if not blocks:
            return None
        runs: dict[tuple, list] = {}  # results of other regions or periods cannot share arrays
        for block in blocks:
            info = self.members[block[0]].scenario.scenario
            runs.setdefault((info.region, tuple(info.years)), []).append(block)
        if len(runs) > 1:  # concat_results names what differs (one DataError)
            return concat_results([self._blocks_dataset(run) for run in runs.values()])
        return self._blocks_dataset(blocks)

    def _blocks_dataset(self, blocks: list) -> xr.Dataset:
        first = self.members[blocks[0][0]].scenario
        context = region_context(first.scenario.region)
        ids = [i for block in blocks for i in block[1]]
        attrs: dict = {}
        for n, block in enumerate(blocks):
            scenario = self.members[block[0]].scenario
            these = provenance_attrs(scenario, region_context(scenario.scenario.region), time_unit="year")
            if block[5]:
                these.pop("scenario_levers")
            attrs = these if n == 0 else {k: v for k, v in attrs.items() if k in these and these[k] == v}
        # text as object arrays: no fixed-width copy of every point's levers (written as
        # variable-length strings either way)
        extra = {
            "scenario_title": (
                "scenario",
                _texts(self.members[b[0]].scenario.scenario.title for b in blocks for _ in b[1]),
            ),
            "scenario_levers": ("scenario", _texts(lever for block in blocks for lever in block[3])),
            "scenario_hash": ("scenario", _texts(h for block in blocks for h in block[4])),
        }

        def stacked(name: str) -> np.ndarray:
            """``(scenarios, draws, ...)``: every block's draw slices, filled into one array."""
            sample = blocks[0][2][0][name]
            width = sum(piece[name].shape[1] for piece in blocks[0][2])
            out = np.empty((len(ids), width, *sample.shape[2:]), dtype=sample.dtype)
            row = 0
            for block in blocks:
                column = 0
                for piece in block[2]:
                    values = piece[name]
                    out[row : row + values.shape[0], column : column + values.shape[1]] = values
                    column += values.shape[1]
                row += len(block[1])
            return out

        years = tuple(first.scenario.years)
        sectors = tuple(context.economy.sectors)
        if self.filled is not None:
            rows = np.concatenate([block[2] for block in blocks])
            every = len(rows) == self.offsets[-1]  # no member failed, no point over budget
            data = {name: values if every else values[rows] for name, values in self.filled.items()}
            ds = build_result(data, context.unit, ids, years, sectors, extra=extra, attrs=attrs)
        elif not self.headline:
            data = {name: stacked(name)[:, 0] for name in blocks[0][2][0]}
            ds = build_result(data, context.unit, ids, years, sectors, extra=extra, attrs=attrs)
        else:
            ds = self._headline_dataset(stacked, context.unit, ids, years, extra, attrs)
        check_result(ds)
        return ds

    def _headline_dataset(self, stacked, money: str, ids, years, extra, attrs) -> xr.Dataset:
        dims = ("scenario", "draw", "time") if self.draws > 1 else ("scenario", "time")

        def shaped(values: np.ndarray) -> np.ndarray:
            return values if self.draws > 1 else values[:, 0]

        variables = {}
        for name in HEADLINE_TOTALS:
            spec = RESULT_VARIABLES[name]
            units = {"money": money, "persons": "persons", "1": "1"}[spec.kind]
            values = shaped(stacked(name))
            if name == "budget" and self.draws > 1:  # the same in every draw
                variables[name] = (("scenario", "time"), values[:, 0], {"units": units, "long_name": spec.long_name})
                continue
            variables[name] = (dims, values, {"units": units, "long_name": spec.long_name})
        awards, budget = variables["local_awards"][1], variables["budget"][1]
        share = RESULT_VARIABLES["local_award_share"]
        ratio = awards / (budget[:, None, :] if self.draws > 1 else budget)
        variables["local_award_share"] = (dims, ratio, {"units": "1", "long_name": share.long_name})
        variables.update(extra)
        coords = {"scenario": ids, "time": np.arange(len(years)), "year": ("time", np.array(years))}
        attrs = {**attrs, "content": HEADLINE_CONTENT, "not_computed": ""}
        if self.draws > 1:
            names = list(self.parameters)
            coords |= {"draw": np.arange(self.draws), "parameter": names}
            variables["parameter_value"] = (
                ("parameter", "draw"),
                np.array([self.values[k] for k in names]).reshape(len(names), self.draws),
                {"units": "1", "long_name": "drawn value of each response parameter"},
            )
            variables["prior_low"] = ("parameter", np.array([self.parameters[k].low for k in names], dtype=float))
            variables["prior_high"] = ("parameter", np.array([self.parameters[k].high for k in names], dtype=float))
            attrs["prior"] = "uniform on [low, high] of each response parameter, independent, common random numbers"
        return xr.Dataset(variables, coords=coords, attrs=attrs)


def run_batch(
    members: str | os.PathLike | Iterable[Scenario | str | os.PathLike],
    *,
    executor: concurrent.futures.Executor | None = None,
    chunk_size: int | None = None,
    progress: bool | Callable = False,
    time_unit: str = "year",
    lags: dict[str, int] | None = None,
    sink: Callable[[list[xr.Dataset]], None] | None = None,
    headline: bool = False,
    arrays: bool = True,
    timings: dict[str, float] | None = None,
) -> BatchOutcome:
    """Run a batch file, or a list of scenarios, into one Dataset along ``scenario``.

    Analytic scenarios with yearly static periods run on the array engine
    (:mod:`simengine.draws`): levers applied to whole arrays, one solve per circuit for every
    scenario, sweep point and draw of a task, results built as arrays along ``scenario``. A
    sweep of numeric lever fields (``lever[0].target``) runs as arrays along its point axis
    (:mod:`simengine.sweeps`); other sweeps, agent-mode scenarios and the monthly dynamic form
    run scenario by scenario.

    Parameters
    ----------
    members : path of a batch file, or iterable of scenarios / scenario files
        A batch file's baseline comes first, then its scenarios and sweep variants.
    executor : concurrent.futures.Executor, optional
        Where tasks run. Default: in this process. Any executor with ``submit`` works, e.g.
        :func:`batch_executor` (threads), a ``ProcessPoolExecutor`` or a Dask
        ``Client.get_executor()``. Tasks send scenario specs (a scenario and its points' values)
        and return arrays.
    chunk_size : int, optional
        Work per task: scenario-draw columns on the array engine (default :data:`ARRAY_CHUNK`,
        or fewer with an executor, :data:`TASKS_PER_WORKER` tasks per worker),
        scenarios on the scenario-by-scenario path (default :data:`SCENARIO_CHUNK`). Results
        are bit-identical for any executor, worker count and chunk size on one machine: every
        solve and product is column-independent (:func:`simengine.accounts.column_product`),
        so a scenario's numbers do not depend on which others share its task.
    progress : bool or callable
        Show a tqdm progress bar over tasks (or pass a tqdm-like callable).
    sink : callable, optional
        Receives each task's results (a list of Datasets along ``scenario``) as soon as it
        completes, in order, e.g. to append them to a Zarr or NetCDF store; the results are
        then not kept in memory and ``BatchOutcome.results`` is None.
    time_unit, lags
        As in :func:`run_scenarios`.
    headline : bool
        Keep only the totals a ranking needs (:data:`simengine.results.HEADLINE_TOTALS` per
        period and ``local_award_share``; ``attrs["content"] = "headline"``), from multiplier
        rows (:func:`simengine.draws.evaluate_draws`). With a batch file's ``[uncertainty]``
        table the results have a ``draw`` dimension: every scenario under the same joint draws
        of its levers' response parameters (:func:`simengine.uncertainty.draw_parameters`).
        Full mode (the default) keeps the per-sector accounts of the point estimates.
    arrays : bool
        Use the array engine where it applies (default); False runs every member scenario by
        scenario (the reference path the array engine is tested against).
    timings : dict, optional
        Filled with seconds by step: ``levers`` (levers to spending arrays), ``solve``
        (multiplier rows and solves: the propagation; with an executor, summed over the workers),
        ``provenance`` (each scenario's levers and hash), ``results``
        (result arrays and Datasets in this process), ``scenario_by_scenario`` (members off
        the array engine, in-process runs) and ``wall``.

    Returns
    -------
    BatchOutcome
        ``results`` (None if every member failed) and ``failures`` by scenario label.
    """
    failures: dict[str, str] = {}
    array_path = arrays and time_unit == "year" and lags is None
    items, uncertainty = _members(members, failures, arrays=array_path)
    members_: list[_Member] = []
    scalar: list = []
    order: list[tuple[str, int]] = []  # ("array" | "scalar", index) in batch order
    for label, item in items:
        if isinstance(item, _Member):
            order.append(("array", len(members_)))
            members_.append(item)
            continue
        if array_path:
            try:
                scenario = _as_scenario(item)
            except SimEngineError as exc:
                failures[label] = str(exc)
                continue
            if _array_ready(scenario):
                order.append(("array", len(members_)))
                members_.append(_Member(label, scenario))
                continue
            item = scenario
        order.append(("scalar", len(scalar)))
        scalar.append((label, item))
    if sink is None:
        _check_agent_batch_memory([item for _, item in scalar])
    draws, values, parameters = 1, {}, None
    if headline and uncertainty is not None and members_:
        from .uncertainty import draw_parameters, response_priors

        parameters = response_priors([m.scenario for m in members_])
        draws, values = uncertainty.draws, draw_parameters(parameters, uncertainty.draws, uncertainty.seed)
    options = {"time_unit": time_unit, "lags": lags}
    blocks: dict[tuple[str, int], list[xr.Dataset]] = {}
    # the array engine's members, in tasks of chunk_size columns
    columns_per_task = chunk_size or _task_columns(sum(m.size for m in members_) * draws, executor)
    tasks = _pieces(members_, columns_per_task, draws, split_draws=sink is None)
    scalar_chunks = [
        scalar[i : i + (chunk_size or SCENARIO_CHUNK)] for i in range(0, len(scalar), chunk_size or SCENARIO_CHUNK)
    ]
    specs = [
        [
            (
                members_[i].scenario,
                None if rows is None else members_[i].points.take(rows),
                {k: v[span] for k, v in values.items()},
                span.stop - span.start,
            )
            for i, rows, span in task
        ]
        for task in tasks
    ]
    array_task = functools.partial(_run_pieces, headline=headline)
    scalar_task = functools.partial(_run_chunk, **options)
    if executor is None:
        iterator = itertools.chain(map(array_task, specs), map(scalar_task, scalar_chunks))
    else:
        _warm(members_)
        futures = [executor.submit(array_task, spec) for spec in specs]
        futures += [executor.submit(scalar_task, chunk) for chunk in scalar_chunks]
        iterator = _released(futures)
    if progress:
        from tqdm.auto import tqdm

        bar = progress if callable(progress) else tqdm
        iterator = bar(iterator, total=len(specs) + len(scalar_chunks), desc="scenarios", unit="task")
    assembler = _Assembler(members_, draws, headline, parameters, values, in_memory=sink is None)
    seen: set[str] = set()
    retry: list[tuple[str, Scenario]] = []
    array_parts: list = []
    spent = {"levers": 0.0, "solve": 0.0, "provenance": 0.0, "results": 0.0, "scenario_by_scenario": 0.0}
    clock = time.perf_counter()
    for position, result in enumerate(iterator):
        if position < len(specs):
            result, seconds = result
            for key, value in seconds.items():
                spent[key] += value
            mark = time.perf_counter()
            parts = assembler.task(tasks[position], result, failures, retry)
            array_parts.extend(parts if sink is None else [])
            made = assembler.dataset(parts) if parts and sink is not None else None
            datasets = [] if made is None else [made]
            ids = [i for part in parts if part[2] == 0 for i in part[3]]
            spent["results"] += time.perf_counter() - mark
        else:
            datasets, failed = result
            failures.update(failed)
            if headline:
                datasets = [as_headline(ds) for ds in datasets]
            ids = [str(i) for ds in datasets for i in ds["scenario"].values]
        counts = collections.Counter(ids)
        duplicated = sorted({i for i in ids if i in seen or counts[i] > 1})
        if duplicated:
            raise ScenarioError(
                f"batch has duplicate scenario ids {duplicated}; give each scenario a unique [scenario].id"
            )
        seen.update(ids)
        if sink is not None and datasets:
            sink(datasets)
        elif sink is None and position >= len(specs) and datasets:
            blocks.setdefault(("scalar", position - len(specs)), []).extend(datasets)
    if array_parts:
        mark = time.perf_counter()
        made = assembler.dataset(array_parts)
        if made is not None:
            blocks[("array", 0)] = [made]
        spent["results"] += time.perf_counter() - mark
    if timings is not None:
        spent["wall"] = time.perf_counter() - clock
        if executor is None:
            spent["scenario_by_scenario"] = max(
                0.0, spent["wall"] - spent["levers"] - spent["solve"] - spent["provenance"] - spent["results"]
            )
        timings.update(spent)
    if retry:  # points whose levers cost more than the budget: the scenario path names the error
        _, failed = _run_chunk(retry, **options)
        failures.update(failed)
    if sink is not None or not blocks:
        return BatchOutcome(None, failures)
    ordered = [ds for key in sorted(blocks, key=lambda k: (k[0] != "array", k[1])) for ds in blocks[key]]
    ordered = _in_batch_order(ordered, order, members_, scalar)
    combined = concat_results(ordered) if len(ordered) > 1 else ordered[0]
    return BatchOutcome(combined, failures)


def _in_batch_order(datasets: list[xr.Dataset], order, members: list[_Member], scalar: list) -> list[xr.Dataset]:
    """The results in batch order (baseline, scenarios, sweep points), whichever engine ran them."""
    if all(kind == "array" for kind, _ in order) or all(kind == "scalar" for kind, _ in order):
        return datasets
    labels = [str(i) for ds in datasets for i in ds["scenario"].values]
    combined = concat_results(datasets)
    wanted = []
    for kind, index in order:
        if kind == "array":
            member = members[index]
            wanted.extend(member.points.ids if member.points is not None else [member.scenario.scenario.id])
        else:
            item = scalar[index][1]
            wanted.append(item.scenario.id if isinstance(item, Scenario) else None)
    known = set(labels)
    first = [w for w in wanted if w is not None and w in known]
    rest = [label for label in labels if label not in set(first)]
    return [combined.sel(scenario=first + rest)]


#: Scenarios from which a full-accounts batch runs fastest on every core. Measured with
#: benchmarks/bench_batch.py (``workers`` rows) on the shipped Gwangmyeong model on a 2-core
#: machine shared with other jobs: with worker threads (:func:`batch_executor`) a
#: 10,000-scenario sweep ran faster on two than on one; the 12 scenarios of the main job
#: run fastest in one (a task's work is then smaller than handing it over).
PARALLEL_COLUMNS = 10_000
#: Scenario-draw columns from which a headline-mode batch runs fastest on every core. Headline
#: tasks are small and much of their work (levers on small arrays, each point's provenance
#: text) holds the GIL: on 10,000-scenario batches two workers did not beat one (same
#: benchmark rows), so the default turns to every core at 1,000,000 scenario-draws, the size
#: of the largest uncertainty comparisons.
HEADLINE_PARALLEL_COLUMNS = 1_000_000


def available_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_workers(members, *, headline: bool = False) -> int:
    """The fastest worker count for a batch: one below :data:`PARALLEL_COLUMNS` scenarios
    (:data:`HEADLINE_PARALLEL_COLUMNS` scenario-draws with ``headline``), or for a list of
    scenario files; else every available core."""
    if not isinstance(members, (str, os.PathLike)) or not is_batch_file(members):
        return 1
    try:
        batch = load_batch(members)
    except SimEngineError:
        return 1  # run_batch reports the error
    size = 1 + len(batch.scenarios)
    if batch.sweep is not None:
        size += len(sweep_points(batch.sweep))
    if headline and batch.uncertainty is not None:
        size *= batch.uncertainty.draws
    return available_cores() if size >= (HEADLINE_PARALLEL_COLUMNS if headline else PARALLEL_COLUMNS) else 1


def batch_executor(workers: int, *, processes: bool = False) -> concurrent.futures.Executor:
    """An executor of ``workers`` for :func:`run_batch`.

    Threads by default: the array engine's work is numpy arithmetic and column kernels that
    release the GIL (:mod:`simengine.kernels.linalg`), so threads run it side by side with no
    start-up, no pickling of specs or results, and the regions, factorisations and compiled
    kernels loaded once. ``processes`` gives a process pool instead, for batches that run
    scenario by scenario (the monthly dynamic form, agent mode), whose Python-level work holds
    the GIL; its workers start when the first task is submitted, after :func:`run_batch` has
    loaded the regions in this process, so that (where processes fork) they start with the
    regions and compiled kernels in memory. Results are the same bits either way.
    """
    if processes:
        return concurrent.futures.ProcessPoolExecutor(workers)
    return concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="simengine-batch")


def _warm(members: list[_Member]) -> None:
    """Load every region of the array engine's members, its multiplier rows and kernels, here."""
    from .draws import _regional_matrices, _regional_rows

    for region in dict.fromkeys(m.scenario.scenario.region for m in members):
        context = region_context(region)
        _regional_rows(context)
        _regional_matrices(context)


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
