"""Property tests (hypothesis) of the IO algebra on random productive tables."""

from __future__ import annotations

import numpy as np
from conftest import IDENTITY_ATOL, IDENTITY_RTOL
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from strategies import productive_tables

from simengine import IOTable


def close(a, b):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=IDENTITY_RTOL, atol=IDENTITY_ATOL)


@given(productive_tables())
def test_leontief_inverse_inverts_i_minus_a(table: IOTable):
    A = np.asarray(table.technical_coefficients())
    L = np.asarray(table.leontief_inverse())
    close(L @ (np.eye(len(A)) - A), np.eye(len(A)))


@given(productive_tables())
def test_solve_reproduces_gross_output(table: IOTable):
    """x = Z 1 + f, and L f recovers x."""
    f = np.asarray(table.dataset["final_demand"].sum("fd_category"))
    x = np.asarray(table.dataset["gross_output"])
    Z = np.asarray(table.dataset["intermediate"])
    close(Z.sum(axis=1) + f, x)
    close(table.impact(f)["output"].sel(effect="total"), x)


@given(productive_tables(), st.floats(-5, 5), st.floats(-5, 5), st.data())
def test_impacts_are_linear(table: IOTable, a, b, data):
    n = len(table.sectors)
    f1 = np.array(data.draw(st.lists(st.floats(-100, 100), min_size=n, max_size=n)))
    f2 = np.array(data.draw(st.lists(st.floats(-100, 100), min_size=n, max_size=n)))
    combined = table.impact(a * f1 + b * f2, closed=True)
    separate = a * table.impact(f1, closed=True) + b * table.impact(f2, closed=True)
    for kind in ("output", "value_added", "income", "employment"):
        np.testing.assert_allclose(combined[kind], separate[kind], rtol=1e-8, atol=1e-7)


@given(productive_tables())
def test_effects_add_up_to_total(table: IOTable):
    n = len(table.sectors)
    impact = table.impact(np.arange(1.0, n + 1.0), closed=True)
    for kind in ("output", "value_added", "income", "employment"):
        parts = impact[kind].sel(effect=["direct", "indirect", "induced"]).sum("effect")
        close(parts, impact[kind].sel(effect="total"))


@given(productive_tables())
def test_many_vectors_equal_one_at_a_time(table: IOTable):
    n = len(table.sectors)
    F = np.arange(n * 3, dtype=float).reshape(n, 3)
    together = table.impact(F)["output"].sel(effect="total").values
    for k in range(3):
        close(together[:, k], table.impact(F[:, k])["output"].sel(effect="total"))


@given(productive_tables())
def test_ghosh_inverse_is_similar_to_leontief(table: IOTable):
    """G = diag(x)^-1 L diag(x) and G = (I - B)^-1 with B = diag(x)^-1 Z."""
    x = np.asarray(table.dataset["gross_output"])
    Z = np.asarray(table.dataset["intermediate"])
    B = Z / x[:, None]
    G = np.asarray(table.ghosh_inverse())
    close(G @ (np.eye(len(x)) - B), np.eye(len(x)))
    close(G, np.diag(1 / x) @ np.asarray(table.leontief_inverse()) @ np.diag(x))


@given(productive_tables())
def test_type_ii_over_type_i_income_is_one_constant(table: IOTable):
    """Miller & Blair (2009), section 6.2.3: the ratio is the same for every sector."""
    ratio = np.asarray(table.multipliers("income", "II")) / np.asarray(table.multipliers("income", "I"))
    close(ratio, np.full_like(ratio, ratio[0]))
    assert ratio[0] >= 1.0


@given(productive_tables())
def test_simple_multipliers_equal_column_sums(table: IOTable):
    L = np.asarray(table.leontief_inverse())
    close(table.multipliers("output", "simple"), L.sum(axis=0))
    close(table.multipliers("output", "I"), L.sum(axis=0))
    x = np.asarray(table.dataset["gross_output"])
    w = np.asarray(table.dataset["employment"]) / x
    close(table.multipliers("employment", "simple"), w @ L)


@given(productive_tables())
def test_closed_multipliers_exceed_open(table: IOTable):
    for kind in ("output", "value_added", "income", "employment"):
        open_ = np.asarray(table.multipliers(kind, "simple"))
        closed = np.asarray(table.multipliers(kind, "total"))
        assert np.all(closed >= open_ - 1e-12)


@given(productive_tables())
def test_leakage_shares_sum_to_one(table: IOTable):
    close(table.leakage().sum("channel"), np.ones(len(table.sectors)))


@given(productive_tables(min_sectors=2))
def test_extraction_losses_are_nonnegative_and_complete_is_largest(table: IOTable):
    sector = table.sectors[0]
    complete = table.extraction(sector, kind="complete")
    backward = table.extraction(sector, kind="backward")
    forward = table.extraction(sector, kind="forward")
    for result in (complete, backward, forward):
        assert float(result.total_loss) >= -1e-9
    x = float(table.dataset["gross_output"].sel(sector=sector))
    assert float(complete.total_loss) >= x - 1e-9
    assert float(complete.total_loss) >= float(backward.total_loss) - 1e-9


@given(productive_tables(min_sectors=2))
def test_linkage_indices_average_one(table: IOTable):
    links = table.linkages()
    for name in ("backward", "forward", "forward_ghosh"):
        close(links[name].mean(), 1.0)


@given(productive_tables(), st.integers(1, 9), st.data())
def test_solves_and_products_are_column_independent(table: IOTable, k, data):
    """Each solution column is bitwise the same whether solved alone or among ``k`` columns.

    This is what makes a batch equal its members run alone, on any CPU and BLAS kernel.
    """
    from simengine.accounts import LeontiefSystem, column_product

    A = np.asarray(table.technical_coefficients())
    n = len(A)
    rhs = data.draw(arrays(np.float64, (n, k), elements=st.floats(-1e6, 1e6)))
    system = LeontiefSystem(A)
    together, transposed, product = system.solve(rhs), system.solve_transposed(rhs), column_product(A, rhs)
    close(together, np.linalg.solve(np.eye(n) - A, rhs))
    close(transposed, np.linalg.solve((np.eye(n) - A).T, rhs))
    close(product, A @ rhs)
    for j in range(k):
        assert np.array_equal(system.solve(rhs[:, j]), together[:, j])
        assert np.array_equal(system.solve_transposed(rhs[:, j]), transposed[:, j])
        assert np.array_equal(column_product(A, rhs[:, j]), product[:, j])
