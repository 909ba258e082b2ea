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
REGIONS: dict[str, DatasetInfo] = {
    "gyeonggi-2014": DatasetInfo(
        name="gyeonggi-2014",
        filename="gyeonggi_2014.nc",
        recipe="simengine.datasets.regions",
        description="Gyeonggi / rest of Korea, korea-2014 structure, RPCs calibrated to BOK 2020 in-region multipliers",
        source=f"korea-2014; {_BOK}; 2015 Economic Census employment share",
        licence=_BOK_TERMS,
        raw_folder="raw/kor-bok-regional-multipliers-2020",
    ),
    "busan-2014": DatasetInfo(
        name="busan-2014",
        filename="busan_2014.nc",
        recipe="simengine.datasets.regions",
        description="Busan / rest of Korea, korea-2014 structure, RPCs calibrated to BOK 2020 in-region multipliers",
        source=f"korea-2014; {_BOK}; 2015 Economic Census employment share",
        licence=_BOK_TERMS,
        raw_folder="raw/kor-bok-regional-multipliers-2020",
    ),
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
    """Path of a shipped regional model's NetCDF file."""
    if name not in REGIONS:
        raise DataError(f"unknown region {name!r}; shipped regions: {', '.join(REGIONS)} (or give a .nc file)")
    return HERE / REGIONS[name].filename


def load_region(name_or_path: str | os.PathLike):
    """Open a regional model: a shipped name (``gyeonggi-2014``, ``busan-2014``,
    ``gwangmyeong``) or a ``.nc`` file written by ``simengine region build``.

    Returns
    -------
    simengine.regional.RegionalModel
    """
    from ..regional.model import RegionalModel

    text = str(name_or_path)
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
