"""The report in a real headless browser (Debian's chromium, installed by ``.ci/run`` where missing).

The page loads offline (every host name resolves to nothing) with no console message at all,
every chart is drawn, the sortable table sorts, Korean text is drawn with the embedded font,
and a screenshot is kept in ``tests/artifacts/``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import xarray as xr
from factories import synthetic_result

from simengine.report import write_report
from simengine.report.fonts import FONT_FAMILY

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium; .ci/run installs it)"
)
ARTIFACTS = Path(__file__).parent / "artifacts"

#: Runs first in the page: records errors, then after load and fonts reports what it sees.
PROBE = """<script>
window.__errors = [];
window.addEventListener('error', function (e) { window.__errors.push(String(e.message)); });
window.addEventListener('load', function () {
  document.fonts.ready.then(function () {
    var charts = Array.prototype.map.call(document.querySelectorAll('figure.chart'), function (f) {
      var svg = f.querySelector('svg'); var box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
      return {name: f.dataset.chart, width: box.width, height: box.height,
              shapes: svg ? svg.querySelectorAll('path, rect, use').length : 0};
    });
    var table = document.getElementById('comparison-table');
    var firstColumn = function () { return Array.prototype.map.call(table.tBodies[0].rows,
      function (r) { return r.cells[0].getAttribute('data-value'); }); };
    var before = firstColumn(); table.tHead.rows[0].cells[0].click(); table.tHead.rows[0].cells[0].click();
    var after = firstColumn();
    var faces = []; document.fonts.forEach(function (f) { faces.push({family: f.family, status: f.status}); });
    var korean = document.querySelector('#headline-table tbody th');
    var sector = Array.prototype.filter.call(document.querySelectorAll('figure[data-chart=sectors] text'),
      function (t) { return t.textContent.indexOf('건설업') >= 0; })[0];
    var out = document.createElement('pre'); out.id = 'probe';
    out.textContent = JSON.stringify({errors: window.__errors, charts: charts, before: before, after: after,
      faces: faces, koreanText: korean.textContent, koreanFont: getComputedStyle(korean).fontFamily,
      fontCheck: document.fonts.check("16px '__FAMILY__'", korean.textContent),
      sectorText: sector ? sector.textContent : null, sectorFont: sector ? getComputedStyle(sector).fontFamily : null});
    document.body.appendChild(out);
  });
});
</script>""".replace("__FAMILY__", FONT_FAMILY)


def chromium(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess:
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}", "--host-resolver-rules=MAP * ~NOTFOUND",
        "--enable-logging=stderr", "--v=0", *arguments,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@pytest.fixture(scope="module")
def report_file(tmp_path_factory):
    batch = xr.concat(
        [
            synthetic_result("baseline", periods=6, time_unit="month", draws=4),
            synthetic_result(
                "local60", seed=1, local_share=0.7, cost_premium=10.0, periods=6, time_unit="month", draws=4
            ),
            synthetic_result(
                "set-aside", seed=2, local_share=0.65, cost_premium=5.0, periods=6, time_unit="month", draws=4
            ),
        ],
        dim="scenario",
    )
    path = tmp_path_factory.mktemp("report") / "report.html"
    write_report(batch, path, lang="ko")
    return path


def test_report_loads_offline_without_console_messages_and_is_screenshotted(report_file, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "report_browser.png"
    screenshot.unlink(missing_ok=True)
    run = chromium(tmp_path, "--window-size=1200,2600", "--hide-scrollbars", f"--screenshot={screenshot}",
                   report_file.as_uri())  # fmt: skip
    assert screenshot.is_file() and screenshot.stat().st_size > 50_000, run.stderr[-2000:]
    assert console_messages(run.stderr) == []


def test_every_chart_is_drawn_the_table_sorts_and_korean_uses_the_embedded_font(report_file, tmp_path):
    page = report_file.read_text(encoding="utf-8")
    probed = tmp_path / "probed.html"
    probed.write_text(page.replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    run = chromium(tmp_path, "--virtual-time-budget=10000", "--dump-dom", probed.as_uri())
    assert console_messages(run.stderr) == []
    found = re.search(r'<pre id="probe">(.*?)</pre>', run.stdout, re.S)
    assert found, run.stderr[-2000:]
    probe = json.loads(found.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
    assert probe["errors"] == []
    names = {chart["name"] for chart in probe["charts"]}
    assert names == {"flows_local60", "flows_set-aside", "sectors", "regions", "ranking", "time_paths"}
    assert all(c["width"] > 300 and c["height"] > 100 and c["shapes"] > 5 for c in probe["charts"]), probe["charts"]
    assert probe["before"] == ["1", "2", "3"] and probe["after"] == ["3", "2", "1"]
    assert {"family": FONT_FAMILY, "status": "loaded"} in [
        {"family": f["family"].strip("'\""), "status": f["status"]} for f in probe["faces"]
    ]
    assert probe["koreanText"] == "지역 산출"
    assert probe["koreanFont"].strip("'\"").startswith(FONT_FAMILY)
    assert probe["fontCheck"] is True
    assert probe["sectorText"] == "건설업 (F)"  # a Korean sector name in a chart, drawn as text
    assert probe["sectorFont"].strip("'\"").startswith(FONT_FAMILY)
