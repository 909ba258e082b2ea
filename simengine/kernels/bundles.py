"""Named bundles of arrays that the agent kernels take (NamedTuples compile in numba).

Each field is one attribute for every firm, cell or sector, so a kernel reads
``firms.capacity[f]`` or ``cells.mean_value[q]`` rather than a column of a packed matrix.
:func:`simengine.agents.model.pack_inputs` builds them; the twin in ``tests/reference.py`` takes
the same bundles with lists for arrays.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class FirmArrays(NamedTuple):
    """Firms sorted by sector (length ``F``; ``sector_start`` has length ``n + 1``).

    Money per month; shares are fractions.
    """

    capacity: np.ndarray  # initial contract work executable per month (money / month)
    unit_cost: np.ndarray  # cost per unit of a contract's estimated value
    quality: np.ndarray  # quality score in [0, 1] (scoring awards)
    credentials: np.ndarray  # track record (money per year), checked against a contract's requirement
    owner_local_share: np.ndarray  # share of the surplus (after replacement investment) owned by residents
    resident_share: np.ndarray  # share of the wage bill paid to residents
    local_input_share: np.ndarray  # share of domestic intermediate inputs bought in the city
    reinvestment_rate: np.ndarray  # share of locally owned surplus reinvested
    market_weight: np.ndarray  # share of its sector's local market demand the firm serves (local firms)
    sector: np.ndarray  # int64: index of the firm's sector
    location: np.ndarray  # int64: LOCATION_LOCAL, LOCATION_PROVINCE or LOCATION_NATION
    social: np.ndarray  # int64: 1 for social-economy firms
    sme: np.ndarray  # int64: 1 for SMEs
    sector_start: np.ndarray  # int64 (n + 1,): firms of sector s are sector_start[s] .. sector_start[s + 1] - 1


class CellArrays(NamedTuple):
    """Budget cells (length ``Q``) with their levers; money in the model's unit."""

    rate: np.ndarray  # contracts per month
    mean_value: np.ndarray  # mean estimated contract value
    sigma: np.ndarray  # log-sd of contract values
    credentials: np.ndarray  # track record required
    base_share: np.ndarray  # baseline local share (reference of local_share_target)
    set_aside: np.ndarray  # lots below this value are reserved for city firms (0: none)
    set_aside_sme: np.ndarray  # 1: the set-aside is for city SMEs
    preference: np.ndarray  # evaluation discount on local bids
    preference_cap: np.ndarray  # largest discount (money)
    local_weight: np.ndarray  # extra scoring weight of local contribution
    lot_threshold: np.ndarray  # unbundling: contracts above it are split into lots (0: none)
    relaxation: np.ndarray  # fraction by which the track-record requirement is lowered
    coexistence: np.ndarray  # minimum share of a contract bought from local suppliers
    target: np.ndarray  # local_share_target (0: none)
    ramp: np.ndarray  # months over which the target ramps
    social_target: np.ndarray  # share of contracts reserved for social-economy firms
    restrict_max: np.ndarray  # regional restriction applies below this value
    lot_admin: np.ndarray  # administrative cost per lot (money)
    lot_penalty: np.ndarray  # price penalty per lot (fraction)
    local_entry: np.ndarray  # entry log-odds advantage of city firms (+half to them, -half to others)
    sector: np.ndarray  # int64: executing sector
    rule: np.ndarray  # int64: RULE_* award rule
    restricted: np.ndarray  # int64: 1 when the method is regionally restricted


class EconomyArrays(NamedTuple):
    """Per unit of output of each sector (length ``n``), the local purchase mix and households."""

    domestic_inputs: np.ndarray  # intermediate inputs from the country (local and other regions)
    local_inputs: np.ndarray  # of which local in the region's accounts (0: the sector buys none locally)
    imported: np.ndarray  # imported inputs
    other_inputs: np.ndarray  # taxes on products and other inputs (leave the city)
    compensation: np.ndarray  # wages
    surplus: np.ndarray  # gross operating surplus
    consumption_local: np.ndarray  # local purchases per unit of household consumption, by product
    capital_local: np.ndarray  # local purchases per unit of investment, by product
    replacement: np.ndarray  # share of a local firm's after-tax surplus spent on replacement investment
    local_purchase_mix: np.ndarray  # (n, n): column s, sector s's local purchases by selling sector
    income_share: np.ndarray  # (G,): resident income by household group
    propensity: np.ndarray  # (G,): consumption propensity by household group


class Behaviour(NamedTuple):
    """Scalar behaviour and circuit parameters (see :class:`simengine.agents.AgentParameters`)."""

    entry_intercept: float
    entry_profit: float
    entry_backlog: float
    markup: float
    bid_noise: float
    locality_bias: float
    w_price: float
    w_quality: float
    w_local: float
    w_social: float
    score_temperature: float
    pool: float  # candidates per notice (integer-valued)
    capacity_limits: float  # 1.0: backlog and capacity bind
    backlog_months: float  # contract duration (months)
    capacity_adjustment: float
    depreciation: float
    target_backlog: float  # months of backlog the investment rule aims at
    floor_ratio: float
    floor_spread: float
    wage_tax: float
    profit_tax: float
    national_wage_tax: float
    national_profit_tax: float
    city_respend: float
    city_transfer: float


#: Cell fields that levers and cell data fill, in the order of ``layout.C_*``.
CELL_FLOAT_FIELDS = CellArrays._fields[:20]
