"""Recipe for the shipped regional models ``gyeonggi-2014``, ``busan-2014`` and ``gwangmyeong``.

Steps (each recorded in the model's ``history`` attribute):

1. Regional employment by sector (ASSUMPTION, no public 2014 breakdown was found): the
   ``korea-2014`` national employment structure scaled to the region's share of national
   establishment-basis employment in the 2015 Economic Census (Statistics Korea, 경제총조사
   2015): Gyeonggi 4,623,409 of 20,889,000 persons (22.1%), Busan 1,365,000 (6.5%).
   With the national structure every location quotient is 1, so the region's output
   shares are its employment share in every sector.
2. Two-region model (region / rest of Korea) whose regional purchase coefficients are
   calibrated to the Bank of Korea 2020 in-region output multipliers
   (:func:`simengine.regional.calibrate_purchase_coefficients`). The 2014 structure is
   made to reproduce the 2020 regional retention.
3. ``gwangmyeong``: the calibrated Gyeonggi model with Gyeonggi split into Gwangmyeong
   and the rest of Gyeonggi. City employment: ``raw/regions/gwangmyeong_employment_ASSUMPTION.csv``
   (Gyeonggi's structure scaled to 81,000 workplace-basis persons; see
   ``raw/regions/SOURCE.md``); the city's own purchases are FLQ factors (delta 0.3)
   relative to Gyeonggi.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from ..regional import bok_targets, calibrate_purchase_coefficients, location_quotient_factors, read_employment_csv
from ..regional.model import RegionalModel
from . import load_table

RAW = Path(__file__).parent / "raw" / "regions"
#: Establishment-basis employment, 2015 Economic Census (통계청 경제총조사 2015): nation
#: 20,889,000 (sportschosun 2017-12-17); Gyeonggi 4,623,409 (경기도 2016-12-29);
#: Busan 1,365,000 (kyeonggi.com 2016-12-21). See raw/regions/SOURCE.md.
NATIONAL_EMPLOYMENT_2015 = 20_889_000.0
REGION_EMPLOYMENT_2015 = {"gyeonggi": 4_623_409.0, "busan": 1_365_000.0}
#: Gwangmyeong workplace-basis employment (ASSUMPTION): 0.555 x 145,900 resident employed
#: (지역별고용조사 2022 H2; workplace/residence employment-rate ratio 31.0/55.9 of 2012 Q2).
GWANGMYEONG_EMPLOYMENT = 81_000.0
#: FLQ sensitivity for the city inside Gyeonggi: the central value of Flegg & Tohmo (2013).
GWANGMYEONG_DELTA = 0.3


def regional_employment(region: str) -> np.ndarray:
    """Assumed employment of a province by sector: national structure x census share (persons)."""
    national = load_table("korea-2014").dataset["employment"].values
    return national * (REGION_EMPLOYMENT_2015[region] / NATIONAL_EMPLOYMENT_2015)


def build_province(region: str) -> RegionalModel:
    """The calibrated two-region model of ``region`` ("gyeonggi" or "busan")."""
    table = load_table("korea-2014")
    calibration = calibrate_purchase_coefficients(
        table, regional_employment(region), bok_targets(region, table.sectors), region=region
    )
    share = REGION_EMPLOYMENT_2015[region] / NATIONAL_EMPLOYMENT_2015
    history = (
        f"{calibration.model.dataset.attrs['history']}\nregional employment = national structure x {share:.6f} "
        f"(2015 Economic Census share; ASSUMPTION)"
    )
    return calibration.model.renamed(
        f"{region}-2014",
        history=history,
        method="rpc calibrated to BOK 2020 regional multipliers",
        targets="Bank of Korea, 2020 Regional Input-Output Tables (induced coefficients), via z0nam/korea-rio-mcp",
    )


def build_gwangmyeong(gyeonggi: RegionalModel | None = None) -> RegionalModel:
    """Three regions: Gwangmyeong / rest of Gyeonggi / rest of Korea."""
    gyeonggi = gyeonggi or build_province("gyeonggi")
    province_employment = gyeonggi.dataset["employment"].sel(region="gyeonggi").values
    city = read_employment_csv(
        RAW / "gwangmyeong_employment_ASSUMPTION.csv", gyeonggi.sectors, national_employment=province_employment
    )
    factors = location_quotient_factors(city, province_employment, method="flq", delta=GWANGMYEONG_DELTA)
    model = gyeonggi.split(
        "gyeonggi",
        new_region="gwangmyeong",
        rest_region="rest_of_gyeonggi",
        employment=city,
        local_factors=factors,
        note=f"city purchases: FLQ relative to Gyeonggi, delta={GWANGMYEONG_DELTA}; city employment ASSUMPTION",
    )
    return model.renamed("gwangmyeong")


def write(path: Path, name: str) -> Path:
    """Rebuild one shipped region and write it to ``path`` (NetCDF-4), replacing it."""
    builders = {
        "gyeonggi-2014": lambda: build_province("gyeonggi"),
        "busan-2014": lambda: build_province("busan"),
        "gwangmyeong": build_gwangmyeong,
    }
    return builders[name]().to_netcdf(path, overwrite=True)


def same_values(a: xr.Dataset, b: xr.Dataset) -> bool:
    """True when two builds agree in every variable (calibration tolerance: 1e-6 relative)."""
    try:
        xr.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)
    except AssertionError:
        return False
    return True
