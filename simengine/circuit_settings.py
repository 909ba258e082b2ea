"""Circuit settings: the local-circuit numbers a scenario states, one definition for every mode.

A scenario states each setting as one number (a ``[circuit]`` override, or what a circuit lever
moves). :data:`CIRCUIT_SETTINGS` defines, per setting, its meaning, which field of
:class:`~simengine.circuit.CircuitParameters` it sets and how:

- a per-sector share is set through its weighted mean (weights: what households buy, what
  industries pay in wages, what they earn as surplus), keeping the sectors' pattern
  (:func:`move_mean_to`);
- a rate replaces the scalar fields it names.

The scenario's ``[circuit]`` table (:data:`CircuitSettingsTable`) is generated from this table,
the analytic circuit is built from :func:`apply_settings` (or, for many sets at once, the arrays of
:func:`settings_arrays`), and the agent model derives its arrays
from the same :class:`~simengine.circuit.CircuitParameters` by one function
(:meth:`simengine.agents.AgentCircuit.from_parameters`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import Field, create_model

from .circuit import CircuitArrays, CircuitParameters
from .fields import Share, Table
from .local_economy import LocalEconomy

__all__ = [
    "CircuitSetting",
    "CIRCUIT_SETTINGS",
    "CIRCUIT_KEYS",
    "CircuitSettingsTable",
    "move_mean_to",
    "read_settings",
    "apply_settings",
    "settings_arrays",
    "settings_table",
]


@dataclass(frozen=True)
class CircuitSetting:
    """One scenario-level circuit number.

    Attributes
    ----------
    description : str
        What the number is (the ``[circuit]`` key's documentation).
    fields : tuple of str
        The :class:`CircuitParameters` fields it sets (``households.local_share`` for a nested one).
    weights : callable or None
        ``(parameters, economy) -> weights`` of the weighted mean for a per-sector share; None for
        a scalar rate (the region's value is then not restated: None until a scenario sets it).
    """

    description: str
    fields: tuple[str, ...]
    weights: Callable[[CircuitParameters, LocalEconomy], np.ndarray] | None = None


#: The circuit settings, by the name scenarios use.
CIRCUIT_SETTINGS: dict[str, CircuitSetting] = {
    "household_local_consumption_share": CircuitSetting(
        "Share of resident household spending bought from local firms (mean weighted by the households' mix).",
        ("households.local_share",),
        lambda p, e: p.households.mix,
    ),
    "reinvestment_rate": CircuitSetting(
        "Share of locally owned firms' operating surplus reinvested locally (mean weighted by surplus).",
        ("reinvestment_rate",),
        lambda p, e: e.operating_surplus,
    ),
    "resident_worker_share": CircuitSetting(
        "Share of labour income paid to workers who live in the region (mean weighted by compensation).",
        ("resident_wage_share",),
        lambda p, e: e.compensation,
    ),
    "local_ownership_share": CircuitSetting(
        "Share of operating surplus accruing to owners in the region (mean weighted by surplus).",
        ("local_ownership_share",),
        lambda p, e: e.operating_surplus,
    ),
    "local_tax_rate": CircuitSetting(
        "Local taxes per unit of local labour income and surplus, re-spent by the city (replaces both rates).",
        ("local_income_tax_rate_on_wages", "local_tax_rate_on_surplus"),
    ),
}
#: Setting names, in order (the signature of a circuit).
CIRCUIT_KEYS = tuple(CIRCUIT_SETTINGS)

#: The scenario's ``[circuit]`` table: every setting, optional (omitted keys keep the region's values).
#: (Named ``Circuit`` as in scenario files; not the :class:`simengine.circuit.Circuit` model.)
Circuit = create_model(
    "Circuit",
    __base__=Table,
    __doc__="``[circuit]``: overrides of the region's local-circuit parameters (omitted keys keep its values).",
    **{name: (Share | None, Field(default=None, description=s.description)) for name, s in CIRCUIT_SETTINGS.items()},
)
CircuitSettingsTable = Circuit


def _weighted_mean(vector: np.ndarray, weights: np.ndarray) -> float:
    weights = np.clip(weights, 0.0, None)
    total = weights.sum()
    return float(weights @ vector / total) if total > 0 else float(np.mean(vector))


def move_mean_to(vector: np.ndarray, weights: np.ndarray, target) -> np.ndarray:
    """Per-sector shares whose weighted mean is ``target``, keeping the sectors' pattern.

    Raising the mean closes each sector's gap to 1 in the same proportion; lowering it
    scales every share down in the same proportion. Shares stay in [0, 1].

    Parameters
    ----------
    vector, weights : ndarray (n,)
        The shares and the weights of their mean.
    target : float or ndarray (K,)
        The new mean, or ``K`` of them.

    Returns
    -------
    ndarray (n,) for one target, (K, n) for ``K``; the same numbers for a target alone or among others.
    """
    mean = _weighted_mean(vector, weights)
    column = np.asarray(target, dtype=np.float64)[..., None]
    raised = np.broadcast_to(vector, column.shape[:-1] + vector.shape) if mean >= 1.0 else None
    if raised is None:
        raised = vector + (column - mean) / (1.0 - mean) * (1.0 - vector)
    if mean <= 0.0:  # every target is >= the mean
        return np.array(raised)
    return np.where(column >= mean, raised, vector * (column / mean))


def _get(parameters: CircuitParameters, field: str):
    value = parameters
    for part in field.split("."):
        value = getattr(value, part)
    return value


def _set(parameters: CircuitParameters, field: str, value) -> CircuitParameters:
    head, _, rest = field.partition(".")
    if not rest:
        return dataclasses.replace(parameters, **{head: value})
    inner = getattr(parameters, head)
    return dataclasses.replace(parameters, **{head: dataclasses.replace(inner, **{rest: value})})


def read_settings(parameters: CircuitParameters, economy: LocalEconomy) -> dict[str, float | None]:
    """The settings of ``parameters`` as a scenario states them (per-sector shares as weighted means;
    rates None: the region's values stay until a scenario sets them)."""
    return {
        name: None
        if s.weights is None
        else _weighted_mean(_get(parameters, s.fields[0]), s.weights(parameters, economy))
        for name, s in CIRCUIT_SETTINGS.items()
    }


def _stated(
    parameters: CircuitParameters, economy: LocalEconomy, values: Sequence[Mapping[str, float | None]]
) -> tuple[CircuitArrays, dict[str, np.ndarray]]:
    """The parameter sets of ``values`` as arrays, and per setting which sets state it."""
    columns = {}
    for name in CIRCUIT_SETTINGS:
        given = np.array([v.get(name) is not None for v in values], dtype=bool)
        if given.any():
            columns[name] = (
                given,
                np.array([float(v[name]) if g else 0.0 for v, g in zip(values, given, strict=True)]),
            )
    return _stated_columns(parameters, economy, columns, len(values))


def _stated_columns(
    parameters: CircuitParameters, economy: LocalEconomy, columns: Mapping[str, tuple[np.ndarray, np.ndarray]], count
) -> tuple[CircuitArrays, dict[str, np.ndarray]]:
    """The ``count`` parameter sets stating, per setting, ``target[k]`` where ``given[k]``
    (``columns``: name -> ``(given, target)``, both ``(count,)``), and per setting which sets state it."""
    arrays = CircuitArrays.of(parameters, count)
    stated = {}
    for name, s in CIRCUIT_SETTINGS.items():
        if name not in columns:
            continue
        given, target = columns[name]
        stated[name] = given
        if s.weights is None:
            for field in s.fields:
                arrays = _set(arrays, field, np.where(given, target, _get(arrays, field)))
        else:
            field = s.fields[0]
            moved = move_mean_to(_get(parameters, field), s.weights(parameters, economy), target)
            arrays = _set(arrays, field, moved if given.all() else np.where(given[:, None], moved, _get(arrays, field)))
    return arrays, stated


def settings_table(values: Sequence[Mapping[str, object]]) -> np.ndarray:
    """Sets of settings as a table ``(K, len(CIRCUIT_KEYS))``: column ``j`` is setting ``CIRCUIT_KEYS[j]``,
    NaN where a set does not state it (None)."""
    table = np.empty((len(values), len(CIRCUIT_KEYS)))
    for k, v in enumerate(values):
        table[k] = [np.nan if v.get(name) is None else v[name] for name in CIRCUIT_KEYS]
    return table


def settings_arrays(
    parameters: CircuitParameters,
    economy: LocalEconomy,
    values: Sequence[Mapping[str, float | None]] | np.ndarray,
    *,
    check: bool = True,
) -> CircuitArrays:
    """``K`` parameter sets, ``parameters`` with each of the ``K`` stated settings applied, as arrays.

    Set ``k`` holds the same numbers as ``apply_settings(parameters, economy, values[k])``
    (one definition: :func:`apply_settings` is this with ``K = 1``), without building a
    :class:`CircuitParameters` per set.

    Parameters
    ----------
    parameters : CircuitParameters
    economy : LocalEconomy
    values : sequence of mappings, or ndarray (K, len(CIRCUIT_KEYS))
        The settings of each set (a setting None or absent keeps the region's value), or their
        :func:`settings_table` (NaN for a setting not stated).
    check : bool
        Raise for a set that is not admissible (default); False leaves that to the caller
        (:meth:`~simengine.circuit.CircuitArrays.admissible`).

    Raises
    ------
    DataError
        A set is not admissible (e.g. local and national tax rates summing above 1), naming it.
    """
    if isinstance(values, np.ndarray):
        columns = {}
        for j, name in enumerate(CIRCUIT_KEYS):
            given = ~np.isnan(values[:, j])
            if given.any():
                columns[name] = (given, np.where(given, values[:, j], 0.0))
        arrays, _ = _stated_columns(parameters, economy, columns, len(values))
    else:
        arrays, _ = _stated(parameters, economy, values)
    if check:
        arrays.check(parameters)
    return arrays


def apply_settings(
    parameters: CircuitParameters, economy: LocalEconomy, values: Mapping[str, float | None]
) -> CircuitParameters:
    """``parameters`` with the stated settings applied (None keeps the region's value)."""
    arrays, stated = _stated(parameters, economy, [values])
    changed: dict[str, object] = {}
    nested: dict[str, dict[str, object]] = {}
    for name in stated:
        s = CIRCUIT_SETTINGS[name]
        for field in s.fields if s.weights is None else s.fields[:1]:
            value = _get(arrays, field)[0]
            value = float(value) if s.weights is None else np.array(value)
            head, _, rest = field.partition(".")
            if rest:
                nested.setdefault(head, {})[rest] = value
            else:
                changed[head] = value
    for head, fields in nested.items():
        changed[head] = dataclasses.replace(getattr(parameters, head), **fields)
    return dataclasses.replace(parameters, **changed) if changed else parameters
