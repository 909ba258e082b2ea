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

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from .errors import DataError
from .io import check_output_path, read_netcdf, write_netcdf

__all__ = [
    "RESULT_VARIABLES",
    "ResultVariable",
    "build_result",
    "fill_not_computed",
    "headline_set",
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
    "HEADLINE_TOTALS",
    "is_headline",
    "as_headline",
    "require_accounts",
]


@dataclass(frozen=True)
class ResultVariable:
    """One variable of the result contract.

    Attributes
    ----------
    dims : tuple of str
        Dimensions (``draw`` may be added in agent mode).
    kind : str
        Unit kind: ``"money"`` (the Dataset's currency unit), ``"persons"`` or ``"1"``.
    long_name : str
        What the variable holds.
    filler : float or None
        Value a mode that does not compute the variable fills in (:func:`fill_not_computed`,
        listed in the Dataset's ``not_computed`` attribute); such a variable is optional in
        :func:`check_result`. None: every result must carry it.
    """

    dims: tuple[str, ...]
    kind: str
    long_name: str
    filler: float | None = None


_T = ("scenario", "time")
_TS = ("scenario", "time", "sector")

#: The result contract: name -> :class:`ResultVariable`. Both modes build results through it.
RESULT_VARIABLES: dict[str, ResultVariable] = {
    "budget": ResultVariable(_T, "money", "procurement budget spent"),
    "local_awards": ResultVariable(_T, "money", "value of contracts awarded to local firms"),
    "local_award_share": ResultVariable(_T, "1", "share of awarded value won by local firms"),
    "cost_premium": ResultVariable(
        _T, "money", "extra cost of the levers: procurement cost premium (volume forgone) plus programme costs"
    ),
    "local_output": ResultVariable(_TS, "money", "output of local industries"),
    "local_value_added": ResultVariable(_TS, "money", "value added of local industries (workplace basis)"),
    "local_income": ResultVariable(_TS, "money", "labour income paid to resident workers"),
    "local_employment": ResultVariable(_TS, "persons", "persons employed in local industries during the period"),
    "local_tax": ResultVariable(_T, "money", "local tax revenue returning to the city budget"),
    "nonlocal_output": ResultVariable(
        _TS, "money", "output induced in other regions through supply chains (open interregional model)"
    ),
    "leakage": ResultVariable(("scenario", "time", "channel"), "money", "money leaving the local economy, by channel"),
    "flows": ResultVariable(("scenario", "account"), "1", "first-round destination of a won of procurement"),
    "output_effects": ResultVariable(("scenario", "effect", "sector"), "money", "local output by effect"),
    "lm3": ResultVariable(("scenario",), "1", "Local Multiplier 3 (first three rounds / round one)"),
    "real_volume": ResultVariable(
        _T, "money", "volume of goods, works and services bought, at prices without the levers' premium", 0.0
    ),
    "premium_transfer": ResultVariable(_T, "money", "price premium paid to local firms' surplus (a transfer)", 0.0),
    "programme_cost": ResultVariable(_T, "money", "programme costs of the levers (annual_cost, ramped)", 0.0),
    "household_injection": ResultVariable(
        _T, "money", "extra local household spending of programmes on their stated consumption base", 0.0
    ),
    "resident_household_income": ResultVariable(
        _T, "money", "receipts of resident households: resident net wages, local owners' income, city transfers", 0.0
    ),
    "displaced_value_added": ResultVariable(
        _T, "money", "local value added of the city spending displaced by programme costs", 0.0
    ),
    "displaced_household_income": ResultVariable(
        _T, "money", "resident household income of the city spending displaced by programme costs", 0.0
    ),
    "displaced_local_tax": ResultVariable(
        _T, "money", "local tax of the city spending displaced by programme costs", 0.0
    ),
    "feedback_output": ResultVariable(
        _TS, "money", "local output induced by the non-local awards (other regions buying from the city)", 0.0
    ),
    "feedback_value_added": ResultVariable(_T, "money", "local value added of feedback_output", 0.0),
    "other_regions_value_added": ResultVariable(
        _T, "money", "value added induced in the other regions (open interregional model)", 0.0
    ),
    "national_value_added": ResultVariable(
        _T, "money", "local value added + feedback value added + other regions' value added", 0.0
    ),
    "national_output_open": ResultVariable(
        _T, "money", "output of every region from the awards in the open interregional model", 0.0
    ),
    "fiscal_balance": ResultVariable(
        _T, "money", "city fiscal balance: local tax in, less displaced tax, premium and programme costs", 0.0
    ),
}

#: The totals a ranking needs, per scenario and period (sectors summed): what a headline-mode
#: result (``simengine batch --headline``) keeps, with ``local_award_share``; money in the
#: Dataset's unit, ``local_employment`` in persons employed during the period.
HEADLINE_TOTALS = (
    "budget",
    "local_awards",
    "cost_premium",
    "real_volume",
    "local_value_added",
    "feedback_value_added",
    "other_regions_value_added",
    "national_value_added",
    "resident_household_income",
    "local_tax",
    "displaced_value_added",
    "displaced_household_income",
    "displaced_local_tax",
    "fiscal_balance",
    "local_employment",
)

#: ``attrs["content"]`` of a headline-mode result (full results have ``"accounts"`` or no such attribute).
HEADLINE_CONTENT = "headline"


def is_headline(ds: xr.Dataset) -> bool:
    """Whether ``ds`` is a headline-mode result (:data:`HEADLINE_TOTALS` only, no per-sector accounts)."""
    return ds.attrs.get("content") == HEADLINE_CONTENT


def require_accounts(ds: xr.Dataset, what: str) -> None:
    """Raise :class:`DataError` if ``ds`` is a headline-mode result, for a view that needs per-sector accounts."""
    if is_headline(ds):
        raise DataError(
            f"{what} needs per-sector accounts, but this result was written in headline mode (--headline: the "
            "totals a ranking needs only); run the batch again without --headline for it"
        )


def as_headline(ds: xr.Dataset) -> xr.Dataset:
    """The headline-mode view of a result: :data:`HEADLINE_TOTALS` summed over sectors, and ``local_award_share``."""
    if is_headline(ds):
        return ds
    ds = fill_not_computed(ds.copy())
    keep = [*HEADLINE_TOTALS, "local_award_share"]
    out = xr.Dataset(
        {name: ds[name].sum("sector", keep_attrs=True) if "sector" in ds[name].dims else ds[name] for name in keep},
        attrs={**ds.attrs, "content": HEADLINE_CONTENT, "not_computed": ""},
    )
    for name in ("scenario_title", "scenario_levers", "scenario_hash"):
        if name in ds:
            out[name] = ds[name]
    return out


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


@functools.lru_cache(maxsize=64)
def result_coordinates(period_years: tuple[int, ...], sectors: tuple[str, ...]) -> xr.Coordinates:
    """The coordinates every result of these periods and sectors shares (built once, read-only)."""
    year = np.array(period_years)
    year.flags.writeable = False
    return xr.Coordinates(
        {
            "time": np.arange(len(period_years)),
            "year": ("time", year),
            "sector": list(sectors),
            "channel": list(LEAKAGE_CHANNELS),
            "account": list(FLOW_ACCOUNTS),
            "effect": ["direct", "indirect", "induced", "total"],
        }
    )


def _units(kind: str, money: str) -> str:
    return {"money": money, "persons": "persons", "1": "1"}[kind]


def build_result(
    data: dict[str, np.ndarray],
    money: str,
    scenario: str | Sequence[str],
    period_years: tuple[int, ...],
    sectors: tuple[str, ...],
    *,
    extra: dict[str, tuple] | None = None,
    attrs: dict[str, object] | None = None,
) -> xr.Dataset:
    """A result Dataset from arrays named as :data:`RESULT_VARIABLES`: one scenario (``scenario`` a
    label, arrays without the scenario axis) or many (a sequence of labels, arrays with a leading
    scenario axis).

    Variables missing from ``data`` are filled with their filler (an error if they have none);
    ``extra`` variables (e.g. the scenario's title and levers) and ``attrs`` are added as given.
    """
    one = isinstance(scenario, str)
    labels = [scenario] if one else list(scenario)
    variables = {}
    missing = []
    for name, spec in RESULT_VARIABLES.items():
        if name in data:
            values = np.asarray(data[name])
            values = values[None, ...] if one else values
        elif spec.filler is not None:
            missing.append(name)
            shape = tuple({"time": len(period_years), "sector": len(sectors)}[d] for d in spec.dims[1:])
            values = np.full((len(labels), *shape), spec.filler)
        else:
            raise DataError(f"result variable {name!r} was not computed and has no filler")
        variables[name] = (spec.dims, values, {"units": _units(spec.kind, money), "long_name": spec.long_name})
    variables.update(extra or {})
    coords = result_coordinates(period_years, sectors)
    ds = xr.Dataset(
        variables,
        coords={**xr.Coordinates({"scenario": labels}), **coords},
        attrs={**(attrs or {}), "not_computed": " ".join(missing)},
    )
    return ds


def fill_not_computed(ds: xr.Dataset) -> xr.Dataset:
    """Add the contract variables a mode did not compute, with their fillers, listed in ``not_computed``."""
    if is_headline(ds):
        return ds  # a headline result keeps HEADLINE_TOTALS only; views of it use what is there
    money = _money_unit(ds)
    missing = [n for n, spec in RESULT_VARIABLES.items() if n not in ds and spec.filler is not None]
    if not missing:
        return ds
    for name in missing:
        spec = RESULT_VARIABLES[name]
        shape = tuple(ds.sizes[d] for d in spec.dims)
        ds[name] = (
            spec.dims,
            np.full(shape, spec.filler),
            {"units": _units(spec.kind, money), "long_name": spec.long_name},
        )
    ds.attrs["not_computed"] = " ".join(sorted(set(ds.attrs.get("not_computed", "").split()) | set(missing)))
    return ds


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
    headline_only = is_headline(ds)
    for name, spec in RESULT_VARIABLES.items():
        dims, kind = spec.dims, spec.kind
        if headline_only:
            if name not in (*HEADLINE_TOTALS, "local_award_share"):
                continue
            dims = tuple(d for d in dims if d != "sector")
        if name not in ds:
            if spec.filler is not None:
                continue  # optional: a mode that does not compute it; fill_not_computed adds it
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
    for name in (n for n in RESULT_VARIABLES if n in ds.variables):
        if not np.all(np.isfinite(np.asarray(ds.variables[name].values, dtype=np.float64))):
            raise DataError(f"result variable {name!r} has NaN or infinite values")
    if bool((ds.variables["budget"].values <= 0).any()):
        raise DataError("result budget must be positive in every period")
    share = ds.variables["local_award_share"].values
    if bool(((share < 0) | (share > 1)).any()):
        raise DataError("local_award_share outside [0, 1]")
    if headline_only:
        return
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
        Every money variable of :data:`RESULT_VARIABLES` over ``scenario``, time, sectors summed,
        ``local_employment`` in person-years, ``leakage`` (total), ``local_award_share``
        (value-weighted), ``lm3`` and ``value_added_per_budget``.
    """
    if "draw" in ds.dims:
        ds = ds.mean("draw", keep_attrs=True)
    ds = fill_not_computed(ds.copy())
    # Collected first and put into one Dataset: one alignment instead of one per variable.
    # A headline-mode result has the totals without sectors, and no leakage or lm3.
    out = {
        name: ds[name].sum([d for d in spec.dims if d != "scenario" and d in ds[name].dims], keep_attrs=True)
        for name, spec in RESULT_VARIABLES.items()
        if spec.kind == "money" and set(spec.dims) <= {"scenario", "time", "sector"} and name in ds
    }
    periods_per_year = {"year": 1, "month": 12}[ds.attrs["time_unit"]]
    employment = ds["local_employment"]
    out["local_employment"] = (
        employment.sum([d for d in ("time", "sector") if d in employment.dims]) / periods_per_year
    ).assign_attrs(units="person-years", long_name="employment summed over the horizon")
    if "leakage" in ds:
        out["leakage"] = ds["leakage"].sum(("time", "channel"), keep_attrs=True)
    out["local_award_share"] = (out["local_awards"] / out["budget"]).assign_attrs(
        units="1", long_name="share of awarded value won by local firms"
    )
    if "lm3" in ds:
        out["lm3"] = ds["lm3"]
    out["value_added_per_budget"] = (out["local_value_added"] / out["budget"]).assign_attrs(
        units="1", long_name="local value added per unit of procurement budget"
    )
    out = xr.Dataset(out, attrs=ds.attrs)
    return out


#: Attributes that must agree between results that are concatenated or compared.
COMPATIBLE_ATTRS = (
    "region",
    "time_unit",
    "mode",
    "currency",
    "monetary_unit",
    "price_year",
    "discount_rate",
    "base_year",
    "objective",
)


def check_compatible(results: Sequence[xr.Dataset], *, ignore: Sequence[str] = ()) -> None:
    """Raise :class:`DataError` unless the results can be put side by side.

    They must share region, time unit, mode, money unit and price year (differences between
    them are not policy effects), the appraisal (discount rate, base year, objective) and the
    simulated periods (the same years: sums over different horizons are not comparable).
    ``ignore`` names attributes the caller aligns explicitly (e.g. an objective it passes).
    """
    for attr in COMPATIBLE_ATTRS:
        if attr in ignore:
            continue
        values = {str(ds.attrs.get(attr)): [str(v) for v in ds["scenario"].values] for ds in results}
        if len(values) > 1:
            listing = "; ".join(f"{value}: {', '.join(ids)}" for value, ids in values.items())
            raise DataError(
                f"results differ in {attr} ({listing}); compare only results of one region, time unit, mode, "
                "price year and appraisal ([appraisal] discount_rate, base_year, objective), each with its own baseline"
            )
    periods = {}
    for ds in results:
        years = tuple(int(y) for y in ds["year"].values) if "year" in ds.coords else (ds.sizes.get("time"),)
        periods.setdefault(years, []).extend(str(v) for v in ds["scenario"].values)
    if len(periods) > 1:
        listing = "; ".join(f"{y[0]}-{y[-1]} ({len(y)} periods): {', '.join(ids)}" for y, ids in periods.items())
        raise DataError(
            f"results cover different periods ({listing}); give every scenario the same [scenario] start_year and "
            "horizon, since sums over different horizons are not comparable"
        )


def concat_results(results: Sequence[xr.Dataset]) -> xr.Dataset:
    """Results side by side along ``scenario`` (checked compatible, attributes kept)."""
    check_compatible(results)
    return _side_by_side(results)


def _side_by_side(results: Sequence[xr.Dataset]) -> xr.Dataset:
    """Concatenation along ``scenario``: every data variable is concatenated (xarray's current
    default, stated so that its announced change cannot alter results); attributes that differ
    are dropped."""
    return xr.concat(list(results), dim="scenario", data_vars="all", combine_attrs="drop_conflicts")


#: Objectives a comparison ranks by, and the variable streams (+ added, - subtracted) of each
#: objective's benefit; the cost stream is ``cost_premium``. ``fiscal`` is a balance that
#: already contains the costs.
OBJECTIVE_STREAMS = {
    "local_value_added": (("local_value_added", "feedback_value_added"), ("displaced_value_added",)),
    "resident_income": (("resident_household_income",), ("displaced_household_income",)),
    "national_value_added": (("national_value_added",), ("displaced_value_added",)),
    "fiscal": (("fiscal_balance",), ()),
}


def _stream(ds: xr.Dataset, objective: str) -> xr.DataArray:
    """The objective's benefit per scenario and period (sectors summed, draws averaged)."""
    plus, minus = OBJECTIVE_STREAMS[objective]

    def total(name: str) -> xr.DataArray:
        values = ds[name]
        return values.sum("sector") if "sector" in values.dims else values

    out = sum(total(n) for n in plus)
    for name in minus:
        out = out - total(name)
    return out


def discount_factors(ds: xr.Dataset) -> xr.DataArray:
    """Discount factor of each period, ``(1 + r)^-(year - base_year)`` (months take their year's factor)."""
    rate = float(ds.attrs.get("discount_rate", 0.0))
    years = ds["year"].values if "year" in ds.coords else np.zeros(ds.sizes["time"], dtype=int)
    base = int(ds.attrs.get("base_year", years[0]))
    return xr.DataArray((1.0 + rate) ** -(np.asarray(years, dtype=float) - base), dims=("time",))


def present_values(ds: xr.Dataset, *, baseline: str, per_draw: bool = False) -> xr.Dataset:
    """Present values of the differences to ``baseline``: cost and each objective's benefit and net benefit.

    Returns ``pv_delta_cost`` and, per objective ``o``, ``pv_delta_<o>`` (benefit),
    ``npb_<o>`` (net present benefit: benefit less cost; for ``fiscal`` the balance itself)
    and ``bcr_<o>`` (benefit / cost where the extra cost is positive, else 0: never infinite).
    Over ``scenario``; with ``per_draw``, results with a ``draw`` dimension keep it (each draw
    compared with the baseline in the same draw) instead of taking the mean over draws.
    """
    if "draw" in ds.dims and not per_draw:
        ds = ds.mean("draw", keep_attrs=True)
    ds = fill_not_computed(ds.copy())
    factor = discount_factors(ds)
    out: dict = {}  # put into one Dataset at the end: one alignment
    money = _money_unit(ds)

    def pv(values: xr.DataArray) -> xr.DataArray:
        delta = values - values.sel(scenario=baseline)
        return (delta * factor).sum("time")

    cost = pv(ds["cost_premium"])
    out["pv_delta_cost"] = cost.assign_attrs(units=money, long_name=f"present value of the extra cost vs {baseline}")
    for objective in OBJECTIVE_STREAMS:
        benefit = pv(_stream(ds, objective))
        net = benefit if objective == "fiscal" else benefit - cost
        gross, extra = xr.broadcast(benefit + cost if objective == "fiscal" else benefit, cost)
        positive = extra.values > 0
        ratio = np.where(positive, gross.values / np.where(positive, extra.values, 1.0), 0.0)
        out[f"pv_delta_{objective}"] = benefit.assign_attrs(
            units=money, long_name=f"present value of the change in {objective.replace('_', ' ')} vs {baseline}"
        )
        out[f"npb_{objective}"] = net.assign_attrs(
            units=money, long_name=f"net present benefit by {objective.replace('_', ' ')}, net of cost"
        )
        out[f"bcr_{objective}"] = (
            gross.dims,
            ratio,
            {"units": "1", "long_name": f"{objective.replace('_', ' ')} per unit of extra cost (0 if none)"},
        )
    return xr.Dataset(out)


def compare(results: Sequence[xr.Dataset], *, baseline: str | None = None, objective: str | None = None) -> xr.Dataset:
    """Concatenate results on ``scenario``, add differences to the baseline and rank by an objective.

    Parameters
    ----------
    results : sequence of xarray.Dataset
        Single-scenario or batch results over the same region, sectors, periods and appraisal.
    baseline : str, optional
        Scenario label of the baseline (default: the first scenario).
    objective : str, optional
        What to rank by (:data:`OBJECTIVE_STREAMS`); default: the results' ``objective``
        attribute (the scenarios' ``[appraisal] objective``, which must then agree).

    Returns
    -------
    xarray.Dataset
        The headline figures per scenario (:func:`headline`), their differences to the
        baseline (``delta_<name>``), the present values of :func:`present_values`,
        ``net_value_added`` and ``net_value_added_per_cost`` (undiscounted local value added
        less / per unit of extra cost, 0 where the cost does not rise), and ``rank``
        (1 = highest net present benefit by the objective; the baseline is ranked last).
        Attributes ``baseline`` and ``objective``.
    """
    if not results:
        raise DataError("compare needs at least one result")
    if objective is not None and objective not in OBJECTIVE_STREAMS:
        raise DataError(f"unknown objective {objective!r}; use one of {list(OBJECTIVE_STREAMS)}")
    check_compatible(results, ignore=("objective",) if objective is not None else ())
    if any(is_headline(ds) for ds in results) and not all(is_headline(ds) for ds in results):
        results = [as_headline(ds) for ds in results]  # compared on the totals both kinds hold
    combined = _side_by_side(results)
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
    chosen = objective or str(results[0].attrs.get("objective", "local_value_added"))
    needed = OBJECTIVE_STREAMS[chosen][0][0]
    for ds in results:
        if needed in ds.attrs.get("not_computed", "").split() or needed not in ds:
            raise DataError(
                f"objective {chosen!r} needs {needed!r}, which {ds.attrs.get('mode')} mode does not compute "
                f"(scenarios {[str(v) for v in ds['scenario'].values]}); rank by local_value_added (--objective)"
            )
    table = headline(combined)
    # Every headline figure lies along ``scenario`` alone: differences on the arrays, one assignment.
    position = labels.index(base)
    deltas = {
        f"delta_{name}": xr.Variable(
            ("scenario",),
            table[name].values - table[name].values[position],
            {"units": table[name].attrs.get("units", ""), "long_name": f"change in {name.replace('_', ' ')} vs {base}"},
        )
        for name in table.data_vars
        if name not in ("lm3", "local_award_share", "value_added_per_budget")
    }
    table = table.assign(deltas)
    table["net_value_added"] = (table["delta_local_value_added"] - table["delta_cost_premium"]).assign_attrs(
        units=table["local_value_added"].attrs.get("units", ""),
        long_name=f"change in local value added less the extra cost of the levers, vs {base}",
    )
    extra_cost = table["delta_cost_premium"].values
    gain = table["delta_local_value_added"].values
    ratio = np.where(extra_cost > 0, gain / np.where(extra_cost > 0, extra_cost, 1.0), 0.0)
    table["net_value_added_per_cost"] = (
        ("scenario",),
        ratio,
        {"units": "1", "long_name": "change in local value added per unit of extra cost (0 if none)"},
    )
    table = table.merge(present_values(combined, baseline=base))
    score = table[f"npb_{chosen}"].values
    order = np.argsort(-np.where(np.array(labels) == base, -np.inf, score), kind="stable")
    rank = np.empty(len(labels), dtype=np.int64)
    rank[order] = np.arange(1, len(labels) + 1)
    table["rank"] = (("scenario",), rank, {"units": "1", "long_name": f"rank by net present benefit ({chosen})"})
    table.attrs["baseline"] = base
    table.attrs["objective"] = chosen
    return table


def headline_set(table: xr.Dataset) -> list[tuple[str, str, str, str]]:
    """The headline columns of a comparison (:func:`compare`), in order: (variable, label, format, kind).

    One definition for the command line, the README table and the report's comparison table;
    ``kind`` is ``money``, ``share``, ``persons``, ``ratio`` or ``rank``.
    """
    objective = table.attrs.get("objective", "local_value_added")
    return [
        ("local_award_share", "award share", "{:.1%}", "share"),
        ("delta_local_value_added", "Δ local VA", "{:,.0f}", "money"),
        ("delta_other_regions_value_added", "Δ other regions VA", "{:,.0f}", "money"),
        ("delta_national_value_added", "Δ national VA", "{:,.0f}", "money"),
        ("delta_resident_household_income", "Δ resident income", "{:,.0f}", "money"),
        ("delta_fiscal_balance", "Δ fiscal", "{:,.0f}", "money"),
        ("delta_real_volume", "Δ volume", "{:,.0f}", "money"),
        ("delta_local_employment", "Δ person-years", "{:,.0f}", "persons"),
        ("pv_delta_cost", "PV Δcost", "{:,.0f}", "money"),
        (f"npb_{objective}", f"NPB ({objective})", "{:,.0f}", "money"),
        (f"bcr_{objective}", "benefit/cost", "{:.2f}", "ratio"),
        ("rank", "rank", "{:d}", "rank"),
    ]


def save_result(ds: xr.Dataset, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Check and write a result as NetCDF-4 (``.nc``), atomically (never a half-written file)."""
    check_output_path(path, overwrite=overwrite, suffixes=(".nc", ".nc4"))
    check_result(ds)
    return write_netcdf(ds, path, overwrite=overwrite)


def load_result(path: str | os.PathLike) -> xr.Dataset:
    """Read a result written by :func:`save_result` (``.nc``), or a complete ``.zarr`` store of a
    batch (:func:`simengine.stores.run_job`), and check it."""
    from .stores import is_store, open_store

    ds = open_store(path) if is_store(path) else read_netcdf(path)
    try:
        check_result(ds)
    except DataError as exc:
        raise DataError(f"{path}: not a simengine result ({exc})") from None
    return ds
