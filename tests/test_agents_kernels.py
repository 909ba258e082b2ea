"""The award step against its plain-Python twin, written from the rules in docs/agents.md.

Small cases, so that these tests also run with the JIT disabled (``NUMBA_DISABLE_JIT=1``), which
is how line coverage of ``simengine/kernels`` is measured (see ``.ci/run``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import reference
from hypothesis import given, settings
from hypothesis import strategies as st

from simengine.agents import AgentCircuit, AgentParameters, BudgetCells, Households, Lever, generate_firms
from simengine.agents.model import pack_inputs
from simengine.agents.montecarlo import draw_keys, run_draws
from simengine.kernels import layout
from simengine.kernels.agents import _allocate_contract, _poisson, _tender, concentration, entry_margins
from simengine.local_economy import LocalEconomy

pytestmark = pytest.mark.kernel


@pytest.fixture(scope="module")
def case(korea):
    economy = LocalEconomy.from_table(korea)
    circuit = AgentCircuit.for_economy(economy)
    cells = BudgetCells.gwangmyeong_example(economy).scaled(0.01)
    firms = generate_firms(economy, cells, circuit, n_firms=150, seed=4)
    return economy, circuit, cells, firms


def _inputs(case, parameters, levers=()):
    economy, circuit, cells, firms = case
    return pack_inputs(economy, circuit, cells, levers, firms, Households.by_income_quintile(circuit), parameters)


def _scratch(inputs):
    n_firms = inputs.firms.capacity.shape[0]
    largest = int(np.diff(inputs.firms.sector_start).max())
    return (
        np.full(n_firms, -1, dtype=np.int64),
        np.zeros(2 * largest + 2, dtype=np.int64),
        np.zeros(2 * largest + 2),
        entry_margins(inputs.firms, inputs.behaviour),
    )


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    q=st.integers(0, 44),
    value=st.floats(0.01, 5_000.0),
    reserve=st.sampled_from([layout.RESERVE_NONE, layout.RESERVE_REGION, layout.RESERVE_CITY]),
    sme_only=st.booleans(),
    social_only=st.booleans(),
    pool=st.integers(1, 30),
    load=st.floats(0.0, 8.0),
    limits=st.booleans(),
)
def test_award_step_equals_the_documented_rules(
    case, seed, q, value, reserve, sme_only, social_only, pool, load, limits
):
    """One award (eligibility, re-tenders, entry, bids, the method's rule) equals the twin's."""
    parameters = AgentParameters(pool_size=pool, capacity_limits=limits)
    levers = [Lever("bid_price_preference", value=0.05, cap=20.0), Lever("local_contribution_score", value=0.5)]
    inputs = _inputs(case, parameters, levers)
    q = q % inputs.cells.rate.shape[0]
    rng = np.random.default_rng(seed)
    n_firms = inputs.firms.capacity.shape[0]
    capacity = inputs.firms.capacity * rng.uniform(0.5, 2.0, n_firms)
    backlog = capacity * rng.uniform(0.0, load, n_firms)
    stamp, pool_scratch, bids, margins = _scratch(inputs)
    key = int(draw_keys(seed, 1)[0])
    firms, cells, behaviour = inputs.firms, inputs.cells, inputs.behaviour
    got = _allocate_contract(
        key, 3, 17, 0, value, q, reserve, sme_only, social_only, firms, capacity, backlog, cells, behaviour,
        stamp, pool_scratch, bids, margins,
    )  # fmt: skip
    want = reference.award(
        key, 3, 17, 0, value, q, reserve, sme_only, social_only, reference.as_lists(firms), capacity.tolist(),
        backlog.tolist(), reference.as_lists(cells), behaviour,
    )  # fmt: skip
    assert got[0] == want[0] and got[2] == want[2]
    assert got[1] == pytest.approx(want[1], rel=1e-12)
    assert np.all(stamp == -1)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31), q=st.integers(0, 44), value=st.floats(100.0, 50_000.0), load=st.floats(4.0, 7.0))
def test_split_tenders_equal_the_documented_rules(case, seed, q, value, load):
    """A lot too large for any firm is split into pieces awarded one by one, as the twin does."""
    inputs = _inputs(case, AgentParameters())
    q = q % inputs.cells.rate.shape[0]
    rng = np.random.default_rng(seed)
    n_firms = inputs.firms.capacity.shape[0]
    state = np.zeros((layout.N_STATE_FIRM, n_firms))
    state[layout.SF_CAPACITY] = inputs.firms.capacity
    state[layout.SF_BACKLOG] = state[layout.SF_CAPACITY] * rng.uniform(0.0, load, n_firms)
    twin_backlog = state[layout.SF_BACKLOG].tolist()
    n = inputs.economy.compensation.shape[0]
    row, sector_row = np.zeros(layout.N_OUT_PERIOD), np.zeros((layout.N_OUT_SECTOR, n))
    out_cell = np.zeros((inputs.cells.rate.shape[0], layout.N_OUT_CELL))
    key = int(draw_keys(seed, 1)[0])
    firms, cells, behaviour = inputs.firms, inputs.cells, inputs.behaviour
    pieces = _tender(
        key, 2, 5, value, q, layout.RESERVE_NONE, False, False, firms, cells, behaviour, state, _scratch(inputs),
        row, sector_row, out_cell,
    )  # fmt: skip
    awards = []

    def book(winner, price, bidders):
        twin_backlog[winner] += price
        awards.append((winner, price, bidders))

    reference.tender(
        key, 2, 5, value, q, layout.RESERVE_NONE, False, False, reference.as_lists(firms),
        state[layout.SF_CAPACITY].tolist(), twin_backlog, reference.as_lists(cells), behaviour, book,
    )  # fmt: skip
    assert pieces == len(awards) == row[layout.O_CONTRACTS]
    np.testing.assert_allclose(state[layout.SF_BACKLOG], twin_backlog, rtol=1e-12)
    assert row[layout.O_PAYMENTS] == pytest.approx(sum(price for _, price, _ in awards), rel=1e-12)


def test_small_run_equals_the_twin_and_does_not_depend_on_slicing(case):
    """A few months, every lever on: the kernel equals the twin; one call or month-by-month slices agree."""
    economy, circuit, cells, firms = case
    levers = [
        Lever("set_aside", threshold=30.0, sme_only=True),
        Lever("contract_unbundling", threshold=3.0),
        Lever("local_share_target", value=0.9, ramp_periods=3),
        Lever("social_economy_purchase_target", value=0.1),
        Lever("local_coexistence_plan", value=0.3),
        Lever("eligibility_relaxation", value=0.5),
    ]
    taxed = replace(circuit, city_respend_share=0.5, city_transfer_share=0.3, national_wage_tax_rate=0.1)
    inputs = pack_inputs(
        economy, taxed, cells, levers, firms, Households.by_income_quintile(taxed), AgentParameters(pool_size=8)
    )
    keys = draw_keys(2, 2)
    raw = run_draws(inputs, keys, 5, workers=1)
    for d in range(2):
        twin = reference.run_periods(int(keys[d]), 5, *inputs.arrays())
        for kernel_out, twin_out in zip(
            (raw.period[d], raw.sector[d], raw.cell[d], raw.flows[d], raw.hhi[d]), twin, strict=True
        ):
            np.testing.assert_allclose(kernel_out, np.array(twin_out), rtol=1e-9, atol=1e-9)
    from simengine.agents import montecarlo

    previous = montecarlo.SLICE_SECONDS
    montecarlo.SLICE_SECONDS = 0.0  # one month per call
    try:
        sliced = run_draws(inputs, keys, 5, workers=1, chunk=1)
    finally:
        montecarlo.SLICE_SECONDS = previous
    np.testing.assert_array_equal(raw.period, sliced.period)
    np.testing.assert_array_equal(raw.sector, sliced.sector)


def test_poisson_and_concentration_edge_cases():
    assert _poisson(0.0, 0.5) == 0
    assert _poisson(1e6, 0.5) == pytest.approx(1e6, abs=1)
    assert reference.poisson(1e6, 0.5) == _poisson(1e6, 0.5)
    awarded = np.array([[0.0, 0.0, 3.0, 1.0]])
    np.testing.assert_allclose(concentration(awarded, np.array([0, 2, 4])), [[0.0, 0.625]])


def test_linear_kernels_match_lapack():
    """The column-independent product and LU solve (simengine.kernels.linalg) against numpy/scipy."""
    from simengine.accounts import LeontiefSystem, column_product

    rng = np.random.default_rng(0)
    a = rng.uniform(0, 0.1, (6, 6))
    system = LeontiefSystem(a)
    rhs = rng.uniform(0, 1, (6, 3))
    np.testing.assert_allclose(system.solve(rhs), np.linalg.solve(np.eye(6) - a, rhs), rtol=1e-12)
    np.testing.assert_allclose(system.solve_transposed(rhs), np.linalg.solve((np.eye(6) - a).T, rhs), rtol=1e-12)
    np.testing.assert_allclose(column_product(a, rhs), a @ rhs, rtol=1e-12)


def test_erfinv_tails_match_the_twin():
    from simengine.kernels.agents import _erfinv

    for x in (-0.9999999, -0.5, 0.0, 0.3, 0.999999999):
        assert _erfinv(x) == pytest.approx(reference.erfinv(x), rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    n_bidders=st.integers(1, 40),
    bias=st.sampled_from([0.0, 1.0, -0.7, 3.5, 1e12]),
    streams=st.sampled_from([0, layout.SPLIT_STREAMS]),
)
def test_negotiated_winner_equals_the_score_of_every_bidder(case, seed, n_bidders, bias, streams):
    """Two Gumbel draws (the highest draw of the local bidders and of the others) pick the same
    slot as scoring every bidder; a huge ``locality_bias`` takes the path that scores every bidder."""
    from simengine.kernels.agents import _contract_hash, _logit_winner, _negotiated_winner

    inputs = _inputs(case, AgentParameters(locality_bias=bias))
    rng = np.random.default_rng(seed)
    n_firms = inputs.firms.capacity.shape[0]
    bidders = rng.choice(n_firms, size=min(n_bidders, n_firms), replace=False).astype(np.int64)
    evaluated = rng.uniform(0.8, 1.2, len(bidders))
    prefix = _contract_hash(int(draw_keys(seed, 1)[0]), 5, 11)
    args = (np.uint64(prefix), streams, 0)
    rest = (len(bidders), bidders, evaluated, inputs.firms, inputs.cells, inputs.behaviour)
    want = _logit_winner(*args, layout.RULE_NEGOTIATED, *rest)
    assert _negotiated_winner(*args, *rest) == want


@settings(max_examples=200, deadline=None)
@given(u=st.floats(2.0**-54, 1.0 - 2.0**-53), utility=st.floats(-60.0, 60.0), nudge=st.integers(-3, 3))
def test_entry_decision_equals_the_one_math_exp_gives(u, utility, nudge):
    """The tabulated entry decision equals ``u * (1 + exp(-utility)) < 1`` with ``math.exp``, also
    at the boundary (``u`` a few ulps from ``1 / (1 + exp(-utility))``) and outside the table."""
    import math

    from simengine.kernels.agents import _enters

    assert _enters(u, utility) == (u * (1.0 + math.exp(-utility)) < 1.0)
    edge = 1.0 / (1.0 + math.exp(-utility))
    for _ in range(abs(nudge)):
        edge = np.nextafter(edge, 1.0 if nudge > 0 else 0.0)
    if 0.0 < edge < 1.0:
        assert _enters(edge, utility) == (edge * (1.0 + math.exp(-utility)) < 1.0)
