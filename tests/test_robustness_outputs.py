"""Outputs that are safe to open: no spreadsheet formula in a CSV cell we write (OWASP "CSV
Injection"), no terminal control sequence from a user's file on the terminal."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from simengine.cli import main
from simengine.io import FORMULA_PREFIXES, spreadsheet_safe, spreadsheet_safe_frame
from simengine.text import terminal_safe, write_frame

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "gwangmyeong_baseline.toml"
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
HOSTILE = ["=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x","y")']


def _cells(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [row for row in csv.reader(handle) if row]


@settings(max_examples=60)
@given(
    labels=st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=4, unique=True),
    numbers=st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=4, max_size=4),
)
def test_no_text_cell_we_write_starts_a_formula_and_numbers_stay_numbers(labels, numbers, tmp_path_factory):
    labels = [*labels, *HOSTILE[: 4 - len(labels) % 4]][:4]
    frame = pd.DataFrame({"name": labels, "value": numbers[: len(labels)]}, index=pd.Index(labels, name="code"))
    path = write_frame(frame, tmp_path_factory.mktemp("csv") / "out.csv")
    header, *rows = _cells(path)
    for row in [header, *rows]:
        for cell in row[:2]:
            assert not cell.startswith(FORMULA_PREFIXES), row
    assert [float(row[2]) for row in rows] == frame["value"].tolist()


def test_safe_cells_keep_their_text_after_the_quote():
    for value in HOSTILE:
        assert spreadsheet_safe(value) == "'" + value.replace("\r", " ")
    assert spreadsheet_safe("two\nlines") == "two lines"
    assert spreadsheet_safe(-1.5) == -1.5 and spreadsheet_safe("plain") == "plain"
    frame = spreadsheet_safe_frame(pd.DataFrame({"=a": ["-x", 1]}, index=pd.Index(["@i", "j"])))
    assert list(frame.columns) == ["'=a"] and list(frame.index) == ["'@i", "j"] and frame.iloc[0, 0] == "'-x"


def test_spend_csv_neutralises_register_labels(tmp_path):
    register = tmp_path / "r.csv"
    register.write_text(
        "contract_id,value,currency,sector,method,supplier_location,buyer_location\n"
        'C1,100,KRW,"=HYPERLINK(""http://x"",""y"")",open,"Gwangmyeong, Gyeonggi","Gwangmyeong, Gyeonggi"\n'
        'C2,50,KRW,@SUM(A1),open,Seoul,"Gwangmyeong, Gyeonggi"\n'
    )
    out = tmp_path / "s.csv"
    result = CliRunner().invoke(main, ["spend", str(register), "--by", "sector", "-o", str(out)])
    assert result.exit_code == 0, result.output
    sectors = [row[0] for row in _cells(out)[1:] if row[0] != "all"]
    assert sorted(sectors) == ['\'=HYPERLINK("http://x","y")', "'@SUM(A1)"]


def test_balance_csv_neutralises_labels(tmp_path):
    (tmp_path / "m.csv").write_text(",=a,b\n-r,1,2\nr2,3,4\n")
    (tmp_path / "r.csv").write_text("label,total\n-r,3\nr2,7\n")
    (tmp_path / "c.csv").write_text("label,total\n=a,4\nb,6\n")
    out = tmp_path / "o.csv"
    arguments = ["balance", str(tmp_path / "m.csv"), "--rows", str(tmp_path / "r.csv")]
    result = CliRunner().invoke(main, [*arguments, "--cols", str(tmp_path / "c.csv"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    header, *rows = _cells(out)
    assert header[1] == "'=a" and rows[0][0] == "'-r" and float(rows[0][1]) > 0


@settings(max_examples=100)
@given(st.text())
def test_terminal_text_has_no_control_characters(value):
    shown = terminal_safe(value)
    assert not CONTROLS.search(shown)
    assert shown.count("\n") == value.count("\n") and shown.count("\t") == value.count("\t")
    if not CONTROLS.search(value):
        assert shown == value


def test_escape_sequences_in_a_title_never_reach_the_terminal(tmp_path):
    path = tmp_path / "child.toml"
    hostile = "\\u001b]0;pwned\\u0007\\u001b[31mred\\u202e"
    path.write_text(f'schema_version = 1\nextends = "{BASELINE}"\n[scenario]\nid = "child"\ntitle = "{hostile}"\n')
    result = CliRunner().invoke(main, ["run", str(path)])
    assert result.exit_code == 0, result.output
    assert not CONTROLS.search(result.output) and "\\x1b]0;pwned" in result.output


def test_escape_sequences_in_an_error_never_reach_the_terminal(tmp_path):
    register = tmp_path / "r\x1b[2J.csv"
    register.write_text("contract_id,value,sector,method,supplier_location\nC1,1,F,\x1b[2Jx,Seoul\n")
    result = CliRunner().invoke(main, ["spend", str(register)])
    assert result.exit_code == 1 and result.output.startswith("error:")
    assert not CONTROLS.search(result.output)


def test_terminal_safe_shows_the_escape():
    assert terminal_safe("a\x1b[31mb\tc\n") == "a\\x1b[31mb\tc\n"
    assert io.StringIO(terminal_safe("\u202eabc")).read() == "\\u202eabc"


@settings(max_examples=60)
@given(
    labels=st.lists(
        st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), min_size=1, max_size=6),
        min_size=1,
        max_size=5,
    )
)
def test_text_we_write_reads_back_exactly(labels, tmp_path_factory):
    """write_csv then read_csv_records returns every text cell as it was (line breaks become spaces,
    the formula quote is removed again): the writer and the strict reader agree."""
    from simengine.io import read_csv_records, write_csv

    frame = pd.DataFrame({"label": labels, "value": range(len(labels))})
    path = write_csv(frame, tmp_path_factory.mktemp("rt") / "t.csv", index=False)
    records = read_csv_records(path, comments=False)
    expected = [
        " ".join(label.replace("\r\n", " ").replace("\r", " ").replace("\n", " ").split(" ")) for label in labels
    ]
    assert [row[0] for row in records.rows] == expected
    assert [int(row[1]) for row in records.rows] == list(range(len(labels)))
