"""Page one of the report answers the question; large batches are summarised; numbers and years read well.

Page one names the first-ranked package under the objective, its margin over the second, its
cost and gain, how sure (the share of Monte Carlo draws it ranks first in, where draws exist),
and the transfer from other regions; every figure there equals
:func:`simengine.report.indicators.headline_indicators`.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import xarray as xr
from factories import synthetic_result
from hypothesis import given, settings
from hypothesis import strategies as st

from simengine.report import build_report, load_labels
from simengine.report.content import TOP_N, rank_probabilities, report_data
from simengine.report.figures import ranking_figure, region_figure, time_figure
from simengine.report.indicators import headline_indicators
from simengine.report.numbers import GROUP, number_text, value_text
from simengine.runner import run_scenarios

ROOT = Path(__file__).resolve().parents[1]


def batch(count: int, draws: int | None = None) -> xr.Dataset:
    parts = [synthetic_result("baseline", draws=draws)]
    parts += [
        synthetic_result(f"p{k:04d}", seed=k + 1, local_share=0.61 + 0.3 * k / count, cost_premium=5.0 + k, draws=draws)
        for k in range(count)
    ]
    return xr.concat(parts, dim="scenario")


def lead_text(page: str) -> str:
    section = re.search(r'<section id="lead">(.*?)</section>', page, re.S).group(1)
    return html.unescape(re.sub(r"<[^>]+>", "", section.split('<p class="note">')[0]))


def test_page_one_names_the_first_package_its_margin_cost_and_transfer():
    results = batch(3)
    page = build_report(results)
    table = headline_indicators([results])
    ranked = sorted(
        (s for s in table["scenario"].values if s != "baseline"), key=lambda s: int(table["rank"].sel(scenario=s))
    )
    first, second = ranked[:2]
    text = lead_text(page)
    value = float(table["net_present_benefit"].sel(scenario=first))
    margin = value - float(table["net_present_benefit"].sel(scenario=second))
    assert table.attrs["objective"] == "local_value_added"
    assert text.startswith(f"The answer{first} ranks first by net present benefit in local value added: "
                           f"{value_text(value, 'money')} KRW million.")  # fmt: skip
    assert f"That is {value_text(margin, 'money')} KRW million more than {second}" in text
    cost = float(table["pv_delta_cost"].sel(scenario=first))
    ratio = float(table["benefit_cost_ratio"].sel(scenario=first))
    assert f"it costs {value_text(cost, 'money')} KRW million above the baseline" in text
    assert f"returns {value_text(ratio, 'ratio')} of local value added per won" in text
    moved = float(table["delta_other_regions_value_added"].sel(scenario=first))
    national = float(table["delta_national_value_added"].sel(scenario=first))
    assert f"other regions' value added changes by {value_text(moved, 'money', sign=True)} KRW million" in text
    assert f"the country's by {value_text(national, 'money', sign=True)} KRW million" in text
    assert "one deterministic run" in text
    assert page.index('id="lead"') < page.index('id="summary"')


def test_page_one_says_how_much_of_the_local_gain_is_a_transfer():
    """Share of the local gain taken from other regions = -Δ other regions' VA / Δ local VA
    (here other regions lose a quarter of what the city gains, so the share is 25%)."""
    results = batch(3)
    local = results["local_value_added"].sum("sector")
    results["other_regions_value_added"] = (-0.25 * local).assign_attrs(results["other_regions_value_added"].attrs)
    results["national_value_added"] = (0.75 * local).assign_attrs(results["national_value_added"].attrs)
    table = headline_indicators([results])
    first = min(
        (s for s in table["scenario"].values if s != "baseline"), key=lambda s: int(table["rank"].sel(scenario=s))
    )
    gain = float(table["delta_local_value_added"].sel(scenario=first))
    moved = float(table["delta_other_regions_value_added"].sel(scenario=first))
    assert gain > 0 and moved == pytest.approx(-0.25 * gain)
    text = lead_text(build_report(results))
    assert "so 25.0% of the local gain is taken from other regions" in text


def test_page_one_says_when_packages_tie_for_first():
    parts = [synthetic_result("baseline"), synthetic_result("a", seed=3, local_share=0.7, cost_premium=2.0)]
    # c gains less and costs more, so a and b (identical) tie for first by net present benefit
    parts += [synthetic_result("b", seed=3, local_share=0.7, cost_premium=2.0)]
    parts += [synthetic_result("c", seed=4, local_share=0.5, cost_premium=50.0)]
    text = lead_text(build_report(xr.concat(parts, dim="scenario")))
    assert "2 packages share this value" in text and "more than" not in text


def test_with_draws_page_one_says_how_often_the_first_ranks_first():
    results = batch(3, draws=6)
    data = report_data(results)
    first = min((s for s in data.scenarios if s != "baseline"), key=lambda s: int(data.table["rank"].sel(scenario=s)))
    text = lead_text(build_report(results))
    share = value_text(float(data.rank_first.sel(scenario=first)), "share")
    assert f"it ranks first in {share} of 6 Monte Carlo draws" in text


@settings(max_examples=10, deadline=None)
@given(st.integers(2, 6), st.integers(1, 5), st.integers(0, 1000))
def test_rank_probabilities_sum_to_one_over_packages(count, draws, seed):
    parts = [synthetic_result("baseline", draws=draws, seed=seed)]
    parts += [
        synthetic_result(f"p{k}", seed=seed + k + 1, local_share=0.62 + 0.01 * k, cost_premium=1.0 + k, draws=draws)
        for k in range(count)
    ]
    shares = rank_probabilities(xr.concat(parts, dim="scenario"), "baseline")
    assert float(shares.sel(scenario="baseline")) == 0.0
    assert float(shares.sum()) == pytest.approx(1.0, abs=1e-12)


def test_a_large_batch_is_summarised_never_one_bar_per_scenario():
    results = batch(1201)
    results["scenario_hash"] = ("scenario", [f"{k:016x}" for k in range(results.sizes["scenario"])])
    data = report_data(results)
    labels = load_labels("en")
    ranking = ranking_figure(data, labels)
    bars, histogram = ranking.axes
    assert len(bars.patches) == TOP_N and len(histogram.patches) <= 40
    assert len(region_figure(data, labels).axes[0].patches) <= 2 * 4
    page = build_report(results)
    main_rows = re.search(r'<table id="comparison-table".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    assert main_rows.count("<tr>") == TOP_N + 1
    assert "1191 more scenarios" in page
    assert page.count("Scenario hash (") == TOP_N + 1
    assert "The best 5 of 1201 packages" in page
    assert len(page) < 3_000_000


def test_time_axes_are_calendar_years_and_ticks_have_no_offsets():
    scenarios = [ROOT / "scenarios" / "gwangmyeong_baseline.toml", ROOT / "scenarios" / "construction_local60.toml"]
    labels = load_labels("en")
    for time_unit in ("year", "month"):
        data = report_data(xr.concat(run_scenarios(scenarios, time_unit=time_unit), dim="scenario"))
        figure = time_figure(data, labels)
        x = figure.axes[0].lines[0].get_xdata()
        assert x[0] == 2026 and x[-1] == (2030 if time_unit == "year" else 2030 + 11 / 12)
        figure.canvas.draw()
        for ax in figure.axes:
            ticks = [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
            assert not any("e+" in t or "e-" in t or "×" in t for t in ticks), ticks
            assert ax.yaxis.get_offset_text().get_text() == "" and ax.xaxis.get_offset_text().get_text() == ""
        years = [t.get_text() for t in figure.axes[0].get_xticklabels() if t.get_text()]
        assert years and all(re.fullmatch(r"20[23]\d", year) for year in years), years


def test_numbers_group_digits_with_a_space_never_a_comma_or_a_point():
    assert number_text(1234567.891, 1) == f"1{GROUP}234{GROUP}567.9"
    assert value_text(-30604.2, "money", sign=True) == f"-30{GROUP}604"
    assert value_text(0.655, "share") == "65.5%" and value_text(0.012, "share", sign=True) == "+1.2 pp"
    page = build_report(batch(3))
    numbers = re.findall(r'data-value="[^"]+">([^<]+)</td>', page)
    assert numbers and not any(re.search(r"\d,\d", n) for n in numbers)


def test_the_korean_report_is_in_korean():
    results = batch(3, draws=3)
    page = build_report(results, lang="ko")
    for english in ("The answer", "Rank", "KRW million", "How sure", "Summary", "ranks first", "analytic"):
        assert english not in page, english
    assert "결론" in page and "백만 원" in page and "1위" in page
    text = lead_text(page)
    assert re.search("[\uac00-\ud7a3]", text)


PDF_TOOLS = shutil.which("chromium") and shutil.which("pdftotext")


@pytest.mark.skipif(not PDF_TOOLS, reason="needs chromium and pdftotext (apt-get install -y chromium poppler-utils)")
def test_printed_report_puts_the_answer_on_page_one(tmp_path):
    page = build_report(batch(12))
    html = tmp_path / "report.html"
    html.write_text(page, encoding="utf-8")
    pdf = tmp_path / "report.pdf"
    command = [
        shutil.which("chromium"), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}", "--no-pdf-header-footer", f"--print-to-pdf={pdf}", html.as_uri(),
    ]  # fmt: skip
    subprocess.run(command, capture_output=True, timeout=120, check=False)
    assert pdf.is_file()
    first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "The answer" in first and "ranks first by" in first and "Transfer from other regions" in first
    assert "1. Summary" not in first  # the details start on a new page
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", pages).group(1)) < 20


def test_the_notes_results_carry_read_in_korean_in_a_korean_report():
    """Every note a shipped region attaches to its results (employment basis, structure warning)
    has Korean wording, so the Korean report's provenance is in Korean."""
    from simengine.datasets.regions import EMPLOYMENT_BASIS, GWANGMYEONG_STRUCTURE_WARNING

    notes = load_labels("ko").tables["notes"]
    for text in (EMPLOYMENT_BASIS, GWANGMYEONG_STRUCTURE_WARNING):
        assert re.search("[\uac00-\ud7a3]", notes[text]), text
    results = synthetic_result().assign_attrs(employment_basis=EMPLOYMENT_BASIS)
    page = build_report(results, lang="ko")
    assert notes[EMPLOYMENT_BASIS] in page and EMPLOYMENT_BASIS not in page
