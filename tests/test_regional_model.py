"""Multi-region models: identities, feedback, local economy, persistence, employment files."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from conftest import IDENTITY_ATOL, IDENTITY_RTOL
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from strategies import productive_tables

from simengine.errors import DataError
from simengine.regional import RegionalModel, build_region_model, quotients, read_employment_csv


def test_quotients_doctest():
    assert doctest.testmod(quotients).failed == 0


@settings(max_examples=15)
@given(productive_tables(min_sectors=2, max_sectors=8), st.data())
def test_two_region_totals_equal_national_multipliers(table, data):
    """In-region + out-of-region output multipliers of a two-region model built with the
    national structure for both regions equal the national multipliers, for any local
    purchase coefficients and any regional size (the split aggregates back exactly)."""
    n = len(table.sectors)
    rpc = data.draw(arrays(np.float64, (n,), elements=st.floats(0.0, 1.0)))
    fraction = data.draw(arrays(np.float64, (n,), elements=st.floats(0.0, 1.0)))
    employment = table.dataset["employment"].values * fraction
    model = build_region_model(table, employment, purchase_coefficients=rpc)
    for kind in ("output", "value_added", "income"):
        multipliers = model.multipliers(kind)
        national = table.multipliers(kind, "simple").values
        for region in range(2):
            np.testing.assert_allclose(
                multipliers["total"].values[region], national, rtol=IDENTITY_RTOL, atol=IDENTITY_ATOL
            )
        assert np.all(multipliers["in_region"].values <= multipliers["total"].values + IDENTITY_ATOL)
    output = model.multipliers("output")
    assert np.all(output["in_region"].values >= 1.0 - IDENTITY_ATOL)
    assert np.all(output["out_of_region"].values >= -IDENTITY_ATOL)


@settings(max_examples=15)
@given(productive_tables(min_sectors=2, max_sectors=6), st.floats(0.05, 0.95), st.floats(0.0, 0.9))
def test_three_region_split_aggregates_to_two_region(table, city_fraction, delta):
    """Splitting a region into a city and the rest of the province leaves the province's
    totals unchanged: city + rest-of-province effects of demand in the city equal the
    province's in-region multipliers; feedback is non-negative."""
    national = table.dataset["employment"].values
    model = build_region_model(table, national * 0.4, method="flq", delta=0.3, region="P")
    city = model.split(
        "P",
        new_region="L",
        rest_region="P_rest",
        employment=national * 0.4 * city_fraction,
        local_factors=quotients.location_quotient_factors(
            national * 0.4 * city_fraction, national * 0.4, method="flq", delta=delta
        ),
    )
    assert city.regions == ["L", "P_rest", "rest_of_country"]
    three = city.multipliers("output")["by_region"].sel(region="L")
    two = model.multipliers("output")["by_region"].sel(region="P")
    np.testing.assert_allclose(
        three.sel(affected_region=["L", "P_rest"]).sum("affected_region"),
        two.sel(affected_region="P"),
        rtol=IDENTITY_RTOL,
    )
    np.testing.assert_allclose(
        three.sel(affected_region="rest_of_country"),
        two.sel(affected_region="rest_of_country"),
        rtol=IDENTITY_RTOL,
        atol=IDENTITY_ATOL,
    )
    feedback = city.feedback("L")
    assert np.all(feedback["feedback"].values >= -IDENTITY_ATOL)
    np.testing.assert_allclose(feedback["own_block"], city.multipliers("output")["in_region"].sel(region="L"))


def test_feedback_matches_explicit_inverse_blocks(korea):
    """Own block of the full inverse vs (I - A_RR)^-1, computed with explicit inverses."""
    model = build_region_model(korea, korea.dataset["employment"].values * 0.2, method="flq", delta=0.3, region="R")
    n = len(korea.sectors)
    A = (
        model.dataset["coefficients"]
        .transpose("region_from", "sector_from", "region_to", "sector_to")
        .values.reshape(2 * n, 2 * n)
    )
    full = np.linalg.inv(np.eye(2 * n) - A)
    isolated = np.linalg.inv(np.eye(n) - A[:n, :n])
    feedback = model.feedback("R")
    np.testing.assert_allclose(feedback["own_block"], full[:n, :n].sum(axis=0), rtol=1e-10)
    np.testing.assert_allclose(feedback["isolated"], isolated.sum(axis=0), rtol=1e-10)
    np.testing.assert_allclose(feedback["spillover"], full[n:, :n].sum(axis=0), rtol=1e-10)
    assert float(feedback["feedback"].max()) > 0


def test_local_economy_balances_and_matches_blocks(korea):
    model = build_region_model(korea, korea.dataset["employment"].values * 0.2, method="cilq", region="R")
    local = model.local_economy("R")
    np.testing.assert_allclose(local.column_totals(), 1.0, atol=1e-12)
    blocks = model.dataset["coefficients"]
    np.testing.assert_allclose(
        local.local_inputs, blocks.sel(region_from="R", region_to="R").transpose("sector_from", "sector_to")
    )
    np.testing.assert_allclose(
        local.other_region_inputs, blocks.sel(region_from="rest_of_country", region_to="R").sum("sector_from")
    )
    np.testing.assert_allclose(
        local.compensation,
        korea.dataset["value_added"].sel(va_component="compensation") / korea.dataset["gross_output"],
    )
    with pytest.raises(DataError, match="unknown region 'X'"):
        model.local_economy("X")


def test_netcdf_round_trip(korea, tmp_path):
    model = build_region_model(korea, korea.dataset["employment"].values * 0.2, method="slq", region="R")
    path = model.to_netcdf(tmp_path / "r.nc")
    again = RegionalModel.from_netcdf(path)
    assert again.regions == ["R", "rest_of_country"] and again.name == "R"
    np.testing.assert_allclose(again.multipliers("output")["in_region"], model.multipliers("output")["in_region"])
    with pytest.raises(DataError, match="exists"):
        model.to_netcdf(path)


def test_build_arguments_are_checked(korea):
    employment = korea.dataset["employment"].values * 0.2
    with pytest.raises(DataError, match="either method"):
        build_region_model(korea, employment)
    with pytest.raises(DataError, match="cannot be larger"):
        build_region_model(korea, employment * 10, purchase_coefficients=np.full(53, 0.5))
    with pytest.raises(DataError, match=r"in \[0, 1\]"):
        build_region_model(korea, employment, purchase_coefficients=np.full(53, 1.5))
    with pytest.raises(DataError, match="unknown multiplier kind"):
        build_region_model(korea, employment, method="slq").multipliers("jobs")


def _write(tmp_path, rows, header="sector,employment"):
    path = tmp_path / "emp.csv"
    path.write_text("# test file\n" + header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


SECTORS = ["A", "B", "C"]


def test_employment_reader_reads_and_orders(tmp_path):
    path = _write(tmp_path, ["C,3", "A,1", "B,2"])
    values = read_employment_csv(path, SECTORS)
    assert values.values.tolist() == [1.0, 2.0, 3.0]
    regional = _write(
        tmp_path, ["X,A,1", "X,B,2", "X,C,3", "Y,A,9", "Y,B,9", "Y,C,9"], header="region,sector,employment"
    )
    assert read_employment_csv(regional, SECTORS, region="X").values.tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["A,1", "B,2", "Z,3"], "line 5: unknown sector 'Z'"),
        (["A,1", "B,2"], "missing sectors C"),
        (["A,1", "B,-2", "C,3"], "line 4: employment of 'B' is negative"),
        (["A,1", "B,", "C,3"], "line 4: employment of 'B' is blank"),
        (["A,1", "B,two", "C,3"], "line 4: employment of 'B' is 'two', not a number"),
        (["A,1", "A,2", "C,3"], "line 4: sector 'A' appears twice"),
        (["A,1", "B,2", "C,300"], "line 5: employment of 'C' \\(300\\) exceeds the national 30"),
    ],
)
def test_employment_reader_errors_name_file_and_line(tmp_path, rows, message):
    path = _write(tmp_path, rows)
    with pytest.raises(DataError, match=message) as info:
        read_employment_csv(path, SECTORS, national_employment=[10.0, 20.0, 30.0])
    assert "emp.csv" in str(info.value)


def test_employment_reader_bad_files(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_employment_csv(tmp_path / "none.csv", SECTORS)
    with pytest.raises(DataError, match="needs columns"):
        read_employment_csv(_write(tmp_path, ["A,1"], header="code,persons"), SECTORS)
    with pytest.raises(DataError, match="no 'region' column"):
        read_employment_csv(_write(tmp_path, ["A,1", "B,1", "C,1"]), SECTORS, region="X")
