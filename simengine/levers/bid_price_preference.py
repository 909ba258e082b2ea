"""``bid_price_preference``: local bids are evaluated at a discount, optionally capped per contract.

Analytic effect: ``s + r k (1 - s)`` with ``k = min(1, gap_closed_per_discount x d)`` and ``d``
the discount (capped at ``cap / mean contract`` where the cell gives ``contracts``); premium
``r x cost_premium_per_discount x d`` (Marion 2007: a 5% bid preference raised costs 3.8%).
"""

from __future__ import annotations

import math
from typing import Annotated, ClassVar, Literal

import numpy as np
from pydantic import Field

from ..fields import Money
from .base import AgentContext, CellLever, Prior, Response, behavioural_response

__all__ = ["BidPricePreference", "BidPreferenceResponse"]


class BidPreferenceResponse(Response):
    """How a bid price preference changes the local share and the price, in analytic mode."""

    PRIORS: ClassVar[dict[str, Prior]] = {
        "gap_closed_per_discount": Prior(0.5, 4.0, "ASSUMPTION 2.0"),
        "cost_premium_per_discount": Prior(
            0.4, 1.0, "Marion (2007, J. Public Econ. 91: 1591-1624): 3.8% / 5% = 0.76 (ASSUMED range around it)"
        ),
    }

    gap_closed_per_discount: Annotated[float, Field(ge=0.0, le=50.0, allow_inf_nan=False)] = Field(
        default=2.0,
        description="Fraction of the gap to an all-local award closed per unit of discount. "
        "ASSUMPTION: a 5% preference closes 10% of the gap; prior range 0.5 to 4.",
    )
    cost_premium_per_discount: Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False)] = Field(
        default=0.76,
        description="Cost premium per unit of discount: Marion (2007, J. Public Econ. 91: 1591-1624), a 5% "
        "small-business bid preference in California highway auctions raised costs 3.8% (3.8 / 5 = 0.76).",
    )


class BidPricePreference(CellLever):
    """Local bids are evaluated at a discount, optionally capped per contract."""

    kind: Literal["bid_price_preference"]
    discount: Annotated[float, Field(ge=0.0, le=0.5, allow_inf_nan=False)] = Field(
        description="Evaluation discount on local bids (0.05 = 5%)."
    )
    cap: Money | None = Field(
        default=None, description="Largest preference per contract; binds where the cell gives `contracts`."
    )
    response: BidPreferenceResponse = Field(default_factory=BidPreferenceResponse, description="Analytic response.")

    def sizes(self, budget) -> np.ndarray:
        """The effective discount of each cell (cells,): the discount, capped per contract."""
        # a discount swept along a point axis arrives as a (points, 1) array: the sizes broadcast to (points, cells)
        size = self.discount + np.zeros(len(budget.amount))
        if self.cap is not None:
            cap = self.cap.in_unit(budget.monetary_unit)
            known = ~np.isnan(budget.contracts) & (budget.amount > 0)
            mean = np.where(known, budget.amount / np.where(known, budget.contracts, 1.0), np.inf)
            size = np.where(known, np.minimum(self.discount, cap / mean), size)
        return size

    def effect(self, budget, share, chosen, response):
        return behavioural_response(
            share,
            chosen,
            response["gap_closed_per_discount"],
            response["cost_premium_per_discount"],
            self.sizes(budget),
        )

    def agent_levers(self, context: AgentContext) -> list:
        from ..agents.cells import Lever

        cap = math.inf if self.cap is None else context.money(self.cap)
        return [Lever(self.kind, value=self.discount, cap=cap, **s) for s in self.agent_scope(context)]
