"""``cspr case``: open a case, record facts and events (however late), correct entries,
and show, list, verify and trace cases."""

from __future__ import annotations

import sys
from typing import Any

import click

from .common import (
    as_of_option,
    by_option,
    case_filter,
    case_filter_options,
    date_option,
    days_text,
    echo_where,
    emit_json,
    fail,
    json_option,
    long_date,
    on_option,
    progress,
    refusals,
    report_unreadable,
    runtime,
    status_text,
    table,
)

# -- cases ------------------------------------------------------------------------------------


@click.group()
def case() -> None:
    """Open cases and record what happens to them."""


@case.command("open")
@click.argument("process")
@click.option("--ref", metavar="REF", help="Your reference for the case (never a child's name).")
@click.option("--fact", "facts", multiple=True, metavar="NAME=VALUE", help="A fact; repeatable.")
@on_option
@by_option
@click.option("--note", metavar="TEXT", help="A note for the history.")
@click.option(
    "--version",
    "version",
    metavar="V",
    help="Open under this version, not the one in force (the history says so).",
)
@json_option
@click.pass_context
@refusals
def case_open(ctx, process, ref, facts, on, by, note, version, as_json) -> None:
    """Open a case of PROCESS (an id such as cspr, or a process file) and print its id.

    By id, the case opens under the version in force on the date of the fact that
    chooses it (for cspr: aware_on), else on --on; see cspr process list.

    \b
    Example:
      cspr case open cspr --ref LA-2019-041 --fact aware_on=2019-12-20 \\
          --fact child_died=true --fact abuse_or_neglect=suspected
    """
    from ..cases.runtime import parse_facts

    rt = runtime(ctx, create=True)
    record = rt.open(process, parse_facts(facts), on=on, by=by, ref=ref, note=note, version=version)
    if as_json:
        emit_json(rt.show(str(record.id), on).as_json())
    else:
        click.echo(record.id)


@case.command("set")
@click.argument("case_key", metavar="CASE")
@click.argument("assignments", nargs=-1, required=True, metavar="NAME=VALUE...")
@on_option
@by_option
@click.option("--note", metavar="TEXT", help="A note for the history.")
@click.pass_context
@refusals
def case_set(ctx, case_key, assignments, on, by, note) -> None:
    """Record facts about CASE (its id or reference).

    \b
    Example:
      cspr case set LA-2019-041 seriously_harmed=true --on 2019-12-21
    """
    from ..cases.runtime import parse_facts

    rt = runtime(ctx)
    outcome = rt.change(case_key, "set", parse_facts(assignments), None, on, by, note)
    echo_where(rt, outcome.case, outcome.changes)


@case.command("send")
@click.argument("case_key", metavar="CASE")
@click.argument("event")
@on_option
@click.option("--fact", "facts", multiple=True, metavar="NAME=VALUE", help="A fact given with it.")
@click.option("--note", metavar="TEXT", help="A note for the history.")
@by_option
@click.pass_context
@refusals
def case_send(ctx, case_key, event, on, facts, note, by) -> None:
    """Record that EVENT happened to CASE; refused, with the reason, if not allowed now.

    \b
    Example:
      cspr case send LA-2019-041 panel_notified --on 2019-12-23 --by j.smith
    """
    from ..cases.runtime import parse_facts

    rt = runtime(ctx)
    outcome = rt.change(case_key, "send", parse_facts(facts), event, on, by, note)
    echo_where(rt, outcome.case, outcome.changes)


@case.command("correct")
@click.argument("case_key", metavar="CASE")
@click.argument("revision", type=click.IntRange(1), metavar="REV")
@click.option("--reason", required=True, metavar="TEXT", help="Why the entry was wrong.")
@date_option("--on", "The date the entry really happened.")
@click.option(
    "--fact", "facts", multiple=True, metavar="NAME=VALUE", help="A fact as it really was."
)
@click.option("--void", is_flag=True, help="The entry did not happen at all.")
@by_option
@click.pass_context
@refusals
def case_correct(ctx, case_key, revision, reason, on, facts, void, by) -> None:
    """Correct the entry at revision REV of CASE: it happened on another date (--on), with
    other facts (--fact), or not at all (--void; voiding revision 1 withdraws a case
    opened in error).

    Each --fact replaces that fact's value in the entry (its other facts stay as they
    were). The correction is a new history row pointing at REV, which stays as it was;
    the case is derived again, and refused if a later entry could then no longer be
    taken. A later correction of the same revision replaces an earlier one.

    \b
    Examples:
      cspr case correct LA-2019-041 3 --on 2019-12-23 --reason "date mistyped"
      cspr case correct LA-2019-041 1 --fact aware_on=2019-12-19 --reason "police log"
      cspr case correct LA-2019-042 1 --void --reason "opened twice in error"
    """
    from ..cases.runtime import parse_facts

    rt = runtime(ctx)
    outcome = rt.correct(case_key, revision, reason, on, parse_facts(facts), void, by)
    echo_where(rt, outcome.case, outcome.changes)


@case.command("show")
@click.argument("case_key", metavar="CASE")
@as_of_option
@json_option
@click.pass_context
@refusals
def case_show(ctx, case_key, as_of, as_json) -> None:
    """Show CASE: where it is, its facts, its deadlines and which events it can take.

    \b
    Example:
      cspr case show LA-2019-041 --as-of 2020-01-06
    """
    view = runtime(ctx).show(case_key, as_of)
    if as_json:
        emit_json(view.as_json())
        return
    record, process = view.record, view.process
    click.echo(
        click.style(f"Case {record.id}", bold=True) + (f"  ref {record.ref}" if record.ref else "")
    )
    click.echo(f"Process  {process.title} ({record.process} {record.version}, {record.hash[:12]})")
    click.echo(
        f"Opened   {long_date(record.opened_on)}   last change {long_date(view.derived_to)}"
        f"   as of {long_date(view.as_of)}"
    )
    if view.forecast:
        click.echo("Forecast what would stand then if nothing else is recorded")
    if record.withdrawn:
        click.echo("Withdrawn: opened in error (see its history)")
        return
    closed = f"   (closed on {long_date(record.closed_on)})" if record.closed_on else ""
    click.echo(
        "Steps    "
        + "; ".join(process.states[s].label for s in process.leaves(record.states))
        + closed
    )
    click.echo("")
    if record.facts:
        table([(name, str(value)) for name, value in record.facts.items()], ["FACT", "VALUE"])
        click.echo("")
    if view.deadlines:
        table(
            [
                (
                    d.name,
                    long_date(d.due),
                    status_text(d.status),
                    days_text(d.working_days_left, d.status),
                    d.explanation,
                )
                for d in view.deadlines
            ],
            ["DEADLINE", "DUE", "STATUS", "", "WHY"],
        )
        click.echo("")
    table(
        [
            (e.name, "yes" if e.allowed else click.style("no", fg="red"), e.reason)
            for e in view.events
        ],
        ["EVENT", "ALLOWED", "WHY NOT"],
    )


@case.command("history")
@click.argument("case_key", metavar="CASE")
@json_option
@click.pass_context
@refusals
def case_history(ctx, case_key, as_json) -> None:
    """Every change to CASE: when it happened, when and by whom it was recorded.

    \b
    Example:
      cspr case history LA-2019-041 --json
    """
    rt = runtime(ctx)
    record, rows = rt.history(case_key)
    process = rt.process_of(record)
    corrected_by: dict[int, list[int]] = {}
    for r in rows:
        if r.corrects is not None:
            corrected_by.setdefault(r.corrects, []).append(r.revision)
    if as_json:
        emit_json(
            {
                "id": record.id,
                "ref": record.ref,
                "history": [
                    {**r.__dict__, "corrected_by": corrected_by.get(r.revision, [])} for r in rows
                ],
            }
        )
        return

    def action(r) -> str:
        if r.action == "correct":
            return f"correct {r.corrects}" + (" (void)" if r.void else "")
        if r.revision in corrected_by:
            return f"{r.action} *"
        return r.action

    table(
        [
            (
                str(r.revision),
                long_date(r.happened_on),
                r.recorded_at,
                r.recorded_by,
                action(r),
                r.event or "",
                ", ".join(process.leaves(r.states_after)),
                ", ".join(f"{k}={v}" for k, v in (r.facts_given or r.facts_changed).items())
                if r.action == "correct"
                else ", ".join(f"{k}={v}" for k, v in r.facts_changed.items()),
                r.note or "",
            )
            for r in rows
        ],
        ["REV", "HAPPENED", "RECORDED", "BY", "ACTION", "EVENT", "NOW IN", "FACTS", "NOTE"],
    )
    if corrected_by:
        click.echo("")
        for revision, by_rows in corrected_by.items():
            click.echo(
                f"* revision {revision} is corrected by revision "
                + ", ".join(str(n) for n in by_rows)
                + "; it stays as it was recorded"
            )


@case.command("verify")
@click.argument("case_keys", nargs=-1, metavar="[CASE]...")
@click.option("--all", "every", is_flag=True, help="Verify every case in the store.")
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    default=None,
    metavar="N",
    help="Replay on N processes side by side (default: one per processor, at most 4, "
    "for 200 cases or more).",
)
@click.option(
    "--digest",
    is_flag=True,
    help="Also print each case's head hash and one for the store, to keep elsewhere.",
)
@json_option
@click.pass_context
@refusals
def case_verify(ctx, case_keys, every, jobs, digest, as_json) -> None:
    """Replay CASE's history (or every case's) against the process text it is pinned to
    and report any case whose stored steps, facts or deadlines differ. Exits 1 if any does.

    Run it after restoring a backup, or whenever a store's integrity is in doubt.

    \b
    Examples:
      cspr case verify LA-2019-041
      cspr case verify --all
    """
    from ..cases.verify import verify_all

    if bool(case_keys) == every:
        fail("cspr: give a CASE (id or reference) or --all" + (", not both" if every else ""))
    from ..store.database import store_digest

    store = runtime(ctx).store
    missing = store.missing_triggers()
    if missing and not as_json:
        click.echo(
            f"store: the append-only trigger(s) {', '.join(missing)} are missing: history "
            "rows could be changed unseen"
        )
    verdicts = []
    total = len(store.case_ids()) if every else len(case_keys)
    for verdict in progress(
        verify_all(store, None if every else case_keys, jobs), total, "verifying"
    ):
        verdicts.append(verdict)
        if not as_json and (not verdict.ok or verdict.notes or not every):
            mark = "matches its history" if verdict.ok else "DIFFERS from its history"
            click.echo(f"{verdict.name}: {mark} ({verdict.events} events replayed)")
            for line in [*verdict.differences, *verdict.notes]:
                click.echo(f"  - {line}")
    bad = [v for v in verdicts if not v.ok]
    events = sum(v.events for v in verdicts)
    heads = [(v.case_id, store.head(v.case_id)) for v in verdicts] if digest else []
    if as_json:
        data: dict[str, Any] = {
            "verified": len(verdicts),
            "events": events,
            "differ": len(bad),
            "missing_triggers": missing,
            "cases": [v.as_json() for v in verdicts],
        }
        if digest:
            data["heads"] = {str(case_id): head for case_id, head in heads}
            data["digest"] = store_digest(heads)
        emit_json(data)
    else:
        if every:
            click.echo(
                f"{len(verdicts)} case(s) verified, {events} events replayed: "
                + (f"{len(bad)} differ" if bad else "all match")
            )
        for case_id, head in heads:
            click.echo(f"head case {case_id}: {head}")
        if digest:
            click.echo(f"digest of these cases' heads: {store_digest(heads)}")
    if bad or missing:
        sys.exit(1)


@case.command("list")
@case_filter_options
@click.option("--overdue", is_flag=True, help="Only cases with an overdue deadline.")
@as_of_option
@json_option
@click.pass_context
@refusals
def case_list(ctx, overdue, as_of, as_json, **filters) -> None:
    """List cases, one line each, with the steps they are in now; filters narrow it.

    A process, step or role that the register does not know is refused with the nearest
    name, never answered with an empty list.

    \b
    Examples:
      cspr case list --process cspr --overdue
      cspr case list --state "Rapid review" --opened-from 2024-01-01
      cspr case list --role partners --overdue --json
    """
    from ..cases.register import matching

    rt = runtime(ctx)
    as_of = as_of or rt.today
    wanted = case_filter(rt, filters, overdue)
    listed, unreadable = [], []
    for item in matching(rt, wanted, as_of):
        if isinstance(item, tuple):
            unreadable.append(item)
        else:
            listed.append(item)
    if as_json:
        emit_json([item.as_json() for item in listed])
        report_unreadable(unreadable)
        return
    table(
        [
            (
                str(item.record.id),
                item.record.ref or "",
                f"{item.record.process} {item.record.version}",
                "withdrawn"
                if item.record.withdrawn
                else "; ".join(item.current)
                + (f" (closed {item.record.closed_on})" if item.record.closed_on else ""),
                ", ".join(d.name for d in item.overdue),
                long_date(item.record.last_on),
            )
            for item in listed
        ],
        ["ID", "REF", "PROCESS", "NOW IN", "OVERDUE", "LAST CHANGE"],
    )
    report_unreadable(unreadable)
