"""The draw-axis engine: scenarios reduced to arrays with a leading column axis, solved as multiplier rows.

A batch is a set of scenarios times a parameter axis: random draws of response parameters
(:mod:`simengine.uncertainty`), and sweep points whose swept keys are numeric lever fields
(:mod:`simengine.batch`). :func:`prepare_draws` applies the levers to whole ``(columns, cells)``
arrays (no model per column); :func:`evaluate_draws` turns every scenario-column-year into the
headline totals a ranking needs (:data:`HEADLINE_TOTALS`) through multiplier rows and
:func:`simengine.accounts.column_product`, grouping columns by circuit signature so that one
factorisation serves every column that shares coefficients.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .accounts import column_product
from .circuit import Circuit
from .errors import ScenarioError
from .evaluation import BudgetCells
from .levers import apply_circuit_levers, apply_levers, programme_cost
from .levers import consumption_injection as _consumption_injection
from .region_context import (
    RegionContext,
    circuit_signature,
    employment_factor,
    scenario_circuit_values,
    with_values,
)
from .scenario.schema import Scenario

__all__ = ["HEADLINE_TOTALS", "DrawPrepared", "prepare_draws", "evaluate_draws"]

#: Totals over the horizon kept per scenario and draw (money in the table's unit; employment in person-years).
HEADLINE_TOTALS = (
    "budget",
    "local_awards",
    "cost_premium",
    "real_volume",
    "local_value_added",
    "feedback_value_added",
    "other_regions_value_added",
    "national_value_added",
    "resident_household_income",
    "local_tax",
    "displaced_value_added",
    "displaced_household_income",
    "displaced_local_tax",
    "fiscal_balance",
    "local_employment",
)


def _responses(scenario: Scenario, values: dict[str, np.ndarray]) -> dict[int, dict[str, np.ndarray]]:
    """Per lever position, the drawn response parameters as ``(draws, 1)`` arrays."""
    out = {}
    for position, lever in enumerate(scenario.lever):
        if lever.ACTS_ON_CELLS:
            drawn = {f: values[f"{lever.kind}.{f}"][:, None] for f in lever.priors() if f"{lever.kind}.{f}" in values}
            if drawn:
                out[position] = drawn
    return out


@dataclass
class DrawPrepared:
    """A scenario reduced to arrays with a leading ``draw`` axis (the draw-axis twin of
    :class:`simengine.evaluation.Prepared`). Money in the table's unit per year; ``(D, ...)``
    arrays vary with the draw, the others do not."""

    scenario: Scenario
    period_years: list[int]
    budget: np.ndarray  # (T,)
    deflator: float
    local_spending: np.ndarray  # (T, n, D)
    household_spending: np.ndarray  # (n, T)
    nonlocal_spending: np.ndarray  # (T, n, D)
    local_transfer: np.ndarray  # (T, n, D)
    local_awards: np.ndarray  # (D, T)
    real_volume: np.ndarray  # (D, T)
    cost_premium: np.ndarray  # (D, T)
    displaced: np.ndarray  # (n, T)
    circuit_values: list[dict[str, object]]  # per period

    @property
    def draws(self) -> int:
        return self.local_spending.shape[2]


def prepare_draws(
    scenario: Scenario, context: RegionContext, values: dict[str, np.ndarray], draws: int
) -> DrawPrepared:
    """Levers applied along the draw axis: the arrays :func:`evaluate_draws` solves.

    ``values`` maps ``kind.field`` to ``(draws,)`` arrays (:func:`draw_parameters`); parameters
    of kinds the scenario does not use are ignored. The same arithmetic as
    :func:`simengine.evaluation.prepare`, one year at a time, over ``(draws, cells)`` arrays.
    """
    if scenario.scenario.mode == "agents":
        raise ScenarioError(f"scenario {scenario.scenario.id}: uncertainty comparisons run in analytic mode only")
    b = BudgetCells.of(scenario, context)
    appraisal = scenario.appraisal
    unit, cells, amounts, cell_sector, years, start = b.unit, b.cells, b.amounts, b.cell_sector, b.years, b.start
    n, t, d = len(context.economy.sectors), len(years), draws
    # cells -> sectors as a sum over the cells of each sector, in cell order (as numpy.add.at)
    members = [np.flatnonzero(cell_sector == j) for j in range(n)]
    local, nonlocal_, transfer = np.zeros((t, n, d)), np.zeros((t, n, d)), np.zeros((t, n, d))
    awards, volume, premium = np.zeros((d, t)), np.zeros((d, t)), np.zeros((d, t))
    displaced, extra = np.zeros((n, t)), np.zeros((n, t))
    base_values = scenario_circuit_values(scenario, context)
    households = context.parameters.households.local_purchases()
    mix = households / households.sum() if households.sum() > 0 else np.full(n, 1.0 / n)
    city = context.parameters.city.local_purchases()
    responses = _responses(scenario, values)
    circuit_values = []

    def total(values: np.ndarray) -> np.ndarray:
        """Sum over the cells in cell order: the same for a draw whatever the other draws."""
        out = np.zeros(d)
        for i in range(values.shape[-1]):
            out += values[:, i]
        return out

    def by_sector(values: np.ndarray) -> np.ndarray:
        """(draws, cells) -> (sectors, draws), each sector's cells added in cell order."""
        out = np.zeros((n, d))
        for j, rows in enumerate(members):
            for i in rows:
                out[j] += values[:, i]
        return out

    for k, year in enumerate(years):
        effect = apply_levers(cells, scenario.lever, year, start_year=start, responses=responses)
        share = np.broadcast_to(effect.local_share, (d, len(amounts)))
        rate = np.broadcast_to(effect.cost_premium, (d, len(amounts)))
        awards[:, k] = total(share * amounts)
        volume[:, k] = total(amounts / (1.0 + rate))
        if appraisal.premium == "transfer":
            bought = amounts / (1.0 + rate)
            local[k] = by_sector(bought * share)
            nonlocal_[k] = by_sector(bought * (1.0 - share))
            transfer[k] = by_sector((amounts - bought) * share)
            premium_cost = total(amounts - bought)
        else:
            local[k] = by_sector(amounts * share)
            nonlocal_[k] = by_sector(amounts * (1.0 - share))
            premium_cost = total(rate * amounts)
        programme = programme_cost(scenario.lever, year, start_year=start, monetary_unit=unit)
        premium[:, k] = premium_cost + programme
        if np.any(premium[:, k] > amounts.sum()):
            worst = float(premium[:, k].max())
            raise ScenarioError(
                f"scenario {scenario.scenario.id}: in some draws the levers cost {worst:,.0f} in {year}, more than "
                f"the whole budget ({amounts.sum():,.0f} {context.unit}); check the units of lever amounts"
            )
        injection = _consumption_injection(
            scenario.lever,
            year,
            start_year=start,
            baseline_share=float(base_values["household_local_consumption_share"]),
            monetary_unit=unit,
        )
        extra[:, k] = injection * mix
        if appraisal.financing == "displaces_city_spending":
            displaced[:, k] = programme * city
        circuit_values.append(apply_circuit_levers(base_values, scenario.lever, year, start_year=start))
    return DrawPrepared(
        scenario=scenario,
        period_years=years,
        budget=np.full(t, amounts.sum()),
        deflator=employment_factor(scenario, context),
        local_spending=local,
        household_spending=extra,
        nonlocal_spending=nonlocal_,
        local_transfer=transfer,
        local_awards=awards,
        real_volume=volume,
        cost_premium=premium,
        displaced=displaced,
        circuit_values=circuit_values,
    )


_ROWS: dict[int, tuple[object, np.ndarray]] = {}


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
    output = model.dataset["gross_output"].transpose("region", "sector").values
    va = model.dataset["value_added_coefficient"].transpose("region", "sector").values
    regions, n = output.shape
    others = output[1:]
    totals = others.sum(axis=0)
    fallback = np.full_like(others, 1.0 / max(regions - 1, 1))
    weights = np.divide(others, totals, out=fallback, where=totals > 0)
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


def _row_total(values: np.ndarray) -> np.ndarray:
    """Sum of the rows, one after the other: a column's total never depends on the other columns
    (``ndarray.sum(axis=0)`` changes its order with the memory layout)."""
    out = np.zeros(values.shape[1])
    for row in values:
        out += row
    return out


def _circuit_rows(circuit: Circuit) -> np.ndarray:
    """Rows ``(4, accounts)``: local value added, employment (persons), household income and city
    tax per unit injected into each account of the closed circuit (one transposed solve)."""
    e, n = circuit.economy, len(circuit.economy.sectors)
    targets = np.zeros((len(circuit.accounts), 4))
    targets[:n, 0] = e.compensation + e.operating_surplus
    targets[:n, 1] = e.employment
    targets[n, 2] = 1.0
    targets[n + 1, 3] = 1.0
    return np.ascontiguousarray(circuit._system.solve_transposed(targets).T)


def evaluate_draws(prepared: Sequence[DrawPrepared], context: RegionContext) -> list[dict[str, np.ndarray]]:
    """Headline totals per year (:data:`HEADLINE_TOTALS`) of every scenario and draw of one region.

    Every scenario-draw-year is one column. The totals a ranking needs are linear in the
    spending, so each is a multiplier row (one transposed solve per circuit and one for the
    regional model) times the columns (:func:`simengine.accounts.column_product`, fixed order):
    the same economics as :func:`simengine.evaluation.evaluate` without the per-sector
    accounts. Columns of the same circuit parameters share its factorisation.

    Returns
    -------
    list of dict
        Per scenario, name -> ``(D, T)`` array.
    """
    economy = context.economy
    regional = _regional_rows(context)
    blocks: dict[bytes, list[tuple[int, int]]] = {}
    values_of: dict[bytes, dict] = {}
    for i, p in enumerate(prepared):
        for k, v in enumerate(p.circuit_values):
            key = circuit_signature(v)
            blocks.setdefault(key, []).append((i, k))
            values_of.setdefault(key, v)
    names = ("value_added", "employment", "household_income", "city_tax", "other", "feedback", "lost")
    columns = [{name: np.zeros((p.draws, len(p.period_years))) for name in names} for p in prepared]
    for p, c in zip(prepared, columns, strict=True):
        c["lost"] = np.zeros((3, p.draws, len(p.period_years)))
    for key, pairs in blocks.items():
        circuit = Circuit(economy, with_values(context, values_of[key]))
        weights = _circuit_rows(circuit)
        spending = np.hstack(
            [prepared[i].local_spending[k] + prepared[i].household_spending[:, k : k + 1] for i, k in pairs]
        )
        transfer = np.hstack([prepared[i].local_transfer[k] for i, k in pairs])
        elsewhere = np.hstack(
            [prepared[i].nonlocal_spending[k] - prepared[i].household_spending[:, k : k + 1] for i, k in pairs]
        )
        receipts, _ = circuit.surplus_transfer(transfer)
        injection = np.ascontiguousarray(np.vstack([spending, receipts]))
        totals = column_product(weights, injection)
        other = column_product(regional[0:1], spending)[0] + column_product(regional[1:2], elsewhere)[0]
        feedback = column_product(regional[2:3], elsewhere)[0]
        offset = 0
        for i, k in pairs:
            d = prepared[i].draws
            part = slice(offset, offset + d)
            offset += d
            c = columns[i]
            for row, name in enumerate(names[:4]):
                c[name][:, k] = totals[row, part]
            c["other"][:, k] = other[part]
            c["feedback"][:, k] = feedback[part]
            displaced = prepared[i].displaced[:, k : k + 1]
            if displaced.any():
                lost = circuit.headline(displaced).sel(
                    indicator=["value_added", "household_income", "city_tax_revenue"]
                )
                c["lost"][:, :, k] = lost.values
    out = []
    for p, c in zip(prepared, columns, strict=True):
        d, t = p.draws, len(p.period_years)
        feedback = c["feedback"] if p.scenario.appraisal.feedback else np.zeros((d, t))
        lost = c["lost"]
        out.append(
            {
                "budget": np.broadcast_to(p.budget, (d, t)),
                "local_awards": p.local_awards,
                "cost_premium": p.cost_premium,
                "real_volume": p.real_volume,
                "local_value_added": c["value_added"],
                "feedback_value_added": feedback,
                "other_regions_value_added": c["other"],
                "national_value_added": c["value_added"] + feedback + c["other"],
                "resident_household_income": c["household_income"],
                "local_tax": c["city_tax"],
                "displaced_value_added": lost[0],
                "displaced_household_income": lost[1],
                "displaced_local_tax": lost[2],
                "fiscal_balance": c["city_tax"] - lost[2] - p.cost_premium,
                "local_employment": c["employment"] / p.deflator,
            }
        )
    return out
