"""``local_contribution_score``: a local-contribution item of weight ``w`` in the award score.

Analytic effect: ``s + r k (1 - s)`` with ``k = min(1, gap_closed_per_weight x w)``; premium
``r x cost_premium_per_weight x w``. Agent mode: an extra scoring weight ``w / (1 - w)`` times
the price and quality weights, so that the item is a share ``w`` of the three.
"""

from __future__ import annotations

import math
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from ..fields import Share
from .base import AgentContext, CellLever, Prior, Response, behavioural_response

__all__ = ["LocalContributionScore", "ScoreResponse"]


class ScoreResponse(Response):
    """How a local-contribution score item changes the local share and the price, in analytic mode."""

    PRIORS: ClassVar[dict[str, Prior]] = {
        "gap_closed_per_weight": Prior(0.5, 3.0, "ASSUMPTION 1.5"),
        "cost_premium_per_weight": Prior(
            0.0, 0.76, "Marion (2007) 0.76 per unit of preference x an ASSUMED price equivalence 0.5"
        ),
    }

    gap_closed_per_weight: Annotated[float, Field(ge=0.0, le=20.0, allow_inf_nan=False)] = Field(
        default=1.5,
        description="Fraction of the gap to an all-local award closed per unit of score weight. "
        "ASSUMPTION: a 10-point item out of 100 closes 15% of the gap; prior range 0.5 to 3.",
    )
    cost_premium_per_weight: Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False)] = Field(
        default=0.38,
        description="Cost premium per unit of score weight: Marion (2007)'s 0.76 per unit of bid preference "
        "times an ASSUMED price equivalence of 0.5 (one score point is worth half a percent of price); "
        "prior range 0 to 0.76.",
    )


class LocalContributionScore(CellLever):
    """A local-contribution item of weight `weight` in the award score."""

    kind: Literal["local_contribution_score"]
    weight: Share = Field(description="Weight of the item in the total score (0.05 = 5 points of 100).")
    response: ScoreResponse = Field(default_factory=ScoreResponse, description="Analytic response.")

    def effect(self, budget, share, chosen, response):
        return behavioural_response(
            share, chosen, response["gap_closed_per_weight"], response["cost_premium_per_weight"], self.weight
        )

    def agent_levers(self, context: AgentContext) -> list:
        from ..agents.cells import Lever

        base = context.parameters.score_price_weight + context.parameters.score_quality_weight
        value = self.weight / (1.0 - self.weight) * base if self.weight < 1.0 else math.inf
        return [Lever(self.kind, value=value, **s) for s in self.agent_scope(context)]
