"""``local_share_target``: the local award share of the selected cells moves to a target.

Analytic effect, with ``s`` a cell's share before the lever and ``r`` the ramp fraction:
``mode = "floor"`` (default) ``s + r max(0, target - s)``, never lowering a cell already above
the target; ``mode = "exactly"`` ``s + r (target - s)``. Premium: ``cost_premium_per_share``
times the rise in share.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import numpy as np
from pydantic import Field

from ..fields import Share
from .base import AgentContext, CellLever, Prior, Response

__all__ = ["LocalShareTarget", "ShareCostResponse"]


class ShareCostResponse(Response):
    """Cost of raising a local share directly."""

    PRIORS: ClassVar[dict[str, Prior]] = {
        "cost_premium_per_share": Prior(
            0.0, 0.76, "ASSUMPTION 0.1; upper end: Marion (2007)'s 0.76 cost per unit of bid preference"
        )
    }

    cost_premium_per_share: Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False)] = Field(
        default=0.1,
        description="Cost premium (fraction of the cell's amount) per unit of local-share increase. "
        "ASSUMPTION: 0.1, i.e. +10 percentage points local share costs 1%; no direct estimate found. "
        "Prior range 0 to 0.76.",
    )


class LocalShareTarget(CellLever):
    """Award share to local firms in the selected cells moves to `target`, ramped."""

    NEEDS_SECTOR_SCOPE: ClassVar[bool] = True

    kind: Literal["local_share_target"]
    target: Share = Field(description="Local award share reached at the end of the ramp.")
    mode: Literal["floor", "exactly"] = Field(
        default="floor",
        description='"floor": cells below the target rise to it, cells above keep their share; '
        '"exactly": every selected cell moves to the target, also down.',
    )
    response: ShareCostResponse = Field(default_factory=ShareCostResponse, description="Cost response.")

    def effect(self, budget, share, chosen, response):
        gap = self.target - share
        if self.mode == "floor":
            gap = np.maximum(gap, 0.0)
        after = share + chosen * gap
        return after, response["cost_premium_per_share"] * np.maximum(after - share, 0.0)

    def agent_levers(self, context: AgentContext) -> list:
        from ..agents.cells import Lever
        from ..agents.model import MONTHS_PER_YEAR
        from ..agents.scenario import SCENARIO_METHODS

        ramp = max(1, MONTHS_PER_YEAR * self.ramp_years)
        scopes = self.agent_scope(context)
        budget = context.budget
        selected = self.select(budget)
        above = selected & (budget.baseline >= self.target)
        if self.mode == "floor" and above.any():
            # a floor never lowers a cell: target only the selected cells below it, one by one
            scopes = [
                {
                    "category": budget.sector[i],
                    "size_class": budget.size_class[i],
                    "method": SCENARIO_METHODS[budget.method[i]],
                }
                for i in np.flatnonzero(selected & ~above)
            ]
        return [Lever(self.kind, value=self.target, ramp_periods=ramp, **s) for s in scopes]
