"""The shipped CSPR process's main path, and three engines driven along it in memory.

The path is the scenario ``processes/scenarios/cspr_local_review_published.yaml`` (a local
review decided, the Panel declining a national review, the report sent and published,
then kept public for a year), played once through the real runtime on a scratch store to
learn each event, its date and the facts given with it (the events ``cspr tick`` raises
included). Each driver then replays those events on the same chart:

- :class:`Ours`: what ``cspr case send`` does per event, without the store
  (:meth:`engine.record.Core.apply`: the clock, the interpreter resumed
  from the stored configuration, deadlines armed, closed and recomputed, the history row);
- :class:`OursInterpreterOnly`: only :func:`engine.interpreter.execute`;
- :class:`OursChartOnly`: only :func:`engine.run.chart.run`, the same chart compiled for
  python-statemachine (what the test suite checks the interpreter against);
- :class:`PythonStatemachine`: python-statemachine's own ``statemachine.io`` loading the
  same definition (:func:`engine.chart.definition`), one machine kept running, ``send()``;
- :class:`Sismic`: Sismic's interpreter on the exported chart (:mod:`bench.sismic_export`),
  ``queue()`` and ``execute()``.

Every driver reports the steps the case is in after each event, and :func:`check_agree`
refuses a figure from an engine that went elsewhere.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from cspr_engine.cases.runtime import Runtime
from cspr_engine.format.loader import build_cached, read_bundle
from cspr_engine.model import Process
from cspr_engine.run import chart, interpreter
from cspr_engine.run import facts as fact_values
from cspr_engine.run.record import Core, Entry
from cspr_engine.run.records import CaseRecord
from cspr_engine.store.database import Store

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "processes" / "scenarios" / "cspr_local_review_published.yaml"


@dataclass(frozen=True)
class Step:
    event: str
    on: dt.date
    facts: dict[str, Any]
    #: Raised by a deadline passing: our engine's clock sends it itself on that date.
    raised: bool = False


@dataclass(frozen=True)
class MainPath:
    process: Process
    key: str
    opened_on: dt.date
    facts: dict[str, Any]
    opened: CaseRecord
    steps: tuple[Step, ...]


def main_path(scenario: Path = SCENARIO) -> MainPath:
    """Play ``scenario`` through the runtime once; its events, dates and given facts."""
    data = yaml.safe_load(scenario.read_text(encoding="utf-8"))
    bundle = read_bundle(ROOT / "processes" / f"{data['process']}.yaml")
    process = build_cached(bundle)
    typed = {k: fact_values.coerce(process, k, v) for k, v in (data.get("facts") or {}).items()}
    today = _date(data["opened_on"])
    steps: list[Step] = []
    with tempfile.TemporaryDirectory() as scratch, Store(Path(scratch) / "path.db") as store:
        rt = Runtime(store, ROOT / "processes")
        opened = rt.open(data["process"], typed, on=today, by="bench")
        key = str(opened.id)
        for step in data["steps"]:
            when = step.get("on", step.get(True))  # YAML 1.1 reads the key 'on' as true
            if when is not None:
                today = _date(when)
            if "send" in step and not step.get("refused"):
                given = {
                    k: fact_values.coerce(process, k, v)
                    for k, v in (step.get("facts") or {}).items()
                }
                rt.send(key, step["send"], on=today, facts=given, by="bench")
                steps.append(Step(step["send"], today, given))
            elif "set" in step:
                raise ValueError("the main path has no 'set' steps; add them to the drivers")
            elif "tick" in step:
                today = _date(step["tick"])
                for entry in rt.tick(today, by="bench"):
                    if entry["raised"]:
                        day_after = _date(entry["due"]) + dt.timedelta(days=1)
                        steps.append(Step(entry["raised"], day_after, {}, raised=True))
    return MainPath(process, bundle.hash, _date(data["opened_on"]), typed, opened, tuple(steps))


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


# -- drivers ------------------------------------------------------------------------------


class Ours:
    """The runtime's per-event work without the store."""

    name = "our engine (refusal check + runtime step)"

    def __init__(self, path: MainPath):
        self.path = path
        self.core = Core(path.process, interpreter.execute)

    def start(self) -> None:
        self.record = self.path.opened

    def send(self, step: Step) -> None:
        if step.raised:  # the clock raises it on its date
            self.record = self.core.clock(self.record, step.on).case
            return
        entry = Entry(self.record.revision + 1, "send", step.on, step.event, step.facts)
        self.record = self.core.apply(self.record, entry).case

    def leaves(self) -> list[str]:
        return sorted(self.path.process.leaves(self.record.states))


class OursInterpreterOnly:
    """Only the engine's interpreter, resumed from the case's active states per event."""

    name = "our interpreter alone (engine.run.interpreter.execute)"

    def __init__(self, path: MainPath):
        self.path = path

    def start(self) -> None:
        self.facts = dict(self.path.facts)
        self.active, _ = interpreter.execute(
            self.path.process, self.path.key, self.facts, self.path.opened_on, [], None
        )

    def send(self, step: Step) -> None:
        self.facts.update(step.facts)
        self.active, _ = interpreter.execute(
            self.path.process, self.path.key, self.facts, step.on, self.active, step.event
        )

    def leaves(self) -> list[str]:
        return sorted(self.path.process.leaves(self.active))


class OursChartOnly:
    """The chart compiled for python-statemachine (the cross-check of the interpreter),
    resumed from the case's configuration for each event."""

    name = "our python-statemachine chart (engine.run.chart.run)"

    def __init__(self, path: MainPath):
        self.path = path
        self.chart = chart.chart_for(path.process, path.key)
        self.conditions = path.process.expressions

    def start(self) -> None:
        self.subject = chart.Subject(
            dict(self.path.facts), self.path.opened_on, self.conditions, state=None
        )
        chart.run(self.chart, self.subject, None)

    def send(self, step: Step) -> None:
        self.subject.facts.update(step.facts)
        self.subject.today = step.on
        self.subject.journal.clear()
        chart.run(self.chart, self.subject, step.event)

    def leaves(self) -> list[str]:
        return sorted(self.path.process.leaves(self.subject.active()))


class PythonStatemachine:
    """python-statemachine's ``statemachine.io`` on the same definition; no layer of ours."""

    name = "python-statemachine (statemachine.io)"

    def __init__(self, path: MainPath):
        from statemachine.io import create_machine_class_from_definition

        self.path = path
        self.cls = create_machine_class_from_definition(
            chart.class_name(path.process), **chart.definition(path.process)
        )
        self.conditions = path.process.expressions

    def start(self) -> None:
        self.subject = chart.Subject(dict(self.path.facts), self.path.opened_on, self.conditions)
        self.machine = self.cls(model=self.subject)

    def send(self, step: Step) -> None:
        self.subject.facts.update(step.facts)
        self.subject.today = step.on
        self.machine.send(chart.event_name(step.event))

    def leaves(self) -> list[str]:
        return sorted(self.path.process.leaves(self.subject.active()))


class Sismic:
    """Sismic's interpreter on the exported chart."""

    name = "Sismic (interpreter)"

    def __init__(self, path: MainPath):
        from sismic.io import import_from_yaml

        from .sismic_export import to_yaml

        self.path = path
        self.statechart = import_from_yaml(to_yaml(path.process))

    def start(self) -> None:
        from sismic.interpreter import Interpreter

        from .sismic_export import initial_context

        context = initial_context(self.path.process, self.path.facts, self.path.opened_on)
        self.interpreter = Interpreter(self.statechart, initial_context=context)
        self.interpreter.execute()

    def send(self, step: Step) -> None:
        context = self.interpreter.context
        context.update(step.facts)  # type: ignore[attr-defined]
        context["today"] = step.on  # type: ignore[index]
        self.interpreter.queue(step.event)
        self.interpreter.execute()

    def leaves(self) -> list[str]:
        process = self.path.process
        if self.interpreter.final:
            # Sismic stops, leaving nothing active, once a top-level final state is
            # entered; python-statemachine stays in it. Compare the state entered last.
            journal = self.interpreter.context["_journal"]
            return [next(item for kind, item in reversed(journal) if kind == "enter")]
        return sorted(
            process.leaves([s for s in self.interpreter.configuration if s in process.states])
        )


DRIVERS = (Ours, OursChartOnly, PythonStatemachine, Sismic)


def check_agree(path: MainPath, drivers: list[Any]) -> None:
    """Drive every engine along the path; raise if any is in other steps than ours."""
    for driver in drivers:
        driver.start()
    for index, step in enumerate(path.steps):
        seen = {}
        for driver in drivers:
            driver.send(step)
            seen[driver.name] = driver.leaves()
        reference = seen[drivers[0].name]
        for name, leaves in seen.items():
            if leaves != reference:
                raise AssertionError(
                    f"after event {index + 1} ({step.event}) {name} is in {leaves}, "
                    f"but {drivers[0].name} is in {reference}"
                )
