"""Structural path analysis: a published worked example, and the paths summing to the multiplier."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import IDENTITY_ATOL, IDENTITY_RTOL
from hypothesis import given
from hypothesis import strategies as st
from strategies import productive_tables

from simengine import load_region
from simengine.errors import DataError
from simengine.structural_paths import largest_paths, structural_paths


class TestHolukulukuSectorSeven:
    """G. Krumme, *Holukuluku County: a hypothetical direct coefficient table* and
    *Holukuluku's Sector Seven*, Geography 350 exercises, University of Washington
    (faculty.washington.edu/krumme/350/exercises/holuku.html and sector7.html): an 8-sector
    table of regional input coefficients (rows: Agriculture, Food, Apparel, Iron, Machinery,
    Public utilities, Trade, Other) and, for final demand in Trade (7), the two-link paths to
    Agriculture (1) with their values, the round-by-round effects A^k e_7 (k = 1..6, four
    decimals), their sum and the column of (I - A)^-1. Digits transcribed from the web pages
    as printed; the Food row's second entry is printed ",06" (read 0.06: every column with
    the Imports and Household rows then sums to 1). One printed entry, A^4 for Iron
    (0.0149502), is truncated rather than rounded, hence the tolerance of 5.1e-5."""

    A = np.array(
        [
            [0.15, 0.5, 0, 0.2, 0, 0.1, 0.05, 0],
            [0, 0.06, 0, 0, 0, 0, 0.2, 0],
            [0, 0.04, 0.1, 0, 0, 0, 0.1, 0.05],
            [0.1, 0.1, 0.05, 0.1, 0.1, 0.1, 0, 0.15],
            [0.1, 0.05, 0.15, 0.07, 0.2, 0.1, 0.05, 0.1],
            [0.05, 0, 0.1, 0.03, 0.05, 0.04, 0.05, 0.05],
            [0.2, 0, 0, 0, 0, 0.06, 0.05, 0.03],
            [0, 0, 0.05, 0.1, 0.15, 0.2, 0, 0.07],
        ]
    )
    IMPORTS = np.array([0.1, 0.05, 0.15, 0.2, 0.2, 0.3, 0.2, 0.2])
    HOUSEHOLDS = np.array([0.3, 0.2, 0.4, 0.3, 0.3, 0.1, 0.3, 0.35])
    #: Rows: sectors 1..8; columns: A e7, A^2 e7, ..., A^6 e7 (as printed).
    ROUNDS = np.array(
        [
            [0.0500, 0.1150, 0.0390, 0.0166, 0.0095, 0.0049],
            [0.2000, 0.0220, 0.0044, 0.0054, 0.0024, 0.0011],
            [0.1000, 0.0230, 0.0059, 0.0042, 0.0023, 0.0011],
            [0.0000, 0.0400, 0.0289, 0.0149, 0.0083, 0.0045],
            [0.0500, 0.0475, 0.0333, 0.0182, 0.0098, 0.0053],
            [0.0500, 0.0195, 0.0143, 0.0078, 0.0041, 0.0022],
            [0.0500, 0.0155, 0.0256, 0.0105, 0.0047, 0.0026],
            [0.0000, 0.0225, 0.0178, 0.0123, 0.0069, 0.0037],
        ]
    )
    SUM_TO_A6 = np.array([0.2349, 0.2353, 0.1365, 0.0967, 0.1640, 0.0979, 0.1088, 0.0631])
    LEONTIEF_COLUMN_7 = np.array([0.2403, 0.2365, 0.1378, 0.1019, 0.1700, 0.1003, 1.112, 0.0674])

    def paths_to(self, target, **options):
        intensity = np.zeros(8)
        intensity[target - 1] = 1.0
        return largest_paths(self.A, 6, intensity, max_paths=None, **options)

    def test_the_transcription_balances(self):
        np.testing.assert_allclose(self.A.sum(axis=0) + self.IMPORTS + self.HOUSEHOLDS, 1.0, atol=1e-12)

    def test_two_link_paths_from_trade_to_agriculture(self):
        """'Sector 7's impact on sector 1 involving two links' = .0075 + .1 + .005 + .0025 = .1150."""
        found, _, _ = self.paths_to(1, max_length=2)
        two_links = {tuple(i + 1 for i in path): value for path, value in found if len(path) == 3}
        assert set(two_links) == {(7, 1, 1), (7, 2, 1), (7, 6, 1), (7, 7, 1)}
        np.testing.assert_allclose(
            [two_links[(7, 2, 1)], two_links[(7, 1, 1)], two_links[(7, 6, 1)], two_links[(7, 7, 1)]],
            [0.1, 0.0075, 0.005, 0.0025],
            atol=1e-15,
        )
        assert sum(two_links.values()) == pytest.approx(0.1150, abs=1e-15)

    def test_rounds_are_the_paths_grouped_by_length(self):
        for target in range(1, 9):
            found, total, _ = self.paths_to(target, max_length=6)
            by_length = [sum(v for p, v in found if len(p) == k + 1) for k in range(1, 7)]
            np.testing.assert_allclose(by_length, self.ROUNDS[target - 1], atol=5.1e-5)
            direct = 1.0 if target == 7 else 0.0
            assert sum(by_length) + direct == pytest.approx(self.SUM_TO_A6[target - 1] + direct, abs=1.1e-4)
            assert total == pytest.approx(self.LEONTIEF_COLUMN_7[target - 1], abs=5e-4 if target == 7 else 5e-5)

    def test_paths_converge_to_the_leontief_element(self):
        """The printed 'Diff.' column: the paths up to six links leave (I - A)^-1 - sum, and
        more paths close the gap."""
        gaps = []
        for max_paths in (1, 10, 100, 1000, 10000):
            found, total, rest = largest_paths(self.A, 6, np.eye(8)[0], max_paths=max_paths)
            assert rest == pytest.approx(total - sum(v for _, v in found), abs=1e-15)
            gaps.append(rest)
        assert all(later < earlier for earlier, later in zip(gaps, gaps[1:], strict=False))
        assert gaps[-1] < 0.01 * 0.2403


@given(productive_tables(min_sectors=1, max_sectors=6), st.data())
def test_paths_are_ordered_and_sum_to_the_multiplier_as_they_are_added(table, data):
    """Every extraction stage: reported + unexplored = c' L e_j; values never increase down
    the list; adding paths only shrinks the unexplored rest."""
    source = data.draw(st.sampled_from(table.sectors))
    target = data.draw(st.none() | st.sampled_from(table.sectors))
    kind = data.draw(st.sampled_from(["output", "value_added", "employment"]))
    L = table.leontief_inverse().values
    c = table._coefficients(kind)
    j = table.sectors.index(source)
    expected = c @ L[:, j] if target is None else c[table.sectors.index(target)] * L[table.sectors.index(target), j]
    previous = np.inf
    for max_paths in (1, 3, 10, 30):
        analysis = structural_paths(table, source, target, kind=kind, max_paths=max_paths)
        values = [p.value for p in analysis.paths]
        assert values == sorted(values, reverse=True)
        assert analysis.total == pytest.approx(expected, rel=IDENTITY_RTOL, abs=IDENTITY_ATOL)
        assert analysis.explained + analysis.unexplored == pytest.approx(analysis.total, rel=1e-12, abs=1e-15)
        assert analysis.unexplored >= -IDENTITY_ATOL * max(1.0, analysis.total)
        assert analysis.unexplored <= previous + 1e-15
        previous = analysis.unexplored
    assert len(analysis.paths) <= 30


@given(productive_tables(min_sectors=1, max_sectors=5), st.integers(0, 6), st.data())
def test_all_paths_up_to_t_links_are_the_power_series(table, links, data):
    """With no limit on the count, the paths of at most t links sum to c'(I + A + ... + A^t) e_j,
    and the rest is below 0.9^(t+1) of the column's output multiplier (column sums of A <= 0.9)."""
    j = data.draw(st.integers(0, len(table.sectors) - 1))
    A = table.technical_coefficients().values
    c = table._coefficients("employment")
    found, total, rest = largest_paths(A, j, c, max_paths=None, max_length=links)
    series, power = np.zeros(len(c)), np.eye(len(c))[:, j]
    for _ in range(links + 1):
        series += power
        power = A @ power
    assert sum(v for _, v in found) == pytest.approx(c @ series, rel=1e-9, abs=1e-15)
    output_multiplier = table.leontief_inverse().values[:, j].sum()
    assert rest <= c.max() * 0.9 ** (links + 1) * output_multiplier * (1 + 1e-9) + 1e-15


def test_regional_paths_sum_to_the_regional_multiplier():
    model = load_region("gwangmyeong")
    analysis = structural_paths(model, "gwangmyeong:F", "rest_of_korea:C24", max_paths=50)
    by_region = model.multipliers("output")["by_region"]
    assert analysis.total <= float(by_region.sel(region="gwangmyeong", sector="F", affected_region="rest_of_korea"))
    assert analysis.paths[0].sectors[0] == "gwangmyeong:F"
    assert analysis.explained + analysis.unexplored == pytest.approx(analysis.total, rel=1e-12)


def test_bad_sectors_and_negative_coefficients_are_clear_errors(korea):
    with pytest.raises(DataError, match="unknown source sector 'ZZ'"):
        structural_paths(korea, "ZZ")
    with pytest.raises(DataError, match="unknown target sector"):
        structural_paths(korea, "F", "gwangmyeong:F")
    with pytest.raises(DataError, match="non-negative"):
        largest_paths(np.array([[-0.1]]), 0, np.ones(1))


@given(productive_tables(min_sectors=1, max_sectors=5), st.integers(1, 40), st.integers(0, 5), st.data())
def test_the_k_largest_are_those_of_the_full_enumeration(table, k, links, data):
    """Best-first with a count limit (and its pruning below the k-th value found) returns the
    k largest values of the complete enumeration of paths up to the same length."""
    j = data.draw(st.integers(0, len(table.sectors) - 1))
    A = table.technical_coefficients().values
    c = table._coefficients("value_added")
    everything, _, _ = largest_paths(A, j, c, max_paths=None, max_length=links)
    largest, _, _ = largest_paths(A, j, c, max_paths=k, max_length=links)
    expected = sorted((v for _, v in everything), reverse=True)[:k]
    np.testing.assert_allclose([v for _, v in largest], expected, rtol=1e-12, atol=0.0)


@given(productive_tables(min_sectors=1, max_sectors=5), st.data())
def test_closed_paths_sum_to_the_type_ii_multiplier(table, data):
    """Through households the paths decompose the household-closed (total) multipliers."""
    from simengine.households import HouseholdClosure

    source = data.draw(st.sampled_from(table.sectors))
    kind = data.draw(st.sampled_from(["output", "value_added", "income", "employment"]))
    closure = HouseholdClosure.disposable(table, net_income_share=0.8, propensity_to_consume=0.9)
    analysis = structural_paths(table, source, kind=kind, households=closure, max_paths=25)
    expected = table.multipliers(kind, "total", households=closure).sel(sector=source).item()
    assert analysis.total == pytest.approx(expected, rel=IDENTITY_RTOL, abs=IDENTITY_ATOL)
    assert analysis.explained + analysis.unexplored == pytest.approx(analysis.total, rel=1e-12, abs=1e-15)


def test_closed_regional_paths_and_the_command(korea):
    from click.testing import CliRunner

    from simengine.cli import main
    from simengine.households import HouseholdClosure

    model = load_region("gwangmyeong")
    closure = HouseholdClosure.compensation(korea)
    analysis = structural_paths(model, "gwangmyeong:F", kind="value_added", households=closure, max_paths=30)
    expected = model.multipliers("value_added", households=closure)["total"].sel(region="gwangmyeong", sector="F")
    assert analysis.total == pytest.approx(float(expected), rel=1e-12)
    assert any("gwangmyeong:households" in path.sectors for path in analysis.paths)
    result = CliRunner().invoke(main, ["paths", "--region", "gwangmyeong", "--from", "gwangmyeong:F", "--closed"])
    assert result.exit_code == 0, result.output
    assert "households closed on compensation" in result.output.splitlines()[0]
