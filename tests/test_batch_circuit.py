"""Sweeps of ``[circuit]`` settings as arrays: every point has its own circuit coefficients.

The array engine builds every point's circuit as arrays, factorises them as stacks and
multiplies (headline) or solves (full accounts) each column by its own circuit. The reference
is the scenario-by-scenario path (``run_batch(..., arrays=False)``: one validated model and one
:class:`~simengine.circuit.Circuit` per point). Numbers agree to :data:`factories.ARRAY_RTOL`
(1e-12) relative to each variable's largest magnitude, not bitwise: the array engine sums
multiplier rows where the scenario path solves each column, and sums the second round and the
leakage channels from per-account rows. Text (ids, levers, hashes) is identical. Across chunk
sizes and worker counts the array engine is bitwise identical to itself.
"""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import numpy as np
import xarray as xr
from factories import assert_results_close
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simengine.circuit_settings import CIRCUIT_KEYS
from simengine.results import as_headline
from simengine.runner import run_batch
from simengine.scenario import load_batch
from simengine.sweeps import array_sweep

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
BASELINE = SCENARIOS / "gwangmyeong_baseline.toml"

#: Circuit programmes that ramp the swept settings over the years (each period its own circuit).
PROGRAMMES = (
    '[[lever]]\nkind = "household_local_consumption"\nshare = 0.45\nramp_years = 3\n'
    '[[lever]]\nkind = "reinvestment_programme"\nrate = 0.35\nramp_years = 2\nchannel = "demand"\n'
)


def _files(tmp: Path, keys: list[str], points: int, seed: int, *, programmes: bool, base_lever: str = "") -> Path:
    """A base scenario stating every ``[circuit]`` setting (a sweep sets keys the base gives), a
    procurement lever, optionally circuit programmes, and a random sweep of ``keys`` on [0.05, 0.7]."""
    circuit = "".join(f"{k} = 0.3\n" for k in CIRCUIT_KEYS)
    base = tmp / "base.toml"
    base.write_text(
        f'schema_version = 1\nextends = "{BASELINE}"\n[scenario]\nid = "circuit-swept"\ntitle = "circuit swept"\n'
        '[[lever]]\nkind = "local_share_target"\nsector = "F"\nsize_class = "large"\ntarget = 0.6\nramp_years = 2\n'
        + (PROGRAMMES if programmes else "")
        + base_lever
        + f"[circuit]\n{circuit}"
    )
    parameters = "".join(f'[[sweep.parameter]]\npath = "{k}"\nlow = 0.05\nhigh = 0.7\n' for k in keys)
    batch = tmp / "batch.toml"
    batch.write_text(
        f'schema_version = 1\nbaseline = "{BASELINE}"\n[batch]\nid = "circuit"\ntitle = "circuit sweep"\n'
        f'[sweep]\nbase = "{base}"\nmethod = "random"\ndraws = {points}\nseed = {seed}\n{parameters}'
    )
    return batch


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    keys=st.lists(st.sampled_from(CIRCUIT_KEYS), min_size=1, max_size=len(CIRCUIT_KEYS), unique=True),
    target=st.booleans(),
    programmes=st.booleans(),
    points=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_every_circuit_point_equals_the_scenario_run_alone(keys, target, programmes, points, seed, tmp_path_factory):
    """Property: for random circuit settings (any subset of the ``[circuit]`` keys, with or without
    a lever field swept beside them and circuit programmes ramping them), every point of the
    array sweep, full accounts and headline totals, equals its variant run on its own."""
    paths = [f"circuit.{k}" for k in keys] + (["lever[0].target"] if target else [])
    batch = _files(tmp_path_factory.mktemp("circuit"), paths, points, seed, programmes=programmes)
    swept = array_sweep(load_batch(batch))
    assert swept is not None and swept.rejected == [] and swept.points.circuit  # on the array path
    arrays = run_batch(batch)
    alone = run_batch(batch, arrays=False)
    assert arrays.failures == alone.failures == {}
    assert_results_close(arrays.results, alone.results)
    assert arrays.results.attrs == alone.results.attrs
    totals = run_batch(batch, headline=True).results
    assert_results_close(totals, as_headline(alone.results))


def test_any_chunk_size_and_worker_count_gives_the_same_bits(tmp_path):
    keys = ["circuit.reinvestment_rate", "circuit.resident_worker_share", "lever[0].target"]
    batch = _files(tmp_path, keys, 9, 5, programmes=True)
    for headline in (True, False):
        reference = run_batch(batch, headline=headline).results
        for chunk_size in (1, 4, 13):
            xr.testing.assert_identical(reference, run_batch(batch, headline=headline, chunk_size=chunk_size).results)
        with concurrent.futures.ProcessPoolExecutor(2) as executor:
            parallel = run_batch(batch, headline=headline, executor=executor, chunk_size=7).results
        xr.testing.assert_identical(reference, parallel)


def test_inadmissible_points_are_labelled_failures_and_the_rest_run_as_arrays(tmp_path):
    """A local tax rate that, with the national rate on wages (0.2), exceeds 1 is refused for its
    point alone, with the scenario path's message; the other points run on the array path."""
    batch = tmp_path / "b.toml"
    base = _files(tmp_path, [], 1, 0, programmes=False).parent / "base.toml"
    batch.write_text(
        f'schema_version = 1\nbaseline = "{BASELINE}"\n[batch]\nid = "b"\ntitle = "bad tax rates"\n'
        f'[sweep]\nbase = "{base}"\nmethod = "grid"\n'
        '[[sweep.parameter]]\npath = "circuit.local_tax_rate"\nvalues = [0.05, 0.9, 0.1]\n'
    )
    swept = array_sweep(load_batch(batch))
    assert swept.rejected == [1] and swept.points.ids == ["circuit-swept-sweep0000", "circuit-swept-sweep0002"]
    for headline in (False, True):
        outcome = run_batch(batch, headline=headline)
        reference = run_batch(batch, headline=headline, arrays=False)
        assert outcome.failures == reference.failures
        assert list(outcome.failures) == ["circuit-swept-sweep0001 (circuit.local_tax_rate = 0.9)"]
        assert (
            "national_tax_rate_on_wages" in outcome.failures["circuit-swept-sweep0001 (circuit.local_tax_rate = 0.9)"]
        )
        assert_results_close(outcome.results, reference.results)


def test_a_household_share_that_measures_a_programme_runs_scenario_by_scenario(tmp_path):
    """A programme that adds household spending measured from the household share (a
    ``consumption_base``) makes that spending one number per point: such a sweep runs point by
    point, and gives the scenario path's numbers."""
    programme = (
        '[[lever]]\nkind = "household_local_consumption"\nshare = 0.5\nramp_years = 2\n'
        'consumption_base = { amount = 126, unit = "KRW billion" }\n'
    )
    batch = _files(
        tmp_path, ["circuit.household_local_consumption_share"], 3, 2, programmes=False, base_lever=programme
    )
    assert array_sweep(load_batch(batch)) is None
    other = _files(tmp_path, ["circuit.reinvestment_rate"], 3, 2, programmes=False, base_lever=programme)
    assert array_sweep(load_batch(other)) is not None  # the other settings stay on the array path
    assert_results_close(run_batch(other).results, run_batch(other, arrays=False).results)


def test_settings_of_the_sweep_reach_the_circuit():
    """Sanity of the reference: points that differ only in their reinvestment rate differ in
    their local value added (the swept setting changes the circuit)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        batch = _files(Path(folder), ["circuit.reinvestment_rate"], 3, 11, programmes=False)
        result = run_batch(batch, headline=True).results
    totals = result["local_value_added"].sum("time").values[1:]
    assert len(np.unique(totals)) == 3


def test_every_draw_of_every_circuit_point_equals_its_scalar_twin(tmp_path):
    """With [uncertainty] draws, draw d of every point (its own circuit) is that point's variant
    with the drawn response parameters of d, run alone."""
    from simengine.scenario.batch import expand_batch
    from simengine.uncertainty import draw_parameters, response_priors, with_responses

    batch = _files(tmp_path, ["circuit.reinvestment_rate", "circuit.local_tax_rate"], 2, 4, programmes=True)
    batch.write_text(batch.read_text() + "[uncertainty]\ndraws = 3\nseed = 4\n")
    result = run_batch(batch, headline=True).results
    assert result.sizes["draw"] == 3 and result.sizes["scenario"] == 3
    scenarios = expand_batch(load_batch(batch))
    values = draw_parameters(response_priors(scenarios), 3, 4)
    for d in range(3):
        twins = [with_responses(s, {k: v[d] for k, v in values.items()}) for s in scenarios]
        alone = run_batch(twins, headline=True, arrays=False).results
        drawn = result.isel(draw=d)
        for name in alone.data_vars:
            if name.startswith("scenario_") or name not in drawn:
                continue
            scale = float(np.abs(alone[name]).max())
            np.testing.assert_allclose(drawn[name].values, alone[name].values, rtol=0, atol=1e-12 * scale + 1e-300)
