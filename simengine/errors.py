"""Exception and warning types.

Every error a user can cause derives from :class:`SimEngineError`; the command line turns
it into one line on stderr and exit code 1. Messages name the file or key, the bad value
and the fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

__all__ = [
    "SimEngineError",
    "ScenarioError",
    "DataError",
    "ConvergenceError",
    "DataQualityWarning",
    "unknown_label",
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


def unknown_label(kind: str, value: object, valid: Sequence[str], *, where: str = "", fix: str = "") -> DataError:
    """The error for a label that is not one of ``valid``: where, the value, a suggestion, the options.

    Parameters
    ----------
    kind : str
        What the label names, e.g. ``"sector"``.
    value : object
        The bad label as given.
    valid : sequence of str
        The labels that would be accepted (the first 20 are listed, then a count).
    where : str
        File and line, key path or option, e.g. ``"emp.csv, line 4"`` or ``"--sector"``.
    fix : str
        What to do, appended after the options.
    """
    valid = [str(v) for v in valid]
    same_case = [v for v in valid if v.casefold() == str(value).casefold()]
    close = same_case or difflib.get_close_matches(str(value), valid, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    shown = ", ".join(valid[:20]) + (f", ... ({len(valid)} in all)" if len(valid) > 20 else "")
    prefix = f"{where}: " if where else ""
    return DataError(f"{prefix}unknown {kind} {value!r}{hint}; valid: {shown}{'; ' + fix if fix else ''}")
