"""The procurement vocabulary shared by registers, spend analyses, scenario files and levers.

One definition of each label set:

- :data:`METHODS`: contract methods of Korean local-government contracting (지방계약법);
- :data:`SIZE_CLASSES` and :func:`size_class_index`: contract-size classes with ONE bound
  convention, an **inclusive** upper bound (a contract of value ``v`` belongs to the first class
  whose upper bound ``u`` satisfies ``v <= u``), as the Local Contracts Act's thresholds are
  written ("추정가격 ... 이하", at or below);
- :data:`CONTRACT_TYPES` and :func:`contract_type_of`: the Korean contract types, works (공사),
  services (용역) and goods (물품), mapped to sector codes of the shipped ``korea-2014`` table;
- :func:`sector_group_of`: the sector group of a sector code, its ISIC / WIOD section letter
  (``C`` for every manufacturing code ``C10-C12`` ... ``C31_C32``);
- :data:`DEFAULT_TABLE`: the table every shipped region is built from.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "METHODS",
    "METHOD_DESCRIPTIONS",
    "SIZE_CLASSES",
    "size_class_index",
    "CONTRACT_TYPES",
    "contract_type_of",
    "sector_group_of",
    "DEFAULT_TABLE",
]

#: The national table the shipped regions are built from.
DEFAULT_TABLE = "korea-2014"

#: Contract methods of Korean local-government contracting (지방계약법).
METHOD_DESCRIPTIONS = {
    "negotiated": "small negotiated contract (수의계약)",
    "restricted": "regionally restricted competition (지역제한경쟁)",
    "open": "open competition (일반경쟁)",
    "scoring": "scoring / negotiation (협상에 의한 계약)",
    "shopping_mall": "central shopping mall (나라장터 종합쇼핑몰)",
}
METHODS = tuple(METHOD_DESCRIPTIONS)
#: Contract-size classes, smallest first; upper bounds are inclusive (:func:`size_class_index`).
SIZE_CLASSES = ("small", "medium", "large")


def size_class_index(values: np.ndarray | Sequence[float], upper_bounds: Sequence[float]) -> np.ndarray:
    """Index of the size class of each contract value: the first class with ``value <= upper``.

    Parameters
    ----------
    values : array_like
        Contract values (money).
    upper_bounds : sequence of float
        Increasing inclusive upper bounds, the last one ``inf``.

    Returns
    -------
    ndarray of int
    """
    return np.searchsorted(np.asarray(upper_bounds, dtype=float), np.asarray(values, dtype=float), side="left")


#: Korean contract types (국가·지방계약 구분) -> description. Works are construction
#: contracts; goods are purchases of products (including through distributors); services
#: are every other purchase.
CONTRACT_TYPES = {
    "works": "works (공사): construction",
    "services": "services (용역): every sector that is neither works nor goods",
    "goods": "goods (물품): agriculture, mining, manufacturing and wholesale trade",
}

#: Sector-code prefixes of the goods type in korea-2014 (WIOD) codes: A01-A03, B, C10-C33
#: and G46 (wholesale trade: goods bought from distributors).
_GOODS_PREFIXES = ("A", "B", "C", "G46")
_WORKS_PREFIXES = ("F",)


def contract_type_of(sector: str) -> str:
    """The Korean contract type of a korea-2014 (WIOD) sector code: works, goods or services.

    ``F`` (construction) is works; ``A*``, ``B``, ``C*`` and ``G46`` are goods; the rest are
    services. A region whose table uses other codes maps them the same way by code prefix.
    """
    if sector.startswith(_WORKS_PREFIXES):
        return "works"
    if sector.startswith(_GOODS_PREFIXES):
        return "goods"
    return "services"


def sector_group_of(sector: str) -> str:
    """The sector group of a sector code: its ISIC / WIOD section letter (``"C"`` for ``"C10-C12"``)."""
    return sector[:1]
