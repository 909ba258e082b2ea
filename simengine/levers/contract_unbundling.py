"""``contract_unbundling``: contracts above a threshold are split into lots that win like small contracts.

Analytic effect: ``s + r u a max(0, s_lot - s)`` with ``a`` the spending above the lot
threshold, ``u`` the uptake and ``s_lot`` the amount-weighted baseline local share of the
sector's spending under the threshold (per sector); premium ``r u a (scale_cost_penalty +
admin_cost_per_lot / lot_threshold)`` (lots let at the threshold value).
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import numpy as np
from pydantic import Field

from ..fields import Money, Share
from .base import AgentContext, CellLever, Prior, Response

__all__ = ["ContractUnbundling", "UnbundlingResponse"]


class UnbundlingResponse(Response):
    """How unbundling changes the local share, in analytic mode."""

    PRIORS: ClassVar[dict[str, Prior]] = {
        "uptake": Prior(0.2, 0.8, "ASSUMPTION 0.5 (single structures cannot be split)"),
    }

    uptake: Share = Field(
        default=0.5,
        description="Fraction of spending above the threshold actually re-let as lots. ASSUMPTION: 0.5 "
        "(works that cannot be split technically, e.g. single structures, stay whole); prior range 0.2 to 0.8.",
    )


class ContractUnbundling(CellLever):
    """Contracts above `lot_threshold` are split into lots under it; lots win like small contracts."""

    NEEDS_SECTOR_SCOPE: ClassVar[bool] = True

    kind: Literal["contract_unbundling"]
    lot_threshold: Money = Field(description="Largest lot value after splitting.")
    scale_cost_penalty: Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)] = Field(
        default=0.02,
        description="Lost economies of scale as a fraction of unbundled spending. ASSUMPTION: 0.02.",
    )
    admin_cost_per_lot: Money = Field(description="Extra tendering and supervision cost per lot.")
    response: UnbundlingResponse = Field(default_factory=UnbundlingResponse, description="Analytic response.")

    def effect(self, budget, share, chosen, response):
        unit = budget.monetary_unit
        threshold = self.lot_threshold.in_unit(unit)
        below = budget.coverage_below(threshold, self.kind)
        in_scope = chosen > 0
        # Baseline local share of each sector's spending under the threshold (the lots' share).
        lot_share, has_lots = budget.share_below(threshold, self.kind)
        moved = chosen * response["uptake"] * (1.0 - below) * (has_lots & in_scope)
        after = share + moved * np.maximum(lot_share - share, 0.0)
        cost = self.scale_cost_penalty + self.admin_cost_per_lot.in_unit(unit) / threshold
        return after, moved * cost + 0.0 * share

    def agent_levers(self, context: AgentContext) -> list:
        from ..agents.cells import Lever

        return [
            Lever(
                self.kind,
                threshold=context.money(self.lot_threshold),
                admin_cost=context.money(self.admin_cost_per_lot),
                scale_penalty=self.scale_cost_penalty,
                **s,
            )
            for s in self.agent_scope(context)
        ]
