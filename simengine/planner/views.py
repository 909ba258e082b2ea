"""HTML of the planner page and of the fragments htmx swaps into it (server-rendered, no templates).

Lever controls are drawn from :func:`simengine.report.catalogue.lever_kinds` and figures from
:func:`simengine.report.indicators.headline_indicators`, whatever those return.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from urllib.parse import quote

import numpy as np
import xarray as xr

from ..levers.base import SCOPE_KEYS
from ..procurement.vocabulary import sector_group_of
from ..report.catalogue import LeverField, LeverKind, lever_kind, lever_kinds, range_words
from ..report.indicators import indicator_names
from ..report.labels import Labels
from ..report.numbers import value_text
from ..results import OBJECTIVE_STREAMS
from .workspace import Draft, Evaluation, Workspace

__all__ = ["page", "results_panel", "packages_panel", "levers_panel", "field_id", "error_slots"]


def field_id(position: int, path: str) -> str:
    """Form name (and element id stem) of setting ``path`` of lever ``position``."""
    return f"lever-{position}-{path}"


def _error_id(position: int, path: str) -> str:
    return "error-" + (field_id(position, path) if position >= 0 else (path or "package")).replace(".", "_")


def _money_words(workspace: Workspace, labels: Labels) -> str:
    """The baseline's money unit in words of the page's language (``KRW million``, ``백만 원``)."""
    budget = workspace.baseline.budget
    return labels.money_unit(budget.currency, budget.monetary_unit)


def _default_words(setting: LeverField, labels: Labels) -> str:
    if setting.required:
        return labels("page", "required")
    if setting.default in (None, ""):
        return labels("page", "optional_all") if setting.path in SCOPE_KEYS else ""
    return labels("page", "optional").format(default=setting.default)


def _control(position: int, setting: LeverField, value, labels: Labels, sectors: list[str]) -> str:
    name = field_id(position, setting.path)
    shown = "" if value is None else value
    if setting.kind in ("sector", "sector_group", "choice"):
        groups = list(dict.fromkeys(sector_group_of(code) for code in sectors))
        options = {"sector": sectors, "sector_group": groups}.get(setting.kind, list(setting.choices))
        words = {
            "sector": labels.sector,
            "sector_group": lambda o: f"{labels('sector_groups', o)} ({o})",
        }.get(setting.kind, lambda o: labels("choices", o))
        blank = "" if setting.required and setting.kind == "choice" else '<option value="">—</option>'
        items = "".join(
            f'<option value="{escape(o)}"{" selected" if str(shown) == o else ""}>{escape(words(o))}</option>'
            for o in options
        )
        return f'<select name="{name}" id="{name}">{blank}{items}</select>'
    if setting.kind == "choices":
        chosen = set(shown or [])
        return "".join(
            f'<label class="choice"><input type="checkbox" name="{name}" value="{escape(o)}"'
            f"{' checked' if o in chosen else ''}> {escape(labels('choices', o))}</label>"
            for o in setting.choices
        )
    if setting.kind == "text":
        return f'<input type="text" name="{name}" id="{name}" value="{escape(str(shown))}">'
    step = {"share": "0.01", "integer": "1", "year": "1"}.get(setting.kind, "any")
    bounds = "".join(
        f' {attr}="{bound:.12g}"'
        for attr, bound in (("min", setting.minimum), ("max", setting.maximum))
        if bound is not None and setting.kind != "year"
    )
    number = (
        f'<input type="number" name="{name}" id="{name}" value="{escape(str(shown))}" step="{step}"{bounds}'
        f' inputmode="decimal">'
    )
    if setting.kind == "share":
        slider_value = shown if shown not in ("", None) else (setting.default if setting.default is not None else 0)
        return (
            f'<input type="range" id="{name}-slider" data-sync="{name}" min="0" max="1" step="0.01" '
            f'value="{escape(str(slider_value))}" aria-label="{escape(setting.label)}">{number}'
        )
    return number


def _setting(
    position: int, setting: LeverField, value, labels: Labels, sectors: list[str], money_unit: str, error: str = ""
) -> str:
    words = [setting.meaning.replace("`", "")]
    unit = setting.unit + (f" ({money_unit})" if setting.kind == "money" else "")
    if unit:
        words.append(unit)
    limits = range_words(setting, labels)
    if limits:
        words.append(limits)
    default = _default_words(setting, labels)
    if default:
        words.append(default)
    name = field_id(position, setting.path)
    return (
        f'<div class="setting" data-path="{escape(setting.path)}"><label for="{name}">{escape(setting.label)}</label>'
        f'<div class="control">{_control(position, setting, value, labels, sectors)}</div>'
        f'<div class="help">{escape(" · ".join(w for w in words if w))}</div>'
        f'<div class="error" id="{_error_id(position, setting.path)}" role="alert">{escape(error)}</div></div>'
    )


#: Settings drawn with the response parameters, folded away: free text and a later start.
_LATER = ("label", "start_year")


def _lever_card(
    position: int, raw: dict, labels: Labels, sectors: list[str], money_unit: str, errors: dict[tuple[int, str], str]
) -> str:
    spec: LeverKind = lever_kind(str(raw["kind"]), labels.lang)

    def settings(fields) -> str:
        return "".join(
            _setting(position, f, raw.get(f.path), labels, sectors, money_unit, errors.get((position, f.path), ""))
            for f in fields
        )

    body = settings(f for f in spec.fields if not f.advanced and f.path not in _LATER)
    extra = settings(f for f in spec.fields if f.advanced or f.path in _LATER)
    details = f"<details><summary>{escape(labels('page', 'response'))}</summary>{extra}</details>" if extra else ""
    return (
        f'<fieldset class="lever" data-kind="{escape(spec.kind)}" data-position="{position}">'
        f"<legend>{position + 1}. {escape(spec.label)}</legend>"
        f'<input type="hidden" name="lever-{position}-kind" value="{escape(spec.kind)}">'
        f'<p class="meaning">{escape(spec.meaning.replace("`", ""))}</p>{body}{details}'
        f'<button type="button" class="remove" hx-post="/levers/remove?position={position}" hx-include="#package" '
        f'hx-target="#levers" hx-swap="outerHTML">{escape(labels("page", "remove_lever"))}</button></fieldset>'
    )


def levers_panel(workspace: Workspace, labels: Labels, evaluation: Evaluation | None = None) -> str:
    """The lever cards of the draft (messages of ``evaluation`` next to their fields), and the control
    that adds a lever."""
    errors = placed_errors(workspace.draft, evaluation) if evaluation else {}
    sectors = list(dict.fromkeys(cell.sector for cell in workspace.baseline.budget.cell))
    from ..datasets import load_table

    sectors += [s for s in load_table("korea-2014").sectors if s not in sectors]
    cards = "".join(
        _lever_card(i, raw, labels, sectors, _money_words(workspace, labels), errors)
        for i, raw in enumerate(workspace.draft.levers)
    )
    empty = f'<p class="note">{escape(labels("page", "no_levers"))}</p>' if not cards else ""
    kinds = "".join(
        f'<option value="{escape(k.kind)}" title="{escape(k.meaning)}">{escape(k.label)}</option>'
        for k in lever_kinds(labels.lang)
    )
    return (
        f'<div id="levers">{empty}{cards}<div class="add"><select name="new-kind" id="new-kind" '
        f'aria-label="{escape(labels("page", "add_lever"))}">{kinds}</select>'
        f'<button type="button" id="add-lever" hx-post="/levers/add" hx-include="#package" hx-target="#levers" '
        f'hx-swap="outerHTML">{escape(labels("page", "add_lever"))}</button></div></div>'
    )


def _lever_slots(draft: Draft) -> set[tuple[int, str]]:
    slots = set()
    for i, raw in enumerate(draft.levers):
        try:
            spec = lever_kind(str(raw["kind"]))
        except KeyError:
            continue
        slots |= {(i, f.path) for f in spec.fields}
    return slots


def placed_errors(draft: Draft, evaluation: Evaluation) -> dict[tuple[int, str], str]:
    """Each message of ``evaluation`` by the field it belongs next to: its lever setting (a money
    value's ``.amount`` goes to the setting), the package id, or the package as a whole ``(-1, "")``."""
    slots = _lever_slots(draft)
    placed: dict[tuple[int, str], list[str]] = {}
    for (position, path), message in evaluation.errors.items():
        while "." in path and (position, path) not in slots:
            path = path.rsplit(".", 1)[0]
        if (position, path) not in slots and (position, path) != (-1, "package_id"):
            position, path = -1, ""
        placed.setdefault((position, path), []).append(message)
    return {key: " ".join(messages) for key, messages in placed.items()}


def error_slots(
    draft: Draft, evaluation: Evaluation, *, levers: bool = True, shown_before: Iterable[tuple[int, str]] = ()
) -> str:
    """Out-of-band swaps that put each message next to its field and clear the package-level ones.

    Lever fields get a swap only with ``levers`` (when the lever cards are not in the response
    itself), and only those with a message now or in ``shown_before`` (to clear it), so that an
    update without messages swaps nothing else.
    """
    placed = placed_errors(draft, evaluation)
    lever_slots = _lever_slots(draft) & (set(placed) | set(shown_before)) if levers else set()
    slots = [(-1, ""), (-1, "package_id"), *sorted(lever_slots)]
    return "".join(
        f'<div class="error" id="{_error_id(position, path)}" role="alert" hx-swap-oob="true">'
        f"{escape(placed.get((position, path), ''))}</div>"
        for position, path in slots
    )


def _indicator_rows(indicators: xr.Dataset, labels: Labels, baseline: str, package: str) -> str:
    """One row per figure: baseline, package and change; a change-only figure (``delta_X`` without
    ``X``) shows its change alone. The ranking figure names its objective."""
    money = labels.money_unit(indicators.attrs.get("currency", ""), indicators.attrs.get("monetary_unit", "one"))
    infinite, points = labels.ui("no_extra_cost"), labels.ui("points")
    rows = []
    for name in indicators.data_vars:
        variable = indicators[name]
        kind = variable.attrs.get("kind", "number")
        level = name.removeprefix("delta_")
        if kind == "rank" or (level != name and level in indicators):
            continue
        unit = {"money": money, "persons": labels.ui("persons_periods_year")}.get(kind, "")
        value = float(variable.sel(scenario=package))
        if level != name:
            base_text, value_cell, change = "", "", value
        else:
            base = float(variable.sel(scenario=baseline))
            base_text = value_text(base, kind, infinite=infinite)
            value_cell = value_text(value, kind, infinite=infinite)
            if f"delta_{name}" in indicators:
                change = float(indicators[f"delta_{name}"].sel(scenario=package))
            else:
                change = value - base if kind != "ratio" else np.nan
        change_text = "" if np.isnan(change) else value_text(change, kind, sign=True, infinite=infinite, points=points)
        rows.append(
            f'<tr data-indicator="{escape(name)}"><th>{escape(_figure_name(indicators, name, labels))}'
            f'<span class="unit"> {escape(unit.strip())}</span></th>'
            f'<td class="num">{escape(base_text)}</td>'
            f'<td class="num" data-value="{value!r}">{escape(value_cell)}</td>'
            f'<td class="num delta" data-value="{change!r}">{escape(change_text)}</td></tr>'
        )
    return "".join(rows)


def _figure_name(indicators: xr.Dataset, name: str, labels: Labels) -> str:
    """A figure's name; the net present benefit with its objective, e.g. ``Net present benefit (fiscal)``."""
    if indicators[name].attrs.get("role") == "objective":
        return labels("figures", f"npb_{indicators.attrs['objective']}")
    return labels("figures", name)


def _objective_control(workspace: Workspace, labels: Labels) -> str:
    """The objective packages are ranked by: one of the comparison's objectives."""
    options = "".join(
        f'<option value="{name}"{" selected" if name == workspace.objective else ""}>'
        f"{escape(labels('objectives', name))}</option>"
        for name in OBJECTIVE_STREAMS
    )
    return (
        f'<div class="setting"><label for="objective">{escape(labels("page", "objective_choose"))}</label>'
        f'<select name="objective" id="objective">{options}</select>'
        f'<p class="meaning">{escape(labels("page", "objective_meaning"))}</p></div>'
    )


def results_panel(workspace: Workspace, evaluation: Evaluation, labels: Labels) -> str:
    """The draft's headline figures against the baseline (or a note while the draft is invalid)."""
    if evaluation.indicators is None:
        body = f'<p class="note invalid">{escape(labels("page", "invalid"))}</p>'
    else:
        package = str(evaluation.indicators["scenario"].values[-1])
        body = (
            f'<table id="indicators"><thead><tr><th></th><th>{escape(labels("page", "baseline_value"))}</th>'
            f"<th>{escape(labels('page', 'package_value'))}</th><th>{escape(labels('page', 'vs_baseline'))}</th>"
            f"</tr></thead><tbody>"
            f"{_indicator_rows(evaluation.indicators, labels, workspace.baseline_id or '', package)}</tbody></table>"
        )
    ms = f"{1000 * evaluation.seconds:.0f}"
    return (
        f'<div id="results" data-server-ms="{ms}" data-objective="{workspace.objective}">'
        f"<h2>{escape(labels('page', 'results'))}</h2>{body}"
        f'<p class="meta" id="timing">{escape(labels("page", "updated").format(ms=ms))}</p></div>'
    )


def packages_panel(workspace: Workspace, labels: Labels) -> str:
    """Saved packages ranked under the objective, with their downloads."""
    table = workspace.comparison()
    heading = f"<h2>{escape(labels('page', 'saved'))}</h2>"
    if table is None:
        return f'<div id="packages">{heading}<p class="note">{escape(labels("page", "saved_none"))}</p></div>'
    objective = table.attrs["objective"]
    shown = [
        name
        for role in ("objective", "ratio", "gain", "displacement", "national", "cost")
        for name in indicator_names(table, role)
    ] + ["local_award_share"]
    money = labels.money_unit(table.attrs.get("currency", ""), table.attrs.get("monetary_unit", "one"))
    header = "".join(
        f"<th>{escape(_figure_name(table, name, labels))}"
        + (f'<br><span class="unit">{escape(money)}</span>' if table[name].attrs["kind"] == "money" else "")
        + "</th>"
        for name in shown
    )
    ranked = sorted(workspace.packages, key=lambda p: int(table["rank"].sel(scenario=p)))
    rows = []
    for package_id in ranked:
        cells = "".join(
            f'<td class="num" data-figure="{name}" data-value="{float(table[name].sel(scenario=package_id))!r}">'
            f"{escape(value_text(float(table[name].sel(scenario=package_id)), table[name].attrs['kind'], sign=name.startswith('delta_'), infinite=labels.ui('no_extra_cost'), points=labels.ui('points')))}</td>"  # noqa: E501
            for name in shown
        )
        rank = int(table["rank"].sel(scenario=package_id))
        title = workspace.packages[package_id].title
        rows.append(
            f'<tr data-package="{escape(package_id)}"><td class="num rank">{rank}</td><th class="package">'
            f'{escape(package_id)}<div class="meta">{escape(title)}</div><div class="actions"><a download '
            f'href="/packages/{quote(package_id)}.toml"'
            f' class="download-toml">{escape(labels("page", "download_toml"))}</a> '
            f'<button type="button" hx-post="/packages/remove?package_id={quote(package_id)}" hx-target="#packages" '
            f'hx-swap="outerHTML">{escape(labels("page", "remove"))}</button></div></th>{cells}</tr>'
        )
    note = labels("page", "ranking_note").format(objective=labels("objectives", objective))
    return (
        f'<div id="packages">{heading}<p class="note">{escape(note)}</p>'
        f'<div class="table-scroll"><table id="ranking" data-objective="{objective}"><thead><tr>'
        f'<th class="rank">{escape(labels.ui("rank"))}</th><th class="package">{escape(labels("page", "package"))}'
        f"</th>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        f'<p><a id="download-report" download href="/report.html?lang={labels.lang}">'
        f"{escape(labels('page', 'download_report'))}</a> · "
        f'<a id="download-baseline" download href="/packages/{quote(str(workspace.baseline_id))}.toml">'
        f"{escape(labels('page', 'download_baseline'))}</a></p></div>"
    )


def _baseline_section(workspace: Workspace, labels: Labels) -> str:
    options = "".join(
        f'<option value="{escape(sid)}"{" selected" if sid == workspace.baseline_id else ""}>'
        f"{escape(sid)} — {escape(workspace.baseline_files[sid])}</option>"
        for sid in workspace.baselines
    )
    choose = (
        f'<form method="post" action="/baseline" class="inline"><label for="baseline">'
        f'{escape(labels("page", "baseline_choose"))}</label> <select name="baseline" id="baseline" '
        f'onchange="this.form.submit()">{options}</select></form>'
        if options
        else f'<p class="note">{escape(labels("page", "baseline_none"))}</p>'
    )
    upload = (
        f'<form method="post" action="/upload/scenario" enctype="multipart/form-data" class="inline upload">'
        f'<label for="scenario-file">{escape(labels("page", "upload_scenario"))}</label> '
        f'<input type="file" name="file" id="scenario-file" accept=".toml">'
        f'<button type="submit">{escape(labels("page", "upload"))}</button>'
        f'<div class="error" id="error-upload-scenario" role="alert">{escape(workspace.messages.get("scenario", ""))}'
        f"</div></form>"
    )
    cells = ""
    if workspace.baseline_id is not None:
        budget = workspace.baseline.budget
        rows = "".join(
            f"<tr><td>{escape(labels.sector(c.sector))}</td><td>{escape(labels('choices', c.size_class))}</td>"
            f'<td>{escape(labels("choices", c.method))}</td><td class="num">{escape(value_text(c.amount, "money"))}'
            f'</td><td class="num">{escape(value_text(c.local_share, "share"))}</td></tr>'
            for c in budget.cell
        )
        total = sum(c.amount for c in budget.cell)
        share = sum(c.amount * c.local_share for c in budget.cell) / total
        info = workspace.baseline.scenario
        cells = (
            f'<p class="meta">{escape(info.title)} · {escape(info.region)} · {info.start_year}–'
            f"{info.start_year + info.horizon - 1}</p><details open><summary>{escape(labels('page', 'budget_cells'))} "
            f"({len(budget.cell)}; {escape(_money_words(workspace, labels))})</summary>"
            f'<div class="scroll"><table id="cells">'
            f"<thead><tr><th>{escape(labels('page', 'sector'))}</th><th>{escape(labels('page', 'size_class'))}</th>"
            f"<th>{escape(labels('page', 'method'))}</th><th>{escape(labels('page', 'amount'))}</th>"
            f"<th>{escape(labels('page', 'local_share'))}</th></tr></thead><tbody>{rows}</tbody><tfoot><tr><th "
            f'colspan="3">{escape(labels("page", "total"))}</th><td class="num">{escape(value_text(total, "money"))}'
            f'</td><td class="num" id="baseline-share">{escape(value_text(share, "share"))}</td></tr></tfoot>'
            f"</table></div></details>"
        )
    return (
        f'<section id="baseline-section"><h2>{escape(labels("page", "baseline"))}</h2>{choose}{upload}{cells}'
        f"{_register_section(workspace, labels)}</section>"
    )


def _register_section(workspace: Workspace, labels: Labels) -> str:
    upload = (
        f'<form method="post" action="/upload/register" enctype="multipart/form-data" class="inline upload">'
        f'<label for="register-file">{escape(labels("page", "upload_register"))}</label> '
        f'<input type="file" name="file" id="register-file" accept=".csv">'
        f'<button type="submit">{escape(labels("page", "upload"))}</button>'
        f'<div class="error" id="error-upload-register" role="alert">{escape(workspace.messages.get("register", ""))}'
        f"</div></form>"
    )
    analysis = workspace.register
    if analysis is None:
        return upload
    from ..procurement.spend import TOTAL_LABEL

    dims = [d for d in ("sector", "method", "size_class") if d in analysis.dims]
    frame = analysis[["contracts", "value", "local_share_value", "unknown_share_value"]].to_dataframe().reset_index()
    frame = frame[(frame["contracts"] > 0)]
    frame = frame[[all(row[d] == TOTAL_LABEL for d in dims[1:]) for _, row in frame.iterrows()]]
    rows = "".join(
        f'<tr><td>{escape(str(row[dims[0]]))}</td><td class="num">{escape(value_text(row["contracts"], "persons"))}'
        f'</td><td class="num">{escape(value_text(row["value"], "money"))}</td><td class="num">'
        f'{escape(value_text(row["local_share_value"], "share"))}</td><td class="num">'
        f"{escape(value_text(row['unknown_share_value'], 'share'))}</td></tr>"
        for _, row in frame.iterrows()
    )
    return (
        f"{upload}<h3>{escape(labels('page', 'spend'))}: {escape(workspace.register_name)}</h3>"
        f'<p class="note">{escape(labels("page", "spend_note"))}</p><table id="spend"><thead><tr>'
        f"<th>{escape(labels('page', 'sector'))}</th><th>{escape(labels('page', 'contracts'))}</th>"
        f"<th>{escape(labels('page', 'value'))} ({escape(str(analysis.attrs.get('currency', '')))})</th>"
        f"<th>{escape(labels('page', 'local_share'))}</th><th>{escape(labels('page', 'unknown_share'))}</th></tr>"
        f"</thead><tbody>{rows}</tbody></table>"
    )


CSS_LINK = '<link rel="stylesheet" href="/static/planner.css">'
#: htmx settings: the new figures settle at once (htmx waits 20 ms by default); no evaluation of
#: expressions and no scripts from swapped fragments (the page needs neither; text from uploads
#: is escaped anyway, this closes the door twice).
HTMX_CONFIG = (
    """<meta name="htmx-config" content='{"defaultSettleDelay": 0, "allowEval": false, "allowScriptTags": false}'>"""
)


def page(workspace: Workspace, labels: Labels, evaluation: Evaluation | None) -> str:
    """The whole planner page."""
    other = "ko" if labels.lang == "en" else "en"
    header = (
        f'<header><h1>{escape(labels("page", "title"))}</h1><a id="language" href="/?lang={other}">'
        f'{escape(labels("page", "language"))}</a><p class="note">{escape(labels("page", "intro"))}</p></header>'
    )
    if workspace.baseline_id is None:
        main = ""
    else:
        draft = workspace.draft
        placed = placed_errors(draft, evaluation) if evaluation else {}
        editor = (
            f'<section id="editor"><h2>{escape(labels("page", "package"))}</h2>'
            f'<form id="package" hx-post="/evaluate" hx-trigger="input, change" hx-target="#results" '
            f'hx-swap="outerHTML" hx-sync="this:queue last" novalidate onsubmit="return false">'
            f'<div class="setting"><label for="package-id">{escape(labels("page", "package_id"))}</label>'
            f'<input type="text" name="package-id" id="package-id" value="{escape(draft.package_id)}" '
            f'pattern="[a-z0-9][a-z0-9_\\-]*"><div class="error" id="error-package_id" role="alert"></div></div>'
            f'<div class="setting"><label for="package-title">{escape(labels("page", "package_title"))}</label>'
            f'<input type="text" name="package-title" id="package-title" value="{escape(draft.title)}"></div>'
            f"{_objective_control(workspace, labels)}"
            f"{levers_panel(workspace, labels, evaluation)}"
            f'<div class="error" id="error-package" role="alert">{escape(placed.get((-1, ""), ""))}</div>'
            f'<button type="button" id="save" hx-post="/packages/save" hx-include="#package" hx-target="#packages" '
            f'hx-swap="outerHTML">{escape(labels("page", "save"))}</button></form></section>'
        )
        results = results_panel(workspace, evaluation, labels) if evaluation else '<div id="results"></div>'
        main = (
            f'<div class="columns">{editor}<section id="outcome">{results}</section></div>'
            f'<section id="saved">{packages_panel(workspace, labels)}</section>'
        )
    return (
        f'<!DOCTYPE html>\n<html lang="{labels.lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="icon" href="data:,">'
        f"{HTMX_CONFIG}<title>{escape(labels('page', 'title'))}"
        f'</title>{CSS_LINK}<script src="/static/htmx.min.js"></script><script src="/static/planner.js"></script>'
        f"</head><body>{header}{_baseline_section(workspace, labels)}{main}</body></html>\n"
    )
