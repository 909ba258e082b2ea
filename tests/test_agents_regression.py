"""Regression values of the agent kernels: fixed runs whose outputs are pinned bit for bit.

The numbers below are regression values, not published figures: they are what the kernels
produced for these inputs and seeds when they were pinned, so that a change made for speed
(fewer calls, less allocation, other slicing) can be shown not to change a single bit. Re-pin
them only when the model's rules change on purpose, and say so in the commit.

The small runs are marked ``kernel`` and also run with the JIT disabled; plain Python sums the
circuit stock in another order (the last bit of ``circuit_stock`` may differ), so there the
values are compared to 1e-13 and the digest of every output is checked only when compiled.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numba
import numpy as np
import pytest

from simengine.agents import AgentCircuit, AgentParameters, BudgetCells, Households, Lever, generate_firms
from simengine.agents.model import pack_inputs
from simengine.agents.montecarlo import draw_keys, run_draws
from simengine.kernels import layout
from simengine.local_economy import LocalEconomy

COMPILED = not numba.config.DISABLE_JIT

LEVERS = (
    Lever("set_aside", threshold=30.0, sme_only=True),
    Lever("contract_unbundling", threshold=3.0),
    Lever("local_share_target", value=0.9, ramp_periods=3),
    Lever("social_economy_purchase_target", value=0.1),
    Lever("local_coexistence_plan", value=0.3),
    Lever("eligibility_relaxation", value=0.5),
    Lever("bid_price_preference", value=0.05, cap=20.0),
    Lever("local_contribution_score", value=0.5),
)


def _digest(raw) -> str:
    """First 16 hex digits of the SHA-256 of every output array's bytes."""
    h = hashlib.sha256()
    for array in (raw.period, raw.sector, raw.cell, raw.flows, raw.hhi):
        h.update(np.ascontiguousarray(array).tobytes())
    return h.hexdigest()[:16]


def _values(raw) -> list[float]:
    """Total payments, last month's circuit stock of draw 0, last month's local output of the last
    draw, local awards over cells, first-round flows, largest HHI."""
    return [
        float(raw.period[:, :, layout.O_PAYMENTS].sum()),
        float(raw.period[0, -1, layout.O_STOCK]),
        float(raw.sector[-1, -1, layout.S_OUTPUT].sum()),
        float(raw.cell[:, :, layout.Q_LOCAL].sum()),
        float(raw.flows.sum()),
        float(raw.hhi.max()),
    ]


@pytest.fixture(scope="module")
def economy(korea):
    return LocalEconomy.from_table(korea)


def _small_run(economy, levers):
    circuit = AgentCircuit.for_economy(economy)
    cells = BudgetCells.gwangmyeong_example(economy).scaled(0.01)
    firms = generate_firms(economy, cells, circuit, n_firms=150, seed=4)
    taxed = replace(circuit, city_respend_share=0.5, city_transfer_share=0.3, national_wage_tax_rate=0.1)
    inputs = pack_inputs(
        economy, taxed, cells, levers, firms, Households.by_income_quintile(taxed), AgentParameters(pool_size=8)
    )
    return run_draws(inputs, draw_keys(2, 2), 24, workers=1)


SMALL = {
    "baseline": (
        (),
        192,
        "8b46cc394b35b573",
        [
            "0x1.cf2e9d88c2396p+12",
            "0x1.db9de715d46bep+2",
            "0x1.826628e0122c0p+7",
            "0x1.0621e8c76e716p+11",
            "0x1.0621e8c76e716p+11",
            "0x1.4d2b7536e39e4p-2",
        ],
    ),
    "every lever": (
        LEVERS,
        2865,
        "c4f303b1a542734e",
        [
            "0x1.e730b3c6e064ap+12",
            "0x1.07b825bdb8452p+6",
            "0x1.621b276476e55p+9",
            "0x1.5d33753cfcc92p+12",
            "0x1.5af93145b343ap+12",
            "0x1.f7d257d6552b3p-4",
        ],
    ),
}


@pytest.mark.kernel
@pytest.mark.parametrize("name", list(SMALL))
def test_small_runs_keep_their_regression_values(economy, name):
    """Two draws, 24 months, 150 firms at 1 % of Gwangmyeong's budget, with and without every lever."""
    levers, contracts, digest, pinned = SMALL[name]
    raw = _small_run(economy, levers)
    assert raw.contracts == contracts
    want = [float.fromhex(value) for value in pinned]
    if COMPILED:
        assert _values(raw) == want
        assert _digest(raw) == digest
    else:
        assert _values(raw) == pytest.approx(want, rel=1e-13)


def test_a_gwangmyeong_scale_run_keeps_its_regression_values(economy):
    """10 years, 25,000 firms, the full Gwangmyeong budget (the benchmark's run), one draw; and
    four draws of two years on two threads."""
    circuit = AgentCircuit.for_economy(economy)
    cells = BudgetCells.gwangmyeong_example(economy)
    firms = generate_firms(economy, cells, circuit, n_firms=25_000, seed=0)
    inputs = pack_inputs(economy, circuit, cells, (), firms, Households.by_income_quintile(circuit), AgentParameters())
    raw = run_draws(inputs, draw_keys(0, 1), 120, workers=1)
    assert raw.contracts == 49931
    assert _digest(raw) == "d8a66837f7dd6411"
    assert float(raw.period[0, :, layout.O_PAYMENTS].sum()) == 2171424.1162744733
    assert float(raw.period[0, 119, layout.O_STOCK]) == 22810.21084116567
    raw = run_draws(inputs, draw_keys(1, 4), 24, workers=2)
    assert raw.contracts == 40041
    assert _digest(raw) == "62cc9c292660f38b"


@pytest.mark.kernel
def test_draw_runner_arguments_are_checked(economy):
    """``chunk`` and ``workers`` below one are one ScenarioError each, before any work."""
    from simengine.errors import ScenarioError

    circuit = AgentCircuit.for_economy(economy)
    cells = BudgetCells.gwangmyeong_example(economy).scaled(0.01)
    firms = generate_firms(economy, cells, circuit, n_firms=150, seed=4)
    inputs = pack_inputs(economy, circuit, cells, (), firms, Households.by_income_quintile(circuit), AgentParameters())
    with pytest.raises(ScenarioError, match="chunk must be >= 1, got 0"):
        run_draws(inputs, draw_keys(0, 2), 3, chunk=0)
    with pytest.raises(ScenarioError, match="workers must be >= 1, got 0"):
        run_draws(inputs, draw_keys(0, 2), 3, workers=0)
    one = run_draws(inputs, draw_keys(0, 5), 6, workers=1)
    blocks = run_draws(inputs, draw_keys(0, 5), 6, workers=2, chunk=2)
    for a, b in zip(
        (one.period, one.sector, one.cell, one.flows, one.hhi),
        (blocks.period, blocks.sector, blocks.cell, blocks.flows, blocks.hhi),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)
