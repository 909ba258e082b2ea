"""Regional input-output models: location quotients, multi-region tables, calibration.

- :mod:`.quotients`: SLQ, CILQ, FLQ, AFLQ, SFLQ factors and :func:`regionalize`.
- :mod:`.employment`: the regional employment CSV format and its reader.
- :mod:`.census`: city employment from the establishment census (KOSIS 시군구 x KSIC section).
- :mod:`.model`: :class:`RegionalModel` (interregional coefficients, in-region and
  out-of-region multipliers, feedback and spillover, :class:`~simengine.LocalEconomy`).
- :mod:`.calibration`: regional models fitted to the Bank of Korea 2020 regional
  multipliers (purchase coefficients alone, or jointly with column scales and
  value-added ratios).
- :mod:`.fit`: the fit tables and text of calibrated regions.
"""

from .build import build_city_model, build_region_model
from .calibration import Calibration, bok_targets, calibrate_purchase_coefficients, calibrate_region, read_bok
from .census import CityEmployment, lq_spread, read_establishment_census
from .employment import read_employment_csv
from .fit import fit_text, sector_frame, summary_frame
from .model import REGIONAL_MULTIPLIER_KINDS, RegionalModel
from .quotients import LQ_METHODS, flq_lambda, location_quotient_factors, regionalize

__all__ = [
    "LQ_METHODS",
    "REGIONAL_MULTIPLIER_KINDS",
    "RegionalModel",
    "Calibration",
    "bok_targets",
    "build_city_model",
    "build_region_model",
    "CityEmployment",
    "lq_spread",
    "read_establishment_census",
    "calibrate_purchase_coefficients",
    "calibrate_region",
    "read_bok",
    "fit_text",
    "flq_lambda",
    "sector_frame",
    "summary_frame",
    "location_quotient_factors",
    "read_employment_csv",
    "regionalize",
]
