"""Budget cells (procurement category x contract-size class x method) and the policy levers.

A budget cell holds an annual amount, a baseline local award share, a mean contract value and
the award method. Levers act on cells; :func:`lever_arrays` turns a list of them into one
value per cell so that the kernels see plain arrays.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..errors import ScenarioError
from ..kernels import layout
from ..local_economy import LocalEconomy

__all__ = ["METHODS", "LEVER_KINDS", "BudgetCells", "Lever", "lever_arrays"]

#: Award methods: name -> (award rule, regionally restricted).
METHODS: dict[str, tuple[int, bool]] = {
    "negotiated": (layout.RULE_NEGOTIATED, False),
    "restricted": (layout.RULE_FLOOR_LOTTERY, True),  # open to firms of the city and its province
    "open": (layout.RULE_FLOOR_LOTTERY, False),
    "scoring": (layout.RULE_SCORING, False),
    "mall": (layout.RULE_LOWEST_PRICE, False),
}

#: Lever kinds (names shared with the scenario schema) -> the parameter each one sets.
LEVER_KINDS: dict[str, str] = {
    "local_share_target": "target share of award value to local firms, ramped over ramp_periods",
    "set_aside": "threshold: contracts (lots) below it are reserved for local firms (sme_only: local SMEs)",
    "contract_unbundling": "threshold: contracts above it are split into lots of at most this value; "
    "admin_cost, scale_penalty: cost per lot (money) and price penalty per lot (default: AgentParameters)",
    "eligibility_relaxation": "value: fraction by which the required track record is lowered",
    "local_contribution_score": "value: extra scoring weight of the local-contribution item",
    "local_coexistence_plan": "value: minimum share of the contract bought from local suppliers",
    "bid_price_preference": "value: discount on local bids at evaluation; cap: largest discount in money",
    "social_economy_purchase_target": "value: share of contracts reserved for social-economy firms",
}


@dataclass(frozen=True)
class BudgetCells:
    """The procurement budget by (category, size class, method).

    Attributes
    ----------
    categories : tuple of str
        Procurement categories, e.g. ``("construction", "services", "goods")``.
    category_sectors : tuple of str
        The economy sector that executes each category's contracts.
    size_classes : tuple of str
        Contract-size classes, e.g. ``("small", "medium", "large")``.
    methods : tuple of str
        Award methods, keys of :data:`METHODS`.
    annual_amount : ndarray (category, size_class, method)
        Estimated value of contracts per year (money).
    baseline_local_share : ndarray (category, size_class, method)
        Observed local award share (fraction); the reference for ``local_share_target``.
    mean_contract_value : ndarray (category, size_class, method)
        Mean estimated contract value (money); sizes are lognormal with this mean.
    size_sigma : float
        Standard deviation of log contract value within a cell.
    credentials_multiple : float
        A firm qualifies when its track record (annual capacity, money) is at least this
        multiple of the cell's mean contract value.
    restricted_max_value : float
        Regional restriction applies to contracts below this value (money).
    """

    categories: tuple[str, ...]
    category_sectors: tuple[str, ...]
    size_classes: tuple[str, ...]
    methods: tuple[str, ...]
    annual_amount: np.ndarray
    baseline_local_share: np.ndarray
    mean_contract_value: np.ndarray
    size_sigma: float = 1.0
    credentials_multiple: float = 1.0
    restricted_max_value: float = math.inf

    def __post_init__(self) -> None:
        shape = (len(self.categories), len(self.size_classes), len(self.methods))
        for name in ("annual_amount", "baseline_local_share", "mean_contract_value"):
            if np.shape(getattr(self, name)) != shape:
                raise ScenarioError(f"budget cells: {name} has shape {np.shape(getattr(self, name))}; expected {shape}")
        unknown = [m for m in self.methods if m not in METHODS]
        if unknown:
            raise ScenarioError(f"budget cells: unknown methods {unknown}; valid: {sorted(METHODS)}")
        if len(self.category_sectors) != len(self.categories):
            raise ScenarioError("budget cells: category_sectors needs one sector per category")
        if np.any(self.annual_amount < 0) or np.any(self.mean_contract_value[self.annual_amount > 0] <= 0):
            raise ScenarioError("budget cells: amounts must be >= 0 and mean contract values > 0 where money is spent")
        share = self.baseline_local_share
        if np.any(share < 0) or np.any(share > 1):
            raise ScenarioError("budget cells: baseline_local_share must lie in [0, 1]")

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.annual_amount.shape

    def contracts_per_year(self) -> np.ndarray:
        """Expected number of contracts per year by cell."""
        return np.divide(
            self.annual_amount, self.mean_contract_value, out=np.zeros(self.shape), where=self.mean_contract_value > 0
        )

    def scaled(self, factor: float) -> BudgetCells:
        """The same cells with every annual amount multiplied by ``factor``."""
        return replace(self, annual_amount=self.annual_amount * factor)

    @classmethod
    def gwangmyeong_example(cls, economy: LocalEconomy) -> BudgetCells:
        """An illustrative Gwangmyeong-scale budget: about 5,000 contracts and KRW 250 bn a year (estimated value).

        Assumption, not data: the split by size and method is typical of a Korean city
        (many small negotiated contracts, few large competitive ones); the baseline local
        shares are Busan's measured shares by category (construction 72.6 %, services
        52.8 %, goods 59.1 %, shopping mall 37.4 %) and Gwangmyeong's 74 % of negotiated
        contracts in 2011 (see docs/agents.md). Money in KRW million.
        """
        for code in ("F", "N", "G46"):
            if code not in economy.sectors:
                raise ScenarioError(f"gwangmyeong_example needs sector {code!r} in the economy")
        categories = ("construction", "services", "goods")
        methods = ("negotiated", "restricted", "open", "scoring", "mall")
        sizes = ("small", "medium", "large")
        mean_value = np.array([8.0, 60.0, 800.0])  # KRW million
        # contracts per year by (category, size, method)
        counts = np.zeros((3, 3, 5))
        counts[0, 0, 0], counts[1, 0, 0], counts[2, 0, 0] = 1300, 1200, 1000
        counts[0, 1, 1], counts[0, 2, 1], counts[0, 2, 2] = 350, 60, 20
        counts[1, 1, 2], counts[1, 1, 3], counts[1, 2, 3] = 250, 150, 60
        counts[2, 1, 4], counts[2, 1, 2], counts[2, 2, 2] = 400, 150, 40
        base = np.zeros((3, 3, 5))
        base[0], base[1], base[2] = 0.726, 0.528, 0.591
        base[:, :, 0] = 0.74
        base[:, :, 4] = 0.374
        return cls(
            categories=categories,
            category_sectors=("F", "N", "G46"),
            size_classes=sizes,
            methods=methods,
            annual_amount=counts * mean_value[None, :, None],
            baseline_local_share=base,
            mean_contract_value=np.broadcast_to(mean_value[None, :, None], (3, 3, 5)).copy(),
            restricted_max_value=math.inf,
        )


@dataclass(frozen=True)
class Lever:
    """One policy lever, scoped to some cells (``None`` = every category, size class or method).

    Parameters
    ----------
    kind : str
        One of :data:`LEVER_KINDS`.
    value : float
        The lever's share or weight (see :data:`LEVER_KINDS`); unused by threshold levers.
    threshold : float
        Contract value (money) for ``set_aside`` and ``contract_unbundling``.
    cap : float
        Largest discount in money per contract for ``bid_price_preference``.
    ramp_periods : int
        Periods over which ``local_share_target`` ramps from the baseline share.
    sme_only : bool
        ``set_aside`` reserved for local SMEs rather than all local firms.
    admin_cost, scale_penalty : float, optional
        ``contract_unbundling``: administrative cost per lot (money) and price penalty per lot
        (fraction); None takes ``AgentParameters.lot_admin_cost`` / ``lot_scale_penalty``.
    category, size_class, method : str, optional
        Scope.
    """

    kind: str
    value: float = 0.0
    threshold: float = 0.0
    cap: float = math.inf
    ramp_periods: int = 1
    sme_only: bool = False
    admin_cost: float | None = None
    scale_penalty: float | None = None
    category: str | None = None
    size_class: str | None = None
    method: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in LEVER_KINDS:
            raise ScenarioError(f"unknown lever kind {self.kind!r}; valid kinds: {sorted(LEVER_KINDS)}")
        if self.kind in ("set_aside", "contract_unbundling"):
            if not self.threshold > 0:
                raise ScenarioError(f"lever {self.kind}: threshold must be > 0 (money), got {self.threshold}")
        elif not 0.0 <= self.value <= (math.inf if self.kind == "local_contribution_score" else 1.0):
            raise ScenarioError(f"lever {self.kind}: value must lie in [0, 1], got {self.value}")


def _scope_mask(cells: BudgetCells, lever: Lever) -> np.ndarray:
    mask = np.ones(cells.shape, dtype=bool)
    for axis, (labels, chosen, name) in enumerate(
        (
            (cells.categories, lever.category, "category"),
            (cells.size_classes, lever.size_class, "size_class"),
            (cells.methods, lever.method, "method"),
        )
    ):
        if chosen is None:
            continue
        if chosen not in labels:
            raise ScenarioError(f"lever {lever.kind}: {name} {chosen!r} not among {list(labels)}")
        keep = np.zeros(len(labels), dtype=bool)
        keep[labels.index(chosen)] = True
        mask &= np.expand_dims(keep, tuple(a for a in range(3) if a != axis))
    return mask


def lever_arrays(cells: BudgetCells, levers: Sequence[Lever]) -> dict[int, np.ndarray]:
    """Per-cell lever values keyed by the kernel's cell column (``layout.C_*``); unbundling costs
    are NaN where no lever sets them (``pack_inputs`` fills in the ``AgentParameters`` defaults)."""
    out = {
        layout.C_SET_ASIDE: np.zeros(cells.shape),
        layout.C_SET_ASIDE_SME: np.zeros(cells.shape),
        layout.C_PREFERENCE: np.zeros(cells.shape),
        layout.C_PREFERENCE_CAP: np.full(cells.shape, math.inf),
        layout.C_LOCAL_WEIGHT: np.zeros(cells.shape),
        layout.C_LOT_THRESHOLD: np.zeros(cells.shape),
        layout.C_RELAXATION: np.zeros(cells.shape),
        layout.C_COEXISTENCE: np.zeros(cells.shape),
        layout.C_TARGET: np.zeros(cells.shape),
        layout.C_RAMP: np.ones(cells.shape),
        layout.C_SOCIAL_TARGET: np.zeros(cells.shape),
        layout.C_LOT_ADMIN: np.full(cells.shape, np.nan),
        layout.C_LOT_PENALTY: np.full(cells.shape, np.nan),
    }
    for lever in levers:
        mask = _scope_mask(cells, lever)
        if lever.kind == "set_aside":
            out[layout.C_SET_ASIDE][mask] = lever.threshold
            out[layout.C_SET_ASIDE_SME][mask] = float(lever.sme_only)
        elif lever.kind == "contract_unbundling":
            out[layout.C_LOT_THRESHOLD][mask] = lever.threshold
            for column, value in ((layout.C_LOT_ADMIN, lever.admin_cost), (layout.C_LOT_PENALTY, lever.scale_penalty)):
                if value is not None:
                    out[column][mask] = value
        elif lever.kind == "bid_price_preference":
            out[layout.C_PREFERENCE][mask] = lever.value
            out[layout.C_PREFERENCE_CAP][mask] = lever.cap
        elif lever.kind == "local_contribution_score":
            out[layout.C_LOCAL_WEIGHT][mask] = lever.value
        elif lever.kind == "eligibility_relaxation":
            out[layout.C_RELAXATION][mask] = lever.value
        elif lever.kind == "local_coexistence_plan":
            out[layout.C_COEXISTENCE][mask] = lever.value
        elif lever.kind == "local_share_target":
            out[layout.C_TARGET][mask] = lever.value
            out[layout.C_RAMP][mask] = max(int(lever.ramp_periods), 1)
        elif lever.kind == "social_economy_purchase_target":
            out[layout.C_SOCIAL_TARGET][mask] = lever.value
    return out
