"""Calibration of entry and award parameters by the method of simulated moments.

Moments: the value-weighted local award share by award method and the mean number of bidders
per contract, as a spend analysis of a contract register measures them. The simulated
moments use common random numbers (the same seed at every trial), so the objective is a
smooth-enough function of the parameters for Nelder-Mead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from ..errors import DataError
from ..local_economy import LocalEconomy
from .cells import METHODS, BudgetCells
from .circuit import AgentCircuit
from .model import AgentParameters, simulate
from .populations import Firms

__all__ = ["CalibrationTargets", "CalibrationResult", "calibrate", "FITTED_PARAMETERS"]

#: Parameters the calibration moves, in this order.
FITTED_PARAMETERS = ("entry_intercept", "locality_bias", "score_local_weight")


@dataclass(frozen=True)
class CalibrationTargets:
    """Observed moments: local award share by method (fractions) and bidders per contract."""

    local_share_by_method: Mapping[str, float]
    bidders_per_contract: float | None = None

    def __post_init__(self) -> None:
        unknown = [m for m in self.local_share_by_method if m not in METHODS]
        if unknown:
            raise DataError(f"calibration targets: unknown methods {unknown}; valid: {sorted(METHODS)}")
        if any(not 0 <= v <= 1 for v in self.local_share_by_method.values()):
            raise DataError("calibration targets: local shares must lie in [0, 1]")

    @classmethod
    def from_register(cls, register: pd.DataFrame) -> CalibrationTargets:
        """Targets from a contract register with columns ``method``, ``value``, ``local`` (0/1)
        and optionally ``bidders`` (one row per contract, e.g. a spend-analysis output)."""
        missing = [c for c in ("method", "value", "local") if c not in register.columns]
        if missing:
            raise DataError(f"contract register lacks columns {missing}; expected method, value, local[, bidders]")
        local_value = register["value"] * register["local"].astype(float)
        shares = (local_value.groupby(register["method"]).sum() / register.groupby("method")["value"].sum()).to_dict()
        bidders = float(register["bidders"].mean()) if "bidders" in register.columns else None
        return cls({str(k): float(v) for k, v in shares.items()}, bidders)


@dataclass(frozen=True)
class CalibrationResult:
    """Fitted parameters, the fit report (one row per moment) and the optimiser's outcome."""

    parameters: AgentParameters
    report: pd.DataFrame
    objective: float
    converged: bool


def _moments(economy, circuit, cells, firms, parameters, targets, periods, draws, seed) -> dict[str, float]:
    ds = simulate(economy, circuit, cells, periods=periods, seed=seed, draws=draws, firms=firms, parameters=parameters)
    share = ds["realised_local_share"].fillna(0.0)
    if "draw" in share.dims:
        share = share.mean("draw")
    moments = {}
    for method in targets.local_share_by_method:
        weights = cells.annual_amount[:, :, cells.methods.index(method)]
        values = share.sel(award_method=method).values.reshape(weights.shape)
        moments[f"local_share[{method}]"] = float((values * weights).sum() / weights.sum())
    if targets.bidders_per_contract is not None:
        moments["bidders_per_contract"] = float(ds["bidders_per_contract"].mean())
    return moments


def calibrate(
    economy: LocalEconomy,
    circuit: AgentCircuit,
    cells: BudgetCells,
    targets: CalibrationTargets,
    *,
    firms: Firms,
    start: AgentParameters | None = None,
    periods: int = 24,
    draws: int = 2,
    seed: int = 0,
    max_evaluations: int = 60,
) -> CalibrationResult:
    """Fit :data:`FITTED_PARAMETERS` so simulated moments match ``targets`` (least squares).

    Shares enter the objective as differences; bidders per contract as a relative
    difference, so that both are on a comparable scale.
    """
    missing = [m for m in targets.local_share_by_method if m not in cells.methods]
    if missing:
        raise DataError(f"calibration targets name methods {missing} that the budget cells do not use")
    start = start or AgentParameters()
    target = {f"local_share[{k}]": v for k, v in targets.local_share_by_method.items()}
    if targets.bidders_per_contract is not None:
        target["bidders_per_contract"] = targets.bidders_per_contract

    def with_values(x: np.ndarray) -> AgentParameters:
        return replace(start, **{name: float(value) for name, value in zip(FITTED_PARAMETERS, x, strict=True)})

    def loss(x: np.ndarray) -> float:
        simulated = _moments(economy, circuit, cells, firms, with_values(x), targets, periods, draws, seed)
        total = 0.0
        for name, value in target.items():
            gap = simulated[name] - value
            total += (gap / value) ** 2 if name == "bidders_per_contract" else gap**2
        return total

    x0 = np.array([getattr(start, name) for name in FITTED_PARAMETERS])
    # unit steps: with common random numbers the objective is piecewise constant at small scales
    simplex = np.vstack([x0, x0 + np.eye(len(x0))])
    outcome = minimize(loss, x0, method="Nelder-Mead",
                       options={"maxfev": max_evaluations, "xatol": 1e-2, "fatol": 1e-6, "initial_simplex": simplex})
    fitted = with_values(outcome.x)
    simulated = _moments(economy, circuit, cells, firms, fitted, targets, periods, draws, seed)
    report = pd.DataFrame({"target": pd.Series(target), "simulated": pd.Series(simulated)})
    report["difference"] = report["simulated"] - report["target"]
    return CalibrationResult(fitted, report, float(outcome.fun), bool(outcome.success))
