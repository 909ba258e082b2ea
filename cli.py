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
