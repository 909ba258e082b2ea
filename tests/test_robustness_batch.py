"""One bad member never loses the good ones: a sweep with invalid points reports each bad point
with its sweep coordinates, computes and writes the rest, and exits 1."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import simengine.batch
from simengine import ScenarioError
from simengine.cli import main
from simengine.results import load_result
from simengine.runner import run_batch
from simengine.scenario.batch import SweepFailure, sweep_variants
from simengine.scenario.load import load_batch

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def _batch(tmp_path: Path, values, path: str = "lever[0].target") -> Path:
    file = tmp_path / "b.toml"
    file.write_text(
        f'schema_version = 1\nbaseline = "{SCENARIOS / "gwangmyeong_baseline.toml"}"\n'
        '[batch]\nid = "sweep"\ntitle = "a sweep with bad points"\n'
        f'[sweep]\nbase = "{SCENARIOS / "construction_local60.toml"}"\nmethod = "grid"\n'
        f'[[sweep.parameter]]\npath = "{path}"\nvalues = {list(values)!r}\n'
    )
    return file


def test_a_bad_sweep_point_is_reported_with_its_coordinates_and_the_rest_is_written(tmp_path):
    batch = _batch(tmp_path, [0.5, 1.5, 0.7])
    out = tmp_path / "out.nc"
    result = CliRunner().invoke(main, ["batch", str(batch), "-o", str(out)])
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "construction-local60-sweep0001 (lever[0].target = 1.5)" in errors[0]
    assert "less than or equal to 1" in errors[0]
    ids = [str(s) for s in load_result(out)["scenario"].values]
    assert ids == ["gwangmyeong-baseline", "construction-local60-sweep0000", "construction-local60-sweep0002"]


def test_sweep_variants_yield_failures_without_stopping():
    batch = load_batch(SCENARIOS / "batch_gwangmyeong.toml")
    variants = list(sweep_variants(batch))
    assert len(variants) == 6 and not any(isinstance(v, SweepFailure) for _, v in variants)
    assert variants[0][0] == (
        "combined-package-sweep0000 (lever[0].target = 0.5, lever[4].min_local_subcontract_share = 0.2)"
    )


def test_a_sweep_of_a_missing_key_path_fails_every_point_and_keeps_the_baseline(tmp_path):
    outcome = run_batch(_batch(tmp_path, [0.1, 0.2], path="lever[9].target"))
    assert [str(s) for s in outcome.results["scenario"].values] == ["gwangmyeong-baseline"]
    assert sorted(outcome.failures) == [
        "construction-local60-sweep0000 (lever[9].target = 0.1)",
        "construction-local60-sweep0001 (lever[9].target = 0.2)",
    ]


def test_a_point_that_fails_while_running_is_reported_with_its_coordinates(tmp_path, monkeypatch):
    real = simengine.batch.run_scenarios

    def fails_with_point_1(scenarios, **kwargs):
        if any(s.scenario.id.endswith("sweep0001") for s in scenarios):
            raise ScenarioError("this point cannot run")
        return real(scenarios, **kwargs)

    monkeypatch.setattr(simengine.batch, "run_scenarios", fails_with_point_1)
    outcome = run_batch(_batch(tmp_path, [0.5, 0.6, 0.7]), arrays=False)  # the scenario-by-scenario path
    assert outcome.failures == {"construction-local60-sweep0001 (lever[0].target = 0.6)": "this point cannot run"}
    assert outcome.results.sizes["scenario"] == 3


@settings(max_examples=8, deadline=None)
@given(values=st.lists(st.sampled_from([-0.5, 0.0, 0.3, 0.55, 1.0, 1.2, 2.0]), min_size=1, max_size=4))
def test_valid_points_are_computed_and_invalid_points_reported_for_any_sweep(values, tmp_path_factory):
    outcome = run_batch(_batch(tmp_path_factory.mktemp("sweep"), values))
    computed = {str(s) for s in outcome.results["scenario"].values} - {"gwangmyeong-baseline"}
    failed = {label.split(" ")[0] for label in outcome.failures}
    expected_ok = {f"construction-local60-sweep{k:04d}" for k, v in enumerate(values) if 0 <= v <= 1}
    assert computed == expected_ok
    assert failed == {f"construction-local60-sweep{k:04d}" for k in range(len(values))} - expected_ok
    for label in outcome.failures:
        assert "(lever[0].target = " in label


def test_expand_batch_still_raises_for_a_bad_point(tmp_path):
    from simengine.scenario.batch import expand_batch

    with pytest.raises(ScenarioError, match="less than or equal to 1"):
        expand_batch(load_batch(_batch(tmp_path, [1.5])))
