"""Parameters of the local circuit as the agent model uses them.

The names and meanings follow ``simengine.circuit.CircuitParameters`` (the analytic closure);
:class:`AgentCircuit` is the subset the agent loop needs, per sector where the analytic model
allows it. :meth:`AgentCircuit.from_parameters` maps the analytic parameters onto it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..circuit import CircuitParameters
from ..errors import ScenarioError
from ..local_economy import LocalEconomy

__all__ = ["AgentCircuit", "REPLACEMENT_SHARE"]

#: Default share of a local firm's after-tax gross operating surplus spent on replacement
#: investment (ASSUMPTION: the part of consumption of fixed capital that firms in the city
#: renew through local capital-goods markets; see docs/agents.md, "Firm dynamics").
REPLACEMENT_SHARE = 0.1


def _per_sector(name: str, value, n: int) -> np.ndarray:
    array = (
        np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)).copy()
        if np.ndim(value) == 0
        else np.asarray(value, dtype=np.float64)
    )
    if array.shape != (n,):
        raise ScenarioError(f"circuit parameter {name} has shape {array.shape}; expected a scalar or ({n},)")
    return array


@dataclass(frozen=True)
class AgentCircuit:
    """Closures of the local circuit (fractions in [0, 1]; per sector arrays of length ``n``).

    Attributes
    ----------
    resident_wage_share : ndarray (n,)
        Share of compensation paid by local firms to workers who live in the city (the rest
        goes to commuters and leaks). Default 0.35: Gwangmyeong's major employers reported
        34 % resident employees in 2020 (city figures).
    consumption_propensity : float
        Share of resident household income (after local tax) spent on consumption; the rest
        is saved (a leak). Default 0.7.
    consumption_mix : ndarray (n,)
        Consumption spending by product sector, sums to 1. Default uniform.
    household_local_share : ndarray (n,)
        Share of consumption of each product bought from local firms. Default 0.4.
    local_wage_tax_rate : float
        Local income tax on wages, levied where people work (Local Tax Act art. 89(3)1).
        Default 0.01 of compensation.
    local_profit_tax_rate : float
        Local tax on operating surplus of firms located in the city. Default 0.02.
    local_ownership_share : ndarray (n,)
        Share of local firms' surplus after replacement investment owned by residents.
        Default 0.6.
    reinvestment_rate : ndarray (n,)
        Share of locally owned after-tax surplus, after replacement investment, reinvested
        (the rest is resident income). Default 0.3.
    replacement_share : ndarray (n,)
        Share of every local firm's after-tax surplus spent on replacement investment (owned
        locally or not), through the capital-goods mix and local shares like reinvestment.
        Default :data:`REPLACEMENT_SHARE`.
    capital_goods_mix : ndarray (n,)
        Investment spending by product sector, sums to 1. Default uniform.
    capital_local_share : ndarray (n,)
        Share of each capital good bought from local firms. Default 0.2.
    national_wage_tax_rate, national_profit_tax_rate : float
        National taxes and social contributions per unit of compensation / operating surplus
        (leak ``taxes_leaving``). Default 0.
    city_respend_share : float
        Share of last month's local tax the city re-spends through procurement (it scales up
        this month's contracts, so it follows the budget's cells and their award behaviour).
        Default 1.
    city_transfer_share : float
        Share of last month's local tax paid to resident households as transfers; the rest,
        ``1 - city_respend_share - city_transfer_share``, leaks as ``not_respent``. Default 0.
    sectors : tuple of str
        Sector codes the per-sector arrays follow.
    """

    resident_wage_share: np.ndarray
    consumption_propensity: float
    consumption_mix: np.ndarray
    household_local_share: np.ndarray
    local_wage_tax_rate: float
    local_profit_tax_rate: float
    local_ownership_share: np.ndarray
    reinvestment_rate: np.ndarray
    capital_goods_mix: np.ndarray
    capital_local_share: np.ndarray
    national_wage_tax_rate: float = 0.0
    national_profit_tax_rate: float = 0.0
    city_respend_share: float = 1.0
    city_transfer_share: float = 0.0
    sectors: tuple[str, ...] = field(default=())
    replacement_share: np.ndarray | float = 0.0

    @classmethod
    def for_economy(
        cls,
        economy: LocalEconomy,
        *,
        resident_wage_share=0.35,
        consumption_propensity: float = 0.7,
        consumption_mix=None,
        household_local_share=0.4,
        local_wage_tax_rate: float = 0.01,
        local_profit_tax_rate: float = 0.02,
        local_ownership_share=0.6,
        reinvestment_rate=0.3,
        capital_goods_mix=None,
        capital_local_share=0.2,
        national_wage_tax_rate: float = 0.0,
        national_profit_tax_rate: float = 0.0,
        city_respend_share: float = 1.0,
        city_transfer_share: float = 0.0,
        replacement_share=REPLACEMENT_SHARE,
    ) -> AgentCircuit:
        """Circuit parameters for ``economy``'s sectors (scalars broadcast to every sector)."""
        n = len(economy.sectors)
        uniform = np.full(n, 1.0 / n)
        circuit = cls(
            resident_wage_share=_per_sector("resident_wage_share", resident_wage_share, n),
            consumption_propensity=float(consumption_propensity),
            consumption_mix=_per_sector("consumption_mix", uniform if consumption_mix is None else consumption_mix, n),
            household_local_share=_per_sector("household_local_share", household_local_share, n),
            local_wage_tax_rate=float(local_wage_tax_rate),
            local_profit_tax_rate=float(local_profit_tax_rate),
            local_ownership_share=_per_sector("local_ownership_share", local_ownership_share, n),
            reinvestment_rate=_per_sector("reinvestment_rate", reinvestment_rate, n),
            capital_goods_mix=_per_sector(
                "capital_goods_mix", uniform if capital_goods_mix is None else capital_goods_mix, n
            ),
            capital_local_share=_per_sector("capital_local_share", capital_local_share, n),
            national_wage_tax_rate=float(national_wage_tax_rate),
            national_profit_tax_rate=float(national_profit_tax_rate),
            city_respend_share=float(city_respend_share),
            city_transfer_share=float(city_transfer_share),
            sectors=tuple(economy.sectors),
            replacement_share=_per_sector("replacement_share", replacement_share, n),
        )
        circuit.validate()
        return circuit

    @classmethod
    def from_parameters(cls, economy: LocalEconomy, parameters: CircuitParameters) -> AgentCircuit:
        """The agent circuit equivalent to the analytic :class:`~simengine.circuit.CircuitParameters`.

        Field mapping (analytic -> agent):

        ==========================================  ==========================================
        ``resident_wage_share``                     ``resident_wage_share``
        ``local_income_tax_rate_on_wages``          ``local_wage_tax_rate``
        ``national_tax_rate_on_wages``              ``national_wage_tax_rate``
        ``local_tax_rate_on_surplus``               ``local_profit_tax_rate``
        ``national_tax_rate_on_surplus``            ``national_profit_tax_rate``
        ``local_ownership_share``                   ``local_ownership_share``
        ``reinvestment_rate``                       ``reinvestment_rate``
        ``consumption_propensity``                  ``consumption_propensity``
        ``households.mix``                          ``consumption_mix``
        ``households.local_share`` x domestic share ``household_local_share``
        ``investment.mix``                          ``capital_goods_mix``
        ``investment.local_share`` x domestic share ``capital_local_share``
        ``city_respend_share``                      ``city_respend_share``
        ``city_transfer_share``                     ``city_transfer_share``
        ==========================================  ==========================================

        The domestic share is ``1 - import_share - product_tax_share`` of the spending pattern,
        so local purchases per unit spent are the same in both models; the import and
        product-tax part of household and investment spending leaks in the agent model as
        ``spending_outside`` / ``other_regions`` instead of ``imports_abroad`` /
        ``taxes_leaving`` (the total leak is the same). Analytic only: ``city.mix``,
        ``city.local_share`` and the city's import and tax shares, because the agent city
        re-spends its tax through the scenario's own budget cells, whose local shares come
        from award behaviour. Agent only: ``replacement_share``, behaviour in
        :class:`~simengine.agents.AgentParameters` and the firm population.

        Replacement investment: every local firm spends ``d`` of its after-tax surplus on
        replacement investment, ``d = min(REPLACEMENT_SHARE, o ρ)`` per sector with ``o`` and
        ``ρ`` the analytic ownership share and reinvestment rate; ownership and reinvestment of
        the rest are mapped so that every money flow equals the analytic one: local ownership
        ``(o - d) / (1 - d)`` and reinvestment rate ``(o ρ - d) / (o - d)``. Reinvestment
        (``d + (1 - d) o' ρ' = o ρ``), local owners' income and the outside owners' share are
        then the analytic ones, so both modes start from one circuit.
        """
        if tuple(parameters.sectors) != tuple(economy.sectors):
            raise ScenarioError("circuit parameters were built for different sectors than the economy")
        households, investment = parameters.households, parameters.investment
        ownership = np.asarray(parameters.local_ownership_share, dtype=float)
        reinvested = ownership * np.asarray(parameters.reinvestment_rate, dtype=float)
        replacement = np.minimum(REPLACEMENT_SHARE, reinvested)
        net_owned = ownership - replacement
        return cls.for_economy(
            economy,
            resident_wage_share=parameters.resident_wage_share,
            consumption_propensity=parameters.consumption_propensity,
            consumption_mix=households.mix,
            household_local_share=households.domestic_share() * households.local_share,
            local_wage_tax_rate=parameters.local_income_tax_rate_on_wages,
            local_profit_tax_rate=parameters.local_tax_rate_on_surplus,
            local_ownership_share=net_owned / (1.0 - replacement),
            reinvestment_rate=np.divide(
                reinvested - replacement, net_owned, out=np.zeros_like(net_owned), where=net_owned > 0
            ),
            replacement_share=replacement,
            capital_goods_mix=investment.mix,
            capital_local_share=investment.domestic_share() * investment.local_share,
            national_wage_tax_rate=parameters.national_tax_rate_on_wages,
            national_profit_tax_rate=parameters.national_tax_rate_on_surplus,
            city_respend_share=parameters.city_respend_share,
            city_transfer_share=parameters.city_transfer_share,
        )

    def validate(self) -> None:
        """Raise :class:`ScenarioError` unless every share lies in [0, 1] and the mixes sum to 1."""
        for name in (
            "resident_wage_share",
            "household_local_share",
            "local_ownership_share",
            "capital_local_share",
            "consumption_propensity",
            "local_wage_tax_rate",
            "local_profit_tax_rate",
            "reinvestment_rate",
            "national_wage_tax_rate",
            "national_profit_tax_rate",
            "city_respend_share",
            "city_transfer_share",
            "replacement_share",
        ):
            value = np.asarray(getattr(self, name))
            if np.any(value < 0) or np.any(value > 1) or not np.all(np.isfinite(value)):
                raise ScenarioError(f"circuit parameter {name} must lie in [0, 1], got {value}")
        for name in ("consumption_mix", "capital_goods_mix"):
            value = getattr(self, name)
            if np.any(value < 0) or abs(value.sum() - 1.0) > 1e-9:
                raise ScenarioError(
                    f"circuit parameter {name} must be non-negative and sum to 1, sums to {value.sum()}"
                )
        for first, second in (
            ("local_wage_tax_rate", "national_wage_tax_rate"),
            ("local_profit_tax_rate", "national_profit_tax_rate"),
            ("city_respend_share", "city_transfer_share"),
        ):
            if getattr(self, first) + getattr(self, second) > 1.0:
                raise ScenarioError(f"circuit parameters {first} + {second} exceed 1")
