"""Circuit coefficients built as arrays for many parameter sets, solved as one stack.

The stacked path (:func:`simengine.circuit_settings.settings_arrays`,
:class:`simengine.circuit.CircuitStack`) against one :class:`~simengine.circuit.Circuit` per set
(bitwise: one builder and one kernel), against LAPACK (to rounding, also on ill-conditioned
circuits), and through :func:`simengine.uncertainty.evaluate_draws` against every scenario run
alone.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from simengine.batch import run_scenario
from simengine.circuit import (
    Circuit,
    CircuitArrays,
    CircuitParameters,
    CircuitStack,
    SpendingPattern,
    circuit_coefficients,
)
from simengine.circuit_settings import CIRCUIT_KEYS, CIRCUIT_SETTINGS, apply_settings, settings_arrays
from simengine.draws import HEADLINE_TOTALS, _circuit_targets, evaluate_draws, prepare_draws
from simengine.errors import DataError
from simengine.local_economy import LocalEconomy
from simengine.region_context import circuit_stack, circuit_values, region_context, with_values
from simengine.results import concat_results, headline
from simengine.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import bench_coefficients  # noqa: E402  (its draws of [circuit] values)

#: Agreement with LAPACK relative to the largest multiplier (the same elimination, sums in another order).
LAPACK_RTOL = 1e-12
#: Array path against the scenario run alone (the draw path forms totals as multiplier rows times spending).
SCALAR_RTOL = 1e-12

setting_value = st.one_of(st.none(), st.floats(0.0, 1.0), st.sampled_from([0.0, 1.0]))
#: Any share, at the ends too; a local tax rate up to 0.5 (with the national rates its sum stays <= 1).
circuit_settings = st.fixed_dictionaries(
    {
        key: st.one_of(st.none(), st.floats(0.0, 0.5)) if key == "local_tax_rate" else setting_value
        for key in CIRCUIT_KEYS
    }
)


@pytest.fixture(scope="module")
def context():
    return region_context("gwangmyeong")


@settings(max_examples=20, deadline=None)
@given(values=st.lists(circuit_settings, min_size=1, max_size=6), block=st.integers(1, 4))
def test_every_set_equals_its_own_circuit_bit_for_bit(context, values, block):
    """Set ``k`` of the arrays holds the numbers of ``apply_settings(values[k])``, and member ``k``
    of the stack has the multipliers and surplus rows of ``Circuit(economy, with_values(values[k]))``,
    bit for bit, for any block size (one builder and one factorisation kernel, ``K = 1`` in Circuit)."""
    values = [{**circuit_values(context), **{k: v for k, v in chosen.items() if v is not None}} for chosen in values]
    parameters, economy = context.parameters, context.economy
    stacked = settings_arrays(parameters, economy, values)
    stack = CircuitStack(economy, stacked, block=block)
    rows, surplus = stack.multipliers(_circuit_targets(economy)), stack.surplus_rows()
    for k, chosen in enumerate(values):
        alone = apply_settings(parameters, economy, chosen)
        for name, s in CIRCUIT_SETTINGS.items():
            for field in s.fields:
                head, _, rest = field.partition(".")
                ours, theirs = getattr(stacked, head), getattr(alone, head)
                if rest:
                    ours, theirs = getattr(ours, rest), getattr(theirs, rest)
                np.testing.assert_array_equal(ours[k], theirs, err_msg=f"{name}: {field}")
        circuit = Circuit(economy, with_values(context, chosen))
        np.testing.assert_array_equal(rows[k], circuit._system.solve_transposed(_circuit_targets(economy)).T)
        np.testing.assert_array_equal(surplus[k], circuit._surplus_rows)
        matrix, leakage = circuit_coefficients(economy, CircuitArrays.of(circuit.parameters))
        np.testing.assert_array_equal(matrix[0], circuit.coefficients.values)
        np.testing.assert_array_equal(leakage[0], circuit.leakage_coefficients.values)


@st.composite
def leaky_economies(draw):
    """Small economies whose industries leak as little as 1e-4 of each unit of output: with every
    circuit share near 1 their ``I - M`` is ill-conditioned (condition numbers up to about 1e4), yet admissible."""
    n = draw(st.integers(2, 5))
    raw = draw(arrays(np.float64, (4, n), elements=st.floats(0.05, 1.0)))
    leak = draw(arrays(np.float64, (n,), elements=st.sampled_from([1e-4, 1e-3, 1e-2, 0.3])))
    inputs = draw(arrays(np.float64, (n, n), elements=st.floats(0.01, 1.0)))
    local = draw(arrays(np.float64, (n,), elements=st.floats(0.0, 0.9)))
    local_inputs = inputs / inputs.sum(axis=0) * local * (1.0 - leak)
    rest = (1.0 - leak) * (1.0 - local)
    shares = raw[:3] / raw[:3].sum(axis=0)
    return LocalEconomy(
        sectors=tuple(f"s{i}" for i in range(n)),
        local_inputs=local_inputs,
        other_region_inputs=0.5 * leak,
        imported_inputs=0.5 * leak,
        other_inputs=np.zeros(n),
        compensation=rest * shares[0] + rest * shares[2] * 0.5,
        operating_surplus=rest * shares[1] + rest * shares[2] * 0.5,
        employment=raw[3] * 0.01,
    )


def _closed_parameters(economy: LocalEconomy, leak: float) -> CircuitParameters:
    """Every circuit closed but for ``leak``: residents, local owners, local spending, no taxes."""
    n = len(economy.sectors)
    pattern = SpendingPattern(np.full(n, 1.0 / n), np.full(n, 1.0 - leak))
    return CircuitParameters(
        sectors=economy.sectors,
        resident_wage_share=1.0 - leak,
        local_income_tax_rate_on_wages=0.0,
        national_tax_rate_on_wages=0.0,
        local_tax_rate_on_surplus=0.0,
        national_tax_rate_on_surplus=0.0,
        local_ownership_share=1.0 - leak,
        reinvestment_rate=0.5,
        consumption_propensity=1.0 - leak,
        households=pattern,
        city=pattern,
        investment=pattern,
        city_respend_share=1.0 - leak,
    )


@settings(max_examples=30, deadline=None)
@given(
    economy=leaky_economies(),
    leak=st.sampled_from([1e-4, 1e-2, 0.2]),
    values=st.lists(circuit_settings, min_size=1, max_size=4),
)
def test_stacked_multipliers_equal_lapack_on_ill_conditioned_circuits(economy, leak, values):
    """Each member's multipliers equal ``scipy.linalg.lu_solve(lu_factor(I - M_k), t, trans=1)`` to
    1e-12 of the largest, for circuits from well- to ill-conditioned (all shares near 1, tiny leaks)."""
    parameters = _closed_parameters(economy, leak)
    stacked = settings_arrays(parameters, economy, values)
    matrix, leakage = circuit_coefficients(economy, stacked)
    np.testing.assert_allclose(matrix.sum(axis=1) + leakage.sum(axis=1), 1.0, rtol=0, atol=1e-14)
    targets = _circuit_targets(economy)
    rows = CircuitStack(economy, stacked, block=3).multipliers(targets)
    for k in range(len(values)):
        lapack = scipy.linalg.lu_solve(scipy.linalg.lu_factor(np.eye(len(targets)) - matrix[k]), targets, trans=1).T
        assert float(np.abs(rows[k] - lapack).max()) <= LAPACK_RTOL * float(np.abs(lapack).max())


def test_an_inadmissible_set_is_named(context):
    """Sets are checked as arrays; the first bad one is named with the reason the parameters give."""
    good = circuit_values(context)
    bad = {**good, "local_tax_rate": 1.0}
    with pytest.raises(DataError, match=r"circuit parameter set 2 of 3: .*local_income_tax_rate_on_wages.*exceed 1"):
        circuit_stack(context, [good, good, bad])
    with pytest.raises(DataError, match=r"targets have shape \(3,\)"):
        circuit_stack(context, [good]).multipliers(np.zeros(3))
    with pytest.raises(DataError, match="block must be at least 1"):
        CircuitStack(context.economy, CircuitArrays.of(context.parameters), block=0)


@pytest.mark.parametrize("name", ["gwangmyeong_baseline", "combined_package"])
def test_every_coefficient_draw_equals_the_scenario_run_alone(context, name):
    """Array path = scalar path for draws that change circuit coefficients: ``evaluate_draws`` over
    many scenarios with their own ``[circuit]`` values (one stack of circuits) equals each scenario
    run alone through ``run_scenario`` (to 1e-12 relative: rows times spending against per-sector
    accounts), and equals, bit for bit, the same scenario evaluated alone by ``evaluate_draws``."""
    base = load_scenario(SCENARIOS / f"{name}.toml")
    scenarios = bench_coefficients.coefficient_scenarios(base, 9, seed=3)
    together = evaluate_draws([prepare_draws(s, context, {}, 1) for s in scenarios], context)
    for scenario, stacked in zip(scenarios, together, strict=True):
        alone = evaluate_draws([prepare_draws(scenario, context, {}, 1)], context)[0]
        totals = headline(concat_results([run_scenario(scenario)]))
        for total in HEADLINE_TOTALS:
            np.testing.assert_array_equal(stacked[total], alone[total])
            np.testing.assert_allclose(
                stacked[total].sum(axis=-1), totals[total].values, rtol=SCALAR_RTOL, atol=0, err_msg=total
            )
