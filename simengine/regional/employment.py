"""Reading regional employment by sector from a CSV file, with validation.

File format (UTF-8, comma-separated, ``#`` lines are comments)::

    # Gwangmyeong workplace employment by WIOD sector (persons); source: ...
    sector,employment
    A01,120
    C10-C12,850
    ...

- ``sector``: a sector code of the national table (``simengine tables``; for
  ``korea-2014`` the 53 WIOD 2016 codes). Every sector must appear exactly once; write
  0 for a sector the region does not have.
- ``employment``: persons engaged (workplace basis), a non-negative number.
- ``region`` (optional): a region label; when present, pass ``region=`` to pick rows.

A KOSIS establishment-survey extract (시군구 x 산업 종사자) is by KSIC section; aggregate
it to the table's sectors first (the KSIC -> WIOD mapping is the ISIC Rev.4 one).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import xarray as xr

from ..errors import DataError, unknown_label
from ..io import no_header_hint, parse_number, read_csv_records

__all__ = ["read_employment_csv"]


def read_employment_csv(
    path: str | os.PathLike,
    sectors: list[str],
    *,
    national_employment=None,
    region: str | None = None,
) -> xr.DataArray:
    """Read and validate a regional employment file.

    Parameters
    ----------
    path : path-like
        CSV file in the format of the module docstring.
    sectors : list of str
        The national table's sector codes; the file must cover exactly these.
    national_employment : array_like (n,), optional
        National employment by sector (persons), same order as ``sectors``; when given,
        a row larger than the nation is an error.
    region : str, optional
        Keep only rows whose ``region`` column equals this label.

    Returns
    -------
    xarray.DataArray, dims (sector,)
        Employment in persons, in the order of ``sectors``.

    Raises
    ------
    DataError
        Naming the file and the line of an unknown, duplicated, missing, non-numeric,
        negative or larger-than-national entry.
    """
    path = Path(path)
    records = read_csv_records(path, what="employment file")
    frame = records.frame()
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if not {"sector", "employment"} <= set(frame.columns):
        raise DataError(
            f"{path}, line {records.header_line}: needs columns 'sector' and 'employment' (optional 'region'); "
            f"found {list(frame.columns)}.{no_header_hint(frame.columns)}"
        )
    frame["line"] = frame.index
    if region is not None:
        if "region" not in frame.columns:
            raise DataError(f"{path}: region={region!r} given but the file has no 'region' column")
        frame = frame[frame["region"].astype(str).str.strip() == region]
        if frame.empty:
            raise DataError(f"{path}: no rows for region {region!r}")
    values = {}
    codes = frame["sector"].astype(str).str.strip()
    for code, amount, line in zip(codes, frame["employment"], frame["line"], strict=True):
        where = f"{path}, line {line}"
        if not code:
            raise DataError(f"{where}: the sector cell is blank; write a sector code of the table")
        if code not in sectors:
            raise unknown_label("sector", code, sectors, where=where, fix="use the table's sector codes")
        if code in values:
            raise DataError(f"{where}: sector {code!r} appears twice")
        number = parse_number(amount, where=where, what=f"employment of {code!r}")
        if number < 0:
            raise DataError(f"{where}: employment of {code!r} is negative ({number:g}); counts are persons >= 0")
        if national_employment is not None:
            national = float(np.asarray(national_employment)[sectors.index(code)])
            if number > national:
                raise DataError(
                    f"{where}: employment of {code!r} ({number:,.0f}) exceeds the national {national:,.0f}; "
                    "a region cannot be larger than the nation (check units: persons, same basis as the table)"
                )
        values[code] = (number, line)
    missing = [s for s in sectors if s not in values]
    if missing:
        raise DataError(f"{path}: missing sectors {', '.join(missing)}; every sector needs a row (0 if none)")
    return xr.DataArray(
        [values[s][0] for s in sectors],
        dims=("sector",),
        coords={"sector": sectors},
        name="employment",
        attrs={"units": "persons", "long_name": "regional employment (workplace basis)", "source": str(path)},
    )
