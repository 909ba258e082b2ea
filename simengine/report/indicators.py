"""The headline indicators of a comparison: what the planner page and page one of the report show.

:func:`headline_indicators` is the single source both read their figures from. It derives them
from :func:`simengine.results.compare`. Each variable carries ``kind`` (how it is shown: ``money``
in the results' money unit, ``persons`` in person-years, ``share`` as a percent, ``ratio``, or
``rank``), ``units`` and ``long_name``; a level ``X`` is followed by its change to the baseline
``delta_X`` where one exists. Some carry a ``role`` that page one reads:

- ``objective``: the figure packages are ranked by (``attrs["objective"]`` names it, and
  ``rank`` orders by it, 1 = best);
- ``gain``: the change the objective rewards, ``cost``: the extra cost it is weighed against;
- ``displacement``: output moved from other regions (negative: their loss), which is a transfer
  rather than a gain for the country.
"""

from __future__ import annotations

from collections.abc import Sequence

import xarray as xr

from ..results import compare

__all__ = ["INDICATORS", "OBJECTIVE", "headline_indicators", "indicator_names"]

#: (variable of the comparison, kind, role) in display order.
INDICATORS = (
    ("net_value_added_per_cost", "ratio", "objective"),
    ("local_value_added", "money", ""),
    ("delta_local_value_added", "money", "gain"),
    ("cost_premium", "money", ""),
    ("delta_cost_premium", "money", "cost"),
    ("net_value_added", "money", ""),
    ("local_income", "money", ""),
    ("delta_local_income", "money", ""),
    ("local_employment", "persons", ""),
    ("delta_local_employment", "persons", ""),
    ("local_tax", "money", ""),
    ("delta_local_tax", "money", ""),
    ("local_award_share", "share", ""),
    ("nonlocal_output", "money", ""),
    ("delta_nonlocal_output", "money", "displacement"),
    ("lm3", "ratio", ""),
    ("rank", "rank", ""),
)


def headline_indicators(results: xr.Dataset | Sequence[xr.Dataset], *, baseline: str | None = None) -> xr.Dataset:
    """The headline indicators of results compared with a baseline.

    Parameters
    ----------
    results : xarray.Dataset or sequence of them
        Results following :mod:`simengine.results` (several are put side by side on ``scenario``).
    baseline : str, optional
        Scenario the others are compared with (default: the first).

    Returns
    -------
    xarray.Dataset
        Dims ``scenario`` (means over Monte Carlo draws); the variables of :data:`INDICATORS`
        in that order, each with ``kind``, ``role``, ``units`` and ``long_name``; attributes of
        the results plus ``baseline`` and ``objective`` (:data:`OBJECTIVE`).
    """
    parts = [results] if isinstance(results, xr.Dataset) else list(results)
    table = compare([_needed(part) for part in parts], baseline=baseline)
    base = table.attrs["baseline"]
    reference = table["nonlocal_output"].sel(scenario=base)
    displaced = (table["nonlocal_output"] - reference).assign_attrs(
        units=table["nonlocal_output"].attrs.get("units", ""),
        long_name=f"change in output induced in other regions vs {base}",
    )
    variables = {}
    for name, kind, role in INDICATORS:
        variable = displaced if name == "delta_nonlocal_output" else table[name]
        variables[name] = variable.variable.copy(deep=False)
        variables[name].attrs = {**variable.attrs, "kind": kind, "role": role}
    return xr.Dataset(variables, coords={"scenario": table["scenario"]}, attrs={**table.attrs, "objective": OBJECTIVE})


#: The objective the indicators rank by (``rank`` 1 = the largest).
OBJECTIVE = "net_value_added_per_cost"
#: Result variables :func:`simengine.results.compare` reads (the rest are left out before comparing).
_COMPARED = (
    "budget",
    "local_awards",
    "local_award_share",
    "cost_premium",
    "local_tax",
    "local_output",
    "local_value_added",
    "local_income",
    "local_employment",
    "nonlocal_output",
    "leakage",
    "lm3",
)


def _needed(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` with only the variables the comparison reads (fewer variables to align and join)."""
    return ds[[name for name in _COMPARED if name in ds.data_vars]]


def indicator_names(indicators: xr.Dataset, role: str) -> list[str]:
    """Variables of ``indicators`` that carry ``role`` (see the module docstring)."""
    return [name for name in indicators.data_vars if indicators[name].attrs.get("role") == role]
