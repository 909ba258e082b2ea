"""The lever kinds a planner can add, with each setting's meaning, unit and valid range in words.

:func:`lever_kinds` is the single source the planner page (``simengine serve``) and the
report read lever descriptions from. It derives them from the lever registry
(:data:`simengine.levers.LEVER_KINDS`: each kind's JSON Schema: description, minimum, maximum, default,
choices) and the label tables ``labels_<lang>.toml`` (names, and the Korean wording of every
description).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from ..levers import CELL_LEVER_KINDS, CIRCUIT_LEVER_KINDS, LEVER_KINDS
from .labels import Labels, load_labels
from .numbers import number_text

__all__ = ["LeverField", "LeverKind", "lever_kinds", "lever_kind", "range_words"]

#: Settings every lever has that the page does not offer as controls (free text).
_HIDDEN = ("kind",)


@dataclass(frozen=True)
class LeverField:
    """One setting of a lever kind.

    Attributes
    ----------
    path : str
        Key path inside the lever table, e.g. ``"target"`` or ``"response.uptake"``.
    label, meaning : str
        Short name and plain-words description in the chosen language.
    kind : str
        ``"share"`` (fraction 0-1), ``"number"``, ``"integer"``, ``"year"``, ``"money"``
        (an amount in the budget's money unit), ``"sector"``, ``"choice"`` (one of
        ``choices``), ``"choices"`` (several of ``choices``) or ``"text"``.
    unit : str
        The unit in words ("" for choices and text).
    minimum, maximum : float or None
        Valid range (inclusive) of a number.
    default : object
        Value when the setting is left out (None: none).
    required : bool
        Whether a lever of this kind must give the setting.
    choices : tuple of str
        Allowed values of a choice.
    advanced : bool
        A response parameter (a documented assumption), not a policy setting.
    """

    path: str
    label: str
    meaning: str
    kind: str
    unit: str
    minimum: float | None
    maximum: float | None
    default: Any
    required: bool
    choices: tuple[str, ...] = ()
    advanced: bool = False


@dataclass(frozen=True)
class LeverKind:
    """A lever kind: its ``kind`` tag, name, meaning, what it acts on and its settings."""

    kind: str
    label: str
    meaning: str
    acts_on: str
    fields: tuple[LeverField, ...]

    def field(self, path: str) -> LeverField:
        """The setting at ``path``."""
        return next(f for f in self.fields if f.path == path)


def _resolve(schema: dict, node: dict) -> dict:
    if "$ref" in node:
        return _resolve(schema, schema["$defs"][node["$ref"].rsplit("/", 1)[-1]])
    if "anyOf" in node:
        options = [o for o in node["anyOf"] if o.get("type") != "null"]
        merged = {k: v for k, v in node.items() if k != "anyOf"}
        return {**_resolve(schema, options[0]), **merged}
    return node


def _field_kind(path: str, node: dict) -> str:
    if path.endswith("sector"):
        return "sector"
    if path.endswith("sector_group"):
        return "sector_group"
    if "enum" in node:
        return "choice"
    if node.get("type") == "array":
        return "choices"
    if node.get("type") == "object" and "amount" in node.get("properties", {}):
        return "money"
    if node.get("type") == "integer":
        return "year" if path.endswith("start_year") else "integer"
    if node.get("type") == "number":
        return "share" if (node.get("minimum"), node.get("maximum")) == (0.0, 1.0) else "number"
    return "text"


def _choices(schema: dict, node: dict) -> tuple[str, ...]:
    if "enum" in node:
        return tuple(str(v) for v in node["enum"])
    if node.get("type") == "array":
        return _choices(schema, _resolve(schema, node.get("items", {})))
    return ()


def _unit(kind: str, path: str, labels: Labels) -> str:
    if kind in ("choice", "choices", "sector", "sector_group", "text"):
        return ""
    if path.endswith("ramp_years"):
        return labels("units", "years")
    return labels("units", kind)


def _walk(schema: dict, model: dict, prefix: str, required: set[str], advanced: bool):
    for name, raw in model.get("properties", {}).items():
        if not prefix and name in _HIDDEN:
            continue
        node = _resolve(schema, raw)
        path = f"{prefix}{name}"
        if node.get("type") == "object" and "amount" not in node.get("properties", {}):
            yield from _walk(schema, node, f"{path}.", set(node.get("required", [])), True)
            continue
        yield path, node, name in required, advanced


def _lever_kind(model: type[BaseModel], acts_on: str, labels: Labels) -> LeverKind:
    schema = model.model_json_schema()
    kind = schema["properties"]["kind"].get("const") or schema["properties"]["kind"]["enum"][0]
    english = labels.lang == "en"
    fields = []
    for path, node, required, advanced in _walk(schema, schema, "", set(schema.get("required", [])), False):
        field_kind = _field_kind(path, node)
        description = node.get("description", "")
        meanings = labels.tables.get("lever_field_meanings", {})
        meaning = description if english else meanings.get(f"{kind}.{path}", meanings.get(path, description))
        fields.append(
            LeverField(
                path=path,
                label=labels("lever_settings", path.rsplit(".", 1)[-1]),
                meaning=meaning,
                kind=field_kind,
                unit=_unit(field_kind, path, labels),
                minimum=0.0 if field_kind == "money" else node.get("minimum"),
                maximum=None if field_kind == "money" else node.get("maximum"),
                default=node.get("default"),
                required=required,
                choices=_choices(schema, node),
                advanced=advanced,
            )
        )
    meaning = (model.__doc__ or "").strip() if english else labels("lever_meanings", kind)
    return LeverKind(kind, labels("levers", kind), meaning, acts_on, tuple(fields))


@functools.cache
def lever_kinds(lang: str = "en") -> tuple[LeverKind, ...]:
    """Every lever kind a scenario may use, with its settings described in ``lang``.

    Parameters
    ----------
    lang : {"en", "ko"}
        Language of names, meanings and units.

    Returns
    -------
    tuple of LeverKind
        Procurement levers (acting on budget cells) first, then circuit levers, in registry order.
    """
    labels = load_labels(lang)
    return tuple(
        _lever_kind(LEVER_KINDS[kind], acts_on, labels)
        for kinds, acts_on in ((CELL_LEVER_KINDS, "procurement"), (CIRCUIT_LEVER_KINDS, "circuit"))
        for kind in kinds
    )


def lever_kind(kind: str, lang: str = "en") -> LeverKind:
    """The :class:`LeverKind` tagged ``kind``; a :class:`KeyError` names the valid kinds."""
    for item in lever_kinds(lang):
        if item.kind == kind:
            return item
    raise KeyError(f"unknown lever kind {kind!r}; valid: {[k.kind for k in lever_kinds(lang)]}")


def range_words(field: LeverField, labels: Labels) -> str:
    """The valid range of a number or money setting in words, e.g. ``from 0 to 1`` (empty for others)."""
    if field.minimum is None and field.maximum is None:
        return ""

    def words(bound: float | None) -> str:
        if bound is None:
            return ""
        if field.kind == "year" or bound == int(bound):
            return str(int(bound)) if field.kind == "year" else number_text(bound, 0)
        return f"{bound:.12g}"

    low, high = words(field.minimum), words(field.maximum)
    if field.minimum is not None and field.maximum is not None:
        return labels.ui("range_between").format(low=low, high=high)
    return labels.ui("range_at_least" if field.maximum is None else "range_at_most").format(low=low, high=high)
