"""The README's Quick start commands are the ones CI runs (its code blocks run in test_docs_examples.py)."""

from __future__ import annotations

from pathlib import Path

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
