"""The result contract, comparison and saving."""

from __future__ import annotations

import numpy as np
import pytest
from factories import synthetic_result

from simengine import DataError
from simengine.results import check_result, compare, headline, load_result, save_result


def test_synthetic_result_meets_the_contract():
    check_result(synthetic_result())
    check_result(synthetic_result(periods=12, time_unit="month", draws=5))


def _scaled(ds, name, factor, offset=0.0):
    return ds.assign({name: (ds[name] * factor + offset).assign_attrs(ds[name].attrs)})


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda ds: ds.drop_vars("lm3"), "lacks variable 'lm3'"),
        (lambda ds: ds.assign_attrs(time_unit="week"), "time_unit"),
        (lambda ds: ds.assign(lm3=ds["lm3"].assign_attrs(units="KRW")), "needs units '1'"),
        (lambda ds: _scaled(ds, "local_award_share", 1.0, 2.0), "outside"),
        (lambda ds: _scaled(ds, "flows", 2.0), "flows"),
    ],
)
def test_broken_results_are_rejected(mutate, message):
    with pytest.raises(DataError, match=message):
        check_result(mutate(synthetic_result()))


def test_missing_provenance_is_rejected():
    ds = synthetic_result()
    del ds.attrs["region"]
    with pytest.raises(DataError, match="provenance.*region"):
        check_result(ds)


def test_compare_ranks_by_value_added_per_unit_of_cost():
    base = synthetic_result("baseline", local_share=0.5)
    cheap = synthetic_result("cheap", local_share=0.7, cost_premium=10.0)
    dear = synthetic_result("dear", local_share=0.7, cost_premium=100.0)
    table = compare([base, cheap, dear])
    assert table.attrs["baseline"] == "baseline"
    np.testing.assert_allclose(table["delta_local_output"].sel(scenario="baseline"), 0.0)
    ranks = dict(zip(table["scenario"].values, table["rank"].values, strict=False))
    assert ranks["cheap"] < ranks["dear"] < ranks["baseline"]


def test_compare_rejects_duplicates_and_unknown_baseline():
    with pytest.raises(DataError, match="duplicate"):
        compare([synthetic_result("a"), synthetic_result("a")])
    with pytest.raises(DataError, match="baseline 'z'"):
        compare([synthetic_result("a")], baseline="z")


def test_headline_averages_draws():
    ds = synthetic_result(draws=4)
    assert "draw" not in headline(ds).dims


def test_save_and_load_round_trip(tmp_path):
    ds = synthetic_result(periods=3)
    path = save_result(ds, tmp_path / "r.nc")
    again = load_result(path)
    np.testing.assert_allclose(again["local_output"], ds["local_output"])
    with pytest.raises(DataError, match="exists"):
        save_result(ds, path)
    bad = tmp_path / "bad.nc"
    ds.drop_vars("lm3").to_netcdf(bad, engine="h5netcdf")
    with pytest.raises(DataError, match="not a simengine result"):
        load_result(bad)
