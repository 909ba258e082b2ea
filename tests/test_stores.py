"""Zarr result stores: one region per chunk, resume after SIGKILL, Dask, exact determinism.

The reference values are the in-memory paths' own results (``run_batch``,
``uncertainty_compare``): these tests check that a store, however it was filled, holds the
same bits, not the economics (that is tested against published numbers elsewhere).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner

from simengine.batch import run_batch
from simengine.cli import main
from simengine.errors import DataError
from simengine.stores import ChunkJob, ChunkResult, dask_client, draw_job, open_store, run_job, scenario_job
from simengine.uncertainty import comparison_scenarios, uncertainty_compare

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
BATCH = SCENARIOS / "batch_gwangmyeong.toml"


def _sweep_batch(
    folder: Path,
    targets=(0.5, 0.6, 0.7, 0.75),
    shares=(0.1, 0.2, 0.25, 0.3, 0.4),
) -> Path:
    """A batch file of shipped scenarios with a larger sweep (22 members by default)."""
    lines = [
        "schema_version = 1",
        f'baseline = "{SCENARIOS / "gwangmyeong_baseline.toml"}"',
        f'scenarios = ["{SCENARIOS / "small_contracts.toml"}"]',
        "[batch]",
        'id = "store-test"',
        'title = "A larger sweep of the shipped scenarios"',
        "[sweep]",
        f'base = "{SCENARIOS / "combined_package.toml"}"',
        'method = "grid"',
        "[[sweep.parameter]]",
        'path = "lever[0].target"',
        f"values = {list(targets)}",
        "[[sweep.parameter]]",
        'path = "lever[4].min_local_subcontract_share"',
        f"values = {list(shares)}",
    ]
    path = folder / "batch.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def gwangmyeong():
    """The main batch's in-memory results and its comparison scenarios."""
    scenarios, _, seed = comparison_scenarios([BATCH])
    return run_batch(BATCH).results, scenarios, seed


@pytest.mark.parametrize("chunk_size", [1, 5, 12])
def test_scenario_store_equals_the_in_memory_batch_bitwise(tmp_path, gwangmyeong, chunk_size):
    outcome = run_job(scenario_job(BATCH, chunk_size=chunk_size), tmp_path / "s.zarr")
    assert outcome.computed == outcome.chunks == -(-12 // chunk_size)
    xr.testing.assert_identical(open_store(tmp_path / "s.zarr"), gwangmyeong[0])


@pytest.mark.parametrize("chunk_size", [64, 300])
def test_draw_store_equals_the_in_memory_comparison_bitwise(tmp_path, gwangmyeong, chunk_size):
    _, scenarios, seed = gwangmyeong
    run_job(draw_job(scenarios, draws=300, seed=seed, chunk_size=chunk_size), tmp_path / "d.zarr")
    expected = uncertainty_compare(scenarios, draws=300, seed=seed)
    xr.testing.assert_identical(open_store(tmp_path / "d.zarr"), expected)


def test_store_is_created_once_and_each_chunk_writes_its_region_and_marker(tmp_path):
    store = tmp_path / "s.zarr"
    run_job(scenario_job(BATCH, chunk_size=5), store)
    markers = sorted(p.name for p in (store / "chunks_done").iterdir() if not p.name.startswith("."))
    assert markers == ["0", "1", "2"]
    meta = json.loads(json.loads((store / ".zattrs").read_text())["simengine_store"])
    assert meta["bounds"] == [[0, 5], [5, 10], [10, 12]] and meta["complete"]
    zarray = json.loads((store / "local_output" / ".zarray").read_text())
    assert zarray["chunks"][0] == 5  # one Zarr chunk per batch chunk: regions never share one


def _kill_mid_batch(command: list[str], store: Path, *, after: int) -> int:
    """Start ``command``, SIGKILL it once ``after`` chunks are done; the number done at the kill."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    markers = store / "chunks_done"
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if markers.is_dir() and sum(p.name.isdigit() for p in markers.iterdir()) >= after:
                break
            time.sleep(0.005)
        assert process.poll() is None, "the batch finished before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    return sum(p.name.isdigit() for p in markers.iterdir())


@pytest.mark.slow
def test_a_killed_batch_resumes_with_nothing_lost_or_duplicated(tmp_path):
    batch = _sweep_batch(tmp_path)
    store = tmp_path / "s.zarr"
    command = [
        sys.executable,
        "-c",
        "from simengine.cli import main; main()",
        "batch",
        str(batch),
        "-o",
        str(store),
        "--chunk-size",
        "1",
    ]
    done = _kill_mid_batch(command, store, after=3)
    with pytest.raises(DataError, match="incomplete store.*--resume"):
        open_store(store)
    job = scenario_job(batch, chunk_size=1)
    assert 3 <= done < len(job.bounds)
    outcome = run_job(job, store, resume=True)
    assert outcome.computed == len(job.bounds) - done  # only the missing chunks ran
    xr.testing.assert_identical(open_store(store), run_batch(batch).results)


def test_resume_through_the_command_line(tmp_path):
    batch = _sweep_batch(tmp_path, targets=(0.5, 0.6), shares=(0.2, 0.3))
    store = tmp_path / "s.zarr"
    runner = CliRunner()
    first = runner.invoke(main, ["batch", str(batch), "-o", str(store), "--chunk-size", "4"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(main, ["batch", str(batch), "-o", str(store), "--chunk-size", "4"])
    assert again.exit_code == 1 and "--resume" in again.output and len(again.output.strip().splitlines()) == 1
    resumed = runner.invoke(main, ["batch", str(batch), "-o", str(store), "--chunk-size", "4", "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert "wrote" in resumed.output


def test_a_changed_batch_file_is_refused_on_resume(tmp_path):
    batch = _sweep_batch(tmp_path, targets=(0.5, 0.6), shares=(0.2, 0.3))
    store = tmp_path / "s.zarr"
    run_job(scenario_job(batch, chunk_size=4), store)
    batch.write_text(batch.read_text().replace("[0.5, 0.6]", "[0.5, 0.65]"))
    with pytest.raises(DataError, match="another scenarios job.*batch file"):
        run_job(scenario_job(batch, chunk_size=4), store, resume=True)
    result = CliRunner().invoke(main, ["batch", str(batch), "-o", str(store), "--chunk-size", "4", "--resume"])
    assert result.exit_code == 1
    assert result.output.startswith("error: ") and len(result.output.strip().splitlines()) == 1


def test_another_chunk_size_or_code_version_is_refused_on_resume(tmp_path, monkeypatch):
    store = tmp_path / "s.zarr"
    run_job(scenario_job(BATCH, chunk_size=4), store)
    with pytest.raises(DataError, match="another scenarios job"):
        run_job(scenario_job(BATCH, chunk_size=5), store, resume=True)
    import simengine.stores as stores

    monkeypatch.setattr(stores, "code_fingerprint", lambda: "another-version")
    with pytest.raises(DataError, match="simengine code changed"):
        run_job(scenario_job(BATCH, chunk_size=4), store, resume=True)


def test_compare_and_report_read_a_store_like_a_netcdf_file(tmp_path):
    runner = CliRunner()
    store, netcdf = tmp_path / "s.zarr", tmp_path / "s.nc"
    for output in (store, netcdf):
        result = runner.invoke(main, ["batch", str(BATCH), "-o", str(output), "--chunk-size", "5"])
        assert result.exit_code == 0, result.output
    from_store = runner.invoke(main, ["compare", str(store)])
    from_file = runner.invoke(main, ["compare", str(netcdf)])
    assert from_store.exit_code == 0 and from_store.output == from_file.output
    report = runner.invoke(main, ["report", str(store), "-o", str(tmp_path / "r.html")])
    assert report.exit_code == 0, report.output
    assert (store / "draws").is_dir()  # the batch's [uncertainty] comparison, in the same store


def test_an_incomplete_store_is_refused_with_one_line(tmp_path):
    store = tmp_path / "s.zarr"
    run_job(scenario_job(BATCH, chunk_size=4), store)
    import shutil

    shutil.rmtree(store / "chunks_done" / "1")
    result = CliRunner().invoke(main, ["compare", str(store)])
    assert result.exit_code == 1
    assert "incomplete store, 1 of 3 chunks not written (1)" in result.output


def test_a_folder_that_is_not_a_store_is_never_replaced(tmp_path):
    folder = tmp_path / "mine.zarr"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    result = CliRunner().invoke(main, ["batch", str(BATCH), "-o", str(folder), "--overwrite"])
    assert result.exit_code == 1 and "not a simengine result store" in result.output
    assert (folder / "keep.txt").read_text() == "mine"


def test_resume_needs_a_store(tmp_path):
    result = CliRunner().invoke(main, ["batch", str(BATCH), "-o", str(tmp_path / "s.nc"), "--resume"])
    assert result.exit_code == 1 and "--resume continues a .zarr store" in result.output


def _retry_task(flag: str, values: np.ndarray):
    """A chunk task that kills its worker process the first time it runs (a lost node)."""
    if not os.path.exists(flag):
        Path(flag).write_text("died once")
        os._exit(1)
    return ChunkResult(xr.Dataset({"value": ("draw", values * 2.0)}), {})


@pytest.mark.slow
def test_dask_two_workers_equal_serial_bitwise_and_a_lost_worker_is_recomputed(tmp_path, gwangmyeong):
    """A two-worker LocalCluster: the scenario and draw stores equal the in-memory results bit for
    bit, and a chunk whose worker dies is recomputed elsewhere with the same numbers."""
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import this test module
    results, scenarios, seed = gwangmyeong
    with dask_client("local:2") as client:
        run_job(scenario_job(BATCH, chunk_size=3), tmp_path / "s.zarr", client=client)
        run_job(draw_job(scenarios, draws=400, seed=seed, chunk_size=100), tmp_path / "d.zarr", client=client)
        values = np.arange(8.0)
        fixed = xr.Dataset(coords={"draw": np.arange(8)})
        tasks = [
            lambda: ChunkResult(xr.Dataset({"value": ("draw", values[:4] * 2.0)}), {}),
            functools.partial(_retry_task, str(tmp_path / "flag"), values[4:]),
        ]
        job = ChunkJob("draws", "draw", ((0, 4), (4, 8)), tuple(tasks), fixed, "retry-test")
        run_job(job, tmp_path / "r.zarr", client=client, retries=2)
    xr.testing.assert_identical(open_store(tmp_path / "s.zarr"), results)
    xr.testing.assert_identical(open_store(tmp_path / "d.zarr"), uncertainty_compare(scenarios, draws=400, seed=seed))
    assert (tmp_path / "flag").exists()
    np.testing.assert_array_equal(open_store(tmp_path / "r.zarr")["value"].values, values * 2.0)


_DIGEST = """
import hashlib, sys
import numpy as np
from simengine.batch import run_batch
from simengine.stores import draw_job, open_store, run_job
from simengine.uncertainty import comparison_scenarios, uncertainty_compare
batch, store = sys.argv[1], sys.argv[2]
digest = hashlib.sha256()
ds = run_batch(batch).results
for name in sorted(ds.data_vars):
    if ds[name].dtype.kind == "f":
        digest.update(np.ascontiguousarray(ds[name].values).tobytes())
scenarios, _, seed = comparison_scenarios([batch])
run_job(draw_job(scenarios, draws=200, seed=seed, chunk_size=64), store)
for d in (open_store(store), uncertainty_compare(scenarios, draws=200, seed=seed)):
    for name in sorted(d.data_vars):
        digest.update(np.ascontiguousarray(d[name].values).tobytes())
print(digest.hexdigest())
"""


@pytest.mark.slow
def test_results_do_not_depend_on_the_blas_thread_count(tmp_path):
    """The same batch and comparison in two processes, one with one BLAS thread, one with two:
    the same bits (the LU factorisation is pinned to one thread, every product is column-independent)."""
    digests = []
    for threads in ("1", "2"):
        env = {**os.environ, "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}
        out = subprocess.run(
            [sys.executable, "-c", _DIGEST, str(BATCH), str(tmp_path / f"d{threads}.zarr")],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        digests.append(out.stdout.strip().splitlines()[-1])
    assert digests[0] == digests[1]


def test_the_lu_factors_are_the_same_with_one_or_two_blas_threads():
    """Threaded ``getrf`` rounds differently; the factorisation runs pinned to one thread."""
    from threadpoolctl import threadpool_limits

    from simengine.accounts import LeontiefSystem

    rng = np.random.default_rng(3)
    A = rng.random((300, 300)) / 400
    factors = []
    for threads in (1, 2):
        with threadpool_limits(limits=threads, user_api="blas"):
            factors.append(hashlib.sha256(LeontiefSystem(A)._factors.tobytes()).hexdigest())
    assert factors[0] == factors[1]


# -- the store's uncertainty summary ----------------------------------------------------------


def test_a_store_summary_equals_the_in_memory_summary_bitwise(tmp_path, gwangmyeong):
    """The summary is streamed from the store (one variable at a time) and kept in it; it is the
    in-memory :func:`summarise` to the bit, kept or computed on reading."""
    from simengine.stores import read_summary, write_summary
    from simengine.uncertainty import read_uncertainty, summarise

    _, scenarios, seed = gwangmyeong
    store = tmp_path / "d.zarr"
    run_job(draw_job(scenarios, draws=300, seed=seed, chunk_size=64), store)
    expected = summarise(uncertainty_compare(scenarios, draws=300, seed=seed))
    xr.testing.assert_identical(read_summary(store, group=None), expected)  # none kept: computed, nothing written
    assert not (store / "summary").exists()
    xr.testing.assert_identical(write_summary(store, group=None), expected)
    xr.testing.assert_identical(read_summary(store, group=None), expected)
    batch = tmp_path / "b.zarr"
    result = CliRunner().invoke(main, ["batch", str(BATCH), "-o", str(batch), "--chunk-size", "6"])
    assert result.exit_code == 0, result.output
    assert "Under uncertainty: 2,000 draws" in result.output
    full = summarise(uncertainty_compare(scenarios, draws=2000, seed=seed))
    xr.testing.assert_identical(read_uncertainty(batch), full)  # the summary the batch kept in draws/summary
    assert (batch / "draws" / "summary" / ".zmetadata").is_file()


def test_report_of_a_batch_store_shows_its_ranking_under_uncertainty(tmp_path):
    store = tmp_path / "s.zarr"
    runner = CliRunner()
    result = runner.invoke(main, ["batch", str(BATCH), "-o", str(store), "--report", str(tmp_path / "b.html")])
    assert result.exit_code == 0, result.output
    for name, extra in (("r.html", []), ("u.html", ["--uncertainty", str(store)])):
        report = runner.invoke(main, ["report", str(store), "-o", str(tmp_path / name), *extra])
        assert report.exit_code == 0, report.output
    pages = [(tmp_path / name).read_text() for name in ("b.html", "r.html", "u.html")]
    assert all("Ranking under uncertainty" in page for page in pages)
    without = runner.invoke(
        main, ["batch", str(BATCH), "-o", str(tmp_path / "s.nc"), "--report", str(tmp_path / "n.html")]
    )
    assert without.exit_code == 0, without.output
    assert (tmp_path / "n.html").read_text().count("Ranking under uncertainty") == pages[0].count(
        "Ranking under uncertainty"
    )


def test_summary_of_a_store_without_draws_is_refused_with_one_line(tmp_path):
    store = tmp_path / "s.zarr"
    run_job(scenario_job(BATCH, chunk_size=6), store)
    result = CliRunner().invoke(
        main, ["report", str(store), "-o", str(tmp_path / "r.html"), "--uncertainty", str(store)]
    )
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "holds no uncertainty comparison" in result.output


def test_draws_output_beside_a_store_is_refused(tmp_path):
    result = CliRunner().invoke(
        main, ["batch", str(BATCH), "-o", str(tmp_path / "s.zarr"), "--draws-output", str(tmp_path / "d.nc")]
    )
    assert result.exit_code == 1 and "keeps every draw" in result.output
    assert not (tmp_path / "s.zarr").exists()


def test_failed_members_are_left_out_when_a_store_is_read(tmp_path):
    fixed = xr.Dataset(coords={"scenario": ["a", "b", "c"]})

    def chunk(values, failures):
        return ChunkResult(xr.Dataset({"value": ("scenario", np.array(values))}), failures)

    tasks = (functools.partial(chunk, [1.0, np.nan], {"b": "boom"}), functools.partial(chunk, [3.0], {}))
    job = ChunkJob("scenarios", "scenario", ((0, 2), (2, 3)), tasks, fixed, "failures-test")
    outcome = run_job(job, tmp_path / "f.zarr")
    assert outcome.failures == {"b": "boom"}
    ds = open_store(tmp_path / "f.zarr")
    assert list(ds["scenario"].values) == ["a", "c"]
    np.testing.assert_array_equal(ds["value"].values, [1.0, 3.0])


# -- Dask through the command line ------------------------------------------------------------


@pytest.fixture(scope="module")
def scheduler():
    """A two-worker LocalCluster started on its own, as a cluster would be: its scheduler address."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        yield cluster.scheduler_address


@pytest.mark.slow
def test_dask_address_runs_a_store_equal_to_the_serial_batch(tmp_path, scheduler, gwangmyeong):
    """``--dask ADDRESS`` with a scheduler started separately: the store equals the in-memory batch
    bit for bit, its comparison too."""
    store = tmp_path / "s.zarr"
    result = CliRunner().invoke(main, ["batch", str(BATCH), "-o", str(store), "--chunk-size", "5", "--dask", scheduler])
    assert result.exit_code == 0, result.output
    results, scenarios, seed = gwangmyeong
    xr.testing.assert_identical(open_store(store), results)
    xr.testing.assert_identical(open_store(store, group="draws"), uncertainty_compare(scenarios, draws=2000, seed=seed))


@pytest.mark.slow
def test_dask_with_a_netcdf_output_equals_the_serial_file(tmp_path, scheduler):
    """``--dask`` with ``-o NAME.nc``: the batch's chunks run on the cluster, the file is the serial one."""
    from simengine.results import load_result

    runner = CliRunner()
    serial, dask_file = tmp_path / "serial.nc", tmp_path / "dask.nc"
    first = runner.invoke(main, ["batch", str(BATCH), "-o", str(serial), "--workers", "1", "--chunk-size", "4"])
    second = runner.invoke(main, ["batch", str(BATCH), "-o", str(dask_file), "--chunk-size", "4", "--dask", scheduler])
    assert first.exit_code == 0 and second.exit_code == 0, second.output
    assert "3/3" in second.output  # three tasks on the cluster

    def printed(output: str, path: Path) -> list[str]:
        return [line for line in output.replace(str(path), "").splitlines() if "\r" not in line and "task" not in line]

    assert printed(first.output, serial) == printed(second.output, dask_file)
    xr.testing.assert_identical(load_result(dask_file), load_result(serial))


def test_dask_and_workers_together_are_refused(tmp_path):
    result = CliRunner().invoke(
        main, ["batch", str(BATCH), "-o", str(tmp_path / "s.zarr"), "--dask", "local:2", "--workers", "2"]
    )
    assert result.exit_code == 1 and "not both" in result.output


def test_an_unreachable_scheduler_is_refused_with_one_line(tmp_path, monkeypatch):
    import distributed

    def unreachable(*args, **kwargs):
        raise OSError("Timed out trying to connect to tcp://127.0.0.1:1 after 30 s")

    monkeypatch.setattr(distributed, "Client", unreachable)
    result = CliRunner().invoke(
        main, ["batch", str(BATCH), "-o", str(tmp_path / "s.zarr"), "--dask", "tcp://127.0.0.1:1"]
    )
    assert result.exit_code == 1 and "cannot reach a Dask scheduler" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "s.zarr").exists()
