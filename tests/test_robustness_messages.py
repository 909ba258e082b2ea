"""Errors that say what and where, and the rough edges a new user hit: every refusal names the
file (or option, or key path) and the bad value, in one line, with a fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from simengine.cli import main
from simengine.procurement import read_register, spend_analysis, write_spend
from simengine.runner import run_scenario
from simengine.scenario import load_scenario, validate

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
BASELINE = SCENARIOS / "gwangmyeong_baseline.toml"
REGISTER = ROOT / "simengine" / "datasets" / "raw" / "gwangmyeong-register-synthetic"
HERE = '"Gwangmyeong, Gyeonggi"'
COLUMNS = "contract_id,value,currency,sector,method,supplier_location,buyer_location\n"


def _error_line(result) -> str:
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


#: (files to write, arguments, what the one error line must contain: the place and the bad value)
CATALOGUE = {
    "table without header": (
        {"t.csv": "S1,1,2\nS2,3,4\n"},
        ["multipliers", "--table", "{t.csv}"],
        ["t.csv", "no header line", "['S1', '1', '2']"],
    ),
    "table non-number": (
        {"t.csv": "code,S1\nS1,x1\n"},
        ["multipliers", "--table", "{t.csv}"],
        ["t.csv, line 2", "'S1'", "'x1'", "not a number"],
    ),
    "table ragged": (
        {"t.csv": "code,S1\nS1,1,2\n"},
        ["multipliers", "--table", "{t.csv}"],
        ["t.csv, line 2", "3 cells", "has 2"],
    ),
    "employment unknown sector": (
        {"e.csv": "sector,employment\na01,1\n"},
        ["region", "build", "--employment", "{e.csv}", "--method", "slq"],
        ["e.csv, line 2", "'a01'", "did you mean 'A01'"],
    ),
    "employment blank": (
        {"e.csv": "sector,employment\nA01,\n"},
        ["region", "build", "--employment", "{e.csv}", "--method", "slq"],
        ["e.csv, line 2", "'A01'", "blank"],
    ),
    "employment without header": (
        {"e.csv": "A01,1\nA02,2\n"},
        ["region", "build", "--employment", "{e.csv}", "--method", "slq"],
        ["e.csv, line 1", "no header line"],
    ),
    "register value": (
        {"r.csv": f"{COLUMNS}C1,ten,KRW,F,open,Seoul,{HERE}\n"},
        ["spend", "{r.csv}"],
        ["r.csv: line 2", "'value'", "'ten'", "plain number"],
    ),
    "register method": (
        {"r.csv": f"{COLUMNS}C1,1,KRW,F,opne,Seoul,{HERE}\n"},
        ["spend", "{r.csv}"],
        ["r.csv: line 2", "'opne'", "known method"],
    ),
    "register without header": (
        {"r.csv": f"C1,1,KRW,F,open,Seoul,{HERE}\n"},
        ["spend", "{r.csv}"],
        ["r.csv", "no header line"],
    ),
    "balance label": (
        {"m.csv": ",c1\nr1,1\n", "r.csv": "label,total\nr1,1\n", "c.csv": "label,total\nc9,1\n"},
        ["balance", "{m.csv}", "--rows", "{r.csv}", "--cols", "{c.csv}", "-o", "{dir}/o.csv"],
        ["c.csv, line 2", "['c9']", "m.csv"],
    ),
    "balance value": (
        {"m.csv": ",c1\nr1,one\n", "r.csv": "label,total\nr1,1\n", "c.csv": "label,total\nc1,1\n"},
        ["balance", "{m.csv}", "--rows", "{r.csv}", "--cols", "{c.csv}", "-o", "{dir}/o.csv"],
        ["m.csv, line 2", "'one'"],
    ),
    "ras negative": (
        {
            "m.csv": ",c1,c2\nr1,-1,2\nr2,1,1\n",
            "r.csv": "label,total\nr1,1\nr2,2\n",
            "c.csv": "label,total\nc1,1\nc2,2\n",
        },
        ["balance", "{m.csv}", "--rows", "{r.csv}", "--cols", "{c.csv}", "-o", "{dir}/o.csv"],
        ["row 'r1'", "column 'c1'", "-1", "--method gras"],
    ),
    "circuit key": (
        {"c.toml": "[households]\nbogus = 1\n"},
        ["circuit", "--params", "{c.toml}"],
        ["c.toml", "households.bogus"],
    ),
    "circuit sector": ({}, ["circuit", "--sector", "Q9"], ["--sector", "'Q9'"]),
    "circuit amount": ({}, ["circuit", "--amount", "-3"], ["--amount", "-3"]),
    "output exists": (
        {"o.csv": "x\n"},
        ["multipliers", "-o", "{o.csv}"],
        ["o.csv exists", "--overwrite"],
    ),
    "mapping": (
        {"map.toml": "columns = 5\n", "r.csv": "a\n1\n"},
        ["spend", "{r.csv}", "--mapping", "{map.toml}"],
        ["map.toml", "columns = 5"],
    ),
    "scenario toml": (
        {"s.toml": "schema_version = 1\n[scenario\n"},
        ["run", "{s.toml}"],
        ["s.toml", "line 2"],
    ),
    "compare baseline": ({}, ["compare", str(BASELINE), "--baseline", "nope"], ["'nope'", "--baseline"]),
    "report input": (
        {"r.nc": "not netcdf"},
        ["report", "{r.nc}", "-o", "{dir}/r.html"],
        ["r.nc", "cannot read as NetCDF-4"],
    ),
}


@pytest.mark.parametrize("case", list(CATALOGUE))
def test_every_refusal_names_the_place_and_the_value(case, tmp_path):
    files, arguments, expected = CATALOGUE[case]
    paths = {name: tmp_path / name for name in files}
    for name, content in files.items():
        paths[name].write_text(content)
    filled = []
    for argument in arguments:
        for name, path in {**paths, "dir": tmp_path}.items():
            argument = argument.replace("{" + name + "}", str(path))
        filled.append(argument)
    line = _error_line(CliRunner().invoke(main, filled))
    for part in expected:
        assert part in line, f"{part!r} not in {line!r}"


# ---------------------------------------------------------------- rough edges a new user hit


def test_compare_names_only_the_duplicate_id():
    result = CliRunner().invoke(
        main, ["compare", str(BASELINE), str(BASELINE), str(SCENARIOS / "small_contracts.toml")]
    )
    line = _error_line(result)
    assert (
        "duplicate scenario ids ['gwangmyeong-baseline']: they appear more than once" in line
        and "small-contracts" not in line
    )


def test_an_existing_output_says_pass_overwrite_not_python(tmp_path):
    (tmp_path / "m.csv").write_text("x\n")
    line = _error_line(CliRunner().invoke(main, ["multipliers", "-o", str(tmp_path / "m.csv")]))
    assert "--overwrite" in line and "overwrite=True" not in line


def test_validation_lists_every_problem_not_and_n_more(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('schema_version = 1\n[scenario]\nid = "x"\n')
    [result] = validate([path])
    message = str(result.error)
    for key in ("scenario.title", "scenario.region", "scenario.start_year", "budget"):
        assert key in message
    assert "more problem" not in message and "\n" not in message


def test_the_spend_csv_is_accepted_as_a_cell_file(tmp_path):
    """`simengine spend -o cells.csv` of a register whose sectors are table codes gives budget cells."""
    register = read_register(
        REGISTER / "gwangmyeong_register_synthetic.csv",
        mapping={"values": {"sector": {"construction": "F", "services": "N", "goods": "C28", "shopping_mall": "G47"}}},
    )
    cells = tmp_path / "cells.csv"
    write_spend(spend_analysis(register), cells)
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        f'schema_version = 1\nextends = "{BASELINE}"\n[scenario]\nid = "from-spend"\n'
        '[budget]\ncell_file = "cells.csv"\n'
    )
    loaded = load_scenario(scenario)
    by_sector = {}
    for cell in loaded.budget.cell:
        by_sector[cell.sector] = by_sector.get(cell.sector, 0.0) + cell.amount
    assert by_sector["F"] == pytest.approx(register.loc[register["sector"] == "F", "value"].sum() / 1e6)
    assert all(0 <= cell.local_share <= 1 and cell.contracts >= 1 for cell in loaded.budget.cell)
    assert run_scenario(scenario)["budget"].sum() > 0


def test_spend_prints_money_with_separators_not_scientific_notation():
    result = CliRunner().invoke(main, ["spend", str(REGISTER / "gwangmyeong_register_synthetic.csv"), "--by", "sector"])
    assert result.exit_code == 0 and "e+" not in result.output and "120,000,000,001" in result.output


def test_compare_csv_has_units_in_column_names(tmp_path):
    out = tmp_path / "c.csv"
    result = CliRunner().invoke(
        main, ["compare", str(BASELINE), str(SCENARIOS / "small_contracts.toml"), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    header = out.read_text().splitlines()[0].split(",")
    assert "delta_local_value_added (KRW million)" in header and "local_award_share (ratio)" in header
    assert "delta_local_employment (person-years)" in header and "rank" in header


def test_agent_mode_leakage_says_the_rest_is_circuit_stock():
    result = CliRunner().invoke(main, ["run", str(SCENARIOS / "agents_baseline.toml")])
    assert result.exit_code == 0, result.output
    assert "still circulating locally" in result.output and "stock" in result.output


def test_balance_totals_without_header_are_refused_not_shortened(tmp_path):
    (tmp_path / "m.csv").write_text(",c1,c2\nr1,1,2\nr2,3,4\n")
    (tmp_path / "r.csv").write_text("r1,3\nr2,7\n")
    (tmp_path / "c.csv").write_text("label,total\nc1,4\nc2,6\n")
    arguments = ["balance", str(tmp_path / "m.csv"), "--rows", str(tmp_path / "r.csv")]
    line = _error_line(CliRunner().invoke(main, [*arguments, "--cols", str(tmp_path / "c.csv"), "-o", "o.csv"]))
    assert "r.csv, line 1" in line and "no header line" in line and "lack the labels" not in line
