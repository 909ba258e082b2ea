"""``household_local_consumption``: local currency or campaigns raise residents' local-consumption share.

Two channels, on the same base as the programme's cost:

- the circuit: the households' local-consumption share (its weighted mean) moves to ``share``,
  so every won of household income the procurement induces is re-spent more locally;
- the programme's own base: ``consumption_base`` is the residents' annual consumption the
  programme reaches (e.g. the local currency's annual issuance). The rise in local share times
  that base, ``r (share - s0) B``, is extra spending on local output, by the households'
  purchase mix, injected into the circuit each year. Without ``consumption_base`` only the
  first channel acts, while ``annual_cost`` is the whole programme's: the benefit and the cost
  then cover different bases, so give both for a comparison.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..fields import Money, Share
from .base import LeverBase

__all__ = ["HouseholdLocalConsumption"]


class HouseholdLocalConsumption(LeverBase):
    """Local currency or campaigns raise the household local-consumption share to `share`."""

    kind: Literal["household_local_consumption"]
    share: Share = Field(description="Household local-consumption share at the end of the ramp.")
    annual_cost: Money | None = Field(
        default=None, description="Programme cost per year (e.g. local-currency discount)."
    )
    consumption_base: Money | None = Field(
        default=None,
        description="Residents' annual consumption the programme reaches (e.g. local-currency issuance); "
        "the rise in local share times this base is extra local spending each year. Without it only "
        "procurement-induced consumption responds while annual_cost is the whole programme's.",
    )

    def programme_cost(self, monetary_unit: str) -> float:
        """``annual_cost`` in ``monetary_unit`` (0 without one)."""
        return 0.0 if self.annual_cost is None else self.annual_cost.in_unit(monetary_unit)

    def circuit_effect(self, values, ramp):
        out = dict(values)
        key = "household_local_consumption_share"
        out[key] = values[key] + ramp * (self.share - values[key])
        return out

    def consumption_injection(self, baseline_share: float, ramp: float, monetary_unit: str) -> float:
        """Extra local household spending in a year (``monetary_unit``): ``r (share - s0) B``, 0 without a base."""
        if self.consumption_base is None:
            return 0.0
        return ramp * max(self.share - baseline_share, 0.0) * self.consumption_base.in_unit(monetary_unit)
