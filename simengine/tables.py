"""The canonical input-output table: an :class:`xarray.Dataset` behind :class:`IOTable`.

Dataset layout. Dimension names are fixed:

======================  ================================  ==========================
variable                dims                              units
======================  ================================  ==========================
``intermediate``        (sector_from, sector_to)          monetary unit
``final_demand``        (sector, fd_category)             monetary unit
``gross_output``        (sector,)                         monetary unit
``value_added``         (va_component, sector)            monetary unit
``imported_inputs``     (sector,)  optional               monetary unit
``other_inputs``        (sector,)  optional               monetary unit
``employment``          (sector,)  optional               persons
``household_consumption`` (sector,) optional              monetary unit
======================  ================================  ==========================

``intermediate`` holds domestic (or local) flows only; imported inputs are a leakage row.
``other_inputs`` collects the remaining primary inputs (taxes less subsidies on products,
cif/fob and margin adjustments). Dataset attributes: ``currency``, ``price_year``,
``monetary_unit`` (e.g. ``"million"``), ``source``, ``history``.

The algebra flattens industries in exactly one helper pair, :func:`to_matrix` and
:func:`to_vector`; nothing else reshapes by hand.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Literal

import numpy as np
import xarray as xr

from . import checks
from .accounts import LeontiefSystem, household_closure, input_coefficients, technical_coefficients
from .errors import DataError, unknown_label
from .households import HouseholdClosure

__all__ = ["IOTable", "to_matrix", "to_vector", "demand_matrix", "MULTIPLIER_KINDS", "MULTIPLIER_TYPES"]

MULTIPLIER_KINDS = ("output", "value_added", "income", "employment")
MULTIPLIER_TYPES = ("simple", "I", "total", "II")

_LONG_NAMES = {
    "intermediate": "domestic intermediate flows (seller rows, buyer columns)",
    "final_demand": "final demand for domestic output",
    "gross_output": "gross output",
    "value_added": "value added by component",
    "imported_inputs": "imported intermediate inputs",
    "other_inputs": "other primary inputs (product taxes less subsidies, adjustments)",
    "employment": "employment (persons engaged)",
    "household_consumption": "household purchases of domestic output",
}


def to_matrix(da: xr.DataArray) -> np.ndarray:
    """Flatten a (..._from, ..._to) DataArray into a float64 matrix, region-major."""
    rows = [d for d in ("region_from", "sector_from") if d in da.dims]
    cols = [d for d in ("region_to", "sector_to") if d in da.dims]
    values = da.transpose(*rows, *cols).values
    n_rows = int(np.prod([da.sizes[d] for d in rows]))
    return np.ascontiguousarray(values.reshape(n_rows, -1), dtype=np.float64)


def to_vector(da: xr.DataArray, *extra_dims: str) -> np.ndarray:
    """Flatten the industry dims of a DataArray into axis 0 (region-major), extra dims after."""
    industry = [d for d in ("region", "sector") if d in da.dims]
    values = da.transpose(*industry, *extra_dims).values
    n = int(np.prod([da.sizes[d] for d in industry]))
    return np.ascontiguousarray(values.reshape(n, *values.shape[len(industry) :]), dtype=np.float64)


def demand_matrix(delta, sectors: Sequence[str]) -> tuple[np.ndarray, str, object]:
    """Money by sector as a matrix of right-hand sides, one column per demand vector.

    Parameters
    ----------
    delta : array_like (n,) or (n, k), mapping, or DataArray
        Money by sector. A mapping ``{sector: amount}`` names sectors (others are 0); a
        DataArray needs dim ``sector`` and at most one other dim.
    sectors : sequence of str
        Sector codes, length ``n``, in the order of the model.

    Returns
    -------
    matrix : ndarray, shape (n, k)
    extra_dim : str
        Name of the column dimension: ``"_vector"`` for a single vector (squeeze it
        away), ``"scenario"`` for a 2-D array, or the DataArray's own extra dim.
    extra_coord : sequence
        Labels of the columns.
    """
    matrix, extra_dim, extra_coord = _demand_columns(delta, list(sectors))
    if not np.all(np.isfinite(matrix)):
        raise DataError("final demand (spending) has NaN or infinite values; give finite amounts")
    return matrix, extra_dim, extra_coord


def _demand_columns(delta, sectors: list[str]) -> tuple[np.ndarray, str, object]:
    n = len(sectors)
    if isinstance(delta, Mapping):
        vector = np.zeros(n)
        for label, amount in delta.items():
            if label not in sectors:
                raise unknown_label("sector", label, sectors, where="final demand (spending by sector)")
            vector[sectors.index(label)] = float(amount)
        return vector[:, None], "_vector", [0]
    if isinstance(delta, xr.DataArray):
        others = [d for d in delta.dims if d != "sector"]
        if "sector" not in delta.dims or len(others) > 1:
            raise DataError(f"final-demand DataArray needs dim 'sector' and at most one other, got {delta.dims}")
        aligned = delta.reindex(sector=sectors)
        if aligned.isnull().any():
            raise DataError("final-demand DataArray does not cover every sector of the table")
        if not others:
            return aligned.values.astype(np.float64)[:, None], "_vector", [0]
        return aligned.transpose("sector", others[0]).values.astype(np.float64), others[0], delta[others[0]].values
    array = np.asarray(delta, dtype=np.float64)
    if array.ndim == 1 and array.shape[0] == n:
        return array[:, None], "_vector", [0]
    if array.ndim == 2 and array.shape[0] == n:
        return np.ascontiguousarray(array), "scenario", np.arange(array.shape[1])
    raise DataError(f"final demand has shape {array.shape}; expected ({n},) or ({n}, k)")


#: Dimensions of each table variable (required ones first).
TABLE_LAYOUT = {
    "intermediate": ("sector_from", "sector_to"),
    "final_demand": ("sector", "fd_category"),
    "gross_output": ("sector",),
    "value_added": ("va_component", "sector"),
    "imported_inputs": ("sector",),
    "other_inputs": ("sector",),
    "employment": ("sector",),
    "household_consumption": ("sector",),
}
_REQUIRED = ("intermediate", "final_demand", "gross_output", "value_added")


def _checked_layout(dataset: xr.Dataset, name: str) -> xr.Dataset:
    """The dataset if its variables have the dims of :data:`TABLE_LAYOUT` and one set of sector labels.

    A missing ``sector_name`` coordinate is filled with the codes.
    """
    missing = [v for v in _REQUIRED if v not in dataset.data_vars]
    if missing:
        raise DataError(
            f"{name}: dataset lacks required variables {missing}; a table has {', '.join(_REQUIRED)} "
            "(see simengine.tables)"
        )
    for variable, dims in TABLE_LAYOUT.items():
        if variable in dataset.data_vars and set(dataset[variable].dims) != set(dims):
            raise DataError(f"{name}: variable {variable!r} has dims {tuple(dataset[variable].dims)}; expected {dims}")
    labels = {}
    for dim in ("sector", "sector_from", "sector_to"):
        if dim not in dataset.coords:
            raise DataError(f"{name}: dimension {dim!r} has no labels; give sector codes as its coordinate")
        labels[dim] = [str(v) for v in dataset[dim].values]
    if len(set(labels["sector"])) != len(labels["sector"]):
        raise DataError(f"{name}: repeated sector labels; give each sector one code")
    for dim in ("sector_from", "sector_to"):
        if labels[dim] != labels["sector"]:
            differ = [f"{a!r} vs {b!r}" for a, b in zip(labels[dim], labels["sector"], strict=False) if a != b]
            raise DataError(
                f"{name}: the {dim} labels of the intermediate flows differ from the sector labels "
                f"({len(labels[dim])} vs {len(labels['sector'])} labels; first differences: {differ[:3]}); the flow "
                "matrix must have the same sectors, in the same order, as rows and as columns"
            )
    if "sector_name" not in dataset.coords:
        dataset = dataset.assign_coords(sector_name=("sector", labels["sector"]))
    return dataset


def _attrs(name: str, units: str) -> dict[str, str]:
    return {"units": units, "long_name": _LONG_NAMES[name]}


def _as_float_array(value, name: str, shape: tuple[int, ...]) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be numeric: {exc}") from None
    if array.shape != shape:
        raise DataError(f"{name} has shape {array.shape}; expected {shape} to match the {shape[0]} sectors")
    return array


class IOTable:
    """A single-region input-output table with the algebra an economist expects.

    Parameters
    ----------
    dataset : xarray.Dataset
        The canonical form (see the module docstring).
    name : str, optional
        A short name used in messages (a dataset name or file name).
    strict : iterable of str or "all"
        Data-quality checks (:data:`simengine.checks.CHECKS`) that raise instead of warn.

    Notes
    -----
    Construction runs the data-quality checks. The productivity check runs on the first
    solve, on the factorisation the solve needs anyway, so no number is ever produced
    from a non-productive table. All quantities are in the table's monetary unit
    (``dataset.attrs["currency"]``, ``["monetary_unit"]``) unless stated.
    """

    def __init__(self, dataset: xr.Dataset, *, name: str | None = None, strict=(), allow_negative=()):
        self.name = name or dataset.attrs.get("name", "table")
        self.dataset = _checked_layout(dataset, self.name)
        self._strict = strict
        self._allow_negative = tuple(allow_negative)
        for variable in self.dataset.data_vars:
            checks.check_finite(self.dataset[variable].values, f"variable {variable!r}", where=self.name)
        quantities = {"intermediate": self._Z, "gross_output": self._x}
        for key in ("employment", "imported_inputs"):
            if key in self.dataset:
                quantities[key] = to_vector(self.dataset[key])
        if "compensation" in self.dataset["va_component"].values:
            quantities["compensation"] = self._component("compensation")
        quantities["value_added"] = to_vector(self.dataset["value_added"].sum("va_component"))
        negative = checks.negative_findings(quantities, self.sectors, allow_negative=allow_negative)
        checks.run_checks(negative, strict=strict, source=self.name)
        column_total = None
        if "imported_inputs" in dataset or "other_inputs" in dataset or dataset.attrs.get("value_added_given"):
            column_total = self._Z.sum(axis=0) + self._primary_inputs().sum(axis=0)
        findings = checks.find_issues(
            labels=self.sectors,
            intermediate=self._Z,
            final_demand_total=self._f.sum(axis=1),
            gross_output=self._x,
            column_inputs_total=column_total,
            technical_coefficients=self._A,
        )
        checks.run_checks(findings, strict=strict, source=self.name)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_arrays(
        cls,
        Z,
        final_demand,
        *,
        x=None,
        value_added=None,
        compensation=None,
        employment=None,
        household_consumption=None,
        household_income: float | None = None,
        imported_inputs=None,
        other_inputs=None,
        sectors: Sequence[str] | None = None,
        sector_names: Sequence[str] | None = None,
        fd_categories: Sequence[str] | None = None,
        currency: str = "unspecified",
        monetary_unit: str = "1",
        price_year: int | None = None,
        source: str = "user arrays",
        name: str | None = None,
        strict=(),
        allow_negative=(),
    ) -> IOTable:
        """Build a table from plain arrays.

        Parameters
        ----------
        Z : array_like, shape (n, n)
            Domestic intermediate flows, seller rows x buyer columns (money).
        final_demand : array_like, shape (n,) or (n, k)
            Final demand for domestic output, one column per category (money).
        x : array_like, shape (n,), optional
            Gross output (money). Default: ``Z 1 + f`` (row sums).
        value_added : array_like, shape (n,), optional
            Total value added (money). Default: ``x - 1'Z - imports - other inputs``.
        compensation : array_like, shape (n,), optional
            Compensation of employees (money); part of value added. Needed for income
            multipliers and the household closure.
        employment : array_like, shape (n,), optional
            Persons engaged. Needed for employment multipliers.
        household_consumption : array_like, shape (n,), optional
            Household purchases of domestic output (money), the household column of the
            closed model. Default: the ``household_consumption`` final-demand category.
        household_income : float, optional
            Total household income dividing ``household_consumption`` into consumption
            coefficients (money). Default: total compensation.
        imported_inputs, other_inputs : array_like, shape (n,), optional
            Imported intermediate inputs and other primary inputs by buying industry (money).
        sectors, sector_names : sequence of str, optional
            Sector codes (default ``S1 .. Sn``) and long names (default the codes).
        fd_categories : sequence of str, optional
            Names of the final-demand columns.
        currency, monetary_unit, price_year, source : metadata
            For example ``"KRW"``, ``"million"``, ``2014``.
        strict : iterable of str or "all"
            Checks that raise instead of warn.
        allow_negative : iterable of str
            Quantities of :data:`simengine.checks.NEGATIVE_IMPOSSIBLE` whose negative entries
            are warned instead of refused.
        """
        Z = np.asarray(Z, dtype=np.float64)
        if Z.ndim != 2 or Z.shape[0] != Z.shape[1]:
            raise DataError(f"Z must be a square matrix of intermediate flows, got shape {Z.shape}")
        n = Z.shape[0]
        if n == 0:
            raise DataError("Z is empty: a table needs at least one sector")
        f = np.asarray(final_demand, dtype=np.float64)
        if f.ndim == 1:
            f = f[:, None]
        if f.ndim != 2 or f.shape[0] != n:
            raise DataError(f"final_demand has shape {f.shape}; expected ({n},) or ({n}, k)")
        if fd_categories is None:
            fd_categories = ["final_demand"] if f.shape[1] == 1 else [f"fd{k + 1}" for k in range(f.shape[1])]
        if len(fd_categories) != f.shape[1]:
            raise DataError(f"fd_categories has {len(fd_categories)} names for {f.shape[1]} final-demand columns")
        sectors = list(sectors) if sectors is not None else [f"S{i + 1}" for i in range(n)]
        if len(sectors) != n or len(set(sectors)) != n:
            raise DataError(f"sectors must be {n} unique labels, got {sectors!r}")
        sector_names = list(sector_names) if sector_names is not None else list(sectors)
        x = f.sum(axis=1) + Z.sum(axis=1) if x is None else _as_float_array(x, "x", (n,))
        extra = {}
        for key, value in (("imported_inputs", imported_inputs), ("other_inputs", other_inputs)):
            if value is not None:
                extra[key] = _as_float_array(value, key, (n,))
        value_added_given = value_added is not None
        if value_added is None:
            value_added = x - Z.sum(axis=0) - sum(extra.values(), np.zeros(n))
        value_added = _as_float_array(value_added, "value_added", (n,))
        if compensation is not None:
            comp = _as_float_array(compensation, "compensation", (n,))
            components = {"compensation": comp, "other_value_added": value_added - comp}
        else:
            components = {"value_added": value_added}
        unit = f"{currency} {monetary_unit}".strip() if monetary_unit not in ("", "1") else currency
        ds = xr.Dataset(
            {
                "intermediate": (("sector_from", "sector_to"), Z, _attrs("intermediate", unit)),
                "final_demand": (("sector", "fd_category"), f, _attrs("final_demand", unit)),
                "gross_output": (("sector",), x, _attrs("gross_output", unit)),
                "value_added": (
                    ("va_component", "sector"),
                    np.vstack(list(components.values())),
                    _attrs("value_added", unit),
                ),
            },
            coords={
                "sector": sectors,
                "sector_from": sectors,
                "sector_to": sectors,
                "sector_name": ("sector", sector_names),
                "fd_category": list(fd_categories),
                "va_component": list(components),
            },
            attrs={
                "currency": currency,
                "monetary_unit": monetary_unit,
                "price_year": price_year if price_year is not None else "unspecified",
                "source": source,
                "history": "built from arrays",
                "value_added_given": int(value_added_given),
            },
        )
        for key, value in extra.items():
            ds[key] = (("sector",), value, _attrs(key, unit))
        if employment is not None:
            ds["employment"] = (
                ("sector",),
                _as_float_array(employment, "employment", (n,)),
                _attrs("employment", "persons"),
            )
        if household_consumption is not None:
            hc = _as_float_array(household_consumption, "household_consumption", (n,))
            ds["household_consumption"] = (("sector",), hc, _attrs("household_consumption", unit))
        if household_income is not None:
            ds.attrs["household_income"] = float(household_income)
        return cls(ds, name=name, strict=strict, allow_negative=allow_negative)

    @classmethod
    def from_netcdf(cls, path: str | os.PathLike, *, name: str | None = None, strict=(), allow_negative=()) -> IOTable:
        """Load a table written by :meth:`to_netcdf`."""
        from .io import read_netcdf

        return cls(read_netcdf(path), name=name or Path(path).name, strict=strict, allow_negative=allow_negative)

    @classmethod
    def from_csv(cls, path: str | os.PathLike, *, strict=(), allow_negative=(), **metadata) -> IOTable:
        """Load a table in the documented CSV layout (see :mod:`simengine.io`)."""
        from .io import read_table_csv

        dataset = read_table_csv(path, **metadata)
        return cls(dataset, name=Path(path).name, strict=strict, allow_negative=allow_negative)

    @classmethod
    def from_excel(
        cls, path: str | os.PathLike, *, sheet: str | int = 0, strict=(), allow_negative=(), **metadata
    ) -> IOTable:
        """Load a table from an Excel sheet in the same layout as the CSV."""
        from .io import read_table_excel

        dataset = read_table_excel(path, sheet=sheet, **metadata)
        return cls(dataset, name=Path(path).name, strict=strict, allow_negative=allow_negative)

    def to_netcdf(self, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write the table as NetCDF-4 (atomically; refuses to overwrite unless asked)."""
        from .io import write_netcdf

        return write_netcdf(self.dataset, path, overwrite=overwrite)

    def to_csv(self, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write the table in the documented CSV layout."""
        from .io import write_table_csv

        return write_table_csv(self.dataset, path, overwrite=overwrite)

    def to_pymrio(self, *, region: str = "nation"):
        """The table as a one-region ``pymrio.IOSystem`` (needs pymrio; see :mod:`simengine.pymrio_interop`)."""
        from .pymrio_interop import table_to_pymrio

        return table_to_pymrio(self, region=region)

    @classmethod
    def from_pymrio(cls, system, *, name: str | None = None, sector_names=None, strict=()) -> IOTable:
        """A one-region ``pymrio.IOSystem`` as a table (see :func:`simengine.pymrio_interop.table_from_pymrio`)."""
        from .pymrio_interop import table_from_pymrio

        return table_from_pymrio(system, name=name, sector_names=sector_names, strict=strict)

    # ------------------------------------------------------------------ labels and units
    @property
    def sectors(self) -> list[str]:
        """Sector codes in table order."""
        return [str(s) for s in self.dataset["sector"].values]

    @property
    def unit(self) -> str:
        """The monetary unit of flows, e.g. ``"KRW million"``."""
        return self.dataset["gross_output"].attrs.get("units", "")

    def __repr__(self) -> str:
        return f"<IOTable {self.name!r}: {len(self.sectors)} sectors, {self.unit}>"

    # ------------------------------------------------------------------ flat arrays
    @cached_property
    def _Z(self) -> np.ndarray:
        return to_matrix(self.dataset["intermediate"])

    @cached_property
    def _x(self) -> np.ndarray:
        return to_vector(self.dataset["gross_output"])

    @cached_property
    def _f(self) -> np.ndarray:
        return to_vector(self.dataset["final_demand"], "fd_category")

    @cached_property
    def _A(self) -> np.ndarray:
        return technical_coefficients(self._Z, self._x)

    def _primary_inputs(self) -> np.ndarray:
        rows = [to_vector(self.dataset["value_added"], "va_component").T]
        rows += [to_vector(self.dataset[k])[None, :] for k in ("imported_inputs", "other_inputs") if k in self.dataset]
        return np.vstack(rows)

    def _component(self, component: str) -> np.ndarray:
        va = self.dataset["value_added"]
        if component not in va["va_component"].values:
            raise DataError(
                f"{self.name}: the table has no {component!r} value-added row "
                f"(components: {list(map(str, va['va_component'].values))}); "
                f"pass compensation= to IOTable.from_arrays or add a 'va:compensation' row"
            )
        return to_vector(va.sel(va_component=component))

    @cached_property
    def _system(self) -> LeontiefSystem:
        system = LeontiefSystem(self._A)
        checks.check_productive(self._A, self.sectors, lambda: system.solve(np.ones(system.size)))
        return system

    def _coefficients(self, kind: str) -> np.ndarray:
        """Direct coefficient per unit of output for a multiplier kind (dims: sector)."""
        if kind == "output":
            return np.ones_like(self._x)
        if kind == "value_added":
            return input_coefficients(to_vector(self.dataset["value_added"].sum("va_component")), self._x)
        if kind == "income":
            return input_coefficients(self._component("compensation"), self._x)
        if kind == "employment":
            if "employment" not in self.dataset:
                raise DataError(
                    f"{self.name}: the table has no employment; pass employment= or add an 'employment' row"
                )
            return input_coefficients(to_vector(self.dataset["employment"]), self._x)
        raise DataError(f"unknown multiplier kind {kind!r}; choose one of {', '.join(MULTIPLIER_KINDS)}")

    def _closed_coefficients(self, closure: HouseholdClosure) -> np.ndarray:
        """Coefficients of the household-closed model, ``[[A, c], [h', a_hh]]`` (n + 1, n + 1)."""
        labour = closure.income_coefficients(self._coefficients("income"))
        return household_closure(self._A, labour, closure.consumption, closure.self_coefficient)

    def _closed_system(self, households: HouseholdClosure | None = None) -> LeontiefSystem:
        """The factorised household-closed system (cached per closure)."""
        closure = households if households is not None else HouseholdClosure.compensation(self)
        key = closure.key
        cache = self.__dict__.setdefault("_closed_systems", {})
        if key not in cache:
            closed = self._closed_coefficients(closure)
            system = LeontiefSystem(closed)
            checks.check_productive(closed, [*self.sectors, "households"], lambda: system.solve(np.ones(system.size)))
            cache[key] = system
        return cache[key]

    # ------------------------------------------------------------------ labelled outputs
    def _sector_array(self, values: np.ndarray, name: str, units: str, long_name: str) -> xr.DataArray:
        return xr.DataArray(
            values,
            dims=("sector",),
            coords={"sector": self.dataset["sector"], "sector_name": self.dataset["sector_name"]},
            name=name,
            attrs={"units": units, "long_name": long_name},
        )

    def _square_array(self, values: np.ndarray, name: str, long_name: str) -> xr.DataArray:
        labels = self.dataset["sector"].values
        return xr.DataArray(
            values,
            dims=("sector_from", "sector_to"),
            coords={"sector_from": labels, "sector_to": labels},
            name=name,
            attrs={
                "units": f"{self.dataset.attrs['currency']}/{self.dataset.attrs['currency']}",
                "long_name": long_name,
            },
        )

    def check(self, *, strict="all") -> None:
        """Run every check, including productivity; raise :class:`DataError` on strict findings."""
        type(self)(self.dataset, name=self.name, strict=strict, allow_negative=self._allow_negative)._system  # noqa: B018

    def technical_coefficients(self) -> xr.DataArray:
        """Technical coefficients ``A`` (dims sector_from, sector_to; money per unit output)."""
        return self._square_array(self._A.copy(), "technical_coefficients", "technical coefficients A = Z diag(x)^-1")

    def leontief_inverse(self) -> xr.DataArray:
        """The Leontief inverse ``L = (I - A)^-1`` (output per unit of final demand)."""
        return self._square_array(self._system.inverse(), "leontief_inverse", "Leontief inverse L = (I - A)^-1")

    def ghosh_inverse(self) -> xr.DataArray:
        """The Ghosh inverse ``G = (I - B)^-1`` with ``B = diag(x)^-1 Z``.

        Computed as ``G = diag(x)^-1 L diag(x)`` (Miller & Blair 2009, eq. 12.10);
        rows and columns of zero-output industries are those of the identity.
        """
        x = self._x
        positive = x != 0
        L = self._system.inverse()
        G = np.eye(len(x))
        G[np.ix_(positive, positive)] = (L[np.ix_(positive, positive)] * x[positive][None, :]) / x[positive][:, None]
        return self._square_array(G, "ghosh_inverse", "Ghosh inverse G = (I - B)^-1")

    def multipliers(
        self,
        kind: str = "output",
        type: str = "simple",  # noqa: A002
        *,
        households: HouseholdClosure | None = None,
    ) -> xr.DataArray:
        """Multipliers per unit of final demand for each sector (Miller & Blair ch. 6).

        Parameters
        ----------
        kind : {"output", "value_added", "income", "employment"}
            Effect measured: gross output (money), value added (money), labour income
            (compensation, money) or employment (persons).
        type : {"simple", "I", "total", "II"}
            ``simple``: effect per unit of final demand in the open model, ``c' L``.
            ``I``: Type I ratio, simple effect / direct coefficient ``c_j``.
            ``total``: effect per unit of final demand in the household-closed model
            (industry rows only). ``II``: Type II ratio, total effect / ``c_j``.
        households : HouseholdClosure, optional
            The closure of the ``total`` and ``II`` types
            (:class:`simengine.households.HouseholdClosure`); default: compensation base.

        Returns
        -------
        xarray.DataArray, dims (sector,)
            Units: money per money for output, value added and income; persons per
            monetary unit for employment ``simple``/``total``; dimensionless for ratios.

        Notes
        -----
        For ``output`` the direct coefficient is 1, so ``I`` equals ``simple`` and
        ``II`` equals ``total``. Ratios of sectors whose direct coefficient is zero are NaN.
        The closure adds a labour-income row ``compensation / x`` and a household column
        ``household consumption / household income`` (Miller & Blair 2009, section 6.2.2).
        """
        if type not in MULTIPLIER_TYPES:
            raise DataError(f"unknown multiplier type {type!r}; choose one of {', '.join(MULTIPLIER_TYPES)}")
        direct = self._coefficients(kind)
        if type in ("simple", "I"):
            effect = self._system.solve_transposed(direct)
        else:
            # Income: the household row of the closed inverse (M&B 2009, eq. 6.13), in
            # compensation (the row counts household income: divide by its share); other
            # kinds weight the industry rows of the closed inverse by their coefficients.
            closure = households if households is not None else HouseholdClosure.compensation(self)
            weights = np.zeros(len(direct) + 1)
            if kind == "income":
                weights[-1] = 1.0 / closure.income_share
            else:
                weights[:-1] = direct
            effect = self._closed_system(closure).solve_transposed(weights)[:-1]
        if type in ("I", "II"):
            with np.errstate(divide="ignore", invalid="ignore"):
                values = np.where(direct != 0, effect / np.where(direct != 0, direct, 1.0), np.nan)
            units = "1"
        else:
            values = effect
            currency = self.dataset.attrs["currency"]
            units = f"persons per {self.unit}" if kind == "employment" else f"{currency}/{currency}"
        model = "open" if type in ("simple", "I") else "household-closed"
        result = self._sector_array(
            values,
            f"{kind}_multiplier_{type}",
            units,
            f"{kind.replace('_', ' ')} multiplier, type {type} ({model} model)",
        )
        if type in ("total", "II"):
            result.attrs["household_closure"] = closure.describe()
        return result

    def impact(
        self, delta_final_demand, *, closed: bool = False, households: HouseholdClosure | None = None
    ) -> xr.Dataset:
        """Direct, indirect, induced and total effects of a change in final demand.

        Parameters
        ----------
        delta_final_demand : array_like (n,) or (n, k), mapping, or DataArray
            Change in final demand by sector (money). A mapping ``{sector: amount}``
            names sectors; a 2-D array or a DataArray with one extra dimension gives many
            demand vectors at once, solved as one matrix right-hand side.
        closed : bool
            Add induced effects from the household-closed model.
        households : HouseholdClosure, optional
            The closure of the induced effects; default: compensation base.

        Returns
        -------
        xarray.Dataset
            Variables ``output``, ``value_added``, ``income`` and ``employment`` (those the
            table supports) with dims ``(effect, sector[, extra])``; ``effect`` is
            ``direct``, ``indirect``, (``induced``,) ``total``.
        """
        delta, extra_dim, extra_coord = demand_matrix(delta_final_demand, self.sectors)
        open_output = self._system.solve(delta)
        effects = {"direct": delta, "indirect": open_output - delta}
        if closed:
            n = len(self._x)
            padded = np.vstack([delta, np.zeros((1, delta.shape[1]))])
            effects["induced"] = self._closed_system(households).solve(padded)[:n] - open_output
        effects["total"] = sum(effects.values())
        stacked = np.stack(list(effects.values()))
        dims = ("effect", "sector", extra_dim)
        coords = {
            "effect": list(effects),
            "sector": self.dataset["sector"],
            "sector_name": self.dataset["sector_name"],
            extra_dim: extra_coord,
        }
        result = xr.Dataset(coords=coords, attrs={"closed": int(closed), "table": self.name})
        currency = self.dataset.attrs["currency"]
        for kind in MULTIPLIER_KINDS:
            try:
                coefficient = self._coefficients(kind)
            except DataError:
                continue
            units = "persons" if kind == "employment" else self.unit
            result[kind] = (
                dims,
                stacked * coefficient[None, :, None],
                {"units": units, "long_name": f"{kind.replace('_', ' ')} effect"},
            )
        result.attrs["currency"] = currency
        if extra_dim == "_vector":
            result = result.squeeze("_vector", drop=True)
        return result

    def linkages(self) -> xr.Dataset:
        """Backward and forward linkage indices (normalised so that the mean is 1).

        Returns
        -------
        xarray.Dataset
            ``backward``: Rasmussen (1956) power of dispersion, ``n 1'L e_j / 1'L 1``.
            ``forward``: Rasmussen sensitivity of dispersion from ``L`` rows.
            ``forward_ghosh``: supply-side forward linkage from rows of the Ghosh inverse
            (Miller & Blair 2009, section 12.1). Indices above 1 mark key sectors.
        """
        n = len(self._x)
        ones = np.ones(n)
        column_sums = self._system.solve_transposed(ones)
        row_sums = self._system.solve(ones)
        x = self._x
        safe_x = np.where(x != 0, x, 1.0)
        ghosh_rows = np.where(x != 0, self._system.solve(x) / safe_x, 1.0)
        data = {
            "backward": (column_sums * n / column_sums.sum(), "Rasmussen backward linkage (normalised)"),
            "forward": (row_sums * n / row_sums.sum(), "Rasmussen forward linkage from L (normalised)"),
            "forward_ghosh": (ghosh_rows * n / ghosh_rows.sum(), "Ghosh-based forward linkage (normalised)"),
            "backward_total": (column_sums, "column sums of L"),
            "forward_ghosh_total": (ghosh_rows, "row sums of the Ghosh inverse"),
        }
        return xr.Dataset(
            {k: self._sector_array(v, k, "1", long) for k, (v, long) in data.items()},
        )

    def extraction(
        self, sector: str | Sequence[str], *, kind: Literal["complete", "backward", "forward"] = "complete"
    ) -> xr.Dataset:
        """Hypothetical extraction of one sector or a block of sectors.

        Parameters
        ----------
        sector : str or sequence of str
            Sector code(s) to extract.
        kind : {"complete", "backward", "forward"}
            ``complete``: delete the sector's rows and columns of ``A`` and its final
            demand (Strassert 1968; Miller & Blair 2009, eq. 12.17). ``backward``: the
            sector buys no intermediate inputs (zero columns of ``A``). ``forward``: the
            sector sells no intermediate output, measured in the Ghosh model (zero rows
            of ``B``; Dietzenbacher & van der Linden 1997).

        Returns
        -------
        xarray.Dataset
            ``output_loss`` by sector (money), ``total_loss`` (money) and
            ``relative_loss`` (share of total gross output).
        """
        labels = [sector] if isinstance(sector, str) else list(sector)
        unknown = [s for s in labels if s not in self.sectors]
        if unknown:
            raise DataError(f"unknown sector(s) {unknown}; valid sectors: {', '.join(self.sectors)}")
        index = [self.sectors.index(s) for s in labels]
        x, Z, A = self._x, self._Z, self._A
        final = x - Z.sum(axis=1)
        if kind == "complete":
            reduced = A.copy()
            reduced[index, :] = 0.0
            reduced[:, index] = 0.0
            demand = final.copy()
            demand[index] = 0.0
            new_output = LeontiefSystem(reduced).solve(demand)
        elif kind == "backward":
            reduced = A.copy()
            reduced[:, index] = 0.0
            new_output = LeontiefSystem(reduced).solve(final)
        elif kind == "forward":
            allocation = input_coefficients(Z.T, x).T  # B = diag(x)^-1 Z
            allocation[index, :] = 0.0
            primary = x - Z.sum(axis=0)
            new_output = LeontiefSystem(allocation.T).solve(primary)
        else:
            raise DataError(f"unknown extraction kind {kind!r}; choose complete, backward or forward")
        loss = x - new_output
        total = float(loss.sum())
        return xr.Dataset(
            {
                "output_loss": self._sector_array(loss, "output_loss", self.unit, "output lost by sector"),
                "total_loss": ((), total, {"units": self.unit, "long_name": "total output lost"}),
                "relative_loss": ((), total / x.sum(), {"units": "1", "long_name": "share of total gross output lost"}),
            },
            attrs={"extracted": ",".join(labels), "kind": kind},
        )

    def leakage(self) -> xr.DataArray:
        """Where a unit of final demand for each sector ends up (open model).

        Returns
        -------
        xarray.DataArray, dims (channel, sector)
            Per unit of final demand (money / money): ``value_added`` retained in the
            table's economy, ``imported_inputs`` and ``other_inputs`` (product taxes,
            adjustments) leaking out. Channels sum to 1 when the table's columns balance,
            because ``1' = (v + m + t)' L`` follows from ``x' = 1'Z + v' + m' + t'``.
        """
        channels = {"value_added": to_vector(self.dataset["value_added"].sum("va_component"))}
        for key in ("imported_inputs", "other_inputs"):
            if key in self.dataset:
                channels[key] = to_vector(self.dataset[key])
        coefficients = input_coefficients(np.vstack(list(channels.values())), self._x)
        shares = self._system.solve_transposed(coefficients.T).T
        return xr.DataArray(
            shares,
            dims=("channel", "sector"),
            coords={
                "channel": list(channels),
                "sector": self.dataset["sector"],
                "sector_name": self.dataset["sector_name"],
            },
            name="leakage",
            attrs={"units": "1", "long_name": "destination of a unit of final demand"},
        )
