"""Reproducible results: the same inputs give the same bits in every process, on any CPU."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_DIGEST = """
import hashlib, sys
from simengine.circuit import DEFAULT_LAGS
from simengine.runner import run_scenario
result = run_scenario(sys.argv[1], time_unit="month", lags=DEFAULT_LAGS)
digest = hashlib.sha256()
for name in sorted(result.data_vars):
    if result[name].dtype.kind == "f":
        digest.update(result[name].values.tobytes())
print(digest.hexdigest())
"""


def _digest(scenario: Path, hash_seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run(
        [sys.executable, "-c", _DIGEST, str(scenario)], capture_output=True, text=True, env=env, cwd=ROOT, check=True
    )
    return done.stdout.strip()


def test_monthly_results_do_not_depend_on_the_process_hash_seed():
    """The dynamic form sums the cohorts of each circuit in a fixed order, never in the order of a
    hashed set, so ``--monthly`` results are bit-identical from one process to the next (a batch
    worker is another process). The combined package changes its circuit over the years, so it has
    several cohorts."""
    scenario = ROOT / "scenarios" / "combined_package.toml"
    assert _digest(scenario, "1") == _digest(scenario, "2")


def test_monthly_batch_on_two_workers_is_bit_identical_to_serial():
    """Workers are other processes (other hash seeds): ``--monthly --workers 2`` gives the same bits."""
    import concurrent.futures

    import xarray as xr

    from simengine.circuit import DEFAULT_LAGS
    from simengine.runner import run_batch

    batch = ROOT / "scenarios" / "batch_gwangmyeong.toml"
    options = {"time_unit": "month", "lags": DEFAULT_LAGS, "chunk_size": 4}
    serial = run_batch(batch, **options).results
    with concurrent.futures.ProcessPoolExecutor(2) as executor:
        parallel = run_batch(batch, executor=executor, **options).results
    xr.testing.assert_identical(serial, parallel)
