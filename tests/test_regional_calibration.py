"""Calibration to the Bank of Korea 2020 regional multipliers, and the shipped regions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from click.testing import CliRunner

from cli import main
from simengine.datasets import REGIONS, load_region, region_path, regions
from simengine.errors import DataError
from simengine.regional import bok_targets, calibrate_purchase_coefficients, read_employment_csv


@pytest.fixture(scope="module")
def gyeonggi_fit(korea):
    return calibrate_purchase_coefficients(
        korea, regions.regional_employment("gyeonggi"), bok_targets("gyeonggi", korea.sectors), region="gyeonggi"
    )


def test_bok_targets_follow_the_concordance_rules(korea):
    """Bank of Korea 2020 regional IO tables (Gyeonggi), via z0nam/korea-rio-mcp: A02 is BOK 03
    alone (in 1.2119, out 0.3119); the H51 row (BOK 55) is a placeholder (no air transport
    in Gyeonggi) and gives no target; G45 borrows BOK 52 and 82 (both list it in also=); BOK 83 is not in C31_C32."""
    targets = bok_targets("gyeonggi", korea.sectors)
    assert targets.loc["A02", "output_in"] == pytest.approx(1.2119486366958205)
    assert targets.loc["A02", "output_out"] == pytest.approx(0.3119223679188885)
    assert np.isnan(targets.loc["H51", "output_in"]) and targets.loc["H51", "basis"] == "none"
    assert targets.loc["G45", "basis"] == "secondary" and targets.loc["G45", "bok_codes"] == "52 82"
    assert targets.loc["C31_C32", "bok_codes"] == "43"
    assert targets.loc["B", "bok_codes"] == "07"  # 06 is a placeholder row
    busan = bok_targets("busan", korea.sectors)
    assert busan.loc["C10-C12", "bok_codes"] == "08 09"  # tobacco (10) absent from Busan
    with pytest.raises(DataError, match="no BOK targets"):
        bok_targets("seoul", korea.sectors)


def test_gyeonggi_fit_meets_the_target(gyeonggi_fit):
    """Issue 3 acceptance: median |relative error| of in-region output multipliers <= 5%."""
    summary = gyeonggi_fit.summary()
    assert summary["sectors_with_target"] == 52
    assert summary["median_abs_rel_error_output_in"] <= 0.05
    worst = gyeonggi_fit.worst(10)
    assert len(worst) == 10 and all(worst["reason"].str.len() > 0)
    rpc = gyeonggi_fit.purchase_coefficients
    assert rpc.between(0, 1).all()


def test_calibrated_model_identities(gyeonggi_fit, korea):
    """In-region <= total and in + out = national output multipliers in the calibrated model."""
    output = gyeonggi_fit.model.multipliers("output")
    national = korea.multipliers("output", "simple").values
    np.testing.assert_allclose(output["total"].values[0], national, rtol=1e-10)
    assert np.all(output["in_region"] <= output["total"])
    np.testing.assert_allclose(gyeonggi_fit.fit["output_in_model"], output["in_region"].values[0])


def test_shipped_regions_rebuild_from_their_recipe():
    gyeonggi = regions.build_province("gyeonggi")
    built = {
        "gyeonggi-2014": gyeonggi,
        "busan-2014": regions.build_province("busan"),
        "gwangmyeong": regions.build_gwangmyeong(gyeonggi),
    }
    assert set(built) == set(REGIONS)
    for name, model in built.items():
        shipped = xr.open_dataset(region_path(name), engine="h5netcdf").load()
        assert regions.same_values(model.dataset, shipped), name


def test_gwangmyeong_assumption_file_is_gyeonggi_structure_scaled(korea):
    """The shipped city employment is exactly the documented assumption (SOURCE.md)."""
    city = read_employment_csv(regions.RAW / "gwangmyeong_employment_ASSUMPTION.csv", korea.sectors)
    gyeonggi = regions.regional_employment("gyeonggi")
    assert float(city.sum()) == pytest.approx(regions.GWANGMYEONG_EMPLOYMENT, abs=5)
    np.testing.assert_allclose(city.values, gyeonggi * regions.GWANGMYEONG_EMPLOYMENT / gyeonggi.sum(), atol=0.06)


def test_gwangmyeong_model():
    model = load_region("gwangmyeong")
    assert model.regions == ["gwangmyeong", "rest_of_gyeonggi", "rest_of_korea"]
    output = model.multipliers("output")
    city = output.sel(region="gwangmyeong")
    assert np.all(city["in_region"] >= 1) and np.all(
        city["in_region"] < load_region("gyeonggi-2014").multipliers("output")["in_region"].sel(region="gyeonggi")
    )
    local = model.local_economy("gwangmyeong")
    np.testing.assert_allclose(local.column_totals(), 1.0, atol=1e-12)
    assert np.all(local.other_region_inputs > 0)


@pytest.fixture
def runner():
    return CliRunner()


def test_cli_region_calibrate_prints_the_fit(runner):
    result = runner.invoke(main, ["region", "calibrate", "--region", "gyeonggi-2014", "--worst", "3"])
    assert result.exit_code == 0, result.output
    assert "median |relative error|, in-region output multiplier" in result.output
    assert result.output.count(" target ") == 3


def test_cli_multipliers_with_region(runner, tmp_path):
    result = runner.invoke(
        main,
        ["multipliers", "--region", "gyeonggi-2014", "--kind", "output", "--kind", "value_added", "--type", "simple"],
    )
    assert result.exit_code == 0, result.output
    assert (
        "in-region" in result.output
        and "out-of-region" in result.output
        and "final demand in gyeonggi" in result.output
    )
    out = tmp_path / "m.csv"
    assert runner.invoke(main, ["multipliers", "--region", "busan-2014", "-o", str(out)]).exit_code == 0
    frame = pd.read_csv(out, index_col="sector")
    np.testing.assert_allclose(frame.iloc[:, 1] + frame.iloc[:, 2], frame.iloc[:, 3])
    closed = runner.invoke(main, ["multipliers", "--region", "gwangmyeong", "--type", "II"])
    assert closed.exit_code == 0 and "households closed on compensation" in closed.output
    unknown = runner.invoke(main, ["multipliers", "--region", "seoul"])
    assert unknown.exit_code == 1 and "shipped region" in unknown.output


def test_cli_region_build_and_errors(runner, tmp_path, korea):
    path = tmp_path / "emp.csv"
    national = korea.dataset["employment"].values
    rows = "\n".join(f"{s},{v * 0.05:.1f}" for s, v in zip(korea.sectors, national, strict=True))
    path.write_text("sector,employment\n" + rows + "\n", encoding="utf-8")
    out = tmp_path / "r.nc"
    result = runner.invoke(
        main,
        [
            "region",
            "build",
            "--employment",
            str(path),
            "--method",
            "flq",
            "--delta",
            "0.3",
            "--name",
            "city",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert load_region(out).regions == ["city", "rest_of_country"]
    listed = runner.invoke(main, ["multipliers", "--region", str(out), "--top", "3"])
    assert listed.exit_code == 0 and "final demand in city" in listed.output
    bad_delta = runner.invoke(main, ["region", "build", "--employment", str(path), "--method", "flq", "--delta", "1.2"])
    assert bad_delta.exit_code == 1 and "delta must lie in [0, 1)" in bad_delta.output
    path.write_text("sector,employment\nA01,-5\n", encoding="utf-8")
    negative = runner.invoke(main, ["region", "build", "--employment", str(path), "--method", "slq"])
    assert negative.exit_code == 1 and "emp.csv, line 2" in negative.output and "negative" in negative.output
    listing = runner.invoke(main, ["region", "list"])
    assert listing.exit_code == 0 and "gwangmyeong" in listing.output
