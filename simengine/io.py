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

import errno
import os
import signal
import tempfile
import threading
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
    "write_atomic",
    "write_csv",
    "write_error",
    "spreadsheet_safe",
    "spreadsheet_safe_frame",
    "check_output_path",
    "check_output_paths",
    "NETCDF_SUFFIXES",
]

SPECIAL_ROWS = ("imports", "other_inputs", "employment")
METADATA_KEYS = ("currency", "monetary_unit", "price_year", "source")
NETCDF_SUFFIXES = (".nc", ".nc4")


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
    preamble = "".join(f"# {k} = {_one_line(ds.attrs[k])}\n" for k in METADATA_KEYS if k in ds.attrs)
    return write_csv(frame, path, overwrite=overwrite, preamble=preamble)


def _one_line(value) -> str:
    return " ".join(str(value).split())


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


def check_output_path(path: str | os.PathLike, *, overwrite: bool = False, suffixes: tuple[str, ...] = ()) -> Path:
    """Check, before any work, that ``path`` can be written; return it as a Path.

    Raises :class:`DataError` when the file exists (unless ``overwrite``), exists but is not a
    regular file (a device or folder is never replaced), its folder does not exist, or its
    suffix is not one of ``suffixes`` (when given).
    """
    path = Path(path)
    if suffixes and path.suffix.lower() not in suffixes:
        raise DataError(f"{path}: the file name must end in {' or '.join(suffixes)}")
    if path.exists() or path.is_symlink():
        if not path.is_file():
            raise DataError(f"{path} exists and is not a regular file; choose a file name")
        if not overwrite:
            raise DataError(f"{path} exists; choose another name or pass --overwrite to replace it")
    if not path.parent.is_dir():
        raise DataError(f"cannot write {path}: folder {path.parent} does not exist")
    return path


def check_output_paths(paths, *, overwrite: bool = False) -> list[Path]:
    """Check every path of a set of outputs before the first is written (see :func:`check_output_path`).

    Also refuses a set that names one file twice.
    """
    checked = [check_output_path(p, overwrite=overwrite) for p in paths]
    seen: dict[Path, Path] = {}
    for path in checked:
        key = path.resolve()
        if key in seen:
            raise DataError(f"{seen[key]} and {path} are the same file; give each output its own name")
        seen[key] = path
    return checked


def write_error(path: str | os.PathLike, exc: OSError) -> DataError:
    """The one-line error for a failed write of ``path``: what happened and what to do."""
    path = Path(path)
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.errno == errno.ENOSPC or exc.errno == errno.EDQUOT:
        fix = f"the disk holding {path.parent} is full; free some space or write to another folder"
    elif exc.errno == errno.EROFS:
        fix = f"folder {path.parent} is on a read-only file system; write to another folder"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        fix = f"no permission to write in folder {path.parent}; write to another folder"
    else:
        fix = f"check folder {path.parent}"
    return DataError(f"cannot write {path}: {reason}; {fix}. Nothing was written")


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` to the open file ``fd`` (the one place output bytes reach a disk)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _raise_system_exit(signum, frame) -> None:
    raise SystemExit(128 + signum)


class atomic_path:
    """Context manager yielding a temporary path in the target's folder, renamed to ``path`` on success.

    The one way every writer reaches the disk (see also :func:`write_atomic`):

    - the target is checked first (:func:`check_output_path`): an existing file is replaced
      only with ``overwrite``, and the suffix must be one of ``suffixes`` when given;
    - the temporary file is flushed to the disk (``fsync``) before the rename, so the
      target is either the old file or the whole new one, never a part;
    - on any exception, and on SIGTERM (which raises :class:`SystemExit` while the
      temporary exists, when no other handler is installed) or Ctrl-C, the temporary file is
      removed;
    - an :class:`OSError` (full disk, read-only folder, no permission) becomes one
      :class:`DataError` naming the file, the reason and the fix.
    """

    def __init__(self, path: str | os.PathLike, *, overwrite: bool = False, suffixes: tuple[str, ...] = ()):
        self.path = check_output_path(path, overwrite=overwrite, suffixes=suffixes)
        self._previous_handler = None

    def __enter__(self) -> Path:
        try:
            handle, name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        except OSError as exc:
            raise write_error(self.path, exc) from None
        os.close(handle)
        self.tmp = Path(name)
        if threading.current_thread() is threading.main_thread():
            if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
                self._previous_handler = signal.signal(signal.SIGTERM, _raise_system_exit)
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self._commit()
        except OSError as failure:
            exc_type, exc = type(failure), failure
        finally:
            if self._previous_handler is not None:
                signal.signal(signal.SIGTERM, self._previous_handler)
                self._previous_handler = None
            if exc_type is not None:
                self.tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise write_error(self.path, exc) from None

    def _commit(self) -> None:
        fd = os.open(self.tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.tmp, 0o666 & ~umask)
        os.replace(self.tmp, self.path)
        try:
            folder = os.open(self.path.parent, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(folder)
        except OSError:
            pass
        finally:
            os.close(folder)


def write_atomic(
    path: str | os.PathLike, data: bytes | str, *, overwrite: bool = False, suffixes: tuple[str, ...] = ()
) -> Path:
    """Write ``data`` (bytes, or text as UTF-8) to ``path`` atomically; see :class:`atomic_path`."""
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    with atomic_path(path, overwrite=overwrite, suffixes=suffixes) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_TRUNC)
        try:
            _write_all(fd, payload)
        finally:
            os.close(fd)
    return Path(path)


#: Characters that make a spreadsheet read a text cell as a formula (OWASP, "CSV Injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """A CSV cell that a spreadsheet shows as text, never runs as a formula.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
    single quote (the OWASP CSV-injection guidance); numbers and other values are returned
    unchanged, so numeric columns stay numeric.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _safe_index(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        levels = [_safe_index(level) for level in index.levels]
        return index.set_levels(levels)
    if index.dtype == object or pd.api.types.is_string_dtype(index.dtype):
        return pd.Index([spreadsheet_safe(v) for v in index], name=spreadsheet_safe(index.name), dtype=object)
    return index.rename(spreadsheet_safe(index.name))


def spreadsheet_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells, index labels and column names are :func:`spreadsheet_safe`."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column].dtype):
            safe[column] = safe[column].map(spreadsheet_safe)
    safe.index = _safe_index(safe.index)
    safe.columns = _safe_index(safe.columns)
    return safe


def write_csv(
    frame: pd.DataFrame, path: str | os.PathLike, *, overwrite: bool = False, preamble: str = "", index: bool = True
) -> Path:
    """Write a frame as CSV atomically, with every text cell :func:`spreadsheet_safe`.

    Floats are written with 17 significant digits (they read back bit for bit).
    """
    text = spreadsheet_safe_frame(frame).to_csv(index=index, float_format="%.17g", lineterminator="\n")
    return write_atomic(path, preamble + text, overwrite=overwrite, suffixes=(".csv",))


def write_netcdf(ds: xr.Dataset, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write a Dataset as NetCDF-4 (h5netcdf engine), atomically; the name must end in ``.nc`` or ``.nc4``.

    The file is built in memory and then written by :func:`write_atomic`, so a full disk or a
    read-only folder is one :class:`DataError` (the HDF5 library never meets a failing disk).
    """
    check_output_path(path, overwrite=overwrite, suffixes=NETCDF_SUFFIXES)
    try:
        data = ds.to_netcdf(engine="h5netcdf")
    except (OSError, ValueError, TypeError) as exc:
        raise DataError(f"cannot write {path}: the data cannot be stored as NetCDF-4 ({exc})") from None
    return write_atomic(path, data, overwrite=overwrite, suffixes=NETCDF_SUFFIXES)
