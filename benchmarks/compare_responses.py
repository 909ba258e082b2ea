"""The shipped comparison ranked with literature/assumed responses and with agent-derived ones, side by side.

Runs ``scenarios/batch_gwangmyeong.toml`` and ``scenarios/batch_gwangmyeong_agent_responses.toml``
(the same scenarios with ``responses = "agent-derived"``): the point ranking by the batch's
objective (``simengine compare``) and the ranking under the batch's ``[uncertainty]`` draws (median
net present benefit, probability of ranking first). ``--json`` writes the figures
(with the shipped response file's values and provenance), which ``benchmarks/render.py`` renders
into the README's two tables::

    python benchmarks/compare_responses.py --json benchmarks/results/compare_responses.json
    python benchmarks/render.py
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from _record import write_result

ROOT = Path(__file__).resolve().parents[1]
BATCHES = {
    "literature": ROOT / "scenarios" / "batch_gwangmyeong.toml",
    "agent-derived": ROOT / "scenarios" / "batch_gwangmyeong_agent_responses.toml",
}


def measure(draws: int | None = None) -> dict:
    """Rankings of both batches: per scenario, rank, net present benefit, median and P(first) under draws."""
    from simengine.results import compare
    from simengine.runner import load_or_run
    from simengine.uncertainty import comparison_scenarios, summarise, uncertainty_compare

    out = {}
    for name, path in BATCHES.items():
        table = compare(load_or_run([path]))
        objective = table.attrs["objective"]
        scenarios, file_draws, seed = comparison_scenarios([path])
        n = file_draws if draws is None else draws
        summary = summarise(uncertainty_compare(scenarios, draws=n, seed=seed), objective)
        rows = {}
        for k, label in enumerate(str(s) for s in table["scenario"].values):
            where = [str(s) for s in summary["scenario"].values].index(label)
            rows[label] = {
                "rank": int(table["rank"].values[k]),
                "npb": float(table[f"npb_{objective}"].values[k]),
                "npb_median": float(summary[f"npb_{objective}_median"].values[where]),
                "p_first": float(summary[f"p_first_{objective}"].values[where]),
            }
        out[name] = {"objective": objective, "draws": int(n), "seed": int(seed), "scenarios": rows}
    return out


def response_values() -> dict:
    """The shipped agent-derived responses beside the literature values, row by row, and the file's provenance."""
    import tomllib

    from simengine.levers import LEVER_KINDS
    from simengine.levers.response_sets import AGENT_DERIVED_FILE

    document = tomllib.loads(AGENT_DERIVED_FILE.read_text(encoding="utf-8"))
    rows = []
    for kind, table in document.items():
        if kind in ("format", "format_version", "provenance"):
            continue
        literature = LEVER_KINDS[kind].model_fields["response"].annotation().values()
        fit = table["fit"]
        for name in (k for k in table if k not in ("standard_error", "method", "fit")):
            rows.append(
                {
                    "kind": kind,
                    "parameter": name,
                    "literature": float(literature[name]),
                    "derived": float(table[name]),
                    "standard_error": float(table["standard_error"][name]),
                    "by_method": {
                        m: [float(entry[name]), float(entry["standard_error"][name])]
                        for m, entry in table.get("method", {}).items()
                        if name in entry
                    },
                    "r2_share": fit.get("r2_share"),
                }
            )
    return {"rows": rows, "provenance": document["provenance"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="Write the figures to this JSON file.")
    parser.add_argument("--draws", type=int, default=None, help="Uncertainty draws [default: the batch's].")
    args = parser.parse_args()
    result = {"rankings": measure(args.draws), "responses": response_values()}
    if args.json is not None:
        write_result(args.json, "compare_responses", result)
    print(json.dumps(result["rankings"], indent=2))


if __name__ == "__main__":
    main()
