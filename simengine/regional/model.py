"""Multi-region input-output models built from a national table.

A :class:`RegionalModel` holds an :class:`xarray.Dataset` in the package's canonical layout:

=============================  ===============================================  =============
variable                       dims                                             units
=============================  ===============================================  =============
``coefficients``               (region_from, sector_from, region_to, sector_to)  money / money
``gross_output``               (region, sector)                                  monetary unit
``employment``                 (region, sector)                                  persons
``value_added_coefficient``    (region, sector)                                  money / money
``compensation_coefficient``   (region, sector)                                  money / money
``imported_inputs_coefficient`` (region, sector)                                 money / money
``other_inputs_coefficient``   (region, sector)                                  money / money
=============================  ===============================================  =============

``coefficients`` are domestic interregional input coefficients: inputs from industry
``(r, i)`` per unit of output of industry ``(s, j)``. Imports from abroad stay a separate
leakage (``imported_inputs_coefficient``), as in the national table. Per-unit primary
inputs are stored rather than levels so that a sector without regional output keeps a
defined column.

Construction (:meth:`RegionalModel.split`): a region ``G`` with own block ``A_GG`` is
split into a sub-region ``R`` and the remainder ``P``. ``R`` buys ``F * A_GG`` from itself
(``F``: location-quotient factors or purchase coefficients) and the rest from ``P``;
``P`` and every other region source from ``G`` in proportion to output (``s_i`` = ``R``'s
share of ``G``'s output of ``i``, equal to its employment share under equal labour
productivity). Rows of ``R`` and ``P`` add up to the rows of ``G`` in every column, so
the split model aggregated back is the original exactly; in particular in-region plus
out-of-region output multipliers of a two-region model equal the national multipliers.
"""

from __future__ import annotations

import os
from functools import cached_property

import numpy as np
import xarray as xr

from .. import checks
from ..accounts import LeontiefSystem, input_coefficients
from ..errors import DataError
from ..households import HouseholdClosure
from ..io import read_netcdf, write_netcdf
from ..local_economy import LocalEconomy
from ..tables import IOTable, to_matrix, to_vector

__all__ = ["RegionalModel", "REGIONAL_MULTIPLIER_KINDS"]

REGIONAL_MULTIPLIER_KINDS = ("output", "value_added", "income", "employment")
_PER_UNIT = {
    "value_added_coefficient": "value added per unit of output",
    "compensation_coefficient": "compensation of employees per unit of output",
    "imported_inputs_coefficient": "intermediate inputs imported from abroad per unit of output",
    "other_inputs_coefficient": "product taxes less subsidies and adjustments per unit of output",
}


def _check_model_layout(dataset: xr.Dataset, name: str) -> None:
    """Refuse a model whose flow matrix and industry vectors do not share one set of labels, or hold NaN."""
    from ..checks import check_finite

    dims = {"coefficients": ("region_from", "sector_from", "region_to", "sector_to")}
    dims.update({key: ("region", "sector") for key in ("gross_output", "employment", *_PER_UNIT)})
    for variable, expected in dims.items():
        if set(dataset[variable].dims) != set(expected):
            raise DataError(
                f"{name}: variable {variable!r} has dims {tuple(dataset[variable].dims)}; expected {expected}"
            )
    for kind in ("region", "sector"):
        labels = [str(v) for v in dataset[kind].values]
        for side in ("_from", "_to"):
            other = [str(v) for v in dataset[kind + side].values]
            if other != labels:
                raise DataError(
                    f"{name}: the {kind}{side} labels of the coefficients ({len(other)}) differ from the {kind} labels "
                    f"({len(labels)}); the matrix must have the same {kind}s, in the same order, as rows and columns"
                )
    for variable in dims:
        check_finite(dataset[variable].values, f"variable {variable!r}", where=name)


class RegionalModel:
    """An interregional input-output model (regions x sectors) with regional multipliers.

    Parameters
    ----------
    dataset : xarray.Dataset
        The layout of the module docstring.
    name : str, optional
        Short name used in messages (e.g. ``"gyeonggi-2014"``).

    Notes
    -----
    ``I - A`` (all regions) is LU-factorised once (:class:`~simengine.accounts.LeontiefSystem`);
    every multiplier is one transposed solve with a matrix right-hand side, one column
    per region.
    """

    def __init__(self, dataset: xr.Dataset, *, name: str | None = None):
        required = {"coefficients", "gross_output", "employment", *_PER_UNIT}
        missing = required - set(dataset.data_vars)
        if missing:
            raise DataError(f"{name or 'regional model'}: dataset lacks variables {sorted(missing)}")
        _check_model_layout(dataset, name or "regional model")
        self.dataset = dataset
        self.name = name or dataset.attrs.get("name", "regional model")

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_table(cls, table: IOTable, *, region: str = "nation") -> RegionalModel:
        """The national table as a one-region model (the starting point of :meth:`split`)."""
        ds = table.dataset
        x = to_vector(ds["gross_output"])
        sectors = table.sectors

        def per_unit(da: xr.DataArray | None) -> np.ndarray:
            return np.zeros_like(x) if da is None else input_coefficients(to_vector(da), x)

        components = [str(c) for c in ds["va_component"].values]
        per_unit_values = {
            "value_added_coefficient": per_unit(ds["value_added"].sum("va_component")),
            "compensation_coefficient": per_unit(ds["value_added"].sel(va_component="compensation"))
            if "compensation" in components
            else np.zeros_like(x),
            "imported_inputs_coefficient": per_unit(ds.get("imported_inputs")),
            "other_inputs_coefficient": per_unit(ds.get("other_inputs")),
        }
        employment = to_vector(ds["employment"]) if "employment" in ds else np.zeros_like(x)
        return cls._assemble(
            regions=[region],
            sectors=sectors,
            sector_names=[str(n) for n in ds["sector_name"].values],
            coefficients=np.asarray(table.technical_coefficients())[None, :, None, :],
            gross_output=x[None, :],
            employment=employment[None, :],
            per_unit={k: v[None, :] for k, v in per_unit_values.items()},
            attrs={
                **{k: ds.attrs[k] for k in ("currency", "monetary_unit", "price_year", "source") if k in ds.attrs},
                "unit": table.unit,
                "table": table.name,
                "history": f"national table {table.name} as region {region!r}",
            },
        )

    @classmethod
    def _assemble(cls, *, regions, sectors, sector_names, coefficients, gross_output, employment, per_unit, attrs):
        unit = attrs.get("unit", "")
        currency = attrs.get("currency", "money")
        ratio = f"{currency}/{currency}"
        coords = {
            "region": list(regions),
            "sector": list(sectors),
            "sector_name": ("sector", list(sector_names)),
            "region_from": list(regions),
            "sector_from": list(sectors),
            "region_to": list(regions),
            "sector_to": list(sectors),
        }
        data = {
            "coefficients": (
                ("region_from", "sector_from", "region_to", "sector_to"),
                coefficients,
                {"units": ratio, "long_name": "domestic interregional input coefficients"},
            ),
            "gross_output": (("region", "sector"), gross_output, {"units": unit, "long_name": "gross output"}),
            "employment": (("region", "sector"), employment, {"units": "persons", "long_name": "employment"}),
        }
        for key, long_name in _PER_UNIT.items():
            data[key] = (("region", "sector"), per_unit[key], {"units": ratio, "long_name": long_name})
        return cls(xr.Dataset(data, coords=coords, attrs=attrs), name=attrs.get("name"))

    def split(
        self,
        region: str,
        *,
        new_region: str,
        rest_region: str,
        employment,
        local_factors,
        note: str = "",
    ) -> RegionalModel:
        """Split ``region`` into ``new_region`` and ``rest_region`` (module docstring).

        Parameters
        ----------
        region : str
            The region to split (e.g. ``"nation"`` or ``"gyeonggi"``).
        new_region, rest_region : str
            Labels of the sub-region and of the remainder.
        employment : array_like or DataArray, shape (n,)
            Employment of ``new_region`` by sector (persons); at most that of ``region``.
        local_factors : array_like, shape (n, n) or (n,)
            Share of ``region``'s own-block coefficient that ``new_region`` buys from
            itself, in ``[0, 1]``: location-quotient factors (n, n) or regional purchase
            coefficients by supplying sector (n,).
        note : str
            Appended to the ``history`` attribute (method, delta, sources).

        Returns
        -------
        RegionalModel
            With ``region`` replaced by ``new_region, rest_region`` (in that order).
        """
        regions = self.regions
        if region not in regions:
            raise DataError(f"{self.name}: unknown region {region!r}; regions: {', '.join(regions)}")
        for label in (new_region, rest_region):
            if label in regions and label != region:
                raise DataError(f"{self.name}: region {label!r} already exists")
        g = regions.index(region)
        parent_employment = self.dataset["employment"].sel(region=region).values
        sub_employment = np.asarray(
            employment.values if isinstance(employment, xr.DataArray) else employment, dtype=float
        )
        n = len(self.sectors)
        if sub_employment.shape != (n,) or np.any(~np.isfinite(sub_employment)) or np.any(sub_employment < 0):
            raise DataError(f"employment of {new_region!r} must be {n} finite non-negative numbers (persons)")
        too_big = sub_employment > parent_employment * (1.0 + 1e-9)
        if np.any(too_big):
            i = int(np.argmax(too_big))
            raise DataError(
                f"employment of {new_region!r} in {self.sectors[i]} ({sub_employment[i]:,.0f}) exceeds that of "
                f"{region!r} ({parent_employment[i]:,.0f}); a region cannot be larger than the area containing it"
            )
        factors = np.asarray(local_factors, dtype=float)
        if factors.ndim == 1:
            factors = np.repeat(factors[:, None], n, axis=1)
        if factors.shape != (n, n) or np.any(~((factors >= 0) & (factors <= 1))):
            raise DataError(f"local factors for {new_region!r} must be in [0, 1] with shape ({n},) or ({n}, {n})")
        share = np.divide(sub_employment, parent_employment, out=np.zeros(n), where=parent_employment > 0)
        blocks = split_coefficients(self._blocks, g, share, factors)
        new_regions = [*regions[:g], new_region, rest_region, *regions[g + 1 :]]

        def split_rows(values: np.ndarray, first: np.ndarray) -> np.ndarray:
            return np.concatenate([values[:g], first[None], (values[g] - first)[None], values[g + 1 :]])

        def repeat_row(values: np.ndarray) -> np.ndarray:
            return np.concatenate([values[:g], values[g : g + 1], values[g : g + 1], values[g + 1 :]])

        x = self.dataset["gross_output"].transpose("region", "sector").values
        e = self.dataset["employment"].transpose("region", "sector").values
        attrs = dict(self.dataset.attrs)
        attrs["history"] = (
            f"{attrs.get('history', '')}\nsplit {region!r} into {new_region!r} and {rest_region!r}. {note}".strip()
        )
        return self._assemble(
            regions=new_regions,
            sectors=self.sectors,
            sector_names=[str(s) for s in self.dataset["sector_name"].values],
            coefficients=blocks,
            gross_output=split_rows(x, x[g] * share),
            employment=split_rows(e, sub_employment),
            per_unit={k: repeat_row(self.dataset[k].transpose("region", "sector").values) for k in _PER_UNIT},
            attrs=attrs,
        )

    def renamed(self, name: str, **attrs) -> RegionalModel:
        """The same model with a new name (and extra Dataset attributes)."""
        ds = self.dataset.copy()
        ds.attrs.update({"name": name, **attrs})
        return type(self)(ds, name=name)

    # ------------------------------------------------------------------ persistence
    def to_netcdf(self, path: str | os.PathLike, *, overwrite: bool = False):
        """Write the model as NetCDF-4 (atomically; refuses to overwrite unless asked)."""
        return write_netcdf(self.dataset, path, overwrite=overwrite)

    @classmethod
    def from_netcdf(cls, path: str | os.PathLike, *, name: str | None = None) -> RegionalModel:
        """Read a model written by :meth:`to_netcdf`."""
        ds = read_netcdf(path)
        try:
            return cls(ds, name=name or ds.attrs.get("name", os.fspath(path)))
        except DataError as exc:
            raise DataError(f"{path}: {exc}") from None

    def to_pymrio(self):
        """The model as a multi-region ``pymrio.IOSystem`` (needs pymrio; see :mod:`simengine.pymrio_interop`)."""
        from ..pymrio_interop import regional_model_to_pymrio

        return regional_model_to_pymrio(self)

    # ------------------------------------------------------------------ accessors
    @property
    def regions(self) -> list[str]:
        """Region labels, in model order."""
        return [str(r) for r in self.dataset["region"].values]

    @property
    def sectors(self) -> list[str]:
        """Sector codes."""
        return [str(s) for s in self.dataset["sector"].values]

    @property
    def industry_labels(self) -> list[str]:
        """``region:sector`` for every industry, in the order of the flat (region-major) system."""
        return [f"{r}:{s}" for r in self.regions for s in self.sectors]

    @property
    def _blocks(self) -> np.ndarray:
        """Coefficients as an array (region_from, sector_from, region_to, sector_to)."""
        return self.dataset["coefficients"].transpose("region_from", "sector_from", "region_to", "sector_to").values

    @cached_property
    def _system(self) -> LeontiefSystem:
        return LeontiefSystem(to_matrix(self.dataset["coefficients"]))

    def gross_output_for(self, final_demand: np.ndarray) -> np.ndarray:
        """Output of every region's industries for final demand in every region (open model).

        Parameters
        ----------
        final_demand : ndarray, shape (n_regions, n_sectors) or (n_regions, n_sectors, k)
            Final demand for each region's output (money); ``k`` vectors are one solve.

        Returns
        -------
        ndarray, same shape
            Gross output ``L f`` by region and sector (money).
        """
        demand = np.asarray(final_demand, dtype=np.float64)
        flat = demand.reshape(len(self.regions) * len(self.sectors), -1)
        return self._system.solve(flat).reshape(demand.shape)

    def _region_index(self, region: str | None) -> int:
        if region is None:
            return 0
        if region not in self.regions:
            raise DataError(f"{self.name}: unknown region {region!r}; regions: {', '.join(self.regions)}")
        return self.regions.index(region)

    def _direct(self, kind: str) -> np.ndarray:
        """Direct coefficient per unit of output for a multiplier kind (flat, region-major)."""
        ds = self.dataset
        if kind == "output":
            return np.ones(len(self.regions) * len(self.sectors))
        if kind == "value_added":
            return to_vector(ds["value_added_coefficient"])
        if kind == "income":
            return to_vector(ds["compensation_coefficient"])
        if kind == "employment":
            return input_coefficients(to_vector(ds["employment"]), to_vector(ds["gross_output"]))
        raise DataError(f"unknown multiplier kind {kind!r}; choose one of {', '.join(REGIONAL_MULTIPLIER_KINDS)}")

    def household_sourcing(self) -> np.ndarray:
        """Share of each region's purchases of each product bought from each region.

        Returns
        -------
        ndarray, shape (n_regions, n_sectors, n_regions)
            ``t[r, i, s]``: share of region ``s``'s intermediate purchases of product ``i``
            supplied by region ``r`` (sums to 1 over ``r``). Where ``s`` buys no ``i`` as an
            input, the supplying regions' shares of the output of ``i`` are used.

        Notes
        -----
        This is the regional purchase coefficient of the model, applied to household
        purchases as well as to industries' (the RPC assumption: one share of local demand
        for a product is met locally, whoever the buyer).
        """
        blocks = self._blocks
        x = self.dataset["gross_output"].transpose("region", "sector").values
        purchases = np.einsum("risj,sj->ris", blocks, x)
        totals = purchases.sum(axis=0, keepdims=True)
        output_share = x / np.where(x.sum(axis=0) > 0, x.sum(axis=0), 1.0)
        fallback = np.repeat(output_share[:, :, None], len(self.regions), axis=2)
        return np.where(totals > 0, purchases / np.where(totals > 0, totals, 1.0), fallback)

    def _closed_coefficients(self, households: HouseholdClosure) -> np.ndarray:
        """Coefficients with one household sector per region, after the industries (module order)."""
        if tuple(households.sectors) != tuple(self.sectors):
            raise DataError(
                f"{self.name}: the household closure has sectors {list(households.sectors)[:3]}...; "
                f"the model has {self.sectors[:3]}...; build the closure from the model's national table"
            )
        n_regions, n = len(self.regions), len(self.sectors)
        size = n_regions * n
        closed = np.zeros((size + n_regions, size + n_regions))
        closed[:size, :size] = to_matrix(self.dataset["coefficients"])
        compensation = self.dataset["compensation_coefficient"].transpose("region", "sector").values
        sourcing = self.household_sourcing()
        for s in range(n_regions):
            closed[size + s, s * n : (s + 1) * n] = households.income_coefficients(compensation[s])
            closed[:size, size + s] = (sourcing[:, :, s] * households.consumption[None, :]).reshape(size)
            closed[size + s, size + s] = households.self_coefficient
        return closed

    def _closed_system(self, households: HouseholdClosure) -> LeontiefSystem:
        """``I - A`` closed with one household sector per region (cached per closure)."""
        key = households.key
        cache = self.__dict__.setdefault("_closed_systems", {})
        if key not in cache:
            closed = self._closed_coefficients(households)
            labels = [*self.industry_labels, *(f"{r}:households" for r in self.regions)]
            system = LeontiefSystem(closed)
            checks.check_productive(closed, labels, lambda: system.solve(np.ones(system.size)))
            cache[key] = system
        return cache[key]

    # ------------------------------------------------------------------ results
    def multipliers(self, kind: str = "output", *, households: HouseholdClosure | None = None) -> xr.Dataset:
        """In-region and out-of-region multipliers per unit of final demand.

        Parameters
        ----------
        kind : {"output", "value_added", "income", "employment"}
            Effect measured (money per money; persons per monetary unit for employment).
        households : HouseholdClosure, optional
            Close the model with respect to households: every region gets its own
            household sector, paid ``households.income_coefficients`` by the region's own
            industries and buying ``households.consumption`` sourced by the region's own
            purchase shares (:meth:`household_sourcing`). The effects are then the
            ``total`` (Type II numerator) multipliers. Default: the open model.

        Returns
        -------
        xarray.Dataset
            ``by_region`` (region, sector, affected_region): effect in each region of one
            unit of final demand for ``sector`` in ``region``; ``in_region`` and
            ``out_of_region`` (region, sector): the effect in the demand's own region and
            in all other regions of the country; ``total`` = their sum.

        Notes
        -----
        ``by_region[s, j, r] = sum_{i in r} c_ri L[(r,i), (s,j)]`` with ``c`` the direct
        coefficient; one transposed solve per affected region. With ``households`` the
        inverse is that of the closed model (Miyazawa's interregional closure: a region's
        household income is the compensation its industries pay). Because each region's
        household column sums over supplying regions to the national consumption column,
        the closed model aggregated over regions is the national closed model: in-region
        plus out-of-region ``total`` multipliers equal the national ones.
        """
        n_regions, n = len(self.regions), len(self.sectors)
        direct = self._direct(kind)
        size = n_regions * n
        system = self._system if households is None else self._closed_system(households)
        masks = np.zeros((system.size, n_regions))
        for r in range(n_regions):
            if households is not None and kind == "income":
                # the region's household row, in compensation (as IOTable.multipliers): it
                # also counts labour households buy from households (self_coefficient)
                masks[size + r, r] = 1.0 / households.income_share
            else:
                masks[r * n : (r + 1) * n, r] = direct[r * n : (r + 1) * n]
        effects = system.solve_transposed(masks)[:size].reshape(n_regions, n, n_regions)
        own = np.stack([effects[s, :, s] for s in range(n_regions)])
        total = effects.sum(axis=2)
        currency = self.dataset.attrs.get("currency", "money")
        units = (
            f"persons per {self.dataset.attrs.get('unit', 'monetary unit')}"
            if kind == "employment"
            else f"{currency}/{currency}"
        )
        label = kind.replace("_", " ")
        coords = {"region": self.regions, "sector": self.sectors, "sector_name": self.dataset["sector_name"]}
        return xr.Dataset(
            {
                "by_region": (
                    ("region", "sector", "affected_region"),
                    effects,
                    {"units": units, "long_name": f"{label} effect by affected region"},
                ),
                "in_region": (
                    ("region", "sector"),
                    own,
                    {"units": units, "long_name": f"in-region {label} multiplier"},
                ),
                "out_of_region": (
                    ("region", "sector"),
                    total - own,
                    {"units": units, "long_name": f"out-of-region {label} multiplier"},
                ),
                "total": (("region", "sector"), total, {"units": units, "long_name": f"total {label} multiplier"}),
            },
            coords={**coords, "affected_region": self.regions},
            attrs={
                "kind": kind,
                "model": self.name,
                "household_closure": "open model" if households is None else households.describe(),
            },
        )

    def feedback(self, region: str | None = None) -> xr.Dataset:
        """Interregional feedback and spillover of final demand in ``region`` (Miller & Blair ch. 3).

        Returns
        -------
        xarray.Dataset, dims (sector,)
            ``own_block``: column sums of the region's own block of the full inverse
            (in-region output multiplier); ``isolated``: column sums of ``(I - A_RR)^-1``
            (the region as if it traded with no one); ``feedback`` = own_block - isolated
            (output the region gets back through other regions' purchases, >= 0 when
            ``A >= 0``); ``spillover``: output induced in other regions (money / money).
        """
        r = self._region_index(region)
        n = len(self.sectors)
        multipliers = self.multipliers("output")
        own = multipliers["in_region"].values[r]
        own_block = self._blocks[r, :, r, :]
        isolated = LeontiefSystem(own_block).solve_transposed(np.ones(n))
        currency = self.dataset.attrs.get("currency", "money")
        units = f"{currency}/{currency}"
        coords = {"sector": self.sectors, "sector_name": self.dataset["sector_name"]}
        return xr.Dataset(
            {
                "own_block": ("sector", own, {"units": units, "long_name": "own-region block of the full inverse"}),
                "isolated": ("sector", isolated, {"units": units, "long_name": "isolated regional inverse"}),
                "feedback": ("sector", own - isolated, {"units": units, "long_name": "interregional feedback"}),
                "spillover": (
                    "sector",
                    multipliers["out_of_region"].values[r],
                    {"units": units, "long_name": "spillover to other regions"},
                ),
            },
            coords=coords,
            attrs={"region": self.regions[r], "model": self.name},
        )

    def local_economy(self, region: str | None = None) -> LocalEconomy:
        """Per-unit accounts of one region's industries for the local circuit.

        ``local_inputs`` = ``A_RR``; ``other_region_inputs`` = column sums of the other
        regions' rows feeding ``R``; imports, other inputs, compensation, operating
        surplus (value added less compensation) and employment per unit of ``R``'s
        output. Rounding gaps of the source table (below 1e-6 per unit) are folded into
        the operating surplus so that every column balances exactly.
        """
        r = self._region_index(region)
        blocks = self._blocks
        local = blocks[r, :, r, :]
        others = [k for k in range(len(self.regions)) if k != r]
        from_others = blocks[others][:, :, r, :].sum(axis=(0, 1))
        ds = self.dataset.isel(region=r)
        imported = ds["imported_inputs_coefficient"].values
        other = ds["other_inputs_coefficient"].values
        compensation = ds["compensation_coefficient"].values
        value_added = ds["value_added_coefficient"].values
        employment = input_coefficients(ds["employment"].values, ds["gross_output"].values)
        residual = 1.0 - (local.sum(axis=0) + from_others + imported + other + value_added)
        return LocalEconomy(
            sectors=tuple(self.sectors),
            local_inputs=local.copy(),
            other_region_inputs=from_others,
            imported_inputs=imported.copy(),
            other_inputs=other.copy(),
            compensation=compensation.copy(),
            operating_surplus=value_added - compensation + residual,
            employment=employment,
            unit=self.dataset.attrs.get("unit", ""),
        )

    def __repr__(self) -> str:
        return f"<RegionalModel {self.name!r}: regions {', '.join(self.regions)}; {len(self.sectors)} sectors>"


def split_coefficients(blocks: np.ndarray, g: int, share: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Split region ``g`` of an interregional coefficient array into two sub-regions.

    Parameters
    ----------
    blocks : ndarray, shape (k, n, k, n)
        Coefficients (region_from, sector_from, region_to, sector_to).
    g : int
        Index of the region to split.
    share : ndarray, shape (n,)
        The first sub-region's share of ``g``'s output by sector (pooled sourcing).
    factors : ndarray, shape (n, n)
        Share of ``A_gg`` the first sub-region buys from itself.

    Returns
    -------
    ndarray, shape (k + 1, n, k + 1, n)
        Sub-regions at positions ``g`` (new) and ``g + 1`` (rest).
    """
    order = [*range(g + 1), *range(g, blocks.shape[0])]
    out = blocks[order][:, :, order].copy()
    new, rest = g, g + 1
    others = [c for c in range(out.shape[2]) if c not in (new, rest)]
    out[new][:, others] *= share[:, None, None]
    out[rest][:, others] *= (1.0 - share)[:, None, None]
    own = blocks[g, :, g, :]
    out[new, :, new, :] = factors * own
    out[rest, :, new, :] = (1.0 - factors) * own
    out[new, :, rest, :] = share[:, None] * own
    out[rest, :, rest, :] = (1.0 - share)[:, None] * own
    return out
