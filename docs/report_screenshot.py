"""Rebuild docs/report_screenshot.png: the report of a synthetic three-scenario comparison.

Run from the repository root: ``python docs/report_screenshot.py`` (needs chromium). The
numbers are synthetic (tests/factories.py); the README's main-job command writes the real one.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import xarray as xr

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from factories import synthetic_result  # noqa: E402

from simengine.report import write_report  # noqa: E402

LEVERS = {
    "construction-local60": {
        "title": "Construction: local award share 40% -> 60%",
        "levers": [{"kind": "local_share_target", "sector": "F", "target": 0.6, "ramp_years": 2}],
    },
    "set-aside": {
        "title": "Small construction lots reserved for local firms",
        "levers": [
            {"kind": "set_aside", "sector": "F", "max_contract_value": 200_000_000, "reserved_for": ["local_sme"]}
        ],
    },
}

if __name__ == "__main__":
    settings = dict(periods=12, time_unit="month", draws=20)
    batch = xr.concat(
        [
            synthetic_result("baseline", **settings),
            synthetic_result("construction-local60", seed=1, local_share=0.7, cost_premium=10.0, **settings),
            synthetic_result("set-aside", seed=2, local_share=0.65, cost_premium=5.0, **settings),
        ],
        dim="scenario",
    )
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "report.html"
        write_report(batch, page, descriptions=LEVERS)
        subprocess.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
             f"--user-data-dir={folder}/profile", "--window-size=1200,1900",
             f"--screenshot={ROOT / 'docs' / 'report_screenshot.png'}", page.as_uri()],
            check=True, capture_output=True,
        )  # fmt: skip
    print(f"wrote {ROOT / 'docs' / 'report_screenshot.png'}")
