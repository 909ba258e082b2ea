"""Bad tables give one clear error or a named warning, never a silently wrong number."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from simengine import DataError, DataQualityWarning, IOTable
from simengine.accounts import input_coefficients
from simengine.checks import all_finite, has_negative


def test_non_productive_table_is_an_error_naming_sectors():
    # A = [[0.5, 0.8], [0.7, 0.4]] has spectral radius 1.2: no nonnegative solution.
    Z = np.array([[50.0, 80.0], [70.0, 40.0]])
    x = np.array([100.0, 100.0])
    with pytest.warns(DataQualityWarning):
        table = IOTable.from_arrays(Z, [30.0, 20.0], x=x, sectors=["farm", "steel"])
    with pytest.raises(DataError, match=r"not productive.*spectral radius.*steel"):
        table.multipliers("output")


def test_non_productive_never_returns_negative_output():
    # A = [[0.9, 0.3], [0.3, 0.9]]: spectral radius 1.2, yet det(I - A) != 0, so a bare
    # solve would return negative outputs.
    Z = np.array([[90.0, 30.0], [30.0, 90.0]])
    with pytest.warns(DataQualityWarning):
        table = IOTable.from_arrays(Z, [1.0, 1.0], x=[100.0, 100.0])
    with pytest.raises(DataError):
        table.impact([1.0, 1.0])


def test_nan_is_an_error():
    with pytest.raises(DataError, match="NaN"):
        IOTable.from_arrays([[1.0, np.nan], [0.0, 1.0]], [5.0, 5.0])


def test_negative_flows_are_refused_unless_allowed_then_warned():
    Z = np.array([[10.0, -2.0], [3.0, 10.0]])
    with pytest.raises(DataError, match=r"\[negative\] 1 negative intermediate flows.*S1 -> S2.*--allow-negative"):
        IOTable.from_arrays(Z, [50.0, 50.0])
    with pytest.warns(DataQualityWarning, match="negative_flows"):
        IOTable.from_arrays(Z, [50.0, 50.0], allow_negative=["intermediate"])
    with pytest.raises(DataError, match="negative_flows"):
        IOTable.from_arrays(Z, [50.0, 50.0], strict=["negative_flows"], allow_negative=["intermediate"])


def test_unbalanced_rows_warn():
    with pytest.warns(DataQualityWarning, match="row_balance"):
        IOTable.from_arrays([[10.0, 20.0], [5.0, 5.0]], [70.0, 90.0], x=[100.0, 120.0], sectors=["a", "b"])


def test_zero_output_sector_warns_and_gets_zero_coefficients():
    Z = np.array([[10.0, 0.0], [0.0, 0.0]])
    with pytest.warns(DataQualityWarning, match="zero_output.*S2"):
        table = IOTable.from_arrays(Z, [90.0, 0.0], x=[100.0, 0.0])
    assert np.asarray(table.technical_coefficients())[:, 1].tolist() == [0.0, 0.0]


def test_unknown_strict_name_is_an_error():
    with pytest.raises(DataError, match="unknown check"):
        IOTable.from_arrays([[1.0]], [9.0], strict=["balance"])


def test_check_all_is_strict():
    table = IOTable.from_arrays([[1.0]], [9.0])
    table.check()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"Z": [[1.0, 2.0]], "final_demand": [1.0]}, "square"),
        ({"Z": [[1.0]], "final_demand": [1.0, 2.0]}, "final_demand has shape"),
        ({"Z": [[1.0]], "final_demand": [1.0], "x": [1.0, 2.0]}, "x has shape"),
        ({"Z": [[1.0, 0.0], [0.0, 1.0]], "final_demand": [1.0, 1.0], "sectors": ["a", "a"]}, "unique"),
    ],
)
def test_malformed_arrays_name_the_problem(kwargs, message):
    with pytest.raises(DataError, match=message):
        IOTable.from_arrays(**kwargs)


def test_missing_data_for_a_multiplier_kind_is_explained(miller_blair_2x2):
    with pytest.raises(DataError, match="employment"):
        miller_blair_2x2.multipliers("employment")
    with pytest.raises(DataError, match="compensation"):
        miller_blair_2x2.multipliers("income")
    with pytest.raises(DataError, match="unknown multiplier kind"):
        miller_blair_2x2.multipliers("jobs")
    with pytest.raises(DataError, match="unknown multiplier type"):
        miller_blair_2x2.multipliers("output", "III")


def test_unknown_sector_in_demand_mapping(miller_blair_2x2):
    with pytest.raises(DataError, match="unknown sector 'S9'"):
        miller_blair_2x2.impact({"S9": 1.0})


_ENTRIES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e308, -1e308, np.nan, np.inf, -np.inf]),
)


@given(arrays(np.float64, array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=6), elements=_ENTRIES))
def test_fast_scans_agree_with_their_definitions(values):
    """all_finite and has_negative skip the temporary masks but answer exactly as the masks would."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the summing shortcut must not warn on overflow or inf - inf
        assert all_finite(values) == bool(np.all(np.isfinite(values)))
        assert has_negative(values) == bool(np.any(values < 0))


@given(
    arrays(np.float64, (3, 5), elements=st.floats(0.0, 1e6)),
    arrays(np.float64, (5,), elements=st.sampled_from([0.0, 1.0, 2.5, 1e4])),
)
def test_input_coefficients_divide_by_output_and_zero_idle_columns(flows, gross_output):
    coefficients = input_coefficients(flows, gross_output)
    producing = gross_output != 0
    np.testing.assert_array_equal(coefficients[:, producing], flows[:, producing] / gross_output[producing])
    np.testing.assert_array_equal(coefficients[:, ~producing], 0.0)
    np.testing.assert_array_equal(input_coefficients(flows[0], gross_output), coefficients[0])
