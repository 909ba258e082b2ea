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

__all__ = ["QUANTITIES", "per_local_award", "analytic_per_local_award"]

#: Quantities compared: agent result variable -> analytic account.
QUANTITIES = ("local_output", "local_income", "local_tax")


def _sum_over(values: xr.DataArray, dims: tuple[str, ...]) -> xr.DataArray:
    return values.sum([d for d in dims if d in values.dims])


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
    ds: xr.Dataset, economy: LocalEconomy, parameters: CircuitParameters, months: slice
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

    Returns
    -------
    (dict, dict)
        Per-draw agent values (arrays of length ``draws``) and the analytic values, keyed by
        :data:`QUANTITIES`. Outside-funded local awards are local awards times the share of
        the budget paid from outside the circuit (``external_funding / budget``).
    """
    window = ds.isel(time=months)
    if "draw" not in window.dims:
        window = window.expand_dims(draw=[0])
    funded = _sum_over(window["local_awards"], ("time", "scenario")) * (
        _sum_over(window["external_funding"], ("time", "scenario")) / _sum_over(window["budget"], ("time", "scenario"))
    )
    agent = {
        name: (_sum_over(window[name], ("time", "sector", "scenario")) / funded).values.ravel() for name in QUANTITIES
    }
    direct = _sum_over(window["output_effects"].sel(effect="direct"), ("draw", "scenario")).values
    nonlocal_awards = _sum_over(window["nonlocal_output"], ("draw", "time", "scenario")).values
    # direct output of local firms is what they executed; the mix of awards follows it in steady state
    return agent, analytic_per_local_award(economy, parameters, direct, direct + nonlocal_awards)
