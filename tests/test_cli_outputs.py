"""Every file a command writes: each supported suffix writes that format, any other is refused.

The suffix decides the format (``simengine.io.output_format``). A refused suffix is one
line on stderr, exit code 1, checked before any work, and leaves no file behind.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import xarray as xr
from click.testing import CliRunner

from simengine.cli import main
from simengine.procurement.synthetic import SHIPPED_REGISTER
from simengine.results import save_result
from simengine.runner import run_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "gwangmyeong_baseline.toml"
SMALL_CONTRACTS = ROOT / "scenarios" / "small_contracts.toml"
EMPLOYMENT = ROOT / "simengine" / "datasets" / "raw" / "regions" / "gwangmyeong_employment_ASSUMPTION.csv"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("inputs")
    paths = {
        "baseline": save_result(run_scenario(BASELINE), folder / "baseline.nc"),
        "small": save_result(run_scenario(SMALL_CONTRACTS), folder / "small.nc"),
        "matrix": folder / "m.csv",
        "rows": folder / "r.csv",
        "cols": folder / "c.csv",
    }
    paths["matrix"].write_text("label,a,b\na,1,2\nb,3,4\n")
    paths["rows"].write_text("label,total\na,4\nb,6\n")
    paths["cols"].write_text("label,total\na,5\nb,5\n")
    return paths


#: command name -> (arguments before the output option, output option, formats by suffix)
COMMANDS = {
    "multipliers": (lambda p: ["multipliers", "--kind", "income", "--type", "II"], "-o", "frame"),
    "multipliers --region": (lambda p: ["multipliers", "--region", "gwangmyeong"], "-o", "frame"),
    "paths": (lambda p: ["paths", "--from", "F", "--to", "C24", "--top", "3"], "-o", "frame"),
    "spend": (lambda p: ["spend", str(SHIPPED_REGISTER), "--by", "sector"], "-o", "frame"),
    "balance": (
        lambda p: ["balance", str(p["matrix"]), "--rows", str(p["rows"]), "--cols", str(p["cols"])],
        "-o",
        "frame",
    ),
    "compare": (lambda p: ["compare", str(p["baseline"]), str(p["small"])], "-o", "frame"),
    "schema": (lambda p: ["schema"], "-o", "json"),
    "region build": (
        lambda p: ["region", "build", "--employment", str(EMPLOYMENT), "--method", "flq", "--delta", "0.3"],
        "-o",
        "netcdf",
    ),
    "run": (lambda p: ["run", str(BASELINE)], "-o", "netcdf"),
    "batch": (lambda p: ["batch", str(BASELINE), str(SMALL_CONTRACTS)], "-o", "netcdf"),
    "run --report": (lambda p: ["run", str(BASELINE)], "--report", "html"),
    "report": (lambda p: ["report", str(p["baseline"]), str(p["small"])], "-o", "html"),
}
FORMATS = {
    "frame": {".csv": "csv", ".nc": "netcdf", ".nc4": "netcdf"},
    "netcdf": {".nc": "netcdf", ".nc4": "netcdf"},
    "json": {".json": "json"},
    "html": {".html": "html", ".htm": "html"},
}
REFUSED = {
    "frame": [".txt", ".xlsx", ""],
    "netcdf": [".csv", ".txt", ""],
    "json": [".txt", ".csv"],
    "html": [".txt", ".pdf", ""],
}


def read_back(path: Path, fmt: str) -> None:
    """Open the file as the format its suffix names, and see that it holds something."""
    if fmt == "csv":
        assert len(pd.read_csv(path, comment="#")) > 0
    elif fmt == "netcdf":
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            assert len(ds.data_vars) > 0
    elif fmt == "json":
        assert "$defs" in json.loads(path.read_text(encoding="utf-8"))
    else:
        assert path.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")


WRITES = [(name, suffix, fmt) for name, (_, _, kind) in COMMANDS.items() for suffix, fmt in FORMATS[kind].items()]
REFUSALS = [(name, suffix) for name, (_, _, kind) in COMMANDS.items() for suffix in REFUSED[kind]]


@pytest.mark.parametrize(("command", "suffix", "fmt"), WRITES, ids=[f"{c}{s}" for c, s, _ in WRITES])
def test_each_supported_suffix_writes_its_format(command, suffix, fmt, inputs, tmp_path):
    arguments, option, _ = COMMANDS[command]
    path = tmp_path / f"out{suffix}"
    result = CliRunner().invoke(main, [*arguments(inputs), option, str(path)])
    assert result.exit_code == 0, result.output
    assert path.is_file()
    read_back(path, fmt)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left behind


@pytest.mark.parametrize(("command", "suffix"), REFUSALS, ids=[f"{c}[{s or 'none'}]" for c, s in REFUSALS])
def test_any_other_suffix_is_refused_before_work(command, suffix, inputs, tmp_path):
    arguments, option, kind = COMMANDS[command]
    path = tmp_path / f"out{suffix}"
    result = CliRunner().invoke(main, [*arguments(inputs), option, str(path)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("error: ") and "must end in" in lines[-1], result.output
    assert all(s in lines[-1] for s in FORMATS[kind])
    assert list(tmp_path.iterdir()) == []


def test_multipliers_netcdf_keeps_the_column_labels(tmp_path):
    """A slash in a column label (units 'KRW/KRW') is not an HDF5 group: the variable is
    named with 'per' and the label is its long_name."""
    path = tmp_path / "gyeonggi.nc"
    result = CliRunner().invoke(main, ["multipliers", "--region", "gyeonggi-2014", "-o", str(path)])
    assert result.exit_code == 0, result.output
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        assert ds["output in-region (KRW per KRW)"].attrs["long_name"] == "output in-region (KRW/KRW)"
        assert ds.sizes["sector"] == 53
