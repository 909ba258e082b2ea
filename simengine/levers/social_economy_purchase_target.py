"""``social_economy_purchase_target``: at least a share of purchases from social enterprises and cooperatives.

Analytic effect: ``(1 - r e) s + r e q`` with ``e = max(0, share - baseline)`` moved to
social-economy suppliers of local fraction ``q``; premium ``r e cost_premium_per_share``.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import numpy as np
from pydantic import Field

from ..fields import Share
from .base import AgentContext, CellLever, Prior, Response

__all__ = ["SocialEconomyPurchaseTarget", "SocialEconomyResponse"]


class SocialEconomyResponse(Response):
    """How a social-economy target changes the local share and the price, in analytic mode."""

    PRIORS: ClassVar[dict[str, Prior]] = {
        "local_fraction": Prior(0.7, 1.0, "ASSUMPTION 0.9"),
        "cost_premium_per_share": Prior(0.0, 0.1, "ASSUMPTION 0"),
    }

    local_fraction: Share = Field(
        default=0.9,
        description="Local fraction of social-economy suppliers. ASSUMPTION: 0.9 (registered and working locally); "
        "prior range 0.7 to 1.",
    )
    cost_premium_per_share: Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False)] = Field(
        default=0.0, description="Cost premium per unit of purchases moved. ASSUMPTION: 0; prior range 0 to 0.1."
    )


class SocialEconomyPurchaseTarget(CellLever):
    """At least `share` of purchases from social enterprises and cooperatives."""

    kind: Literal["social_economy_purchase_target"]
    share: Share = Field(description="Target share of purchases.")
    response: SocialEconomyResponse = Field(default_factory=SocialEconomyResponse, description="Analytic response.")

    def effect(self, budget, share, chosen, response):
        moved = chosen * np.maximum(0.0, self.share - budget.social_economy_share)
        after = (1.0 - moved) * share + moved * response["local_fraction"]
        return after, moved * response["cost_premium_per_share"] + 0.0 * share

    def agent_levers(self, context: AgentContext) -> list:
        from ..agents.cells import Lever

        return [Lever(self.kind, value=self.share, **s) for s in self.agent_scope(context)]
