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

from ..io import atomic_path
from .content import ReportData
from .fonts import matplotlib_font_family
from .labels import Labels

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
#: Horizontal positions of the flow diagram's columns: budget, awards, accounts, destinations
#: (the wider last step leaves room for the accounts' labels).
SANKEY_COLUMNS = (0.0, 1.0, 2.0, 4.0)
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


def _money_unit(ds: xr.Dataset) -> str:
    return f"{ds.attrs['currency']} {ds.attrs['monetary_unit']}"


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


def _sankey(ax, flows: dict[str, float], labels: Labels, title: str) -> None:
    """Draw the first-round flow of one won of procurement on ``ax``."""
    gap, width = 0.045, 0.05
    top = 1 + gap * (len(FLOW_DESTINATIONS) - 1)
    destination_value: dict[str, float] = {"local_circuit": 0.0}
    for account, destination in FLOW_DESTINATIONS.items():
        destination_value[destination] = destination_value.get(destination, 0.0) + flows[account]
    destination_value["nonlocal_awards"] = flows["nonlocal_awards"]
    columns = [
        [("budget", 1.0, labels.ui("budget"), "#264653")],
        [
            ("local_awards", flows["local_awards"], labels.ui("local_awards"), LOCAL_COLOUR),
            (
                "nonlocal_awards",
                flows["nonlocal_awards"],
                labels.ui("nonlocal_awards"),
                LEAK_COLOURS["nonlocal_awards"],
            ),
        ],
        [
            (
                account,
                flows[account],
                labels("accounts", account),
                LOCAL_COLOUR if destination == "local_circuit" else LEAK_COLOURS[destination],
            )
            for account, destination in sorted(FLOW_DESTINATIONS.items(), key=lambda item: item[1] != "local_circuit")
        ],
        [
            (
                f"to:{name}",
                value,
                labels.ui(name) if name == "local_circuit" else labels("channels", name),
                LOCAL_COLOUR if name == "local_circuit" else LEAK_COLOURS[name],
            )
            for name, value in destination_value.items()
        ],
    ]
    tops: dict[str, float] = {}
    for x, column in zip(SANKEY_COLUMNS, columns, strict=True):
        shown = [node for node in column if node[1] > 0]
        spare = top - (sum(node[1] for node in shown) + gap * (len(shown) - 1))
        y = top - spare / 2
        for key, value, text, colour in shown:
            ax.add_patch(Rectangle((x - width / 2, y - value), width, value, facecolor=colour, edgecolor="none"))
            tops[key] = y
            anchor = "right" if x == 0 else "left"
            ax.text(
                x + (-1 if x == 0 else 1) * (width / 2 + 0.02),
                y - value / 2,
                f"{text} {value:.1%}",
                ha=anchor,
                va="center",
                fontsize=8,
                bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 0.5},
            )
            y -= value + gap
    out_offset = dict.fromkeys(tops, 0.0)
    in_offset = dict.fromkeys(tops, 0.0)
    links = [
        ("budget", "local_awards", flows["local_awards"], LOCAL_COLOUR, 0, 1),
        ("budget", "nonlocal_awards", flows["nonlocal_awards"], LEAK_COLOURS["nonlocal_awards"], 0, 1),
        ("nonlocal_awards", "to:nonlocal_awards", flows["nonlocal_awards"], LEAK_COLOURS["nonlocal_awards"], 1, 3),
    ]
    for key, _, _, colour in columns[2]:
        links.append(("local_awards", key, flows[key], colour, 1, 2))
        links.append((key, f"to:{FLOW_DESTINATIONS[key]}", flows[key], colour, 2, 3))
    for source, target, value, colour, x0, x1 in links:
        if value <= 0:
            continue
        _band(
            ax,
            SANKEY_COLUMNS[x0] + width / 2,
            tops[source] - out_offset[source],
            SANKEY_COLUMNS[x1] - width / 2,
            tops[target] - in_offset[target],
            value,
            colour,
        )
        out_offset[source] += value
        in_offset[target] += value
    ax.set_xlim(-0.9, SANKEY_COLUMNS[-1] + 1.8)
    ax.set_ylim(-0.02, top + 0.02)
    ax.set_axis_off()
    ax.set_title(title, fontsize=10)


def flow_figure(data: ReportData, scenario: str, labels: Labels) -> Figure:
    """The baseline's flow diagram beside ``scenario``'s (one diagram if they are the same)."""
    shown = [data.baseline] if scenario == data.baseline else [data.baseline, scenario]
    flows = _mean_over_draws(data.results["flows"])
    with _style():
        figure = Figure(figsize=(6.2 * len(shown), 4.8), layout="constrained")
        for ax, name in zip(figure.subplots(1, len(shown), squeeze=False)[0], shown, strict=True):
            values = {
                str(a): float(v) for a, v in zip(flows["account"].values, flows.sel(scenario=name).values, strict=True)
            }
            _sankey(ax, values, labels, data.display_name(name, labels.ui("baseline")))
    return figure


def sector_figure(data: ReportData, labels: Labels) -> Figure:
    """Local output by sector, stacked direct / indirect / induced, one panel per scenario."""
    effects = _mean_over_draws(data.results["output_effects"]).sel(effect=list(EFFECT_COLOURS))
    order = effects.sum("effect").max("scenario").to_series().sort_values(ascending=False).index
    top, rest = list(order[:TOP_SECTORS]), list(order[TOP_SECTORS:])
    names = [labels.sector(code) for code in top]
    if rest:
        names.append(f"+{len(rest)}")
    n = len(data.scenarios)
    ncols = min(n, 3)
    nrows = -(-n // ncols)
    with _style():
        figure = Figure(figsize=(4.2 * ncols + 1.5, (0.32 * len(names) + 1.1) * nrows), layout="constrained")
        axes = figure.subplots(nrows, ncols, squeeze=False, sharey=True, sharex=True)
        for ax, scenario in zip(axes.flat, data.scenarios, strict=False):
            left = np.zeros(len(names))
            for effect, colour in EFFECT_COLOURS.items():
                row = effects.sel(scenario=scenario, effect=effect)
                values = row.sel(sector=top).values
                if rest:
                    values = np.append(values, float(row.sel(sector=rest).sum()))
                ax.barh(names, values, left=left, color=colour, label=labels.ui(effect))
                left += values
            ax.set_title(scenario, fontsize=10)
            ax.set_xlabel(_money_unit(data.results))
        for ax in axes.flat[n:]:
            ax.set_axis_off()
        axes.flat[0].invert_yaxis()
        axes.flat[0].legend(loc="lower right", fontsize=8)
    return figure


def region_figure(data: ReportData, labels: Labels) -> Figure:
    """Output in the region and in other regions per scenario (summed over time and sectors)."""
    table = data.table
    with _style():
        figure = Figure(figsize=(8, 0.45 * len(data.scenarios) + 1.2), layout="constrained")
        ax = figure.subplots()
        inside, outside = table["local_output"].values, table["nonlocal_output"].values
        ax.barh(data.scenarios, inside, color=LOCAL_COLOUR, label=labels.ui("in_region"))
        ax.barh(
            data.scenarios, outside, left=inside, color=LEAK_COLOURS["other_regions"], label=labels.ui("out_of_region")
        )
        ax.invert_yaxis()
        ax.set_xlabel(_money_unit(data.results))
        ax.legend(loc="lower right", fontsize=8)
    return figure


def ranking_figure(data: ReportData, labels: Labels) -> Figure | None:
    """Ranked bars of net local value added per unit of extra cost; None for a single scenario."""
    table = data.table
    others = [s for s in data.scenarios if s != data.baseline]
    if not others:
        return None
    ranked = sorted(others, key=lambda s: int(table["rank"].sel(scenario=s)))
    ratio = np.array([float(table["net_value_added_per_cost"].sel(scenario=s)) for s in ranked])
    finite = np.isfinite(ratio)
    shown = np.where(finite, ratio, 0.0)
    with _style():
        figure = Figure(figsize=(8, 0.45 * len(ranked) + 1.2), layout="constrained")
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
            text = f"{value:,.3f}" if ok else labels.ui("no_extra_cost")
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
        ax.set_xlabel(labels("figures", "net_value_added_per_cost"))
        ax.margins(x=0.25)
    return figure


def _time_series(ax, da: xr.DataArray, scenarios: list[str]) -> None:
    for position, scenario in enumerate(scenarios):
        series = da.sel(scenario=scenario)
        colour = SCENARIO_COLOURS[position % len(SCENARIO_COLOURS)]
        if "draw" in series.dims:
            low, high = series.quantile([0.05, 0.95], dim="draw").values
            ax.fill_between(series["time"].values, low, high, color=colour, alpha=0.2, linewidth=0)
            series = series.mean("draw")
        ax.plot(series["time"].values, series.values, color=colour, label=scenario, linewidth=1.6)


def time_figure(data: ReportData, labels: Labels) -> Figure | None:
    """Local output and the local award share per period and scenario; None for a static run."""
    results = data.results
    if results.sizes["time"] < 2:
        return None
    period = labels.ui(f"period_{results.attrs['time_unit']}")
    with _style():
        figure = Figure(figsize=(11, 3.6), layout="constrained")
        output_ax, share_ax = figure.subplots(1, 2)
        _time_series(output_ax, results["local_output"].sum("sector"), data.scenarios)
        _time_series(share_ax, results["local_award_share"], data.scenarios)
        output_ax.set_title(labels("figures", "local_output"), fontsize=10)
        output_ax.set_ylabel(_money_unit(results))
        share_ax.set_title(labels("figures", "local_award_share"), fontsize=10)
        share_ax.yaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
        for ax in (output_ax, share_ax):
            ax.set_xlabel(period)
        share_ax.legend(fontsize=8, loc="best")
    return figure


def report_figures(data: ReportData, labels: Labels) -> dict[str, Figure]:
    """Every chart of the report by file stem: ``flows_<scenario>``, ``sectors``, ``regions``,
    ``ranking`` (several scenarios) and ``time_paths`` (several periods)."""
    others = [s for s in data.scenarios if s != data.baseline] or [data.baseline]
    figures = {f"flows_{scenario}": flow_figure(data, scenario, labels) for scenario in others}
    figures["sectors"] = sector_figure(data, labels)
    figures["regions"] = region_figure(data, labels)
    for name, make in (("ranking", ranking_figure), ("time_paths", time_figure)):
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


def save_figures(figures: dict[str, Figure], folder: str | Path, *, overwrite: bool = False) -> list[Path]:
    """Write every figure as ``<name>.png`` (200 dpi) and ``<name>.svg`` (glyphs as paths).

    Parameters
    ----------
    figures : dict
        Name -> figure, as from :func:`report_figures`.
    folder : path
        Existing or new folder (created).
    overwrite : bool
        Replace files that exist.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, figure in figures.items():
        for suffix, options in ((".png", {"dpi": 200}), (".svg", {"metadata": _SVG_METADATA})):
            path = folder / f"{name}{suffix}"
            with atomic_path(path, overwrite=overwrite) as tmp, _style(), rc_context({"svg.fonttype": "path"}):
                figure.savefig(tmp, format=suffix[1:], **options)
            written.append(path)
    return written
