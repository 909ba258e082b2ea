"""Spend analysis: local award shares by sector, method and size class, from a contract register.

This is the "outflow diagnosis" of a city's procurement (the spend analysis of the
CLES / Preston method): how much of the awarded value, and how many awards, went to local
suppliers, per cell of the procurement budget. Its local shares are the baseline local
award shares of a scenario.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import DataError
from ..io import FRAME_FORMATS, output_format, write_frame, write_netcdf

__all__ = ["spend_analysis", "spend_table", "write_spend", "TOTAL_LABEL"]

#: Coordinate label of the totals along each dimension.
TOTAL_LABEL = "all"
_GROUPABLE = ("sector", "method", "size_class", "supplier_size", "social_economy", "currency")


def _cube(register: pd.DataFrame, by: Sequence[str]) -> xr.Dataset:
    """Sums per cell, with every dim extended by a TOTAL_LABEL total."""
    keys = {dim: register[dim].astype(object).where(register[dim].notna(), "unknown").astype(str) for dim in by}
    status = register["is_local"]
    parts = {"contracts": register["award_weight"], "value": register["value"]}
    columns = {}
    for name, amount in parts.items():
        columns[name] = amount
        columns[f"local_{name}"] = amount.where(status.fillna(False).astype(bool), 0.0)
        columns[f"non_local_{name}"] = amount.where((~status).fillna(False).astype(bool), 0.0)
        columns[f"unknown_{name}"] = amount.where(status.isna(), 0.0)
    frame = pd.DataFrame(columns).assign(**keys)
    cube = frame.groupby(list(by), sort=True).sum().to_xarray().fillna(0.0)
    for dim in by:
        if TOTAL_LABEL in cube[dim].values:
            raise DataError(f"{dim} label {TOTAL_LABEL!r} is reserved for totals; rename it in the register or mapping")
        cube = xr.concat([cube, cube.sum(dim).expand_dims({dim: [TOTAL_LABEL]})], dim=dim)
    return cube


def spend_analysis(register: pd.DataFrame, *, by: Sequence[str] = ("sector", "method", "size_class")) -> xr.Dataset:
    """Awards, values and local award shares per cell of a register.

    Parameters
    ----------
    register
        A register from :func:`simengine.procurement.read_register`.
    by
        Register columns that become the dimensions, in order; any of ``sector``,
        ``method``, ``size_class``, ``supplier_size``, ``social_economy``, ``currency``.

    Returns
    -------
    xarray.Dataset
        Dims ``by``; each dim has the extra label ``"all"`` holding the total along it (so
        ``sel(sector="all", method="all", size_class="all")`` is the whole register).
        Variables (units in ``attrs``):

        - ``contracts``, ``local_contracts``, ``non_local_contracts``, ``unknown_contracts``:
          number of awards (an award shared by k suppliers counts 1/k for each);
        - ``value``, ``local_value``, ``non_local_value``, ``unknown_value``: awarded value in
          the register's currency; local + non-local + unknown = value;
        - ``local_share_value``, ``local_share_count``: local / (local + non-local), the local
          award share among awards whose supplier location is known (NaN where none is);
        - ``unknown_share_value``: unknown / value, the part left out of the share.

    Notes
    -----
    Suppliers with no location are reported as ``unknown``, never counted as local or
    non-local; a large ``unknown_share_value`` makes ``local_share_value`` less reliable.
    """
    by = tuple(by)
    bad = [dim for dim in by if dim not in _GROUPABLE]
    if bad or not by or len(set(by)) != len(by):
        raise DataError(f"cannot analyse by {list(by)}; choose distinct names among {list(_GROUPABLE)}")
    currency = register.attrs.get("currency", "")
    cube = _cube(register, by)
    with np.errstate(invalid="ignore", divide="ignore"):
        for kind in ("value", "contracts"):
            known = cube[f"local_{kind}"] + cube[f"non_local_{kind}"]
            share = (cube[f"local_{kind}"] / known).where(known > 0)
            cube[f"local_share_{'count' if kind == 'contracts' else kind}"] = share
        cube["unknown_share_value"] = (cube["unknown_value"] / cube["value"]).where(cube["value"] > 0)
    for name in cube.data_vars:
        if name.endswith("contracts"):
            units, what = "awards", "number of awards"
        elif name.startswith(("local_share", "unknown_share")):
            units, what = "1", "fraction"
        else:
            units, what = currency, "awarded value"
        cube[name].attrs.update(units=units, long_name=f"{name.replace('_', ' ')} ({what})")
    cube.attrs.update(
        currency=currency,
        locality=register.attrs.get("locality", ""),
        source=register.attrs.get("source", ""),
        history=f"spend_analysis by {', '.join(by)} of {register.attrs.get('source', 'a register')}",
    )
    return cube


def spend_table(analysis: xr.Dataset) -> pd.DataFrame:
    """One row per cell with awards: counts, value and shares, for printing or CSV.

    Returns
    -------
    pandas.DataFrame
        Indexed by the analysis dims; columns ``contracts``, ``value``, ``local_share_value``,
        ``local_share_count``, ``unknown_share_value``, in cells with at least one award.
    """
    columns = ["contracts", "value", "local_share_value", "local_share_count", "unknown_share_value"]
    frame = analysis[columns].to_dataframe()
    return frame[frame["contracts"] > 0]


def write_spend(analysis: xr.Dataset, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write an analysis as NetCDF-4 (``.nc``: the full Dataset) or CSV (``.csv``: every variable, one row per cell)."""
    path = Path(path)
    if output_format(path, FRAME_FORMATS) == "NetCDF-4":
        return write_netcdf(analysis, path, overwrite=overwrite)
    return write_frame(analysis.to_dataframe(), path, overwrite=overwrite)
