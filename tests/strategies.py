"""Hypothesis strategies for random productive input-output tables."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from simengine import IOTable


@st.composite
def productive_tables(draw, *, min_sectors: int = 1, max_sectors: int = 12, with_households: bool = True):
    """Random balanced tables whose coefficient columns sum to at most 0.9 (productive).

    Built from coefficients: A with column sums <= 0.9, positive final demand f, then
    x = (I - A)^-1 f and Z = A diag(x), so rows balance exactly.
    """
    n = draw(st.integers(min_sectors, max_sectors))
    raw = draw(arrays(np.float64, (n, n), elements=st.floats(0.0, 1.0)))
    column_share = draw(arrays(np.float64, (n,), elements=st.floats(0.05, 0.9)))
    totals = raw.sum(axis=0)
    A = np.where(totals > 0, raw / np.where(totals > 0, totals, 1.0), 0.0) * column_share
    f = draw(arrays(np.float64, (n,), elements=st.floats(1.0, 1000.0)))
    x = np.linalg.solve(np.eye(n) - A, f)
    Z = A * x[None, :]
    value_added = x - Z.sum(axis=0)
    labour_share = draw(arrays(np.float64, (n,), elements=st.floats(0.1, 0.9)))
    compensation = value_added * labour_share
    employment = x * draw(arrays(np.float64, (n,), elements=st.floats(0.001, 0.05)))
    # Households spend a share s < 1 of their income (total compensation) in proportion to
    # final demand; since h'L <= v'L = 1', the closed model's loop h'Lc <= s < 1 (productive).
    spending_share = draw(st.floats(0.1, 0.9))
    households = f / f.sum() * compensation.sum() * spending_share if with_households else None
    return IOTable.from_arrays(
        Z,
        f,
        x=x,
        compensation=compensation,
        employment=employment,
        household_consumption=households,
    )
