"""Exchange with pymrio: pymrio's own results on exported tables and regions equal ours."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import given, settings
from strategies import productive_tables

from simengine import IOTable, load_region
from simengine.errors import DataError, DataQualityWarning

pymrio = pytest.importorskip("pymrio", reason="pymrio is an optional dependency (pip install pymrio)")

CORE = (
    "intermediate",
    "final_demand",
    "gross_output",
    "value_added",
    "imported_inputs",
    "other_inputs",
    "employment",
    "imported_intermediate",
    "imported_final_demand",
)


def assert_same_table(back: IOTable, table: IOTable) -> None:
    assert back.sectors == table.sectors
    for name in CORE:
        assert (name in back.dataset) == (name in table.dataset), name
        if name in table.dataset:
            np.testing.assert_allclose(back.dataset[name].values, table.dataset[name].values, rtol=1e-13, atol=0)
    for coord in ("fd_category", "va_component"):
        assert list(back.dataset[coord].values) == list(table.dataset[coord].values)
    assert back.unit == table.unit


def test_pymrio_results_on_the_exported_national_table_equal_ours(korea):
    system = korea.to_pymrio()
    system.calc_all()
    np.testing.assert_allclose(system.A.values, korea.technical_coefficients().values, atol=1e-15)
    np.testing.assert_allclose(system.L.values, korea.leontief_inverse().values, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(system.L.values.sum(axis=0), korea.multipliers("output").values, rtol=1e-12)
    M = system.factor_inputs.M
    np.testing.assert_allclose(
        M.loc[["compensation", "other_value_added"]].sum().values, korea.multipliers("value_added").values, rtol=1e-12
    )
    np.testing.assert_allclose(M.loc["compensation"].values, korea.multipliers("income").values, rtol=1e-12)
    np.testing.assert_allclose(
        system.employment.M.loc["employment"].values, korea.multipliers("employment").values, rtol=1e-12
    )


def test_national_round_trip_returns_the_same_table(korea):
    back = IOTable.from_pymrio(korea.to_pymrio(), sector_names=list(korea.dataset["sector_name"].values))
    assert_same_table(back, korea)
    assert list(back.dataset["product"].values) == list(korea.dataset["product"].values)
    assert back.dataset.attrs["currency"] == "KRW" and back.dataset.attrs["price_year"] == 2014
    np.testing.assert_allclose(back.multipliers("income", "II").values, korea.multipliers("income", "II").values)


@settings(max_examples=15, deadline=None)
@given(productive_tables(min_sectors=1, max_sectors=6))
def test_round_trip_of_random_tables(table):
    assert_same_table(IOTable.from_pymrio(table.to_pymrio(region="r")), table)


def test_pymrio_test_system_read_back_reproduces_pymrio_multipliers():
    """pymrio's own six-region test MRIO, aggregated by pymrio to one region: our value-added
    multipliers and Leontief inverse on the table read from it equal pymrio's calc_all."""
    system = pymrio.load_test()
    with pytest.raises(DataError, match="6 regions"):
        IOTable.from_pymrio(system)
    world = system.aggregate(region_agg="world", inplace=False)
    world.calc_all()
    with pytest.warns(DataQualityWarning, match="column_balance"):  # the test MRIO records value added only
        table = IOTable.from_pymrio(world)
    assert table.unit == "Mill USD"
    np.testing.assert_allclose(table.leontief_inverse().values, world.L.values, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(
        table.multipliers("value_added").values, world.factor_inputs.M.loc["Value Added"].values, rtol=1e-12
    )


@pytest.mark.parametrize("region", ["gyeonggi-2014", "gwangmyeong"])
def test_pymrio_results_on_an_exported_region_equal_ours(region):
    model = load_region(region)
    system = model.to_pymrio()
    system.calc_all()
    assert list(system.get_regions()) == model.regions
    k, n = len(model.regions), len(model.sectors)
    L = system.L.values.reshape(k, n, k, n)
    output = model.multipliers("output")
    np.testing.assert_allclose(L.sum(axis=1).transpose(1, 2, 0), output["by_region"].values, rtol=1e-11, atol=1e-14)
    in_region = np.stack([L[s, :, s, :].sum(axis=0) for s in range(k)])
    np.testing.assert_allclose(in_region, output["in_region"].values, rtol=1e-11)
    M = system.factor_inputs.M
    for kind, rows in (("value_added", ["compensation", "other_value_added"]), ("income", ["compensation"])):
        np.testing.assert_allclose(
            M.loc[rows].sum().values.reshape(k, n), model.multipliers(kind)["total"].values, rtol=1e-11, atol=1e-15
        )
    np.testing.assert_allclose(
        system.employment.M.loc["employment"].values.reshape(k, n),
        model.multipliers("employment")["total"].values,
        rtol=1e-11,
    )


def test_missing_pymrio_is_one_clear_error(korea, monkeypatch):
    monkeypatch.setitem(sys.modules, "pymrio", None)
    with pytest.raises(DataError, match="pip install pymrio"):
        korea.to_pymrio()
