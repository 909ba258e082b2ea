"""How households close an input-output model: the income row and the consumption column.

The model closed with respect to households (Miller & Blair 2009, section 2.5 and
section 6.2) adds one row, the household income that industries pay per unit of output,
and one column, the households' purchases of domestic output per unit of that income.
Two bases are offered:

``compensation`` (the textbook closure)
    income row ``h_j = compensation_j / x_j``; consumption column
    ``c_i = C_i / Y`` with ``C_i`` household purchases of domestic output from ``i`` and
    ``Y`` total household income, by default total compensation. Every won of household
    consumption is then treated as paid out of wages, so the induced loop
    ``h' L c`` is at its largest: on ``korea-2014`` ``sum(c) = C / compensation = 0.875``
    and Type II / Type I = 1.4733 for every sector.

``disposable``
    income row ``h_j = s * compensation_j / x_j`` with ``s`` the share of compensation
    that reaches households after income tax and social contributions (one minus the
    tax wedge on labour); consumption column ``c_i = p * C_i / C_all`` with ``p`` the
    propensity to consume out of disposable income (one minus the household saving
    ratio) and ``C_all`` all household consumption, domestic and imported, so that a won
    of disposable income buys ``p * C_i / C_all`` of domestic output from ``i``. This is
    the Keynesian reading of the induced round, households spending out of disposable
    income: a won of wages induces ``s * p * C / C_all`` of domestic purchases, not
    ``C / compensation``.

Both bases give a Type II / Type I income ratio that is the same for every sector
(Miller & Blair 2009, Appendix 6.2): ``1 / (1 - a_hh - h' L c)``, with ``a_hh`` the
households' own purchases of labour (usually 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from .errors import DataError

if TYPE_CHECKING:
    from .tables import IOTable

__all__ = ["HouseholdClosure", "INCOME_BASES", "HOUSEHOLD_CATEGORY", "KOREA_2014_DISPOSABLE"]

INCOME_BASES = ("compensation", "disposable")
HOUSEHOLD_CATEGORY = "household_consumption"

#: Parameters of the disposable-income closure for Korea around 2014, the defaults of the
#: command line. ``net_income_share`` = 1 - 0.214: OECD, *Taxing Wages*, country note for
#: Korea (2014 edition), tax wedge of the average single worker 21.4% of labour costs in
#: 2013 (21.9% in 2015, *Taxing Wages 2016*); an average worker's wedge stands in for the
#: economy-wide average rate. ``propensity_to_consume`` = 1 - 0.061: Bank of Korea,
#: household net saving rate 6.1% in 2014 (reported by Yonhap, 26 October 2015).
KOREA_2014_DISPOSABLE = {"net_income_share": 0.786, "propensity_to_consume": 0.939}


@dataclass(frozen=True)
class HouseholdClosure:
    """The household row and column of a closed model, per unit of output and of income.

    Parameters
    ----------
    base : {"compensation", "disposable"}
        Which income the households receive (module docstring).
    income_share : float
        Household income per unit of compensation paid (1 for the compensation base;
        one minus the labour tax wedge for the disposable base), money / money.
    consumption : ndarray, shape (n,)
        Household purchases of domestic output by supplying sector per unit of household
        income (money / money).
    sectors : tuple of str
        Sector codes of ``consumption``.
    self_coefficient : float
        Households' purchases of labour from households per unit of income (domestic
        staff; ``a_hh`` of Miller & Blair 2009, section 2.5), 0 unless the table records them.

    Notes
    -----
    Build one with :meth:`compensation` or :meth:`disposable` from a table; a regional
    model applies the same closure to each region's own industries and sources the
    consumption column by the region's own purchase shares
    (:meth:`simengine.regional.RegionalModel.multipliers`).
    """

    base: Literal["compensation", "disposable"]
    income_share: float
    consumption: np.ndarray = field(repr=False)
    sectors: tuple[str, ...] = field(repr=False)
    self_coefficient: float = 0.0

    def __post_init__(self):
        if not (np.isfinite(self.self_coefficient) and 0.0 <= self.self_coefficient < 1.0):
            raise DataError(f"self_coefficient must be in [0, 1), got {self.self_coefficient!r}")

    @classmethod
    def compensation(cls, table: IOTable, *, self_coefficient: float = 0.0) -> HouseholdClosure:
        """The textbook closure: income = compensation, consumption per unit of total household income.

        Total household income is the table's ``household_income`` attribute when set
        (:meth:`simengine.tables.IOTable.from_arrays`), else total compensation.
        """
        income = float(table.dataset.attrs.get("household_income", table._component("compensation").sum()))
        if not income > 0:
            raise DataError(f"{table.name}: total household income must be positive, got {income}")
        return cls(
            "compensation", 1.0, _domestic_consumption(table) / income, tuple(table.sectors), float(self_coefficient)
        )

    @classmethod
    def disposable(
        cls, table: IOTable, *, net_income_share: float, propensity_to_consume: float, self_coefficient: float = 0.0
    ) -> HouseholdClosure:
        """The closure on disposable income (module docstring).

        Parameters
        ----------
        table : IOTable
            Gives compensation, household purchases of domestic output and, where the
            table records them (``imported_final_demand``), imported household purchases.
        net_income_share : float
            Share of compensation that households receive after income tax and employer
            and employee social contributions, in (0, 1]: one minus the tax wedge.
        propensity_to_consume : float
            Household consumption per unit of disposable income, in (0, 1.5]: one minus
            the household saving ratio.
        self_coefficient : float
            Households' purchases of labour from households per unit of income.
        """
        for name, value, upper in (
            ("net_income_share", net_income_share, 1.0),
            ("propensity_to_consume", propensity_to_consume, 1.5),
        ):
            if not (np.isfinite(value) and 0.0 < value <= upper):
                raise DataError(f"{name} must be in (0, {upper:g}], got {value!r}")
        domestic = _domestic_consumption(table)
        everything = domestic.sum() + _imported_consumption(table)
        if not everything > 0:
            raise DataError(f"{table.name}: household consumption must be positive for the disposable-income closure")
        consumption = propensity_to_consume * domestic / everything
        return cls("disposable", float(net_income_share), consumption, tuple(table.sectors), float(self_coefficient))

    def income_coefficients(self, compensation_coefficients: np.ndarray) -> np.ndarray:
        """The household income row: ``income_share * compensation / x`` (money / money)."""
        return self.income_share * np.asarray(compensation_coefficients, dtype=np.float64)

    @property
    def key(self) -> tuple:
        """A hashable identity of the closure (for caching factorisations)."""
        return (self.base, self.income_share, self.self_coefficient, self.consumption.tobytes())

    def describe(self) -> str:
        """One line for titles and attributes."""
        if self.base == "compensation":
            return "households closed on compensation"
        return (
            f"households closed on disposable income (net income share {self.income_share:g}, "
            f"domestic consumption {self.consumption.sum():.4g} per unit of income)"
        )


def _domestic_consumption(table: IOTable) -> np.ndarray:
    from .tables import to_vector

    ds = table.dataset
    if "household_consumption" in ds:
        return to_vector(ds["household_consumption"])
    if HOUSEHOLD_CATEGORY in ds["fd_category"].values:
        return to_vector(ds["final_demand"].sel(fd_category=HOUSEHOLD_CATEGORY))
    raise DataError(
        f"{table.name}: the household-closed model needs household consumption; pass "
        f"household_consumption= or name a final-demand column {HOUSEHOLD_CATEGORY!r}"
    )


def _imported_consumption(table: IOTable) -> float:
    ds = table.dataset
    if "imported_final_demand" in ds and HOUSEHOLD_CATEGORY in ds["fd_category"].values:
        return float(ds["imported_final_demand"].sel(fd_category=HOUSEHOLD_CATEGORY).sum())
    return 0.0
