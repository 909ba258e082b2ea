"""simengine: regional input-output and agent-based simulation of local public spending.

The public API::

    import simengine
    table = simengine.load_table("korea-2014")       # or a .csv / .nc / .xlsx path
    table.multipliers("output", "I")                  # xarray.DataArray by sector
    table.impact({"F": 1_000.0}, closed=True)         # direct / indirect / induced / total
"""

from . import balance
from .circuit import Circuit, CircuitParameters
from .datasets import list_datasets, list_regions, load_region, load_table
from .errors import ConvergenceError, DataError, DataQualityWarning, ScenarioError, SimEngineError
from .local_economy import LocalEconomy
from .regional import RegionalModel
from .tables import IOTable

__version__ = "0.1.0"

from .runner import load_or_run, run_batch, run_scenario, run_scenarios  # noqa: E402 - needs __version__

__all__ = [
    "IOTable",
    "Circuit",
    "CircuitParameters",
    "balance",
    "load_table",
    "list_datasets",
    "load_region",
    "list_regions",
    "RegionalModel",
    "LocalEconomy",
    "SimEngineError",
    "ScenarioError",
    "DataError",
    "ConvergenceError",
    "DataQualityWarning",
    "run_scenario",
    "run_scenarios",
    "run_batch",
    "load_or_run",
    "__version__",
]
