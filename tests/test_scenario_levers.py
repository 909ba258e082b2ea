"""Analytic lever mapping: ramps, bounds, baseline, targets, and the cost side."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simengine.errors import ScenarioError
from simengine.scenario import Budget, apply_circuit_levers, apply_levers, ramp_fraction
from simengine.scenario.schema import Scenario

SHARES = st.floats(min_value=0.0, max_value=1.0)


def budget(shares=(0.9, 0.8, 0.4, 0.3), amounts=(100.0, 300.0, 400.0, 200.0), social_economy_share=0.0) -> Budget:
    cells = [
        ("F", "small", "negotiated"),
        ("F", "medium", "restricted"),
        ("F", "large", "open"),
        ("N", "large", "scoring"),
    ]
    return Budget.model_validate(
        {
            "currency": "KRW",
            "price_year": 2024,
            "monetary_unit": "million",
            "size_class_upper": {"small": 200.0, "medium": 10_000.0},
            "social_economy_share": social_economy_share,
            "cell": [
                {"sector": s, "size_class": z, "method": m, "amount": a, "local_share": share, "contracts": 4}
                for (s, z, m), a, share in zip(cells, amounts, shares, strict=True)
            ],
        }
    )


def levers(*tables) -> list:
    minimal = {
        "schema_version": 1,
        "scenario": {"id": "t", "title": "t", "region": "busan-2014", "start_year": 2026},
        "budget": budget().model_dump(),
        "lever": list(tables),
    }
    return Scenario.model_validate(minimal).lever


KRW_M = "KRW million"
EVERY_LEVER = [
    {"kind": "local_share_target", "sector": "F", "target": 0.7, "ramp_years": 3},
    {
        "kind": "set_aside",
        "sector": "F",
        "max_contract_value": {"amount": 5000, "unit": KRW_M},
        "reserved_for": ["sme"],
    },
    {
        "kind": "contract_unbundling",
        "sector": "F",
        "lot_threshold": {"amount": 10_000, "unit": KRW_M},
        "admin_cost_per_lot": {"amount": 20, "unit": KRW_M},
    },
    {"kind": "eligibility_relaxation", "sector": "N", "requirement_reduction": 0.5},
    {"kind": "local_contribution_score", "method": "scoring", "weight": 0.1},
    {"kind": "local_coexistence_plan", "size_class": "large", "min_local_subcontract_share": 0.3, "ramp_years": 2},
    {"kind": "bid_price_preference", "discount": 0.05, "cap": {"amount": 1, "unit": "KRW billion"}},
    {"kind": "social_economy_purchase_target", "share": 0.1, "ramp_years": 4},
    {"kind": "household_local_consumption", "share": 0.5},
    {"kind": "reinvestment_programme", "rate": 0.4, "ramp_years": 2},
]


def test_ramp_fraction():
    assert [ramp_fraction(y, start_year=2026, ramp_years=4) for y in range(2025, 2031)] == [0, 0.25, 0.5, 0.75, 1, 1]
    assert ramp_fraction(2026, start_year=2026, ramp_years=0) == 1.0
    assert ramp_fraction(2025, start_year=2026, ramp_years=0) == 0.0


def test_no_levers_is_the_baseline():
    b = budget()
    effect = apply_levers(b, [], 2030, start_year=2026)
    np.testing.assert_array_equal(effect.local_share, [0.9, 0.8, 0.4, 0.3])
    np.testing.assert_array_equal(effect.cost_premium, 0.0)


def test_local_share_target_is_reached_at_the_end_of_its_ramp():
    b = budget()
    [lever] = levers(
        {"kind": "local_share_target", "sector": "F", "size_class": "large", "target": 0.6, "ramp_years": 2}
    )
    first, second = (apply_levers(b, [lever], y, start_year=2026) for y in (2026, 2027))
    assert first.local_share[2] == pytest.approx(0.5) and second.local_share[2] == pytest.approx(0.6)
    np.testing.assert_array_equal(second.local_share[[0, 1, 3]], [0.9, 0.8, 0.3])  # other cells untouched
    assert second.cost_premium[2] == pytest.approx(0.1 * 0.2)  # default 0.1 per unit of share


def test_bid_preference_cost_follows_marion_2007():
    """Marion (2007, J. Public Econ. 91: 1591-1624): a 5% bid preference raised costs 3.8%."""
    [lever] = levers({"kind": "bid_price_preference", "sector": "N", "discount": 0.05})
    effect = apply_levers(budget(), [lever], 2026, start_year=2026)
    assert effect.cost_premium[3] == pytest.approx(0.038)
    assert effect.local_share[3] == pytest.approx(0.3 + 0.1 * 0.7)


def test_bid_preference_cap_binds_on_large_contracts():
    [lever] = levers({"kind": "bid_price_preference", "discount": 0.05, "cap": {"amount": 2, "unit": KRW_M}})
    effect = apply_levers(budget(), [lever], 2026, start_year=2026)
    # mean contract of cell 2: 400 / 4 = 100; cap 2 -> effective discount 0.02
    assert effect.cost_premium[2] == pytest.approx(0.76 * 0.02)


def test_set_aside_covers_spending_under_the_limit():
    [lever] = levers(
        {
            "kind": "set_aside",
            "sector": "F",
            "max_contract_value": {"amount": 5100, "unit": KRW_M},
            "reserved_for": ["local"],
        }
    )
    effect = apply_levers(budget(), [lever], 2026, start_year=2026)
    # contract values uniform within the class: spending share below L is (L^2 - low^2) / (high^2 - low^2)
    covered_medium = (5100**2 - 200**2) / (10_000**2 - 200**2)
    assert effect.local_share[0] == pytest.approx(0.9 + 0.9 * 0.1)
    assert effect.local_share[1] == pytest.approx(0.8 + covered_medium * 0.9 * 0.2)
    assert effect.local_share[2] == 0.4  # large contracts are above the limit


def test_set_aside_above_the_medium_bound_reaches_large_contracts():
    """A limit above every contract covers the large class too (mean contract from 'contracts')."""
    [lever] = levers(
        {
            "kind": "set_aside",
            "sector": "F",
            "max_contract_value": {"amount": 1e9, "unit": KRW_M},
            "reserved_for": ["local"],
        }
    )
    effect = apply_levers(budget(), [lever], 2026, start_year=2026)
    assert effect.local_share[2] == pytest.approx(0.4 + 0.9 * 0.6)


def test_set_aside_into_large_cells_without_contract_counts_is_an_error():
    [lever] = levers(
        {
            "kind": "set_aside",
            "sector": "F",
            "max_contract_value": {"amount": 20_000, "unit": KRW_M},
            "reserved_for": ["local"],
        }
    )
    cells = budget()
    cells = cells.model_copy(update={"cell": [c.model_copy(update={"contracts": None}) for c in cells.cell]})
    with pytest.raises(ScenarioError, match="contracts"):
        apply_levers(cells, [lever], 2026, start_year=2026)


def test_unbundling_moves_large_spending_toward_the_lot_share_at_a_cost():
    [lever] = levers(EVERY_LEVER[2])
    effect = apply_levers(budget(), [lever], 2026, start_year=2026)
    lot_share = (100 * 0.9 + 300 * 0.8) / 400
    assert effect.local_share[2] == pytest.approx(0.4 + 0.5 * (lot_share - 0.4))
    assert effect.cost_premium[2] == pytest.approx(0.5 * (0.02 + 20 / 10_000))
    assert effect.local_share[3] == 0.3  # other sector


def test_social_economy_target_counts_only_the_gap_above_baseline():
    [lever] = levers({"kind": "social_economy_purchase_target", "share": 0.1})
    effect = apply_levers(budget(social_economy_share=0.04), [lever], 2026, start_year=2026)
    np.testing.assert_allclose(effect.local_share, 0.94 * np.array([0.9, 0.8, 0.4, 0.3]) + 0.06 * 0.9)
    reached = apply_levers(budget(social_economy_share=0.2), [lever], 2026, start_year=2026)
    np.testing.assert_array_equal(reached.local_share, [0.9, 0.8, 0.4, 0.3])


@given(st.lists(SHARES, min_size=4, max_size=4), st.lists(st.sampled_from(range(len(EVERY_LEVER))), max_size=6))
def test_shares_stay_in_the_unit_interval_and_premiums_are_non_negative(shares, picks):
    b = budget(shares=tuple(shares))
    chosen = levers(*(EVERY_LEVER[i] for i in picks))
    for year in range(2025, 2032):
        effect = apply_levers(b, chosen, year, start_year=2026)
        assert np.all((effect.local_share >= 0) & (effect.local_share <= 1))
        assert np.all(effect.cost_premium >= 0)


@given(st.lists(SHARES, min_size=4, max_size=4), st.sampled_from(range(1, 8)), SHARES)
def test_ramps_are_monotone(shares, index, level):
    """Each year of a ramp moves every cell's share further from the baseline towards the
    lever's full effect (up or down: shifting purchases to social enterprises, 90% local,
    lowers a cell that was 100% local) and the cost grows until the ramp ends."""
    table = dict(EVERY_LEVER[index])
    table["ramp_years"] = 3
    if table["kind"] == "local_coexistence_plan":
        table["min_local_subcontract_share"] = level
    chosen = levers(table)
    b = budget(shares=tuple(shares))
    effects = [apply_levers(b, chosen, year, start_year=2026) for year in range(2025, 2031)]
    direction = np.sign(effects[-1].local_share - effects[0].local_share)
    for before, after in zip(effects, effects[1:], strict=False):
        assert np.all((after.local_share - before.local_share) * direction >= -1e-12)
        assert np.all(after.cost_premium >= before.cost_premium - 1e-12)
    np.testing.assert_array_equal(effects[-1].local_share, effects[-2].local_share)  # ramp over


def test_target_ramp_is_monotone_downward_too():
    chosen = levers({"kind": "local_share_target", "sector": "F", "target": 0.1, "ramp_years": 4, "mode": "exactly"})
    shares = [apply_levers(budget(), chosen, y, start_year=2026).local_share[0] for y in range(2026, 2031)]
    assert shares == sorted(shares, reverse=True) and shares[-1] == pytest.approx(0.1)


def test_lever_start_year_overrides_the_scenario_start():
    chosen = levers({"kind": "local_share_target", "sector": "F", "target": 1.0, "start_year": 2028})
    assert apply_levers(budget(), chosen, 2027, start_year=2026).local_share[0] == 0.9
    assert apply_levers(budget(), chosen, 2028, start_year=2026).local_share[0] == 1.0


def test_circuit_levers_ramp_the_circuit_parameters():
    chosen = levers(EVERY_LEVER[8], EVERY_LEVER[9], EVERY_LEVER[0])
    base = {"household_local_consumption_share": 0.3, "reinvestment_rate": 0.2, "resident_worker_share": 0.4}
    values = apply_circuit_levers(base, chosen, 2026, start_year=2026)
    assert values == pytest.approx(
        {"household_local_consumption_share": 0.5, "reinvestment_rate": 0.3, "resident_worker_share": 0.4}
    )
    assert apply_circuit_levers(base, [], 2026, start_year=2026) == base
    with pytest.raises(ScenarioError, match="reinvestment_rate"):
        apply_circuit_levers({"household_local_consumption_share": 0.3}, chosen, 2026, start_year=2026)
