"""Calibration of entry and award parameters by the method of simulated moments.

Moments: the value-weighted local award share by award method and the mean number of bidders
per contract, as a spend analysis of a contract register measures them. The simulated
moments use common random numbers (the same seed at every trial), so the objective is a
smooth-enough function of the parameters for Nelder-Mead.

:func:`calibrate_to_register` fits the model to a contract register read by
:func:`simengine.procurement.read_register`: the register's cells become the budget and its
local shares by method the targets. Korean registers (and the shipped synthetic one) do not
record the number of bidders, so only the shares are fitted then.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import xarray as xr
from scipy.optimize import minimize

from ..errors import DataError
from ..local_economy import LocalEconomy
from .cells import METHODS, BudgetCells
from .circuit import AgentCircuit
from .model import AgentParameters, simulate
from .populations import Firms, generate_firms

__all__ = [
    "calibrate_local_entry",
    "CalibrationTargets",
    "CalibrationResult",
    "calibrate",
    "calibrate_to_register",
    "register_cells",
    "FITTED_PARAMETERS",
    "REGISTER_CATEGORY_SECTORS",
]

#: Parameters the calibration moves, in this order.
FITTED_PARAMETERS = ("entry_intercept", "locality_bias", "score_local_weight")

#: Sector (korea-2014 WIOD code) that executes each procurement category of a Korean register:
#: construction works -> F (construction), services -> N (administrative and support services),
#: goods -> G46 (wholesale trade: goods are bought from distributors).
REGISTER_CATEGORY_SECTORS = {"construction": "F", "services": "N", "goods": "G46"}


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

    @classmethod
    def from_cells(cls, cells: BudgetCells) -> CalibrationTargets:
        """Targets from budget cells: the amount-weighted baseline local share of every method with
        an amount (the shares the analytic mode uses for the same cells)."""
        shares = {}
        for m, method in enumerate(cells.methods):
            amount = cells.annual_amount[:, :, m]
            if amount.sum() > 0:
                shares[method] = float((amount * cells.baseline_local_share[:, :, m]).sum() / amount.sum())
        return cls(shares)

    @classmethod
    def from_spend(cls, analysis: xr.Dataset) -> CalibrationTargets:
        """Targets from a spend analysis with a ``method`` dim (:func:`simengine.procurement.spend_analysis`):
        the value-based local share of every method with awards (``shopping_mall`` -> ``mall``).
        Registers do not record bidders, so ``bidders_per_contract`` is None."""
        from .scenario import SCENARIO_METHODS

        if "method" not in analysis.dims:
            raise DataError("calibration targets need a spend analysis by method: spend_analysis(by=(..., 'method'))")
        totals = analysis.sel({dim: "all" for dim in analysis.dims if dim != "method"})
        shares = totals["local_share_value"].drop_sel(method="all").dropna("method")
        methods = [SCENARIO_METHODS.get(str(m), str(m)) for m in shares["method"].values]
        return cls({m: float(v) for m, v in zip(methods, shares.values, strict=True)})


@dataclass(frozen=True)
class CalibrationResult:
    """Fitted parameters, the fit report (one row per moment) and the optimiser's outcome."""

    parameters: AgentParameters
    report: pd.DataFrame
    objective: float
    converged: bool
    fitted: tuple[str, ...] = FITTED_PARAMETERS

    def values(self) -> dict[str, float]:
        """The fitted parameters by name (``local_entry_bias[method]`` for the entry bias of a method)."""
        out = {}
        for name in self.fitted:
            if name.startswith("local_entry_bias["):
                out[name] = self.parameters.entry_bias(name[len("local_entry_bias[") : -1])
            else:
                out[name] = float(getattr(self.parameters, name))
        return out

    def to_frame(self) -> pd.DataFrame:
        """The fit as one table: a row per moment (target, simulated, difference) and a row per
        fitted parameter (its value in ``simulated``), ``kind`` telling them apart; the
        objective and convergence in ``attrs``."""
        moments = self.report.assign(kind="moment")
        values = self.values()
        parameters = pd.DataFrame({"kind": "parameter", "simulated": list(values.values())}, index=list(values))
        frame = pd.concat([moments, parameters])[["kind", "target", "simulated", "difference"]]
        frame.index.name = "quantity"
        frame.attrs.update({"objective": self.objective, "converged": int(self.converged)})
        return frame

    def summary(self) -> str:
        """The fit report as text: targets against simulated moments, then the fitted parameters."""
        lines = [self.report.to_string(float_format=lambda v: f"{v:.4f}"), ""]
        lines += [f"{name} = {value:.4f}" for name, value in self.values().items()]
        lines.append(f"objective = {self.objective:.6g} (sum of squared gaps), converged = {self.converged}")
        return "\n".join(lines)


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


def _fit_report(target: Mapping[str, float], simulated: Mapping[str, float]) -> pd.DataFrame:
    """Target, simulated and difference per moment."""
    report = pd.DataFrame({"target": pd.Series(target), "simulated": pd.Series(simulated)})
    report["difference"] = report["simulated"] - report["target"]
    return report


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
    outcome = minimize(
        loss,
        x0,
        method="Nelder-Mead",
        options={"maxfev": max_evaluations, "xatol": 1e-2, "fatol": 1e-6, "initial_simplex": simplex},
    )
    fitted = with_values(outcome.x)
    report = _fit_report(target, _moments(economy, circuit, cells, firms, fitted, targets, periods, draws, seed))
    return CalibrationResult(fitted, report, float(outcome.fun), bool(outcome.success))


def calibrate_local_entry(
    economy: LocalEconomy,
    circuit: AgentCircuit,
    cells: BudgetCells,
    targets: CalibrationTargets,
    *,
    firms: Firms,
    start: AgentParameters | None = None,
    periods: int = 120,
    draws: int = 4,
    seed: int = 0,
    rounds: int = 24,
    bound: float = 12.0,
) -> CalibrationResult:
    """Fit the local entry bias of every target method so that its realised local share hits the target.

    A method's value-weighted local share rises with its bias (more local firms bid), so each
    bias is found by bisection on ``[-bound, bound]``; all methods move together, one
    simulation per round (common random numbers: the same seed every round). ``rounds``
    halvings give a resolution of ``2 x bound / 2**rounds``. Methods the budget does not use are
    refused; the other methods keep their bias from ``start``.
    """
    missing = [m for m in targets.local_share_by_method if m not in cells.methods]
    if missing:
        raise DataError(f"calibration targets name methods {missing} that the budget cells do not use")
    start = start or AgentParameters()
    methods = list(targets.local_share_by_method)
    low = dict.fromkeys(methods, -bound)
    high = dict.fromkeys(methods, bound)

    def with_bias(values: Mapping[str, float]) -> AgentParameters:
        merged = dict(start.local_entry_bias) | dict(values)
        return replace(start, local_entry_bias=tuple(sorted(merged.items())))

    for _ in range(rounds):
        middle = {m: 0.5 * (low[m] + high[m]) for m in methods}
        simulated = _moments(economy, circuit, cells, firms, with_bias(middle), targets, periods, draws, seed)
        for m in methods:
            if simulated[f"local_share[{m}]"] < targets.local_share_by_method[m]:
                low[m] = middle[m]
            else:
                high[m] = middle[m]
    fitted = with_bias({m: round(0.5 * (low[m] + high[m]), 4) for m in methods})
    target = {f"local_share[{k}]": v for k, v in targets.local_share_by_method.items()}
    report = _fit_report(target, _moments(economy, circuit, cells, firms, fitted, targets, periods, draws, seed))
    objective = float((report["difference"] ** 2).sum())
    at_bound = any(abs(fitted.entry_bias(m)) > bound - 1e-3 for m in methods)
    names = tuple(f"local_entry_bias[{m}]" for m in methods)
    return CalibrationResult(fitted, report, objective, not at_bound, names)


def register_cells(
    register: pd.DataFrame, *, category_sectors=REGISTER_CATEGORY_SECTORS, unit_scale: float = 1e6
) -> BudgetCells:
    """Budget cells with a register's value, contracts and local share per (category, size class, method).

    Parameters
    ----------
    register : pandas.DataFrame
        A register from :func:`simengine.procurement.read_register` (columns ``sector``,
        ``size_class``, ``method``, ``value``, ``award_weight``, ``is_local``); its ``sector``
        holds procurement categories.
    category_sectors : mapping
        Economy sector code executing each category (default :data:`REGISTER_CATEGORY_SECTORS`).
    unit_scale : float
        Currency units per model money unit (1e6: KRW million).

    Returns
    -------
    BudgetCells
        ``annual_amount`` = the register's value (one register = one year), mean contract value
        = value / awards, baseline local share = the cell's value-based local share (0 where
        no supplier location is known).
    """
    from ..procurement import spend_analysis
    from .scenario import SCENARIO_METHODS, SIZE_CLASSES

    unknown = sorted(set(register["sector"].astype(str)) - set(category_sectors))
    if unknown:
        raise DataError(f"register categories {unknown} have no sector; give category_sectors for them")
    cube = spend_analysis(register, by=("sector", "size_class", "method")).drop_sel(
        sector="all", size_class="all", method="all"
    )
    categories = tuple(str(c) for c in cube["sector"].values)
    size_classes = tuple(c for c in SIZE_CLASSES if c in cube["size_class"].values)
    methods = tuple(str(m) for m in cube["method"].values)
    cube = cube.reindex({"sector": list(categories), "size_class": list(size_classes), "method": list(methods)})
    value = np.nan_to_num(cube["value"].values) / unit_scale
    contracts = np.nan_to_num(cube["contracts"].values)
    return BudgetCells(
        categories=categories,
        category_sectors=tuple(category_sectors[c] for c in categories),
        size_classes=size_classes,
        methods=tuple(SCENARIO_METHODS.get(m, m) for m in methods),
        annual_amount=value,
        baseline_local_share=np.nan_to_num(cube["local_share_value"].values),
        mean_contract_value=np.divide(value, contracts, out=np.zeros_like(value), where=contracts > 0),
    )


def calibrate_to_register(
    register: pd.DataFrame,
    economy: LocalEconomy,
    circuit: AgentCircuit,
    *,
    periods: int = 24,
    draws: int = 2,
    seed: int = 0,
    n_firms: int = 25_000,
    max_evaluations: int = 60,
) -> CalibrationResult:
    """Fit the local entry bias of every method to a register's local award shares by method.

    The budget is :func:`register_cells` of the register, the firms
    :func:`~simengine.agents.generate_firms` (seed ``seed``), the targets
    :meth:`CalibrationTargets.from_spend` (shares only: a register does not record bidders);
    :func:`calibrate_local_entry` with ``max_evaluations - 1`` bisection rounds (at most 24).
    """
    from ..procurement import spend_analysis

    cells = register_cells(register)
    targets = CalibrationTargets.from_spend(spend_analysis(register, by=("method",)))
    firms = generate_firms(economy, cells, circuit, n_firms=n_firms, seed=seed)
    return calibrate_local_entry(
        economy,
        circuit,
        cells,
        targets,
        firms=firms,
        periods=periods,
        draws=draws,
        seed=seed,
        rounds=min(24, max(1, max_evaluations - 1)),
    )
