"""The agent model's public entry point: pack the populations and cells, run the monthly loop,
label the results.

:func:`simulate` is what the scenario runner calls for ``mode = "agents"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

from .. import __version__
from ..errors import ScenarioError
from ..kernels import layout
from ..kernels.bundles import Behaviour, CellArrays, EconomyArrays, FirmArrays
from ..local_economy import LocalEconomy
from ..results import FLOW_ACCOUNTS, LEAKAGE_CHANNELS
from .cells import METHODS, BudgetCells, Lever, lever_arrays
from .circuit import AgentCircuit
from .montecarlo import draw_keys, run_draws
from .populations import Firms, Households, generate_firms

__all__ = [
    "AgentParameters",
    "KernelInputs",
    "pack_inputs",
    "simulate",
    "estimate_work",
    "result_bytes",
    "MAX_BYTES",
    "MAX_SECONDS",
]

#: Calendar months per period and per year.
MONTHS_PER_YEAR = 12
#: Local entry bias by method fitted by :func:`simengine.agents.calibrate.calibrate_local_entry`
#: so that the agent baseline realises the analytic baseline's local shares by method
#: (``CalibrationTargets.from_cells``) on the budget cells and generated firms of
#: scenarios/gwangmyeong_baseline.toml (seed 1, 64 draws x 120 months, 24 rounds): both modes
#: start from one baseline. Regression values: re-fit when the firm or award rules change.
CALIBRATED_LOCAL_ENTRY_BIAS = (
    ("mall", -0.253),
    ("negotiated", 5.2207),
    ("open", -0.1622),
    ("restricted", 2.65),
    ("scoring", -6.3551),
)
#: Largest result (bytes, all copies) and longest estimated run (seconds on one core) accepted.
MAX_BYTES = 4 * 2**30
MAX_SECONDS = 3600.0
#: Cost model of :func:`estimate_work` (seconds per tendered lot and per firm-month, one core;
#: measured at Gwangmyeong scale and rounded up).
SECONDS_PER_LOT = 3e-6
SECONDS_PER_FIRM_MONTH = 3e-8


@dataclass(frozen=True)
class AgentParameters:
    """Behavioural parameters of bidders and buyers (calibrated by :mod:`simengine.agents.calibrate`).

    Attributes
    ----------
    entry_intercept, entry_profit_slope, entry_backlog_slope : float
        Entry is a logit on ``intercept + profit_slope * expected margin - backlog_slope *
        backlog / capacity``; the margin is ``(expected price - unit cost) / unit cost``.
    bid_markup, bid_noise : float
        A bid per unit of estimated value is ``unit_cost * (1 + markup + noise * U)``.
    locality_bias : float
        Log-odds advantage of a local firm in negotiated awards.
    score_price_weight, score_quality_weight, score_local_weight, score_social_weight : float
        Scoring-award weights (price score = lowest bid / bid); the lever
        ``local_contribution_score`` adds to the local weight.
    score_temperature : float
        Logit scale of scoring awards (smaller = closer to the best score always winning).
    pool_size : int
        Firms of the sector that see a notice (drawn at random).
    capacity_limits : bool
        Whether backlog and capacity bind (eligibility, execution and the investment rule).
    backlog_months : float
        Execution period of a contract (months): a firm is eligible only when its backlog plus
        the contract fits in this many months of its current capacity.
    lot_admin_cost, lot_scale_penalty : float
        Unbundling: administrative cost per lot (money) and price penalty per lot (fraction),
        where a ``contract_unbundling`` lever does not give its own.
    capacity_adjustment, depreciation, target_backlog_months : float
        Investment rule: capacity moves towards ``max(initial capacity, backlog /
        target_backlog_months)``, closing ``capacity_adjustment`` of a gap above it each month
        and shedding ``depreciation`` of idle capacity above the target (not replaced as it
        wears out); the rest is kept by replacement investment financed from gross surplus.
    floor_ratio, floor_spread : float
        Floor-price qualification: the floor per unit of estimated value (87.745 % in Korean
        qualification screening) and the spread of winning prices above it.
    local_entry_bias : tuple of (method, float)
        Log-odds advantage of local firms in entry, by award method (methods not listed: 0):
        half is added to a local firm's entry utility and half subtracted from other firms'.
        Default :data:`CALIBRATED_LOCAL_ENTRY_BIAS`, fitted by
        :func:`simengine.agents.calibrate.calibrate_local_entry`.
    """

    entry_intercept: float = 0.0
    entry_profit_slope: float = 10.0
    entry_backlog_slope: float = 1.0
    bid_markup: float = 0.02
    bid_noise: float = 0.08
    locality_bias: float = 1.0
    score_price_weight: float = 1.0
    score_quality_weight: float = 1.0
    score_local_weight: float = 0.5
    score_social_weight: float = 0.2
    score_temperature: float = 0.1
    pool_size: int = 40
    capacity_limits: bool = True
    backlog_months: float = 6.0
    lot_admin_cost: float = 0.5
    lot_scale_penalty: float = 0.03
    capacity_adjustment: float = 1.0 / 12.0
    depreciation: float = 1.0 / 120.0
    target_backlog_months: float = 3.0
    floor_ratio: float = 0.87745
    floor_spread: float = 0.02
    local_entry_bias: tuple[tuple[str, float], ...] = CALIBRATED_LOCAL_ENTRY_BIAS

    def entry_bias(self, method: str) -> float:
        """The local entry bias of ``method`` (0 when not listed)."""
        return dict(self.local_entry_bias).get(method, 0.0)

    def to_behaviour(self, circuit: AgentCircuit) -> Behaviour:
        """The kernels' :class:`~simengine.kernels.bundles.Behaviour` (with the circuit's tax and city shares)."""
        if (
            self.pool_size < 1
            or self.score_temperature <= 0
            or self.backlog_months <= 0
            or self.target_backlog_months <= 0
            or not 0 <= self.capacity_adjustment <= 1
            or not 0 <= self.depreciation <= 1
        ):
            raise ScenarioError(
                "agent parameters: pool_size >= 1, score_temperature > 0, backlog_months > 0, "
                "target_backlog_months > 0, capacity_adjustment and depreciation in [0, 1] required"
            )
        values = {
            "entry_intercept": self.entry_intercept,
            "entry_profit": self.entry_profit_slope,
            "entry_backlog": self.entry_backlog_slope,
            "markup": self.bid_markup,
            "bid_noise": self.bid_noise,
            "locality_bias": self.locality_bias,
            "w_price": self.score_price_weight,
            "w_quality": self.score_quality_weight,
            "w_local": self.score_local_weight,
            "w_social": self.score_social_weight,
            "score_temperature": self.score_temperature,
            "pool": self.pool_size,
            "capacity_limits": self.capacity_limits,
            "backlog_months": self.backlog_months,
            "capacity_adjustment": self.capacity_adjustment,
            "depreciation": self.depreciation,
            "target_backlog": self.target_backlog_months,
            "floor_ratio": self.floor_ratio,
            "floor_spread": self.floor_spread,
            "wage_tax": circuit.local_wage_tax_rate,
            "profit_tax": circuit.local_profit_tax_rate,
            "national_wage_tax": circuit.national_wage_tax_rate,
            "national_profit_tax": circuit.national_profit_tax_rate,
            "city_respend": circuit.city_respend_share,
            "city_transfer": circuit.city_transfer_share,
        }
        return Behaviour(**{name: float(value) for name, value in values.items()})


@dataclass(frozen=True)
class KernelInputs:
    """The named bundles of arrays the kernels take (:mod:`simengine.kernels.bundles`)."""

    firms: FirmArrays
    economy: EconomyArrays
    cells: CellArrays
    behaviour: Behaviour

    def arrays(self) -> tuple:
        """The bundles in the kernels' argument order: ``(firms, economy, cells, behaviour)``."""
        return (self.firms, self.economy, self.cells, self.behaviour)


def pack_inputs(
    economy: LocalEconomy,
    circuit: AgentCircuit,
    cells: BudgetCells,
    levers: Sequence[Lever],
    firms: Firms,
    households: Households,
    parameters: AgentParameters,
) -> KernelInputs:
    """Validate and bundle everything into :class:`KernelInputs` (firms sorted by sector)."""
    n = len(economy.sectors)
    if circuit.sectors and tuple(circuit.sectors) != tuple(economy.sectors):
        raise ScenarioError("circuit parameters were built for different sectors than the economy")
    if np.any(firms.sector >= n):
        raise ScenarioError(f"firms refer to sector indices beyond the economy's {n} sectors")
    order = np.argsort(firms.sector, kind="stable")
    sector = firms.sector[order].astype(np.int64)
    location = firms.location[order].astype(np.int64)
    capacity = np.ascontiguousarray(firms.capacity[order], dtype=np.float64)
    local_capacity = np.where(location == 0, capacity, 0.0)
    sector_total = np.bincount(sector, weights=local_capacity, minlength=n)[sector]
    firm_arrays = FirmArrays(
        capacity=capacity,
        unit_cost=np.ascontiguousarray(firms.unit_cost[order], dtype=np.float64),
        quality=np.ascontiguousarray(firms.quality[order], dtype=np.float64),
        credentials=np.ascontiguousarray(firms.credentials[order], dtype=np.float64),
        owner_local_share=np.ascontiguousarray(firms.owner_local_share[order], dtype=np.float64),
        resident_share=np.ascontiguousarray(firms.resident_worker_share[order], dtype=np.float64),
        local_input_share=np.ascontiguousarray(firms.local_input_share[order], dtype=np.float64),
        reinvestment_rate=np.ascontiguousarray(firms.reinvestment_rate[order], dtype=np.float64),
        market_weight=np.divide(local_capacity, sector_total, out=np.zeros(len(firms)), where=sector_total > 0),
        sector=sector,
        location=location,
        social=firms.social_economy[order].astype(np.int64),
        sme=firms.sme[order].astype(np.int64),
        sector_start=np.searchsorted(sector, np.arange(n + 1)).astype(np.int64),
    )
    local_total = economy.local_inputs.sum(axis=0)
    economy_arrays = EconomyArrays(
        domestic_inputs=np.ascontiguousarray(local_total + economy.other_region_inputs, dtype=np.float64),
        local_inputs=np.ascontiguousarray(local_total, dtype=np.float64),
        imported=np.ascontiguousarray(economy.imported_inputs, dtype=np.float64),
        other_inputs=np.ascontiguousarray(economy.other_inputs, dtype=np.float64),
        compensation=np.ascontiguousarray(economy.compensation, dtype=np.float64),
        surplus=np.ascontiguousarray(economy.operating_surplus, dtype=np.float64),
        consumption_local=np.ascontiguousarray(circuit.consumption_mix * circuit.household_local_share),
        capital_local=np.ascontiguousarray(circuit.capital_goods_mix * circuit.capital_local_share),
        replacement=np.ascontiguousarray(np.broadcast_to(circuit.replacement_share, (n,)), dtype=np.float64),
        local_purchase_mix=np.ascontiguousarray(
            np.divide(economy.local_inputs, local_total, out=np.zeros((n, n)), where=local_total > 0)
        ),
        income_share=np.ascontiguousarray(households.income_share, dtype=np.float64),
        propensity=np.ascontiguousarray(households.consumption_propensity, dtype=np.float64),
    )

    q_shape = cells.shape
    cells_float = np.zeros((*q_shape, layout.N_CELL_FLOAT))
    cells_float[..., layout.C_RATE] = cells.contracts_per_year() / MONTHS_PER_YEAR
    cells_float[..., layout.C_MEAN_VALUE] = cells.mean_contract_value
    cells_float[..., layout.C_SIGMA] = cells.size_sigma
    cells_float[..., layout.C_CREDENTIALS] = cells.credentials_multiple * cells.mean_contract_value
    cells_float[..., layout.C_BASE_SHARE] = cells.baseline_local_share
    cells_float[..., layout.C_RESTRICT_MAX] = cells.restricted_max_value
    for column, values in lever_arrays(cells, levers).items():
        cells_float[..., column] = values
    for m, method in enumerate(cells.methods):
        cells_float[:, :, m, layout.C_LOCAL_ENTRY] = parameters.entry_bias(method)
    for column, default in (
        (layout.C_LOT_ADMIN, parameters.lot_admin_cost),
        (layout.C_LOT_PENALTY, parameters.lot_scale_penalty),
    ):
        cells_float[..., column] = np.where(np.isnan(cells_float[..., column]), default, cells_float[..., column])
    cells_int = np.zeros((*q_shape, 3), dtype=np.int64)  # sector, rule, restricted
    for category, code in enumerate(cells.category_sectors):
        if code not in economy.sectors:
            raise ScenarioError(
                f"budget cells: category {cells.categories[category]!r} maps to unknown sector {code!r}"
            )
        cells_int[category, ..., 0] = economy.sectors.index(code)
    for m, method in enumerate(cells.methods):
        cells_int[:, :, m, 1], cells_int[:, :, m, 2] = METHODS[method]
    flat = cells_float.reshape(-1, layout.N_CELL_FLOAT)
    integers = cells_int.reshape(-1, 3)
    cell_arrays = CellArrays(
        *(np.ascontiguousarray(flat[:, column]) for column in range(layout.N_CELL_FLOAT)),
        sector=np.ascontiguousarray(integers[:, 0]),
        rule=np.ascontiguousarray(integers[:, 1]),
        restricted=np.ascontiguousarray(integers[:, 2]),
    )
    return KernelInputs(
        firms=firm_arrays, economy=economy_arrays, cells=cell_arrays, behaviour=parameters.to_behaviour(circuit)
    )


def estimate_work(inputs: KernelInputs, *, draws: int, periods: int, runs: int = 1) -> tuple[float, float, int]:
    """Memory (bytes) and time (seconds, one core) of ``runs`` agent runs, and the busiest cell.

    Lots per month are each cell's contract rate times its expected lots (one, or
    ``mean value / lot threshold + 1`` under unbundling, at most ``MAX_LOTS``); memory is the
    kernel's outputs and the labelled result built from them (three copies).
    """
    cells = inputs.cells
    threshold = cells.lot_threshold
    lots = np.where(
        threshold > 0,
        np.minimum(cells.mean_value / np.where(threshold > 0, threshold, 1.0) + 1.0, layout.MAX_LOTS),
        1.0,
    )
    per_cell = cells.rate * lots
    n = inputs.economy.compensation.shape[0]
    n_firms = inputs.firms.capacity.shape[0]
    seconds = (
        runs * draws * (float(per_cell.sum()) * periods * SECONDS_PER_LOT + n_firms * periods * SECONDS_PER_FIRM_MONTH)
    )
    memory = result_bytes(draws=draws, periods=periods, sectors=n, cells=cells.rate.shape[0], runs=runs)
    memory += 8.0 * draws * layout.N_STATE_FIRM * n_firms
    return memory, seconds, int(np.argmax(per_cell)) if per_cell.size else 0


def result_bytes(*, draws: int, periods: int, sectors: int, cells: int = 45, runs: int = 1) -> float:
    """Memory (bytes) of an agent run's outputs and labelled result, three copies (see :func:`estimate_work`)."""
    per_draw = periods * (layout.N_OUT_PERIOD + layout.N_OUT_SECTOR * sectors) + cells * layout.N_OUT_CELL
    return 3.0 * runs * draws * per_draw * 8.0


def _check_work(inputs: KernelInputs, cells: BudgetCells, *, draws: int, periods: int, runs: int) -> None:
    """Refuse runs whose estimated memory or time is absurd, naming the inputs that drive it."""
    memory, seconds, busiest = estimate_work(inputs, draws=draws, periods=periods, runs=runs)
    if memory <= MAX_BYTES and seconds <= MAX_SECONDS:
        return
    index = np.unravel_index(busiest, cells.shape)
    name = f"({cells.categories[index[0]]}, {cells.size_classes[index[1]]}, {cells.methods[index[2]]})"
    per_year = float(cells.contracts_per_year()[index])
    amount = float(cells.annual_amount[index])
    what = f"about {memory / 2**30:,.1f} GB" if memory > MAX_BYTES else f"about {seconds / 3600:,.1f} core-hours"
    raise ScenarioError(
        f"agent run too large: {what} for draws = {draws}, {periods} months; the busiest budget cell {name} "
        f"has {per_year:,.0f} contracts a year (amount {amount:,.6g}); limits are {MAX_BYTES / 2**30:.0f} GB and "
        f"{MAX_SECONDS / 3600:.0f} core-hour: lower scenario.draws or scenario.horizon, or that cell's contracts "
        "(or its amount, when contracts is not given)"
    )


def _money_units(unit: str) -> tuple[str, str]:
    parts = unit.split(maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else (unit or "unknown", "")


def simulate(
    economy: LocalEconomy,
    circuit: AgentCircuit,
    cells: BudgetCells,
    levers: Sequence[Lever] = (),
    *,
    periods: int = 120,
    seed: int = 0,
    draws: int = 1,
    workers: int | None = None,
    firms: Firms | None = None,
    households: Households | None = None,
    parameters: AgentParameters | None = None,
    scenario: str = "agents",
    progress: bool = False,
) -> xr.Dataset:
    """Run the agent model: monthly contracts, bids, awards, execution and the local circuit.

    Parameters
    ----------
    economy : LocalEconomy
        Per-unit accounts of the city's industries.
    circuit : AgentCircuit
        Closure parameters (households, ownership, reinvestment, local taxes).
    cells : BudgetCells
        The procurement budget by category, size class and method.
    levers : sequence of Lever
        Policy levers; empty for the baseline.
    periods : int
        Months to simulate.
    seed : int
        Root seed; draw ``d`` uses the ``d``-th child of ``SeedSequence(seed)``.
    draws : int
        Monte Carlo draws; with more than one, every variable gains a ``draw`` dimension.
    workers : int, optional
        Threads (default: all numba threads). Results do not depend on it.
    firms, households, parameters
        Populations and behaviour; defaults: :func:`generate_firms` (seed ``seed``),
        :meth:`Households.by_income_quintile`, :class:`AgentParameters`.
    scenario : str
        Label of the ``scenario`` coordinate.
    progress : bool
        Show a tqdm progress bar over draws.

    Returns
    -------
    xarray.Dataset
        The result contract of :mod:`simengine.results` (``mode = "agents"``, monthly
        ``time``) plus agent extras: ``realised_local_share`` (category, size_class,
        award_method), ``bidders_per_contract``, ``price_index``, ``sme_share``,
        ``social_economy_share``, ``external_funding``, ``circuit_stock`` (time) and
        ``hhi`` (category). ``cost_premium`` is the cost of the levers against the same
        draws without levers: ``payments - estimated value x the period's baseline price index
        + lot administration``; it is zero without levers.
    """
    if periods < 1 or draws < 1:
        raise ScenarioError(f"periods and draws must be >= 1, got periods={periods}, draws={draws}")
    firms = firms if firms is not None else generate_firms(economy, cells, circuit, seed=seed)
    households = households if households is not None else Households.by_income_quintile(circuit)
    parameters = parameters or AgentParameters()
    keys = draw_keys(seed, draws)
    inputs = pack_inputs(economy, circuit, cells, levers, firms, households, parameters)
    _check_work(inputs, cells, draws=draws, periods=periods, runs=2 if levers else 1)
    raw = run_draws(inputs, keys, periods, workers=workers, progress=progress)
    if levers:
        base_inputs = pack_inputs(economy, circuit, cells, (), firms, households, parameters)
        base = run_draws(base_inputs, keys, periods, workers=workers, progress=progress)
        base_estimated = base.period[:, :, layout.O_ESTIMATED]
        base_index = np.divide(
            base.period[:, :, layout.O_PAYMENTS],
            base_estimated,
            out=np.ones_like(base_estimated),
            where=base_estimated > 0,
        )
        premium = (
            raw.period[:, :, layout.O_PAYMENTS]
            - raw.period[:, :, layout.O_ESTIMATED] * base_index
            + raw.period[:, :, layout.O_ADMIN]
        )
    else:
        premium = np.zeros((draws, periods))
    return _label(raw, premium, economy, cells, scenario=scenario, draws=draws)


def _label(raw, premium, economy: LocalEconomy, cells: BudgetCells, *, scenario: str, draws: int) -> xr.Dataset:
    currency, monetary_unit = _money_units(economy.unit)
    money = f"{currency} {monetary_unit}".strip()
    period = raw.period
    sector = raw.sector
    payments = period[:, :, layout.O_PAYMENTS]
    with np.errstate(invalid="ignore", divide="ignore"):
        local_share = np.where(
            payments > 0, period[:, :, layout.O_LOCAL_AWARDS] / np.where(payments > 0, payments, 1), 0.0
        )
        executed = raw.flows.sum(axis=1, keepdims=True)
        share_local = raw.period[:, :, layout.O_LOCAL_AWARDS].sum(1, keepdims=True) / payments.sum(1, keepdims=True)
        split = np.where(executed > 0, raw.flows / np.where(executed > 0, executed, 1.0), 0.0) * share_local
        flows = np.concatenate([share_local, 1.0 - share_local, split], axis=1)
        cell = raw.cell.reshape(draws, *cells.shape, layout.N_OUT_CELL)
        realised = cell[..., layout.Q_LOCAL] / cell[..., layout.Q_AWARDED]
        contracts = period[:, :, layout.O_CONTRACTS]
        bidders = np.where(
            contracts > 0, period[:, :, layout.O_BIDDERS] / np.where(contracts > 0, contracts, 1), np.nan
        )
        price_index = period[:, :, layout.O_PAYMENTS] / period[:, :, layout.O_ESTIMATED]
        sme = period[:, :, layout.O_SME_AWARDS] / payments
        social = period[:, :, layout.O_SOCIAL_AWARDS] / payments
    lm3 = 1.0 + flows[:, 0] + flows[:, 2 + layout.F_LOCAL_INPUTS] + flows[:, 2 + layout.F_RESIDENT_WAGES]
    employment = sector[:, :, layout.S_OUTPUT] * economy.employment * MONTHS_PER_YEAR
    effects = np.stack(
        [
            sector[:, :, layout.S_DIRECT].sum(1),
            sector[:, :, layout.S_INDIRECT].sum(1),
            sector[:, :, layout.S_INDUCED].sum(1),
            sector[:, :, layout.S_OUTPUT].sum(1),
        ],
        axis=1,
    )
    category_sector = [economy.sectors.index(code) for code in cells.category_sectors]
    TS = ("draw", "scenario", "time")
    TSS = (*TS, "sector")

    def add_scenario(array, axis=1):
        return np.expand_dims(array, axis)

    variables = {
        "budget": (TS, add_scenario(payments), money, "procurement budget spent"),
        "local_awards": (
            TS,
            add_scenario(period[:, :, layout.O_LOCAL_AWARDS]),
            money,
            "value of contracts awarded to local firms",
        ),
        "local_award_share": (TS, add_scenario(local_share), "1", "share of awarded value won by local firms"),
        "cost_premium": (TS, add_scenario(premium), money, "extra procurement cost caused by the levers"),
        "local_output": (TSS, add_scenario(sector[:, :, layout.S_OUTPUT]), money, "output of local industries"),
        "local_value_added": (
            TSS,
            add_scenario(sector[:, :, layout.S_VALUE_ADDED]),
            money,
            "value added of local industries",
        ),
        "local_income": (
            TSS,
            add_scenario(sector[:, :, layout.S_RESIDENT_WAGES]),
            money,
            "labour income paid to resident workers",
        ),
        "local_employment": (TSS, add_scenario(employment), "persons", "employment in local industries"),
        "local_tax": (
            TS,
            add_scenario(period[:, :, layout.O_TAX]),
            money,
            "local tax revenue returning to the city budget",
        ),
        "nonlocal_output": (
            TSS,
            add_scenario(sector[:, :, layout.S_NONLOCAL_AWARDS]),
            money,
            "output of non-local winners of city contracts",
        ),
        "leakage": (
            (*TS, "channel"),
            add_scenario(period[:, :, layout.O_LEAK : layout.O_LEAK + 8]),
            money,
            "money leaving the local economy, by channel",
        ),
        "flows": (
            ("draw", "scenario", "account"),
            add_scenario(flows),
            "1",
            "first-round destination of a won of procurement",
        ),
        "output_effects": (
            ("draw", "scenario", "effect", "sector"),
            add_scenario(effects),
            money,
            "local output by effect",
        ),
        "lm3": (("draw", "scenario"), add_scenario(lm3), "1", "Local Multiplier 3 (first three rounds / round one)"),
        "realised_local_share": (
            ("draw", "scenario", "category", "size_class", "award_method"),
            add_scenario(realised),
            "1",
            "realised local award share by budget cell",
        ),
        "bidders_per_contract": (TS, add_scenario(bidders), "1", "mean bidders per contract"),
        "price_index": (TS, add_scenario(price_index), "1", "price paid per unit of estimated contract value"),
        "sme_share": (TS, add_scenario(sme), "1", "share of awarded value won by SMEs"),
        "social_economy_share": (TS, add_scenario(social), "1", "share of awarded value won by social-economy firms"),
        "external_funding": (
            TS,
            add_scenario(period[:, :, layout.O_EXTERNAL]),
            money,
            "procurement paid from outside the circuit (budget less recycled local tax)",
        ),
        "circuit_stock": (
            TS,
            add_scenario(period[:, :, layout.O_STOCK]),
            money,
            "money held in the circuit at period end (backlog, next-period demand and tax)",
        ),
        "direct_output": (
            TSS,
            add_scenario(sector[:, :, layout.S_DIRECT]),
            money,
            "contract work executed by local firms (direct output)",
        ),
        "local_input_purchases": (
            TSS,
            add_scenario(sector[:, :, layout.S_LOCAL_PURCHASES]),
            money,
            "intermediate inputs bought from local firms by local industries",
        ),
        "local_owners_income": (
            TSS,
            add_scenario(sector[:, :, layout.S_OWNERS_INCOME]),
            money,
            "surplus of local industries paid to resident owners (after taxes and investment)",
        ),
        "local_investment": (
            TSS,
            add_scenario(sector[:, :, layout.S_INVESTMENT]),
            money,
            "replacement investment and reinvestment of local industries",
        ),
        "hhi": (
            ("draw", "scenario", "category"),
            add_scenario(raw.hhi[:, category_sector]),
            "1",
            "Herfindahl-Hirschman index of award value among firms of each category's sector",
        ),
    }
    ds = xr.Dataset(
        {
            name: (dims, values, {"units": units, "long_name": long_name})
            for name, (dims, values, units, long_name) in variables.items()
        },
        coords={
            "draw": np.arange(draws),
            "scenario": [scenario],
            "time": np.arange(period.shape[1]),
            "sector": list(economy.sectors),
            "channel": list(LEAKAGE_CHANNELS),
            "account": list(FLOW_ACCOUNTS),
            "effect": ["direct", "indirect", "induced", "total"],
            "category": list(cells.categories),
            "size_class": list(cells.size_classes),
            "award_method": list(cells.methods),
        },
        attrs={
            "region": "city",
            "table": "",
            "data_version": "",
            "simengine_version": __version__,
            "currency": currency,
            "monetary_unit": monetary_unit,
            "price_year": "",
            "mode": "agents",
            "time_unit": "month",
            "draws": draws,
        },
    )
    return ds if draws > 1 else ds.isel(draw=0, drop=True)
