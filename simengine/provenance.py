"""Provenance of a result: the attributes and per-scenario variables every result carries."""

from __future__ import annotations

import hashlib
import json

from . import __version__
from .procurement.vocabulary import DEFAULT_TABLE
from .region_context import RegionContext, budget_deflator
from .scenario.schema import Scenario

__all__ = ["scenario_hash", "provenance_attrs", "scenario_variables", "levers_json"]


def scenario_hash(scenario: Scenario) -> str:
    """Hash of the scenario; agent-only keys (draws, seed) count only in agent mode."""
    exclude = {"scenario": {"draws", "seed"}} if scenario.scenario.mode == "analytic" else None
    return hashlib.sha256(scenario.model_dump_json(exclude=exclude).encode()).hexdigest()[:16]


def provenance_attrs(s: Scenario, context: RegionContext, *, time_unit: str) -> dict[str, object]:
    """Dataset attributes of a result: data provenance, money units, mode and scenario."""
    currency, monetary_unit = context.unit.split() if " " in context.unit else (context.unit, "one")
    return {
        "region": context.name,
        "table": DEFAULT_TABLE,
        "data_version": context.data_version,
        "simengine_version": __version__,
        "currency": currency,
        "monetary_unit": monetary_unit,
        "price_year": s.budget.price_year,
        "table_price_year": context.price_year,
        "deflator": budget_deflator(s, context),
        "mode": s.scenario.mode,
        "time_unit": time_unit,
        "scenario_title": s.scenario.title,
        "scenario_levers": levers_json(s),
        "start_year": s.scenario.start_year,
        "horizon": s.scenario.horizon,
        "discount_rate": s.appraisal.discount_rate,
        "base_year": s.appraisal.base_year or s.scenario.start_year,
        "objective": s.appraisal.objective,
        "financing": s.appraisal.financing,
        "premium": s.appraisal.premium,
        "feedback": int(s.appraisal.feedback),
        # the region's own caveats (employment on national productivity; a city that is its province scaled)
        **{
            key: str(context.model.dataset.attrs[key])
            for key in ("employment_basis", "structure_warning")
            if key in context.model.dataset.attrs
        },
    }


def scenario_variables(s: Scenario) -> dict[str, tuple]:
    """Per-scenario title, levers (JSON) and hash, as variables over ``scenario`` (they survive
    concatenation into a batch, where differing attributes are dropped)."""
    return {
        "scenario_title": ("scenario", [s.scenario.title]),
        "scenario_levers": ("scenario", [levers_json(s)]),
        "scenario_hash": ("scenario", [scenario_hash(s)]),
    }


def levers_json(scenario: Scenario) -> str:
    return json.dumps(
        [lever.model_dump(mode="json", exclude_defaults=True) | {"kind": lever.kind} for lever in scenario.lever]
    )
