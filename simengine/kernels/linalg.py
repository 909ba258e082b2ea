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
