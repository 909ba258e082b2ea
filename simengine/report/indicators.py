"""The headline indicators of a comparison: what the planner page and page one of the report show.

:func:`headline_indicators` is the single source both read their figures from. It derives them
from :func:`simengine.results.compare` and its decision headline set
(:func:`simengine.results.headline_set`), ranked by the net present benefit of one objective
(:data:`simengine.results.OBJECTIVE_STREAMS`): the one passed, else the results'
``objective`` attribute (the scenarios' ``[appraisal] objective``). Each variable carries ``kind``
(how it is shown: ``money`` in the results' money unit, ``persons`` in person-years, ``share`` as
a percent, ``ratio``, or ``rank``), ``units`` and ``long_name``; a level ``X`` is followed by its
change to the baseline ``delta_X`` where one exists. Some carry a ``role`` that page one reads:

- ``objective``: the figure packages are ranked by, ``net_present_benefit`` (``attrs["objective"]``
  names the objective, and ``rank`` orders by it, 1 = best); ``ratio``: the objective's benefit
  per won of extra cost beside it;
- ``gain``: the change in local value added, ``cost``: the present value of the extra cost;
- ``displacement``: the change in other regions' value added (negative: their loss), a transfer
  rather than a gain for the country; ``national``: the change for the whole country (local +
  other regions).
"""

from __future__ import annotations

from collections.abc import Sequence

import xarray as xr

from ..results import RESULT_VARIABLES, compare

__all__ = ["INDICATORS", "headline_indicators", "indicator_names"]

#: (variable of the indicators, kind, role) in display order. ``net_present_benefit`` and
#: ``benefit_cost_ratio`` are the comparison's ``npb_<objective>`` and ``bcr_<objective>``.
INDICATORS = (
    ("net_present_benefit", "money", "objective"),
    ("benefit_cost_ratio", "ratio", "ratio"),
    ("local_value_added", "money", ""),
    ("delta_local_value_added", "money", "gain"),
    ("delta_other_regions_value_added", "money", "displacement"),
    ("delta_national_value_added", "money", "national"),
    ("resident_household_income", "money", ""),
    ("delta_resident_household_income", "money", ""),
    ("fiscal_balance", "money", ""),
    ("delta_fiscal_balance", "money", ""),
    ("pv_delta_cost", "money", "cost"),
    ("local_employment", "persons", ""),
    ("delta_local_employment", "persons", ""),
    ("local_award_share", "share", ""),
    ("rank", "rank", ""),
)
#: Indicators taken from the objective's variables of the comparison.
_OF_OBJECTIVE = {"net_present_benefit": "npb_{objective}", "benefit_cost_ratio": "bcr_{objective}"}


def headline_indicators(
    results: xr.Dataset | Sequence[xr.Dataset], *, baseline: str | None = None, objective: str | None = None
) -> xr.Dataset:
    """The headline indicators of results compared with a baseline, ranked under an objective.

    Parameters
    ----------
    results : xarray.Dataset or sequence of them
        Results following :mod:`simengine.results` (several are put side by side on ``scenario``).
    baseline : str, optional
        Scenario the others are compared with (default: the first).
    objective : str, optional
        Objective to rank by (:data:`simengine.results.OBJECTIVE_STREAMS`); default: the results'
        ``objective`` attribute, as :func:`simengine.results.compare` reads it.

    Returns
    -------
    xarray.Dataset
        Dims ``scenario`` (means over Monte Carlo draws); the variables of :data:`INDICATORS`
        in that order, each with ``kind``, ``role``, ``units`` and ``long_name``; attributes of
        the comparison, among them ``baseline`` and ``objective``.
    """
    parts = [results] if isinstance(results, xr.Dataset) else list(results)
    table = compare([_needed(part) for part in parts], baseline=baseline, objective=objective)
    chosen = table.attrs["objective"]
    variables = {}
    for name, kind, role in INDICATORS:
        variable = table[_OF_OBJECTIVE.get(name, name).format(objective=chosen)]
        variables[name] = variable.variable.copy(deep=False)
        variables[name].attrs = {**variable.attrs, "kind": kind, "role": role}
    return xr.Dataset(variables, coords={"scenario": table["scenario"]}, attrs=dict(table.attrs))


#: Result variables :func:`simengine.results.compare` reads: every variable of the contract but
#: the per-won flows and the output by effect (fewer variables to align and join).
_COMPARED = tuple(name for name in RESULT_VARIABLES if name not in ("flows", "output_effects"))


def _needed(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` with only the variables the comparison reads."""
    return ds[[name for name in _COMPARED if name in ds.data_vars]]


def indicator_names(indicators: xr.Dataset, role: str) -> list[str]:
    """Variables of ``indicators`` that carry ``role`` (see the module docstring)."""
    return [name for name in indicators.data_vars if indicators[name].attrs.get("role") == role]
