"""Matrix balancing: RAS and GRAS.

Both methods scale an initial matrix ``X0`` (for example last year's intermediate flows)
until its row sums equal ``row_totals`` and its column sums equal ``column_totals``:

* :func:`ras` for nonnegative matrices, ``X_ij = r_i X0_ij s_j``;
* :func:`gras` for matrices with negative entries (subsidies, inventory changes),
  ``X_ij = r_i X0_ij s_j`` where ``X0_ij >= 0`` and ``X_ij = X0_ij / (r_i s_j)`` where
  ``X0_ij < 0``.

Both return a :class:`BalanceResult`. Inputs that no scaling can balance (totals that do
not add up to the same grand total, a row of zeros with a positive target, a pattern of
zeros the totals cannot live with) raise :class:`~simengine.errors.ConvergenceError`
naming the rows and columns at fault; malformed input raises
:class:`~simengine.errors.DataError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

from .checks import _name_worst
from .errors import ConvergenceError, DataError

__all__ = ["BalanceResult", "ras", "gras"]


@dataclass(frozen=True)
class BalanceResult:
    """A balanced matrix and how it was reached.

    Attributes
    ----------
    matrix : numpy.ndarray or xarray.DataArray, shape (rows, columns)
        The balanced matrix, in the units of the initial matrix. A DataArray (same dims,
        coordinates and attributes) when the initial matrix was one.
    row_multipliers, column_multipliers : numpy.ndarray or xarray.DataArray
        The scaling factors ``r`` (rows) and ``s`` (columns), dimensionless. They are
        unique only up to a common factor (``c r`` and ``s / c`` give the same matrix).
    iterations : int
        Number of row-and-column sweeps performed (0 when the initial matrix already
        meets its totals).
    row_residual, column_residual : float
        Largest absolute difference between the balanced matrix's row (column) sums and
        the targets, in the units of the matrix.
    """

    matrix: np.ndarray | xr.DataArray
    row_multipliers: np.ndarray | xr.DataArray
    column_multipliers: np.ndarray | xr.DataArray
    iterations: int
    row_residual: float
    column_residual: float


def ras(initial, row_totals, column_totals, *, tol: float = 1e-10, max_iterations: int = 10_000) -> BalanceResult:
    """Balance a nonnegative matrix to given row and column totals by RAS.

    Parameters
    ----------
    initial : array_like or xarray.DataArray, shape (rows, columns)
        The nonnegative initial matrix ``X0`` (any monetary unit).
    row_totals : array_like or xarray.DataArray, shape (rows,)
        Nonnegative target row sums ``u``, same unit as ``initial``. A DataArray whose
        labels match the initial matrix's row labels is aligned by label.
    column_totals : array_like or xarray.DataArray, shape (columns,)
        Nonnegative target column sums ``v``, same unit.
    tol : float
        Relative tolerance: iteration stops when every row and column sum is within
        ``tol`` times that line's sum of absolute entries. Also the
        relative tolerance on ``sum(u) == sum(v)``.
    max_iterations : int
        Largest number of row-and-column sweeps before :class:`ConvergenceError`.

    Returns
    -------
    BalanceResult
        ``matrix = diag(r) X0 diag(s)``; zeros of ``X0`` stay zero.

    Raises
    ------
    DataError
        Shapes disagree, values are not finite, or entries or totals are negative
        (use :func:`gras` for matrices with negative entries).
    ConvergenceError
        The totals cannot be met: their grand totals differ, a row (column) has a
        positive target but no nonzero entry, or the iteration does not converge.

    Notes
    -----
    Each sweep scales rows, ``r_i = u_i / sum_j X0_ij s_j``, then columns,
    ``s_j = v_j / sum_i r_i X0_ij`` (Stone 1961; Bacharach 1970; Miller & Blair 2009,
    section 7.4). The balanced matrix, when it exists, is unique and is the matrix
    closest to ``X0`` in the information (Kullback-Leibler) sense. Lines whose target is
    zero are scaled to zero; all-zero lines with target zero are left alone.
    """
    return _balance("RAS", initial, row_totals, column_totals, tol=tol, max_iterations=max_iterations)


def gras(initial, row_totals, column_totals, *, tol: float = 1e-10, max_iterations: int = 10_000) -> BalanceResult:
    """Balance a matrix with positive and negative entries by generalised RAS (GRAS).

    Parameters
    ----------
    initial : array_like or xarray.DataArray, shape (rows, columns)
        The initial matrix ``X0``; entries of any sign (any monetary unit).
    row_totals : array_like or xarray.DataArray, shape (rows,)
        Target row sums ``u``, any sign, same unit as ``initial``.
    column_totals : array_like or xarray.DataArray, shape (columns,)
        Target column sums ``v``, any sign, same unit.
    tol, max_iterations
        As for :func:`ras`.

    Returns
    -------
    BalanceResult
        ``matrix_ij = r_i X0_ij s_j`` where ``X0_ij >= 0`` and ``X0_ij / (r_i s_j)``
        where ``X0_ij < 0``; every entry keeps its sign, zeros stay zero.

    Raises
    ------
    DataError
        Shapes disagree or values are not finite.
    ConvergenceError
        The totals cannot be met: their grand totals differ, a line's target has a sign
        none of its entries has, or the iteration does not converge.

    Notes
    -----
    Junius & Oosterhaven (2003) split ``X0 = P - N`` into its positive and negative
    parts; the algorithm here is the corrected one of Lenzen, Wood & Gallego (2007) in
    the form of Temurshoev, Miller & Bouwmeester (2013). Given row multipliers ``r``,
    with ``p_j = sum_i r_i P_ij`` and ``n_j = sum_i N_ij / r_i``, the column multiplier
    solves ``p_j s_j - n_j / s_j = v_j``:

        s_j = (v_j + sqrt(v_j**2 + 4 p_j n_j)) / (2 p_j)

    (evaluated as ``2 n_j / (sqrt(v_j**2 + 4 p_j n_j) - v_j)`` when ``v_j < 0``, which
    needs no ``p_j > 0`` and avoids cancellation); rows likewise. On a nonnegative matrix
    GRAS is RAS. A matrix that already meets its totals is returned unchanged.
    """
    return _balance("GRAS", initial, row_totals, column_totals, tol=tol, max_iterations=max_iterations)


# ---------------------------------------------------------------------------- validation
def _labels(da, axis: int) -> list | None:
    if not isinstance(da, xr.DataArray):
        return None
    dim = da.dims[axis]
    return da[dim].values.tolist() if dim in da.coords else None


def _line_name(kind: str, labels: Sequence | None, index: int) -> str:
    return f"{kind} {labels[index]!r} (index {index})" if labels is not None else f"{kind} {index}"


def _as_totals(totals, name: str, size: int, labels: list | None) -> np.ndarray:
    if isinstance(totals, xr.DataArray) and totals.ndim == 1 and labels is not None and totals.dims[0] in totals.coords:
        own = set(totals[totals.dims[0]].values.tolist())
        missing = [label for label in labels if label not in own]
        if missing:
            raise DataError(f"{name} lack the labels {missing[:5]} of the initial matrix; give one total per label")
        totals = totals.sel({totals.dims[0]: labels})
    try:
        array = np.asarray(totals, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be numeric: {exc}") from None
    if array.shape != (size,):
        raise DataError(f"{name} has shape {array.shape}; expected ({size},) to match the initial matrix")
    if not np.isfinite(array).all():
        bad = int(np.flatnonzero(~np.isfinite(array))[0])
        raise DataError(f"{name} entry {bad} is {array[bad]}; totals must be finite numbers")
    return array


def _validated(method, initial, row_totals, column_totals, tol, max_iterations):
    if not tol > 0 or not max_iterations >= 1:
        raise DataError(
            f"{method}: tol must be > 0 and max_iterations >= 1; got tol={tol}, max_iterations={max_iterations}"
        )
    try:
        matrix = np.asarray(initial, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{method}: the initial matrix must be numeric: {exc}") from None
    if matrix.ndim != 2:
        raise DataError(f"{method}: the initial matrix must be 2-D; got shape {matrix.shape}")
    row_labels, column_labels = _labels(initial, 0), _labels(initial, 1)
    bad = np.argwhere(~np.isfinite(matrix))
    if bad.size:
        i, j = bad[0]
        raise DataError(
            f"{method}: the initial matrix has {len(bad)} non-finite entries, the first at "
            f"{_line_name('row', row_labels, i)}, {_line_name('column', column_labels, j)}: {matrix[i, j]}"
        )
    u = _as_totals(row_totals, "row totals", matrix.shape[0], row_labels)
    v = _as_totals(column_totals, "column totals", matrix.shape[1], column_labels)
    if method == "RAS":
        negative = np.argwhere(matrix < 0)
        if negative.size:
            i, j = negative[0]
            raise DataError(
                f"RAS: the initial matrix has {len(negative)} negative entries, the first at "
                f"{_line_name('row', row_labels, i)}, {_line_name('column', column_labels, j)}: {matrix[i, j]:g}. "
                "RAS needs a nonnegative matrix; use GRAS for matrices with negative entries "
                "(simengine balance --method gras; in Python simengine.balance.gras)"
            )
        for name, totals in (("row totals", u), ("column totals", v)):
            if (totals < 0).any():
                k = int(np.flatnonzero(totals < 0)[0])
                raise DataError(
                    f"RAS: {name} entry {k} is {totals[k]:g}; RAS needs nonnegative totals "
                    "(use GRAS for negative totals: simengine balance --method gras; in Python simengine.balance.gras)"
                )
    row_sum, column_sum = u.sum(), v.sum()
    if abs(row_sum - column_sum) > tol * max(np.abs(u).sum(), np.abs(v).sum()):
        raise ConvergenceError(
            f"{method}: the row totals sum to {row_sum:.12g} but the column totals sum to {column_sum:.12g} "
            f"(difference {row_sum - column_sum:.6g}); no matrix can meet both. Make the two grand totals equal"
        )
    _check_reachable(method, matrix, u, v, row_labels, column_labels)
    return matrix, u, v, row_labels, column_labels


def _check_reachable(method, matrix, u, v, row_labels, column_labels) -> None:
    """Raise if a line's target has a sign that none of its entries can produce.

    Lines with target zero and no negative entries are scaled to zero, so their entries
    cannot help the crossing lines; they are left out before the check.
    """
    positive, negative = matrix > 0, matrix < 0
    zeroed_rows = (u == 0) & ~negative.any(axis=1)
    zeroed_columns = (v == 0) & ~negative.any(axis=0)
    live = ~zeroed_rows[:, None] & ~zeroed_columns[None, :]
    for kind, other, totals, labels, axis in (
        ("row", "columns", u, row_labels, 1),
        ("column", "rows", v, column_labels, 0),
    ):
        has_positive = (positive & live).any(axis=axis)
        has_negative = (negative & live).any(axis=axis)
        reasons = {
            "has a positive target but no positive entry": (totals > 0) & ~has_positive,
            "has a negative target but no negative entry": (totals < 0) & ~has_negative,
            "has a zero target but only negative entries": (totals == 0) & has_negative & ~has_positive,
        }
        for reason, bad in reasons.items():
            if bad.any():
                k = int(np.flatnonzero(bad)[0])
                raise ConvergenceError(
                    f"{method}: {_line_name(kind, labels, k)} {reason} (outside {other} whose target is zero), "
                    f"so no scaling reaches its target {totals[k]:g}; {int(bad.sum())} {kind}(s) like this. "
                    f"Give the {kind} an initial entry of the target's sign or change its target"
                )


# ---------------------------------------------------------------------------- iteration
def _reciprocal(values: np.ndarray) -> np.ndarray:
    """1 / values where positive, 0 elsewhere (a zero multiplier only meets zero entries)."""
    return np.divide(1.0, values, out=np.zeros_like(values), where=values > 0)


def _multipliers(positive_sums: np.ndarray, negative_sums: np.ndarray | None, totals: np.ndarray) -> np.ndarray:
    """Solve ``p m - n / m = t`` for ``m > 0`` line by line (``n`` absent: ``m = t / p``).

    Lines with ``p = n = 0`` (nothing to scale) keep ``m = 1``.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        if negative_sums is None:
            scaled = totals / positive_sums
            empty = positive_sums == 0
        else:
            root = np.sqrt(totals**2 + 4.0 * positive_sums * negative_sums)
            scaled = np.where(
                totals >= 0, (totals + root) / (2.0 * positive_sums), 2.0 * negative_sums / (root - totals)
            )
            empty = (positive_sums == 0) & (negative_sums == 0)
    return np.where(empty, 1.0, scaled)


def _parts(positive: np.ndarray, negative: np.ndarray | None, cross: np.ndarray, axis: int):
    """Sums along ``axis`` of ``P * cross`` and ``N / cross``, ``cross`` scaling the lines summed over."""
    positive_part = positive @ cross if axis == 1 else cross @ positive
    if negative is None:
        return positive_part, None
    inverse_cross = _reciprocal(cross)
    return positive_part, negative @ inverse_cross if axis == 1 else inverse_cross @ negative


def _sums(own: np.ndarray, positive_part: np.ndarray, negative_part: np.ndarray | None):
    """Line sums and gross (absolute) line sums once the lines are scaled by ``own``."""
    scaled_positive = own * positive_part
    if negative_part is None:
        return scaled_positive, scaled_positive
    scaled_negative = negative_part * _reciprocal(own)
    return scaled_positive - scaled_negative, scaled_positive + scaled_negative


def _met(sums: np.ndarray, gross: np.ndarray, totals: np.ndarray, tol: float) -> bool:
    return bool(np.all(np.abs(sums - totals) <= tol * gross))


def _balance(method, initial, row_totals, column_totals, *, tol, max_iterations) -> BalanceResult:
    matrix, u, v, row_labels, column_labels = _validated(
        method, initial, row_totals, column_totals, tol, max_iterations
    )
    positive = np.maximum(matrix, 0.0)
    negative = np.maximum(-matrix, 0.0) if method == "GRAS" else None
    row_multipliers = np.ones(matrix.shape[0])
    column_multipliers = np.ones(matrix.shape[1])
    row_parts = _parts(positive, negative, column_multipliers, axis=1)
    column_parts = _parts(positive, negative, row_multipliers, axis=0)
    row_sums, row_gross = _sums(row_multipliers, *row_parts)
    column_sums, column_gross = _sums(column_multipliers, *column_parts)
    iterations = 0
    while not (_met(row_sums, row_gross, u, tol) and _met(column_sums, column_gross, v, tol)):
        if iterations == max_iterations:
            raise ConvergenceError(
                f"{method} did not converge in {max_iterations} iterations (tol={tol:g}): largest row gaps "
                f"{_name_worst(_names('row', row_labels, len(u)), np.abs(row_sums - u), 3)}; largest column gaps "
                f"{_name_worst(_names('column', column_labels, len(v)), np.abs(column_sums - v), 3)}. "
                "The zero pattern of the initial matrix may not admit these totals; "
                "otherwise raise max_iterations or tol"
            )
        iterations += 1
        row_multipliers = _multipliers(*row_parts, u)
        column_parts = _parts(positive, negative, row_multipliers, axis=0)
        column_multipliers = _multipliers(*column_parts, v)
        if not (np.isfinite(row_multipliers).all() and np.isfinite(column_multipliers).all()):
            raise ConvergenceError(
                f"{method}: the multipliers became infinite in sweep {iterations}: a line's target can only be met "
                "through entries that other targets force to zero. Check the zero pattern against the totals"
            )
        row_parts = _parts(positive, negative, column_multipliers, axis=1)
        row_sums, row_gross = _sums(row_multipliers, *row_parts)
        column_sums, column_gross = _sums(column_multipliers, *column_parts)
    return _result(initial, positive, negative, row_multipliers, column_multipliers, iterations, u, v)


def _names(kind: str, labels: list | None, size: int) -> list[str]:
    return [str(label) for label in labels] if labels is not None else [f"{kind} {k}" for k in range(size)]


def _result(initial, positive, negative, row_multipliers, column_multipliers, iterations, u, v):
    scale = np.outer(row_multipliers, column_multipliers)
    balanced = scale * positive if negative is None else scale * positive - negative * _reciprocal(scale)
    row_residual = float(np.abs(balanced.sum(axis=1) - u).max(initial=0.0))
    column_residual = float(np.abs(balanced.sum(axis=0) - v).max(initial=0.0))
    if isinstance(initial, xr.DataArray):
        rows, columns = initial.dims
        balanced = initial.copy(data=balanced)
        row_multipliers = xr.DataArray(
            row_multipliers,
            dims=rows,
            coords={rows: initial[rows]} if rows in initial.coords else None,
            name="row_multiplier",
            attrs={"units": "1", "long_name": "row scaling factor r"},
        )
        column_multipliers = xr.DataArray(
            column_multipliers,
            dims=columns,
            coords={columns: initial[columns]} if columns in initial.coords else None,
            name="column_multiplier",
            attrs={"units": "1", "long_name": "column scaling factor s"},
        )
    return BalanceResult(balanced, row_multipliers, column_multipliers, iterations, row_residual, column_residual)
