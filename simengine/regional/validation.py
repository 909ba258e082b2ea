"""Validation of regional employment effects against the Bank of Korea's Jeju employment inducement.

The BOK 2020 regional coefficient set publishes employment inducement coefficients
(취업유발계수, persons per KRW 1 bn of final demand, in the region and in the rest of
Korea) for Jeju only. The shipped models' employment effects rest on national labour
productivity by sector (``korea-2014``: persons per KRW million of 2014 output, the same
in every region), so the comparison measures how far that assumption is from a published
regional figure. Model figures are restated per KRW 1 bn at 2020 prices with the GDP
deflator 2020 / 2014 (:data:`DEFLATOR_2020_2014`); what remains is the change of real
labour productivity 2014 -> 2020 plus Jeju's own productivity, reported as the median
ratio (level) and as the error after removing that level (structure).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .calibration import bok_targets
from .model import RegionalModel

__all__ = ["DEFLATOR_2020_2014", "employment_validation", "employment_validation_summary"]

#: World Bank GDP deflator for Korea, 2020 / 2014 = 105.24 / 96.91 (the figure the shipped
#: scenarios use for price years).
DEFLATOR_2020_2014 = 105.24 / 96.91


def employment_validation(model: RegionalModel, region: str, *, deflator: float = DEFLATOR_2020_2014) -> pd.DataFrame:
    """Per-sector employment multipliers of ``model`` against BOK 2020 (persons per KRW 1 bn, 2020 prices).

    Parameters
    ----------
    model : RegionalModel
        A two-region model whose first region is ``region``.
    region : str
        BOK region label with published employment inducement (``"jeju"``).
    deflator : float
        Price level of 2020 relative to the model table's price year.

    Returns
    -------
    pandas.DataFrame, index sector
        ``in_target``, ``in_model``, ``in_error``, ``out_target``, ``out_model``, ``out_error``
        (relative errors ``model / target - 1``); sectors without a BOK figure are dropped.
    """
    targets = bok_targets(region, model.sectors).reindex(model.sectors)
    multipliers = model.multipliers("employment")
    per_bn = 1000.0 / deflator if model.dataset.attrs.get("unit", "").endswith("million") else 1.0 / deflator
    frame = pd.DataFrame(
        {
            "in_target": targets["employment_in"].to_numpy(),
            "in_model": multipliers["in_region"].values[0] * per_bn,
            "out_target": targets["employment_out"].to_numpy(),
            "out_model": multipliers["out_of_region"].values[0] * per_bn,
        },
        index=pd.Index(model.sectors, name="sector"),
    )
    frame = frame[(frame["in_target"] > 0) & (frame["out_target"] > 0)]
    for side in ("in", "out"):
        frame[f"{side}_error"] = frame[f"{side}_model"] / frame[f"{side}_target"] - 1.0
    frame["name"] = [str(n) for n in model.dataset["sector_name"].sel(sector=frame.index).values]
    return frame


def employment_validation_summary(frame: pd.DataFrame) -> dict[str, float]:
    """Median absolute relative errors, the level (median model/target ratio) and the error
    after removing that level, and the rank correlation across sectors, in and out of region."""
    summary = {"sectors": float(len(frame))}
    for side in ("in", "out"):
        ratio = frame[f"{side}_model"] / frame[f"{side}_target"]
        level = float(np.median(ratio))
        summary[f"{side}_median_abs_error"] = float(np.median(np.abs(ratio - 1.0)))
        summary[f"{side}_level"] = level
        summary[f"{side}_median_abs_error_after_level"] = float(np.median(np.abs(ratio / level - 1.0)))
        summary[f"{side}_rank_correlation"] = float(frame[f"{side}_model"].rank().corr(frame[f"{side}_target"].rank()))
    return summary
