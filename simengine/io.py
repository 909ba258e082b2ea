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
  ``price_year`` and ``source``; keyword arguments override them. A line is a comment only
  when it starts with ``#``.

Every reader and writer of the package goes through this module:

- reading: :func:`check_input_file` (a regular file within :data:`MAX_INPUT_BYTES`), then
  :func:`read_input_text` (UTF-8, no NUL byte), :func:`read_csv_records` (strict CSV, the
  line of every row) or :func:`read_toml` (:data:`MAX_TEXT_BYTES`, bounded nesting);
  Excel workbooks are checked by :func:`check_workbook` before openpyxl opens them;
- writing: :class:`atomic_path` / :func:`write_atomic` (temporary file in the target folder,
  fsync, rename; removed on any error or signal; disk errors as one :class:`DataError`),
  :func:`write_csv` (text cells :func:`spreadsheet_safe`), :func:`write_netcdf` (built in
  memory first) and :func:`write_frame` (the suffix picks the format).
"""

from __future__ import annotations

import csv
import errno
import io
import os
import signal
import stat
import tempfile
import threading
import tomllib
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from .checks import NEGATIVE_IMPOSSIBLE, all_finite
from .errors import DataError, DataQualityWarning

__all__ = [
    "read_table_csv",
    "read_table_excel",
    "write_table_csv",
    "read_netcdf",
    "read_csv_records",
    "read_input_text",
    "read_input_bytes",
    "read_toml",
    "check_input_file",
    "parse_number",
    "CsvRecords",
    "MAX_INPUT_BYTES",
    "MAX_TEXT_BYTES",
    "write_netcdf",
    "atomic_path",
    "write_atomic",
    "write_csv",
    "write_frame",
    "FRAME_FORMATS",
    "FRAME_SUFFIXES",
    "write_error",
    "spreadsheet_safe",
    "spreadsheet_safe_frame",
    "check_output_path",
    "output_format",
    "check_output_paths",
    "NETCDF_SUFFIXES",
]

SPECIAL_ROWS = ("imports", "other_inputs", "employment")
METADATA_KEYS = ("currency", "monetary_unit", "price_year", "source")
NETCDF_SUFFIXES = (".nc", ".nc4")


#: Largest input file read (bytes): a larger file is refused before it is read. Tables,
#: registers and results of this size are far beyond any city's or nation's data.
MAX_INPUT_BYTES = 1 << 30
#: Largest text parameter file (scenario, batch, circuit parameters, mapping) read (bytes).
MAX_TEXT_BYTES = 16 << 20
#: Limits on an Excel workbook (a zip of XML files), checked before it is opened.
MAX_WORKBOOK_MEMBERS = 10_000
MAX_WORKBOOK_UNPACKED_BYTES = 1 << 30
MAX_WORKBOOK_RATIO = 200


def check_input_file(path: str | os.PathLike, *, what: str = "input file", max_bytes: int | None = None) -> Path:
    """Check that ``path`` is a regular file of at most ``max_bytes`` before it is read.

    A folder, a device (``/dev/zero``), a FIFO or a socket is refused: reading one could
    block or never end. Raises :class:`DataError` naming the file and the fix.
    """
    path = Path(path)
    max_bytes = MAX_INPUT_BYTES if max_bytes is None else max_bytes
    try:
        info = path.stat()
    except FileNotFoundError:
        raise DataError(f"{what} {path} does not exist") from None
    except OSError as exc:
        raise DataError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise DataError(f"{what} {path} is a folder; name a file")
    if not stat.S_ISREG(info.st_mode):
        raise DataError(f"{what} {path} is not a regular file (a device, pipe or socket); name a file")
    if info.st_size > max_bytes:
        raise DataError(
            f"{what} {path} has {info.st_size:,} bytes, more than the limit of {max_bytes:,}; "
            "split it or check that it is the right file"
        )
    return path


def read_input_bytes(path: str | os.PathLike, *, what: str = "input file", max_bytes: int | None = None) -> bytes:
    """The bytes of a checked input file (:func:`check_input_file`), never more than ``max_bytes``."""
    max_bytes = MAX_INPUT_BYTES if max_bytes is None else max_bytes
    path = check_input_file(path, what=what, max_bytes=max_bytes)
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise DataError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise DataError(f"{what} {path} grew beyond the limit of {max_bytes:,} bytes while being read")
    return data


def _line_of(data: bytes | str, position: int) -> int:
    newline = b"\n" if isinstance(data, bytes) else "\n"
    return data.count(newline, 0, position) + 1


def read_input_text(path: str | os.PathLike, *, what: str = "input file", max_bytes: int | None = None) -> str:
    """The text of a checked input file: UTF-8 (a byte-order mark is dropped), no NUL byte.

    A NUL byte or a byte that is not UTF-8 is a :class:`DataError` naming the line.
    """
    data = read_input_bytes(path, what=what, max_bytes=max_bytes)
    nul = data.find(b"\x00")
    if nul >= 0:
        raise DataError(
            f"{path}, line {_line_of(data, nul)}: a NUL byte; {what} must be a text file (UTF-8), not binary data"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}, line {_line_of(data, exc.start)}: byte {data[exc.start : exc.start + 1]!r} is not UTF-8; "
            f"save {what} as UTF-8 text"
        ) from None


def read_toml(path: str | os.PathLike, *, what: str = "TOML file", max_bytes: int | None = None) -> dict:
    """Parse a checked TOML file (:func:`read_input_text`); any failure is one :class:`DataError`."""
    text = read_input_text(path, what=what, max_bytes=MAX_TEXT_BYTES if max_bytes is None else max_bytes)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{path}: not valid TOML ({exc}); fix the {what}") from None
    except RecursionError:
        raise DataError(f"{path}: tables or arrays nested too deeply to be a {what}; flatten them") from None


def _unquote(cell: str) -> str:
    """Undo :func:`spreadsheet_safe` on a cell read back: ``'=x`` -> ``=x``."""
    if cell.startswith("'") and cell[1:].lstrip(" ").startswith(FORMULA_PREFIXES):
        return cell[1:]
    return cell


@dataclass(frozen=True)
class CsvRecords:
    """The records of a CSV file parsed exactly: header, rows, the line of each row, comments.

    ``rows[i]`` has exactly ``len(header)`` cells and starts on file line ``lines[i]``.
    """

    path: Path
    header: list[str]
    header_line: int
    rows: list[list[str]]
    lines: list[int]
    comments: list[str]

    def where(self, row: int) -> str:
        """``"<file>, line <n>"`` for row ``row``."""
        return f"{self.path}, line {self.lines[row]}"

    def frame(self) -> pd.DataFrame:
        """The rows as a frame of strings, indexed by their file line numbers."""
        return pd.DataFrame(self.rows, columns=self.header, index=pd.Index(self.lines, name="line"), dtype=object)


def read_csv_records(
    path: str | os.PathLike,
    *,
    what: str = "CSV file",
    max_bytes: int | None = None,
    comments: bool = True,
) -> CsvRecords:
    """Read a CSV file exactly, or refuse it with the file and line.

    Parameters
    ----------
    path : path-like
        UTF-8 text (a byte-order mark is allowed), comma-separated, ``"`` quotes.
    what : str
        What the file is, for messages (``"register"``, ``"employment file"``).
    max_bytes : int
        Size limit (see :func:`check_input_file`).
    comments : bool
        Lines starting with ``#`` are comments (their text, without ``#``, is kept in
        ``comments``); blank lines are skipped.

    Raises
    ------
    DataError
        For a NUL byte, text that is not UTF-8, a quote that is not closed on its line (a
        field running over several lines is refused: it is almost always an unbalanced
        quote), text after a closing quote, a row with more or fewer cells than the header,
        a repeated or blank column name, or no header line at all.
    """
    path = Path(path)
    text = read_input_text(path, what=what, max_bytes=max_bytes)
    comment_lines: list[str] = []
    state = {"line": 0, "start": 0, "text": ""}

    def physical_lines():
        for number, line in enumerate(io.StringIO(text, newline=""), start=1):
            state["line"] = number
            stripped = line.strip()
            if not stripped and state["start"] == number:
                state["start"] = number + 1
                continue
            if comments and line.startswith("#") and state["start"] == number:
                comment_lines.append(line[1:].strip())
                state["start"] = number + 1
                continue
            state["text"] = line
            yield line

    records: list[list[str]] = []
    lines: list[int] = []
    reader = csv.reader(physical_lines(), strict=True)
    state["start"] = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            reason = str(exc)
            if "unexpected end of data" in reason or "newline inside string" in reason:
                reason = 'a quoted field is never closed (an unbalanced ")'
            elif "expected after" in reason:
                reason = 'text follows a closing quote (an unbalanced or stray ")'
            raise DataError(
                f"{path}, line {state['start']}: cannot parse as CSV: {reason}; quote whole cells, and double a quote "
                'inside a quoted cell ("")'
            ) from None
        if state["line"] != state["start"]:
            raise DataError(
                f"{path}, line {state['start']}: a quoted field runs on to line {state['line']} "
                '(an unbalanced "?); close the quote on its line'
            )
        records.append([_unquote(cell) for cell in record] if "'" in state["text"] else record)
        lines.append(state["start"])
        state["start"] = state["line"] + 1
    if not records:
        raise DataError(f"{path}: no header line and no rows; {what} must start with a header line")
    header, header_line = [cell.strip() for cell in records[0]], lines[0]
    width = len(header)
    for record, line in zip(records[1:], lines[1:], strict=True):
        if len(record) != width:
            raise DataError(
                f"{path}, line {line}: {len(record)} cells where the header (line {header_line}) has {width}; "
                "every row needs one cell per column (quote cells that contain commas)"
            )
    named = [h for h in header if h]
    repeated = sorted({h for h in named if named.count(h) > 1})
    if repeated:
        raise DataError(f"{path}, line {header_line}: the header repeats the column names {repeated}; name each once")
    return CsvRecords(path, header, header_line, records[1:], lines[1:], comment_lines)


def _read_preamble(comments: list[str]) -> dict[str, str]:
    metadata: dict[str, str] = {}
    for line in comments:
        key, sep, value = line.partition("=")
        if sep and key.strip() in METADATA_KEYS:
            metadata[key.strip()] = value.strip()
    return metadata


def _looks_numeric(cell: str) -> bool:
    try:
        float(str(cell).replace(",", ""))
    except ValueError:
        return False
    return True


def no_header_hint(header: Sequence[str], expected: Sequence[str] = ()) -> str:
    """A sentence for an error when a header line looks like data (empty when it does not).

    It does when most of its cells are numbers, or when it has a number and none of the
    ``expected`` column names.
    """
    cells = [str(c).strip() for c in header if str(c).strip()]
    numbers = sum(_looks_numeric(c) for c in cells)
    mostly_numbers = cells and numbers >= max(1, len(cells) - 1)
    no_names = expected and numbers and not set(cells) & set(expected)
    if mostly_numbers or no_names:
        return f" The file seems to have no header line: its first line {list(header)} looks like data."
    return ""


def parse_number(cell, *, where: str, what: str, blank: float | None = None) -> float:
    """A finite number from a text cell, or a :class:`DataError` naming ``where`` and the value.

    A blank cell gives ``blank`` when given, else an error. ``nan``, ``inf`` and the like are
    refused: a table holds finite amounts.
    """
    text = "" if cell is None or (isinstance(cell, float) and np.isnan(cell)) else str(cell).strip()
    if not text:
        if blank is not None:
            return blank
        raise DataError(f"{where}: {what} is blank; write a number (0 for none)")
    try:
        number = float(text)
    except ValueError:
        raise DataError(f"{where}: {what} is {text!r}, not a number; write a plain number such as 1250.5") from None
    if not np.isfinite(number):
        raise DataError(f"{where}: {what} is {text!r}; write a finite number")
    return number


def parse_numbers(cells: np.ndarray, where, *, what: str, blank: float | None = None) -> np.ndarray:
    """A float matrix from a matrix of text cells, each finite (see :func:`parse_number`).

    ``where(i, j)`` names cell ``(i, j)`` in an error (file, line, column). The common case
    is one vectorised conversion; only a bad matrix is searched cell by cell for the message.
    """
    cells = np.asarray(cells, dtype=object)
    if blank is not None:
        cells = np.where(np.char.strip(cells.astype(str)) == "", repr(blank), cells)
    try:
        values = cells.astype(np.float64)
    except (ValueError, TypeError):
        values = None
    if values is not None and all_finite(values):
        return values
    values = np.empty(cells.shape)
    for (i, j), cell in np.ndenumerate(cells):
        values[i, j] = parse_number(cell, where=where(i, j), what=what, blank=blank)
    return values


def _frame_to_dataset(frame: pd.DataFrame, source_name: str, metadata: dict, *, row_word: str = "line") -> xr.Dataset:
    """The table layout of the module docstring from a frame of text cells indexed by file line."""
    from .tables import IOTable

    frame = frame.copy()
    frame.columns = [str(c).strip() for c in frame.columns]
    if "code" not in frame.columns:
        raise DataError(
            f"{source_name}: the header line must include a 'code' column; found {list(frame.columns)[:6]}."
            f"{no_header_hint(frame.columns)} The layout is: code,name,<sector codes>,fd:<category>,total_output"
        )
    codes = frame["code"].str.strip()
    blank = codes == ""
    if blank.any():
        raise DataError(
            f"{source_name}, {row_word} {blank.idxmax()}: the code cell is blank; give every row a sector code "
            f"or a special row name (va:<component>, {', '.join(SPECIAL_ROWS)})"
        )
    line_of = dict(zip(codes, frame.index, strict=False))
    repeated = sorted(set(codes[codes.duplicated()]))
    if repeated:
        raise DataError(
            f"{source_name}, {row_word} {line_of[repeated[0]]}: the codes {repeated[:5]} appear in more than one row; "
            "give each row its own code"
        )
    frame = frame.set_index(codes)
    fd_columns = [c for c in frame.columns if c.startswith("fd:")]
    sector_rows = [c for c in codes if not c.startswith("va:") and c not in SPECIAL_ROWS]
    for label in (*fd_columns, *(c for c in codes if c.startswith("va:"))):
        if not label[3:].strip():
            raise DataError(
                f"{source_name}: {label!r} has no name after the prefix; write e.g. 'fd:exports' or 'va:compensation'"
            )
    if not sector_rows:
        raise DataError(f"{source_name}: no sector rows; a table needs at least one row with a sector code")
    missing_cols = [s for s in sector_rows if s not in frame.columns]
    if missing_cols:
        raise DataError(
            f"{source_name}, {row_word} {line_of[missing_cols[0]]}: sector rows {missing_cols[:5]} have no matching "
            "column; every sector code must appear both as a row and as a column (in the same order)"
        )
    sector_columns = [c for c in frame.columns if c in sector_rows]
    if sector_columns != sector_rows:
        raise DataError(
            f"{source_name}: sector columns {sector_columns[:6]} are not in the order of the rows {sector_rows[:6]}; "
            "put the columns in the order of the rows (the matrix must be square with the same labels)"
        )
    extra_cols = [c for c in frame.columns if c not in (*sector_rows, *fd_columns, "code", "name", "total_output")]
    if extra_cols:
        raise DataError(
            f"{source_name}: unknown columns {extra_cols[:5]}; columns are 'code', 'name', the sector codes, "
            f"'fd:<category>' and 'total_output'"
        )

    def numeric(rows, columns, what, blank=None):
        return parse_numbers(
            frame.loc[rows, columns].to_numpy(dtype=object),
            lambda a, b: f"{source_name}, {row_word} {line_of[rows[a]]} (row {rows[a]!r}), column {columns[b]!r}",
            what=what,
            blank=blank,
        )

    Z = numeric(sector_rows, sector_rows, "an intermediate flow")
    f = numeric(sector_rows, fd_columns, "final demand", 0.0) if fd_columns else np.zeros((len(sector_rows), 1))
    x = numeric(sector_rows, ["total_output"], "total output")[:, 0] if "total_output" in frame.columns else None

    def row(label):
        return numeric([label], sector_rows, label, 0.0)[0] if label in frame.index else None

    va_rows = [c for c in codes if c.startswith("va:")]
    value_added = compensation = None
    if va_rows:
        components = {r[3:]: row(r) for r in va_rows}
        value_added = np.sum(list(components.values()), axis=0)
        compensation = components.get("compensation")
    names = frame.loc[sector_rows, "name"].str.strip().tolist() if "name" in frame.columns else None
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
            allow_negative=tuple(NEGATIVE_IMPOSSIBLE),  # the caller checks with the user's choice
            **meta,
        )
    ds = table.dataset
    ds.attrs["history"] = f"read from {source_name}"
    return ds


def read_table_csv(path: str | os.PathLike, **metadata) -> xr.Dataset:
    """Read a table in the CSV layout of this module; see the module docstring.

    Parsed exactly (:func:`read_csv_records`): errors name the file, line and column.
    """
    records = read_csv_records(path, what="table file")
    return _frame_to_dataset(records.frame(), Path(path).name, {**_read_preamble(records.comments), **metadata})


def check_workbook(path: Path) -> None:
    """Refuse an Excel workbook that is not a sound ``.xlsx`` zip before any XML parser sees it.

    Checks: a zip archive; at most :data:`MAX_WORKBOOK_MEMBERS` members; unpacked size at most
    :data:`MAX_WORKBOOK_UNPACKED_BYTES` and compression ratio at most
    :data:`MAX_WORKBOOK_RATIO` (zip bombs); every member's checksum; and no document type
    declaration in any XML member (an ``.xlsx`` never needs one, and entity expansion
    ("billion laughs") and external entities both need one).
    """
    if not zipfile.is_zipfile(path):
        raise DataError(f"{path}: not an .xlsx workbook (not a zip archive); save it as .xlsx or export CSV")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_WORKBOOK_MEMBERS:
                raise DataError(f"{path}: {len(members):,} parts in the workbook; not a table workbook")
            unpacked = sum(m.file_size for m in members)
            packed = max(sum(m.compress_size for m in members), 1)
            if unpacked > MAX_WORKBOOK_UNPACKED_BYTES or unpacked / packed > MAX_WORKBOOK_RATIO:
                raise DataError(
                    f"{path}: the workbook unpacks to {unpacked:,} bytes ({unpacked / packed:.0f} times its size); "
                    "refused as a possible zip bomb; export the sheet as CSV"
                )
            for member in members:
                if not member.filename.endswith((".xml", ".rels", ".vml")):
                    continue
                with archive.open(member) as handle:
                    content = handle.read()
                if b"<!DOCTYPE" in content.upper() or b"<!ENTITY" in content.upper():
                    raise DataError(
                        f"{path}: part {member.filename} declares a document type or entities, which a workbook "
                        "never needs (entity expansion or external entities); refused. Export the sheet as CSV"
                    )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise DataError(f"{path}: a broken .xlsx workbook ({exc}); save it again or export CSV") from None


def read_table_excel(path: str | os.PathLike, *, sheet: str | int = 0, **metadata) -> xr.Dataset:
    """Read a table in the same layout from one sheet of an ``.xlsx`` workbook (needs ``openpyxl``).

    The workbook is checked first (:func:`check_workbook`); errors name the sheet row.
    """
    path = check_input_file(path, what="table file")
    check_workbook(path)
    try:
        frame = pd.read_excel(path, sheet_name=sheet, dtype=str, header=0)
    except ValueError as exc:
        raise DataError(f"{path}: cannot read sheet {sheet!r} ({exc})") from None
    except Exception as exc:  # a hostile or broken workbook: any parser failure is this one refusal
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{path}: a broken .xlsx workbook ({reason}); save it again or export CSV") from None
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    frame = frame.fillna("").astype(str)
    frame = frame[(frame != "").any(axis=1)]
    return _frame_to_dataset(frame, f"{path.name}[{sheet}]", metadata, row_word="row")


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
    path = check_input_file(path, what="NetCDF file")
    try:
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            return ds.load()
    except Exception as exc:  # a broken or hostile file: any reader failure is this one refusal
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{path}: cannot read as NetCDF-4 ({reason}); write it with simengine or xarray") from None


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
    payload = data.encode("utf-8") if isinstance(data, str) else data  # bytes-like: written as it is
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

    Text starting (after any spaces) with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    gets a leading single quote (the OWASP CSV-injection guidance); numbers and other values are returned
    unchanged, so numeric columns stay numeric. A line break inside text becomes a space, so
    that every row of a file we write is one line (as our readers require).
    """
    if isinstance(value, str):
        if "\n" in value or "\r" in value:  # first, so the guard sees the text as it is written
            value = value.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
        if value.lstrip(" ").startswith(FORMULA_PREFIXES):  # spreadsheets may drop leading spaces
            value = "'" + value
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
    numbers = frame.select_dtypes("number")
    infinite = [str(c) for c in numbers.columns if np.isinf(numbers[c].to_numpy(dtype=np.float64)).any()]
    if infinite:
        raise DataError(f"cannot write {path}: columns {infinite} hold infinite values, which no result can have")
    text = spreadsheet_safe_frame(frame).to_csv(index=index, float_format="%.17g", lineterminator="\n")
    return write_atomic(path, preamble + text, overwrite=overwrite, suffixes=(".csv",))


#: Output suffixes of a frame and the format each writes.
FRAME_FORMATS = {".csv": "CSV", ".nc": "NetCDF-4", ".nc4": "NetCDF-4"}
FRAME_SUFFIXES = tuple(FRAME_FORMATS)


def write_frame(frame: pd.DataFrame, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write a frame in the format its suffix names (:data:`FRAME_FORMATS`), atomically.

    The one place where an output suffix chooses a frame's format: ``.csv`` (:func:`write_csv`)
    or ``.nc``/``.nc4`` (:func:`write_netcdf`, the frame as a Dataset); any other suffix is
    refused before anything is written. In NetCDF a column label becomes a variable name with
    ``/`` (the HDF5 group separator) spelled ``per``; the label itself is kept as the variable's
    ``long_name``.
    """
    path = Path(path)
    if output_format(path, FRAME_FORMATS) == "CSV":
        return write_csv(frame, path, overwrite=overwrite)
    ds = frame.to_xarray()
    ds = ds.rename({name: str(name).replace("/", " per ") for name in ds.data_vars if "/" in str(name)})
    for label, name in zip(frame.columns, ds.data_vars, strict=True):
        ds[name].attrs["long_name"] = str(label)
    ds.attrs.update({k: str(v) for k, v in frame.attrs.items()})
    return write_netcdf(ds, path, overwrite=overwrite)


def write_netcdf(ds: xr.Dataset, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write a Dataset as NetCDF-4 (h5netcdf engine), atomically; the name must end in ``.nc`` or ``.nc4``.

    The file is built in memory and then written by :func:`write_atomic`, so a full disk or a
    read-only folder is one :class:`DataError` (the HDF5 library never meets a failing disk).
    """
    check_output_path(path, overwrite=overwrite, suffixes=NETCDF_SUFFIXES)
    try:
        data = netcdf_image(ds)
    except (OSError, ValueError, TypeError) as exc:
        raise DataError(f"cannot write {path}: the data cannot be stored as NetCDF-4 ({exc})") from None
    return write_atomic(path, data, overwrite=overwrite, suffixes=NETCDF_SUFFIXES)


#: Encoding keys that leave a variable's storage as xarray's defaults (contiguous, no filters):
#: :func:`netcdf_image` writes such variables itself; any other key (chunks, compression, a
#: packed dtype, ...) hands the whole Dataset to xarray's writer.
_PLAIN_ENCODING = frozenset({"source", "original_shape", "dtype", "coordinates", "preferred_chunks", "chunks"})


def _plain_storage(ds: xr.Dataset) -> bool:
    for variable in ds.variables.values():
        encoding = variable.encoding
        if set(encoding) - _PLAIN_ENCODING or encoding.get("chunks") is not None:
            return False
        if "dtype" in encoding and np.dtype(encoding["dtype"]) != variable.dtype:
            return False
    return all(v.chunks is None for v in ds.variables.values())  # no dask arrays


def netcdf_image(ds: xr.Dataset) -> bytes | memoryview:
    """The NetCDF-4 file of ``ds`` in memory, as ``ds.to_netcdf(engine="h5netcdf")`` writes it.

    xarray's own CF encoding (:func:`xarray.conventions.encode_dataset_coordinates`, the
    h5netcdf store's ``encode``), then each variable created with its data in one call of
    h5netcdf, without xarray's write machinery (which looks up a dask scheduler and writes
    every variable after creating it). The file reads back identical to xarray's (tested).
    Datasets with storage encodings (chunks, compression, packing) or dask arrays go through
    ``ds.to_netcdf``.
    """
    if not _plain_storage(ds):
        return ds.to_netcdf(engine="h5netcdf")
    import h5netcdf
    import h5py
    from xarray import conventions
    from xarray.backends.h5netcdf_ import H5NetCDFStore

    buffer = io.BytesIO()
    with h5netcdf.File(buffer, "w") as target:
        store = H5NetCDFStore(target, mode="w")
        variables, attrs = conventions.encode_dataset_coordinates(ds)
        variables, attrs = store.encode(variables, attrs)
        for key, value in attrs.items():
            _set_attribute(target, "the Dataset", key, value)
        target.dimensions = {name: size for name, size in ds.sizes.items()}
        for name, variable in variables.items():
            if "/" in str(name):
                raise ValueError(f"variable name {name!r} contains '/', which NetCDF-4 does not allow in a name")
            attributes = dict(variable.attrs)
            fill = attributes.pop("_FillValue", None)
            data = np.asarray(variable.values)
            dtype = data.dtype
            if dtype.kind in "OU":  # text: variable-length UTF-8 strings, as xarray stores them
                dtype = h5py.string_dtype()
                data = data.astype(object)
            created = target.create_variable(name, variable.dims, dtype=dtype, data=data, fillvalue=fill)
            for key, value in attributes.items():
                _set_attribute(created, f"variable {name!r}", key, value)
    return buffer.getbuffer()


def _set_attribute(owner, what: str, key: str, value) -> None:
    """Set one NetCDF attribute; a value HDF5 cannot hold is one error naming the attribute."""
    try:
        owner.attrs[key] = value
    except TypeError:
        raise TypeError(
            f"attribute {key!r} of {what} is {value!r}, which NetCDF-4 cannot store (give a string, a number, "
            "or a list of them)"
        ) from None
