"""``set_aside``: contracts up to a value are reserved for local, SME or social-economy bidders.

Analytic effect: ``s + r c g max(0, p - s)`` with ``c`` the cell's spending under the value
limit (:meth:`~simengine.levers.base.BudgetArrays.coverage_below`), ``g`` the gap closed and
``p`` the reserved pool's local fraction; premium ``r c cost_premium``.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import numpy as np
from pydantic import Field

from ..fields import Money, ReservedGroup, Share
from .base import AgentContext, CellLever, Prior, Response

__all__ = ["SetAside", "SetAsideResponse", "POOL_LOCAL_FRACTION"]

#: Default local fraction of a reserved bidder pool, by group (ASSUMPTION for sme and social_economy).
POOL_LOCAL_FRACTION = {"local": 1.0, "local_sme": 1.0, "social_economy": 0.9, "sme": 0.7}


class SetAsideResponse(Response):
    """How a set-aside changes the local share and the price, in analytic mode."""

    PRIORS: ClassVar[dict[str, Prior]] = {
        "gap_closed": Prior(0.5, 1.0, "ASSUMPTION 0.9 (re-tendering of restricted tenders with too few bidders)"),
        "pool_local_fraction": Prior(0.5, 1.0, "ASSUMPTION by group (local 1.0, social_economy 0.9, sme 0.7)"),
        "cost_premium": Prior(
            0.0,
            0.05,
            "Nakabayashi (2013, J. Public Econ. 100: 28-44): 0 in Japan's deep national market; a small city's "
            "thinner local pool makes 0 the lower end (ASSUMPTION: upper end 0.05)",
        ),
    }

    gap_closed: Share = Field(
        default=0.9,
        description="Fraction of the gap to the reserved pool's local fraction closed in covered spending. "
        "ASSUMPTION: 0.9, since restricted tenders with too few eligible bidders are re-tendered openly.",
    )
    pool_local_fraction: Share | None = Field(
        default=None,
        description="Local fraction of the reserved pool; default by group: local and local_sme 1.0, "
        "social_economy 0.9, sme 0.7 (ASSUMPTION), the smallest over `reserved_for`.",
    )
    cost_premium: Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)] = Field(
        default=0.0,
        description="Cost premium on covered spending. Default 0: Nakabayashi (2013, J. Public Econ. 100: 28-44) "
        "finds that SME set-asides in Japanese public works did not raise, and through entry lowered, "
        "procurement costs. Set a positive value for a sensitivity run (prior range 0 to 0.05).",
    )


class SetAside(CellLever):
    """Only the reserved groups may bid for contracts up to `max_contract_value` in the selected cells."""

    NEEDS_SECTOR_SCOPE: ClassVar[bool] = True

    kind: Literal["set_aside"]
    max_contract_value: Money = Field(description="Largest contract reserved.")
    reserved_for: list[ReservedGroup] = Field(
        min_length=1, max_length=4, description="Groups that may bid: local, local_sme, sme, social_economy."
    )
    response: SetAsideResponse = Field(default_factory=SetAsideResponse, description="Analytic response.")

    def effect(self, budget, share, chosen, response):
        pool = response["pool_local_fraction"]
        if pool is None:
            pool = min(POOL_LOCAL_FRACTION[group] for group in self.reserved_for)
        covered = chosen * budget.coverage_below(self.max_contract_value.in_unit(budget.monetary_unit), self.kind)
        after = share + covered * response["gap_closed"] * np.maximum(pool - share, 0.0)
        return after, covered * response["cost_premium"] + 0.0 * share

    def agent_levers(self, context: AgentContext) -> list:
        from ..agents.cells import Lever

        sme_only = all(group in ("local_sme", "sme") for group in self.reserved_for)
        threshold = context.money(self.max_contract_value)
        return [Lever(self.kind, threshold=threshold, sme_only=sme_only, **s) for s in self.agent_scope(context)]
