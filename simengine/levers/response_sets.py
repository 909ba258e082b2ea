"""Response sets: which values the levers' ``response`` tables take when a scenario does not set them.

A scenario selects a set with ``responses`` in its ``[scenario]`` table (or a batch for all its
scenarios):

- ``"literature"`` (the default): the values written in each lever kind's module, each citing
  its source or marked ASSUMPTION with a prior range (:meth:`LeverBase.priors`);
- ``"agent-derived"``: the shipped response file :data:`AGENT_DERIVED_FILE`, written by
  ``simengine agents derive-responses`` (:mod:`simengine.agents.responses`);
- a path to a response file of the same format (relative to the file that names it).

A response file is TOML::

    format = "simengine-responses"
    format_version = 1

    [provenance]               # command, seed, draws, months, scenario, code version, date
    ...

    [eligibility_relaxation]   # one table per lever kind, keys = fields of its response table
    gap_closed_per_reduction = 0.31
    cost_premium_per_reduction = 0.004

    [eligibility_relaxation.standard_error]
    gap_closed_per_reduction = 0.02
    cost_premium_per_reduction = 0.001

    [eligibility_relaxation.method.scoring]     # optional: the fit on one method's cells
    gap_closed_per_reduction = 0.12
    standard_error = { gap_closed_per_reduction = 0.03 }

    [eligibility_relaxation.fit]                # the fit report (not read by scenarios)
    ...

A lever takes the values of its kind; a lever scoped to one ``method`` takes that method's
values where the file gives them. Values the scenario writes in the lever's own ``response``
table win over the set. Every value is checked against its field's bounds when the file is
read; a bad file is one :class:`~simengine.errors.ScenarioError` naming the file, the key, the
value and the fix.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import DataError, ScenarioError
from .base import Prior

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "LITERATURE",
    "AGENT_DERIVED",
    "AGENT_DERIVED_FILE",
    "NAMED_SETS",
    "KindResponses",
    "ResponseSet",
    "read_response_file",
    "response_set",
    "apply_response_set",
    "response_table",
]

#: The ``format`` key and version of a response file.
FORMAT = "simengine-responses"
FORMAT_VERSION = 1
#: Names of the built-in sets.
LITERATURE = "literature"
AGENT_DERIVED = "agent-derived"
NAMED_SETS = (LITERATURE, AGENT_DERIVED)
#: The shipped agent-derived response file.
AGENT_DERIVED_FILE = Path(__file__).with_name("responses") / "agent-derived.toml"
#: Keys of a kind's table that are not response fields.
_KIND_META = ("standard_error", "method", "fit", "source")


@dataclass(frozen=True)
class KindResponses:
    """The values of one lever kind in a response set (and, by method, of its method-scoped levers).

    Attributes
    ----------
    values, standard_error : dict
        Response field -> value, and -> its standard error (fields without one are absent).
    by_method : dict
        Scenario method name -> (values, standard errors) fitted on that method's cells.
    """

    values: dict[str, float]
    standard_error: dict[str, float] = field(default_factory=dict)
    by_method: dict[str, tuple[dict[str, float], dict[str, float]]] = field(default_factory=dict)

    def for_method(self, method: str | None) -> tuple[dict[str, float], dict[str, float]]:
        """Values and standard errors for a lever scoped to ``method`` (None: every method)."""
        if method is not None and method in self.by_method:
            return self.by_method[method]
        return self.values, self.standard_error


@dataclass(frozen=True)
class ResponseSet:
    """A response set read from a file: its name, path, provenance and values by lever kind."""

    name: str
    path: Path | None
    provenance: dict[str, Any]
    kinds: dict[str, KindResponses]

    def values(self, kind: str, method: str | None = None) -> dict[str, float]:
        """Response values of ``kind`` for a lever scoped to ``method`` (empty: the kind's own defaults)."""
        entry = self.kinds.get(kind)
        return {} if entry is None else dict(entry.for_method(method)[0])

    def prior(self, kind: str, name: str, method: str | None, default: Prior) -> Prior:
        """The prior of field ``name``: the estimate +/- 2 standard errors, clipped to the field's bounds;
        ``default`` where the set has no positive standard error for it or the estimate lies on one of
        the field's bounds (the fit then says only that the truth is at or beyond it)."""
        entry = self.kinds.get(kind)
        if entry is None:
            return default
        values, errors = entry.for_method(method)
        if name not in values or not errors.get(name, 0.0) > 0.0:
            return default
        low, high = _field_bounds(kind, name)
        estimate, error = values[name], errors[name]
        if estimate in (low, high):
            return default
        return Prior(
            max(low, estimate - 2.0 * error),
            min(high, estimate + 2.0 * error),
            f"agent-derived: {estimate:.4g} +/- 2 x s.e. {error:.2g} ({self.name})",
        )


def _response_model(kind: str):
    from . import LEVER_KINDS

    return LEVER_KINDS[kind].model_fields["response"].annotation


def _field_bounds(kind: str, name: str) -> tuple[float, float]:
    """Lower and upper bound of a response field, from its ``ge``/``le`` constraints (+/-inf if none).

    The constraints sit on the field itself, or inside an optional ``Annotated`` type (``Share | None``).
    """
    info = _response_model(kind).model_fields[name]
    metadata = list(info.metadata)
    for arg in typing.get_args(info.annotation):
        for inner in getattr(arg, "__metadata__", ()):
            metadata.extend(getattr(inner, "metadata", [inner]))
    low = max((item.ge for item in metadata if getattr(item, "ge", None) is not None), default=-math.inf)
    high = min((item.le for item in metadata if getattr(item, "le", None) is not None), default=math.inf)
    return float(low), float(high)


def response_table(kind: str) -> tuple[str, ...]:
    """The response fields of lever kind ``kind`` (empty when the kind has no response table)."""
    from . import LEVER_KINDS

    cls = LEVER_KINDS[kind]
    return tuple(cls.model_fields["response"].annotation.model_fields) if "response" in cls.model_fields else ()


def _bad(path: Path, key: str, problem: str, fix: str, got: Any = None) -> ScenarioError:
    shown = "" if got is None else f" (got {got!r})"
    return ScenarioError(f"{path}: {key}: {problem}{shown}; {fix}")


def _numbers(path: Path, key: str, table: Any, kind: str, *, errors: bool) -> dict[str, float]:
    """The numeric response values of ``table`` (a kind's values or its standard errors), checked."""
    if not isinstance(table, Mapping):
        raise _bad(path, key, "must be a table of response values", "write it as [table] with key = number", table)
    fields = response_table(kind)
    out = {}
    for name, value in table.items():
        if name in _KIND_META and not errors:
            continue
        where = f"{key}.{name}"
        if name not in fields:
            raise _bad(path, where, f"{kind} has no response field {name!r}", f"use one of: {', '.join(fields)}", name)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise _bad(path, where, "must be a finite number", "write a number such as 0.25", value)
        if errors and value < 0:
            raise _bad(path, where, "a standard error must be >= 0", "write a non-negative number", value)
        out[name] = float(value)
    if not errors:
        try:
            _response_model(kind)(**out)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            name = str(first["loc"][0]) if first["loc"] else ""
            message = first["msg"].removeprefix("Value error, ")
            raise _bad(
                path, f"{key}.{name}", message, "give a value within the field's bounds", first.get("input")
            ) from None
    return out


def read_response_file(path: str | Path, *, name: str | None = None) -> ResponseSet:
    """Read and check a response file (see the module docstring for the format).

    Raises
    ------
    ScenarioError
        Missing or unreadable file, wrong ``format``, an unknown lever kind or field, a value
        that is not a number or lies outside its field's bounds, a negative standard error.
    """
    from ..io import read_toml
    from . import LEVER_KINDS

    path = Path(path)
    if not path.is_file():
        raise ScenarioError(
            f"{path}: response file not found; give responses = {LITERATURE!r}, {AGENT_DERIVED!r} or the path of a "
            "file written by simengine agents derive-responses"
        )
    try:
        document = read_toml(path, what="response file")
    except DataError as exc:
        raise ScenarioError(str(exc)) from None
    if document.get("format") != FORMAT:
        raise _bad(
            path,
            "format",
            "not a response file",
            f"a response file starts with format = {FORMAT!r}",
            document.get("format"),
        )
    if document.get("format_version") != FORMAT_VERSION:
        raise _bad(
            path,
            "format_version",
            "unsupported version",
            f"this release reads {FORMAT_VERSION}",
            document.get("format_version"),
        )
    provenance = document.get("provenance", {})
    if not isinstance(provenance, Mapping):
        raise _bad(path, "provenance", "must be a table", "write it as [provenance]", provenance)
    kinds = {}
    for kind, table in document.items():
        if kind in ("format", "format_version", "provenance"):
            continue
        if kind not in LEVER_KINDS or not response_table(kind):
            valid = ", ".join(k for k in LEVER_KINDS if response_table(k))
            raise _bad(path, kind, "not a lever kind with a response table", f"use one of: {valid}", kind)
        if not isinstance(table, Mapping):
            raise _bad(path, kind, "must be a table", f"write it as [{kind}]", table)
        values = _numbers(path, kind, table, kind, errors=False)
        errors = _numbers(path, f"{kind}.standard_error", table.get("standard_error", {}), kind, errors=True)
        by_method = {}
        methods = table.get("method", {})
        if not isinstance(methods, Mapping):
            raise _bad(path, f"{kind}.method", "must be a table of methods", f"write [{kind}.method.NAME]", methods)
        from ..procurement.vocabulary import METHODS

        for method, entry in methods.items():
            if method not in METHODS:
                raise _bad(
                    path, f"{kind}.method.{method}", "unknown method", f"use one of: {', '.join(METHODS)}", method
                )
            where = f"{kind}.method.{method}"
            by_method[method] = (
                _numbers(path, where, entry, kind, errors=False),
                _numbers(path, f"{where}.standard_error", entry.get("standard_error", {}), kind, errors=True),
            )
        kinds[kind] = KindResponses(values, errors, by_method)
    return ResponseSet(name or str(path), path, dict(provenance), kinds)


@lru_cache(maxsize=16)
def _cached(path: str, stamp: float, size: int, name: str) -> ResponseSet:
    return read_response_file(path, name=name)


def response_set(selection: str, *, relative_to: Path | None = None) -> ResponseSet | None:
    """The response set a ``responses`` value selects (None for ``"literature"``: the kinds' own values).

    ``selection`` is ``"literature"``, ``"agent-derived"`` or a path (absolute, or relative to
    ``relative_to``). Files are read once per modification.
    """
    if selection == LITERATURE:
        return None
    if selection == AGENT_DERIVED:
        path, name = AGENT_DERIVED_FILE, AGENT_DERIVED
    else:
        path = Path(selection)
        if not path.is_absolute() and relative_to is not None:
            path = relative_to / path
        name = str(selection)
    try:
        stat = path.stat()
    except OSError:
        return read_response_file(path, name=name)  # raises the not-found error
    return _cached(str(path), stat.st_mtime, stat.st_size, name)


def apply_response_set(document: dict, selection: str, *, file: Path | str) -> dict:
    """Fill the ``response`` tables of a raw scenario document's levers from a response set, in place.

    Keys a lever's ``response`` table already gives are kept. ``selection`` as in
    :func:`response_set`; a path is relative to ``file``'s folder. Returns ``document``.
    """
    chosen = response_set(selection, relative_to=Path(file).parent)
    levers = document.get("lever")
    if chosen is None or not isinstance(levers, list):
        return document
    for lever in levers:
        if not isinstance(lever, dict) or not isinstance(lever.get("kind"), str):
            continue
        values = chosen.values(lever["kind"], lever.get("method"))
        if not values:
            continue
        response = lever.setdefault("response", {})
        if isinstance(response, dict):
            for key, value in values.items():
                response.setdefault(key, value)
    return document
