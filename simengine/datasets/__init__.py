"""Shipped datasets and the one function that opens a table by name or path.

Each shipped dataset is a NetCDF-4 file beside this module, rebuilt from the raw files in
``raw/`` by its recipe module (``python -m simengine.datasets.rebuild``); a test checks
that the rebuild equals the shipped file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError
from ..io import check_input_file
from ..tables import IOTable

__all__ = [
    "DatasetInfo",
    "DATASETS",
    "REGIONS",
    "list_datasets",
    "list_regions",
    "load_table",
    "load_region",
    "dataset_path",
    "region_path",
    "resolve_region",
    "PROVINCES",
]

HERE = Path(__file__).parent


@dataclass(frozen=True)
class DatasetInfo:
    """A shipped dataset: its name, file, recipe module and provenance."""

    name: str
    filename: str
    recipe: str
    description: str
    source: str
    licence: str
    raw_folder: str


DATASETS: dict[str, DatasetInfo] = {
    "korea-2014": DatasetInfo(
        name="korea-2014",
        filename="korea_2014.nc",
        recipe="simengine.datasets.korea_2014",
        description="Korea national IO table 2014, 53 industries, domestic flows, KRW million",
        source="WIOD 2016 release NIOT + WIOD 2013 SEA (University of Groningen, GGDC)",
        licence="CC BY 4.0 (attribution: Timmer et al. 2015, Rev. Int. Econ. 23: 575-605)",
        raw_folder="raw/kor-wiod",
    ),
}

_BOK = "Bank of Korea, 2020 Regional Input-Output Tables (induced coefficients), extracted by z0nam/korea-rio-mcp"
_BOK_TERMS = (
    "BOK copyright policy: attribution to the Bank of Korea and disclosure of modifications; WIOD part CC BY 4.0"
)

#: Shipped regional models (:class:`simengine.regional.RegionalModel`), built by
#: ``simengine.datasets.regions`` from ``korea-2014`` and the files in ``raw/``.
_ALL17 = "raw/kor-bok-regional-multipliers-2020-all17"
#: The 17 시도 of the BOK 2020 regional tables: English label -> (English name, Korean names).
PROVINCES: dict[str, tuple[str, ...]] = {
    "seoul": ("Seoul", "서울", "서울특별시", "서울시"),
    "busan": ("Busan", "부산", "부산광역시", "부산시"),
    "daegu": ("Daegu", "대구", "대구광역시", "대구시"),
    "incheon": ("Incheon", "인천", "인천광역시", "인천시"),
    "gwangju": ("Gwangju", "광주", "광주광역시", "광주시"),
    "daejeon": ("Daejeon", "대전", "대전광역시", "대전시"),
    "ulsan": ("Ulsan", "울산", "울산광역시", "울산시"),
    "sejong": ("Sejong", "세종", "세종특별자치시", "세종시"),
    "gyeonggi": ("Gyeonggi", "경기", "경기도"),
    "gangwon": ("Gangwon", "강원", "강원도", "강원특별자치도"),
    "chungbuk": ("Chungbuk", "충북", "충청북도"),
    "chungnam": ("Chungnam", "충남", "충청남도"),
    "jeonbuk": ("Jeonbuk", "전북", "전라북도", "전북특별자치도"),
    "jeonnam": ("Jeonnam", "전남", "전라남도"),
    "gyeongbuk": ("Gyeongbuk", "경북", "경상북도"),
    "gyeongnam": ("Gyeongnam", "경남", "경상남도"),
    "jeju": ("Jeju", "제주", "제주특별자치도", "제주도"),
}

#: Shipped regional models (:class:`simengine.regional.RegionalModel`), built by
#: ``simengine.datasets.regions`` from ``korea-2014`` and the files in ``raw/``.
REGIONS: dict[str, DatasetInfo] = {
    **{
        f"{key}-2014": DatasetInfo(
            name=f"{key}-2014",
            filename=f"{key}_2014.nc",
            recipe="simengine.datasets.regions",
            description=(
                f"{names[0]} ({names[2]}) / rest of Korea, korea-2014 structure calibrated jointly to BOK 2020 "
                "in- and out-of-region output and value-added multipliers"
            ),
            source=f"korea-2014; {_BOK}; regional employment share (see the model's history)",
            licence=_BOK_TERMS,
            raw_folder=_ALL17,
        )
        for key, names in PROVINCES.items()
    },
    "gwangmyeong": DatasetInfo(
        name="gwangmyeong",
        filename="gwangmyeong.nc",
        recipe="simengine.datasets.regions",
        description="Gwangmyeong / rest of Gyeonggi / rest of Korea; city employment is a labelled ASSUMPTION",
        source="gyeonggi-2014 + FLQ (delta 0.3) for the city; employment assumption in raw/regions/SOURCE.md",
        licence=_BOK_TERMS,
        raw_folder="raw/regions",
    ),
}
#: Other spellings accepted by :func:`load_region`: ``seoul``, ``서울``, ``서울특별시``, ``서울-2014`` ...
REGION_ALIASES: dict[str, str] = {
    alias: f"{key}-2014"
    for key, names in PROVINCES.items()
    for spelling in (key, *names)
    for alias in (spelling, spelling.lower(), f"{spelling}-2014", f"{spelling.lower()}-2014")
}
REGION_ALIASES.update({"광명": "gwangmyeong", "광명시": "gwangmyeong"})


def resolve_region(name: str) -> str:
    """The shipped region a name or alias means (``서울`` -> ``seoul-2014``); unknown names unchanged."""
    text = str(name).strip()
    if text in REGIONS:
        return text
    return REGION_ALIASES.get(text, REGION_ALIASES.get(text.lower(), text))


DEFAULT_TABLE = "korea-2014"


def list_datasets() -> list[DatasetInfo]:
    """Return the shipped datasets with their provenance."""
    return list(DATASETS.values())


def dataset_path(name: str) -> Path:
    """Path of a shipped dataset's NetCDF file."""
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; shipped datasets: {', '.join(DATASETS)} (see 'simengine tables')")
    return HERE / DATASETS[name].filename


def list_regions() -> list[DatasetInfo]:
    """Return the shipped regional models with their provenance."""
    return list(REGIONS.values())


def region_path(name: str) -> Path:
    """Path of a shipped regional model's NetCDF file (aliases accepted, :func:`resolve_region`)."""
    name = resolve_region(name)
    if name not in REGIONS:
        raise DataError(f"unknown region {name!r}; shipped regions: {', '.join(REGIONS)} (or give a .nc file)")
    return HERE / REGIONS[name].filename


def load_region(name_or_path: str | os.PathLike):
    """Open a regional model: a shipped name (``seoul-2014`` ... ``jeju-2014``, ``gwangmyeong``;
    Korean names accepted: ``서울``, ``부산광역시``) or a ``.nc`` file written by ``simengine region build``.

    Returns
    -------
    simengine.regional.RegionalModel
    """
    from ..regional.model import RegionalModel

    text = resolve_region(str(name_or_path))
    if text in REGIONS:
        return RegionalModel.from_netcdf(region_path(text), name=text)
    if not Path(text).is_file():
        raise DataError(f"region {text!r} is neither a shipped region ({', '.join(REGIONS)}) nor an existing .nc file")
    return RegionalModel.from_netcdf(text)


def load_table(name_or_path: str | os.PathLike = DEFAULT_TABLE, *, strict=(), allow_negative=()) -> IOTable:
    """Open a table: a shipped dataset name, or a ``.nc``, ``.csv``, ``.xlsx`` file path.

    Parameters
    ----------
    name_or_path : str or path-like
        For example ``"korea-2014"`` or ``"my_table.csv"`` (the CSV layout of
        :mod:`simengine.io`).
    strict : iterable of str or "all"
        Data-quality checks that raise instead of warn.
    allow_negative : iterable of str
        Quantities (:data:`simengine.checks.NEGATIVE_IMPOSSIBLE`) whose negative entries are
        warned instead of refused.
    """
    text = str(name_or_path)
    if text in DATASETS:
        return IOTable.from_netcdf(dataset_path(text), name=text, strict=strict, allow_negative=allow_negative)
    path = Path(text)
    suffix = path.suffix.lower()
    if not path.exists():
        raise DataError(f"table {text!r} is neither a shipped dataset ({', '.join(DATASETS)}) nor an existing file")
    check_input_file(path, what="table file")
    if suffix in (".nc", ".nc4", ".netcdf"):
        return IOTable.from_netcdf(path, strict=strict, allow_negative=allow_negative)
    if suffix == ".csv":
        return IOTable.from_csv(path, strict=strict, allow_negative=allow_negative)
    if suffix in (".xlsx", ".xlsm"):
        return IOTable.from_excel(path, strict=strict, allow_negative=allow_negative)
    raise DataError(f"{path}: unknown table format {suffix!r}; use .nc, .csv or .xlsx")
