"""Calibrating a two-region model to published in-region and out-of-region multipliers.

Targets: the Bank of Korea 2020 regional input-output tables (all 17 시도), 83 sectors,
aggregated to the national table's WIOD sectors with the concordance in
``datasets/raw/kor-bok-regional-multipliers-2020/bok83_to_wiod56.csv`` (:func:`bok_targets`).

Two fits:

- :func:`calibrate_region` (the shipped provinces): jointly to in-region and out-of-region
  output and value-added multipliers, with three parameters per sector: a regional purchase
  coefficient (RPC) per supplying sector, a scale of the national domestic input
  coefficients per purchasing sector (the 2014 -> 2020 structural adjustment, which lets
  in + out match BOK's total) and the region's value-added share of primary inputs.
- :func:`calibrate_purchase_coefficients`: RPCs alone, to in-region output multipliers.
  Objective (``scipy.optimize.least_squares``, trust-region reflective with bounds)::

      sum_j [(m_in_j(rpc) - t_in_j) / t_in_j]^2
        + w_out^2 sum_j [(m_out_j(rpc) - t_out_j) / t_out_j]^2
        + w_reg^2 sum_i (rpc_i - mean(rpc))^2

  In-region plus out-of-region multiplier equals the national output multiplier whatever
  the RPCs (the split aggregates back exactly), so the out-of-region error of a sector is
  pinned by the gap between the 2014 national and the BOK 2020 total multipliers: the
  reason for the joint fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.optimize
import threadpoolctl

from ..accounts import LeontiefSystem
from ..errors import ConvergenceError, DataError
from ..tables import IOTable
from .model import RegionalModel, split_coefficients

__all__ = [
    "bok_targets",
    "read_bok",
    "calibrate_purchase_coefficients",
    "calibrate_region",
    "joint_model",
    "joint_multipliers",
    "NationalAccounts",
    "Calibration",
    "BOK_REGIONS",
    "BOK_RAW",
    "GOALS",
]

_RAW = Path(__file__).resolve().parent.parent / "datasets" / "raw"
#: Folder of the BOK 83 -> WIOD 56 concordance (``bok83_to_wiod56.csv``, CONCORDANCE.md).
BOK_RAW = _RAW / "kor-bok-regional-multipliers-2020"
#: The BOK 2020 induced coefficients of all 17 regions, one long file (SOURCE.md beside it).
BOK_ALL17 = _RAW / "kor-bok-regional-multipliers-2020-all17" / "induce_coef_all17_2020_83sector_long.csv"
#: The 17 시도, as labelled in the BOK file's ``region_en`` column (Korean names:
#: ``simengine.datasets.PROVINCES``).
BOK_REGIONS = (
    "seoul", "busan", "daegu", "incheon", "gwangju", "daejeon", "ulsan", "sejong", "gyeonggi",
    "gangwon", "chungbuk", "chungnam", "jeonbuk", "jeonnam", "gyeongbuk", "gyeongnam", "jeju",
)  # fmt: skip
#: BOK 83 "기타" is a dummy (office supplies + unclassified) with no ISIC counterpart.
BOK_DUMMY_SECTORS = ("83",)
_COLUMNS = {
    "multiplier_production_in_region": "output_in",
    "multiplier_production_out_region": "output_out",
    "multiplier_value_added_in_region": "value_added_in",
    "multiplier_value_added_out_region": "value_added_out",
    "multiplier_employment_in_region": "employment_in",
    "multiplier_employment_out_region": "employment_out",
}
_TARGETS = ("output_in", "output_out", "value_added_in", "value_added_out")
#: Aggregated by :func:`bok_targets`: the targets and, where published (Jeju), employment.
_AGGREGATED = (*_TARGETS, "employment_in", "employment_out")
#: An in-region relative error above this is called "poorly fit" in the report.
POOR_FIT = 0.05


def read_bok(region: str, *, path: Path = BOK_ALL17) -> pd.DataFrame:
    """The BOK 2020 induced coefficients of one region, 83 rows, columns renamed.

    Returns
    -------
    pandas.DataFrame
        ``sector_code``, ``sector_name``, ``output_in``, ``output_out``, ``value_added_in``,
        ``value_added_out`` (KRW/KRW), ``employment_in``, ``employment_out`` (persons per KRW
        1 bn; NaN except Jeju).
    """
    if region not in BOK_REGIONS:
        raise DataError(f"no BOK targets for region {region!r}; available: {', '.join(BOK_REGIONS)}")
    frame = pd.read_csv(path, dtype={"sector_code": str, "region_en": str})
    frame = frame[frame["region_en"] == region].rename(columns=_COLUMNS).reset_index(drop=True)
    if len(frame) != 83:
        raise DataError(f"{path}: region {region!r} has {len(frame)} rows; expected 83 BOK sectors")
    return frame


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
        (KRW/KRW; NaN where no target), ``employment_in``, ``employment_out`` (persons
        per KRW 1 bn of 2020 final demand; Jeju only, NaN elsewhere), ``bok_codes`` (str), ``basis``
        (``primary`` / ``secondary`` / ``none``), ``spread_in`` (max - min of the
        in-region multipliers averaged).
    """
    if region not in BOK_REGIONS:
        raise DataError(f"no BOK targets for region {region!r}; available: {', '.join(BOK_REGIONS)}")
    bok = read_bok(region)
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
        row = {key: chosen[key].mean() for key in _AGGREGATED}
        row.update(
            sector=sector,
            bok_codes=" ".join(chosen["sector_code"]),
            basis=basis,
            spread_in=chosen["output_in"].max() - chosen["output_in"].min(),
        )
        rows.append(row)
    frame = pd.DataFrame(rows).set_index("sector").reindex(columns=[*_AGGREGATED, "bok_codes", "basis", "spread_in"])
    frame.attrs.update(region=region, source="Bank of Korea, 2020 Regional Input-Output Tables")
    return frame


@dataclass(frozen=True)
class Calibration:
    """Result of :func:`calibrate_purchase_coefficients` or :func:`calibrate_region`.

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
    parameters : pandas.DataFrame or None
        Joint fit only: ``rpc``, ``scale``, ``va_share`` by sector.
    """

    model: RegionalModel
    purchase_coefficients: pd.Series
    fit: pd.DataFrame
    parameters: pd.DataFrame | None = None

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


# ---------------------------------------------------------------------------------------- joint fit
#: Weights of the statistics in the joint objective (relative errors). Out-of-region value
#: added is fitted weakly: the rest of the country's value-added ratios are not free
#: parameters of one region's model (they are the national ones, restated with the scale).
JOINT_WEIGHTS = {"output_in": 1.0, "output_out": 1.0, "value_added_in": 1.0, "value_added_out": 0.3}
#: Ridge weights: purchase coefficients towards their mean, log scale towards 0 (the 2014
#: national column), value-added share of primary inputs towards its national value.
JOINT_RIDGE = {"rpc": 0.1, "log_scale": 0.05, "va_share": 0.05}
#: Bounds of the per-sector scale of the national domestic input coefficients.
SCALE_BOUNDS = (0.25, 4.0)
#: Largest domestic-intermediate share of a column after scaling (primary inputs keep 2%).
MAX_INTERMEDIATE_SHARE = 0.98
#: Goals (median absolute relative error over sectors with a target) per statistic.
GOALS = {"output_in": 0.03, "output_out": 0.10, "value_added_in": 0.05}


@dataclass(frozen=True)
class NationalAccounts:
    """Per-unit national accounts of a table, the fixed part of a regional calibration.

    Attributes
    ----------
    coefficients : ndarray (n, n)
        Domestic technical coefficients (money per unit of output).
    value_added, imports, other, compensation : ndarray (n,)
        Per unit of output.
    """

    coefficients: np.ndarray
    value_added: np.ndarray
    imports: np.ndarray
    other: np.ndarray
    compensation: np.ndarray

    @classmethod
    def of(cls, model: RegionalModel) -> NationalAccounts:
        ds = model.dataset.isel(region=0)
        return cls(
            coefficients=model._blocks[0, :, 0, :].copy(),
            value_added=ds["value_added_coefficient"].values.copy(),
            imports=ds["imported_inputs_coefficient"].values.copy(),
            other=ds["other_inputs_coefficient"].values.copy(),
            compensation=ds["compensation_coefficient"].values.copy(),
        )

    @property
    def va_share(self) -> np.ndarray:
        """Value added / (value added + imports from abroad) by sector (the national split of primary inputs)."""
        primary = self.value_added + self.imports
        return np.divide(self.value_added, primary, out=np.ones_like(primary), where=primary > 0)

    def primary(self, scale: np.ndarray) -> np.ndarray:
        """Primary inputs (value added + imports) per unit after scaling the domestic inputs: what
        the national column had, less the added domestic inputs (so the column still sums to 1)."""
        return self.value_added + self.imports - (scale - 1.0) * self.coefficients.sum(axis=0)

    def max_scale(self) -> np.ndarray:
        """Largest scale per column that leaves primary inputs of at least 2% (and within SCALE_BOUNDS)."""
        domestic = self.coefficients.sum(axis=0)
        room = domestic + self.value_added + self.imports - (1.0 - MAX_INTERMEDIATE_SHARE)
        return np.minimum(
            SCALE_BOUNDS[1], np.divide(room, domestic, out=np.full_like(domestic, np.inf), where=domestic > 0)
        )


def joint_multipliers(
    accounts: NationalAccounts,
    share: np.ndarray,
    rpc: np.ndarray,
    scale: np.ndarray,
    va_share: np.ndarray,
    *,
    jacobian: bool = False,
):
    """In-region and out-of-region output and value-added multipliers of the region's final demand.

    The two-region model of :func:`calibrate_region`: coefficients ``a_ij k_j``; the region
    buys ``rpc_i`` of row ``i`` from itself, the rest of the country buys ``share_i`` from the
    region; value added per unit ``va_share_j p_j`` in the region and ``va_share0_j p_j`` in the
    rest, ``p_j`` the primary inputs left by the scaled column.

    Parameters
    ----------
    jacobian : bool
        Also return the derivatives with respect to ``rpc``, ``log k`` and ``va_share``.

    Returns
    -------
    dict of ndarray (n,)
        ``output_in``, ``output_out``, ``value_added_in``, ``value_added_out`` (money / money);
        with ``jacobian``, also a dict of the same keys holding (n, 3n) arrays.

    Notes
    -----
    With ``w_c' = c' L`` for a mask ``c`` (ones, or value added per unit, on one region's rows),
    a multiplier is ``w_c' e_j`` and ``d(w_c' e_j)/dp = w_c' (dM/dp) L e_j + (dc/dp)' L e_j``: one
    LU, the four transposed solves and one solve with ``n`` right-hand sides (``L``'s region
    columns) give every derivative.
    """
    n = share.size
    scaled = accounts.coefficients * scale[None, :]
    primary = accounts.primary(scale)
    matrix = np.block(
        [
            [rpc[:, None] * scaled, share[:, None] * scaled],
            [(1.0 - rpc)[:, None] * scaled, (1.0 - share)[:, None] * scaled],
        ]
    )
    masks = np.zeros((2 * n, 4))
    masks[:n, 0] = 1.0
    masks[n:, 1] = 1.0
    masks[:n, 2] = va_share * primary
    masks[n:, 3] = accounts.va_share * primary
    system = LeontiefSystem(matrix)
    weights = system.solve_transposed(masks)
    values = dict(zip(_TARGETS, weights[:n].T, strict=True))
    if not jacobian:
        return values
    columns = system.solve(np.eye(2 * n)[:, :n])  # L[:, region columns]
    own, rest = columns[:n], columns[n:]
    domestic = accounts.coefficients.sum(axis=0)
    a = accounts.coefficients
    derivatives = {}
    for index, key in enumerate(_TARGETS):
        w_region, w_rest = weights[:n, index], weights[n:, index]
        d_rpc = ((w_region - w_rest)[:, None] * (scaled @ own)).T
        alpha = (w_region * rpc + w_rest * (1.0 - rpc)) @ a
        beta = (w_region * share + w_rest * (1.0 - share)) @ a
        d_scale = alpha[:, None] * own + beta[:, None] * rest
        if key == "value_added_in":
            d_scale -= (va_share * domestic)[:, None] * own
        if key == "value_added_out":
            d_scale -= (accounts.va_share * domestic)[:, None] * rest
        d_theta = (primary[:, None] * own).T if key == "value_added_in" else np.zeros((n, n))
        derivatives[key] = np.hstack([d_rpc, (d_scale * scale[:, None]).T, d_theta])
    return values, derivatives


def calibrate_region(
    table: IOTable,
    targets: pd.DataFrame,
    *,
    region: str,
    employment_share: float | np.ndarray,
    rest_region: str = "rest_of_korea",
    weights: dict[str, float] | None = None,
) -> Calibration:
    """Fit a two-region model jointly to in-region and out-of-region output and value-added multipliers.

    Parameters (3 per sector, fitted together by ``scipy.optimize.least_squares`` within
    bounds, analytic Jacobian from :func:`joint_multipliers`):

    - ``rpc_i`` in [0, 1]: regional purchase coefficient of supplying sector ``i``;
    - ``k_j`` in ``SCALE_BOUNDS`` (and at most leaving 2% primary inputs): scale of the
      national domestic input coefficients of purchasing sector ``j``, the 2014 -> 2020
      structural adjustment. The total (in + out) multiplier of the model is the national
      total of the scaled table, so ``k`` fits BOK's total and ``rpc`` its split; without ``k``
      the whole 2014-vs-2020 gap falls on the out-of-region multiplier;
    - ``theta_j`` in [0, 1]: the region's value added as a share of its primary inputs
      ``p_j = 1 - k_j d_j - o_j`` (``d_j`` domestic inputs, ``o_j`` taxes and adjustments);
      the rest is imported from abroad, so every column still sums to 1.

    The rest of the country keeps the national value-added share of primary inputs.

    Parameters
    ----------
    table : IOTable
        National table with employment.
    targets : pandas.DataFrame
        From :func:`bok_targets`.
    region, rest_region : str
        Labels.
    employment_share : float or array_like (n,)
        Region's share of national employment, in (0, 1), for every sector or by sector:
        the region's output share (national productivity; the fit is insensitive to it).
    weights : dict, optional
        Overrides of :data:`JOINT_WEIGHTS`.

    Returns
    -------
    Calibration
        With ``parameters`` (rpc, scale, va_share by sector).
    """
    weights = {**JOINT_WEIGHTS, **(weights or {})}
    national = RegionalModel.from_table(table)
    sectors = national.sectors
    n = len(sectors)
    share = _shares(employment_share, n, region)
    targets = targets.reindex(sectors)
    accounts = NationalAccounts.of(national)
    has = targets["output_in"].notna().to_numpy()
    goal = {key: targets[key].to_numpy()[has] for key in _TARGETS}
    theta0 = accounts.va_share
    ridge = JOINT_RIDGE

    def unpack(x: np.ndarray):
        return x[:n], np.exp(x[n : 2 * n]), x[2 * n :]

    identity, centring = np.eye(n), np.eye(n) - 1.0 / n
    zeros = np.zeros((n, n))
    ridge_jacobian = np.vstack(
        [
            np.hstack([ridge["rpc"] * centring, zeros, zeros]),
            np.hstack([zeros, ridge["log_scale"] * identity, zeros]),
            np.hstack([zeros, zeros, ridge["va_share"] * identity]),
        ]
    )

    def residuals(x: np.ndarray) -> np.ndarray:
        rpc, scale, theta = unpack(x)
        model = joint_multipliers(accounts, share, rpc, scale, theta)
        parts = [weights[key] * (model[key][has] - goal[key]) / goal[key] for key in _TARGETS if weights[key]]
        parts += [
            ridge["rpc"] * (rpc - rpc.mean()),
            ridge["log_scale"] * x[n : 2 * n],
            ridge["va_share"] * (theta - theta0),
        ]
        return np.concatenate(parts)

    def jacobian(x: np.ndarray) -> np.ndarray:
        _, derivatives = joint_multipliers(accounts, share, *unpack(x), jacobian=True)
        rows = [weights[key] * derivatives[key][has] / goal[key][:, None] for key in _TARGETS if weights[key]]
        return np.vstack([*rows, ridge_jacobian])

    lower = np.concatenate([np.zeros(n), np.full(n, np.log(SCALE_BOUNDS[0])), np.zeros(n)])
    upper = np.concatenate([np.ones(n), np.log(accounts.max_scale()), np.ones(n)])
    start = np.clip(np.concatenate([np.full(n, 0.7), np.zeros(n), theta0]), lower + 1e-9, upper - 1e-9)
    # one BLAS thread: on matrices this small, OpenBLAS threads only wait for each other, and on a
    # busy machine they make the fit 10-30 times slower
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        solution = scipy.optimize.least_squares(
            residuals, start, jac=jacobian, bounds=(lower, upper), x_scale="jac", xtol=1e-10, ftol=1e-10
        )
    if not solution.success:
        raise ConvergenceError(f"calibration of {region!r} did not converge: {solution.message}")
    rpc, scale, theta = (
        np.clip(v, lo, hi) for v, lo, hi in zip(unpack(solution.x), (0, 0, 0), (1, np.inf, 1), strict=True)
    )
    parameters = pd.DataFrame({"rpc": rpc, "scale": scale, "va_share": theta}, index=pd.Index(sectors, name="sector"))
    model = joint_model(table, parameters, region=region, rest_region=rest_region, employment_share=employment_share)
    total = national.multipliers("output")["total"].values[0]
    fit = _fit_table(model, targets, parameters["rpc"], total)
    fit["scale"] = scale
    fit["va_share"] = theta
    fit["max_scale"] = accounts.max_scale()
    fit["reason"] = [_joint_reason(row) for _, row in fit.iterrows()]
    return Calibration(
        model=model, purchase_coefficients=parameters["rpc"].rename("rpc"), fit=fit, parameters=parameters
    )


def _shares(employment_share: float | np.ndarray, n: int, region: str) -> np.ndarray:
    """The region's employment share by sector, checked to lie in (0, 1)."""
    share = np.broadcast_to(np.asarray(employment_share, dtype=float), (n,)).copy()
    if not np.all((share > 0.0) & (share < 1.0)):
        raise DataError(f"employment share of {region!r} must lie in (0, 1) in every sector, got {employment_share!r}")
    return share


def joint_model(
    table: IOTable,
    parameters: pd.DataFrame,
    *,
    region: str,
    employment_share: float | np.ndarray,
    rest_region: str = "rest_of_korea",
) -> RegionalModel:
    """The two-region model of :func:`calibrate_region` for given parameters.

    Parameters
    ----------
    table : IOTable
        National table.
    parameters : pandas.DataFrame, index sector
        ``rpc``, ``scale``, ``va_share`` (module notes of :func:`calibrate_region`).
    region, rest_region : str
        Labels.
    employment_share : float or array_like (n,)
        Region's share of national employment and output, for every sector or by sector.

    Returns
    -------
    RegionalModel
        With neutral parameters (rpc anything, scale 1, va_share national) and
        ``employment_share`` the model aggregates back to ``table`` exactly.
    """
    national = RegionalModel.from_table(table)
    accounts = NationalAccounts.of(national)
    parameters = parameters.reindex(national.sectors)
    scale = parameters["scale"].to_numpy(dtype=float)
    theta = parameters["va_share"].to_numpy(dtype=float)
    primary = accounts.primary(scale)
    compensation_ratio = np.divide(
        accounts.compensation, accounts.value_added, out=np.zeros_like(primary), where=accounts.value_added > 0
    )
    ds = national.dataset.copy(deep=True)
    ds["coefficients"].values[0, :, 0, :] = accounts.coefficients * scale[None, :]
    rest_va = accounts.va_share * primary
    ds["value_added_coefficient"].values[0] = rest_va
    ds["imported_inputs_coefficient"].values[0] = primary - rest_va
    ds["compensation_coefficient"].values[0] = rest_va * compensation_ratio
    scaled = RegionalModel(ds, name=national.name)
    employment = national.dataset["employment"].values[0] * _shares(employment_share, len(national.sectors), region)
    model = scaled.split(
        "nation",
        new_region=region,
        rest_region=rest_region,
        employment=employment,
        local_factors=parameters["rpc"].to_numpy(dtype=float),
        note=(
            "joint calibration to BOK 2020 in- and out-of-region output and value-added multipliers: "
            "national domestic coefficients scaled per purchasing sector, RPC per supplying sector, "
            "regional value-added share of primary inputs per sector"
        ),
    )
    region_va = theta * primary
    model.dataset["value_added_coefficient"].values[0] = region_va
    model.dataset["imported_inputs_coefficient"].values[0] = primary - region_va
    model.dataset["compensation_coefficient"].values[0] = region_va * compensation_ratio
    return model


def _joint_reason(row: pd.Series) -> str:
    """Why a sector misses a goal statistic by more than 5% in the joint fit."""
    if pd.isna(row["output_in_target"]):
        return "no BOK target (sector absent from the region or no BOK counterpart)"
    errors = {key: row[f"{key}_error"] for key in ("output_in", "output_out", "value_added_in")}
    if max(abs(v) for v in errors.values()) <= POOR_FIT:
        return ""
    reasons = []
    if row["scale"] >= row["max_scale"] * 0.999:
        reasons.append(
            f"scale at its bound {row['scale']:.2f}: BOK total {row['bok_total']:.2f} needs more domestic inputs "
            f"than the 2014 column (national total {row['national_total']:.2f}) can hold"
        )
    elif row["scale"] <= SCALE_BOUNDS[0] * 1.001:
        reasons.append(f"scale at its lower bound {SCALE_BOUNDS[0]}: BOK total {row['bok_total']:.2f} is very low")
    if row["va_share"] >= 0.999 and errors["value_added_in"] < -POOR_FIT:
        reasons.append(
            "value added already takes all primary inputs (no imports left): BOK's value-added ratio needs fewer "
            "domestic inputs than its output multiplier allows, so the two targets trade off"
        )
    if row["rpc"] < 0.02 and errors["output_in"] > POOR_FIT:
        reasons.append("RPC at 0: purchases from the region cannot fall further")
    if row["rpc"] > 0.98 and errors["output_in"] < -POOR_FIT:
        reasons.append("RPC at 1: the region already buys all it can locally")
    if row["basis"] == "secondary":
        reasons.append(f"target borrowed from BOK {row['bok_codes']} (no own BOK sector)")
    if row["spread_in"] > 0.15:
        reasons.append(f"averages BOK {row['bok_codes']} spanning {row['spread_in']:.2f} in in-region multiplier")
    if not reasons:
        reasons.append(
            "one RPC per supplying row serves every purchasing column: compromise with the sectors it supplies"
        )
    return "; ".join(reasons)
