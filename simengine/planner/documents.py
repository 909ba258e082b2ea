"""Scenario documents of the planner page: baseline plus levers, written as a stand-alone TOML file.

A package is the baseline's merged document (``extends`` resolved, budget cells inline) with
its own ``[scenario]`` id and title and its levers. It is written as TOML and read back with
:func:`simengine.scenario.load_scenario`, the loader ``simengine validate`` and ``simengine run``
use, so the page gives the command line's messages and the downloaded file reproduces the
page's figures.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ScenarioError
from ..scenario import load_scenario
from ..scenario.schema import Scenario

__all__ = ["toml_text", "baseline_document", "package_document", "load_package", "PACKAGE_ID"]

#: A package id: the pattern of ``[scenario].id``.
PACKAGE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _scalar(key)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return ("-" if value < 0 else "") + ("inf" if math.isinf(value) else "nan")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")  # TOML forbids a raw DEL
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(str(k))} = {_scalar(v)}" for k, v in value.items()) + " }"
    raise ScenarioError(f"cannot write a value of type {type(value).__name__} to a scenario file")


def _is_table(value: Any) -> bool:
    """Tables are written as ``[name]`` sections, except money values (inline ``{ amount, unit }``)."""
    return isinstance(value, Mapping) and set(value) != {"amount", "unit"}


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, Mapping) for item in value)


def _table(lines: list[str], document: Mapping, prefix: str) -> None:
    for key, value in document.items():
        if value is None or _is_table(value) or _is_table_array(value):
            continue
        lines.append(f"{_key(str(key))} = {_scalar(value)}")
    for key, value in document.items():
        path = f"{prefix}{_key(str(key))}"
        if _is_table(value):
            lines.append(f"\n[{path}]")
            _table(lines, value, f"{path}.")
        elif _is_table_array(value):
            for item in value:
                lines.append(f"\n[[{path}]]")
                _table(lines, item, f"{path}.")


def toml_text(document: Mapping, *, comment: str = "") -> str:
    """TOML text of a scenario document: ``[table]`` sections, money values as inline tables.

    ``tomllib.loads(toml_text(d)) == d`` for documents of str, bool, int, finite float, lists
    and tables (None values are left out). ``comment`` becomes leading ``#`` lines.
    """
    lines = [f"# {line}".rstrip() for line in comment.splitlines()]
    _table(lines, document, "")
    return "\n".join(lines).strip("\n") + "\n"


def baseline_document(scenario: Scenario) -> dict:
    """A loaded scenario as a stand-alone document: cells inline, no ``extends`` or ``cell_file``."""
    document = scenario.model_dump(mode="json", exclude_none=True, exclude={"budget": {"cell_file"}})
    document["lever"] = [{"kind": lever["kind"], **lever} for lever in document.get("lever", [])]
    return document


def package_document(baseline: Mapping, *, package_id: str, title: str, levers: list[dict]) -> dict:
    """The baseline document with its own id and title, and ``levers`` after the baseline's own."""
    document = json.loads(json.dumps(baseline))
    document["scenario"]["id"] = package_id
    document["scenario"]["title"] = title
    document["scenario"].pop("description", None)
    document["lever"] = [*document.get("lever", []), *levers]
    if not document["lever"]:
        del document["lever"]
    return document


def load_package(text: str, file_name: str) -> Scenario:
    """Validate TOML ``text`` as the file ``file_name`` would be by ``simengine validate``.

    Raises
    ------
    ScenarioError
        The loader's message, naming ``file_name`` (not the temporary folder it was read from).
    """
    with tempfile.TemporaryDirectory(prefix="simengine-serve-") as folder:
        path = Path(folder) / file_name
        path.write_text(text, encoding="utf-8")
        try:
            return load_scenario(path)
        except ScenarioError as exc:
            raise ScenarioError(str(exc).replace(str(path), file_name)) from None
