"""A tiny TOML writer for tests: every table inline, every key quoted.

It covers what the tests need (str, bool, int, float including inf/nan, lists and dicts);
``tomllib.loads(dumps(d)) == d`` for such documents without NaN.
"""

from __future__ import annotations

import json
import math


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)} = {_value(v)}" for k, v in value.items()) + "}"
        )
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def dumps(document: dict) -> str:
    """TOML text of ``document``: one ``"key" = value`` line per top-level key."""
    return "".join(f"{json.dumps(str(k), ensure_ascii=False)} = {_value(v)}\n" for k, v in document.items())
