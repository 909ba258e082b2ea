"""``local_coexistence_plan``: winners place a minimum share of the contract with local subcontractors.

Analytic effect: ``s + r m (1 - s)``: non-local winners place ``m`` locally; premium
``cost_premium_per_share`` times the rise in share.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from ..fields import Share
from .base import AgentContext, CellLever, Prior, Response

__all__ = ["LocalCoexistencePlan", "CoexistenceResponse"]


class CoexistenceResponse(Response):
    """Cost of a mandated local subcontracting share."""

    PRIORS: ClassVar[dict[str, Prior]] = {
        "cost_premium_per_share": Prior(
            0.0, 0.76, "ASSUMPTION 0.05; upper end: Marion (2007)'s 0.76 cost per unit of bid preference"
        ),
    }

    cost_premium_per_share: Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False)] = Field(
        default=0.05,
        description="Cost premium per unit of subcontracting share moved to local firms. "
        "ASSUMPTION: 0.05 (a 20% mandated share placed with non-preferred suppliers costs 1%); "
        "prior range 0 to 0.76.",
    )


class LocalCoexistencePlan(CellLever):
    """Winners place at least `min_local_subcontract_share` of the contract with local subcontractors."""

    kind: Literal["local_coexistence_plan"]
    min_local_subcontract_share: Share = Field(description="Minimum share of the contract placed locally.")
    response: CoexistenceResponse = Field(default_factory=CoexistenceResponse, description="Cost response.")

    def effect(self, budget, share, chosen, response):
        after = share + chosen * self.min_local_subcontract_share * (1.0 - share)
        return after, response["cost_premium_per_share"] * (after - share)

    def agent_levers(self, context: AgentContext) -> list:
        from ..agents.cells import Lever

        return [Lever(self.kind, value=self.min_local_subcontract_share, **s) for s in self.agent_scope(context)]
