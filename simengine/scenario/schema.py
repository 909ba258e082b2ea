"""Pydantic v2 models of scenario files and batch files (``schema_version = 1``).

A scenario file is TOML. Every table forbids unknown keys; shares are fractions in [0, 1];
amounts are in the budget's ``currency`` and ``monetary_unit``; a money value elsewhere is an
inline table ``{ amount = 200, unit = "KRW million" }``. The field descriptions here are the
reference documentation: ``python -m simengine.scenario.docs`` renders them to
``docs/scenario_schema.md``.

Behavioural levers (set-aside, unbundling, eligibility, scoring weight, bid preference) carry a
``response`` table. Analytic mode (:func:`simengine.scenario.levers.apply_levers`) maps a lever
to a change in the local award share and a procurement cost premium through these parameters;
each default names its source or is marked as an assumption.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..procurement.vocabulary import METHODS, SIZE_CLASSES

__all__ = [
    "SCHEMA_VERSION",
    "METHODS",
    "SIZE_CLASSES",
    "MONETARY_SCALE",
    "Money",
    "ScenarioInfo",
    "BudgetCell",
    "SizeClassBounds",
    "Budget",
    "Circuit",
    "Lever",
    "PROCUREMENT_LEVERS",
    "CIRCUIT_LEVERS",
    "LocalShareTarget",
    "SetAside",
    "ContractUnbundling",
    "EligibilityRelaxation",
    "LocalContributionScore",
    "LocalCoexistencePlan",
    "BidPricePreference",
    "SocialEconomyPurchaseTarget",
    "HouseholdLocalConsumption",
    "ReinvestmentProgramme",
    "Scenario",
    "SweepParameter",
    "Sweep",
    "BatchInfo",
    "Batch",
]

#: The only schema version this release reads.
SCHEMA_VERSION = 1

#: Multiplier from a monetary unit to one currency unit.
MONETARY_SCALE = {"one": 1.0, "thousand": 1e3, "million": 1e6, "billion": 1e9}
#: Largest number of variants one sweep may expand to (each is a validated scenario in memory).
MAX_SWEEP = 100_000
#: Largest amount accepted anywhere (in the stated unit); larger values are typos.
MAX_AMOUNT = 1e18

Method = Literal["negotiated", "restricted", "open", "scoring", "shopping_mall"]
SizeClass = Literal["small", "medium", "large"]
MonetaryUnit = Literal["one", "thousand", "million", "billion"]
ReservedGroup = Literal["local", "local_sme", "sme", "social_economy"]

Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Amount = Annotated[float, Field(ge=0.0, le=MAX_AMOUNT, allow_inf_nan=False)]
Rate = Annotated[float, Field(ge=0.0, le=100.0, allow_inf_nan=False)]
Year = Annotated[int, Field(ge=1900, le=2200)]
RampYears = Annotated[int, Field(ge=0, le=100)]
Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=80)]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Money(_Table):
    """A money value with its unit, written inline: ``{ amount = 200, unit = "KRW million" }``."""

    amount: Amount = Field(description="Amount in `unit`.")
    unit: str = Field(
        pattern=r"^[A-Z]{3}( (thousand|million|billion))?$",
        description='ISO 4217 currency, optionally followed by a scale: "KRW", "KRW million".',
    )

    @property
    def currency(self) -> str:
        """The ISO 4217 currency code."""
        return self.unit.split()[0]

    def in_unit(self, monetary_unit: str) -> float:
        """The amount expressed in ``monetary_unit`` (a key of :data:`MONETARY_SCALE`) of the same currency."""
        parts = self.unit.split()
        scale = MONETARY_SCALE[parts[1]] if len(parts) == 2 else 1.0
        return self.amount * scale / MONETARY_SCALE[monetary_unit]


class ScenarioInfo(_Table):
    """``[scenario]``: identity, region, mode and time span."""

    id: Identifier = Field(description="Short identifier used as the `scenario` coordinate of results.")
    title: str = Field(max_length=200, description="One-line title.")
    description: str = Field(default="", max_length=5000, description="Free text: what the scenario changes and why.")
    region: str = Field(description='Regional model (simengine region list), e.g. "gwangmyeong" or "busan-2014".')
    mode: Literal["analytic", "agents"] = Field(
        default="analytic", description="Procurement layer: analytic local shares, or agent-based auctions."
    )
    start_year: Year = Field(description="First simulated year; levers start here unless they say otherwise.")
    horizon: int = Field(default=1, ge=1, le=100, description="Number of simulated years.")
    draws: int = Field(
        default=20,
        ge=1,
        le=100_000,
        description="Agent mode: Monte Carlo draws (results gain a `draw` dimension when above 1). "
        "Default 20; ignored in analytic mode.",
    )
    seed: int = Field(
        default=0,
        ge=0,
        le=2**63 - 1,
        description=(
            "Agent mode: root seed of the firm population and of the draws. Default 0; ignored in analytic mode."
        ),
    )

    @property
    def years(self) -> range:
        """The simulated years."""
        return range(self.start_year, self.start_year + self.horizon)


class BudgetCell(_Table):
    """``[[budget.cell]]``: one sector x size class x method cell of the procurement budget."""

    sector: str = Field(description="Sector code of the loaded table (korea-2014: WIOD codes, e.g. F = construction).")
    size_class: SizeClass = Field(description="Contract-size class.")
    method: Method = Field(description="Procurement method.")
    amount: Amount = Field(description="Annual spending in the budget's currency and monetary unit.")
    local_share: Share = Field(description="Baseline share of the amount awarded to firms located in the region.")
    contracts: int | None = Field(
        default=None, ge=1, le=10**9, description="Number of contracts per year (used by a bid-preference cap)."
    )


class SizeClassBounds(_Table):
    """``[budget.size_class_upper]``: upper contract value of each size class, in the budget's unit."""

    small: Amount = Field(description="Largest contract value in the `small` class.")
    medium: Amount = Field(description="Largest contract value in the `medium` class (`large` is unbounded).")

    @model_validator(mode="after")
    def _ordered(self) -> SizeClassBounds:
        if not 0 < self.small < self.medium:
            raise ValueError(f"need 0 < small < medium, got small={self.small}, medium={self.medium}")
        return self

    def bounds(self, size_class: str) -> tuple[float, float]:
        """Lower and upper contract value of ``size_class`` (upper is ``inf`` for `large`)."""
        edges = {"small": (0.0, self.small), "medium": (self.small, self.medium), "large": (self.medium, float("inf"))}
        return edges[size_class]


class Budget(_Table):
    """``[budget]``: the city's procurement budget by cell, with its money units."""

    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 currency code of every amount, e.g. KRW.")
    price_year: Year = Field(description="Price year of every amount.")
    monetary_unit: MonetaryUnit = Field(description="Unit of every amount: one, thousand, million or billion.")
    source: str = Field(default="", max_length=5000, description="Where the figures come from; label assumptions.")
    size_class_upper: SizeClassBounds = Field(description="Upper bounds of the size classes.")
    social_economy_share: Share = Field(
        default=0.0, description="Baseline share of purchases from social enterprises and cooperatives."
    )
    deflator: Annotated[float, Field(ge=0.01, le=100.0, allow_inf_nan=False)] | None = Field(
        default=None,
        description=(
            "Price level of `price_year` relative to the price year of the region's table (e.g. a GDP "
            "deflator ratio): employment coefficients, persons per unit of output at table prices, are "
            "divided by it. Required when `price_year` differs from the table's; 1.0 applies none."
        ),
    )
    cell_file: str | None = Field(
        default=None,
        description="CSV with columns sector,size_class,method,amount,local_share[,contracts] "
        "(e.g. a spend-analysis output), relative to the scenario file; replaces `cell`.",
    )
    cell: list[BudgetCell] = Field(default=[], max_length=100_000, description="Budget cells.")

    @model_validator(mode="after")
    def _cells_unique(self) -> Budget:
        if not self.cell:
            raise ValueError("the budget has no cells: give [[budget.cell]] tables or cell_file")
        seen = set()
        for i, cell in enumerate(self.cell):
            key = (cell.sector, cell.size_class, cell.method)
            if key in seen:
                raise ValueError(f"cell[{i}] repeats sector={key[0]!r}, size_class={key[1]!r}, method={key[2]!r}")
            seen.add(key)
        return self


class Circuit(_Table):
    """``[circuit]``: overrides of the region's local-circuit parameters (omitted keys keep the region's values)."""

    household_local_consumption_share: Share | None = Field(
        default=None, description="Share of resident household spending bought from local firms."
    )
    reinvestment_rate: Share | None = Field(
        default=None, description="Share of locally owned firms' operating surplus reinvested locally."
    )
    resident_worker_share: Share | None = Field(
        default=None, description="Share of labour income paid to workers who live in the region."
    )
    local_ownership_share: Share | None = Field(
        default=None, description="Share of operating surplus accruing to owners in the region."
    )
    local_tax_rate: Share | None = Field(
        default=None, description="Local taxes per unit of local labour income and surplus, re-spent by the city."
    )


# --- levers ---------------------------------------------------------------------------


class _Lever(_Table):
    label: str = Field(default="", max_length=200, description="Free text shown in reports.")
    start_year: Year | None = Field(default=None, description="First year in force (default: the scenario's start).")
    ramp_years: RampYears = Field(
        default=0,
        description="Years to full effect: effect fraction min(1, (year - start + 1) / ramp_years); 0 = at once.",
    )


class _CellLever(_Lever):
    sector: str | None = Field(default=None, description="Sector code the lever applies to (default: every sector).")
    method: Method | None = Field(default=None, description="Procurement method it applies to (default: every method).")
    size_class: SizeClass | None = Field(default=None, description="Size class it applies to (default: every class).")


class ShareCostResponse(_Table):
    cost_premium_per_share: Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False)] = Field(
        default=0.1,
        description="Cost premium (fraction of the cell's amount) per unit of local-share increase. "
        "ASSUMPTION: 0.1, i.e. +10 percentage points local share costs 1%; no direct estimate found.",
    )


class LocalShareTarget(_CellLever):
    """Award share to local firms in the selected cells moves to `target`, ramped."""

    kind: Literal["local_share_target"]
    sector: str = Field(description="Sector code the target applies to.")
    target: Share = Field(description="Local award share reached at the end of the ramp.")
    response: ShareCostResponse = Field(default_factory=ShareCostResponse, description="Cost response.")


class SetAsideResponse(_Table):
    """How a set-aside changes the local share and the price, in analytic mode."""

    gap_closed: Share = Field(
        default=0.9,
        description="Fraction of the gap to the reserved pool's local fraction closed in covered spending. "
        "ASSUMPTION: 0.9, since restricted tenders with too few eligible bidders are re-tendered openly.",
    )
    pool_local_fraction: Share | None = Field(
        default=None,
        description="Local fraction of the reserved pool; default by group: local and local_sme 1.0, "
        "social_economy 0.9, sme 0.7 (ASSUMPTION), the smallest over `reserved_for`.",
    )
    cost_premium: Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)] = Field(
        default=0.0,
        description="Cost premium on covered spending. Default 0: Nakabayashi (2013, J. Public Econ. 100: 28-44) "
        "finds that SME set-asides in Japanese public works did not raise, and through entry lowered, "
        "procurement costs. Set a positive value for a sensitivity run.",
    )


class SetAside(_Lever):
    """Only the reserved groups may bid for contracts up to `max_contract_value` in the sector."""

    kind: Literal["set_aside"]
    sector: str = Field(description="Sector code.")
    max_contract_value: Money = Field(description="Largest contract reserved.")
    reserved_for: list[ReservedGroup] = Field(
        min_length=1, max_length=4, description="Groups that may bid: local, local_sme, sme, social_economy."
    )
    response: SetAsideResponse = Field(default_factory=SetAsideResponse, description="Analytic response.")


class UnbundlingResponse(_Table):
    """How unbundling changes the local share, in analytic mode."""

    uptake: Share = Field(
        default=0.5,
        description="Fraction of spending above the threshold actually re-let as lots. ASSUMPTION: 0.5 "
        "(works that cannot be split technically, e.g. single structures, stay whole).",
    )


class ContractUnbundling(_Lever):
    """Contracts above `lot_threshold` are split into lots under it; lots win like small contracts."""

    kind: Literal["contract_unbundling"]
    sector: str = Field(description="Sector code.")
    lot_threshold: Money = Field(description="Largest lot value after splitting.")
    scale_cost_penalty: Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)] = Field(
        default=0.02,
        description="Lost economies of scale as a fraction of unbundled spending. ASSUMPTION: 0.02.",
    )
    admin_cost_per_lot: Money = Field(description="Extra tendering and supervision cost per lot.")
    response: UnbundlingResponse = Field(default_factory=UnbundlingResponse, description="Analytic response.")


class EligibilityResponse(_Table):
    """How relaxed eligibility changes the local share and the price, in analytic mode."""

    gap_closed_per_reduction: Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False)] = Field(
        default=0.2,
        description="Fraction of the gap to an all-local award closed per unit of requirement reduction. "
        "ASSUMPTION: halving requirements closes 10% of the gap.",
    )
    cost_premium_per_reduction: Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False)] = Field(
        default=0.0,
        description="Cost premium per unit of requirement reduction. ASSUMPTION: 0 (more bidders lower prices, "
        "higher default risk raises costs; no estimate found).",
    )


class EligibilityRelaxation(_CellLever):
    """Track-record and capital requirements are lowered so that more local firms qualify."""

    kind: Literal["eligibility_relaxation"]
    sector: str = Field(description="Sector code.")
    requirement_reduction: Share = Field(description="Fractional cut in track-record and capital requirements.")
    response: EligibilityResponse = Field(default_factory=EligibilityResponse, description="Analytic response.")


class ScoreResponse(_Table):
    """How a local-contribution score item changes the local share and the price, in analytic mode."""

    gap_closed_per_weight: Annotated[float, Field(ge=0.0, le=20.0, allow_inf_nan=False)] = Field(
        default=1.5,
        description="Fraction of the gap to an all-local award closed per unit of score weight. "
        "ASSUMPTION: a 10-point item out of 100 closes 15% of the gap.",
    )
    cost_premium_per_weight: Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False)] = Field(
        default=0.38,
        description="Cost premium per unit of score weight: Marion (2007)'s 0.76 per unit of bid preference "
        "times an ASSUMED price equivalence of 0.5 (one score point is worth half a percent of price).",
    )


class LocalContributionScore(_CellLever):
    """A local-contribution item of weight `weight` in the award score."""

    kind: Literal["local_contribution_score"]
    weight: Share = Field(description="Weight of the item in the total score (0.05 = 5 points of 100).")
    response: ScoreResponse = Field(default_factory=ScoreResponse, description="Analytic response.")


class CoexistenceResponse(_Table):
    cost_premium_per_share: Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False)] = Field(
        default=0.05,
        description="Cost premium per unit of subcontracting share moved to local firms. "
        "ASSUMPTION: 0.05 (a 20% mandated share placed with non-preferred suppliers costs 1%).",
    )


class LocalCoexistencePlan(_CellLever):
    """Winners place at least `min_local_subcontract_share` of the contract with local subcontractors."""

    kind: Literal["local_coexistence_plan"]
    min_local_subcontract_share: Share = Field(description="Minimum share of the contract placed locally.")
    response: CoexistenceResponse = Field(default_factory=CoexistenceResponse, description="Cost response.")


class BidPreferenceResponse(_Table):
    """How a bid price preference changes the local share and the price, in analytic mode."""

    gap_closed_per_discount: Annotated[float, Field(ge=0.0, le=50.0, allow_inf_nan=False)] = Field(
        default=2.0,
        description="Fraction of the gap to an all-local award closed per unit of discount. "
        "ASSUMPTION: a 5% preference closes 10% of the gap.",
    )
    cost_premium_per_discount: Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False)] = Field(
        default=0.76,
        description="Cost premium per unit of discount: Marion (2007, J. Public Econ. 91: 1591-1624), a 5% "
        "small-business bid preference in California highway auctions raised costs 3.8% (3.8 / 5 = 0.76).",
    )


class BidPricePreference(_CellLever):
    """Local bids are evaluated at a discount, optionally capped per contract."""

    kind: Literal["bid_price_preference"]
    discount: Annotated[float, Field(ge=0.0, le=0.5, allow_inf_nan=False)] = Field(
        description="Evaluation discount on local bids (0.05 = 5%)."
    )
    cap: Money | None = Field(
        default=None, description="Largest preference per contract; binds where the cell gives `contracts`."
    )
    response: BidPreferenceResponse = Field(default_factory=BidPreferenceResponse, description="Analytic response.")


class SocialEconomyResponse(_Table):
    """How a social-economy target changes the local share and the price, in analytic mode."""

    local_fraction: Share = Field(
        default=0.9,
        description="Local fraction of social-economy suppliers. ASSUMPTION: 0.9 (registered and working locally).",
    )
    cost_premium_per_share: Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False)] = Field(
        default=0.0, description="Cost premium per unit of purchases moved. ASSUMPTION: 0."
    )


class SocialEconomyPurchaseTarget(_CellLever):
    """At least `share` of purchases from social enterprises and cooperatives."""

    kind: Literal["social_economy_purchase_target"]
    share: Share = Field(description="Target share of purchases.")
    response: SocialEconomyResponse = Field(default_factory=SocialEconomyResponse, description="Analytic response.")


class HouseholdLocalConsumption(_Lever):
    """Local currency or campaigns raise the household local-consumption share to `share`."""

    kind: Literal["household_local_consumption"]
    share: Share = Field(description="Household local-consumption share at the end of the ramp.")
    annual_cost: Money | None = Field(
        default=None, description="Programme cost per year (e.g. local-currency discount)."
    )


class ReinvestmentProgramme(_Lever):
    """Programmes raise the local reinvestment rate of locally owned firms to `rate`."""

    kind: Literal["reinvestment_programme"]
    rate: Share = Field(description="Reinvestment rate at the end of the ramp.")
    annual_cost: Money | None = Field(default=None, description="Programme cost per year.")


#: Levers that act on budget cells, in analytic mode through :func:`apply_levers`.
PROCUREMENT_LEVERS = (
    LocalShareTarget,
    SetAside,
    ContractUnbundling,
    EligibilityRelaxation,
    LocalContributionScore,
    LocalCoexistencePlan,
    BidPricePreference,
    SocialEconomyPurchaseTarget,
)
#: Levers that act on the local-circuit parameters.
CIRCUIT_LEVERS = (HouseholdLocalConsumption, ReinvestmentProgramme)

Lever = Annotated[
    Union[  # noqa: UP007 - a discriminated union reads better spelled out
        LocalShareTarget,
        SetAside,
        ContractUnbundling,
        EligibilityRelaxation,
        LocalContributionScore,
        LocalCoexistencePlan,
        BidPricePreference,
        SocialEconomyPurchaseTarget,
        HouseholdLocalConsumption,
        ReinvestmentProgramme,
    ],
    Field(discriminator="kind"),
]


class Scenario(_Table):
    """A scenario file after `extends` is merged."""

    schema_version: Literal[1] = Field(description="Version of this schema; must be 1.")
    scenario: ScenarioInfo = Field(description="Identity, region, mode and years.")
    budget: Budget = Field(description="The procurement budget.")
    circuit: Circuit = Field(default_factory=Circuit, description="Local-circuit overrides.")
    lever: list[Lever] = Field(default=[], max_length=1000, description="Policy levers, applied in file order.")


# --- batches --------------------------------------------------------------------------


class SweepParameter(_Table):
    """``[[sweep.parameter]]``: one key of the base scenario varied by the sweep."""

    path: str = Field(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\[\d+\])?(\.[A-Za-z_][A-Za-z0-9_]*(\[\d+\])?)*$",
        description='Key path in the merged base scenario, e.g. "lever[0].target".',
    )
    values: list[float | int | str | bool] | None = Field(
        default=None, min_length=1, max_length=10_000, description="Values to use (grid) or draw from (random)."
    )
    low: float | None = Field(default=None, allow_inf_nan=False, description="Lower bound of a uniform draw (random).")
    high: float | None = Field(default=None, allow_inf_nan=False, description="Upper bound of a uniform draw (random).")

    @model_validator(mode="after")
    def _values_or_range(self) -> SweepParameter:
        has_range = self.low is not None or self.high is not None
        if (self.values is None) == (not has_range):
            raise ValueError("give either values, or low and high")
        if has_range and (self.low is None or self.high is None or not self.low <= self.high):
            raise ValueError(f"need low <= high, got low={self.low}, high={self.high}")
        return self


class Sweep(_Table):
    """``[sweep]``: variants of a base scenario over a grid or random draws."""

    base: str = Field(description="Scenario file the variants start from, relative to the batch file.")
    method: Literal["grid", "random"] = Field(description="grid: every combination of `values`; random: `draws` draws.")
    draws: int | None = Field(default=None, ge=1, le=MAX_SWEEP, description="Number of random draws.")
    seed: int = Field(default=0, ge=0, le=2**63 - 1, description="Seed of the random draws.")
    parameter: list[SweepParameter] = Field(min_length=1, max_length=100, description="Varied keys.")

    @model_validator(mode="after")
    def _consistent(self) -> Sweep:
        if self.method == "random" and self.draws is None:
            raise ValueError("a random sweep needs draws")
        if self.method == "grid":
            if self.draws is not None:
                raise ValueError("draws is only for method = 'random'")
            if any(p.values is None for p in self.parameter):
                raise ValueError("a grid sweep needs values for every parameter")
            size = 1
            for p in self.parameter:
                size *= len(p.values)
            if size > MAX_SWEEP:
                raise ValueError(f"the grid has {size} points; the limit is {MAX_SWEEP} (split the sweep)")
        return self


class BatchInfo(_Table):
    """``[batch]``: identity of a batch."""

    id: Identifier = Field(description="Short identifier of the batch.")
    title: str = Field(max_length=200, description="One-line title.")
    description: str = Field(default="", max_length=5000, description="Free text.")


class Batch(_Table):
    """A batch file: scenarios to compare, and optionally a sweep."""

    schema_version: Literal[1] = Field(description="Version of this schema; must be 1.")
    batch: BatchInfo = Field(description="Identity of the batch.")
    baseline: str = Field(description="The scenario file every other is compared with, relative to the batch file.")
    scenarios: list[str] = Field(default=[], max_length=10_000, description="Further scenario files.")
    sweep: Sweep | None = Field(default=None, description="Variants of one scenario.")
