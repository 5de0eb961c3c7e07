"""``cspr export``: the register's cases, deadlines or history as CSV or JSON."""

from __future__ import annotations

import sys

import click

from .common import (
    as_of_option,
    case_filter,
    case_filter_options,
    fail,
    progress,
    refusals,
    runtime,
    store_location,
)


@click.command()
@click.argument("kind", type=click.Choice(["cases", "deadlines", "history"]))
@click.option(
    "--format", "form", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file.")
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@case_filter_options
@as_of_option
@click.pass_context
@refusals
def export(ctx, kind, form, output, force, as_of, **filters) -> None:
    """Export the register's cases, their deadlines or their history (CSV with a header
    row, or JSON), streamed so that memory stays flat for any number of cases.

    Dates are ISO; a deadline's status (pending, overdue, met, missed, lapsed) is judged
    as of --as-of (default: today), and corrections show as the history rows that record
    them. Without -o the export goes to standard output.

    \b
    Examples:
      cspr export deadlines -o deadlines.csv
      cspr export cases --format json --process cspr --opened-from 2024-04-01
      cspr export history --ref 'LA-2024-*' -o history.csv
    """
    from ..cases import export as exporting
    from ..outputs import OutputError, check_output

    rt = runtime(ctx)
    wanted = case_filter(rt, filters)
    rows = exporting.rows(rt, kind, wanted, as_of or rt.today, progress=progress)
    if output is None:
        exporting.write(sys.stdout, kind, rows, form)
        return
    try:
        check_output(output, force=force, store_location=store_location(ctx))
        with open(output, "w", encoding="utf-8", newline="") as out:
            count = exporting.write(out, kind, rows, form)
    except OutputError as error:
        fail(f"cspr: {error}")
    except OSError as error:
        fail(f"cspr: cannot write {output}: {error.strerror}")
    click.echo(f"wrote {count} {kind} row(s) to {output}", err=True)
