"""The procurement vocabulary shared by registers, spend analyses and scenario files."""

from __future__ import annotations

__all__ = ["METHODS", "METHOD_DESCRIPTIONS", "SIZE_CLASSES"]

#: Contract methods of Korean local-government contracting (지방계약법).
METHOD_DESCRIPTIONS = {
    "negotiated": "small negotiated contract (수의계약)",
    "restricted": "regionally restricted competition (지역제한경쟁)",
    "open": "open competition (일반경쟁)",
    "scoring": "scoring / negotiation (협상에 의한 계약)",
    "shopping_mall": "central shopping mall (나라장터 종합쇼핑몰)",
}
METHODS = tuple(METHOD_DESCRIPTIONS)
#: Contract-size classes, smallest first.
SIZE_CLASSES = ("small", "medium", "large")
