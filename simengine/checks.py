"""Named data-quality checks for input-output tables.

Each check returns findings; :func:`run_checks` warns (:class:`DataQualityWarning`) by
default and raises :class:`DataError` for checks listed as strict. A non-productive
system is always an error: it would otherwise produce negative outputs silently.

=================  ================================================================
name               finding
=================  ================================================================
``finite``         NaN or infinite values anywhere in the table (always an error)
``labels``         row and column labels of the flows differ from the sector labels,
                   or a variable has the wrong dimensions (always an error)
``negative``       negative entries where none can be: intermediate flows, gross output,
                   compensation of employees, employment, imported inputs (an error
                   unless the quantity is listed in ``allow_negative``)
``negative_flows`` negative entries that :data:`NEGATIVE_IMPOSSIBLE` lets a user allow
                   (warned when allowed)
``negative_value_added``  negative value added (legitimate for loss-making or subsidised
                   industries, but unusual)
``zero_output``    industries with zero gross output (their coefficients are set to 0)
``row_balance``    gross output differs from intermediate sales plus final demand
``column_balance`` gross output differs from the sum of all inputs (when given)
``column_sums``    a column of A sums to one or more (inputs cost at least the output)
``productive``     the spectral radius of A is at least one (always an error)
=================  ================================================================

What is impossible and what is unusual: a flow of goods, an output, a wage bill, a head
count or an import cannot be below zero, so a negative one is an error (a sign or units
mistake); a user whose table really has such entries (for example flows netted against
subsidies) lists the quantity in ``allow_negative`` and gets a warning instead. Final demand
may be negative (inventory changes, net exports) and is not checked; value added may be
negative (losses, subsidies) and is warned. Other inputs (product taxes less subsidies) may
be negative and are not checked.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .errors import DataError, DataQualityWarning

__all__ = [
    "CHECKS",
    "NEGATIVE_IMPOSSIBLE",
    "Finding",
    "run_checks",
    "check_productive",
    "check_finite",
    "spectral_radius",
    "all_finite",
    "has_negative",
    "negative_findings",
]

CHECKS = (
    "finite",
    "labels",
    "negative",
    "negative_flows",
    "negative_value_added",
    "zero_output",
    "row_balance",
    "column_balance",
    "column_sums",
    "productive",
)

#: Quantities (table variables) that cannot be negative, with their names in messages; a user
#: may allow negative entries of one by listing it in ``allow_negative``.
NEGATIVE_IMPOSSIBLE = {
    "intermediate": "intermediate flows",
    "gross_output": "gross output",
    "compensation": "compensation of employees",
    "employment": "employment",
    "imported_inputs": "imported inputs",
}
#: Findings that are always errors, whatever ``strict`` says.
ALWAYS_ERRORS = ("finite", "labels", "negative", "productive")

#: Relative tolerance of the balance checks: |x - (Z 1 + f)| <= tol * max(|x|, 1).
BALANCE_RTOL = 1e-6


@dataclass(frozen=True)
class Finding:
    """One data-quality finding: the check's name and a message naming the sectors."""

    check: str
    message: str


def all_finite(values: np.ndarray) -> bool:
    """Whether every entry of ``values`` is finite (no NaN, no infinity).

    A sum with a NaN or infinite term is not finite, so one summing pass without a
    temporary mask settles the usual case; only a non-finite sum (bad entries, or
    overflow of finite ones) is decided entry by entry.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # inf - inf or overflow: decided below
        total = np.sum(values)
    return bool(np.isfinite(total) or np.all(np.isfinite(values)))


def has_negative(values: np.ndarray) -> bool:
    """Whether some entry of ``values`` is below zero (NaN entries are ignored, as in ``values < 0``).

    One reduction pass (``numpy.fmin``), without the temporary mask of ``np.any(values < 0)``.
    """
    return values.size > 0 and bool(np.fmin.reduce(values, axis=None) < 0)


def _name_worst(labels: Sequence[str], scores: np.ndarray, count: int = 5) -> str:
    order = np.argsort(-np.asarray(scores))[:count]
    return ", ".join(f"{labels[i]} ({scores[i]:.4g})" for i in order)


def spectral_radius(A: np.ndarray, *, iterations: int = 2000, tol: float = 1e-12) -> tuple[float, np.ndarray]:
    """Perron root and (normalised) Perron vector of a nonnegative matrix by power iteration.

    Parameters
    ----------
    A : ndarray, shape (n, n)
        Nonnegative coefficient matrix.

    Returns
    -------
    radius : float
        Estimate of the spectral radius (dimensionless).
    vector : ndarray, shape (n,)
        Left Perron vector (column weights), summing to one: which industries carry
        the dominant loop.
    """
    n = A.shape[0]
    y = np.full(n, 1.0 / n)
    radius = 0.0
    shifted = A + np.eye(n)  # shift keeps the iteration convergent for periodic A
    for _ in range(iterations):
        z = y @ shifted
        total = z.sum()
        if total <= 0.0:
            return 0.0, y
        z /= total
        new_radius = total - 1.0
        if abs(new_radius - radius) <= tol * max(new_radius, 1.0) and np.allclose(z, y, atol=tol):
            return float(new_radius), z
        radius, y = new_radius, z
    return float(radius), y


def check_productive(A: np.ndarray, labels: Sequence[str], solve_ones) -> None:
    """Raise :class:`DataError` unless ``I - A`` has a nonnegative inverse.

    Parameters
    ----------
    A : ndarray, shape (n, n)
        Technical coefficients.
    labels : sequence of str
        Industry labels for the message.
    solve_ones : callable
        ``solve_ones()`` returns ``(I - A)^-1 1`` from an existing factorisation.

    Notes
    -----
    For ``A >= 0`` the system is productive (spectral radius below one) exactly when
    ``I - A`` is a nonsingular M-matrix, and that holds exactly when some ``y > 0`` has
    ``(I - A) y > 0`` (Berman & Plemmons 1994, ch. 6, condition I27). ``y = (I - A)^-1 1``
    is such a vector when it is positive, so the check costs one solve on the
    factorisation the model needs anyway. Only on failure is the Perron root computed,
    to name the industries that carry it.
    """
    if has_negative(A):
        radius = float(np.max(np.abs(np.linalg.eigvals(A))))
        if radius < 1.0:
            return
        weights = np.abs(A).sum(axis=0)
    else:
        y = solve_ones()
        if np.all(np.isfinite(y)) and np.all(y > 0):
            return
        radius, weights = spectral_radius(A)
    raise DataError(
        f"the table is not productive: spectral radius of A is {radius:.6g} >= 1, so no "
        f"nonnegative output can meet final demand. Industries carrying the dominant loop: "
        f"{_name_worst(labels, weights)}. Check these columns for inputs larger than output "
        f"(units or scaling errors) or re-balance the table with RAS"
    )


def find_issues(
    *,
    labels: Sequence[str],
    intermediate: np.ndarray,
    final_demand_total: np.ndarray,
    gross_output: np.ndarray,
    column_inputs_total: np.ndarray | None,
    technical_coefficients: np.ndarray,
) -> list[Finding]:
    """Run every check except ``productive`` on flattened arrays and list the findings."""
    labels = list(labels)
    findings: list[Finding] = []
    arrays = {
        "intermediate flows": intermediate,
        "final demand": final_demand_total,
        "gross output": gross_output,
    }
    for name, values in arrays.items():
        if not all_finite(values):
            bad = ~np.isfinite(values)
            findings.append(Finding("finite", f"{name} has {int(bad.sum())} NaN or infinite values"))
    if any(f.check == "finite" for f in findings):
        return findings
    zero = gross_output == 0
    if zero.any():
        names = ", ".join(labels[i] for i in np.flatnonzero(zero))
        findings.append(Finding("zero_output", f"industries with zero gross output (coefficients set to 0): {names}"))
    scale = np.maximum(np.abs(gross_output), 1.0)
    row_gap = np.abs(gross_output - intermediate.sum(axis=1) - final_demand_total) / scale
    if np.any(row_gap > BALANCE_RTOL):
        findings.append(
            Finding(
                "row_balance",
                "gross output differs from intermediate sales + final demand "
                f"(relative gap) in {_name_worst(labels, row_gap)}",
            )
        )
    if column_inputs_total is not None:
        col_gap = np.abs(gross_output - column_inputs_total) / scale
        if np.any(col_gap > BALANCE_RTOL):
            findings.append(
                Finding(
                    "column_balance",
                    f"gross output differs from the sum of all inputs (relative gap) in {_name_worst(labels, col_gap)}",
                )
            )
    column_sums = technical_coefficients.sum(axis=0)
    if np.any(column_sums >= 1.0):
        findings.append(
            Finding(
                "column_sums",
                f"columns of A summing to 1 or more: {_name_worst(labels, column_sums)}",
            )
        )
    return findings


def negative_findings(
    quantities: dict[str, np.ndarray],
    labels: Sequence[str],
    *,
    allow_negative: Iterable[str] = (),
) -> list[Finding]:
    """Findings for negative entries of the quantities in :data:`NEGATIVE_IMPOSSIBLE`.

    Parameters
    ----------
    quantities : dict
        Variable name (a key of :data:`NEGATIVE_IMPOSSIBLE`, or ``"value_added"``) -> values
        by industry (a matrix for ``intermediate``: seller rows, buyer columns).
    labels : sequence of str
        Industry labels.
    allow_negative : iterable of str
        Quantities whose negative entries are only warned (``negative_flows``).
    """
    allowed = set(allow_negative)
    unknown = allowed - set(NEGATIVE_IMPOSSIBLE)
    if unknown:
        raise DataError(
            f"allow_negative names {sorted(unknown)}; quantities that can be allowed are "
            f"{', '.join(NEGATIVE_IMPOSSIBLE)} (final demand and other inputs may always be negative)"
        )
    findings = []
    for key, values in quantities.items():
        values = np.asarray(values, dtype=np.float64)
        if not has_negative(values):
            continue
        negative = values < 0
        where = negative.any(axis=0) if values.ndim == 2 else negative
        worst = values.min(axis=0) if values.ndim == 2 else values
        first = int(np.flatnonzero(where)[0])
        named = ", ".join(labels[i] for i in np.flatnonzero(where)[:5])
        place = f"in the columns of {named}" if values.ndim == 2 else f"for {named}"
        if values.ndim == 2:
            row = int(np.flatnonzero(negative[:, first])[0])
            example = f"e.g. {labels[row]} -> {labels[first]}: {values[row, first]:.6g}"
        else:
            example = f"e.g. {labels[first]}: {worst[first]:.6g}"
        count = int(negative.sum())
        if key == "value_added":
            findings.append(Finding("negative_value_added", f"negative value added {place} ({example})"))
        elif key in allowed:
            findings.append(
                Finding("negative_flows", f"{count} negative {NEGATIVE_IMPOSSIBLE[key]} {place} ({example})")
            )
        else:
            findings.append(
                Finding(
                    "negative",
                    f"{count} negative {NEGATIVE_IMPOSSIBLE[key]} {place} ({example}); {NEGATIVE_IMPOSSIBLE[key]} "
                    f"cannot be below zero: check signs and units, or allow them explicitly with "
                    f"allow_negative=[{key!r}] (--allow-negative {key}) if the table really has them",
                )
            )
    return findings


def check_finite(values, what: str, *, where: str = "") -> None:
    """Raise :class:`DataError` when ``values`` has a NaN or infinite entry (a result that cannot be true)."""
    array = np.asarray(values, dtype=np.float64)
    if not all_finite(array):
        count = int((~np.isfinite(array)).sum())
        raise DataError(
            f"{where + ': ' if where else ''}{what} has {count} NaN or infinite value(s); the inputs lead to an "
            "undefined result (a division by zero output or income?); check the table and parameters"
        )


def run_checks(findings: Iterable[Finding], *, strict: Iterable[str] | str = (), source: str = "table") -> None:
    """Warn about each finding, or raise for the first one whose check is strict.

    Parameters
    ----------
    findings : iterable of Finding
    strict : iterable of str or "all"
        Check names (see :data:`CHECKS`) that raise :class:`DataError` instead of warning.
    source : str
        Name of the table or file, used in messages.
    """
    strict_set = set(CHECKS) if strict == "all" else set([strict] if isinstance(strict, str) else strict)
    unknown = strict_set - set(CHECKS)
    if unknown:
        raise DataError(f"unknown check name(s) {sorted(unknown)} in strict; valid names: {', '.join(CHECKS)}")
    for finding in findings:
        message = f"{source}: [{finding.check}] {finding.message}"
        if finding.check in strict_set or finding.check in ALWAYS_ERRORS:
            raise DataError(message)
        warnings.warn(message, DataQualityWarning, stacklevel=3)
