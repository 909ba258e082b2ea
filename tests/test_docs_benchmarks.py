"""Benchmark figures have one source: the tables of README.md and docs/*.md are the rendering of the
committed result files ``benchmarks/results/*.json`` (``benchmarks/render.py``), so a hand edit of a
table or a result file committed without rendering fails here."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import _record  # noqa: E402
import render  # noqa: E402


def test_committed_tables_are_the_rendering_of_the_committed_results():
    assert render.stale() == [], "run python benchmarks/render.py and commit the pages"


def test_every_result_file_feeds_a_table_and_every_table_has_its_file():
    rendered = {name for _, name, _ in render.markers()}
    files = {path.stem for path in render.RESULTS.glob("*.json")}
    assert files <= rendered, f"result files no page renders: {sorted(files - rendered)}"
    assert rendered <= files, f"tables without a result file: {sorted(rendered - files)}"


def test_every_committed_result_records_its_date_command_and_machine():
    for path in render.RESULTS.glob("*.json"):
        result = json.loads(path.read_text(encoding="utf-8"))
        assert result["benchmark"] == path.stem, path.name
        script = result.get("script", path.stem)  # one script may write several result files
        assert result["command"].startswith(f"python benchmarks/{script}.py"), path.name
        assert result["date"].endswith("Z") and result["machine"]["cpus"] >= 1, path.name
        assert "load_average_start" in result["machine"], path.name


def test_check_mode_finds_a_hand_edited_table(tmp_path, capsys):
    page = tmp_path / "page.md"
    block = render.render_block("bench_core", None)
    page.write_text(f"# Page\n\n<!-- bench:bench_core -->\n{block}<!-- /bench -->\n", encoding="utf-8")
    assert render.main(["--check", str(page)]) == 0
    page.write_text(page.read_text(encoding="utf-8").replace("| 1,000 |", "| 1,001 |"), encoding="utf-8")
    assert render.main(["--check", str(page)]) == 1
    assert "page.md: benchmark tables differ" in capsys.readouterr().out
    assert render.main([str(page)]) == 0
    assert render.main(["--check", str(page)]) == 0 and "| 1,000 |" in page.read_text(encoding="utf-8")


def _write(results: Path, name: str, payload: dict) -> None:
    results.mkdir(exist_ok=True)
    (results / f"{name}.json").write_text(json.dumps(payload), encoding="utf-8")


def test_rows_come_from_the_file_and_unknown_keys_are_left_out(tmp_path):
    core = json.loads((render.RESULTS / "bench_core.json").read_text(encoding="utf-8"))
    core["rows"].append({"sectors": 8000, "simengine_s": 5.0, "lapack_s": 4.0, "new_key": 1.0})
    _write(tmp_path, "bench_core", core)
    table = render.render_block("bench_core", "table", tmp_path)
    assert "| 8,000 | 5.000 |" in table and "new_key" not in table
    assert table.count("\n| ") == len(core["rows"])  # one line per row after the header
    assert "At 8,000 sectors" in render.render_block("bench_core", "goals", tmp_path)


def test_a_benchmark_without_a_view_renders_its_rows_and_a_file_without_facts_says_so(tmp_path):
    _write(tmp_path, "bench_new", {"rows": [{"case": "a", "seconds": 0.5}, {"case": "b", "seconds": 12.25, "x": 3}]})
    block = render.render_block("bench_new", None, tmp_path)
    lines = block.splitlines()
    assert lines[0] == "| case | seconds | x |" and lines[1] == "|---|--:|--:|"
    assert lines[2] == "| a | 0.500 |  |" and lines[3] == "| b | 12.2 | 3 |"
    assert "Date and machine not recorded in `benchmarks/results/bench_new.json`" in block


def test_bad_markers_are_one_clear_error(tmp_path):
    with pytest.raises(render.RenderError, match=r"no result file benchmarks/results/bench_gone.json"):
        render.render_block("bench_gone", None, tmp_path)
    with pytest.raises(render.RenderError, match=r"has no view 'pie'; use one of \['goals', 'table'\]"):
        render.render_block("bench_core", "pie")
    _write(tmp_path, "bench_flat", {"value": 1})
    with pytest.raises(render.RenderError, match="has no list of rows"):
        render.render_block("bench_flat", None, tmp_path)


def test_the_caption_says_when_the_machine_was_loaded():
    result = {"date": "2026-01-01T00:00:00Z", "command": "python benchmarks/b.py", "machine": {"cpus": 2}}
    quiet = result | {"machine": {"cpus": 2, "load_average_start": 0.2, "load_average_end": 0.4}}
    loaded = result | {"machine": {"cpus": 2, "load_average_start": 6.0, "load_average_end": 3.0}}
    assert "other jobs" not in render.caption(quiet, "b") and "Load average 0.2" in render.caption(quiet, "b")
    assert "other jobs shared the machine" in render.caption(loaded, "b")
    assert "do not depend on the machine's load" in render.caption(loaded, "agents_consistency")


def test_numbers_have_separators_and_ratios_an_x():
    assert render.number(1234567) == "1,234,567" and render.number(83626.4) == "83,626"
    assert render.number(0.0026) == "0.0026" and render.number(None) == "n/a"
    assert render.ratio(2.8512) == "2.85x" and render.ratio(77.49) == "77.5x" and render.ratio(2301.2) == "2,301x"


def test_a_record_carries_machine_facts(tmp_path):
    path = tmp_path / "out.json"
    written = _record.write_result(path, "bench_x", {"rows": [{"a": 1}]}, ["--fast"])
    assert json.loads(path.read_text(encoding="utf-8")) == written
    assert written["command"] == "python benchmarks/bench_x.py --fast" and written["rows"] == [{"a": 1}]
    assert {"cpus", "python", "numpy", "scipy", "numpy_blas", "load_average_end"} <= set(written["machine"])
