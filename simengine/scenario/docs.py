"""Reference documentation generated from the schema models: JSON Schema and Markdown.

``python -m simengine.scenario.docs > docs/scenario_schema.md`` regenerates the Markdown
reference; a test checks that the committed file matches :func:`schema_markdown`.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from ..io import write_atomic
from ..levers import LEVER_KINDS
from .schema import Batch, Scenario

__all__ = ["json_schema", "write_json_schema", "schema_markdown"]

_MODELS = {"scenario": Scenario, "batch": Batch}


def json_schema(kind: str = "scenario") -> dict:
    """JSON Schema (draft 2020-12) of a scenario file (``kind="scenario"``) or a batch file (``"batch"``)."""
    schema = _MODELS[kind].model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def write_json_schema(kind: str = "scenario", path: str | os.PathLike | None = None, *, overwrite: bool = False) -> str:
    """The JSON Schema as indented text, also written atomically to ``path`` when given."""
    text = json.dumps(json_schema(kind), indent=2, ensure_ascii=False) + "\n"
    if path is not None:
        write_atomic(Path(path), text, overwrite=overwrite)
    return text


def _type_text(spec: dict) -> str:
    if "$ref" in spec:
        return f"table ({spec['$ref'].rsplit('/', 1)[-1]})"
    if "const" in spec:
        return json.dumps(spec["const"])
    if "enum" in spec:
        return " \\| ".join(json.dumps(v) for v in spec["enum"])
    if "anyOf" in spec:
        return " or ".join(_type_text(s) for s in spec["anyOf"] if s.get("type") != "null")
    if "oneOf" in spec:
        return "one of the lever tables"
    if spec.get("type") == "array":
        return f"array of {_type_text(spec.get('items', {}))}"
    names = {"number": "number", "integer": "integer", "string": "string", "boolean": "boolean", "object": "table"}
    return names.get(spec.get("type"), "any")


def _range_text(spec: dict) -> str:
    specs = [spec, *spec.get("anyOf", [])]
    parts = []
    for s in specs:
        for key, symbol in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="), ("exclusiveMaximum", "<")):
            if key in s:
                parts.append(f"{symbol} {s[key]:g}")
        if "pattern" in s:
            parts.append(f"`{s['pattern']}`")
    return ", ".join(parts)


def _model_section(name: str, model_schema: dict) -> list[str]:
    required = set(model_schema.get("required", []))
    doc = " ".join(model_schema.get("description", "").split())
    lines = [
        f"### {name}",
        "",
        doc,
        "",
        "| key | type | required | default | range | description |",
        "|---|---|---|---|---|---|",
    ]
    for key, spec in model_schema.get("properties", {}).items():
        default = json.dumps(spec["default"], ensure_ascii=False) if "default" in spec else ""
        description = " ".join(spec.get("description", "").split()).replace("|", "\\|")
        lines.append(
            f"| `{key}` | {_type_text(spec)} | {'yes' if key in required else ''} | {default} "
            f"| {_range_text(spec)} | {description} |"
        )
    return [*lines, ""]


def lever_table() -> list[str]:
    """Markdown table of the lever kinds in the registry: what each acts on, and its response priors."""
    lines = [
        "## Lever kinds",
        "",
        "One module per kind in `simengine/levers/`; this table is generated from the registry.",
        "",
        "| kind | acts on | analytic mode | analytic effect | response parameters: prior range (source) |",
        "|---|---|---|---|---|",
    ]
    for kind, model in LEVER_KINDS.items():
        doc = (sys.modules[model.__module__].__doc__ or "").strip().split("\n\n")
        effect = " ".join(" ".join(doc[1:]).split()).replace("|", "\\|")
        priors = "; ".join(
            f"`{name}` {p.low:g} to {p.high:g} ({p.source})".replace("|", "\\|") for name, p in model.priors().items()
        )
        acts = "budget cells" if model.ACTS_ON_CELLS else "local circuit"
        analytic = 'needs `channel = "demand"`' if model.ANALYTIC_REFUSAL else "yes"
        lines.append(f"| `{kind}` | {acts} | {analytic} | {effect} | {priors or 'none'} |")
    return [*lines, ""]


def schema_markdown() -> str:
    """The Markdown reference of every table and key of scenario and batch files."""
    lines = [
        "# Scenario file reference (schema_version = 1)",
        "",
        "Generated from the pydantic models by `python -m simengine.scenario.docs`; do not edit by hand.",
        "",
        *lever_table(),
    ]
    for kind, model in _MODELS.items():
        schema = json_schema(kind)
        lines += [f"## {kind.capitalize()} files", ""]
        lines += _model_section(model.__name__, schema)
        for name, definition in schema.get("$defs", {}).items():
            if kind == "batch" or name not in json_schema("batch").get("$defs", {}):
                lines += _model_section(name, definition)
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(schema_markdown(), end="")
