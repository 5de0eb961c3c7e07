"""The process model: plain, frozen data with no I/O.

A :class:`Process` is what a process file says once it is loaded and its includes are
spliced in. Every node remembers where it was written (:class:`Location`) so that any
later complaint about it can name the file, line and column a policy lead must edit.

States are kept flat (a mapping from id to :class:`State`), each knowing its parent and
children, because every consumer (checks, chart compiler, runtime, renderer) needs to
walk the tree both ways.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Literal

from .frozen import Frozen, field
from .problems import Location

if TYPE_CHECKING:  # pragma: no cover
    from .conditions import Expression

FactType = Literal["date", "boolean", "choice", "number", "text"]
StateKind = Literal["simple", "compound", "parallel", "final"]
Force = Literal["must", "should"]
TimeUnit = Literal["working_days", "days", "weeks", "months", "years"]
Trigger = Literal["event", "always", "done"]

#: The pseudo-base of a deadline that counts from the day its state was entered.
ENTRY = "entry"


NOWHERE = Location("<unknown>")


def written_at() -> Location:
    """An optional field for where a value (not its key) is written, kept so that a
    complaint about the value points at it. Not compared: where something is written does
    not change what it means."""
    return field(default=NOWHERE, compare=False)


def names_written_at() -> tuple[Location, ...]:
    """An optional field for where each name of an expression's ``name_offsets`` is
    written, in the same order; empty when the model was not read from a file."""
    return field(default=(), compare=False)


class Source(Frozen):
    """A citation key and the document and section it stands for."""

    key: str
    title: str
    url: str | None = None
    where: Location = NOWHERE


class Role(Frozen):
    """Someone responsible for a step: the local authority, the Panel, ..."""

    id: str
    title: str
    description: str | None = None
    where: Location = NOWHERE


class Fact(Frozen):
    """A typed piece of information about a case (never a name)."""

    id: str
    type: FactType
    title: str | None = None
    description: str | None = None
    options: tuple[str, ...] = ()
    source: str | None = None
    where: Location = NOWHERE
    source_at: Location = written_at()


class Condition(Frozen):
    """A named guard expression, written once and used by transitions."""

    id: str
    expression: Expression
    title: str | None = None
    description: str | None = None
    source: str | None = None
    where: Location = NOWHERE
    when_at: Location = NOWHERE
    source_at: Location = written_at()
    names_at: tuple[Location, ...] = names_written_at()


class Duration(Frozen):
    """An amount of time in one unit, as a policy lead writes it ("15 working days")."""

    amount: int
    unit: TimeUnit

    def __str__(self) -> str:
        word = {
            "working_days": "working day",
            "days": "day",
            "weeks": "week",
            "months": "month",
            "years": "year",
        }[self.unit]
        return f"{self.amount} {word}{'' if self.amount == 1 else 's'}"


class Within(Frozen):
    """Due ``duration`` after ``base`` (a date fact, or :data:`ENTRY`)."""

    duration: Duration
    base: str
    base_at: Location = written_at()


class Before(Frozen):
    """Due ``duration`` before the date fact ``base`` (on or before that day)."""

    duration: Duration
    base: str
    base_at: Location = written_at()


class OnDate(Frozen):
    """Due on a fixed date written in the process file."""

    date: dt.date


class EarliestOf(Frozen):
    """Due on the earliest of several rules that can be computed."""

    rules: tuple[DueRule, ...]


DueRule = Within | Before | OnDate | EarliestOf


def rule_bases(rule: DueRule) -> Iterator[str]:
    """Every fact name (or :data:`ENTRY`) a due rule counts from."""
    if isinstance(rule, (Within, Before)):
        yield rule.base
    elif isinstance(rule, EarliestOf):
        for inner in rule.rules:
            yield from rule_bases(inner)


class Deadline(Frozen):
    """A time limit armed when its state is entered and closed when the state is left."""

    id: str
    state: str
    rule: DueRule
    title: str | None = None
    description: str | None = None
    by: str | None = None
    force: Force = "should"
    raises: str | None = None
    #: A minimum period ("keep the report public for at least a year"): the step should
    #: not be left before the date, so leaving early misses it and reaching it meets it.
    minimum: bool = False
    #: The ways out of the step that do the duty: events, or steps the way out enters.
    #: Leaving any other way lifts the duty (``lapsed``) unless its due date had already
    #: passed (``missed``). Empty: every way out does it.
    met_by: tuple[str, ...] = ()
    source: str | None = None
    where: Location = NOWHERE
    by_at: Location = written_at()
    source_at: Location = written_at()


class Transition(Frozen):
    """A way out of a state: on an event, as soon as a condition holds, or when done."""

    source_state: str
    target: str
    trigger: Trigger = "event"
    event: str | None = None
    guard: Expression | None = None
    title: str | None = None
    description: str | None = None
    by: str | None = None
    records: str | None = None
    source: str | None = None
    where: Location = NOWHERE
    when_at: Location = NOWHERE
    by_at: Location = written_at()
    source_at: Location = written_at()
    records_at: Location = written_at()
    names_at: tuple[Location, ...] = names_written_at()

    @property
    def label(self) -> str:
        """The event id, or a word for the eventless kinds."""
        if self.trigger == "event":
            return self.event or ""
        return "(when done)" if self.trigger == "done" else "(as soon as)"


class State(Frozen):
    """A step of the process; compound and parallel states hold others."""

    id: str
    kind: StateKind = "simple"
    parent: str | None = None
    children: tuple[str, ...] = ()
    initial: str | None = None
    title: str | None = None
    description: str | None = None
    by: str | None = None
    force: Force | None = None
    source: str | None = None
    include: str | None = None
    deadlines: tuple[Deadline, ...] = ()
    transitions: tuple[Transition, ...] = ()
    where: Location = NOWHERE
    by_at: Location = written_at()
    source_at: Location = written_at()

    @property
    def label(self) -> str:
        return self.title or self.id.replace("_", " ")


class Property(Frozen):
    """A statement about every path of the process, checked by ``cspr explore``.

    An ``invariant`` holds in every configuration a case can reach (``condition``, over
    facts, ``today`` and ``STATE is active``; ``never`` conditions are stored negated in
    ``negated``). An ``ordering`` says that ``happens`` (a step entered or an event
    taken) happens only after one of ``after`` has (earlier, or earlier in the same
    change)."""

    id: str
    kind: Literal["invariant", "ordering"]
    title: str
    condition: Expression | None = None
    negated: bool = False
    happens: str | None = None
    after: tuple[str, ...] = ()
    description: str | None = None
    source: str | None = None
    where: Location = NOWHERE
    source_at: Location = written_at()
    names_at: tuple[Location, ...] = names_written_at()


class Process(Frozen):
    """A whole process, includes spliced in; ``states`` is flat and in document order."""

    id: str
    version: str
    title: str
    initial: str
    states: Mapping[str, State]
    description: str | None = None
    sources: Mapping[str, Source] = field(default_factory=dict)
    roles: Mapping[str, Role] = field(default_factory=dict)
    facts: Mapping[str, Fact] = field(default_factory=dict)
    conditions: Mapping[str, Condition] = field(default_factory=dict)
    #: Statements checked over every path (``cspr explore``): the main file's only.
    properties: Mapping[str, Property] = field(default_factory=dict)
    file: str = "<unknown>"
    where: Location = NOWHERE
    #: The period this version is in force (``in_force:``; until: its last day) and the
    #: date fact that chooses the version a case opens under (default: the opening date).
    in_force_from: dt.date | None = None
    in_force_until: dt.date | None = None
    chosen_by: str | None = None

    # -- walking the tree -------------------------------------------------------------

    @property
    def top_states(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.states.values() if s.parent is None)

    def ancestors(self, state_id: str) -> list[str]:
        """The state's ancestors, nearest first."""
        chain = []
        parent = self.states[state_id].parent
        while parent is not None:
            chain.append(parent)
            parent = self.states[parent].parent
        return chain

    def depth(self, state_id: str) -> int:
        return len(self.ancestors(state_id))

    def descendants(self, state_id: str) -> Iterator[str]:
        for child in self.states[state_id].children:
            yield child
            yield from self.descendants(child)

    def initial_configuration(self, state_id: str | None = None) -> list[str]:
        """The states entered, outermost first, when ``state_id`` (or the process) starts."""
        start = state_id or self.initial
        return self.entry_set(start)

    def entry_set(self, state_id: str) -> list[str]:
        """``state_id`` and the descendants entered by default with it."""
        state = self.states[state_id]
        result = [state_id]
        if state.kind == "parallel":
            for child in state.children:
                result.extend(self.entry_set(child))
        elif state.kind == "compound" and state.initial:
            result.extend(self.entry_set(state.initial))
        return result

    def transitions(self) -> Iterator[Transition]:
        for state in self.states.values():
            yield from state.transitions

    def deadlines(self) -> Iterator[Deadline]:
        for state in self.states.values():
            yield from state.deadlines

    def events(self) -> list[str]:
        """Every event id a transition listens for or a deadline raises, in order."""
        seen: dict[str, None] = {}
        for transition in self.transitions():
            if transition.trigger == "event" and transition.event:
                seen.setdefault(transition.event)
        for deadline in self.deadlines():
            if deadline.raises:
                seen.setdefault(deadline.raises)
        return list(seen)

    def reads(self, names: Iterable[str]) -> frozenset[str]:
        """``names`` and, for each named condition among them, the names it reads in turn
        (as values: facts, ``today``, conditions; not the steps it asks about)."""
        found: set[str] = set()
        pending = list(names)
        while pending:
            name = pending.pop()
            if name in found:
                continue
            found.add(name)
            condition = self.conditions.get(name)
            if condition is not None:
                pending.extend(condition.expression.names)
        return frozenset(found)

    def asks_about_steps(self, expression: Expression) -> bool:
        """Whether ``expression`` asks whether a step is active, itself or through the
        conditions it names."""
        return bool(expression.states) or any(
            self.conditions[name].expression.states
            for name in self.reads(expression.names)
            if name in self.conditions
        )

    def sort_outermost_first(self, state_ids: set[str] | list[str]) -> list[str]:
        """Active states in document order, which is outermost first for a tree."""
        positions = self._positions
        return sorted(positions.keys() & set(state_ids), key=positions.__getitem__)

    @functools.cached_property
    def _positions(self) -> dict[str, int]:
        return {state: position for position, state in enumerate(self.states)}

    @functools.cached_property
    def expressions(self) -> Mapping[str, Expression]:
        """Each named condition's expression, by name: what guards are evaluated with."""
        return {name: condition.expression for name, condition in self.conditions.items()}

    def deadline(self, state_id: str, deadline_id: str) -> Deadline | None:
        """The deadline ``deadline_id`` of state ``state_id``, if the process has it."""
        return self._deadlines.get((state_id, deadline_id))

    @functools.cached_property
    def _deadlines(self) -> dict[tuple[str, str], Deadline]:
        return {(d.state, d.id): d for d in self.deadlines()}

    def leaves(self, state_ids: set[str] | list[str]) -> list[str]:
        """The innermost of the active states (those with no active child): where a case
        actually is, in document order."""
        active = set(state_ids)
        return [
            s
            for s in self.sort_outermost_first(active)
            if not any(child in active for child in self.states[s].children)
        ]

    def responsible(self, state_id: str) -> str | None:
        """The role responsible for a step: its own ``by``, else the nearest enclosing
        step's."""
        for sid in [state_id, *self.ancestors(state_id)]:
            by = self.states[sid].by
            if by:
                return by
        return None

    def source_title(self, key: str | None) -> str | None:
        if key is None:
            return None
        source = self.sources.get(key)
        return source.title if source else key
