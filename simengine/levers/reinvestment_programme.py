"""``reinvestment_programme``: programmes raise the local reinvestment rate of locally owned firms.

An IO model has no capacity: raising the reinvestment rate there only moves locally owned
surplus from owners' consumption to investment spending (the ``investment`` purchase pattern),
which can lower local value added. Analytic mode therefore refuses the lever unless it says
``channel = "demand"``, which states that only this spending channel is evaluated; the
capacity channel (reinvestment that raises firms' capacity) is evaluated in agent mode.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ..fields import Money, Share
from .base import LeverBase

__all__ = ["ReinvestmentProgramme"]


class ReinvestmentProgramme(LeverBase):
    """Programmes raise the local reinvestment rate of locally owned firms to `rate`."""

    ANALYTIC_REFUSAL: ClassVar[str] = (
        "an IO model has no capacity channel, so a reinvestment programme there only moves surplus from owners' "
        "consumption to investment spending; run it with mode = 'agents' (firms' capacity responds), or set "
        "channel = 'demand' on the lever to evaluate the spending channel alone"
    )

    kind: Literal["reinvestment_programme"]
    rate: Share = Field(description="Reinvestment rate at the end of the ramp.")
    annual_cost: Money | None = Field(default=None, description="Programme cost per year.")
    channel: Literal["capacity", "demand"] = Field(
        default="capacity",
        description='"capacity" (default): reinvestment raises firms\' capacity, evaluated in agent mode only; '
        '"demand": analytic mode evaluates the spending channel alone (reinvested surplus buys investment goods).',
    )

    @property
    def analytic(self) -> bool:
        """Whether analytic mode may evaluate this lever (only its demand channel)."""
        return self.channel == "demand"

    def programme_cost(self, monetary_unit: str) -> float:
        """``annual_cost`` in ``monetary_unit`` (0 without one)."""
        return 0.0 if self.annual_cost is None else self.annual_cost.in_unit(monetary_unit)

    def circuit_effect(self, values, ramp):
        out = dict(values)
        out["reinvestment_rate"] = values["reinvestment_rate"] + ramp * (self.rate - values["reinvestment_rate"])
        return out
