"""Employment effects of the shipped regions: validation against Jeju and the labels that travel with them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simengine.datasets import REGIONS, load_region
from simengine.regional.validation import DEFLATOR_2020_2014, employment_validation, employment_validation_summary
from simengine.runner import run_scenario

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def jeju():
    return employment_validation(load_region("jeju-2014"), "jeju")


def test_jeju_employment_validation_figures(jeju, capsys):
    """Bank of Korea, 2020 Regional Input-Output Tables: Jeju employment inducement (persons per
    KRW 1 bn, in Jeju / rest of Korea; e.g. construction 10.22 / 2.91, BOK 50). The model uses
    national 2014 labour productivity in every region, restated to 2020 prices with the GDP
    deflator 1.086. The figures asserted below are this model's own (regression values, printed):
    in-region median |error| 39% (level 1.15, 43% after removing it, rank correlation 0.59);
    out-of-region 53% (level 1.53, 11% after removing it, rank correlation 0.90)."""
    assert DEFLATOR_2020_2014 == pytest.approx(1.086, abs=5e-4)
    assert len(jeju) == 53
    summary = employment_validation_summary(jeju)
    with capsys.disabled():
        print("\nJeju employment validation:", {k: round(v, 3) for k, v in summary.items()})
    assert summary["in_median_abs_error"] == pytest.approx(0.388, abs=0.005)
    assert summary["in_level"] == pytest.approx(1.152, abs=0.005)
    assert summary["in_rank_correlation"] == pytest.approx(0.590, abs=0.01)
    assert summary["out_median_abs_error"] == pytest.approx(0.527, abs=0.005)
    assert summary["out_median_abs_error_after_level"] == pytest.approx(0.114, abs=0.005)
    # BOK's construction figure as published (aggregation of BOK 50 and 51 into F)
    assert jeju.loc["F", "in_target"] == pytest.approx((10.22 + 10.28) / 2, abs=0.01)


def test_employment_is_labelled_less_certain_everywhere():
    for name in REGIONS:
        attrs = load_region(name).dataset.attrs
        assert (
            "LESS CERTAIN" in attrs["employment_basis"] and "national labour productivity" in attrs["employment_basis"]
        )
    assert "ASSUMPTION" in load_region("gwangmyeong").dataset.attrs["structure_warning"]
    assert "structure_warning" not in load_region("busan-2014").dataset.attrs


def test_results_and_report_carry_the_labels(tmp_path):
    from simengine.report import write_report

    result = run_scenario(ROOT / "scenarios" / "gwangmyeong_baseline.toml")
    assert "LESS CERTAIN" in result.attrs["employment_basis"]
    assert "degenerate regionalisation" in result.attrs["structure_warning"]
    page = write_report([result], tmp_path / "r.html").read_text(encoding="utf-8")
    assert "degenerate regionalisation" in page and "LESS CERTAIN" in page
    busan = run_scenario(ROOT / "scenarios" / "busan_social_economy.toml")
    assert "LESS CERTAIN" in busan.attrs["employment_basis"] and "structure_warning" not in busan.attrs


def test_employment_multipliers_are_national_productivity_times_output(jeju):
    """Per unit of output, every region's employment equals the national one (the assumption)."""
    model = load_region("jeju-2014")
    ds = model.dataset
    per_unit = ds["employment"] / ds["gross_output"]
    np.testing.assert_allclose(per_unit.values[0], per_unit.values[1], rtol=1e-12)


def test_published_regional_sector_shares_are_used(korea):
    """Regional employment survey 2016 H2 (지역별고용조사, via ulsanpress.net): Ulsan's employed are
    580,000, of whom 11.0% in motor vehicles, 10.4% in other transport equipment (ships) and 7.7%
    in retail trade; the shipped Ulsan model has exactly these shares and the national structure
    elsewhere."""
    from simengine.datasets import regions

    model = load_region("ulsan-2014")
    employment = model.dataset["employment"].sel(region="ulsan").to_series()
    shares = employment / employment.sum()
    assert shares["C29"] == pytest.approx(0.110) and shares["C30"] == pytest.approx(0.104)
    assert shares["G47"] == pytest.approx(0.077)
    national = korea.dataset["employment"].to_series()
    others = employment.drop(["C29", "C30", "G47"]) / national.drop(["C29", "C30", "G47"])
    assert others.max() == pytest.approx(others.min(), rel=1e-12)
    assert employment.sum() == pytest.approx(national.sum() * regions.ULSAN_SHARE_2016)
    assert "published sector shares C29 11.0%" in model.dataset.attrs["history"]
