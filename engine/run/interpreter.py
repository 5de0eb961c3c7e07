"""The statechart run straight on the model: the engine's own interpreter.

A case moves by the rules of python-statemachine 3, which follow the W3C SCXML algorithm:
an event is taken by the innermost active state with an enabled transition for it (the
first enabled in document order within a state, one per parallel region); automatic
("as soon as") transitions and ``done.state`` events are then taken until nothing more is
enabled; a state is left when a transition leaves its parent's domain, children before
parents, and entered parents before children, with the default children of compound and
parallel states.

:mod:`engine.chart` compiles the same model into a python-statemachine class, and the test
suite drives every shipped scenario through both and compares every step they take. The
runtime uses this module because it works on the plain model: nothing to bind per machine
and no callbacks to dispatch, so an event costs tens of microseconds rather than a
millisecond (see ``bench/run.py``), and replaying years of history stays quick.

Where python-statemachine breaks a tie by the order it numbers states in, this module
numbers them the same way (:func:`_numbering`), so both give the same journal.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..conditions import ConditionMemo, Context, Expression
from ..frozen import Frozen, replace
from ..frozen import field as record_field
from ..model import Process, Transition
from .steps import Journal, Step, done_event


class _Node(Frozen):
    """What the interpreter needs of one state, worked out once per process."""

    id: str
    parent: str | None
    #: Nearest first.
    ancestors: tuple[str, ...]
    children: tuple[str, ...]
    initial: str | None
    parallel: bool
    compound: bool
    final: bool
    #: python-statemachine's ``document_order`` (see :func:`_numbering`).
    order: int
    always: tuple[Transition, ...]
    #: Event name (``done.state.<id>`` for "when done") → transitions in document order.
    on: Mapping[str, tuple[Transition, ...]]
    #: For an atomic state: of itself and its ancestors, nearest first (where a
    #: transition is looked for), those with automatic transitions, and by event those
    #: with transitions for it.
    lineage_always: tuple[_Node, ...] = ()
    lineage_on: Mapping[str, tuple[_Node, ...]] = record_field(default_factory=dict)


class Chart(Frozen):
    """A process prepared for running: each state's ancestors, children and transitions
    indexed by event. Build one with :func:`chart_of`."""

    process: Process
    nodes: Mapping[str, _Node]
    conditions: Mapping[str, Expression]
    #: Named conditions, and guards by their text, that read which states are active
    #: (themselves or through the conditions they name): the others stay decided for
    #: as long as the facts stay put.
    read_states: frozenset[str] = frozenset()
    #: Each transition's domain (by the transition's id): the innermost compound state
    #: holding its source and target, ``None`` for the whole chart. Taking it leaves the
    #: active states inside the domain.
    domains: Mapping[int, str | None] = record_field(default_factory=dict)
    #: The states strictly inside each state.
    inside: Mapping[str, frozenset[str]] = record_field(default_factory=dict)
    #: Named conditions decided before (the process's conditions never change).
    memo: ConditionMemo | None = record_field(default=None, compare=False, repr=False)

    def is_descendant(self, state: str, ancestor: str) -> bool:
        """Whether ``state`` lies strictly inside ``ancestor``."""
        return ancestor in self.nodes[state].ancestors

    def domain(self, transition: Transition) -> str | None:
        return self.domains[id(transition)]


def _numbering(process: Process) -> dict[str, int]:
    """python-statemachine's state numbers: the first child of a state numbered ``n`` is
    ``n + 1`` and each later sibling one more, so numbers repeat across branches. States
    entered or left together are sorted by it, ties kept in the order they were found."""
    numbers: dict[str, int] = {}

    def number(states: tuple[str, ...], first: int) -> None:
        for offset, state in enumerate(states):
            numbers[state] = first + offset
            number(process.states[state].children, first + offset + 1)

    number(process.top_states, 1)
    return numbers


def _build(process: Process) -> Chart:
    numbers = _numbering(process)
    nodes = {}
    for state in process.states.values():
        on: dict[str, list[Transition]] = {}
        for transition in state.transitions:
            if transition.trigger == "event":
                on.setdefault(str(transition.event), []).append(transition)
            elif transition.trigger == "done":
                on.setdefault(done_event(state.id), []).append(transition)
        nodes[state.id] = _Node(
            id=state.id,
            parent=state.parent,
            ancestors=tuple(process.ancestors(state.id)),
            children=state.children,
            initial=state.initial or (state.children[0] if state.children else None),
            parallel=state.kind == "parallel",
            compound=bool(state.children) and state.kind != "parallel",
            final=state.kind == "final",
            order=numbers[state.id],
            always=tuple(t for t in state.transitions if t.trigger == "always"),
            on={event: tuple(ts) for event, ts in on.items()},
        )
    for node in list(nodes.values()):
        if not node.children:
            lineage = (node, *(nodes[a] for a in node.ancestors))
            listening: dict[str, list[_Node]] = {}
            for owner in lineage:
                for event in owner.on:
                    listening.setdefault(event, []).append(owner)
            nodes[node.id] = replace(
                node,
                lineage_always=tuple(n for n in lineage if n.always),
                lineage_on={event: tuple(owners) for event, owners in listening.items()},
            )
    conditions = process.expressions
    guards = {t.guard.text: t.guard for t in process.transitions() if t.guard is not None}
    inside = {state: frozenset(process.descendants(state)) for state in process.states}
    domains = {id(t): _domain(nodes, inside, t) for t in process.transitions()}
    return Chart(
        process,
        nodes,
        conditions,
        _reading_states(conditions, guards),
        domains,
        inside,
        ConditionMemo(conditions),
    )


def _domain(
    nodes: Mapping[str, _Node], inside: Mapping[str, frozenset[str]], transition: Transition
) -> str | None:
    for ancestor in nodes[transition.source_state].ancestors:
        if nodes[ancestor].compound and transition.target in inside[ancestor]:
            return ancestor
    return None


def _reading_states(
    conditions: Mapping[str, Expression], guards: Mapping[str, Expression]
) -> frozenset[str]:
    """The named conditions, and guards by their text, whose value can change when the
    active states do: those that test a state (``STATE is active``), themselves or through
    the conditions they name. A name may be both a state and a fact (``escalated is active
    and escalated``): it counts as read as a state all the same."""
    named_by: dict[str, list[str]] = {}
    for name, expression in conditions.items():
        for used in expression.names:
            named_by.setdefault(used, []).append(name)
    pending = [name for name, expression in conditions.items() if expression.states]
    reading = set(pending)
    while pending:  # a condition naming one that reads states reads them too
        for user in named_by.get(pending.pop(), ()):
            if user not in reading:
                reading.add(user)
                pending.append(user)
    reading |= {t for t, e in guards.items() if e.states or e.names & reading}
    return frozenset(reading)


#: Charts by process object; the process is kept so its id is never reused meanwhile.
_CHARTS: dict[int, tuple[Process, Chart]] = {}


def chart_of(process: Process) -> Chart:
    """The prepared chart of a process, built once per process object."""
    entry = _CHARTS.get(id(process))
    if entry is None or entry[0] is not process:
        entry = _CHARTS[id(process)] = (process, _build(process))
    return entry[1]


#: Micro-steps one change may take before its automatic steps count as never settling.
MAX_SETTLING_STEPS = 10_000


class Unsettled(Exception):
    """Automatic transitions that go round for ever: each is taken as soon as its
    condition holds, and the conditions of a loop of them all hold at once. A mistake in
    the process file, said in words with the loop it found."""

    def __init__(self, journal: Journal) -> None:
        loop: list[Transition] = []
        for step in reversed(journal):
            if step.kind != "transition":
                continue
            transition = step.transition
            if any(transition is t for t in loop):
                break
            loop.append(transition)
        ways = "; ".join(
            f"{t.source_state} → {t.target}"
            + (f" (when {t.guard.text})" if t.guard is not None else "")
            + f" at {t.where}"
            for t in reversed(loop)
        )
        super().__init__(
            f"the process's automatic steps never settle: after {MAX_SETTLING_STEPS:,} in "
            f"one change they still go round {ways}. Each is taken as soon as its condition "
            "holds, and here the conditions all hold together: make one of them exclusive "
            "of the others (for example `when: x` on one and `when: not x` on the next)"
        )


@dataclass
class Run:
    """One change to a case: the configuration it moves, the facts transitions record,
    and the journal of what happened (:class:`~engine.run.steps.Step`: a state left, a
    transition taken, a state entered) in the order it happened."""

    chart: Chart
    facts: dict[str, Any]
    today: dt.date
    #: Active states in the order python-statemachine keeps them (an ordered set).
    configuration: dict[str, None] = field(default_factory=dict)
    journal: Journal = field(default_factory=list)
    running: bool = True
    #: Guards (by text) and named conditions decided since the facts or the active
    #: states last changed: a step forgets those that read states, and recording a fact
    #: forgets them all.
    _guards: dict[str, bool] = field(default_factory=dict)
    _conditions: dict[str, bool | None] = field(default_factory=dict)
    _context: Context | None = None
    _internal: deque[str] = field(default_factory=deque)
    _root_parallel_done: str | None = None

    @property
    def active(self) -> list[str]:
        return list(self.configuration)

    # -- the loop ---------------------------------------------------------------------

    def start(self) -> None:
        """Enter the process's initial configuration, then settle."""
        initial = self.chart.process.initial
        self._enter(self._entry_set([(None, initial)]))
        self._settle()

    def deliver(self, event: str | None) -> None:
        """Settle, take ``event`` (``None``: none, only let automatic transitions look
        again), and settle again. An event nothing listens for changes nothing."""
        self._settle()
        if not self.running or event is None:
            return
        enabled = self._select(event)
        if enabled:
            self._microstep(enabled)
        self._settle()

    def _settle(self) -> None:
        """Take automatic transitions and raised events until none is enabled (or raise
        :class:`Unsettled` if that never happens: a loop of them whose conditions all
        hold together)."""
        taken = 0
        while True:
            enabled = self._select(None)
            if not enabled:
                if not self._internal:
                    break
                enabled = self._select(self._internal.popleft())
            if enabled:
                taken += 1
                if taken > MAX_SETTLING_STEPS:
                    raise Unsettled(self.journal)
                self._microstep(enabled)
        done, self._root_parallel_done = self._root_parallel_done, None
        if done is not None and done in self.configuration and self._in_final_state(done):
            self.running = False

    # -- selecting transitions ----------------------------------------------------------

    def _select(self, event: str | None) -> list[Transition]:
        """For each active atomic state, the first enabled transition for ``event``
        (``None``: automatic ones) of the state or its nearest ancestor that has one."""
        nodes = self.chart.nodes
        # A guard written on several states (one per parallel region, say), or a named
        # condition several guards use, is decided once while nothing changes.
        decided, conditions = self._guards, self._conditions
        enabled: list[Transition] = []
        for state in self.configuration:
            node = nodes[state]
            if node.children:
                continue
            for owner in node.lineage_always if event is None else node.lineage_on.get(event, ()):
                candidates = owner.always if event is None else owner.on.get(event, ())
                found = None
                for transition in candidates:
                    guard = transition.guard
                    if guard is None:
                        found = transition
                        break
                    passes = decided.get(guard.text)
                    if passes is None:
                        if self._context is None:  # built only when a guard needs one
                            self._context = Context(
                                {**self.facts, "today": self.today},
                                self.chart.conditions,
                                set(self.configuration),
                                self.chart.memo,
                            )
                        passes = guard.evaluate(self._context, conditions) is True
                        decided[guard.text] = passes
                    if passes:
                        found = transition
                        break
                if found is not None:
                    if not any(found is t for t in enabled):
                        enabled.append(found)
                    break
        return self._without_conflicts(enabled) if len(enabled) > 1 else enabled

    def _without_conflicts(self, enabled: list[Transition]) -> list[Transition]:
        """Of transitions that would leave a state in common, keep the one from the inner
        state, else the one selected first."""
        kept: list[Transition] = []
        for candidate in enabled:
            leaves = set(self._exit_set(candidate))
            beaten: list[Transition] = []
            preempted = False
            for other in kept:
                if leaves & set(self._exit_set(other)):
                    if self.chart.is_descendant(candidate.source_state, other.source_state):
                        beaten.append(other)
                    else:
                        preempted = True
                        break
            if not preempted:
                kept = [t for t in kept if not any(t is b for b in beaten)] + [candidate]
        return kept

    # -- taking transitions -------------------------------------------------------------

    def _exit_set(self, transition: Transition) -> list[str]:
        """The active states taking ``transition`` leaves."""
        domain = self.chart.domain(transition)
        if domain is None:
            return list(self.configuration)
        inside = self.chart.inside[domain]
        return [state for state in self.configuration if state in inside]

    def _microstep(self, transitions: list[Transition]) -> None:
        nodes = self.chart.nodes
        leaving = dict.fromkeys(state for t in transitions for state in self._exit_set(t))
        for state in sorted(leaving, key=lambda s: nodes[s].order, reverse=True):
            self.journal.append(Step.exited(state))
            self.configuration.pop(state, None)
        for transition in transitions:
            self.journal.append(Step.took(transition))
            if transition.records:
                self.facts[transition.records] = self.today
                self._guards, self._conditions = {}, {}
        self._enter(self._entry_set([(t, t.target) for t in transitions]))
        self._context = None
        if self._guards or self._conditions:
            reading = self.chart.read_states
            self._guards = {t: v for t, v in self._guards.items() if t not in reading}
            self._conditions = {n: v for n, v in self._conditions.items() if n not in reading}

    def _entry_set(self, targets: list[tuple[Transition | None, str]]) -> list[str]:
        """States to enter for (transition, target) pairs, in the order they are found
        (``None``: the start of the chart)."""
        entering: dict[str, None] = {}
        for transition, target in targets:
            self._add_descendants(target, entering)
            domain = self.chart.domain(transition) if transition is not None else None
            for ancestor in self.chart.nodes[target].ancestors:
                if ancestor == domain:
                    break
                entering[ancestor] = None
                if self.chart.nodes[ancestor].parallel:
                    self._add_regions(ancestor, entering)
        return list(entering)

    def _add_descendants(self, state: str, entering: dict[str, None]) -> None:
        entering[state] = None
        node = self.chart.nodes[state]
        if node.parallel:
            self._add_regions(state, entering)
        elif node.compound:
            self._add_descendants(str(node.initial), entering)

    def _add_regions(self, parallel: str, entering: dict[str, None]) -> None:
        for region in self.chart.nodes[parallel].children:
            if not any(self.chart.is_descendant(state, region) for state in entering):
                self._add_descendants(region, entering)

    def _enter(self, entering: list[str]) -> None:
        nodes = self.chart.nodes
        for state in sorted(entering, key=lambda s: nodes[s].order):
            self.configuration[state] = None
            self.journal.append(Step.entered(state))
            if nodes[state].final:
                self._reached_final(nodes[state])

    def _reached_final(self, node: _Node) -> None:
        if node.parent is None:
            self.running = False
            return
        self._internal.append(done_event(node.parent))
        grandparent = self.chart.nodes[node.parent].parent
        if (
            grandparent is not None
            and self.chart.nodes[grandparent].parallel
            and self._in_final_state(grandparent)
        ):
            self._internal.append(done_event(grandparent))
            if self.chart.nodes[grandparent].parent is None:
                self._root_parallel_done = grandparent

    def _in_final_state(self, state: str) -> bool:
        node = self.chart.nodes[state]
        if node.parallel:
            return all(self._in_final_state(child) for child in node.children)
        return any(
            self.chart.nodes[child].final and child in self.configuration for child in node.children
        )


def execute(
    process: Process,
    key: str,
    facts: dict[str, Any],
    today: dt.date,
    active: list[str],
    event: str | None,
) -> tuple[list[str], Journal]:
    """Start a case (``active`` empty) or resume it from its active states, and deliver
    ``event`` on ``today``: the active states after, and the journal. ``facts`` is updated
    in place with what transitions record. (``key``, the process text's hash, is not
    needed here; :func:`engine.chart.execute` takes the same arguments.)"""
    step = Run(chart_of(process), facts, today)
    if not active:
        step.start()
        if event is not None:
            step.deliver(event)
    else:
        step.configuration = dict.fromkeys(active)
        step.deliver(event)
    return step.active, step.journal
