"""Structural path analysis: the largest supply-chain paths from final demand to output.

A unit of final demand for sector ``j`` needs ``a_kj`` of sector ``k``'s output directly;
that output needs ``a_mk a_kj`` of ``m``'s, and so on. A *path* ``j -> k_1 -> ... -> i`` is
one such chain; its value is the product of the coefficients along it,
``a_{k_1 j} a_{k_2 k_1} ... a_{i k_t}``, times an optional intensity ``c_i`` of the last
sector (value added or jobs per unit of output; 1 for output). Summed over every path
from ``j`` to ``i`` (repeated sectors included, so circuits count) the values are the
Leontief element ``c_i L_ij``, because ``L = I + A + A^2 + ...``: the paths decompose the
multiplier (Defourny & Thorbecke 1984, *Economic Journal* 94: 111-136, the path
decomposition of the accounting multipliers; Lenzen 2003, *Structural Change and
Economic Dynamics* 14: 1-34 and Lenzen 2007, *Ecological Modelling* 200: 334-342, path
extraction from the unrolled supply tree).

The extraction is a best-first search of that tree. A partial path ending at ``k`` with
value ``v`` carries ``v (c' L)_k``: the sum of every path that starts with it. Partial
paths are expanded in order of that bound, and a complete path is reported only when no
queued item could hold a larger one, so the paths come out exactly in order of value.
Expanding a partial path keeps the sum, since ``(c' L)_k = c_k + sum_m a_mk (c' L)_m``:
at every stage, paths reported + queued + pruned = ``c' L e_j`` exactly, which is how
the ``unexplored`` remainder of a :class:`PathAnalysis` is known.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .accounts import LeontiefSystem
from .errors import DataError
from .households import HouseholdClosure

__all__ = ["StructuralPath", "PathAnalysis", "largest_paths", "structural_paths"]


@dataclass(frozen=True)
class StructuralPath:
    """One supply-chain path.

    Attributes
    ----------
    sectors : tuple of str
        From the final-demand sector to the sector whose output (or intensity) is counted.
    value : float
        Product of the technical coefficients along the path times the last sector's
        intensity: effect per unit of final demand (money / money for output).
    """

    sectors: tuple[str, ...]
    value: float

    @property
    def length(self) -> int:
        """Number of links (0: the final demand's own direct effect)."""
        return len(self.sectors) - 1

    def __str__(self) -> str:
        return " -> ".join(self.sectors)


@dataclass(frozen=True)
class PathAnalysis:
    """The largest paths from one final-demand sector, in decreasing order of value.

    Attributes
    ----------
    source : str
        Final-demand sector.
    target : str or None
        Output sector (None: paths to every sector, weighted by intensity).
    paths : list of StructuralPath
        Largest first.
    total : float
        The multiplier the paths decompose: ``c' L e_source``.
    unexplored : float
        ``total`` minus the sum of ``paths``: the value of every path not reported
        (>= 0 up to rounding when all coefficients are non-negative).
    kind : str
        What the values measure (``output``, ``value_added``, ...).
    """

    source: str
    target: str | None
    paths: list[StructuralPath]
    total: float
    unexplored: float
    kind: str = "output"
    unit: str = field(default="", repr=False)

    @property
    def explained(self) -> float:
        """Sum of the reported paths' values."""
        return float(sum(p.value for p in self.paths))

    def to_frame(self) -> pd.DataFrame:
        """One row per path: rank, path, length, value, share of the total."""
        frame = pd.DataFrame(
            {
                "path": [str(p) for p in self.paths],
                "length": [p.length for p in self.paths],
                "value": [p.value for p in self.paths],
                "share_of_total": [p.value / self.total if self.total else np.nan for p in self.paths],
            },
            index=pd.RangeIndex(1, len(self.paths) + 1, name="rank"),
        )
        frame.attrs.update(
            source=self.source,
            target=self.target or "all sectors",
            kind=self.kind,
            total=self.total,
            explained=self.explained,
            unexplored=self.unexplored,
            unit=self.unit,
        )
        return frame


def largest_paths(
    coefficients: np.ndarray,
    source: int,
    intensity: np.ndarray,
    *,
    max_paths: int | None = 20,
    threshold: float = 0.0,
    max_length: int | None = None,
    max_expansions: int = 200_000,
) -> tuple[list[tuple[tuple[int, ...], float]], float, float]:
    """Best-first extraction of the largest paths (module docstring), on plain arrays.

    Parameters
    ----------
    coefficients : ndarray, shape (n, n)
        Technical coefficients ``A`` (money / money), non-negative.
    source : int
        Index of the final-demand sector.
    intensity : ndarray, shape (n,)
        ``c``: effect per unit of output of each sector (a unit vector for one output sector).
    max_paths : int or None
        Stop after this many paths (None: no limit).
    threshold : float
        Ignore paths, and partial paths whose every continuation, worth less than
        ``threshold * total`` (0: none).
    max_length : int or None
        Longest path, in links.
    max_expansions : int
        Bound on the work: partial paths expanded before stopping.

    Returns
    -------
    paths : list of (tuple of int, float)
        Sector indices along each path and its value, largest first.
    total : float
        ``c' L e_source``.
    unexplored : float
        ``total`` minus the sum of the paths.
    """
    A = np.asarray(coefficients, dtype=np.float64)
    c = np.asarray(intensity, dtype=np.float64)
    if np.any(A < 0) or np.any(c < 0):
        raise DataError("structural path analysis needs non-negative coefficients and intensities")
    bound = LeontiefSystem(A).solve_transposed(c)  # (c' L)_k: all paths starting at k
    total = float(bound[source])
    floor = threshold * total
    intensities = c.tolist()
    children: dict[int, tuple[list[int], list[float], list[float]]] = {}

    def suppliers(node: int) -> tuple[list[int], list[float], list[float]]:
        """Suppliers of ``node`` with a_mk and a_mk (c' L)_m, largest second entry first."""
        if node not in children:
            carried = A[:, node] * bound
            nonzero = np.flatnonzero(carried > 0)
            ranked = nonzero[np.argsort(-carried[nonzero], kind="stable")]
            children[node] = (ranked.tolist(), A[ranked, node].tolist(), carried[ranked].tolist())
        return children[node]

    # Once max_paths complete paths are known, the smallest of them bounds the answer from
    # below: anything worth less cannot enter the list and is not queued.
    largest_known: list[float] = []

    def admit(value: float) -> None:
        nonlocal floor
        if max_paths is None:
            return
        heapq.heappush(largest_known, value)
        if len(largest_known) > max_paths:
            heapq.heappop(largest_known)
        if len(largest_known) == max_paths:
            floor = max(floor, largest_known[0])

    order = itertools.count()
    # heap items: (-priority, tie-break, complete?, node, value, path)
    heap: list[tuple[float, int, bool, int, float, tuple[int, ...]]] = []
    if total > 0:
        heap.append((-total, next(order), False, source, 1.0, (source,)))
    found: list[tuple[tuple[int, ...], float]] = []
    expansions = 0
    while heap and (max_paths is None or len(found) < max_paths) and expansions < max_expansions:
        priority, _, complete, node, value, path = heapq.heappop(heap)
        if -priority < floor or -priority <= 0.0:
            break
        if complete:
            found.append((path, value))
            continue
        expansions += 1
        end_value = value * intensities[node]
        if end_value > 0 and end_value >= floor:
            heapq.heappush(heap, (-end_value, next(order), True, node, end_value, path))
            admit(end_value)
        if max_length is not None and len(path) > max_length:
            continue
        for supplier, coefficient, weight in zip(*suppliers(node), strict=True):
            carried = value * weight
            if carried < floor:
                break
            heapq.heappush(heap, (-carried, next(order), False, supplier, value * coefficient, (*path, supplier)))
    explained = float(sum(value for _, value in found))
    return found, total, total - explained


def _labelled_system(model, households) -> tuple[np.ndarray, list[str], object]:
    """Coefficients, labels and the direct-coefficient function of a table or regional model,
    closed with respect to households when ``households`` is given (households last, intensity 0)."""
    from .regional import RegionalModel
    from .tables import IOTable, to_matrix

    if isinstance(model, IOTable):
        labels, extra = model.sectors, ["households"]
        A = model._A if households is None else model._closed_coefficients(households)
    elif isinstance(model, RegionalModel):
        labels, extra = model.industry_labels, [f"{r}:households" for r in model.regions]
        A = to_matrix(model.dataset["coefficients"]) if households is None else model._closed_coefficients(households)
    else:
        raise DataError(f"structural paths need an IOTable or a RegionalModel, got {type(model).__name__}")
    direct = model._coefficients if isinstance(model, IOTable) else model._direct
    if households is None:
        return A, labels, direct
    return A, [*labels, *extra], lambda kind: np.concatenate([direct(kind), np.zeros(len(extra))])


def structural_paths(
    model,
    source: str,
    target: str | None = None,
    *,
    kind: str = "output",
    households: HouseholdClosure | None = None,
    max_paths: int | None = 20,
    threshold: float = 0.0,
    max_length: int | None = None,
) -> PathAnalysis:
    """The largest paths from final demand for ``source`` to the output of ``target``.

    Parameters
    ----------
    model : IOTable or RegionalModel
        A regional model's industries are labelled ``region:sector`` (e.g.
        ``gwangmyeong:F``), so paths show where along the chain money leaves the region.
    source : str
        Final-demand sector (code).
    target : str, optional
        Output sector; default: every sector, each weighted by its ``kind`` intensity.
    kind : {"output", "value_added", "income", "employment"}
        What a path's value measures: output of the last sector (money per money), or its
        value added, compensation or jobs (persons per monetary unit).
    households : HouseholdClosure, optional
        Close the model with respect to households (:mod:`simengine.households`): paths
        then run through ``households`` (a regional model: ``region:households``), whose
        own intensity is 0, and sum to the ``total`` (Type II) multiplier; for ``income``
        this holds when households buy no labour from households (``self_coefficient`` 0).
    max_paths, threshold, max_length
        See :func:`largest_paths`.

    Returns
    -------
    PathAnalysis
        The paths, the multiplier they decompose (``total``) and the unexplored rest.

    Examples
    --------
    >>> from simengine import load_table
    >>> from simengine.structural_paths import structural_paths
    >>> paths = structural_paths(load_table("korea-2014"), "F", "C24", max_paths=3)
    >>> [str(p) for p in paths.paths][0]
    'F -> C24'
    """
    A, labels, direct = _labelled_system(model, households)
    index = {label: i for i, label in enumerate(labels)}
    for name, label in (("source", source), ("target", target)):
        if label is not None and label not in index:
            shown = ", ".join(labels[:60]) + (" ..." if len(labels) > 60 else "")
            raise DataError(f"unknown {name} sector {label!r}; valid: {shown}")
    intensity = direct(kind)
    if target is not None:
        only = np.zeros_like(intensity)
        only[index[target]] = intensity[index[target]]
        intensity = only
    found, total, unexplored = largest_paths(
        A, index[source], intensity, max_paths=max_paths, threshold=threshold, max_length=max_length
    )
    paths = [StructuralPath(tuple(labels[i] for i in path), value) for path, value in found]
    unit = "persons per monetary unit" if kind == "employment" else "money per money"
    return PathAnalysis(source, target, paths, total, unexplored, kind=kind, unit=unit)
