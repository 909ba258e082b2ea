"""Consistency of a validated scenario with the loaded data: labels and money units."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

from ..fields import Money
from ..levers import BudgetArrays
from ..procurement.vocabulary import DEFAULT_TABLE
from .schema import Scenario

__all__ = ["REGIONS", "check_labels", "default_sectors"]

from ..datasets import REGIONS as _REGION_MODELS

#: Region names a scenario may name: the shipped regional models (``simengine region list``).
REGIONS = tuple(_REGION_MODELS)


@functools.cache
def default_sectors() -> tuple[str, ...]:
    """Sector codes of the shipped ``korea-2014`` table (WIOD codes, e.g. ``F`` = construction)."""
    from ..datasets import load_table

    return tuple(load_table(DEFAULT_TABLE).sectors)


def check_labels(
    scenario: Scenario,
    file: Path | str,
    *,
    sectors: Sequence[str] | None = None,
    regions: Sequence[str] | None = None,
) -> None:
    """Check sector and region labels and money currencies of ``scenario``.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario.
    file : path-like
        The file named in error messages.
    sectors, regions : sequence of str, optional
        Valid labels (default: :func:`default_sectors` and :data:`REGIONS`).

    Raises
    ------
    ScenarioError
        At the first unknown label or foreign currency, with the key path and a suggestion.
    """
    from .load import scenario_error

    sectors = tuple(default_sectors() if sectors is None else sectors)
    regions = tuple(REGIONS if regions is None else regions)
    if scenario.scenario.region not in regions:
        raise scenario_error(file, "scenario.region", "unknown region", options=regions, got=scenario.scenario.region)
    for i, cell in enumerate(scenario.budget.cell):
        if cell.sector not in sectors:
            raise scenario_error(file, f"budget.cell[{i}].sector", "unknown sector", options=sectors, got=cell.sector)
    currency = scenario.budget.currency
    cells = BudgetArrays.from_budget(scenario.budget)
    for i, lever in enumerate(scenario.lever):
        sector = getattr(lever, "sector", None)
        if sector is not None and sector not in sectors:
            raise scenario_error(file, f"lever[{i}].sector", "unknown sector", options=sectors, got=sector)
        for name, value in lever:
            if isinstance(value, Money) and value.currency != currency:
                raise scenario_error(
                    file, f"lever[{i}].{name}.unit", f"currency differs from the budget's {currency}", got=value.unit
                )
        threshold = getattr(lever, "lot_threshold", None)
        if threshold is not None and threshold.amount <= 0:
            raise scenario_error(file, f"lever[{i}].lot_threshold.amount", "must be positive", got=threshold.amount)
        start = lever.start_year
        last = scenario.scenario.start_year + scenario.scenario.horizon - 1
        if start is not None and start > last:
            raise scenario_error(
                file,
                f"lever[{i}].start_year",
                f"starts after the horizon ends in {last}, so it would do nothing",
                got=start,
            )
        if lever.ACTS_ON_CELLS and not lever.select(cells).any():
            raise scenario_error(
                file,
                f"lever[{i}]",
                "selects no budget cell (check its sector, sector_group, contract_type, method and size_class), "
                "so it would do nothing",
                got=lever.kind,
            )
    if sum(cell.amount for cell in scenario.budget.cell) <= 0:
        raise scenario_error(file, "budget.cell", "the budget's amounts sum to zero; give positive amounts", got=0)
