"""The batched LU kernel (simengine.kernels.linalg) and LeontiefStack against LAPACK.

Small cases, so that these tests also run with the JIT disabled (``NUMBA_DISABLE_JIT=1``), which
is how line coverage of ``simengine/kernels`` is measured (see ``.ci/run``). The reference is
LAPACK's ``getrf``/``getrs`` through ``scipy.linalg.lu_factor``/``lu_solve``.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from simengine.accounts import LeontiefStack, LeontiefSystem
from simengine.errors import DataError
from simengine.kernels.linalg import _lu_factor_stack, _lu_solve_stack

pytestmark = pytest.mark.kernel

#: Agreement with LAPACK, relative to the largest entry: both run the same elimination, with
#: sums in another order (LAPACK blocks and uses its own inner kernels), so they agree to rounding.
LAPACK_RTOL = 1e-12


def _close(ours: np.ndarray, lapack: np.ndarray) -> None:
    scale = max(float(np.abs(lapack).max()), 1.0)
    assert float(np.abs(ours - lapack).max()) <= LAPACK_RTOL * scale


def _factor(matrices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    factors = np.array(matrices, dtype=np.float64, order="C")
    pivots = np.empty(factors.shape[:2], dtype=np.int64)
    _lu_factor_stack(factors, pivots)
    return factors, pivots


def test_factors_pivots_and_solves_equal_lapack_with_row_interchanges():
    """A stack whose members need row interchanges (random, not diagonally dominant): the same
    pivots as ``getrf``, factors and both solves to rounding."""
    rng = np.random.default_rng(1)
    matrices = rng.normal(size=(3, 5, 5))
    rhs = rng.normal(size=(3, 5, 2))
    factors, pivots = _factor(matrices)
    assert (pivots != np.arange(5)).any()
    for transposed in (False, True):
        solved = rhs.copy()
        _lu_solve_stack(factors, pivots, solved, transposed)
        for k in range(3):
            lu, piv = scipy.linalg.lu_factor(matrices[k])
            np.testing.assert_array_equal(pivots[k], piv)
            _close(factors[k], lu)
            _close(solved[k], scipy.linalg.lu_solve((lu, piv), rhs[k], trans=int(transposed)))


def test_a_zero_pivot_is_counted_and_the_stack_refuses_it():
    """An exactly singular member: the kernel leaves its column and counts it; LeontiefStack names it."""
    matrices = np.stack([np.eye(3), np.array([[1.0, 2.0, 0.0], [2.0, 4.0, 0.0], [0.0, 0.0, 1.0]])])
    assert _lu_factor_stack(np.array(matrices), np.empty((2, 3), dtype=np.int64)) == 1
    with pytest.raises(DataError, match="coefficient matrix 1 of the stack: I - A is singular"):
        LeontiefStack(np.eye(3) - matrices)
    with pytest.raises(DataError, match="^I - A is singular"):
        LeontiefStack((np.eye(3) - matrices)[1:])


def test_bad_stacks_get_one_clear_error():
    with pytest.raises(DataError, match=r"shape \(K, n, n\)"):
        LeontiefStack(np.zeros((2, 3)))
    bad = np.zeros((2, 2, 2))
    bad[1, 0, 1] = np.nan
    with pytest.raises(DataError, match="coefficient matrix 1 of the stack has NaN"):
        LeontiefStack(bad)
    with pytest.raises(DataError, match=r"expected \(2, 2\[, r\]\)"):
        LeontiefStack(np.zeros((2, 2, 2))).solve(np.zeros((3, 2)))


@settings(max_examples=25, deadline=None)
@given(
    data=st.data(),
    size=st.integers(1, 6),
    count=st.integers(1, 5),
    columns=st.integers(1, 3),
)
def test_a_member_does_not_depend_on_the_others_or_on_the_stack_size(data, size, count, columns):
    """Determinism: member ``k`` of a stack has the same bits alone, in any position and in a stack
    of any size; it equals LAPACK to rounding; its ``member`` solves like the stack."""
    coefficients = data.draw(arrays(np.float64, (count, size, size), elements=st.floats(0.0, 1.0)))
    coefficients = coefficients / np.maximum(coefficients.sum(axis=1, keepdims=True), 1.0) * 0.9
    rhs = data.draw(arrays(np.float64, (count, size, columns), elements=st.floats(-10.0, 10.0)))
    stack = LeontiefStack(coefficients)
    order = data.draw(st.permutations(range(count)))
    shuffled = LeontiefStack(coefficients[list(order)])
    for transposed in (False, True):
        solve = LeontiefStack.solve_transposed if transposed else LeontiefStack.solve
        together = solve(stack, rhs)
        moved = solve(shuffled, rhs[list(order)])
        for position, k in enumerate(order):
            alone = solve(LeontiefStack(coefficients[k : k + 1]), rhs[k : k + 1])[0]
            np.testing.assert_array_equal(together[k], alone)
            np.testing.assert_array_equal(moved[position], alone)
            member = stack.member(k)
            np.testing.assert_array_equal(
                (member.solve_transposed if transposed else member.solve)(rhs[k]), together[k]
            )
            lu = scipy.linalg.lu_factor(np.eye(size) - coefficients[k])
            _close(together[k], scipy.linalg.lu_solve(lu, rhs[k], trans=int(transposed)))


def test_member_inverse_and_one_dimensional_right_hand_sides():
    rng = np.random.default_rng(2)
    coefficients = rng.uniform(0.0, 0.2, (2, 4, 4))
    stack = LeontiefStack(coefficients)
    assert len(stack) == 2
    member = stack.member(1)
    assert isinstance(member, LeontiefSystem)
    _close(member.inverse(), np.linalg.inv(np.eye(4) - coefficients[1]))
    vectors = rng.uniform(size=(2, 4))
    solved = stack.solve(vectors)
    assert solved.shape == (2, 4)
    _close(solved[0], np.linalg.solve(np.eye(4) - coefficients[0], vectors[0]))


@settings(max_examples=30, deadline=None)
@given(
    data=st.data(),
    head=st.integers(1, 5),
    border=st.integers(1, 3),
    count=st.integers(2, 4),
    reach=st.sampled_from([0.1, 3.0]),
)
def test_a_shared_leading_block_is_eliminated_once_with_the_same_bits(data, head, border, count, reach):
    """Members sharing their leading block (as circuits share their industries): eliminating that
    block once gives the factors and pivots of the member-by-member kernel bit for bit, also for
    members whose border rows take the pivot (``reach`` 3: those are restored and eliminated whole)."""
    size = head + border
    shared = data.draw(arrays(np.float64, (head, head), elements=st.floats(0.0, 1.0))) / (2.0 * head)
    coefficients = data.draw(arrays(np.float64, (count, size, size), elements=st.floats(-reach, reach)))
    coefficients[:, :head, :head] = shared
    factors, pivots = _factor(np.eye(size) - coefficients)
    together = LeontiefStack(coefficients, shared=head, overwrite=True)
    assert together._factors is coefficients
    np.testing.assert_array_equal(together._factors, factors)
    np.testing.assert_array_equal(together._pivots, pivots)


def test_the_shared_block_path_is_skipped_when_it_does_not_apply():
    """Not shared, or the shared block itself needs interchanges: the member-by-member kernel."""
    from simengine.accounts import _factor_bordered

    rng = np.random.default_rng(3)
    matrices = rng.uniform(0.0, 0.1, (2, 4, 4))
    assert not _factor_bordered(np.array(matrices), np.empty((2, 4), dtype=np.int64), 2)
    matrices[:, :2, :2] = [[0.0, 1.0], [1.0, 0.0]]
    assert not _factor_bordered(np.array(matrices), np.empty((2, 4), dtype=np.int64), 2)
    matrices[:, :2, :2] = [[1.0, 0.0], [0.0, 1.0]]
    assert _factor_bordered(np.array(matrices), np.empty((2, 4), dtype=np.int64), 2)
    assert not _factor_bordered(np.array(matrices[:1]), np.empty((1, 4), dtype=np.int64), 2)


@settings(max_examples=25, deadline=None)
@given(
    count=st.integers(1, 4),
    size=st.integers(1, 6),
    columns=st.integers(0, 7),
    seed=st.integers(0, 2**32 - 1),
)
def test_each_column_by_its_own_member_has_the_bits_of_that_member_alone(count, size, columns, seed):
    """Property: member_product and LeontiefStack.solve_members give column j exactly what its
    member gives that column on its own (column_product, solve), whatever the other columns."""
    from simengine.accounts import column_product, member_product

    rng = np.random.default_rng(seed)
    matrices = rng.normal(size=(count, 3, size))
    members = rng.integers(0, count, size=columns)
    rhs = rng.normal(size=(size, columns))
    product = member_product(matrices, members, rhs)
    stack = LeontiefStack(rng.uniform(0.0, 0.8 / size, size=(count, size, size)))
    solved = stack.solve_members(members, rhs)
    assert product.shape == (3, columns) and solved.shape == (size, columns)
    for j, k in enumerate(members):
        np.testing.assert_array_equal(product[:, j], column_product(matrices[k], rhs[:, j : j + 1])[:, 0])
        np.testing.assert_array_equal(solved[:, j], stack.member(k).solve(rhs[:, j]))


def test_members_out_of_range_are_refused():
    from simengine.accounts import member_product

    with pytest.raises(DataError, match="members must be"):
        member_product(np.zeros((2, 1, 3)), np.array([0, 2]), np.zeros((3, 2)))
    with pytest.raises(DataError, match="members must be"):
        LeontiefStack(np.zeros((2, 3, 3))).solve_members(np.array([-1]), np.zeros((3, 1)))


def test_bordered_rows_equal_the_whole_factorisation_bit_for_bit():
    """The bordered kernel (shared leading block, each member's border alone) gives the bits of
    factorising each whole member and solving the transposed system; a member whose border would
    pivot in the shared steps, or with an exactly zero pivot, is flagged for the whole path."""
    from simengine.kernels.linalg import _bordered_rows

    rng = np.random.default_rng(5)
    n, b, count = 4, 3, 5
    head = np.eye(n) - rng.uniform(0.0, 0.1, size=(n, n))
    lower = -rng.uniform(0.0, 0.2, size=(count, b, n))
    right = -rng.uniform(0.0, 0.2, size=(count, n, b))
    corner = np.eye(b) - rng.uniform(0.0, 0.1, size=(count, b, b))
    corner[1] = [[0.01, 0.5, 0.2], [0.9, 0.1, 0.3], [0.2, 0.8, 0.05]]  # row interchanges in the last steps
    lower[2, 0, 0] = -5.0  # larger than the shared pivot: the whole path
    lower[3], right[3], corner[3] = 0.0, 0.0, 0.0  # a zero pivot
    targets = rng.normal(size=(n + b, 2))
    factors, _ = _factor(head[None])
    out = np.zeros((count, 2, n + b))
    pivots, failed = np.zeros((count, b)), np.zeros(count, dtype=np.int64)
    _bordered_rows(factors[0], lower, right, corner, targets, out, pivots, failed)
    assert failed.tolist() == [0, 0, 1, 1, 0]
    whole = np.concatenate(
        [np.concatenate([np.broadcast_to(head, (count, n, n)), right], 2), np.concatenate([lower, corner], 2)], 1
    )
    good = [0, 1, 4]
    full, full_pivots = _factor(whole[good])
    solved = np.ascontiguousarray(np.broadcast_to(targets, (len(good), *targets.shape)))
    _lu_solve_stack(full, full_pivots, solved, True)
    assert (full_pivots[1, n:] != np.arange(n, n + b)).any()
    for i, k in enumerate(good):
        np.testing.assert_array_equal(out[k], solved[i].T)
        np.testing.assert_array_equal(pivots[k], np.diagonal(full[i])[n:])
