"""The planner report as one self-contained HTML page (no network: font, charts and script inline).

Sections: ``summary`` (scenarios and their levers, headline figures, provenance), ``flows``
(where a won of procurement goes), ``sectors`` (impacts by sector, in and out of the region),
``comparison`` (ranked bars and a sortable table) and ``time-paths``. Every number cell
carries the exact value it shows in ``data-value`` (``Infinity`` for a gain at no extra
cost), with ``data-scenario`` and ``data-figure`` naming its source in the results.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path

import numpy as np
import xarray as xr

from ..io import check_output_path, check_output_paths, write_atomic
from ..results import headline_set
from .content import (
    TOP_N,
    ReportData,
    ScenarioGroup,
    lever_settings,
    ranked_scenarios,
    report_data,
    scenario_groups,
    shown_scenarios,
    uncertainty_figures,
    uncertainty_ranked,
)
from .figures import figure_files, figure_svg, report_figures, save_figures
from .fonts import FONT_FAMILY, font_face_css
from .indicators import indicator_names
from .labels import Labels, load_labels
from .numbers import value_text

__all__ = ["HEADLINE_FIGURES", "build_report", "write_report"]

#: Headline figures of the summary (variables of :func:`simengine.results.headline`) and how
#: each is shown: ``money`` (the results' money unit), ``share`` (percent), ``persons``
#: (person-years) or ``ratio``.
HEADLINE_FIGURES = (
    ("local_output", "money"),
    ("local_value_added", "money"),
    ("other_regions_value_added", "money"),
    ("national_value_added", "money"),
    ("resident_household_income", "money"),
    ("fiscal_balance", "money"),
    ("real_volume", "money"),
    ("local_employment", "persons"),
    ("local_award_share", "share"),
    ("cost_premium", "money"),
    ("lm3", "ratio"),
)

#: Packages listed on page one under the answer (the comparison in section 4 lists :data:`TOP_N`).
LEAD_ROWS = 5

#: With more scenarios than this, the headline table lists scenarios as rows (figures as columns).
TRANSPOSE_AFTER = 5

#: The comparison table shows :func:`simengine.results.headline_set` after rank, scenario and title.

_FONT_PLACEHOLDER = "/*@font-face*/"

_CSS = """
body { font-family: '@FONT@', sans-serif; color: #1d2d35; margin: 0 auto; max-width: 1120px; padding: 1.5rem;
       line-height: 1.45; font-size: 15px; }
h1 { font-size: 1.7rem; margin-bottom: 0.2rem; } h2 { border-bottom: 2px solid #2a9d8f; padding-bottom: 0.2rem;
       margin-top: 2.2rem; } h3 { margin-bottom: 0.4rem; }
.note, .meta { color: #51606b; font-size: 0.9rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #d5dde2; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable th[aria-sort="ascending"]::after { content: " \\2191"; }
table.sortable th[aria-sort="descending"]::after { content: " \\2193"; }
figure.chart { margin: 0.8rem 0 1.2rem; } figure.chart svg { max-width: 100%; height: auto; display: block; }
figcaption { color: #51606b; font-size: 0.85rem; }
dl.provenance { display: grid; grid-template-columns: max-content auto; gap: 0.2rem 1rem; }
dl.provenance dt { font-weight: bold; } dl.provenance dd { margin: 0; }
ul.scenarios > li { margin-bottom: 0.5rem; }
.table-scroll { overflow-x: auto; max-width: 100%; }
table.wide thead th { vertical-align: bottom; font-size: 0.85rem; }
table.wide tbody th { white-space: nowrap; }
.unit, code.path { color: #51606b; font-weight: normal; font-size: 0.8rem; }
.variants { margin: 0.3rem 0 0.6rem; } table.variants-table { margin: 0.2rem 0; }
table.variants-table td { text-align: right; }
#lead .answer { font-size: 1.05rem; border-left: 4px solid #2a9d8f; padding: 0.2rem 0 0.2rem 0.9rem; margin: 0.6rem 0; }
#lead .answer p { margin: 0.35rem 0; } #lead h2 { margin-top: 1rem; }
tr.more td { color: #51606b; font-style: italic; } table .meta { font-size: 0.85em; }
#lead-table thead th:first-child { white-space: nowrap; }
#lead-table tbody th { white-space: normal; min-width: 14rem; }
#lead-table thead th:nth-child(n+3) { min-width: 5.5rem; }
@media print { body { max-width: none; font-size: 10.5pt; padding: 0; } section { break-before: page; }
  section#lead { break-before: auto; } #lead .answer { font-size: 11pt; }
  #comparison-table { font-size: 8pt; } figure.chart, table { break-inside: avoid; }
  .table-scroll { overflow: visible; } table.wide, table.variants-table { font-size: 8pt; width: 100%; }
  table.wide th, table.wide td { padding: 0.15rem 0.3rem; white-space: normal; }
  table.wide tbody th { white-space: normal; } }
""".replace("@FONT@", FONT_FAMILY)

_SORT_SCRIPT = """
document.querySelectorAll('table.sortable').forEach(function (table) {
  table.querySelectorAll('thead th').forEach(function (header, column) {
    header.addEventListener('click', function () {
      var ascending = header.getAttribute('aria-sort') !== 'ascending';
      table.querySelectorAll('thead th').forEach(function (other) { other.removeAttribute('aria-sort'); });
      header.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[column].getAttribute('data-value'), y = b.cells[column].getAttribute('data-value');
        var nx = parseFloat(x), ny = parseFloat(y);
        var order = (!isNaN(nx) && !isNaN(ny)) ? (nx > ny) - (nx < ny) : String(x).localeCompare(String(y));
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
"""


def _data_value(value: float) -> str:
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(float(value))


def _shown(value: float, kind: str, labels: Labels, *, sign: bool = False) -> str:
    return value_text(value, kind, sign=sign, infinite=labels.ui("no_extra_cost"), points=labels.ui("points"))


def _unit(kind: str, data: ReportData, labels: Labels) -> str:
    attrs = data.results.attrs
    return {
        "money": labels.money_unit(attrs["currency"], attrs["monetary_unit"]),
        "persons": labels.ui("persons_periods_year"),  # headline employment is in person-years
        "share": "%",
        "ratio": "",
    }[kind]


def _number_cell(data: ReportData, scenario: str, figure: str, kind: str, labels: Labels) -> str:
    value = float(data.table[figure].sel(scenario=scenario))
    return (
        f'<td class="num" data-scenario="{escape(scenario)}" data-figure="{figure}" '
        f'data-value="{_data_value(value)}">{escape(_shown(value, kind, labels))}</td>'
    )


def _setting_words(key: str, value, labels: Labels) -> str:
    """One lever setting's value in words (sector names, amounts with units, lists, numbers)."""
    if key == "sector":
        return labels.sector(value)
    if isinstance(value, Mapping) and {"amount", "unit"} <= set(value):
        currency, *scale = str(value["unit"]).split()
        amount = float(value["amount"])
        return f"{_number_words(amount)} {labels.money_unit(currency, scale[0] if scale else 'one')}"
    if isinstance(value, list | tuple):
        return ", ".join(_setting_words("", item, labels) for item in value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int) and key.endswith("year"):
        return str(value)
    if isinstance(value, float | int):
        return _number_words(float(value))
    return labels("choices", value) if value in labels.tables.get("choices", {}) else str(value)


def _number_words(value: float) -> str:
    """A setting's number as written: grouped digits, no rounding of what the file says."""
    if value == int(value) and abs(value) < 1e15:
        return value_text(value, "persons")
    text = f"{value:.12g}"
    if "e" in text:
        return text
    whole, _, decimals = text.partition(".")
    return value_text(float(whole), "persons") + (f".{decimals}" if decimals else "")


def _lever_words(lever: Mapping, labels: Labels) -> str:
    """``Kind (its label): setting value, ...``; the scenario file's own ``label`` leads."""
    settings = [
        f"{labels('lever_settings', key)} {_setting_words(key, value, labels)}"
        for key, value in lever.items()
        if key not in ("kind", "label")
    ]
    words = labels("levers", lever["kind"])
    if lever.get("label"):
        words = f"{words} ({lever['label']})"
    return f"{words}: {', '.join(settings)}" if settings else words


def _years(data: ReportData) -> str:
    results = data.results
    if "year" in results.coords:
        years = np.asarray(results["year"].values).ravel()
        return f"{int(years.min())}–{int(years.max())}" if years.min() != years.max() else str(int(years.min()))
    return str(results.sizes["time"])


def _lead(data: ReportData, labels: Labels) -> str:
    """Page one: which package ranks first under the objective, by how much, at what cost, how
    sure, and how much of the local gain is a transfer from other regions; then the best
    :data:`LEAD_ROWS` in a table. Every figure comes from
    :func:`simengine.report.indicators.headline_indicators`."""
    heading = f'<section id="lead"><h2>{escape(labels.ui("lead"))}</h2>'
    ranked = ranked_scenarios(data)
    if not ranked:
        return f'{heading}<p class="answer">{escape(labels.ui("lead_only_baseline"))}</p></section>'
    table = data.indicators
    objective = indicator_names(table, "objective")[0]
    kind = {name: table[name].attrs["kind"] for name in table.data_vars}

    def value(name: str, scenario: str) -> float:
        return float(table[name].sel(scenario=scenario))

    def shown(name: str, scenario: str, sign: bool = False) -> str:
        return _shown(value(name, scenario), kind[name], labels, sign=sign)

    def strong(text: str) -> str:
        return f"<strong>{escape(text)}</strong>"

    first = ranked[0]
    unit = escape(_unit("money", data, labels))
    aim = escape(labels("objectives", table.attrs["objective"]))
    sentences = [
        escape(labels.ui("lead_first")).format(
            first=strong(data.display_name(first, labels.ui("baseline"))),
            objective=aim,
            value=strong(shown(objective, first)),
            unit=unit,
        )
    ]
    if len(ranked) > 1:
        second, best = ranked[1], value(objective, first)
        tied = [s for s in ranked if abs(value(objective, s) - best) <= 1e-9 * max(abs(best), 1e-300)]
        margin = best - value(objective, second)
        if len(tied) > 1:
            sentences.append(escape(labels.ui("lead_tie")).format(count=len(tied)))
        elif np.isfinite(margin):
            sentences.append(
                escape(labels.ui("lead_margin")).format(
                    margin=strong(_shown(margin, kind[objective], labels)),
                    second=escape(second),
                    value=escape(shown(objective, second)),
                    unit=unit,
                )
            )
    gain, cost = indicator_names(table, "gain")[0], indicator_names(table, "cost")[0]
    ratio = indicator_names(table, "ratio")[0]
    years = escape(_years(data))
    if value(cost, first) > 0:
        sentences.append(
            escape(labels.ui("lead_cost")).format(
                years=years,
                cost=strong(shown(cost, first)),
                ratio=strong(shown(ratio, first)),
                objective=aim,
                gain=strong(shown(gain, first, sign=True)),
                unit=unit,
            )
        )
    else:
        sentences.append(
            escape(labels.ui("lead_free")).format(years=years, gain=strong(shown(gain, first, sign=True)), unit=unit)
        )
    if data.uncertainty is not None:
        sentences.extend(_lead_uncertainty(data, labels, first, strong))
    elif data.rank_first is not None:
        sentences.append(
            escape(labels.ui("lead_sure_draws")).format(
                share=strong(_shown(float(data.rank_first.sel(scenario=first)), "share", labels)),
                draws=escape(_count(data.draws)),
            )
        )
    else:
        sentences.append(escape(labels.ui("lead_sure_none")))
    displacement, national = indicator_names(table, "displacement")[0], indicator_names(table, "national")[0]
    local_gain, moved = value(gain, first), value(displacement, first)
    transfer = {
        "change": strong(shown(displacement, first, sign=True)),
        "national": strong(shown(national, first, sign=True)),
        "unit": unit,
    }
    if local_gain > 0 and moved < 0:
        share = _shown(min(1.0, -moved / local_gain), "share", labels)
        sentences.append(escape(labels.ui("lead_transfer_share")).format(share=strong(share), **transfer))
    else:
        sentences.append(escape(labels.ui("lead_transfer")).format(**transfer))
    answer = "".join(f"<p>{sentence}</p>" for sentence in sentences)
    return f'{heading}<div class="answer">{answer}</div>{_lead_table(data, labels, ranked)}</section>'


def _count(value: int) -> str:
    """A count of draws or packages with grouped digits."""
    return value_text(float(value), "persons")


def _lead_uncertainty(data: ReportData, labels: Labels, first: str, strong) -> list[str]:
    """Page one's "how sure" under uncertainty: the share of draws in which the first package ranks
    first and, when another package is first more often, that one."""
    share = float(data.rank_first.sel(scenario=first))
    sentences = [
        escape(labels.ui("lead_sure_uncertainty")).format(
            share=strong(_shown(share, "share", labels) if np.isfinite(share) else "–"),
            draws=escape(_count(data.draws)),
            section=UNCERTAINTY_SECTION,
        )
    ]
    leader = uncertainty_ranked(data, 1)
    if leader and leader[0] != first:
        sentences.append(
            escape(labels.ui("lead_sure_leader")).format(
                leader=strong(leader[0]),
                share=strong(_shown(float(data.rank_first.sel(scenario=leader[0])), "share", labels)),
            )
        )
    return sentences


def _lead_cell(table: xr.Dataset, scenario: str, name: str, labels: Labels) -> str:
    value = float(table[name].sel(scenario=scenario))
    text = _shown(value, table[name].attrs["kind"], labels, sign=name.startswith("delta_"))
    return (
        f'<td class="num" data-scenario="{escape(scenario)}" data-figure="{name}" data-value="{_data_value(value)}">'
        f"{escape(text)}</td>"
    )


def _lead_table(data: ReportData, labels: Labels, ranked: list[str]) -> str:
    """The best :data:`LEAD_ROWS` packages: rank, the objective, gain, cost, transfer (and the share of
    draws ranked first)."""
    table = data.indicators
    columns = [
        name
        for role in ("objective", "ratio", "gain", "displacement", "national", "cost")
        for name in indicator_names(table, role)
    ]
    shown = ranked[:LEAD_ROWS]
    header = "".join(
        f"<th>{escape(labels('figures', name))}"
        + (
            f'<br><span class="unit">{escape(_unit(table[name].attrs["kind"], data, labels))}</span>'
            if table[name].attrs["kind"] in ("money", "persons")
            else ""
        )
        + "</th>"
        for name in columns
    )
    if data.rank_first is not None:
        header += f"<th>{escape(labels.ui('share_first'))}</th>"
    rows = []
    for scenario in shown:
        title = data.descriptions.get(scenario, {}).get("title", "")
        title_html = f'<div class="meta">{escape(title)}</div>' if title and title != scenario else ""
        cells = "".join(_lead_cell(table, scenario, name, labels) for name in columns)
        if data.rank_first is not None:
            cells += (
                f'<td class="num">{escape(_shown(float(data.rank_first.sel(scenario=scenario)), "share", labels))}</td>'
            )
        rank = int(table["rank"].sel(scenario=scenario))
        rows.append(
            f'<tr><td class="num" data-scenario="{escape(scenario)}" data-figure="rank" data-value="{rank}">{rank}</td>'
            f"<th>{escape(scenario)}{title_html}</th>{cells}</tr>"
        )
    if len(ranked) > len(shown):
        note = labels.ui("lead_top").format(shown=len(shown), count=len(ranked), section=4)
    else:
        note = labels.ui("lead_all").format(count=len(ranked), baseline=data.baseline)
    return (
        f'<p class="note">{escape(note)}</p><div class="table-scroll"><table id="lead-table" class="wide"><thead><tr>'
        f"<th>{escape(labels.ui('rank'))}</th><th>{escape(labels.ui('scenario'))}</th>{header}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _scenario_item(data: ReportData, scenario: str, labels: Labels, variants: str = "") -> str:
    description = data.descriptions.get(scenario, {"title": "", "levers": []})
    title = f" — {escape(description['title'])}" if description["title"] and description["title"] != scenario else ""
    levers = "".join(f"<li>{escape(_lever_words(lever, labels))}</li>" for lever in description["levers"])
    lever_list = f"<ul>{levers}</ul>" if levers else f'<div class="note">{escape(labels.ui("no_levers"))}</div>'
    name = escape(data.display_name(scenario, labels.ui("baseline")))
    return (
        f'<li data-scenario="{escape(scenario)}"><strong>{name}</strong>{title}'
        f"<div>{escape(labels.ui('levers'))}:</div>{lever_list}{variants}</li>"
    )


def _variants_table(data: ReportData, group: ScenarioGroup, labels: Labels) -> str:
    """The values that differ between a scenario and its variants: one row per member, one
    column per differing setting (``lever[i].key``)."""
    levers = data.descriptions[group.base]["levers"]
    header = []
    for path in group.differing:
        position, key = path.removeprefix("lever[").split("].", 1)
        words = f"{labels('levers', levers[int(position)]['kind'])}: {labels('lever_settings', key)}"
        header.append(f'<th>{escape(words)}<br><code class="path">{escape(path)}</code></th>')
    rank = {s: int(data.table["rank"].sel(scenario=s)) for s in group.variants}
    variants = group.variants if len(group.variants) <= TOP_N else sorted(group.variants, key=rank.__getitem__)[:TOP_N]
    rows = []
    for member in (group.base, *variants):
        settings = lever_settings(data.descriptions[member]["levers"])
        cells = "".join(
            f"<td>{escape(_setting_words(path.rsplit('.', 1)[-1], settings[path], labels))}</td>"
            for path in group.differing
        )
        rows.append(f'<tr data-scenario="{escape(member)}"><th>{escape(member)}</th>{cells}</tr>')
    if len(group.variants) > len(variants):
        more = escape(labels.ui("more_variants").format(count=len(group.variants) - len(variants)))
        rows.append(f'<tr class="more"><td colspan="{len(group.differing) + 1}">{more}</td></tr>')
    note = labels.ui("variants_note").format(count=len(group.variants), base=group.base)
    return (
        f'<div class="variants"><div class="note">{escape(note)}</div><div class="table-scroll">'
        f'<table class="variants-table" data-base="{escape(group.base)}"><thead><tr>'
        f"<th>{escape(labels.ui('scenario'))}</th>{''.join(header)}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div></div>"
    )


def _headline_table(data: ReportData, labels: Labels) -> str:
    """Headline figures: figures as rows and scenarios as columns, or transposed (scenarios as
    rows) when there are more than :data:`TRANSPOSE_AFTER` scenarios so the table fits the page."""
    if len(data.scenarios) <= TRANSPOSE_AFTER:
        header = "".join(f"<th>{escape(s)}</th>" for s in data.scenarios)
        rows = []
        for figure, kind in HEADLINE_FIGURES:
            cells = "".join(_number_cell(data, s, figure, kind, labels) for s in data.scenarios)
            rows.append(
                f"<tr><th>{escape(labels('figures', figure))}</th><td>{escape(_unit(kind, data, labels))}</td>"
                f"{cells}</tr>"
            )
        head = f"<th>{escape(labels.ui('figure'))}</th><th>{escape(labels.ui('unit'))}</th>{header}"
        layout = "figures-as-rows"
    else:
        columns = []
        for figure, kind in HEADLINE_FIGURES:
            unit = _unit(kind, data, labels)
            unit_html = f'<br><span class="unit">{escape(unit)}</span>' if unit else ""
            columns.append(f"<th>{escape(labels('figures', figure))}{unit_html}</th>")
        head = f"<th>{escape(labels.ui('scenario'))}</th>{''.join(columns)}"
        listed = [data.baseline, *ranked_scenarios(data)[:TOP_N]]
        rows = [
            f"<tr><th>{escape(data.display_name(s, labels.ui('baseline')))}</th>"
            + "".join(_number_cell(data, s, figure, kind, labels) for figure, kind in HEADLINE_FIGURES)
            + "</tr>"
            for s in listed
        ]
        if len(listed) < len(data.scenarios):
            more = escape(labels.ui("more_variants").format(count=len(data.scenarios) - len(listed)))
            rows.append(f'<tr class="more"><td colspan="{len(HEADLINE_FIGURES) + 1}">{more}</td></tr>')
        layout = "scenarios-as-rows"
    return (
        f'<div class="table-scroll"><table id="headline-table" class="wide" data-layout="{layout}"><thead><tr>'
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _summary(data: ReportData, labels: Labels) -> str:
    items = [
        _scenario_item(data, group.base, labels, _variants_table(data, group, labels) if group.variants else "")
        for group in scenario_groups(data)
    ]
    return (
        f'<section id="summary"><h2>1. {escape(labels.ui("summary"))}</h2>'
        f'<h3>{escape(labels.ui("scenarios"))}</h3><ul class="scenarios">{"".join(items)}</ul>'
        f"<h3>{escape(labels.ui('headline'))}</h3>{_headline_table(data, labels)}"
        f"{_provenance(data, labels)}</section>"
    )


def _shown_note(data: ReportData, labels: Labels) -> str:
    """Which scenarios the flow and sector charts show, and why (only when some are left out)."""
    shown = shown_scenarios(data)
    if len(shown) == len(data.scenarios):
        return ""
    note = labels.ui("shown_note").format(
        count=len(shown) - 1,
        names=", ".join(shown[1:]),
        hidden=len(data.scenarios) - len(shown),
    )
    return f'<p class="note shown-note">{escape(note)}</p>'


def _provenance(data: ReportData, labels: Labels) -> str:
    attrs = data.results.attrs
    entries = [
        (labels("provenance", key), labels("choices", attrs[key]) if key in ("mode", "time_unit") else str(attrs[key]))
        for key in ("region", "table", "data_version", "simengine_version", "mode", "price_year", "time_unit")
        if key in attrs
    ]
    entries.insert(
        6, (labels("provenance", "monetary_unit"), labels.money_unit(attrs["currency"], attrs["monetary_unit"]))
    )
    if "draw" in data.results.dims:
        entries.append((labels.ui("draws"), _count(data.results.sizes["draw"])))
    if "scenario_hash" in data.results.variables:
        hashes = dict(zip(data.scenarios, (str(h) for h in data.results["scenario_hash"].values.ravel()), strict=True))
    elif "scenario_hash" in attrs and len(data.scenarios) == 1:
        hashes = {data.scenarios[0]: str(attrs["scenario_hash"])}
    else:
        hashes = {}
    listed = [data.baseline, *ranked_scenarios(data)[:TOP_N]]
    entries += [(f"{labels.ui('scenario_hash')} ({s})", hashes[s]) for s in listed if s in hashes]
    if len(hashes) > len(listed):
        entries.append((labels.ui("scenario_hash"), labels.ui("more_hashes").format(count=len(hashes) - len(listed))))
    entries += [
        (labels("provenance", key), labels.tables.get("notes", {}).get(str(attrs[key]), str(attrs[key])))
        for key in ("employment_basis", "structure_warning")
        if key in attrs
    ]
    body = "".join(f"<dt>{escape(key)}</dt><dd>{escape(value)}</dd>" for key, value in entries)
    return f'<h3>{escape(labels.ui("provenance"))}</h3><dl class="provenance">{body}</dl>'


def _chart(name: str, svg: str, caption: str = "") -> str:
    caption_html = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return f'<figure class="chart" id="chart-{escape(name)}" data-chart="{escape(name)}">{svg}{caption_html}</figure>'


def _comparison(data: ReportData, labels: Labels, svgs: dict[str, str]) -> str:
    heading = f'<section id="comparison"><h2>4. {escape(labels.ui("comparison"))}</h2>'
    if "ranking" not in svgs:
        return f'{heading}<p class="note">{escape(labels.ui("comparison_single"))}</p></section>'
    note = labels.ui("comparison_note") + (f" {labels.ui('uncertainty_note')}" if data.bands is not None else "")
    comparison_figures = [(f, kind) for f, _, _, kind in headline_set(data.table) if kind != "rank"]
    figure_columns = [
        f"{labels('figures', f)} ({_unit(kind, data, labels)})"
        if kind in ("money", "persons")
        else labels("figures", f)
        for f, kind in comparison_figures
    ]
    columns = [labels.ui("rank"), labels.ui("scenario"), *figure_columns]
    header = "".join(f"<th>{escape(c)}</th>" for c in columns)

    def row(scenario: str) -> str:
        rank = int(data.table["rank"].sel(scenario=scenario))
        title = data.descriptions.get(scenario, {}).get("title", "")
        name = data.display_name(scenario, labels.ui("baseline"))
        if title and title != scenario:
            name = f"{name} — {title}"
        cells = "".join(_number_cell(data, scenario, f, kind, labels) for f, kind in comparison_figures)
        return (
            f'<tr><td class="num" data-value="{rank}">{rank}</td>'
            f'<td data-value="{escape(scenario)}">{escape(name)}</td>{cells}</tr>'
        )

    ranked = ranked_scenarios(data)
    top, rest = [*ranked[:TOP_N], data.baseline], ranked[TOP_N:]
    more = ""
    if rest:
        more = (
            f"<details><summary>{escape(labels.ui('more_rows').format(count=len(rest)))}</summary>"
            f'<table id="comparison-rest" class="sortable"><thead><tr>{header}</tr></thead>'
            f"<tbody>{''.join(row(s) for s in rest)}</tbody></table></details>"
        )
    return (
        f'{heading}<p class="note">{escape(note)}</p>{_chart("ranking", svgs["ranking"])}'
        f'<table id="comparison-table" class="sortable"><thead><tr>{header}</tr></thead>'
        f"<tbody>{''.join(row(s) for s in top)}</tbody></table>{more}</section>"
    )


#: Section number of the ranking under uncertainty (after the comparison; the time paths follow).
UNCERTAINTY_SECTION = 5


def _interval_cell(summary: xr.Dataset, scenario: str, name: str, labels: Labels) -> str:
    """``median [p05, p95]`` of one figure, the median in ``data-value``."""
    low, median, high = (float(summary[f"{name}_{q}"].sel(scenario=scenario)) for q in ("p05", "median", "p95"))
    text = f"{_shown(median, 'money', labels)} [{_shown(low, 'money', labels)}, {_shown(high, 'money', labels)}]"
    return (
        f'<td class="num" data-scenario="{escape(scenario)}" data-figure="{name}_median" '
        f'data-value="{_data_value(median)}">{escape(text)}</td>'
    )


def _parameter_words(parameter: str, labels: Labels) -> str:
    """A response parameter ``kind.field`` in words: the lever, then the parameter."""
    kind, _, field = parameter.partition(".")
    return f"{labels('levers', kind)}: {labels('response_parameters', field)}"


def _uncertainty(data: ReportData, labels: Labels, svgs: dict[str, str]) -> str:
    """The ranking under uncertainty: rank shares, intervals and distributions of the packages most
    often first (at most :data:`TOP_N`), their intervals in a table, and the parameters that move the
    ranking. Empty without an uncertainty comparison."""
    summary = data.uncertainty
    if summary is None:
        return ""
    objective = data.table.attrs["objective"]
    ranked = uncertainty_ranked(data)
    everyone = summary.sizes["scenario"] - 1
    top = int(summary.attrs.get("top", 3))
    intro = labels.ui("uncertainty_intro").format(
        draws=_count(int(summary.attrs["draws"])),
        seed=summary.attrs["seed"],
        objective=labels("objectives", objective),
        shown=len(ranked),
        count=everyone,
    )
    figures = uncertainty_figures(data)
    unit = _unit("money", data, labels)
    header = "".join(
        f'<th>{escape(labels("figures", name))}<br><span class="unit">{escape(unit)}, '
        f"{escape(labels.ui('uncertainty_table_median'))}</span></th>"
        for name in figures
    )
    header += f"<th>{escape(labels.ui('p_first'))}</th><th>{escape(labels.ui('p_top').format(top=top))}</th>"
    rows = []
    for position, scenario in enumerate(ranked, start=1):
        cells = "".join(_interval_cell(summary, scenario, name, labels) for name in figures)
        for key in (f"p_first_{objective}", f"p_top{top}_{objective}"):
            value = float(summary[key].sel(scenario=scenario))
            cells += (
                f'<td class="num" data-scenario="{escape(scenario)}" data-figure="{key}" '
                f'data-value="{_data_value(value)}">{escape(_shown(value, "share", labels))}</td>'
            )
        rows.append(
            f'<tr data-scenario="{escape(scenario)}"><td class="num">{position}</td>'
            f"<th>{escape(scenario)}</th>{cells}</tr>"
        )
    if everyone > len(ranked):
        more = escape(labels.ui("uncertainty_more").format(count=_count(everyone - len(ranked))))
        rows.append(f'<tr class="more"><td colspan="{len(figures) + 4}">{more}</td></tr>')
    table = (
        f'<div class="table-scroll"><table id="uncertainty-table" class="wide sortable"><thead><tr>'
        f"<th>{escape(labels.ui('rank'))}</th><th>{escape(labels.ui('scenario'))}</th>{header}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )
    charts = "".join(
        _chart(name, svgs[name], labels.ui(f"uncertainty_{caption}_caption"))
        for name, caption in (
            ("rank_probabilities", "ranks"),
            ("intervals", "intervals"),
            ("distributions", "distributions"),
        )
        if name in svgs
    )
    return (
        f'<section id="uncertainty"><h2>{UNCERTAINTY_SECTION}. {escape(labels.ui("uncertainty"))}</h2>'
        f'<p class="note">{escape(intro)}</p>{charts}{table}{_sensitivity(summary, labels)}</section>'
    )


def _sensitivity(summary: xr.Dataset, labels: Labels) -> str:
    """The response parameters by how much they move the ranking (largest |rho| first)."""
    if not summary.sizes.get("parameter", 0):
        return ""
    names = [str(p) for p in summary["parameter"].values]
    ids = [str(s) for s in summary["scenario"].values]
    table = summary["sensitivity"].values
    strongest = summary["sensitivity_max"].values
    rows = []
    for j in np.argsort(-strongest, kind="stable"):
        packages = [i for i, s in enumerate(ids) if s != summary.attrs["baseline"]]
        where = ids[packages[int(np.argmax(np.abs(table[j, packages])))]] if packages else ""
        low, high = float(summary["prior_low"][j]), float(summary["prior_high"][j])
        rows.append(
            f'<tr data-parameter="{escape(names[j])}"><th>{escape(_parameter_words(names[j], labels))}<br>'
            f'<code class="path">{escape(names[j])}</code></th>'
            f'<td class="num">{escape(_number_words(low))} – {escape(_number_words(high))}</td>'
            f'<td class="num" data-value="{_data_value(float(strongest[j]))}">{float(strongest[j]):.2f}</td>'
            f"<td>{escape(where)}</td></tr>"
        )
    note = labels.ui("uncertainty_sensitivity_note").format(leader=summary.attrs.get("leader", ""))
    return (
        f'<h3>{escape(labels.ui("uncertainty_sensitivity"))}</h3><p class="note">{escape(note)}</p>'
        f'<table id="sensitivity-table"><thead><tr><th>{escape(labels.ui("parameter"))}</th>'
        f"<th>{escape(labels.ui('prior_range'))}</th><th>{escape(labels.ui('largest_rho'))}</th>"
        f"<th>{escape(labels.ui('rho_with'))}</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def render_html(data: ReportData, labels: Labels, svgs: dict[str, str]) -> str:
    """Assemble the page from the report data and the charts as inline SVG (by figure name)."""
    attrs = data.results.attrs
    flows = "".join(_chart(name, svg) for name, svg in svgs.items() if name.startswith("flows_"))
    time_paths = (
        _chart("time_paths", svgs["time_paths"])
        if "time_paths" in svgs
        else f'<p class="note">{escape(labels.ui("time_paths_static"))}</p>'
    )
    body = (
        f'<header><h1>{escape(labels.ui("title"))}</h1><p class="meta">{escape(str(attrs["region"]))} · '
        f"{escape(str(attrs['table']))} · {escape(labels.ui('generated_by'))} {escape(str(attrs['simengine_version']))}"
        f"</p></header>{_lead(data, labels)}{_summary(data, labels)}"
        f'<section id="flows"><h2>2. {escape(labels.ui("flows"))}</h2><p class="note">{escape(labels.ui("flows_note"))}'
        f"</p>{_shown_note(data, labels)}{flows}</section>"
        f'<section id="sectors"><h2>3. {escape(labels.ui("sectors"))}</h2><p class="note">'
        f"{escape(labels.ui('sectors_note'))}</p>{_shown_note(data, labels)}{_chart('sectors', svgs['sectors'])}"
        f"<h3>{escape(labels.ui('region_split'))}</h3>{_chart('regions', svgs['regions'])}</section>"
        f"{_comparison(data, labels, svgs)}{_uncertainty(data, labels, svgs)}"
        f'<section id="time-paths"><h2>{UNCERTAINTY_SECTION + (data.uncertainty is not None)}. '
        f'{escape(labels.ui("time_paths"))}</h2><p class="note">'
        f"{escape(labels.ui('time_paths_note'))}</p>{time_paths}</section>"
    )
    page = (
        f'<!DOCTYPE html>\n<html lang="{labels.lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(labels.ui('title'))}: {escape(', '.join(data.scenarios))}</title>"
        f"<style>{_FONT_PLACEHOLDER}{_CSS}</style></head><body>{body}<script>{_SORT_SCRIPT}</script></body></html>\n"
    )
    return page.replace(_FONT_PLACEHOLDER, font_face_css(page), 1)


def _prepare(results, lang, descriptions, baseline, uncertainty=None):
    labels = load_labels(lang)
    data = report_data(results, descriptions=descriptions, baseline=baseline, uncertainty=uncertainty)
    return data, labels, report_figures(data, labels)


def build_report(
    results: xr.Dataset | Sequence[xr.Dataset],
    *,
    lang: str = "en",
    descriptions: Mapping[str, Mapping] | None = None,
    baseline: str | None = None,
    uncertainty: xr.Dataset | None = None,
) -> str:
    """The report of ``results`` as one self-contained HTML page.

    Parameters
    ----------
    results : xarray.Dataset or sequence of them
        Results following :mod:`simengine.results` (a batch, or several concatenated on
        ``scenario``).
    lang : {"en", "ko"}
        Language of labels and sector names.
    descriptions : mapping, optional
        ``{scenario_id: {"title": str, "levers": [{"kind": str, ...}]}}``; see
        :mod:`simengine.report.content` for where they are otherwise read from.
    baseline : str, optional
        Scenario the others are compared with (default: the first).
    uncertainty : xarray.Dataset, optional
        The same scenarios compared under uncertainty (:func:`simengine.uncertainty.summarise`,
        :func:`~simengine.uncertainty.uncertainty_summary` or
        :func:`~simengine.uncertainty.read_uncertainty`): page one says how sure the ranking is,
        and a section shows the ranking under uncertainty.

    Returns
    -------
    str
        The HTML page (UTF-8 text; font, charts and script embedded).
    """
    data, labels, figures = _prepare(results, lang, descriptions, baseline, uncertainty)
    return render_html(data, labels, {name: figure_svg(figure) for name, figure in figures.items()})


def write_report(
    results: xr.Dataset | Sequence[xr.Dataset],
    path: str | os.PathLike,
    *,
    overwrite: bool = False,
    figures_dir: str | os.PathLike | None = None,
    lang: str = "en",
    descriptions: Mapping[str, Mapping] | None = None,
    baseline: str | None = None,
    uncertainty: xr.Dataset | None = None,
) -> Path:
    """Write the report of ``results`` to ``path`` atomically, and its charts to ``figures_dir``.

    Parameters are those of :func:`build_report`, plus: ``path`` the HTML file (an existing
    file is replaced only with ``overwrite``); ``figures_dir`` a folder (created if missing)
    that receives every chart as PNG and SVG (see :func:`simengine.report.figures.save_figures`).
    """
    path = Path(path)
    check_output_path(path, overwrite=overwrite, suffixes=(".html", ".htm"))
    data, labels, figures = _prepare(results, lang, descriptions, baseline, uncertainty)
    page = render_html(data, labels, {name: figure_svg(figure) for name, figure in figures.items()})
    if figures_dir is None:
        return write_atomic(path, page, overwrite=overwrite)
    figure_paths = figure_files(figures, figures_dir)
    check_output_paths([path, *figure_paths], overwrite=overwrite)
    written = save_figures(figures, figures_dir, overwrite=overwrite)
    try:
        write_atomic(path, page, overwrite=overwrite)
    except BaseException:
        for done in written:
            done.unlink(missing_ok=True)
        raise
    return path
