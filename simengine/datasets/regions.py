"""Recipe for the shipped regional models: the 17 provinces ``seoul-2014`` ... ``jeju-2014`` and ``gwangmyeong``.

Steps (each recorded in the model's ``history`` attribute):

1. Regional employment by sector (ASSUMPTION: no public 2014 breakdown by industry for
   all 17 regions was obtained): the ``korea-2014`` national employment structure times
   the region's share of national employment (:data:`EMPLOYMENT_SHARES`, sources there).
   The region's output share of every sector is that share (national labour
   productivity); the calibration is insensitive to it (halving or doubling a share
   moves the median errors by less than 0.2 percentage points).
2. Two-region model (region / rest of Korea) calibrated jointly to the Bank of Korea 2020
   in-region and out-of-region output and value-added multipliers
   (:func:`simengine.regional.calibrate_region`): per-sector regional purchase
   coefficients, per-sector scales of the national domestic input coefficients (the
   2014 -> 2020 structural adjustment) and per-sector regional value-added ratios.
3. ``gwangmyeong``: the calibrated Gyeonggi model with Gyeonggi split into Gwangmyeong
   and the rest of Gyeonggi. City employment: ``raw/regions/gwangmyeong_employment_ASSUMPTION.csv``
   (Gyeonggi's structure scaled to 81,000 workplace-basis persons; see
   ``raw/regions/SOURCE.md``); the city's own purchases are FLQ factors (delta 0.3)
   relative to Gyeonggi. Its structure is its province's scaled: the model carries a
   ``structure_warning`` attribute.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from ..errors import DataError
from ..regional import bok_targets, calibrate_region, location_quotient_factors, lq_spread, read_employment_csv
from ..regional.calibration import BOK_REGIONS
from ..regional.model import RegionalModel
from . import PROVINCES, load_table

RAW = Path(__file__).parent / "raw" / "regions"
#: Establishment-basis employment, 2015 Economic Census (통계청 경제총조사 2015): nation
#: 20,889,000 (sportschosun 2017-12-17); Gyeonggi 4,623,409 (경기도 2016-12-29);
#: Busan 1,365,000 (kyeonggi.com 2016-12-21). See raw/regions/SOURCE.md.
NATIONAL_EMPLOYMENT_2015 = 20_889_000.0
REGION_EMPLOYMENT_2015 = {"gyeonggi": 4_623_409.0, "busan": 1_365_000.0}
#: 전국사업체조사 2017 (Statistics Korea, via daejonilbo.com 2018): nation 21,591,000;
#: Sejong 99,551, Daejeon 605,755, Chungnam 898,247 workers.
NATIONAL_EMPLOYMENT_2017 = 21_591_000.0
REGION_EMPLOYMENT_2017 = {"sejong": 99_551.0, "daejeon": 605_755.0, "chungnam": 898_247.0}
#: 2010 Economic Census (경제총조사 2010 잠정, via etoday.co.kr 2011): Seoul 25.4% of workers.
SEOUL_SHARE_2010 = 0.254
#: Regional employment survey (지역별고용조사): Ulsan 580,000 employed persons in 2016 H2 (via
#: ulsanpress.net idxno=228953); nation 25,900,000 in 2015 H1 (via conpaper.tistory.com/34318).
ULSAN_SHARE_2016 = 580_000.0 / 25_900_000.0
#: Published sector shares of regional employment (regional employment survey, 산업중분류),
#: by table sector: Ulsan 2016 H2, motor vehicles 11.0%, other transport equipment (ships)
#: 10.4%, retail trade 7.7% of the region's employed (ulsanpress.net idxno=228953).
SECTOR_SHARES: dict[str, dict[str, float]] = {"ulsan": {"C29": 0.110, "C30": 0.104, "G47": 0.077}}
_CITED: dict[str, tuple[float, str]] = {
    **{r: (v / NATIONAL_EMPLOYMENT_2015, "2015 Economic Census") for r, v in REGION_EMPLOYMENT_2015.items()},
    **{r: (v / NATIONAL_EMPLOYMENT_2017, "2017 establishment census") for r, v in REGION_EMPLOYMENT_2017.items()},
    "seoul": (SEOUL_SHARE_2010, "2010 Economic Census"),
    "ulsan": (ULSAN_SHARE_2016, "2016 regional employment survey"),
}
_UNCITED = [r for r in BOK_REGIONS if r not in _CITED]
_REMAINDER = (1.0 - sum(v for v, _ in _CITED.values())) / len(_UNCITED)
#: Region -> (share of national employment, source). Regions without a figure obtained
#: share the remainder equally (ASSUMPTION, labelled as such in the model's history).
EMPLOYMENT_SHARES: dict[str, tuple[float, str]] = {
    r: _CITED.get(r, (_REMAINDER, "ASSUMPTION: equal split of the share not covered by a cited figure"))
    for r in BOK_REGIONS
}
#: Gwangmyeong workplace-basis employment (ASSUMPTION): 0.555 x 145,900 resident employed
#: (지역별고용조사 2022 H2; workplace/residence employment-rate ratio 31.0/55.9 of 2012 Q2).
GWANGMYEONG_EMPLOYMENT = 81_000.0
#: FLQ sensitivity for the city inside Gyeonggi: the central value of Flegg & Tohmo (2013).
GWANGMYEONG_DELTA = 0.3
#: Attribute of every shipped model: employment rests on national labour productivity.
EMPLOYMENT_BASIS = (
    "LESS CERTAIN than output and value added: employment effects use national labour productivity "
    "by sector (korea-2014, persons per KRW million of 2014 output) in every region; not calibrated "
    "to regional employment (validated against BOK 2020 Jeju employment inducement only)"
)
GWANGMYEONG_STRUCTURE_WARNING = (
    "city employment is an ASSUMPTION: Gyeonggi's structure scaled to 81,000 persons, so every location "
    "quotient is 1 and the city has no sectoral specialisation (degenerate regionalisation); load a "
    "KOSIS establishment-census table to replace it"
)


def regional_employment(region: str) -> np.ndarray:
    """Employment of a province by sector (persons): its share of the national total, with the
    published sector shares of :data:`SECTOR_SHARES` where there are some and the national
    structure for the other sectors (ASSUMPTION)."""
    table = load_table("korea-2014")
    national = table.dataset["employment"].values
    base = national * EMPLOYMENT_SHARES[region][0]
    fixed = SECTOR_SHARES.get(region, {})
    if not fixed:
        return base
    total = base.sum()
    chosen = np.isin(table.sectors, list(fixed))
    employment = base * (total - total * sum(fixed.values())) / base[~chosen].sum()
    for sector, share in fixed.items():
        employment[table.sectors.index(sector)] = share * total
    if np.any(employment >= national):
        raise DataError(f"{region}: published sector shares exceed national employment in a sector")
    return employment


def calibrate_province(region: str, table=None):
    """The joint calibration of one province (a :class:`~simengine.regional.Calibration`)."""
    table = table or load_table("korea-2014")
    share = regional_employment(region) / table.dataset["employment"].values
    return calibrate_region(table, bok_targets(region, table.sectors), region=region, employment_share=share)


def build_province(region: str, calibration=None) -> RegionalModel:
    """The calibrated two-region model of ``region`` (one of the 17 BOK regions)."""
    calibration = calibration or calibrate_province(region)
    share, basis = EMPLOYMENT_SHARES[region]
    published = ", ".join(f"{k} {v:.1%}" for k, v in SECTOR_SHARES.get(region, {}).items())
    history = (
        f"{calibration.model.dataset.attrs['history']}\nregional employment = {share:.6f} of national ({basis}), "
        + (
            f"published sector shares {published}, other sectors national structure (ASSUMPTION)"
            if published
            else "national structure (ASSUMPTION)"
        )
    )
    summary = calibration.summary()
    return calibration.model.renamed(
        f"{region}-2014",
        history=history,
        method="joint calibration to BOK 2020 regional multipliers (rpc, scale, value-added share)",
        targets="Bank of Korea, 2020 Regional Input-Output Tables (induced coefficients), via z0nam/korea-rio-mcp",
        korean_name=PROVINCES[region][2],
        employment_basis=EMPLOYMENT_BASIS,
        **{f"fit_{key}": float(value) for key, value in summary.items() if key.startswith("median")},
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
    for key in [k for k in model.dataset.attrs if k.startswith("fit_")]:
        del model.dataset.attrs[key]  # the province's fit; the city itself has no published target
    q = lq_spread(city, province_employment)
    return model.renamed(
        "gwangmyeong",
        employment_basis=EMPLOYMENT_BASIS,
        structure_warning=GWANGMYEONG_STRUCTURE_WARNING,
        location_quotients=f"min {q['min']:.3f}, median {q['median']:.3f}, max {q['max']:.3f}",
    )


def write(path: Path, name: str) -> Path:
    """Rebuild one shipped region and write it to ``path`` (NetCDF-4), replacing it."""
    model = build_gwangmyeong() if name == "gwangmyeong" else build_province(name.removesuffix("-2014"))
    return model.to_netcdf(path, overwrite=True)


def same_values(a: xr.Dataset, b: xr.Dataset) -> bool:
    """True when two builds agree in every variable (calibration tolerance: 1e-6 relative)."""
    try:
        xr.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)
    except AssertionError:
        return False
    return True
