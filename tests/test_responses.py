"""Response sets and agent-derived responses: the fit recovers known parameters, a selected set equals
the same values written by hand, the shipped file is what its recorded command produces, bad files fail
with one clear error."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from simengine.agents.responses import PLANS, Measurements, derive_responses, fit_kind
from simengine.batch import run_scenario
from simengine.cli import main
from simengine.errors import ScenarioError
from simengine.levers import BudgetArrays, apply_levers
from simengine.levers.response_sets import AGENT_DERIVED_FILE, read_response_file, response_set
from simengine.scenario import expand_batch, load_batch, load_scenario
from simengine.uncertainty import response_priors

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
BASELINE = load_scenario(SCENARIOS / "gwangmyeong_baseline.toml")
SHIPPED = tomllib.loads(AGENT_DERIVED_FILE.read_text(encoding="utf-8"))


def _synthetic(plan, values, *, draws=6, noise=0.002, seed=0) -> tuple[BudgetArrays, list, list, Measurements]:
    """Agent-like measurements generated from the kind's analytic rule at ``values``, with noise per draw."""
    budget = BudgetArrays.from_budget(BASELINE.budget)
    levers = [plan.levers(size, BASELINE.budget) for size in plan.sizes]
    rng = np.random.default_rng(seed)
    cells = len(budget.amount)
    base = rng.uniform(0.2, 0.9, cells)
    paid_base = budget.amount * rng.uniform(0.8, 1.2, (draws, cells))
    awarded, local = [], []
    for size_levers in levers:
        responses = dict.fromkeys(range(len(size_levers)), values)
        effect = apply_levers(replace(budget, baseline=base), size_levers, 0, start_year=0, responses=responses)
        paid = paid_base * (1.0 + effect.cost_premium)
        share = np.clip(effect.local_share + noise * rng.standard_normal((draws, cells)), 0, 1)
        awarded.append(paid)
        local.append(paid * share)
    measured = Measurements(paid_base, paid_base * base, np.array(awarded), np.array(local))
    methods = [c.method for c in BASELINE.budget.cell]
    return budget, levers, methods, measured


@settings(max_examples=8, deadline=None)
@given(
    kind=st.sampled_from(["eligibility_relaxation", "local_contribution_score", "bid_price_preference", "set_aside"]),
    gap=st.floats(0.1, 0.9),
    cost=st.floats(0.0, 0.3),
    seed=st.integers(0, 1000),
)
def test_fit_recovers_known_parameters(kind, gap, cost, seed):
    """Data made by the analytic rule with known parameters (plus noise) give those parameters back."""
    plan = PLANS[kind]
    share_name, cost_name = plan.fitted
    scale = {"eligibility_relaxation": 1.0, "local_contribution_score": 2.0, "bid_price_preference": 3.0}
    truth = {share_name: gap * scale.get(kind, 1.0), cost_name: cost}
    budget, levers, methods, measured = _synthetic(plan, truth, seed=seed)
    fit = fit_kind(plan, budget, levers, methods, measured, groups=3)
    for name, value in truth.items():
        assert abs(fit.values[name] - value) < 0.02 * max(1.0, value) + 4 * fit.standard_error[name]
    assert fit.report["r2_share"] > 0.9


def test_fit_is_exact_without_noise():
    """Noise-free data: the fit returns the generating values to optimiser precision."""
    plan = PLANS["local_contribution_score"]
    truth = {"gap_closed_per_weight": 0.8, "cost_premium_per_weight": 0.1}
    budget, levers, methods, measured = _synthetic(plan, truth, noise=0.0)
    fit = fit_kind(plan, budget, levers, methods, measured, groups=3)
    for name, value in truth.items():
        assert fit.values[name] == pytest.approx(value, abs=1e-6)
        assert fit.standard_error[name] == pytest.approx(0.0, abs=1e-6)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_agent_derived_equals_values_written_by_hand(tmp_path):
    """A scenario selecting the shipped set equals the same scenario with the file's values typed in."""
    parent = (SCENARIOS / "local_contribution.toml").as_posix()
    selected = _write(
        tmp_path,
        "selected.toml",
        f'schema_version = 1\nextends = "{parent}"\n[scenario]\nresponses = "agent-derived"\n',
    )
    table = SHIPPED["local_contribution_score"]
    values = table.get("method", {}).get("scoring", table)
    response = "\n".join(f"{k} = {values[k]!r}" for k in ("gap_closed_per_weight", "cost_premium_per_weight"))
    by_hand = _write(
        tmp_path,
        "by_hand.toml",
        f'schema_version = 1\nextends = "{parent}"\n'
        '[[lever]]\nkind = "local_contribution_score"\nmethod = "scoring"\nweight = 0.10\n'
        f"[lever.response]\n{response}\n",
    )
    a, b = load_scenario(selected), load_scenario(by_hand)
    assert a.lever[0].response == b.lever[0].response
    assert a.lever[0].response != load_scenario(SCENARIOS / "local_contribution.toml").lever[0].response
    ra, rb = run_scenario(a), run_scenario(b)
    for name in ("local_award_share", "cost_premium", "local_output", "local_income", "local_tax"):
        np.testing.assert_array_equal(ra[name].values, rb[name].values)


def test_values_in_the_file_win_over_the_set(tmp_path):
    parent = (SCENARIOS / "local_contribution.toml").as_posix()
    path = _write(
        tmp_path,
        "s.toml",
        f'schema_version = 1\nextends = "{parent}"\n[scenario]\nresponses = "agent-derived"\n'
        '[[lever]]\nkind = "local_contribution_score"\nmethod = "scoring"\nweight = 0.10\n'
        "[lever.response]\ngap_closed_per_weight = 2.5\n",
    )
    response = load_scenario(path).lever[0].response
    assert response.gap_closed_per_weight == 2.5
    table = SHIPPED["local_contribution_score"]
    assert response.cost_premium_per_weight == table.get("method", {}).get("scoring", table)["cost_premium_per_weight"]


def test_literature_is_the_default():
    scenario = load_scenario(SCENARIOS / "local_contribution.toml")
    assert scenario.scenario.responses == "literature"
    assert scenario.lever[0].response.gap_closed_per_weight == 1.5


def test_batch_responses_apply_to_every_scenario_and_variant():
    batch = load_batch(SCENARIOS / "batch_gwangmyeong_agent_responses.toml")
    scenarios = expand_batch(batch)
    assert {s.scenario.responses for s in scenarios} == {"agent-derived"}
    unbundling = [lever for s in scenarios for lever in s.lever if lever.kind == "contract_unbundling"]
    assert unbundling and all(lever.response.uptake == SHIPPED["contract_unbundling"]["uptake"] for lever in unbundling)


def test_priors_from_the_fits():
    """With the agent-derived set the uncertainty range is the estimate +/- 2 standard errors (clipped)."""
    literature = load_scenario(SCENARIOS / "coexistence_plan.toml")
    derived = literature.model_copy(
        update={"scenario": literature.scenario.model_copy(update={"responses": "agent-derived"})}
    )
    prior = response_priors([derived])["local_coexistence_plan.cost_premium_per_share"]
    table = SHIPPED["local_coexistence_plan"]
    estimate, error = table["cost_premium_per_share"], table["standard_error"]["cost_premium_per_share"]
    assert prior.low == pytest.approx(max(0.0, estimate - 2 * error))
    assert prior.high == pytest.approx(estimate + 2 * error)
    assert response_priors([literature])["local_coexistence_plan.cost_premium_per_share"].high == 0.76


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('format = "other"\nformat_version = 1\n', "format"),
        ('format = "simengine-responses"\nformat_version = 2\n', "format_version"),
        ('format = "simengine-responses"\nformat_version = 1\n[no_such_kind]\nx = 1\n', "no_such_kind"),
        ('format = "simengine-responses"\nformat_version = 1\n[set_aside]\ngap = 0.5\n', "set_aside.gap"),
        ('format = "simengine-responses"\nformat_version = 1\n[set_aside]\ngap_closed = 1.5\n', "set_aside.gap_closed"),
        (
            'format = "simengine-responses"\nformat_version = 1\n[set_aside]\ngap_closed = "high"\n',
            "set_aside.gap_closed",
        ),
        (
            'format = "simengine-responses"\nformat_version = 1\n[set_aside]\ngap_closed = 0.5\n'
            "[set_aside.standard_error]\ngap_closed = -1\n",
            "set_aside.standard_error.gap_closed",
        ),
        (
            'format = "simengine-responses"\nformat_version = 1\n[set_aside.method.sealed]\ngap_closed = 0.5\n',
            "set_aside.method.sealed",
        ),
    ],
)
def test_bad_response_file_is_one_clear_error(tmp_path, text, key):
    path = _write(tmp_path, "bad.toml", text)
    with pytest.raises(ScenarioError) as info:
        read_response_file(path)
    message = str(info.value)
    assert str(path) in message and f": {key}:" in message and "\n" not in message


def test_bad_selection_in_a_scenario_names_the_file(tmp_path):
    parent = (SCENARIOS / "local_contribution.toml").as_posix()
    path = _write(
        tmp_path, "s.toml", f'schema_version = 1\nextends = "{parent}"\n[scenario]\nresponses = "missing.toml"\n'
    )
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert "missing.toml" in result.output and "response file not found" in result.output


def test_shipped_file_reads_and_covers_every_kind():
    shipped = response_set("agent-derived")
    assert set(shipped.kinds) == set(PLANS)
    provenance = shipped.provenance
    for key in ("command", "seed", "draws", "months", "code_version", "date", "scenario"):
        assert key in provenance
    assert f"--seed {provenance['seed']}" in provenance["command"]
    assert f"--draws {provenance['draws']}" in provenance["command"]


def test_shipped_file_is_what_its_command_produces():
    """Regression check on a small grid: the first grid size of every kind over the first two draws,
    with the recorded seed and months, reproduces the shipped file's check values exactly (a draw's
    result depends only on its key, so two draws of one size alone equal the full run's first two)."""
    provenance = SHIPPED["provenance"]
    plans = {kind: replace(plan, sizes=plan.sizes[:1]) for kind, plan in PLANS.items()}
    fits = derive_responses(BASELINE, draws=2, months=provenance["months"], seed=provenance["seed"], plans=plans)
    for kind, fit in fits.items():
        expected = SHIPPED[kind]["fit"]["check_share_gain_first_two_draws"]
        assert fit.report["check_share_gain_first_two_draws"] == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_derive_refuses_absurd_work_up_front():
    result = CliRunner().invoke(
        main,
        [
            "agents",
            "derive-responses",
            "--scenario",
            str(SCENARIOS / "gwangmyeong_baseline.toml"),
            "--draws",
            "100000",
            "--months",
            "600",
        ],
    )
    assert result.exit_code == 1
    assert "too large" in result.output and "--draws" in result.output


def test_derive_refuses_an_unknown_kind():
    result = CliRunner().invoke(
        main,
        ["agents", "derive-responses", "--scenario", str(SCENARIOS / "gwangmyeong_baseline.toml"), "--kind", "magic"],
    )
    assert result.exit_code == 1 and "unknown lever kinds" in result.output


def test_readme_tables_come_from_the_shipped_response_file():
    """The README's derived-values table is rendered (``benchmarks/render.py``, checked by
    tests/test_docs_benchmarks.py) from benchmarks/results/compare_responses.json, whose values must
    be those of the shipped response file: regenerating the file without re-running the comparison fails."""
    import importlib.util
    import json
    import sys

    root = SCENARIOS.parent
    sys.path.insert(0, str(root / "benchmarks"))
    spec = importlib.util.spec_from_file_location("compare_responses", root / "benchmarks" / "compare_responses.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    figures = json.loads((root / "benchmarks" / "results" / "compare_responses.json").read_text(encoding="utf-8"))
    assert figures["responses"] == json.loads(json.dumps(module.response_values())), (
        "regenerate: python benchmarks/compare_responses.py --json benchmarks/results/compare_responses.json "
        "&& python benchmarks/render.py"
    )


def test_batch_run_uses_the_batch_responses():
    """``simengine batch`` on the agent-derived batch runs each listed file with the batch's set."""
    from simengine.batch import run_batch

    outcome = run_batch(SCENARIOS / "batch_gwangmyeong_agent_responses.toml")
    assert not outcome.failures
    alone = run_scenario(load_scenario(SCENARIOS / "small_contracts.toml", responses="agent-derived"))
    batch = outcome.results.sel(scenario="small-contracts")
    np.testing.assert_array_equal(batch["local_award_share"].values, alone["local_award_share"].values[0])
    literature = run_scenario(load_scenario(SCENARIOS / "small_contracts.toml"))
    assert not np.array_equal(literature["local_award_share"].values, alone["local_award_share"].values)
