"""The report's ranking under uncertainty: rank shares, intervals and distributions of at most TOP_N
packages whatever the number of draws and packages, numbers equal to the summary, Korean, page one;
and the per-draw figures of results with Monte Carlo draws, all draws at once."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from factories import synthetic_result
from test_report import parse

from simengine.errors import DataError
from simengine.report import build_report, load_labels
from simengine.report.content import (
    BAND_PERCENTILES,
    TOP_N,
    objective_variable,
    rank_probabilities,
    report_data,
    uncertainty_figures,
)
from simengine.report.figures import distribution_figure, interval_figure, rank_probability_figure
from simengine.report.indicators import headline_indicators
from simengine.report.numbers import value_text
from simengine.results import compare
from simengine.runner import run_batch
from simengine.uncertainty import comparison_scenarios, uncertainty_summary

BATCH = Path(__file__).resolve().parents[1] / "scenarios" / "batch_gwangmyeong.toml"
#: Words of the new section (labels ``ui``) that must appear translated in the Korean report.
SECTION_KEYS = ("uncertainty", "uncertainty_sensitivity", "p_first", "parameter", "prior_range", "rank_lower")


@pytest.fixture(scope="module")
def main_job():
    """The shipped main job (12 scenarios: 11 packages, more than TOP_N) and its ranking under 200 draws."""
    results = run_batch(BATCH).results
    scenarios, _, seed = comparison_scenarios([BATCH])
    return results, uncertainty_summary(scenarios, draws=200, seed=seed, chunk_size=64)


@pytest.fixture(scope="module")
def page(main_job):
    results, summary = main_job
    return build_report(results, uncertainty=summary)


def _section(page: str) -> str:
    return page[page.index('<section id="uncertainty">') : page.index('<section id="time-paths">')]


def test_the_section_shows_at_most_top_n_packages_and_every_chart(main_job, page):
    results, summary = main_job
    assert summary.sizes["scenario"] - 1 > TOP_N
    section = _section(page)
    for chart in ("rank_probabilities", "intervals", "distributions"):
        assert f'data-chart="{chart}"' in section
    rows = [attrs for tag, attrs, _ in parse(section) if tag == "tr" and "data-scenario" in attrs]
    assert len(rows) == TOP_N
    assert 'class="more"' in section and "1 more packages" in section
    assert len(page.encode("utf-8")) < 10 * 2**20


def test_table_cells_equal_the_summary(main_job, page):
    _, summary = main_job
    data = report_data(main_job[0], uncertainty=summary)
    cells = [attrs for tag, attrs, _ in parse(_section(page)) if tag == "td" and "data-figure" in attrs]
    assert cells
    for attrs in cells:
        expected = float(summary[attrs["data-figure"]].sel(scenario=attrs["data-scenario"]))
        assert float(attrs["data-value"]) == expected
    named = {attrs["data-figure"] for attrs in cells}
    assert {f"{name}_median" for name in uncertainty_figures(data)} <= named


def test_charts_have_at_most_top_n_rows_and_a_fixed_legend(main_job):
    """Never one bar, ridge or legend entry per draw or per package beyond TOP_N."""
    results, summary = main_job
    data, labels = report_data(results, uncertainty=summary), load_labels("en")
    ranks = rank_probability_figure(data, labels)
    ax = ranks.axes[0]
    assert len(ax.get_yticklabels()) == TOP_N and len(ax.patches) == 4 * TOP_N
    assert len(ax.get_legend().get_texts()) == 4
    for figure in (interval_figure(data, labels), distribution_figure(data, labels)):
        panels = [ax for ax in figure.axes if ax.get_visible() and ax.axison]
        assert len(panels) == len(uncertainty_figures(data))
        for ax in panels:
            assert ax.get_legend() is None and len(ax.get_yticks()) == TOP_N


def test_rank_shares_in_the_chart_are_the_rank_counts(main_job):
    results, summary = main_job
    data = report_data(results, uncertainty=summary)
    ax = rank_probability_figure(data, load_labels("en")).axes[0]
    names = [t.get_text() for t in ax.get_yticklabels()]
    first = [p.get_width() for p in ax.patches[:TOP_N]]
    counts = summary[f"rank_count_{data.table.attrs['objective']}"]
    for name, width in zip(names, first, strict=True):
        assert width == float(counts.sel(scenario=name, rank=1)) / 200


def test_page_one_says_how_sure_under_uncertainty(main_job, page):
    results, summary = main_job
    data = report_data(results, uncertainty=summary)
    lead = re.sub(r"<[^>]+>", "", page[page.index('<section id="lead">') : page.index('<section id="summary">')])
    first = min(
        (s for s in data.scenarios if s != data.baseline), key=lambda s: int(data.table["rank"].sel(scenario=s))
    )
    share = value_text(float(summary[f"p_first_{data.table.attrs['objective']}"].sel(scenario=first)), "share")
    assert f"it ranks first in {share} of 200 joint draws" in lead


def test_korean_report_shows_the_section_in_korean(main_job):
    results, summary = main_job
    korean = _section(build_report(results, uncertainty=summary, lang="ko"))
    ko, en = load_labels("ko"), load_labels("en")
    for key in SECTION_KEYS:
        assert ko.ui(key) in korean and en.ui(key) not in korean
    for field in ("cost_premium_per_share", "uptake", "gap_closed"):
        assert ko("response_parameters", field) in korean
    text = re.sub(r"<style.*?</style>|<code[^>]*>.*?</code>|<[^>]+>", " ", korean, flags=re.S)
    for sid in sorted((str(s) for s in summary["scenario"].values), key=len, reverse=True):
        text = text.replace(sid, " ")
    words = set(re.findall(r"[A-Za-z][A-Za-z-]+", text))
    assert words <= {"draws-output"}, words  # the option's name stays as typed


def test_a_summary_of_other_scenarios_is_one_clear_error(main_job):
    results, summary = main_job
    with pytest.raises(DataError, match="not in the results"):
        report_data(results.isel(scenario=slice(0, 3)), uncertainty=summary)


def _with_draws(draws: int = 5) -> xr.Dataset:
    parts = [synthetic_result("baseline", draws=draws, seed=9)]
    parts += [
        synthetic_result(f"p{k}", seed=k + 10, local_share=0.62 + 0.02 * k, cost_premium=1.0 + k, draws=draws)
        for k in range(4)
    ]
    return xr.concat(parts, dim="scenario")


def test_per_draw_figures_of_results_with_draws_equal_a_loop_over_draws():
    """Rank probabilities and percentile bands of results with a ``draw`` dimension, taken all draws at
    once, equal the loop over draws that compares each draw alone."""
    results = _with_draws()
    data = report_data(results)
    tables = [compare([results.isel(draw=k)], baseline="baseline") for k in range(results.sizes["draw"])]
    objective = objective_variable(tables[0])
    scores = np.stack([t[objective].values for t in tables])
    np.testing.assert_allclose(
        data.bands.values, np.percentile(scores, BAND_PERCENTILES, axis=0).T, rtol=1e-12, atol=1e-9
    )
    first = np.mean(
        [headline_indicators([results.isel(draw=k)], baseline="baseline")["rank"].values == 1 for k in range(5)],
        axis=0,
    )
    np.testing.assert_array_equal(rank_probabilities(results, "baseline").values, first)
