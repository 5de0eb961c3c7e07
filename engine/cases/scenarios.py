"""Scenario files: a case stepped through a process on a simulated calendar.

A policy lead writes the facts, the events with their dates, and what should then be
true (active states, deadline dates and statuses, events refused). :func:`run_file`
plays it against a throw-away in-memory store through the same :class:`Runtime` the
``cspr`` command uses, so a passing scenario is evidence about the real engine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..dates import DateError, parse_date
from ..format import yamlsource
from ..format.loader import LoadError
from ..format.shape import shape_problems
from ..model import Transition
from ..problems import Location, Problem
from ..store.database import Store
from .runtime import Refused, Runtime


@dataclass
class Outcome:
    """One scenario's result: passed, or the differences found."""

    file: str
    title: str
    failures: list[str] = field(default_factory=list)
    taken: list[Transition] = field(default_factory=list)
    process_file: str | None = None

    @property
    def passed(self) -> bool:
        return not self.failures


def find_files(paths: Iterable[str]) -> list[Path]:
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files.extend(sorted(path.rglob("*.y*ml")))
        else:
            files.append(path)
    return files


def run_file(path: Path, processes_dir: Path | None = None, cross_check: bool = False) -> Outcome:
    """Run one scenario file; problems with the file itself are failures too.

    ``cross_check`` runs every change on python-statemachine too (see
    :func:`engine.chart.cross_checked`); any difference is a failure."""
    outcome = Outcome(str(path), path.stem)
    try:
        document = yamlsource.read(yamlsource.decode(path.read_bytes(), str(path)), str(path))
    except (OSError, yamlsource.YamlProblem) as error:
        outcome.failures.append(str(error))
        return outcome
    problems = shape_problems(document, "scenario")
    if problems:
        outcome.failures.extend(str(p) for p in problems)
        return outcome
    data = document.data
    outcome.title = data["scenario"]
    with Store(":memory:") as store:
        runtime = Runtime(store, processes_dir or _processes_dir_for(path))
        runtime.taken = outcome.taken
        disagreement: type[Exception] | tuple[()] = ()
        if cross_check:
            from ..run.chart import Diverged, cross_checked

            runtime.execute, disagreement = cross_checked, Diverged
        try:
            _play(runtime, path, document, outcome)
        except (Refused, LoadError) as error:
            outcome.failures.append(str(error))
        except disagreement as error:
            outcome.failures.append(f"the engine and python-statemachine disagree: {error}")
    return outcome


def _processes_dir_for(path: Path) -> Path:
    for folder in (path.parent, *path.parents):
        if (folder / "processes").is_dir():
            return folder / "processes"
        if folder.name == "processes":
            return folder
    return Path("processes")


def _date(document: yamlsource.Document, path: tuple, text: Any) -> dt.date:
    try:
        return parse_date(str(text))
    except DateError as error:
        raise Refused(f"{document.where(path)}: {error}") from None


def _play(runtime: Runtime, path: Path, document: yamlsource.Document, outcome: Outcome) -> None:
    data = document.data
    process = data["process"]
    if process.endswith((".yaml", ".yml")):
        process = str(path.parent / process)
    today = _date(document, ("opened_on",), data["opened_on"])
    record = runtime.open(process, data.get("facts") or {}, on=today, by="scenario")
    key = str(record.id)
    outcome.process_file = runtime.process_of(record).file
    for index, step in enumerate(data["steps"]):
        here = document.where(("steps", index))
        if "on" in step and "correct" not in step:  # a correction's date is the entry's
            today = _date(document, ("steps", index, "on"), step["on"])
        try:
            if "send" in step:
                _attempt(
                    runtime.change,
                    step,
                    here,
                    outcome,
                    key,
                    "send",
                    step.get("facts") or {},
                    step["send"],
                    today,
                    "scenario",
                    step.get("note"),
                )
            elif "set" in step:
                if not step["set"]:
                    raise Refused(f"{here}: give at least one fact to set")
                _attempt(
                    runtime.change,
                    step,
                    here,
                    outcome,
                    key,
                    "set",
                    step["set"],
                    None,
                    today,
                    "scenario",
                    step.get("note"),
                )
            elif "correct" in step:
                _attempt(
                    runtime.correct,
                    step,
                    here,
                    outcome,
                    key,
                    step["correct"],
                    step["reason"],
                    _date(document, ("steps", index, "on"), step["on"]) if "on" in step else None,
                    step.get("facts") or {},
                    bool(step.get("void")),
                    "scenario",
                )
            elif "tick" in step:
                today = _date(document, ("steps", index, "tick"), step["tick"])
                runtime.tick(today, by="scenario")
            else:
                expectation = step["expect"]
                as_of = today
                if "as_of" in expectation:
                    as_of = _date(
                        document, ("steps", index, "expect", "as_of"), expectation["as_of"]
                    )
                _check(runtime, key, expectation, as_of, here, outcome)
        except Refused as error:
            outcome.failures.append(f"{here}: refused: {error}")


def _attempt(action, step, here: Location, outcome: Outcome, *args, **kwargs) -> None:
    expected_refusal = step.get("refused", False)
    try:
        done = action(*args, **kwargs)
    except Refused as error:
        if not expected_refusal:
            outcome.failures.append(f"{here}: refused: {error}")
        elif step.get("reason") and step["reason"] not in str(error):
            outcome.failures.append(
                f"{here}: refused as expected, but the reason does not say "
                f"'{step['reason']}': {error}"
            )
        return
    if expected_refusal:
        outcome.failures.append(f"{here}: expected a refusal, but it was accepted")
    said = "; ".join(getattr(done, "changes", None) or [])
    for words in step.get("changes") or []:
        if words not in said:
            outcome.failures.append(
                f"{here}: expected the change to say '{words}'; it said: {said or 'nothing'}"
            )


def _check(
    runtime: Runtime, key: str, expect: dict, as_of: dt.date, here: Location, outcome: Outcome
) -> None:
    view = runtime.show(key, as_of)
    active = set(view.record.states)
    shown = ", ".join(view.process.sort_outermost_first(active))

    def fail(message: str) -> None:
        outcome.failures.append(f"{here}: {message}")

    for state in expect.get("states", []):
        if state not in active:
            fail(f"expected state '{state}' active; active: {shown}")
    for state in expect.get("not_states", []):
        if state in active:
            fail(f"expected state '{state}' not active; active: {shown}")
    events = {e.name: e for e in view.events}
    for event in expect.get("allowed", []):
        check = events.get(event)
        if check is None or not check.allowed:
            fail(
                f"expected '{event}' allowed; "
                + (check.reason if check else f"not expected now (active: {shown})")
            )
    for event in expect.get("refused", []):
        if event in events and events[event].allowed:
            fail(f"expected '{event}' refused, but it is allowed")
    for name, value in (expect.get("facts") or {}).items():
        actual = view.record.facts.get(name)
        if str(actual).lower() != str(value).lower():
            fail(f"fact {name}: expected {value}, got {actual}")
    latest = {d.name: d for d in view.deadlines}
    for name, wanted in (expect.get("deadlines") or {}).items():
        deadline = latest.get(name)
        if wanted.get("absent"):
            if deadline is not None:
                fail(f"deadline {name}: expected absent, but armed (due {deadline.due})")
            continue
        if deadline is None:
            fail(f"deadline {name}: expected, but never armed; armed: {', '.join(latest)}")
            continue
        due = deadline.due.isoformat() if deadline.due else "unknown"
        if "due" in wanted and str(wanted["due"]) != due:
            fail(
                f"deadline {name}: expected due {wanted['due']}, got {due} ({deadline.explanation})"
            )
        if "status" in wanted and wanted["status"] != deadline.status:
            fail(
                f"deadline {name}: expected {wanted['status']}, got {deadline.status} as of {as_of}"
            )


def uncovered(outcomes: list[Outcome], processes: Iterable[Any]) -> list[Problem]:
    """Transitions of ``processes`` that no scenario took, as located problems."""
    taken = {t.where for o in outcomes for t in o.taken}
    return [
        Problem(t.where, f"no scenario takes '{t.label}' from '{t.source_state}' to '{t.target}'")
        for process in processes
        for t in process.transitions()
        if t.where not in taken
    ]
