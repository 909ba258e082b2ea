"""Household closures (compensation and disposable income), national and regional Type II."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import IDENTITY_ATOL, IDENTITY_RTOL
from hypothesis import given
from hypothesis import strategies as st
from strategies import productive_tables

from simengine import load_region
from simengine.accounts import LeontiefSystem
from simengine.cli import main
from simengine.errors import DataError
from simengine.households import KOREA_2014_DISPOSABLE, HouseholdClosure
from simengine.regional import RegionalModel

KINDS = ("output", "value_added", "income", "employment")


def closures(table, share=0.8, propensity=0.9):
    return [
        HouseholdClosure.compensation(table),
        HouseholdClosure.disposable(
            table, net_income_share=share, propensity_to_consume=propensity, self_coefficient=0.05
        ),
    ]


@given(productive_tables(min_sectors=2, max_sectors=8), st.floats(0.3, 1.0), st.floats(0.3, 1.0))
def test_type_ii_over_type_i_income_is_one_constant_for_both_bases(table, share, propensity):
    """Miller & Blair (2009), Appendix 6.2: Type II / Type I income is the same for every
    sector, 1 / (1 - a_hh - h' L c) with the closure's income row h, consumption column c
    and households' purchases from households a_hh."""
    type_i = table.multipliers("income", "I").values
    h = table._coefficients("income")
    for closure in closures(table, share, propensity):
        ratio = table.multipliers("income", "II", households=closure).values / type_i
        loop = closure.income_coefficients(h) @ table._system.solve(closure.consumption)
        np.testing.assert_allclose(ratio, 1.0 / (1.0 - closure.self_coefficient - loop), rtol=IDENTITY_RTOL)


def test_korea_2014_ratios_of_both_bases(korea):
    """Regression values of this repository's korea-2014 table (not published figures):
    compensation base 1.4733 (C / compensation = 0.875), disposable base 1.3228 with
    the sourced Korean parameters."""
    type_i = korea.multipliers("income", "I").values
    compensation = korea.multipliers("income", "II").values / type_i
    disposable = korea.multipliers(
        "income", "II", households=HouseholdClosure.disposable(korea, **KOREA_2014_DISPOSABLE)
    ).values
    np.testing.assert_allclose(compensation, 1.4732832, atol=5e-8)
    np.testing.assert_allclose(disposable / type_i, 1.3228413, atol=5e-8)


def test_default_closure_is_the_compensation_closure(korea):
    explicit = korea.multipliers("output", "II", households=HouseholdClosure.compensation(korea))
    np.testing.assert_array_equal(korea.multipliers("output", "II").values, explicit.values)
    assert explicit.attrs["household_closure"] == "households closed on compensation"


def test_published_closed_inverse_through_the_closure():
    """Miller & Blair (2009), section 2.5, with households' own purchase of labour set to 0:
    the closed inverse built by the closure equals the bordered inverse of [[A, c], [h', 0]]."""
    from simengine import IOTable

    Z = np.array([[150.0, 500.0], [200.0, 100.0]])
    x = np.array([1000.0, 2000.0])
    h = np.array([0.30, 0.25])
    c = np.array([0.05, 0.40])
    income = float(h @ x)
    table = IOTable.from_arrays(Z, x - Z.sum(axis=1), x=x, compensation=h * x, household_consumption=c * income)
    A = Z / x
    closed = np.block([[A, c[:, None]], [h[None, :], np.zeros((1, 1))]])
    expected = LeontiefSystem(closed).inverse()
    np.testing.assert_allclose(table.multipliers("output", "total").values, expected[:2, :2].sum(axis=0))
    np.testing.assert_allclose(table.multipliers("income", "total").values, expected[2, :2])


@pytest.mark.parametrize(("share", "propensity"), [(0.0, 0.9), (1.2, 0.9), (0.8, 0.0), (0.8, float("nan"))])
def test_disposable_parameters_are_checked(korea, share, propensity):
    with pytest.raises(DataError, match="must be in"):
        HouseholdClosure.disposable(korea, net_income_share=share, propensity_to_consume=propensity)


@given(
    productive_tables(min_sectors=2, max_sectors=6),
    st.floats(0.05, 0.95),
    st.lists(st.floats(0.0, 1.0), min_size=6, max_size=6),
)
def test_a_closed_region_collapsed_to_the_nation_gives_the_national_type_ii(table, size, rpcs):
    """Each region's household column sums over supplying regions to the national one and
    its income row is the national one, so in-region + out-of-region closed multipliers
    equal the national closed (total) multipliers, for every kind and both bases."""
    n = len(table.sectors)
    nation = RegionalModel.from_table(table)
    employment = nation.dataset["employment"].values[0] * size
    model = nation.split("nation", new_region="r", rest_region="rest", employment=employment, local_factors=rpcs[:n])
    for closure in closures(table):
        for kind in KINDS:
            regional = model.multipliers(kind, households=closure)
            national = table.multipliers(kind, "total", households=closure).values
            for region in ("r", "rest"):
                np.testing.assert_allclose(
                    regional["total"].sel(region=region).values, national, rtol=IDENTITY_RTOL, atol=IDENTITY_ATOL
                )
    np.testing.assert_allclose(model.household_sourcing().sum(axis=0), 1.0, rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_regions_that_split_the_nation_closed_reproduce_national_type_ii(korea, seed):
    """A two-region split of the nation with unscaled national coefficients (``k = 1``): in + out
    of the household-closed model equals the national Type II multiplier, whatever the purchase
    coefficients. (The shipped provinces scale the coefficients 2014 -> 2020, so their in + out
    is the scaled table's multiplier instead; see the regional calibration tests.)"""
    import pandas as pd

    from simengine.regional.calibration import NationalAccounts, joint_model

    rng = np.random.default_rng(seed)
    accounts = NationalAccounts.of(RegionalModel.from_table(korea))
    parameters = pd.DataFrame(
        {"rpc": rng.uniform(0.1, 0.9, len(korea.sectors)), "scale": 1.0, "va_share": accounts.va_share},
        index=korea.sectors,
    )
    model = joint_model(korea, parameters, region="r", employment_share=0.2)
    closure = HouseholdClosure.compensation(korea)
    for kind in ("output", "income"):
        total = model.multipliers(kind, households=closure)["total"].values
        np.testing.assert_allclose(
            total, np.broadcast_to(korea.multipliers(kind, "total").values, total.shape), rtol=1e-7
        )


def test_shipped_regions_closed_raise_every_in_region_multiplier(korea):
    closure = HouseholdClosure.compensation(korea)
    for region in ("gyeonggi-2014", "gwangmyeong"):
        model = load_region(region)
        closed, opened = model.multipliers("output", households=closure), model.multipliers("output")
        assert np.all(closed["in_region"].values > opened["in_region"].values)


def test_regional_closure_needs_the_models_sectors(miller_blair_2x2):
    with pytest.raises(DataError, match="sectors"):
        load_region("busan-2014").multipliers(
            "output", households=HouseholdClosure("compensation", 1.0, np.ones(2), ("S1", "S2"))
        )


def test_cli_regional_type_ii_and_netcdf(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["multipliers", "--region", "busan-2014", "--type", "II", "--kind", "income"])
    assert result.exit_code == 0, result.output
    assert "households closed on compensation" in result.output
    path = tmp_path / "busan.nc"
    result = runner.invoke(
        main, ["multipliers", "--region", "busan-2014", "--type", "total", "--income-base", "disposable", "-o", path]
    )
    assert result.exit_code == 0, result.output
    assert path.is_file()
