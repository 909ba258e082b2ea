"""LocalEconomy: balanced per-unit accounts built from a table."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from strategies import productive_tables

from simengine import DataError
from simengine.local_economy import LocalEconomy


def test_from_korea_table_balances(korea):
    economy = LocalEconomy.from_table(korea)
    np.testing.assert_allclose(economy.column_totals(), 1.0, atol=1e-12)
    assert economy.unit == "KRW million"
    assert np.all(economy.compensation > 0) and np.all(economy.employment > 0)


@given(productive_tables())
def test_from_random_table_balances(table):
    np.testing.assert_allclose(LocalEconomy.from_table(table).column_totals(), 1.0, atol=1e-9)


def test_unbalanced_accounts_are_rejected():
    with pytest.raises(DataError, match="do not balance.*a"):
        LocalEconomy(
            sectors=("a",),
            local_inputs=np.array([[0.5]]),
            other_region_inputs=np.zeros(1),
            imported_inputs=np.zeros(1),
            other_inputs=np.zeros(1),
            compensation=np.array([0.2]),
            operating_surplus=np.array([0.2]),
            employment=np.zeros(1),
        )
