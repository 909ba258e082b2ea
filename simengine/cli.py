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
from simengine.io import FRAME_SUFFIXES, write_frame
from simengine.procurement.register import LOCALITY_RULES


class _Group(click.Group):
    """A command group that reports library errors in one line."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except SimEngineError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(text.terminal_safe(f"error: {exc}"), err=True)
            ctx.exit(1)


def _exit_on_sigterm(signum, frame) -> None:
    """Turn SIGTERM into SystemExit so that temporary output files are removed on the way out."""
    click.echo("error: stopped by SIGTERM; no output file is left half-written", err=True)
    raise SystemExit(128 + signum)


def _one_line_warnings(message, category, filename, lineno, file=None, line=None):
    click.echo(text.terminal_safe(f"warning: {message}"), err=True)


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


_allow_negative_option = click.option(
    "--allow-negative",
    "allow_negative",
    multiple=True,
    type=click.Choice(["intermediate", "gross_output", "compensation", "employment", "imported_inputs"]),
    help="Accept negative entries of this table quantity (warned, not refused); repeat for several.",
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


def _household_options(command):
    """--income-base, --net-income-share and --propensity-to-consume (the household closure)."""
    from simengine.households import INCOME_BASES, KOREA_2014_DISPOSABLE

    options = [
        click.option(
            "--income-base",
            default="compensation",
            show_default=True,
            type=click.Choice(INCOME_BASES),
            help="Household closure of types total and II: income = compensation, or disposable income.",
        ),
        click.option(
            "--net-income-share",
            type=click.FloatRange(0, 1, min_open=True),
            default=KOREA_2014_DISPOSABLE["net_income_share"],
            show_default=True,
            help="Disposable base: share of compensation households keep after tax (Korea 2014, OECD).",
        ),
        click.option(
            "--propensity-to-consume",
            type=click.FloatRange(0, 1.5, min_open=True),
            default=KOREA_2014_DISPOSABLE["propensity_to_consume"],
            show_default=True,
            help="Disposable base: consumption per unit of disposable income (Korea 2014, BOK).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _household_closure(table, income_base: str, net_income_share: float, propensity_to_consume: float):
    from simengine.households import HouseholdClosure

    if income_base == "compensation":
        return HouseholdClosure.compensation(table)
    return HouseholdClosure.disposable(
        table, net_income_share=net_income_share, propensity_to_consume=propensity_to_consume
    )


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
@_household_options
@_allow_negative_option
def multipliers(
    table_name,
    kinds,
    mtype,
    sort,
    top,
    output,
    overwrite,
    region_name,
    strict,
    income_base,
    net_income_share,
    propensity_to_consume,
    allow_negative,
) -> None:
    """Multipliers per unit of final demand, by sector.

    With --region, types total and II close the regional model with one household sector
    per region (its income: the compensation its industries pay; its purchases: the
    national pattern, sourced by the region's own purchase shares). The national pattern
    comes from the region's source table.
    """
    from simengine.datasets import load_region, load_table
    from simengine.io import check_output_path

    if output is not None:
        check_output_path(output, overwrite=overwrite, suffixes=FRAME_SUFFIXES)
    closed = mtype in ("total", "II")
    if region_name is not None:
        model = load_region(region_name)
        households = None
        if closed:
            table = load_table(model.dataset.attrs.get("table", table_name), strict="all" if strict else ())
            households = _household_closure(table, income_base, net_income_share, propensity_to_consume)
        frame = text.regional_multiplier_frame(model, kinds, mtype, sort=sort, top=top, households=households)
        title = f"{model.name}: type {mtype} multipliers for final demand in {model.regions[0]}"
    else:
        table = load_table(table_name, strict="all" if strict else (), allow_negative=allow_negative)
        households = _household_closure(table, income_base, net_income_share, propensity_to_consume) if closed else None
        frame = text.multiplier_frame(table, kinds, mtype, sort=sort, top=top, households=households)
        title = f"{table.name}: type {mtype} multipliers"
    if closed:
        title += f" ({households.describe()})"
    if output is None:
        click.echo(text.frame_text(frame, title=title))
    else:
        click.echo(f"wrote {write_frame(frame, output, overwrite=overwrite)}")


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
    from simengine.io import check_output_path
    from simengine.procurement import read_register, spend_analysis, spend_table, write_spend

    if output is not None:
        check_output_path(output, overwrite=overwrite, suffixes=FRAME_SUFFIXES)
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
        line = f"OK {result.path} ({result.kind})" if result.ok else f"error: {result.error}"
        click.echo(text.terminal_safe(line), err=not result.ok)
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
    from simengine.io import check_output_path
    from simengine.scenario.docs import write_json_schema

    if output is not None:
        check_output_path(output, overwrite=overwrite, suffixes=(".json",))
    text_out = write_json_schema(kind, output, overwrite=overwrite)
    click.echo(text_out if output is None else f"wrote {output}")


@main.group()
def region() -> None:
    """Regional models: build from employment, calibrate to published multipliers, list."""


@region.command("list")
def region_list() -> None:
    """List the shipped regional models with their provenance and fit to BOK 2020."""
    from simengine.datasets import list_regions, load_region

    blocks = []
    for info in list_regions():
        attrs = load_region(info.name).dataset.attrs
        fit = [attrs.get(f"fit_median_abs_rel_error_{key}") for key in ("output_in", "output_out", "value_added_in")]
        line = (
            "  fit (median |error|): output in {:.2%}, out {:.2%}, value added in {:.2%}".format(*fit)
            if None not in fit
            else "  fit: the city split of its calibrated province (see the province)"
        )
        warning = f"\n  WARNING: {attrs['structure_warning']}" if attrs.get("structure_warning") else ""
        blocks.append(f"{text.datasets_listing([info])}\n{line}{warning}")
    click.echo("\n".join(blocks))


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
@_allow_negative_option
def region_build(
    table_name, employment_path, method, delta, region_label, select_region, output, overwrite, allow_negative
) -> None:
    """Build a two-region model (region / rest of the country) from a national table."""
    from simengine.datasets import load_table
    from simengine.io import check_output_path
    from simengine.regional import build_region_model, read_employment_csv

    if output is not None:
        from simengine.io import NETCDF_SUFFIXES, check_output_path

        check_output_path(output, overwrite=overwrite, suffixes=NETCDF_SUFFIXES)
    table = load_table(table_name, allow_negative=allow_negative)
    national = table.dataset["employment"].values
    employment = read_employment_csv(employment_path, table.sectors, national_employment=national, region=select_region)
    model = build_region_model(table, employment, method=method, delta=delta, region=region_label)
    frame = text.regional_multiplier_frame(model, ["output"], "simple")
    click.echo(text.frame_text(frame, title=f"{model.name}: output multipliers ({method})"))
    if output is not None:
        click.echo(f"wrote {model.to_netcdf(output, overwrite=overwrite)}")


@region.command("city")
@click.option("--province", "province_name", required=True, help="Calibrated province, e.g. gyeonggi-2014 or 경기.")
@click.option(
    "--census",
    "census_path",
    required=True,
    type=click.Path(path_type=Path),
    help="KOSIS establishment-census CSV (시군구 x KSIC section workers; UTF-8 or CP949).",
)
@click.option("--city", "city_area", required=True, help="The city's area name in the file, e.g. 광명시.")
@click.option("--province-area", default=None, help="The province's area name in the file (e.g. 경기도), if present.")
@click.option("--name", "city_label", default="city", show_default=True, help="Region label of the city.")
@click.option("--delta", type=float, default=0.3, show_default=True, help="FLQ sensitivity in [0, 1).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the model as .nc.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
def region_city(province_name, census_path, city_area, province_area, city_label, delta, output, overwrite) -> None:
    """Split a province into a city and the rest of it, with the city's census employment."""
    from simengine.datasets import load_region
    from simengine.io import check_output_path
    from simengine.regional import build_city_model, read_establishment_census

    if output is not None:
        check_output_path(output, overwrite=overwrite, suffixes=(".nc", ".nc4"))
    model = load_region(province_name)
    province = model.regions[0]
    employment = read_establishment_census(
        census_path,
        model.sectors,
        city=city_area,
        province=province_area,
        province_employment=model.dataset["employment"].sel(region=province).values,
    )
    city = build_city_model(model, employment, province=province, city=city_label, delta=delta)
    click.echo(employment.description())
    if "structure_warning" in city.dataset.attrs:
        click.echo(f"WARNING: {city.dataset.attrs['structure_warning']}")
    frame = text.regional_multiplier_frame(city, ["output"], "simple", sort=True, top=10)
    click.echo(text.frame_text(frame, title=f"{city.name}: output multipliers (top 10)"))
    if output is not None:
        click.echo(f"wrote {city.to_netcdf(output, overwrite=overwrite)}")


@region.command("calibrate")
@click.option(
    "--region",
    "region_names",
    multiple=True,
    help="Province to calibrate (seoul-2014, 서울, ...; repeatable). Default: all 17.",
)
@click.option("--worst", type=click.IntRange(min=1), default=5, show_default=True, help="Worst sectors per region.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the fit (.csv or .nc).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
def region_calibrate(region_names, worst, output, overwrite) -> None:
    """Calibrate provinces to BOK 2020 multipliers and print (and write) the fit for every statistic."""
    from simengine.datasets import PROVINCES, load_table, regions, resolve_region
    from simengine.errors import DataError
    from simengine.regional import fit_text, sector_frame

    keys = []
    for name in region_names or [f"{key}-2014" for key in PROVINCES]:
        resolved = resolve_region(name)
        if resolved.removesuffix("-2014") not in PROVINCES:
            raise DataError(f"--region {name!r}: not one of the 17 provinces ({', '.join(PROVINCES)})")
        keys.append(resolved.removesuffix("-2014"))
    if output is not None:
        from simengine.io import check_output_path

        check_output_path(output, overwrite=overwrite, suffixes=(".csv", ".nc", ".nc4"))
    table = load_table("korea-2014")
    calibrations = {f"{key}-2014": regions.calibrate_province(key, table) for key in keys}
    click.echo(fit_text(calibrations, worst=worst))
    if "jeju" in keys:
        from simengine.regional.validation import employment_validation, employment_validation_summary

        found = employment_validation_summary(employment_validation(calibrations["jeju-2014"].model, "jeju"))
        click.echo(
            "jeju-2014 employment (national labour productivity; BOK 2020 Jeju employment inducement, "
            f"{found['sectors']:.0f} sectors; LESS CERTAIN than output and value added): median |error| in-region "
            f"{found['in_median_abs_error']:.0%} (model/BOK level {found['in_level']:.2f}, rank correlation "
            f"{found['in_rank_correlation']:.2f}), out-of-region {found['out_median_abs_error']:.0%} "
            f"(level {found['out_level']:.2f}, {found['out_median_abs_error_after_level']:.0%} after the level)"
        )
    if output is not None:
        click.echo(f"wrote {write_frame(sector_frame(calibrations), output, overwrite=overwrite)}")


@main.command()
@click.argument("results", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="HTML file.")
@click.option("--lang", default="en", show_default=True, type=click.Choice(["en", "ko"]), help="Report language.")
@click.option(
    "--figures",
    "figures_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write every chart as PNG and SVG into this folder.",
)
@click.option(
    "--uncertainty",
    "uncertainty_path",
    type=click.Path(path_type=Path),
    help="Also show the ranking under uncertainty of this file (.nc written by --draws-output, or a .zarr "
    "batch store) [default: the comparison in a single RESULTS store, if it holds one].",
)
@click.option("--overwrite", is_flag=True, help="Replace existing output files.")
def report(results, output, lang, figures_dir, uncertainty_path, overwrite) -> None:
    """Write the planner report of RESULTS (.nc result files or .zarr stores, compared on scenario) as one HTML file."""
    from simengine.io import check_output_path
    from simengine.report import write_report
    from simengine.results import load_result
    from simengine.stores import DRAWS_GROUP, has_group, is_store
    from simengine.uncertainty import read_uncertainty

    check_output_path(output, overwrite=overwrite, suffixes=(".html", ".htm"))
    batch = [load_result(path) for path in results]
    if uncertainty_path is None and len(results) == 1 and is_store(results[0]) and has_group(results[0], DRAWS_GROUP):
        uncertainty_path = results[0]  # a batch store keeps its [uncertainty] comparison beside the scenarios
    summary = read_uncertainty(uncertainty_path) if uncertainty_path is not None else None
    write_report(batch, output, overwrite=overwrite, figures_dir=figures_dir, lang=lang, uncertainty=summary)
    click.echo(f"wrote {output}" + (f" and charts in {figures_dir}" if figures_dir else ""))


@main.command()
@_table_option
@click.option("--params", "params_file", type=click.Path(dir_okay=False, path_type=Path), help="Circuit TOML file.")
@click.option("--sector", default="F", show_default=True, help="Sector code receiving the local spending.")
@click.option("--amount", default=1000.0, show_default=True, help="Money spent on local output (table's unit).")
@click.option(
    "--region",
    "region_name",
    default=None,
    help="Regional model (see 'simengine region list') or .nc file: the circuit of its first region's economy.",
)
@_allow_negative_option
def circuit(table_name, params_file, sector, amount, region_name, allow_negative) -> None:
    """Leakage account, closed circuit and LM3 of spending on local output.

    Without --region the local economy is the whole table (a one-region economy); with
    --region it is the model's first region: its own input coefficients, inputs bought from
    the other regions (a leak), imports, wages and surplus. Spending mixes of the circuit
    parameters come from the region's source table.
    """
    from simengine.circuit import Circuit, CircuitParameters
    from simengine.datasets import load_region, load_table
    from simengine.local_economy import LocalEconomy

    if not amount > 0:
        from simengine.errors import DataError

        raise DataError(f"--amount {amount:g}: the money spent on local output must be positive")
    if region_name is None:
        table = load_table(table_name, allow_negative=allow_negative)
        economy = LocalEconomy.from_table(table)
        place = f"table {table.name}"
    else:
        model = load_region(region_name)
        table = load_table(model.dataset.attrs.get("table", table_name), allow_negative=allow_negative)
        economy = model.local_economy()
        place = f"{model.name} ({model.regions[0]})"
    if sector not in economy.sectors:
        from simengine.errors import unknown_label

        raise unknown_label("sector", sector, economy.sectors, where=f"--sector ({place})")
    if params_file is None:
        parameters = CircuitParameters.default_for(economy.sectors, table=table)
    else:
        parameters = CircuitParameters.from_toml(params_file, economy.sectors, table=table)
    title = f"{place}, parameters {Path(parameters.source).name}: {amount:g} {table.unit} to local {sector}"
    click.echo(text.circuit_report(Circuit(economy, parameters), {sector: amount}, title=title))


@main.command()
@_table_option
@click.option(
    "--region",
    "region_name",
    default=None,
    help="Regional model or .nc file instead of --table; sectors are then region:sector (e.g. gwangmyeong:F).",
)
@click.option("--from", "source", required=True, help="Final-demand sector (code) the paths start from.")
@click.option("--to", "target", default=None, help="Output sector the paths end at [default: every sector].")
@click.option(
    "--kind",
    default="output",
    show_default=True,
    type=click.Choice(["output", "value_added", "income", "employment"]),
    help="What a path's value counts at its last sector.",
)
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True, help="Number of paths.")
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Ignore paths worth less than this share of the multiplier.",
)
@click.option("--max-length", type=click.IntRange(min=0), default=None, help="Longest path, in links.")
@click.option("--closed", is_flag=True, help="Close the model with respect to households (paths through them).")
@_household_options
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write .csv or .nc instead of printing."
)
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
def paths(
    table_name,
    region_name,
    source,
    target,
    kind,
    top,
    threshold,
    max_length,
    closed,
    income_base,
    net_income_share,
    propensity_to_consume,
    output,
    overwrite,
) -> None:
    """Structural path analysis: the largest supply-chain paths from final demand for one sector.

    Each path's value is the product of the input coefficients along it (times the last
    sector's intensity for --kind other than output); all paths together sum to the
    multiplier (the Type II one with --closed), and the remainder not shown is printed.
    """
    from simengine.datasets import load_region, load_table
    from simengine.io import check_output_path
    from simengine.structural_paths import structural_paths

    if output is not None:
        check_output_path(output, overwrite=overwrite, suffixes=FRAME_SUFFIXES)
    model = load_table(table_name) if region_name is None else load_region(region_name)
    households = None
    if closed:
        table = model if region_name is None else load_table(model.dataset.attrs.get("table", table_name))
        households = _household_closure(table, income_base, net_income_share, propensity_to_consume)
    analysis = structural_paths(
        model,
        source,
        target,
        kind=kind,
        households=households,
        max_paths=top,
        threshold=threshold,
        max_length=max_length,
    )
    frame = analysis.to_frame()
    if output is not None:
        click.echo(f"wrote {write_frame(frame, output, overwrite=overwrite)}")
        return
    title = (
        f"{model.name}: largest paths from final demand for {source} to {target or 'every sector'} ({kind}); "
        f"multiplier {analysis.total:.6g}, shown {analysis.explained:.6g}, rest {analysis.unexplored:.3g}"
    )
    if households is not None:
        title += f"; {households.describe()}"
    click.echo(text.frame_text(frame, title=title, name_width=200))


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
    from simengine.io import check_output_path

    check_output_path(output, overwrite=overwrite, suffixes=FRAME_SUFFIXES)
    frame, result = text.balance_csv(matrix, row_totals, column_totals, method=method)
    path = write_frame(frame, output, overwrite=overwrite)
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

    if output is not None and Path(output).suffix.lower() != ".zarr":  # a store is checked by its writer
        check_output_path(output, overwrite=overwrite, suffixes=(".nc", ".nc4"))
    if report_path is not None:
        check_output_path(report_path, overwrite=overwrite, suffixes=(".html", ".htm"))
    if output is not None and report_path is not None and Path(output).resolve() == Path(report_path).resolve():
        raise DataError(f"-o and --report name the same file {output}; give two different files")


def _write_outputs(result, output, report_path, overwrite, uncertainty=None) -> None:
    from simengine.results import save_result

    if output is not None:
        click.echo(f"wrote {save_result(result, output, overwrite=overwrite)}")
    if report_path is not None:
        from simengine.report import write_report  # matplotlib and the report: only for a report

        write_report(result, report_path, overwrite=overwrite, uncertainty=uncertainty)
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


def _has_uncertainty(path: Path) -> bool:
    """Whether ``path`` is a batch file with an ``[uncertainty]`` table."""
    from simengine.scenario import load_batch
    from simengine.scenario.load import is_batch_file

    return is_batch_file(path) and load_batch(path).uncertainty is not None


def _print_uncertainty(
    inputs, draws, seed, *, baseline=None, objective=None, top=10, executor=None, draws_output=None, overwrite=False
):
    """Print the ranking under uncertainty of scenario and batch files (draws from --uncertainty or
    a batch file's [uncertainty]) and return its summary; None without either, or for result files.

    The draws are streamed (memory bounded for any number of draws) and kept in ``draws_output``
    when given."""
    from simengine.errors import ScenarioError
    from simengine.uncertainty import comparison_scenarios, uncertainty_summary, uncertainty_text

    files = [p for p in inputs if p.suffix.lower() == ".toml"]
    if not files:
        if draws is not None or draws_output is not None:
            raise ScenarioError(
                "--uncertainty and --draws-output run scenario and batch files (.toml), not result files (.nc)"
            )
        return None
    if draws is None and draws_output is None and not any(_has_uncertainty(p) for p in files):
        return None  # nothing to draw: the batch's scenarios (every sweep point) are not expanded
    scenarios, file_draws, file_seed = comparison_scenarios(files)
    draws = draws if draws is not None else file_draws
    if draws is None:
        if draws_output is not None:
            raise ScenarioError("--draws-output needs --uncertainty N or a batch file with an [uncertainty] table")
        return None
    seed = seed if seed is not None else file_seed
    summary = uncertainty_summary(
        scenarios,
        draws=draws,
        seed=seed,
        baseline=baseline,
        objective=objective,
        executor=executor,
        output=draws_output,
        overwrite=overwrite,
    )
    click.echo("")
    click.echo(uncertainty_text(summary, top=top))
    if draws_output is not None:
        click.echo(f"wrote {draws_output}")
    return summary


_draws_output_option = click.option(
    "--draws-output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write every draw of the uncertainty comparison and its summary (.nc).",
)


def _check_draws_output(draws_output, others, overwrite) -> None:
    """Check the --draws-output file before computing, and that no other output names it."""
    from simengine.errors import DataError
    from simengine.io import check_output_path

    if draws_output is None:
        return
    check_output_path(draws_output, overwrite=overwrite, suffixes=(".nc", ".nc4"))
    for other in others:
        if other is not None and Path(other).resolve() == Path(draws_output).resolve():
            raise DataError(f"--draws-output and another output name the same file {other}; give two different files")


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--baseline", help="Scenario id of the baseline [default: the first].")
@click.option(
    "--objective",
    type=click.Choice(["local_value_added", "resident_income", "national_value_added", "fiscal"]),
    help="Rank by this objective's net present benefit [default: the scenarios' [appraisal] objective].",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the table (.csv/.nc).")
@click.option(
    "--uncertainty",
    "draws",
    type=click.IntRange(min=1),
    default=None,
    help="Also rank under N joint draws of every lever response parameter (scenario and batch files).",
)
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Seed of the draws [default: 0].")
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True, help="Scenarios shown.")
@click.option(
    "--workers", type=click.IntRange(min=1), default=1, show_default=True, help="Processes for the uncertainty draws."
)
@_draws_output_option
@_report_option
@_overwrite_option
def compare(
    inputs, baseline, objective, output, draws, seed, top, workers, draws_output, report_path, overwrite
) -> None:
    """Compare results (.nc, .zarr) or scenario files (.toml) with the baseline, ranked by net present benefit.

    With --uncertainty N (or a batch file's [uncertainty] table) the scenarios are also ranked
    under N joint draws of their levers' response parameters (uniform on each prior, the same
    draws for every scenario): medians, 90% intervals, probabilities of ranking first and in
    the top three, and the parameters that move the ranking most. The draws are streamed
    (memory bounded for any N); --draws-output keeps every draw and the summary in a .nc file,
    and the report shows the ranking under uncertainty.
    """
    from concurrent.futures import ProcessPoolExecutor
    from contextlib import nullcontext

    from simengine.io import check_output_path
    from simengine.report import write_report
    from simengine.results import compare as compare_results
    from simengine.runner import load_or_run

    _check_outputs(None, report_path, overwrite)
    if output is not None:
        check_output_path(output, overwrite=overwrite, suffixes=FRAME_SUFFIXES)
    _check_draws_output(draws_output, (output, report_path), overwrite)
    results = load_or_run(inputs)
    table = compare_results(results, baseline=baseline, objective=objective)
    click.echo(text.comparison_text(table))
    summary = None
    if draws is not None or seed is not None or any(p.suffix.lower() == ".toml" for p in inputs):
        with ProcessPoolExecutor(workers) if workers > 1 else nullcontext() as executor:
            summary = _print_uncertainty(
                inputs,
                draws,
                seed,
                baseline=baseline,
                objective=objective,
                top=top,
                executor=executor,
                draws_output=draws_output,
                overwrite=overwrite,
            )
    elif draws_output is not None:
        _print_uncertainty(inputs, None, None, draws_output=draws_output)
    if output is not None:
        click.echo(f"wrote {write_frame(text.comparison_frame(table), output, overwrite=overwrite)}")
    if report_path is not None:
        write_report(results, report_path, overwrite=overwrite, baseline=baseline, uncertainty=summary)
        click.echo(f"wrote {report_path}")


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Write the results: .nc, or a .zarr store that each finished chunk writes its part of.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Workers: threads (processes with --monthly) [default: the fastest for the batch's size on this machine, "
    "see simengine.batch.default_workers].",
)
@click.option(
    "--dask",
    "dask_spec",
    default=None,
    help="Run the chunks on Dask: local:N (a LocalCluster of N processes) or a scheduler address.",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(min=1),
    default=None,
    help="Scenarios per chunk of a .zarr store [default: 256]; scenario-draw columns per task otherwise "
    "[default: simengine.batch.ARRAY_CHUNK].",
)
@click.option("--resume", is_flag=True, help="Continue the .zarr store of a stopped run: only missing chunks run.")
@click.option(
    "--headline",
    is_flag=True,
    help="Keep only the totals a ranking needs (per scenario, period and [uncertainty] draw), not per-sector accounts.",
)
@_monthly_option
@_draws_output_option
@_report_option
@_overwrite_option
def batch(
    inputs, output, workers, dask_spec, chunk_size, resume, headline, monthly, draws_output, report_path, overwrite
) -> None:
    """Run a batch file (or several scenario files) into one result along 'scenario'.

    A batch file's [uncertainty] table also ranks its scenarios under joint draws of the levers'
    response parameters (printed, and shown in the report; every draw in --draws-output).
    With --headline the result keeps the totals a ranking needs (budget, awards, cost, value
    added, income, tax, employment, ... per period) and, with a batch file's [uncertainty]
    table, a 'draw' dimension; 'simengine compare' reads it (the HTML report needs the per-sector
    accounts of a run without --headline). With -o NAME.zarr each finished chunk writes its part
    of the store, and --resume continues a stopped run.
    """
    from contextlib import nullcontext

    from simengine.batch import batch_executor, default_workers
    from simengine.errors import DataError
    from simengine.results import compare as compare_results
    from simengine.results import load_result
    from simengine.runner import run_batch
    from simengine.stores import DRAWS_GROUP, batch_store, check_store_path, dask_client, has_group, is_store

    store = output is not None and is_store(output)
    if resume and not store:
        raise DataError("--resume continues a .zarr store; give -o NAME.zarr")
    if store:
        check_store_path(output, resume=resume, overwrite=overwrite)
    if dask_spec is not None and workers is not None:
        raise DataError("give --workers (processes here) or --dask (a Dask cluster), not both")
    if store and draws_output is not None:
        raise DataError(
            f"--draws-output: the store {output} keeps every draw of the batch's [uncertainty] comparison in its "
            f"group '{DRAWS_GROUP}' (read it with simengine.stores.open_store); drop --draws-output"
        )
    _check_outputs(output, report_path, overwrite)
    _check_draws_output(draws_output, (output, report_path), overwrite)
    if headline and report_path is not None:
        raise DataError(
            "--report draws flow diagrams and sector charts from per-sector accounts, which --headline does not "
            "keep; drop --headline for a report, or run 'simengine compare' on the headline file"
        )
    if headline and store:
        raise DataError("a .zarr store keeps per-sector accounts; drop --headline, or give -o NAME.nc for --headline")
    members = inputs[0] if len(inputs) == 1 else inputs
    if workers is None:
        workers = 1 if dask_spec else default_workers(members, headline=headline)
    # threads for the array engine; processes for the monthly form, which runs scenario by scenario
    pool = (
        dask_client(dask_spec)
        if dask_spec
        else batch_executor(workers, processes=monthly)
        if workers > 1
        else nullcontext()
    )
    with pool:
        client = pool if dask_spec else None
        executor = pool if workers > 1 else None
        if store:
            options = {"chunk_size": chunk_size or 256, "resume": resume, "overwrite": overwrite, "progress": True}
            failures = batch_store(
                members, output, client=client, executor=executor, **options, **_time_options(monthly)
            ).failures
            results = load_result(output)
        else:
            executor = client.get_executor() if client is not None else executor
            outcome = run_batch(
                members,
                executor=executor,
                chunk_size=chunk_size,
                progress=True,
                headline=headline,
                **_time_options(monthly),
            )
            failures, results = outcome.failures, outcome.results
    for label, error in failures.items():
        click.echo(text.terminal_safe(f"error: {label}: {error}"), err=True)
    if results is None:
        raise click.exceptions.Exit(1)
    click.echo(text.comparison_text(compare_results([results])))
    if store:
        click.echo(f"wrote {output}")
    if store and not failures and has_group(output, DRAWS_GROUP):
        from simengine.uncertainty import read_uncertainty, uncertainty_text

        summary = read_uncertainty(output)  # the summary the store keeps (streamed from its draws)
        click.echo("")
        click.echo(uncertainty_text(summary))
        _write_outputs(results, None, report_path, overwrite, uncertainty=summary)
        return
    summary = None
    if not failures:
        with batch_executor(workers, processes=True) if workers > 1 else nullcontext() as executor:
            summary = _print_uncertainty(
                inputs, None, None, executor=executor, draws_output=draws_output, overwrite=overwrite
            )
    _write_outputs(results, None if store else output, report_path, overwrite, uncertainty=summary)
    if failures:
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
        check_output_path(output, overwrite=overwrite, suffixes=FRAME_SUFFIXES)
    result = calibrate_agents(register_path, draws=draws, seed=seed, max_evaluations=evaluations)
    click.echo("Local award share by method (value-based): register target vs agent model; bidders not in the register")
    click.echo(result.summary())
    if output is not None:
        click.echo(f"wrote {write_frame(result.to_frame(), output, overwrite=overwrite)}")


@agents.command("derive-responses")
@click.option(
    "--scenario",
    "scenario_path",
    default="scenarios/gwangmyeong_baseline.toml",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Baseline whose budget cells, region and firm seed the agent runs use (its levers are ignored).",
)
@click.option("--draws", type=click.IntRange(min=2), default=None, help="Draws per agent run [default: 64].")
@click.option("--months", type=click.IntRange(min=1), default=None, help="Months per agent run [default: 36].")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Root seed of the draws [default: 20261201].")
@click.option("--kind", "kinds", multiple=True, help="Derive only this lever kind (repeatable) [default: all six].")
@click.option(
    "--precision",
    type=click.FloatRange(min=0.0, min_open=True),
    default=None,
    help="Target standard error of each grid size's mean share gain [default: 0.01].",
)
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Kernel threads [default: all cores].")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the response file (.toml)."
)
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
def agents_derive_responses(scenario_path, draws, months, seed, kinds, precision, workers, output, overwrite) -> None:
    """Fit the analytic levers' response parameters to the agent model; print the fit, write a response file.

    Each behavioural lever kind runs over a grid of sizes on the baseline's budget cells, with
    and without the lever on the same draws; its analytic rule is fitted to the agent's share
    gains and price changes per cell (standard errors from a jackknife over draws). A scenario
    uses the file with `responses = "agent-derived"` (the shipped one) or `responses = "PATH"`.
    """
    import time

    from simengine.agents import responses as derive
    from simengine.io import check_output_path, write_atomic
    from simengine.planner.documents import toml_text
    from simengine.scenario import load_scenario

    if output is not None:
        check_output_path(output, overwrite=overwrite, suffixes=(".toml",))
    draws = derive.DEFAULT_DRAWS if draws is None else draws
    months = derive.DEFAULT_MONTHS if months is None else months
    seed = derive.DEFAULT_SEED if seed is None else seed
    precision = derive.DEFAULT_PRECISION if precision is None else precision
    scenario = load_scenario(scenario_path)
    began, cpu = time.perf_counter(), time.process_time()
    fits = derive.derive_responses(
        scenario,
        kinds=list(kinds) or None,
        draws=draws,
        months=months,
        seed=seed,
        workers=workers,
        precision=precision,
        progress=True,
        on_start=lambda s: click.echo(f"estimated work: {s:,.0f} core-seconds", err=True),
    )
    click.echo(derive.fit_text(fits))
    timing = {"wall_seconds": round(time.perf_counter() - began, 1), "cpu_seconds": round(time.process_time() - cpu, 1)}
    click.echo(f"took {timing['wall_seconds']:,.1f} s ({timing['cpu_seconds']:,.1f} CPU-seconds)")
    if output is not None:
        command = derive.command_line(
            scenario_path, draws=draws, months=months, seed=seed, kinds=kinds, precision=precision
        )
        document = derive.response_document(
            fits, scenario=scenario, draws=draws, months=months, seed=seed, command=command, timing=timing
        )
        header = "Agent-derived response parameters of the analytic levers. Generated; do not edit by hand:\n"
        header += f"re-run `{command} -o FILE`."
        click.echo(f"wrote {write_atomic(output, toml_text(document, comment=header), overwrite=overwrite)}")


@main.command()
@click.option(
    "--scenarios",
    "scenario_dir",
    default="scenarios",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder whose analytic scenario files are offered as baselines.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (this machine only).")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
def serve(scenario_dir, host, port) -> None:
    """The planner's what-if page in the browser: baseline, levers, packages side by side."""
    from simengine.planner import serve as serve_page

    click.echo(f"simengine planner page: http://{host}:{port}/ (Ctrl+C to stop)")
    serve_page(scenario_dir, host=host, port=port)
