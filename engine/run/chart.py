"""Model → python-statemachine ``StateChart`` class, built once per process version.

The compiled chart knows nothing of stores or dates: guards read a :class:`Subject`
(the case's facts, the event's date and its active states) and actions report what
happened back to it (states entered and left, transitions taken). The runtime turns that
journal into deadlines and history.

Names: a policy lead may call a state or an event anything the schema accepts, and many
such names mean something to python-statemachine (``prepare``, ``send``, ``model``; an
event ``after_review`` beside ``review``, ``on_enter_x`` beside a state ``x``, ``done``
matching ``done.state.*`` by SCXML's prefix rule, ``error_x`` declaring ``error.x``). So no
id of the process is handed to it as a name: state ``x`` is ``s_x`` and event ``x`` is
``e_x`` (:func:`state_name`, :func:`event_name`), and a state's value (what the model's
``state`` field holds, which a machine also refuses as an attribute name) is its compiled
name too. No attribute, naming convention or internal event of python-statemachine
starts ``s_`` or ``e_``, and the two prefixes keep states and events apart. The way back
is kept at the edges: :meth:`Subject.active` and the guards read the process's ids, the
journal records the process's ids and transitions, and :func:`run` takes the process's
event ids, so what :func:`execute` takes and gives back is the interpreter's, id for id.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from statemachine import StateChart
from statemachine.io import create_machine_class_from_definition
from statemachine.orderedset import OrderedSet

from ..conditions import Context, Expression
from ..model import Process, State, Transition
from .steps import Journal, Step, done_event


@dataclass
class Subject:
    """What a running chart reads and writes: python-statemachine's "model" object.

    ``state`` is python-statemachine's field: the compiled names of the active states
    (``s_x``; see :func:`resumed` to fill it from the process's ids)."""

    facts: dict[str, Any]
    today: dt.date
    conditions: Mapping[str, Expression]
    state: Any = None
    journal: Journal = field(default_factory=list)

    def compiled(self) -> list[str]:
        """The active states by their compiled names, in python-statemachine's order."""
        value = self.state
        if value is None:
            return []
        if isinstance(value, (set, OrderedSet, list, tuple)):
            return list(value)
        return [value]

    def active(self) -> list[str]:
        """The active states by the process's ids."""
        return [name[_PREFIX_LENGTH:] for name in self.compiled()]

    def context(self) -> Context:
        return Context({**self.facts, "today": self.today}, self.conditions, set(self.active()))

    def took(self, transition: Transition) -> None:
        self.journal.append(Step.took(transition))
        if transition.records:
            self.facts[transition.records] = self.today

    def entered(self, state_id: str) -> None:
        self.journal.append(Step.entered(state_id))

    def left(self, state_id: str) -> None:
        self.journal.append(Step.exited(state_id))


def _guard(expression: Expression) -> Callable[..., bool]:
    def guard(model: Subject) -> bool:
        return expression.evaluate(model.context()) is True

    guard.__name__ = f"guard_{abs(hash(expression.text))}"
    return guard


def _action(method: str, argument: Any) -> Callable[..., None]:
    def action(model: Subject) -> None:
        getattr(model, method)(argument)

    action.__name__ = f"{method}_{abs(hash(repr(argument)))}"
    return action


#: Prefixes of the compiled names of states and events (see the module's docstring).
STATE_PREFIX, EVENT_PREFIX = "s_", "e_"
_PREFIX_LENGTH = 2


def state_name(state_id: str) -> str:
    """The python-statemachine id of the process's state ``state_id``."""
    return STATE_PREFIX + state_id


def event_name(event_id: str) -> str:
    """The python-statemachine event of the process's event ``event_id``: what to
    ``send()`` to a machine of a compiled chart."""
    return EVENT_PREFIX + event_id


def process_id(name: str) -> str:
    """The process's id of a compiled state or event name (``s_x`` or ``e_x``: ``x``), or
    of the ``done.state`` event of a compiled state."""
    if name.startswith("done.state."):
        return done_event(process_id(name[len("done.state.") :]))
    if name.startswith((STATE_PREFIX, EVENT_PREFIX)):
        return name[_PREFIX_LENGTH:]
    raise ValueError(f"{name!r} is not a name chart.py gives a state or an event")


def _transition(transition: Transition) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "target": state_name(transition.target),
        "on": [_action("took", transition)],
    }
    if transition.guard is not None:
        spec["cond"] = [_guard(transition.guard)]
    return spec


def _state(process: Process, state: State, initial: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": state.label,
        "enter": [_action("entered", state.id)],
        "exit": [_action("left", state.id)],
    }
    if initial:
        spec["initial"] = True
    if state.kind == "final":
        spec["final"] = True
    if state.kind == "parallel":
        spec["parallel"] = True
    if state.children:
        spec["states"] = {
            state_name(child): _state(
                process,
                process.states[child],
                state.kind == "parallel" or child == state.initial,
            )
            for child in state.children
        }
    on: dict[str, list[dict[str, Any]]] = {}
    eventless = []
    for transition in state.transitions:
        if transition.trigger == "always":
            eventless.append(_transition(transition))
        else:
            if transition.trigger == "event":
                event = event_name(str(transition.event))
            else:
                event = done_event(state_name(state.id))
            on.setdefault(event, []).append(_transition(transition))
    if on:
        spec["on"] = on
    if eventless:
        spec["transitions"] = eventless
    return spec


def definition(process: Process) -> dict[str, Any]:
    """The chart as python-statemachine's ``statemachine.io`` definition: keyword arguments
    for ``create_machine_class_from_definition`` (states, their transitions, guards and
    actions, and the engine's options)."""
    return {
        "states": {
            state_name(top): _state(process, process.states[top], top == process.initial)
            for top in process.top_states
        },
        # A guard or action that fails must fail the operation, not become an event.
        "catch_errors_as_events": False,
        "allow_event_without_transition": True,
        "validate_final_reachability": False,
    }


def class_name(process: Process) -> str:
    return f"{process.id}_{process.version}".replace("-", "_")


def compile_chart(process: Process) -> type[StateChart]:
    """A fresh ``StateChart`` subclass for ``process``; prefer :func:`chart_for`."""
    return create_machine_class_from_definition(class_name(process), **definition(process))


_CHARTS: dict[str, type[StateChart]] = {}


def chart_for(process: Process, key: str) -> type[StateChart]:
    """The chart class for a process version, compiled once per ``key`` (its text hash)."""
    chart = _CHARTS.get(key)
    if chart is None:
        chart = _CHARTS[key] = compile_chart(process)
    return chart


#: An event sent only to let eventless transitions look at new facts: no transition
#: listens for it, and no event of a process compiles to it (theirs start ``e_``).
RECHECK = "facts_recorded"


def run(
    chart: type[StateChart],
    subject: Subject,
    event: str | None,
) -> Subject:
    """Start (``subject.state`` empty) or resume the chart and deliver ``event``.

    ``event`` is the process's event id (sent as :func:`event_name`); ``event=None`` only
    re-evaluates eventless transitions (after facts change).
    """
    with _SEATS_LOCK:
        machine = _seated_machine(chart)
        seat = machine.model
        seat.facts, seat.today = subject.facts, subject.today
        seat.conditions, seat.journal = subject.conditions, subject.journal
        try:
            if subject.state is None:
                seat.state = None
                machine.activate_initial_state()  # enters the initial configuration
                if event is not None:
                    machine.send(event_name(event))
            else:
                seat.state = OrderedSet(subject.compiled())
                machine.send(RECHECK if event is None else event_name(event))
            subject.state = seat.compiled()
        except BaseException:
            del _SEATS[chart]  # whatever it holds half-done is not reused
            raise
        finally:
            seat.facts, seat.journal, seat.state = {}, [], OrderedSet()
    return subject


def execute(
    process: Process,
    key: str,
    facts: dict[str, Any],
    today: dt.date,
    active: list[str],
    event: str | None,
) -> tuple[list[str], Journal]:
    """:func:`engine.interpreter.execute`, done by python-statemachine: the same
    arguments and the same answer, which the test suite checks step by step."""
    subject = resumed(Subject(facts, today, process.expressions), active)
    run(chart_for(process, key), subject, event)
    return subject.active(), subject.journal


def resumed(subject: Subject, active: list[str]) -> Subject:
    """``subject`` in the process's states ``active`` (none: not started)."""
    subject.state = [state_name(state) for state in active] or None
    return subject


class Diverged(Exception):
    """The engine's interpreter and python-statemachine took one change differently: a
    bug in one of them, or a chart whose meaning the two read differently."""


def cross_checked(
    process: Process,
    key: str,
    facts: dict[str, Any],
    today: dt.date,
    active: list[str],
    event: str | None,
) -> tuple[list[str], Journal]:
    """:func:`engine.interpreter.execute`, run again on python-statemachine; raises
    :class:`Diverged` unless both end in the same states, having left, taken and entered
    the same things in the same order and recorded the same facts."""
    from . import interpreter

    their_facts = dict(facts)  # fact values are immutable: a shallow copy is a copy
    theirs = execute(process, key, their_facts, today, list(active), event)
    ours = interpreter.execute(process, key, facts, today, list(active), event)
    differences = []
    if ours[0] != theirs[0]:
        differences.append(f"states after: engine {ours[0]}, python-statemachine {theirs[0]}")
    if ours[1] != theirs[1]:
        pairs = enumerate(zip(ours[1], theirs[1], strict=False))
        at = next((i for i, (a, b) in pairs if a != b), min(len(ours[1]), len(theirs[1])))
        differences.append(
            f"step {at + 1} of the change: engine {_step(ours[1], at)}, "
            f"python-statemachine {_step(theirs[1], at)}"
        )
    if facts != their_facts:
        differences.append(f"facts: engine {facts}, python-statemachine {their_facts}")
    if differences:
        raise Diverged(
            f"{process.id}: '{event or 'automatic steps'}' on {today} from "
            f"{', '.join(active) or 'the start'}: " + "; ".join(differences)
        )
    return ours


def _step(journal: Journal, index: int) -> str:
    if index >= len(journal):
        return "nothing more"
    step = journal[index]
    if step.kind == "transition":
        t = step.transition
        return f"takes {t.source_state} → {t.target} ({t.label})"
    return f"{'leaves' if step.kind == 'exit' else 'enters'} {step.state}"


#: One running machine per chart class, resumed for each case in turn: creating a machine
#: binds every guard and action of the chart (about 10 ms for the CSPR chart, ten times
#: the cost of an event), while resuming one only needs its model's configuration set.
_SEATS: dict[type[StateChart], StateChart] = {}
#: The machines are shared; python-statemachine would drop an event sent to a machine
#: that is busy, so cases take turns.
_SEATS_LOCK = threading.Lock()


def _seated_machine(chart: type[StateChart]) -> StateChart:
    machine = _SEATS.get(chart)
    if machine is not None and machine.is_terminated:
        # A machine that reached a top-level final state stops its engine; engines are
        # cheap, so give it a new one rather than binding every callback again.
        try:
            machine._engine = machine._get_engine()
        except AttributeError:  # another python-statemachine: a new machine will do
            machine = None
    if machine is None or machine.is_terminated:
        # Created with a configuration already set, a machine enters no initial state.
        some_state = next(iter(chart.states_map))
        seat = Subject({}, dt.date.min, {}, state=OrderedSet([some_state]))
        machine = _SEATS[chart] = chart(model=seat)
    return machine
