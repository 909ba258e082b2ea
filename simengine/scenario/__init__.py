"""Scenario files: pydantic schema, TOML loading with `extends`, label checks (levers: :mod:`simengine.levers`).

::

    from simengine.scenario import load_scenario, apply_levers
    scenario = load_scenario("scenarios/construction_local60.toml")
    effect = apply_levers(scenario.budget, scenario.lever, 2026, start_year=scenario.scenario.start_year)
"""

from ..levers import LeverEffect, apply_circuit_levers, apply_levers, ramp_fraction
from .batch import expand_batch, sweep_points
from .checks import REGIONS, check_labels
from .load import ValidationResult, load_batch, load_document, load_scenario, merge_tables, validate
from .schema import SCHEMA_VERSION, Batch, Budget, BudgetCell, Circuit, Money, Scenario

__all__ = [
    "SCHEMA_VERSION",
    "REGIONS",
    "Scenario",
    "Batch",
    "Budget",
    "BudgetCell",
    "Circuit",
    "Money",
    "load_scenario",
    "load_batch",
    "load_document",
    "merge_tables",
    "validate",
    "ValidationResult",
    "check_labels",
    "expand_batch",
    "sweep_points",
    "apply_levers",
    "apply_circuit_levers",
    "ramp_fraction",
    "LeverEffect",
]
