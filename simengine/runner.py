"""Run scenarios: the public entry points, gathered from the modules that hold each concept.

- :mod:`simengine.region_context`: what a region name loads, and the scenario circuit settings;
- :mod:`simengine.evaluation`: analytic evaluation (levers -> spending -> circuit -> results);
- :mod:`simengine.agent_adapter`: agent mode (scenario -> agent inputs -> results);
- :mod:`simengine.batch`: many scenarios, batches, chunks, executors and sinks.
"""

from __future__ import annotations

from .agent_adapter import MAX_AGENT_HORIZON, calibrate_agents, run_agent_scenario
from .batch import BatchOutcome, load_or_run, run_batch, run_scenario, run_scenarios
from .evaluation import CIRCUIT_TO_RESULT_CHANNEL, PERIODS_PER_YEAR
from .region_context import RegionContext, region_context

__all__ = [
    "run_scenario",
    "run_scenarios",
    "run_agent_scenario",
    "calibrate_agents",
    "run_batch",
    "load_or_run",
    "BatchOutcome",
    "RegionContext",
    "region_context",
    "CIRCUIT_TO_RESULT_CHANNEL",
    "PERIODS_PER_YEAR",
    "MAX_AGENT_HORIZON",
]
