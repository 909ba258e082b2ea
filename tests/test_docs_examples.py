"""The documentation's code runs: every ```python block of README.md and docs/*.md is executed, and
every ``simengine ...`` command line of its shell blocks parses.

Each Python block runs as written, on its own, in a fresh temporary folder that holds the
repository's shipped folders (``scenarios/``, ``simengine/`` with its datasets, ``tests/data/``) as
links, so a block may read shipped files by their documented relative paths and writes only into
the temporary folder. A block may not lean on an earlier one. Blocks that only sketch a TOML or CSV
layout use other fences (```toml, ```text or a plain fence) and are not run.

Command lines are parsed by the command group itself (``simengine.cli.main``), with every option and
argument converted, from the same temporary folder; nothing is run. Usage synopses with
``[optional]`` parts sit in ```text blocks.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import matplotlib
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
#: A fenced block: its language (may be empty) and text.
FENCE = re.compile(r"^```(?P<lang>[A-Za-z0-9_+-]*)\n(?P<body>.*?)^```", re.S | re.M)
#: Shipped folders a block may read, linked into its temporary folder.
SHIPPED = ("scenarios", "simengine", "tests/data")


def code_blocks(*languages: str) -> list[tuple[str, str]]:
    """``(place, text)`` of every fenced block in one of ``languages``; ``place`` is ``file:line``."""
    blocks = []
    for path in DOCUMENTS:
        text = path.read_text(encoding="utf-8")
        for found in FENCE.finditer(text):
            if found["lang"] in languages:
                line = text.count("\n", 0, found.start()) + 1
                blocks.append((f"{path.relative_to(ROOT)}:{line}", found["body"]))
    return blocks


@pytest.fixture
def shipped_folder(tmp_path, monkeypatch):
    """A temporary working folder with the shipped folders linked in."""
    for name in SHIPPED:
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(ROOT / name, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


PYTHON_BLOCKS = code_blocks("python")


def test_there_are_python_examples():
    assert len(PYTHON_BLOCKS) >= 15


@pytest.mark.parametrize(("place", "code"), PYTHON_BLOCKS, ids=[place for place, _ in PYTHON_BLOCKS])
def test_python_block_runs(place, code, shipped_folder):
    """The block runs as written from a folder with the shipped data (no placeholders)."""
    assert "..." not in re.sub(r"#.*", "", code), f"{place}: a placeholder argument (...) cannot run"
    backend = matplotlib.get_backend()
    matplotlib.use("Agg")
    try:
        exec(compile(code, place, "exec"), {"__name__": "__docs__"})  # noqa: S102 - the docs' own example code
    finally:
        matplotlib.use(backend)


#: A file an earlier line of a shell block writes: ``> FILE`` or ``-o FILE`` / ``--output FILE``.
WRITTEN = re.compile(r"(?:>|\s-o|\s--output)\s+([\w./-]+)")


def command_lines() -> list[tuple[str, list[str], list[str]]]:
    """Every ``simengine ...`` command of the shell and plain blocks: place, arguments, and the
    files that the lines of its block before it write (made empty before it is parsed)."""
    commands = []
    for place, body in code_blocks("bash", "sh", "shell", "console", ""):
        written: list[str] = []
        for line in re.sub(r"\\\n\s*", " ", body).splitlines():
            line = line.strip().removeprefix("$ ")
            for part in line.split("&&"):
                if re.match(r"\s*simengine\s", part):
                    commands.append((place, shlex.split(part, comments=True)[1:], list(written)))
            written += WRITTEN.findall(line.split("#", 1)[0])
    return commands


COMMANDS = command_lines()


def test_there_are_commands():
    assert len(COMMANDS) >= 30


def _parse(arguments: list[str]) -> None:
    """Parse ``arguments`` as ``simengine`` would, down to the last subcommand, without running it."""
    from simengine.cli import main

    command: click.Command = main
    context = command.make_context("simengine", list(arguments), resilient_parsing=False)
    rest = [*context._protected_args, *context.args] if hasattr(context, "_protected_args") else context.args
    while isinstance(command, click.Group) and rest:
        name, sub, rest = command.resolve_command(context, rest)
        assert sub is not None, f"unknown command {name!r}"
        context = sub.make_context(name, rest, parent=context)
        command = sub
        rest = [*getattr(context, "_protected_args", []), *context.args] if isinstance(sub, click.Group) else []


@pytest.mark.parametrize(
    ("place", "arguments", "made"), COMMANDS, ids=[f"{place} {' '.join(args)[:60]}" for place, args, _ in COMMANDS]
)
def test_command_line_parses(place, arguments, made, shipped_folder):
    for name in made:
        (shipped_folder / name).parent.mkdir(parents=True, exist_ok=True)
        (shipped_folder / name).touch()
    try:
        _parse(arguments)
    except click.UsageError as exc:
        pytest.fail(f"{place}: simengine {shlex.join(arguments)}: {exc.format_message()}")
    except click.exceptions.Exit:
        pass


def test_no_block_names_a_machine_path():
    for place, body in code_blocks("python", "bash", "sh", "", "text", "toml"):
        assert not re.search(r"(?<![\w.])/(work|home|tmp|root|Users)/", body), place
