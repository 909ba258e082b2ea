"""Input-output algebra on plain arrays.

Notation follows Miller & Blair (2009), *Input-Output Analysis*, 2nd ed.:

==========  ==========================================================
symbol      meaning (units)
==========  ==========================================================
``Z``       intermediate flows, seller rows x buyer columns (money)
``x``       gross output by industry (money)
``f``       final demand (money); one column per demand vector
``A``       technical coefficients ``Z diag(x)^-1`` (money / money)
``L``       Leontief inverse ``(I - A)^-1`` (money / money)
``B``       allocation coefficients ``diag(x)^-1 Z`` (money / money)
``G``       Ghosh inverse ``(I - B)^-1`` (money / money)
``h``       labour-income coefficients ``compensation / x``
``c``       household consumption coefficients (per unit household income)
==========  ==========================================================

:class:`LeontiefSystem` factorises ``I - A`` once with LAPACK (``scipy.linalg.lu_factor``)
and solves any number of right-hand sides on those factors with a column-independent
substitution kernel (:mod:`simengine.kernels.linalg`): each solution column depends only on
its own right-hand side, so a scenario solved alone and inside a batch of any size gives the
same bits. :func:`column_product` is the matching matrix product. The factorisation runs
with BLAS pinned to one thread (OpenBLAS's threaded ``getrf`` rounds differently with two
threads than with one), so the factors, and every solve on them, are the same bits whatever
the BLAS thread count of the process: in a driver, a pool process or a Dask worker. The
explicit inverse is formed only by :meth:`LeontiefSystem.inverse` (LAPACK ``getrs``).
:class:`LeontiefStack` is the same for a stack of ``K`` systems of one size that differ in their
coefficients (one per draw of a circuit's parameters): one numba kernel factorises all of them
with partial pivoting and solves them, each member's bits independent of the others and of ``K``;
:meth:`LeontiefStack.member` hands out one member as a :class:`LeontiefSystem`.
The labelled, user-facing layer is :class:`simengine.tables.IOTable`.
"""

from __future__ import annotations

import threading

import numpy as np
import scipy.linalg
from threadpoolctl import ThreadpoolController

from .checks import all_finite
from .errors import DataError
from .kernels.linalg import (
    _column_product,
    _lu_factor_bordered,
    _lu_factor_stack,
    _lu_solve_columns,
    _lu_solve_members,
    _lu_solve_stack,
    _member_product,
)

__all__ = [
    "LeontiefSystem",
    "LeontiefStack",
    "column_product",
    "member_product",
    "technical_coefficients",
    "input_coefficients",
    "household_closure",
]

#: The BLAS libraries loaded with numpy and scipy, to pin the factorisation to one thread.
_BLAS = ThreadpoolController()
#: The BLAS thread limit is process-wide: one factorisation at a time sets and restores it, so a
#: thread of a batch (:func:`simengine.batch.batch_executor`) never lifts another's limit mid-way.
_BLAS_LOCK = threading.Lock()


def input_coefficients(flows: np.ndarray, gross_output: np.ndarray) -> np.ndarray:
    """Divide each column of ``flows`` by the buyer's gross output.

    Parameters
    ----------
    flows : ndarray, shape (k, n)
        Inputs bought by each of ``n`` industries (money).
    gross_output : ndarray, shape (n,)
        Gross output of the buying industries (money).

    Returns
    -------
    ndarray, shape (k, n)
        Inputs per unit of output (money / money). Columns of industries with zero
        output are zero (the convention of pymrio; the ``zero_output`` check warns).
    """
    flows = np.asarray(flows, dtype=np.float64)
    x = np.asarray(gross_output, dtype=np.float64)
    zero = x == 0.0
    coefficients = flows / np.where(zero, 1.0, x)  # one pass over the flows, one new array
    if zero.any():
        coefficients[..., zero] = 0.0
    return coefficients


def technical_coefficients(Z: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Technical coefficients ``A = Z diag(x)^-1`` (Miller & Blair eq. 2.5).

    Parameters
    ----------
    Z : ndarray, shape (n, n)
        Intermediate flows (money).
    x : ndarray, shape (n,)
        Gross output (money).

    Returns
    -------
    ndarray, shape (n, n)
        Input of industry ``i`` per unit output of industry ``j`` (money / money).
    """
    return input_coefficients(Z, x)


class LeontiefSystem:
    """The factorised system ``(I - A) x = f``.

    Parameters
    ----------
    A : ndarray, shape (n, n)
        Technical coefficients (money / money).

    Notes
    -----
    ``I - A`` is LU-factorised once on construction (``O(n^3 / 3)`` multiply-adds); each
    solve costs ``O(n^2)`` per right-hand side. ``solve(f)`` gives ``L f`` and
    ``solve_transposed(c)`` gives ``c' L`` (as a column), so multipliers never need ``L``.
    """

    def __init__(self, A: np.ndarray):
        A = np.asarray(A, dtype=np.float64)
        if A.ndim != 2 or A.shape[0] != A.shape[1]:
            raise DataError(f"coefficient matrix must be square, got shape {A.shape}")
        self.size = A.shape[0]
        identity_minus_a = np.eye(self.size) - A
        if not all_finite(identity_minus_a):
            raise DataError(
                "coefficient matrix has NaN or infinite entries; check the table for missing values or zero outputs"
            )
        with _BLAS_LOCK, _BLAS.limit(limits=1, user_api="blas"):
            self._lu = scipy.linalg.lu_factor(identity_minus_a, overwrite_a=True, check_finite=False)
        self._factors = np.ascontiguousarray(self._lu[0])
        self._pivots = self._lu[1].astype(np.int64)
        if _singular(self._factors[None]).any():
            raise DataError(SINGULAR_MESSAGE)

    @classmethod
    def _from_factors(cls, factors: np.ndarray, pivots: np.ndarray) -> LeontiefSystem:
        """A system on given ``getrf``-layout factors of ``I - A`` (one member of a :class:`LeontiefStack`)."""
        system = cls.__new__(cls)
        system.size = factors.shape[0]
        system._factors, system._pivots = factors, pivots
        system._lu = (factors, pivots.astype(np.int32))
        return system

    def _solve(self, rhs: np.ndarray, transposed: bool) -> np.ndarray:
        rhs = np.asarray(rhs, dtype=np.float64)
        if rhs.shape[:1] != (self.size,) or rhs.ndim > 2:
            raise DataError(f"right-hand side has shape {rhs.shape}; expected ({self.size},) or ({self.size}, k)")
        columns = np.array(rhs.reshape(self.size, -1), dtype=np.float64, order="C")
        _lu_solve_columns(self._factors, self._pivots, columns, transposed)
        return columns.reshape(rhs.shape)

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        """Return ``L @ rhs`` for a vector or a matrix of right-hand sides.

        Each column of the result depends only on the same column of ``rhs`` (bitwise,
        whatever the number of columns).
        """
        return self._solve(rhs, False)

    def solve_transposed(self, rhs: np.ndarray) -> np.ndarray:
        """Return ``L.T @ rhs``; for a coefficient row ``c`` this is ``(c' L)'``."""
        return self._solve(rhs, True)

    def inverse(self) -> np.ndarray:
        """Return the explicit Leontief inverse ``L = (I - A)^-1``, shape (n, n)."""
        return scipy.linalg.lu_solve(self._lu, np.eye(self.size), check_finite=False)


#: Why a factorisation is refused (a diagonal entry of ``U`` indistinguishable from zero).
SINGULAR_MESSAGE = (
    "I - A is singular: the system is not productive "
    "(some group of industries needs at least one unit of its own output per unit)"
)


def _singular(factors: np.ndarray) -> np.ndarray:
    """Which members of a stack of ``getrf`` factors (K, m, m) are numerically singular, (K,) bool."""
    diagonal = np.abs(np.diagonal(factors, axis1=1, axis2=2))
    size = factors.shape[1]
    return diagonal.min(axis=1) <= np.finfo(np.float64).eps * np.maximum(diagonal.max(axis=1), 1.0) * size


def _factor_bordered(factors: np.ndarray, pivots: np.ndarray, shared: int) -> bool:
    """Factorise a stack whose members share their leading ``shared`` block by eliminating that block
    once (:func:`~simengine.kernels.linalg._lu_factor_bordered`); False (nothing done) when they do
    not share it or it needs row interchanges."""
    count, size = factors.shape[:2]
    if not 0 < shared < size or count < 2:
        return False
    head = np.array(factors[:1, :shared, :shared])
    if not (factors[:, :shared, :shared] == head).all():
        return False
    head_pivots = np.empty((1, shared), dtype=np.int64)
    if _lu_factor_stack(head, head_pivots) or (head_pivots[0] != np.arange(shared)).any():
        return False
    _lu_factor_bordered(factors, pivots, head[0], np.empty((size - shared, size + shared)))
    return True


class LeontiefStack:
    """``K`` factorised systems ``(I - A_k) x = f`` of one size, factorised and solved together.

    Parameters
    ----------
    A : ndarray, shape (K, n, n)
        Technical coefficients of each member (money / money).
    shared : int
        Size of a leading block that every member shares (e.g. the industries of circuits that
        differ only in their institutions' rows and columns). When ``A[:, :shared, :shared]`` is
        indeed the same everywhere, that block is eliminated once and each member costs
        ``O(n^2 (n - shared))`` instead of ``O(n^3)``, with the same bits; otherwise ignored.
    overwrite : bool
        Reuse ``A``'s memory for the factors (``A`` must be a C-contiguous float64 array the
        caller no longer needs).

    Raises
    ------
    DataError
        A member with NaN or infinite coefficients, or a singular ``I - A_k`` (naming the first).

    Notes
    -----
    One numba kernel (:func:`simengine.kernels.linalg._lu_factor_stack`) LU-factorises every
    ``I - A_k`` with partial pivoting (the pivot rule of LAPACK ``getrf``; ``O(K n^3 / 3)``
    multiply-adds, no Python per member), and the substitution kernel of
    :class:`LeontiefSystem` solves each member. Member ``k``'s factors and solutions depend
    only on ``A_k`` and its own right-hand sides: the same bits for any ``K`` and any
    neighbours. They agree with LAPACK's (``scipy.linalg.lu_factor``) to rounding, not bitwise:
    LAPACK orders its sums by its own blocking.
    """

    def __init__(self, A: np.ndarray, *, shared: int = 0, overwrite: bool = False):
        A = np.asarray(A, dtype=np.float64)
        if A.ndim != 3 or A.shape[1] != A.shape[2]:
            raise DataError(f"a stack of coefficient matrices has shape (K, n, n), got {A.shape}")
        self.count, self.size = A.shape[0], A.shape[1]
        reuse = overwrite and A.flags.c_contiguous and A.flags.writeable
        factors = np.subtract(np.eye(self.size), A, out=A if reuse else None)
        finite = np.isfinite(factors).all(axis=(1, 2))
        if not finite.all():
            raise DataError(
                f"coefficient matrix {int(np.flatnonzero(~finite)[0])} of the stack has NaN or infinite entries"
            )
        self._pivots = np.empty((self.count, self.size), dtype=np.int64)
        if not _factor_bordered(factors, self._pivots, shared):
            _lu_factor_stack(factors, self._pivots)
        self._factors = factors
        singular = _singular(factors)
        if singular.any():
            where = f"coefficient matrix {int(np.flatnonzero(singular)[0])} of the stack: " if self.count > 1 else ""
            raise DataError(where + SINGULAR_MESSAGE)

    def __len__(self) -> int:
        return self.count

    def member(self, k: int) -> LeontiefSystem:
        """Member ``k`` as a :class:`LeontiefSystem` on the same factors (no refactorisation)."""
        return LeontiefSystem._from_factors(self._factors[k], self._pivots[k])

    def _solve(self, rhs: np.ndarray, transposed: bool) -> np.ndarray:
        rhs = np.asarray(rhs, dtype=np.float64)
        if rhs.shape[:2] != (self.count, self.size) or rhs.ndim > 3:
            raise DataError(f"right-hand side has shape {rhs.shape}; expected ({self.count}, {self.size}[, r])")
        columns = np.array(rhs.reshape(self.count, self.size, -1), dtype=np.float64, order="C")
        _lu_solve_stack(self._factors, self._pivots, columns, transposed)
        return columns.reshape(rhs.shape)

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        """``L_k @ rhs_k`` for every member.

        Parameters
        ----------
        rhs : ndarray, shape (K, n) or (K, n, r)

        Returns
        -------
        ndarray, shape (K, n) or (K, n, r)
        """
        return self._solve(rhs, False)

    def solve_transposed(self, rhs: np.ndarray) -> np.ndarray:
        """``L_k.T @ rhs_k`` for every member (rows of multipliers ``c' L_k`` as columns); shapes as :meth:`solve`."""
        return self._solve(rhs, True)

    def solve_members(self, members: np.ndarray, rhs: np.ndarray) -> np.ndarray:
        """Column ``j`` of ``rhs`` times ``L_k`` of its own member ``k = members[j]``.

        Parameters
        ----------
        members : ndarray of int, shape (m,)
        rhs : ndarray, shape (n, m)

        Returns
        -------
        ndarray, shape (n, m)
            Column ``j`` has the same bits as ``solve`` of that column alone by member ``members[j]``.
        """
        members = np.ascontiguousarray(members, dtype=np.int64)
        rhs = np.array(rhs, dtype=np.float64, order="C")
        if rhs.ndim != 2 or rhs.shape[0] != self.size or members.shape != (rhs.shape[1],):
            raise DataError(f"right-hand side has shape {rhs.shape}; expected ({self.size}, {len(members)})")
        if members.size and not 0 <= members.min() <= members.max() < self.count:
            raise DataError(f"members must be indices in 0..{self.count - 1}")
        _lu_solve_members(self._factors, self._pivots, members, rhs, False)
        return rhs


def column_product(matrix: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """``matrix @ columns`` in a fixed summation order, column by column.

    Parameters
    ----------
    matrix : ndarray, shape (p, n)
    columns : ndarray, shape (n,) or (n, k)

    Returns
    -------
    ndarray, shape (p,) or (p, k)
        Column ``j`` depends only on ``columns[:, j]`` (bitwise, for any ``k``), unlike a
        BLAS product whose kernel and blocking depend on the whole shape.
    """
    matrix = np.ascontiguousarray(matrix, dtype=np.float64)
    columns = np.asarray(columns, dtype=np.float64)
    if matrix.ndim != 2 or columns.shape[:1] != matrix.shape[1:] or columns.ndim > 2:
        raise DataError(f"cannot multiply shapes {matrix.shape} and {columns.shape}")
    block = np.ascontiguousarray(columns[:, None] if columns.ndim == 1 else columns)  # (n, k), also for n = 0
    out = np.empty((matrix.shape[0], block.shape[1]))
    _column_product(matrix, block, out)
    return out.reshape((matrix.shape[0], *columns.shape[1:]))


def member_product(matrices: np.ndarray, members: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """Each column times its own member of a stack of matrices, in a fixed summation order.

    Parameters
    ----------
    matrices : ndarray, shape (K, p, n)
    members : ndarray of int, shape (k,)
        Member of each column, in ``0..K-1``.
    columns : ndarray, shape (n, k)

    Returns
    -------
    ndarray, shape (p, k)
        Column ``j`` is ``column_product(matrices[members[j]], columns[:, j])`` bit for bit, for
        any ``k`` and any other columns.
    """
    matrices = np.ascontiguousarray(matrices, dtype=np.float64)
    members = np.ascontiguousarray(members, dtype=np.int64)
    columns = np.asarray(columns, dtype=np.float64)
    if matrices.ndim != 3 or columns.ndim != 2 or columns.shape[0] != matrices.shape[2]:
        raise DataError(f"cannot multiply a stack of shape {matrices.shape} and columns of shape {columns.shape}")
    if members.shape != (columns.shape[1],) or (
        members.size and not 0 <= members.min() <= members.max() < len(matrices)
    ):
        raise DataError(f"members must be {columns.shape[1]} indices in 0..{len(matrices) - 1}")
    out = np.empty((matrices.shape[1], columns.shape[1]))
    _member_product(matrices, members, np.ascontiguousarray(columns.T), out)
    return out


def household_closure(
    A: np.ndarray,
    labour_income_coefficients: np.ndarray,
    household_consumption_coefficients: np.ndarray,
    household_self_coefficient: float = 0.0,
) -> np.ndarray:
    """Coefficient matrix of the model closed with respect to households.

    Parameters
    ----------
    A : ndarray, shape (n, n)
        Technical coefficients (money / money).
    labour_income_coefficients : ndarray, shape (n,)
        Labour income paid per unit of output, ``h = compensation / x`` (money / money).
    household_consumption_coefficients : ndarray, shape (n,)
        Household purchases from each industry per unit of household income, ``c``
        (money / money).
    household_self_coefficient : float
        Households' purchases of labour services from households per unit of income
        (domestic staff); 0 unless the table records them.

    Returns
    -------
    ndarray, shape (n + 1, n + 1)
        ``[[A, c], [h', a_hh]]`` (Miller & Blair 2009, section 2.5).
    """
    n = A.shape[0]
    closed = np.zeros((n + 1, n + 1))
    closed[:n, :n] = A
    closed[:n, n] = household_consumption_coefficients
    closed[n, :n] = labour_income_coefficients
    closed[n, n] = household_self_coefficient
    return closed
