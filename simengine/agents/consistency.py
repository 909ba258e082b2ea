"""Agent results against the analytic circuit for the same (realised) award mix.

The agent model and :class:`simengine.circuit.Circuit` share one set of circuit parameters
(:meth:`AgentCircuit.from_parameters`). For a stretch of months of an agent run,
:func:`per_local_award` gives local output, resident income and local tax per unit of local
award funded from outside the circuit, in the agent run and in the analytic circuit solved
for the same local award vector by sector, with the city's re-spend pattern set to the
agent's realised award pattern (the agent city re-spends its tax through its own budget
cells). The two agree when the agent model is consistent with the closed form.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import xarray as xr

from ..circuit import Circuit, CircuitParameters, SpendingPattern
from ..local_economy import LocalEconomy

__all__ = ["QUANTITIES", "per_local_award", "analytic_per_local_award", "realised_parameters"]

#: Quantities compared: agent result variable -> analytic account.
QUANTITIES = ("local_output", "local_income", "local_tax")


def _sum_over(values: xr.DataArray, dims: tuple[str, ...]) -> xr.DataArray:
    return values.sum([d for d in dims if d in values.dims])


def realised_parameters(
    economy: LocalEconomy, parameters: CircuitParameters, window: xr.Dataset
) -> tuple[LocalEconomy, CircuitParameters]:
    """The economy and circuit parameters of the firms that actually produced in ``window``.

    Per sector, output-weighted over the window's local firms: the resident share of wages,
    the local share of domestic inputs (coexistence plans included), and the ownership share
    and reinvestment rate whose flows equal the firms' owners' income and investment
    (replacement investment and reinvestment). Sectors without local output keep the given
    values. With these, the analytic circuit describes the same firms as the agent run, so a
    gap between the two is a gap in the dynamics (money held back, lags), not in the firm mix.
    """
    dims = ("draw", "time", "scenario")
    output = _sum_over(window["local_output"], dims).values
    produced = output > 0
    resident = np.where(
        produced,
        _sum_over(window["local_income"], dims).values / np.where(produced, economy.compensation * output, 1.0),
        parameters.resident_wage_share,
    )
    domestic = economy.local_inputs.sum(axis=0) + economy.other_region_inputs
    base_local = economy.local_inputs.sum(axis=0)
    purchases = _sum_over(window["local_input_purchases"], dims).values
    local_share = np.where(produced & (domestic > 0), purchases / np.where(produced, domestic * output, 1.0), 0.0)
    mix = np.divide(economy.local_inputs, base_local, out=np.zeros_like(economy.local_inputs), where=base_local > 0)
    local_inputs = mix * (local_share * domestic)
    realised_economy = replace(
        economy, local_inputs=local_inputs, other_region_inputs=domestic - local_inputs.sum(axis=0)
    )
    after_tax = (
        (1.0 - parameters.local_tax_rate_on_surplus - parameters.national_tax_rate_on_surplus)
        * economy.operating_surplus
        * output
    )
    has_surplus = produced & (after_tax > 0)
    invested = _sum_over(window["local_investment"], dims).values
    owners = _sum_over(window["local_owners_income"], dims).values
    safe = np.where(has_surplus, after_tax, 1.0)
    ownership = np.where(has_surplus, (invested + owners) / safe, parameters.local_ownership_share)
    reinvestment = np.where(
        has_surplus & (invested + owners > 0),
        invested / np.where(invested + owners > 0, invested + owners, 1.0),
        parameters.reinvestment_rate,
    )
    realised = replace(
        parameters,
        resident_wage_share=np.clip(resident, 0.0, 1.0),
        local_ownership_share=np.clip(ownership, 0.0, 1.0),
        reinvestment_rate=np.clip(reinvestment, 0.0, 1.0),
    )
    return realised_economy, realised


def analytic_per_local_award(
    economy: LocalEconomy, parameters: CircuitParameters, local_awards: np.ndarray, awards: np.ndarray
) -> dict[str, float]:
    """Analytic local output, resident income and local tax per unit of local award.

    Parameters
    ----------
    economy, parameters
        The city's accounts and the circuit parameters the agent run was mapped from.
    local_awards, awards : ndarray (n,)
        Local and all awards by executing sector (money): the realised award mix. The city's
        re-spend pattern becomes this mix with the realised local share of each sector.
    """
    local_awards = np.asarray(local_awards, dtype=float)
    awards = np.asarray(awards, dtype=float)
    total = awards.sum()
    share = np.divide(local_awards, awards, out=np.zeros_like(awards), where=awards > 0)
    city = SpendingPattern(awards / total, share)
    impact = Circuit(economy, replace(parameters, city=city)).impact(local_awards)
    per = 1.0 / local_awards.sum()
    return {
        "local_output": float(impact["output"].sum()) * per,
        "local_income": float(impact["compensation"].sel(residence="resident").sum()) * per,
        "local_tax": float(impact["city_tax_revenue"]) * per,
    }


def per_local_award(
    ds: xr.Dataset, economy: LocalEconomy, parameters: CircuitParameters, months: slice, *, firm_mix: bool = True
) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Agent and analytic quantities per unit of outside-funded local award over ``months``.

    Parameters
    ----------
    ds : xarray.Dataset
        An agent result (:func:`simengine.agents.simulate`), with or without ``draw``.
    economy, parameters
        As in :func:`analytic_per_local_award`.
    months : slice
        The months (``time`` positions) compared, e.g. ``slice(12, 360)`` for years 2-30.
    firm_mix : bool
        Solve the analytic circuit for the realised firm mix (:func:`realised_parameters`) as
        well as the realised award mix; ``False`` uses ``economy`` and ``parameters`` as given.

    Returns
    -------
    (dict, dict)
        Per-draw agent values (arrays of length ``draws``) and the analytic values, keyed by
        :data:`QUANTITIES`. The denominator is the contract work local firms executed in the
        window (``direct_output``; awards net of the change in backlog) times the share of the
        budget paid from outside the circuit (``external_funding / budget``).
    """
    window = ds.isel(time=months)
    if "draw" not in window.dims:
        window = window.expand_dims(draw=[0])
    direct = _sum_over(window["direct_output"], ("time", "sector", "scenario"))
    funded = direct * (
        _sum_over(window["external_funding"], ("time", "scenario")) / _sum_over(window["budget"], ("time", "scenario"))
    )
    agent = {
        name: (_sum_over(window[name], ("time", "sector", "scenario")) / funded).values.ravel() for name in QUANTITIES
    }
    direct = _sum_over(window["direct_output"], ("draw", "time", "scenario")).values
    nonlocal_awards = _sum_over(window["nonlocal_output"], ("draw", "time", "scenario")).values
    # direct output of local firms is what they executed; the mix of awards follows it in steady state
    if firm_mix:
        economy, parameters = realised_parameters(economy, parameters, window)
    return agent, analytic_per_local_award(economy, parameters, direct, direct + nonlocal_awards)
