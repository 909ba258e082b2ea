"""Agent-derived responses: the analytic levers' response parameters fitted to the agent model.

For each behavioural lever kind (:data:`PLANS`), the agent model runs the shipped budget cells
with the lever at each size of a grid and without it, with the same draws (common random
numbers), and measures per budget cell the realised local award share and the price paid. The
kind's analytic rule (its ``effect``, through :func:`simengine.levers.apply_levers`: the one
definition) is then fitted to those measurements by weighted least squares:

- rows: each grid size x each budget cell the lever selects (and that has awards);
- share rows: the agent's gain in local share ``s_lever - s_base`` against the analytic gain at
  the agent's own baseline share ``s_base`` (the parameters are fractions of a gap, measured in
  the agent's terms);
- cost rows (kinds with a cost parameter): the agent's price change ``paid_lever / paid_base - 1``
  against the analytic premium (fraction of the cell's amount);
- weights: each cell's share of the selected amount.

Standard errors: a grouped jackknife over draws (:data:`JACKKNIFE_GROUPS` groups). Shares and
prices are value-weighted over the draws of a sample (ratios of sums), so cells with few
contracts do not dominate. The fit runs on the selected cells together and on each method's
cells alone. Precision: the command states the standard error of every grid size's mean share
gain against a target (``precision``) and the draws that would meet it.
"""

from __future__ import annotations

import datetime
import math
import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares
from tqdm.auto import tqdm

from .. import __version__
from ..errors import ScenarioError
from ..kernels import layout
from ..levers import LEVER_KINDS, AgentContext, BudgetArrays, apply_levers
from ..levers.response_sets import FORMAT, FORMAT_VERSION, _field_bounds
from ..procurement.vocabulary import contract_type_of

__all__ = [
    "Plan",
    "PLANS",
    "DEFAULT_DRAWS",
    "DEFAULT_MONTHS",
    "DEFAULT_SEED",
    "DEFAULT_PRECISION",
    "JACKKNIFE_GROUPS",
    "Measurements",
    "KindFit",
    "derive_responses",
    "fit_kind",
    "response_document",
    "command_line",
    "fit_text",
]

#: Defaults of ``simengine agents derive-responses``.
DEFAULT_DRAWS = 64
DEFAULT_MONTHS = 36
DEFAULT_SEED = 20261201
#: Target standard error of each grid size's mean share gain (fraction).
DEFAULT_PRECISION = 0.01
#: Groups of draws of the jackknife standard errors.
JACKKNIFE_GROUPS = 8


@dataclass(frozen=True)
class Plan:
    """How one lever kind is run over its grid of sizes.

    Attributes
    ----------
    kind : str
        Lever kind.
    size_field : str
        The lever field that carries its size.
    sizes : tuple of float
        Grid of sizes (fractions, or the budget's money unit when ``money``).
    fitted : tuple of str
        Response fields fitted (the others keep their defaults).
    money : bool
        Whether the size is a money value (in the budget's currency and unit).
    per_contract_type : bool
        One lever per contract type of the budget (kinds that need a sector scope); else one
        lever on every cell.
    fixed : mapping
        Other fields of the lever (money values in the budget's unit).
    """

    kind: str
    size_field: str
    sizes: tuple[float, ...]
    fitted: tuple[str, ...]
    money: bool = False
    per_contract_type: bool = False
    fixed: Mapping[str, object] = None

    @property
    def fits_share(self) -> bool:
        """Whether a fitted field moves the local share (not only the cost)."""
        return any(not name.startswith("cost") for name in self.fitted)

    def levers(self, size: float, budget) -> list:
        """The lever models of one grid size on ``budget`` (a :class:`simengine.scenario.Budget`)."""
        unit = f"{budget.currency} {budget.monetary_unit}"

        def value(v):
            return {"amount": float(v), "unit": unit} if isinstance(v, int | float) and self.money else v

        fields = {
            k: ({"amount": float(v), "unit": unit} if k.endswith("_per_lot") else v)
            for k, v in (self.fixed or {}).items()
        }
        fields[self.size_field] = value(size)
        cls = LEVER_KINDS[self.kind]
        if not self.per_contract_type:
            return [cls.model_validate({"kind": self.kind, **fields})]
        types = dict.fromkeys(contract_type_of(cell.sector) for cell in budget.cell)
        return [cls.model_validate({"kind": self.kind, "contract_type": t, **fields}) for t in types]


#: The behavioural lever kinds and their grids. Sizes: money in the budget's unit (the shipped
#: budget: KRW million), else fractions.
PLANS: dict[str, Plan] = {
    plan.kind: plan
    for plan in (
        Plan(
            "set_aside",
            "max_contract_value",
            (50.0, 100.0, 200.0, 1000.0),
            ("gap_closed", "cost_premium"),
            money=True,
            per_contract_type=True,
            fixed={"reserved_for": ["local_sme"]},
        ),
        Plan(
            "contract_unbundling",
            "lot_threshold",
            (300.0, 1000.0, 3000.0, 10000.0),
            ("uptake",),
            money=True,
            per_contract_type=True,
            fixed={"admin_cost_per_lot": 10.0},
        ),
        Plan(
            "eligibility_relaxation",
            "requirement_reduction",
            (0.1, 0.25, 0.5, 0.75),
            ("gap_closed_per_reduction", "cost_premium_per_reduction"),
            per_contract_type=True,
        ),
        Plan(
            "local_contribution_score",
            "weight",
            (0.05, 0.1, 0.2, 0.3),
            ("gap_closed_per_weight", "cost_premium_per_weight"),
        ),
        Plan(
            "bid_price_preference",
            "discount",
            (0.02, 0.05, 0.1, 0.2),
            ("gap_closed_per_discount", "cost_premium_per_discount"),
        ),
        Plan(
            "local_coexistence_plan", "min_local_subcontract_share", (0.1, 0.2, 0.3, 0.5), ("cost_premium_per_share",)
        ),
    )
}


@dataclass(frozen=True)
class Measurements:
    """What the agent model measured for one kind: value awarded and won locally, per draw and budget cell.

    Attributes
    ----------
    awarded_base, local_base : ndarray (draws, cells)
        Without the lever (money, summed over the months).
    awarded, local : ndarray (sizes, draws, cells)
        With the lever at each grid size.
    """

    awarded_base: np.ndarray
    local_base: np.ndarray
    awarded: np.ndarray
    local: np.ndarray

    def sample(self, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Baseline share (cells,), share gain and price change (sizes, cells) and valid cells, over draws ``keep``.

        Shares and prices are ratios of sums over the kept draws; a cell is valid when it has
        awards with and without the lever at every size.
        """
        paid_base = self.awarded_base[keep].sum(0)
        paid = self.awarded[:, keep].sum(1)
        valid = (paid_base > 0) & np.all(paid > 0, axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            base = np.where(paid_base > 0, self.local_base[keep].sum(0) / paid_base, np.nan)
            share = np.where(paid > 0, self.local[:, keep].sum(1) / paid, np.nan)
            price = np.where(valid, paid / paid_base - 1.0, 0.0)
        return base, np.where(valid, share - base, 0.0), price, valid


@dataclass(frozen=True)
class KindFit:
    """The fit of one kind: values and standard errors (all selected cells, and by method) and the report."""

    kind: str
    values: dict[str, float]
    standard_error: dict[str, float]
    by_method: dict[str, tuple[dict[str, float], dict[str, float]]]
    report: dict[str, object]


def _weights(budget: BudgetArrays, selected: np.ndarray, valid: np.ndarray) -> np.ndarray:
    amount = np.where(selected & valid, budget.amount, 0.0)
    total = amount.sum()
    return amount / total if total > 0 else amount


def _predict(plan: Plan, budget: BudgetArrays, levers: Sequence[Sequence], base: np.ndarray, values: Mapping):
    """Analytic share gain and premium (sizes, cells) at the agent's baseline shares ``base``."""
    cells = replace(budget, baseline=np.nan_to_num(base, nan=0.0))
    gain, premium = [], []
    for size_levers in levers:
        effect = apply_levers(
            cells, size_levers, 0, start_year=0, responses=dict.fromkeys(range(len(size_levers)), values)
        )
        gain.append(effect.local_share - cells.baseline)
        premium.append(effect.cost_premium)
    return np.array(gain), np.array(premium)


def _least_squares(plan, budget, levers, base, gain, price, rows, start) -> tuple[dict[str, float], np.ndarray]:
    """Fitted values of ``plan.fitted`` over the cells ``rows`` (weights, cells,) and the Jacobian's column norms."""
    names = plan.fitted
    bounds = np.array([_field_bounds(plan.kind, n) for n in names]).T
    costs = [n for n in names if n.startswith("cost")]
    root = np.sqrt(rows)

    def residuals(x):
        values = {**start, **dict(zip(names, x, strict=True))}
        predicted_gain, predicted_premium = _predict(plan, budget, levers, base, values)
        parts = [((gain - predicted_gain) * root).ravel()] if plan.fits_share else []
        if costs:
            parts.append(((price - predicted_premium) * root).ravel())
        return np.concatenate(parts)

    x0 = np.clip([start[n] for n in names], bounds[0], bounds[1])
    outcome = least_squares(
        residuals,
        x0,
        bounds=(bounds[0], bounds[1]),
        x_scale=np.maximum(np.abs(x0), 0.1),
        xtol=1e-12,
        ftol=1e-12,
        gtol=1e-12,
    )
    # a value within 1e-9 of a bound is on it (the bounded solver stops a hair inside)
    x = [
        next((float(b) for b in bound if abs(v - b) < 1e-9), float(v))
        for v, bound in zip(outcome.x, bounds.T, strict=True)
    ]
    return dict(zip(names, x, strict=True)), np.linalg.norm(outcome.jac, axis=0)


def _r2(observed: np.ndarray, predicted: np.ndarray, weights: np.ndarray) -> float:
    w = np.broadcast_to(weights, observed.shape)
    mean = (w * observed).sum() / w.sum() if w.sum() > 0 else 0.0
    total = (w * (observed - mean) ** 2).sum()
    return float(1.0 - (w * (observed - predicted) ** 2).sum() / total) if total > 0 else float("nan")


def _first_size_gain(measured: Measurements, budget: BudgetArrays, selected: np.ndarray) -> float:
    """Regression value: the mean share gain at the first grid size over the first two draws (cells with
    awards with and without the lever), which a two-draw run of that size alone reproduces."""
    first = Measurements(
        measured.awarded_base[:2], measured.local_base[:2], measured.awarded[:1, :2], measured.local[:1, :2]
    )
    _, gain, _, valid = first.sample(np.arange(2))
    return float((gain[0] * _weights(budget, selected, valid)).sum())


def fit_kind(
    plan: Plan,
    budget: BudgetArrays,
    levers: Sequence[Sequence],
    methods: Sequence[str],
    measured: Measurements,
    *,
    groups: int = JACKKNIFE_GROUPS,
    precision: float = DEFAULT_PRECISION,
) -> KindFit:
    """Fit one kind's analytic response parameters to the agent's measurements (see the module docstring).

    Parameters
    ----------
    plan : Plan
        The kind, its grid and the fitted fields.
    budget : BudgetArrays
        The budget cells (amounts weight the rows).
    levers : sequence of sequences of lever models
        The levers at each grid size (as :meth:`Plan.levers` builds them).
    methods : sequence of str
        Scenario method of each budget cell.
    measured : Measurements
        The agent's awards per draw and cell.
    groups : int
        Jackknife groups of draws (at most the number of draws).
    precision : float
        Target standard error of each grid size's mean share gain (fraction).

    Returns
    -------
    KindFit
    """
    draws = measured.awarded_base.shape[0]
    if draws < 2:
        raise ScenarioError(f"derive-responses needs at least 2 draws for standard errors, got {draws}")
    start = LEVER_KINDS[plan.kind].model_fields["response"].annotation().values()
    selected = np.zeros(len(budget.amount), dtype=bool)
    for lever in levers[0]:
        selected |= lever.select(budget)
    every = np.arange(draws)
    blocks = np.array_split(every, min(groups, draws))
    methods = np.asarray(methods)

    def fit(keep, mask):
        base, gain, price, valid = measured.sample(keep)
        rows = _weights(budget, selected & mask, valid)
        if rows.sum() == 0:
            return None, None, None
        values, norms = _least_squares(plan, budget, levers, base, gain, price, rows, start)
        return values, norms, (base, gain, price, rows)

    def jackknife(mask, full):
        samples = []
        for block in blocks:
            values, _, _ = fit(np.setdiff1d(every, block), mask)
            samples.append([values[n] for n in full])
        samples = np.array(samples)
        g = len(blocks)
        spread = np.sqrt((g - 1) / g * ((samples - samples.mean(0)) ** 2).sum(0))
        return dict(zip(full, map(float, spread), strict=True))

    everything = np.ones(len(budget.amount), dtype=bool)
    values, norms, (base, gain, price, rows) = fit(every, everything)
    errors = jackknife(everything, values)
    by_method = {}
    for method in dict.fromkeys(methods[selected]):
        m_values, m_norms, _ = fit(every, methods == method)
        if m_values is None:
            continue
        identified = {n: v for (n, v), norm in zip(m_values.items(), m_norms, strict=True) if norm > 1e-9}
        if identified:
            m_errors = jackknife(methods == method, m_values)
            by_method[str(method)] = (identified, {n: m_errors[n] for n in identified})
    predicted_gain, predicted_premium = _predict(plan, budget, levers, base, {**start, **values})

    def mean_gain(keep):
        b, g, _, v = measured.sample(keep)
        w = _weights(budget, selected, v)
        return (g * w).sum(1)

    gains = np.array([mean_gain(np.setdiff1d(every, block)) for block in blocks])
    g = len(blocks)
    gain_se = np.sqrt((g - 1) / g * ((gains - gains.mean(0)) ** 2).sum(0))
    worst = float(gain_se.max())
    first_two = _first_size_gain(measured, budget, selected)
    report = {
        "size_field": plan.size_field,
        "sizes": [float(s) for s in plan.sizes],
        "agent_share_gain": [float(v) for v in (gain * rows).sum(1)],
        "agent_share_gain_se": [float(v) for v in gain_se],
        "analytic_share_gain": [float(v) for v in (predicted_gain * rows).sum(1)],
        "agent_price_change": [float(v) for v in (price * rows).sum(1)],
        "analytic_premium": [float(v) for v in (predicted_premium * rows).sum(1)],
        "r2_share": _r2(gain, predicted_gain, rows) if plan.fits_share else None,
        "at_bound": [n for n in values if any(abs(values[n] - b) < 1e-9 for b in _field_bounds(plan.kind, n))],
        "r2_cost": _r2(price, predicted_premium, rows) if any(n.startswith("cost") for n in plan.fitted) else None,
        "cells": int((rows > 0).sum()),
        "precision_target": float(precision),
        "largest_gain_se": worst,
        "precision_met": bool(worst <= precision),
        "draws_for_precision": int(math.ceil(draws * (worst / precision) ** 2)) if precision > 0 else draws,
        "check_share_gain_first_two_draws": first_two,
    }
    report = {k: v for k, v in report.items() if v is not None}
    return KindFit(plan.kind, values, errors, by_method, report)


def _scenario_inputs(scenario):
    """Economy, circuit, agent cells, firms, households, parameters and lever context of a scenario
    (:func:`simengine.agent_adapter.agent_inputs`, the inputs agent mode runs)."""
    from ..agent_adapter import agent_inputs
    from ..region_context import region_context
    from .populations import Households

    context = region_context(scenario.scenario.region)
    table_scale, circuit, cells, parameters, firms = agent_inputs(scenario, context)
    lever_context = AgentContext(
        scenario.budget.currency, table_scale, parameters, BudgetArrays.from_budget(scenario.budget)
    )
    return context.economy, circuit, cells, firms, Households.by_income_quintile(circuit), parameters, lever_context


def _cell_index(budget, cells) -> np.ndarray:
    """Index of each scenario budget cell in the agent model's flattened cells."""
    from .scenario import SCENARIO_METHODS

    return np.array(
        [
            np.ravel_multi_index(
                (
                    cells.categories.index(c.sector),
                    cells.size_classes.index(c.size_class),
                    cells.methods.index(SCENARIO_METHODS[c.method]),
                ),
                cells.shape,
            )
            for c in budget.cell
        ]
    )


def code_version() -> str:
    """The package version, with the git commit of the checkout when it is one (``0.1.0+g1a2b3c4``)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return __version__
    return f"{__version__}+g{commit}" if commit else __version__


def derive_responses(
    scenario,
    *,
    kinds: Sequence[str] | None = None,
    draws: int = DEFAULT_DRAWS,
    months: int = DEFAULT_MONTHS,
    seed: int = DEFAULT_SEED,
    workers: int | None = None,
    precision: float = DEFAULT_PRECISION,
    plans: Mapping[str, Plan] | None = None,
    progress: bool = False,
    on_start: Callable[[float], None] | None = None,
) -> dict[str, KindFit]:
    """Run the agent model over each kind's grid on a scenario's budget cells and fit the responses.

    Parameters
    ----------
    scenario : simengine.scenario.Scenario
        The baseline whose budget cells, region and firm population (``scenario.seed``) are used;
        its own levers are ignored.
    kinds : sequence of str, optional
        Lever kinds to derive (default: every kind of ``plans``).
    draws, months, seed : int
        Monte Carlo draws (common to every run), months per run, root seed of the draws.
    workers : int, optional
        Threads of the agent kernel (default: all). Results do not depend on it.
    precision : float
        Target standard error of each grid size's mean share gain (fraction).
    plans : mapping, optional
        Grids by kind (default :data:`PLANS`).
    progress : bool
        Show a progress bar over the agent runs.
    on_start : callable, optional
        Called with the estimated core-seconds once the work has been checked.

    Returns
    -------
    dict
        Kind -> :class:`KindFit`.

    Raises
    ------
    ScenarioError
        Unknown kind, fewer than 2 draws, or work beyond the agent model's limits
        (:data:`simengine.agents.model.MAX_SECONDS`, ``MAX_BYTES``), refused before any run.
    """
    from .model import MAX_BYTES, MAX_SECONDS, estimate_work, pack_inputs
    from .montecarlo import draw_keys, run_draws

    plans = PLANS if plans is None else plans
    chosen = list(plans) if kinds is None else list(kinds)
    unknown = [k for k in chosen if k not in plans]
    if unknown:
        raise ScenarioError(f"derive-responses: unknown lever kinds {unknown}; valid: {', '.join(plans)}")
    if draws < 2 or months < 1:
        raise ScenarioError(f"derive-responses needs draws >= 2 and months >= 1, got draws={draws}, months={months}")
    economy, circuit, cells, firms, households, parameters, context = _scenario_inputs(scenario)
    budget = context.budget
    index = _cell_index(scenario.budget, cells)
    methods = [c.method for c in scenario.budget.cell]
    from ..levers import agent_levers

    runs = {"baseline": pack_inputs(economy, circuit, cells, (), firms, households, parameters)}
    grid_levers = {}
    for kind in chosen:
        grid_levers[kind] = [plans[kind].levers(size, scenario.budget) for size in plans[kind].sizes]
        for g, levers in enumerate(grid_levers[kind]):
            runs[(kind, g)] = pack_inputs(
                economy, circuit, cells, agent_levers(levers, context), firms, households, parameters
            )
    memory, seconds = 0.0, 0.0
    for inputs in runs.values():
        m, s, _ = estimate_work(inputs, draws=draws, periods=months)
        memory, seconds = max(memory, m), seconds + s
    if memory > MAX_BYTES or seconds > MAX_SECONDS:
        what = f"about {memory / 2**30:,.1f} GB" if memory > MAX_BYTES else f"about {seconds / 3600:,.1f} core-hours"
        raise ScenarioError(
            f"derive-responses too large: {what} for {len(runs)} agent runs of {draws} draws x {months} months; "
            f"limits are {MAX_BYTES / 2**30:.0f} GB per run and {MAX_SECONDS / 3600:.0f} core-hour in all: lower "
            "--draws or --months, or derive fewer --kind"
        )
    if on_start is not None:
        on_start(seconds)
    keys = draw_keys(seed, draws)
    awarded, local = {}, {}
    with tqdm(total=len(runs), disable=not progress, unit="run", desc="agent runs") as bar:
        for name, inputs in runs.items():
            raw = run_draws(inputs, keys, months, workers=workers)
            awarded[name] = raw.cell[:, index, layout.Q_AWARDED]
            local[name] = raw.cell[:, index, layout.Q_LOCAL]
            bar.update(1)
    fits = {}
    for kind in chosen:
        sizes = range(len(plans[kind].sizes))
        measured = Measurements(
            awarded["baseline"],
            local["baseline"],
            np.array([awarded[(kind, g)] for g in sizes]),
            np.array([local[(kind, g)] for g in sizes]),
        )
        fits[kind] = fit_kind(plans[kind], budget, grid_levers[kind], methods, measured, precision=precision)
    return fits


def command_line(
    scenario_path,
    *,
    draws: int,
    months: int,
    seed: int,
    kinds: Sequence[str] = (),
    precision: float = DEFAULT_PRECISION,
) -> str:
    """The ``simengine agents derive-responses`` command that reproduces a run (without ``-o``)."""
    parts = [
        "simengine agents derive-responses",
        f"--scenario {Path(scenario_path).as_posix()}",
        f"--draws {draws}",
        f"--months {months}",
        f"--seed {seed}",
        f"--precision {precision:g}",
    ]
    parts += [f"--kind {k}" for k in kinds]
    return " ".join(parts)


def response_document(
    fits: Mapping[str, KindFit],
    *,
    scenario,
    draws: int,
    months: int,
    seed: int,
    command: str,
    timing: Mapping[str, float] | None = None,
) -> dict:
    """The response file of ``fits`` as a TOML document (:mod:`simengine.levers.response_sets` reads it).

    ``timing`` (e.g. ``wall_seconds``, ``cpu_seconds`` of the run) goes into the provenance.
    """
    from ..provenance import scenario_hash

    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "provenance": {
            "command": command,
            "seed": int(seed),
            "draws": int(draws),
            "months": int(months),
            "scenario": scenario.scenario.id,
            "scenario_hash": scenario_hash(scenario),
            "region": scenario.scenario.region,
            "firm_seed": int(scenario.scenario.seed),
            "code_version": code_version(),
            "date": datetime.datetime.now(datetime.UTC).date().isoformat(),
            **{key: float(value) for key, value in (timing or {}).items()},
            "cores": os.cpu_count() or 1,
            "method": "weighted least squares of each kind's analytic rule on the agent model's share gains "
            "and price changes per budget cell; grouped jackknife standard errors over draws",
        },
    }
    for kind, fit in fits.items():
        document[kind] = {
            **fit.values,
            "standard_error": fit.standard_error,
            "method": {m: {**v, "standard_error": e} for m, (v, e) in fit.by_method.items()},
            "fit": fit.report,
        }
    return document


def fit_text(fits: Mapping[str, KindFit]) -> str:
    """The fit report as text: per kind the fitted values beside the literature values, then the grid."""
    lines = []
    for kind, fit in fits.items():
        literature = LEVER_KINDS[kind].model_fields["response"].annotation().values()
        report = fit.report
        r2 = [f"R2 {part} {report[f'r2_{part}']:.3f}" for part in ("share", "cost") if f"r2_{part}" in report]
        lines.append(f"{kind}  (cells {report['cells']}, {', '.join(r2)})")
        for name, value in fit.values.items():
            lines.append(
                f"  {name:<28} {value:9.4f}  s.e. {fit.standard_error[name]:.4f}   literature {literature[name]}"
            )
        for method, (values, errors) in fit.by_method.items():
            shown = ", ".join(f"{n} {v:.4f} ({errors[n]:.4f})" for n, v in values.items())
            lines.append(f"    {method:<14} {shown}")
        lines.append(f"  {report['size_field']:>28}  agent gain (s.e.)   analytic   agent price   analytic premium")
        for k, size in enumerate(report["sizes"]):
            lines.append(
                f"  {size:28g}  {report['agent_share_gain'][k]:8.4f} ({report['agent_share_gain_se'][k]:.4f})"
                f"  {report['analytic_share_gain'][k]:8.4f}   {report['agent_price_change'][k]:10.4f}"
                f"   {report['analytic_premium'][k]:10.4f}"
            )
        met = "met" if report["precision_met"] else f"NOT met: about {report['draws_for_precision']} draws needed"
        lines.append(
            f"  precision: largest s.e. {report['largest_gain_se']:.4f} vs target "
            f"{report['precision_target']:.4f} ({met})"
        )
    return "\n".join(lines)
