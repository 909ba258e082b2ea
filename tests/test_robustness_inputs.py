"""Inputs parsed exactly or refused: every reader checks the file first (regular file, size),
parses CSV strictly (file and line in every error) and hardens Excel; any bytes at all give exit 0
or one error line, never a traceback, a hang or a silently different number."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simengine.io
from simengine import DataError, IOTable, ScenarioError
from simengine.cli import main
from simengine.io import read_csv_records
from simengine.procurement import read_mapping, read_register
from simengine.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "gwangmyeong_baseline.toml"
HEADER = "contract_id,value,currency,sector,method,supplier_location,buyer_location\n"
HERE = '"Gwangmyeong, Gyeonggi"'
TABLE = (
    "code,name,S1,S2,fd:household_consumption,total_output\n"
    "S1,Agriculture,150,500,350,1000\nS2,Manufacturing,200,100,1700,2000\n"
    "va:compensation,,300,500,,\nva:other_value_added,,350,900,,\nemployment,,40,60,,\n"
)


def _one_error_line(result) -> None:
    """Exit 0, or exit 1 with exactly one line on stderr starting 'error:'; never an exception."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1)
    if result.exit_code == 1:
        lines = [line for line in result.output.splitlines() if line.startswith("error:")]
        assert len(lines) == 1 and "Traceback" not in result.output, result.output


# ---------------------------------------------------------------- strict CSV, named lines


def test_an_unbalanced_quote_is_refused_not_read_as_another_award(tmp_path):
    """Used to turn a local award into a non-local one silently (share 0 instead of 25%)."""
    path = tmp_path / "r.csv"
    path.write_text(
        HEADER
        + f'C1,100,KRW,F,open,"Gwangmyeong, Gyeonggi,{HERE}\n'
        + f"C2,300,KRW,F,open,Seoul,{HERE}\nC3,50,KRW,F,open,Busan,{HERE}\n"
    )
    with pytest.raises(DataError, match=r"r.csv, line 2: .*unbalanced"):
        read_register(path)


@pytest.mark.parametrize(
    "body, message",
    [
        (f"C1,100,KRW,F,open,Seoul,{HERE},extra\n", r"line 2: 8 cells where the header \(line 1\) has 7"),
        ("C1,100,KRW,F,open,Seoul\n", r"line 2: 6 cells where the header"),
        (f'C1,"100"x,KRW,F,open,Seoul,{HERE}\n', r"line 2: cannot parse as CSV"),
        (f"C1,100,KRW,F,open,Seoul,{HERE}\n\nC2,1,KRW,F,open,Seoul,{HERE}\nC3,1,KRW,F,open,Seoul\n", "line 5: 6 cells"),
    ],
)
def test_ragged_rows_and_bad_quoting_name_the_line(tmp_path, body, message):
    path = tmp_path / "r.csv"
    path.write_text(HEADER + body)
    with pytest.raises(DataError, match=message):
        read_register(path)


def test_a_nul_byte_or_non_utf8_byte_names_the_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(TABLE.encode().replace(b"Manufacturing", b"Manu\x00facturing"))
    with pytest.raises(DataError, match="line 3: a NUL byte"):
        IOTable.from_csv(path)
    path.write_bytes(TABLE.encode().replace(b"Manufacturing", b"Manu\xfffacturing"))
    with pytest.raises(DataError, match="line 3: byte .* is not UTF-8"):
        IOTable.from_csv(path)


def test_a_nul_in_a_scenario_title_is_one_error(tmp_path):
    path = tmp_path / "s.toml"
    path.write_bytes(f'schema_version = 1\nextends = "{BASELINE}"\n[scenario]\nid = "x"\ntitle = "a\x00b"\n'.encode())
    with pytest.raises(ScenarioError, match="line 5: a NUL byte"):
        load_scenario(path)


def test_a_blank_table_code_names_the_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(TABLE.replace("S2,Manufacturing", ",Manufacturing"))
    with pytest.raises(DataError, match="line 3: the code cell is blank"):
        IOTable.from_csv(path)


def test_comments_only_at_line_start_and_names_with_hash_are_kept(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("# currency = KRW\n" + TABLE.replace("Agriculture", "Agri # culture"))
    table = IOTable.from_csv(path)
    assert table.dataset["sector_name"].values[0] == "Agri # culture" and table.dataset.attrs["currency"] == "KRW"


def test_records_keep_file_lines_after_comments_and_blanks(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("# comment\n\nsector,employment\n\nA,1\n# another\nB,2\n")
    records = read_csv_records(path)
    assert records.header_line == 3 and records.lines == [5, 7] and records.comments == ["comment", "another"]


# ---------------------------------------------------------------- not a regular file, too big


@pytest.mark.parametrize("command", ["run", "validate", "spend", "multipliers", "circuit"])
def test_dev_zero_and_a_fifo_are_refused_before_reading(command, tmp_path):
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    for special in ("/dev/zero", str(fifo)):
        arguments = {
            "run": ["run", special],
            "validate": ["validate", special],
            "spend": ["spend", special],
            "multipliers": ["multipliers", "--table", special],
            "circuit": ["circuit", "--params", special],
        }[command]
        result = CliRunner().invoke(main, arguments)
        _one_error_line(result)
        assert result.exit_code == 1 and "regular file" in result.output, result.output


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "t.csv"
    path.write_text(TABLE)
    monkeypatch.setattr(simengine.io, "MAX_INPUT_BYTES", 100)
    with pytest.raises(DataError, match=r"bytes, more than the limit of 100"):
        IOTable.from_csv(path)
    monkeypatch.setattr(simengine.io, "MAX_TEXT_BYTES", 10)
    with pytest.raises(ScenarioError, match="more than the limit of 10"):
        load_scenario(BASELINE)


def test_deeply_nested_parameter_files_are_one_error(tmp_path):
    nested = tmp_path / "n.toml"
    nested.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    result = CliRunner().invoke(main, ["circuit", "--params", str(nested)])
    _one_error_line(result)
    assert result.exit_code == 1
    result = CliRunner().invoke(main, ["validate", str(nested)])
    _one_error_line(result)
    assert result.exit_code == 1


# ---------------------------------------------------------------- mappings, registers, balance


@pytest.mark.parametrize(
    "mapping, message",
    [
        ({"columns": 5}, "columns = 5 is a int; expected a table"),
        ({"columns": {"value": 3}}, "columns.value = 3 is a int; expected a column name"),
        ({"values": {"method": "open"}}, "values.method = 'open' is a str; expected a table"),
        ({"values": {"method": {"o": 1}}}, r"values.method.'o' = 1 is a int; expected a string"),
        ({"size_classes": {"small": "big"}}, "size_classes.small = 'big' is a str; expected a positive number"),
        ({"size_classes": []}, "size_classes = \\[\\] is a list"),
        ({"currency": 1}, "currency = 1 is a int; expected a string"),
    ],
)
def test_malformed_mapping_types_are_one_error(mapping, message):
    with pytest.raises(DataError, match=message):
        read_mapping(mapping)


def test_an_all_zero_register_has_no_nan_share(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(HEADER + f"C1,0,KRW,F,open,Seoul,{HERE}\nC2,0,KRW,F,open,{HERE},{HERE}\n")
    with pytest.raises(DataError, match="every award value .* is 0"):
        read_register(path)


def _balance_files(tmp_path, rows: str, cols: str) -> list[str]:
    (tmp_path / "m.csv").write_text(",c1,c2\nr1,1,2\nr2,3,4\n")
    (tmp_path / "r.csv").write_text(rows)
    (tmp_path / "c.csv").write_text(cols)
    return [
        "balance", str(tmp_path / "m.csv"), "--rows", str(tmp_path / "r.csv"), "--cols", str(tmp_path / "c.csv"),
        "-o", str(tmp_path / "o.csv"),
    ]  # fmt: skip


def test_a_balance_total_for_an_unknown_label_is_refused(tmp_path):
    arguments = _balance_files(tmp_path, "label,total\nr1,3\nr2,7\nr3,1\n", "label,total\nc1,4\nc2,6\n")
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 1 and "line 4: a row total for ['r3']" in result.output


def test_a_totals_file_without_header_says_so(tmp_path):
    """Used to lose the first row silently, then say "row totals lack the labels ['r1']"."""
    arguments = _balance_files(tmp_path, "r1,3\nr2,7\n", "label,total\nc1,4\nc2,6\n")
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 1 and "seems to have no header line" in result.output
    assert not (tmp_path / "o.csv").exists()


# ---------------------------------------------------------------- Excel and NetCDF


def _workbook(tmp_path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    for line in TABLE.strip().splitlines():
        sheet.append([float(c) if c.replace(".", "").isdigit() else (c or None) for c in line.split(",")])
    path = tmp_path / "t.xlsx"
    book.save(path)
    return path


def _rewrite(path: Path, member: str, change) -> Path:
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    parts[member] = change(parts[member])
    out = path.with_name("hostile.xlsx")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out


def test_a_sound_workbook_reads(tmp_path):
    table = IOTable.from_excel(_workbook(tmp_path))
    assert table.sectors == ["S1", "S2"] and table.multipliers("output").values[0] > 1


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
)
EXTERNAL = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize(
    "hostile, message",
    [
        ("truncated", "not an .xlsx workbook|broken .xlsx"),
        ("broken xml", "broken .xlsx"),
        ("entity expansion", "declares a document type or entities"),
        ("external entity", "declares a document type or entities"),
        ("not a zip", "not an .xlsx workbook"),
    ],
)
def test_hostile_workbooks_are_one_error(hostile, message, tmp_path):
    path = _workbook(tmp_path)
    sheet = "xl/worksheets/sheet1.xml"
    if hostile == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif hostile == "broken xml":
        path = _rewrite(path, sheet, lambda data: data[: len(data) // 2])
    elif hostile == "entity expansion":
        path = _rewrite(path, sheet, lambda data: BILLION_LAUGHS + data.split(b"?>", 1)[-1])
    elif hostile == "external entity":
        path = _rewrite(path, sheet, lambda data: EXTERNAL + data.split(b"?>", 1)[-1])
    else:
        path.write_text(TABLE)
    result = CliRunner().invoke(main, ["multipliers", "--table", str(path)])
    _one_error_line(result)
    assert result.exit_code == 1 and any(m in result.output for m in message.split("|")), result.output


def test_a_zip_bomb_workbook_is_refused(tmp_path):
    path = _workbook(tmp_path)
    path = _rewrite(path, "xl/worksheets/sheet1.xml", lambda data: data + b" " * 5_000_000)
    with pytest.raises(DataError, match="possible zip bomb"):
        IOTable.from_excel(path)


def test_garbage_netcdf_is_one_error(tmp_path):
    path = tmp_path / "t.nc"
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(200))
    result = CliRunner().invoke(main, ["multipliers", "--table", str(path)])
    _one_error_line(result)
    assert result.exit_code == 1 and "cannot read as NetCDF-4" in result.output


# ---------------------------------------------------------------- fuzz: any bytes, any command


_WELL_FORMED = {
    "register": HEADER + f"C1,100,KRW,F,open,Seoul,{HERE}\nC2,300,KRW,F,open,{HERE},{HERE}\n",
    "table": TABLE,
    "employment": "sector,employment\nA01,10\n",
    "balance": "label,total\nr1,3\nr2,7\n",
}


@st.composite
def malformed_csv(draw):
    text = draw(st.sampled_from(list(_WELL_FORMED.values()))).encode()
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(text)))
        insert = draw(
            st.sampled_from([b'"', b",", b"\x00", b"\n", b"\xff", b"\x1b[2J", b"'=1", b"nan", b"-1e309", b""])
        )
        cut = draw(st.integers(0, 3))
        text = text[:position] + insert + text[position + cut :]
    return text


def _invocations(path: Path, tmp_path: Path) -> list[list[str]]:
    (tmp_path / "m.csv").write_text(",c1,c2\nr1,1,2\nr2,3,4\n")
    (tmp_path / "c.csv").write_text("label,total\nc1,4\nc2,6\n")
    return [
        ["spend", str(path), "--buyer-location", "Gwangmyeong, Gyeonggi"],
        ["multipliers", "--table", str(path)],
        ["region", "build", "--employment", str(path), "--method", "flq", "--delta", "0.3"],
        ["balance", str(tmp_path / "m.csv"), "--rows", str(path), "--cols", str(tmp_path / "c.csv"),
         "-o", str(tmp_path / "out.csv"), "--overwrite"],
        ["circuit", "--params", str(path)],
        ["validate", str(path)],
    ]  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.one_of(st.binary(max_size=300), malformed_csv()), which=st.integers(0, 5))
def test_any_bytes_as_any_input_file_give_exit_0_or_one_error_line(content, which, tmp_path):
    path = tmp_path / ("input.toml" if which >= 4 else "input.csv")
    path.write_bytes(content)
    result = CliRunner().invoke(main, _invocations(path, tmp_path)[which])
    _one_error_line(result)
    if result.exit_code == 1:
        assert path.name in result.output, result.output  # the refusal names the file it refuses


@settings(max_examples=40, deadline=None)
@given(content=malformed_csv())
def test_register_reading_is_exact_or_refused(content):
    """Whatever the mutation, a register that is read gives each row the cells between its commas:
    the total value read equals the sum of the value cells as a plain CSV parser sees them."""
    import csv
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "r.csv"
        path.write_bytes(content)
        try:
            register = read_register(path, buyer_location="Gwangmyeong, Gyeonggi")
        except DataError as exc:
            assert "\n" not in str(exc)
            return
        lines = io.StringIO(content.decode("utf-8-sig"), newline="")
        rows = list(csv.DictReader(line for line in lines if line.strip()))  # blank lines are skipped
        values = [float(r["value"].replace(",", "")) for r in rows if r.get("contract_id", "").strip()]
        assert np.isclose(register["value"].sum(), sum(values), rtol=1e-12, atol=0)


def test_register_values_that_overflow_their_sum_are_refused(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(HEADER + f"C1,1e308,KRW,F,open,Seoul,{HERE}\nC2,1e308,KRW,F,open,{HERE},{HERE}\n")
    with pytest.raises(DataError, match="sum beyond the range of numbers"):
        read_register(path)


@pytest.mark.parametrize("header", ["code,S1,fd:,total_output", "code,S1,fd: ,total_output"])
def test_a_final_demand_column_without_a_name_is_refused(header, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(f"{header}\nS1,1,2,3\n")
    with pytest.raises(DataError, match="has no name after the prefix"):
        IOTable.from_csv(path)
