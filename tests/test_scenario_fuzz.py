"""Fuzzing the scenario loader: whatever the file holds, the only exception is a ScenarioError
whose message starts with the file and names a key path."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from test_scenario_load import SECTORS, base_document
from toml_text import dumps

from simengine.errors import ScenarioError
from simengine.scenario import Scenario, load_batch, load_scenario

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
SCALARS = st.one_of(
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT,
    st.sampled_from(["F", "f", "G64", "construction", "busan", "agent", "set_asid", "local_sme", "KRW", "USD million"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)


def assert_only_scenario_errors(path: Path, loader=load_scenario, **kwargs) -> None:
    try:
        result = loader(path, **kwargs)
    except ScenarioError as exc:
        message = str(exc)
        assert message.startswith(str(path.parent)) or message.startswith(str(path.parent.resolve())), message
        assert ": " in message[len(str(path.parent)) :] and "\n" not in message.strip(), message
    else:
        assert isinstance(result, Scenario) or loader is load_batch


def _paths(document, prefix=()):
    yield prefix
    if isinstance(document, dict):
        for key, value in document.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(document, list):
        for i, value in enumerate(document):
            yield from _paths(value, (*prefix, i))


def _replace(document, path, value):
    if not path:
        return value
    owner = document
    for key in path[:-1]:
        owner = owner[key]
    owner[path[-1]] = value
    return document


@given(st.binary(max_size=300))
def test_random_bytes(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.toml"
        path.write_bytes(data)
        assert_only_scenario_errors(path, sectors=SECTORS)


@given(st.text(st.sampled_from("[]{}=\"'.,=\n #abc_1xyz0.5-eE+:tTrufals[[lever]]kind"), max_size=200))
def test_random_toml_like_text(text):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.toml"
        path.write_text(text, encoding="utf-8")
        assert_only_scenario_errors(path, sectors=SECTORS)
        assert_only_scenario_errors(path, loader=load_batch)


@given(st.dictionaries(TEXT, VALUES, max_size=5))
def test_random_documents(document):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.toml"
        path.write_text(dumps(document), encoding="utf-8")
        assert_only_scenario_errors(path, sectors=SECTORS)
        assert_only_scenario_errors(path, loader=load_batch)


@settings(max_examples=150)
@given(st.data())
def test_mutated_valid_documents(data):
    """One value of a valid document replaced (wrong type, out of range, unknown label, huge
    number, random table), or an unknown key added, or `extends` pointing anywhere."""
    document = base_document()
    paths = list(_paths(document))[1:]  # a document is always a table
    path = data.draw(st.sampled_from(paths))
    action = data.draw(st.sampled_from(["replace", "add_key", "extends"]))
    if action == "replace":
        document = _replace(document, path, data.draw(VALUES))
    elif action == "add_key":
        owner = document
        for key in path:
            owner = owner[key]
        if isinstance(owner, dict):
            owner[data.draw(TEXT)] = data.draw(VALUES)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        if action == "extends":
            target = data.draw(
                st.sampled_from(["s.toml", "other.toml", "missing.toml", "", ".", "../s.toml", "a\x00b"])
            )
            document["extends"] = target
            (folder / "other.toml").write_text(dumps({"extends": "s.toml"}), encoding="utf-8")
        path_out = folder / "s.toml"
        path_out.write_text(dumps(document), encoding="utf-8")
        assert_only_scenario_errors(path_out, sectors=SECTORS)
