"""Reading and writing tables and results: the CSV/Excel table layout and atomic NetCDF-4.

The table layout (CSV or one Excel sheet) is the transactions table as printed in a
textbook, one row per selling sector and one column per buying sector::

    # currency = KRW
    # monetary_unit = million
    # price_year = 2014
    code,name,S1,S2,fd:household_consumption,fd:exports,total_output
    S1,Agriculture,150,500,200,150,1000
    S2,Manufacturing,200,100,1200,500,2000
    va:compensation,,300,500,,,
    va:other_value_added,,350,900,,,
    imports,,0,0,,,
    employment,,40,60,,,

- ``code``: sector code (rows) or a special row name; ``name`` (optional): long name.
- Sector columns (same codes, same order as the rows): domestic intermediate flows.
- ``fd:<category>`` columns: final demand; ``fd:household_consumption`` is used by the
  household closure. ``total_output`` (optional): gross output, else the row sum.
- Special rows: ``va:<component>`` value added (``va:compensation`` enables income
  multipliers), ``imports`` (imported inputs), ``other_inputs`` (product taxes less
  subsidies and adjustments), ``employment`` (persons).
- ``# key = value`` lines before the header set ``currency``, ``monetary_unit``,
  ``price_year`` and ``source``; keyword arguments override them.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from .errors import DataError, DataQualityWarning

__all__ = [
    "read_table_csv",
    "read_table_excel",
    "write_table_csv",
    "read_netcdf",
    "write_netcdf",
    "atomic_path",
    "check_output_path",
    "output_format",
]

SPECIAL_ROWS = ("imports", "other_inputs", "employment")
METADATA_KEYS = ("currency", "monetary_unit", "price_year", "source")


def _read_preamble(path: Path) -> dict[str, str]:
    metadata: dict[str, str] = {}
    with open(path, encoding="utf-8-sig") as handle:
        for line in handle:
            if not line.startswith("#"):
                break
            key, sep, value = line[1:].partition("=")
            if sep and key.strip() in METADATA_KEYS:
                metadata[key.strip()] = value.strip()
    return metadata


def _frame_to_dataset(frame: pd.DataFrame, source_name: str, metadata: dict) -> xr.Dataset:
    from .tables import IOTable

    frame.columns = [str(c).strip() for c in frame.columns]
    if "code" not in frame.columns:
        raise DataError(
            f"{source_name}: the first header must include a 'code' column; found {list(frame.columns)[:6]}"
        )
    frame = frame.dropna(how="all")
    codes = frame["code"].astype(str).str.strip()
    frame = frame.set_index(codes)
    fd_columns = [c for c in frame.columns if c.startswith("fd:")]
    sector_rows = [c for c in codes if not c.startswith("va:") and c not in SPECIAL_ROWS]
    missing_cols = [s for s in sector_rows if s not in frame.columns]
    if missing_cols:
        raise DataError(
            f"{source_name}: sector rows {missing_cols[:5]} have no matching column; every sector code "
            f"must appear both as a row and as a column (in the same order)"
        )
    extra_cols = [c for c in frame.columns if c not in (*sector_rows, *fd_columns, "code", "name", "total_output")]
    if extra_cols:
        raise DataError(
            f"{source_name}: unknown columns {extra_cols[:5]}; columns are 'code', 'name', the sector codes, "
            f"'fd:<category>' and 'total_output'"
        )
    if len(set(sector_rows)) != len(sector_rows):
        raise DataError(f"{source_name}: duplicated sector codes in rows")

    def numeric(rows, columns, what):
        block = frame.loc[rows, columns]
        try:
            values = block.apply(pd.to_numeric, errors="raise").to_numpy(dtype=np.float64)
        except (ValueError, TypeError) as exc:
            raise DataError(f"{source_name}: non-numeric value in {what}: {exc}") from None
        return values

    Z = numeric(sector_rows, sector_rows, "intermediate flows")
    if np.isnan(Z).any():
        raise DataError(f"{source_name}: empty cells in the intermediate block; write 0 for no flow")
    f = numeric(sector_rows, fd_columns, "final demand") if fd_columns else np.zeros((len(sector_rows), 1))
    f = np.nan_to_num(f)
    x = numeric(sector_rows, ["total_output"], "total_output")[:, 0] if "total_output" in frame.columns else None

    def row(label):
        return numeric([label], sector_rows, label)[0] if label in frame.index else None

    va_rows = [c for c in codes if c.startswith("va:")]
    value_added = compensation = None
    if va_rows:
        components = {r[3:]: row(r) for r in va_rows}
        value_added = np.nansum(list(components.values()), axis=0)
        compensation = components.get("compensation")
    names = frame.loc[sector_rows, "name"].fillna("").astype(str).tolist() if "name" in frame.columns else None
    meta = {k: metadata[k] for k in METADATA_KEYS if k in metadata}
    if "price_year" in meta and str(meta["price_year"]).isdigit():
        meta["price_year"] = int(meta["price_year"])
    with warnings.catch_warnings():
        # the caller's IOTable(dataset) runs the same data-quality checks again, once
        warnings.simplefilter("ignore", DataQualityWarning)
        table = IOTable.from_arrays(
            Z,
            f,
            x=x,
            value_added=value_added,
            compensation=compensation,
            employment=row("employment"),
            imported_inputs=row("imports"),
            other_inputs=row("other_inputs"),
            sectors=sector_rows,
            sector_names=[n or s for n, s in zip(names, sector_rows, strict=False)] if names else None,
            fd_categories=[c[3:] for c in fd_columns] if fd_columns else None,
            name=source_name,
            **meta,
        )
    ds = table.dataset
    ds.attrs["history"] = f"read from {source_name}"
    return ds


def read_table_csv(path: str | os.PathLike, **metadata) -> xr.Dataset:
    """Read a table in the CSV layout of this module; see the module docstring."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"table file {path} does not exist")
    try:
        frame = pd.read_csv(path, comment="#", dtype=str, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: cannot parse as CSV ({exc})") from None
    return _frame_to_dataset(frame, path.name, {**_read_preamble(path), **metadata})


def read_table_excel(path: str | os.PathLike, *, sheet: str | int = 0, **metadata) -> xr.Dataset:
    """Read a table in the same layout from one Excel sheet (needs ``openpyxl``)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"table file {path} does not exist")
    try:
        frame = pd.read_excel(path, sheet_name=sheet, dtype=str)
    except ValueError as exc:
        raise DataError(f"{path}: cannot read sheet {sheet!r} ({exc})") from None
    return _frame_to_dataset(frame, f"{path.name}[{sheet}]", metadata)


def write_table_csv(ds: xr.Dataset, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write a single-region table Dataset in the CSV layout (atomically)."""
    sectors = [str(s) for s in ds["sector"].values]
    frame = pd.DataFrame(
        ds["intermediate"].transpose("sector_from", "sector_to").values, index=sectors, columns=sectors
    )
    for category in ds["fd_category"].values:
        frame[f"fd:{category}"] = ds["final_demand"].sel(fd_category=category).values
    frame["total_output"] = ds["gross_output"].values
    extra_rows = {f"va:{c}": ds["value_added"].sel(va_component=c).values for c in ds["va_component"].values}
    for key, label in (("imported_inputs", "imports"), ("other_inputs", "other_inputs"), ("employment", "employment")):
        if key in ds:
            extra_rows[label] = ds[key].values
    extra = pd.DataFrame(extra_rows, index=sectors).T.reindex(columns=frame.columns)
    frame = pd.concat([frame, extra])
    frame.insert(0, "name", list(ds["sector_name"].values) + [""] * len(extra))
    frame.index.name = "code"
    preamble = "".join(f"# {k} = {ds.attrs[k]}\n" for k in METADATA_KEYS if k in ds.attrs)
    with atomic_path(path, overwrite=overwrite) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            handle.write(preamble)
            frame.to_csv(handle, float_format="%.17g")
    return Path(path)


def read_netcdf(path: str | os.PathLike) -> xr.Dataset:
    """Open a NetCDF file fully into memory (the file is closed on return)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"NetCDF file {path} does not exist")
    try:
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            return ds.load()
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read as NetCDF-4 ({exc})") from None


def output_format(path: str | os.PathLike, formats: dict[str, str]) -> str:
    """The format a file name asks for: its suffix decides, and any other suffix is refused.

    Parameters
    ----------
    path : path-like
        The output file.
    formats : dict
        Lower-case suffix (with the dot) to format name, e.g. ``{".csv": "csv", ".nc": "netcdf"}``.

    Raises
    ------
    DataError
        When the suffix is not a key of ``formats``; the message lists the valid ones.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in formats:
        raise DataError(f"{path}: the file name must end in {' or '.join(formats)} (got {suffix or 'no suffix'!r})")
    return formats[suffix]


def check_output_path(path: str | os.PathLike, *, overwrite: bool = False, suffixes: tuple[str, ...] = ()) -> Path:
    """Check, before any work, that ``path`` can be written; return it as a Path.

    Raises :class:`DataError` when the file exists (unless ``overwrite``), exists but is not a
    regular file (a device or folder is never replaced), its folder does not exist, or its
    suffix is not one of ``suffixes`` (when given).
    """
    path = Path(path)
    if suffixes:
        output_format(path, dict.fromkeys(suffixes, ""))
    if path.exists() or path.is_symlink():
        if not path.is_file():
            raise DataError(f"{path} exists and is not a regular file; choose a file name")
        if not overwrite:
            raise DataError(f"{path} exists; choose another name or pass --overwrite (overwrite=True)")
    if not path.parent.is_dir():
        raise DataError(f"cannot write {path}: folder {path.parent} does not exist")
    return path


class atomic_path:
    """Context manager yielding a temporary path that is renamed to ``path`` on success.

    Refuses to replace an existing file unless ``overwrite``; on any error the temporary
    file is removed, so no half-written output is ever left behind.
    """

    def __init__(self, path: str | os.PathLike, *, overwrite: bool = False):
        self.path = check_output_path(path, overwrite=overwrite)

    def __enter__(self) -> Path:
        try:
            handle, name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        except OSError as exc:
            raise DataError(f"cannot write {self.path}: {exc.strerror} in folder {self.path.parent}") from None
        os.close(handle)
        self.tmp = Path(name)
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self.tmp, 0o666 & ~umask)
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)


def write_netcdf(ds: xr.Dataset, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write a Dataset as NetCDF-4 with the h5netcdf engine, atomically."""
    with atomic_path(path, overwrite=overwrite) as tmp:
        ds.to_netcdf(tmp, engine="h5netcdf")
    return Path(path)
