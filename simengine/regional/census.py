"""City employment from the establishment census (전국사업체조사): 시군구 x KSIC section workers.

Accepted file (what the statistics portal KOSIS exports as CSV for the table
「시군구·산업별 사업체수 및 종사자수」, or the same table typed by hand):

- encoding UTF-8 (with or without byte-order mark) or CP949 (KOSIS's default for CSV);
- one or two header rows. The first header row names the columns; a column whose header
  starts with ``행정구역`` / ``시군구`` / ``지역`` holds the area, one starting with ``산업``
  the industry, and every column whose header (first or second row) contains ``종사자``
  holds workers (persons). With several worker columns (several years) the last is used.
  Other columns (e.g. ``사업체수``) are ignored;
- one row per area and industry. Industries are KSIC (10th revision) sections, written as
  the section letter (``C``), the letter and name (``C. 제조업``), or the name as KOSIS
  writes it, with or without the division range (``제조업(10~34)``). Total rows
  (``전체``, ``전산업``, ``계``, ``합계``, ``총계``) are skipped. Areas are matched on their name
  with surrounding spaces removed (``광명시``); a province row (``경기도``) may be in the
  same file;
- counts are persons, ``1,234`` and ``1234`` alike; ``-`` means 0.

Example (UTF-8)::

    행정구역별(시군구),산업별(10차),2022 사업체수 (개),2022 종사자수 (명)
    경기도,C. 제조업,150000,1400000
    광명시,C. 제조업,1500,9000
    광명시,G. 도매 및 소매업,4200,13000

Mapping to the table's sectors (WIOD codes, ISIC Rev. 4, of which KSIC 10 is the Korean
version at section level): section ``X`` goes to the sectors whose code starts with ``X``
(``C`` -> ``C10-C12`` ... ``C31_C32``; ``R`` and ``S`` -> ``R_S``). A section's workers are
spread over its sectors in proportion to the province's employment in them, so location
quotients differ between sections, not within one. Sections the table does not have (T,
U: no output in ``korea-2014``) are dropped and reported.

When the file also holds the province's row for a section, the city's workers are its
share of the province's census figure times the province model's employment (so the
census year and basis need not match the model's); otherwise the counts are used as
persons directly.
"""

from __future__ import annotations

import csv
import io
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from ..errors import DataError, DataQualityWarning

__all__ = ["KSIC_SECTIONS", "CityEmployment", "read_establishment_census", "section_sectors", "lq_spread"]

#: KSIC 10th revision sections and their Korean names (KOSIS labels).
KSIC_SECTIONS = {
    "A": "농업, 임업 및 어업",
    "B": "광업",
    "C": "제조업",
    "D": "전기, 가스, 증기 및 공기조절 공급업",
    "E": "수도, 하수 및 폐기물 처리, 원료 재생업",
    "F": "건설업",
    "G": "도매 및 소매업",
    "H": "운수 및 창고업",
    "I": "숙박 및 음식점업",
    "J": "정보통신업",
    "K": "금융 및 보험업",
    "L": "부동산업",
    "M": "전문, 과학 및 기술 서비스업",
    "N": "사업시설 관리, 사업 지원 및 임대 서비스업",
    "O": "공공 행정, 국방 및 사회보장 행정",
    "P": "교육 서비스업",
    "Q": "보건업 및 사회복지 서비스업",
    "R": "예술, 스포츠 및 여가관련 서비스업",
    "S": "협회 및 단체, 수리 및 기타 개인 서비스업",
    "T": "가구 내 고용활동 및 달리 분류되지 않은 자가 소비 생산활동",
    "U": "국제 및 외국기관",
}
_TOTALS = {"전체", "전산업", "계", "합계", "총계", "전체산업", "total", "all"}
#: Below this, every location quotient of the city is within 1% of 1: a degenerate regionalisation.
DEGENERATE_SPREAD = 0.01


def _key(text: str) -> str:
    """A label without spaces, punctuation and a trailing division range, for matching."""
    text = re.sub(r"\([^)]*\)\s*$", "", text.strip())
    return re.sub(r"[\s,.·ㆍ]", "", text).lower()


_BY_NAME = {_key(name): letter for letter, name in KSIC_SECTIONS.items()}


def _section(label: str) -> str | None:
    """KSIC section letter of an industry label, ``""`` for a total row, None if unknown."""
    text = label.strip()
    if _key(text) in _TOTALS:
        return ""
    match = re.match(r"^([A-Ua-u])(?:$|[\s.)\]:-])", text)
    if match:
        return match.group(1).upper()
    return _BY_NAME.get(_key(text))


def section_sectors(sectors: list[str]) -> dict[str, list[int]]:
    """Indices of the table's sectors in each KSIC section (by the ISIC letter of the WIOD code)."""
    mapping: dict[str, list[int]] = {}
    for index, code in enumerate(sectors):
        letters = ["R", "S"] if code == "R_S" else [code[0]]
        for letter in letters:
            mapping.setdefault(letter, []).append(index)
    return mapping


def lq_spread(city_employment, province_employment) -> dict[str, float]:
    """Location quotients of the city in its province over sectors with employment in both.

    Returns
    -------
    dict
        ``min``, ``median``, ``max`` of ``SLQ_i = (E_ci / E_c) / (E_pi / E_p)`` and
        ``spread`` = the largest ``|SLQ_i - 1|`` (0 when the city is its province scaled).
    """
    city = np.asarray(city_employment, dtype=float)
    province = np.asarray(province_employment, dtype=float)
    both = (city > 0) & (province > 0)
    if not both.any():
        raise DataError("the city has no employment in any sector of its province")
    slq = (city[both] / city.sum()) / (province[both] / province.sum())
    return {
        "min": float(slq.min()),
        "median": float(np.median(slq)),
        "max": float(slq.max()),
        "spread": float(np.abs(slq - 1.0).max()),
    }


@dataclass(frozen=True)
class CityEmployment:
    """City employment by table sector read from an establishment-census table.

    Attributes
    ----------
    employment : xarray.DataArray (sector,)
        Persons, on the province model's basis.
    sections : dict
        Census workers of the city by KSIC section as read (persons).
    dropped : dict
        Sections the table does not have (workers dropped).
    basis : str
        ``"share of the province's census figure"`` or ``"census persons"``.
    quotients : dict
        :func:`lq_spread` against the province.
    degenerate : bool
        True when the spread is below :data:`DEGENERATE_SPREAD`.
    """

    employment: xr.DataArray
    sections: dict[str, float]
    dropped: dict[str, float]
    basis: str
    quotients: dict[str, float]
    degenerate: bool

    def description(self) -> str:
        """One line for histories and reports."""
        q = self.quotients
        text = (
            f"city employment from the establishment census ({self.basis}); location quotients in the province "
            f"min {q['min']:.2f}, median {q['median']:.2f}, max {q['max']:.2f}"
        )
        if self.degenerate:
            text += "; DEGENERATE: the city's structure is its province's scaled (every quotient within 1% of 1)"
        return text


def _decode(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise DataError(f"{path}: not a text CSV in UTF-8 or CP949 (NUL bytes: UTF-16?); save it as CSV (UTF-8)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp949")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(
            f"{path}, line {line}: neither UTF-8 nor CP949 (byte {data[exc.start]:#04x}); "
            "export the table from KOSIS again as CSV, or save it as UTF-8"
        ) from None


def _number(text: str, where: str, what: str) -> float:
    value = text.strip().replace(",", "")
    if value in ("-", ""):
        return 0.0
    if value.upper() == "X":
        raise DataError(f"{where}: {what} is suppressed ('X', confidentiality); give an estimate or 0")
    try:
        number = float(value)
    except ValueError:
        raise DataError(f"{where}: {what} is not a number: {text!r}") from None
    if not np.isfinite(number):
        raise DataError(f"{where}: {what} is not finite: {text!r}")
    if number < 0:
        raise DataError(f"{where}: {what} is negative ({number:g}); workers are persons >= 0")
    return number


def _columns(rows: list[tuple[int, list[str]]], path: Path) -> tuple[int, int, int, int]:
    """(area column, industry column, workers column, number of header rows)."""
    if not rows:
        raise DataError(f"{path}: empty file; expected a KOSIS establishment-census table (module docs)")
    first = [cell.strip() for cell in rows[0][1]]
    second = [cell.strip() for cell in rows[1][1]] if len(rows) > 1 else []
    area = next((i for i, h in enumerate(first) if h.startswith(("행정구역", "시군구", "지역"))), None)
    industry = next((i for i, h in enumerate(first) if h.startswith("산업")), None)
    if area is None or industry is None:
        raise DataError(
            f"{path}, line {rows[0][0]}: header needs an area column (행정구역별..., 시군구, 지역) and an industry "
            f"column (산업별...); found {first}"
        )
    workers = [i for i, h in enumerate(first) if "종사자" in h]
    header_rows = 1
    if not workers and any("종사자" in h for h in second):
        workers = [i for i, h in enumerate(second) if "종사자" in h]
        header_rows = 2
    if not workers:
        raise DataError(f"{path}, line {rows[0][0]}: no workers column (a header containing 종사자); found {first}")
    return area, industry, workers[-1], header_rows


def read_establishment_census(
    path: str | os.PathLike,
    sectors: list[str],
    *,
    city: str,
    province_employment,
    province: str | None = None,
) -> CityEmployment:
    """City employment by table sector from a KOSIS establishment-census CSV (module docs).

    Parameters
    ----------
    path : path-like
        The census table.
    sectors : list of str
        The table's sector codes (WIOD).
    city : str
        Area name of the city in the file (e.g. ``"광명시"``).
    province_employment : array_like (n,)
        Employment of the province model by sector (persons).
    province : str, optional
        Area name of the province in the file (e.g. ``"경기도"``); when its rows are present the
        city's share of them is used.

    Returns
    -------
    CityEmployment
        Warns (:class:`~simengine.errors.DataQualityWarning`) when the result is degenerate.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such establishment-census file")
    text = _decode(path)
    rows = [
        (number, row)
        for number, row in enumerate(csv.reader(io.StringIO(text)), start=1)
        if any(c.strip() for c in row)
    ]
    area_col, industry_col, workers_col, header_rows = _columns(rows, path)
    areas = {city.strip(): {}, **({province.strip(): {}} if province else {})}
    lines: dict[tuple[str, str], int] = {}
    for number, row in rows[header_rows:]:
        where = f"{path}, line {number}"
        if len(row) <= max(area_col, industry_col, workers_col):
            raise DataError(f"{where}: {len(row)} cells; the header has more columns")
        area = row[area_col].strip()
        if area not in areas:
            continue
        label = row[industry_col]
        section = _section(label)
        if section is None:
            raise DataError(
                f"{where}: unknown industry {label.strip()!r}; use a KSIC section letter A-U or its name "
                f"(e.g. 'C. 제조업', '도매 및 소매업')"
            )
        if section == "":
            continue
        if section in areas[area]:
            raise DataError(
                f"{where}: industry {section} appears twice for {area} (first on line {lines[area, section]})"
            )
        areas[area][section] = _number(row[workers_col], where, f"workers of {area} in {section}")
        lines[area, section] = number
    found = areas[city.strip()]
    if not found:
        raise DataError(f"{path}: no rows for the city {city!r} (area names are matched exactly, spaces trimmed)")
    mapping = section_sectors(sectors)
    province_values = np.asarray(province_employment, dtype=float)
    census_province = areas.get(province.strip(), {}) if province else {}
    employment = np.zeros(len(sectors))
    dropped = {}
    # a sector fed by several sections (R_S by R and S) is split between them by the province's census
    pooled = np.zeros(len(sectors))
    for section, workers in census_province.items():
        pooled[mapping.get(section, [])] += workers
    for section, workers in found.items():
        indices = mapping.get(section)
        if not indices:
            dropped[section] = workers
            continue
        weights = province_values[indices]
        where = f"{path}, line {lines[city.strip(), section]}"
        if section in census_province:
            if workers > census_province[section]:
                raise DataError(
                    f"{where}: {city} has {workers:,.0f} workers in {section} but its province {province} has "
                    f"{census_province[section]:,.0f} (line {lines[province.strip(), section]}); a city cannot be "
                    "larger than its province"
                )
            portion = np.divide(
                census_province[section], pooled[indices], out=np.zeros(len(indices)), where=pooled[indices] > 0
            )
            share = workers / census_province[section] if census_province[section] > 0 else 0.0
            employment[indices] += share * weights * portion
        else:
            if workers > weights.sum() * (1 + 1e-9):
                raise DataError(
                    f"{where}: {city} has {workers:,.0f} workers in {section} but the province model has "
                    f"{weights.sum():,.0f}; a city cannot be larger than its province (give the province's rows "
                    "in the same file to use shares, or check the units: persons)"
                )
            employment[indices] += workers * weights / weights.sum() if weights.sum() > 0 else 0.0
    larger = employment > province_values * (1 + 1e-9)
    if larger.any():  # sections sharing a sector (R and S in R_S) together above the province
        i = int(np.argmax(larger))
        raise DataError(
            f"{path}: {city}'s workers in {sectors[i]} ({employment[i]:,.0f}, from several sections) exceed the "
            f"province model's {province_values[i]:,.0f}; a city cannot be larger than its province"
        )
    basis = "share of the province's census figure" if census_province else "census persons"
    quotients = lq_spread(employment, province_values)
    degenerate = quotients["spread"] < DEGENERATE_SPREAD
    result = CityEmployment(
        employment=xr.DataArray(
            employment,
            dims=("sector",),
            coords={"sector": list(sectors)},
            name="employment",
            attrs={"units": "persons", "source": str(path), "basis": basis},
        ),
        sections=found,
        dropped=dropped,
        basis=basis,
        quotients=quotients,
        degenerate=degenerate,
    )
    if degenerate:
        warnings.warn(f"{path}: {result.description()}", DataQualityWarning, stacklevel=2)
    return result
