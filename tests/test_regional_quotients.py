"""Location-quotient regionalisation: hand-computed cases and conventions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from simengine.errors import DataError
from simengine.regional import flq_lambda, location_quotient_factors, regionalize

REGIONAL = np.array([10.0, 30.0, 60.0])
NATIONAL = np.array([100.0, 100.0, 200.0])
# SLQ = (10/100)/(100/400), (30/100)/(100/400), (60/100)/(200/400) = 0.4, 1.2, 1.2
SLQ = np.array([0.4, 1.2, 1.2])
# lambda* = log2(1 + 100/400) ** 0.3 = 0.321928 ** 0.3 = 0.711750 (computed by hand)
LAMBDA = 0.7117498


def test_slq_by_hand():
    """SLQ_i = (E_Ri/E_R)/(E_Ni/E_N), capped at 1, applied to every cell of row i."""
    factors = location_quotient_factors(REGIONAL, NATIONAL, method="slq")
    np.testing.assert_allclose(factors, np.repeat(np.minimum(SLQ, 1)[:, None], 3, axis=1))


def test_cilq_by_hand_with_slq_diagonal():
    """CILQ_ij = SLQ_i/SLQ_j off the diagonal (1/3, 3, 1, ...), SLQ_i on it (Flegg & Webber 1997)."""
    expected = np.array([[0.4, 1 / 3, 1 / 3], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    np.testing.assert_allclose(location_quotient_factors(REGIONAL, NATIONAL, method="cilq"), expected)


def test_flq_by_hand():
    """FLQ_ij = CILQ_ij * lambda*, diagonal SLQ_i * lambda*, capped at 1."""
    assert flq_lambda(100.0, 400.0, 0.3) == pytest.approx(LAMBDA, rel=1e-6)
    expected = np.array(
        [
            [0.4 * LAMBDA, LAMBDA / 3, LAMBDA / 3],
            [1.0, 1.2 * LAMBDA, LAMBDA],
            [1.0, LAMBDA, 1.2 * LAMBDA],
        ]
    )
    np.testing.assert_allclose(
        location_quotient_factors(REGIONAL, NATIONAL, method="flq", delta=0.3), expected, rtol=1e-6
    )


def test_aflq_scales_specialised_columns():
    """AFLQ (McCann & Dewhurst 1998) multiplies columns with SLQ_j > 1 by log2(1 + SLQ_j) = log2(2.2)."""
    flq = location_quotient_factors(REGIONAL, NATIONAL, method="flq", delta=0.3)
    aflq = location_quotient_factors(REGIONAL, NATIONAL, method="aflq", delta=0.3)
    boost = np.log2(2.2)
    np.testing.assert_allclose(aflq[:, 0], flq[:, 0])
    np.testing.assert_allclose(aflq[0, 1:], flq[0, 1:] * boost)
    np.testing.assert_allclose(aflq[1, 1], min(1.2 * LAMBDA * boost, 1.0), rtol=1e-6)


def test_sflq_uses_one_delta_per_purchasing_sector():
    """SFLQ (Kowalewski 2015): with equal deltas it is FLQ; column j uses delta_j."""
    flq = location_quotient_factors(REGIONAL, NATIONAL, method="flq", delta=0.3)
    same = location_quotient_factors(REGIONAL, NATIONAL, method="sflq", delta=[0.3, 0.3, 0.3])
    np.testing.assert_allclose(same, flq)
    mixed = location_quotient_factors(REGIONAL, NATIONAL, method="sflq", delta=[0.0, 0.3, 0.9])
    np.testing.assert_allclose(mixed[0, 0], 0.4)  # delta 0: lambda = 1
    np.testing.assert_allclose(mixed[0, 2], flq_lambda(100, 400, 0.9) / 3)


def test_regionalize_multiplies_coefficients_and_keeps_labels():
    import xarray as xr

    A = np.full((3, 3), 0.1)
    np.testing.assert_allclose(regionalize(A, REGIONAL, NATIONAL, method="slq")[0], 0.04)
    labelled = xr.DataArray(
        A, dims=("sector_from", "sector_to"), coords={"sector_from": list("abc"), "sector_to": list("abc")}
    )
    out = regionalize(labelled, REGIONAL, NATIONAL, method="cilq")
    assert isinstance(out, xr.DataArray) and list(out["sector_from"].values) == list("abc")


def test_absent_sectors():
    """A supplying sector absent from the region gives 0; an absent buyer column takes the row's SLQ."""
    factors = location_quotient_factors([0.0, 30.0, 60.0], NATIONAL, method="cilq")
    np.testing.assert_allclose(factors[0], 0.0)
    assert np.all(np.isfinite(factors))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "flq", "delta": 1.0}, "delta must lie in [0, 1)"),
        ({"method": "flq", "delta": -0.1}, "delta must lie in [0, 1)"),
        ({"method": "flq"}, "needs delta"),
        ({"method": "slq", "delta": 0.3}, "takes no delta"),
        ({"method": "sflq", "delta": 0.3}, "one delta per purchasing sector"),
        ({"method": "flq", "delta": [0.3, 0.3, 0.3]}, "use method='sflq'"),
        ({"method": "xlq"}, "unknown regionalisation method"),
    ],
)
def test_bad_parameters(kwargs, message):
    with pytest.raises(DataError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        location_quotient_factors(REGIONAL, NATIONAL, **kwargs)


def test_region_larger_than_nation_and_negative_counts():
    with pytest.raises(DataError, match="cannot be larger than the nation"):
        location_quotient_factors([200.0, 30.0, 60.0], NATIONAL, method="slq")
    with pytest.raises(DataError, match="non-negative"):
        location_quotient_factors([-1.0, 30.0, 60.0], NATIONAL, method="slq")


employment_pairs = st.integers(2, 8).flatmap(
    lambda n: st.tuples(
        arrays(np.float64, (n,), elements=st.floats(1.0, 1e6)),
        arrays(np.float64, (n,), elements=st.floats(0.0, 1.0)),
        st.floats(0.0, 0.99),
    )
)


@given(employment_pairs)
def test_factor_ordering(pair):
    """Invariants: factors lie in [0, 1]; FLQ <= CILQ (lambda <= 1); a larger delta never raises FLQ."""
    national, fraction, delta = pair
    regional = national * fraction
    if regional.sum() <= 0:
        return
    cilq = location_quotient_factors(regional, national, method="cilq")
    flq = location_quotient_factors(regional, national, method="flq", delta=delta)
    flq_more = location_quotient_factors(regional, national, method="flq", delta=min(delta + 0.05, 0.999))
    for factors in (cilq, flq):
        assert np.all((factors >= 0) & (factors <= 1))
    assert np.all(flq <= cilq + 1e-12)
    assert np.all(flq_more <= flq + 1e-12)
