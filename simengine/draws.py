"""The draw-axis engine: scenarios reduced to arrays with a leading column axis, solved as multiplier rows.

A batch is a set of scenarios times a parameter axis: random draws of response parameters
(:mod:`simengine.uncertainty`), and sweep points whose swept keys are numeric lever fields or
``[circuit]`` settings (:mod:`simengine.sweeps`). :func:`prepare_draws` applies the levers to whole
``(columns, cells)`` arrays (no model per column); :func:`evaluate_draws` turns every
scenario-column-year into the headline totals a ranking needs (:data:`HEADLINE_TOTALS`) through
multiplier rows, and :func:`evaluate_accounts` into full per-sector accounts. Every distinct circuit
(by signature: one per scenario-period, or one per column where swept circuit settings vary by
column) is factorised once, all of them as one stack, and each column is multiplied or solved by
its own circuit (:func:`simengine.accounts.member_product`,
:meth:`simengine.accounts.LeontiefStack.solve_members`), so a column never depends on the others.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .accounts import LeontiefStack, column_product, member_product
from .circuit import (
    INSTITUTIONS,
    SURPLUS_RECIPIENTS,
    Circuit,
    CircuitArrays,
    CircuitStack,
    circuit_coefficients,
    surplus_rows,
)
from .circuit import LEAKAGE_CHANNELS as CIRCUIT_CHANNELS
from .circuit_settings import settings_arrays
from .errors import ScenarioError
from .evaluation import BudgetCells
from .levers import LeverBase, apply_circuit_levers, apply_levers, programme_cost
from .levers import consumption_injection as _consumption_injection
from .region_context import (
    RegionContext,
    circuit_signature,
    circuit_stack,
    column_circuits,
    employment_factor,
    scenario_circuit_values,
    with_values,
)
from .results import HEADLINE_TOTALS
from .scenario.schema import Scenario

__all__ = ["HEADLINE_TOTALS", "PointArrays", "DrawPrepared", "prepare_draws", "evaluate_draws", "evaluate_accounts"]


def _responses(scenario: Scenario, values: dict[str, np.ndarray]) -> dict[int, dict[str, np.ndarray]]:
    """Per lever position, the drawn response parameters as ``(draws, 1)`` arrays."""
    out = {}
    for position, lever in enumerate(scenario.lever):
        if lever.ACTS_ON_CELLS:
            drawn = {f: values[f"{lever.kind}.{f}"][:, None] for f in lever.priors() if f"{lever.kind}.{f}" in values}
            if drawn:
                out[position] = drawn
    return out


@dataclass(frozen=True)
class PointArrays:
    """Sweep points of one base scenario as arrays along a point axis (no model per point).

    Attributes
    ----------
    ids : list of str
        Scenario id of each point (``{base id}-sweep{k:04d}``).
    fields : dict
        Per lever position, lever fields (:func:`simengine.levers.array_field`, table
        ``"lever"``) -> ``(points,)`` values.
    responses : dict
        Per lever position, response parameters -> ``(points,)`` values.
    circuit : dict
        ``[circuit]`` settings (:data:`simengine.circuit_settings.CIRCUIT_KEYS`) -> ``(points,)``
        values: each point then has its own circuit coefficients.
    """

    ids: list[str]
    fields: dict[int, dict[str, np.ndarray]]
    responses: dict[int, dict[str, np.ndarray]]
    circuit: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.ids)

    def take(self, rows: slice) -> PointArrays:
        """The points ``rows`` (a slice) as their own :class:`PointArrays`."""
        return PointArrays(
            self.ids[rows],
            {i: {f: v[rows] for f, v in fs.items()} for i, fs in self.fields.items()},
            {i: {f: v[rows] for f, v in fs.items()} for i, fs in self.responses.items()},
            {f: v[rows] for f, v in self.circuit.items()},
        )


@dataclass
class DrawPrepared:
    """A scenario reduced to arrays with a leading column axis (the twin of
    :class:`simengine.evaluation.Prepared`): column ``c = point * D + draw`` over ``P`` sweep
    points (1 without a sweep) and ``D`` draws. Money in the table's unit per year; ``(..., m)``
    and ``(m, ...)`` arrays vary with the column (``m = P D``), the others do not."""

    scenario: Scenario
    period_years: list[int]
    budget: np.ndarray  # (T,)
    deflator: float
    local_spending: np.ndarray  # (T, n, m), or (T, cells, m) by cell
    household_spending: np.ndarray  # (n, T)
    nonlocal_spending: np.ndarray  # (T, n, m), or by cell
    local_transfer: np.ndarray  # (T, n, m), or by cell
    local_awards: np.ndarray  # (m, T)
    real_volume: np.ndarray  # (m, T)
    cost_premium: np.ndarray  # (m, T)
    displaced: np.ndarray  # (n, T)
    circuit_values: list[dict[str, object]]  # per period
    nonlocal_transfer: np.ndarray | None = None  # (m, T) premium paid to firms elsewhere
    programme_cost: np.ndarray | None = None  # (T,)
    household_injection: np.ndarray | None = None  # (T,)
    over_budget: np.ndarray | None = None  # (m,) columns whose levers cost more than the budget in some year
    points: int = 1
    cell_sector: np.ndarray | None = None  # (cells,) sector index of each row of the spending arrays, if by cell
    column_circuits: bool = False  # circuit settings vary by column ((m,) arrays in circuit_values)
    fixed_spending: np.ndarray | None = None  # (3, n, T) by cell: local, non-local, transfer of cells no lever moves

    @property
    def draws(self) -> int:
        """Columns (points times draws)."""
        return self.local_spending.shape[2]


#: The spending rows of :func:`_split` kept per cell, in the order of ``DrawPrepared.fixed_spending``.
_SPENDING = ("local", "nonlocal", "transfer")


def _with_point_fields(scenario: Scenario, points: PointArrays | None, d: int) -> list:
    """The scenario's levers with swept lever fields set to ``(P D, 1)`` arrays (no validation:
    :func:`simengine.levers.array_field` fields enter the effects through array arithmetic only)."""
    levers = list(scenario.lever)
    if points is None:
        return levers
    for position, fields in points.fields.items():
        update = {f: np.repeat(np.asarray(v, dtype=float), d)[:, None] for f, v in fields.items()}
        levers[position] = levers[position].model_copy(update=update)
    return levers


def _column_responses(
    scenario: Scenario, values: dict[str, np.ndarray], points: PointArrays | None, d: int
) -> dict[int, dict[str, np.ndarray]]:
    """Per lever position, response parameters as ``(P D, 1)`` arrays: drawn ones (``values``,
    the same in every point) win over swept ones, as :func:`simengine.uncertainty.with_responses`
    sets a drawn parameter whatever the lever's own value."""
    p = 1 if points is None else points.size
    out: dict[int, dict[str, np.ndarray]] = {}
    if points is not None:
        for position, fields in points.responses.items():
            out[position] = {f: np.repeat(np.asarray(v, dtype=float), d)[:, None] for f, v in fields.items()}
    for position, drawn in _responses(scenario, values).items():
        tiled = {f: np.tile(v[:, 0], p)[:, None] for f, v in drawn.items()} if p > 1 else drawn
        out.setdefault(position, {}).update(tiled)
    return out


def prepare_draws(
    scenario: Scenario,
    context: RegionContext,
    values: dict[str, np.ndarray],
    draws: int,
    points: PointArrays | None = None,
    *,
    by_cell: bool = False,
) -> DrawPrepared:
    """Levers applied along the column axis: the arrays :func:`evaluate_draws` solves.

    ``values`` maps ``kind.field`` to ``(draws,)`` arrays (:func:`draw_parameters`); parameters
    of kinds the scenario does not use are ignored. ``points`` (optional) are sweep points of
    the scenario's numeric lever fields; columns are then every point times every draw. The
    same arithmetic as :func:`simengine.evaluation.prepare`, one year at a time, over
    ``(cells, columns)`` arrays of the cells some procurement lever selects (the others keep
    their baseline share in every column: one column per year). With ``by_cell`` the spending
    arrays stay by budget cell (``(T, cells, m)`` over the selected cells, each cell's sector in
    ``cell_sector``, the other cells' spending by sector in ``fixed_spending``):
    :func:`evaluate_draws` applies the multiplier rows of each cell's sector directly, without
    per-sector arrays.

    Raises
    ------
    ScenarioError
        Without ``points``, if in some draw the levers cost more than the whole budget; with
        ``points``, such columns are flagged in ``over_budget`` instead (the caller reports
        their points).
    """
    if scenario.scenario.mode == "agents":
        raise ScenarioError(f"scenario {scenario.scenario.id}: uncertainty comparisons run in analytic mode only")
    b = BudgetCells.of(scenario, context)
    appraisal = scenario.appraisal
    unit, cells, amounts, cell_sector, years, start = b.unit, b.cells, b.amounts, b.cell_sector, b.years, b.start
    p = 1 if points is None else points.size
    n, t, d = len(context.economy.sectors), len(years), draws * p
    levers = _with_point_fields(scenario, points, draws)
    responses = _column_responses(scenario, values, points, draws)
    # Cells no procurement lever selects keep their baseline share and no premium in every year
    # and column (every lever's effect is the identity where its selection is 0): their spending
    # is one column per year, and the levers apply to the (cells, columns) arrays of the others.
    active = np.zeros(len(amounts), dtype=bool)
    for lever in levers:
        if lever.ACTS_ON_CELLS:
            active |= lever.select(cells)
    on, off = np.flatnonzero(active), np.flatnonzero(~active)
    touched = cells.take(on)
    rows = len(on) if by_cell else n
    local, nonlocal_, transfer = np.zeros((t, rows, d)), np.zeros((t, rows, d)), np.zeros((t, rows, d))
    # per-column totals year-major (T, m), handed out as their (m, T) transposes
    awards, volume, premium = np.zeros((t, d)), np.zeros((t, d)), np.zeros((t, d))
    elsewhere_transfer = np.zeros((t, d))
    programmes, injections = np.zeros(t), np.zeros(t)
    displaced, extra = np.zeros((n, t)), np.zeros((n, t))
    over_budget = np.zeros(d, dtype=bool)
    base_values = scenario_circuit_values(scenario, context)
    if points is not None:  # swept circuit settings: one value per column (point * D + draw)
        base_values.update({k: np.repeat(np.asarray(v, dtype=float), draws) for k, v in points.circuit.items()})
    household_share = base_values["household_local_consumption_share"]
    households = context.parameters.households.local_purchases()
    mix = households / households.sum() if households.sum() > 0 else np.full(n, 1.0 / n)
    city = context.parameters.city.local_purchases()
    circuit_values = []
    as_transfer = appraisal.premium == "transfer"
    fixed = _split(amounts[off, None], cells.baseline[off, None], np.zeros((len(off), 1)), as_transfer)
    fixed_spending = np.zeros((3, n, t))
    for row, name in enumerate(_SPENDING):
        fixed_spending[row] = _by_sector(fixed[name], cell_sector[off], n)
    moving_amounts = amounts[on, None]
    # a lever's effect depends on the year through its ramp fraction alone: years whose ramps are
    # all equal (every year after the ramps end) share one evaluation
    splits: dict[tuple[float, ...], dict[str, np.ndarray]] = {}

    for k, year in enumerate(years):
        ramps = tuple(lever.ramp(year, start) for lever in levers if lever.ACTS_ON_CELLS)
        moving = splits.get(ramps)
        if moving is None:
            effect = apply_levers(touched, levers, year, start_year=start, responses=responses)
            share = np.ascontiguousarray(np.broadcast_to(effect.local_share, (d, len(on))).T)
            rate = np.ascontiguousarray(np.broadcast_to(effect.cost_premium, (d, len(on))).T)
            moving = splits[ramps] = _split(moving_amounts, share, rate, as_transfer)
        awards[k] = moving["awards"] + fixed["awards"]
        volume[k] = moving["volume"] + fixed["volume"]
        elsewhere_transfer[k] = moving["elsewhere_transfer"] + fixed["elsewhere_transfer"]
        for row, (out, name) in enumerate(zip((local, nonlocal_, transfer), _SPENDING, strict=True)):
            if by_cell:
                out[k] = moving[name]
            else:
                out[k] = _by_sector(moving[name], cell_sector[on], n) + fixed_spending[row, :, k : k + 1]
        programmes[k] = programme_cost(levers, year, start_year=start, monetary_unit=unit)
        premium[k] = moving["premium"] + fixed["premium"] + programmes[k]
        over = premium[k] > amounts.sum()
        if points is None and np.any(over):
            worst = float(premium[k].max())
            raise ScenarioError(
                f"scenario {scenario.scenario.id}: in some draws the levers cost {worst:,.0f} in {year}, more than "
                f"the whole budget ({amounts.sum():,.0f} {context.unit}); check the units of lever amounts"
            )
        over_budget |= over
        injections[k] = _injection(levers, year, start, household_share, unit, scenario.scenario.id)
        extra[:, k] = injections[k] * mix
        if appraisal.financing == "displaces_city_spending":
            displaced[:, k] = programmes[k] * city
        circuit_values.append(apply_circuit_levers(base_values, levers, year, start_year=start))
    return DrawPrepared(
        scenario=scenario,
        period_years=years,
        budget=np.full(t, amounts.sum()),
        deflator=employment_factor(scenario, context),
        local_spending=local,
        household_spending=extra,
        nonlocal_spending=nonlocal_,
        local_transfer=transfer,
        local_awards=awards.T,
        real_volume=volume.T,
        cost_premium=premium.T,
        displaced=displaced,
        circuit_values=circuit_values,
        nonlocal_transfer=elsewhere_transfer.T,
        programme_cost=programmes,
        household_injection=injections,
        over_budget=over_budget,
        points=p,
        cell_sector=cell_sector[on] if by_cell else None,
        fixed_spending=fixed_spending if by_cell else None,
        column_circuits=points is not None and bool(points.circuit),
    )


def _measures_injection(lever) -> bool:
    """Whether the lever's kind computes extra household spending
    (:meth:`simengine.levers.LeverBase.consumption_injection` overridden)."""
    return type(lever).consumption_injection is not LeverBase.consumption_injection


def injects_household_spending(levers: Sequence) -> bool:
    """Whether some lever adds household spending measured from the household local-consumption
    share: its kind computes one (:meth:`simengine.levers.LeverBase.consumption_injection`) and it
    is not zero from a zero share (e.g. ``household_local_consumption`` with a ``consumption_base``).
    That spending is one number per scenario, so the share cannot then vary by column."""
    return any(_measures_injection(lever) and lever.consumption_injection(0.0, 1.0, "one") != 0.0 for lever in levers)


def _injection(levers, year: int, start: int, household_share, unit: str, ident: str) -> float:
    """Extra local household spending in ``year`` (:func:`simengine.levers.consumption_injection`),
    one number per scenario: a household share that varies by column must give the same in each
    (checked at every distinct share when a lever computes such spending)."""
    if not isinstance(household_share, np.ndarray):
        return _consumption_injection(
            levers, year, start_year=start, baseline_share=float(household_share), monetary_unit=unit
        )
    shares = np.unique(household_share) if any(_measures_injection(lever) for lever in levers) else household_share[:1]
    values = {
        _consumption_injection(levers, year, start_year=start, baseline_share=float(b), monetary_unit=unit)
        for b in shares
    }
    if len(values) > 1:
        raise ScenarioError(
            f"scenario {ident}: its levers' extra household spending depends on "
            "circuit.household_local_consumption_share, which varies by column; run such a sweep scenario by scenario"
        )
    return values.pop()


def _total(rows: np.ndarray) -> np.ndarray:
    """Sum of the rows of a ``(cells, columns)`` array in cell order: a column's sum never depends
    on the other columns (``ndarray.sum(axis=0)`` changes its order with the memory layout)."""
    out = np.zeros(rows.shape[1])
    for row in rows:
        out += row
    return out


def _by_sector(rows: np.ndarray, sector: np.ndarray, n: int) -> np.ndarray:
    """``(cells, columns)`` -> ``(sectors, columns)``, each sector's cells added in cell order (as
    :func:`numpy.add.at`)."""
    out = np.zeros((n, rows.shape[1]))
    for row, j in zip(rows, sector, strict=True):
        out[j] += row
    return out


def _split(amounts: np.ndarray, share: np.ndarray, rate: np.ndarray, as_transfer: bool) -> dict[str, np.ndarray]:
    """The spending of budget cells in one year, given their local shares and cost premiums.

    ``amounts`` ``(cells, 1)`` (money per year), ``share`` and ``rate`` ``(cells, columns)``
    (fractions). A fixed budget buys ``amount / (1 + rate)``; with ``as_transfer`` (``[appraisal]
    premium = "transfer"``) the premium is a transfer to the winning firms (local ``transfer``,
    ``elsewhere_transfer``), else it is spent like the rest. Returns per-cell rows ``local``,
    ``nonlocal``, ``transfer`` ``(cells, columns)`` and the totals over the cells ``awards``,
    ``volume``, ``premium``, ``elsewhere_transfer`` ``(columns,)``, in the same arithmetic as
    :func:`simengine.evaluation.prepare`.
    """
    awarded = share * amounts
    bought = amounts / (1.0 + rate)
    out = {"awards": _total(awarded), "volume": _total(bought)}
    if as_transfer:
        extra_cost = amounts - bought
        elsewhere = 1.0 - share
        out["local"] = bought * share
        out["nonlocal"] = bought * elsewhere
        out["transfer"] = extra_cost * share
        out["elsewhere_transfer"] = _total(extra_cost * elsewhere)
        out["premium"] = _total(extra_cost)
    else:
        out["local"] = awarded
        out["nonlocal"] = amounts * (1.0 - share)
        out["transfer"] = np.zeros(share.shape)
        out["elsewhere_transfer"] = np.zeros(share.shape[1])
        out["premium"] = _total(rate * amounts)
    return out


def _regional_weights(context: RegionContext) -> tuple[np.ndarray, np.ndarray]:
    """Value-added coefficients ``(regions, n)`` and each other region's share of their output
    ``(regions - 1, n)``, the split of non-local spending (as :func:`simengine.evaluation._regional_effects`)."""
    model = context.model
    output = model.dataset["gross_output"].transpose("region", "sector").values
    va = model.dataset["value_added_coefficient"].transpose("region", "sector").values
    others = output[1:]
    totals = others.sum(axis=0)
    fallback = np.full_like(others, 1.0 / max(output.shape[0] - 1, 1))
    return va, np.divide(others, totals, out=fallback, where=totals > 0)


_ROWS: dict[int, tuple[object, np.ndarray]] = {}
_CIRCUITS: dict[tuple[int, bytes], tuple[RegionContext, Circuit]] = {}


def _circuit(context: RegionContext, key: bytes, values: dict[str, object]) -> Circuit:
    """The circuit of ``values`` (signature ``key``), factorised once per process and region."""
    cached = _CIRCUITS.get((id(context), key))
    if cached is not None and cached[0] is context:
        return cached[1]
    if len(_CIRCUITS) > 256:
        _CIRCUITS.clear()
    circuit = Circuit(context.economy, with_values(context, values))
    _CIRCUITS[(id(context), key)] = (context, circuit)
    return circuit


def _regional_rows(context: RegionContext) -> np.ndarray:
    """Rows ``(3, n)`` that turn local and non-local spending into the regional headline totals.

    The open multi-region model's effects that a ranking needs are linear in the spending, so
    they are multiplier rows (one transposed solve of the regional model, ``w' L``) times the
    spending, instead of the full multi-region solve of
    :func:`simengine.evaluation._regional_effects`: row 0 times local spending plus row 1 times
    non-local spending is value added in the other regions; row 2 times non-local spending is
    the local value added fed back by the other regions' purchases (feedback output times the
    local value-added rate). Non-local spending goes to the other regions in proportion to
    their output, as there.
    """
    cached = _ROWS.get(id(context))
    if cached is not None and cached[0] is context:
        return cached[1]
    model = context.model
    va, weights = _regional_weights(context)
    regions, n = va.shape
    targets = np.zeros((regions * n, 2))
    targets[n:, 0] = va[1:].reshape(-1)
    targets[:n, 1] = context.economy.compensation + context.economy.operating_surplus
    multipliers = model._system.solve_transposed(targets).T.reshape(2, regions, n)
    rows = np.vstack(
        [
            multipliers[0, 0],
            (multipliers[0, 1:] * weights).sum(axis=0),
            (multipliers[1, 1:] * weights).sum(axis=0),
        ]
    )
    _ROWS[id(context)] = (context, rows)
    return rows


_MATRICES: dict[int, tuple[object, np.ndarray, np.ndarray]] = {}


def _regional_matrices(context: RegionContext) -> tuple[np.ndarray, np.ndarray]:
    """Multiplier matrices of the open multi-region model's effects that a result reports.

    The effects of :func:`simengine.evaluation._regional_effects` are linear in local spending
    ``s`` and non-local spending ``e`` (sent to the other regions in proportion to their
    output): rows ``C`` of the regional inverse, ``C L`` (one transposed solve with ``2n + 2``
    right-hand sides), give ``S s + E e`` with ``S`` ``(n + 2, n)`` and ``E`` ``(2n + 2, n)``:
    rows ``0..n-1`` of ``S s + E[:n] e`` are ``nonlocal_output``, rows ``n..2n-1`` of ``E e``
    are ``feedback_output``, then ``other_value_added`` and ``national_output_open``. An
    ``(n + 2) x n`` and a ``(2n + 2) x n`` product per column instead of a solve of size
    ``regions x n`` with two right-hand sides.
    """
    cached = _MATRICES.get(id(context))
    if cached is not None and cached[0] is context:
        return cached[1], cached[2]
    model = context.model
    va, weights = _regional_weights(context)
    regions, n = va.shape
    targets = np.zeros((regions * n, 2 * n + 2))
    for r in range(1, regions):
        targets[r * n + np.arange(n), np.arange(n)] = 1.0  # other regions' output, summed over them
    targets[np.arange(n), n + np.arange(n)] = 1.0  # local output
    targets[n:, 2 * n] = va[1:].reshape(-1)  # value added in the other regions
    targets[:, 2 * n + 1] = 1.0  # output of every region
    rows = model._system.solve_transposed(targets).T.reshape(2 * n + 2, regions, n)
    local = rows[:, 0, :]
    elsewhere = (rows[:, 1:, :] * weights[None]).sum(axis=1)
    spending = np.ascontiguousarray(np.vstack([local[:n], local[2 * n :]]))
    _MATRICES[id(context)] = (context, spending, np.ascontiguousarray(elsewhere))
    return spending, np.ascontiguousarray(elsewhere)


def _regional_by_rows(spending: np.ndarray, elsewhere: np.ndarray, context: RegionContext) -> dict[str, np.ndarray]:
    """The result of :func:`simengine.evaluation._regional_effects` from :func:`_regional_matrices`."""
    on_local, on_elsewhere = _regional_matrices(context)
    n = spending.shape[0]
    s = column_product(on_local, spending)
    e = column_product(on_elsewhere, elsewhere)
    return {
        "nonlocal_output": s[:n] + e[:n],
        "feedback_output": e[n : 2 * n],
        "other_value_added": s[n] + e[2 * n],
        "national_output_open": s[n + 1] + e[2 * n + 1],
    }


def _row_total(values: np.ndarray) -> np.ndarray:
    """Sum of the rows, one after the other: a column's total never depends on the other columns
    (``ndarray.sum(axis=0)`` changes its order with the memory layout)."""
    out = np.zeros(values.shape[1])
    for row in values:
        out += row
    return out


def _circuit_targets(economy) -> np.ndarray:
    """What each circuit account's receipts count for, ``(accounts, 4)``: local value added and
    employment (persons) per unit of industry output, household income, city tax."""
    n = len(economy.sectors)
    targets = np.zeros((n + len(INSTITUTIONS), 4))
    targets[:n, 0] = economy.compensation + economy.operating_surplus
    targets[:n, 1] = economy.employment
    targets[n, 2] = 1.0
    targets[n + 1, 3] = 1.0
    return targets


def _circuit_rows(circuit: Circuit | CircuitStack) -> np.ndarray:
    """Rows ``(4, accounts)`` of a circuit, or ``(K, 4, accounts)`` of a stack: the targets of
    :func:`_circuit_targets` per unit injected into each account of the closed circuit (one
    transposed solve per circuit; a stack's members in one kernel call, each member's bits the
    same as its own circuit's)."""
    if isinstance(circuit, CircuitStack):
        return circuit.multipliers(_circuit_targets(circuit.economy))
    return np.ascontiguousarray(circuit._system.solve_transposed(_circuit_targets(circuit.economy)).T)


_HEADLINE_ROWS: dict[tuple[int, bytes], tuple[RegionContext, tuple[np.ndarray, ...]]] = {}


def _rows_from(context: RegionContext, weights: np.ndarray, receipts: np.ndarray) -> tuple[np.ndarray, ...]:
    """The rows of :func:`_headline_rows` that depend on the circuit, of a stack of circuits: from their
    rows ``weights`` ``(K, 4, accounts)`` and the institutions' first-round receipts per unit of each
    industry's surplus ``(K, 3, n)``, ``on_local`` ``(K, 5, n)``, ``on_transfer`` ``(K, 4, n)`` and
    ``on_displaced`` ``(K, 3, n)``. Member ``k`` gets the same bits as the stack of that member alone."""
    count, n = receipts.shape[0], receipts.shape[2]
    regional = _regional_rows(context)
    on_local = np.empty((count, 5, n))
    on_local[:, :4] = weights[:, :, :n]
    on_local[:, 4] = regional[0]
    # weights[:, :, n:] times receipts, summed over the institutions in order (as column_product)
    on_transfer = weights[:, :, n, None] * receipts[:, None, 0]
    for j in range(1, receipts.shape[1]):
        on_transfer += weights[:, :, n + j, None] * receipts[:, None, j]
    return on_local, on_transfer, np.ascontiguousarray(weights[:, [0, 2, 3], :n])


def _headline_rows(context: RegionContext, values_of: dict[bytes, np.ndarray]) -> tuple[np.ndarray, ...]:
    """Multiplier rows of each circuit (``values_of``: signature -> settings row of
    :func:`simengine.circuit_settings.settings_table`, in the order of the stacks returned) that
    give the headline totals straight from the spending arrays.

    Every total is linear in local spending ``s``, premium transfers ``t`` and non-local
    spending ``e`` of a column: ``on_local`` ``(K, 5, n)`` times ``s`` gives local value added,
    employment, household income, city tax (the circuit's rows, :func:`_circuit_rows`) and
    the local spending's value added in other regions (:func:`_regional_rows`); ``on_transfer``
    ``(K, 4, n)`` times ``t`` the same four totals of the transfers' first-round receipts
    (:meth:`simengine.circuit.Circuit.surplus_transfer` as a matrix); ``on_elsewhere`` ``(2, n)``
    (the same for every circuit) times ``e`` the other regions' value added and the local value
    added they feed back; ``on_displaced`` ``(K, 3, n)`` the value added, household income and
    city tax of displaced city purchases. A few products per column, and no per-sector array is
    built.

    Circuits not seen before in this process are built as arrays and factorised as one stack
    (:func:`simengine.region_context.circuit_stack`): many coefficient sets cost one kernel call,
    not a :class:`~simengine.circuit.Circuit` each, with the same bits as a Circuit each.
    """
    keys = list(values_of)
    found: dict[bytes, tuple[np.ndarray, ...]] = {}
    missing = []
    for key in keys:
        cached = _HEADLINE_ROWS.get((id(context), key))
        if cached is not None and cached[0] is context:
            found[key] = cached[1]
        else:
            missing.append(key)
    regional = _regional_rows(context)
    on_elsewhere = np.ascontiguousarray(regional[1:3])
    if len(missing) == len(keys):  # nothing cached: the stack's rows in order, no copy
        stack = circuit_stack(context, np.array([values_of[key] for key in keys]))
        rows = _rows_from(context, _circuit_rows(stack), stack.surplus_rows()[:, : len(INSTITUTIONS)])
        _remember(context, keys, rows)
        return rows[0], rows[1], on_elsewhere, rows[2]
    n = len(context.economy.sectors)
    out = tuple(np.empty((len(keys), size, n)) for size in (5, 4, 3))
    if missing:
        stack = circuit_stack(context, np.array([values_of[key] for key in missing]))
        rows = _rows_from(context, _circuit_rows(stack), stack.surplus_rows()[:, : len(INSTITUTIONS)])
        _remember(context, missing, rows)
        where = np.array([i for i, key in enumerate(keys) if key not in found], dtype=np.int64)
        for target, values in zip(out, rows, strict=True):
            target[where] = values
    for i, key in enumerate(keys):
        if key in found:
            for target, values in zip(out, found[key], strict=True):
                target[i] = values
    on_local, on_transfer, on_displaced = out
    return on_local, on_transfer, on_elsewhere, on_displaced


def _remember(context: RegionContext, keys: list[bytes], rows: tuple[np.ndarray, ...]) -> dict:
    """Cache the rows of each circuit of ``keys`` (a stack's members, in order) for this process."""
    if len(_HEADLINE_ROWS) + len(keys) > 4096:
        _HEADLINE_ROWS.clear()
    out = {key: tuple(r[b] for r in rows) for b, key in enumerate(keys)}
    if len(keys) <= 4096:
        _HEADLINE_ROWS.update({(id(context), key): (context, value) for key, value in out.items()})
    return out


def _circuit_members(prepared: Sequence[DrawPrepared]) -> tuple[dict[bytes, np.ndarray], list[np.ndarray]]:
    """The distinct circuits of the scenarios' periods and columns (signature -> settings row of
    :func:`simengine.circuit_settings.settings_table`, in first-seen order) and, per scenario, the
    index of each period's and column's circuit ``(T, m)``."""
    index: dict[bytes, int] = {}
    members = []
    for p in prepared:
        m = p.local_spending.shape[2]
        if not p.column_circuits:  # one circuit per period: no table per period
            ids = [index.setdefault(circuit_signature(v), len(index)) for v in p.circuit_values]
            member = np.empty((len(ids), m), dtype=np.int64)
            member[:] = np.array(ids, dtype=np.int64)[:, None]
            members.append(member)
            continue
        member = np.empty((len(p.period_years), m), dtype=np.int64)
        for k, v in enumerate(p.circuit_values):
            keys, _, inverse = column_circuits(v, m)
            ids = [index.setdefault(key, len(index)) for key in keys]
            member[k] = ids[0] if inverse is None else np.asarray(ids, dtype=np.int64)[inverse]
        members.append(member)
    return {key: np.frombuffer(key, dtype=np.float64) for key in index}, members


def _products(matrices: np.ndarray, members: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """:func:`simengine.accounts.member_product`, with one product when every column has the same member
    (the same bits either way)."""
    if members.size and (members == members[0]).all():
        return column_product(matrices[members[0]], columns)
    return member_product(matrices, members, columns)


def _period_products(matrices: np.ndarray, members: np.ndarray, column: np.ndarray) -> np.ndarray:
    """``matrices[members[j]] @ column`` for each column ``j`` ``(p, len(members))``: one spending
    column shared by the columns of a scenario-period, one product per distinct circuit (the same
    bits as :func:`_products` of the broadcast column)."""
    chosen, inverse = np.unique(members, return_inverse=True)
    values = np.empty((matrices.shape[1], len(chosen)))
    for j, member in enumerate(chosen):
        values[:, j] = column_product(matrices[member], column)[:, 0]
    return values[:, inverse.reshape(-1)]


def _joined(arrays: list[np.ndarray]) -> np.ndarray:
    """``(T, rows, m)`` arrays as one ``(rows, sum T m)`` matrix, each scenario period-major."""
    if len(arrays) > 1 and all(a.shape == arrays[0].shape for a in arrays):
        stacked = np.stack(arrays)  # (scenarios, T, rows, m)
        g, t, rows, m = stacked.shape
        return np.ascontiguousarray(stacked.transpose(2, 0, 1, 3)).reshape(rows, g * t * m)
    parts = [a.transpose(1, 0, 2).reshape(a.shape[1], a.shape[0] * a.shape[2]) for a in arrays]
    return np.ascontiguousarray(parts[0]) if len(parts) == 1 else np.concatenate(parts, axis=1)


def _flagged(arrays: list[np.ndarray]) -> list[tuple[int, int]]:
    """``(scenario, period)`` pairs of ``(n, T)`` arrays (one per scenario) whose period column is not all zero."""
    if not arrays:
        return []
    periods = np.cumsum([0] + [a.shape[1] for a in arrays])
    hit = np.flatnonzero(np.concatenate(arrays, axis=1).any(axis=0))
    scenario = np.searchsorted(periods, hit, side="right") - 1
    return [(int(g), int(h - periods[g])) for g, h in zip(scenario, hit, strict=True)]


#: Totals of :func:`evaluate_draws` per column, before the per-scenario results are formed.
_TOTALS = ("value_added", "employment", "household_income", "city_tax", "other", "feedback", "lost", "lost_income")
_TOTALS += ("lost_tax",)


def _layout_totals(
    group: list[DrawPrepared], members: list[np.ndarray], rows: tuple[np.ndarray, ...], cells: np.ndarray | None
) -> np.ndarray:
    """The totals :data:`_TOTALS` ``(9, columns)`` of scenarios whose spending arrays have the same rows
    (sectors, or the same budget cells ``cells``), columns scenario by scenario, period-major."""
    on_local, on_transfer, on_elsewhere, on_displaced = rows
    member = np.concatenate([m.reshape(-1) for m in members])
    local_rows, transfer_rows, elsewhere_rows = on_local, on_transfer, on_elsewhere
    used = member
    if cells is not None:  # the rows of each cell's sector, of the circuits these columns use
        chosen, used = np.unique(member, return_inverse=True)
        used = used.reshape(-1).astype(np.int64)
        local_rows = np.ascontiguousarray(on_local[chosen][:, :, cells])
        transfer_rows = np.ascontiguousarray(on_transfer[chosen][:, :, cells])
        elsewhere_rows = np.ascontiguousarray(on_elsewhere[:, cells])
    local = _products(local_rows, used, _joined([p.local_spending for p in group]))
    received = _products(transfer_rows, used, _joined([p.local_transfer for p in group]))
    elsewhere = column_product(elsewhere_rows, _joined([p.nonlocal_spending for p in group]))
    lost = np.zeros((3, local.shape[1]))
    starts = np.cumsum([0] + [m.size for m in members])

    def period(g: int, k: int) -> slice:
        width = members[g].shape[1]
        return slice(starts[g] + k * width, starts[g] + (k + 1) * width)

    # spending that is one column per scenario-period, added to each of its columns: the cells no
    # lever moves (by cell) and programmes' household spending; then displaced city purchases
    # (adding zeros would change no bits: such periods are skipped)
    fixed = [p.fixed_spending for p in group if p.fixed_spending is not None]
    pairs = _flagged([p.household_spending for p in group])
    if fixed:
        pairs = [(g, k) for g, p in enumerate(group) for k in range(len(p.period_years))]
    for g, k in pairs:
        p, cols = group[g], period(g, k)
        extra = p.household_spending[:, k : k + 1]
        if p.fixed_spending is None:
            local[:, cols] += _period_products(on_local, members[g][k], extra)
            elsewhere[:, cols] -= column_product(on_elsewhere, extra)
            continue
        spent = p.fixed_spending[:, :, k : k + 1]
        local[:, cols] += _period_products(on_local, members[g][k], extra + spent[0])
        received[:, cols] += _period_products(on_transfer, members[g][k], spent[2])
        elsewhere[:, cols] += column_product(on_elsewhere, spent[1] - extra)
    for g, k in _flagged([p.displaced for p in group]):
        displaced = group[g].displaced[:, k : k + 1]
        lost[:, period(g, k)] = _period_products(on_displaced, members[g][k], displaced)
    out = np.empty((len(_TOTALS), local.shape[1]))
    out[:4] = local[:4] + received
    out[4] = local[4] + elsewhere[0]
    out[5] = elsewhere[1]
    out[6:] = lost
    return out


def evaluate_draws(prepared: Sequence[DrawPrepared], context: RegionContext) -> list[dict[str, np.ndarray]]:
    """Headline totals per year (:data:`HEADLINE_TOTALS`) of every scenario and draw of one region.

    Every scenario-draw-year is one column. The totals a ranking needs are linear in the
    spending, so each is a multiplier row (one transposed solve per circuit and one for the
    regional model) times the columns (:func:`simengine.accounts.column_product`, fixed order):
    the same economics as :func:`simengine.evaluation.evaluate` without the per-sector
    accounts. The circuits of all distinct parameter sets (per scenario-period, or per column
    where swept circuit settings vary by column) are built as arrays and factorised as one
    stack; the columns of scenarios whose spending arrays have the same rows are multiplied in
    one kernel call, each column by its own circuit's rows
    (:func:`simengine.accounts.member_product`), so a column's numbers never depend on the others.

    Returns
    -------
    list of dict
        Per scenario, name -> ``(D, T)`` array.
    """
    values_of, members = _circuit_members(prepared)
    rows = _headline_rows(context, values_of)
    layouts: dict[bytes | None, list[int]] = {}
    for i, p in enumerate(prepared):
        layouts.setdefault(None if p.cell_sector is None else p.cell_sector.tobytes(), []).append(i)
    totals: list[np.ndarray | None] = [None] * len(prepared)
    for key, group in layouts.items():
        cells = None if key is None else prepared[group[0]].cell_sector
        values = _layout_totals([prepared[i] for i in group], [members[i] for i in group], rows, cells)
        shape = members[group[0]].shape
        if all(members[i].shape == shape for i in group):  # (9, G T m) -> per scenario (9, m, T), C-contiguous
            split = values.reshape(len(_TOTALS), len(group), *shape).transpose(1, 0, 3, 2)
            for g, part in zip(group, np.ascontiguousarray(split), strict=True):
                totals[g] = part
            continue
        start = 0
        for i in group:
            t, m = members[i].shape
            totals[i] = np.ascontiguousarray(
                values[:, start : start + t * m].reshape(len(_TOTALS), t, m).transpose(0, 2, 1)
            )
            start += t * m
    out = []
    for p, c in zip(prepared, totals, strict=True):
        d, t = p.draws, len(p.period_years)
        value_added, employment, income, city_tax, other, feedback, lost, lost_income, lost_tax = c
        feedback = feedback if p.scenario.appraisal.feedback else np.zeros((d, t))
        out.append(
            {
                "budget": p.budget[None, :] if d == 1 else np.broadcast_to(p.budget, (d, t)),
                "local_awards": p.local_awards,
                "cost_premium": p.cost_premium,
                "real_volume": p.real_volume,
                "local_value_added": value_added,
                "feedback_value_added": feedback,
                "other_regions_value_added": other,
                "national_value_added": value_added + feedback + other,
                "resident_household_income": income,
                "local_tax": city_tax,
                "displaced_value_added": lost,
                "displaced_household_income": lost_income,
                "displaced_local_tax": lost_tax,
                "fiscal_balance": city_tax - lost_tax - p.cost_premium,
                "local_employment": employment / p.deflator,
            }
        )
    return out


_TRANSFER_ROWS: dict[int, tuple[Circuit, np.ndarray, np.ndarray]] = {}


def _transfer_by_rows(circuit: Circuit, transfer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Institution receipts ``(3, k)`` and first-round leakage by result channel ``(channels, k)``
    of premium transfers: :meth:`simengine.circuit.Circuit.surplus_transfer` as two matrices
    (it is linear) times the columns, so that a column never depends on the others."""
    from .evaluation import CIRCUIT_TO_RESULT_CHANNEL
    from .results import LEAKAGE_CHANNELS

    cached = _TRANSFER_ROWS.get(id(circuit))
    if cached is None or cached[0] is not circuit:
        n = len(circuit.economy.sectors)
        receipts, leaks = circuit.surplus_transfer(np.eye(n))
        leakage = np.zeros((len(LEAKAGE_CHANNELS), n))
        for name, values in leaks.items():
            leakage[LEAKAGE_CHANNELS.index(CIRCUIT_TO_RESULT_CHANNEL[name])] += values
        if len(_TRANSFER_ROWS) > 256:
            _TRANSFER_ROWS.clear()
        cached = (circuit, np.ascontiguousarray(receipts), leakage)
        _TRANSFER_ROWS[id(circuit)] = cached
    return column_product(cached[1], transfer), column_product(cached[2], transfer)


def _stacked_accounts(
    context: RegionContext,
    arrays: CircuitArrays,
    member: np.ndarray,
    spending: np.ndarray,
    transfer: np.ndarray,
    displaced: np.ndarray,
    block: int = 256,
):
    """:func:`simengine.evaluation.closed_accounts` of columns that each have their own circuit.

    ``arrays`` holds ``K`` circuit parameter sets and ``member`` ``(width,)`` the set of each column.
    The sets are built and factorised in blocks of ``block`` (:class:`~simengine.circuit.CircuitStack`'s
    builder and kernel) and every column is solved by its own member's factors
    (:meth:`simengine.accounts.LeontiefStack.solve_members`); the per-circuit matrices of the
    accounts (leakage, the transfers' first round, the second round) multiply each column by its
    member's rows (:func:`simengine.accounts.member_product`). A column's numbers depend on its
    own circuit and spending only. They equal the scenario run alone (one :class:`Circuit`, one
    solve of all its columns) to rounding: the second round and the leakage channels are summed
    from per-account rows here, from the accounts there.
    """
    from .evaluation import CIRCUIT_TO_RESULT_CHANNEL
    from .results import LEAKAGE_CHANNELS

    economy = context.economy
    n, width = spending.shape
    count = arrays.count
    channels = [LEAKAGE_CHANNELS.index(CIRCUIT_TO_RESULT_CHANNEL[name]) for name in CIRCUIT_CHANNELS]
    owners, taxes = (
        LEAKAGE_CHANNELS.index(CIRCUIT_TO_RESULT_CHANNEL[c]) for c in ("outside_owners", "taxes_leaving_city")
    )
    names = ("output", "value_added", "resident_income", "employment", "city_tax", "household_income")
    closed = {name: np.empty((n, width)) for name in names[:4]}
    closed |= {name: np.empty(width) for name in names[4:]}
    closed["leakage"] = np.empty((len(LEAKAGE_CHANNELS), width))
    second_round = np.empty(width)
    transfer_leakage = np.empty((len(LEAKAGE_CHANNELS), width))
    displaced_effects = np.zeros((3, width))
    order = np.argsort(member, kind="stable")
    edges = np.searchsorted(member[order], np.arange(0, count + block, block))
    value_added_rate = economy.compensation + economy.operating_surplus
    for b, first in enumerate(range(0, count, block)):
        cols = order[edges[b] : edges[b + 1]]
        if not cols.size:
            continue
        sets = arrays.take(slice(first, min(first + block, count)))
        local = member[cols] - first
        matrix, leakage = circuit_coefficients(economy, sets)
        # each account's payments to the local accounts per unit received, summed over the accounts in order
        respent = np.array(matrix[:, 0])
        for row in range(1, matrix.shape[1]):
            respent += matrix[:, row]
        by_channel = np.zeros((len(sets.consumption_propensity), len(LEAKAGE_CHANNELS), matrix.shape[1]))
        for row, channel in enumerate(channels):
            by_channel[:, channel] += leakage[:, row]
        surplus = surplus_rows(sets)
        on_transfer = np.zeros((len(by_channel), len(LEAKAGE_CHANNELS), n))
        on_transfer[:, owners] += surplus[:, SURPLUS_RECIPIENTS.index("outside_owners")]
        on_transfer[:, taxes] += surplus[:, SURPLUS_RECIPIENTS.index("taxes_leaving_city")]
        system = LeontiefStack(matrix, shared=n, overwrite=True)
        spent = spending[:, cols]
        receipts = member_product(surplus[:, : len(INSTITUTIONS)], local, transfer[:, cols])
        injection = np.vstack([spent, receipts])
        totals = system.solve_members(local, injection)
        output = totals[:n]
        wages = economy.compensation[:, None] * output
        closed["output"][:, cols] = output
        closed["value_added"][:, cols] = value_added_rate[:, None] * output
        closed["resident_income"][:, cols] = wages * sets.resident_wage_share[local].T
        closed["employment"][:, cols] = economy.employment[:, None] * output
        closed["household_income"][cols] = totals[n]
        closed["city_tax"][cols] = totals[n + 1]
        closed["leakage"][:, cols] = member_product(by_channel, local, totals)
        transfer_leakage[:, cols] = member_product(on_transfer, local, transfer[:, cols])
        second_round[cols] = member_product(respent[:, None, :n], local, spent)[0]  # spending enters the industries
        lost = displaced[:, cols]
        if lost.any():
            solved = system.solve_members(local, np.vstack([lost, np.zeros_like(receipts)]))
            displaced_effects[0, cols] = column_product(value_added_rate[None, :], solved[:n])[0]
            displaced_effects[1:, cols] = solved[n : n + 2]
    return closed, second_round, transfer_leakage, displaced_effects


def evaluate_accounts(prepared: Sequence[DrawPrepared], context: RegionContext) -> list[dict[str, np.ndarray]]:
    """Full per-sector accounts of every scenario and column of one region, as arrays.

    The same economics, solves and result arithmetic as :func:`simengine.evaluation.evaluate`
    (static form), over every scenario-column-year at once: the columns of each circuit
    signature are one right-hand-side matrix of that circuit's factorisation, and the result
    variables (:data:`simengine.results.RESULT_VARIABLES`) are computed for all columns
    together (:func:`simengine.evaluation.result_arrays`), never one Dataset per scenario.
    Columns whose circuit settings vary by column (swept ``[circuit]`` settings) are solved
    each by its own circuit, all circuits built and factorised as stacks
    (:func:`_stacked_accounts`).

    Returns
    -------
    list of dict
        Per scenario, variable name -> array with a leading column axis ``(m, ...)`` (the
        result contract's dims without ``scenario``).
    """
    from .evaluation import closed_accounts, result_arrays

    n = len(context.economy.sectors)
    # column order: scenario, then period, then the scenario's columns (point * D + draw)
    spans, offset = [], 0
    for p in prepared:
        spans.append(offset)
        offset += p.draws * len(p.period_years)
    width = offset
    spending, transfer, elsewhere = np.empty((n, width)), np.empty((n, width)), np.empty((n, width))
    displaced = np.zeros((n, width))
    groups: dict[bytes, list[np.ndarray]] = {}
    values_of: dict[bytes, dict] = {}
    varying = [any(isinstance(v[k], np.ndarray) for v in p.circuit_values for k in v) for p in prepared]
    for i, p in enumerate(prepared):
        m = p.draws
        for k, v in enumerate(p.circuit_values):
            cols = slice(spans[i] + k * m, spans[i] + (k + 1) * m)
            spending[:, cols] = p.local_spending[k] + p.household_spending[:, k : k + 1]
            transfer[:, cols] = p.local_transfer[k]
            elsewhere[:, cols] = p.nonlocal_spending[k] - p.household_spending[:, k : k + 1]
            displaced[:, cols] = p.displaced[:, k : k + 1]
            if not varying[i]:
                key = circuit_signature(v)
                groups.setdefault(key, []).append(np.arange(cols.start, cols.stop))
                values_of.setdefault(key, v)
    closed, second_round, transfer_leakage, displaced_effects = closed_accounts(
        {key: (_circuit(context, key, values_of[key]), np.concatenate(parts)) for key, parts in groups.items()},
        spending,
        transfer,
        displaced,
        _transfer_by_rows,
    )
    flows: dict[int, CircuitArrays] = {}  # per scenario whose circuits vary by column: its last period's sets
    if any(varying):
        chosen = [i for i, v in enumerate(varying) if v]
        sets_of, members = _circuit_members([prepared[i] for i in chosen])
        arrays = settings_arrays(context.parameters, context.economy, np.array(list(sets_of.values())))
        sizes = [prepared[i].draws * len(prepared[i].period_years) for i in chosen]
        cols = np.concatenate([np.arange(spans[i], spans[i] + size) for i, size in zip(chosen, sizes, strict=True)])
        member = np.concatenate([m.reshape(-1) for m in members])
        parts = _stacked_accounts(context, arrays, member, spending[:, cols], transfer[:, cols], displaced[:, cols])
        for name, values in parts[0].items():
            closed.setdefault(name, np.zeros((*values.shape[:-1], width)))[..., cols] = values
        second_round[cols], transfer_leakage[:, cols], displaced_effects[:, cols] = parts[1:]
        flows = {i: arrays.take(m[-1]) for i, m in zip(chosen, members, strict=True)}
    open_output = context.open_local.solve(spending)
    regional = _regional_by_rows(spending, elsewhere, context)

    def per_scenario(values: np.ndarray, i: int) -> np.ndarray:
        """Columns of scenario ``i`` as ``(..., T, m)`` (period-major, as they were laid out)."""
        p = prepared[i]
        t, m = len(p.period_years), p.draws
        return values[..., spans[i] : spans[i] + t * m].reshape(*values.shape[:-1], t, m)

    out = []
    for i, p in enumerate(prepared):
        if i in flows:
            parameters = flows[i]
        else:
            parameters = _circuit(context, circuit_signature(p.circuit_values[-1]), p.circuit_values[-1]).parameters
        out.append(
            result_arrays(
                p,
                context,
                path={name: per_scenario(values, i) for name, values in closed.items()},
                closed_output=per_scenario(closed["output"], i),
                open_output=per_scenario(open_output, i),
                regional={name: per_scenario(values, i) for name, values in regional.items()},
                transfer_leakage=per_scenario(transfer_leakage, i),
                displaced=per_scenario(displaced_effects, i),
                second_round=per_scenario(second_round, i),
                parameters=parameters,
            )
        )
    return out
