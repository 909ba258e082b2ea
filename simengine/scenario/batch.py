"""Expand a batch file into its scenarios: the listed files and the sweep's variants."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import ScenarioError
from .checks import check_labels
from .load import _validate_model, load_document, load_scenario, set_key_path, set_responses, with_responses
from .schema import Batch, Scenario, Sweep

__all__ = ["expand_batch", "sweep_points", "sweep_variants", "sweep_label", "sweep_base", "SweepFailure"]


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
    paths = [p.path for p in sweep.parameter]
    if all(p.values is None for p in sweep.parameter):
        # every parameter a uniform range: the same stream, in the same order, as one array draw
        low = np.array([p.low for p in sweep.parameter])
        high = np.array([p.high for p in sweep.parameter])
        table = rng.uniform(low, high, size=(sweep.draws, len(paths)))
        return [dict(zip(paths, row, strict=True)) for row in table.tolist()]
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


@dataclass(frozen=True)
class SweepFailure:
    """A sweep variant that is not a valid scenario: its label (id and sweep coordinates) and the error."""

    label: str
    error: ScenarioError


def _coordinates(point: dict[str, object]) -> str:
    return ", ".join(f"{path} = {value!r}" for path, value in point.items())


def sweep_label(base_id: str, k: int, point: dict[str, object]) -> tuple[str, str]:
    """Id and label of sweep point ``k``: ``combined-package-sweep0003`` and
    ``combined-package-sweep0003 (lever[0].target = 0.7)``."""
    identifier = f"{base_id}-sweep{k:04d}"
    return identifier, f"{identifier} ({_coordinates(point)})"


def sweep_base(batch: Batch) -> tuple[dict, str]:
    """The sweep's base document and the id its variants start from."""
    base = load_document(batch.sweep.base)
    base_id = base.get("scenario", {}).get("id", "sweep") if isinstance(base.get("scenario"), dict) else "sweep"
    return base, base_id


def sweep_variants(
    batch: Batch, *, sectors: Sequence[str] | None = None, only: Sequence[int] | None = None
) -> Iterator[tuple[str, Scenario | SweepFailure]]:
    """Each sweep variant of ``batch`` as ``(label, scenario)``, or ``(label, SweepFailure)`` when invalid.

    The label is the variant's id followed by its sweep coordinates, e.g.
    ``combined-package-sweep0003 (lever[0].target = 0.7)``, so that a report of a bad variant
    says which point of the sweep it is. One invalid point never stops the others. ``only``
    (point indices) restricts the variants to those points.
    """
    if batch.sweep is None:
        return
    base_file = batch.sweep.base
    base, base_id = sweep_base(batch)
    points = sweep_points(batch.sweep)
    for k in range(len(points)) if only is None else only:
        point = points[k]
        identifier, label = sweep_label(base_id, k, point)
        try:
            document = base
            for key_path, value in point.items():
                document = set_key_path(document, key_path, value, file=base_file)
            document = set_key_path(document, "scenario.id", identifier, file=base_file)
            if batch.responses is not None:
                set_responses(document, batch.responses)
            with_responses(document, base_file)
            variant = _validate_model(base_file, document, Scenario)
            check_labels(variant, base_file, sectors=sectors)
        except ScenarioError as exc:
            yield label, SweepFailure(label, exc)
            continue
        yield label, variant


def expand_batch(batch: Batch, *, sectors: Sequence[str] | None = None) -> list[Scenario]:
    """Load every scenario of ``batch``: the baseline first, then ``scenarios``, then sweep variants.

    Sweep variant ``k`` (from 0) of base scenario ``id`` gets the id ``{id}-sweep{k:04d}``.

    Raises
    ------
    ScenarioError
        If any scenario or variant is invalid; a variant's error names the base file and the
        varied key path.
    """
    scenarios = [
        load_scenario(path, sectors=sectors, responses=batch.responses) for path in (batch.baseline, *batch.scenarios)
    ]
    for _, variant in sweep_variants(batch, sectors=sectors):
        if isinstance(variant, SweepFailure):
            raise variant.error
        scenarios.append(variant)
    return scenarios
