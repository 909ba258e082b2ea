"""Prices and productivity between the table year and the budget's price year.

- :func:`gdp_deflator_ratio`: the price level of one year relative to another from the shipped
  Korea GDP deflator series (World Bank NY.GDP.DEFL.ZS, 2015 = 100, 2000-2020;
  ``simengine/datasets/raw/kor-gdp-deflator/SOURCE.md``). Money in the budget's price year is
  deflated by it before employment coefficients (persons per unit of output at table prices)
  apply.
- :func:`productivity_factor`: labour productivity in the price year relative to the table
  year, ``(1 + g)^(price_year - table_year)``; employment per unit of real output is divided by
  it. The default growth :data:`DEFAULT_PRODUCTIVITY_GROWTH` is an ASSUMPTION (see there);
  a scenario overrides it with ``[appraisal] productivity_growth``.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

from .errors import DataError

__all__ = ["DEFLATOR_FILE", "DEFAULT_PRODUCTIVITY_GROWTH", "gdp_deflator", "gdp_deflator_ratio", "productivity_factor"]

#: The shipped Korea GDP deflator series.
DEFLATOR_FILE = Path(__file__).parent / "datasets" / "raw" / "kor-gdp-deflator" / "kor_gdp_deflator_wb.csv"

#: Labour-productivity growth per year (real output per person employed). ASSUMPTION 1.5%: Korea's
#: real GDP grew about 2.8% a year over 2015-2019 (IMF World Economic Outlook) while employment
#: grew about 1.2% a year (Statistics Korea: 25.6 million employed persons in 2014, 27.1 million in
#: 2019), i.e. about 1.6% a year; rounded down for the slower growth since 2020. Override it with a
#: measured series (e.g. the Korea Productivity Center's labour productivity index).
DEFAULT_PRODUCTIVITY_GROWTH = 0.015


@functools.cache
def gdp_deflator() -> dict[int, float]:
    """The shipped series: year -> GDP deflator (2015 = 100)."""
    with DEFLATOR_FILE.open(encoding="utf-8") as handle:
        return {int(row["year"]): float(row["gdp_deflator_2015_100"]) for row in csv.DictReader(handle)}


def gdp_deflator_ratio(price_year: int, table_year: int) -> float:
    """Price level of ``price_year`` relative to ``table_year`` (e.g. 2020 / 2014 = 1.086).

    Raises
    ------
    DataError
        If a year lies outside the shipped series, naming its span and the fix.
    """
    series = gdp_deflator()
    missing = [y for y in (price_year, table_year) if y not in series]
    if missing:
        raise DataError(
            f"the shipped GDP deflator series covers {min(series)}-{max(series)}, not {missing[0]}; give "
            f"budget.deflator, the price level of {price_year} relative to {table_year} (e.g. from the Bank of "
            "Korea's ECOS GDP deflator)"
        )
    return series[price_year] / series[table_year]


def productivity_factor(price_year: int, table_year: int, growth: float = DEFAULT_PRODUCTIVITY_GROWTH) -> float:
    """Labour productivity in ``price_year`` relative to ``table_year``: ``(1 + growth)^(price_year - table_year)``."""
    return (1.0 + growth) ** (price_year - table_year)
