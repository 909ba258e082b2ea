"""Scenario results: the Dataset contract, provenance, comparison and saving.

A result is an :class:`xarray.Dataset` with the variables of :data:`RESULT_VARIABLES`.
Every variable carries ``units`` and ``long_name``; money is in the Dataset's
``currency`` and ``monetary_unit`` attributes (for example KRW million). Dimensions:

- ``scenario``: one label per scenario (a batch is results concatenated on it);
- ``time``: integer periods from 0, ``attrs["time_unit"]`` is ``"year"`` or ``"month"``;
  a static run has the single period 0;
- ``sector``: industries of the region's table (codes as in the table);
- ``channel``: where money leaves the local economy (see :data:`LEAKAGE_CHANNELS`);
- ``account``: the first-round flow accounts of a won of procurement
  (:data:`FLOW_ACCOUNTS`), which a report draws as a flow (Sankey) diagram;
- ``effect``: ``direct``, ``indirect``, ``induced``, ``total``;
- ``draw`` (optional, agent mode): Monte Carlo draws; every variable may carry it.

Dataset attributes (provenance): ``scenario_hash`` (per scenario, in the
``scenario_hash`` variable for batches), ``region``, ``table``, ``data_version``,
``simengine_version``, ``currency``, ``monetary_unit``, ``price_year``, ``mode``
(``"analytic"`` or ``"agents"``), ``time_unit``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import xarray as xr

from .errors import DataError
from .io import check_output_path, read_netcdf, write_netcdf

__all__ = [
    "RESULT_VARIABLES",
    "LEAKAGE_CHANNELS",
    "FLOW_ACCOUNTS",
    "REQUIRED_ATTRS",
    "check_result",
    "check_compatible",
    "concat_results",
    "compare",
    "save_result",
    "load_result",
    "headline",
]

#: name -> (dims, unit kind, long name); unit kind "money" means the Dataset's currency unit.
RESULT_VARIABLES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "budget": (("scenario", "time"), "money", "procurement budget spent"),
    "local_awards": (("scenario", "time"), "money", "value of contracts awarded to local firms"),
    "local_award_share": (("scenario", "time"), "1", "share of awarded value won by local firms"),
    "cost_premium": (
        ("scenario", "time"),
        "money",
        "extra cost of the levers: procurement cost premium plus programme costs",
    ),
    "local_output": (("scenario", "time", "sector"), "money", "output of local industries"),
    "local_value_added": (("scenario", "time", "sector"), "money", "value added of local industries"),
    "local_income": (("scenario", "time", "sector"), "money", "labour income paid to resident workers"),
    "local_employment": (
        ("scenario", "time", "sector"),
        "persons",
        "persons employed in local industries during the period",
    ),
    "local_tax": (("scenario", "time"), "money", "local tax revenue returning to the city budget"),
    "nonlocal_output": (
        ("scenario", "time", "sector"),
        "money",
        "output induced in other regions through supply chains (open interregional model)",
    ),
    "leakage": (("scenario", "time", "channel"), "money", "money leaving the local economy, by channel"),
    "flows": (("scenario", "account"), "1", "first-round destination of a won of procurement"),
    "output_effects": (("scenario", "effect", "sector"), "money", "local output by effect"),
    "lm3": (("scenario",), "1", "Local Multiplier 3 (first three rounds / round one)"),
}

#: Channels through which money leaves the local economy (closed circuit):
#: contracts won by non-local firms; inputs imported from abroad; inputs bought from other
#: regions of the country; wages of commuters living elsewhere; surplus of outside owners;
#: purchases outside the city by households, the city budget and reinvestment; taxes that
#: leave the city (national and product taxes); household saving and city revenue not re-spent.
LEAKAGE_CHANNELS = (
    "nonlocal_awards",
    "imports_abroad",
    "other_regions",
    "commuters",
    "outside_owners",
    "spending_outside",
    "taxes_leaving",
    "not_respent",
)

#: First-round accounts of one won of procurement spending; the first two sum to 1 and
#: the remaining ones split ``local_awards`` (they sum to its value).
FLOW_ACCOUNTS = (
    "local_awards",
    "nonlocal_awards",
    "local_inputs",
    "other_region_inputs",
    "imported_inputs",
    "other_inputs",
    "resident_wages",
    "commuter_wages",
    "local_profits",
    "outside_profits",
)

REQUIRED_ATTRS = (
    "region",
    "table",
    "data_version",
    "simengine_version",
    "currency",
    "monetary_unit",
    "mode",
    "time_unit",
)

#: Relative tolerance of the accounting identities a result must satisfy.
IDENTITY_RTOL = 1e-9


def _money_unit(ds: xr.Dataset) -> str:
    return f"{ds.attrs['currency']} {ds.attrs['monetary_unit']}".strip()


def check_result(ds: xr.Dataset) -> None:
    """Raise :class:`DataError` unless ``ds`` follows the result contract.

    Checks the variables, their dims (``draw`` allowed in addition), units, finite values,
    a positive budget, the provenance attributes, shares in [0, 1] and the flow-account
    identities.
    """
    missing_attrs = [a for a in REQUIRED_ATTRS if a not in ds.attrs]
    if missing_attrs:
        raise DataError(f"result lacks provenance attributes {missing_attrs}")
    if ds.attrs["time_unit"] not in ("year", "month"):
        raise DataError(f"result time_unit must be 'year' or 'month', got {ds.attrs['time_unit']!r}")
    for dim in ds.dims:
        if dim in ds.indexes and not ds.indexes[dim].is_unique:
            labels = [str(v) for v in ds[dim].values]
            repeated = sorted({label for label in labels if labels.count(label) > 1})
            raise DataError(f"result repeats the {dim} labels {repeated[:5]}; each label must appear once")
    money = _money_unit(ds)
    for name, (dims, kind, _) in RESULT_VARIABLES.items():
        if name not in ds:
            raise DataError(f"result lacks variable {name!r}")
        variable = ds.variables[name]
        actual = tuple(d for d in variable.dims if d != "draw")
        if set(actual) != set(dims):
            raise DataError(f"result variable {name!r} has dims {variable.dims}; expected {dims} (+ optional 'draw')")
        expected_units = {"money": money, "persons": "persons", "1": "1"}[kind]
        if variable.attrs.get("units") != expected_units or "long_name" not in variable.attrs:
            raise DataError(
                f"result variable {name!r} needs units {expected_units!r} and a long_name, "
                f"got {variable.attrs.get('units')!r}"
            )
    for name in RESULT_VARIABLES:
        if not np.all(np.isfinite(np.asarray(ds.variables[name].values, dtype=np.float64))):
            raise DataError(f"result variable {name!r} has NaN or infinite values")
    if bool((ds.variables["budget"].values <= 0).any()):
        raise DataError("result budget must be positive in every period")
    share = ds.variables["local_award_share"].values
    if bool(((share < 0) | (share > 1)).any()):
        raise DataError("local_award_share outside [0, 1]")
    flows = ds.variables["flows"]
    labels = list(ds.indexes["account"]) if "account" in ds.indexes else []
    missing = [a for a in FLOW_ACCOUNTS if a not in labels]
    if missing:
        raise DataError(f"flows lacks accounts {missing} on its 'account' coordinate")
    axis = flows.dims.index("account")
    values = flows.values

    def account(name: str) -> np.ndarray:
        return np.take(values, labels.index(name), axis=axis)

    awards = account("local_awards") + account("nonlocal_awards")
    split = np.nansum(np.take(values, [labels.index(a) for a in FLOW_ACCOUNTS[2:]], axis=axis), axis=axis)
    if not np.allclose(awards, 1.0, rtol=IDENTITY_RTOL, atol=IDENTITY_RTOL):
        raise DataError("flows: local_awards + nonlocal_awards must be 1 per won of procurement")
    if not np.allclose(split, account("local_awards"), rtol=1e-6, atol=1e-9):
        raise DataError("flows: the split of local awards must sum to local_awards")


def headline(ds: xr.Dataset) -> xr.Dataset:
    """Scalar headline figures per scenario (summed over time and sectors; mean over draws).

    Returns
    -------
    xarray.Dataset
        ``budget``, ``local_output``, ``local_value_added``, ``local_income``,
        ``local_employment`` (person-years), ``local_tax``, ``local_award_share``
        (value-weighted), ``cost_premium``, ``leakage`` (total), ``lm3`` and
        ``value_added_per_budget`` (local value added per unit of budget), dims ``scenario``.
    """
    if "draw" in ds.dims:
        ds = ds.mean("draw", keep_attrs=True)
    out = xr.Dataset(attrs=ds.attrs)
    for name in ("budget", "local_awards", "cost_premium", "local_tax"):
        out[name] = ds[name].sum("time", keep_attrs=True)
    for name in ("local_output", "local_value_added", "local_income", "nonlocal_output"):
        out[name] = ds[name].sum(("time", "sector"), keep_attrs=True)
    periods_per_year = {"year": 1, "month": 12}[ds.attrs["time_unit"]]
    out["local_employment"] = (ds["local_employment"].sum(("time", "sector")) / periods_per_year).assign_attrs(
        units="person-years", long_name="employment summed over the horizon"
    )
    out["leakage"] = ds["leakage"].sum(("time", "channel"), keep_attrs=True)
    out["local_award_share"] = (out["local_awards"] / out["budget"]).assign_attrs(
        units="1", long_name="share of awarded value won by local firms"
    )
    out["lm3"] = ds["lm3"]
    out["value_added_per_budget"] = (out["local_value_added"] / out["budget"]).assign_attrs(
        units="1", long_name="local value added per unit of procurement budget"
    )
    return out


#: Attributes that must agree between results that are concatenated or compared.
COMPATIBLE_ATTRS = ("region", "time_unit", "mode", "currency", "monetary_unit")


def check_compatible(results: Sequence[xr.Dataset]) -> None:
    """Raise :class:`DataError` unless the results can be put side by side.

    They must share region, time unit, mode and money unit: differences between regions
    are not policy effects, and yearly, monthly or agent-mode results do not sum alike.
    """
    for attr in COMPATIBLE_ATTRS:
        values = {str(ds.attrs.get(attr)): [str(v) for v in ds["scenario"].values] for ds in results}
        if len(values) > 1:
            listing = "; ".join(f"{value}: {', '.join(ids)}" for value, ids in values.items())
            raise DataError(
                f"results differ in {attr} ({listing}); compare only results of one region, time unit and "
                "mode, each with its own baseline"
            )


def concat_results(results: Sequence[xr.Dataset]) -> xr.Dataset:
    """Results side by side along ``scenario`` (checked compatible, attributes kept)."""
    check_compatible(results)
    return xr.concat(list(results), dim="scenario", combine_attrs="drop_conflicts")


def compare(results: Sequence[xr.Dataset], *, baseline: str | None = None) -> xr.Dataset:
    """Concatenate results on ``scenario`` and add differences to the baseline.

    Parameters
    ----------
    results : sequence of xarray.Dataset
        Single-scenario or batch results over the same region, sectors and time.
    baseline : str, optional
        Scenario label of the baseline (default: the first scenario).

    Returns
    -------
    xarray.Dataset
        The headline figures per scenario, their differences to the baseline
        (``delta_<name>``), ``net_value_added`` (change in local value added less the extra
        cost of the levers), ``net_value_added_per_cost``: the change in local value added
        per unit of extra cost (inf where the cost does not rise), and
        ``rank`` (1 = best by that ratio; the baseline is ranked last).
    """
    if not results:
        raise DataError("compare needs at least one result")
    combined = concat_results(results)
    labels = [str(s) for s in combined["scenario"].values]
    if len(set(labels)) != len(labels):
        repeated = sorted({label for label in labels if labels.count(label) > 1})
        raise DataError(
            f"duplicate scenario ids {repeated}: they appear more than once in the comparison; give each scenario "
            "its own [scenario].id (or compare each result file once)"
        )
    base = baseline or labels[0]
    if base not in labels:
        raise DataError(f"baseline {base!r} (--baseline) is not among the scenarios {labels}")
    table = headline(combined)
    reference = table.sel(scenario=base)
    for name in ("local_output", "local_value_added", "local_income", "local_employment", "local_tax", "cost_premium"):
        table[f"delta_{name}"] = (table[name] - reference[name]).assign_attrs(
            units=table[name].attrs.get("units", ""), long_name=f"change in {name.replace('_', ' ')} vs {base}"
        )
    table["net_value_added"] = (table["delta_local_value_added"] - table["delta_cost_premium"]).assign_attrs(
        units=table["local_value_added"].attrs.get("units", ""),
        long_name=f"change in local value added less the extra cost of the levers, vs {base}",
    )
    extra_cost = table["delta_cost_premium"].values
    gain = table["delta_local_value_added"].values
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(
            extra_cost > 0, gain / np.where(extra_cost > 0, extra_cost, 1.0), np.where(gain > 0, np.inf, 0.0)
        )
    table["net_value_added_per_cost"] = (
        ("scenario",),
        ratio,
        {"units": "1", "long_name": "change in local value added per unit of extra procurement cost"},
    )
    order = np.argsort(-np.where(np.array(labels) == base, -np.inf, ratio), kind="stable")
    rank = np.empty(len(labels), dtype=np.int64)
    rank[order] = np.arange(1, len(labels) + 1)
    table["rank"] = (("scenario",), rank, {"units": "1", "long_name": "rank by net value added per unit of cost"})
    table.attrs["baseline"] = base
    return table


def save_result(ds: xr.Dataset, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Check and write a result as NetCDF-4 (``.nc``), atomically (never a half-written file)."""
    check_output_path(path, overwrite=overwrite, suffixes=(".nc", ".nc4"))
    check_result(ds)
    return write_netcdf(ds, path, overwrite=overwrite)


def load_result(path: str | os.PathLike) -> xr.Dataset:
    """Read a result written by :func:`save_result` and check it."""
    ds = read_netcdf(path)
    try:
        check_result(ds)
    except DataError as exc:
        raise DataError(f"{path}: not a simengine result ({exc})") from None
    return ds
