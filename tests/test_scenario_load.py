"""Scenario loading: round trips, `extends` merging, and the error messages of bad input."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from toml_text import dumps

from simengine.errors import ScenarioError
from simengine.scenario import Scenario, load_batch, load_document, load_scenario, merge_tables, validate
from simengine.scenario.load import set_key_path

ROOT = Path(__file__).resolve().parents[1]
SECTORS = ("F", "N", "G46", "C26")


def base_document() -> dict:
    return {
        "schema_version": 1,
        "scenario": {"id": "base", "title": "Base", "region": "gwangmyeong", "start_year": 2026, "horizon": 3},
        "budget": {
            "currency": "KRW",
            "price_year": 2024,
            "monetary_unit": "million",
            "size_class_upper": {"small": 200.0, "medium": 10_000.0},
            "cell": [
                {"sector": "F", "size_class": "small", "method": "negotiated", "amount": 100.0, "local_share": 0.9},
                {"sector": "F", "size_class": "large", "method": "open", "amount": 400.0, "local_share": 0.4},
            ],
        },
        "circuit": {"reinvestment_rate": 0.2},
        "lever": [{"kind": "local_share_target", "sector": "F", "target": 0.6, "ramp_years": 2}],
    }


def write(folder: Path, name: str, document: dict | str) -> Path:
    path = folder / name
    path.write_text(document if isinstance(document, str) else dumps(document), encoding="utf-8")
    return path


def error_of(path: Path, **kwargs) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, sectors=SECTORS, **kwargs)
    message = str(info.value)
    assert message.startswith(str(path.parent)) or message.startswith(str(path.parent.resolve())), message
    assert "\n" not in message
    return message


def test_round_trip_through_toml(tmp_path):
    scenario = load_scenario(write(tmp_path, "s.toml", base_document()), sectors=SECTORS)
    dumped = scenario.model_dump(exclude_none=True)
    again = Scenario.model_validate(tomllib.loads(dumps(dumped)))
    assert again == scenario
    assert list(scenario.scenario.years) == [2026, 2027, 2028]


def test_merge_tables_key_by_key_and_arrays_replace():
    parent = {"a": {"x": 1, "y": {"p": 1, "q": 2}}, "lever": [{"kind": "k1"}, {"kind": "k2"}], "keep": 5}
    child = {"a": {"y": {"q": 3}, "z": 4}, "lever": [{"kind": "k3"}]}
    merged = merge_tables(parent, child)
    assert merged == {"a": {"x": 1, "y": {"p": 1, "q": 3}, "z": 4}, "lever": [{"kind": "k3"}], "keep": 5}
    assert parent["a"]["y"] == {"p": 1, "q": 2}  # inputs untouched


def test_extends_merges_the_parent_and_replaces_levers(tmp_path):
    write(tmp_path, "base.toml", base_document())
    child = {
        "schema_version": 1,
        "extends": "base.toml",
        "scenario": {"id": "child", "title": "Child"},
        "lever": [{"kind": "local_coexistence_plan", "min_local_subcontract_share": 0.3}],
    }
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "child.toml", {**child, "extends": "../base.toml"})
    scenario = load_scenario(tmp_path / "sub" / "child.toml", sectors=SECTORS)
    assert scenario.scenario.id == "child" and scenario.scenario.region == "gwangmyeong"
    assert scenario.budget.cell[1].amount == 400.0
    assert [lever.kind for lever in scenario.lever] == ["local_coexistence_plan"]
    assert "extends" not in load_document(tmp_path / "sub" / "child.toml")


def test_cell_file_resolves_relative_to_the_file_that_names_it(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "cells.csv").write_text(
        "sector,size_class,method,amount,local_share,contracts\nF,small,negotiated,50,0.8,10\nN,medium,open,70,0.3,\n"
    )
    document = base_document()
    del document["budget"]["cell"]
    document["budget"]["cell_file"] = "data/cells.csv"
    write(tmp_path, "base.toml", document)
    (tmp_path / "elsewhere").mkdir()
    write(tmp_path / "elsewhere", "child.toml", {"schema_version": 1, "extends": "../base.toml"})
    scenario = load_scenario(tmp_path / "elsewhere" / "child.toml", sectors=SECTORS)
    assert [(c.sector, c.amount, c.contracts) for c in scenario.budget.cell] == [("F", 50.0, 10), ("N", 70.0, None)]
    assert Path(scenario.budget.cell_file).is_absolute()


def test_child_cells_replace_a_parent_cell_file(tmp_path):
    (tmp_path / "cells.csv").write_text("sector,size_class,method,amount,local_share\nF,small,negotiated,50,0.8\n")
    parent = base_document()
    del parent["budget"]["cell"]
    parent["budget"]["cell_file"] = "cells.csv"
    write(tmp_path, "base.toml", parent)
    cells = base_document()["budget"]["cell"]
    write(tmp_path, "child.toml", {"schema_version": 1, "extends": "base.toml", "budget": {"cell": cells}})
    assert len(load_scenario(tmp_path / "child.toml", sectors=SECTORS).budget.cell) == 2


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["scenario"].update(titel="x"), ["scenario.titel", "unknown key 'titel'", "did you mean 'title'?"]),
        (lambda d: d["lever"][0].update(targt=0.5), ["lever[0].targt", "did you mean 'target'?"]),
        (lambda d: d["budget"].update(amount=1), ["budget.amount", "unknown key", "valid: cell, cell_file"]),
        (lambda d: d["scenario"].update(horizon="3"), ["scenario.horizon", "valid integer", "got '3'"]),
        (lambda d: d["lever"][0].update(target=1.5), ["lever[0].target", "less than or equal to 1", "got 1.5"]),
        (lambda d: d["budget"]["cell"][0].update(local_share=-0.1), ["budget.cell[0].local_share", "got -0.1"]),
        (
            lambda d: d["scenario"].update(mode="agent"),
            ["scenario.mode", "valid: analytic, agents", "did you mean 'agents'?"],
        ),
        (
            lambda d: d["lever"][0].update(kind="set_asid"),
            ["lever[0].kind", "unknown lever kind", "did you mean 'set_aside'?"],
        ),
        (lambda d: d["lever"][0].pop("kind"), ["lever[0].kind", "missing key 'kind'"]),
        (lambda d: d["budget"].pop("currency"), ["budget.currency", "missing required key"]),
        (lambda d: d["budget"]["cell"][1].update(amount=10**400), ["budget.cell[1].amount", "got 1000000"]),
        (
            lambda d: d["budget"]["cell"][1].update(amount=1e300),
            ["budget.cell[1].amount", "less than or equal to 1000000000000000000"],
        ),
        (lambda d: d["budget"]["cell"][1].update(amount=float("inf")), ["budget.cell[1].amount", "finite"]),
        (lambda d: d["scenario"].update(start_year=10**30), ["scenario.start_year", "less than or equal to 2200"]),
        (lambda d: d["budget"]["cell"].append(dict(d["budget"]["cell"][0])), ["budget", "cell[2] repeats sector='F'"]),
        (
            lambda d: d["budget"]["size_class_upper"].update(small=1e5),
            ["budget.size_class_upper", "0 < small < medium"],
        ),
        (lambda d: d.update(schema_version=2), ["schema_version", "unsupported schema version", "got 2"]),
        (lambda d: d["budget"].update(cell=[]), ["budget", "no cells"]),
        (lambda d: d["scenario"].update(id="Has Spaces"), ["scenario.id", "pattern"]),
    ],
)
def test_bad_values_name_the_key_path_value_and_options(tmp_path, change, expected):
    document = base_document()
    change(document)
    message = error_of(write(tmp_path, "bad.toml", document))
    for fragment in expected:
        assert fragment in message, message


def test_unknown_sector_and_region_labels_suggest_the_closest(tmp_path):
    document = base_document()
    document["budget"]["cell"][0]["sector"] = "G64"
    message = error_of(write(tmp_path, "s.toml", document))
    assert "budget.cell[0].sector: unknown sector (got 'G64')" in message and "did you mean 'G46'?" in message
    document = base_document()
    document["lever"][0]["sector"] = "f"
    assert "lever[0].sector" in error_of(write(tmp_path, "l.toml", document))
    assert "did you mean 'F'?" in error_of(write(tmp_path, "l.toml", document))
    document = base_document()
    document["scenario"]["region"] = "gwangmyung"
    assert "did you mean 'gwangmyeong'?" in error_of(write(tmp_path, "r.toml", document))


def test_default_sectors_are_the_korea_2014_codes(tmp_path):
    document = base_document()
    document["budget"]["cell"][0]["sector"] = "construction"
    with pytest.raises(ScenarioError, match=r"unknown sector \(got 'construction'\); valid: A01, A02"):
        load_scenario(write(tmp_path, "s.toml", document))


def test_money_in_a_foreign_currency_is_refused(tmp_path):
    document = base_document()
    document["lever"] = [
        {
            "kind": "set_aside",
            "sector": "F",
            "max_contract_value": {"amount": 1, "unit": "USD"},
            "reserved_for": ["local"],
        }
    ]
    assert "lever[0].max_contract_value.unit: currency differs from the budget's KRW" in error_of(
        write(tmp_path, "s.toml", document)
    )


def test_extends_cycle_missing_parent_and_bad_extends(tmp_path):
    write(tmp_path, "a.toml", {"extends": "b.toml", "schema_version": 1})
    write(tmp_path, "b.toml", {"extends": "a.toml"})
    message = error_of(tmp_path / "a.toml")
    assert "b.toml: extends: extends cycle: a.toml -> b.toml -> a.toml" in message
    write(tmp_path, "self.toml", {"extends": "self.toml"})
    assert "extends cycle" in error_of(tmp_path / "self.toml")
    write(tmp_path, "orphan.toml", {"extends": "nowhere.toml"})
    message = error_of(tmp_path / "orphan.toml")
    assert "extends: parent file not found" in message and "nowhere.toml" in message
    write(tmp_path, "number.toml", {"extends": 3})
    assert "extends: must be the name of one TOML file (got 3)" in error_of(tmp_path / "number.toml")


def test_invalid_toml_missing_file_and_binary(tmp_path):
    message = error_of(write(tmp_path, "broken.toml", "schema_version = 1\n[scenario\n"))
    assert "(file): not a readable TOML file" in message and "line 2" in message
    assert "(file): file not found" in error_of(tmp_path / "absent.toml")
    (tmp_path / "binary.toml").write_bytes(b"\xff\xfe\x00id = 1")
    assert "not a readable TOML file" in error_of(tmp_path / "binary.toml")


def test_set_key_path_replaces_one_value_and_rejects_bad_paths():
    document = base_document()
    changed = set_key_path(document, "lever[0].target", 0.7)
    assert changed["lever"][0]["target"] == 0.7 and document["lever"][0]["target"] == 0.6
    with pytest.raises(ScenarioError, match="did you mean 'target'"):
        set_key_path(document, "lever[0].targe", 0.7)
    with pytest.raises(ScenarioError, match=r"no item \[5\]"):
        set_key_path(document, "lever[5].target", 0.7)


def test_batch_lists_scenarios_and_a_sweep(tmp_path):
    write(tmp_path, "base.toml", base_document())
    batch = {
        "schema_version": 1,
        "baseline": "base.toml",
        "batch": {"id": "b", "title": "B"},
        "sweep": {
            "base": "base.toml",
            "method": "random",
            "draws": 3,
            "seed": 7,
            "parameter": [{"path": "lever[0].target", "low": 0.5, "high": 0.8}],
        },
    }
    path = write(tmp_path, "batch.toml", batch)
    from simengine.scenario import expand_batch, sweep_points

    loaded = load_batch(path)
    scenarios = expand_batch(loaded, sectors=SECTORS)
    assert [s.scenario.id for s in scenarios] == ["base", "base-sweep0000", "base-sweep0001", "base-sweep0002"]
    targets = [s.lever[0].target for s in scenarios[1:]]
    assert all(0.5 <= t <= 0.8 for t in targets) and len(set(targets)) == 3
    assert sweep_points(loaded.sweep) == sweep_points(load_batch(path).sweep)  # seeded
    batch["sweep"]["parameter"][0] = {"path": "lever[0].target", "values": [0.5, 2.0], "low": None}
    del batch["sweep"]["parameter"][0]["low"]
    batch["sweep"].update(method="grid")
    del batch["sweep"]["draws"]
    [result] = validate([write(tmp_path, "bad_batch.toml", batch)], sectors=SECTORS)
    assert not result.ok and "lever[0].target" in result.error and "got 2.0" in result.error


def test_batch_errors(tmp_path):
    write(tmp_path, "base.toml", base_document())
    batch = {"schema_version": 1, "baseline": "base.toml", "batch": {"id": "b", "title": "B", "baseline": "x"}}
    with pytest.raises(ScenarioError, match=r"batch\.baseline: unknown key 'baseline'"):
        load_batch(write(tmp_path, "batch.toml", batch))
    batch = {"schema_version": 1, "baseline": "base.toml", "batch": {"id": "b", "title": "B"}}
    batch["sweep"] = {
        "base": "base.toml",
        "method": "random",
        "parameter": [{"path": "lever[0].target", "values": [1]}],
    }
    with pytest.raises(ScenarioError, match="sweep: a random sweep needs draws"):
        load_batch(write(tmp_path, "batch.toml", batch))
