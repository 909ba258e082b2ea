"""The planner page (``simengine serve``) in a real headless browser: Playwright driving Debian's chromium.

The test starts the app on a free port of 127.0.0.1, adds a lever, moves its slider, waits for the
headline figure to change and checks it against :func:`simengine.runner.run_scenario` on the same
scenario; a value out of range shows the command line's message next to its field; a saved package
downloads as a TOML file that ``simengine validate`` accepts and ``run_scenario`` reproduces to the
digit. It records the browser-side update latency (``tests/artifacts/serve_latency.json``, never
asserted: timings on a shared machine are noise) and a screenshot (``tests/artifacts/serve_page.png``).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from simengine.planner import Workspace, create_app
from simengine.report.indicators import headline_indicators
from simengine.results import compare
from simengine.runner import run_scenario
from simengine.scenario import load_scenario

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install '.[test]')"
)
uvicorn = pytest.importorskip("uvicorn")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium; .ci/run installs it)"
)
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(__file__).parent / "artifacts"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    workspace = Workspace(ROOT / "scenarios")
    port = _free_port()
    config = uvicorn.Config(create_app(workspace), host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running.started, "the planner app did not start"
    workspace.evaluate(workspace.draft)  # warm the region's model, as `simengine serve` does
    yield f"http://127.0.0.1:{port}", workspace
    running.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    """Chromium with a fresh profile (Playwright makes a new temporary user-data-dir per launch)."""
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS[1:], headless=True)
        yield launched
        launched.close()


def _figure(page, name: str) -> float:
    return float(page.get_attribute(f'#results tr[data-indicator="{name}"] td:nth-child(3)', "data-value"))


def _wait_change(page, name: str, before: float | None) -> float:
    selector = f'#results tr[data-indicator="{name}"] td:nth-child(3)'
    page.wait_for_function(
        "([s, b]) => { const e = document.querySelector(s); return e && e.dataset.value !== b; }",
        arg=[selector, repr(before) if before is not None else ""],
        timeout=20_000,
    )
    return _figure(page, name)


def _scenario_text(target: float, package_id: str = "browser-check") -> str:
    return f"""schema_version = 1
extends = "{(ROOT / "scenarios" / "gwangmyeong_baseline.toml").as_posix()}"
[scenario]
id = "{package_id}"
title = "{package_id}"
[[lever]]
kind = "local_share_target"
sector = "F"
size_class = "large"
target = {target!r}
"""


def _expected(tmp_path: Path, target: float) -> float:
    path = tmp_path / f"check-{target}.toml"
    path.write_text(_scenario_text(target), encoding="utf-8")
    base = run_scenario(ROOT / "scenarios" / "gwangmyeong_baseline.toml")
    indicators = headline_indicators([base, run_scenario(load_scenario(path))])
    return float(indicators["local_value_added"].isel(scenario=1))


def test_a_planner_builds_compares_and_downloads_a_package(server, browser, tmp_path):
    url, workspace = server
    context = browser.new_context(accept_downloads=True, viewport={"width": 1360, "height": 1500})
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
    page.goto(url + "/?lang=en")
    page.select_option("#new-kind", "local_share_target")
    page.click("#add-lever")
    page.wait_for_selector('fieldset.lever[data-kind="local_share_target"]')
    page.select_option("#lever-0-sector", "F")
    page.select_option("#lever-0-size_class", "large")
    page.fill("#lever-0-target", "0.7")
    first = _wait_change(page, "local_value_added", None)
    assert first == pytest.approx(_expected(tmp_path, 0.7), rel=0, abs=0)

    # Move the slider: the number box follows and the figure changes to run_scenario's.
    latencies, server_ms = [], []
    before = first
    for target in (0.75, 0.8, 0.85, 0.9, 0.95, 0.65, 0.72, 0.78, 0.88, 0.92):
        page.eval_on_selector(
            "#lever-0-target-slider",
            "(e, v) => { e.value = v; e.dispatchEvent(new Event('input', {bubbles: true})); }",
            str(target),
        )
        before = _wait_change(page, "local_value_added", before)
        page.wait_for_function("() => document.getElementById('results').dataset.latencyMs !== undefined")
        latencies.append(float(page.get_attribute("#results", "data-latency-ms")))
        server_ms.append(float(page.get_attribute("#results", "data-server-ms")))
    assert page.input_value("#lever-0-target") == "0.92"
    assert before == _expected(tmp_path, 0.92)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "serve_latency.json").write_text(
        json.dumps(
            {
                "browser_ms": latencies,
                "median_ms": statistics.median(latencies),
                "server_ms": server_ms,
                "load_average": os.getloadavg()[0],
            },
            indent=1,
        )
    )

    # Out of range: the loader's message, next to the field; no figures until it is fixed.
    page.fill("#lever-0-target", "1.6")
    page.wait_for_selector("#error-lever-0-target:not(:empty)")
    message = page.inner_text("#error-lever-0-target")
    assert message == "package-1.toml: lever[0].target: Input should be less than or equal to 1 (got 1.6)"
    cli_file = tmp_path / "package-1.toml"
    cli_file.write_text(_scenario_text(1.6, "package-1"), encoding="utf-8")
    from simengine.cli import main

    cli = CliRunner().invoke(main, ["validate", str(cli_file)])
    assert (
        cli.exit_code == 1 and cli.output.strip() == f"error: {str(cli_file)}{message.removeprefix('package-1.toml')}"
    )
    page.fill("#lever-0-target", "0.8")
    page.wait_for_selector("#error-lever-0-target:empty", state="attached")
    expected = _wait_change(page, "local_value_added", None)

    # Save two packages; the ranking lists both; the download validates and reproduces the page.
    page.fill("#package-id", "construction-80")
    page.fill("#package-title", "Large construction contracts: 80% local")
    page.click("#save")
    page.wait_for_selector('#ranking tr[data-package="construction-80"]')
    page.select_option("#new-kind", "bid_price_preference")
    page.click("#add-lever")
    page.wait_for_selector('fieldset.lever[data-kind="bid_price_preference"]')
    page.fill("#lever-1-discount", "0.05")
    page.wait_for_function("() => document.getElementById('package-id').value === 'package-2'")
    page.fill("#package-id", "construction-80-preference")
    page.click("#save")
    page.wait_for_selector('#ranking tr[data-package="construction-80-preference"]')
    assert page.locator("#ranking tbody tr").count() == 2

    # Pick the objective: the headline and the ranking follow compare(..., objective=...) at once.
    saved = [workspace.baseline_result(), *(p.result for p in workspace.packages.values())]
    objective_ms = []
    for objective in ("fiscal", "national_value_added", "local_value_added", "resident_income"):
        page.select_option("#objective", objective)
        page.wait_for_function(
            "(o) => document.getElementById('ranking').dataset.objective === o"
            " && document.getElementById('results').dataset.objective === o"
            " && document.getElementById('results').dataset.latencyMs !== undefined",
            arg=objective,
        )
        objective_ms.append(float(page.get_attribute("#results", "data-latency-ms")))
        table = compare(saved, baseline=workspace.baseline_id, objective=objective)
        for package_id in workspace.packages:
            cell = f'#ranking tr[data-package="{package_id}"] td[data-figure="net_present_benefit"]'
            assert float(page.get_attribute(cell, "data-value")) == float(
                table[f"npb_{objective}"].sel(scenario=package_id)
            )
            shown_rank = int(page.inner_text(f'#ranking tr[data-package="{package_id}"] td:first-child'))
            assert shown_rank == int(table["rank"].sel(scenario=package_id))
        # the draft kept the second package's levers after saving it
        draft = headline_indicators(
            [saved[0], workspace.packages["construction-80-preference"].result],
            baseline=workspace.baseline_id,
            objective=objective,
        )
        assert _figure(page, "net_present_benefit") == float(draft["net_present_benefit"].isel(scenario=1))
    latency = json.loads((ARTIFACTS / "serve_latency.json").read_text())
    latency["objective_browser_ms"] = objective_ms
    (ARTIFACTS / "serve_latency.json").write_text(json.dumps(latency, indent=1))
    with page.expect_download() as waiting:
        page.click('#ranking tr[data-package="construction-80"] a.download-toml')
    downloaded = tmp_path / "construction-80.toml"
    waiting.value.save_as(downloaded)
    check = CliRunner().invoke(main, ["validate", str(downloaded)])
    assert check.exit_code == 0, check.output
    base = run_scenario(ROOT / "scenarios" / "gwangmyeong_baseline.toml")
    again = headline_indicators([base, run_scenario(downloaded)])
    assert float(again["local_value_added"].isel(scenario=1)) == expected
    with page.expect_download() as waiting:
        page.click("#download-report")
    report = tmp_path / "report.html"
    waiting.value.save_as(report)
    assert 'id="lead"' in report.read_text(encoding="utf-8")

    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "serve_page.png"), full_page=True)
    assert [m for m in messages if not m.startswith(("log:", "debug:"))] == [], messages[:8]
    context.close()


def test_korean_page_and_bad_uploads_get_one_clear_message(server, browser, tmp_path):
    url, workspace = server
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    page = context.new_page()
    page.goto(url + "/?lang=ko")
    assert page.inner_text("h1").startswith("simengine 정책 시뮬레이터")

    def upload(field: str, name: str, content: str) -> str:
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        page.set_input_files(f"#{field}-file", str(path))
        page.click(f"#{field}-file ~ button")
        page.wait_for_load_state()
        return page.inner_text(f"#error-upload-{field}") if page.query_selector(f"#error-upload-{field}") else ""

    assert upload("scenario", "broken.toml", "schema_version = 1\n[scenario\n").startswith("broken.toml: ")
    assert "missing required columns" in upload("register", "register.csv", "contract_id,value\nA,1\n")
    register = ROOT / "simengine" / "datasets" / "raw" / "gwangmyeong-register-synthetic"
    text = (register / "gwangmyeong_register_synthetic.csv").read_text(encoding="utf-8")
    assert upload("register", "gwangmyeong_register.csv", text) == ""
    assert page.locator("#spend tbody tr").count() >= 3
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "serve_page_ko.png"), full_page=True)
    page.goto(url + "/?lang=en")
    context.close()


#: Geometry of the saved-packages table: the page's and the table box's widths, the narrowest
#: figure heading, the most lines a figure takes and where the package name sits after scrolling the box.
LAYOUT = """() => {
  const box = document.querySelector('#packages .table-scroll');
  const heads = [...document.querySelectorAll('#ranking thead th')].slice(2);
  const cells = [...document.querySelectorAll('#ranking td[data-figure]')];
  const lines = (cell) => {
    const range = document.createRange();
    range.selectNodeContents(cell);
    return range.getClientRects().length;
  };
  const before = {page: document.documentElement.scrollWidth, box: box.clientWidth, table: box.scrollWidth};
  box.scrollLeft = box.scrollWidth;
  const name = document.querySelector('#ranking tbody th.package').getBoundingClientRect();
  return {...before, narrowestHead: Math.min(...heads.map(h => h.getBoundingClientRect().width)),
          mostLines: Math.max(...cells.map(lines)),
          nameLeft: name.left, boxLeft: box.getBoundingClientRect().left, scrolled: box.scrollLeft};
}"""


@pytest.mark.parametrize("width", [1280, 600])
def test_saved_packages_are_readable_at_1280_px_and_on_a_narrow_window(server, browser, width):
    """At 1280 px the ranking fits the page at full width (no sideways scrolling, figure headings at
    least 6 rem, every figure on one line); on a 600 px window the page still does not scroll
    sideways: the table scrolls in its own box, with the package name kept in view."""
    from simengine.planner.workspace import Draft

    url, workspace = server
    draft, ids = workspace.draft, ("layout-70", "layout-90-with-a-longer-package-name")
    for target, package_id in zip(("0.7", "0.9"), ids, strict=True):
        lever = {"kind": "local_share_target", "sector": "F", "size_class": "large", "target": target}
        workspace.save(Draft(package_id, "Large construction contracts: local award share target", [lever]))
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto(url + "/")
        geometry = page.evaluate(LAYOUT)
        assert geometry["page"] <= width, geometry
        assert geometry["narrowestHead"] >= 6 * 14 - 1, geometry  # 6 rem at the page's 14 px
        assert geometry["mostLines"] == 1, geometry  # every figure on one line
        if width >= 1280:
            assert geometry["table"] <= geometry["box"], geometry
        else:
            assert geometry["table"] > geometry["box"] and geometry["scrolled"] > 0, geometry
            assert geometry["nameLeft"] >= geometry["boxLeft"] - 1, geometry
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator("#packages").screenshot(path=str(ARTIFACTS / f"serve_packages_{width}.png"))
    finally:
        page.close()
        for package_id in ids:
            workspace.remove(package_id)
        workspace.draft = draft
