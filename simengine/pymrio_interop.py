"""Exchange with pymrio: tables and regional models as :class:`pymrio.IOSystem`, and back.

pymrio (Stadler 2021, *Journal of Open Research Software* 9: 8) is an optional
dependency (``pip install pymrio``; the ``test`` extra installs it). The layout written:

=========================  =========================================================
pymrio                     simengine
=========================  =========================================================
``Z`` (region, sector)^2   ``intermediate`` (a regional model: ``coefficients * x``)
``Y`` (region, category)   ``final_demand`` (a regional model: ``x - Z 1`` in one
                           category ``final_demand`` of the producing region)
``x`` (``indout``)         ``gross_output``
``unit``                   the table's unit, e.g. ``"KRW million"``
``meta`` note              ``simengine price_year = 2014``
``factor_inputs``          value-added components (``compensation``,
extension, ``F``           ``other_value_added`` or ``value_added``), ``imported_inputs``,
                           ``other_inputs``
``employment`` extension   ``employment`` (unit ``persons``)
``imported_products``      ``imported_intermediate`` (``F``) and ``imported_final_demand``
extension                  (``F_Y``) by imported product, where the table records them
=========================  =========================================================

pymrio's ``calc_all`` then gives ``A``, ``L`` and, for each extension row, the multipliers
``M = S L`` (``S = F diag(x)^-1``): the ``value_added``, ``income`` (compensation) and
``employment`` simple multipliers of :meth:`simengine.tables.IOTable.multipliers`, and for a
regional model the ``total`` of :meth:`simengine.regional.RegionalModel.multipliers`.
Sector long names, and a household-consumption vector given apart from final demand,
have no place in an ``IOSystem`` and are not carried.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .errors import DataError

if TYPE_CHECKING:
    from .regional import RegionalModel
    from .tables import IOTable

__all__ = ["table_to_pymrio", "table_from_pymrio", "regional_model_to_pymrio"]

FACTOR_INPUTS = "factor_inputs"
EMPLOYMENT = "employment"
IMPORTED_PRODUCTS = "imported_products"
_PRIMARY_ROWS = ("imported_inputs", "other_inputs")
_PRICE_YEAR_NOTE = "simengine price_year = "


def _pymrio():
    try:
        import pymrio
    except ImportError:
        raise DataError(
            "pymrio is not installed; install it with 'pip install pymrio' (or 'pip install simengine[test]')"
        ) from None
    return pymrio


def _index(regions, sectors) -> pd.MultiIndex:
    return pd.MultiIndex.from_product([list(regions), list(sectors)], names=["region", "sector"])


def _extension(pymrio, name: str, rows: dict[str, np.ndarray], units: dict[str, str], index, **kwargs):
    F = pd.DataFrame(np.vstack(list(rows.values())), index=pd.Index(list(rows), name="inputtype"), columns=index)
    unit = pd.DataFrame({"unit": [units[r] for r in rows]}, index=F.index)
    return pymrio.Extension(name=name, F=F, unit=unit, **kwargs)


def _system(pymrio, *, Z, Y, x, index, unit, name, year, extensions):
    system = pymrio.IOSystem(
        Z=Z,
        Y=Y,
        x=pd.DataFrame({"indout": x}, index=index),
        unit=pd.DataFrame({"unit": [unit] * len(index)}, index=index),
        name=name,
        year=year,
    )
    for extension in extensions:
        setattr(system, extension.name, extension)
    if year is not None:
        system.meta.note(f"{_PRICE_YEAR_NOTE}{year}")
    return system


def _price_year(system) -> int | None:
    """The price year noted by :func:`_system` in the system's metadata history, if any."""
    notes = getattr(getattr(system, "meta", None), "note_history", None) or []
    years = [note.rsplit(_PRICE_YEAR_NOTE, 1)[1].strip() for note in notes if _PRICE_YEAR_NOTE in note]
    return int(years[-1]) if years and years[-1].isdigit() else None


def table_to_pymrio(table: IOTable, *, region: str = "nation"):
    """The table as a one-region :class:`pymrio.IOSystem` (module docstring).

    Parameters
    ----------
    table : IOTable
    region : str
        Region label of the system's single region.

    Returns
    -------
    pymrio.IOSystem
        ``Z``, ``Y``, ``x`` and the extensions ``factor_inputs``, ``employment`` (if the
        table has it) and ``imported_products`` (if the table records imports by product).
    """
    pymrio = _pymrio()
    ds = table.dataset
    index = _index([region], table.sectors)
    categories = [str(c) for c in ds["fd_category"].values]
    Y = pd.DataFrame(
        table._f,
        index=index,
        columns=pd.MultiIndex.from_product([[region], categories], names=["region", "category"]),
    )
    unit = table.unit
    rows = {str(c): table._component(str(c)) for c in ds["va_component"].values}
    rows.update({key: ds[key].values.astype(np.float64) for key in _PRIMARY_ROWS if key in ds})
    extensions = [_extension(pymrio, FACTOR_INPUTS, rows, dict.fromkeys(rows, unit), index)]
    if "employment" in ds:
        extensions.append(
            _extension(pymrio, EMPLOYMENT, {"employment": ds["employment"].values}, {"employment": "persons"}, index)
        )
    if "imported_intermediate" in ds:
        products = [str(p) for p in ds["product"].values]
        F = pd.DataFrame(
            ds["imported_intermediate"].transpose("product", "sector_to").values, index=products, columns=index
        )
        F.index.name = "product"
        extension_kwargs = {}
        if "imported_final_demand" in ds:
            extension_kwargs["F_Y"] = pd.DataFrame(
                ds["imported_final_demand"].transpose("product", "fd_category").values, index=F.index, columns=Y.columns
            )
        extensions.append(
            pymrio.Extension(
                name=IMPORTED_PRODUCTS,
                F=F,
                unit=pd.DataFrame({"unit": [unit] * len(products)}, index=F.index),
                **extension_kwargs,
            )
        )
    year = ds.attrs.get("price_year")
    return _system(
        pymrio,
        Z=pd.DataFrame(table._Z, index=index, columns=index),
        Y=Y,
        x=table._x,
        index=index,
        unit=unit,
        name=table.name,
        year=int(year) if str(year).isdigit() else None,
        extensions=extensions,
    )


def table_from_pymrio(system, *, name: str | None = None, sector_names=None, strict=()) -> IOTable:
    """A one-region :class:`pymrio.IOSystem` as an :class:`IOTable`.

    Parameters
    ----------
    system : pymrio.IOSystem
        One region. ``Z`` (or ``A`` with ``x``) and ``Y`` are required; ``x`` defaults to
        ``Z 1 + Y 1``. Extension rows read: ``factor_inputs`` (rows ``imported_inputs`` and
        ``other_inputs`` as such, every other row a value-added component; a row named
        ``compensation`` enables income multipliers), ``employment`` and
        ``imported_products`` (as written by :func:`table_to_pymrio`).
    name : str, optional
        Table name; default the system's name.
    sector_names : sequence of str, optional
        Long names of the sectors (pymrio keeps codes only).
    strict : iterable of str or "all"
        Data checks that raise (:class:`IOTable`).

    Returns
    -------
    IOTable
    """
    from .tables import IOTable

    Z, Y = getattr(system, "Z", None), getattr(system, "Y", None)
    if Y is None or (Z is None and (getattr(system, "A", None) is None or getattr(system, "x", None) is None)):
        raise DataError("the pymrio system needs Y and either Z or A with x")
    regions = list(dict.fromkeys(Y.index.get_level_values(0)))
    if len(regions) != 1:
        raise DataError(
            f"the pymrio system has {len(regions)} regions ({', '.join(map(str, regions[:5]))}); an IOTable holds one: "
            "aggregate it first, e.g. system.aggregate(region_agg='nation')"
        )
    sectors = [str(s) for s in Y.index.get_level_values(1)]
    x = None if getattr(system, "x", None) is None else system.x.loc[Y.index].to_numpy()[:, 0]
    if Z is None:
        Z = system.A.loc[Y.index, Y.index] * x[None, :]
    Z = Z.loc[Y.index, Y.index].to_numpy(dtype=np.float64)
    f = Y.loc[Y.index].to_numpy(dtype=np.float64)
    categories = [str(c) for c in Y.columns.get_level_values(-1)]
    rows = _extension_rows(system, FACTOR_INPUTS, Y.index)
    compensation = rows.pop("compensation", None)
    imports = rows.pop("imported_inputs", None)
    other = rows.pop("other_inputs", None)
    value_added = None
    if rows or compensation is not None:
        value_added = sum(rows.values(), np.zeros(len(sectors))) + (0.0 if compensation is None else compensation)
    employment = _extension_rows(system, EMPLOYMENT, Y.index).get("employment")
    unit = str(system.unit.iloc[0, 0]) if getattr(system, "unit", None) is not None else "unspecified"
    code, _, scale = unit.partition(" ")
    # "KRW million" (as written here) splits into currency and unit; "Mill USD" stays whole
    currency, monetary_unit = (code, scale) if len(code) == 3 and code.isupper() and scale else (unit, "1")
    year = _price_year(system)
    table = IOTable.from_arrays(
        Z,
        f,
        x=x,
        value_added=value_added,
        compensation=compensation,
        employment=employment,
        imported_inputs=imports,
        other_inputs=other,
        sectors=sectors,
        sector_names=sector_names,
        fd_categories=categories,
        currency=currency or "unspecified",
        monetary_unit=monetary_unit or "1",
        price_year=year,
        source=f"pymrio IOSystem {getattr(system, 'name', '')}".strip(),
        name=name or getattr(system, "name", None),
        strict=strict,
    )
    imported = getattr(system, IMPORTED_PRODUCTS, None)
    if imported is not None and getattr(imported, "F", None) is not None:
        ds = table.dataset
        products = [str(p) for p in imported.F.index]
        ds = ds.assign_coords(product=products)
        ds["imported_intermediate"] = (("product", "sector_to"), imported.F.loc[:, Y.index].to_numpy(dtype=np.float64))
        if getattr(imported, "F_Y", None) is not None:
            ds["imported_final_demand"] = (("product", "fd_category"), imported.F_Y.to_numpy(dtype=np.float64))
        table = IOTable(ds, name=table.name, strict=strict)
    return table


def _extension_rows(system, name: str, columns) -> dict[str, np.ndarray]:
    extension = getattr(system, name, None)
    if extension is None or getattr(extension, "F", None) is None:
        return {}
    F = extension.F.loc[:, columns]
    labels = [row[-1] if isinstance(row, tuple) else row for row in F.index]
    return {str(label): F.iloc[k].to_numpy(dtype=np.float64) for k, label in enumerate(labels)}


def regional_model_to_pymrio(model: RegionalModel):
    """A regional model as a multi-region :class:`pymrio.IOSystem` (module docstring).

    Returns
    -------
    pymrio.IOSystem
        Regions and sectors of the model; ``Z = A diag(x)``; ``Y``: net final demand
        ``x - Z 1`` of each region's industries in one category ``final_demand`` of that
        region (the model does not record who demands); extensions ``factor_inputs``
        (``compensation``, ``other_value_added``, ``imported_inputs``, ``other_inputs``) and
        ``employment``.
    """
    from .tables import to_matrix, to_vector

    pymrio = _pymrio()
    ds = model.dataset
    index = _index(model.regions, model.sectors)
    x = to_vector(ds["gross_output"])
    Z = to_matrix(ds["coefficients"]) * x[None, :]
    net = x - Z.sum(axis=1)
    n = len(model.sectors)
    Y = np.zeros((len(x), len(model.regions)))
    for r in range(len(model.regions)):
        Y[r * n : (r + 1) * n, r] = net[r * n : (r + 1) * n]
    columns = pd.MultiIndex.from_product([model.regions, ["final_demand"]], names=["region", "category"])
    unit = ds.attrs.get("unit", "")
    compensation = to_vector(ds["compensation_coefficient"]) * x
    rows = {
        "compensation": compensation,
        "other_value_added": to_vector(ds["value_added_coefficient"]) * x - compensation,
        "imported_inputs": to_vector(ds["imported_inputs_coefficient"]) * x,
        "other_inputs": to_vector(ds["other_inputs_coefficient"]) * x,
    }
    extensions = [
        _extension(pymrio, FACTOR_INPUTS, rows, dict.fromkeys(rows, unit), index),
        _extension(pymrio, EMPLOYMENT, {"employment": to_vector(ds["employment"])}, {"employment": "persons"}, index),
    ]
    year = ds.attrs.get("price_year")
    return _system(
        pymrio,
        Z=pd.DataFrame(Z, index=index, columns=index),
        Y=pd.DataFrame(Y, index=index, columns=columns),
        x=x,
        index=index,
        unit=unit,
        name=model.name,
        year=int(year) if str(year).isdigit() else None,
        extensions=extensions,
    )
