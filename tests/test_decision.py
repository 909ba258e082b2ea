"""Decision economics: displacement, volume, financing, present values, ranking, comparability, the lever registry."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from factories import synthetic_result
from hypothesis import given, settings
from hypothesis import strategies as st
from test_scenario_levers import EVERY_LEVER, budget, levers

from simengine.agents import AgentParameters
from simengine.agents.scenario import scenario_levers
from simengine.errors import DataError, ScenarioError
from simengine.levers import LEVER_KINDS, BudgetArrays, apply_levers, programme_cost
from simengine.results import compare, present_values
from simengine.runner import run_scenario, run_scenarios
from simengine.scenario import expand_batch, load_batch, load_scenario
from simengine.scenario.schema import Appraisal, Scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
OFF = Appraisal(financing="new_money", premium="as_spending", feedback=False, productivity_growth=0.0)

#: The main job's figures before the decision channels existed: local value added, local tax,
#: cost and employment (person-years) summed over 2026-2030, KRW million at 2024 prices; and LM3.
#: REGRESSION values (not published numbers): the previous release's runner on the current shipped
#: regional data (the jointly calibrated regions), so that only the refactor is under test.
OLD_FIGURES = {
    "gwangmyeong-baseline": (399348.047268, 3186.216803, 0.0, 7416.384009, 1.72528235),
    "construction-local60": (416162.122329, 3317.295738, 3375.0, 7722.217494, 1.75796357),
    "small-contracts": (435639.782090, 3470.283140, 3963.415966, 8124.678437, 1.79011729),
    "local-contribution": (409962.796324, 3269.264222, 6840.0, 7614.615284, 1.74194613),
    "coexistence-plan": (415691.328227, 3313.625528, 1640.25, 7713.654156, 1.75704849),
    "combined-package": (452315.790776, 3600.756167, 63543.814183, 8401.886828, 1.81901858),
    "combined-package-sweep0000": (445902.525231, 3550.746116, 61489.980288, 8285.237884, 1.80660052),
    "combined-package-sweep0005": (455770.951894, 3627.699105, 65301.907933, 8464.731719, 1.82570916),
}


def _switched_off(scenario: Scenario) -> Scenario:
    """The scenario with the decision channels off: new money, premium as spending, no feedback,
    and no consumption base on the household programme (the previous release's evaluation)."""
    lever = [
        lv.model_copy(update={"consumption_base": None}) if lv.kind == "household_local_consumption" else lv
        for lv in scenario.lever
    ]
    return scenario.model_copy(update={"appraisal": OFF, "lever": lever})


def test_old_main_job_figures_are_reproduced_with_the_new_channels_off():
    """Regression: the refactor (lever registry, runner split) changed nothing else."""
    scenarios = {
        s.scenario.id: _switched_off(s) for s in expand_batch(load_batch(SCENARIOS / "batch_gwangmyeong.toml"))
    }
    results = run_scenarios([scenarios[k] for k in OLD_FIGURES])
    for (name, expected), ds in zip(OLD_FIGURES.items(), results, strict=True):
        got = (
            float(ds["local_value_added"].sum()),
            float(ds["local_tax"].sum()),
            float(ds["cost_premium"].sum()),
            float(ds["local_employment"].sum()),
            float(ds["lm3"].values[0]),
        )
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-6), name


@pytest.fixture(scope="module")
def main_job():
    return {
        ds.attrs.get("scenario_title", ""): ds
        for ds in run_scenarios(expand_batch(load_batch(SCENARIOS / "batch_gwangmyeong.toml"))[:6])
    }


def test_local_plus_other_regions_is_national(main_job):
    """Identity: national value added = local (closed circuit) + feedback + other regions (open)."""
    for ds in main_job.values():
        total = ds["local_value_added"].sum("sector") + ds["feedback_value_added"] + ds["other_regions_value_added"]
        np.testing.assert_allclose(ds["national_value_added"].values, total.values, rtol=1e-12)


def test_pure_share_shift_leaves_national_open_output_unchanged():
    """In the open national model a shift of award shares between regions leaves national output
    unchanged: each region's technology columns sum to the national ones, so national output is
    L_nat times the total demand whatever region supplies it (Miller & Blair 2009, section 3.3)."""
    base = load_scenario(SCENARIOS / "gwangmyeong_baseline.toml")
    shift = load_scenario(SCENARIOS / "construction_local60.toml")
    lever = shift.lever[0].model_copy(
        update={"response": shift.lever[0].response.model_copy(update={"cost_premium_per_share": 0.0})}
    )
    shifted = shift.model_copy(update={"lever": [lever]})
    a, b = run_scenarios([base, shifted])
    assert float(b["local_awards"].sum() - a["local_awards"].sum()) > 10_000  # a real shift
    delta = float(b["national_output_open"].sum() - a["national_output_open"].sum())
    assert abs(delta) <= 1e-9 * float(a["national_output_open"].sum())


def test_premium_without_share_change_cuts_real_volume_by_p_over_1_plus_p():
    """With a fixed budget a premium p buys 1/(1+p) of the volume: Δ volume = -p/(1+p) x budget."""
    base = load_scenario(SCENARIOS / "gwangmyeong_baseline.toml")
    [lever] = levers(
        {
            "kind": "bid_price_preference",
            "discount": 0.05,
            "response": {"gap_closed_per_discount": 0.0, "cost_premium_per_discount": 0.76},
        }
    )
    scenario = base.model_copy(update={"lever": [lever]})
    a, b = run_scenarios([base, scenario])
    p = 0.76 * 0.05
    budget_total = float(a["budget"].sum())
    assert float(b["real_volume"].sum() - a["real_volume"].sum()) == pytest.approx(-p / (1 + p) * budget_total)
    assert float(b["local_award_share"].mean()) == pytest.approx(float(a["local_award_share"].mean()))
    # the premium is a transfer to the winning firms: local VA falls (less volume), no new jobs
    assert float(b["local_employment"].sum()) < float(a["local_employment"].sum())
    assert float(b["premium_transfer"].sum()) == pytest.approx(
        float((a["local_awards"] * p / (1 + p)).sum()), rel=1e-12
    )


def test_fiscal_balance_is_tax_in_less_costs_out(main_job):
    """fiscal balance = local tax - tax of displaced spending - premium and programme costs."""
    for ds in main_job.values():
        expected = ds["local_tax"] - ds["displaced_local_tax"] - ds["cost_premium"]
        np.testing.assert_allclose(ds["fiscal_balance"].values, expected.values, rtol=1e-12)


def test_programme_cost_displaces_city_spending_unless_new_money():
    scenario = load_scenario(SCENARIOS / "combined_package.toml")
    displaced, new_money = run_scenarios(
        [scenario, scenario.model_copy(update={"appraisal": Appraisal(financing="new_money")})]
    )
    assert float(displaced["displaced_value_added"].sum()) > 0
    assert float(new_money["displaced_value_added"].sum()) == 0
    cost = sum(programme_cost(scenario.lever, y, start_year=2026, monetary_unit="million") for y in range(2026, 2031))
    assert float(displaced["programme_cost"].sum()) == pytest.approx(cost)


def test_consumption_programme_acts_on_its_stated_base():
    """Extra local household spending = ramp x (share - baseline mean share) x consumption base."""
    scenario = load_scenario(SCENARIOS / "combined_package.toml")
    ds = run_scenario(scenario)
    from simengine.region_context import region_context, scenario_circuit_values

    s0 = scenario_circuit_values(scenario, region_context("gwangmyeong"))["household_local_consumption_share"]
    ramp = np.array([1 / 3, 2 / 3, 1, 1, 1])
    np.testing.assert_allclose(ds["household_injection"].values[0], ramp * (0.40 - s0) * 126_000, rtol=1e-12)


def test_present_values_match_a_hand_computation():
    """PV = sum_t delta_t / (1 + r)^t, r = 4.5% (Korea's preliminary feasibility study rate), t from 0."""
    years = 3
    base = synthetic_result("base", periods=years)
    other = synthetic_result("lever", periods=years, seed=1)
    for ds in (base, other):
        ds.attrs.update(discount_rate=0.045, base_year=2026, objective="local_value_added")
        ds.coords["year"] = ("time", np.arange(2026, 2026 + years))
    other["cost_premium"].values[0] = [10.0, 20.0, 30.0]
    pv = present_values(xr.concat([base, other], dim="scenario", combine_attrs="override"), baseline="base")
    expected_cost = 10 + 20 / 1.045 + 30 / 1.045**2
    assert float(pv["pv_delta_cost"].sel(scenario="lever")) == pytest.approx(expected_cost, rel=1e-12)
    gain = other["local_value_added"].sum("sector").values[0] - base["local_value_added"].sum("sector").values[0]
    expected = sum(g / 1.045**t for t, g in enumerate(gain)) - expected_cost
    assert float(pv["npb_local_value_added"].sel(scenario="lever")) == pytest.approx(expected, rel=1e-10)


@given(
    st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=2),
    st.lists(st.sampled_from([0.0, 5.0, -3.0]), min_size=2, max_size=2),
)
@settings(max_examples=30, deadline=None)
def test_ranking_is_never_infinite_or_nan(gains, costs):
    results = [synthetic_result("base")]
    for i, (gain, cost) in enumerate(zip(gains, costs, strict=True)):
        ds = synthetic_result(f"s{i}", cost_premium=cost)
        ds["local_value_added"] = ds["local_value_added"] + gain / ds.sizes["sector"]
        results.append(ds)
    for ds in results:
        ds.attrs.update(discount_rate=0.045, base_year=2026, objective="local_value_added")
    table = compare(results)
    for name in table.data_vars:
        if table[name].dtype.kind == "f":
            assert np.all(np.isfinite(table[name].values)), name
    assert sorted(table["rank"].values.tolist()) == [1, 2, 3]


@given(st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4), st.floats(0.0, 1.0), st.integers(2026, 2030))
@settings(max_examples=60, deadline=None)
def test_a_floor_target_never_lowers_any_cell(shares, target, year):
    chosen = levers({"kind": "local_share_target", "sector": "F", "target": target, "ramp_years": 3})
    effect = apply_levers(budget(shares=tuple(shares)), chosen, year, start_year=2026)
    assert np.all(effect.local_share >= np.array(shares) - 1e-15)


def test_exactly_mode_lowers_cells_above_the_target():
    chosen = levers({"kind": "local_share_target", "sector": "F", "target": 0.5, "mode": "exactly"})
    assert apply_levers(budget(), chosen, 2026, start_year=2026).local_share[0] == pytest.approx(0.5)


def test_a_lever_whose_scope_selects_nothing_is_an_error():
    chosen = levers({"kind": "local_coexistence_plan", "contract_type": "goods", "min_local_subcontract_share": 0.3})
    with pytest.raises(ScenarioError, match="selects no budget cell"):
        apply_levers(budget(), chosen, 2026, start_year=2026)


def test_contract_type_and_sector_group_select_the_mapped_sectors():
    works = levers({"kind": "local_coexistence_plan", "contract_type": "works", "min_local_subcontract_share": 0.3})
    services = levers(
        {"kind": "local_coexistence_plan", "contract_type": "services", "min_local_subcontract_share": 0.3}
    )
    group = levers({"kind": "local_coexistence_plan", "sector_group": "N", "min_local_subcontract_share": 0.3})
    cells = BudgetArrays.from_budget(budget())
    assert works[0].select(cells).tolist() == [True, True, True, False]
    assert services[0].select(cells).tolist() == [False, False, False, True]
    assert group[0].select(cells).tolist() == [False, False, False, True]


def test_every_lever_kind_round_trips_schema_effect_and_agent_mapping():
    """Each registered kind: its table validates, its analytic effect is finite and in [0, 1], and
    its agent mapping gives agent levers of the same kind (circuit levers act on the circuit)."""
    examples = {table["kind"]: table for table in EVERY_LEVER}
    assert set(examples) == set(LEVER_KINDS)
    base = load_scenario(SCENARIOS / "gwangmyeong_baseline.toml")
    for kind, table in examples.items():
        [lever] = levers(table)
        assert type(lever) is LEVER_KINDS[kind]
        assert type(lever).model_validate(lever.model_dump()) == lever
        effect = apply_levers(budget(), [lever], 2030, start_year=2026)
        assert np.all((effect.local_share >= 0) & (effect.local_share <= 1)) and np.all(
            np.isfinite(effect.cost_premium)
        )
        scenario = base.model_copy(update={"lever": [lever]})
        mapped = scenario_levers(scenario, table_scale=1e6, parameters=AgentParameters())
        if lever.ACTS_ON_CELLS:
            assert mapped and {m.kind for m in mapped} == {kind}
        else:
            assert mapped == []
        for name, prior in type(lever).priors().items():
            assert prior.low <= prior.high and prior.source, (kind, name)


def test_lever_effects_evaluate_a_whole_draw_axis_at_once():
    """Response parameters as (draws, 1) arrays give the same shares as one draw at a time."""
    [lever] = levers({"kind": "bid_price_preference", "discount": 0.05})
    slopes = np.array([[0.5], [2.0], [4.0]])
    stacked = apply_levers(budget(), [lever], 2026, start_year=2026, responses={0: {"gap_closed_per_discount": slopes}})
    for row, slope in enumerate(slopes[:, 0]):
        one = apply_levers(budget(), [lever], 2026, start_year=2026, responses={0: {"gap_closed_per_discount": slope}})
        np.testing.assert_array_equal(stacked.local_share[row], one.local_share)


def test_capacity_reinvestment_is_refused_in_analytic_mode_naming_agent_mode():
    base = load_scenario(SCENARIOS / "gwangmyeong_baseline.toml")
    [lever] = levers({"kind": "reinvestment_programme", "rate": 0.4})
    with pytest.raises(ScenarioError, match="mode = 'agents'"):
        run_scenario(base.model_copy(update={"lever": [lever]}))


def _pair(**changes):
    base = load_scenario(SCENARIOS / "gwangmyeong_baseline.toml")
    other = load_scenario(SCENARIOS / "construction_local60.toml")
    for key, value in changes.items():
        table, field = key.split("__")
        other = other.model_copy(update={table: getattr(other, table).model_copy(update={field: value})})
    return run_scenarios([base, other])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"scenario__horizon": 3}, "different periods"),
        ({"appraisal__discount_rate": 0.03}, "discount_rate"),
        ({"appraisal__objective": "fiscal"}, "objective"),
    ],
)
def test_comparisons_of_incomparable_results_are_refused(change, message):
    with pytest.raises(DataError, match=message):
        compare(_pair(**change))


def test_different_price_years_and_units_are_refused():
    a = synthetic_result("a")
    b = synthetic_result("b")
    b.attrs["price_year"] = 2020
    with pytest.raises(DataError, match="price_year"):
        compare([a, b])
    b.attrs.update(price_year=a.attrs["price_year"], monetary_unit="billion")
    with pytest.raises(DataError, match="monetary_unit"):
        compare([a, b])


def test_an_explicit_objective_aligns_differing_stated_objectives():
    a, b = _pair(appraisal__objective="fiscal")
    table = compare([a, b], objective="national_value_added")
    assert table.attrs["objective"] == "national_value_added"


def test_the_documented_new_lever_kind_works_as_written(tmp_path, monkeypatch):
    """The example of docs/scenarios.md ("Adding a lever kind") runs and behaves as documented."""
    import importlib
    import re

    text = (SCENARIOS.parent / "docs" / "scenarios.md").read_text(encoding="utf-8")
    code = re.search(r"### Adding a lever kind.*?```python\n(.*?)```", text, re.S).group(1)
    (tmp_path / "local_supplier_fair.py").write_text(code, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    fair = importlib.import_module("local_supplier_fair").LocalSupplierFair
    lever = fair.model_validate({"kind": "local_supplier_fair", "sector": "F"})
    effect = apply_levers(budget(), [lever], 2026, start_year=2026)
    shares = np.array([0.9, 0.8, 0.4, 0.3])
    expected = np.where([True, True, True, False], shares + 0.02 * (1 - shares), shares)
    np.testing.assert_allclose(effect.local_share, expected)
    assert fair.priors()["gap_closed"].high == 0.1


def test_programme_costs_are_the_same_in_agent_and_analytic_mode():
    """One cost function (simengine.levers.programme_cost): a 12.6 bn KRW a year programme costs
    12.6 bn a year in both modes (agent mode spreads it over the months)."""
    agents = load_scenario(SCENARIOS / "agents_baseline.toml")
    [programme] = levers(
        {
            "kind": "household_local_consumption",
            "share": 0.4,
            "annual_cost": {"amount": 12.6, "unit": "KRW billion"},
        }
    )
    with_programme = agents.model_copy(update={"lever": [programme]})
    analytic = with_programme.model_copy(
        update={"scenario": with_programme.scenario.model_copy(update={"mode": "analytic"})}
    )
    agent_result, analytic_result = run_scenario(with_programme), run_scenario(analytic)
    assert float(analytic_result["programme_cost"].sum()) == pytest.approx(12_600.0)
    assert float(agent_result["programme_cost"].sum()) == pytest.approx(12_600.0)
    baseline = run_scenario(agents)
    extra = (agent_result["cost_premium"] - baseline["cost_premium"]).sum("time").mean("draw")
    assert float(extra.sum()) == pytest.approx(12_600.0, rel=1e-9)
    assert "resident_household_income" in agent_result.attrs["not_computed"].split()


SCOPE_KEYS = st.fixed_dictionaries(
    {},
    optional={
        "sector": st.sampled_from(["F", "N", "C26"]),
        "sector_group": st.sampled_from(["F", "N", "C", "G"]),
        "contract_type": st.sampled_from(["works", "services", "goods"]),
        "size_class": st.sampled_from(["small", "medium", "large"]),
        "method": st.sampled_from(["negotiated", "restricted", "open", "scoring", "shopping_mall"]),
    },
)


@given(SCOPE_KEYS)
@settings(max_examples=60, deadline=None)
def test_a_scope_selects_exactly_the_matching_cells_or_is_an_error(scope):
    """Property: the selection is the cells matching every key; an empty one is a ScenarioError."""
    [lever] = levers({"kind": "local_coexistence_plan", "min_local_subcontract_share": 0.3, **scope})
    cells = BudgetArrays.from_budget(budget())
    from simengine.procurement.vocabulary import contract_type_of, sector_group_of

    expected = np.array(
        [
            all(
                [
                    scope.get("sector", sector) == sector,
                    scope.get("sector_group", sector_group_of(sector)) == sector_group_of(sector),
                    scope.get("contract_type", contract_type_of(sector)) == contract_type_of(sector),
                    scope.get("size_class", size) == size,
                    scope.get("method", method) == method,
                ]
            )
            for sector, size, method in zip(cells.sector, cells.size_class, cells.method, strict=True)
        ]
    )
    np.testing.assert_array_equal(lever.select(cells), expected)
    if expected.any():
        apply_levers(budget(), [lever], 2026, start_year=2026)
    else:
        with pytest.raises(ScenarioError, match="selects no budget cell"):
            apply_levers(budget(), [lever], 2026, start_year=2026)


def test_a_floor_target_maps_to_agent_levers_only_for_cells_below_it():
    """Agent mode keeps the floor: cells already above the target get no target lever."""
    base = load_scenario(SCENARIOS / "gwangmyeong_baseline.toml")
    [floor] = levers({"kind": "local_share_target", "sector": "F", "target": 0.6})
    [exactly] = levers({"kind": "local_share_target", "sector": "F", "target": 0.6, "mode": "exactly"})
    cells = [c for c in base.budget.cell if c.sector == "F"]
    below = [c for c in cells if c.local_share < 0.6]
    mapped = scenario_levers(base.model_copy(update={"lever": [floor]}), table_scale=1e6, parameters=AgentParameters())
    assert len(mapped) == len(below) and {(m.category, m.size_class) for m in mapped} == {
        (c.sector, c.size_class) for c in below
    }
    everything = scenario_levers(
        base.model_copy(update={"lever": [exactly]}), table_scale=1e6, parameters=AgentParameters()
    )
    assert [(m.category, m.size_class, m.method) for m in everything] == [("F", None, None)]


def test_agent_mode_refuses_a_consumption_base_it_cannot_evaluate():
    agents = load_scenario(SCENARIOS / "agents_baseline.toml")
    [programme] = levers(
        {
            "kind": "household_local_consumption",
            "share": 0.4,
            "annual_cost": {"amount": 12.6, "unit": "KRW billion"},
            "consumption_base": {"amount": 126, "unit": "KRW billion"},
        }
    )
    with pytest.raises(ScenarioError, match="only analytic mode evaluates"):
        run_scenario(agents.model_copy(update={"lever": [programme]}))


def test_cli_refuses_to_compare_different_horizons_in_one_line(tmp_path):
    """`simengine compare` and `simengine batch` of a 3-year scenario against a 5-year baseline: exit 1, one line."""
    from click.testing import CliRunner

    from simengine.cli import main

    short = tmp_path / "short.toml"
    short.write_text(
        f'schema_version = 1\nextends = "{(SCENARIOS / "construction_local60.toml").as_posix()}"\n'
        '[scenario]\nid = "short"\ntitle = "three years"\nhorizon = 3\n',
        encoding="utf-8",
    )
    batch = tmp_path / "batch.toml"
    batch.write_text(
        f'schema_version = 1\nbaseline = "{(SCENARIOS / "gwangmyeong_baseline.toml").as_posix()}"\n'
        'scenarios = ["short.toml"]\n[batch]\nid = "b"\ntitle = "b"\n',
        encoding="utf-8",
    )
    for args in (["compare", str(SCENARIOS / "gwangmyeong_baseline.toml"), str(short)], ["batch", str(batch)]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1, result.output
        errors = [line for line in result.output.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "different periods" in errors[0]


def test_surplus_transfers_conserve_money_in_closed_form_and_time_path():
    """A premium paid to local surplus: receipts + first-round leakage = the transfer; the circuit
    then leaks every won of the receipts (closed form), and the time path summed over a long
    horizon equals the closed form (the circuit's rounds converge)."""
    from simengine.region_context import region_context

    context = region_context("gwangmyeong")
    circuit = simengine_circuit(context)
    n = len(context.economy.sectors)
    transfer = np.zeros((n, 1))
    transfer[context.economy.sectors.index("F"), 0] = 100.0
    receipts, leaks = circuit.surplus_transfer(transfer)
    assert float(receipts.sum() + sum(v.sum() for v in leaks.values())) == pytest.approx(100.0, rel=1e-12)
    closed = circuit.impact(np.zeros((n, 1)), receipts=receipts)
    assert float(closed["leakage"].sum()) == pytest.approx(float(receipts.sum()), rel=1e-10)
    periods = 600
    spread = np.zeros((3, periods))
    spread[:, 0] = receipts[:, 0]
    path = circuit.time_path(np.zeros((n, periods)), receipts=spread)
    np.testing.assert_allclose(path["output"].sum("period").values, closed["output"].values[:, 0], rtol=1e-6)
    np.testing.assert_allclose(float(path["in_transit"].values[-1]), 0.0, atol=1e-6)


def simengine_circuit(context):
    from simengine.circuit import Circuit

    return Circuit(context.economy, context.parameters)
