"""The example scenarios, the CLI commands and the generated schema reference."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from simengine.cli import main
from simengine.scenario import apply_levers, expand_batch, load_batch, load_scenario, validate
from simengine.scenario.docs import schema_markdown

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "scenarios").glob("*.toml"))
SCENARIOS = [p for p in EXAMPLES if not p.name.startswith("batch_")]


def test_every_example_is_valid():
    results = validate(EXAMPLES)
    assert len(results) == len(EXAMPLES) >= 8
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_example_runs_in_analytic_mode(path):
    scenario = load_scenario(path)
    amounts = np.array([cell.amount for cell in scenario.budget.cell])
    baseline = np.array([cell.local_share for cell in scenario.budget.cell])
    for year in scenario.scenario.years:
        effect = apply_levers(scenario.budget, scenario.lever, year, start_year=scenario.scenario.start_year)
        assert np.all((effect.local_share >= 0) & (effect.local_share <= 1))
        assert effect.local_share @ amounts >= baseline @ amounts - 1e-9  # every example policy raises local spending
    assert effect.premium_amount(amounts) >= 0


def test_gwangmyeong_baseline_is_a_plausible_city_budget():
    """Amount-weighted baseline shares by type stay near Busan's measured shares (MODEL.md section 6:
    construction 72.6%, services 52.8%); the total is about a quarter of the 2024 budget of 1,063.5 bn KRW."""
    scenario = load_scenario(ROOT / "scenarios" / "gwangmyeong_baseline.toml")
    cells = scenario.budget.cell
    total = sum(c.amount for c in cells)
    assert 200_000 <= total <= 320_000  # KRW million
    works = [c for c in cells if c.sector == "F"]
    share = sum(c.amount * c.local_share for c in works) / sum(c.amount for c in works)
    assert share == pytest.approx(0.726, abs=0.02)


def test_batch_expands_to_the_listed_scenarios_and_the_grid():
    scenarios = expand_batch(load_batch(ROOT / "scenarios" / "batch_gwangmyeong.toml"))
    ids = [s.scenario.id for s in scenarios]
    assert ids[0] == "gwangmyeong-baseline" and len(ids) == 6 + 3 * 2 and len(set(ids)) == len(ids)
    grid = {(s.lever[0].target, s.lever[4].min_local_subcontract_share) for s in scenarios[6:]}
    assert grid == {(t, m) for t in (0.5, 0.6, 0.7) for m in (0.2, 0.3)}


def test_cli_validate_good_and_bad_files(tmp_path):
    runner = CliRunner()
    good = runner.invoke(main, ["validate", *map(str, EXAMPLES)])
    assert good.exit_code == 0 and good.output.count("OK ") == len(EXAMPLES)
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'schema_version = 1\nextends = "%s"\n[scenario]\ntitel = "x"\n'
        % (ROOT / "scenarios" / "gwangmyeong_baseline.toml")
    )
    result = runner.invoke(main, ["validate", str(bad), str(EXAMPLES[0])])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in result.output
    error = next(line for line in lines if line.startswith("error:"))
    assert "scenario.titel: unknown key 'titel'" in error and "did you mean 'title'?" in error


def test_cli_schema_prints_and_writes(tmp_path):
    runner = CliRunner()
    printed = runner.invoke(main, ["schema"])
    assert printed.exit_code == 0
    schema = json.loads(printed.output)
    assert schema["additionalProperties"] is False and "lever" in schema["properties"]
    out = tmp_path / "batch.json"
    assert runner.invoke(main, ["schema", "--kind", "batch", "-o", str(out)]).exit_code == 0
    assert "sweep" in json.loads(out.read_text())["properties"]
    again = runner.invoke(main, ["schema", "--kind", "batch", "-o", str(out)])
    assert again.exit_code == 1 and "--overwrite" in again.output


def test_schema_reference_is_in_sync_with_the_models():
    committed = (ROOT / "docs" / "scenario_schema.md").read_text(encoding="utf-8")
    assert committed == schema_markdown(), "regenerate: python -m simengine.scenario.docs > docs/scenario_schema.md"
