"""Contract registers: read a CSV of awards into one canonical table, with a locality flag.

The canonical layout (also the layout of the Korean example register) has one row per
award, or one row per supplier of a multi-supplier award::

    contract_id,award_date,value,currency,sector,method,supplier_location,buyer_location,supplier_size,social_economy
    GM-1,2024-01-03,18500000,KRW,services,negotiated,"Gwangmyeong, Gyeonggi","Gwangmyeong, Gyeonggi",sme,no

Required columns: ``contract_id``, ``value``, ``sector``, ``method``, ``supplier_location``.
Optional: ``award_date``, ``currency`` (else set in the mapping), ``size_class`` (else
derived from the award value), ``buyer_location`` (else the ``buyer_location`` argument),
``supplier_size`` (``sme`` / ``large`` / blank = ``unknown``), ``social_economy``
(true/false/yes/no/1/0, blank = unknown), ``n_suppliers`` (checked against the rows
present) and ``release_id`` (several releases of one award: only the latest is kept).

A mapping (a TOML file or the equivalent dict) reads other layouts; see
:func:`read_mapping` and ``scenarios/data/uk_contracts_finder_mapping.toml``.

The register is returned as a :class:`pandas.DataFrame`, not an xarray Dataset: it is a
list of records of mixed types with no grid to label. :func:`simengine.procurement.spend_analysis`
turns it into the labelled cube (an xarray Dataset).
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, DataQualityWarning
from ..io import no_header_hint, read_csv_records, read_toml
from .vocabulary import METHODS, size_class_index

__all__ = [
    "read_register",
    "read_mapping",
    "METHODS",
    "LOCALITY_RULES",
    "DEFAULT_SIZE_CLASSES",
    "REQUIRED_COLUMNS",
    "OPTIONAL_COLUMNS",
]

REQUIRED_COLUMNS = ("contract_id", "value", "sector", "method", "supplier_location")
OPTIONAL_COLUMNS = (
    "award_date",
    "currency",
    "size_class",
    "buyer_location",
    "supplier_size",
    "social_economy",
    "n_suppliers",
    "release_id",
)
#: Locality rules: which supplier locations count as local to the buyer.
LOCALITY_RULES = ("same_city", "same_province", "postcode_area")
#: Default size classes by currency: label -> inclusive upper bound of the award value
#: (currency units). Conventions of this package, not legal thresholds; pass
#: ``size_classes`` (or ``[size_classes]`` in the mapping) to use others.
DEFAULT_SIZE_CLASSES = {
    "KRW": {"small": 20e6, "medium": 1e9, "large": math.inf},
    "GBP": {"small": 30e3, "medium": 1e6, "large": math.inf},
}
SUPPLIER_SIZES = ("sme", "large", "unknown")
_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}
_POSTCODE_AREA = re.compile(r"^([A-Z]{1,2})[0-9]")
_MAPPING_KEYS = {"columns", "values", "currency", "locality", "buyer_location", "size_classes"}


def read_mapping(mapping: str | os.PathLike | Mapping | None) -> dict:
    """Read and check a register mapping (TOML file or dict with the same keys).

    Parameters
    ----------
    mapping
        ``None`` (canonical layout), a path to a TOML file, or a dict with the keys:

        - ``columns``: canonical name -> column name in the file;
        - ``values``: canonical name (``method``, ``sector``, ``supplier_size``) -> table of
          file value -> canonical value; matching ignores case and surrounding blanks, and
          the key ``""`` maps blank cells. With a table, a value not in it is an error;
        - ``currency``: currency code of every value when the file has no currency column;
        - ``locality``, ``buyer_location``: defaults for :func:`read_register`;
        - ``size_classes``: label -> inclusive upper bound of the award value (``inf`` last).

    Returns
    -------
    dict
        The checked mapping, with a ``"source"`` entry naming where it came from.
    """
    if mapping is None:
        return {"source": "canonical layout"}
    if isinstance(mapping, Mapping):
        content, source = dict(mapping), "mapping"
    else:
        path = Path(mapping)
        content = read_toml(path, what="mapping file")
        source = str(path)
    _check_mapping_types(content, source)
    unknown = set(content) - _MAPPING_KEYS
    if unknown:
        raise DataError(f"{source}: unknown keys {sorted(unknown)}; valid keys are {sorted(_MAPPING_KEYS)}")
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    for section, allowed in (("columns", known), ("values", {"method", "sector", "supplier_size"})):
        bad = set(content.get(section, {})) - allowed
        if bad:
            raise DataError(f"{source}: [{section}] has unknown names {sorted(bad)}; valid names are {sorted(allowed)}")
    if "locality" in content and content["locality"] not in LOCALITY_RULES:
        raise DataError(f"{source}: locality = {content['locality']!r}; valid rules are {list(LOCALITY_RULES)}")
    return {**content, "source": source}


def _check_mapping_types(content: Mapping, source: str) -> None:
    """Refuse mapping values of the wrong type, naming the key, the value and the expected type."""

    def fail(key: str, value, expected: str) -> None:
        raise DataError(f"{source}: {key} = {value!r} is a {type(value).__name__}; expected {expected}")

    for key in ("currency", "locality", "buyer_location"):
        if key in content and not isinstance(content[key], str):
            fail(key, content[key], "a string")
    columns = content.get("columns", {})
    if not isinstance(columns, Mapping):
        fail("columns", columns, "a table of canonical name = column name")
    for name, column in columns.items():
        if not isinstance(column, str) or not column.strip():
            fail(f"columns.{name}", column, "a column name (a non-empty string)")
    values = content.get("values", {})
    if not isinstance(values, Mapping):
        fail("values", values, "a table of [values.<name>] tables")
    for name, table in values.items():
        if not isinstance(table, Mapping):
            fail(f"values.{name}", table, "a table of file value = canonical value")
        for key, value in table.items():
            if not isinstance(value, str):
                fail(f"values.{name}.{key!r}", value, "a string")
    classes = content.get("size_classes")
    if classes is not None:
        if not isinstance(classes, Mapping) or not classes:
            fail("size_classes", classes, "a table of label = upper bound, e.g. {small = 1e4, large = inf}")
        for label, bound in classes.items():
            if isinstance(bound, bool) or not isinstance(bound, int | float) or math.isnan(bound) or bound <= 0:
                fail(f"size_classes.{label}", bound, "a positive number (inf for the last class)")


def _line(index) -> int:
    """File line of a data row (rows are indexed by their line, see :meth:`simengine.io.CsvRecords.frame`)."""
    return int(index)


def _fail_rows(path: Path, column: str, bad: pd.Series, raw: pd.Series, problem: str, fix: str) -> None:
    """Raise one DataError naming the first bad row, its value, and how many rows are bad."""
    if not bad.any():
        return
    rows = bad[bad].index
    lines = ", ".join(str(_line(i)) for i in rows[:5]) + (", ..." if len(rows) > 5 else "")
    first = rows[0]
    raise DataError(
        f"{path}: line {_line(first)}, column {column!r}: {raw[first]!r} {problem} "
        f"({len(rows)} row(s) like this: lines {lines}); {fix}"
    )


def _map_values(
    path: Path, column: str, raw: pd.Series, table: Mapping | None, vocabulary, canonical: str
) -> pd.Series:
    key = raw.str.strip().str.casefold()
    if table is not None:
        lookup = {str(k).strip().casefold(): str(v) for k, v in table.items()}
        _fail_rows(
            path,
            column,
            ~key.isin(lookup),
            raw,
            f"is not in the mapping's [values.{canonical}] table",
            f"add it there; known values: {sorted(lookup)}",
        )
        return key.map(lookup)
    if vocabulary is None:
        _fail_rows(
            path, column, key == "", raw, "is blank", f"fill in the {canonical}, or map '' in [values.{canonical}]"
        )
        return raw.str.strip()
    _fail_rows(
        path,
        column,
        ~key.isin(vocabulary),
        raw,
        f"is not a known {canonical}",
        f"use one of {list(vocabulary)}, or map file values in the mapping's [values.{canonical}] table",
    )
    return key


def _parse_values(path: Path, column: str, raw: pd.Series) -> pd.Series:
    cleaned = raw.str.replace(",", "", regex=False).str.strip()
    number = pd.to_numeric(cleaned, errors="coerce")
    _fail_rows(path, column, number.isna(), raw, "is not a number", "write the award value as a plain number")
    _fail_rows(path, column, number < 0, raw, "is negative", "award values must be >= 0; correct or remove the row")
    _fail_rows(path, column, ~np.isfinite(number), raw, "is not finite", "write a finite award value")
    return number.astype(np.float64)


def _parse_flags(path: Path, column: str, raw: pd.Series) -> pd.Series:
    key = raw.str.strip().str.casefold()
    _fail_rows(
        path,
        column,
        ~(key.isin(_TRUE) | key.isin(_FALSE) | (key == "")),
        raw,
        "is not a yes/no flag",
        "write true/false (yes/no, 1/0), or leave blank for unknown",
    )
    flags = pd.array([True if k in _TRUE else False if k in _FALSE else pd.NA for k in key], dtype="boolean")
    return pd.Series(flags, index=raw.index)


def _size_class(value: pd.Series, classes: Mapping[str, float]) -> pd.Series:
    labels = list(classes)
    bounds = np.array([float(classes[k]) for k in labels])
    if bounds[-1] != math.inf or np.any(np.diff(bounds) <= 0):
        raise DataError(f"size classes {dict(classes)}: upper bounds must increase and the last must be inf")
    return pd.Series(np.asarray(labels, dtype=object)[size_class_index(value.to_numpy(), bounds)], index=value.index)


def _place(path: Path, column: str, raw: pd.Series, rule: str) -> pd.DataFrame:
    """Split location strings into the parts a locality rule compares (blank -> NA)."""
    text = raw.fillna("").astype(str).str.strip()
    blank = text == ""
    if rule == "postcode_area":
        area = text.str.upper().str.extract(_POSTCODE_AREA, expand=False)
        _fail_rows(
            path,
            column,
            area.isna() & ~blank,
            raw,
            "is not a UK postcode",
            "write a postcode or district (e.g. SM4), or leave blank",
        )
        return pd.DataFrame({"key": area})
    parts = text.str.partition(",")
    city = parts[0].str.strip().str.casefold()
    province = parts[2].str.strip().str.casefold()
    if rule == "same_province":
        _fail_rows(
            path, column, (province == "") & ~blank, raw, "has no province part", "write locations as 'City, Province'"
        )
        return pd.DataFrame({"key": province.where(~blank)})
    return pd.DataFrame({"key": city.where(~blank), "province": province.where(~blank)})


def _is_local(path: Path, supplier: pd.Series, buyer: pd.Series, columns: tuple[str, str], rule: str) -> pd.Series:
    s = _place(path, columns[0], supplier, rule)
    b = _place(path, columns[1], buyer, rule)
    known = s["key"].notna() & b["key"].notna()
    same = s["key"] == b["key"]
    if rule == "same_city":
        # Provinces are compared only where both locations give one (two Gwangju exist).
        both = (s["province"] != "") & (b["province"] != "")
        same = same & (~both | (s["province"] == b["province"]))
    return pd.Series(pd.array(np.where(known, same.fillna(False), pd.NA), dtype="boolean"), index=supplier.index)


def _latest_release(frame: pd.DataFrame) -> pd.DataFrame:
    latest = frame.groupby("contract_id", sort=False)["release_id"].transform("max")
    return frame[frame["release_id"] == latest]


def read_register(
    path: str | os.PathLike,
    *,
    mapping: str | os.PathLike | Mapping | None = None,
    locality: str | None = None,
    buyer_location: str | None = None,
    size_classes: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Read a contract register into the canonical table with a locality flag.

    Parameters
    ----------
    path
        CSV file (UTF-8), one row per award or per supplier of an award.
    mapping
        Column and value mapping for other layouts: a TOML file or dict, see :func:`read_mapping`.
    locality
        Rule deciding which suppliers are local (default: the mapping's, else ``"same_city"``):

        - ``"same_city"``: locations written ``"City, Province"``; same city (and the same
          province where both give one), ignoring case;
        - ``"same_province"``: same province part;
        - ``"postcode_area"``: UK postcodes or districts; same postcode area, the letters of
          the outward code (``"SM"`` of ``"SM4"``, ``"EC"`` of ``"EC3N"``).

        A blank supplier (or buyer) location gives ``is_local`` = NA ("unknown"), never
        local or non-local.
    buyer_location
        The buyer's location for every row; overrides a ``buyer_location`` column.
    size_classes
        Label -> inclusive upper bound of the award value, in increasing order with ``inf``
        last; used when the file has no ``size_class`` column. Default by currency:
        :data:`DEFAULT_SIZE_CLASSES`.

    Returns
    -------
    pandas.DataFrame
        One row per (award, supplier), columns ``contract_id``, ``award_date``
        (datetime64, NaT if absent), ``value`` (this supplier's part of the award, currency
        units), ``award_value`` (whole award), ``award_weight`` (1 / suppliers on the award,
        so that weights sum to the number of awards), ``currency``, ``sector``, ``method``,
        ``size_class``, ``supplier_location``, ``buyer_location``, ``supplier_size``
        (``sme``/``large``/``unknown``), ``social_economy`` (nullable bool) and ``is_local``
        (nullable bool: NA = unknown). ``attrs`` hold ``source``, ``locality``,
        ``currency`` and ``mapping``.

    Notes
    -----
    Multi-supplier awards (frameworks) repeat the award value on each supplier row. The
    value is split equally across the supplier rows of the award (same ``contract_id``), so
    no money is counted twice; rows of one award with different values are an error. When
    a ``release_id`` column is mapped, an award published in several releases keeps only the
    rows of its latest release (greatest release id; Contracts Finder ids end in an
    increasing serial number). An ``n_suppliers`` column that disagrees with the rows
    present gives a :class:`~simengine.errors.DataQualityWarning`.
    """
    path = Path(path)
    spec = read_mapping(mapping)
    records = read_csv_records(path, what="register", comments=False)
    raw = records.frame()
    raw.columns = [str(c).strip() for c in raw.columns]
    names = {name: spec.get("columns", {}).get(name, name) for name in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)}
    missing = [f"{name} (column {names[name]!r})" for name in REQUIRED_COLUMNS if names[name] not in raw.columns]
    if missing:
        raise DataError(
            f"{path}: missing required columns {missing}; the file has {list(raw.columns)}."
            f"{no_header_hint(raw.columns, list(names.values()))} Expected columns "
            f"{list(REQUIRED_COLUMNS)} (optional {list(OPTIONAL_COLUMNS)}); map other names with a mapping "
            f"[columns] table (source of this mapping: {spec['source']})"
        )
    if raw.empty:
        raise DataError(f"{path}: the register has a header but no contract rows; add one row per award")
    for name in OPTIONAL_COLUMNS:
        if name in spec.get("columns", {}) and names[name] not in raw.columns:
            raise DataError(
                f"{path}: the mapping names column {names[name]!r} for {name}, but the file has no such column"
            )
    present = {name: raw[col] for name, col in names.items() if col in raw.columns}
    values_spec = spec.get("values", {})
    frame = pd.DataFrame({"contract_id": present["contract_id"].str.strip()})
    _fail_rows(
        path,
        names["contract_id"],
        frame["contract_id"] == "",
        present["contract_id"],
        "is blank",
        "give every row a contract id",
    )
    if "award_date" in present:
        dates = pd.to_datetime(present["award_date"].str.strip().replace("", None), errors="coerce", format="ISO8601")
        bad = dates.isna() & (present["award_date"].str.strip() != "")
        _fail_rows(
            path, names["award_date"], bad, present["award_date"], "is not an ISO date", "write dates as YYYY-MM-DD"
        )
        frame["award_date"] = dates
    else:
        frame["award_date"] = pd.NaT
    frame["award_value"] = _parse_values(path, names["value"], present["value"])
    with np.errstate(over="ignore"):
        total = float(frame["award_value"].sum())
    if not np.isfinite(total):
        raise DataError(
            f"{path}: the award values in column {names['value']!r} sum beyond the range of numbers "
            "(about 1.8e308); check their unit (currency units, not a scaled code)"
        )
    if not (frame["award_value"] > 0).any():
        raise DataError(
            f"{path}: every award value in column {names['value']!r} is 0, so no local award share is defined; "
            "check that the column holds the award values (in currency units)"
        )
    if "currency" in present:
        frame["currency"] = present["currency"].str.strip().str.upper()
        _fail_rows(
            path, names["currency"], frame["currency"] == "", present["currency"], "is blank", "write a currency code"
        )
    elif "currency" in spec:
        frame["currency"] = str(spec["currency"]).upper()
    else:
        raise DataError(
            f'{path}: no currency column and no currency in the mapping; add one (for example currency = "KRW")'
        )
    currencies = sorted(frame["currency"].unique())
    if len(currencies) > 1:
        raise DataError(f"{path}: several currencies {currencies}; convert the values to one currency first")
    frame["sector"] = _map_values(path, names["sector"], present["sector"], values_spec.get("sector"), None, "sector")
    frame["method"] = _map_values(
        path, names["method"], present["method"], values_spec.get("method"), METHODS, "method"
    )
    size_raw = present.get("supplier_size", pd.Series("", index=raw.index))
    size_table = values_spec.get("supplier_size")
    if size_table is None:
        size_raw = size_raw.where(size_raw.str.strip() != "", "unknown")
    frame["supplier_size"] = _map_values(
        path, names["supplier_size"], size_raw, size_table, SUPPLIER_SIZES, "supplier_size"
    )
    if "social_economy" in present:
        frame["social_economy"] = _parse_flags(path, names["social_economy"], present["social_economy"])
    else:
        frame["social_economy"] = pd.array([pd.NA] * len(raw), dtype="boolean")
    frame["supplier_location"] = present["supplier_location"].str.strip()
    buyer = buyer_location if buyer_location is not None else spec.get("buyer_location")
    if buyer is not None:
        frame["buyer_location"] = str(buyer).strip()
    elif "buyer_location" in present:
        frame["buyer_location"] = present["buyer_location"].str.strip()
    else:
        raise DataError(
            f"{path}: no buyer location; pass buyer_location (--buyer-location) or map a buyer_location column"
        )
    rule = locality or spec.get("locality", "same_city")
    if rule not in LOCALITY_RULES:
        raise DataError(f"unknown locality rule {rule!r}; valid rules are {list(LOCALITY_RULES)}")
    buyer_column = names["buyer_location"] if buyer is None else "buyer_location (argument)"
    frame["is_local"] = _is_local(
        path, frame["supplier_location"], frame["buyer_location"], (names["supplier_location"], buyer_column), rule
    )
    currency = currencies[0] if currencies else str(spec.get("currency", ""))
    if "size_class" in present:
        frame["size_class"] = present["size_class"].str.strip()
        _fail_rows(
            path, names["size_class"], frame["size_class"] == "", present["size_class"], "is blank", "fill it in"
        )
    else:
        classes = size_classes or spec.get("size_classes") or DEFAULT_SIZE_CLASSES.get(currency)
        if classes is None:
            raise DataError(
                f"{path}: no size_class column and no default size classes for {currency}; pass size_classes "
                f"(or [size_classes] in the mapping), e.g. {{small = 1e4, medium = 1e6, large = inf}}"
            )
        frame["size_class"] = _size_class(frame["award_value"], classes)
    if "release_id" in present:
        frame["release_id"] = present["release_id"].str.strip()
        frame = _latest_release(frame).drop(columns="release_id")
    groups = frame.groupby("contract_id", sort=False)["award_value"]
    spread = groups.transform("max") != groups.transform("min")
    _fail_rows(
        path,
        names["value"],
        spread,
        present["value"],
        "differs from another row of the same contract id",
        "rows of one award must repeat the award value; give separate awards separate ids",
    )
    suppliers = groups.transform("size").astype(np.float64)
    if "n_suppliers" in present:
        stated = pd.to_numeric(present["n_suppliers"].reindex(frame.index), errors="coerce")
        disagree = stated.notna() & (stated != suppliers)
        if disagree.any():
            first = disagree[disagree].index[0]
            warnings.warn(
                f"{path}: {int(disagree.sum())} row(s) where {names['n_suppliers']} differs from the supplier rows "
                f"present (first: line {_line(first)}); the award value is split over the rows present",
                DataQualityWarning,
                stacklevel=2,
            )
    frame["award_weight"] = 1.0 / suppliers
    frame["value"] = frame["award_value"] / suppliers
    columns = [
        "contract_id",
        "award_date",
        "value",
        "award_value",
        "award_weight",
        "currency",
        "sector",
        "method",
        "size_class",
        "supplier_location",
        "buyer_location",
        "supplier_size",
        "social_economy",
        "is_local",
    ]
    frame = frame[columns].reset_index(drop=True)
    frame.attrs.update(source=str(path), locality=rule, currency=currency, mapping=spec["source"])
    return frame
