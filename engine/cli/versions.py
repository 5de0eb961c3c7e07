"""When guidance changes: ``cspr process list|diff`` and ``cspr migrate``."""

from __future__ import annotations

import sys
from typing import Any

import click

from .common import (
    by_option,
    date_option,
    emit_json,
    fail,
    json_option,
    processes_folder,
    progress,
    refusals,
    runtime,
    table,
)


@click.group("process")
def process_group() -> None:
    """The versions of each process: in force when, and what changed between two."""


@process_group.command("list")
@json_option
@click.pass_context
@refusals
def process_list(ctx: click.Context, as_json: bool) -> None:
    """Each process, its versions, the period each is in force, its file and text hash.

    A case opens under the version in force on the date of the fact that chooses it
    (CHOSEN BY; without one, the day it is opened); `cspr case open --version V`
    chooses another. The hash is of the exact text a case is pinned to.

    \b
    Example:
      cspr process list --json
    """
    from ..format.versions import folder_catalogue

    versions = folder_catalogue(processes_folder(ctx))
    if as_json:
        emit_json([v.as_json() for v in versions])
        return
    table(
        [
            [
                v.process,
                v.version,
                v.in_force_from.isoformat() if v.in_force_from else "-",
                v.in_force_until.isoformat() if v.in_force_until else "-",
                v.chosen_by or ("opening date" if v.in_force_from else "-"),
                v.file,
                v.hash[:12],
            ]
            for v in versions
        ],
        ["PROCESS", "VERSION", "IN FORCE FROM", "UNTIL", "CHOSEN BY", "FILE", "HASH"],
    )


@process_group.command("diff")
@click.argument("old")
@click.argument("new")
@json_option
@click.pass_context
@refusals
def process_diff(ctx: click.Context, old: str, new: str, as_json: bool) -> None:
    """What changed from OLD to NEW, in words, grouped by step: for a policy lead to review.

    OLD and NEW are each a version (cspr@2018), a process file, a text a store holds
    (its hash, or the first 8 or more characters of it: what open cases are pinned to,
    read from --db), or a committed file (git:REV:PATH, e.g. git:HEAD:processes/cspr.yaml).

    \b
    Examples:
      cspr process diff cspr@2018 cspr@2023
      cspr process diff git:HEAD:processes/cspr-2023.yaml processes/cspr-2023.yaml
      cspr --db cases.db process diff 41ddd15dce09 processes/cspr.yaml
    """
    from ..format.diff import diff_processes

    a, a_name = _resolve(ctx, old)
    b, b_name = _resolve(ctx, new)
    report = diff_processes(a, b, a_name, b_name)
    if as_json:
        emit_json(report.as_json())
    else:
        for line in report.lines():
            click.echo(line)


def _resolve(ctx: click.Context, spec: str) -> tuple[Any, str]:
    """A process model for a diff or plan argument, and how to name it."""
    from ..cases.migrate import resolve_text

    folder = processes_folder(ctx)
    return resolve_text(spec, folder, lambda: _store(ctx))


def _store(ctx: click.Context) -> Any:
    from .common import open_store

    return open_store(ctx, create=False)


class _MigrateGroup(click.Group):
    """``cspr migrate plan FROM TO`` and ``cspr migrate PLAN ...`` (the ``apply``
    command, named or not)."""

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["apply", *args]
        return super().resolve_command(ctx, args)


@click.group("migrate", cls=_MigrateGroup)
def migrate_group() -> None:
    """Move open cases to another version of their process, with a reviewed plan.

    \b
    1. cspr migrate plan cspr@2018 cspr@2023 -o plan.yaml   (then review plan.yaml)
    2. cspr migrate plan.yaml --all --dry-run                (what it would do)
    3. cspr migrate plan.yaml --all --reason "WT 2023 in force" --by policy.lead
    """


@migrate_group.command("plan")
@click.argument("old", metavar="FROM")
@click.argument("new", metavar="TO")
@click.option("-o", "--output", type=click.Path(), help="Write the plan to this file.")
@click.pass_context
@refusals
def migrate_plan(ctx: click.Context, old: str, new: str, output: str | None) -> None:
    """Write a first plan for moving cases from FROM to TO, for an author to review.

    FROM and TO as for `cspr process diff` (cspr@2018, a file, a stored hash). Same ids
    map to themselves; steps with no counterpart are listed as null for the author to
    map; each deadline, named STEP.deadline by the step of FROM that holds it (one id
    can be a deadline of several steps), is kept where its rule is the same and worked
    out again where it changed; each fact the new version adds is marked required (give
    a default instead where one is right). The plan validates against
    schemas/migration.schema.json.

    \b
    Example:
      cspr migrate plan cspr@2018 cspr@2023 -o cspr-2018-to-2023.yaml
    """
    from ..cases.migrate import find_text, make_plan, plan_yaml

    folder = processes_folder(ctx)
    plan = make_plan(
        find_text(old, folder, lambda: _store(ctx)), find_text(new, folder, lambda: _store(ctx))
    )
    text = plan_yaml(plan)
    if output:
        from pathlib import Path

        Path(output).write_text(text, encoding="utf-8")
        unmapped = [s for s, t in plan.states.items() if t is None]
        click.echo(
            f"wrote {output}: {len(plan.states)} steps ({len(unmapped)} to map), "
            f"{len(plan.deadlines)} deadlines, {len(plan.facts)} new facts"
        )
    else:
        click.echo(text, nl=False)


@migrate_group.command("apply")
@click.argument("plan_file", metavar="PLAN", type=click.Path())
@click.option(
    "--case", "cases", multiple=True, metavar="CASE", help="A case (id or reference); repeatable."
)
@click.option("--all", "every", is_flag=True, help="Every open case on the plan's FROM text.")
@click.option("--dry-run", is_flag=True, help="Say what it would do to each case; change nothing.")
@click.option("--reason", metavar="TEXT", help="Why the cases move (required unless --dry-run).")
@date_option("--on", "The day the move takes effect (default today; never in the future).")
@by_option
@json_option
@click.pass_context
@refusals
def migrate_apply(ctx, plan_file, cases, every, dry_run, reason, on, by, as_json) -> None:
    """Move cases with PLAN (or, with --dry-run, say what it would do): OK or REFUSED
    each, with the steps before and after and each deadline's due date before and after.

    Each case moves in its own transaction: a refused case (a step the plan does not
    map, a fact the plan requires and the case lacks, a deadline that would fall into
    the past unnoticed) changes nothing and the others go on. Each moved case gets a
    history input `migrate` with both texts' hashes, the plan's hash, the reason and who.
    Exits 1 if any case is refused.

    \b
    Examples:
      cspr migrate plan.yaml --all --dry-run
      cspr migrate plan.yaml --case LA-2023-101 --reason "WT 2023 in force" --by p.lead
    """
    from ..cases.migrate import PlanError, case_ids, move_case, read_plan, verdict
    from ..cases.runtime import Refused

    if bool(cases) == every:
        fail("cspr: say which cases: --case CASE (repeatable) or --all")
    if not dry_run and not (reason and reason.strip()):
        fail("cspr: a move needs a reason (--reason TEXT), or --dry-run to change nothing")
    rt = runtime(ctx)
    try:
        plan = read_plan(plan_file, processes_folder(ctx), lambda: rt.store)
    except PlanError as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        fail(f"cspr: {plan_file}: {len(error.problems)} problem(s); nothing was changed")
        return
    today = rt.today
    if on is not None and on > today:
        raise Refused(f"{on.isoformat()} is in the future (today is {today.isoformat()})")
    on = on or today
    ids = case_ids(rt, plan, None if every else cases)
    found: list[dict[str, Any]] = []
    refused_names: list[str] = []
    moved = 0
    for case_id in progress(ids, len(ids), "moving cases"):
        done = move_case(rt, case_id, plan, on, apply=not dry_run, reason=reason, by=by)
        result = verdict(rt, done, plan)
        moved += result.ok
        if not result.ok:
            refused_names.append(result.name)
        if as_json:
            found.append(result.as_json())
        else:
            _echo_verdict(result, plan)
    refused = len(refused_names)
    if as_json:
        emit_json(
            {
                "plan": {"file": plan.file, "hash": plan.hash},
                "from": {
                    "process": plan.old.process.id,
                    "version": plan.old.process.version,
                    "hash": plan.old.hash,
                },
                "to": {
                    "process": plan.new.process.id,
                    "version": plan.new.process.version,
                    "hash": plan.new.hash,
                },
                "on": on.isoformat(),
                "dry_run": dry_run,
                "moved": 0 if dry_run else moved,
                "would_move": moved if dry_run else 0,
                "refused": refused,
                "cases": found,
            }
        )
    else:
        verb = "would move" if dry_run else "moved"
        tail = f": {', '.join(refused_names)}" if refused_names else ""
        click.echo(
            f"{'dry run, nothing changed: ' if dry_run else ''}{moved} case(s) {verb} from "
            f"{plan.old.process.version} to {plan.new.process.version}, {refused} refused{tail}"
        )
    if refused:
        sys.exit(1)


def _echo_verdict(result: Any, plan: Any) -> None:
    old, new = plan.old.process, plan.new.process
    mark = click.style("OK", fg="green") if result.ok else click.style("REFUSED", fg="red")
    click.echo(f"{mark} {result.name}")
    if not result.ok:
        for reason in result.reasons:
            click.echo(f"     refused: {reason}")
        return
    was = [old.states[s].label for s in result.steps_before if s in old.states]
    click.echo(f"     steps before: {', '.join(was)}")
    click.echo(f"     steps after:  {', '.join(new.states[s].label for s in result.steps_after)}")
    for step, name, before, after in result.deadlines:
        same = "" if before != after else " (same)"
        click.echo(f"     {step}.{name}: due {before or '-'} → {after or '-'}{same}")
