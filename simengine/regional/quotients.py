"""Location quotients and the regional coefficients they give (Flegg & Webber family).

Notation: ``E_Ri`` regional and ``E_Ni`` national employment of sector ``i`` (persons),
``E_R`` and ``E_N`` their totals. Every method returns a factor ``f_ij`` in ``[0, 1]``
and the regional input coefficient ``r_ij = f_ij a_ij``: the part of the national
coefficient ``a_ij`` that a region's industry ``j`` buys from its own region's industry
``i``; the rest ``(1 - f_ij) a_ij`` is bought from other regions of the country.

==========  =====================================================================
method      factor ``f_ij`` (capped at 1)
==========  =====================================================================
``slq``     ``SLQ_i = (E_Ri / E_R) / (E_Ni / E_N)`` (row-wise)
``cilq``    ``CILQ_ij = SLQ_i / SLQ_j``; on the diagonal ``SLQ_i``
``flq``     ``FLQ_ij = CILQ_ij * lambda``, ``lambda = log2(1 + E_R / E_N) ** delta``
``aflq``    ``FLQ_ij * log2(1 + SLQ_j)`` where ``SLQ_j > 1``, else ``FLQ_ij``
``sflq``    ``FLQ_ij`` with a sector-specific ``delta_j`` (one per purchasing sector)
==========  =====================================================================

Conventions (stated because the literature varies):

- CILQ diagonal: ``CILQ_ii = SLQ_i`` (Smith & Morrison 1974; Flegg & Webber 1997), so
  that a sector's purchases from itself are reduced only when the region is
  under-represented in it. The FLQ and AFLQ diagonals are ``SLQ_i * lambda``.
- Capping: ``f_ij = min(LQ_ij, 1)``; a quotient above one never raises a coefficient
  above its national value (regions do not buy more locally than the nation does).
- A purchasing sector absent from the region (``E_Rj = 0``) makes ``CILQ_ij`` undefined;
  its column takes the SLQ factor of the row (the column has no regional output, so the
  choice only matters for hypothetical demand there). A supplying sector absent from the
  region gives ``f_ij = 0``.
- SFLQ follows Kowalewski (2015): ``delta`` varies by purchasing sector ``j``.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..errors import DataError

__all__ = ["LQ_METHODS", "location_quotient_factors", "regionalize", "flq_lambda"]

LQ_METHODS = ("slq", "cilq", "flq", "aflq", "sflq")


def flq_lambda(regional_total: float, national_total: float, delta) -> np.ndarray | float:
    """Flegg's regional-size scalar ``lambda* = [log2(1 + E_R / E_N)] ** delta``.

    Parameters
    ----------
    regional_total, national_total : float
        Total employment of the region and of the nation (persons).
    delta : float or ndarray
        Sensitivity parameter(s) in ``[0, 1)``.
    """
    return np.log2(1.0 + regional_total / national_total) ** np.asarray(delta, dtype=np.float64)


def _check_delta(method: str, delta, n: int) -> np.ndarray | None:
    if method in ("slq", "cilq"):
        if delta is not None:
            raise DataError(f"method {method!r} takes no delta (got {delta!r}); use flq, aflq or sflq")
        return None
    if delta is None:
        raise DataError(f"method {method!r} needs delta in [0, 1), e.g. delta=0.3 (Flegg & Tohmo 2013)")
    values = np.asarray(delta, dtype=np.float64)
    if method == "sflq":
        if values.shape != (n,):
            raise DataError(f"sflq needs one delta per purchasing sector: shape ({n},), got {values.shape}")
    elif values.ndim != 0:
        raise DataError(f"{method} takes one delta; use method='sflq' for sector-specific values")
    bad = ~((values >= 0.0) & (values < 1.0))
    if np.any(bad):
        raise DataError(f"delta must lie in [0, 1); got {values[bad].ravel()[0]!r}")
    return values


def _as_employment(values, name: str) -> np.ndarray:
    array = np.asarray(values.values if isinstance(values, xr.DataArray) else values, dtype=np.float64)
    if array.ndim != 1:
        raise DataError(f"{name} must be a vector by sector, got shape {array.shape}")
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise DataError(f"{name} must be finite and non-negative (persons)")
    return array


def location_quotient_factors(regional_employment, national_employment, *, method: str, delta=None) -> np.ndarray:
    """Factors ``f_ij = min(LQ_ij, 1)`` that scale national coefficients to regional ones.

    Parameters
    ----------
    regional_employment, national_employment : array_like or DataArray, shape (n,)
        Employment by sector (persons), same sector order.
    method : {"slq", "cilq", "flq", "aflq", "sflq"}
        See the module docstring.
    delta : float or ndarray (n,), optional
        FLQ sensitivity in ``[0, 1)``; one per purchasing sector for ``sflq``.

    Returns
    -------
    ndarray, shape (n, n)
        Share of the national coefficient bought inside the region (dimensionless).
    """
    method = str(method).lower()
    if method not in LQ_METHODS:
        raise DataError(f"unknown regionalisation method {method!r}; choose one of {', '.join(LQ_METHODS)}")
    regional = _as_employment(regional_employment, "regional employment")
    national = _as_employment(national_employment, "national employment")
    if regional.shape != national.shape:
        raise DataError(f"regional employment has {regional.size} sectors, national {national.size}")
    larger = regional > national * (1.0 + 1e-12)
    if np.any(larger):
        i = int(np.argmax(larger))
        raise DataError(
            f"regional employment of sector #{i} ({regional[i]:,.0f}) exceeds national ({national[i]:,.0f}); "
            "a region cannot be larger than the nation"
        )
    if regional.sum() <= 0:
        raise DataError("regional employment is zero in every sector")
    deltas = _check_delta(method, delta, regional.size)
    regional_total, national_total = regional.sum(), national.sum()
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        slq = np.where(national > 0, (regional / regional_total) / (national / national_total), 0.0)
        if method == "slq":
            quotient = np.repeat(slq[:, None], slq.size, axis=1)
        else:
            quotient = np.where(slq[None, :] > 0, slq[:, None] / np.where(slq > 0, slq, 1.0)[None, :], slq[:, None])
            np.fill_diagonal(quotient, slq)
    if deltas is not None:
        size_scalar = np.broadcast_to(flq_lambda(regional_total, national_total, deltas), regional.shape)
        quotient = quotient * size_scalar[None, :]
        if method == "aflq":
            specialised = slq > 1.0
            quotient[:, specialised] *= np.log2(1.0 + slq[specialised])[None, :]
    return np.minimum(quotient, 1.0)


def regionalize(A_national, regional_employment, national_employment, *, method: str, delta=None):
    """Regional input coefficients ``r_ij = min(LQ_ij, 1) a_ij`` from a national table.

    Parameters
    ----------
    A_national : ndarray or DataArray, shape (n, n)
        National domestic technical coefficients (money per unit of output).
    regional_employment, national_employment : array_like, shape (n,)
        Employment by sector (persons).
    method : {"slq", "cilq", "flq", "aflq", "sflq"}
        Location-quotient method (module docstring).
    delta : float or ndarray, optional
        FLQ-family sensitivity in ``[0, 1)``.

    Returns
    -------
    ndarray or DataArray, shape (n, n)
        Intra-regional coefficients (money per unit of regional output); a DataArray
        in, a DataArray out with the same coordinates.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[0.2, 0.3], [0.1, 0.4]])
    >>> regionalize(A, [10.0, 30.0], [100.0, 100.0], method="slq").round(3).tolist()
    [[0.1, 0.15], [0.1, 0.4]]
    """
    factors = location_quotient_factors(regional_employment, national_employment, method=method, delta=delta)
    if isinstance(A_national, xr.DataArray):
        return A_national * factors
    A = np.asarray(A_national, dtype=np.float64)
    if A.shape != factors.shape:
        raise DataError(f"A has shape {A.shape}; expected {factors.shape} to match the employment vectors")
    return A * factors
