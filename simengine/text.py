"""Plain-text and tabular summaries for the terminal and for files written by the CLI."""

from __future__ import annotations

import os
import platform
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from .balance import BalanceResult, gras, ras
from .checks import check_finite
from .errors import DataError
from .households import HouseholdClosure
from .io import no_header_hint, parse_numbers, read_csv_records, write_frame
from .tables import IOTable

__all__ = [
    "terminal_safe",
    "multiplier_frame",
    "regional_multiplier_frame",
    "circuit_report",
    "scenario_summary",
    "comparison_text",
    "comparison_frame",
    "frame_text",
    "write_frame",
    "datasets_listing",
    "environment_info",
    "balance_csv",
]

#: Output formats of :func:`write_frame`, by file suffix.


#: Characters a terminal may act on instead of showing: C0 controls but tab and newline, DEL, C1
#: controls (ESC and CSI start colour, cursor and title sequences) and bidirectional overrides
#: (which reorder what is shown).
_TERMINAL_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """``text`` with every terminal control character shown as its escape (``\\x1b``), not acted on.

    Tabs and newlines are kept. Labels, titles and messages from user files pass through
    this before they reach the terminal, so a file cannot move the cursor, recolour or
    retitle the terminal, or hide text.
    """
    return _TERMINAL_CONTROLS.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), str(text))


def multiplier_frame(
    table: IOTable,
    kinds: Sequence[str],
    multiplier_type: str,
    *,
    sort: bool = False,
    top: int | None = None,
    households=None,
) -> pd.DataFrame:
    """Multipliers of several kinds side by side, one row per sector.

    Columns are named ``"<kind> (<units>)"``; the index is the sector code, with the
    sector name as the first column. ``households`` (a
    :class:`~simengine.households.HouseholdClosure`) closes the ``total`` and ``II`` types.
    """
    columns = {"name": [str(n) for n in table.dataset["sector_name"].values]}
    for kind in kinds:
        values = table.multipliers(kind, multiplier_type, households=households)
        units = "ratio" if values.attrs["units"] == "1" else values.attrs["units"]
        columns[f"{kind} ({units})"] = values.values
    frame = pd.DataFrame(columns, index=pd.Index(table.sectors, name="sector"))
    if sort:
        frame = frame.sort_values(frame.columns[1], ascending=False)
    if top is not None:
        frame = frame.head(top)
    frame.attrs.update(table=table.name, type=multiplier_type, unit=table.unit)
    if multiplier_type in ("total", "II"):
        frame.attrs["household_closure"] = (households or HouseholdClosure.compensation(table)).describe()
    return frame


def regional_multiplier_frame(
    model,
    kinds: Sequence[str],
    multiplier_type: str,
    *,
    sort: bool = False,
    top: int | None = None,
    households=None,
) -> pd.DataFrame:
    """In-region, out-of-region and total multipliers side by side for final demand in
    the model's first region (the city or province it is named after).

    ``multiplier_type`` ``simple`` gives effects per unit of final demand; ``I`` divides
    by the region's own direct coefficient (identical for output). ``total`` and ``II``
    are the same in the model closed with one household sector per region, which needs
    ``households`` (a :class:`~simengine.households.HouseholdClosure`).
    """
    closed = multiplier_type in ("total", "II")
    if closed and households is None:
        raise DataError(f"type {multiplier_type} regional multipliers need a household closure (households=...)")
    region = model.regions[0]
    columns = {"name": [str(n) for n in model.dataset["sector_name"].values]}
    for kind in kinds:
        values = model.multipliers(kind, households=households if closed else None).sel(region=region)
        ratio = multiplier_type in ("I", "II")
        direct = model._direct(kind)[: len(model.sectors)] if ratio else 1.0
        units = "ratio" if ratio and kind != "output" else values["total"].attrs["units"]
        for part in ("in_region", "out_of_region", "total"):
            with np.errstate(divide="ignore", invalid="ignore"):
                columns[f"{kind} {part.replace('_', '-')} ({units})"] = values[part].values / direct
    frame = pd.DataFrame(columns, index=pd.Index(model.sectors, name="sector"))
    if sort:
        frame = frame.sort_values(frame.columns[1], ascending=False)
    if top is not None:
        frame = frame.head(top)
    frame.attrs.update(model=model.name, region=region, type=multiplier_type)
    if closed:
        frame.attrs["household_closure"] = households.describe()
    return frame


def _number_text(value: float) -> str:
    """A number for the terminal: whole with thousands separators from 10,000 up, else 4 significant digits.

    Never scientific notation for money (``1,912,004,725``, not ``1.912e+09``).
    """
    if abs(value) >= 1e4:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def frame_text(frame: pd.DataFrame, *, title: str, name_width: int = 40) -> str:
    """Render a frame for the terminal with long names shortened."""
    shown = frame.copy()
    if "name" in shown:
        shown["name"] = [n if len(n) <= name_width else n[: name_width - 1] + "…" for n in shown["name"]]
    numbers = shown.select_dtypes("number")
    if np.isinf(numbers.to_numpy(dtype=np.float64)).any():
        bad = [str(c) for c in numbers.columns if np.isinf(numbers[c].to_numpy(dtype=np.float64)).any()]
        raise DataError(f"{title}: infinite values in {bad}; the inputs give no finite result (check units and scale)")
    undefined = bool(numbers.isna().to_numpy().any())
    body = shown.reset_index().to_string(index=False, float_format=_number_text, na_rep="n/a")
    note = "\nn/a: not defined for this row (a ratio whose denominator is zero)" if undefined else ""
    return terminal_safe(f"{title}\n{body}{note}")


def _read_labelled_csv(
    path: str | os.PathLike, what: str, *, width: int | None = None
) -> tuple[pd.DataFrame, dict[str, int]]:
    """A matrix of numbers with row labels in the first column and column labels in the header.

    Returns the frame and the file line of each row label.
    """
    records = read_csv_records(path, what=what)
    if len(records.header) < 2:
        raise DataError(f"{path}, line {records.header_line}: {what} needs a label column and at least one more")
    if width is not None and len(records.header) != width:
        raise DataError(f"{path}: {what} need two columns (label, total); found {len(records.header)}")
    hint = no_header_hint(records.header[1:])
    if hint:
        raise DataError(
            f"{path}, line {records.header_line}: {what} must start with a header line (labels of the columns).{hint}"
            " Add a header line, e.g. 'label,total' for a totals file"
        )
    rows = [row[0].strip() for row in records.rows]
    for k, label in enumerate(rows):
        if not label:
            raise DataError(f"{records.where(k)}: the label cell is blank; give every row a label")
    columns = [c.strip() for c in records.header[1:]]
    for axis, labels in (("row", rows), ("column", columns)):
        repeated = sorted({label for label in labels if labels.count(label) > 1})
        if repeated:
            raise DataError(f"{path}: {what} repeats the {axis} labels {repeated}; give each label once")
    if not rows:
        raise DataError(f"{path}: {what} has a header line but no rows")
    values = parse_numbers(
        np.array([row[1:] for row in records.rows], dtype=object),
        lambda i, j: f"{records.where(i)} (row {rows[i]!r}), column {columns[j]!r}",
        what="the value",
    )
    frame = pd.DataFrame(values, index=pd.Index(rows, dtype=object), columns=pd.Index(columns, dtype=object))
    return frame, dict(zip(rows, records.lines, strict=True))


def balance_csv(
    matrix_path: str | os.PathLike,
    row_totals_path: str | os.PathLike,
    column_totals_path: str | os.PathLike,
    *,
    method: str = "ras",
) -> tuple[pd.DataFrame, BalanceResult]:
    """Balance a labelled matrix read from CSV to totals read from CSV.

    The matrix file has row labels in its first column and column labels in its header;
    each totals file has labels in its first column and the totals in its second. Totals
    are matched to the matrix by label. Returns the balanced matrix as a frame (same
    layout as the input) and the :class:`~simengine.balance.BalanceResult`.
    """
    frame, _ = _read_labelled_csv(matrix_path, "the matrix")
    labels = {"row": frame.index.to_list(), "column": frame.columns.to_list()}
    totals = []
    for path, dim in ((row_totals_path, "row"), (column_totals_path, "column")):
        table, lines = _read_labelled_csv(path, f"{dim} totals", width=2)
        unknown = [label for label in table.index if label not in labels[dim]]
        if unknown:
            raise DataError(
                f"{path}, line {lines[unknown[0]]}: a {dim} total for {unknown[:5]}, which the matrix "
                f"{matrix_path} has no {dim} for; its {dim} labels are {labels[dim][:8]}"
            )
        missing = [label for label in labels[dim] if label not in table.index]
        if missing:
            raise DataError(
                f"{path}: no {dim} total for the matrix {dim}s {missing[:5]}; give one total per {dim} label"
            )
        totals.append(xr.DataArray(table.iloc[:, 0].to_numpy(), dims=dim, coords={dim: table.index.to_list()}))
    matrix = xr.DataArray(frame.to_numpy(), dims=("row", "column"), coords=labels)
    result = {"ras": ras, "gras": gras}[method](matrix, *totals)
    balanced = pd.DataFrame(result.matrix.values, index=frame.index, columns=frame.columns)
    return balanced, result


def datasets_listing(datasets) -> str:
    """Describe shipped datasets, one block each."""
    blocks = []
    for info in datasets:
        blocks.append(
            f"{info.name}\n  {info.description}\n  source:  {info.source}\n  licence: {info.licence}\n"
            f"  raw files and SOURCE.md: simengine/datasets/{info.raw_folder}\n  recipe:  {info.recipe}"
        )
    return terminal_safe("\n".join(blocks))


def environment_info() -> str:
    """Versions of simengine and its numerical stack, numba threading, shipped datasets."""
    import numba
    import numpy
    import scipy
    import xarray

    from . import __version__
    from .datasets import DATASETS

    lines = [
        f"simengine {__version__}",
        f"python    {platform.python_version()} ({platform.platform()})",
        f"numpy     {numpy.__version__}",
        f"scipy     {scipy.__version__}",
        f"xarray    {xarray.__version__}",
        f"numba     {numba.__version__} "
        f"({numba.config.NUMBA_NUM_THREADS} threads, layer {numba.config.THREADING_LAYER})",
        f"cpus      {os.cpu_count()}",
        f"datasets  {', '.join(DATASETS)}",
    ]
    return "\n".join(lines)


def circuit_report(circuit, local_spending: dict[str, float], *, title: str) -> str:
    """The leakage account, the closed circuit and the first rounds of one spending vector.

    Parameters
    ----------
    circuit : simengine.circuit.Circuit
    local_spending : mapping of sector code to money spent on local output
    title : str
        First line of the report.
    """
    account = circuit.leakage_account(local_spending)
    closed = circuit.impact(local_spending)
    rounds = circuit.rounds(local_spending)
    for name, values in (*account.data_vars.items(), *closed.data_vars.items(), ("rounds", rounds.total)):
        check_finite(values.values, f"the circuit's {name}", where=title.split(":")[0])
    spent = float(account.spending)
    per_unit = closed / spent
    lines = [title, "", "Leakage account, production round (per unit of spending):"]
    lines += [f"  retained  {item:<28}{v:8.4f}" for item, v in account.retained.to_series().items()]
    lines += [f"  leaks     {channel:<28}{v:8.4f}" for channel, v in account.leakage.to_series().items()]
    lines.append(f"  total{'':<33}{float(account.retained.sum() + account.leakage.sum()):8.4f}")
    lines += ["", "Closed circuit (per unit of spending; every unit eventually leaks):"]
    for name in ("household_income", "city_tax_revenue", "reinvestment"):
        lines.append(f"  {name:<36}{float(per_unit[name]):8.4f}")
    lines.append(f"  {'local output':<36}{float(per_unit.output.sum()):8.4f}")
    lines.append(f"  {'local value added':<36}{float(per_unit.value_added.sum()):8.4f}")
    lines.append(f"  {'local jobs (persons, total)':<36}{float(closed.employment.sum()):8.4g}")
    lines += [f"  leaks  {channel:<29}{v:8.4f}" for channel, v in per_unit.leakage.to_series().items()]
    lines.append(f"  total leakage{'':<23}{float(per_unit.leakage.sum()):8.4f}")
    first = ", ".join(f"{float(v):.4g}" for v in rounds.total.values[:5])
    lines += [
        "",
        f"Rounds (money received locally): {first}, ... ({rounds.sizes['round']} rounds to convergence)",
        f"LM3 = (round 1 + round 2 + round 3) / round 1 = {circuit.lm3(local_spending):.4f}",
    ]
    return terminal_safe("\n".join(lines))


def scenario_summary(result) -> str:
    """Headline figures of each scenario of a result, with units, for the terminal."""
    from .results import headline, require_accounts

    require_accounts(result, "the scenario summary (leakage by channel, output by sector)")
    table = headline(result)
    money = result["budget"].attrs["units"]
    leakage = result["leakage"].sum("time")
    if "draw" in leakage.dims:
        leakage = leakage.mean("draw")
    blocks = []
    for scenario in table["scenario"].values:
        row = table.sel(scenario=scenario)
        years = result["year"].values if "year" in result.coords else result["time"].values
        budget = float(row["budget"])
        title = str(result["scenario_title"].sel(scenario=scenario).values) if "scenario_title" in result else ""
        attrs = result.attrs
        cost = float(row["cost_premium"])
        lines = [
            f"{scenario}: {title}",
            f"  region {attrs['region']}, {attrs['mode']} mode, {len(years)} {attrs['time_unit']}(s) from {years[0]}; "
            f"money in {money} (budget price year {attrs.get('price_year', '?')})",
            f"  procurement budget          {budget:14,.0f}",
            f"  local award share           {float(row['local_award_share']):14.1%}",
            f"  cost of the levers          {cost:14,.0f}  ({cost / budget:.2%} of budget)",
            f"  local output                {float(row['local_output']):14,.0f}",
            f"  local value added           {float(row['local_value_added']):14,.0f}  "
            f"({float(row['value_added_per_budget']):.3f} per won of budget)",
            f"  resident labour income      {float(row['local_income']):14,.0f}",
            f"  local jobs (person-years)   {float(row['local_employment']):14,.0f}",
            f"  local tax to the city       {float(row['local_tax']):14,.0f}",
            f"  output in other regions     {float(row['nonlocal_output']):14,.0f}",
            f"  LM3 (NEF)                   {float(row['lm3']):14.3f}",
            "  leakage by channel (share of budget):",
        ]
        shares = leakage.sel(scenario=scenario) / budget
        lines += [
            f"    {str(c):28s}{float(v):8.1%}" for c, v in zip(shares["channel"].values, shares.values, strict=True)
        ]
        remaining = 1.0 - float(shares.sum())
        if abs(remaining) >= 0.0005:
            lines.append(
                f"    {'still circulating locally':28s}{remaining:8.1%}  (received but not yet re-spent or leaked "
                "at the end of the horizon: the circuit's stock)"
            )
        blocks.append("\n".join(lines))
    return terminal_safe("\n\n".join(blocks))


def comparison_frame(table) -> pd.DataFrame:
    """A comparison (:func:`simengine.results.compare`) as a frame for files, units in the column names.

    Each column is named ``"<variable> (<units>)"`` (``"1"`` units are written as ``ratio``).
    """
    frame = table.to_dataframe()
    names = {}
    for name in frame.columns:
        units = table[name].attrs.get("units", "") if name in table else ""
        names[name] = f"{name} ({'ratio' if units == '1' else units})" if units and name != "rank" else name
    return frame.rename(columns=names)


def comparison_text(table) -> str:
    """A comparison (:func:`simengine.results.compare`) as a ranked table for the terminal.

    The columns are :func:`simengine.results.headline_set`.
    """
    from .results import headline_set

    spec = headline_set(table)
    columns = {name: label for name, label, _, _ in spec}
    frame = table[list(columns)].to_dataframe()[list(columns)].rename(columns=columns).sort_values("rank")
    unit = table["budget"].attrs.get("units", "")
    rate = table.attrs.get("discount_rate")
    discount = f", present values at {float(rate):.1%} a year" if rate is not None else ""
    title = (
        f"comparison with baseline {table.attrs['baseline']} (money in {unit}, summed over the horizon{discount}; "
        f"ranked by net present benefit of {table.attrs.get('objective')})"
    )
    body = frame.to_string(formatters={label: fmt.format for _, label, fmt, _ in spec})
    return terminal_safe(f"{title}\n{body}")
