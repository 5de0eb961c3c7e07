"""``cspr explore``: every path of a process, its unreachable steps and its properties."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .common import emit_json, fail, json_option, processes_folder

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Process
    from ..run.exploration import Step

#: Steps of a path shown per line at most in text output.
_LIMIT_TEXT = 40


def process_file(ctx: click.Context, name: str) -> Path:
    """A process file named by path, or by id in the processes folder."""
    path = Path(name)
    if path.is_file():
        return path
    folder = processes_folder(ctx)
    for candidate in (folder / f"{name}.yaml", folder / f"{name}.yml"):
        if candidate.is_file():
            return candidate
    known = ", ".join(sorted(p.stem for p in folder.glob("*.y*ml")))
    fail(f"cspr: no process file '{name}' (in {folder}: {known or 'none'})")
    raise AssertionError  # pragma: no cover - fail exits


def run_exploration(path: Path, limit: int) -> Any:
    """Load and explore the process file ``path``; refuses with its problems."""
    from ..format.loader import LoadError, load_process
    from ..run.explore import explore

    try:
        process = load_process(path)
    except LoadError as error:
        fail(str(error))
    return explore(process, limit=limit)


@click.command("explore")
@click.argument("process")
@json_option
@click.option(
    "--max",
    "limit",
    type=click.IntRange(min=1),
    default=None,
    help="Explore at most N configurations (default 20,000); beyond, says it stopped.",
)
@click.option(
    "--write-scenarios",
    "folder",
    type=click.Path(file_okay=False),
    help="Write each failing property's counterexample as a scenario file in DIR.",
)
@click.option(
    "--paths",
    "with_paths",
    is_flag=True,
    help="With --write-scenarios: also one scenario per shortest path to each step.",
)
@click.pass_context
def explore(
    ctx: click.Context,
    process: str,
    as_json: bool,
    limit: int | None,
    folder: str | None,
    with_paths: bool,
) -> None:
    """Explore every configuration a case of PROCESS can reach, and check its properties.

    PROCESS is a process id (a file in the processes folder) or a process file. Facts
    are taken to the values the conditions tell apart, the clock to the dates on which
    something can change. Prints the configurations and transitions reached, the steps
    and transitions never reached (and why), each property holding or failing with its
    shortest counterexample, and the shortest path to every step. Exits 1 when a
    property fails or a step cannot be reached (stopped at --max, only a failing
    property does).

    \b
    Example:
      cspr explore cspr
      cspr explore tests/examples/cspr-broken.yaml --write-scenarios found/
    """
    from ..run.explore import DEFAULT_MAX

    path = process_file(ctx, process)
    result = run_exploration(path, limit or DEFAULT_MAX)
    written: list[str] = []
    if folder:
        written = write_scenarios(result, path, Path(folder), with_paths)
    if as_json:
        data = result.as_json()
        data["scenarios"] = written
        emit_json(data)
    else:
        print_exploration(result)
        for name in written:
            click.echo(f"wrote {name}")
    if not result.ok_ignoring_bound:
        sys.exit(1)


def print_exploration(result: Any) -> None:
    """The exploration in words, as ``cspr explore`` prints it."""
    process = result.process
    echo = click.echo
    stopped = "" if result.complete else " (stopped at the --max limit: not every path)"
    echo(
        f"{process.id} {process.version}: {result.configurations:,} configurations, "
        f"{result.transitions:,} transitions between them, {result.seconds:.1f} s{stopped}"
    )
    echo(
        f"steps reached: {result.steps_reached} of {len(process.states)}; "
        f"transitions taken: {result.transitions_taken} of {len(list(process.transitions()))}"
    )
    steps = [u for u in result.unreachable if u.kind == "step"]
    moves = [u for u in result.unreachable if u.kind == "transition"]
    if steps:
        echo("\nSTEPS NEVER REACHED")
        for item in steps:
            echo(f"  {item.id}: {item.why}")
    if moves:
        echo("\nTRANSITIONS NEVER TAKEN")
        for item in moves:
            echo(f"  {item.id} ({item.transition.where if item.transition else ''}): {item.why}")
    if result.properties:
        echo("\nPROPERTIES")
        for checked in result.properties:
            prop = checked.property
            verdict = "holds" if checked.holds else "FAILS"
            source = process.source_title(prop.source) or ""
            echo(f"  {verdict:5}  {prop.id}: {prop.title}")
            if source:
                echo(f"         source: {_short(source)}")
            if not checked.holds:
                echo(f"         why: {checked.why}")
                echo(f"         ends in: {', '.join(checked.states)}")
                echo("         shortest counterexample:")
                for step in checked.counterexample or []:
                    echo(f"           {step.words()}")
    echo("\nSHORTEST PATH TO EACH STEP")
    for state, steps_to in result.paths.items():
        shown = " → ".join(step.brief() for step in steps_to[:_LIMIT_TEXT])
        echo(f"  {state}: {shown}")


def _short(text: str, width: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def write_scenarios(result: Any, path: Path, folder: Path, with_paths: bool) -> list[str]:
    """Write each counterexample (and, ``with_paths``, each shortest path to a step) as a
    scenario file in ``folder``; the names written."""
    import yaml

    from ..outputs import OutputError, check_output, write_output

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        fail(f"cspr: cannot make {folder}: {error.strerror}")
    process = result.process
    reference = os.path.relpath(path.resolve(), folder.resolve())
    documents: list[tuple[str, dict[str, Any]]] = []
    for checked in result.properties:
        if checked.holds or not checked.counterexample:
            continue
        prop = checked.property
        documents.append(
            (
                f"{process.id}_violates_{prop.id}.yaml",
                scenario_of(
                    process,
                    checked.counterexample,
                    f"Counterexample: {prop.title}",
                    f"Found by cspr explore: property '{prop.id}' fails ({checked.why}). "
                    "The case ends in the steps expected below, where it fails.",
                    reference,
                    checked.states,
                ),
            )
        )
    if with_paths:
        for state, steps in result.paths.items():
            last = result.path_ends.get(state, [])
            documents.append(
                (
                    f"{process.id}_path_to_{state}.yaml",
                    scenario_of(
                        process,
                        steps,
                        f"Shortest path to '{process.states[state].label}'",
                        f"Found by cspr explore: the shortest way a case reaches '{state}'.",
                        reference,
                        last,
                    ),
                )
            )
    written = []
    header = f"# yaml-language-server: $schema={_schema_ref(folder)}\n"
    for name, document in documents:
        target = folder / name
        text = header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=88)
        try:
            check_output(target, force=True, store_location=None)
            write_output(target, text.encode("utf-8"))
        except OutputError as error:
            fail(f"cspr: {error}")
        written.append(str(target))
    return written


def _schema_ref(folder: Path) -> str:
    schema = Path(__file__).resolve().parent.parent.parent / "schemas" / "scenario.schema.json"
    return os.path.relpath(schema, folder.resolve())


def scenario_of(
    process: Process,
    steps: list[Step],
    title: str,
    description: str,
    process_ref: str,
    states: list[str],
    facts: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A scenario document (as ``cspr scenario run`` reads it) that replays ``steps``
    and expects the case to end in ``states`` (innermost) with ``facts``."""
    from ..run import facts as fact_values

    opening = steps[0]
    document: dict[str, Any] = {
        "scenario": title,
        "description": description,
        "process": process_ref,
        "opened_on": opening.on.isoformat(),
    }
    if opening.facts:
        document["facts"] = {k: fact_values.to_json(v) for k, v in opening.facts.items()}
    played: list[dict[str, Any]] = []
    for step in steps[1:]:
        played.append(step.as_json())
    expect: dict[str, Any] = {"states": list(states)}
    if facts:
        expect["facts"] = {k: v for k, v in facts.items()}
    played.append({"expect": expect})
    document["steps"] = played
    return document
