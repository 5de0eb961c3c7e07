"""``cspr tick`` and ``cspr due``: the clock across every case."""

from __future__ import annotations

import sys
from typing import Any

import click

from .common import (
    as_of_option,
    by_option,
    days_text,
    emit_json,
    json_option,
    long_date,
    refusals,
    report_unreadable,
    runtime,
    status_text,
    table,
)


@click.command()
@as_of_option
@by_option
@json_option
@click.pass_context
@refusals
def tick(ctx, as_of, by, as_json) -> None:
    """Bring every case up to a date: mark deadlines that passed and raise their events.

    Each deadline passes on the day after its due date, and a case takes any automatic
    step that waits for a date (its condition reads `today`) on that date. A tick never
    stops an entry dated earlier from being recorded later (the case is derived again).

    \b
    Example:
      cspr tick --as-of 2020-01-06
    """
    failed: list[dict[str, Any]] = []
    report = runtime(ctx).tick(as_of, by, failed)
    if as_json:
        emit_json(report)
    else:
        for entry in report:
            raised = f", raised {entry['raised']}" if entry["raised"] else ""
            click.echo(
                f"case {entry['case']}: {entry['deadline']} overdue (due {entry['due']}){raised}"
            )
        ticked = len({entry["case"] for entry in report})
        click.echo(f"{len(report)} deadline(s) passed in {ticked} case(s)")
    for entry in failed:
        click.echo(
            f"cspr: case {entry['case']} could not be ticked and was left as it was: "
            f"{entry['error']}",
            err=True,
        )
    if failed:
        sys.exit(1)


@click.command()
@click.option(
    "--within",
    default=5,
    show_default=True,
    type=click.IntRange(0, 10_000),
    metavar="DAYS",
    help="Working days ahead to look (0 to 10,000).",
)
@click.option("--role", metavar="ROLE", help="Only deadlines this role is responsible for.")
@click.option(
    "--group-by",
    type=click.Choice(["role"]),
    help="Group the deadlines under the role responsible for each.",
)
@as_of_option
@json_option
@click.pass_context
@refusals
def due(ctx, within, role, group_by, as_of, as_json) -> None:
    """Deadlines overdue or due within DAYS working days, across all cases, with the role
    responsible for each.

    \b
    Examples:
      cspr due --within 10 --as-of 2019-12-23
      cspr due --role partners
      cspr due --group-by role
    """
    from ..cases.register import CaseFilter, resolve

    rt = runtime(ctx)
    if role is not None:
        role = resolve(rt, CaseFilter(role=role)).role
    failed: list[dict[str, Any]] = []
    items = [(r, d) for r, d in rt.due(within, as_of, failed) if role is None or d.role == role]
    unreadable = [(f["case"], f["error"]) for f in failed]
    if as_json:
        emit_json(
            [{"case": r.id, "ref": r.ref, "process": r.process, **d.as_json()} for r, d in items]
        )
        report_unreadable(unreadable)
        return
    groups: dict[str, list[Any]] = {}
    for record, view in items:
        groups.setdefault(view.role or "(no role)" if group_by else "", []).append((record, view))
    for number, (name, rows) in enumerate(sorted(groups.items())):
        if group_by:
            click.echo(("\n" if number else "") + click.style(name, bold=True))
        table(
            [
                (
                    str(r.id),
                    r.ref or "",
                    d.name,
                    d.role or "",
                    long_date(d.due),
                    status_text(d.status),
                    days_text(d.working_days_left, d.status),
                )
                for r, d in rows
            ],
            ["CASE", "REF", "DEADLINE", "ROLE", "DUE", "STATUS", ""],
        )
    report_unreadable(unreadable)
