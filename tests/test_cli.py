"""The command line through click's CliRunner: output, files, exit codes, error text."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from simengine.cli import main


@pytest.fixture
def runner():
    return CliRunner()


def test_multipliers_prints_a_sorted_table(runner):
    result = runner.invoke(
        main, ["multipliers", "--kind", "output", "--kind", "employment", "--type", "I", "--sort", "--top", "5"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "korea-2014" in lines[0]
    assert "C10-C12" in lines[2]  # food manufacturing has the largest output multiplier
    assert len(lines) == 2 + 5


def test_multipliers_writes_csv_and_refuses_to_overwrite(runner, tmp_path):
    out = tmp_path / "m.csv"
    args = ["multipliers", "--kind", "income", "--type", "II", "-o", str(out)]
    assert runner.invoke(main, args).exit_code == 0
    frame = pd.read_csv(out, index_col="sector")
    assert len(frame) == 53
    again = runner.invoke(main, args)
    assert again.exit_code == 1
    assert again.output.strip().startswith("error:") and "--overwrite" in again.output
    assert runner.invoke(main, [*args, "--overwrite"]).exit_code == 0


def test_multipliers_writes_netcdf(runner, tmp_path):
    out = tmp_path / "m.nc"
    assert runner.invoke(main, ["multipliers", "-o", str(out)]).exit_code == 0
    import xarray as xr

    assert xr.open_dataset(out, engine="h5netcdf").sizes["sector"] == 53


def test_bad_table_is_one_line_and_exit_1(runner):
    result = runner.invoke(main, ["multipliers", "--table", "nowhere.csv"])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert "nowhere.csv" in result.output


def test_debug_shows_the_traceback(runner):
    result = runner.invoke(main, ["--debug", "multipliers", "--table", "nowhere.csv"])
    assert result.exit_code != 0 and result.exception is not None


def test_tables_and_info(runner):
    tables = runner.invoke(main, ["tables"])
    assert tables.exit_code == 0 and "korea-2014" in tables.output and "CC BY 4.0" in tables.output
    info = runner.invoke(main, ["info"])
    assert info.exit_code == 0 and "numba" in info.output and "threads" in info.output


def test_circuit_prints_leakage_account_and_lm3(runner):
    result = runner.invoke(main, ["circuit", "--sector", "F", "--amount", "1000"])
    assert result.exit_code == 0, result.output
    assert "gwangmyeong_circuit.toml" in result.output.splitlines()[0]
    assert result.output.count("1.0000") >= 2  # the production-round account and the closed leakage sum to 1
    assert "LM3 = (round 1 + round 2 + round 3) / round 1 = 1.9381" in result.output


def test_circuit_reads_a_params_file_and_reports_errors(runner, tmp_path):
    from simengine.circuit import GWANGMYEONG_DEFAULTS

    params = tmp_path / "mine.toml"
    defaults = GWANGMYEONG_DEFAULTS.read_text(encoding="utf-8")
    params.write_text(defaults.replace("resident_share = 0.35", "resident_share = 0.9"), encoding="utf-8")
    result = runner.invoke(main, ["circuit", "--params", str(params)])
    assert result.exit_code == 0, result.output
    assert "mine.toml" in result.output
    bad = runner.invoke(main, ["circuit", "--sector", "ZZ"])
    assert bad.exit_code == 1 and bad.output.startswith("error: --sector (table korea-2014): unknown sector 'ZZ'")


def test_the_command_group_lives_in_the_package_not_in_a_top_level_module():
    """The installed package adds no top-level ``cli`` module to site-packages (it would collide
    with any other distribution's); ``cli.py`` in a checkout only re-exports the group."""
    import importlib.util
    import tomllib
    from pathlib import Path

    import simengine.cli

    root = Path(__file__).resolve().parents[1]
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"] == {"simengine": "simengine.cli:main"}
    assert "py-modules" not in project.get("tool", {}).get("setuptools", {})
    spec = importlib.util.spec_from_file_location("checkout_cli", root / "cli.py")
    checkout_cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(checkout_cli)
    assert checkout_cli.main is simengine.cli.main
