"""The local circuit: production -> household consumption, city budget, reinvestment -> production.

A one-off award to local firms becomes a circuit once three institutions of the region are
closed into the model: resident households (wages of residents, owners'
income), the city government (local taxes) and local reinvestment (locally owned surplus that
is reinvested). Each institution re-spends part of what it receives on local output; every
other use of money is a named leakage channel.

Accounts and coefficients
-------------------------
The endogenous accounts are the ``n`` local industries, ``households``, ``city`` and
``reinvestment``. Column ``j`` of the circuit matrix ``M`` (shape ``(n + 3, n + 3)``) is what
account ``j`` pays to each local account per unit it receives; column ``j`` of the leakage
matrix ``Λ`` (one row per channel) is what it pays out of the region. For an industry with
compensation ``w``, operating surplus ``s``, local inputs ``A_LL[:, j]`` (all per unit of output):

==========================  ==================================================================
paid to                     per unit of output
==========================  ==================================================================
local industries            ``A_LL[:, j]``
city                        ``w τ_w + s τ_s`` (local taxes, both collected at the workplace)
households                  ``w (1 - τ_w - ν_w) r + s (1 - τ_s - ν_s) o (1 - ρ)``
reinvestment                ``s (1 - τ_s - ν_s) o ρ``
imports_abroad              imported inputs
other_regions               inputs from other regions of the country
taxes_leaving_city          other inputs (taxes on products) ``+ w ν_w + s ν_s``
commuters                   ``w (1 - τ_w - ν_w) (1 - r)``
outside_owners              ``s (1 - τ_s - ν_s) (1 - o)``
==========================  ==================================================================

with ``r`` the resident share of wages, ``o`` the local ownership share, ``ρ`` the reinvestment
rate, ``τ`` local and ``ν`` national tax rates. A spending account (households with propensity
``c``, the city with re-spend share ``g``, reinvestment with 1) spends a unit as: product taxes
``t`` (leak ``taxes_leaving_city``), direct imports ``m`` (leak ``imports_abroad``), and domestic
purchases ``(1 - t - m) mix`` of which the ``local_share`` part buys local output and the rest
leaks (``household_spending_outside``, ``city_spending_outside``, ``investment_outside``).
Households save ``1 - c`` (``household_saving``); the city pays ``transfer_share`` to resident
households and leaves ``1 - g - transfer_share`` unspent (``city_budget_not_respent``).

By construction every column of ``[M; Λ]`` sums to 1, which gives the identities below.

Identities
----------
1. Closed form: ``x = (I - M)^-1 d`` for an injection ``d`` (local spending on the industry
   rows, income from outside on the household row). Since ``1'M + 1'Λ = 1'``,
   ``1'Λ x = 1'(I - M) x = 1'd``: **every won injected eventually leaks**, so per unit of
   injection the leakage channels of the closed form sum to exactly 1.
2. Rounds form: round 1 is ``d`` (the award), round ``k + 1`` is ``M`` times round ``k`` (the
   local re-spend of round ``k`` through every channel). The rounds are the terms of the
   Neumann series ``(I - M)^-1 = I + M + M^2 + ...``, so all rounds sum to the closed form.
3. Leakage account (first, production round): the award and its whole local supply chain
   ``y = (I - A_LL)^-1 d``, before any institution re-spends. Per unit of spending, local value
   added retained (resident wages, local owners' income and reinvestment, city taxes) plus
   the production leaks (imports abroad, other regions, taxes leaving the city, commuters,
   outside owners) sum to 1.

Worked example (one sector, by hand)
------------------------------------
Local inputs 0.2, imports 0.1, compensation 0.4, surplus 0.3 per unit of output; all wages go
to residents at rate ``r = 0.5``, no taxes, no local owners; households spend ``c = 0.8`` of their
income, half of it locally. Per unit of output, local re-spend is ``0.2`` (inputs) plus
``0.4 × 0.5 × 0.8 × 0.5 = 0.08`` (through households): ``k = 0.28``, and the geometric series
``1 + k + k^2 + ... = 1 / (1 - k) = 1.3889`` is the local output per unit of award, which the
closed form reproduces; household income is ``0.2 × 1.3889 = 0.2778``. Rounds: 1 (award),
0.4 (0.2 to local suppliers + 0.2 to resident wages), 0.16 (0.04 + 0.08 to firms, 0.04 to
households): LM3 = (1 + 0.4 + 0.16) / 1 = 1.56.

Dynamic hook: :attr:`Circuit.coefficients` and :attr:`Circuit.leakage_coefficients` are
public, labelled by account, so a time-path model can lag each column (channel) in months.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import xarray as xr

from .accounts import LeontiefStack, LeontiefSystem, column_product
from .errors import ConvergenceError, DataError
from .kernels.linalg import _bordered_rows, _lu_factor_stack
from .local_economy import LocalEconomy
from .tables import IOTable, demand_matrix

__all__ = [
    "SpendingPattern",
    "CircuitParameters",
    "CircuitArrays",
    "Circuit",
    "CircuitStack",
    "circuit_coefficients",
    "income_split",
    "wage_split",
    "surplus_rows",
    "SURPLUS_RECIPIENTS",
    "INSTITUTIONS",
    "LEAKAGE_CHANNELS",
    "GWANGMYEONG_DEFAULTS",
    "DEFAULT_LAGS",
]

#: Endogenous institutions closed into the model, after the ``n`` local industries.
INSTITUTIONS = ("households", "city", "reinvestment")

#: Where money leaves the local circuit.
LEAKAGE_CHANNELS = (
    "imports_abroad",
    "other_regions",
    "taxes_leaving_city",
    "commuters",
    "outside_owners",
    "household_saving",
    "household_spending_outside",
    "city_spending_outside",
    "city_budget_not_respent",
    "investment_outside",
)

#: Local value added retained in the production round, by recipient.
RETAINED_ITEMS = ("resident_wages", "local_owners_income", "local_reinvestment", "city_taxes")

#: Shipped Gwangmyeong-si defaults, each value commented with its source or reasoning.
GWANGMYEONG_DEFAULTS = Path(__file__).parent / "datasets" / "regions" / "gwangmyeong_circuit.toml"

#: Periods (months) before each account group re-spends what it receives, for time paths.
#: ASSUMPTIONS: firms pay suppliers and wages within a month; households spend their income
#: the next month; the city re-spends tax revenue in next year's budget; reinvestment is
#: executed over about half a year.
DEFAULT_LAGS = {"industries": 1, "households": 1, "city": 12, "reinvestment": 6}

#: Tolerated gap when a spending mix should sum to 1.
MIX_SUM_ATOL = 1e-9


def _check_share(name: str, value, sectors=()) -> None:
    """Raise DataError unless every entry of ``value`` is a finite fraction in [0, 1].

    For a sector-valued parameter the message names the first bad sector.
    """
    array = np.asarray(value, dtype=np.float64)
    bad = ~np.isfinite(array) | (array < 0.0) | (array > 1.0)
    if np.any(bad):
        index = int(np.flatnonzero(bad)[0])
        label = f"{name}[{sectors[index]}]" if array.ndim and len(sectors) == array.size else name
        raise DataError(f"circuit parameter {label} = {float(array.flat[index])!r} is not a share in [0, 1]")


def _row_sums(values: np.ndarray) -> np.ndarray:
    """Sums over the last axis in index order: a row's sum never depends on the other rows
    (``ndarray.sum`` changes its order with the shape and the memory layout)."""
    total = np.zeros(np.shape(values)[:-1])
    for j in range(np.shape(values)[-1]):
        total = total + values[..., j]
    return total


def _sector_array(name: str, value, n: int) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        array = np.full(n, float(array))
    if array.shape != (n,):
        raise DataError(f"circuit parameter {name} has shape {array.shape}; expected ({n},) or a single number")
    return array


@dataclass(frozen=True, eq=False)
class SpendingPattern:
    """How an institution spends one unit of money.

    In :class:`CircuitArrays` the same fields carry a leading axis of ``K`` parameter sets
    (``mix`` and ``local_share`` (K, n), the shares (K,)) and the methods return one row per set.

    Attributes
    ----------
    mix : ndarray, shape (n,)
        Domestic purchases by sector per unit of domestic purchases (sums to 1).
    local_share : ndarray, shape (n,)
        Share of each sector's purchases bought from local producers; the rest comes from
        other regions of the country.
    import_share : float
        Share of spending on direct imports (leak ``imports_abroad``).
    product_tax_share : float
        Share of spending (at purchasers' prices) that is taxes on products such as VAT
        (leak ``taxes_leaving_city``).
    """

    mix: np.ndarray
    local_share: np.ndarray
    import_share: float = 0.0
    product_tax_share: float = 0.0

    def domestic_share(self) -> float:
        """Share of spending on domestic output (money / money); ``(K,)`` for a stacked pattern."""
        return 1.0 - self.import_share - self.product_tax_share

    def local_purchases(self) -> np.ndarray:
        """Purchases of local output by sector per unit spent (money / money), shape (n,) or (K, n)."""
        return np.asarray(self.domestic_share())[..., None] * self.mix * self.local_share

    def outside_purchases(self) -> float:
        """Purchases from other regions of the country per unit spent (money / money); ``(K,)`` stacked."""
        total = self.domestic_share() * _row_sums(self.mix * (1.0 - self.local_share))
        return float(total) if np.ndim(total) == 0 else total

    def validated(self, name: str, sectors: tuple[str, ...]) -> SpendingPattern:
        """A copy with arrays, one entry per sector; DataError naming ``name.<field>`` otherwise."""
        mix = _sector_array(f"{name}.mix", self.mix, len(sectors))
        local_share = _sector_array(f"{name}.local_share", self.local_share, len(sectors))
        _check_share(f"{name}.mix", mix, sectors)
        _check_share(f"{name}.local_share", local_share, sectors)
        _check_share(f"{name}.import_share", self.import_share)
        _check_share(f"{name}.product_tax_share", self.product_tax_share)
        if abs(mix.sum() - 1.0) > MIX_SUM_ATOL:
            raise DataError(f"circuit parameter {name}.mix sums to {mix.sum():.10g}; it must sum to 1")
        if self.import_share + self.product_tax_share > 1.0:
            raise DataError(
                f"circuit parameters {name}.import_share + {name}.product_tax_share = "
                f"{self.import_share + self.product_tax_share:.6g} exceed 1"
            )
        return SpendingPattern(mix, local_share, float(self.import_share), float(self.product_tax_share))


@dataclass(frozen=True, eq=False)
class CircuitParameters:
    """Closures of a region's circuit: who receives income and how much is re-spent locally.

    All values are shares in [0, 1] (money / money). Sector-valued ones accept one number
    (every sector) or an array of length ``n``.

    Attributes
    ----------
    sectors : tuple of str
        Sector codes, in the order of the :class:`~simengine.local_economy.LocalEconomy`.
    resident_wage_share : ndarray (n,)
        Share of wages (after taxes) paid by local industries to residents; the rest goes to
        commuters living elsewhere (leak ``commuters``).
    local_income_tax_rate_on_wages : float
        Local income tax (and payroll-based local taxes) per unit of compensation, collected
        by the city of the workplace on all wages it pays, commuters' included.
    national_tax_rate_on_wages : float
        National income tax and social contributions per unit of compensation (leak).
    local_tax_rate_on_surplus : float
        Local taxes per unit of operating surplus returning to the city budget.
    national_tax_rate_on_surplus : float
        National taxes per unit of operating surplus (leak).
    local_ownership_share : ndarray (n,)
        Share of surplus after tax owned by residents; the rest leaks to outside owners.
    reinvestment_rate : ndarray (n,)
        Share of locally owned surplus reinvested (account ``reinvestment``); the rest is
        owners' income of resident households.
    consumption_propensity : float
        Share of household receipts spent on consumption; the rest is saved (leak).
    households, city, investment : SpendingPattern
        How households, the city's procurement and reinvestment spend a unit.
    city_respend_share : float
        Share of city revenue spent through procurement (``city`` pattern).
    city_transfer_share : float
        Share of city revenue paid to resident households as transfers. The rest,
        ``1 - city_respend_share - city_transfer_share``, is not re-spent (leak).
    source : str
        Where the values came from (file path or ``"arguments"``).
    """

    sectors: tuple[str, ...]
    resident_wage_share: np.ndarray
    local_income_tax_rate_on_wages: float
    national_tax_rate_on_wages: float
    local_tax_rate_on_surplus: float
    national_tax_rate_on_surplus: float
    local_ownership_share: np.ndarray
    reinvestment_rate: np.ndarray
    consumption_propensity: float
    households: SpendingPattern
    city: SpendingPattern
    investment: SpendingPattern
    city_respend_share: float
    city_transfer_share: float = 0.0
    source: str = "arguments"

    def __post_init__(self) -> None:
        n = len(self.sectors)
        object.__setattr__(self, "sectors", tuple(self.sectors))
        for name in ("resident_wage_share", "local_ownership_share", "reinvestment_rate"):
            array = _sector_array(name, getattr(self, name), n)
            _check_share(name, array, self.sectors)
            object.__setattr__(self, name, array)
        for name in (
            "local_income_tax_rate_on_wages",
            "national_tax_rate_on_wages",
            "local_tax_rate_on_surplus",
            "national_tax_rate_on_surplus",
            "consumption_propensity",
            "city_respend_share",
            "city_transfer_share",
        ):
            _check_share(name, getattr(self, name))
            object.__setattr__(self, name, float(getattr(self, name)))
        for name in ("households", "city", "investment"):
            object.__setattr__(self, name, getattr(self, name).validated(name, self.sectors))
        for first, second in (
            ("local_income_tax_rate_on_wages", "national_tax_rate_on_wages"),
            ("local_tax_rate_on_surplus", "national_tax_rate_on_surplus"),
            ("city_respend_share", "city_transfer_share"),
        ):
            total = getattr(self, first) + getattr(self, second)
            if total > 1.0:
                raise DataError(f"circuit parameters {first} + {second} = {total:.6g} exceed 1")

    @classmethod
    def from_toml(cls, path: str | os.PathLike, sectors, *, table: IOTable | None = None) -> CircuitParameters:
        """Read parameters from a TOML file (layout: the shipped Gwangmyeong file).

        Parameters
        ----------
        path : path-like
            The TOML file.
        sectors : sequence of str
            Sector codes of the economy the parameters are for.
        table : IOTable, optional
            Table whose final-demand columns give mixes written ``"final_demand:<category>"``.

        Raises
        ------
        DataError
            Unknown key or sector code (naming the file and key), missing key, bad value.
        """
        from .io import read_toml

        path = Path(path)
        document = read_toml(path, what="circuit parameter file")
        reader = _TomlReader(path, tuple(sectors), table)
        return reader.parameters(document)

    @classmethod
    def default_for(cls, sectors, *, table: IOTable | None = None) -> CircuitParameters:
        """The shipped Gwangmyeong-si defaults (``GWANGMYEONG_DEFAULTS``) for these sectors.

        Parameters
        ----------
        sectors : sequence of str
            Sector codes; the defaults are written for the korea-2014 codes (WIOD 2016).
        table : IOTable, optional
            Source of the national final-demand mixes; the shipped korea-2014 table if omitted.
        """
        if table is None:
            from .datasets import load_table
            from .procurement.vocabulary import DEFAULT_TABLE

            table = load_table(DEFAULT_TABLE)
        return cls.from_toml(GWANGMYEONG_DEFAULTS, sectors, table=table)


#: Scalar fields of :class:`CircuitParameters` (one number per parameter set).
_RATE_FIELDS = (
    "local_income_tax_rate_on_wages",
    "national_tax_rate_on_wages",
    "local_tax_rate_on_surplus",
    "national_tax_rate_on_surplus",
    "consumption_propensity",
    "city_respend_share",
    "city_transfer_share",
)
#: Per-sector fields of :class:`CircuitParameters`.
_SECTOR_FIELDS = ("resident_wage_share", "local_ownership_share", "reinvestment_rate")
#: Spending patterns of :class:`CircuitParameters` and their array fields.
_PATTERN_FIELDS = ("households", "city", "investment")
_PATTERN_ARRAYS = ("mix", "local_share", "import_share", "product_tax_share")


@dataclass(frozen=True, eq=False)
class CircuitArrays:
    """``K`` sets of circuit parameters of one economy as arrays with a leading set axis.

    The fields and their meaning are those of :class:`CircuitParameters`: per-sector shares
    (``resident_wage_share``, ``local_ownership_share``, ``reinvestment_rate``) have shape
    (K, n), rates shape (K,), and the spending patterns carry (K, n) ``mix`` and
    ``local_share`` and (K,) shares. Built from one :class:`CircuitParameters` by :meth:`of`
    and changed by a scenario's circuit settings
    (:func:`simengine.circuit_settings.settings_arrays`); no per-set object or validation, so
    thousands of sets cost a few array operations. :func:`circuit_coefficients` builds their
    circuits, :class:`CircuitStack` solves them.
    """

    resident_wage_share: np.ndarray
    local_income_tax_rate_on_wages: np.ndarray
    national_tax_rate_on_wages: np.ndarray
    local_tax_rate_on_surplus: np.ndarray
    national_tax_rate_on_surplus: np.ndarray
    local_ownership_share: np.ndarray
    reinvestment_rate: np.ndarray
    consumption_propensity: np.ndarray
    households: SpendingPattern
    city: SpendingPattern
    investment: SpendingPattern
    city_respend_share: np.ndarray
    city_transfer_share: np.ndarray

    @classmethod
    def of(cls, parameters: CircuitParameters, count: int = 1) -> CircuitArrays:
        """``count`` copies of ``parameters`` (read-only broadcasts, no copy of the data)."""

        def rows(value) -> np.ndarray:
            value = np.asarray(value, dtype=np.float64)
            return np.broadcast_to(value, (count, *value.shape))

        patterns = {
            name: SpendingPattern(*(rows(getattr(getattr(parameters, name), f)) for f in _PATTERN_ARRAYS))
            for name in _PATTERN_FIELDS
        }
        return cls(
            **{name: rows(getattr(parameters, name)) for name in (*_RATE_FIELDS, *_SECTOR_FIELDS)},
            **patterns,
        )

    @property
    def count(self) -> int:
        """Number of parameter sets ``K``."""
        return self.consumption_propensity.shape[0]

    def take(self, index) -> CircuitArrays:
        """The sets ``index`` (a slice or an integer array, e.g. each column's set) as their own arrays."""
        return CircuitArrays(**{f.name: _rows_of(getattr(self, f.name), index) for f in dataclasses.fields(self)})

    def member(self, k: int, like: CircuitParameters) -> CircuitParameters:
        """Set ``k`` as a validated :class:`CircuitParameters` (sectors and source from ``like``).

        Raises
        ------
        DataError
            The set's values are not admissible (the message of :class:`CircuitParameters`).
        """
        patterns = {
            name: SpendingPattern(
                *(np.array(getattr(getattr(self, name), f)[k]) for f in _PATTERN_ARRAYS[:2]),
                *(float(getattr(getattr(self, name), f)[k]) for f in _PATTERN_ARRAYS[2:]),
            )
            for name in _PATTERN_FIELDS
        }
        return CircuitParameters(
            sectors=like.sectors,
            **{name: np.array(getattr(self, name)[k]) for name in _SECTOR_FIELDS},
            **{name: float(getattr(self, name)[k]) for name in _RATE_FIELDS},
            **patterns,
            source=like.source,
        )

    def check(self, like: CircuitParameters) -> None:
        """Raise :class:`DataError` naming the first inadmissible set (:meth:`admissible`), with the
        reason :class:`CircuitParameters` gives."""
        good = self.admissible()
        if good.all():
            return
        k = int(np.flatnonzero(~good)[0])
        try:
            self.member(k, like)
        except DataError as exc:
            if self.count == 1:
                raise
            raise DataError(f"circuit parameter set {k} of {self.count}: {exc}") from None
        raise DataError(f"circuit parameter set {k} of {self.count} is not admissible")  # pragma: no cover

    def admissible(self) -> np.ndarray:
        """Which sets :class:`CircuitParameters` accepts, ``(K,)`` bool: shares in [0, 1], tax rates,
        city shares and spending patterns' outside shares summing to at most 1, mixes summing to 1."""
        arrays = [getattr(self, name) for name in (*_RATE_FIELDS, *_SECTOR_FIELDS)]
        arrays += [getattr(getattr(self, p), f) for p in _PATTERN_FIELDS for f in _PATTERN_ARRAYS]
        good = np.ones(self.count, dtype=bool)
        for values in arrays:
            # a field every set shares (a broadcast of the region's value) is checked once
            rows = values[:1] if values.strides[0] == 0 else values
            inside = np.isfinite(rows) & (rows >= 0.0) & (rows <= 1.0)
            good &= inside.reshape(len(rows), -1).all(axis=1)
        for first, second in (
            ("local_income_tax_rate_on_wages", "national_tax_rate_on_wages"),
            ("local_tax_rate_on_surplus", "national_tax_rate_on_surplus"),
            ("city_respend_share", "city_transfer_share"),
        ):
            good &= getattr(self, first) + getattr(self, second) <= 1.0
        for name in _PATTERN_FIELDS:
            pattern = getattr(self, name)
            good &= pattern.import_share + pattern.product_tax_share <= 1.0
            good &= np.abs(_row_sums(pattern.mix) - 1.0) <= MIX_SUM_ATOL
        return good


def wage_split(p: CircuitArrays) -> dict[str, np.ndarray]:
    """Where a unit of an industry's compensation goes, by recipient, (K, n) per recipient.

    ``resident_wages`` (after taxes, to residents), ``commuters`` (after taxes, to workers living
    elsewhere), ``city_taxes`` (local income tax at the workplace) and ``taxes_leaving_city``
    (national taxes and contributions); they sum to 1.
    """
    net = (1.0 - p.local_income_tax_rate_on_wages - p.national_tax_rate_on_wages)[:, None]
    shape = p.resident_wage_share.shape
    return {
        "resident_wages": net * p.resident_wage_share,
        "commuters": net * (1.0 - p.resident_wage_share),
        "city_taxes": np.broadcast_to(p.local_income_tax_rate_on_wages[:, None], shape),
        "taxes_leaving_city": np.broadcast_to(p.national_tax_rate_on_wages[:, None], shape),
    }


#: Recipients of money paid to an industry's operating surplus, in the order of :func:`surplus_rows`.
SURPLUS_RECIPIENTS = ("households", "city", "reinvestment", "outside_owners", "taxes_leaving_city")


def surplus_rows(p: CircuitArrays) -> np.ndarray:
    """Where a unit of an industry's operating surplus goes, (K, 5, n), rows :data:`SURPLUS_RECIPIENTS`.

    After local (``city``) and national (``taxes_leaving_city``) taxes, the locally owned share
    goes to resident owners (``households``, ``1 - reinvestment_rate``) or is reinvested
    (``reinvestment``); the rest goes to ``outside_owners``. The rows sum to 1.
    """
    net = (1.0 - p.local_tax_rate_on_surplus - p.national_tax_rate_on_surplus)[:, None]
    local = net * p.local_ownership_share
    shape = local.shape
    return np.stack(
        [
            local * (1.0 - p.reinvestment_rate),
            np.broadcast_to(p.local_tax_rate_on_surplus[:, None], shape),
            local * p.reinvestment_rate,
            net * (1.0 - p.local_ownership_share),
            np.broadcast_to(p.national_tax_rate_on_surplus[:, None], shape),
        ],
        axis=1,
    )


def income_split(economy: LocalEconomy, p: CircuitArrays) -> dict[str, np.ndarray]:
    """Where each industry's value added and other payments go per unit of output, (K, n) per recipient.

    Keys: :data:`RETAINED_ITEMS` and the production leakage channels (``commuters``,
    ``outside_owners``, ``taxes_leaving_city``, ``imports_abroad``, ``other_regions``); with
    the local inputs they sum to 1 in every column.
    """
    e = economy
    wages, surplus = wage_split(p), surplus_rows(p)
    w, s = e.compensation, e.operating_surplus
    return {
        "resident_wages": w * wages["resident_wages"],
        "local_owners_income": s * surplus[:, 0],
        "local_reinvestment": s * surplus[:, 2],
        "city_taxes": w * wages["city_taxes"] + s * surplus[:, 1],
        "commuters": w * wages["commuters"],
        "outside_owners": s * surplus[:, 3],
        "taxes_leaving_city": e.other_inputs + w * wages["taxes_leaving_city"] + s * surplus[:, 4],
        "imports_abroad": np.broadcast_to(e.imported_inputs, surplus[:, 0].shape),
        "other_regions": np.broadcast_to(e.other_region_inputs, surplus[:, 0].shape),
    }


def circuit_coefficients(economy: LocalEconomy, p: CircuitArrays) -> tuple[np.ndarray, np.ndarray]:
    """The closed-circuit matrices ``M`` and leakage matrices ``Λ`` of ``K`` parameter sets.

    Parameters
    ----------
    economy : LocalEconomy
        Per-unit accounts of the region's ``n`` industries.
    p : CircuitArrays
        ``K`` parameter sets for ``economy.sectors``.

    Returns
    -------
    matrix : ndarray (K, n + 3, n + 3)
        Payments to each local account (industries, then :data:`INSTITUTIONS`) per unit
        received by each account (the table of the module docstring).
    leakage : ndarray (K, len(LEAKAGE_CHANNELS), n + 3)
        Payments out of the region per unit received, by channel. ``matrix[k].sum(0) +
        leakage[k].sum(0) == 1`` to rounding.
    """
    n, count = len(economy.sectors), p.count
    households, city, reinvestment = n, n + 1, n + 2
    split = income_split(economy, p)
    matrix = np.zeros((count, n + 3, n + 3))
    matrix[:, :n, :n] = economy.local_inputs
    matrix[:, n:, :n], matrix[:, :n, n:], matrix[:, n:, n:] = _border(split, p)

    leakage = np.zeros((count, len(LEAKAGE_CHANNELS), n + 3))
    row = {name: i for i, name in enumerate(LEAKAGE_CHANNELS)}
    for name in ("imports_abroad", "other_regions", "taxes_leaving_city", "commuters", "outside_owners"):
        leakage[:, row[name], :n] = split[name]
    spenders = (
        (households, p.consumption_propensity, p.households, "household_spending_outside"),
        (city, p.city_respend_share, p.city, "city_spending_outside"),
        (reinvestment, 1.0, p.investment, "investment_outside"),
    )
    for account, scale, pattern, outside in spenders:
        leakage[:, row["imports_abroad"], account] = scale * pattern.import_share
        leakage[:, row["taxes_leaving_city"], account] = scale * pattern.product_tax_share
        leakage[:, row[outside], account] = scale * pattern.outside_purchases()
    leakage[:, row["household_saving"], households] = 1.0 - p.consumption_propensity
    leakage[:, row["city_budget_not_respent"], city] = 1.0 - p.city_respend_share - p.city_transfer_share
    return matrix, leakage


def _border(split: dict[str, np.ndarray], p: CircuitArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The institutions' rows ``(K, 3, n)``, columns ``(K, n, 3)`` and corner ``(K, 3, 3)`` of the
    closed-circuit matrices (:func:`circuit_coefficients`), from the income split of ``p``."""
    count, n = split["resident_wages"].shape
    rows = np.stack([split["resident_wages"] + split["local_owners_income"], split["city_taxes"]], axis=1)
    rows = np.concatenate([rows, split["local_reinvestment"][:, None]], axis=1)
    columns = np.empty((count, n, 3))
    columns[:, :, 0] = p.consumption_propensity[:, None] * p.households.local_purchases()
    columns[:, :, 1] = p.city_respend_share[:, None] * p.city.local_purchases()
    columns[:, :, 2] = p.investment.local_purchases()
    corner = np.zeros((count, 3, 3))
    corner[:, 0, 1] = p.city_transfer_share
    return rows, columns, corner


#: Keys of the TOML layout: section -> {key: kind}; kinds: share, sectors (sector-valued), mix.
_TOML_SCHEMA = {
    "": {"schema_version": "int", "region": "str"},
    "wages": {"resident_share": "sectors", "local_income_tax_rate": "share", "national_tax_rate": "share"},
    "surplus": {
        "local_tax_rate": "share",
        "national_tax_rate": "share",
        "local_ownership_share": "sectors",
        "reinvestment_rate": "sectors",
    },
    "households": {
        "consumption_propensity": "share",
        "product_tax_share": "share",
        "import_share": "share",
        "mix": "mix",
        "local_share": "sectors",
    },
    "city": {
        "respend_share": "share",
        "transfer_share": "share",
        "product_tax_share": "share",
        "import_share": "share",
        "mix": "mix",
        "local_share": "sectors",
    },
    "reinvestment": {"product_tax_share": "share", "import_share": "share", "mix": "mix", "local_share": "sectors"},
}
_OPTIONAL_KEYS = {("", "schema_version"), ("", "region"), ("city", "transfer_share")}


class _TomlReader:
    """Turns a parsed circuit TOML document into :class:`CircuitParameters`."""

    def __init__(self, path: Path, sectors: tuple[str, ...], table: IOTable | None):
        self.path, self.sectors, self.table = path, sectors, table

    def _error(self, key: str, message: str) -> DataError:
        return DataError(f"{self.path}: key {key!r}: {message}")

    def _unknown(self, key: str, valid) -> DataError:
        hint = difflib.get_close_matches(key.rsplit(".", 1)[-1], list(valid), n=1)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
        return self._error(key, f"unknown key (valid: {', '.join(valid)}){suggestion}")

    def parameters(self, document: dict) -> CircuitParameters:
        values: dict[tuple[str, str], object] = {}
        for section, content in document.items():
            if section in _TOML_SCHEMA[""]:
                values["", section] = content
                continue
            if section not in _TOML_SCHEMA or section == "":
                raise self._unknown(section, [*_TOML_SCHEMA[""], *(s for s in _TOML_SCHEMA if s)])
            if not isinstance(content, dict):
                raise self._error(section, "must be a table [" + section + "]")
            for key, value in content.items():
                if key not in _TOML_SCHEMA[section]:
                    raise self._unknown(f"{section}.{key}", list(_TOML_SCHEMA[section]))
                values[section, key] = self._convert(f"{section}.{key}", _TOML_SCHEMA[section][key], value)
        missing = [
            f"{s}.{k}"
            for s, keys in _TOML_SCHEMA.items()
            for k in keys
            if s and (s, k) not in values and (s, k) not in _OPTIONAL_KEYS
        ]
        if missing:
            raise DataError(f"{self.path}: missing key(s) {', '.join(missing)}")

        def pattern(section: str) -> SpendingPattern:
            return SpendingPattern(
                mix=values[section, "mix"],
                local_share=values[section, "local_share"],
                import_share=values[section, "import_share"],
                product_tax_share=values[section, "product_tax_share"],
            )

        try:
            return CircuitParameters(
                sectors=self.sectors,
                resident_wage_share=values["wages", "resident_share"],
                local_income_tax_rate_on_wages=values["wages", "local_income_tax_rate"],
                national_tax_rate_on_wages=values["wages", "national_tax_rate"],
                local_tax_rate_on_surplus=values["surplus", "local_tax_rate"],
                national_tax_rate_on_surplus=values["surplus", "national_tax_rate"],
                local_ownership_share=values["surplus", "local_ownership_share"],
                reinvestment_rate=values["surplus", "reinvestment_rate"],
                consumption_propensity=values["households", "consumption_propensity"],
                households=pattern("households"),
                city=pattern("city"),
                investment=pattern("reinvestment"),
                city_respend_share=values["city", "respend_share"],
                city_transfer_share=values.get(("city", "transfer_share"), 0.0),
                source=str(self.path),
            )
        except DataError as exc:
            raise DataError(f"{self.path}: {exc}") from None

    def _number(self, key: str, value) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._error(key, f"expected a number, got {value!r}")
        return float(value)

    def _by_sector(self, key: str, value: dict) -> dict[str, float]:
        unknown = [code for code in value if code not in self.sectors and code != "default"]
        if unknown:
            raise self._error(key, f"unknown sector {unknown[0]!r} (valid sectors: {', '.join(self.sectors)})")
        return {code: self._number(f"{key}.{code}", v) for code, v in value.items()}

    def _convert(self, key: str, kind: str, value):
        if kind in ("int", "str"):
            return value
        if kind == "share":
            return self._number(key, value)
        if kind == "sectors":
            if not isinstance(value, dict):
                return self._number(key, value)
            entries = self._by_sector(key, value)
            if "default" not in entries and set(entries) != set(self.sectors):
                raise self._error(key, "give 'default' or a value for every sector")
            return np.array([entries.get(code, entries.get("default")) for code in self.sectors])
        if isinstance(value, dict):
            weights = self._by_sector(key, value)
            if "default" in weights:
                raise self._error(key, "a mix takes weights by sector, not 'default'")
            mix = np.array([weights.get(code, 0.0) for code in self.sectors])
        elif value == "uniform":
            mix = np.ones(len(self.sectors))
        elif isinstance(value, str) and value.startswith("final_demand:"):
            mix = self._final_demand_mix(key, value.removeprefix("final_demand:"))
        else:
            raise self._error(key, f"expected weights by sector, 'uniform' or 'final_demand:<category>', got {value!r}")
        if np.any(mix < 0) or mix.sum() <= 0:
            raise self._error(key, "weights must be non-negative with a positive sum")
        return mix / mix.sum()

    def _final_demand_mix(self, key: str, category: str) -> np.ndarray:
        if self.table is None:
            raise self._error(key, f"mix 'final_demand:{category}' needs a table; pass table=")
        final_demand = self.table.dataset["final_demand"]
        categories = [str(c) for c in final_demand["fd_category"].values]
        if category not in categories:
            raise self._error(
                key,
                f"table {self.table.name} has no final-demand column {category!r} (columns: {', '.join(categories)})",
            )
        missing = [code for code in self.sectors if code not in self.table.sectors]
        if missing:
            raise self._error(key, f"table {self.table.name} has no sector {missing[0]!r}; give the mix as weights")
        return final_demand.sel(fd_category=category).sel(sector=list(self.sectors)).values.astype(np.float64)


class Circuit:
    """The local circuit of a region, closed (solved once) and in rounds.

    Parameters
    ----------
    economy : LocalEconomy
        Per-unit accounts of the region's industries.
    parameters : CircuitParameters
        Closures; their sectors must equal the economy's.

    Notes
    -----
    See the module docstring for the accounts, the identities and a worked example. The
    coefficients are those of :func:`circuit_coefficients` for one parameter set; ``I - M`` is
    LU-factorised once by the kernel of :class:`~simengine.accounts.LeontiefStack` (a stack of
    one, so a circuit solved alone and a member of a :class:`CircuitStack` give the same bits)
    and every spending vector is solved as a column of one right-hand-side matrix.
    """

    def __init__(self, economy: LocalEconomy, parameters: CircuitParameters):
        if tuple(economy.sectors) != parameters.sectors:
            raise DataError(
                "circuit parameters and local economy have different sectors "
                f"({len(parameters.sectors)} vs {len(economy.sectors)}); build the parameters for economy.sectors"
            )
        self.economy, self.parameters = economy, parameters
        self.accounts = (*economy.sectors, *INSTITUTIONS)
        arrays = CircuitArrays.of(parameters)
        matrices, leakages = circuit_coefficients(economy, arrays)
        self._matrix, self._leakage = matrices[0], leakages[0]
        self._surplus_rows = surplus_rows(arrays)[0]
        self._system = LeontiefStack(matrices).member(0)
        self._headline: xr.DataArray | None = None

    @cached_property
    def coefficients(self) -> xr.DataArray:
        """``M``: payments to each local account per unit received by each account (``account_to x account_from``)."""
        return xr.DataArray(
            self._matrix,
            dims=("account_to", "account_from"),
            coords={"account_to": list(self.accounts), "account_from": list(self.accounts)},
            name="circuit_coefficients",
            attrs={"units": "1", "long_name": "payments to local accounts per unit received (M)"},
        )

    @cached_property
    def leakage_coefficients(self) -> xr.DataArray:
        """``Λ``: payments out of the region per unit received, by channel (``channel x account_from``)."""
        return xr.DataArray(
            self._leakage,
            dims=("channel", "account_from"),
            coords={"channel": list(LEAKAGE_CHANNELS), "account_from": list(self.accounts)},
            name="leakage_coefficients",
            attrs={"units": "1", "long_name": "payments out of the region per unit received"},
        )

    # ------------------------------------------------------------------ construction
    def _income_split(self) -> dict[str, np.ndarray]:
        """Where each industry's value added goes, per unit of output, by recipient (:func:`income_split`)."""
        return {k: v[0] for k, v in income_split(self.economy, CircuitArrays.of(self.parameters)).items()}

    # ------------------------------------------------------------------ helpers
    def _injection(self, local_spending, income_from_outside, receipts=None) -> tuple[np.ndarray, str, object]:
        spending, extra_dim, extra_coord = demand_matrix(local_spending, self.economy.sectors)
        injection = np.vstack([spending, np.zeros((len(INSTITUTIONS), spending.shape[1]))])
        injection[len(self.economy.sectors)] += np.broadcast_to(
            np.asarray(income_from_outside, dtype=np.float64), spending.shape[1]
        )
        if receipts is not None:
            injection[len(self.economy.sectors) :] += np.asarray(receipts, dtype=np.float64).reshape(
                len(INSTITUTIONS), -1
            )
        return injection, extra_dim, extra_coord

    def surplus_transfer(self, transfer: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Where money paid to local industries' operating surplus goes in its first round.

        A price premium paid to a local firm buys no inputs or labour: it is surplus. Local
        taxes on surplus go to the city; national taxes leave; the locally owned share after
        tax goes to resident owners (``1 - reinvestment_rate``) or is reinvested; the rest
        goes to outside owners.

        Parameters
        ----------
        transfer : ndarray (n, k)
            Money paid to each local industry's surplus (economy unit), per column.

        Returns
        -------
        receipts : ndarray (3, k)
            Receipts of households, the city and reinvestment (:data:`INSTITUTIONS`), to pass
            as ``receipts`` to :meth:`impact` or :meth:`time_path`.
        leakage : dict
            First-round leakage (k,) by circuit channel: ``outside_owners``, ``taxes_leaving_city``.
        """
        flows = column_product(self._surplus_rows, np.asarray(transfer, dtype=np.float64))
        receipts = flows[: len(INSTITUTIONS)]
        leakage = {name: flows[SURPLUS_RECIPIENTS.index(name)] for name in ("outside_owners", "taxes_leaving_city")}
        return receipts, leakage

    def _dataset(self, variables: dict, extra_dim: str, extra_coord, attrs: dict) -> xr.Dataset:
        coords = {"sector": list(self.economy.sectors), extra_dim: extra_coord}
        ds = xr.Dataset(coords=coords, attrs={"unit": self.economy.unit, "parameters": self.parameters.source, **attrs})
        for name, (dims, values, units, long_name) in variables.items():
            ds[name] = ((*dims, extra_dim), values, {"units": units, "long_name": long_name})
        if extra_dim == "_vector":
            ds = ds.squeeze("_vector", drop=True)
        return ds

    # ------------------------------------------------------------------ closed form
    def impact(self, local_spending, *, income_from_outside=0.0, receipts=None) -> xr.Dataset:
        """Effects of spending on local output, with every circuit closed (solved once).

        Parameters
        ----------
        local_spending : array_like (n,) or (n, k), mapping, or DataArray
            Money spent on LOCAL output by sector (e.g. procurement awarded to local firms),
            in the economy's monetary unit. Several vectors are solved at once.
        income_from_outside : float or array_like (k,)
            Disposable income residents earn outside the region (money), an exogenous
            receipt of the households account: it is re-spent like any household income.
            Wage taxes on it are paid at the workplace, outside the city.
        receipts : array_like (3, k), optional
            Money received directly by households, the city and reinvestment (e.g. from
            :meth:`surplus_transfer`), re-spent like their other receipts.

        Returns
        -------
        xarray.Dataset
            ``output``, ``value_added``, ``employment`` (persons) by sector; ``compensation``
            by ``residence`` (resident, non_resident) and sector; ``household_income``,
            ``city_tax_revenue``, ``reinvestment`` (money); ``leakage`` by channel (money);
            ``injection`` (money). Identity: ``leakage.sum("channel") == injection``.
        """
        injection, extra_dim, extra_coord = self._injection(local_spending, income_from_outside, receipts)
        totals = self._system.solve(injection)
        return self._accounts_dataset(totals, injection, extra_dim, extra_coord, {"form": "closed"})

    def account_arrays(
        self, local_spending: np.ndarray, receipts=None, *, non_resident: bool = True
    ) -> dict[str, np.ndarray]:
        """The closed-form accounts of :meth:`impact` as plain arrays, columns last (no Dataset).

        ``local_spending`` is ``(n, k)`` money by sector; ``receipts`` as in :meth:`impact`.
        Returns ``output``, ``value_added``, ``compensation`` (``(2, n, k)``: resident,
        non-resident; ``(1, n, k)``, resident only, with ``non_resident=False``), ``employment``,
        ``household_income``, ``city_tax_revenue``, ``reinvestment``, ``leakage`` (by circuit
        channel) and ``injection``, all money except ``employment`` (persons).
        """
        injection, _, _ = self._injection(local_spending, 0.0, receipts)
        return self._account_arrays(self._system.solve(injection), injection, non_resident=non_resident)

    def _account_arrays(
        self, totals: np.ndarray, injection: np.ndarray, *, non_resident: bool = True
    ) -> dict[str, np.ndarray]:
        n, e, p = len(self.economy.sectors), self.economy, self.parameters
        output = totals[:n]
        wages = e.compensation[:, None] * output
        resident = wages * p.resident_wage_share[:, None]
        return {
            "output": output,
            "value_added": (e.compensation + e.operating_surplus)[:, None] * output,
            "compensation": (
                np.stack([resident, wages * (1.0 - p.resident_wage_share[:, None])]) if non_resident else resident[None]
            ),
            "employment": e.employment[:, None] * output,
            "household_income": totals[n],
            "city_tax_revenue": totals[n + 1],
            "reinvestment": totals[n + 2],
            "leakage": column_product(self._leakage, totals),
            "injection": injection.sum(axis=0),
        }

    def _accounts_dataset(self, totals, injection, extra_dim, extra_coord, attrs) -> xr.Dataset:
        """Labelled accounts from receipts ``totals`` (accounts x k) and ``injection``."""
        unit = self.economy.unit
        a = self._account_arrays(totals, injection)
        variables = {
            "output": (("sector",), a["output"], unit, "local gross output"),
            "value_added": (("sector",), a["value_added"], unit, "local value added"),
            "compensation": (
                ("residence", "sector"),
                a["compensation"],
                unit,
                "compensation paid by local industries, by residence of the worker",
            ),
            "employment": (("sector",), a["employment"], "persons", "local employment (workplace basis)"),
            "household_income": ((), a["household_income"], unit, "receipts of resident households"),
            "city_tax_revenue": ((), a["city_tax_revenue"], unit, "local taxes received by the city budget"),
            "reinvestment": ((), a["reinvestment"], unit, "locally owned surplus reinvested"),
            "leakage": (("channel",), a["leakage"], unit, "money leaving the circuit, by channel"),
            "injection": ((), a["injection"], unit, "local spending plus income from outside"),
        }
        ds = self._dataset(variables, extra_dim, extra_coord, attrs)
        return ds.assign_coords(residence=["resident", "non_resident"], channel=list(LEAKAGE_CHANNELS))

    @property
    def headline_multipliers(self) -> xr.DataArray:
        """Headline effects per unit of local spending by sector, from the closed circuit.

        Rows (``indicator``): local ``output``, ``value_added``, ``resident_compensation``,
        ``employment`` (persons per monetary unit), ``household_income``,
        ``city_tax_revenue``, ``reinvestment`` and ``leakage:<channel>`` for every channel;
        columns: the sector receiving the spending. One transposed solve on the circuit's
        factorisation with one right-hand side per indicator (cached).
        """
        if self._headline is None:
            n, e, p = len(self.economy.sectors), self.economy, self.parameters
            rows = np.zeros((7 + len(LEAKAGE_CHANNELS), len(self.accounts)))
            rows[0, :n] = 1.0
            rows[1, :n] = e.compensation + e.operating_surplus
            rows[2, :n] = e.compensation * p.resident_wage_share
            rows[3, :n] = e.employment
            rows[4:7, n:] = np.eye(len(INSTITUTIONS))
            rows[7:] = self._leakage
            weights = self._system.solve_transposed(rows.T).T[:, :n]
            names = [
                "output",
                "value_added",
                "resident_compensation",
                "employment",
                *(f"{name}" for name in ("household_income", "city_tax_revenue", "reinvestment")),
                *(f"leakage:{c}" for c in LEAKAGE_CHANNELS),
            ]
            self._headline = xr.DataArray(
                weights,
                dims=("indicator", "sector"),
                coords={"indicator": names, "sector": list(self.economy.sectors)},
                name="headline_multipliers",
                attrs={"units": "per unit of local spending", "long_name": "closed-circuit headline multipliers"},
            )
        return self._headline

    def headline(self, local_spending) -> xr.DataArray:
        """Headline totals of many spending vectors at once: multiplier rows times the demand matrix.

        Parameters
        ----------
        local_spending : array_like (n,) or (n, k), mapping, or DataArray
            As in :meth:`impact`.

        Returns
        -------
        xarray.DataArray, dims (indicator[, extra])
            The totals over sectors of :meth:`impact` (money; persons for employment):
            the same numbers, to rounding, from one small matrix product instead of the
            per-sector accounts. For thousands of spending vectors this is the fast path.
        """
        spending, extra_dim, extra_coord = demand_matrix(local_spending, self.economy.sectors)
        totals = column_product(self.headline_multipliers.values, spending)
        result = xr.DataArray(
            totals,
            dims=("indicator", extra_dim),
            coords={"indicator": self.headline_multipliers["indicator"], extra_dim: extra_coord},
            name="headline",
            attrs={"units": self.economy.unit, "long_name": "closed-circuit headline totals"},
        )
        return result.squeeze("_vector", drop=True) if extra_dim == "_vector" else result

    def time_path(self, local_spending, *, lags: dict[str, int] | None = None, receipts=None) -> xr.Dataset:
        """The circuit over time: each group of accounts re-spends what it receives after a lag.

        Parameters
        ----------
        local_spending : array_like, shape (n, T)
            Money spent on local output by sector in each period (e.g. month).
        lags : dict, optional
            Periods before each account group re-spends its receipts, overriding
            :data:`DEFAULT_LAGS`: ``industries`` (paying suppliers and wages), ``households``,
            ``city`` (the next budget) and ``reinvestment``. Each lag is at least 1.
        receipts : array_like (3, T), optional
            Money received directly by households, the city and reinvestment in each period.

        Returns
        -------
        xarray.Dataset
            The variables of :meth:`impact` with a ``period`` dimension, plus
            ``in_transit``: money received but not yet re-spent or leaked at the end of each
            period.

        Notes
        -----
        Receipts ``R_t = s_t + sum_g M[:, g] R_{t - lag_g}[g]`` (``g`` the account groups,
        ``s`` the spending); leakage leaves when money is received. Summed over an unbounded
        horizon ``R`` equals the closed form, and under constant spending ``R_t`` tends to
        the closed form of one period's spending. Money is conserved each period: cumulative
        spending = cumulative leakage + ``in_transit``.
        """
        spending = np.asarray(local_spending, dtype=np.float64)
        n = len(self.economy.sectors)
        if spending.ndim != 2 or spending.shape[0] != n:
            raise DataError(f"time-path spending has shape {spending.shape}; expected ({n}, periods)")
        lags = {**DEFAULT_LAGS, **(lags or {})}
        unknown = set(lags) - set(DEFAULT_LAGS)
        if unknown or any(int(v) != v or v < 1 for v in lags.values()):
            raise DataError(f"lags must be whole periods >= 1 for {sorted(DEFAULT_LAGS)}, got {lags}")
        groups = [
            (np.arange(n), int(lags["industries"])),
            (np.array([n]), int(lags["households"])),
            (np.array([n + 1]), int(lags["city"])),
            (np.array([n + 2]), int(lags["reinvestment"])),
        ]
        matrix = self._matrix
        periods = spending.shape[1]
        injection = np.vstack([spending, np.zeros((len(INSTITUTIONS), periods))])
        if receipts is not None:
            injection[n:] += np.asarray(receipts, dtype=np.float64).reshape(len(INSTITUTIONS), periods)
        received = injection.copy()
        for t in range(periods):
            for columns, lag in groups:
                if t >= lag:
                    received[:, t] += column_product(matrix[:, columns], received[columns, t - lag])
        ds = self._accounts_dataset(received, injection, "period", np.arange(periods), {"form": "time_path"})
        ds["in_transit"] = (
            ("period",),
            np.cumsum(injection.sum(axis=0)) - np.cumsum(ds["leakage"].sum("channel").values),
            {"units": self.economy.unit, "long_name": "money received but not yet re-spent or leaked"},
        )
        return ds

    def leakage_account(self, local_spending) -> xr.Dataset:
        """Where each unit of spending goes in its production round (the leakage account).

        The award and its whole local supply chain, ``y = (I - A_LL)^-1 d``, before any
        household, owner or the city re-spends. Identity, per unit of spending:
        ``retained.sum() + leakage.sum() == 1``.

        Returns
        -------
        xarray.Dataset
            ``retained`` by ``item`` (resident wages, local owners' income, local
            reinvestment, city taxes) and ``leakage`` by ``channel`` (imports abroad, other
            regions, taxes leaving the city, commuters, outside owners): shares per unit of
            spending (units 1). ``spending`` (money).
        """
        spending, extra_dim, extra_coord = demand_matrix(local_spending, self.economy.sectors)
        total = spending.sum(axis=0)
        if np.any(total <= 0):
            raise DataError("the leakage account needs a positive total of local spending")
        chain_output = self._production_system.solve(spending) / total
        split = self._income_split()
        channels = ("imports_abroad", "other_regions", "taxes_leaving_city", "commuters", "outside_owners")
        variables = {
            "retained": (
                ("item",),
                np.stack([split[k] @ chain_output for k in RETAINED_ITEMS]),
                "1",
                "local value added retained per unit of spending",
            ),
            "leakage": (
                ("channel",),
                np.stack([split[k] @ chain_output for k in channels]),
                "1",
                "production-round leakage per unit of spending",
            ),
            "spending": ((), total, self.economy.unit, "local spending"),
        }
        ds = self._dataset(variables, extra_dim, extra_coord, {"form": "production round"})
        return ds.assign_coords(item=list(RETAINED_ITEMS), channel=list(channels))

    @cached_property
    def _production_system(self) -> LeontiefSystem:
        """The open local model ``I - A_LL``, factorised on first use."""
        return LeontiefSystem(self.economy.local_inputs)

    # ------------------------------------------------------------------ rounds form
    def rounds(
        self, local_spending, n_rounds: int | None = None, *, tolerance: float = 1e-12, max_rounds: int = 100_000
    ) -> xr.Dataset:
        """The circuit round by round: round 1 is the award, round ``k + 1 = M`` round ``k``.

        Parameters
        ----------
        local_spending : array_like, mapping, or DataArray
            As in :meth:`impact`.
        n_rounds : int, optional
            Number of rounds; by default, rounds continue until a round's receipts fall
            below ``tolerance`` times the first round's (the sum then equals the closed form).
        tolerance : float
            Relative size of the last round when ``n_rounds`` is omitted.
        max_rounds : int
            Raise :class:`ConvergenceError` beyond this many rounds.

        Returns
        -------
        xarray.Dataset
            By ``round`` (1, 2, ...): ``receipts`` by ``account_group`` (local_output,
            households, city, reinvestment), ``total`` (all local receipts) and ``leakage``
            by channel, all in money.
        """
        if n_rounds is not None and n_rounds < 1:
            raise DataError(f"n_rounds must be at least 1, got {n_rounds}")
        current, extra_dim, extra_coord = self._injection(local_spending, 0.0)
        matrix, leakage = self._matrix, self._leakage
        n = len(self.economy.sectors)
        first_size = np.abs(current).sum(axis=0)
        receipts, leaks = [], []
        while True:
            # column_product, not .sum(axis=0): numpy sums one column pairwise but several row by row
            receipts.append(np.vstack([column_product(np.ones((1, n)), current[:n]), current[n:]]))
            leaks.append(column_product(leakage, current))
            if n_rounds is not None and len(receipts) == n_rounds:
                break
            if n_rounds is None and np.all(np.abs(current).sum(axis=0) <= tolerance * first_size):
                break
            if len(receipts) >= max_rounds:
                raise ConvergenceError(
                    f"the circuit rounds did not fall below {tolerance} of round 1 within {max_rounds} rounds; "
                    "raise max_rounds or give n_rounds"
                )
            current = column_product(matrix, current)
        receipts_array = np.stack(receipts)
        unit = self.economy.unit
        variables = {
            "receipts": (
                ("round", "account_group"),
                receipts_array,
                unit,
                "money received by local accounts in the round",
            ),
            "total": (("round",), receipts_array.sum(axis=1), unit, "money received locally in the round"),
            "leakage": (("round", "channel"), np.stack(leaks), unit, "money leaving the circuit in the round"),
        }
        ds = self._dataset(variables, extra_dim, extra_coord, {"form": "rounds"})
        return ds.assign_coords(
            round=np.arange(1, len(receipts) + 1),
            account_group=["local_output", *INSTITUTIONS],
            channel=list(LEAKAGE_CHANNELS),
        )

    def lm3(self, local_spending):
        """Local Multiplier 3 (New Economics Foundation): (round 1 + round 2 + round 3) / round 1.

        Round 1 is the initial spend (the award to local firms); round 2 what they spend
        locally (local suppliers, wages to resident employees, local taxes, locally owned
        profit); round 3 what suppliers, residents, the city and owners re-spend locally
        (Sacks 2002, *The Money Trail*, NEF). Lies between 1 and 3.

        Returns
        -------
        float, or xarray.DataArray for several spending vectors
        """
        total = self.rounds(local_spending, 3)["total"]
        ratio = total.sum("round") / total.sel(round=1)
        return float(ratio) if ratio.ndim == 0 else ratio.rename("lm3")


class CircuitStack:
    """``K`` closed circuits of one economy that differ in their parameters, solved as one stack.

    Parameters
    ----------
    economy : LocalEconomy
        Per-unit accounts of the region's industries.
    arrays : CircuitArrays
        ``K`` parameter sets (e.g. one per draw of a scenario's circuit settings), for
        ``economy.sectors``.
    block : int
        Members built and factorised at a time (in place): memory stays near
        ``block * (n + 3)^2`` float64 whatever ``K``, and a block of 56-account circuits stays
        in the processor's cache while it is built, factorised and solved.

    Notes
    -----
    The coefficients come from :func:`circuit_coefficients` for all sets at once and every
    ``I - M_k`` is factorised by one kernel call per block (:class:`~simengine.accounts.LeontiefStack`):
    no :class:`Circuit`, no Python per member. The industries' block ``I - A_LL`` is the same in
    every member, so it is eliminated once per block and each member costs ``O(n^2)``. Member ``k`` is bit-identical to
    ``Circuit(economy, arrays.member(k, parameters))`` (the same builder and kernel with
    ``K = 1``) and does not depend on the other members, on ``K`` or on ``block``.
    """

    def __init__(self, economy: LocalEconomy, arrays: CircuitArrays, *, block: int = 64):
        if block < 1:
            raise DataError(f"block must be at least 1, got {block}")
        self.economy, self.arrays, self.block = economy, arrays, int(block)
        self.accounts = (*economy.sectors, *INSTITUTIONS)

    def __len__(self) -> int:
        return self.arrays.count

    def _members(self, start: int, stop: int) -> CircuitArrays:
        return self.arrays.take(slice(start, stop))

    def systems(self, start: int = 0, stop: int | None = None) -> LeontiefStack:
        """Members ``start:stop`` built and factorised (one kernel call)."""
        stop = len(self) if stop is None else stop
        matrix, _ = circuit_coefficients(self.economy, self._members(start, stop))
        return LeontiefStack(matrix, shared=len(self.economy.sectors), overwrite=True)

    def multipliers(self, targets: np.ndarray) -> np.ndarray:
        """Rows ``t' (I - M_k)^-1`` of every member: effect on each target per unit injected into each account.

        Parameters
        ----------
        targets : ndarray (n + 3, r)
            One column per target: what each account's receipts count for (e.g. value added
            per unit of output on the industry rows, 1 on the households row).

        Returns
        -------
        ndarray (K, r, n + 3)
            Row ``i`` of member ``k``: target ``i`` per unit injected into each account of
            circuit ``k`` (one transposed solve per member, blocks of ``block`` members).
        """
        targets = np.ascontiguousarray(targets, dtype=np.float64)
        m = len(self.accounts)
        if targets.ndim != 2 or targets.shape[0] != m:
            raise DataError(f"targets have shape {targets.shape}; expected ({m}, r)")
        out = np.empty((len(self), targets.shape[1], m))
        whole = np.arange(len(self))
        head = _shared_head(self.economy)
        if head is not None and len(self) > 1:
            whole = self._bordered(head, targets, out)
        for start in range(0, len(whole), self.block):
            members = whole[start : start + self.block]
            matrix, _ = circuit_coefficients(self.economy, self.arrays.take(members))
            system = LeontiefStack(matrix, overwrite=True)
            solved = system.solve_transposed(np.broadcast_to(targets, (len(members), *targets.shape)))
            out[members] = solved.transpose(0, 2, 1)
        return out

    def _bordered(self, head: np.ndarray, targets: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Fill ``out`` with every member's rows by the bordered kernel, block by block
        (:func:`~simengine.kernels.linalg._bordered_rows`); returns the members it could not take
        (their border would pivot, or a pivot is zero or not finite), for the whole factorisation."""
        n = len(self.economy.sectors)
        failed = np.zeros(len(self), dtype=np.int64)
        pivots = np.empty((len(self), len(INSTITUTIONS)))
        head_diagonal = np.abs(np.diagonal(head))
        eps = np.finfo(np.float64).eps
        chunk = 64 * self.block  # a member's border is O(n) numbers, not O(n^2)
        for start in range(0, len(self), chunk):
            part = slice(start, min(start + chunk, len(self)))
            rows, columns, corner = _border(income_split(self.economy, self.arrays.take(part)), self.arrays.take(part))
            lower, right = np.subtract(0.0, rows), np.subtract(0.0, columns)  # I - M off the diagonal
            corner = np.subtract(np.eye(len(INSTITUTIONS)), corner)
            finite = np.isfinite(lower).all(axis=(1, 2)) & np.isfinite(right).all(axis=(1, 2))
            finite &= np.isfinite(corner).all(axis=(1, 2))
            _bordered_rows(head, lower, right, corner, targets, out[part], pivots[part], failed[part])
            failed[part] |= ~finite
        # the conditioning check of LeontiefStack on the whole diagonal of U
        diagonal = np.abs(pivots)
        low = np.minimum(diagonal.min(axis=1), head_diagonal.min())
        high = np.maximum(diagonal.max(axis=1), head_diagonal.max())
        failed |= low <= eps * np.maximum(high, 1.0) * (n + len(INSTITUTIONS))
        return np.flatnonzero(failed)

    def surplus_rows(self) -> np.ndarray:
        """Where a unit paid to each industry's surplus goes in its first round, (K, 5, n) (:func:`surplus_rows`)."""
        return surplus_rows(self.arrays)


_HEADS: dict[int, tuple[LocalEconomy, np.ndarray | None]] = {}


def _shared_head(economy: LocalEconomy) -> np.ndarray | None:
    """Factors of the industries' block ``I - A_LL`` that every circuit of ``economy`` shares (the
    kernel of :class:`~simengine.accounts.LeontiefStack`), or None when it needs row interchanges
    or has a zero pivot (the stack is then factorised whole). Cached per economy."""
    cached = _HEADS.get(id(economy))
    if cached is not None and cached[0] is economy:
        return cached[1]
    head = np.subtract(np.eye(len(economy.sectors)), economy.local_inputs)[None].copy()
    pivots = np.empty((1, head.shape[1]), dtype=np.int64)
    bad = _lu_factor_stack(head, pivots) or (pivots[0] != np.arange(head.shape[1])).any()
    if len(_HEADS) > 64:
        _HEADS.clear()
    _HEADS[id(economy)] = (economy, None if bad else head[0])
    return _HEADS[id(economy)][1]


def _rows_of(value, index):
    """Sets ``index`` of a :class:`CircuitArrays` field (a pattern field by field)."""
    if isinstance(value, SpendingPattern):
        return SpendingPattern(*(getattr(value, f)[index] for f in _PATTERN_ARRAYS))
    return value[index]
