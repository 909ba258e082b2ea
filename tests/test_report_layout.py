"""The report with many scenarios: flow-diagram geometry, which scenarios are drawn, sweep
variants grouped in the summary, and the transposed headline table."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import xarray as xr
from factories import synthetic_result
from hypothesis import Phase, example, given, settings
from hypothesis import strategies as st
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.patches import Rectangle
from test_report import parse

from simengine.report import build_report, load_labels
from simengine.report.content import ReportData, lever_settings, report_data, scenario_groups, shown_scenarios
from simengine.report.figures import FLOW_DESTINATIONS, flow_figure
from simengine.report.html import HEADLINE_FIGURES
from simengine.results import FLOW_ACCOUNTS, headline

PACKAGE = [
    {"kind": "local_share_target", "sector": "F", "target": 0.6, "ramp_years": 2},
    {"kind": "contract_unbundling", "sector": "F", "lot_threshold": {"amount": 10000.0, "unit": "KRW million"}},
]


def _package(target: float, threshold: float = 10000.0) -> list[dict]:
    levers = [dict(lever) for lever in PACKAGE]
    levers[0]["target"] = target
    levers[1]["lot_threshold"] = {"amount": threshold, "unit": "KRW million"}
    return levers


def _ranked(ranks: dict[str, int], descriptions: dict[str, dict]) -> ReportData:
    """Report data with the given ranks (the first scenario is the baseline); no results needed."""
    scenarios = list(ranks)
    results = xr.Dataset(coords={"scenario": scenarios})
    table = xr.Dataset({"rank": ("scenario", list(ranks.values()))}, coords={"scenario": scenarios})
    table.attrs["baseline"] = scenarios[0]
    return ReportData(results, table, None, descriptions)


def _boxes_overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def _flow_batch(flows: np.ndarray) -> ReportData:
    baseline = synthetic_result("baseline")
    scenario = synthetic_result("scenario", seed=1)
    scenario["flows"] = (("scenario", "account"), flows[np.newaxis, :])
    return report_data(xr.concat([baseline, scenario], dim="scenario"))


def _assert_flow_layout_is_clean(data: ReportData, lang: str) -> None:
    figure = flow_figure(data, "scenario", load_labels(lang))
    renderer = FigureCanvasAgg(figure).get_renderer()
    for ax in figure.axes:
        panel = ax.get_window_extent(renderer)
        texts = [t.get_window_extent(renderer) for t in ax.texts]
        nodes = [p.get_window_extent(renderer) for p in ax.patches if isinstance(p, Rectangle)]
        assert len(texts) == len(nodes) > 8
        for first, second in itertools.combinations(texts, 2):
            assert not _boxes_overlap(first, second), "two flow labels overlap"
        for first, second in itertools.combinations(nodes, 2):
            assert not _boxes_overlap(first, second), "two flow nodes overlap"
        for text, node in itertools.product(texts, nodes):
            assert not _boxes_overlap(text, node), "a flow label covers a node"
        for text in texts:
            assert panel.x0 - 1 <= text.x0 and text.x1 <= panel.x1 + 1, "a flow label leaves its panel"


def _flows(local_share: float, split: list[float]) -> np.ndarray:
    values = np.zeros(len(FLOW_ACCOUNTS))
    values[0], values[1] = local_share, 1 - local_share
    values[2:] = np.asarray(split) / np.sum(split) * local_share
    return values


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_flow_nodes_and_labels_never_overlap_on_the_gwangmyeong_baseline(lang):
    """Shares of the Gwangmyeong baseline's first round (main-job batch output): awards 60.1% /
    39.9%, then local inputs 4.1%, other-region inputs 24.8%, imports 6.0%, taxes 1.5%,
    resident wages 4.8%, commuter wages 9.3%, local profits 2.9%, outside profits 6.8%."""
    accounts = [4.1, 24.8, 6.0, 1.5, 4.8, 9.3, 2.9, 6.8]  # in FLOW_ACCOUNTS order after the awards
    assert set(FLOW_ACCOUNTS[2:]) == set(FLOW_DESTINATIONS)
    _assert_flow_layout_is_clean(_flow_batch(_flows(0.601, accounts)), lang)


@settings(max_examples=12, deadline=None, phases=[Phase.explicit, Phase.generate])
@given(
    local_share=st.floats(0.03, 0.97),
    split=st.lists(st.floats(0.002, 1.0), min_size=8, max_size=8),
)
@example(local_share=0.86, split=[0.63, 0.93, 0.47, 0.86, 0.98, 0.042, 0.52, 0.33])  # once too wide a label
def test_flow_layout_is_clean_for_any_split(local_share, split):
    _assert_flow_layout_is_clean(_flow_batch(_flows(local_share, split)), "en")


def test_sweep_variants_are_grouped_under_their_base_with_the_values_that_differ():
    descriptions = {
        "baseline": {"title": "Baseline", "levers": []},
        "package": {"title": "Package", "levers": _package(0.6)},
        "package-sweep0000": {"title": "Package", "levers": _package(0.5)},
        "package-sweep0001": {"title": "Package", "levers": _package(0.7, threshold=5000.0)},
        "same-title": {"title": "Package", "levers": _package(0.6)},
        "own-title": {"title": "Another policy", "levers": _package(0.8)},
        "package-sweep0002": {"title": "Package", "levers": _package(0.6)[:1]},  # other levers: not a variant
    }
    data = _ranked(dict.fromkeys(descriptions, 1), descriptions)
    groups = {group.base: group for group in scenario_groups(data)}
    assert list(groups) == ["baseline", "package", "own-title", "package-sweep0002"]
    assert groups["package"].variants == ("package-sweep0000", "package-sweep0001", "same-title")
    assert groups["package"].differing == ("lever[0].target", "lever[1].lot_threshold.amount")
    assert groups["baseline"].variants == groups["own-title"].variants == ()
    assert lever_settings(_package(0.6))["lever[1].lot_threshold.unit"] == "KRW million"


def test_flows_and_sectors_show_the_baseline_and_the_three_best_ranked_one_per_group():
    descriptions = {
        "baseline": {"title": "Baseline", "levers": []},
        "package": {"title": "Package", "levers": _package(0.6)},
        "package-sweep0000": {"title": "Package", "levers": _package(0.5)},
        "package-sweep0001": {"title": "Package", "levers": _package(0.7)},
        "small-lots": {"title": "Small lots", "levers": _package(0.6)[1:]},
        "score": {"title": "Score", "levers": [{"kind": "local_contribution_score", "weight": 0.1}]},
        "plan": {"title": "Plan", "levers": [{"kind": "local_coexistence_plan", "share": 0.3}]},
    }
    ranks = {"baseline": 7, "package": 3, "package-sweep0000": 2, "package-sweep0001": 1, "small-lots": 5}
    data = _ranked({**ranks, "score": 4, "plan": 6}, descriptions)
    assert shown_scenarios(data) == ["baseline", "package-sweep0001", "score", "small-lots"]
    assert shown_scenarios(data, limit=1) == ["baseline", "package-sweep0001"]
    few = _ranked({"baseline": 3, "score": 1, "plan": 2}, descriptions)
    assert shown_scenarios(few) == ["baseline", "score", "plan"]


@pytest.fixture(scope="module")
def many():
    """A baseline, two policies and a base scenario with four sweep variants (7 scenarios)."""
    parts, descriptions = [synthetic_result("baseline")], {"baseline": {"title": "Baseline", "levers": []}}
    for position, (name, target) in enumerate(
        [("policy-a", 0.6), ("policy-b", 0.6), ("package", 0.6)]
        + [(f"package-sweep{k:04d}", t) for k, t in enumerate((0.5, 0.6, 0.7, 0.8))]
    ):
        parts.append(synthetic_result(name, seed=position + 1, local_share=0.62 + 0.01 * position, cost_premium=5.0))
        title = "Package" if name.startswith("package") else name
        levers = _package(target) if name.startswith("package") else [{"kind": "set_aside", "sector": "F"}]
        descriptions[name] = {"title": title, "levers": levers}
    batch = xr.concat(parts, dim="scenario")
    return batch, build_report(batch, descriptions=descriptions)


def test_many_scenarios_transpose_the_headline_table_and_keep_its_data_attributes(many):
    batch, page = many
    elements = parse(page)
    table = next(a for tag, a, _ in elements if tag == "table" and a.get("id") == "headline-table")
    assert table["data-layout"] == "scenarios-as-rows"
    figures = headline(batch)
    cells = [a for tag, a, _ in elements if tag == "td" and a.get("data-figure") in dict(HEADLINE_FIGURES)]
    headline_cells = {(a["data-scenario"], a["data-figure"]): float(a["data-value"]) for a in cells}
    assert len(headline_cells) == batch.sizes["scenario"] * len(HEADLINE_FIGURES)
    for (scenario, figure), value in headline_cells.items():
        assert value == pytest.approx(float(figures[figure].sel(scenario=scenario)), rel=1e-12)


def test_many_scenarios_draw_three_flow_pairs_and_list_the_variants_once(many):
    batch, page = many
    elements = parse(page)
    charts = [a["data-chart"] for tag, a, _ in elements if tag == "figure"]
    assert len([c for c in charts if c.startswith("flows_")]) == 3
    notes = [text for tag, a, text in elements if tag == "p" and "shown-note" in a.get("class", "")]
    assert len(notes) == 2 and "3" in notes[0] and "(section 4)" in notes[0]
    items = [a["data-scenario"] for tag, a, _ in elements if tag == "li" and "data-scenario" in a]
    assert items == ["baseline", "policy-a", "policy-b", "package"]
    variants = [a["data-scenario"] for tag, a, _ in elements if tag == "tr" and "data-scenario" in a]
    assert variants == ["package", *(f"package-sweep{k:04d}" for k in range(4))]
    assert "lever[0].target" in page
