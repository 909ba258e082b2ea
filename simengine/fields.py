"""Field types shared by scenario tables and lever kinds: shares, money, years, labels.

Every table model derives from :class:`Table` (unknown keys forbidden, strict types, frozen).
The label sets come from :mod:`simengine.procurement.vocabulary`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from .procurement.vocabulary import CONTRACT_TYPES, METHODS, SIZE_CLASSES

__all__ = [
    "MONETARY_SCALE",
    "MAX_SWEEP",
    "MAX_AMOUNT",
    "Method",
    "SizeClass",
    "ContractType",
    "MonetaryUnit",
    "ReservedGroup",
    "Share",
    "Amount",
    "Rate",
    "Year",
    "RampYears",
    "Identifier",
    "Table",
    "Money",
]

#: Multiplier from a monetary unit to one currency unit.
MONETARY_SCALE = {"one": 1.0, "thousand": 1e3, "million": 1e6, "billion": 1e9}
#: Largest number of variants one sweep may expand to (each is a validated scenario in memory).
MAX_SWEEP = 100_000
#: Largest amount accepted anywhere (in the stated unit); larger values are typos.
MAX_AMOUNT = 1e18

Method = Literal[METHODS]  # type: ignore[valid-type]
SizeClass = Literal[SIZE_CLASSES]  # type: ignore[valid-type]
ContractType = Literal[tuple(CONTRACT_TYPES)]  # type: ignore[valid-type]
MonetaryUnit = Literal["one", "thousand", "million", "billion"]
ReservedGroup = Literal["local", "local_sme", "sme", "social_economy"]

Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Amount = Annotated[float, Field(ge=0.0, le=MAX_AMOUNT, allow_inf_nan=False)]
Rate = Annotated[float, Field(ge=0.0, le=100.0, allow_inf_nan=False)]
Year = Annotated[int, Field(ge=1900, le=2200)]
RampYears = Annotated[int, Field(ge=0, le=100)]
Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=80)]


class Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Money(Table):
    """A money value with its unit, written inline: ``{ amount = 200, unit = "KRW million" }``."""

    amount: Amount = Field(description="Amount in `unit`.")
    unit: str = Field(
        pattern=r"^[A-Z]{3}( (thousand|million|billion))?$",
        description='ISO 4217 currency, optionally followed by a scale: "KRW", "KRW million".',
    )

    @property
    def currency(self) -> str:
        """The ISO 4217 currency code."""
        return self.unit.split()[0]

    def in_unit(self, monetary_unit: str) -> float:
        """The amount expressed in ``monetary_unit`` (a key of :data:`MONETARY_SCALE`) of the same currency."""
        parts = self.unit.split()
        scale = MONETARY_SCALE[parts[1]] if len(parts) == 2 else 1.0
        return self.amount * scale / MONETARY_SCALE[monetary_unit]
