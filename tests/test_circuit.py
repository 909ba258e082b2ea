"""The local circuit: identities (property tests), a hand-worked case, defaults and bad input."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import IDENTITY_ATOL, IDENTITY_RTOL
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from strategies import productive_tables

from simengine import ConvergenceError, DataError
from simengine.accounts import LeontiefSystem
from simengine.circuit import GWANGMYEONG_DEFAULTS, Circuit, CircuitParameters, SpendingPattern
from simengine.local_economy import LocalEconomy

#: Rounds summed to convergence (1e-13 of round 1) match the LU solve to this tolerance.
ROUNDS_RTOL = 1e-8


# ---------------------------------------------------------------------- strategies
def _shares(n, high=0.9):
    return arrays(np.float64, (n,), elements=st.floats(0.0, high))


@st.composite
def regional_economies(draw):
    """A random table's economy with part of its inputs bought from other regions."""
    national = LocalEconomy.from_table(draw(productive_tables(max_sectors=8)))
    n = len(national.sectors)
    purchase_coefficients = draw(arrays(np.float64, (n, 1), elements=st.floats(0.0, 1.0)))
    local_inputs = national.local_inputs * purchase_coefficients
    other_regions = (national.local_inputs - local_inputs).sum(axis=0)
    imported = national.compensation * draw(st.floats(0.0, 0.5))
    return dataclasses.replace(
        national,
        local_inputs=local_inputs,
        other_region_inputs=other_regions,
        imported_inputs=imported,
        compensation=national.compensation - imported,
    )


@st.composite
def spending_patterns(draw, n):
    weights = draw(arrays(np.float64, (n,), elements=st.floats(0.01, 1.0)))
    import_share = draw(st.floats(0.0, 0.3))
    return SpendingPattern(
        mix=weights / weights.sum(),
        local_share=draw(_shares(n)),
        import_share=import_share,
        product_tax_share=draw(st.floats(0.0, 0.3)),
    )


@st.composite
def circuit_parameters(draw, sectors):
    n = len(sectors)
    respend = draw(st.floats(0.0, 0.9))
    return CircuitParameters(
        sectors=sectors,
        resident_wage_share=draw(_shares(n)),
        local_income_tax_rate_on_wages=draw(st.floats(0.0, 0.2)),
        national_tax_rate_on_wages=draw(st.floats(0.0, 0.3)),
        local_tax_rate_on_surplus=draw(st.floats(0.0, 0.2)),
        national_tax_rate_on_surplus=draw(st.floats(0.0, 0.3)),
        local_ownership_share=draw(_shares(n)),
        reinvestment_rate=draw(_shares(n, 1.0)),
        consumption_propensity=draw(st.floats(0.0, 0.95)),
        households=draw(spending_patterns(n)),
        city=draw(spending_patterns(n)),
        investment=draw(spending_patterns(n)),
        city_respend_share=respend,
        city_transfer_share=draw(st.floats(0.0, 1.0 - respend)),
    )


@st.composite
def circuits(draw):
    economy = draw(regional_economies())
    parameters = draw(circuit_parameters(economy.sectors))
    spending = draw(arrays(np.float64, (len(economy.sectors),), elements=st.floats(0.0, 1000.0)))
    spending[draw(st.integers(0, len(spending) - 1))] += 1.0
    return Circuit(economy, parameters), spending


def _one_sector(**changes) -> Circuit:
    """The worked example of the module docstring."""
    economy = LocalEconomy(
        sectors=("a",),
        local_inputs=np.array([[0.2]]),
        other_region_inputs=np.zeros(1),
        imported_inputs=np.array([0.1]),
        other_inputs=np.zeros(1),
        compensation=np.array([0.4]),
        operating_surplus=np.array([0.3]),
        employment=np.array([0.01]),
    )
    everything_leaks = SpendingPattern(mix=np.ones(1), local_share=np.zeros(1))
    parameters = dict(
        sectors=("a",),
        resident_wage_share=0.5,
        local_income_tax_rate_on_wages=0.0,
        national_tax_rate_on_wages=0.0,
        local_tax_rate_on_surplus=0.0,
        national_tax_rate_on_surplus=0.0,
        local_ownership_share=0.0,
        reinvestment_rate=0.0,
        consumption_propensity=0.8,
        households=SpendingPattern(mix=np.ones(1), local_share=np.array([0.5])),
        city=everything_leaks,
        investment=everything_leaks,
        city_respend_share=0.0,
    )
    parameters.update(changes)
    return Circuit(economy, CircuitParameters(**parameters))


# ---------------------------------------------------------------------- worked example
def test_one_sector_geometric_series_equals_closed_form():
    """Hand computation (module docstring): local re-spend k = 0.2 + 0.4*0.5*0.8*0.5 = 0.28."""
    circuit = _one_sector()
    result = circuit.impact([1.0])
    re_spend = 0.2 + 0.4 * 0.5 * 0.8 * 0.5
    assert float(result.output.sum()) == pytest.approx(1.0 / (1.0 - re_spend), rel=1e-12)
    assert float(result.household_income) == pytest.approx(0.2 / (1.0 - re_spend), rel=1e-12)
    np.testing.assert_allclose(circuit.rounds([1.0], 3)["total"].values, [1.0, 0.4, 0.16], rtol=1e-12)
    assert circuit.lm3([1.0]) == pytest.approx(1.56, rel=1e-12)


def test_one_sector_leakage_account_by_hand():
    """Production round: y = 1/(1-0.2) = 1.25; wages 0.5, half to residents; imports 0.125."""
    account = _one_sector().leakage_account([2.0])
    assert float(account.retained.sel(item="resident_wages")) == pytest.approx(0.25)
    assert float(account.leakage.sel(channel="commuters")) == pytest.approx(0.25)
    assert float(account.leakage.sel(channel="imports_abroad")) == pytest.approx(0.125)
    assert float(account.leakage.sel(channel="outside_owners")) == pytest.approx(0.375)
    assert float(account.spending) == 2.0


# ---------------------------------------------------------------------- identities
@given(circuits())
def test_closed_form_leaks_every_won(case):
    circuit, spending = case
    result = circuit.impact(spending, income_from_outside=50.0)
    assert float(result.injection) == pytest.approx(spending.sum() + 50.0)
    np.testing.assert_allclose(float(result.leakage.sum()), float(result.injection), rtol=IDENTITY_RTOL)
    assert float(result.leakage.min()) >= -IDENTITY_ATOL


@given(circuits())
def test_columns_of_circuit_and_leakage_sum_to_one(case):
    circuit, _ = case
    totals = circuit.coefficients.sum("account_to") + circuit.leakage_coefficients.sum("channel")
    np.testing.assert_allclose(totals.values, 1.0, atol=1e-12)


@given(circuits())
def test_rounds_sum_to_closed_form(case):
    circuit, spending = case
    closed = circuit.impact(spending)
    rounds = circuit.rounds(spending, tolerance=1e-13)
    receipts = rounds.receipts.sum("round")
    expected = [
        float(closed.output.sum()),
        float(closed.household_income),
        float(closed.city_tax_revenue),
        float(closed.reinvestment),
    ]
    np.testing.assert_allclose(receipts.values, expected, rtol=ROUNDS_RTOL, atol=IDENTITY_ATOL)
    np.testing.assert_allclose(rounds.leakage.sum("round").values, closed.leakage.values, rtol=ROUNDS_RTOL, atol=1e-7)
    np.testing.assert_allclose(rounds.total.sel(round=1), spending.sum())


@given(circuits())
def test_round_is_next_round_plus_its_leakage(case):
    circuit, spending = case
    rounds = circuit.rounds(spending, 4)
    local_next = rounds.total.shift(round=-1).isel(round=slice(None, -1))
    this_round = rounds.total.isel(round=slice(None, -1))
    leaked = rounds.leakage.sum("channel").isel(round=slice(None, -1))
    np.testing.assert_allclose((local_next + leaked).values, this_round.values, rtol=IDENTITY_RTOL, atol=IDENTITY_ATOL)
    assert 1.0 <= circuit.lm3(spending) <= 3.0


@given(circuits())
def test_leakage_account_shares_sum_to_one(case):
    circuit, spending = case
    account = circuit.leakage_account(spending)
    assert float(account.retained.sum() + account.leakage.sum()) == pytest.approx(1.0, rel=IDENTITY_RTOL)


@given(circuits())
def test_no_local_shares_reduces_to_open_local_model(case):
    circuit, spending = case
    p = circuit.parameters
    leaking = {
        name: dataclasses.replace(getattr(p, name), local_share=0.0) for name in ("households", "city", "investment")
    }
    closed_off = dataclasses.replace(
        p, resident_wage_share=0.0, local_ownership_share=0.0, city_transfer_share=0.0, **leaking
    )
    result = Circuit(circuit.economy, closed_off).impact(spending)
    expected = LeontiefSystem(circuit.economy.local_inputs).solve(spending)
    np.testing.assert_allclose(result.output.values, expected, rtol=IDENTITY_RTOL, atol=IDENTITY_ATOL)


@given(circuits(), st.data())
def test_raising_a_local_purchase_share_never_lowers_local_output(case, data):
    circuit, spending = case
    p = circuit.parameters
    n = len(p.sectors)
    sector = data.draw(st.integers(0, n - 1))
    account = data.draw(st.sampled_from(["households", "city", "investment"]))
    raised = getattr(p, account).local_share.copy()
    raised[sector] = data.draw(st.floats(raised[sector], 1.0))
    more_local = dataclasses.replace(p, **{account: dataclasses.replace(getattr(p, account), local_share=raised)})
    before = circuit.impact(spending).output.values
    after = Circuit(circuit.economy, more_local).impact(spending).output.values
    assert np.all(after >= before * (1 - IDENTITY_RTOL) - IDENTITY_ATOL)


@given(circuits())
def test_many_spending_vectors_solve_as_one_matrix(case):
    circuit, spending = case
    matrix = np.column_stack([spending, 2 * spending])
    result = circuit.impact(matrix)
    assert result.output.dims == ("sector", "scenario")
    np.testing.assert_allclose(result.output.isel(scenario=1), 2 * circuit.impact(spending).output, rtol=IDENTITY_RTOL)


@given(circuits())
def test_resident_only_account_arrays_are_the_full_arrays_bits(case):
    """``account_arrays(non_resident=False)`` leaves out the non-resident compensation and
    changes no bit of anything else (the batch keeps resident compensation only)."""
    circuit, spending = case
    matrix = np.column_stack([spending, 2 * spending])
    full = circuit.account_arrays(matrix)
    lean = circuit.account_arrays(matrix, non_resident=False)
    assert set(lean) == set(full)
    assert lean["compensation"].shape == (1, *full["compensation"].shape[1:])
    np.testing.assert_array_equal(lean["compensation"][0], full["compensation"][0])
    for name in set(full) - {"compensation"}:
        np.testing.assert_array_equal(lean[name], full[name])


# ---------------------------------------------------------------------- defaults, korea-2014
def test_gwangmyeong_defaults_on_korea(korea):
    economy = LocalEconomy.from_table(korea)
    circuit = Circuit(economy, CircuitParameters.default_for(economy.sectors))
    result = circuit.impact({"F": 1000.0})
    assert float(result.leakage.sum()) == pytest.approx(1000.0, rel=IDENTITY_RTOL)
    account = circuit.leakage_account({"F": 1.0})
    assert float(account.retained.sum() + account.leakage.sum()) == pytest.approx(1.0, rel=IDENTITY_RTOL)
    # Regression values (computed by this code on korea-2014 with the shipped defaults).
    assert circuit.lm3({"F": 1000.0}) == pytest.approx(1.9381, abs=1e-4)
    assert float(result.output.sum()) == pytest.approx(2075.79, abs=0.01)


def test_defaults_document_every_value():
    """Each assignment in the shipped file follows a comment (its source or reasoning)."""
    lines = GWANGMYEONG_DEFAULTS.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if "=" in line and not line.startswith("#") and not line.startswith("["):
            block = lines[:number]
            previous = next(p for p in reversed(block) if p.strip())
            assert previous.startswith("#") or "=" in previous, f"line {number + 1} has no comment: {line}"


def test_default_mix_needs_matching_table():
    with pytest.raises(DataError, match="gwangmyeong_circuit.toml: key 'households.mix'.*no sector 's0'"):
        CircuitParameters.default_for(("s0", "s1"))


# ---------------------------------------------------------------------- bad input
def _write(tmp_path, text):
    path = tmp_path / "circuit.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _minimal_toml(**section_overrides) -> str:
    """A valid two-sector (a, b) file; each override replaces one section's lines."""
    sections = {
        "wages": ["resident_share = 0.5", "local_income_tax_rate = 0.01", "national_tax_rate = 0.1"],
        "surplus": [
            "local_tax_rate = 0.01",
            "national_tax_rate = 0.05",
            "local_ownership_share = 0.3",
            "reinvestment_rate = 0.2",
        ],
        "households": [
            "consumption_propensity = 0.7",
            "product_tax_share = 0.07",
            "import_share = 0.1",
            'mix = "uniform"',
            "local_share = { default = 0.1, b = 0.6 }",
        ],
        "city": [
            "respend_share = 0.6",
            "product_tax_share = 0.0",
            "import_share = 0.0",
            "mix = { a = 1, b = 3 }",
            "local_share = 0.5",
        ],
        "reinvestment": ["product_tax_share = 0.0", "import_share = 0.1", "mix = { a = 1 }", "local_share = 0.2"],
    }
    sections.update(section_overrides)
    return "\n".join(f"[{name}]\n" + "\n".join(lines) for name, lines in sections.items())


def test_toml_values_are_read(tmp_path):
    parameters = CircuitParameters.from_toml(_write(tmp_path, _minimal_toml()), ("a", "b"))
    np.testing.assert_allclose(parameters.households.local_share, [0.1, 0.6])
    np.testing.assert_allclose(parameters.city.mix, [0.25, 0.75])
    np.testing.assert_allclose(parameters.households.mix, [0.5, 0.5])
    assert parameters.city_transfer_share == 0.0


def test_unknown_toml_key_names_file_and_key(tmp_path):
    text = _minimal_toml(wages=["resident_shar = 0.5", "local_income_tax_rate = 0.01", "national_tax_rate = 0.1"])
    with pytest.raises(
        DataError, match=r"circuit.toml: key 'wages.resident_shar': unknown key.*did you mean 'resident_share'"
    ):
        CircuitParameters.from_toml(_write(tmp_path, text), ("a", "b"))


def test_unknown_toml_section(tmp_path):
    with pytest.raises(DataError, match=r"key 'household': unknown key.*did you mean 'households'"):
        CircuitParameters.from_toml(_write(tmp_path, _minimal_toml() + "\n[household]\nx = 1"), ("a", "b"))


def test_missing_toml_key(tmp_path):
    text = _minimal_toml(reinvestment=["product_tax_share = 0.0", "import_share = 0.1", "mix = { a = 1 }"])
    with pytest.raises(DataError, match="missing key.*reinvestment.local_share"):
        CircuitParameters.from_toml(_write(tmp_path, text), ("a", "b"))


def test_out_of_range_toml_value_names_parameter(tmp_path):
    text = _minimal_toml(
        city=[
            "respend_share = 1.6",
            "product_tax_share = 0.0",
            "import_share = 0.0",
            "mix = { a = 1 }",
            "local_share = 1",
        ]
    )
    with pytest.raises(DataError, match=r"circuit.toml: circuit parameter city_respend_share = 1.6 is not a share"):
        CircuitParameters.from_toml(_write(tmp_path, text), ("a", "b"))


def test_final_demand_mix_needs_a_table(tmp_path):
    reinvestment = ["product_tax_share = 0.0", "import_share = 0.1", 'mix = "final_demand:household_consumption"']
    text = _minimal_toml(reinvestment=[*reinvestment, "local_share = 0.2"])
    with pytest.raises(DataError, match="reinvestment.mix.*needs a table"):
        CircuitParameters.from_toml(_write(tmp_path, text), ("a", "b"))


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        CircuitParameters.from_toml(tmp_path / "none.toml", ("a",))
    with pytest.raises(DataError, match="not valid TOML"):
        CircuitParameters.from_toml(_write(tmp_path, "[wages\n"), ("a",))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"resident_wage_share": 1.5}, r"resident_wage_share\[a\] = 1.5 is not a share"),
        ({"consumption_propensity": -0.1}, "consumption_propensity = -0.1 is not a share"),
        ({"reinvestment_rate": np.array([np.nan])}, r"reinvestment_rate\[a\] = nan"),
        ({"national_tax_rate_on_wages": 0.95, "local_income_tax_rate_on_wages": 0.1}, "exceed 1"),
        ({"city_respend_share": 0.7, "city_transfer_share": 0.4}, "city_respend_share \\+ city_transfer_share"),
        ({"households": SpendingPattern(mix=np.array([0.5]), local_share=np.ones(1))}, "households.mix sums to 0.5"),
        ({"city": SpendingPattern(mix=np.ones(1), local_share=np.array([2.0]))}, r"city.local_share\[a\] = 2.0"),
        (
            {
                "investment": SpendingPattern(
                    mix=np.ones(1), local_share=np.ones(1), import_share=0.6, product_tax_share=0.6
                )
            },
            "exceed 1",
        ),
        ({"local_ownership_share": np.ones(3)}, "local_ownership_share has shape \\(3,\\)"),
    ],
)
def test_bad_parameters_are_named(change, message):
    with pytest.raises(DataError, match=message):
        _one_sector(**change)


def test_sectors_must_match_economy():
    circuit = _one_sector()
    with pytest.raises(DataError, match="different sectors"):
        Circuit(circuit.economy, dataclasses.replace(circuit.parameters, sectors=("b",)))


def test_rounds_and_leakage_account_reject_bad_input():
    circuit = _one_sector()
    with pytest.raises(DataError, match="n_rounds must be at least 1"):
        circuit.rounds([1.0], 0)
    with pytest.raises(DataError, match="positive total"):
        circuit.leakage_account([0.0])


def test_rounds_of_a_spending_cut_sum_to_closed_form():
    """A cut (negative spending) runs to convergence like an award, with the opposite sign."""
    circuit = _one_sector()
    rounds = circuit.rounds([-1.0])
    assert rounds.sizes["round"] > 3
    assert float(rounds.total.sum()) == pytest.approx(-float(circuit.rounds([1.0]).total.sum()), rel=1e-12)
    expected = circuit.impact([-1.0])
    assert float(rounds.receipts.sel(account_group="local_output").sum()) == pytest.approx(float(expected.output.sum()))


def test_rounds_that_do_not_converge_in_time_raise():
    with pytest.raises(ConvergenceError, match="within 2 rounds; raise max_rounds"):
        _one_sector().rounds([1.0], max_rounds=2)


def test_time_path_sums_to_the_closed_form_and_conserves_money():
    """Over a long horizon a single month's spending re-spends fully: the time path's receipts
    sum to the closed form; every period, spending = leakage + money in transit."""
    import simengine
    from simengine.circuit import Circuit, CircuitParameters

    economy = simengine.load_region("gwangmyeong").local_economy()
    circuit = Circuit(economy, CircuitParameters.default_for(economy.sectors, table=simengine.load_table("korea-2014")))
    spending = np.zeros((len(economy.sectors), 600))
    spending[economy.sectors.index("F"), 0] = 100.0
    path = circuit.time_path(spending)
    closed = circuit.impact({"F": 100.0})
    np.testing.assert_allclose(path["output"].sum("period"), closed["output"], rtol=1e-9)
    np.testing.assert_allclose(path["leakage"].sum("period"), closed["leakage"], rtol=1e-9)
    cumulative = np.cumsum(spending.sum(axis=0))
    np.testing.assert_allclose(path["leakage"].sum("channel").cumsum("period") + path["in_transit"], cumulative)
    with pytest.raises(DataError, match="lags"):
        circuit.time_path(spending, lags={"city": 0})


@given(circuits())
def test_headline_equals_the_totals_of_impact(case):
    """Multiplier rows times the demand matrix give the same totals as the per-sector accounts."""
    circuit, spending = case
    demand = np.column_stack([spending, 2.0 * spending + 1.0])
    impact = circuit.impact(demand)
    headline = circuit.headline(demand)
    totals = {
        "output": impact["output"].sum("sector"),
        "value_added": impact["value_added"].sum("sector"),
        "resident_compensation": impact["compensation"].sel(residence="resident").sum("sector"),
        "employment": impact["employment"].sum("sector"),
        "household_income": impact["household_income"],
        "city_tax_revenue": impact["city_tax_revenue"],
        "reinvestment": impact["reinvestment"],
    }
    for name, expected in totals.items():
        np.testing.assert_allclose(headline.sel(indicator=name), expected, rtol=1e-9, atol=1e-9)
    leakage = headline.sel(indicator=[f"leakage:{c}" for c in impact["channel"].values])
    np.testing.assert_allclose(leakage.values, impact["leakage"].transpose("channel", ...).values, rtol=1e-9, atol=1e-9)
