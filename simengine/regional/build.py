"""Two-region models from a national table and regional employment (``region build``), and cities split
from a province with establishment-census employment (``region city``)."""

from __future__ import annotations

import numpy as np

from ..errors import DataError
from ..tables import IOTable
from .model import RegionalModel
from .quotients import location_quotient_factors

__all__ = ["build_region_model", "build_city_model"]


def build_region_model(
    table: IOTable,
    regional_employment,
    *,
    method: str | None = None,
    delta=None,
    purchase_coefficients=None,
    region: str = "region",
    rest_region: str = "rest_of_country",
) -> RegionalModel:
    """A two-region model (region / rest of the country) from a national table.

    Parameters
    ----------
    table : IOTable
        National table with employment by sector.
    regional_employment : array_like or DataArray, shape (n,)
        Regional employment by sector (persons), e.g. from
        :func:`~simengine.regional.read_employment_csv`.
    method : {"slq", "cilq", "flq", "aflq", "sflq"}, optional
        Location-quotient method for the region's own purchases.
    delta : float or ndarray, optional
        FLQ-family sensitivity in ``[0, 1)``.
    purchase_coefficients : array_like (n,), optional
        Given regional purchase coefficients by supplying sector, in ``[0, 1]``,
        instead of a location-quotient method.
    region, rest_region : str
        Region labels.

    Returns
    -------
    RegionalModel
        Regions ``[region, rest_region]``; the rest of the country sources from the
        region in proportion to output (no home bias beyond size).
    """
    if "employment" not in table.dataset:
        raise DataError(f"{table.name}: the national table has no employment by sector; regionalisation needs it")
    if (method is None) == (purchase_coefficients is None):
        raise DataError("give either method= (slq, cilq, flq, aflq, sflq) or purchase_coefficients=, not both")
    national = RegionalModel.from_table(table)
    national_employment = national.dataset["employment"].values[0]
    if purchase_coefficients is not None:
        factors = np.asarray(purchase_coefficients, dtype=float)
        note = "given regional purchase coefficients"
    else:
        factors = location_quotient_factors(regional_employment, national_employment, method=method, delta=delta)
        note = f"local coefficients by {method.upper()}" + (f" (delta={delta})" if delta is not None else "")
    model = national.split(
        "nation",
        new_region=region,
        rest_region=rest_region,
        employment=regional_employment,
        local_factors=factors,
        note=note,
    )
    return model.renamed(region, method=str(method or "rpc"), delta=str(delta) if delta is not None else "")


def build_city_model(
    province_model: RegionalModel,
    city_employment,
    *,
    province: str | None = None,
    city: str = "city",
    rest: str | None = None,
    delta: float = 0.3,
) -> RegionalModel:
    """Split a province of a regional model into a city and the rest of the province (FLQ).

    Parameters
    ----------
    province_model : RegionalModel
        E.g. ``load_region("gyeonggi-2014")``.
    city_employment : CityEmployment
        From :func:`~simengine.regional.census.read_establishment_census`.
    province : str, optional
        Region to split (default: the model's first region).
    city, rest : str
        Labels of the city and of the rest of the province (default ``rest_of_<province>``).
    delta : float
        FLQ sensitivity in [0, 1) (0.3: Flegg & Tohmo 2013).

    Returns
    -------
    RegionalModel
        Attributes ``location_quotients`` (the spread) and, when the city is its province
        scaled, ``structure_warning``.
    """
    province = province or province_model.regions[0]
    parent = province_model.dataset["employment"].sel(region=province).values
    employment = city_employment.employment.values
    factors = location_quotient_factors(employment, parent, method="flq", delta=delta)
    model = province_model.split(
        province,
        new_region=city,
        rest_region=rest or f"rest_of_{province}",
        employment=employment,
        local_factors=factors,
        note=f"city purchases: FLQ relative to {province}, delta={delta}; {city_employment.description()}",
    )
    q = city_employment.quotients
    attrs = {"location_quotients": f"min {q['min']:.3f}, median {q['median']:.3f}, max {q['max']:.3f}"}
    if city_employment.degenerate:
        attrs["structure_warning"] = (
            f"{city}'s employment structure is {province}'s scaled (every location quotient within 1% of 1): "
            "a degenerate regionalisation with no sectoral specialisation"
        )
    for key in [k for k in model.dataset.attrs if k.startswith("fit_")]:
        del model.dataset.attrs[key]
    return model.renamed(city, **attrs)
