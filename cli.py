"""The ``simengine`` command line: thin callers of the library.

Every command turns a :class:`simengine.errors.SimEngineError` into one line on stderr and
exit code 1; ``simengine --debug ...`` shows the traceback instead.
"""

from __future__ import annotations

import signal
import warnings
from pathlib import Path

import click

from simengine import text
from simengine.errors import SimEngineError
from simengine.procurement.register import LOCALITY_RULES


class _Group(click.Group):
    """A command group that reports library errors in one line."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except SimEngineError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"error: {exc}", err=True)
            ctx.exit(1)


def _exit_on_sigterm(signum, frame) -> None:
    """Turn SIGTERM into SystemExit so that temporary output files are removed on the way out."""
    raise SystemExit(128 + signum)


def _one_line_warnings(message, category, filename, lineno, file=None, line=None):
    click.echo(f"warning: {message}", err=True)


@click.group(cls=_Group)
@click.option("--debug", is_flag=True, help="Show the full traceback on errors.")
@click.version_option(package_name="simengine")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """simengine: regional input-output and agent-based simulation of local public spending."""
    ctx.ensure_object(dict)["debug"] = debug
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    if not debug:
        warnings.showwarning = _one_line_warnings


_table_option = click.option(
    "--table",
    "table_name",
    default="korea-2014",
    show_default=True,
    help="Shipped dataset name (see 'simengine tables') or a .nc/.csv/.xlsx file.",
)


@main.command()
def tables() -> None:
    """List the shipped datasets with their provenance."""
    from simengine.datasets import list_datasets

    click.echo(text.datasets_listing(list_datasets()))


@main.command()
def info() -> None:
    """Show versions, numba threads and shipped datasets."""
    click.echo(text.environment_info())


@main.command()
@_table_option
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    default=("output",),
    show_default=True,
    type=click.Choice(["output", "value_added", "income", "employment"]),
    help="Effect measured; repeat for several.",
)
@click.option("--type", "mtype", default="I", show_default=True, type=click.Choice(["simple", "I", "total", "II"]))
@click.option("--sort", is_flag=True, help="Sort sectors by the first multiplier, largest first.")
@click.option("--top", type=click.IntRange(min=1), default=None, help="Show only the first N rows.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write .csv or .nc instead of printing."
)
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@click.option(
    "--region",
    "region_name",
    default=None,
    help="Regional model (see 'simengine region list') or .nc file: in-region and out-of-region columns.",
)
@click.option("--strict", is_flag=True, help="Treat every data-quality finding (unbalanced rows, ...) as an error.")
def multipliers(table_name, kinds, mtype, sort, top, output, overwrite, region_name, strict) -> None:
    """Multipliers per unit of final demand, by sector."""
    from simengine.datasets import load_region, load_table

    if region_name is not None:
        model = load_region(region_name)
        frame = text.regional_multiplier_frame(model, kinds, mtype, sort=sort, top=top)
        title = f"{model.name}: type {mtype} multipliers for final demand in {model.regions[0]}"
    else:
        table = load_table(table_name, strict="all" if strict else ())
        frame = text.multiplier_frame(table, kinds, mtype, sort=sort, top=top)
        title = f"{table.name}: type {mtype} multipliers"
    if output is None:
        click.echo(text.frame_text(frame, title=title))
    else:
        click.echo(f"wrote {text.write_frame(frame, output, overwrite=overwrite)}")


@main.command()
@click.argument("register", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--mapping", type=click.Path(dir_okay=False, path_type=Path), help="TOML mapping for other layouts.")
@click.option(
    "--locality",
    type=click.Choice(LOCALITY_RULES),
    help="Rule for 'local' [default: the mapping's, else same_city].",
)
@click.option("--buyer-location", help="Buyer location for every row (overrides a buyer_location column).")
@click.option(
    "--by",
    multiple=True,
    default=("sector", "method", "size_class"),
    show_default=True,
    help="Dimension; repeat for several.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write .csv or .nc.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
def spend(register, mapping, locality, buyer_location, by, output, overwrite) -> None:
    """Spend analysis: local award shares (by value and count) of a contract register."""
    from simengine.procurement import read_register, spend_analysis, spend_table, write_spend

    awards = read_register(register, mapping=mapping, locality=locality, buyer_location=buyer_location)
    analysis = spend_analysis(awards, by=by)
    if output is None:
        attrs = analysis.attrs
        title = f"{register.name}: local award shares ({attrs['locality']} rule; value in {attrs['currency']})"
        click.echo(text.frame_text(spend_table(analysis), title=title))
    else:
        click.echo(f"wrote {write_spend(analysis, output, overwrite=overwrite)}")


@main.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate_command(files) -> None:
    """Validate scenario and batch files: OK per good file, one error line per bad file."""
    from simengine.scenario import validate

    results = validate(files)
    for result in results:
        click.echo(f"OK {result.path} ({result.kind})" if result.ok else f"error: {result.error}", err=not result.ok)
    if not all(result.ok for result in results):
        raise click.exceptions.Exit(1)


@main.command("schema")
@click.option("--kind", default="scenario", show_default=True, type=click.Choice(["scenario", "batch"]))
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file instead of stdout."
)
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
def schema_command(kind, output, overwrite) -> None:
    """JSON Schema of scenario (or batch) files, for editors."""
    from simengine.scenario.docs import write_json_schema

    text_out = write_json_schema(kind, output, overwrite=overwrite)
    click.echo(text_out if output is None else f"wrote {output}")


@main.group()
def region() -> None:
    """Regional models: build from employment, calibrate to published multipliers, list."""


@region.command("list")
def region_list() -> None:
    """List the shipped regional models with their provenance."""
    from simengine.datasets import list_regions

    click.echo(text.datasets_listing(list_regions()))


@region.command("build")
@_table_option
@click.option(
    "--employment",
    "employment_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Regional employment CSV (columns sector, employment[, region]).",
)
@click.option("--method", required=True, type=click.Choice(["slq", "cilq", "flq", "aflq"]), help="LQ method.")
@click.option("--delta", type=float, default=None, help="FLQ/AFLQ sensitivity in [0, 1), e.g. 0.3.")
@click.option("--name", "region_label", default="region", show_default=True, help="Label of the region.")
@click.option("--select", "select_region", default=None, help="Use only rows with this 'region' value.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the model as .nc.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
def region_build(table_name, employment_path, method, delta, region_label, select_region, output, overwrite) -> None:
    """Build a two-region model (region / rest of the country) from a national table."""
    from simengine.datasets import load_table
    from simengine.regional import build_region_model, read_employment_csv

    table = load_table(table_name)
    national = table.dataset["employment"].values
    employment = read_employment_csv(employment_path, table.sectors, national_employment=national, region=select_region)
    model = build_region_model(table, employment, method=method, delta=delta, region=region_label)
    frame = text.regional_multiplier_frame(model, ["output"], "simple")
    click.echo(text.frame_text(frame, title=f"{model.name}: output multipliers ({method})"))
    if output is not None:
        click.echo(f"wrote {model.to_netcdf(output, overwrite=overwrite)}")


@region.command("calibrate")
@click.option("--region", "region_name", required=True, type=click.Choice(["gyeonggi-2014", "busan-2014"]))
@click.option("--worst", type=click.IntRange(min=1), default=10, show_default=True, help="Worst-fit sectors to list.")
def region_calibrate(region_name, worst) -> None:
    """Fit regional purchase coefficients to BOK 2020 multipliers and print the fit."""
    from simengine.datasets import load_table, regions
    from simengine.regional import bok_targets, calibrate_purchase_coefficients

    province = region_name.removesuffix("-2014")
    table = load_table("korea-2014")
    employment = regions.regional_employment(province)
    targets = bok_targets(province, table.sectors)
    calibration = calibrate_purchase_coefficients(table, employment, targets, region=province)
    click.echo(text.calibration_text(calibration, region=region_name, worst=worst))


@main.command()
@click.argument("results", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="HTML file.")
@click.option("--lang", default="en", show_default=True, type=click.Choice(["en", "ko"]), help="Report language.")
@click.option(
    "--figures",
    "figures_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write every chart as PNG and SVG into this folder.",
)
@click.option("--overwrite", is_flag=True, help="Replace existing output files.")
def report(results, output, lang, figures_dir, overwrite) -> None:
    """Write the planner report of RESULTS (.nc result files, compared on scenario) as one HTML file."""
    from simengine.report import write_report
    from simengine.results import load_result

    batch = [load_result(path) for path in results]
    write_report(batch, output, overwrite=overwrite, figures_dir=figures_dir, lang=lang)
    click.echo(f"wrote {output}" + (f" and charts in {figures_dir}" if figures_dir else ""))


@main.command()
@_table_option
@click.option("--params", "params_file", type=click.Path(dir_okay=False, path_type=Path), help="Circuit TOML file.")
@click.option("--sector", default="F", show_default=True, help="Sector code receiving the local spending.")
@click.option("--amount", default=1000.0, show_default=True, help="Money spent on local output (table's unit).")
def circuit(table_name, params_file, sector, amount) -> None:
    """Leakage account, closed circuit and LM3 of spending on local output."""
    from simengine.circuit import Circuit, CircuitParameters
    from simengine.datasets import load_table
    from simengine.local_economy import LocalEconomy

    table = load_table(table_name)
    economy = LocalEconomy.from_table(table)
    if params_file is None:
        parameters = CircuitParameters.default_for(economy.sectors, table=table)
    else:
        parameters = CircuitParameters.from_toml(params_file, economy.sectors, table=table)
    title = f"{table.name}, parameters {Path(parameters.source).name}: {amount:g} {table.unit} to local {sector}"
    click.echo(text.circuit_report(Circuit(economy, parameters), {sector: amount}, title=title))


_input_csv = click.Path(exists=True, dir_okay=False, path_type=Path)


@main.command()
@click.argument("matrix", type=_input_csv)
@click.option("--rows", "row_totals", required=True, type=_input_csv, help="CSV of row totals (label, total).")
@click.option("--cols", "column_totals", required=True, type=_input_csv, help="CSV of column totals (label, total).")
@click.option("--method", default="ras", show_default=True, type=click.Choice(["ras", "gras"]), help="gras: negatives")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help=".csv or .nc.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
def balance(matrix, row_totals, column_totals, method, output, overwrite) -> None:
    """Scale MATRIX.csv (labels in first column and header) to given row and column totals."""
    frame, result = text.balance_csv(matrix, row_totals, column_totals, method=method)
    path = text.write_frame(frame, output, overwrite=overwrite)
    click.echo(
        f"wrote {path}: {method.upper()} converged in {result.iterations} iterations; "
        f"largest row / column gap {result.row_residual:.3g} / {result.column_residual:.3g}"
    )


_report_option = click.option(
    "--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), help="Also write the HTML report."
)
_overwrite_option = click.option("--overwrite", is_flag=True, help="Replace existing output files.")
_monthly_option = click.option(
    "--monthly", is_flag=True, help="Monthly time path with re-spending lags (dynamic form) instead of yearly totals."
)


def _time_options(monthly: bool) -> dict:
    from simengine.circuit import DEFAULT_LAGS

    return {"time_unit": "month", "lags": DEFAULT_LAGS} if monthly else {}


def _check_outputs(output, report_path, overwrite) -> None:
    """Check every output path before computing anything (no partial outputs on failure)."""
    from simengine.errors import DataError
    from simengine.io import check_output_path

    if output is not None:
        check_output_path(output, overwrite=overwrite, suffixes=(".nc", ".nc4"))
    if report_path is not None:
        check_output_path(report_path, overwrite=overwrite, suffixes=(".html", ".htm"))
    if output is not None and report_path is not None and Path(output).resolve() == Path(report_path).resolve():
        raise DataError(f"-o and --report name the same file {output}; give two different files")


def _write_outputs(result, output, report_path, overwrite) -> None:
    from simengine.report import write_report
    from simengine.results import save_result

    if output is not None:
        click.echo(f"wrote {save_result(result, output, overwrite=overwrite)}")
    if report_path is not None:
        write_report(result, report_path, overwrite=overwrite)
        click.echo(f"wrote {report_path}")


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the result (.nc).")
@_monthly_option
@_report_option
@_overwrite_option
def run(scenario, output, monthly, report_path, overwrite) -> None:
    """Run one scenario file and print its headline figures."""
    from simengine.runner import run_scenario

    _check_outputs(output, report_path, overwrite)
    result = run_scenario(scenario, **_time_options(monthly))
    click.echo(text.scenario_summary(result))
    _write_outputs(result, output, report_path, overwrite)


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--baseline", help="Scenario id of the baseline [default: the first].")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the table (.csv/.nc).")
@_report_option
@_overwrite_option
def compare(inputs, baseline, output, report_path, overwrite) -> None:
    """Compare results (.nc) or scenario files (.toml) with the baseline, ranked by value added per cost."""
    from simengine.report import write_report
    from simengine.results import compare as compare_results
    from simengine.runner import load_or_run

    _check_outputs(None, report_path, overwrite)
    results = load_or_run(inputs)
    table = compare_results(results, baseline=baseline)
    click.echo(text.comparison_text(table))
    if output is not None:
        click.echo(f"wrote {text.write_frame(table.to_dataframe(), output, overwrite=overwrite)}")
    if report_path is not None:
        write_report(results, report_path, overwrite=overwrite, baseline=baseline)
        click.echo(f"wrote {report_path}")


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the results (.nc).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, help="Processes.")
@_monthly_option
@_report_option
@_overwrite_option
def batch(inputs, output, workers, monthly, report_path, overwrite) -> None:
    """Run a batch file (or several scenario files) into one result along 'scenario'."""
    from concurrent.futures import ProcessPoolExecutor
    from contextlib import nullcontext

    from simengine.results import compare as compare_results
    from simengine.runner import run_batch

    _check_outputs(output, report_path, overwrite)
    with ProcessPoolExecutor(workers) if workers > 1 else nullcontext() as executor:
        members = inputs[0] if len(inputs) == 1 else inputs
        outcome = run_batch(members, executor=executor, progress=True, **_time_options(monthly))
    for label, error in outcome.failures.items():
        click.echo(f"error: {label}: {error}", err=True)
    if outcome.results is None:
        raise click.exceptions.Exit(1)
    click.echo(text.comparison_text(compare_results([outcome.results])))
    _write_outputs(outcome.results, output, report_path, overwrite)
    if outcome.failures:
        raise click.exceptions.Exit(1)


@main.group()
def agents() -> None:
    """The agent model (firms bidding for city contracts)."""


@agents.command("calibrate")
@click.option(
    "--register",
    "register_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Contract register CSV (canonical layout). Default: the shipped synthetic Gwangmyeong register.",
)
@click.option("--draws", type=click.IntRange(min=1), default=2, show_default=True, help="Draws per evaluation.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Root seed.")
@click.option(
    "--evaluations", type=click.IntRange(min=1), default=60, show_default=True, help="Largest number of model runs."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the fit (moments and fitted parameters) to a .csv or .nc file (format by suffix).",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
def agents_calibrate(register_path, draws, seed, evaluations, output, overwrite) -> None:
    """Fit entry and award parameters to a register's local award shares by method; print the fit."""
    from simengine.io import check_output_path
    from simengine.runner import calibrate_agents

    if output is not None:
        check_output_path(output, overwrite=overwrite, suffixes=(".csv", ".nc"))
    result = calibrate_agents(register_path, draws=draws, seed=seed, max_evaluations=evaluations)
    click.echo("Local award share by method (value-based): register target vs agent model; bidders not in the register")
    click.echo(result.summary())
    if output is not None:
        click.echo(f"wrote {text.write_frame(result.to_frame(), output, overwrite=overwrite)}")
