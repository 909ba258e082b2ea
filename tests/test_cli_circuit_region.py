"""`simengine circuit --region`: the circuit of a regional model's first region."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from simengine import load_region
from simengine.circuit import Circuit
from simengine.cli import main
from simengine.runner import region_context


@pytest.fixture
def runner():
    return CliRunner()


@pytest.mark.parametrize("region", ["gwangmyeong", "busan-2014"])
def test_circuit_of_a_region_is_the_runners_circuit(runner, region):
    """The command reports the same LM3 and leakage as the circuit scenarios run on."""
    result = runner.invoke(main, ["circuit", "--region", region, "--sector", "F", "--amount", "1000"])
    assert result.exit_code == 0, result.output
    context = region_context(region)
    circuit = Circuit(context.economy, context.parameters)
    assert f"LM3 = (round 1 + round 2 + round 3) / round 1 = {circuit.lm3({'F': 1000.0}):.4f}" in result.output
    other_regions = float(circuit.leakage_account({"F": 1000.0}).leakage.sel(channel="other_regions"))
    line = next(line for line in result.output.splitlines() if line.startswith("  leaks     other_regions"))
    assert line.split()[-1] == f"{other_regions:.4f}"
    assert region in result.output.splitlines()[0]


def test_circuit_of_a_region_file_and_of_the_nation_differ(runner, tmp_path):
    path = load_region("gyeonggi-2014").to_netcdf(tmp_path / "gyeonggi.nc")
    regional = runner.invoke(main, ["circuit", "--region", str(path)])
    national = runner.invoke(main, ["circuit"])
    assert regional.exit_code == 0 and national.exit_code == 0, regional.output + national.output
    assert "other_regions" in regional.output
    assert regional.output.splitlines()[-1] != national.output.splitlines()[-1]


def test_unknown_region_or_sector_is_one_line(runner):
    for args in (["--region", "atlantis"], ["--region", "busan-2014", "--sector", "XX"]):
        result = runner.invoke(main, ["circuit", *args])
        assert result.exit_code == 1
        assert result.output.count("\n") == 1 and result.output.startswith("error: ")
