"""The report's charts, drawn with matplotlib: inline SVG for the HTML, PNG and SVG files for slides.

Every chart is a :class:`matplotlib.figure.Figure` built without pyplot (no global state),
in the shipped Hangul-capable font (:mod:`simengine.report.fonts`). Inline SVG keeps text as
text (``svg.fonttype = "none"``) so the page's embedded web font draws it; SVG files for
slides carry the glyphs as paths so they open anywhere.
"""

from __future__ import annotations

import io
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import xarray as xr
from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.ticker import MaxNLocator

from ..errors import DataError
from ..io import check_output_paths, write_atomic, write_error
from .content import (
    TOP_N,
    ReportData,
    objective_variable,
    ranked_scenarios,
    shown_scenarios,
    uncertainty_figures,
    uncertainty_ranked,
)
from .fonts import matplotlib_font_family
from .labels import Labels
from .numbers import axis_formatter, value_text

__all__ = ["FLOW_DESTINATIONS", "report_figures", "figure_svg", "save_figures"]

#: Where each first-round account of a won of procurement ends: the local circuit or a
#: leakage channel of :data:`simengine.results.LEAKAGE_CHANNELS`. ``other_inputs`` (product
#: taxes less subsidies and adjustments) are national taxes, so they leave the region.
FLOW_DESTINATIONS = {
    "local_inputs": "local_circuit",
    "resident_wages": "local_circuit",
    "local_profits": "local_circuit",
    "other_region_inputs": "other_regions",
    "imported_inputs": "imports_abroad",
    "other_inputs": "taxes_leaving",
    "commuter_wages": "commuters",
    "outside_profits": "outside_owners",
}

LOCAL_COLOUR = "#2a9d8f"
LEAK_COLOURS = {
    "nonlocal_awards": "#e76f51",
    "other_regions": "#f4a261",
    "imports_abroad": "#e9c46a",
    "taxes_leaving": "#8d99ae",
    "commuters": "#b5838d",
    "outside_owners": "#6d597a",
}
EFFECT_COLOURS = {"direct": "#264653", "indirect": "#2a9d8f", "induced": "#e9c46a"}
SCENARIO_COLOURS = ("#264653", "#e76f51", "#2a9d8f", "#f4a261", "#6d597a", "#e9c46a", "#8d99ae", "#b5838d")
#: Horizontal positions of the flow diagram's columns (fractions of the panel width): budget,
#: awards, first-round accounts, destinations. The steps leave room for the labels that sit to
#: the right of the awards, accounts and destinations (and to the left of the budget).
SANKEY_COLUMNS = (0.13, 0.245, 0.455, 0.725)
#: Width of a node bar (fraction of the panel width) and gap between stacked nodes (share of budget).
SANKEY_NODE, SANKEY_GAP = 0.012, 0.03
#: Font size of the flow labels and the height of a two-line label with its padding (points).
SANKEY_FONT_PT, SANKEY_LABEL_PT = 10, 27.0
#: Sectors shown by name in the sector chart; the rest are summed into one bar.
TOP_SECTORS = 12


@contextmanager
def _style():
    with rc_context(
        {
            "font.family": [matplotlib_font_family()],
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "svg.hashsalt": "simengine-report",
            "figure.dpi": 100,
            "axes.unicode_minus": False,
        }
    ):
        yield


def _money_unit(ds: xr.Dataset, labels: Labels) -> str:
    return labels.money_unit(ds.attrs["currency"], ds.attrs["monetary_unit"])


def calendar_time(ds: xr.Dataset) -> np.ndarray:
    """The ``time`` axis in calendar years: the ``year`` coordinate, plus the month's fraction."""
    time = np.asarray(ds["time"].values, dtype=np.float64)
    if "year" not in ds.coords:
        return time
    years = np.asarray(ds["year"].values, dtype=np.float64)
    if ds.attrs.get("time_unit") == "month":
        return years + (time % 12) / 12.0
    return years


def _mean_over_draws(da: xr.DataArray) -> xr.DataArray:
    return da.mean("draw") if "draw" in da.dims else da


def _band(ax, x0, y0, x1, y1, height, colour):
    """A Sankey link of ``height`` from the point (x0, y0) to (x1, y1) (tops of the band)."""
    middle = (x0 + x1) / 2
    vertices = [
        (x0, y0),
        (middle, y0),
        (middle, y1),
        (x1, y1),
        (x1, y1 - height),
        (middle, y1 - height),
        (middle, y0 - height),
        (x0, y0 - height),
        (x0, y0),
    ]
    codes = [
        MplPath.MOVETO,
        MplPath.CURVE4,
        MplPath.CURVE4,
        MplPath.CURVE4,
        MplPath.LINETO,
        MplPath.CURVE4,
        MplPath.CURVE4,
        MplPath.CURVE4,
        MplPath.CLOSEPOLY,
    ]
    ax.add_patch(PathPatch(MplPath(vertices, codes), facecolor=colour, edgecolor="none", alpha=0.45))


def _spread(centres: list[float], spacing: float, low: float, high: float) -> list[float]:
    """Label centres (top to bottom) moved apart to at least ``spacing``, kept within [low, high]
    where they fit; each moves as little as a top-down then bottom-up pass allows."""
    placed = []
    for centre in centres:
        placed.append(min(centre, high) if not placed else min(centre, placed[-1] - spacing))
    for position in range(len(placed) - 1, -1, -1):
        floor = low if position == len(placed) - 1 else placed[position + 1] + spacing
        placed[position] = max(placed[position], floor)
    return placed


def _sankey_columns(flows: dict[str, float], labels: Labels) -> list[list[tuple[str, float, str, str]]]:
    """Nodes ``(key, value, label, colour)`` of the four columns, top to bottom; a label of ""
    marks the non-local awards passing through the accounts' column (drawn as a band only)."""
    destinations = list(dict.fromkeys(FLOW_DESTINATIONS.values()))
    accounts = sorted(FLOW_DESTINATIONS, key=lambda account: destinations.index(FLOW_DESTINATIONS[account]))
    totals = {name: sum(flows[a] for a in accounts if FLOW_DESTINATIONS[a] == name) for name in destinations}
    totals["nonlocal_awards"] = flows["nonlocal_awards"]

    def colour(destination: str) -> str:
        return LOCAL_COLOUR if destination == "local_circuit" else LEAK_COLOURS[destination]

    return [
        [("budget", 1.0, labels.ui("budget"), "#264653")],
        [
            ("local_awards", flows["local_awards"], labels.ui("local_awards"), LOCAL_COLOUR),
            ("nonlocal_awards", flows["nonlocal_awards"], labels.ui("nonlocal_awards"), colour("nonlocal_awards")),
        ],
        [
            *((a, flows[a], labels("accounts", a), colour(FLOW_DESTINATIONS[a])) for a in accounts),
            ("via:nonlocal_awards", flows["nonlocal_awards"], "", colour("nonlocal_awards")),
        ],
        [
            (
                f"to:{name}",
                value,
                labels.ui(name) if name == "local_circuit" else labels("channels", name),
                colour(name),
            )
            for name, value in totals.items()
        ],
    ]


def _sankey(ax, flows: dict[str, float], labels: Labels, title: str) -> None:
    """Draw the first round of one won of procurement on ``ax``, read left to right: budget,
    local and non-local awards, first-round accounts, then the local circuit or a leakage channel.

    Node heights are shares of the budget on one scale for all columns; each column is stacked
    with :data:`SANKEY_GAP` between nodes and centred, so nodes never overlap. Labels (name and
    share on two lines) sit beside their node and are moved apart, with a leader line, where
    small nodes lie closer than a label's height.
    """
    columns = _sankey_columns(flows, labels)
    shown_columns = [[node for node in column if node[1] > 0] for column in columns]
    heights = [sum(node[1] for node in column) + SANKEY_GAP * (len(column) - 1) for column in shown_columns]
    span = max(heights)
    figure_height_pt = ax.figure.get_figheight() * 72
    label_height = SANKEY_LABEL_PT / (ax.get_position().height * figure_height_pt) * span
    tops: dict[str, float] = {}
    for column_index, (x, column, height) in enumerate(zip(SANKEY_COLUMNS, shown_columns, heights, strict=True)):
        y = span - (span - height) / 2
        centres, texts = [], []
        for key, value, text, colour in column:
            tops[key] = y
            if text:
                ax.add_patch(
                    Rectangle((x - SANKEY_NODE / 2, y - value), SANKEY_NODE, value, facecolor=colour, edgecolor="none")
                )
                centres.append(y - value / 2)
                texts.append(f"{text}\n{value_text(value, 'share')}")
            y -= value + SANKEY_GAP
        side = -1 if column_index == 0 else 1
        label_x = x + side * (SANKEY_NODE / 2 + 0.012)
        placed = _spread(centres, label_height, label_height / 2, span - label_height / 2)
        for centre, at, text in zip(centres, placed, texts, strict=True):
            if abs(at - centre) > 1e-9:
                ax.plot([x + side * SANKEY_NODE / 2, label_x], [centre, at], color="#51606b", linewidth=0.6)
            ax.text(
                label_x,
                at,
                text,
                ha="right" if side < 0 else "left",
                va="center",
                fontsize=SANKEY_FONT_PT,
                linespacing=1.05,
                bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 0.3},
            )
    out_offset = dict.fromkeys(tops, 0.0)
    in_offset = dict.fromkeys(tops, 0.0)
    links = [
        ("budget", "local_awards", 0),
        ("budget", "nonlocal_awards", 0),
        *(("local_awards", key, 1) for key in FLOW_DESTINATIONS),
        ("nonlocal_awards", "via:nonlocal_awards", 1),
        *((key, f"to:{destination}", 2) for key, destination in FLOW_DESTINATIONS.items()),
        ("via:nonlocal_awards", "to:nonlocal_awards", 2),
    ]
    values = {key: (value, colour) for column in columns for key, value, _, colour in column}
    order = {key: position for column in columns for position, (key, *_rest) in enumerate(column)}
    links.sort(key=lambda link: (link[2], order[link[1]], order[link[0]]))
    for source, target, column_index in links:
        value = values[target][0] if column_index < 2 else values[source][0]
        colour = values[target][1] if column_index < 2 else values[source][1]
        if value <= 0:
            continue
        through = 0.0 if target == "via:nonlocal_awards" else SANKEY_NODE / 2
        start = 0.0 if source == "via:nonlocal_awards" else SANKEY_NODE / 2
        _band(
            ax,
            SANKEY_COLUMNS[column_index] + start,
            tops[source] - out_offset[source],
            SANKEY_COLUMNS[column_index + 1] - through,
            tops[target] - in_offset[target],
            value,
            colour,
        )
        out_offset[source] += value
        in_offset[target] += value
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.01 * span, 1.01 * span)
    ax.set_axis_off()
    ax.set_title(title, fontsize=11)


def flow_figure(data: ReportData, scenario: str, labels: Labels) -> Figure:
    """The baseline's flow diagram beside ``scenario``'s (one diagram if they are the same)."""
    shown = [data.baseline] if scenario == data.baseline else [data.baseline, scenario]
    flows = _mean_over_draws(data.results["flows"])
    with _style():
        figure = Figure(figsize=(6.4 * len(shown), 5.0))
        figure.subplots_adjust(left=0.005, right=0.995, top=0.93, bottom=0.02, wspace=0.03)
        for ax, name in zip(figure.subplots(1, len(shown), squeeze=False)[0], shown, strict=True):
            values = {
                str(a): float(v) for a, v in zip(flows["account"].values, flows.sel(scenario=name).values, strict=True)
            }
            _sankey(ax, values, labels, data.display_name(name, labels.ui("baseline")))
    return figure


def sector_figure(data: ReportData, labels: Labels) -> Figure:
    """Local output by sector, stacked direct / indirect / induced, one panel per scenario of
    :func:`~simengine.report.content.shown_scenarios` (the baseline and the best-ranked others)."""
    scenarios = shown_scenarios(data)
    effects = _mean_over_draws(data.results["output_effects"]).sel(effect=list(EFFECT_COLOURS), scenario=scenarios)
    order = effects.sum("effect").max("scenario").to_series().sort_values(ascending=False).index
    top, rest = list(order[:TOP_SECTORS]), list(order[TOP_SECTORS:])
    names = [labels.sector(code) for code in top]
    if rest:
        names.append(f"+{len(rest)}")
    n = len(scenarios)
    ncols = min(n, 2 if n == 4 else 3)
    nrows = -(-n // ncols)
    with _style():
        figure = Figure(figsize=(4.2 * ncols + 1.5, (0.32 * len(names) + 1.1) * nrows), layout="constrained")
        axes = figure.subplots(nrows, ncols, squeeze=False, sharey=True, sharex=True)
        for ax, scenario in zip(axes.flat, scenarios, strict=False):
            left = np.zeros(len(names))
            for effect, colour in EFFECT_COLOURS.items():
                row = effects.sel(scenario=scenario, effect=effect)
                values = row.sel(sector=top).values
                if rest:
                    values = np.append(values, float(row.sel(sector=rest).sum()))
                ax.barh(names, values, left=left, color=colour, label=labels.ui(effect))
                left += values
            ax.set_title(data.display_name(scenario, labels.ui("baseline")), fontsize=10)
            ax.set_xlabel(_money_unit(data.results, labels))
            ax.xaxis.set_major_formatter(axis_formatter())
        for ax in axes.flat[n:]:
            ax.set_axis_off()
        axes.flat[0].invert_yaxis()
        axes.flat[0].legend(loc="lower right", fontsize=8)
    return figure


def region_figure(data: ReportData, labels: Labels) -> Figure:
    """Output in the region and in other regions (summed over time and sectors) for the scenarios
    of :func:`~simengine.report.content.shown_scenarios`."""
    table = data.table
    scenarios = shown_scenarios(data)
    names = [data.display_name(s, labels.ui("baseline")) for s in scenarios]
    with _style():
        figure = Figure(figsize=(8, 0.45 * len(scenarios) + 1.2), layout="constrained")
        ax = figure.subplots()
        inside = table["local_output"].sel(scenario=scenarios).values
        outside = table["nonlocal_output"].sel(scenario=scenarios).values
        ax.barh(names, inside, color=LOCAL_COLOUR, label=labels.ui("in_region"))
        ax.barh(names, outside, left=inside, color=LEAK_COLOURS["other_regions"], label=labels.ui("out_of_region"))
        ax.invert_yaxis()
        ax.set_xlabel(_money_unit(data.results, labels))
        ax.xaxis.set_major_formatter(axis_formatter())
        ax.legend(loc="lower right", fontsize=8)
    return figure


def ranking_figure(data: ReportData, labels: Labels) -> Figure | None:
    """Ranked bars of the objective's net present benefit for the best :data:`TOP_N`
    scenarios; with more, a second panel summarises every scenario as a histogram. None for a
    single scenario."""
    table = data.table
    everyone = ranked_scenarios(data)
    if not everyone:
        return None
    ranked = everyone[:TOP_N]
    objective = objective_variable(table)
    money = labels.money_unit(table.attrs.get("currency", ""), table.attrs.get("monetary_unit", "one"))
    ratio = np.array([float(table[objective].sel(scenario=s)) for s in ranked])
    finite = np.isfinite(ratio)
    shown = np.where(finite, ratio, 0.0)
    summarised = len(everyone) > TOP_N
    with _style():
        height = 0.45 * len(ranked) + 1.2
        figure = Figure(figsize=(8, height + (2.6 if summarised else 0.0)), layout="constrained")
        if summarised:
            ax, all_ax = figure.subplots(2, 1, height_ratios=[height, 2.6])
        else:
            ax = figure.subplots()
        colours = [LOCAL_COLOUR if value >= 0 else LEAK_COLOURS["nonlocal_awards"] for value in shown]
        bars = ax.barh(ranked, shown, color=colours)
        label_at = shown.copy()
        if data.bands is not None:
            low = data.bands.sel(scenario=ranked, percentile=data.bands["percentile"][0]).values
            high = data.bands.sel(scenario=ranked, percentile=data.bands["percentile"][-1]).values
            error = np.vstack([np.clip(shown - low, 0, None), np.clip(high - shown, 0, None)])
            error[:, ~finite] = 0.0
            error = np.nan_to_num(error)
            ax.errorbar(shown, ranked, xerr=error, fmt="none", ecolor="#333333", capsize=3)
            label_at = np.where(shown >= 0, shown + error[1], shown - error[0])
        for bar, value, ok, x in zip(bars, ratio, finite, label_at, strict=True):
            text = value_text(value, "money") if ok else labels.ui("no_extra_cost")
            ax.annotate(
                text,
                (x, bar.get_y() + bar.get_height() / 2),
                xytext=(4 if x >= 0 else -4, 0),
                textcoords="offset points",
                va="center",
                ha="left" if x >= 0 else "right",
                fontsize=8,
            )
        ax.axvline(0, color="#333333", linewidth=0.8)
        ax.invert_yaxis()
        ax.set_xlabel(f"{labels('figures', objective)} ({money})")
        ax.xaxis.set_major_formatter(axis_formatter("money"))
        ax.margins(x=0.25)
        if summarised:
            values = np.array([float(table[objective].sel(scenario=s)) for s in everyone])
            values = values[np.isfinite(values)]
            all_ax.hist(values, bins=min(40, max(5, len(values) // 10)), color="#8d99ae")
            if finite.any():
                all_ax.axvline(float(np.min(ratio[finite])), color=LOCAL_COLOUR, linewidth=1.2, linestyle="--")
            all_ax.set_title(labels.ui("ranking_all").format(count=len(everyone), top=len(ranked)), fontsize=9)
            all_ax.set_xlabel(f"{labels('figures', objective)} ({money})")
            all_ax.set_ylabel(labels.ui("scenarios_count"))
            all_ax.xaxis.set_major_formatter(axis_formatter("money"))
            all_ax.yaxis.set_major_formatter(axis_formatter())
    return figure


def _time_series(ax, da: xr.DataArray, scenarios: list[str], x: np.ndarray) -> None:
    for position, scenario in enumerate(scenarios):
        series = da.sel(scenario=scenario)
        colour = SCENARIO_COLOURS[position % len(SCENARIO_COLOURS)]
        if "draw" in series.dims:
            low, high = series.quantile([0.05, 0.95], dim="draw").values
            ax.fill_between(x, low, high, color=colour, alpha=0.2, linewidth=0)
            series = series.mean("draw")
        ax.plot(x, series.values, color=colour, label=scenario, linewidth=1.6)


def time_figure(data: ReportData, labels: Labels) -> Figure | None:
    """Local output and the local award share per period, in calendar years, for the scenarios of
    :func:`~simengine.report.content.shown_scenarios`; None for a static run."""
    results = data.results
    if results.sizes["time"] < 2:
        return None
    scenarios = shown_scenarios(data)
    x = calendar_time(results)
    with _style():
        figure = Figure(figsize=(11, 3.6), layout="constrained")
        output_ax, share_ax = figure.subplots(1, 2)
        _time_series(output_ax, results["local_output"].sum("sector"), scenarios, x)
        _time_series(share_ax, results["local_award_share"], scenarios, x)
        output_ax.set_title(labels("figures", "local_output"), fontsize=10)
        output_ax.set_ylabel(_money_unit(results, labels) + " / " + labels.ui(f"period_{results.attrs['time_unit']}"))
        output_ax.yaxis.set_major_formatter(axis_formatter())
        share_ax.set_title(labels("figures", "local_award_share"), fontsize=10)
        share_ax.yaxis.set_major_formatter(axis_formatter("share"))
        for ax in (output_ax, share_ax):
            ax.set_xlabel(labels.ui("calendar_year"))
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.xaxis.set_major_formatter(axis_formatter("year"))
        share_ax.legend(fontsize=8, loc="best")
    return figure


#: Colours of the rank shares: rank 1, 2, 3, lower.
RANK_COLOURS = (LOCAL_COLOUR, "#8ab17d", "#e9c46a", "#d5dde2")


def _figure_unit(data: ReportData, labels: Labels, name: str) -> str:
    """Unit of a figure of the uncertainty summary: person-years for employment, else the money unit."""
    return labels.ui("persons_periods_year") if name.endswith("employment") else _money_unit(data.results, labels)


def rank_probability_figure(data: ReportData, labels: Labels) -> Figure | None:
    """Share of draws in which each of the packages most often first (at most :data:`TOP_N`) takes
    rank 1, 2, 3 or a lower rank, stacked; four legend entries whatever the number of packages.
    None without an uncertainty comparison."""
    ranked = uncertainty_ranked(data)
    if not ranked:
        return None
    summary = data.uncertainty.sel(scenario=ranked)
    counts = summary[f"rank_count_{data.table.attrs['objective']}"].values.astype(float)
    shares = counts / float(data.uncertainty.attrs["draws"])
    parts = [shares[:, 0], shares[:, 1] if shares.shape[1] > 1 else 0 * shares[:, 0]]
    parts.append(shares[:, 2] if shares.shape[1] > 2 else 0 * shares[:, 0])
    parts.append(np.clip(1.0 - parts[0] - parts[1] - parts[2], 0.0, 1.0))
    names = [data.display_name(s, labels.ui("baseline")) for s in ranked]
    with _style():
        figure = Figure(figsize=(8, 0.4 * len(ranked) + 1.4), layout="constrained")
        ax = figure.subplots()
        left = np.zeros(len(ranked))
        keys = ("rank_1", "rank_2", "rank_3", "rank_lower")
        for values, colour, key in zip(parts, RANK_COLOURS, keys, strict=True):
            ax.barh(names, values, left=left, color=colour, label=labels.ui(key))
            left += values
        for y, value in enumerate(parts[0]):
            ax.annotate(
                value_text(float(value), "share"),
                (0, y),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                ha="left",
                fontsize=8,
                color="white" if value > 0.12 else "#1d2d35",
            )
        ax.set_xlim(0, 1)
        ax.invert_yaxis()
        ax.set_xlabel(labels.ui("share_of_draws"))
        ax.xaxis.set_major_formatter(axis_formatter("share"))
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=4, fontsize=8, frameon=False)
    return figure


def _panels(count: int, names: list[str]):
    """A figure with ``count`` panels in rows of three sharing the scenario axis (labelled ``names``).

    Margins are set from the longest name (no layout engine: a solved layout of many panels costs
    more than the drawing)."""
    ncols = min(3, count)
    nrows = -(-count // ncols)
    left = 0.3 + 0.068 * max(len(n) for n in names)  # inches: the scenario labels at 8 pt
    row = 0.3 * len(names) + 1.0
    width, height = 3.3 * ncols + left + 0.2, row * nrows
    figure = Figure(figsize=(width, height))
    figure.subplots_adjust(
        left=left / width,
        right=1 - 0.25 / width,
        top=1 - 0.35 / height,
        bottom=0.55 / height,
        wspace=0.12,
        hspace=1.05 / row,
    )
    axes = figure.subplots(nrows, ncols, squeeze=False, sharey=True)
    for ax in axes.flat[count:]:
        ax.set_axis_off()
    return figure, list(axes.flat[:count])


def _uncertainty_panels(data: ReportData, labels: Labels, draw) -> Figure | None:
    """One panel per figure of :func:`~simengine.report.content.uncertainty_figures` over the packages
    most often first (at most :data:`TOP_N`, first at the top); ``draw(ax, summary, name)`` draws a
    panel's data (row ``k`` at ``y = k``). None without an uncertainty comparison."""
    ranked = uncertainty_ranked(data)
    if not ranked:
        return None
    summary = data.uncertainty.sel(scenario=ranked)
    names = [data.display_name(s, labels.ui("baseline")) for s in ranked]
    figures = uncertainty_figures(data)
    with _style():
        figure, axes = _panels(len(figures), names)
        for ax, name in zip(axes, figures, strict=True):
            draw(ax, summary, name)
            ax.axvline(0, color="#333333", linewidth=0.7)
            ax.set_title(labels("figures", name), fontsize=9)
            ax.set_xlabel(_figure_unit(data, labels, name), fontsize=8)
            ax.xaxis.set_major_formatter(axis_formatter("money"))
            ax.xaxis.set_major_locator(MaxNLocator(4))
        axes[0].set_yticks(np.arange(len(ranked)), names, fontsize=8)
        axes[0].set_ylim(len(ranked) - 0.5, -0.5)
    return figure


def interval_figure(data: ReportData, labels: Labels) -> Figure | None:
    """Median and 90% interval across draws of each figure of :func:`~simengine.report.content.uncertainty_figures`
    for the packages most often first (at most :data:`TOP_N`); None without an uncertainty comparison."""

    def draw(ax, summary: xr.Dataset, name: str) -> None:
        low, median, high = (summary[f"{name}_{q}"].values for q in ("p05", "median", "p95"))
        y = np.arange(len(median))
        ax.hlines(y, low, high, color="#51606b", linewidth=1.6)
        ax.plot(median, y, "o", color=LOCAL_COLOUR, markersize=4.5)

    return _uncertainty_panels(data, labels, draw)


def distribution_figure(data: ReportData, labels: Labels) -> Figure | None:
    """Distribution across draws of each figure of :func:`~simengine.report.content.uncertainty_figures`:
    for the packages most often first (at most :data:`TOP_N`), one histogram per package on its own
    row (a ridge above the row's line, scaled to its peak); None without an uncertainty comparison."""

    def draw(ax, summary: xr.Dataset, name: str) -> None:
        edges = summary[f"{name}_edges"].values
        steps = np.repeat(edges, 2)[1:-1]
        for row, values in enumerate(summary[f"{name}_count"].values.astype(float)):
            peak = values.max()
            height = 0.8 * values / peak if peak > 0 else values
            ax.fill_between(
                steps,
                row + 0.4,
                row + 0.4 - np.repeat(height, 2),
                color=SCENARIO_COLOURS[row % len(SCENARIO_COLOURS)],
                alpha=0.55,
                linewidth=0.6,
            )

    return _uncertainty_panels(data, labels, draw)


def report_figures(data: ReportData, labels: Labels) -> dict[str, Figure]:
    """Every chart of the report by file stem: ``flows_<scenario>`` (the baseline beside each
    scenario of :func:`~simengine.report.content.shown_scenarios`), ``sectors``, ``regions``,
    ``ranking`` (several scenarios), ``rank_probabilities``, ``intervals`` and
    ``distributions`` (with an uncertainty comparison) and ``time_paths`` (several periods)."""
    others = shown_scenarios(data)[1:] or [data.baseline]
    figures = {f"flows_{scenario}": flow_figure(data, scenario, labels) for scenario in others}
    figures["sectors"] = sector_figure(data, labels)
    figures["regions"] = region_figure(data, labels)
    makers = (
        ("ranking", ranking_figure),
        ("rank_probabilities", rank_probability_figure),
        ("intervals", interval_figure),
        ("distributions", distribution_figure),
        ("time_paths", time_figure),
    )
    for name, make in makers:
        figure = make(data, labels)
        if figure is not None:
            figures[name] = figure
    return figures


_SVG_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}


def figure_svg(figure: Figure) -> str:
    """The figure as an ``<svg>`` element for inline HTML: text kept as text (drawn by the page's font)."""
    buffer = io.StringIO()
    with _style(), rc_context({"svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", metadata=_SVG_METADATA)
    figure.set_layout_engine("none")  # keep the solved layout for PNG/SVG files (it is dpi-independent)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    head, rest = svg.split(">", 1)
    return f'{head} role="img">{rest}'


FIGURE_FORMATS = {".png": {"dpi": 200}, ".svg": {"metadata": _SVG_METADATA}}


def figure_files(figures: dict[str, Figure], folder: str | Path) -> list[Path]:
    """The files :func:`save_figures` writes: ``<name>.png`` and ``<name>.svg`` per figure.

    Creates ``folder`` when it is missing (a failure is one :class:`DataError`).
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise DataError(f"--figures {folder} exists and is not a folder; name a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(folder, exc) from None
    return [folder / f"{name}{suffix}" for name in figures for suffix in FIGURE_FORMATS]


def save_figures(figures: dict[str, Figure], folder: str | Path, *, overwrite: bool = False) -> list[Path]:
    """Write every figure as ``<name>.png`` (200 dpi) and ``<name>.svg`` (glyphs as paths).

    Every target is checked before the first is written; if one write fails, the files this
    call wrote are removed again, so a failure leaves none of them.

    Parameters
    ----------
    figures : dict
        Name -> figure, as from :func:`report_figures`.
    folder : path
        Existing or new folder (created).
    overwrite : bool
        Replace files that exist.
    """
    paths = check_output_paths(figure_files(figures, folder), overwrite=overwrite)
    written: list[Path] = []
    try:
        for path in paths:
            buffer = io.BytesIO()
            with _style(), rc_context({"svg.fonttype": "path"}):
                figures[path.stem].savefig(buffer, format=path.suffix[1:], **FIGURE_FORMATS[path.suffix])
            written.append(write_atomic(path, buffer.getvalue(), overwrite=overwrite))
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return written
