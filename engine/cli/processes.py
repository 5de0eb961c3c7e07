"""Commands on process files: ``cspr validate`` and ``cspr scenario run``."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from .common import emit_json, fail, json_option, processes_folder, setting


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@json_option
@click.option(
    "--explore",
    "and_explore",
    is_flag=True,
    help="Also explore every path of each valid file (cspr explore): its properties and "
    "unreachable steps.",
)
@click.pass_context
def validate(
    ctx: click.Context, paths: tuple[str, ...], as_json: bool, and_explore: bool = False
) -> None:
    """Check process files and print every problem as file:line:col: message.

    PATHS are files or folders (default: the processes folder: --processes, else
    $CSPR_PROCESSES, else processes/). Exits 1 if any problem is found.

    \b
    Example:
      cspr validate processes/ processes/extra.yaml
    """
    from ..format.loader import check_file_report
    from ..problems import Location, Problem

    paths = paths or (str(processes_folder(ctx)),)
    files, problems = _yaml_files(paths)
    warnings = []
    for file in files:
        found, warned = check_file_report(file)
        problems.extend(found)
        warnings.extend(warned)
    from ..format.versions import catalogue, conflicts

    problems.extend(conflicts(catalogue(files)))  # versions of one process, side by side
    warnings = sorted(set(warnings))
    # Finding nothing to check (a wrong folder?) is a problem too, but not one inside a
    # file: as text it goes to stderr with the summary, in JSON with the other problems.
    nothing_found = not files and not problems
    if nothing_found:
        problems.append(Problem(Location(",".join(paths), 1, 1), "no process files found"))
    problems = sorted(set(problems))
    explored = []
    if and_explore and not problems:
        from .explore import run_exploration

        explored = [run_exploration(file, 20_000) for file in files]
    if as_json:
        emit_json(
            {
                "files": len(files),
                "problems": [p.as_json() for p in problems],
                "warnings": [w.as_json() for w in warnings],
                **({"explored": [e.as_json() for e in explored]} if and_explore else {}),
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
        for result in explored:
            failing = [c.property.id for c in result.properties if not c.holds]
            never = [u.id for u in result.unreachable if u.kind == "step"]
            bound = "" if result.complete else ", stopped at 20,000"
            click.echo(
                f"{result.process.file}: explored {result.configurations:,} configurations"
                f"{bound}; {len(result.properties) - len(failing)} of "
                f"{len(result.properties)} properties hold"
                + (f"; FAILS: {', '.join(failing)}" if failing else "")
                + (f"; steps never reached: {', '.join(never)}" if never else "")
            )
    if problems or any(not result.ok_ignoring_bound for result in explored):
        sys.exit(1)


def _yaml_files(paths: Iterable[str]) -> tuple[list[Path], list[Any]]:
    """The process files named or held (*.yaml, *.yml) by ``paths``, and a problem for
    each path that is neither a file nor a folder."""
    from ..problems import Location, Problem

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


@click.group()
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
    from ..cases.scenarios import find_files, run_file, uncovered
    from ..format.loader import build_cached, read_bundle

    # Without --processes or $CSPR_PROCESSES, each scenario's process is found beside it.
    processes = setting(ctx, "processes", "CSPR_PROCESSES", "") or None
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        fail(f"cspr: {missing[0]}: no such file or folder")
    files = find_files(paths or (str(processes_folder(ctx) / "scenarios"),))
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
