"""The ``cspr`` command: validate process files, step cases, see what is due.

Thin by design: parse options, call the engine, print. Heavy modules (the statechart
library, jsonschema, graphviz) are imported inside the commands that need them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from functools import wraps
from pathlib import Path
from typing import Any

import click

DEFAULT_DB = "cases.db"


# -- shared plumbing ------------------------------------------------------------------------


def fail(message: str) -> None:
    """Print one clear line (or a few, for file problems) on stderr and exit 1."""
    click.echo(message, err=True)
    sys.exit(1)


def refusals(function: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the engine's refusals into one line on stderr and exit status 1."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from .calendar import DateError
        from .runtime import Refused
        from .store import StoreError

        try:
            return function(*args, **kwargs)
        except (Refused, StoreError, DateError) as error:
            fail(f"cspr: {error}")
        except BrokenPipeError:
            # Whoever read the output stopped early (`| head`): what was asked is done,
            # only the rest of its output is not wanted. Stop as `cat` would, silently.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(141)  # 128 + SIGPIPE
        except Exception as error:  # never a traceback for an operator; CSPR_DEBUG shows it
            if os.environ.get("CSPR_DEBUG"):
                raise
            click.echo(
                f"cspr: internal error, nothing was changed ({type(error).__name__}: "
                f"{error}); set CSPR_DEBUG=1 to see details",
                err=True,
            )
            sys.exit(2)

    return wrapper


def parse_date_option(
    _ctx: click.Context | None, param: click.Parameter | None, value: str | None
) -> dt.date | None:
    """A date option's value, or one line saying why it is not a date (exit 1)."""
    if value is None:
        return None
    from .calendar import DateError, parse_date

    try:
        return parse_date(value)
    except DateError as error:
        fail(f"cspr: {param.opts[0] if param else 'date'}: {error}")
        return None  # not reached: fail() exits


def date_option(name: str, help_text: str) -> Callable[..., Any]:
    return click.option(name, callback=parse_date_option, metavar="YYYY-MM-DD", help=help_text)


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
by_option = click.option("--by", metavar="NAME", help="Who records this (default: your user name).")
on_option = date_option(
    "--on", "The date it happened (default: today); may be earlier than what is recorded."
)
as_of_option = date_option("--as-of", "Judge deadlines as of this date (default: today).")


def store_location(ctx: click.Context) -> str:
    """The case store named by --db, else $CSPR_DB, else ./cases.db."""
    return ctx.find_root().params.get("db") or os.environ.get("CSPR_DB") or DEFAULT_DB


def open_store(ctx: click.Context, location: str | None = None, **options: Any):
    """Open a case store (closed with the command), or fail with one line saying why."""
    from .store import Store, StoreError

    try:
        store = Store(location or store_location(ctx), **options)
    except StoreError as error:
        fail(f"cspr: {error}")
    ctx.call_on_close(store.close)
    return store


def runtime(ctx: click.Context):
    from .runtime import Runtime

    return Runtime(open_store(ctx), ctx.find_root().params.get("processes"))


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def long_date(iso: str | dt.date | None) -> str:
    if iso is None:
        return "-"
    day = iso if isinstance(iso, dt.date) else dt.date.fromisoformat(iso)
    return day.strftime("%a %Y-%m-%d")


def table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> None:
    """Aligned columns; the header in bold on a terminal."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True))
    click.echo(click.style(line.rstrip(), bold=True))
    for row in rows:
        click.echo("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def echo_where(rt, record, changes: Sequence[str] = ()) -> None:
    """One line after a change: the case, its new revision and the steps it is now in;
    then, for a late entry or a correction, what it changed."""
    if record.withdrawn:
        click.echo(f"case {record.id} revision {record.revision}: withdrawn (opened in error)")
    else:
        leaves = rt.process_of(record).leaves(record.states)
        closed = f" (closed on {record.closed_on})" if record.closed_on else ""
        click.echo(
            f"case {record.id} revision {record.revision}: now in {', '.join(leaves)}{closed}"
        )
    for line in changes:
        click.echo(f"  changed: {line}")


STATUS_COLOURS = {
    "overdue": "red",
    "missed": "red",
    "met": "green",
    "pending": "yellow",
    "lapsed": "blue",
}


def status_text(status: str) -> str:
    return click.style(status, fg=STATUS_COLOURS.get(status))


def days_text(left: int | None, status: str) -> str:
    if left is None:
        return ""
    if status == "overdue":
        days = max(1, -left)
        return f"{days} working day{'s' if days != 1 else ''} overdue"
    return f"{left} working day{'s' if left != 1 else ''} left"


# -- the command group ----------------------------------------------------------------------


class LazyGroup(click.Group):
    """A group whose heavier commands are imported only when they are run (or listed by
    --help), so that every other ``cspr`` command starts fast."""

    lazy = {"diagram": ("engine.render", "diagram_command")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            import importlib

            module, attribute = self.lazy[name]
            return getattr(importlib.import_module(module), attribute)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    metavar="PATH|URL",
    help="Case store: a SQLite file, or postgresql://user@host/db for a shared one "
    "(default: $CSPR_DB, else ./cases.db).",
)
@click.option(
    "--processes",
    metavar="DIR",
    help="Folder of process files (default: $CSPR_PROCESSES, else ./processes).",
)
@click.version_option(package_name="cspr-engine")
def main(db: str | None, processes: str | None) -> None:
    """Run statutory child safeguarding review processes as statecharts.

    \b
    Examples:
      cspr validate processes/
      cspr case open cspr --ref LA-2019-041 --fact aware_on=2019-12-20
      cspr case send LA-2019-041 panel_notified --on 2019-12-23
      cspr due --within 5
    """


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@json_option
def validate(paths: tuple[str, ...], as_json: bool) -> None:
    """Check process files and print every problem as file:line:col: message.

    PATHS are files or folders (default: processes/). Exits 1 if any problem is found.

    \b
    Example:
      cspr validate processes/ processes/extra.yaml
    """
    from .loader import Problem, check_file_report
    from .model import Location

    paths = paths or ("processes",)
    files, problems = _yaml_files(paths)
    warnings = []
    for file in files:
        found, warned = check_file_report(file)
        problems.extend(found)
        warnings.extend(warned)
    warnings = sorted(set(warnings))
    # Finding nothing to check (a wrong folder?) is a problem too, but not one inside a
    # file: as text it goes to stderr with the summary, in JSON with the other problems.
    nothing_found = not files and not problems
    if nothing_found:
        problems.append(Problem(Location(",".join(paths), 1, 1), "no process files found"))
    problems = sorted(set(problems))
    if as_json:
        emit_json(
            {
                "files": len(files),
                "problems": [p.as_json() for p in problems],
                "warnings": [w.as_json() for w in warnings],
            }
        )
    else:
        for warning in warnings:
            click.echo(f"{warning.where}: warning: {warning.message}", err=True)
        for problem in problems:
            click.echo(str(problem), err=nothing_found)
        if problems:
            in_files = len({p.where.file for p in problems})
            plural = "s" if len(problems) != 1 else ""
            click.echo(f"{len(problems)} problem{plural} in {in_files} file(s)", err=True)
        else:
            click.echo(f"{len(files)} process file(s) valid")
    if problems:
        sys.exit(1)


def _yaml_files(paths: Iterable[str]) -> tuple[list[Path], list[Any]]:
    """The process files named or held (*.yaml, *.yml) by ``paths``, and a problem for
    each path that is neither a file nor a folder."""
    from .loader import Problem
    from .model import Location

    files: list[Path] = []
    missing: list[Problem] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files.extend(sorted(p for p in path.glob("*.y*ml") if p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            missing.append(Problem(Location(name, 1, 1), "no such file or folder"))
    return files, missing


# -- cases ------------------------------------------------------------------------------------


@main.group()
def case() -> None:
    """Open cases and record what happens to them."""


@case.command("open")
@click.argument("process")
@click.option("--ref", metavar="REF", help="Your reference for the case (never a child's name).")
@click.option("--fact", "facts", multiple=True, metavar="NAME=VALUE", help="A fact; repeatable.")
@on_option
@by_option
@click.option("--note", metavar="TEXT", help="A note for the history.")
@json_option
@click.pass_context
@refusals
def case_open(ctx, process, ref, facts, on, by, note, as_json) -> None:
    """Open a case of PROCESS (an id such as cspr, or a process file) and print its id.

    \b
    Example:
      cspr case open cspr --ref LA-2019-041 --fact aware_on=2019-12-20 \\
          --fact child_died=true --fact abuse_or_neglect=suspected
    """
    from .runtime import parse_facts

    rt = runtime(ctx)
    record = rt.open(process, parse_facts(facts), on=on, by=by, ref=ref, note=note)
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
    from .runtime import parse_facts

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
    from .runtime import parse_facts

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

    The correction is a new history row pointing at REV, which stays as it was; the case
    is derived again, and refused if a later entry could then no longer be taken.

    \b
    Examples:
      cspr case correct LA-2019-041 3 --on 2019-12-23 --reason "date mistyped"
      cspr case correct LA-2019-041 1 --fact aware_on=2019-12-19 --reason "police log"
      cspr case correct LA-2019-042 1 --void --reason "opened twice in error"
    """
    from .runtime import parse_facts

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
    from .verify import verify_all

    if bool(case_keys) == every:
        fail("cspr: give a CASE (id or reference) or --all" + (", not both" if every else ""))
    from .store import store_digest

    store = runtime(ctx).store
    missing = store.missing_triggers()
    if missing and not as_json:
        click.echo(
            f"store: the append-only trigger(s) {', '.join(missing)} are missing: history "
            "rows could be changed unseen"
        )
    verdicts = []
    for verdict in verify_all(store, None if every else case_keys, jobs):
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
@click.option("--process", metavar="P", help="Only cases of this process.")
@click.option("--state", metavar="S", help="Only cases in this state.")
@click.option("--overdue", is_flag=True, help="Only cases with an overdue deadline.")
@click.option("--withdrawn", is_flag=True, help="Also cases withdrawn as opened in error.")
@as_of_option
@json_option
@click.pass_context
@refusals
def case_list(ctx, process, state, overdue, withdrawn, as_of, as_json) -> None:
    """List cases, optionally only those of a process, in a state, or overdue.

    \b
    Example:
      cspr case list --process cspr --overdue
    """
    rt = runtime(ctx)
    as_of = as_of or dt.date.today()
    rows = []
    unreadable = []
    for case_id in rt.store.case_ids(process):
        try:
            record = rt.store.find(str(case_id))
            late = rt.overdue(record, as_of)
        except Exception as error:  # noqa: BLE001 - one damaged case must not stop the rest
            unreadable.append((case_id, " ".join(str(error).split()) or type(error).__name__))
            continue
        if record.withdrawn and not withdrawn:
            continue
        if state and state not in record.states:
            continue
        if overdue and not late:
            continue
        rows.append(
            {
                "id": record.id,
                "ref": record.ref,
                "process": record.process,
                "version": record.version,
                "states": record.states,
                "overdue": late,
                "last_on": record.last_on,
                "closed_on": record.closed_on,
                "withdrawn": record.withdrawn,
            }
        )
    if as_json:
        emit_json(rows)
        _report_unreadable(unreadable)
        return
    table(
        [
            (
                str(r["id"]),
                r["ref"] or "",
                r["process"],
                ", ".join(r["states"]),
                ", ".join(r["overdue"]),
                long_date(r["last_on"]),
            )
            for r in rows
        ],
        ["ID", "REF", "PROCESS", "STATES", "OVERDUE", "LAST CHANGE"],
    )
    _report_unreadable(unreadable)


def _report_unreadable(unreadable: list[tuple[int, str]]) -> None:
    """One line each on stderr for the cases a listing could not read, then exit 1."""
    for case_id, error in unreadable:
        click.echo(f"cspr: case {case_id} could not be read and is left out: {error}", err=True)
    if unreadable:
        sys.exit(1)


@main.command()
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


@main.command()
@click.option(
    "--within",
    default=5,
    show_default=True,
    type=click.IntRange(0, 10_000),
    metavar="DAYS",
    help="Working days ahead to look (0 to 10,000).",
)
@as_of_option
@json_option
@click.pass_context
@refusals
def due(ctx, within, as_of, as_json) -> None:
    """Deadlines overdue or due within DAYS working days, across all cases.

    \b
    Example:
      cspr due --within 10 --as-of 2019-12-23
    """
    failed: list[dict[str, Any]] = []
    items = runtime(ctx).due(within, as_of, failed)
    unreadable = [(f["case"], f["error"]) for f in failed]
    if as_json:
        emit_json(
            [{"case": r.id, "ref": r.ref, "process": r.process, **d.as_json()} for r, d in items]
        )
        _report_unreadable(unreadable)
        return
    table(
        [
            (
                str(r.id),
                r.ref or "",
                d.name,
                long_date(d.due),
                status_text(d.status),
                days_text(d.working_days_left, d.status),
            )
            for r, d in items
        ],
        ["CASE", "REF", "DEADLINE", "DUE", "STATUS", ""],
    )
    _report_unreadable(unreadable)


# -- the store itself --------------------------------------------------------------------------


@main.group("db")
def db_group() -> None:
    """Create, upgrade and copy case stores (SQLite files and PostgreSQL databases)."""


@db_group.command("upgrade")
@click.pass_context
@refusals
def db_upgrade(ctx) -> None:
    """Create the case store's tables, or bring a store written by an older cspr up to date.

    Run `cspr backup` first. The store is --db (or $CSPR_DB); an up-to-date store is left
    as it is, one written by a newer cspr is refused.

    \b
    Example:
      cspr backup cases-before-upgrade.db && cspr db upgrade
      cspr --db postgresql://cspr@db.example.org/cases db upgrade
    """
    from .runtime import Runtime

    store = open_store(ctx, upgrade=True)
    was, now = store.found_schema, store.schema_version()
    if was is None:
        click.echo(f"{store.path}: created (schema {now})")
    elif was == now:
        click.echo(f"{store.path}: already up to date (schema {now})")
    else:
        click.echo(f"{store.path}: upgraded from schema {was} to {now}")
        if store.chained:
            click.echo(f"  {store.chained} history row(s) chained by hash, in recording order")
        for clash in store.look_alikes:
            click.echo(f"  {clash}: kept, but look-alike references are refused from now on")
    if was is not None and was < 3:
        # From schema 3 a case is derived from its inputs: derive every case again.
        report = Runtime(store, ctx.find_root().params.get("processes")).rederive_all()
        changed = [(record, lines) for record, lines in report if lines]
        click.echo(
            f"  {len(report)} case(s) derived again from their history; {len(changed)} changed:"
            if changed
            else f"  {len(report)} case(s) derived again from their history; none changed"
        )
        for record, lines in changed:
            name = f"case {record.id}" + (f" ({record.ref})" if record.ref else "")
            for line in lines:
                click.echo(f"  {name}: {line}")


@db_group.command("copy")
@click.argument("source", metavar="FROM")
@click.argument("target", metavar="TO")
@click.pass_context
@refusals
def db_copy(ctx, source, target) -> None:
    """Copy every case, deadline, history row and process text from FROM to TO.

    FROM and TO are SQLite files or postgresql:// URLs; TO must be empty (it is created if
    need be). Ids and revisions are kept. The copy is checked before it is committed: the
    same rows as FROM, row for row, and every case replays from its history to what is
    stored (as `cspr case verify` does). If anything differs, nothing is kept.

    \b
    Example:
      cspr db copy cases.db postgresql://cspr@db.example.org/cases
      cspr db copy postgresql://cspr@db.example.org/cases snapshot.db
    """
    from .dbcopy import copy_store

    counts = copy_store(open_store(ctx, source, create=False), open_store(ctx, target))
    click.echo(
        f"copied {counts['cases']} case(s), {counts['deadlines']} deadline(s), "
        f"{counts['history']} history row(s) and {counts['process_texts']} process text(s); "
        "the copy matches row for row and every case replays from its history"
    )


@main.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
@click.pass_context
@refusals
def backup(ctx, path, force) -> None:
    """Copy the case store into the new SQLite file PATH, while others carry on working.

    The copy is one consistent moment of the store (SQLite's online backup; for a
    PostgreSQL store, every row copied in one snapshot and checked row for row). An
    existing PATH is refused unless --force. To restore, stop cspr, copy the backup over
    the store (for PostgreSQL: `cspr db copy PATH` into an empty database), and run
    `cspr case verify --all`.

    \b
    Example:
      cspr backup backups/cases-$(date +%F).db
    """
    from .outputs import OutputError, check_output

    target = Path(path)
    store = open_store(ctx, create=False)
    try:
        # Never onto the store, its -wal, -shm or -journal file, or a link to them.
        check_output(path, force=force, store_location=store.location)
    except OutputError as error:
        fail(f"cspr: {error}")
    cases = store.backup(target)
    click.echo(f"backed up {cases} case(s) from {store.path} to {path}")


@main.group()
def scenario() -> None:
    """Run scenario files: cases stepped through a process on a simulated calendar."""


@scenario.command("run")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--coverage", is_flag=True, help="Also list transitions no scenario takes.")
@click.option(
    "--cross-check",
    is_flag=True,
    help="Also run every change on python-statemachine; any difference fails the scenario.",
)
@json_option
@click.pass_context
def scenario_run(ctx, paths, coverage, cross_check, as_json) -> None:
    """Run scenarios (files or folders; default processes/scenarios/): PASS or FAIL each.

    Exits 1 if any scenario fails. --coverage lists the transitions no scenario takes.
    --cross-check runs each change twice, on the engine's own interpreter (what cases
    use) and on python-statemachine, and fails a scenario where they differ: worth doing
    after writing a new kind of step or transition into a process file.

    \b
    Example:
      cspr scenario run processes/scenarios/ --coverage --cross-check
    """
    from .loader import build_cached, read_bundle
    from .scenarios import find_files, run_file, uncovered

    processes = ctx.find_root().params.get("processes")
    files = find_files(paths or ("processes/scenarios",))
    if not files:
        fail("cspr: no scenario files found")
    outcomes = [run_file(f, Path(processes) if processes else None, cross_check) for f in files]
    gaps = []
    if coverage:
        used = sorted({o.process_file for o in outcomes if o.process_file})
        folders = {Path(processes)} if processes else {f.parent.parent for f in files}
        process_files = [p for folder in folders for p in sorted(folder.glob("*.yaml"))]
        loaded = [build_cached(read_bundle(p)) for p in process_files if p.name in used]
        gaps = uncovered(outcomes, loaded)
        total = sum(len(list(p.transitions())) for p in loaded)
    if as_json:
        emit_json(
            {
                "scenarios": [
                    {"file": o.file, "title": o.title, "passed": o.passed, "failures": o.failures}
                    for o in outcomes
                ],
                "uncovered": [g.as_json() for g in gaps],
            }
        )
    else:
        for o in outcomes:
            mark = click.style("PASS", fg="green") if o.passed else click.style("FAIL", fg="red")
            click.echo(f"{mark} {o.file}: {o.title}")
            for failure in o.failures:
                click.echo(f"     - {failure}")
        failed = sum(not o.passed for o in outcomes)
        click.echo(f"{len(outcomes) - failed} passed, {failed} failed")
        if coverage:
            for gap in gaps:
                click.echo(f"uncovered: {gap}")
            click.echo(f"transition coverage: {total - len(gaps)}/{total}")
    if any(not o.passed for o in outcomes):
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
