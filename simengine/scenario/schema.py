"""Pydantic v2 models of scenario files and batch files (``schema_version = 1``).

A scenario file is TOML. Every table forbids unknown keys; shares are fractions in [0, 1];
amounts are in the budget's ``currency`` and ``monetary_unit``; a money value elsewhere is an
inline table ``{ amount = 200, unit = "KRW million" }``. The field descriptions here are the
reference documentation: ``python -m simengine.scenario.docs`` renders them to
``docs/scenario_schema.md``.

Lever tables are defined one module per kind in :mod:`simengine.levers`; the ``lever`` union
here is generated from that registry. Their ``response`` tables hold the analytic-mode response
parameters, each default naming its source or marked as an assumption with a prior range.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from ..circuit_settings import CircuitSettingsTable
from ..fields import (
    MAX_SWEEP,
    MONETARY_SCALE,
    Amount,
    Identifier,
    Method,
    MonetaryUnit,
    Money,
    Share,
    SizeClass,
    Year,
)
from ..fields import Table as _Table
from ..levers import Lever
from ..prices import DEFAULT_PRODUCTIVITY_GROWTH
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
    "Appraisal",
    "OBJECTIVES",
    "KOREA_SOCIAL_DISCOUNT_RATE",
    "Lever",
    "Scenario",
    "SweepParameter",
    "Sweep",
    "BatchInfo",
    "Batch",
]

#: The only schema version this release reads.
SCHEMA_VERSION = 1


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

    responses: str = Field(
        default="literature",
        min_length=1,
        max_length=1000,
        description='Values of the levers\' `response` tables that the file leaves out: "literature" (each lever '
        'kind\'s sourced or assumed defaults), "agent-derived" (the shipped fits of the agent model, written by '
        "`simengine agents derive-responses`) or the path of a response file (relative to this file). Values "
        "written in a lever's `response` table win.",
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
            "divided by it. Default: the shipped Korea GDP deflator series (World Bank NY.GDP.DEFL.ZS, "
            "2000-2020); required for price years outside it; 1.0 applies none."
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


#: ``[circuit]``: generated from :data:`simengine.circuit_settings.CIRCUIT_SETTINGS`.
Circuit = CircuitSettingsTable


#: Objectives a comparison can rank by (net present benefit of the objective's stream, net of cost).
OBJECTIVES = ("local_value_added", "resident_income", "national_value_added", "fiscal")
#: Social discount rate of Korea's preliminary feasibility studies (예비타당성조사), real, per year.
KOREA_SOCIAL_DISCOUNT_RATE = 0.045


class Appraisal(_Table):
    """``[appraisal]``: how the scenario's streams are valued and compared.

    The defaults are the decision-grade channels; ``financing = "new_money"``,
    ``premium = "as_spending"`` and ``feedback = false`` switch them off (the figures of a plain
    IO propagation of the awards).
    """

    discount_rate: Annotated[float, Field(ge=0.0, le=0.5, allow_inf_nan=False)] = Field(
        default=KOREA_SOCIAL_DISCOUNT_RATE,
        description="Real discount rate per year for present values. Default 0.045: the social discount rate "
        "of Korea's preliminary feasibility studies (예비타당성조사; KDI PIMAC, General Guidelines for Preliminary "
        "Feasibility Studies), 4.5% since the 2017 revision, down from 5.5% (Song 2017, KDI Journal of Economic "
        "Policy 39(2): 75-98, estimates 3.0-4.5%). Use 0.03 and 0.055 as sensitivity bounds.",
    )
    base_year: Year | None = Field(
        default=None, description="Year to which streams are discounted (default: the scenario's start year)."
    )
    objective: Literal[OBJECTIVES] = Field(  # type: ignore[valid-type]
        default="resident_income",
        description="What a comparison ranks by, as net present benefit net of cost: local_value_added, "
        "resident_income (resident net wages, local owners' income, transfers), national_value_added "
        "(local + other regions) or fiscal (the city's balance: local tax in, programme and premium costs out).",
    )
    financing: Literal["displaces_city_spending", "new_money"] = Field(
        default="displaces_city_spending",
        description="Where programme costs (annual_cost) come from: by default they displace other city spending, "
        "which had its own local effects (the city's purchase pattern through the circuit); new_money: "
        "from outside the city's budget (e.g. a national grant), displacing nothing.",
    )
    premium: Literal["transfer", "as_spending"] = Field(
        default="transfer",
        description="transfer: with a fixed budget a cost premium p buys 1/(1+p) of the volume, and the premium "
        "is a transfer to the winning firms' surplus; as_spending: the whole amount is propagated as purchases "
        "(the premium then wrongly buys inputs and jobs) and the premium is counted as an extra cost p.",
    )
    productivity_growth: Annotated[float, Field(ge=-0.1, le=0.2, allow_inf_nan=False)] = Field(
        default=DEFAULT_PRODUCTIVITY_GROWTH,
        description="Labour-productivity growth per year from the table year to the budget's price year; employment "
        "per unit of real output is divided by (1 + g)^(price_year - table_year). Default 0.015, an ASSUMPTION "
        "(Korea 2015-2019: real GDP about +2.8% a year, employment about +1.2%); 0 applies none.",
    )
    feedback: bool = Field(
        default=True,
        description="Count the local output induced by the non-local awards (other regions buying from the city).",
    )


# --- levers: one module per kind in simengine.levers; the union is generated from the registry ---


class Scenario(_Table):
    """A scenario file after `extends` is merged."""

    schema_version: Literal[1] = Field(description="Version of this schema; must be 1.")
    scenario: ScenarioInfo = Field(description="Identity, region, mode and years.")
    budget: Budget = Field(description="The procurement budget.")
    circuit: Circuit = Field(default_factory=Circuit, description="Local-circuit overrides.")
    appraisal: Appraisal = Field(default_factory=Appraisal, description="Valuation and comparison settings.")
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


class Uncertainty(_Table):
    """``[uncertainty]``: compare the batch's scenarios under joint draws of every response parameter's prior."""

    draws: int = Field(ge=1, le=10_000_000, description="Joint draws of the response parameters.")
    seed: int = Field(default=0, ge=0, description="Seed of the draws; the same seed gives the same draws.")


class Batch(_Table):
    """A batch file: scenarios to compare, and optionally a sweep."""

    schema_version: Literal[1] = Field(description="Version of this schema; must be 1.")
    batch: BatchInfo = Field(description="Identity of the batch.")
    baseline: str = Field(description="The scenario file every other is compared with, relative to the batch file.")
    scenarios: list[str] = Field(default=[], max_length=10_000, description="Further scenario files.")
    sweep: Sweep | None = Field(default=None, description="Variants of one scenario.")
    uncertainty: Uncertainty | None = Field(
        default=None, description="Also compare the scenarios under draws of the levers' response parameters."
    )
    responses: str | None = Field(
        default=None,
        min_length=1,
        max_length=1000,
        description="Response set for every scenario of the batch, replacing each file's `scenario.responses`: "
        '"literature", "agent-derived" or the path of a response file (relative to the batch file).',
    )
