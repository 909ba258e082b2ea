"""Timing helpers shared by the benchmark scripts (warm path, repeats, minimum and spread)."""

from __future__ import annotations

import time
from collections.abc import Callable


def timed(function: Callable[[], object], repeats: int) -> list[float]:
    """Wall-clock seconds of ``repeats`` calls of ``function`` (call it once before to warm up)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def best_of(function: Callable[[], object], repeats: int) -> float:
    """Fastest of ``repeats`` timed calls after one untimed warm-up call (seconds).

    The minimum is the least disturbed by other jobs on a shared machine.
    """
    function()
    return min(timed(function, repeats))
