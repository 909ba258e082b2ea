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

import numpy as np
from numba import njit

#: Columns per block of :func:`_column_product` and :func:`_lu_solve_columns`: a block of the
#: inputs stays in the core's cache while every row of the result is accumulated over it (the
#: kernels read the whole input once instead of once per result row). Blocking never changes
#: the order of any sum, so results are the same bits for any block size.
PRODUCT_BLOCK = 256
SOLVE_BLOCK = 128


@njit(cache=True, nogil=True)
def _column_product(matrix, columns, out):
    """``out = matrix @ columns`` with every sum taken over the inner index in increasing order.

    Columns are taken :data:`PRODUCT_BLOCK` at a time into a contiguous buffer; each element
    ``out[i, j]`` is still ``0 + matrix[i, 0] columns[0, j] + matrix[i, 1] columns[1, j] + ...``
    in that order. Releases the GIL (threads may run it side by side).

    Parameters
    ----------
    matrix : float64 (p, n), C-contiguous
    columns : float64 (n, m), C-contiguous
    out : float64 (p, m), C-contiguous, overwritten
    """
    p, n = matrix.shape
    m = columns.shape[1]
    width = min(PRODUCT_BLOCK, max(m, 1))
    block = np.empty((n, width))
    row = np.empty(width)
    for start in range(0, m, width):
        w = min(width, m - start)
        for k in range(n):
            for j in range(w):
                block[k, j] = columns[k, start + j]
        for i in range(p):
            for j in range(w):
                row[j] = 0.0
            for k in range(n):
                a = matrix[i, k]
                for j in range(w):
                    row[j] += a * block[k, j]
            for j in range(w):
                out[i, start + j] = row[j]
    return 0


@njit(cache=True, nogil=True)
def _member_product(matrices, members, rows, out):
    """``out[:, j] = matrices[members[j]] @ rows[j]``: each column by its own member's matrix.

    The sums run over the inner index in increasing order from zero, as in :func:`_column_product`,
    so a column gets the same bits as ``_column_product(matrices[members[j]], rows[j][:, None])``
    whatever the other columns and their members.

    Parameters
    ----------
    matrices : float64 (K, p, n), C-contiguous
    members : int64 (m,)
        Member of each column, in ``0..K-1``.
    rows : float64 (m, n), C-contiguous
        The columns, one per row (so that each is contiguous).
    out : float64 (p, m), C-contiguous, overwritten
    """
    p, n = matrices.shape[1], matrices.shape[2]
    for j in range(rows.shape[0]):
        b = members[j]
        for i in range(p):
            total = 0.0
            for k in range(n):
                total += matrices[b, i, k] * rows[j, k]
            out[i, j] = total
    return 0


@njit(cache=True, nogil=True)
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

    Columns are solved :data:`SOLVE_BLOCK` at a time in a contiguous buffer (each column's
    operations and their order are those of a lone column). Releases the GIL.
    """
    n = lu.shape[0]
    m = rhs.shape[1]
    width = min(SOLVE_BLOCK, max(m, 1))
    b = np.empty((n, width))
    for start in range(0, m, width):
        w = min(width, m - start)
        for i in range(n):
            for j in range(w):
                b[i, j] = rhs[i, start + j]
        if not transposed:
            for i in range(n):
                p = pivots[i]
                if p != i:
                    for j in range(w):
                        b[i, j], b[p, j] = b[p, j], b[i, j]
            for i in range(n):
                for k in range(i):
                    a = lu[i, k]
                    for j in range(w):
                        b[i, j] -= a * b[k, j]
            for i in range(n - 1, -1, -1):
                for k in range(i + 1, n):
                    a = lu[i, k]
                    for j in range(w):
                        b[i, j] -= a * b[k, j]
                d = lu[i, i]
                for j in range(w):
                    b[i, j] /= d
        else:
            # Right-looking sweeps read rows of the factors (contiguous); each element still
            # receives its updates in a fixed order of the pivot index.
            for i in range(n):
                d = lu[i, i]
                for j in range(w):
                    b[i, j] /= d
                for k in range(i + 1, n):
                    a = lu[i, k]
                    for j in range(w):
                        b[k, j] -= a * b[i, j]
            for i in range(n - 1, -1, -1):
                for k in range(i):
                    a = lu[i, k]
                    for j in range(w):
                        b[k, j] -= a * b[i, j]
            for i in range(n - 1, -1, -1):
                p = pivots[i]
                if p != i:
                    for j in range(w):
                        b[i, j], b[p, j] = b[p, j], b[i, j]
        for i in range(n):
            for j in range(w):
                rhs[i, start + j] = b[i, j]
    return 0


@njit(cache=True, nogil=True)
def _lu_factor_steps(a, pivots, start):
    """Elimination steps ``start, ..., m - 1`` of one matrix in place (LAPACK ``getf2``).

    At step ``k`` the pivot is the first entry of largest magnitude on or below the diagonal
    of column ``k``; the two rows are swapped whole, the column below the pivot is divided by
    it and the trailing block gets the rank-one update, each entry once per step in increasing
    ``k``. Returns 1 if a pivot was exactly zero (its column is left, as ``getrf`` does), else 0.
    """
    m = a.shape[0]
    zero = 0
    for k in range(start, m):
        p = k
        best = abs(a[k, k])
        for i in range(k + 1, m):
            if abs(a[i, k]) > best:
                best = abs(a[i, k])
                p = i
        pivots[k] = p
        if p != k:
            for j in range(m):
                a[k, j], a[p, j] = a[p, j], a[k, j]
        d = a[k, k]
        if d == 0.0:
            zero = 1
            continue
        pivot_row = a[k]
        for i in range(k + 1, m):
            row = a[i]
            f = row[k] / d
            row[k] = f
            for j in range(k + 1, m):
                row[j] -= f * pivot_row[j]
    return zero


@njit(cache=True, nogil=True)
def _lu_factor_stack(stack, pivots):
    """LU-factorise each matrix of a stack in place, with partial pivoting (``A_k = P_k L_k U_k``).

    Every member is eliminated by the same loops (:func:`_lu_factor_steps`) on its own entries,
    so its factors do not depend on the other members nor on the size of the stack.

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
        The number of members with an exactly zero pivot; the caller's conditioning check
        rejects them.
    """
    singular = 0
    for member in range(stack.shape[0]):
        singular += _lu_factor_steps(stack[member], pivots[member], 0)
    return singular


@njit(cache=True, nogil=True)
def _lu_factor_bordered(stack, pivots, head, border):
    """:func:`_lu_factor_stack` for members that share their leading ``n x n`` block, in ``O(n^2 b)`` each.

    Member ``k`` is ``[[H, C_k], [R_k, E_k]]`` with ``H`` the same in every member and ``b = m - n``
    border rows and columns. When ``H`` factorises without row interchanges (``head`` holds its
    factors) and no border row offers a larger pivot in the first ``n`` steps, the first ``n``
    steps of the elimination leave ``H``'s part equal to ``head``, so only the border rows and
    columns are eliminated here (the same operations, in the same order, as
    :func:`_lu_factor_stack`: the same bits); the last ``b`` steps run as there. A member whose
    border would pivot is restored and factorised by :func:`_lu_factor_steps` from the start.

    Parameters
    ----------
    stack : float64 (K, m, m), C-contiguous
        The matrices, every ``stack[k, :n, :n]`` equal to ``H``; overwritten by their factors.
    pivots : int64 (K, m)
        Overwritten by the row interchanges.
    head : float64 (n, n)
        Factors of ``H`` from :func:`_lu_factor_stack`, with no interchanges and no zero pivot.
    border : float64 (b, m + n)
        Scratch space for one member's border rows and columns.

    Returns
    -------
    int
        The number of members with an exactly zero pivot.
    """
    size, m = stack.shape[0], stack.shape[1]
    n = head.shape[0]
    singular = 0
    for member in range(size):
        a = stack[member]
        piv = pivots[member]
        for r in range(n, m):
            for j in range(m):
                border[r - n, j] = a[r, j]
            for i in range(n):
                border[r - n, m + i] = a[i, r]
        bordered = True
        for k in range(n):
            d = head[k, k]
            for r in range(n, m):
                if abs(a[r, k]) > abs(d):
                    bordered = False
            if not bordered:
                break
            pivot_row = head[k]
            for r in range(n, m):
                row = a[r]
                f = row[k] / d
                row[k] = f
                for j in range(k + 1, n):
                    row[j] -= f * pivot_row[j]
                for j in range(n, m):
                    row[j] -= f * a[k, j]
            for i in range(k + 1, n):
                f = head[i, k]
                for j in range(n, m):
                    a[i, j] -= f * a[k, j]
        if bordered:
            for i in range(n):
                piv[i] = i
                for j in range(n):
                    a[i, j] = head[i, j]
            singular += _lu_factor_steps(a, piv, n)
        else:
            for r in range(n, m):
                for j in range(m):
                    a[r, j] = border[r - n, j]
                for i in range(n):
                    a[i, r] = border[r - n, m + i]
            singular += _lu_factor_steps(a, piv, 0)
    return singular


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
def _lu_solve_members(stack, pivots, members, rhs, transposed):
    """Solve each column ``j`` of ``rhs`` in place with member ``members[j]`` of a factorised stack.

    Consecutive columns of one member are solved together (:func:`_lu_solve_columns` treats every
    column alike, in a fixed order), so a column gets the same bits as when solved alone or among
    any other columns of its member.

    Parameters
    ----------
    stack : float64 (K, n, n)
        Factors from :func:`_lu_factor_stack`.
    pivots : int64 (K, n)
    members : int64 (m,)
        Member of each column, in ``0..K-1`` (sorted, the fewest calls).
    rhs : float64 (n, m)
        Right-hand sides, one per column; overwritten by the solutions.
    transposed : bool
        Solve the transposed systems.
    """
    n, width = rhs.shape
    scratch = np.empty((n, width))
    j = 0
    while j < width:
        b = members[j]
        e = j + 1
        while e < width and members[e] == b:
            e += 1
        block = scratch[:, : e - j]
        for i in range(n):
            for c in range(j, e):
                block[i, c - j] = rhs[i, c]
        _lu_solve_columns(stack[b], pivots[b], block, transposed)
        for i in range(n):
            for c in range(j, e):
                rhs[i, c] = block[i, c - j]
        j = e
    return 0


@njit(cache=True, nogil=True)
def _bordered_rows(head, lower, right, corner, targets, out, pivots, failed):
    """Multiplier rows ``t' (I - M_k)^-1`` of members that share their leading block, from the border alone.

    Member ``k`` is ``[[H, right_k], [lower_k, corner_k]]`` (``H`` shared, ``b = m - n`` border rows
    and columns). This is :func:`_lu_factor_bordered` followed by the transposed solve of
    :func:`_lu_solve_columns` with the right-hand sides ``targets``: the same operations in the
    same order on the same numbers (the same bits), without storing ``H`` again per member (the
    leading block of the factors is ``head`` in every member) and with the border columns held
    transposed, so that every inner loop runs over contiguous memory.

    Parameters
    ----------
    head : float64 (n, n)
        Factors of ``H`` (no row interchanges, no zero pivot).
    lower : float64 (K, b, n)
    right : float64 (K, n, b)
    corner : float64 (K, b, b)
    targets : float64 (m, r)
    out : float64 (K, r, m)
        Overwritten: row ``i`` of member ``k`` is target ``i`` per unit injected into each account.
    pivots : float64 (K, b)
        Overwritten by each member's last ``b`` pivots (the diagonal of ``U`` after ``H``'s), for
        the caller's conditioning check.
    failed : int64 (K,)
        Overwritten: 1 for a member whose border would pivot in the first ``n`` steps or that has an
        exactly zero pivot (its rows are left: the caller factorises it whole), else 0.
    """
    size, b, n = lower.shape[0], lower.shape[1], lower.shape[2]
    m = n + b
    r = targets.shape[1]
    below = np.ascontiguousarray(head.T)  # below[k, i] = head[i, k]: column k of L, contiguous
    rows = np.empty((b, m))  # the border rows of the factors
    cols = np.empty((b, n))  # the border columns of the factors above the corner, transposed
    piv = np.empty(m, dtype=np.int64)
    rhs = np.empty((m, r))
    for member in range(size):
        failed[member] = 0
        for i in range(b):
            for j in range(n):
                rows[i, j] = lower[member, i, j]
            for j in range(b):
                rows[i, n + j] = corner[member, i, j]
        for i in range(n):
            for j in range(b):
                cols[j, i] = right[member, i, j]
        bordered = True
        for k in range(n):
            d = head[k, k]
            for i in range(b):
                if abs(rows[i, k]) > abs(d):
                    bordered = False
            if not bordered:
                break
            for i in range(b):
                f = rows[i, k] / d
                rows[i, k] = f
                for j in range(k + 1, n):
                    rows[i, j] -= f * head[k, j]
                for j in range(b):
                    rows[i, n + j] -= f * cols[j, k]
            for j in range(b):
                pivot = cols[j, k]
                for i in range(k + 1, n):
                    cols[j, i] -= below[k, i] * pivot
        if not bordered:
            failed[member] = 1
            continue
        for i in range(n):
            piv[i] = i
        # the last b steps of _lu_factor_steps, on the border rows (row interchanges swap whole rows)
        for k in range(n, m):
            t = k - n
            p = t
            best = abs(rows[t, k])
            for i in range(t + 1, b):
                if abs(rows[i, k]) > best:
                    best = abs(rows[i, k])
                    p = i
            piv[k] = p + n
            if p != t:
                for j in range(m):
                    rows[t, j], rows[p, j] = rows[p, j], rows[t, j]
            d = rows[t, k]
            if d == 0.0:
                failed[member] = 1
                break
            for i in range(t + 1, b):
                f = rows[i, k] / d
                rows[i, k] = f
                for j in range(k + 1, m):
                    rows[i, j] -= f * rows[t, j]
        if failed[member]:
            continue
        for i in range(b):
            pivots[member, i] = rows[i, n + i]
        # the transposed solve of _lu_solve_columns; lu[i, k] is head, cols or rows
        for i in range(m):
            for j in range(r):
                rhs[i, j] = targets[i, j]
        for i in range(n):
            d = head[i, i]
            for j in range(r):
                rhs[i, j] /= d
            for k in range(i + 1, n):
                a = head[i, k]
                for j in range(r):
                    rhs[k, j] -= a * rhs[i, j]
            for k in range(n, m):
                a = cols[k - n, i]
                for j in range(r):
                    rhs[k, j] -= a * rhs[i, j]
        for i in range(n, m):
            d = rows[i - n, i]
            for j in range(r):
                rhs[i, j] /= d
            for k in range(i + 1, m):
                a = rows[i - n, k]
                for j in range(r):
                    rhs[k, j] -= a * rhs[i, j]
        for i in range(m - 1, n - 1, -1):
            for k in range(i):
                a = rows[i - n, k]
                for j in range(r):
                    rhs[k, j] -= a * rhs[i, j]
        for i in range(n - 1, -1, -1):
            for k in range(i):
                a = head[i, k]
                for j in range(r):
                    rhs[k, j] -= a * rhs[i, j]
        for i in range(m - 1, -1, -1):
            p = piv[i]
            if p != i:
                for j in range(r):
                    rhs[i, j], rhs[p, j] = rhs[p, j], rhs[i, j]
        for i in range(r):
            for j in range(m):
                out[member, i, j] = rhs[j, i]
    return 0
