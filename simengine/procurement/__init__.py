"""Procurement: contract registers, spend analysis (local award shares), example registers.

::

    from simengine.procurement import read_register, spend_analysis
    register = read_register("register.csv", mapping="mapping.toml", locality="postcode_area")
    shares = spend_analysis(register, by=("sector", "method", "size_class"))
    shares["local_share_value"].sel(sector="all", method="all", size_class="all")
"""

from .register import DEFAULT_SIZE_CLASSES, LOCALITY_RULES, METHODS, read_mapping, read_register
from .spend import TOTAL_LABEL, spend_analysis, spend_table, write_spend

__all__ = [
    "read_register",
    "read_mapping",
    "spend_analysis",
    "spend_table",
    "write_spend",
    "METHODS",
    "LOCALITY_RULES",
    "DEFAULT_SIZE_CLASSES",
    "TOTAL_LABEL",
]
