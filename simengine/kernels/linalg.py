"""Column-independent dense kernels: each result column depends only on its own input column.

A BLAS call chooses its blocking and its kernels by the shape of the whole call (a single
vector goes through GEMV, a matrix through GEMM, and OpenBLAS picks code by CPU type), so
the same scenario solved alone and solved inside a batch of twelve can differ in the last
bits. These kernels fix the order of every sum: element ``(i, j)`` is accumulated over ``k``
in increasing order, whatever the number of columns, with the column index innermost so
that the loops still vectorise across columns without reassociating any sum. A batch is
then bit-identical to its members run alone, for any chunk size and worker count.

Private: arrays in, arrays out, caller-allocated outputs (see :mod:`simengine.accounts`).
"""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def _column_product(matrix, columns, out):
    """``out = matrix @ columns`` with every sum taken over the inner index in increasing order.

    Parameters
    ----------
    matrix : float64 (p, n), C-contiguous
    columns : float64 (n, m), C-contiguous
    out : float64 (p, m), C-contiguous, overwritten
    """
    p, n = matrix.shape
    m = columns.shape[1]
    for i in range(p):
        for j in range(m):
            out[i, j] = 0.0
        for k in range(n):
            a = matrix[i, k]
            for j in range(m):
                out[i, j] += a * columns[k, j]
    return 0


@njit(cache=True)
def _lu_solve_columns(lu, pivots, rhs, transposed):
    """Solve ``A x = b`` (or ``A' x = b``) in place for each column of ``rhs`` from ``A = P L U``.

    Parameters
    ----------
    lu : float64 (n, n)
        LAPACK ``getrf`` factors: unit lower ``L`` below the diagonal, ``U`` on and above it.
    pivots : int64 (n,)
        Zero-based row interchanges: row ``i`` was swapped with row ``pivots[i]``.
    rhs : float64 (n, m), C-contiguous
        Right-hand sides; overwritten by the solutions.
    transposed : bool
        Solve the transposed system.
    """
    n = lu.shape[0]
    m = rhs.shape[1]
    if not transposed:
        for i in range(n):
            p = pivots[i]
            if p != i:
                for j in range(m):
                    rhs[i, j], rhs[p, j] = rhs[p, j], rhs[i, j]
        for i in range(n):
            for k in range(i):
                a = lu[i, k]
                for j in range(m):
                    rhs[i, j] -= a * rhs[k, j]
        for i in range(n - 1, -1, -1):
            for k in range(i + 1, n):
                a = lu[i, k]
                for j in range(m):
                    rhs[i, j] -= a * rhs[k, j]
            d = lu[i, i]
            for j in range(m):
                rhs[i, j] /= d
    else:
        # Right-looking sweeps read rows of the factors (contiguous); each element still
        # receives its updates in a fixed order of the pivot index.
        for i in range(n):
            d = lu[i, i]
            for j in range(m):
                rhs[i, j] /= d
            for k in range(i + 1, n):
                a = lu[i, k]
                for j in range(m):
                    rhs[k, j] -= a * rhs[i, j]
        for i in range(n - 1, -1, -1):
            for k in range(i):
                a = lu[i, k]
                for j in range(m):
                    rhs[k, j] -= a * rhs[i, j]
        for i in range(n - 1, -1, -1):
            p = pivots[i]
            if p != i:
                for j in range(m):
                    rhs[i, j], rhs[p, j] = rhs[p, j], rhs[i, j]
    return 0


@njit(cache=True)
def _lu_factor_stack(stack, pivots):
    """LU-factorise each matrix of a stack in place, with partial pivoting (``A_k = P_k L_k U_k``).

    The right-looking elimination of LAPACK ``getf2``: at step ``k`` the pivot is the first
    entry of largest magnitude on or below the diagonal of column ``k``; the two rows are
    swapped whole, the column below the pivot is divided by it and the trailing block gets
    the rank-one update. Every member is eliminated by the same loops on its own entries, so
    its factors do not depend on the other members nor on the size of the stack.

    Parameters
    ----------
    stack : float64 (K, m, m), C-contiguous
        The matrices; overwritten by their factors in ``getrf`` layout (unit lower ``L``
        below the diagonal, ``U`` on and above it).
    pivots : int64 (K, m)
        Overwritten by the zero-based row interchanges (row ``i`` swapped with ``pivots[k, i]``).

    Returns
    -------
    int
        The number of members with an exactly zero pivot (left unreduced in that column, as
        ``getrf`` does); the caller's conditioning check rejects them.
    """
    size, m = stack.shape[0], stack.shape[1]
    singular = 0
    for member in range(size):
        a = stack[member]
        zero = False
        for k in range(m):
            p = k
            best = abs(a[k, k])
            for i in range(k + 1, m):
                if abs(a[i, k]) > best:
                    best = abs(a[i, k])
                    p = i
            pivots[member, k] = p
            if p != k:
                for j in range(m):
                    a[k, j], a[p, j] = a[p, j], a[k, j]
            d = a[k, k]
            if d == 0.0:
                zero = True
                continue
            pivot_row = a[k]
            for i in range(k + 1, m):
                row = a[i]
                f = row[k] / d
                row[k] = f
                for j in range(k + 1, m):
                    row[j] -= f * pivot_row[j]
        if zero:
            singular += 1
    return singular


@njit(cache=True)
def _lu_solve_stack(stack, pivots, rhs, transposed):
    """Solve ``A_k x = b`` (or ``A_k' x = b``) in place for every member ``k`` of a factorised stack.

    Parameters
    ----------
    stack : float64 (K, m, m)
        Factors from :func:`_lu_factor_stack`.
    pivots : int64 (K, m)
        Row interchanges from :func:`_lu_factor_stack`.
    rhs : float64 (K, m, r), C-contiguous
        Right-hand sides of each member; overwritten by the solutions.
    transposed : bool
        Solve the transposed systems.
    """
    for member in range(stack.shape[0]):
        _lu_solve_columns(stack[member], pivots[member], rhs[member], transposed)
    return 0
