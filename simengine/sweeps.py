"""Sweeps as arrays: sweep points of numeric lever fields become arrays along a point axis.

A sweep whose every key is a numeric field of a procurement lever (``lever[0].target``,
``lever[4].min_local_subcontract_share``, ``lever[2].response.gap_closed``; see
:func:`simengine.levers.array_field`) or a ``[circuit]`` setting (``circuit.reinvestment_rate``;
:data:`simengine.circuit_settings.CIRCUIT_SETTINGS`) is validated once, as its base scenario,
and its points become :class:`simengine.draws.PointArrays`: no pydantic model, Dataset or
Python loop per point. Each point keeps its scenario id (``combined-package-sweep0003``), its
levers (JSON) and its scenario hash, computed as if the variant had been built and validated
on its own. Points that change circuit settings change the circuit's coefficients: their
circuits are built as arrays and factorised as one stack
(:func:`simengine.region_context.circuit_stack`).

A point outside a field's schema bounds or whose circuit settings are not admissible (e.g.
local and national tax rates above 1), a sweep of ``circuit.household_local_consumption_share``
in a scenario whose levers add household spending measured from that share (a
``consumption_base``), and every sweep with another kind of key (money amounts, ramps, scopes,
circuit levers' own fields) run scenario by scenario
(:func:`simengine.scenario.batch.sweep_variants`), which gives an invalid point its labelled
:class:`~simengine.scenario.batch.SweepFailure`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import TypeAdapter

from .circuit_settings import CIRCUIT_KEYS, CircuitSettingsTable
from .draws import PointArrays, injects_household_spending
from .errors import ScenarioError, SimEngineError
from .levers import ArrayField, _float_field, array_field
from .provenance import levers_json, scenario_hash
from .scenario.batch import sweep_base, sweep_label, sweep_points
from .scenario.checks import check_labels
from .scenario.load import _validate_model, set_key_path, set_responses, with_responses
from .scenario.schema import Batch, Scenario

__all__ = ["ArraySweep", "array_sweep", "point_provenance"]

_FLOAT = TypeAdapter(float)
_KEY = re.compile(r"lever\[(\d+)\]\.((?:response\.)?[A-Za-z_][A-Za-z0-9_]*)")
_CIRCUIT_KEY = re.compile(r"circuit\.([A-Za-z_][A-Za-z0-9_]*)")
#: The setting from which levers measure extra household spending (:func:`injects_household_spending`).
_HOUSEHOLD_SHARE = "household_local_consumption_share"


@dataclass(frozen=True)
class ArraySweep:
    """A sweep evaluated as arrays.

    Attributes
    ----------
    scenario : Scenario
        The base scenario (validated once), with the id of the first point.
    points : PointArrays
        The valid points, in sweep order.
    labels : list of str
        Each valid point's label (id and sweep coordinates), for failures.
    rejected : list of int
        Indices of the points outside a field's bounds (run scenario by scenario, which
        reports each one's error).
    """

    scenario: Scenario
    points: PointArrays
    labels: list[str]
    rejected: list[int]


def _circuit_field(scenario: Scenario, name: str) -> ArrayField | None:
    """The :class:`ArrayField` of the ``[circuit]`` setting ``name`` (table ``"circuit"``), or None
    when the array path cannot take it: a lever's extra household spending measured from the
    household share (:meth:`simengine.levers.LeverBase.consumption_injection`) is one number per
    scenario, not per point."""
    if name not in CIRCUIT_KEYS:
        return None
    if name == _HOUSEHOLD_SHARE and injects_household_spending(scenario.lever):
        return None
    found = _float_field(CircuitSettingsTable.model_fields[name])
    return ArrayField("circuit", name, found.low, found.high, found.low_open, found.high_open)


def _fields(scenario: Scenario, paths: Sequence[str]) -> list[tuple[int | None, ArrayField]] | None:
    out = []
    for path in paths:
        circuit = _CIRCUIT_KEY.fullmatch(path)
        if circuit is not None:
            field = _circuit_field(scenario, circuit.group(1))
            if field is None:
                return None
            out.append((None, field))
            continue
        match = _KEY.fullmatch(path)
        if match is None:
            return None
        position, name = int(match.group(1)), match.group(2)
        if position >= len(scenario.lever):
            return None
        field = array_field(scenario.lever[position], name)
        if field is None:
            return None
        out.append((position, field))
    return out


def array_sweep(batch: Batch, *, sectors: Sequence[str] | None = None) -> ArraySweep | None:
    """The batch's sweep as arrays, or None if it must run scenario by scenario (see the module docstring)."""
    if batch.sweep is None:
        return None
    points = sweep_points(batch.sweep)
    paths = [p.path for p in batch.sweep.parameter]
    base, base_id = sweep_base(batch)
    try:
        document = set_key_path(base, "scenario.id", sweep_label(base_id, 0, {})[0], file=batch.sweep.base)
        if batch.responses is not None:
            set_responses(document, batch.responses)
        with_responses(document, batch.sweep.base)
        scenario = _validate_model(batch.sweep.base, document, Scenario)
        check_labels(scenario, batch.sweep.base, sectors=sectors)
    except ScenarioError:
        return None  # the scalar path reports the base's error for every point
    fields = _fields(scenario, paths)
    if fields is None or not points:
        return None
    try:  # a key the base file does not give is an error of every point (as the scalar path says)
        for path in paths:
            set_key_path(base, path, points[0][path], file=batch.sweep.base)
    except ScenarioError:
        return None
    columns = []
    for path in paths:
        raw = [point[path] for point in points]
        if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in raw):
            return None
        columns.append(np.array(raw, dtype=float))
    valid = np.ones(len(points), dtype=bool)
    for (_, field), values in zip(fields, columns, strict=True):
        valid &= field.valid(values)
    settings = {f.name: values for (_, f), values in zip(fields, columns, strict=True) if f.table == "circuit"}
    if settings:
        valid &= _admissible(scenario, settings, valid)
    keep = np.flatnonzero(valid)
    lever_fields: dict[int, dict[str, np.ndarray]] = {}
    response_fields: dict[int, dict[str, np.ndarray]] = {}
    circuit_fields: dict[str, np.ndarray] = {}
    for (position, field), values in zip(fields, columns, strict=True):
        if field.table == "circuit":
            circuit_fields[field.name] = values[keep]
            continue
        target = lever_fields if field.table == "lever" else response_fields
        target.setdefault(position, {})[field.name] = values[keep]
    ids, labels = [], []
    for k in keep:
        identifier, label = sweep_label(base_id, int(k), points[k])
        ids.append(identifier)
        labels.append(label)
    return ArraySweep(
        scenario=scenario,
        points=PointArrays(ids, lever_fields, response_fields, circuit_fields),
        labels=labels,
        rejected=[int(k) for k in np.flatnonzero(~valid)],
    )


def _admissible(scenario: Scenario, settings: dict[str, np.ndarray], valid: np.ndarray) -> np.ndarray:
    """Which points' circuit settings (the scenario's ``[circuit]`` with ``settings`` of each point)
    give admissible circuit parameters (:meth:`simengine.circuit.CircuitArrays.admissible`).

    Only the rates (settings without weights, e.g. ``local_tax_rate``) can make a set inadmissible:
    a per-sector share moved to a mean in [0, 1] stays in [0, 1]
    (:func:`simengine.circuit_settings.move_mean_to`), so the shares are left at the region's
    values here and only the rates are checked."""
    from .circuit_settings import CIRCUIT_SETTINGS, settings_arrays, settings_table
    from .region_context import region_context, scenario_circuit_values

    rates = [name for name in CIRCUIT_KEYS if CIRCUIT_SETTINGS[name].weights is None]
    if not any(name in settings for name in rates):
        return np.ones(len(valid), dtype=bool)
    try:
        context = region_context(scenario.scenario.region)
    except SimEngineError:
        return np.zeros(len(valid), dtype=bool)  # the scenario path reports the region's error
    base = scenario_circuit_values(scenario, context)
    table = np.repeat(settings_table([{name: base[name] for name in rates}]), len(valid), axis=0)
    for name, values in settings.items():
        if name in rates:
            table[:, CIRCUIT_KEYS.index(name)] = np.where(valid, values, 0.0)
    return settings_arrays(context.parameters, context.economy, table, check=False).admissible()


def _variant(scenario: Scenario, points: PointArrays, values: dict[tuple[int | None, str, str], float], ident: str):
    """The scenario with the swept fields set to ``values`` and id ``ident`` (no validation)."""
    levers = list(scenario.lever)
    circuit = {name: value for (_, table, name), value in values.items() if table == "circuit"}
    for (position, table, name), value in values.items():
        if table == "circuit":
            continue
        lever = levers[position]
        if table == "lever":
            levers[position] = lever.model_copy(update={name: value})
        else:
            levers[position] = lever.model_copy(update={"response": lever.response.model_copy(update={name: value})})
    info = scenario.scenario.model_copy(update={"id": ident})
    update = {"scenario": info, "lever": levers}
    if circuit:
        update["circuit"] = scenario.circuit.model_copy(update=circuit)
    return scenario.model_copy(update=update)


def point_provenance(scenario: Scenario, points: PointArrays) -> tuple[list[str], list[str]]:
    """Each point's levers (:func:`simengine.provenance.levers_json`) and scenario hash
    (:func:`simengine.provenance.scenario_hash`), equal to those of the variant built alone.

    One template per quantity: the variant with a distinct placeholder number in each swept
    field is serialised once, and each point's numbers (formatted by the same serialiser) are
    put in its place. A point whose value equals a field's default (which ``levers_json``
    leaves out) is serialised on its own.
    """
    keys = [(i, "lever", f) for i, fs in points.fields.items() for f in fs]
    keys += [(i, "response", f) for i, fs in points.responses.items() for f in fs]
    arrays = [(points.fields if t == "lever" else points.responses)[i][f] for i, t, f in keys]
    keys += [(None, "circuit", f) for f in points.circuit]
    arrays += list(points.circuit.values())
    placeholders = [0.7130281946351 + 1e-11 * j for j in range(len(keys))]
    token = "zzpointidzz"
    template = _variant(scenario, points, dict(zip(keys, placeholders, strict=True)), token)
    hashed = _split(template.model_dump_json(exclude=_hash_exclude(template)), placeholders, token, pydantic=True)
    listed = _split(levers_json(template), placeholders, None, pydantic=False)
    defaults = []
    for i, table, name in keys:
        if table == "circuit":
            defaults.append(CircuitSettingsTable.model_fields[name].default)
            continue
        lever = scenario.lever[i]
        model = type(lever) if table == "lever" else type(lever.response)
        defaults.append(model.model_fields[name].default)
    # the hashed text as UTF-8 pieces, encoded once (the numbers and ids are ASCII)
    hashed_bytes = [(text.encode(), index) for text, index in hashed]
    levers_out, hashes = [], []
    for k, ident in enumerate(points.ids):
        values = [float(a[k]) for a in arrays]
        if any(v == d for v, d in zip(values, defaults, strict=True)):
            variant = _variant(scenario, points, dict(zip(keys, values, strict=True)), ident)
            levers_out.append(levers_json(variant))
            hashes.append(scenario_hash(variant))
            continue
        levers_out.append(_join(listed, values, None, pydantic=False))
        hashes.append(hashlib.sha256(_join(hashed_bytes, values, ident, pydantic=True)).hexdigest()[:16])
    return levers_out, hashes


def _hash_exclude(scenario: Scenario):
    # as simengine.provenance.scenario_hash
    return {"scenario": {"draws", "seed"}} if scenario.scenario.mode == "analytic" else None


def _format(value: float, pydantic: bool) -> str:
    """``value`` as ``json.dumps`` (``repr``) or pydantic's serialiser writes it; between 1e-4 and
    1e16 (and zero) both write the shortest round-trip digits in positional form, as ``repr``."""
    if value == 0.0 or 1e-4 <= abs(value) < 1e16:
        return repr(value)
    return _FLOAT.dump_json(value).decode() if pydantic else json.dumps(value)


def _split(text: str, placeholders: list[float], token: str | None, *, pydantic: bool) -> list[tuple[str, int]]:
    """``text`` cut at each placeholder (index j) and at the id token (index -1): (piece before, index) pairs."""
    marks = {_format(v, pydantic): j for j, v in enumerate(placeholders)}
    if token is not None:
        marks[token] = -1
    pattern = re.compile("|".join(re.escape(m) for m in sorted(marks, key=len, reverse=True)))
    pieces, last = [], 0
    for match in pattern.finditer(text):
        pieces.append((text[last : match.start()], marks[match.group(0)]))
        last = match.end()
    pieces.append((text[last:], -2))
    return pieces


def _join(pieces: list[tuple], values: list[float], ident: str | None, *, pydantic: bool) -> str | bytes:
    """The text of :func:`_split`'s pieces with the point's numbers and id put back; pieces of
    UTF-8 bytes give bytes (the numbers and ids are ASCII)."""
    as_bytes = bool(pieces) and isinstance(pieces[0][0], bytes)
    out = []
    for text, index in pieces:
        out.append(text)
        if index >= -1:
            piece = ident if index == -1 else _format(values[index], pydantic)
            out.append(piece.encode() if as_bytes else piece)
    return (b"" if as_bytes else "").join(out)
