"""Per-unit-output accounts of one region's industries: the interface between a regional
model (which builds them) and the local circuit (which closes them).

Every column balances: for each industry ``j``,
``sum_i local_inputs[i, j] + other_region_inputs[j] + imported_inputs[j] + other_inputs[j]
+ compensation[j] + operating_surplus[j] = 1``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .accounts import input_coefficients
from .errors import DataError
from .tables import IOTable, to_vector

__all__ = ["LocalEconomy"]

#: Largest tolerated gap in a column's balance (coefficients are per unit of output).
COLUMN_BALANCE_ATOL = 1e-6


@dataclass(frozen=True)
class LocalEconomy:
    """Input structure of a region's industries, per unit of their output.

    Attributes
    ----------
    sectors : tuple of str
        Sector codes, length ``n``.
    local_inputs : ndarray, shape (n, n)
        Inputs bought from the region's own industries (money per unit output).
    other_region_inputs : ndarray, shape (n,)
        Inputs bought from other regions of the same country (money per unit output).
    imported_inputs : ndarray, shape (n,)
        Inputs imported from abroad (money per unit output).
    other_inputs : ndarray, shape (n,)
        Taxes less subsidies on products and other adjustments (money per unit output).
    compensation : ndarray, shape (n,)
        Compensation of employees paid by the region's industries (money per unit output).
    operating_surplus : ndarray, shape (n,)
        Other value added: operating surplus, mixed income, other net taxes on production
        (money per unit output).
    employment : ndarray, shape (n,)
        Persons engaged per monetary unit of output.
    unit : str
        Monetary unit of the source table, e.g. ``"KRW million"``.
    """

    sectors: tuple[str, ...]
    local_inputs: np.ndarray
    other_region_inputs: np.ndarray
    imported_inputs: np.ndarray
    other_inputs: np.ndarray
    compensation: np.ndarray
    operating_surplus: np.ndarray
    employment: np.ndarray
    unit: str = ""

    def __post_init__(self) -> None:
        n = len(self.sectors)
        if self.local_inputs.shape != (n, n):
            raise DataError(f"local_inputs has shape {self.local_inputs.shape}; expected ({n}, {n})")
        for name in (
            "other_region_inputs",
            "imported_inputs",
            "other_inputs",
            "compensation",
            "operating_surplus",
            "employment",
        ):
            if getattr(self, name).shape != (n,):
                raise DataError(f"{name} has shape {getattr(self, name).shape}; expected ({n},)")
        gap = np.abs(self.column_totals() - 1.0)
        if np.any(gap > COLUMN_BALANCE_ATOL):
            worst = int(np.argmax(gap))
            raise DataError(
                f"local accounts do not balance: inputs per unit of output of {self.sectors[worst]} "
                f"sum to {self.column_totals()[worst]:.8g}, not 1"
            )

    def column_totals(self) -> np.ndarray:
        """Sum of all inputs per unit of output by industry (1 when balanced)."""
        return (
            self.local_inputs.sum(axis=0)
            + self.other_region_inputs
            + self.imported_inputs
            + self.other_inputs
            + self.compensation
            + self.operating_surplus
        )

    @classmethod
    def from_table(cls, table: IOTable) -> LocalEconomy:
        """The national economy of a single-region table (no other domestic regions).

        Industries with zero output get all-zero columns except ``operating_surplus = 1``,
        so that their (unused) columns still balance.
        """
        ds = table.dataset
        x = to_vector(ds["gross_output"])
        n = len(x)

        def per_unit(name: str) -> np.ndarray:
            return input_coefficients(to_vector(ds[name]), x) if name in ds else np.zeros(n)

        value_added = input_coefficients(to_vector(ds["value_added"].sum("va_component")), x)
        components = [str(c) for c in ds["va_component"].values]
        compensation = (
            input_coefficients(to_vector(ds["value_added"].sel(va_component="compensation")), x)
            if "compensation" in components
            else np.zeros(n)
        )
        operating_surplus = value_added - compensation + (x == 0)
        local_inputs = np.asarray(table.technical_coefficients())
        imported = per_unit("imported_inputs")
        other = per_unit("other_inputs")
        # Fold any residual (rounding in published tables) into the surplus so columns balance.
        residual = 1.0 - (local_inputs.sum(axis=0) + imported + other + value_added + (x == 0))
        return cls(
            sectors=tuple(table.sectors),
            local_inputs=local_inputs,
            other_region_inputs=np.zeros(n),
            imported_inputs=imported,
            other_inputs=other,
            compensation=compensation,
            operating_surplus=operating_surplus + residual,
            employment=per_unit("employment"),
            unit=table.unit,
        )
