"""Expand a batch file into its scenarios: the listed files and the sweep's variants."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from .checks import check_labels
from .load import _validate_model, load_document, load_scenario, set_key_path
from .schema import Batch, Scenario, Sweep

__all__ = ["expand_batch", "sweep_points"]


def sweep_points(sweep: Sweep) -> list[dict[str, object]]:
    """The parameter values of every sweep variant, as ``{key path: value}`` dicts.

    A grid is the Cartesian product of the ``values`` lists (last parameter fastest). Random
    draws use ``numpy.random.default_rng(SeedSequence(seed))``: uniform on ``[low, high]`` or a
    uniform choice among ``values``, parameter by parameter within each draw.
    """
    if sweep.method == "grid":
        paths = [p.path for p in sweep.parameter]
        return [
            dict(zip(paths, combo, strict=True)) for combo in itertools.product(*(p.values for p in sweep.parameter))
        ]
    rng = np.random.default_rng(np.random.SeedSequence(sweep.seed))
    points = []
    for _ in range(sweep.draws):
        point = {}
        for p in sweep.parameter:
            if p.values is not None:
                point[p.path] = p.values[int(rng.integers(len(p.values)))]
            else:
                point[p.path] = float(rng.uniform(p.low, p.high))
        points.append(point)
    return points


def expand_batch(batch: Batch, *, sectors: Sequence[str] | None = None) -> list[Scenario]:
    """Load every scenario of ``batch``: the baseline first, then ``scenarios``, then sweep variants.

    Sweep variant ``k`` (from 0) of base scenario ``id`` gets the id ``{id}-sweep{k:04d}``.

    Raises
    ------
    ScenarioError
        If any scenario or variant is invalid; a variant's error names the base file and the
        varied key path.
    """
    scenarios = [load_scenario(path, sectors=sectors) for path in (batch.baseline, *batch.scenarios)]
    if batch.sweep is not None:
        base_file = batch.sweep.base
        base = load_document(base_file)
        for k, point in enumerate(sweep_points(batch.sweep)):
            document = base
            for key_path, value in point.items():
                document = set_key_path(document, key_path, value, file=base_file)
            base_id = document.get("scenario", {}).get("id", "sweep")
            document = set_key_path(document, "scenario.id", f"{base_id}-sweep{k:04d}", file=base_file)
            variant = _validate_model(base_file, document, Scenario)
            check_labels(variant, base_file, sectors=sectors)
            scenarios.append(variant)
    return scenarios
