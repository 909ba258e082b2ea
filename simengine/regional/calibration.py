"""Calibrating a two-region model to published in-region and out-of-region multipliers.

Targets: the Bank of Korea 2020 regional input-output tables (Gyeonggi, Busan), 83
sectors, aggregated to the national table's WIOD sectors with the concordance in
``datasets/raw/kor-bok-regional-multipliers-2020/bok83_to_wiod56.csv``
(:func:`bok_targets`). Parameters: one regional purchase coefficient (RPC) per
supplying sector, ``rpc_i`` in ``[0, 1]``: the region's industries buy ``rpc_i a_ij``
from the region and ``(1 - rpc_i) a_ij`` from the rest of the country
(:meth:`simengine.regional.RegionalModel.split`).

Objective (``scipy.optimize.least_squares``, trust-region reflective with bounds)::

    sum_j [(m_in_j(rpc) - t_in_j) / t_in_j]^2
      + w_out^2 sum_j [(m_out_j(rpc) - t_out_j) / t_out_j]^2
      + w_reg^2 sum_i (rpc_i - mean(rpc))^2

The in-region multiplier of the model plus its out-of-region multiplier equals the
national output multiplier whatever the RPCs (the split aggregates back exactly), so
the out-of-region error of a sector is pinned by the gap between the 2014 national and
the BOK 2020 total multipliers; the default ``w_out = 0`` fits in-region multipliers and
reports out-of-region ones. The small ridge ``w_reg`` pins RPCs that no target
identifies (sectors without a BOK counterpart).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.optimize

from ..accounts import LeontiefSystem
from ..errors import ConvergenceError, DataError
from ..tables import IOTable
from .model import RegionalModel, split_coefficients

__all__ = ["bok_targets", "calibrate_purchase_coefficients", "Calibration", "BOK_REGIONS", "BOK_RAW"]

BOK_RAW = Path(__file__).resolve().parent.parent / "datasets" / "raw" / "kor-bok-regional-multipliers-2020"
BOK_REGIONS = {"gyeonggi": "induce_coef_gyeonggi_2020_83sector.csv", "busan": "induce_coef_busan_2020_83sector.csv"}
#: BOK 83 "기타" is a dummy (office supplies + unclassified) with no ISIC counterpart.
BOK_DUMMY_SECTORS = ("83",)
_COLUMNS = {
    "multiplier_production_in_region": "output_in",
    "multiplier_production_out_region": "output_out",
    "multiplier_value_added_in_region": "value_added_in",
    "multiplier_value_added_out_region": "value_added_out",
}
#: An in-region relative error above this is called "poorly fit" in the report.
POOR_FIT = 0.05


def bok_targets(region: str, sectors: list[str], *, raw: Path = BOK_RAW) -> pd.DataFrame:
    """BOK 2020 multipliers of a region aggregated to the table's sectors.

    Rules: a WIOD sector takes the simple (unweighted; BOK regional output by sector is
    not in the files) mean of the BOK sectors whose primary ``wiod_code`` it is; a WIOD
    sector that is no BOK sector's primary code takes the mean of the BOK sectors that
    list it in ``also=`` (G45 and G46 from BOK 52, M73 from 71, M74_M75 from 72).
    Excluded: placeholder rows (in-region 1, out 0, value added 0: the sector has no
    output in the region) and the dummy sector 83.

    Returns
    -------
    pandas.DataFrame, index sector
        ``output_in``, ``output_out``, ``value_added_in``, ``value_added_out``
        (KRW/KRW; NaN where no target), ``bok_codes`` (str), ``basis``
        (``primary`` / ``secondary`` / ``none``), ``spread_in`` (max - min of the
        in-region multipliers averaged).
    """
    if region not in BOK_REGIONS:
        raise DataError(f"no BOK targets for region {region!r}; available: {', '.join(BOK_REGIONS)}")
    bok = pd.read_csv(raw / BOK_REGIONS[region], dtype={"sector_code": str}).rename(columns=_COLUMNS)
    concordance = pd.read_csv(raw / "bok83_to_wiod56.csv", dtype={"bok_code": str})
    merged = bok.merge(concordance[["bok_code", "wiod_code", "note"]], left_on="sector_code", right_on="bok_code")
    placeholder = (merged["output_in"] == 1.0) & (merged["output_out"] == 0.0) & (merged["value_added_in"] == 0.0)
    merged = merged[~placeholder & ~merged["sector_code"].isin(BOK_DUMMY_SECTORS)]
    also = merged["note"].fillna("").map(lambda t: t.split(";")[0][5:].split(",") if t.startswith("also=") else [])
    rows = []
    for sector in sectors:
        chosen, basis = merged[merged["wiod_code"] == sector], "primary"
        if chosen.empty:
            chosen, basis = merged[also.map(lambda codes, s=sector: s in codes)], "secondary"
        if chosen.empty:
            rows.append({"sector": sector, "bok_codes": "", "basis": "none"})
            continue
        row = {key: chosen[key].mean() for key in _COLUMNS.values()}
        row.update(
            sector=sector,
            bok_codes=" ".join(chosen["sector_code"]),
            basis=basis,
            spread_in=chosen["output_in"].max() - chosen["output_in"].min(),
        )
        rows.append(row)
    frame = (
        pd.DataFrame(rows).set_index("sector").reindex(columns=[*_COLUMNS.values(), "bok_codes", "basis", "spread_in"])
    )
    frame.attrs.update(region=region, source="Bank of Korea, 2020 Regional Input-Output Tables")
    return frame


@dataclass(frozen=True)
class Calibration:
    """Result of :func:`calibrate_purchase_coefficients`.

    Attributes
    ----------
    model : RegionalModel
        The calibrated two-region model (region first, rest of the country second).
    purchase_coefficients : pandas.Series
        Fitted RPC by supplying sector (dimensionless, in [0, 1]).
    fit : pandas.DataFrame
        Per sector: targets, model values and relative errors of in-region and
        out-of-region output and value-added multipliers, the RPC, and ``reason``
        (why a sector is poorly fit; empty when the in-region error is below 5%).
    """

    model: RegionalModel
    purchase_coefficients: pd.Series
    fit: pd.DataFrame

    def summary(self) -> dict[str, float]:
        """Median absolute relative errors (over sectors with a target) and counts."""
        fit = self.fit.dropna(subset=["output_in_target"])
        return {
            "sectors_with_target": int(len(fit)),
            "median_abs_rel_error_output_in": float(fit["output_in_error"].abs().median()),
            "median_abs_rel_error_output_out": float(fit["output_out_error"].abs().median()),
            "median_abs_rel_error_value_added_in": float(fit["value_added_in_error"].abs().median()),
            "median_abs_rel_error_value_added_out": float(fit["value_added_out_error"].abs().median()),
            "poorly_fit": int((fit["output_in_error"].abs() > POOR_FIT).sum()),
        }

    def worst(self, count: int = 10) -> pd.DataFrame:
        """The ``count`` sectors with the largest absolute in-region output error."""
        fit = self.fit.dropna(subset=["output_in_target"])
        return fit.loc[fit["output_in_error"].abs().sort_values(ascending=False).index[:count]]


def _in_region_multipliers(
    blocks_national: np.ndarray, share: np.ndarray, rpc: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """In-region output multipliers of region 0 after splitting the nation with ``rpc``,
    and their Jacobian with respect to ``rpc`` (rows: purchasing sectors).

    Notes
    -----
    With ``u' = e_R' L`` (``e_R`` ones on the region's rows), ``d(u')/d rpc_k =
    u' (dA/d rpc_k) L``. ``rpc_k`` moves row ``k`` of the national coefficients from the
    rest of the country's rows to the region's rows in the region's columns, so
    ``u' dA/d rpc_k = (u_Rk - u_Nk) [a_k, 0]`` and the Jacobian is one transposed solve
    with ``n`` right-hand sides.
    """
    n = share.size
    blocks = split_coefficients(blocks_national, 0, share, np.repeat(rpc[:, None], n, axis=1))
    system = LeontiefSystem(blocks.reshape(2 * n, 2 * n))
    mask = np.zeros(2 * n)
    mask[:n] = 1.0
    weights = system.solve_transposed(mask)
    national = blocks_national[0, :, 0, :]
    moved = np.hstack([national, np.zeros((n, n))])
    propagated = system.solve_transposed(moved.T).T[:, :n]
    jacobian = ((weights[:n] - weights[n:])[:, None] * propagated).T
    return weights[:n], jacobian


def calibrate_purchase_coefficients(
    table: IOTable,
    regional_employment,
    targets: pd.DataFrame,
    *,
    region: str,
    rest_region: str = "rest_of_korea",
    out_weight: float = 0.0,
    ridge: float = 0.1,
) -> Calibration:
    """Fit per-sector regional purchase coefficients to in-region output multipliers.

    Parameters
    ----------
    table : IOTable
        National table (domestic flows; imports from abroad stay a leakage).
    regional_employment : array_like (n,)
        Regional employment by sector (persons); sets the region's output shares.
    targets : pandas.DataFrame
        From :func:`bok_targets` (index: the table's sectors).
    region, rest_region : str
        Labels of the two regions.
    out_weight : float
        Weight of out-of-region relative errors in the objective (module docstring).
    ridge : float
        Weight pulling RPCs towards their mean (identifies untargeted sectors).

    Returns
    -------
    Calibration
    """
    national = RegionalModel.from_table(table)
    sectors = national.sectors
    targets = targets.reindex(sectors)
    employment = np.asarray(regional_employment, dtype=float)
    national_employment = national.dataset["employment"].values[0]
    share = np.divide(employment, national_employment, out=np.zeros_like(employment), where=national_employment > 0)
    blocks = national._blocks
    total = national.multipliers("output")["total"].values[0]
    has_target = targets["output_in"].notna().to_numpy()
    target_in = targets["output_in"].to_numpy()[has_target]
    target_out = targets["output_out"].to_numpy()[has_target]

    n = len(sectors)
    centring = np.eye(n) - 1.0 / n

    def residuals_and_jacobian(rpc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        inside, jacobian = _in_region_multipliers(blocks, share, rpc)
        inside, jacobian = inside[has_target], jacobian[has_target]
        parts = [(inside - target_in) / target_in, ridge * (rpc - rpc.mean())]
        derivatives = [jacobian / target_in[:, None], ridge * centring]
        if out_weight:
            parts.append(out_weight * ((total[has_target] - inside) - target_out) / target_out)
            derivatives.append(-out_weight * jacobian / target_out[:, None])
        return np.concatenate(parts), np.vstack(derivatives)

    start = np.full(n, 0.7)
    solution = scipy.optimize.least_squares(
        lambda rpc: residuals_and_jacobian(rpc)[0],
        start,
        jac=lambda rpc: residuals_and_jacobian(rpc)[1],
        bounds=(0.0, 1.0),
        xtol=1e-12,
        ftol=1e-12,
    )
    if not solution.success:
        raise ConvergenceError(f"calibration of {region!r} did not converge: {solution.message}")
    rpc = np.clip(solution.x, 0.0, 1.0)
    model = national.split(
        "nation",
        new_region=region,
        rest_region=rest_region,
        employment=employment,
        local_factors=rpc,
        note=f"RPCs calibrated to BOK 2020 in-region output multipliers (out_weight={out_weight}, ridge={ridge})",
    )
    fit = _fit_table(model, targets, pd.Series(rpc, index=sectors), total)
    return Calibration(model=model, purchase_coefficients=pd.Series(rpc, index=sectors, name="rpc"), fit=fit)


def _fit_table(model: RegionalModel, targets: pd.DataFrame, rpc: pd.Series, national_total: np.ndarray) -> pd.DataFrame:
    fit = pd.DataFrame(index=pd.Index(model.sectors, name="sector"))
    fit["name"] = [str(s) for s in model.dataset["sector_name"].values]
    for kind in ("output", "value_added"):
        multipliers = model.multipliers(kind)
        for side, variable in (("in", "in_region"), ("out", "out_of_region")):
            column = f"{kind}_{side}"
            fit[f"{column}_target"] = targets[column].to_numpy()
            fit[f"{column}_model"] = multipliers[variable].values[0]
            fit[f"{column}_error"] = fit[f"{column}_model"] / fit[f"{column}_target"] - 1.0
    fit["rpc"] = rpc
    fit["national_total"] = national_total
    fit["bok_total"] = targets["output_in"] + targets["output_out"]
    fit["bok_codes"] = targets["bok_codes"].fillna("")
    fit["basis"] = targets["basis"]
    fit["spread_in"] = targets["spread_in"]
    fit["reason"] = [_reason(row) for _, row in fit.iterrows()]
    return fit


def _reason(row: pd.Series) -> str:
    """A short explanation of why a sector's in-region multiplier misses its target."""
    if pd.isna(row["output_in_target"]):
        return "no BOK target (sector absent from the region or no BOK counterpart)"
    if abs(row["output_in_error"]) <= POOR_FIT:
        return ""
    reasons = []
    gap = row["national_total"] / row["bok_total"] - 1.0
    if row["output_in_error"] > 0 and row["rpc"] < 0.02:
        reasons.append("RPC at 0: even buying nothing locally, 2014 intermediate demand exceeds the target")
    if row["output_in_error"] < 0 and row["rpc"] > 0.98:
        reasons.append("RPC at 1: 2014 domestic input share too low to reach the target")
    if abs(gap) > 0.10:
        reasons.append(
            f"national 2014 total multiplier {row['national_total']:.2f} vs BOK 2020 total {row['bok_total']:.2f}"
        )
    if row["basis"] == "secondary":
        reasons.append(f"target borrowed from BOK {row['bok_codes']} (no own BOK sector)")
    if row["spread_in"] > 0.15:
        reasons.append(f"averages BOK {row['bok_codes']} spanning {row['spread_in']:.2f} in in-region multiplier")
    if not reasons:
        reasons.append("one RPC per supplying row cannot match every column: compromise with other sectors")
    return "; ".join(reasons)
