"""The planner page's server side (``simengine serve``), through Starlette's test client.

Lever controls come from one catalogue of the schema, figures from one indicator function; the
page's messages are the command line's; downloads validate and reproduce; uploads are bounded.
"""

from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from simengine.levers import CELL_LEVER_KINDS, CIRCUIT_LEVER_KINDS
from simengine.planner import Workspace, create_app
from simengine.planner.documents import baseline_document, load_package, toml_text
from simengine.planner.workspace import MAX_UPLOAD_BYTES
from simengine.report.catalogue import lever_kinds
from simengine.report.indicators import INDICATORS, headline_indicators
from simengine.report.labels import load_labels
from simengine.results import compare
from simengine.runner import run_scenario
from simengine.scenario import load_scenario

pytest.importorskip("httpx2", reason="the test client needs httpx2 (pip install '.[test]')")
from starlette.testclient import TestClient  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "gwangmyeong_baseline.toml"


@pytest.fixture(scope="module")
def client():
    workspace = Workspace(ROOT / "scenarios")
    return TestClient(create_app(workspace)), workspace


def _form(target: str = "0.7", package_id: str = "p1") -> dict:
    return {
        "package-id": package_id,
        "package-title": "t",
        "lever-0-kind": "local_share_target",
        "lever-0-sector": "F",
        "lever-0-size_class": "large",
        "lever-0-target": target,
    }


def test_catalogue_lists_every_lever_kind_with_bounds_from_the_schema():
    kinds = {k.kind: k for k in lever_kinds("en")}
    assert list(kinds) == [*CELL_LEVER_KINDS, *CIRCUIT_LEVER_KINDS]
    target = kinds["local_share_target"].field("target")
    assert (target.kind, target.minimum, target.maximum, target.required) == ("share", 0.0, 1.0, True)
    discount = kinds["bid_price_preference"].field("discount")
    assert (discount.minimum, discount.maximum) == (0.0, 0.5)
    assert kinds["set_aside"].field("reserved_for").choices == ("local", "local_sme", "sme", "social_economy")
    assert kinds["contract_unbundling"].field("response.uptake").advanced


def test_korean_catalogue_is_korean_for_every_kind_and_setting():
    hangul = re.compile("[\uac00-\ud7a3]")
    for kind in lever_kinds("ko"):
        assert hangul.search(kind.label) and hangul.search(kind.meaning), kind.kind
        for setting in kind.fields:
            assert hangul.search(setting.label) and hangul.search(setting.meaning), (kind.kind, setting.path)
            assert setting.unit == "" or hangul.search(setting.unit), (kind.kind, setting.path)


def test_indicators_follow_compare_and_carry_kinds_and_roles():
    base, package = run_scenario(BASELINE), run_scenario(ROOT / "scenarios" / "construction_local60.toml")
    table = headline_indicators([base, package])
    assert list(table.data_vars) == [name for name, _, _ in INDICATORS]
    objective = base.attrs["objective"]
    assert table.attrs["objective"] == objective == "resident_income"
    compared = compare([base, package])
    for name, variable in (("net_present_benefit", f"npb_{objective}"), ("benefit_cost_ratio", f"bcr_{objective}")):
        assert table[name].values.tolist() == compared[variable].values.tolist()
    levels = compared["other_regions_value_added"]
    moved = float(levels.isel(scenario=1) - levels.isel(scenario=0))
    assert float(table["delta_other_regions_value_added"].isel(scenario=1)) == moved < 0
    assert table["delta_other_regions_value_added"].attrs["role"] == "displacement"
    national = float(table["delta_national_value_added"].isel(scenario=1))
    assert national == float(compared["delta_national_value_added"].isel(scenario=1))
    fiscal = headline_indicators([base, package], objective="fiscal")
    assert fiscal.attrs["objective"] == "fiscal"
    assert fiscal["net_present_benefit"].values.tolist() == compared["npb_fiscal"].values.tolist()


@settings(max_examples=30, deadline=None)
@given(
    st.dictionaries(
        st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True),
        st.one_of(
            st.integers(-(2**60), 2**60),
            st.floats(allow_nan=False, allow_infinity=False),
            st.text(max_size=20),
            st.booleans(),
            st.lists(st.integers(0, 9), max_size=3),
        ),
        max_size=5,
    )
)
def test_toml_text_round_trips(table):
    document = {
        "schema_version": 1,
        "scenario": table,
        "lever": [dict(table), {"money": {"amount": 1.5, "unit": "KRW"}}],
    }
    document["lever"] = [lever for lever in document["lever"] if lever]
    assert tomllib.loads(toml_text(document)) == document


def test_baseline_document_round_trips_to_the_same_scenario():
    scenario = load_scenario(ROOT / "scenarios" / "small_contracts.toml")
    assert load_package(toml_text(baseline_document(scenario)), "copy.toml") == scenario


def test_page_shows_the_baseline_and_the_catalogue(client):
    http, _ = client
    page = http.get("/?lang=en").text
    assert 'id="cells"' in page and "Construction (F)" in page
    assert page.count("<option value=") >= len(lever_kinds("en"))
    korean = http.get("/?lang=ko").text
    assert "기준 시나리오" in korean and "지역업체 수주 비율 목표" in korean
    assert "https://" not in korean.split("</head>")[0]  # nothing from a network in the head
    http.get("/?lang=en")


def test_evaluate_equals_run_scenario_and_errors_are_the_cli_messages(client, tmp_path):
    http, workspace = client
    html = http.post("/evaluate", data=_form("0.7")).text
    shown = float(re.search(r'data-indicator="local_value_added">.*?data-value="([^"]+)"', html).group(1))
    path = tmp_path / "p1.toml"
    path.write_text(workspace.package_text(workspace.draft), encoding="utf-8")
    assert shown == float(run_scenario(path)["local_value_added"].sum())
    for bad, expected in (
        ("1.6", "p1.toml: lever[0].target: Input should be less than or equal to 1 (got 1.6)"),
        ("abc", "p1.toml: lever[0].target: Input should be a valid number"),
    ):
        html = http.post("/evaluate", data=_form(bad)).text
        message = re.search(r'id="error-lever-0-target" role="alert" hx-swap-oob="true">([^<]*)<', html).group(1)
        assert message.startswith(expected), message
    unknown = {**_form(), "lever-0-sector": "FF"}
    html = http.post("/evaluate", data=unknown).text
    assert "p1.toml: lever[0].sector: unknown sector (got &#x27;FF&#x27;)" in html


def test_saved_packages_rank_and_download_files_the_cli_reproduces(client, tmp_path):
    http, _ = client
    http.post("/packages/save", data=_form("0.7", "local70"))
    page = http.post("/packages/save", data=_form("0.9", "local90")).text
    assert page.index('data-package="local70"') > 0 and page.index('data-package="local90"') > 0
    text = http.get("/packages/local90.toml").text
    path = tmp_path / "local90.toml"
    path.write_text(text, encoding="utf-8")
    from simengine.cli import main

    assert CliRunner().invoke(main, ["validate", str(path)]).exit_code == 0
    result = CliRunner().invoke(main, ["run", str(path)])
    assert result.exit_code == 0, result.output
    assert http.get("/packages/missing.toml").status_code == 404
    bad_id = http.post("/packages/save", data=_form("0.7", "Bad Id")).text
    assert "package id &#x27;Bad Id&#x27;" in bad_id
    report = http.get("/report.html?lang=ko")
    assert report.status_code == 200 and "local90" in report.text


def test_uploads_are_checked_and_bounded(client, tmp_path):
    http, workspace = client
    page = http.post("/upload/scenario", files={"file": ("bad.toml", b"schema_version = 1\n[scenario\n")}).text
    assert re.search(r'id="error-upload-scenario" role="alert">bad.toml: ', page)
    big = b"#" * (MAX_UPLOAD_BYTES + 1)
    page = http.post("/upload/scenario", files={"file": ("big.toml", big)}).text
    assert "the limit is 5" in page
    page = http.post("/upload/scenario", files={"file": ("binary.toml", b"\xff\xfe\x00")}).text
    assert "binary.toml: not a UTF-8 text file" in page
    good = toml_text(baseline_document(load_scenario(BASELINE))).replace("gwangmyeong-baseline", "my-baseline", 1)
    page = http.post("/upload/scenario", files={"file": ("mine.toml", good.encode())}).text
    assert workspace.baseline_id == "my-baseline" and 'value="my-baseline" selected' in page
    register = ROOT / "simengine" / "datasets" / "raw" / "gwangmyeong-register-synthetic"
    csv = (register / "gwangmyeong_register_synthetic.csv").read_bytes()
    page = http.post("/upload/register", files={"file": ("register.csv", csv)}).text
    assert 'id="spend"' in page and "construction" in page
    page = http.post("/upload/register", files={"file": ("r.csv", b"contract_id\nA\n")}).text
    assert "r.csv: missing required columns" in page
    http.post("/baseline", data={"baseline": "gwangmyeong-baseline"})


def test_labels_of_the_page_exist_in_both_languages():
    english, korean = load_labels("en").tables["page"], load_labels("ko").tables["page"]
    assert english.keys() == korean.keys()


def test_money_errors_sit_next_to_their_setting_and_odd_forms_do_not_crash(client):
    http, _ = client
    form = {
        "package-id": "p",
        "lever-0-kind": "set_aside",
        "lever-0-sector": "F",
        "lever-0-max_contract_value": "1e400",
    }
    html = http.post("/evaluate", data=form).text
    message = re.search(r'id="error-lever-0-max_contract_value" role="alert" hx-swap-oob="true">([^<]*)<', html)
    assert message.group(1).startswith("p.toml: lever[0].max_contract_value.amount: Input should be a finite number")
    odd = {"lever-x-kind": "local_share_target", "lever-0-kind": "no-such-lever", "lever-99999-kind": "set_aside"}
    assert http.post("/levers/remove?position=abc", data=odd).status_code == 200
    assert http.post("/evaluate", data=odd).status_code == 200


@functools.cache
def _shared_client() -> TestClient:
    return TestClient(create_app(Workspace(ROOT / "scenarios")))


@settings(max_examples=25, deadline=None)
@given(
    st.sampled_from([k.kind for k in lever_kinds("en")]),
    st.dictionaries(st.sampled_from(["sector", "target", "share", "discount", "weight", "ramp_years", "start_year",
                                     "rate", "method", "size_class", "lot_threshold", "response.uptake"]),
                    st.one_of(st.text(max_size=12), st.floats(allow_nan=True).map(repr)), max_size=4),
)  # fmt: skip
def test_no_form_input_breaks_the_page(kind, values):
    """Whatever a planner types, the page answers with figures, with the loader's messages (naming
    the file) or with the runner's (naming the scenario: e.g. a reinvestment programme whose
    ``channel`` an analytic run cannot evaluate), as ``simengine run`` prints them."""
    http = _shared_client()
    form = {"package-id": "p", "lever-0-kind": kind, **{f"lever-0-{k}": v for k, v in values.items()}}
    response = http.post("/evaluate", data=form)
    assert response.status_code == 200
    assert 'id="indicators"' in response.text or "p.toml: " in response.text or "scenario p: " in response.text


def test_serve_is_a_command_bound_to_this_machine_by_default():
    from simengine.cli import main

    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0 and "127.0.0.1" in result.output and "--scenarios" in result.output
    assert "serve" in CliRunner().invoke(main, ["--help"]).output


def test_without_scenario_files_the_page_asks_for_an_upload():
    http = TestClient(create_app(Workspace(None)))
    page = http.get("/?lang=en").text
    assert "No scenario files found" in page and 'id="package"' not in page
    text = toml_text(baseline_document(load_scenario(BASELINE)))
    page = http.post("/upload/scenario", files={"file": ("base.toml", text.encode())}).text
    assert 'id="package"' in page and 'id="cells"' in page


def test_downloads_carry_the_objective_the_page_ranks_by_and_the_cli_ranks_with_it(tmp_path):
    """A package ranked under a chosen objective downloads with that ``[appraisal] objective``, the
    baseline too, so ``simengine compare`` of the files (and of ``simengine run``'s results) ranks
    as the page does, with the same figures."""
    from simengine.cli import main
    from simengine.results import load_result

    workspace = Workspace(ROOT / "scenarios")
    http = TestClient(create_app(workspace))
    for target, package_id in (("0.7", "local70"), ("0.95", "local95")):
        http.post("/packages/save", data={**_form(target, package_id), "objective": "fiscal"})
    assert workspace.objective == "fiscal" != workspace.baseline.appraisal.objective
    page = http.get("/").text
    assert 'data-objective="fiscal"' in page and f'href="/packages/{workspace.baseline_id}.toml"' in page
    files = []
    for scenario_id in (workspace.baseline_id, "local70", "local95"):
        text = http.get(f"/packages/{scenario_id}.toml").text
        assert tomllib.loads(text)["appraisal"]["objective"] == "fiscal", scenario_id
        path = tmp_path / f"{scenario_id}.toml"
        path.write_text(text, encoding="utf-8")
        files.append(path)
        assert CliRunner().invoke(main, ["validate", str(path)]).exit_code == 0
    page_ranks = {p: int(workspace.comparison()["rank"].sel(scenario=p)) for p in ("local70", "local95")}
    table = tmp_path / "ranking.csv"
    ranked = CliRunner().invoke(main, ["compare", *map(str, files), "-o", str(table)])
    assert ranked.exit_code == 0, ranked.output
    assert "NPB (fiscal)" in ranked.output
    import pandas as pd

    frame = pd.read_csv(table, index_col="scenario")
    assert {p: int(frame.loc[p, "rank"]) for p in page_ranks} == page_ranks
    results = []
    for path in files:
        out = tmp_path / f"{path.stem}.nc"
        assert CliRunner().invoke(main, ["run", str(path), "-o", str(out)]).exit_code == 0
        results.append(load_result(out))
    assert all(result.attrs["objective"] == "fiscal" for result in results)
    by_cli = compare(results)
    assert by_cli.attrs["objective"] == "fiscal"
    for package_id in page_ranks:
        assert int(by_cli["rank"].sel(scenario=package_id)) == page_ranks[package_id]
        assert float(by_cli["npb_fiscal"].sel(scenario=package_id)) == float(
            workspace.comparison()["net_present_benefit"].sel(scenario=package_id)
        )


def test_a_reinvestment_programme_starts_on_the_channel_the_page_can_evaluate():
    """The page runs analytic mode, which refuses a reinvestment programme's default capacity
    channel: a new card starts on ``channel = "demand"`` and evaluates; choosing the capacity
    channel gets the runner's own message, which names the fix."""
    workspace = Workspace(ROOT / "scenarios")
    http = TestClient(create_app(workspace))
    base = {"package-id": "reinvest", "package-title": "t"}
    panel = http.post("/levers/add", data={**base, "new-kind": "reinvestment_programme"}).text
    assert re.search(r'<select name="lever-0-channel" id="lever-0-channel">.*?<option value="demand" selected>', panel)
    assert workspace.draft.levers == [{"kind": "reinvestment_programme", "channel": "demand"}]
    form = {**base, "lever-0-kind": "reinvestment_programme", "lever-0-rate": "0.5", "lever-0-channel": "demand"}
    html = http.post("/evaluate", data=form).text
    assert 'id="indicators"' in html, html[:500]
    text = workspace.package_text(workspace.draft)
    assert tomllib.loads(text)["lever"][-1] == {"kind": "reinvestment_programme", "rate": 0.5, "channel": "demand"}
    capacity = http.post("/evaluate", data={**form, "lever-0-channel": "capacity"}).text
    assert 'id="indicators"' not in capacity and "channel = &#x27;demand&#x27;" in capacity
