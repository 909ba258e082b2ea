"""Synthetic, contract-conforming result Datasets for tests of code downstream of the runner."""

from __future__ import annotations

import numpy as np
import xarray as xr

from simengine import __version__
from simengine.results import FLOW_ACCOUNTS, LEAKAGE_CHANNELS, RESULT_VARIABLES


def synthetic_result(
    scenario: str = "baseline",
    *,
    seed: int = 0,
    sectors=("F", "G47", "N", "O84"),
    periods: int = 1,
    time_unit: str = "year",
    draws: int | None = None,
    local_share: float = 0.6,
    cost_premium: float = 0.0,
) -> xr.Dataset:
    """A result that passes :func:`simengine.results.check_result` (numbers are random)."""
    rng = np.random.default_rng(seed)
    n = len(sectors)
    budget = np.full(periods, 1000.0)
    awards = budget * local_share
    flows = np.zeros(len(FLOW_ACCOUNTS))
    flows[0], flows[1] = local_share, 1 - local_share
    split = rng.dirichlet(np.ones(len(FLOW_ACCOUNTS) - 2)) * local_share
    flows[2:] = split
    output = rng.uniform(10, 100, (periods, n)) * local_share
    data = {
        "budget": budget,
        "local_awards": awards,
        "local_award_share": awards / budget,
        "cost_premium": np.full(periods, cost_premium),
        "local_output": output,
        "local_value_added": output * 0.4,
        "local_income": output * 0.2,
        "local_employment": output * 0.01,
        "local_tax": output.sum(axis=1) * 0.02,
        "nonlocal_output": output * 0.5,
        "leakage": rng.uniform(0, 100, (periods, len(LEAKAGE_CHANNELS))),
        "flows": flows,
        "output_effects": np.vstack([output[0] * 0.5, output[0] * 0.3, output[0] * 0.2, output[0]]),
        "lm3": np.array(1.6 + local_share / 2),
    }
    ds = xr.Dataset(
        coords={
            "scenario": [scenario],
            "time": np.arange(periods),
            "sector": list(sectors),
            "channel": list(LEAKAGE_CHANNELS),
            "account": list(FLOW_ACCOUNTS),
            "effect": ["direct", "indirect", "induced", "total"],
        },
        attrs={
            "region": "gwangmyeong",
            "table": "korea-2014",
            "data_version": "test",
            "simengine_version": __version__,
            "currency": "KRW",
            "monetary_unit": "million",
            "price_year": 2014,
            "mode": "analytic" if draws is None else "agents",
            "time_unit": time_unit,
        },
    )
    data["programme_cost"] = np.zeros(periods)
    for name, spec in RESULT_VARIABLES.items():
        values = np.asarray(data[name])[None, ...] if name in data else None
        if values is None:
            shape = tuple({"scenario": 1, "time": periods, "sector": n}[d] for d in spec.dims)
            values = np.full(shape, spec.filler)
        units = {"money": "KRW million", "persons": "persons", "1": "1"}[spec.kind]
        ds[name] = (spec.dims, values, {"units": units, "long_name": spec.long_name})
    if draws is not None:
        noise = xr.DataArray(rng.normal(1.0, 0.05, draws), dims="draw", coords={"draw": np.arange(draws)})
        for name in ("local_output", "local_value_added", "local_income", "local_employment", "local_tax"):
            ds[name] = (ds[name] * noise).assign_attrs(ds[name].attrs)
    return ds


#: Relative tolerance between the array engine and the scenario-by-scenario path: the array
#: engine takes the regional effects from multiplier matrices (rows of the regional inverse)
#: and the headline totals from multiplier rows, so its sums run in another order than the
#: per-column solves (differences of a few units in the last place, about 1e-15).
ARRAY_RTOL = 1e-12


def assert_results_close(actual: xr.Dataset, expected: xr.Dataset, rtol: float = ARRAY_RTOL) -> None:
    """The same variables, coordinates and text; numbers equal to ``rtol`` relative to each
    variable's largest magnitude (a difference of totals may sit near zero)."""
    assert sorted(actual.data_vars) == sorted(expected.data_vars)
    xr.testing.assert_identical(actual.coords.to_dataset(), expected.coords.to_dataset())
    for name in expected.data_vars:
        a, e = actual[name], expected[name].transpose(*actual[name].dims)
        if np.issubdtype(e.dtype, np.number):
            scale = max(float(np.max(np.abs(e.values), initial=0.0)), 1e-300)
            np.testing.assert_allclose(a.values, e.values, rtol=0, atol=rtol * scale, err_msg=name)
        else:
            np.testing.assert_array_equal(a.values, e.values, err_msg=name)
        assert a.attrs == e.attrs, name
