"""The fit of calibrated regions to the Bank of Korea 2020 multipliers: tables and text.

Statistics (median over sectors with a BOK target of the absolute relative error
``model / target - 1``): in-region and out-of-region output multipliers, in-region and
out-of-region value-added multipliers. Goals: :data:`~simengine.regional.calibration.GOALS`.
"""

from __future__ import annotations

import pandas as pd

from .calibration import GOALS, Calibration

__all__ = ["STATISTICS", "summary_frame", "sector_frame", "fit_text", "worst_sectors"]

#: Statistic key -> label.
STATISTICS = {
    "output_in": "in-region output",
    "output_out": "out-of-region output",
    "value_added_in": "in-region value added",
    "value_added_out": "out-of-region value added",
}


def worst_sectors(calibration: Calibration, count: int = 5) -> pd.DataFrame:
    """The ``count`` sectors with the largest absolute error on any goal statistic."""
    fit = calibration.fit.dropna(subset=["output_in_target"])
    worst = fit[[f"{key}_error" for key in GOALS]].abs().max(axis=1)
    return fit.loc[worst.sort_values(ascending=False).index[:count]]


def summary_frame(calibrations: dict[str, Calibration]) -> pd.DataFrame:
    """One row per region: sectors with a target, median absolute relative errors, goals met."""
    rows = []
    for name, calibration in calibrations.items():
        summary = calibration.summary()
        row = {"region": name, "sectors": summary["sectors_with_target"]}
        row.update({key: summary[f"median_abs_rel_error_{key}"] for key in STATISTICS})
        row["goals_met"] = all(row[key] <= goal for key, goal in GOALS.items())
        rows.append(row)
    return pd.DataFrame(rows).set_index("region")


def sector_frame(calibrations: dict[str, Calibration]) -> pd.DataFrame:
    """Every region's per-sector fit, stacked: index (region, sector)."""
    frames = []
    for name, calibration in calibrations.items():
        fit = calibration.fit.copy()
        fit.insert(0, "region", name)
        frames.append(fit.reset_index())
    return pd.concat(frames, ignore_index=True).set_index(["region", "sector"])


def fit_text(calibrations: dict[str, Calibration], *, worst: int = 5) -> str:
    """The fit table (regions x statistics) and each region's worst sectors with reasons."""
    summary = summary_frame(calibrations)
    header = f"{'region':<16}{'sectors':>8}" + "".join(f"{label:>28}" for label in STATISTICS.values())
    lines = [
        "Fit to Bank of Korea 2020 regional multipliers: median |model / target - 1| over sectors with a target",
        "goals: " + ", ".join(f"{STATISTICS[k]} <= {v:.0%}" for k, v in GOALS.items()),
        header,
    ]
    for name, row in summary.iterrows():
        cells = "".join(f"{row[key]:>28.2%}" for key in STATISTICS)
        lines.append(f"{name:<16}{int(row['sectors']):>8}{cells}{'' if row['goals_met'] else '  GOAL MISSED'}")
    lines.append("")
    for name, calibration in calibrations.items():
        lines.append(f"{name}: worst {worst} sectors (error in-region output / out-of-region output / in-region VA)")
        for sector, row in worst_sectors(calibration, worst).iterrows():
            lines.append(
                f"  {sector:<8} {row['output_in_error']:+7.1%} {row['output_out_error']:+7.1%} "
                f"{row['value_added_in_error']:+7.1%}  scale {row['scale']:.2f} rpc {row['rpc']:.2f} "
                f"va share {row['va_share']:.2f}. {row['reason'] or 'within 5% on every goal statistic'}"
            )
    return "\n".join(lines)
