"""The planner report: numbers come from the results, sections and charts, offline, Korean, CLI."""

from __future__ import annotations

import base64
import io
import json
import re
from html.parser import HTMLParser

import pytest
import xarray as xr
from click.testing import CliRunner
from factories import synthetic_result
from fontTools.ttLib import TTFont

from simengine.cli import main
from simengine.errors import DataError
from simengine.report import build_report, load_labels, write_report
from simengine.report.fonts import FONT_FAMILY, FONT_PATH, font_face_css
from simengine.report.html import HEADLINE_FIGURES
from simengine.results import compare, headline, headline_set, save_result

SECTORS = ("F", "G47", "N", "O84")
LEVERS = [
    {"kind": "local_share_target", "sector": "F", "target": 0.6, "ramp_years": 2},
    {"kind": "set_aside", "sector": "F", "max_contract_value": 200_000_000, "reserved_for": ["local_sme"]},
]


def comparison_batch(draws=None, periods=6):
    """Baseline and two levers, monthly, optionally with Monte Carlo draws."""
    settings = dict(periods=periods, time_unit="month", draws=draws)
    return xr.concat(
        [
            synthetic_result("baseline", **settings),
            synthetic_result("local60", seed=1, local_share=0.7, cost_premium=10.0, **settings),
            synthetic_result("set-aside", seed=2, local_share=0.65, cost_premium=5.0, **settings),
        ],
        dim="scenario",
    )


class _Cells(HTMLParser):
    """Collects every element's attributes and text, by tag."""

    def __init__(self):
        super().__init__()
        self.elements: list[tuple[str, dict, list[str]]] = []
        self._open: list[list[str]] = []

    def handle_starttag(self, tag, attrs):
        text: list[str] = []
        self.elements.append((tag, dict(attrs), text))
        if tag not in ("meta", "br", "img", "path", "rect", "use", "stop", "line", "polyline", "circle"):
            self._open.append(text)

    def handle_endtag(self, tag):
        if self._open:
            self._open.pop()

    def handle_data(self, data):
        for text in self._open:
            text.append(data)


def parse(page: str) -> list[tuple[str, dict, str]]:
    parser = _Cells()
    parser.feed(page)
    return [(tag, attrs, "".join(text)) for tag, attrs, text in parser.elements]


@pytest.fixture(scope="module")
def batch():
    return comparison_batch(draws=4)


@pytest.fixture(scope="module")
def page(batch):
    return build_report(batch, descriptions={"local60": {"title": "Construction 60% local", "levers": LEVERS}})


def test_headline_cells_equal_the_results(batch, page):
    figures = headline(batch)
    cells = [(a, text) for tag, a, text in parse(page) if tag == "td" and "data-figure" in a]
    in_headline = [(a, text) for a, text in cells if a["data-figure"] in dict(HEADLINE_FIGURES)]
    assert len(in_headline) >= len(HEADLINE_FIGURES) * 3
    for attrs, text in in_headline:
        expected = float(figures[attrs["data-figure"]].sel(scenario=attrs["data-scenario"]))
        assert float(attrs["data-value"]) == expected
        if attrs["data-figure"] == "local_output":
            assert text == f"{expected:,.0f}".replace(",", "\u00a0") if expected >= 1000 else f"{expected:.1f}"
        if attrs["data-figure"] == "local_award_share":
            assert text == f"{expected:.1%}"


def test_comparison_table_equals_compare(batch, page):
    table = compare([batch])
    shown = {name for name, _, _, kind in headline_set(table) if kind != "rank"}
    rows = [(a, text) for tag, a, text in parse(page) if tag == "td" and a.get("data-figure") in shown]
    assert {a["data-figure"] for a, _ in rows} == shown
    for attrs, _ in rows:
        assert float(attrs["data-value"]) == float(table[attrs["data-figure"]].sel(scenario=attrs["data-scenario"]))
    ranks = [
        int(a["data-value"])
        for tag, a, text in parse(page)
        if tag == "td" and text.isdigit() and "data-figure" not in a
    ]
    assert ranks == [1, 2, 3]


def test_every_section_and_chart_is_present(page):
    elements = parse(page)
    ids = {a.get("id") for _, a, _ in elements}
    assert {"summary", "flows", "sectors", "comparison", "time-paths", "headline-table", "comparison-table"} <= ids
    charts = {a["data-chart"] for tag, a, _ in elements if tag == "figure"}
    assert charts == {"flows_local60", "flows_set-aside", "sectors", "regions", "ranking", "time_paths"}
    assert page.count("<svg") == len(charts)
    assert "Construction 60% local" in page
    assert "Local award share target: sector Construction (F), target 0.6, ramp (years) 2" in page
    assert "Monte Carlo" in page


def test_the_page_needs_no_network(page):
    references = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)|url\(\s*["']?([^)"']*)""", page)
    targets = [a or b for a, b in references]
    assert targets, "the page should at least embed its font"
    assert all(t.startswith(("#", "data:")) for t in targets), [
        t[:40] for t in targets if not t.startswith(("#", "data:"))
    ]
    assert "<link" not in page and "@import" not in page


def _embedded_font(page: str) -> TTFont:
    data = re.search(r"url\(data:font/woff;base64,([A-Za-z0-9+/=]+)\)", page).group(1)
    return TTFont(io.BytesIO(base64.b64decode(data)))


@pytest.fixture(scope="module")
def korean_page():
    batch = comparison_batch(periods=1)
    batch["scenario_title"] = ("scenario",), ["Base", "Sixty", "Aside"]
    batch["scenario_levers"] = ("scenario",), ["[]", json.dumps(LEVERS[:1]), json.dumps(LEVERS[1:])]
    return build_report(batch, lang="ko")


def test_korean_report_has_korean_labels_and_a_font_that_draws_them(korean_page):
    page = korean_page
    assert '<html lang="ko">' in page
    assert "건설업 (F)" in page and "요약" in page and "주요 지표" in page
    cmap = _embedded_font(page).getBestCmap()
    hangul = {c for c in page if "\uac00" <= c <= "\ud7a3"}
    assert hangul and all(ord(c) in cmap for c in hangul)
    assert f"font-family: '{FONT_FAMILY}'" in page


def test_shipped_font_covers_every_hangul_syllable_under_its_own_name():
    font = TTFont(FONT_PATH)
    cmap = font.getBestCmap()
    assert all(code in cmap for code in range(0xAC00, 0xD7A4))
    assert all(code in cmap for code in range(0x20, 0x7F))
    families = {n.toUnicode() for n in font["name"].names if n.nameID in (1, 4, 6, 16)}
    assert not any("Nanum" in name or "나눔" in name for name in families)  # OFL Reserved Font Name
    assert len(font_face_css("건설업")) < 60_000


def test_labels_have_the_same_keys_in_both_languages():
    """Korean alone carries lever meanings and the wording of English notes results carry: English reads
    them from the schema's descriptions and the results."""
    english, korean = load_labels("en").tables, load_labels("ko").tables
    assert english.keys() == korean.keys() - {"lever_meanings", "lever_field_meanings", "notes"}
    for group in english:
        assert english[group].keys() == korean[group].keys(), group
    with pytest.raises(DataError, match="choose one of"):
        load_labels("fr")


def test_static_single_scenario_report_says_there_is_nothing_to_compare():
    page = build_report(synthetic_result("only"))
    labels = load_labels("en")
    assert labels.ui("comparison_single") in page and labels.ui("time_paths_static") in page
    assert {a["data-chart"] for tag, a, _ in parse(page) if tag == "figure"} == {"flows_only", "sectors", "regions"}


def test_descriptions_are_read_from_variables_of_a_batch(korean_page):
    assert "Aside" in korean_page and "지역업체 제한 입찰" in korean_page


def test_bad_descriptions_are_one_clear_error():
    with pytest.raises(DataError, match="not in the results"):
        build_report(synthetic_result("a"), descriptions={"b": {"title": "x"}})
    broken = synthetic_result("a")
    broken.attrs["scenario_levers"] = "[{not json"
    with pytest.raises(DataError, match="not valid JSON"):
        build_report(broken)


def test_write_report_writes_page_and_figures_atomically(tmp_path):
    """Two single-scenario results; the second describes itself in its attributes."""
    single = synthetic_result("local60", seed=1, local_share=0.7, cost_premium=10.0)
    single.attrs.update(scenario_title="Sixty percent local", scenario_levers=json.dumps(LEVERS[:1]))
    out = tmp_path / "report.html"
    write_report([synthetic_result("baseline"), single], out, figures_dir=tmp_path / "figures")
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "Sixty percent local" in page and "Local award share target" in page
    names = sorted(p.name for p in (tmp_path / "figures").iterdir())
    stems = ["flows_local60", "ranking", "regions", "sectors"]
    assert names == sorted(f"{s}.{ext}" for s in stems for ext in ("png", "svg"))
    assert (tmp_path / "figures" / "sectors.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<text" not in (tmp_path / "figures" / "sectors.svg").read_text()  # glyphs as paths: opens anywhere
    with pytest.raises(DataError, match="--overwrite"):
        write_report(synthetic_result(), out)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_cli_report_compares_files_and_reports_bad_input(tmp_path):
    runner = CliRunner()
    base, lever = tmp_path / "base.nc", tmp_path / "lever.nc"
    save_result(synthetic_result("baseline"), base)
    save_result(synthetic_result("local60", seed=1, local_share=0.8, cost_premium=20.0), lever)
    out = tmp_path / "r.html"
    result = runner.invoke(main, ["report", str(base), str(lever), "-o", str(out), "--lang", "ko"])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert 'data-chart="ranking"' in page and "건설업" in page
    again = runner.invoke(main, ["report", str(base), "-o", str(out)])
    assert again.exit_code == 1 and again.output.count("\n") == 1 and "--overwrite" in again.output
    not_result = tmp_path / "x.nc"
    not_result.write_text("hello")
    bad = runner.invoke(main, ["report", str(not_result), "-o", str(tmp_path / "y.html")])
    assert bad.exit_code == 1 and bad.output.startswith("error:") and bad.output.count("\n") == 1
    assert not (tmp_path / "y.html").exists()
