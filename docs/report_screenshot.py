"""Rebuild docs/report_screenshot.png from the README's main job (the real Gwangmyeong batch).

Run from the repository root: ``python docs/report_screenshot.py`` (needs chromium). It runs
``simengine batch scenarios/batch_gwangmyeong.toml ... --report``, hides every part of the page
after page one (the title and the answer: a crop of the real report), screenshots it at the
README's width (about 900 px) and trims the blank margin below.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageChops

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "report_screenshot.png"
#: Parts of the page left out of the crop.
HIDDEN = "#summary, #flows, #sectors, #comparison, #time-paths"

if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "report.html"
        subprocess.run(
            [sys.executable, "-c", "from cli import main; main()", "batch", "scenarios/batch_gwangmyeong.toml",
             "-o", f"{folder}/gwangmyeong.nc", "--report", str(page)],
            check=True, capture_output=True, cwd=ROOT,
        )  # fmt: skip
        html = page.read_text(encoding="utf-8")
        page.write_text(html.replace("</style>", f"{HIDDEN} {{ display: none; }}</style>", 1), encoding="utf-8")
        shot = Path(folder) / "shot.png"
        subprocess.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", f"--user-data-dir={folder}/profile", "--window-size=960,2400",
             "--force-device-scale-factor=2",
             f"--screenshot={shot}", page.as_uri()],
            check=True, capture_output=True,
        )  # fmt: skip
        image = Image.open(shot).convert("RGB")
        content = ImageChops.difference(image, Image.new("RGB", image.size, "white")).getbbox()
        image.crop((0, 0, image.width, min(image.height, content[3] + 48))).save(OUTPUT, optimize=True)
    print(f"wrote {OUTPUT}")
