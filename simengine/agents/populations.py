"""Agent populations as struct-of-arrays: firms and resident households by income group.

Firms are generated from the region's data with the distributions below (documented with
their reasoning in docs/agents.md) or loaded from a firm register CSV.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from ..errors import DataError
from ..local_economy import LocalEconomy
from .cells import BudgetCells
from .circuit import AgentCircuit

__all__ = ["Firms", "Households", "generate_firms", "identical_firms", "load_firms", "LOCATIONS"]

#: Firm locations: the city, the rest of its province, the rest of the country.
LOCATIONS = ("L", "P", "N")
#: Columns of a firm register CSV (see :func:`load_firms`).
REGISTER_COLUMNS = (
    "sector",
    "location",
    "size_class",
    "capacity",
    "unit_cost",
    "quality",
    "credentials",
    "owner_local_share",
    "resident_worker_share",
    "local_input_share",
    "reinvestment_rate",
    "social_economy",
    "sme",
)


@dataclass(frozen=True)
class Firms:
    """Firms as parallel arrays of length ``F``.

    Attributes
    ----------
    sector : ndarray of int64
        Index into the economy's sectors.
    location : ndarray of int64
        Index into :data:`LOCATIONS` (0 = the city).
    size_class : ndarray of int64
        0 small, 1 medium, 2 large (terciles of capacity within the sector).
    capacity : ndarray of float64
        Contract work a firm can execute per month (money per month).
    unit_cost : ndarray of float64
        Cost per unit of a contract's estimated value.
    quality : ndarray of float64
        Quality score in [0, 1] (used by scoring awards).
    credentials : ndarray of float64
        Track record (money per year) checked against a contract's requirement.
    owner_local_share : ndarray of float64
        Share of the firm's surplus owned by city residents.
    resident_worker_share : ndarray of float64
        Share of the firm's wage bill paid to city residents.
    local_input_share : ndarray of float64
        Share of the firm's domestic intermediate inputs bought in the city.
    reinvestment_rate : ndarray of float64
        Share of locally owned after-tax surplus reinvested.
    social_economy : ndarray of int64
        1 for social enterprises and cooperatives.
    sme : ndarray of int64
        1 for small and medium enterprises.
    """

    sector: np.ndarray
    location: np.ndarray
    size_class: np.ndarray
    capacity: np.ndarray
    unit_cost: np.ndarray
    quality: np.ndarray
    credentials: np.ndarray
    owner_local_share: np.ndarray
    resident_worker_share: np.ndarray
    local_input_share: np.ndarray
    reinvestment_rate: np.ndarray
    social_economy: np.ndarray
    sme: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.sector)
        for item in fields(self):
            value = getattr(self, item.name)
            if np.shape(value) != (n,):
                raise DataError(f"firms: {item.name} has shape {np.shape(value)}; expected ({n},)")
        for name in ("owner_local_share", "resident_worker_share", "local_input_share", "reinvestment_rate", "quality"):
            value = getattr(self, name)
            if np.any(value < 0) or np.any(value > 1):
                raise DataError(f"firms: {name} must lie in [0, 1]")
        if np.any(self.capacity <= 0) or np.any(self.unit_cost <= 0):
            raise DataError("firms: capacity and unit_cost must be > 0")
        if np.any((self.location < 0) | (self.location >= len(LOCATIONS))):
            raise DataError(f"firms: location must index {LOCATIONS}")

    def __len__(self) -> int:
        return len(self.sector)

    def to_frame(self, sectors: tuple[str, ...]) -> pd.DataFrame:
        """The firms as a table with the register columns (sector and location as labels)."""
        frame = pd.DataFrame({item.name: getattr(self, item.name) for item in fields(self)})
        frame["sector"] = [sectors[i] for i in self.sector]
        frame["location"] = [LOCATIONS[i] for i in self.location]
        return frame[list(REGISTER_COLUMNS)]


@dataclass(frozen=True)
class Households:
    """Resident households grouped by income (non-residents appear only as commuter leakage).

    Attributes
    ----------
    groups : tuple of str
        Group labels, e.g. ``("resident-Q1", ..., "resident-Q5")``.
    income_share : ndarray (G,)
        Share of resident household income received by each group (sums to 1).
    consumption_propensity : ndarray (G,)
        Share of income each group spends.
    """

    groups: tuple[str, ...]
    income_share: np.ndarray
    consumption_propensity: np.ndarray

    @classmethod
    def by_income_quintile(cls, circuit: AgentCircuit) -> Households:
        """Five resident income quintiles whose income-weighted propensity equals the circuit's.

        Income shares and relative propensities are illustrative of Korean household survey
        patterns (lower quintiles earn less and spend a larger share of it).
        """
        income_share = np.array([0.07, 0.13, 0.18, 0.24, 0.38])
        relative = np.array([1.45, 1.15, 1.05, 0.97, 0.85])
        propensity = relative / (income_share @ relative) * circuit.consumption_propensity
        if np.any(propensity > 1):
            propensity = np.full(5, circuit.consumption_propensity)
        return cls(tuple(f"resident-Q{i}" for i in range(1, 6)), income_share, propensity)


def _beta_with_mean(rng: np.random.Generator, mean: np.ndarray, concentration: float) -> np.ndarray:
    mean = np.clip(mean, 1e-6, 1 - 1e-6)
    return rng.beta(mean * concentration, (1 - mean) * concentration)


def generate_firms(
    economy: LocalEconomy,
    cells: BudgetCells,
    circuit: AgentCircuit,
    *,
    n_firms: int = 25_000,
    procurement_firm_share: float = 0.6,
    location_shares: tuple[float, float, float] = (0.3, 0.3, 0.4),
    social_economy_share: float = 0.02,
    seed: int = 0,
) -> Firms:
    """Draw a firm population for the city and its bidders from elsewhere.

    Parameters
    ----------
    economy, cells, circuit
        The region's accounts, its procurement budget cells and circuit parameters.
    n_firms : int
        Total firms. ``procurement_firm_share`` of them are in the sectors that execute the
        cells' contracts (bidders from the city, the province and the nation, split by
        ``location_shares``); the rest are local firms spread evenly over every sector
        (they receive the circuit's local market demand).
    social_economy_share : float
        Share of local firms that are social enterprises or cooperatives.
    seed : int
        Seed of the population (independent of the simulation's seed).

    Notes
    -----
    Distributions: monthly capacity is lognormal with median equal to the mean contract
    value of the firm's procurement sector and log-sd 1.0 (firm sizes are right-skewed,
    Axtell 2001); unit cost per unit of estimated value is lognormal around 0.85 with log-sd
    0.05 (Korean awards cluster at 85-90 % of the estimated price); quality ~ Beta(2, 2);
    track record = 12 x capacity; shares are Beta with the circuit's (or the sector's) mean
    and concentration 20; SMEs are firms below the sector's 90th capacity percentile.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    n = len(economy.sectors)
    procurement_sectors = sorted({economy.sectors.index(code) for code in cells.category_sectors})
    n_bidders = int(round(n_firms * procurement_firm_share))
    sector = np.concatenate(
        [
            np.array(procurement_sectors)[np.arange(n_bidders) % len(procurement_sectors)],
            np.arange(n_firms - n_bidders) % n,
        ]
    ).astype(np.int64)
    location = np.concatenate(
        [
            rng.choice(3, size=n_bidders, p=np.asarray(location_shares) / np.sum(location_shares)),
            np.zeros(n_firms - n_bidders, dtype=np.int64),
        ]
    ).astype(np.int64)
    sector_mean_value = np.full(
        n, float(np.average(cells.mean_contract_value, weights=cells.contracts_per_year() + 1e-12))
    )
    for category, code in zip(range(len(cells.categories)), cells.category_sectors, strict=True):
        counts = cells.contracts_per_year()[category]
        if counts.sum() > 0:
            sector_mean_value[economy.sectors.index(code)] = np.average(
                cells.mean_contract_value[category], weights=counts
            )
    capacity = sector_mean_value[sector] * rng.lognormal(0.0, 1.0, n_firms)
    size_class = np.zeros(n_firms, dtype=np.int64)
    sme = np.ones(n_firms, dtype=np.int64)
    for s in np.unique(sector):
        members = sector == s
        low, high, top = np.quantile(capacity[members], [1 / 3, 2 / 3, 0.9])
        size_class[members] = np.digitize(capacity[members], [low, high])
        sme[members] = (capacity[members] < top).astype(np.int64)
    is_local = location == 0
    domestic = economy.local_inputs.sum(axis=0) + economy.other_region_inputs
    sector_local_input_share = np.divide(
        economy.local_inputs.sum(axis=0), domestic, out=np.zeros(n), where=domestic > 0
    )
    return Firms(
        sector=sector,
        location=location,
        size_class=size_class,
        capacity=capacity,
        unit_cost=0.85 * rng.lognormal(0.0, 0.05, n_firms),
        quality=rng.beta(2.0, 2.0, n_firms),
        credentials=12.0 * capacity,
        owner_local_share=np.where(
            is_local, (rng.random(n_firms) < circuit.local_ownership_share[sector]).astype(float), 0.0
        ),
        resident_worker_share=np.where(is_local, _beta_with_mean(rng, circuit.resident_wage_share[sector], 20.0), 0.0),
        local_input_share=np.where(is_local, _beta_with_mean(rng, sector_local_input_share[sector], 20.0), 0.0),
        reinvestment_rate=_beta_with_mean(rng, circuit.reinvestment_rate[sector], 20.0),
        social_economy=(is_local & (rng.random(n_firms) < social_economy_share)).astype(np.int64),
        sme=sme,
    )


def identical_firms(
    economy: LocalEconomy, circuit: AgentCircuit, *, firms_per_sector: int, local_share, capacity: float = 1e12
) -> Firms:
    """Identical firms in every sector: the population of the closed-form consistency test.

    ``local_share`` (scalar or per sector) of each sector's firms are in the city; every
    city firm has the circuit's resident-worker, ownership and reinvestment shares and the
    sector's local input share, so the population's aggregates equal the analytic model's.
    """
    n = len(economy.sectors)
    shares = np.broadcast_to(np.asarray(local_share, dtype=float), (n,))
    sector = np.repeat(np.arange(n, dtype=np.int64), firms_per_sector)
    n_local = np.rint(shares * firms_per_sector).astype(np.int64)
    location = np.concatenate([np.where(np.arange(firms_per_sector) < n_local[s], 0, 2) for s in range(n)]).astype(
        np.int64
    )
    is_local = location == 0
    domestic = economy.local_inputs.sum(axis=0) + economy.other_region_inputs
    sector_local_input_share = np.divide(
        economy.local_inputs.sum(axis=0), domestic, out=np.zeros(n), where=domestic > 0
    )
    total = n * firms_per_sector
    return Firms(
        sector=sector,
        location=location,
        size_class=np.zeros(total, dtype=np.int64),
        capacity=np.full(total, capacity),
        unit_cost=np.ones(total),
        quality=np.full(total, 0.5),
        credentials=np.full(total, 12.0 * capacity),
        owner_local_share=np.where(is_local, circuit.local_ownership_share[sector], 0.0),
        resident_worker_share=np.where(is_local, circuit.resident_wage_share[sector], 0.0),
        local_input_share=np.where(is_local, sector_local_input_share[sector], 0.0),
        reinvestment_rate=circuit.reinvestment_rate[sector].copy(),
        social_economy=np.zeros(total, dtype=np.int64),
        sme=np.ones(total, dtype=np.int64),
    )


def load_firms(path: str | os.PathLike, economy: LocalEconomy) -> Firms:
    """Read a firm register CSV with the columns of :data:`REGISTER_COLUMNS`.

    ``sector`` holds the economy's sector codes, ``location`` one of ``L``, ``P``, ``N``;
    ``social_economy`` and ``sme`` are 0/1; shares are fractions; money per month.
    """
    try:
        frame = pd.read_csv(path)
    except (OSError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: cannot read firm register ({exc})") from None
    missing = [c for c in REGISTER_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: firm register lacks columns {missing}; expected {list(REGISTER_COLUMNS)}")
    unknown_sectors = sorted(set(frame["sector"].astype(str)) - set(economy.sectors))
    if unknown_sectors:
        raise DataError(f"{path}: unknown sector codes {unknown_sectors[:5]}; use the economy's codes")
    unknown_locations = sorted(set(frame["location"].astype(str)) - set(LOCATIONS))
    if unknown_locations:
        raise DataError(f"{path}: unknown locations {unknown_locations}; valid: {list(LOCATIONS)}")
    values = {name: frame[name].to_numpy(dtype=np.float64) for name in REGISTER_COLUMNS[3:]}
    for name in ("social_economy", "sme"):
        values[name] = values[name].astype(np.int64)
    try:
        return Firms(
            sector=np.array([economy.sectors.index(s) for s in frame["sector"].astype(str)], dtype=np.int64),
            location=np.array([LOCATIONS.index(s) for s in frame["location"].astype(str)], dtype=np.int64),
            size_class=frame["size_class"].to_numpy(dtype=np.int64),
            **values,
        )
    except DataError as exc:
        raise DataError(f"{path}: {exc}") from None
