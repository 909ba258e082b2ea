"""Faults while writing: a full disk, a read-only folder or a signal is one clear line, never a
traceback, a crash or a half-written file; every target is checked before the first is written.

Tests run as root here, where ``chmod`` does not stop writes. Read-only folders are therefore a
real read-only bind mount (skipped where mounting is not allowed) or a fault injected at the
one place output bytes reach the disk (``simengine.io._write_all``) or at the temporary file's
creation; a full disk is a real 64 KiB tmpfs where mounting is allowed, and injected otherwise.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from factories import synthetic_result
from hypothesis import given, settings
from hypothesis import strategies as st

import simengine.io
from simengine import DataError, IOTable
from simengine.cli import main
from simengine.io import write_atomic, write_netcdf
from simengine.report import write_report
from simengine.report.content import report_data
from simengine.report.figures import report_figures, save_figures
from simengine.report.labels import load_labels
from simengine.results import save_result
from simengine.scenario.docs import write_json_schema
from simengine.text import write_frame

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "gwangmyeong_baseline.toml"


def _table() -> IOTable:
    return IOTable.from_arrays([[150.0, 500.0], [200.0, 100.0]], [350.0, 1700.0], x=[1000.0, 2000.0])


#: Every writer of the package, as (name, function of the target path, suffix of the target).
WRITERS = {
    "result netcdf": (lambda p: save_result(synthetic_result(), p), ".nc"),
    "table netcdf": (lambda p: _table().to_netcdf(p), ".nc"),
    "table csv": (lambda p: _table().to_csv(p), ".csv"),
    "frame csv": (lambda p: write_frame(pd.DataFrame({"a": [1.0]}), p), ".csv"),
    "frame netcdf": (lambda p: write_frame(pd.DataFrame({"a": [1.0]}), p), ".nc"),
    "report html": (lambda p: write_report(synthetic_result(), p), ".html"),
    "json schema": (lambda p: write_json_schema("scenario", p), ".json"),
    "text": (lambda p: write_atomic(p, "text"), ".txt"),
}


def _fail_writes(monkeypatch, code: int, after: float = 0.5) -> None:
    """Make the disk fail with ``code`` after ``after`` of a file's bytes have been written."""
    real = simengine.io._write_all

    def failing(fd: int, data: bytes) -> None:
        real(fd, bytes(data)[: int(len(data) * after)])
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(simengine.io, "_write_all", failing)


@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_full_disk_is_one_error_and_leaves_nothing(writer, tmp_path, monkeypatch):
    write, suffix = WRITERS[writer]
    _fail_writes(monkeypatch, errno.ENOSPC)
    with pytest.raises(DataError, match=r"disk holding .* is full.*Nothing was written"):
        write(tmp_path / f"out{suffix}")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_read_only_folder_is_one_error(writer, tmp_path, monkeypatch):
    write, suffix = WRITERS[writer]

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(simengine.io.tempfile, "mkstemp", read_only)
    with pytest.raises(DataError, match="read-only file system; write to another folder"):
        write(tmp_path / f"out{suffix}")
    assert list(tmp_path.iterdir()) == []


@settings(max_examples=25)
@given(
    writer=st.sampled_from(list(WRITERS)),
    code=st.sampled_from([errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EIO, errno.EDQUOT]),
    after=st.floats(0, 1),
)
def test_any_write_fault_is_one_line_and_leaves_nothing(writer, code, after, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fault")
    write, suffix = WRITERS[writer]
    with pytest.MonkeyPatch.context() as monkeypatch:
        _fail_writes(monkeypatch, code, after)
        with pytest.raises(DataError) as info:
            write(folder / f"out{suffix}")
    message = str(info.value)
    assert "\n" not in message and str(folder / f"out{suffix}") in message and "Nothing was written" in message
    assert list(folder.iterdir()) == []


def _mount(args: list[str]) -> bool:
    if os.geteuid() != 0:
        return False
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 16 KiB tmpfs: writes beyond it fail with ENOSPC inside the C libraries too."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    if not _mount(["-t", "tmpfs", "-o", "size=16k", "tmpfs", str(folder)]):
        pytest.skip("mounting a tmpfs needs root and mount permission")
    yield folder
    subprocess.run(["umount", str(folder)], check=False)


@pytest.fixture
def read_only_folder(tmp_path):
    """A real read-only folder (a read-only bind mount: as root, chmod would not stop writes)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if not (_mount(["--bind", str(folder), str(folder)]) and _mount(["-o", "remount,bind,ro", str(folder)])):
        subprocess.run(["umount", str(folder)], check=False, capture_output=True)
        pytest.skip("a read-only bind mount needs root and mount permission")
    yield folder
    subprocess.run(["umount", str(folder)], check=False)


def test_a_result_onto_a_full_disk_is_one_line_not_a_crash(tiny_disk):
    """The NetCDF writer used to crash the process (exit 139) when HDF5 met a full disk; the
    result file (about 47 KB) does not fit on the 16 KiB disk."""
    result = CliRunner().invoke(main, ["run", str(BASELINE), "-o", str(tiny_disk / "r.nc")])
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "is full" in errors[0]
    assert list(tiny_disk.iterdir()) == []


def test_real_read_only_folders(read_only_folder, tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["multipliers", "-o", str(read_only_folder / "m.csv")])
    assert result.exit_code == 1 and "read-only file system" in result.output
    saved = tmp_path / "r.nc"
    save_result(synthetic_result(), saved)
    result = runner.invoke(
        main, ["report", str(saved), "-o", str(tmp_path / "r.html"), "--figures", str(read_only_folder / "figs")]
    )
    assert result.exit_code == 1 and "read-only file system" in result.output
    assert not (tmp_path / "r.html").exists()


def _figures():
    return report_figures(report_data([synthetic_result()]), load_labels("en"))


def test_every_figure_target_is_checked_before_the_first_is_written(tmp_path):
    figures = _figures()
    last = sorted(figures)[-1]
    (tmp_path / f"{last}.svg").write_text("keep")
    with pytest.raises(DataError, match="exists"):
        save_figures(figures, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{last}.svg"]
    saved = tmp_path / "r.nc"
    save_result(synthetic_result(), saved)
    arguments = ["report", str(saved), "-o", str(tmp_path / "r.html"), "--figures", str(tmp_path)]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 1 and "exists" in result.output and not (tmp_path / "r.html").exists()


def test_a_failing_figure_removes_the_figures_already_written(tmp_path, monkeypatch):
    figures = _figures()
    real, calls = simengine.io._write_all, []

    def fail_third(fd, data):
        calls.append(1)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd, data)

    monkeypatch.setattr(simengine.io, "_write_all", fail_third)
    with pytest.raises(DataError, match="is full"):
        save_figures(figures, tmp_path / "figs")
    assert list((tmp_path / "figs").iterdir()) == []


@pytest.mark.parametrize("suffix", [".csv", ".html", ".nc.tmp", ""])
def test_netcdf_writers_refuse_another_suffix(suffix, tmp_path):
    with pytest.raises(DataError, match="must end in .nc"):
        write_netcdf(synthetic_result(), tmp_path / f"r{suffix}")
    employment = tmp_path / "e.csv"
    result = CliRunner().invoke(
        main,
        ["region", "build", "--employment", str(employment), "--method", "slq", "-o", str(tmp_path / f"r{suffix}")],
    )
    assert result.exit_code == 1 and "must end in .nc" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_sigterm_while_writing_removes_the_temporary_file(tmp_path):
    script = (
        "import os, signal, sys, time\n"
        "from simengine.io import atomic_path\n"
        "with atomic_path(sys.argv[1]) as tmp:\n"
        "    tmp.write_text('half')\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    time.sleep(30)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "out.nc")], timeout=60, cwd=ROOT)
    assert done.returncode == 128 + 15
    assert list(tmp_path.iterdir()) == []


def test_sigterm_in_the_cli_is_one_line(tmp_path):
    script = (
        "import os, signal, sys\n"
        "import simengine.text\n"
        "def stop(*args, **kwargs):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "simengine.text.multiplier_frame = stop\n"
        "from simengine.cli import main\n"
        "main(['multipliers', '-o', sys.argv[1]])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "m.csv")], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 128 + 15
    assert done.stderr.strip().splitlines() == ["error: stopped by SIGTERM; no output file is left half-written"]
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_while_writing_removes_the_temporary_file(tmp_path):
    from simengine.io import atomic_path

    with pytest.raises(KeyboardInterrupt), atomic_path(tmp_path / "out.csv") as tmp:
        tmp.write_text("half")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []
