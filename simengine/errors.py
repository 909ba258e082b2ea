"""Exception and warning types.

Every error a user can cause derives from :class:`SimEngineError`; the command line turns
it into one line on stderr and exit code 1. Messages name the file or key, the bad value
and the fix.
"""

from __future__ import annotations

__all__ = [
    "SimEngineError",
    "ScenarioError",
    "DataError",
    "ConvergenceError",
    "DataQualityWarning",
]


class SimEngineError(Exception):
    """Base class of every error simengine raises on purpose."""


class ScenarioError(SimEngineError, ValueError):
    """A scenario file is malformed, inconsistent with the data, or cannot be merged."""


class DataError(SimEngineError, ValueError):
    """Input data (a table, register or employment file) is unusable as given."""


class ConvergenceError(SimEngineError, RuntimeError):
    """An iterative method (RAS, GRAS, calibration) did not reach its tolerance."""


class DataQualityWarning(UserWarning):
    """A data-quality finding that is reported but does not stop the computation."""
