"""``cspr report``: how the deadlines that fell due in a period were kept (HTML, PDF, CSV)."""

from __future__ import annotations

import datetime as dt

import click

from .common import (
    as_of_option,
    case_filter,
    case_filter_options,
    fail,
    parse_date_option,
    refusals,
    runtime,
    store_location,
)


@click.command()
@click.option(
    "--from",
    "start",
    callback=parse_date_option,
    metavar="YYYY-MM-DD",
    help="First due date counted (default: a year before --to).",
)
@click.option(
    "--to",
    "end",
    callback=parse_date_option,
    metavar="YYYY-MM-DD",
    help="Last due date counted (default: --as-of, else today).",
)
@click.option(
    "--format",
    "form",
    type=click.Choice(["html", "pdf", "csv"]),
    default="html",
    show_default=True,
    help="HTML and PDF need matplotlib: pip install 'cspr-engine[report]'.",
)
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False), help="Write to this file."
)
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@case_filter_options
@as_of_option
@click.pass_context
@refusals
def report(ctx, start, end, form, output, force, as_of, **filters) -> None:
    """Timeliness over a period, for the partnership's yearly report and for the Panel:
    for each deadline (Panel notice, partners, rapid review, publication, ...), how many
    fell due from --from to --to, how many were met on time, met late, missed, lapsed or
    are still open; the median and worst working days late; by quarter and by the role
    responsible.

    HTML is one self-contained printable file with its charts inline; PDF has the same
    charts and tables; CSV has a row for each deadline × quarter × role with the counts.
    Each chart has its figures in words under it. --role keeps only the deadlines that
    role is responsible for; the other filters choose cases as in `cspr case list`.

    \b
    Examples:
      cspr report --from 2024-04-01 --to 2025-03-31 -o timeliness-2024-25.html
      cspr report --from 2024-04-01 --to 2025-03-31 --format pdf -o timeliness.pdf
      cspr report --from 2024-01-01 --to 2024-12-31 --format csv -o timeliness.csv
    """
    from ..outputs import OutputError, check_output, write_output

    if form != "csv":
        from ..cases.charts import require

        require(form)
    try:
        check_output(output, force=force, store_location=store_location(ctx))
    except OutputError as error:
        fail(f"cspr: {error}")
    rt = runtime(ctx)
    as_of = as_of or rt.today
    end = end or as_of
    start = start or _a_year_before(end)
    wanted = case_filter(rt, filters)

    from ..cases import report as reporting

    figures = reporting.gather(rt, wanted, start, end, as_of)
    if form == "csv":
        data = _csv(figures)
    else:
        from ..cases import charts

        scope = reporting.scope_words(wanted)
        making = charts.html_report if form == "html" else charts.pdf_report
        made = making(figures, scope, rt.today)
        data = made.encode("utf-8") if isinstance(made, str) else made
    try:
        write_output(output, data)
    except OutputError as error:
        fail(f"cspr: {error}")
    total = figures.total()
    click.echo(
        f"wrote the report of {total.due:,} deadline(s) due from {start} to {end} "
        f"in {figures.cases:,} case(s) to {output}",
        err=True,
    )


def _a_year_before(end: dt.date) -> dt.date:
    """The day after the same date a year earlier (29 February: 1 March)."""
    try:
        return end.replace(year=end.year - 1) + dt.timedelta(days=1)
    except ValueError:
        return dt.date(end.year - 1, 3, 1)


def _csv(figures) -> bytes:
    import io

    out = io.StringIO()
    figures.write_csv(out)
    return out.getvalue().encode("utf-8")
