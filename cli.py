"""The ``simengine`` command line: thin callers of the library.

Every command turns a :class:`simengine.errors.SimEngineError` into one line on stderr and
exit code 1; ``simengine --debug ...`` shows the traceback instead.
"""

from __future__ import annotations

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


def _one_line_warnings(message, category, filename, lineno, file=None, line=None):
    click.echo(f"warning: {message}", err=True)


@click.group(cls=_Group)
@click.option("--debug", is_flag=True, help="Show the full traceback on errors.")
@click.version_option(package_name="simengine")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """simengine: regional input-output and agent-based simulation of local public spending."""
    ctx.ensure_object(dict)["debug"] = debug
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
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write .csv or .nc instead of printing.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
def multipliers(table_name, kinds, mtype, sort, top, output, overwrite) -> None:
    """Multipliers per unit of final demand, by sector."""
    from simengine.datasets import load_table

    table = load_table(table_name)
    frame = text.multiplier_frame(table, kinds, mtype, sort=sort, top=top)
    if output is None:
        click.echo(text.frame_text(frame, title=f"{table.name}: type {mtype} multipliers"))
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
