"""Calibration to the Bank of Korea 2020 regional multipliers, and the shipped regions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simengine.cli import main
from simengine.datasets import REGIONS, load_region, load_table, region_path, regions, resolve_region
from simengine.errors import DataError
from simengine.regional import (
    RegionalModel,
    bok_targets,
    calibrate_purchase_coefficients,
    calibrate_region,
    read_employment_csv,
)
from simengine.regional.calibration import GOALS, SCALE_BOUNDS, NationalAccounts, joint_model, joint_multipliers
from simengine.regional.fit import worst_sectors


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
        bok_targets("mars", korea.sectors)
    assert bok_targets("seoul", korea.sectors).loc["A03", "basis"] == "none"  # BOK 04 fishing: Seoul placeholder


def test_gyeonggi_fit_meets_the_target(gyeonggi_fit):
    """Acceptance: median |relative error| of in-region output multipliers <= 5%."""
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
    """Two provinces and the city are rebuilt (the other 15 follow the same recipe; all 19
    take about 20 s: ``python -m simengine.datasets.rebuild``)."""
    gyeonggi = regions.build_province("gyeonggi")
    built = {
        "gyeonggi-2014": gyeonggi,
        "busan-2014": regions.build_province("busan"),
        "gwangmyeong": regions.build_gwangmyeong(gyeonggi),
    }
    assert set(REGIONS) == {f"{key}-2014" for key in regions.BOK_REGIONS} | {"gwangmyeong"}
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


def test_cli_region_calibrate_prints_and_writes_the_fit(runner, tmp_path):
    result = runner.invoke(main, ["region", "calibrate", "--region", "경기", "--region", "jeju-2014", "--worst", "3"])
    assert result.exit_code == 0, result.output
    assert "in-region output" in result.output and "gyeonggi-2014" in result.output and "jeju-2014" in result.output
    assert result.output.count("scale ") == 6 and "GOAL MISSED" not in result.output
    assert "jeju-2014 employment (national labour productivity" in result.output
    for suffix in (".csv", ".nc"):
        out = tmp_path / f"fit{suffix}"
        written = runner.invoke(main, ["region", "calibrate", "--region", "부산", "-o", str(out)])
        assert written.exit_code == 0, written.output
        frame = pd.read_csv(out) if suffix == ".csv" else xr.open_dataset(out, engine="h5netcdf").to_dataframe()
        assert len(frame) == 53 and "value_added_in_error" in frame.columns
    again = runner.invoke(main, ["region", "calibrate", "--region", "busan", "-o", str(tmp_path / "fit.csv")])
    assert again.exit_code == 1 and "exists" in again.output
    bad = runner.invoke(main, ["region", "calibrate", "--region", "gwangmyeong"])
    assert bad.exit_code == 1 and "not one of the 17 provinces" in bad.output
    wrong = runner.invoke(main, ["region", "calibrate", "--region", "jeju", "-o", str(tmp_path / "fit.txt")])
    assert wrong.exit_code == 1


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
    unknown = runner.invoke(main, ["multipliers", "--region", "mars"])
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
    assert listing.exit_code == 0 and "gwangmyeong" in listing.output and "WARNING" in listing.output
    assert listing.output.count("fit (median |error|)") == 17


# --------------------------------------------------------------------------- joint calibration, 17 regions


def _shipped_fit(name: str, korea) -> pd.DataFrame:
    """Per-sector relative errors of a shipped province against its BOK 2020 targets."""
    model = load_region(name)
    targets = bok_targets(name.removesuffix("-2014"), korea.sectors).reindex(model.sectors)
    frame = {}
    for kind in ("output", "value_added"):
        multipliers = model.multipliers(kind)
        for side, variable in (("in", "in_region"), ("out", "out_of_region")):
            frame[f"{kind}_{side}"] = multipliers[variable].values[0] / targets[f"{kind}_{side}"].to_numpy() - 1.0
    return pd.DataFrame(frame, index=model.sectors).dropna()


def test_all_17_regions_meet_the_calibration_goals(korea, capsys):
    """Bank of Korea, 2020 Regional Input-Output Tables (induced coefficients, all 17 시도, 83
    sectors, via z0nam/korea-rio-mcp), aggregated to the 53 korea-2014 sectors: the shipped
    models' median absolute relative errors meet the goals in every region (in-region output
    <= 3%, out-of-region output <= 10%, in-region value added <= 5%). Prints the fit table."""
    rows = {name: _shipped_fit(name, korea).abs().median() for name in REGIONS if name != "gwangmyeong"}
    table = pd.DataFrame(rows).T
    with capsys.disabled():
        print(
            "\nmedian |model / BOK 2020 - 1| of the shipped regions\n" + table.to_string(float_format="{:.2%}".format)
        )
    assert len(table) == 17
    for key, goal in GOALS.items():
        assert (table[key] <= goal).all(), table[key][table[key] > goal]
    assert load_region("서울").name == "seoul-2014" and load_region("부산광역시").name == "busan-2014"
    assert load_region("Jeju").name == "jeju-2014"


def test_joint_fit_reasons_and_parameters(korea):
    calibration = regions.calibrate_province("busan", korea)
    parameters = calibration.parameters
    assert parameters["rpc"].between(0, 1).all() and parameters["va_share"].between(0, 1).all()
    assert (parameters["scale"] >= SCALE_BOUNDS[0]).all() and (parameters["scale"] <= SCALE_BOUNDS[1]).all()
    worst = worst_sectors(calibration, 5)
    assert len(worst) == 5 and all(worst["reason"].str.len() > 0)
    economy = calibration.model.local_economy("busan")
    np.testing.assert_allclose(economy.column_totals(), 1.0, atol=1e-9)
    assert np.all(economy.imported_inputs >= -1e-12)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), share=st.floats(0.001, 0.9))
def test_joint_model_in_plus_out_is_the_scaled_national_multiplier(korea, seed, share):
    """Two-region identity with the 2014 -> 2020 adjustment (any parameters, any size): in + out
    = the total multiplier of the national table with its domestic input columns scaled by
    ``k``, and every column of both regions still sums to 1."""
    n = len(korea.sectors)
    rng = np.random.default_rng(seed)
    parameters = pd.DataFrame(
        {"rpc": rng.uniform(0, 1, n), "scale": rng.uniform(0.6, 1.4, n), "va_share": rng.uniform(0.2, 1, n)},
        index=korea.sectors,
    )
    model = joint_model(korea, parameters, region="r", employment_share=share)
    scaled = korea.technical_coefficients().values * parameters["scale"].to_numpy()[None, :]
    total = np.linalg.solve((np.eye(n) - scaled).T, np.ones(n))
    np.testing.assert_allclose(model.multipliers("output")["total"].values[0], total, rtol=1e-9)
    for region in model.regions:
        np.testing.assert_allclose(model.local_economy(region).column_totals(), 1.0, atol=1e-7)


def test_region_collapsed_to_the_nation_reproduces_the_national_multipliers(korea):
    """With ``k = 1`` and the national value-added split, a region that is the whole nation
    (share 1 in every sector, RPC 1) has the national output and value-added multipliers in
    region and nothing outside."""
    accounts = NationalAccounts.of(RegionalModel.from_table(korea))
    neutral = pd.DataFrame({"rpc": 1.0, "scale": 1.0, "va_share": accounts.va_share}, index=korea.sectors)
    whole = joint_model(korea, neutral, region="r", employment_share=1.0 - 1e-12)
    for kind in ("output", "value_added"):
        multipliers = whole.multipliers(kind)
        national = korea.multipliers(kind, "simple").values
        np.testing.assert_allclose(multipliers["in_region"].values[0], national, rtol=1e-9)
        assert np.abs(multipliers["out_of_region"].values[0]).max() < 1e-9


def test_region_names_and_errors():
    assert resolve_region("서울특별시") == "seoul-2014" and resolve_region("GYEONGGI") == "gyeonggi-2014"
    assert resolve_region("광명시") == "gwangmyeong" and resolve_region("경기-2014") == "gyeonggi-2014"
    with pytest.raises(DataError, match="neither a shipped region"):
        load_region("atlantis")
    with pytest.raises(DataError, match="employment share"):
        calibrate_region(load_table("korea-2014"), pd.DataFrame(), region="x", employment_share=1.5)


def test_joint_jacobian_matches_finite_differences(korea):
    """The analytic derivatives of the joint multipliers (used by the fit) against central differences."""
    n = len(korea.sectors)
    accounts = NationalAccounts.of(RegionalModel.from_table(korea))
    rng = np.random.default_rng(3)
    share, rpc = rng.uniform(0.05, 0.3, n), rng.uniform(0.2, 0.8, n)
    log_scale, theta = rng.uniform(-0.3, 0.3, n), rng.uniform(0.3, 0.9, n)
    x = np.concatenate([rpc, log_scale, theta])
    _, derivatives = joint_multipliers(accounts, share, rpc, np.exp(log_scale), theta, jacobian=True)

    def values(point):
        return joint_multipliers(accounts, share, point[:n], np.exp(point[n : 2 * n]), point[2 * n :])

    step = 1e-6
    for p in rng.choice(3 * n, 12, replace=False):
        e = np.zeros(3 * n)
        e[p] = step
        up, down = values(x + e), values(x - e)
        for key, analytic in derivatives.items():
            np.testing.assert_allclose((up[key] - down[key]) / (2 * step), analytic[:, p], atol=1e-7)
