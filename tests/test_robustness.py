"""Bad input found by review: each case is one clear error, never a traceback or a silent number."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from factories import synthetic_result

from simengine import DataError, ScenarioError
from simengine.circuit import CircuitParameters
from simengine.cli import main
from simengine.io import check_output_path
from simengine.procurement import read_register
from simengine.results import check_result, compare
from simengine.runner import run_scenario
from simengine.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "gwangmyeong_baseline.toml"


def _child(tmp_path, body: str) -> Path:
    path = tmp_path / "child.toml"
    path.write_text(f'schema_version = 1\nextends = "{BASELINE}"\n[scenario]\nid = "child"\n{body}')
    return path


def test_a_lever_that_selects_no_cell_is_an_error(tmp_path):
    path = _child(tmp_path, '[[lever]]\nkind = "local_share_target"\nsector = "A01"\ntarget = 0.9\n')
    with pytest.raises(ScenarioError, match=r"lever\[0\].*selects no budget cell"):
        load_scenario(path)


def test_a_lever_after_the_horizon_is_an_error(tmp_path):
    path = _child(tmp_path, '[[lever]]\nkind = "local_share_target"\nsector = "F"\ntarget = 0.9\nstart_year = 2100\n')
    with pytest.raises(ScenarioError, match=r"start_year.*after the horizon"):
        load_scenario(path)


def test_agent_mode_horizon_is_bounded(tmp_path):
    path = _child(tmp_path, 'mode = "agents"\nhorizon = 100\n')
    with pytest.raises(ScenarioError, match="agent mode is limited"):
        run_scenario(path)


def test_output_paths_are_checked_before_any_work(tmp_path):
    with pytest.raises(DataError, match="not a regular file"):
        check_output_path(tmp_path, overwrite=True)
    with pytest.raises(DataError, match="must end in .nc"):
        check_output_path(tmp_path / "r.csv", suffixes=(".nc",))
    result = CliRunner().invoke(
        main, ["run", str(BASELINE), "-o", str(tmp_path / "a.nc"), "--report", str(tmp_path / "a.nc")]
    )
    assert result.exit_code == 1 and "must end in .html" in result.output
    result = CliRunner().invoke(main, ["run", str(BASELINE), "-o", str(tmp_path / "no" / "a.nc")])
    assert result.exit_code == 1 and "does not exist" in result.output and not list(tmp_path.iterdir())


def test_results_must_be_finite_and_compatible():
    broken = synthetic_result()
    broken["local_value_added"].values[...] = np.nan
    with pytest.raises(DataError, match="NaN or infinite"):
        check_result(broken)
    monthly = synthetic_result("monthly", periods=12, time_unit="month")
    with pytest.raises(DataError, match="differ in time_unit"):
        compare([synthetic_result(), monthly])


def test_empty_register_and_binary_circuit_file(tmp_path):
    register = tmp_path / "r.csv"
    register.write_text("contract_id,value,sector,method,supplier_location\n")
    with pytest.raises(DataError, match="no contract rows"):
        read_register(register)
    garbage = tmp_path / "c.toml"
    garbage.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(DataError, match="line 1: a NUL byte; circuit parameter file must be a text file"):
        CircuitParameters.from_toml(garbage, ("F",))


def test_non_finite_spending_is_an_error():
    result = CliRunner().invoke(main, ["circuit", "--amount", "inf"])
    assert result.exit_code == 1 and "NaN or infinite" in result.output


def test_balance_inputs_with_repeated_labels_are_an_error(tmp_path):
    matrix = tmp_path / "m.csv"
    matrix.write_text("label,a,b\na,1,2\nb,3,4\n")
    rows = tmp_path / "r.csv"
    rows.write_text("label,total\na,3\na,7\n")
    cols = tmp_path / "c.csv"
    cols.write_text("label,total\na,4\nb,6\n")
    result = CliRunner().invoke(
        main, ["balance", str(matrix), "--rows", str(rows), "--cols", str(cols), "-o", str(tmp_path / "o.csv")]
    )
    assert result.exit_code == 1 and "repeats the row labels ['a']" in result.output
