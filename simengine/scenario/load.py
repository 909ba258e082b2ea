"""Read scenario and batch files: TOML, `extends` merging, validation, readable errors.

A file is parsed with :mod:`tomllib` (no code runs, nothing is unpickled). ``extends =
"other.toml"`` names a parent, relative to the file; the child is merged onto the parent table
by table, key by key, recursively, and every array (including arrays of tables such as
``[[lever]]``) replaces the parent's array whole. Every failure is a
:class:`~simengine.errors.ScenarioError` whose message reads ``FILE: KEY.PATH: problem``.
"""

from __future__ import annotations

import difflib
import json
import re
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import DataError, ScenarioError
from ..io import read_csv_records, read_toml
from ..levers.response_sets import NAMED_SETS, apply_response_set
from .checks import check_labels
from .schema import Batch, Scenario

__all__ = [
    "load_scenario",
    "load_batch",
    "load_document",
    "validate",
    "ValidationResult",
    "merge_tables",
    "set_key_path",
    "scenario_error",
]

#: Keys holding file paths, resolved against the file that sets them.
_PATH_KEYS = (
    ("budget", "cell_file"),
    ("baseline",),
    ("scenarios",),
    ("sweep", "base"),
    ("scenario", "responses"),
    ("responses",),
)
#: Longest excerpt of a bad value quoted in a message.
_VALUE_CHARS = 60


def scenario_error(
    file: Path | str,
    key_path: str,
    problem: str,
    *,
    options: Iterable[str] = (),
    got: Any = None,
    suggest_for: str | None = None,
) -> ScenarioError:
    """Build the one-line error ``FILE: KEY.PATH: problem (got ...); valid: ...; did you mean ...?``.

    The suggestion is the option closest to ``suggest_for`` (default: ``got`` when it is a string).
    """
    message = f"{file}: {key_path or '(top level)'}: {problem}"
    options = [str(o) for o in options]
    if got is not None:
        message += f" (got {_excerpt(got)})"
    if options:
        shown = ", ".join(options[:12]) + (", ..." if len(options) > 12 else "")
        message += f"; valid: {shown}"
        target = got if suggest_for is None else suggest_for
        if isinstance(target, str):
            close = difflib.get_close_matches(target, options, n=1, cutoff=0.5)
            if not close:
                close = [o for o in options if o.lower() == target.lower()][:1]
            if close:
                message += f"; did you mean {close[0]!r}?"
    return ScenarioError(message)


def _excerpt(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _VALUE_CHARS else text[: _VALUE_CHARS - 3] + "..."


def merge_tables(parent: dict, child: dict) -> dict:
    """Merge ``child`` onto ``parent``: tables key by key recursively; anything else, arrays included, replaces."""
    merged = dict(parent)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_tables(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_toml(path: Path) -> dict:
    """The parsed file (a regular file within the size limit; see :func:`simengine.io.read_toml`)."""
    if not path.exists():
        raise scenario_error(path, "(file)", "file not found")
    try:
        return read_toml(path, what="scenario file")
    except DataError as exc:
        reason = str(exc)
        reason = reason[len(str(path)) :].lstrip(":, ") if reason.startswith(str(path)) else reason
        raise scenario_error(path, "(file)", f"not a readable TOML file: {reason}") from None


def _resolve_paths(document: dict, folder: Path, file: Path) -> None:
    """Make the path-valued keys of ``document`` absolute, relative to ``folder``, in place."""
    for keys in _PATH_KEYS:
        owner = document
        for key in keys[:-1]:
            owner = owner.get(key) if isinstance(owner, dict) else None
        if not isinstance(owner, dict) or keys[-1] not in owner:
            continue
        value = owner[keys[-1]]
        key_path = ".".join(keys)
        if keys[-1] == "responses" and value in NAMED_SETS:
            continue
        if isinstance(value, str):
            owner[keys[-1]] = _resolve(folder, value, file, key_path)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            owner[keys[-1]] = [_resolve(folder, v, file, f"{key_path}[{i}]") for i, v in enumerate(value)]


def _resolve(folder: Path, value: str, file: Path, key_path: str) -> str:
    try:
        return str((folder / value).resolve())
    except (OSError, ValueError, RuntimeError) as exc:
        raise scenario_error(file, key_path, f"not a usable path: {exc}", got=value) from None


def load_document(path: Path | str) -> dict:
    """The merged raw document of ``path``: `extends` chain resolved, paths absolute, `extends` removed.

    Raises
    ------
    ScenarioError
        Unreadable file, invalid TOML, a missing parent, or an `extends` cycle.
    """
    return _load_document(Path(path), ())


def _load_document(path: Path, chain: tuple[Path, ...]) -> dict:
    try:
        resolved = path.resolve()
    except (OSError, ValueError, RuntimeError) as exc:
        raise scenario_error(path, "(file)", f"not a usable path: {exc}") from None
    if resolved in chain:
        cycle = " -> ".join(p.name for p in (*chain, resolved))
        raise scenario_error(chain[-1], "extends", f"extends cycle: {cycle}", got=path.name)
    if len(chain) >= 32:
        raise scenario_error(path, "extends", "extends chain longer than 32 files")
    document = _read_toml(resolved)
    _resolve_paths(document, resolved.parent, resolved)
    parent_name = document.pop("extends", None)
    if parent_name is None:
        return document
    if not isinstance(parent_name, str) or not parent_name:
        raise scenario_error(resolved, "extends", "must be the name of one TOML file", got=parent_name)
    parent_path = Path(_resolve(resolved.parent, parent_name, resolved, "extends"))
    if not _is_file(parent_path):
        raise scenario_error(resolved, "extends", f"parent file not found: {parent_path}", got=parent_name)
    merged = merge_tables(_load_document(parent_path, (*chain, resolved)), document)
    child_budget = document.get("budget")
    if isinstance(child_budget, dict) and isinstance(merged.get("budget"), dict):
        for given, replaced in (("cell_file", "cell"), ("cell", "cell_file")):
            if given in child_budget and replaced not in child_budget:
                merged["budget"].pop(replaced, None)
    return merged


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _read_cell_file(document: dict, file: Path) -> None:
    """Replace ``budget.cell_file`` by its rows as ``budget.cell`` in place."""
    budget = document.get("budget")
    if not isinstance(budget, dict) or not isinstance(budget.get("cell_file"), str):
        return
    if "cell" in budget:
        raise scenario_error(file, "budget.cell_file", "give either cell_file or [[budget.cell]] tables, not both")
    cell_path = Path(budget["cell_file"])
    if not cell_path.exists():
        raise scenario_error(file, "budget.cell_file", "file not found", got=str(cell_path))
    try:
        records = read_csv_records(cell_path, what="cell file")
    except DataError as exc:
        raise scenario_error(file, "budget.cell_file", f"unreadable CSV: {exc}") from None
    if {"value", "local_share_value"} <= set(records.header):
        budget["cell"] = _spend_cells(records, budget, file)
        return
    numeric = {"amount": float, "local_share": float, "contracts": int}
    cells = []
    for k, row in enumerate(records.rows):
        cell = {}
        for key, value in zip(records.header, row, strict=True):
            value = value.strip()
            if not value:
                continue
            try:
                cell[key] = numeric[key](value) if key in numeric else value
            except ValueError:
                problem = f"{records.where(k)}: {key} {value!r} is not a {'whole ' if key == 'contracts' else ''}number"
                raise scenario_error(file, "budget.cell_file", problem) from None
        cells.append(cell)
    budget["cell"] = cells


def _spend_cells(records, budget: dict, file: Path) -> list[dict]:
    """Budget cells from a spend-analysis CSV (``simengine spend -o cells.csv``).

    One cell per sector x method x size class with awards; total rows (``all``) are skipped.
    ``amount`` is the awarded ``value`` (currency units, one year of awards) in the budget's
    monetary unit; ``local_share`` is ``local_share_value``; ``contracts`` the rounded count.
    """
    from .schema import MONETARY_SCALE

    unit = budget.get("monetary_unit", "one")
    scale = MONETARY_SCALE.get(unit) if isinstance(unit, str) else None
    if scale is None:
        raise scenario_error(file, "budget.monetary_unit", "needed to read a spend-analysis cell_file", got=unit)
    missing = {"sector", "method", "size_class", "contracts"} - set(records.header)
    if missing:
        raise scenario_error(
            file,
            "budget.cell_file",
            f"{records.path} lacks the spend-analysis columns {sorted(missing)}; "
            "write it with simengine spend --by sector --by method --by size_class -o FILE.csv",
        )
    column = {name: records.header.index(name) for name in records.header}
    cells = []
    for k, row in enumerate(records.rows):
        keys = {name: row[column[name]].strip() for name in ("sector", "method", "size_class")}
        if "all" in keys.values():
            continue
        try:
            contracts = float(row[column["contracts"]])
            value = float(row[column["value"]])
            share = row[column["local_share_value"]].strip()
            if contracts <= 0 or value <= 0:
                continue
            if not share:
                raise ValueError("local_share_value is blank (no supplier location known)")
            cells.append(
                {**keys, "amount": value / scale, "local_share": float(share), "contracts": max(1, round(contracts))}
            )
        except ValueError as exc:
            raise scenario_error(file, "budget.cell_file", f"{records.where(k)}: {exc}") from None
    if not cells:
        raise scenario_error(file, "budget.cell_file", f"{records.path} has no cell with awards")
    return cells


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional from a type annotation."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _union_member(annotation: Any, tag: Any) -> type[BaseModel] | None:
    for member in typing.get_args(annotation):
        kind = getattr(member, "model_fields", {}).get("kind")
        if kind is not None and tag in typing.get_args(kind.annotation):
            return member
    return None


def _key_text(key: Any) -> str:
    """A key as written in a TOML key path: bare when it can be, else quoted with escapes."""
    key = str(key)
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _walk(model: type[BaseModel], loc: Sequence[Any]) -> tuple[str, type[BaseModel] | None]:
    """Turn a pydantic error location into a TOML key path, and find the model owning its last key."""
    path, current, owner = "", model, None
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            path += f"[{part}]"
            args = typing.get_args(current)
            current = args[0] if typing.get_origin(current) is list and args else None
        elif isinstance(current, type) and issubclass(current, BaseModel):
            owner = current
            path += f".{_key_text(part)}" if path else _key_text(part)
            field = current.model_fields.get(part)
            current = field.annotation if field is not None else None
        elif typing.get_origin(current) in (typing.Union, types.UnionType) and _union_member(current, part):
            current = _union_member(current, part)
        else:
            path += f".{_key_text(part)}" if path else _key_text(part)
            current = None
    return path, owner


#: Problems of one file listed in one error; further ones are counted.
MAX_LISTED_PROBLEMS = 10


def _from_validation_error(file: Path, exc: ValidationError, model: type[BaseModel]) -> ScenarioError:
    """One error listing every problem of the file (up to :data:`MAX_LISTED_PROBLEMS`), first one first."""
    errors = exc.errors(include_url=False)
    problems = [str(_problem(file, error, model)) for error in errors[:MAX_LISTED_PROBLEMS]]
    prefix = f"{file}: "
    rest = [p.removeprefix(prefix) for p in problems[1:]]
    message = problems[0] + "".join(f"; also {p}" for p in rest)
    if len(errors) > MAX_LISTED_PROBLEMS:
        message += f"; and {len(errors) - MAX_LISTED_PROBLEMS} more problem(s)"
    return ScenarioError(message)


def _problem(file: Path, first: dict, model: type[BaseModel]) -> ScenarioError:
    """The error for one pydantic problem: key path, what is wrong, valid options, suggestion."""
    key_path, owner = _walk(model, first["loc"])
    kind, ctx, got = first["type"], first.get("ctx") or {}, first.get("input")
    more = ""
    if kind == "extra_forbidden":
        options = sorted(owner.model_fields) if owner is not None else []
        unknown = str(first["loc"][-1])
        return scenario_error(
            file, key_path, f"unknown key {_excerpt(unknown)}{more}", options=options, suggest_for=unknown
        )
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        options = re.findall(r"'([^']*)'", str(ctx.get("expected_tags", "")))
        if not options:
            options = [m.model_fields["kind"].annotation.__args__[0] for m in _lever_models(model)]
        tag = ctx.get("tag")
        problem = "unknown lever kind" if kind == "union_tag_invalid" else "missing key 'kind'"
        return scenario_error(file, f"{key_path}.kind", problem + more, options=options, got=tag)
    if kind == "missing":
        return scenario_error(file, key_path, f"missing required key{more}")
    options = re.findall(r"'([^']*)'", str(ctx.get("expected", ""))) if kind == "literal_error" else []
    message = first["msg"].removeprefix("Value error, ")
    return scenario_error(file, key_path, message + more, options=options, got=got)


def _lever_models(model: type[BaseModel]) -> tuple:
    field = model.model_fields.get("lever")
    return typing.get_args(_unwrap(typing.get_args(_unwrap(field.annotation))[0])) if field else ()


def _validate_model(file: Path, document: dict, model: type[BaseModel]):
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise _from_validation_error(file, exc, model) from None
    except RecursionError:
        raise scenario_error(file, "(file)", "nesting too deep") from None


def _check_version(file: Path, document: dict) -> None:
    version = document.get("schema_version")
    if "schema_version" in document and version != 1:
        raise scenario_error(file, "schema_version", "unsupported schema version; this release reads 1", got=version)


def set_responses(document: dict, responses: str) -> dict:
    """Set ``scenario.responses`` of a raw scenario document (a batch's ``responses``), in place."""
    if isinstance(document.get("scenario"), dict):
        document["scenario"]["responses"] = responses
    return document


def with_responses(document: dict, file: Path | str) -> dict:
    """Fill the levers' ``response`` tables of a raw document from its ``scenario.responses`` set, in place.

    See :func:`simengine.levers.response_sets.apply_response_set`; values the file writes win.
    A bad selection or response file raises :class:`ScenarioError` naming it.
    """
    info = document.get("scenario")
    selection = info.get("responses", "literature") if isinstance(info, dict) else "literature"
    if not isinstance(selection, str):
        raise scenario_error(file, "scenario.responses", "must be a string", got=selection)
    try:
        return apply_response_set(document, selection, file=file)
    except ScenarioError as exc:
        raise scenario_error(file, "scenario.responses", str(exc)) from None


def load_scenario(
    path: Path | str,
    *,
    sectors: Sequence[str] | None = None,
    regions: Sequence[str] | None = None,
    responses: str | None = None,
) -> Scenario:
    """Read, merge, validate and label-check one scenario file.

    Parameters
    ----------
    path : path-like
        The scenario TOML file.
    sectors : sequence of str, optional
        Valid sector codes (default: those of the shipped ``korea-2014`` table).
    regions : sequence of str, optional
        Valid region names (default: :data:`simengine.scenario.checks.REGIONS`).
    responses : str, optional
        Response set replacing the file's ``scenario.responses`` (a batch's ``responses``).

    Returns
    -------
    Scenario
        The validated scenario; paths inside it are absolute.

    Raises
    ------
    ScenarioError
        For every problem, naming the file, key path, bad value and valid options.
    """
    file = Path(path)
    document = load_document(file)
    _check_version(file, document)
    _read_cell_file(document, file)
    if responses is not None:
        set_responses(document, responses)
    with_responses(document, file)
    scenario = _validate_model(file, document, Scenario)
    check_labels(scenario, file, sectors=sectors, regions=regions)
    return scenario


def load_batch(path: Path | str) -> Batch:
    """Read and validate a batch file (its scenario paths become absolute; they are not loaded here)."""
    file = Path(path)
    document = load_document(file)
    _check_version(file, document)
    return _validate_model(file, document, Batch)


def set_key_path(document: dict, key_path: str, value: Any, *, file: Path | str = "(document)") -> dict:
    """A copy of ``document`` with the value at ``key_path`` (``"lever[0].target"``) replaced.

    Raises
    ------
    ScenarioError
        If the path does not lead to an existing key.
    """
    parts = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]", key_path)
    root = _deep_copy(document)
    owner: Any = root
    for i, (name, index) in enumerate(parts):
        key: Any = name if name else int(index)
        if name and not (isinstance(owner, dict) and key in owner):
            options = sorted(owner) if isinstance(owner, dict) else []
            raise scenario_error(file, key_path, f"no key {name!r} at this path", options=options, got=name)
        if not name and not (isinstance(owner, list) and key < len(owner)):
            raise scenario_error(file, key_path, f"no item [{key}] at this path")
        if i == len(parts) - 1:
            owner[key] = value
        else:
            owner = owner[key]
    return root


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


@dataclass(frozen=True)
class ValidationResult:
    """Outcome of validating one file: ``error`` is the one-line message, or ``None`` when valid."""

    path: Path
    kind: str
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the file is valid."""
        return self.error is None


def validate(paths: Iterable[Path | str], *, sectors: Sequence[str] | None = None) -> list[ValidationResult]:
    """Validate scenario and batch files (a file with a ``[batch]`` table is a batch).

    A batch is valid when it and every scenario it names (and its sweep's variants) are valid.
    """
    from .batch import expand_batch

    results = []
    for path in paths:
        path = Path(path)
        try:
            if is_batch_file(path):
                expand_batch(load_batch(path), sectors=sectors)
                results.append(ValidationResult(path, "batch"))
            else:
                load_scenario(path, sectors=sectors)
                results.append(ValidationResult(path, "scenario"))
        except ScenarioError as exc:
            results.append(ValidationResult(path, "unknown", str(exc)))
    return results


def is_batch_file(path: Path | str) -> bool:
    """True when ``path`` is a TOML file with a ``[batch]`` table (a batch, not a scenario)."""
    try:
        return "batch" in read_toml(path, what="scenario or batch file")
    except DataError:
        return False
