"""Comparison under uncertainty: response parameters drawn from their priors, as arrays along ``draw``.

A lever's response parameters (how far a bid preference closes the gap to an all-local award,
what a point of local share costs, ...) are labelled assumptions with documented prior ranges
(:meth:`simengine.levers.LeverBase.priors`). An uncertainty comparison draws every parameter
jointly and evaluates every scenario of the comparison under each draw:

- **Priors.** Each parameter ``kind.field`` is drawn uniform on its prior's ``[low, high]``
  (the registry gives ranges, not shapes), independently of the others.
- **Common random numbers.** Draw ``d`` uses the same value of ``kind.field`` in every
  scenario (and every lever of that kind in a scenario), so differences between scenarios
  are policy differences, not sampling noise: a scenario compared with itself ties in every
  draw. Each parameter has its own random stream, seeded from ``seed`` and the parameter's
  name (:func:`draw_parameters`), so adding a scenario with another lever kind does not
  change the draws of the others.
- **Arrays.** Levers apply to whole ``(draws, cells)`` arrays (no model per draw); response
  parameters never change the circuit's coefficients, so one factorisation per circuit serves
  every draw of every scenario, and every scenario-draw-period is one column of the same
  column-independent solves as :func:`simengine.evaluation.evaluate`
  (:meth:`simengine.accounts.LeontiefSystem.solve`): a draw's numbers do not depend on the
  chunk it is solved in, nor on the worker that solves it.

Static analytic form (annual periods, no lags) only. The draw-axis engine (:func:`prepare_draws`,
:func:`evaluate_draws`) lives in :mod:`simengine.draws`; it is re-exported here.
"""

from __future__ import annotations

import concurrent.futures
import zlib
from collections.abc import Sequence

import numpy as np
import xarray as xr

from .draws import HEADLINE_TOTALS, DrawPrepared, evaluate_draws, prepare_draws
from .errors import ScenarioError
from .levers import Prior
from .region_context import region_context
from .results import OBJECTIVE_STREAMS
from .scenario.schema import Scenario

__all__ = [
    "HEADLINE_TOTALS",
    "response_priors",
    "draw_parameters",
    "with_responses",
    "DrawPrepared",
    "prepare_draws",
    "evaluate_draws",
    "uncertainty_compare",
    "rank_draws",
    "summarise",
    "comparison_scenarios",
    "uncertainty_text",
]


def response_priors(scenarios: Sequence[Scenario]) -> dict[str, Prior]:
    """Every response parameter of the scenarios' cell levers with a prior, as ``kind.field`` -> prior (sorted)."""
    priors: dict[str, Prior] = {}
    for scenario in scenarios:
        for lever in scenario.lever:
            if not lever.ACTS_ON_CELLS:
                continue
            for field, prior in lever.priors().items():
                priors[f"{lever.kind}.{field}"] = prior
    return dict(sorted(priors.items()))


def draw_parameters(priors: dict[str, Prior], draws: int, seed: int) -> dict[str, np.ndarray]:
    """Draws of each parameter, uniform on its prior's ``[low, high]``, shape ``(draws,)``.

    Parameter ``name`` uses the stream ``numpy.random.default_rng(SeedSequence(seed,
    spawn_key=(crc32(name),)))``: its values depend only on ``seed``, its name and ``draws``.
    """
    if draws < 1:
        raise ScenarioError(f"uncertainty draws must be at least 1, got {draws}")
    out = {}
    for name, prior in priors.items():
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(zlib.crc32(name.encode()),)))
        out[name] = prior.low + (prior.high - prior.low) * rng.random(draws)
    return out


def with_responses(scenario: Scenario, values: dict[str, float]) -> Scenario:
    """The scenario with its levers' response parameters set to ``values`` (``kind.field`` -> number).

    The scalar twin of one draw: running it alone gives that draw's figures.
    """
    levers = []
    for lever in scenario.lever:
        update = {}
        if lever.ACTS_ON_CELLS:
            update = {f: float(values[f"{lever.kind}.{f}"]) for f in lever.priors() if f"{lever.kind}.{f}" in values}
        if update:
            lever = lever.model_copy(update={"response": lever.response.model_copy(update=update)})
        levers.append(lever)
    return scenario.model_copy(update={"lever": levers})


def _chunk(
    scenarios: Sequence[Scenario], values: dict[str, np.ndarray], draws: int, base: int
) -> dict[str, np.ndarray]:
    """One chunk of draws reduced to ``(S, D)``: horizon totals, differences to the baseline
    ``base`` (index) in the same draw, present values (only these leave the chunk)."""
    by_region: dict[str, list[int]] = {}
    for i, s in enumerate(scenarios):
        by_region.setdefault(s.scenario.region, []).append(i)
    per = [None] * len(scenarios)
    for region, indices in by_region.items():
        context = region_context(region)
        prepared = [prepare_draws(scenarios[i], context, values, draws, by_cell=True) for i in indices]
        for i, arrays in zip(indices, evaluate_draws(prepared, context), strict=True):
            per[i] = arrays
    streams = {name: np.stack([p[name] for p in per]) for name in HEADLINE_TOTALS}
    factor = _discount(scenarios[0])
    out = {}
    for name, yearly in streams.items():
        out[name] = yearly.sum(axis=-1)
        if name != "budget":
            out[f"delta_{name}"] = (yearly - yearly[base : base + 1]).sum(axis=-1)

    def pv(yearly: np.ndarray) -> np.ndarray:
        return ((yearly - yearly[base : base + 1]) * factor).sum(axis=-1)

    cost = pv(streams["cost_premium"])
    out["pv_delta_cost"] = cost
    for objective, (plus, minus) in OBJECTIVE_STREAMS.items():
        stream = sum(streams[name] for name in plus) - sum((streams[name] for name in minus), 0.0)
        benefit = pv(stream)
        out[f"npb_{objective}"] = benefit if objective == "fiscal" else benefit - cost
    return out


def _discount(scenario: Scenario) -> np.ndarray:
    """Discount factor of each year, ``(1 + r)^-(year - base_year)`` (as :func:`simengine.results.discount_factors`)."""
    years = np.asarray(scenario.scenario.years, dtype=float)
    base = scenario.appraisal.base_year or scenario.scenario.start_year
    return (1.0 + scenario.appraisal.discount_rate) ** -(years - base)


def uncertainty_compare(
    scenarios: Sequence[Scenario],
    *,
    draws: int,
    seed: int = 0,
    baseline: str | None = None,
    chunk_size: int = 2048,
    executor: concurrent.futures.Executor | None = None,
) -> xr.Dataset:
    """Every scenario under ``draws`` joint draws of the response parameters (common random numbers).

    Parameters
    ----------
    scenarios : sequence of Scenario
        Analytic scenarios of one appraisal (the same years, discount rate and base year).
    draws : int
        Number of joint draws of every response parameter's prior.
    seed : int
        Seed of the draws (:func:`draw_parameters`).
    baseline : str, optional
        Scenario id of the baseline (default: the first).
    chunk_size : int
        Draws per task. Results are bit-identical for any chunk size, executor and worker count.
    executor : concurrent.futures.Executor, optional
        Where chunks run (default: this process).

    Returns
    -------
    xarray.Dataset
        Over ``scenario`` and ``draw``: the horizon totals :data:`HEADLINE_TOTALS`, their
        differences to the baseline in the same draw (``delta_<name>``), ``pv_delta_cost`` and,
        per objective ``o``, ``npb_<o>`` (net present benefit, as
        :func:`simengine.results.present_values`); over ``parameter`` and ``draw``,
        ``parameter_value``. Money in the table's unit.
    """
    ids = [s.scenario.id for s in scenarios]
    if len(set(ids)) != len(ids):
        raise ScenarioError(f"duplicate scenario ids in an uncertainty comparison: {ids}")
    base = baseline or ids[0]
    if base not in ids:
        raise ScenarioError(f"baseline {base!r} is not among the scenarios {ids}")
    appraisal = {(tuple(s.scenario.years), s.appraisal.discount_rate, s.appraisal.base_year) for s in scenarios}
    if len(appraisal) > 1:
        raise ScenarioError(
            "scenarios of an uncertainty comparison must share [scenario] start_year and horizon and "
            f"[appraisal] discount_rate and base_year; got {sorted(appraisal, key=str)}"
        )
    priors = response_priors(scenarios)
    values = draw_parameters(priors, draws, seed)
    bounds = [(a, min(a + chunk_size, draws)) for a in range(0, draws, max(1, chunk_size))]
    b = ids.index(base)
    tasks = [(scenarios, {k: v[lo:hi] for k, v in values.items()}, hi - lo, b) for lo, hi in bounds]
    if executor is None:
        parts = [_chunk(*t) for t in tasks]
    else:
        parts = [f.result() for f in [executor.submit(_chunk, *t) for t in tasks]]
    data = {name: (("scenario", "draw"), np.concatenate([p[name] for p in parts], axis=1)) for name in parts[0]}
    names = list(priors)
    data["parameter_value"] = (
        ("parameter", "draw"),
        np.array([values[k] for k in names]).reshape(len(names), draws),
    )
    ds = xr.Dataset(data, coords={"scenario": ids, "draw": np.arange(draws), "parameter": names})
    ds["prior_low"] = ("parameter", np.array([priors[k].low for k in names], dtype=float))
    ds["prior_high"] = ("parameter", np.array([priors[k].high for k in names], dtype=float))
    ds.attrs.update(
        baseline=base,
        seed=seed,
        draws=draws,
        objective=scenarios[0].appraisal.objective,
        prior="uniform on [low, high] of each response parameter, independent, common random numbers",
    )
    return ds


def rank_draws(scores: np.ndarray, baseline_index: int | None = None) -> np.ndarray:
    """Competition ranks per draw: 1 + the number of scenarios with a strictly higher score.

    ``scores`` is ``(scenarios, draws)``. Equal scores share a rank (a scenario compared with
    itself ties); the baseline (if given) ranks last.
    """
    scores = np.array(scores, dtype=float)
    if baseline_index is not None:
        scores[baseline_index] = -np.inf
    higher = (scores[None, :, :] > scores[:, None, :]).sum(axis=1)
    ranks = 1 + higher
    if baseline_index is not None:
        ranks[baseline_index] = scores.shape[0]
    return ranks


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman rank correlation (average ranks for ties); 0 where either is constant."""

    def ranks(v: np.ndarray) -> np.ndarray:
        order = np.argsort(v, kind="stable")
        r = np.empty(len(v))
        r[order] = np.arange(len(v), dtype=float)
        _, inverse, counts = np.unique(v, return_inverse=True, return_counts=True)
        sums = np.bincount(inverse, weights=r)
        return (sums / counts)[inverse]

    rx, ry = ranks(x), ranks(y)
    sx, sy = rx.std(), ry.std()
    if sx == 0 or sy == 0:
        return 0.0
    return float(np.mean((rx - rx.mean()) * (ry - ry.mean())) / (sx * sy))


def summarise(ds: xr.Dataset, objective: str | None = None, *, top: int = 3) -> xr.Dataset:
    """Median, 90% interval and rank probabilities of an :func:`uncertainty_compare` result.

    Returns
    -------
    xarray.Dataset
        Per scenario: ``<name>_median``, ``<name>_p05``, ``<name>_p95`` of every ``delta_*``,
        ``pv_delta_cost`` and ``npb_*`` variable; per objective ``p_first_<o>`` and
        ``p_top3_<o>`` (``top``), with ties sharing a rank. ``sensitivity``
        (parameter, scenario): Spearman rank correlation of each parameter with the chosen
        objective's net present benefit less the leader's (the scenario most often first);
        ``sensitivity_max`` (parameter): its largest absolute value over the scenarios.
    """
    chosen = objective or ds.attrs.get("objective", "local_value_added")
    ids = [str(s) for s in ds["scenario"].values]
    b = ids.index(ds.attrs["baseline"])
    out = xr.Dataset(coords={"scenario": ids, "parameter": ds["parameter"].values})
    for name in ds.data_vars:
        if name.startswith(("delta_", "npb_", "pv_delta_")):
            values = ds[name].values
            q = np.quantile(values, [0.05, 0.5, 0.95], axis=1)
            out[f"{name}_p05"], out[f"{name}_median"], out[f"{name}_p95"] = (
                ("scenario", q[0]),
                ("scenario", q[1]),
                ("scenario", q[2]),
            )
    for o in OBJECTIVE_STREAMS:
        ranks = rank_draws(ds[f"npb_{o}"].values, b)
        out[f"p_first_{o}"] = ("scenario", (ranks == 1).mean(axis=1))
        out[f"p_top{top}_{o}"] = ("scenario", (ranks <= top).mean(axis=1))
    score = ds[f"npb_{chosen}"].values
    p_first = out[f"p_first_{chosen}"].values.copy()
    p_first[b] = -1.0
    median = out[f"npb_{chosen}_median"].values
    leader = max((i for i in range(len(ids)) if i != b), key=lambda i: (p_first[i], median[i]), default=b)
    gaps = score - score[leader : leader + 1]
    params = ds["parameter_value"].values
    table = np.array([[_spearman(params[j], gaps[i]) for i in range(len(ids))] for j in range(params.shape[0])])
    out["sensitivity"] = (("parameter", "scenario"), table.reshape(params.shape[0], len(ids)))
    out["sensitivity_max"] = ("parameter", np.abs(table).max(axis=1) if table.size else np.zeros(0))
    out.attrs.update(ds.attrs, objective=chosen, leader=ids[leader], top=top)
    return out


def comparison_scenarios(paths: Sequence) -> tuple[list[Scenario], int | None, int]:
    """Scenarios of scenario and batch files, in order, and a batch file's ``[uncertainty]`` draws and seed.

    Returns ``(scenarios, draws, seed)``; ``draws`` is None when no batch file has an
    ``[uncertainty]`` table (the last one given wins).
    """
    from .scenario import load_batch, load_scenario
    from .scenario.batch import expand_batch
    from .scenario.load import is_batch_file

    scenarios, draws, seed = [], None, 0
    for path in paths:
        if is_batch_file(path):
            batch = load_batch(path)
            scenarios.extend(expand_batch(batch))
            if batch.uncertainty is not None:
                draws, seed = batch.uncertainty.draws, batch.uncertainty.seed
        else:
            scenarios.append(load_scenario(path))
    return scenarios, draws, seed


def _money(value: float) -> str:
    return f"{value:,.0f}"


def uncertainty_text(summary: xr.Dataset, *, top: int = 10, unit: str = "") -> str:
    """Terminal table of :func:`summarise`: the top scenarios by probability of ranking first,
    with medians and 90% intervals, then the parameters that move the ranking most."""
    o = summary.attrs["objective"]
    k = summary.attrs.get("top", 3)
    ids = [str(s) for s in summary["scenario"].values]
    base = summary.attrs["baseline"]
    order = sorted(
        (i for i, s in enumerate(ids) if s != base),
        key=lambda i: (-float(summary[f"p_first_{o}"][i]), -float(summary[f"npb_{o}_median"][i])),
    )[:top]
    width = max([len(ids[i]) for i in order] + [8])

    def interval(name: str, i: int) -> str:
        return (
            f"{_money(float(summary[f'{name}_median'][i]))} "
            f"[{_money(float(summary[f'{name}_p05'][i]))}, {_money(float(summary[f'{name}_p95'][i]))}]"
        )

    lines = [
        f"Under uncertainty: {summary.attrs['draws']:,} draws (seed {summary.attrs['seed']}) of every response "
        f"parameter, uniform on its prior, the same draws for every scenario; vs {base}, ranked by {o}"
        + (f" ({unit})" if unit else ""),
        f"{'scenario':<{width}}  {'NPB median [90% interval]':>36}  {'Δ local VA median [90% interval]':>36}  "
        f"{'P(first)':>8}  {f'P(top {k})':>9}",
    ]
    for i in order:
        lines.append(
            f"{ids[i]:<{width}}  {interval(f'npb_{o}', i):>36}  {interval('delta_local_value_added', i):>36}  "
            f"{float(summary[f'p_first_{o}'][i]):>8.1%}  {float(summary[f'p_top{k}_{o}'][i]):>9.1%}"
        )
    if len(ids) - 1 > len(order):
        lines.append(f"... {len(ids) - 1 - len(order)} more scenarios")
    if summary.sizes.get("parameter", 0):
        lines.append(
            f"What moves the ranking: Spearman correlation of each parameter with NPB less the leader's "
            f"({summary.attrs['leader']}), largest |rho| over the scenarios"
        )
        sens = summary["sensitivity_max"].values
        names = [str(p) for p in summary["parameter"].values]
        pw = max(len(n) for n in names)
        for j in np.argsort(-sens, kind="stable"):
            lines.append(f"  {names[j]:<{pw}}  |rho| {sens[j]:.2f}")
    return "\n".join(lines)
