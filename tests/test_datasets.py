"""The shipped korea-2014 dataset: rebuild from raw files, balance, plausibility."""

from __future__ import annotations

import numpy as np
import xarray as xr

from simengine.datasets import dataset_path, korea_2014, list_datasets


def test_recipe_rebuilds_the_shipped_file(korea):
    rebuilt = korea_2014.build().dataset
    shipped = xr.open_dataset(dataset_path("korea-2014"), engine="h5netcdf").load()
    assert korea_2014.same_values(rebuilt, shipped)


def test_rows_and_columns_balance(korea):
    ds = korea.dataset
    x = ds["gross_output"].values
    rows = ds["intermediate"].sum("sector_to").values + ds["final_demand"].sum("fd_category").values
    columns = (
        ds["intermediate"].sum("sector_from").values
        + ds["imported_inputs"].values
        + ds["other_inputs"].values
        + ds["value_added"].sum("va_component").values
    )
    # WIOD publishes flows rounded to 1e-6 USD million; SOURCE.md reports column gaps of
    # at most 0.0076 USD million (about 8 KRW million).
    np.testing.assert_allclose(rows, x, rtol=1e-9)
    np.testing.assert_allclose(columns, x, atol=10.0)
    np.testing.assert_allclose(ds["imported_intermediate"].sum("product"), ds["imported_inputs"], rtol=1e-12)


def test_totals_match_the_source_documentation(korea):
    """SOURCE.md (kor-wiod): 2014 GO 3,403.9 bn USD, VA 1,287.1 bn USD."""
    ds = korea.dataset
    usd_per_krw = ds.attrs["exchange_rate_usd_per_krw"]
    to_usd_bn = usd_per_krw / 1000.0
    assert abs(float(ds["gross_output"].sum()) * to_usd_bn - 3403.9) < 0.1
    assert abs(float(ds["value_added"].sum()) * to_usd_bn - 1287.1) < 0.1
    assert len(korea.sectors) == 53 and not {"C33", "T", "U"} & set(korea.sectors)
    assert abs(float(ds["employment"].sum()) - 25_599_000) < 1


def test_multipliers_are_in_the_documented_range(korea):
    """SOURCE.md (kor-wiod) computed from the same CSVs: output multipliers 1.35-2.44
    (median 1.86), value-added multipliers median 0.76. Independent of this package."""
    output = korea.multipliers("output", "simple")
    assert 1.35 <= float(output.min()) and float(output.max()) <= 2.45
    assert abs(float(output.median()) - 1.86) < 0.01
    assert abs(float(korea.multipliers("value_added", "simple").median()) - 0.76) < 0.01
    assert float(korea.leakage().sum("channel").min()) > 1 - 1e-6


def test_listing_has_provenance():
    (info,) = list_datasets()
    assert "CC BY 4.0" in info.licence
    assert (dataset_path(info.name).parent / info.raw_folder / "SOURCE.md").is_file()
