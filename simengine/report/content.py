"""What a report reads from results: the combined batch, scenario descriptions and the ranking.

Scenario descriptions (the levers in plain words) come from, in order of precedence: the
``descriptions`` argument ``{scenario_id: {"title": str, "levers": [{"kind": str, ...}]}}``;
string variables ``scenario_title`` and ``scenario_levers`` (JSON list) over ``scenario``
(the form that survives concatenating a batch); or, for a single-scenario result, the
Dataset attributes ``scenario_title`` and ``scenario_levers`` (JSON list).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

from ..errors import DataError
from ..results import check_result, compare, concat_results, present_values, require_accounts
from .indicators import headline_indicators

__all__ = [
    "ReportData",
    "ScenarioGroup",
    "TOP_N",
    "lever_settings",
    "objective_variable",
    "rank_probabilities",
    "ranked_scenarios",
    "report_data",
    "uncertainty_figures",
    "uncertainty_ranked",
    "scenario_groups",
    "shown_scenarios",
]

#: Percentiles of the Monte Carlo uncertainty bands (percent).
BAND_PERCENTILES = (5.0, 95.0)
#: Packages shown in full on page one, in the ranking chart and in the tables; the rest are summarised.
TOP_N = 10


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows, from one batch of results.

    Attributes
    ----------
    results : xarray.Dataset
        The results concatenated on ``scenario`` (checked against the contract).
    table : xarray.Dataset
        :func:`simengine.results.compare` of the batch: headline figures, differences to the
        baseline, present values, net present benefits and ``rank`` over ``scenario``.
    bands : xarray.DataArray or None
        Percentiles :data:`BAND_PERCENTILES` of the objective's net present benefit
        (:func:`objective_variable`) over Monte Carlo draws, dims ``(scenario, percentile)``; None without draws.
    descriptions : dict
        ``{scenario: {"title": str, "levers": list of dict}}``.
    indicators : xarray.Dataset
        :func:`simengine.report.indicators.headline_indicators` of the batch (page one).
    rank_first : xarray.DataArray or None
        Share of draws in which each scenario ranks first: of the uncertainty comparison when
        there is one, else of the results' Monte Carlo draws (None without either).
    uncertainty : xarray.Dataset or None
        Summary of the comparison under uncertainty (:func:`simengine.uncertainty.summarise`),
        over its own scenarios (those of the results, or fewer).
    """

    results: xr.Dataset
    table: xr.Dataset
    bands: xr.DataArray | None
    descriptions: dict[str, dict]
    indicators: xr.Dataset | None = None
    rank_first: xr.DataArray | None = None
    uncertainty: xr.Dataset | None = None

    @property
    def draws(self) -> int | None:
        """Draws behind :attr:`rank_first` (None without)."""
        if self.uncertainty is not None:
            return int(self.uncertainty.attrs["draws"])
        return int(self.results.sizes["draw"]) if "draw" in self.results.dims else None

    @property
    def scenarios(self) -> list[str]:
        return [str(s) for s in self.results["scenario"].values]

    @property
    def baseline(self) -> str:
        return str(self.table.attrs["baseline"])

    def display_name(self, scenario: str, baseline_word: str) -> str:
        """``scenario``, marked ``(baseline_word)`` if it is the baseline and not already so named."""
        if scenario == self.baseline and scenario != baseline_word:
            return f"{scenario} ({baseline_word})"
        return scenario


def _parse_levers(raw, scenario: str) -> list[dict]:
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise DataError(f"scenario {scenario!r}: scenario_levers is not valid JSON ({exc})") from None
    if not isinstance(raw, list) or not all(isinstance(lever, Mapping) and "kind" in lever for lever in raw):
        raise DataError(f"scenario {scenario!r}: scenario_levers must be a list of tables with a 'kind' key")
    return [dict(lever) for lever in raw]


def _descriptions_in(ds: xr.Dataset) -> dict[str, dict]:
    scenarios = [str(s) for s in ds["scenario"].values]
    found: dict[str, dict] = {}
    for position, scenario in enumerate(scenarios):
        if "scenario_title" in ds.variables:
            title = str(ds["scenario_title"].values[position])
            levers = ds["scenario_levers"].values[position] if "scenario_levers" in ds.variables else None
        elif len(scenarios) == 1 and ("scenario_title" in ds.attrs or "scenario_levers" in ds.attrs):
            title, levers = str(ds.attrs.get("scenario_title", scenario)), ds.attrs.get("scenario_levers")
        else:
            continue
        found[scenario] = {"title": title, "levers": _parse_levers(levers, scenario)}
    return found


def _draw_scores(results: xr.Dataset, baseline: str) -> tuple[np.ndarray, str] | None:
    """The objective's net present benefit of every scenario in every draw, ``(scenario, draw)``, and its units;
    None for results without a ``draw`` dimension. Each draw is compared with the baseline in the same
    draw, all draws at once (:func:`simengine.results.present_values` with ``per_draw``)."""
    if "draw" not in results.dims:
        return None
    objective = f"npb_{results.attrs.get('objective', 'local_value_added')}"
    scores = present_values(results, baseline=baseline, per_draw=True)[objective]
    return scores.transpose("scenario", "draw").values, scores.attrs.get("units", "")


def _uncertainty_bands(results: xr.Dataset, baseline: str) -> xr.DataArray | None:
    found = _draw_scores(results, baseline)
    if found is None:
        return None
    scores, units = found
    finite = np.where(np.isfinite(scores), scores, np.nan)
    if not np.isfinite(finite).any():
        return None
    with np.errstate(all="ignore"):
        bands = np.nanpercentile(finite, BAND_PERCENTILES, axis=1).T
    return xr.DataArray(
        bands,
        dims=("scenario", "percentile"),
        coords={"scenario": results["scenario"].values, "percentile": list(BAND_PERCENTILES)},
        attrs={"units": units, "long_name": "percentiles of the net present benefit over draws"},
    )


def objective_variable(table: xr.Dataset) -> str:
    """The variable of a comparison (:func:`simengine.results.compare`) that ranks it: ``npb_<objective>``."""
    return f"npb_{table.attrs['objective']}"


def report_data(
    results: xr.Dataset | Sequence[xr.Dataset],
    *,
    descriptions: Mapping[str, Mapping] | None = None,
    baseline: str | None = None,
    uncertainty: xr.Dataset | None = None,
) -> ReportData:
    """Combine results into one batch and derive the comparison the report shows.

    Parameters
    ----------
    results : xarray.Dataset or sequence of them
        Results following :mod:`simengine.results`; several are concatenated on ``scenario``.
    descriptions : mapping, optional
        ``{scenario_id: {"title": ..., "levers": [{"kind": ..., ...}]}}``; overrides what the
        results carry (see the module docstring).
    baseline : str, optional
        Scenario the others are compared with (default: the first).
    uncertainty : xarray.Dataset, optional
        Summary of the same scenarios compared under uncertainty
        (:func:`simengine.uncertainty.summarise` or :func:`~simengine.uncertainty.uncertainty_summary`).
    """
    parts = [results] if isinstance(results, xr.Dataset) else list(results)
    if not parts:
        raise DataError("a report needs at least one result")
    found: dict[str, dict] = {}
    for part in parts:
        found.update(_descriptions_in(part))
    combined = parts[0] if len(parts) == 1 else concat_results(parts)
    check_result(combined)
    require_accounts(combined, "the HTML report (flow diagrams, sector and region charts)")
    table = compare([combined], baseline=baseline)
    for scenario, description in (descriptions or {}).items():
        found[str(scenario)] = {
            "title": str(description.get("title", scenario)),
            "levers": _parse_levers(list(description.get("levers", [])), str(scenario)),
        }
    scenarios = [str(s) for s in combined["scenario"].values]
    unknown = sorted(set(found) - set(scenarios))
    if unknown:
        raise DataError(f"scenario descriptions name scenarios {unknown} that are not in the results {scenarios}")
    base = table.attrs["baseline"]
    indicators = headline_indicators([combined], baseline=base)
    rank_first = rank_probabilities(combined, base)
    if uncertainty is not None:
        uncertainty = _checked_uncertainty(uncertainty, scenarios, base)
        chosen = f"p_first_{table.attrs['objective']}"
        rank_first = uncertainty[chosen].reindex(scenario=scenarios, fill_value=np.nan)
    return ReportData(combined, table, _uncertainty_bands(combined, base), found, indicators, rank_first, uncertainty)


def rank_probabilities(results: xr.Dataset, baseline: str) -> xr.DataArray | None:
    """Share of Monte Carlo draws in which each scenario ranks first by the results' objective.

    Each draw is ranked on its own (:func:`simengine.uncertainty.rank_counts`, ties sharing a
    rank, the baseline last), all draws at once. Returns None for results without a ``draw``
    dimension.
    """
    from ..uncertainty import rank_counts

    found = _draw_scores(results, baseline)
    if found is None:
        return None
    scores, _ = found
    labels = [str(s) for s in results["scenario"].values]
    draws = scores.shape[1]
    first = rank_counts(scores, labels.index(baseline))[:, 0]
    return xr.DataArray(
        first / draws,
        dims=("scenario",),
        coords={"scenario": results["scenario"].values},
        attrs={"units": "1", "long_name": f"share of {draws} Monte Carlo draws in which the scenario ranks first"},
    )


def _checked_uncertainty(summary: xr.Dataset, scenarios: list[str], baseline: str) -> xr.Dataset:
    """An uncertainty summary (:func:`simengine.uncertainty.summarise`) checked against the results."""
    if "scenario" not in summary.coords or "p_first_local_value_added" not in summary:
        raise DataError("the uncertainty summary has no rank probabilities; pass simengine.uncertainty.summarise(...)")
    named = [str(s) for s in summary["scenario"].values]
    missing = sorted(set(named) - set(scenarios))
    if missing:
        raise DataError(
            f"the uncertainty comparison has scenarios {missing} that are not in the results {scenarios}; "
            "report the results of the same batch"
        )
    if str(summary.attrs.get("baseline")) != baseline:
        raise DataError(
            f"the uncertainty comparison's baseline is {summary.attrs.get('baseline')!r}, the report's {baseline!r}; "
            "compare both with the same baseline (--baseline)"
        )
    return summary


#: Figures of the ranking under uncertainty after the objective's net present benefit (variables of
#: :func:`simengine.uncertainty.summarise`, as ``<name>_median`` and so on).
UNCERTAINTY_FIGURES = (
    "delta_local_value_added",
    "delta_other_regions_value_added",
    "delta_national_value_added",
    "delta_fiscal_balance",
    "pv_delta_cost",
)


def uncertainty_figures(data: ReportData) -> list[str]:
    """The figures the ranking under uncertainty shows: the objective's net present benefit, then
    :data:`UNCERTAINTY_FIGURES`."""
    return [objective_variable(data.table), *UNCERTAINTY_FIGURES]


def uncertainty_ranked(data: ReportData, limit: int = TOP_N) -> list[str]:
    """The ``limit`` packages most often ranked first under uncertainty
    (:func:`simengine.uncertainty.uncertainty_order`); empty without an uncertainty comparison."""
    from ..uncertainty import uncertainty_order

    if data.uncertainty is None:
        return []
    ids = [str(s) for s in data.uncertainty["scenario"].values]
    return [ids[i] for i in uncertainty_order(data.uncertainty, data.table.attrs["objective"])[:limit]]


def ranked_scenarios(data: ReportData) -> list[str]:
    """Every scenario but the baseline, best rank first."""
    others = [s for s in data.scenarios if s != data.baseline]
    return sorted(others, key=lambda s: int(data.table["rank"].sel(scenario=s)))


#: Scenario ids of sweep variants: ``<base id>-sweepNNNN`` (as written by the batch runner).
SWEEP_ID = re.compile(r"^(?P<base>.+)-sweep\d+$")
#: Scenarios besides the baseline whose flows and sectors are drawn when there are many.
SHOWN_SCENARIOS = 3


def _flat_settings(lever: Mapping, prefix: str) -> dict[str, object]:
    """``{"lever[i].key": value}`` of one lever, nested tables flattened with dots (lists kept whole)."""
    flat: dict[str, object] = {}
    for key, value in lever.items():
        path = f"{prefix}.{key}"
        if isinstance(value, Mapping):
            flat.update(_flat_settings(value, path))
        else:
            flat[path] = value
    return flat


def lever_settings(levers: Sequence[Mapping]) -> dict[str, object]:
    """Every setting of a scenario's levers by path, e.g. ``{"lever[0].target": 0.6, ...}``."""
    flat: dict[str, object] = {}
    for position, lever in enumerate(levers):
        flat.update(_flat_settings(lever, f"lever[{position}]"))
    return flat


@dataclass(frozen=True)
class ScenarioGroup:
    """A named scenario and its variants (levers that differ from it only in values).

    Attributes
    ----------
    base : str
        The named scenario, described in full.
    variants : tuple of str
        Scenarios ``<base>-sweepNNNN``, or with the base's title, whose levers have the same
        kinds and settings as the base's and differ only in values.
    differing : tuple of str
        Setting paths (``lever[i].key``) whose values differ within the group, in lever order.
    """

    base: str
    variants: tuple[str, ...] = ()
    differing: tuple[str, ...] = ()


def scenario_groups(data: ReportData) -> list[ScenarioGroup]:
    """The scenarios in batch order, sweep variants grouped under their base scenario.

    A scenario is a variant of an earlier scenario ``B`` if its levers have the same kinds and
    setting paths as ``B``'s and either its id is ``B-sweepNNNN`` or its title equals ``B``'s.
    The baseline is never a variant.
    """
    groups: dict[str, list[str]] = {}
    settings = {s: lever_settings(data.descriptions.get(s, {}).get("levers", [])) for s in data.scenarios}
    titles = {s: data.descriptions.get(s, {}).get("title", "") for s in data.scenarios}
    for scenario in data.scenarios:
        match = SWEEP_ID.match(scenario)
        base = next(
            (
                b
                for b in groups
                if b != data.baseline
                and scenario != data.baseline
                and settings[b].keys() == settings[scenario].keys()
                and ((match is not None and match["base"] == b) or (titles[b] and titles[b] == titles[scenario]))
            ),
            None,
        )
        if base is None:
            groups[scenario] = []
        else:
            groups[base].append(scenario)
    result = []
    for base, variants in groups.items():
        members = [base, *variants]
        differing = tuple(
            path for path in settings[base] if len({json.dumps(settings[m][path], sort_keys=True) for m in members}) > 1
        )
        result.append(ScenarioGroup(base, tuple(variants), differing))
    return result


def shown_scenarios(data: ReportData, limit: int = SHOWN_SCENARIOS) -> list[str]:
    """The scenarios drawn in the flow and sector charts: the baseline, then at most ``limit``
    others, best rank first, one per :func:`scenario_groups` group (its best-ranked member)."""
    group_of = {member: group.base for group in scenario_groups(data) for member in (group.base, *group.variants)}
    ranked = sorted(
        (s for s in data.scenarios if s != data.baseline), key=lambda s: int(data.table["rank"].sel(scenario=s))
    )
    shown: list[str] = []
    for scenario in ranked:
        if len(shown) == limit:
            break
        if all(group_of[other] != group_of[scenario] for other in shown):
            shown.append(scenario)
    return [data.baseline, *shown]
