"""The README's Quick start commands are the ones CI runs (its code blocks run in test_docs_examples.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = section.split("```bash")[1:]
    return [line for block in blocks for line in block.split("```")[0].splitlines() if line.startswith("pip install")]


def test_ci_runs_the_readme_commands():
    commands = quick_start_commands()
    assert len(commands) == 2
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for command in commands:
        assert command in ci.splitlines(), command


def readme_main_job_output() -> list[str]:
    """The lines of the Quick start's printed ranking: its first code block without a language."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks, body, language = [], None, ""
    for line in section.splitlines():
        if line.startswith("```"):
            if body is None:
                body, language = [], line[3:]
            else:
                if not language:
                    blocks.append(body)
                body = None
        elif body is not None:
            body.append(line)
    return blocks[0]


@pytest.mark.slow
def test_readme_shows_what_the_main_job_prints(tmp_path):
    """The README's ranking is the main job's output on the shipped data, line for line (the
    table and the ranking under uncertainty), so a change of the model's numbers cannot leave it stale."""
    from click.testing import CliRunner

    from simengine.cli import main

    result = CliRunner().invoke(
        main, ["batch", str(ROOT / "scenarios" / "batch_gwangmyeong.toml"), "-o", str(tmp_path / "g.nc")]
    )
    assert result.exit_code == 0, result.output
    printed = [line.rstrip() for line in result.output.splitlines()]
    expected = readme_main_job_output()
    start = printed.index(expected[0])
    assert printed[start : start + len(expected)] == expected
