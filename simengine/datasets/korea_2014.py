"""Recipe for the shipped ``korea-2014`` table, built from the raw WIOD files in ``raw/kor-wiod``.

Steps (each recorded in the Dataset's ``history`` attribute):

1. Take the 2014 block of the WIOD 2016 Korea national IO table (56 industries, USD
   million, basic prices): domestic intermediate use, domestic final demand by category,
   imported intermediate use and imported final demand, and the primary-input rows.
   Imports keep all 56 product rows (dimension ``product``): products of industries
   without 2014 output (for example imported repair services, C33) are still bought.
2. Convert to KRW million with WIOD's 2014 exchange rate (0.000950385 USD per KRW).
3. Drop the industries with zero 2014 output (C33 repair and installation, T households
   as employers, U extraterritorial organisations); their rows and columns are all zero.
4. Split value added into compensation of employees and other value added with each
   industry's 27-aggregate compensation share of value added in the WIOD 2013
   socio-economic accounts (SEA), 2008 (the last year SEA labour data are not
   extrapolated).
5. Attach employment (persons engaged): the industry's 27-aggregate persons per KRW
   million of output in SEA 2011 (the last SEA year with employment) times 2014 output,
   scaled so that the total equals the 2014 employed persons of Statistics Korea's
   Economically Active Population Survey (25,599 thousand); unscaled, the 2011
   coefficients overstate 2014 employment by 15% because of productivity growth.
6. ``other_inputs`` = taxes less subsidies on products + cif/fob adjustment + direct
   purchases abroad by residents + purchases by non-residents + international transport
   margins, so that every column balances: x = 1'Z + imports + other inputs + value added.

Steps 4 and 5 are approximations (ISIC Rev.3 to Rev.4 through an aggregate concordance,
and labour coefficients held at their 2008/2011 values); see ``raw/kor-wiod/SOURCE.md``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import DataError
from ..tables import IOTable

RAW = Path(__file__).parent / "raw" / "kor-wiod"
YEAR = 2014
COMPENSATION_YEAR = 2008
EMPLOYMENT_YEAR = 2011
#: Employed persons in Korea, 2014 annual average: 25,599 thousand (Statistics Korea,
#: Economically Active Population Survey, KOSIS table DT_1DA7001). SEA "persons engaged"
#: for 2011 (24,228 thousand) matches the same survey's 2011 figure (24,244 thousand).
EMPLOYED_PERSONS_2014 = 25_599_000.0
FINAL_DEMAND = {
    "CONS_h": "household_consumption",
    "CONS_np": "npish_consumption",
    "CONS_g": "government_consumption",
    "GFCF": "gross_fixed_capital_formation",
    "INVEN": "changes_in_inventories",
    "EXP": "exports",
}
OTHER_INPUT_ROWS = ["TXSP", "EXP_adj", "PURR", "PURNR", "IntTTM"]


def _sea_ratio(sea: pd.DataFrame, concordance: pd.DataFrame, numerator: str, denominator: str, year: int) -> pd.Series:
    """Ratio of two SEA variables by 27-aggregate (``agg27_code`` index)."""
    table = sea[sea["code"] != "TOT"].pivot(index="code", columns="variable", values=str(year))
    codes35 = concordance[concordance["classification"] == "WIOD2013_ISIC3_35"].set_index("code")["agg27_code"]
    grouped = table[[numerator, denominator]].groupby(codes35).sum(min_count=1)
    return grouped[numerator] / grouped[denominator]


def _scale_to(values: np.ndarray, total: float) -> np.ndarray:
    return values * (total / values.sum())


def build(raw: Path = RAW) -> IOTable:
    """Build the ``korea-2014`` :class:`~simengine.tables.IOTable` from the raw CSV files."""
    niot = pd.read_csv(raw / "kor_niot_2000_2014_usd_mn.csv")
    labels = pd.read_csv(raw / "kor_niot_column_labels.csv")
    sea = pd.read_csv(raw / "kor_sea_wiod2013_1995_2011.csv")
    concordance = pd.read_csv(raw / "concordance_wiod56_wiod35_to_agg27.csv")
    rates = pd.read_csv(raw / "wiod2016_exchange_rates_usd_per_lcu.csv").set_index("Acronym")
    usd_per_krw = float(rates.loc["KOR", str(YEAR)])

    year = niot[niot["Year"] == YEAR]
    industries = labels.loc[labels["kind"] == "industry", "code"].tolist()
    names = labels.set_index("code")["description"]
    domestic = year[year["Origin"] == "Domestic"].set_index("Code").loc[industries]
    imported = year[year["Origin"] == "Imports"].set_index("Code").loc[industries]
    totals = year[year["Origin"] == "TOT"].set_index("Code")

    to_krw = 1.0 / usd_per_krw
    output = domestic["GO"].to_numpy() * to_krw
    keep = output > 0
    dropped = [c for c, k in zip(industries, keep, strict=False) if not k]
    all_flows = np.abs(domestic[industries].to_numpy()).sum(axis=0) + np.abs(domestic[industries].to_numpy()).sum(
        axis=1
    )
    if np.any(all_flows[~keep] > 0):
        raise DataError(f"korea-2014 recipe: zero-output industries {dropped} have non-zero flows")
    sectors = [c for c, k in zip(industries, keep, strict=False) if k]

    def block(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
        return frame.loc[sectors, columns].to_numpy(dtype=np.float64) * to_krw

    Z = block(domestic, sectors)
    final = block(domestic, list(FINAL_DEMAND))
    imported_intermediate = imported.loc[:, sectors].to_numpy(dtype=np.float64) * to_krw
    imported_final = imported.loc[:, list(FINAL_DEMAND)].to_numpy(dtype=np.float64) * to_krw
    value_added = totals.loc["VA", sectors].to_numpy(dtype=np.float64) * to_krw
    other_inputs = totals.loc[OTHER_INPUT_ROWS, sectors].to_numpy(dtype=np.float64).sum(axis=0) * to_krw
    x = output[keep]

    agg = concordance[concordance["classification"] == "WIOD2016_ISIC4_56"].set_index("code")["agg27_code"].loc[sectors]
    compensation_share = _sea_ratio(sea, concordance, "COMP", "VA", COMPENSATION_YEAR).loc[agg].to_numpy()
    persons_per_krw_mn = (_sea_ratio(sea, concordance, "EMP", "GO", EMPLOYMENT_YEAR) * 1000.0).loc[agg].to_numpy()

    table = IOTable.from_arrays(
        Z,
        final,
        x=x,
        value_added=value_added,
        compensation=value_added * compensation_share,
        employment=_scale_to(x * persons_per_krw_mn, EMPLOYED_PERSONS_2014),
        imported_inputs=imported_intermediate.sum(axis=0),
        other_inputs=other_inputs,
        sectors=sectors,
        sector_names=[names[s] for s in sectors],
        fd_categories=list(FINAL_DEMAND.values()),
        currency="KRW",
        monetary_unit="million",
        price_year=YEAR,
        source=(
            "WIOD 2016 release, National Input-Output Table for Korea (doi:10.34894/PJ2M1C), and "
            "WIOD 2013 Socio-Economic Accounts (doi:10.34894/XDTAUZ); CC BY 4.0; Timmer et al. (2015), "
            "Review of International Economics 23: 575-605"
        ),
        name="korea-2014",
    )
    ds = table.dataset
    unit = ds["gross_output"].attrs["units"]
    ds = ds.assign_coords(product=industries, product_name=("product", [names[c] for c in industries]))
    ds["imported_intermediate"] = (
        ("product", "sector_to"),
        imported_intermediate,
        {"units": unit, "long_name": "imported intermediate use (imported product rows, buyer columns)"},
    )
    ds["imported_final_demand"] = (
        ("product", "fd_category"),
        imported_final,
        {"units": unit, "long_name": "final demand for imported products"},
    )
    ds.attrs.update(
        {
            "title": "Korea national input-output table 2014 (WIOD 2016), domestic flows, KRW million",
            "licence": "CC BY 4.0",
            "exchange_rate_usd_per_krw": usd_per_krw,
            "history": "\n".join(
                [
                    f"WIOD 2016 KOR NIOT year {YEAR}, USD million, basic prices",
                    f"converted to KRW million at {usd_per_krw} USD per KRW (WIOD 2016 exchange rates)",
                    f"dropped zero-output industries {', '.join(dropped)}",
                    f"compensation = VA x SEA {COMPENSATION_YEAR} COMP/VA by 27-aggregate",
                    f"employment = output x SEA {EMPLOYMENT_YEAR} EMP/GO by 27-aggregate, scaled to "
                    f"{EMPLOYED_PERSONS_2014:,.0f} employed persons (Statistics Korea EAPS 2014)",
                    "other_inputs = TXSP + EXP_adj + PURR + PURNR + IntTTM",
                ]
            ),
        }
    )
    return IOTable(ds, name="korea-2014")


def write(path: Path) -> Path:
    """Rebuild the dataset and write it to ``path`` (NetCDF-4), replacing it."""
    return build().to_netcdf(path, overwrite=True)


def same_values(a: xr.Dataset, b: xr.Dataset) -> bool:
    """True when two builds agree in every variable and coordinate (to 1e-12 relative)."""
    try:
        xr.testing.assert_allclose(a, b, rtol=1e-12)
    except AssertionError:
        return False
    return True
