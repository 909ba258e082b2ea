"""``eligibility_relaxation``: track-record and capital requirements are lowered so more local firms qualify.

Analytic effect: ``s + r k (1 - s)`` with ``k = min(1, gap_closed_per_reduction x
requirement_reduction)``; premium ``r x cost_premium_per_reduction x requirement_reduction``.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from ..fields import Share
from .base import AgentContext, CellLever, Prior, Response, behavioural_response

__all__ = ["EligibilityRelaxation", "EligibilityResponse"]


class EligibilityResponse(Response):
    """How relaxed eligibility changes the local share and the price, in analytic mode."""

    PRIORS: ClassVar[dict[str, Prior]] = {
        "gap_closed_per_reduction": Prior(0.05, 0.5, "ASSUMPTION 0.2"),
        "cost_premium_per_reduction": Prior(0.0, 0.1, "ASSUMPTION 0 (entry lowers prices, default risk raises them)"),
    }

    gap_closed_per_reduction: Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False)] = Field(
        default=0.2,
        description="Fraction of the gap to an all-local award closed per unit of requirement reduction. "
        "ASSUMPTION: halving requirements closes 10% of the gap; prior range 0.05 to 0.5.",
    )
    cost_premium_per_reduction: Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False)] = Field(
        default=0.0,
        description="Cost premium per unit of requirement reduction. ASSUMPTION: 0 (more bidders lower prices, "
        "higher default risk raises costs; no estimate found); prior range 0 to 0.1.",
    )


class EligibilityRelaxation(CellLever):
    """Track-record and capital requirements are lowered so that more local firms qualify."""

    NEEDS_SECTOR_SCOPE: ClassVar[bool] = True

    kind: Literal["eligibility_relaxation"]
    requirement_reduction: Share = Field(description="Fractional cut in track-record and capital requirements.")
    response: EligibilityResponse = Field(default_factory=EligibilityResponse, description="Analytic response.")

    def effect(self, budget, share, chosen, response):
        return behavioural_response(
            share,
            chosen,
            response["gap_closed_per_reduction"],
            response["cost_premium_per_reduction"],
            self.requirement_reduction,
        )

    def agent_levers(self, context: AgentContext) -> list:
        from ..agents.cells import Lever

        return [Lever(self.kind, value=self.requirement_reduction, **s) for s in self.agent_scope(context)]
