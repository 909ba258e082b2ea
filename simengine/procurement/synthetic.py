"""A SYNTHETIC Gwangmyeong-format contract register, calibrated to published local award shares.

No public Gwangmyeong register with supplier locations and values exists (see
``simengine/datasets/raw/gwangmyeong-register-synthetic/SOURCE.md``), so the shipped example
register is generated here. Its local award shares by value equal, by construction, the
Busan's reported figures (primary publication not yet identified), used as a stand-in for Gwangmyeong:

=====================  =======
cell                   local share of awarded value
=====================  =======
all awards             61.8 %
construction           72.6 %
services               52.8 %
goods                  59.1 %
central shopping mall  37.4 %
=====================  =======

How: contract values are lognormal per (sector, method) and local suppliers are drawn with
a method-dependent probability (high for small negotiated and regionally restricted
contracts, low for the shopping mall). Then, in each (sector, shopping mall or not) cell,
values are rescaled so that the cell's total budget and its local share hit their targets
exactly: local values by one factor, non-local values by another. The sector budgets are
chosen so that the overall share is 61.8 % (construction 40 % of value; services and goods
share the rest as the targets require), and the shopping mall takes fixed fractions of the
services and goods budgets. Values are rounded to whole won, which moves shares by less
than 1e-9. Everything else (counts, medians, spreads, SME and social-economy rates) is an
illustrative assumption, not data.

Regenerate the shipped file with ``python -m simengine.procurement.synthetic``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..io import write_csv

__all__ = ["synthetic_register", "write_synthetic_register", "BUSAN_LOCAL_SHARES", "SHIPPED_REGISTER", "SHIPPED_SEED"]

#: Reported local award shares by value (Busan; primary publication not yet identified): overall, by sector,
#: and for the central shopping mall method.
BUSAN_LOCAL_SHARES = {
    "all": 0.618,
    "construction": 0.726,
    "services": 0.528,
    "goods": 0.591,
    "shopping_mall": 0.374,
}
SHIPPED_REGISTER = (
    Path(__file__).resolve().parents[1]
    / "datasets"
    / "raw"
    / "gwangmyeong-register-synthetic"
    / "gwangmyeong_register_synthetic.csv"
)
SHIPPED_SEED = 20240101
CITY = "Gwangmyeong, Gyeonggi"
_REST_OF_GYEONGGI = (
    "Suwon",
    "Anyang",
    "Bucheon",
    "Siheung",
    "Seongnam",
    "Ansan",
    "Goyang",
    "Yongin",
    "Hwaseong",
    "Gunpo",
)
_REST_OF_KOREA = (
    "Seoul, Seoul",
    "Incheon, Incheon",
    "Daejeon, Daejeon",
    "Busan, Busan",
    "Cheonan, Chungnam",
    "Cheongju, Chungbuk",
)
#: (sector, method) -> (number of contracts, median value in KRW, lognormal sigma,
#: prior probability that the winner is local). Illustrative assumptions.
_CELLS = {
    ("construction", "negotiated"): (500, 30e6, 0.8, 0.85),
    ("construction", "restricted"): (250, 400e6, 0.9, 0.8),
    ("construction", "open"): (60, 3e9, 1.0, 0.4),
    ("construction", "scoring"): (20, 2e9, 0.8, 0.45),
    ("services", "negotiated"): (700, 15e6, 0.8, 0.75),
    ("services", "restricted"): (150, 150e6, 0.9, 0.7),
    ("services", "open"): (80, 500e6, 1.0, 0.35),
    ("services", "scoring"): (60, 800e6, 0.9, 0.4),
    ("services", "shopping_mall"): (150, 20e6, 1.2, 0.35),
    ("goods", "negotiated"): (500, 8e6, 0.8, 0.8),
    ("goods", "restricted"): (80, 80e6, 0.9, 0.7),
    ("goods", "open"): (50, 300e6, 1.0, 0.4),
    ("goods", "shopping_mall"): (450, 15e6, 1.2, 0.35),
}
#: Illustrative annual awarded value (KRW) and the parts of it that are fixed by assumption.
_TOTAL_BUDGET = 300e9
_CONSTRUCTION_WEIGHT = 0.40
_MALL_FRACTION = {"services": 0.10, "goods": 0.35}


def _sector_weights() -> dict[str, float]:
    """Value weights of the sectors that make the overall share equal its target."""
    t = BUSAN_LOCAL_SHARES
    rest = 1.0 - _CONSTRUCTION_WEIGHT
    # t_all = w_c t_c + w_s t_s + (rest - w_s) t_g, solved for w_s
    services = (t["all"] - _CONSTRUCTION_WEIGHT * t["construction"] - rest * t["goods"]) / (t["services"] - t["goods"])
    return {"construction": _CONSTRUCTION_WEIGHT, "services": services, "goods": rest - services}


def _cell_targets() -> dict[tuple[str, bool], tuple[float, float]]:
    """(sector, is shopping mall) -> (total value in KRW, local share of value)."""
    targets = {}
    mall_share = BUSAN_LOCAL_SHARES["shopping_mall"]
    for sector, weight in _sector_weights().items():
        budget = weight * _TOTAL_BUDGET
        mall = _MALL_FRACTION.get(sector, 0.0)
        sector_share = BUSAN_LOCAL_SHARES[sector]
        if mall:
            targets[(sector, True)] = (mall * budget, mall_share)
        targets[(sector, False)] = ((1 - mall) * budget, (sector_share - mall * mall_share) / (1 - mall))
    return targets


def _logit_shift(values: np.ndarray, prior: np.ndarray, target: float) -> np.ndarray:
    """Probabilities logit(prior) + d, with d chosen so the expected local value share is target."""
    logit = np.log(prior / (1 - prior))
    low, high = -20.0, 20.0
    for _ in range(100):
        mid = 0.5 * (low + high)
        p = 1 / (1 + np.exp(-(logit + mid)))
        low, high = (mid, high) if p @ values < target * values.sum() else (low, mid)
    return 1 / (1 + np.exp(-(logit + 0.5 * (low + high))))


def synthetic_register(*, seed: int = SHIPPED_SEED, year: int = 2024) -> pd.DataFrame:
    """Generate the SYNTHETIC Gwangmyeong-format register (see the module docstring).

    Parameters
    ----------
    seed
        Seed of the :class:`numpy.random.SeedSequence`; one child stream per (sector, method) cell.
    year
        Award year; award dates are uniform over its days.

    Returns
    -------
    pandas.DataFrame
        The canonical register layout (:mod:`simengine.procurement.register`), one row per
        contract, values in whole KRW, sorted by award date.
    """
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(_CELLS))]
    days = pd.date_range(f"{year}-01-01", f"{year}-12-31", freq="D")
    parts = []
    for rng, ((sector, method), (count, median, sigma, prior)) in zip(streams, _CELLS.items(), strict=True):
        value = rng.lognormal(np.log(median), sigma, count)
        parts.append(
            pd.DataFrame(
                {
                    "sector": sector,
                    "method": method,
                    "value": value,
                    "prior": prior,
                    "draw": rng.random(count),
                    "place": rng.random(count),
                    "size_draw": rng.random(count),
                    "social_draw": rng.random(count),
                    "award_date": days[rng.integers(0, len(days), count)],
                    "city": rng.integers(0, len(_REST_OF_GYEONGGI), count),
                    "far": rng.integers(0, len(_REST_OF_KOREA), count),
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True)
    mall = frame["method"] == "shopping_mall"
    local = np.zeros(len(frame), dtype=bool)
    for (sector, in_mall), (budget, share) in _cell_targets().items():
        cell = ((frame["sector"] == sector) & (mall == in_mall)).to_numpy()
        values = frame.loc[cell, "value"].to_numpy()
        p = _logit_shift(values, frame.loc[cell, "prior"].to_numpy(), share)
        won = frame.loc[cell, "draw"].to_numpy() < p
        scaled = np.where(
            won, values * share * budget / values[won].sum(), values * (1 - share) * budget / values[~won].sum()
        )
        frame.loc[cell, "value"] = scaled
        local[cell] = won
    restricted = (frame["method"] == "restricted").to_numpy()
    in_province = restricted | (frame["place"].to_numpy() < 0.5)
    gyeonggi = np.array([f"{c}, Gyeonggi" for c in _REST_OF_GYEONGGI])[frame["city"]]
    elsewhere = np.array(_REST_OF_KOREA)[frame["far"]]
    sme = frame["size_draw"].to_numpy() < np.where(local, 0.9, 0.6)
    frame = frame.assign(
        supplier_location=np.where(local, CITY, np.where(in_province, gyeonggi, elsewhere)),
        supplier_size=np.where(sme, "sme", "large"),
        social_economy=np.where(sme & (frame["social_draw"].to_numpy() < 0.04), "true", "false"),
        value=np.round(frame["value"]).astype(np.int64),
        currency="KRW",
        buyer_location=CITY,
    )
    frame = frame.sort_values(["award_date", "sector", "method", "value"], kind="stable", ignore_index=True)
    frame["contract_id"] = [f"GM-SYN-{year}-{i:05d}" for i in range(1, len(frame) + 1)]
    frame["award_date"] = frame["award_date"].dt.strftime("%Y-%m-%d")
    columns = [
        "contract_id",
        "award_date",
        "value",
        "currency",
        "sector",
        "method",
        "supplier_location",
        "buyer_location",
        "supplier_size",
        "social_economy",
    ]
    return frame[columns]


def write_synthetic_register(
    path: str | os.PathLike = SHIPPED_REGISTER, *, seed: int = SHIPPED_SEED, overwrite: bool = False
) -> Path:
    """Write :func:`synthetic_register` as CSV (atomically); the default is the shipped file."""
    write_csv(synthetic_register(seed=seed), path, overwrite=overwrite, index=False)
    return Path(path)


if __name__ == "__main__":
    print(f"wrote {write_synthetic_register(overwrite=True)}")
