"""Every path of a process: each reachable configuration, a shortest path to every step,
and the process's ``properties:`` checked over all of them (``cspr explore``).

The exploration is breadth first over *configurations*: the active steps; the facts as
the conditions still to be asked tell them apart (their answers, which of the facts are
recorded where a deadline counts from them); today's place among the dates the
conditions compare it with; each deadline that raises an event open (passed or not); and,
for each ordering property, whether what must come first has come. Deadlines that raise
nothing only grade a duty (met, missed or lapsed), which no condition reads: they pass on
the way and tell no configurations apart. From each configuration it tries what an
operator or the clock can do next:

- send each event the active steps listen for (alone, or with one of the facts its
  conditions read);
- change a recorded fact to each value its conditions tell apart, and record the facts
  not yet recorded a group at a time (those the conditions read together), one setting
  for each different answer: each option of a choice, true and false, for a date the day
  before, the day of and the day after each date it is compared with (today's
  included), and a planned date two months ahead;
- let time pass to the next date on which something can change (a deadline that raises
  an event passing, a date a condition compares with), and on past dates that change
  nothing a configuration shows.

Every one of these is a real change of a case in memory through the record's core
(:class:`~engine.run.record.Core`: ``open``, ``apply``, ``clock``) on the interpreter, so
that what ``explore`` finds is what cases and scenarios do: one judge. A path found is
therefore replayable as a scenario (:func:`scenario_of`).

Concrete dates stand for each abstract configuration: the first one found (the shortest
path) is kept, so how two dates fall against each other beyond what the conditions
compare (a deadline due before or after a changeover date, say) is explored only as that
representative's dates fall. Likewise the facts behind an answer are the first found's,
and recorded facts are changed one at a time: where ``a`` and ``b`` are both recorded
false, ``a and b`` becomes true only on a path that records them otherwise. These are the
abstraction's limits, and the README says so.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..conditions import Context, Expression
from ..model import Process, Transition, rule_bases
from . import facts as fact_values
from . import interpreter
from .exploration import Checked, Exploration, Step, Unreachable
from .landmarks import Landmarks, sign
from .record import Core, Entry, Refused
from .records import CaseRecord

#: How many configurations are explored at most unless told otherwise.
DEFAULT_MAX = 20_000
#: How far ahead a planned date is set (a date counted back from, or waited for).
AHEAD = dt.timedelta(days=61)
_DAY = dt.timedelta(days=1)
#: How many combinations of a group of facts recorded together (the facts a case is
#: opened with among them) are looked at, at most.
MAX_COMBINATIONS = 200_000
_UNDECIDED = object()


# -- the exploration --------------------------------------------------------------------


class _Recorder:
    """The interpreter, keeping every journal it writes (what ``Core`` ran)."""

    def __init__(self) -> None:
        self.journal: list[tuple[str, Any]] = []

    def __call__(self, *args: Any) -> Any:
        active, journal = interpreter.execute(*args)
        self.journal.extend(journal)
        return active, journal


@dataclass
class _Node:
    case: CaseRecord
    parent: int
    step: Step
    monitors: tuple[bool, ...]


class Explorer:
    def __init__(self, process: Process, opened_on: dt.date | None = None) -> None:
        self.process = process
        self.recorder = _Recorder()
        self.core = Core(process, self.recorder)
        self.marks = Landmarks(process)
        self.chart = interpreter.chart_of(process)
        self.opened_on = opened_on or default_opening(process)
        self.orderings = [p for p in process.properties.values() if p.kind == "ordering"]
        self.invariants = [p for p in process.properties.values() if p.kind == "invariant"]
        order = {event: i for i, event in enumerate(process.events())}
        self.event_order = order
        self.event_facts = self._event_facts()
        self._told: dict[tuple, tuple] = {}
        self._read_of: dict[tuple[str, ...], tuple[tuple[str, ...], bool]] = {}
        self._quiet = self._quiet_finals()
        self._shown: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._settings_of: dict[tuple, list[dict[str, Any]]] = {}
        self._read_by_of: dict[tuple, tuple[tuple[str, ...], tuple[str, ...], bool]] = {}
        self._groups_of: dict[tuple, list[tuple[tuple[str, ...], tuple[Expression, ...]]]] = {}
        self._asked_of: dict[tuple[str, ...], frozenset[str]] = {}
        self._ahead_of: dict[tuple[str, ...], tuple[list[Expression], list[str]]] = {}
        self._reach_of: dict[tuple[str, ...], tuple[frozenset[str], frozenset[str]]] = {}
        self._names: dict[str, frozenset[str]] = {}
        self._facts: tuple[Any, dict[str, Any]] = (None, {})
        #: Facts whose value is itself what the conditions tell apart (see _abstract).
        self._plain = frozenset(
            name for name, fact in process.facts.items() if fact.type in ("boolean", "choice")
        )

    def _event_facts(self) -> dict[str, list[str]]:
        """For each event, the facts its transitions' conditions read (through named
        conditions too): those worth giving with it."""
        process = self.process
        found: dict[str, list[str]] = {}
        for transition in process.transitions():
            if transition.trigger != "event" or transition.guard is None:
                continue
            names = set(process.reads(transition.guard.names))
            facts = [f for f in self.marks.given if f in names]
            found.setdefault(str(transition.event), [])
            found[str(transition.event)] += [
                f for f in facts if f not in found[str(transition.event)]
            ]
        return found

    def facts_of(self, case: CaseRecord) -> dict[str, Any]:
        """The case's facts as values (kept for the case last asked about: a
        configuration's moves, key and invariants all read them)."""
        if self._facts[0] is not case.facts:
            self._facts = (case.facts, fact_values.from_json(self.process, case.facts))
        return self._facts[1]

    # -- keys -------------------------------------------------------------------------

    def key(self, case: CaseRecord, monitors: tuple[bool, ...]) -> tuple:
        """What tells a configuration apart: the active steps (a region's final steps
        that nothing asks about as one: :meth:`_quiet_finals`), what the conditions tell
        apart of the facts and of today, the open deadlines that raise an event (passed
        or not) and the ordering properties' marks. Closed deadlines' statuses never
        change what a case can do, nor do open ones that raise nothing: they only grade
        a duty (met, missed or lapsed), which no condition reads; properties are checked
        on every configuration as it is reached. A closed case can do nothing more: all
        closed cases are one."""
        if case.closed_on is not None:
            return ("closed",)
        facts = self.facts_of(case)
        today = dt.date.fromisoformat(case.last_on)
        states = tuple(case.states)
        plain, abstract, raising = self._plain, self._abstract, self.marks.raising
        names, asks_today = self._read_ahead(states)
        atoms = (
            states,
            tuple(
                value if value is None or name in plain else abstract(name, facts, today)
                for name in names
                for value in (facts.get(name),)
            ),
            tuple(sign(today, d) for d in self.marks.today_dates) if asks_today else (),
        )
        told = self._told.get(atoms)
        if told is None:
            told = self._told[atoms] = self._tell_apart(states, facts, today)
        shown = self._shown.get(states)
        if shown is None:
            quiet = self._quiet
            shown = self._shown[states] = tuple(quiet.get(s, s) for s in states)
        return (
            shown,
            told,
            frozenset(
                (row.state, row.name, row.due is None, row.raised_on is not None)
                for row in case.deadlines
                if row.status == "open" and (row.state, row.name) in raising
            ),
            self._settled(states, monitors),
        )

    def _read_ahead(self, states: tuple[str, ...]) -> tuple[tuple[str, ...], bool]:
        """The facts the conditions still to be asked from ``states`` read, with those the
        deadlines that raise an event still to be armed count from (all that
        :meth:`_tell_apart` looks at); and whether those conditions read ``today``."""
        found = self._read_of.get(states)
        if found is None:
            guards, bases = self._ahead(states)
            facts, _, today = self._read_by(tuple(guards))
            names = {*bases, *facts}
            found = self._read_of[states] = (
                tuple(f for f in self.marks.read if f in names),
                today,
            )
        return found

    def _quiet_finals(self) -> dict[str, str]:
        """Final steps that nothing tells apart from their region's other final steps:
        no condition or invariant asks whether they are active, and a final step has no
        way out and no deadline, so which one a region ended in changes nothing a case
        can do from there. Each stands in a key for its region's being done. (That each
        is reached is seen as it is entered, on every path, before keys are compared.)"""
        read = self.marks.steps_read
        return {
            state.id: f"{state.parent} done"
            for state in self.process.states.values()
            if state.kind == "final"
            and state.parent is not None
            and not state.transitions
            and not state.deadlines
            and state.id not in read
        }

    def _tell_apart(
        self, states: tuple[str, ...], facts: Mapping[str, Any], today: dt.date
    ) -> tuple:
        """What the conditions still to be asked tell apart of these facts and today:
        the answer of each condition of a transition that can still be taken from these
        steps (and of each invariant), and whether the facts the deadlines still to be
        armed count from are recorded. Facts nothing will ask about again do not tell
        configurations apart."""
        guards, bases = self._ahead(states)
        context = Context(
            {**facts, "today": today}, self.process.expressions, set(states), self.chart.memo
        )
        decided: dict[str, bool | None] = {}
        answers = tuple(e.evaluate(context, decided) for e in guards)
        return answers, tuple(facts.get(b) is None for b in bases)

    def _names_of(self, expression: Expression) -> frozenset[str]:
        found = self._names.get(expression.text)
        if found is None:
            found = self._names[expression.text] = self.process.reads(expression.names)
        return found

    def _reach(self, states: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
        """The steps a case in ``states`` can still be in, following transitions in the
        chart whatever their conditions; and the events those steps listen for."""
        found = self._reach_of.get(states)
        if found is not None:
            return found
        process = self.process
        reach = set(states)
        pending = list(states)
        events: set[str] = set()
        while pending:
            state = pending.pop()
            for transition in process.states[state].transitions:
                if transition.event:
                    events.add(transition.event)
                target = transition.target
                for entered in [target, *process.descendants(target), *process.ancestors(target)]:
                    if entered not in reach:
                        reach.add(entered)
                        pending.append(entered)
        found = self._reach_of[states] = (frozenset(reach), frozenset(events))
        return found

    def _settled(self, states: tuple[str, ...], monitors: tuple[bool, ...]) -> tuple[bool, ...]:
        """The ordering properties' marks as they matter from here: once what one says
        happens (a step entered, an event taken) can no longer happen, whether what must
        come first has come no longer tells configurations apart."""
        if all(monitors):
            return monitors
        steps, events = self._reach(states)
        return tuple(
            mark or (prop.happens not in steps and prop.happens not in events)
            for mark, prop in zip(monitors, self.orderings, strict=True)
        )

    def _ahead(self, states: tuple[str, ...]) -> tuple[list[Expression], list[str]]:
        """The conditions of the transitions that can still be taken from ``states`` (and
        the invariants'), and the facts the deadlines that raise an event of the steps
        still reachable count from: found by following transitions in the chart,
        whatever their conditions."""
        found = self._ahead_of.get(states)
        if found is not None:
            return found
        process = self.process
        reach, _ = self._reach(states)
        guards: dict[str, Expression] = {}
        for state in process.sort_outermost_first(set(reach)):
            for transition in process.states[state].transitions:
                if transition.guard is not None:
                    guards.setdefault(transition.guard.text, transition.guard)
        for prop in self.invariants:
            if prop.condition is not None:
                guards.setdefault(prop.condition.text, prop.condition)
        bases = sorted(
            {
                base
                for state in reach
                for deadline in process.states[state].deadlines
                if deadline.raises
                for base in rule_bases(deadline.rule)
                if base != "entry"
            }
        )
        found = self._ahead_of[states] = (list(guards.values()), bases)
        return found

    def _abstract(self, name: str, facts: Mapping[str, Any], today: dt.date) -> Any:
        value = facts.get(name)
        if value is None:
            return None
        kind = self.process.facts[name].type
        if kind in ("boolean", "choice"):
            return value
        literals = self.marks.literals.get(name, ())
        if kind == "text":
            return tuple(value == lit for lit in sorted(map(str, literals))) or True
        values = {**facts, "today": today}
        return (
            tuple(sign(value, lit) for lit in sorted(literals, key=str)),
            tuple(sign(value, values.get(p)) for p in sorted(self.marks.partners.get(name, ()))),
        )

    # -- what can be done next ----------------------------------------------------------

    def candidates(self, name: str, case: CaseRecord) -> list[Any]:
        """The values worth setting ``name`` to, in this case, now."""
        fact = self.process.facts[name]
        if fact.type == "boolean":
            return [True, False]
        if fact.type == "choice":
            return list(fact.options)
        literals = self.marks.literals.get(name, set())
        if fact.type == "text":
            return [*sorted(str(v) for v in literals), "other"]
        if fact.type == "number":
            numbers = sorted(v for v in literals if isinstance(v, (int, float)))
            found = sorted({n + d for n in numbers for d in (-1, 0, 1)}) or [0, 1]
            return list(found)
        today = dt.date.fromisoformat(case.last_on)
        facts = self.facts_of(case)
        dates = [today]
        for lit in sorted(v for v in literals if isinstance(v, dt.date)):
            dates += [lit - _DAY, lit, lit + _DAY]
        for partner in sorted(self.marks.partners.get(name, ())):
            other = today if partner == "today" else facts.get(partner)
            if isinstance(other, dt.date):
                dates += [other - _DAY, other, other + _DAY]
        if name in self.marks.ahead:
            dates.append(today + AHEAD)
        return list(dict.fromkeys(dates))

    def moves(self, case: CaseRecord) -> Iterator[Step]:
        on = dt.date.fromisoformat(case.last_on)
        if case.closed_on is not None:
            return
        nodes = self.chart.nodes
        events: set[str] = set()
        for state in case.states:
            node = nodes[state]
            if not node.children:
                events.update(e for e in node.lineage_on if not e.startswith("done.state."))
        facts = self.facts_of(case)
        context = self.context(case)
        for event in sorted(events, key=lambda e: self.event_order.get(e, 0)):
            if self._enabled(case, event, context):
                yield Step("send", on, event)
            for name in self.event_facts.get(event, ()):
                for value in self.candidates(name, case):
                    if value == facts.get(name):
                        continue
                    given = Context(
                        {**context.facts, name: value},
                        context.conditions,
                        context.active,
                        self.chart.memo,
                    )
                    if self._enabled(case, event, given):
                        yield Step("send", on, event, {name: value})
        yield from self.settings(case)
        later = self.next_date(case)
        if later is not None:
            yield Step("tick", later)

    def settings(self, case: CaseRecord) -> Iterator[Step]:
        """Facts set: only those an active step asks about, or that a deadline raising an
        event waits for. A recorded fact is changed to each value that tells it apart.
        Facts not yet recorded are recorded together, a group at a time (the facts the
        conditions ahead read together): for each different outcome (those conditions'
        answers, and whether a deadline's date can now be worked out), the setting with
        fewest facts. One at a time, ``a and b`` would stay unknown after either, and so
        look like the configuration it came from, which is never explored again."""
        on = dt.date.fromisoformat(case.last_on)
        states = tuple(case.states)
        facts = self.facts_of(case)
        waiting = {
            base
            for row in case.deadlines
            if row.status == "open" and row.due is None
            for deadline in [self.process.deadline(row.state, row.name)]
            if deadline is not None and deadline.raises
            for base in rule_bases(deadline.rule)
        }
        asked = self._asked(states)
        settable = [n for n in self.marks.given if n in asked or n in waiting]
        for name in settable:
            current = facts.get(name)
            if current is None:
                continue
            abstract = self._abstract(name, facts, on)
            for value in self.candidates(name, case):
                if (
                    value != current
                    and self._abstract(name, {**facts, name: value}, on) != abstract
                ):
                    yield Step("set", on, None, {name: value})
        unrecorded = tuple(n for n in settable if facts.get(n) is None)
        for group, reading in self._groups(states, unrecorded):
            dated = any(self.process.facts[n].type == "date" for n in group)
            memo_key = (
                group,
                reading,
                tuple(facts.get(n) for n in self._read_by(reading)[0]),
                on if dated else None,
                tuple(s in case.states for s in self._read_by(reading)[1]),
            )
            found = self._settings_of.get(memo_key)
            if found is None:
                found = self._settings_of[memo_key] = self._record_group(
                    case, group, reading, facts, on
                )
            for changed in found:
                yield Step("set", on, None, changed)

    def _record_group(
        self,
        case: CaseRecord,
        group: tuple[str, ...],
        reading: tuple[Expression, ...],
        facts: Mapping[str, Any],
        on: dt.date,
    ) -> list[dict[str, Any]]:
        """Each different outcome of recording some of ``group`` (the answers of the
        conditions ``reading`` it, and which deadlines can now be dated), with the
        setting of fewest facts that gives it. Each condition is asked once for each
        combination of the facts of the group it reads, not for every combination."""
        known = {**facts, "today": on}
        active = set(case.states)
        expressions, memo = self.process.expressions, self.chart.memo
        parts = [[i for i, n in enumerate(group) if n in self._names_of(g)] for g in reading]
        asked: list[dict[tuple, Any]] = [{} for _ in reading]
        bases = [i for i, n in enumerate(group) if n in self.marks.bases]

        def answer(g: int, combo: tuple) -> Any:
            part = tuple(combo[i] for i in parts[g])
            found = asked[g].get(part, _UNDECIDED)
            if found is _UNDECIDED:
                given = {group[i]: v for i, v in zip(parts[g], part, strict=True)}
                trial = Context({**known, **given}, expressions, active, memo)
                found = asked[g][part] = reading[g].evaluate(trial)
            return found

        def outcome(combo: tuple) -> tuple:
            return (
                tuple(answer(g, combo) for g in range(len(reading))),
                tuple(combo[i] is None for i in bases),
            )

        nothing = tuple(None for _ in group)
        now = outcome(nothing)
        choices = [[None, *self.candidates(n, case)] for n in group]
        best: dict[tuple, tuple[int, tuple]] = {}
        for combo in itertools.islice(itertools.product(*choices), MAX_COMBINATIONS):
            result = outcome(combo)
            if result == now:
                continue
            count = sum(v is not None for v in combo)
            if result not in best or count < best[result][0]:
                best[result] = (count, combo)
        return [
            {n: v for n, v in zip(group, combo, strict=True) if v is not None}
            for _, combo in sorted(best.values(), key=lambda pair: pair[0])
        ]

    def _groups(
        self, states: tuple[str, ...], names: tuple[str, ...]
    ) -> list[tuple[tuple[str, ...], tuple[Expression, ...]]]:
        """``names`` split into the groups of facts the conditions ahead read together,
        each with the conditions that read it."""
        found = self._groups_of.get((states, names))
        if found is not None:
            return found
        guards, _ = self._ahead(states)
        group_of = {n: {n} for n in names}
        for guard in guards:
            read = [n for n in names if n in self._names_of(guard)]
            merged = set().union(*(group_of[n] for n in read)) if read else set()
            for n in merged:
                group_of[n] = merged
        found = []
        for members in {id(g): g for g in group_of.values()}.values():
            group = tuple(n for n in names if n in members)
            reading = tuple(g for g in guards if members & self._names_of(g))
            found.append((group, reading))
        self._groups_of[(states, names)] = found
        return found

    def _read_by(
        self, reading: tuple[Expression, ...]
    ) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
        """The facts and the steps these conditions read (through named conditions), and
        whether they read ``today``."""
        found = self._read_by_of.get(reading)
        if found is None:
            names: set[str] = set()
            steps: set[str] = set()
            for guard in reading:
                names |= self._names_of(guard)
                steps |= guard.states
            for name in names:
                if name in self.process.conditions:
                    steps |= self.process.conditions[name].expression.states
            found = self._read_by_of[reading] = (
                tuple(sorted(n for n in names if n in self.process.facts)),
                tuple(sorted(steps)),
                "today" in names,
            )
        return found

    def _asked(self, states: tuple[str, ...]) -> frozenset[str]:
        """The facts the conditions of the active steps' transitions read: the facts a
        case is recorded with while it waits on them. A fact is set only when an active
        step asks about it; set earlier, it would change nothing until then."""
        found = self._asked_of.get(states)
        if found is None:
            names: set[str] = set()
            for state in states:
                for transition in self.process.states[state].transitions:
                    if transition.guard is not None:
                        names.update(self.process.reads(transition.guard.names))
            found = self._asked_of[states] = frozenset(names)
        return found

    def _enabled(self, case: CaseRecord, event: str, context: Context) -> bool:
        """Whether a transition for ``event`` of an active step has a condition that
        holds: only those events are tried (the interpreter then judges them)."""
        nodes = self.chart.nodes
        for state in case.states:
            node = nodes[state]
            if node.children:
                continue
            for owner in node.lineage_on.get(event, ()):
                for transition in owner.on.get(event, ()):
                    if transition.guard is None or transition.guard.evaluate(context) is True:
                        return True
        return False

    def next_date(self, case: CaseRecord) -> dt.date | None:
        """The next date after the case's on which its clock, or a condition, can change
        something: a deadline that raises an event passing, a date a condition compares
        ``today`` with. (Other deadlines pass on the way, grading their duties.)"""
        at = dt.date.fromisoformat(case.last_on)
        raising = self.marks.raising
        dates = [
            dt.date.fromisoformat(row.due) + _DAY
            for row in case.deadlines
            if row.status == "open"
            and row.raised_on is None
            and row.due
            and (row.state, row.name) in raising
        ]
        dates += [d for lit in self.marks.today_dates for d in (lit, lit + _DAY)]
        facts = self.facts_of(case)
        for name in self.marks.partners.get("today", ()):
            value = facts.get(name)
            if isinstance(value, dt.date):
                dates += [value, value + _DAY]
        later = [d for d in dates if d > at]
        return min(later) if later else None

    def take(self, case: CaseRecord, step: Step) -> CaseRecord:
        """The case after ``step``: the record's core, on the interpreter."""
        self.recorder.journal = []
        if step.action == "open":
            return self.core.open(self.blank(step.on), step.facts, step.on).case
        if step.action == "tick":
            return self.core.clock(case, step.on).case
        entry = Entry(0, step.action, step.on, step.event, step.facts)
        return self.core.apply(case, entry).case

    def blank(self, on: dt.date) -> CaseRecord:
        iso = on.isoformat()
        return CaseRecord(0, None, self.process.id, self.process.version, "", [], {}, 0, iso, iso)

    def roots(self) -> Iterator[Step]:
        """Opening a case: with no facts, and with the facts its first steps ask about,
        one opening for each different set of answers their conditions give (the one
        with the fewest facts recorded)."""
        on = self.opened_on
        yield Step("open", on)
        blank = self.blank(on)
        first = self.core.open(blank, {}, on).case
        states = tuple(first.states)
        asked = [f for f in self.marks.given if f in self._asked(states)]
        guards, _ = self._ahead(states)
        for facts in self._record_group(first, tuple(asked), tuple(guards), {}, on):
            yield Step("open", on, None, facts)

    # -- the search ---------------------------------------------------------------------

    def run(self, limit: int = DEFAULT_MAX) -> Exploration:
        started = time.perf_counter()
        process = self.process
        nodes: list[_Node] = []
        seen: dict[tuple, int] = {}
        edges: set[tuple[int, int]] = set()
        entered: dict[str, tuple[int, Step, list[str]]] = {}
        taken: dict[int, Transition] = {}
        checked = {p.id: Checked(p, True) for p in process.properties.values()}
        queue: deque[int] = deque()
        complete = True
        no_monitors = tuple(False for _ in self.orderings)

        def visit(
            parent: int, case: CaseRecord | None, step: Step, monitors: tuple[bool, ...]
        ) -> None:
            nonlocal complete
            try:
                after = (
                    self.take(case, step)
                    if case is not None
                    else self.take(self.blank(step.on), step)
                )
                if case is not None and step.action == "tick":
                    after, step = self._let_time_run(case, after, step, monitors)
            except Refused:
                return
            journal = self.recorder.journal
            monitors = self._watch(journal, monitors, parent, step, checked, nodes, after)
            key = self.key(after, monitors)
            self._check_invariants(parent, step, after, nodes, checked)
            index = seen.get(key)
            fresh = index is None
            if index is None:
                if len(nodes) >= limit:
                    complete = False
                    return
                index = len(nodes)
                seen[key] = index
                nodes.append(_Node(after, parent, step, monitors))
                queue.append(index)
            edges.add((parent, index))
            for kind, item in journal:
                if kind == "enter" and item not in entered:
                    entered[item] = (parent, step, process.leaves(after.states))
                elif kind == "transition" and id(item) not in taken:
                    taken[id(item)] = item
            del fresh

        for step in self.roots():
            visit(-1, None, step, no_monitors)
        while queue:
            index = queue.popleft()
            node = nodes[index]
            for step in self.moves(node.case):
                visit(index, node.case, step, node.monitors)

        paths = {
            state: [*self.path(nodes, entered[state][0]), entered[state][1]]
            for state in process.states
            if state in entered
        }
        unreachable = self._unreachable(nodes, entered, taken)
        if not complete:
            for item in unreachable:
                item.why = (
                    f"not reached in the {len(nodes):,} configurations explored (the --max "
                    f"limit), so far because {item.why}"
                )
        return Exploration(
            process=process,
            configurations=len(nodes),
            transitions=len(edges),
            seconds=time.perf_counter() - started,
            unreachable=unreachable,
            paths=paths,
            properties=list(checked.values()),
            complete=complete,
            steps_reached=len(entered),
            path_ends={state: list(entered[state][2]) for state in paths},
            transitions_taken=len(taken),
        )

    def _let_time_run(
        self, case: CaseRecord, after: CaseRecord, tick: Step, monitors: tuple[bool, ...]
    ) -> tuple[CaseRecord, Step]:
        """A tick that changes nothing a configuration shows (a date a condition
        compares came and went with the same answers) lands on the configuration it
        left, which is never explored again: time would stop there. So let the clock run
        on, in one tick from ``case``, to the first date on which something shows."""
        before = self.key(case, monitors)
        while self.key(after, monitors) == before:
            later = self.next_date(after)
            if later is None:
                break
            tick = Step("tick", later)
            after = self.take(case, tick)
        return after, tick

    @staticmethod
    def path(nodes: list[_Node], index: int) -> list[Step]:
        steps: list[Step] = []
        while index >= 0:
            steps.append(nodes[index].step)
            index = nodes[index].parent
        return steps[::-1]

    # -- properties ---------------------------------------------------------------------

    def _watch(
        self,
        journal: list[tuple[str, Any]],
        monitors: tuple[bool, ...],
        parent: int,
        step: Step,
        checked: dict[str, Checked],
        nodes: list[_Node],
        after: CaseRecord,
    ) -> tuple[bool, ...]:
        """The ordering properties' marks after ``journal``; the first time one's
        ``happens`` comes before its ``only_after``, the path is its counterexample."""
        if not self.orderings:
            return monitors
        marks = list(monitors)
        for kind, item in journal:
            if kind == "enter":
                names: tuple[str, ...] = (item,)
            elif kind == "transition" and item.trigger == "event":
                names = (str(item.event),)
            else:
                continue
            for i, prop in enumerate(self.orderings):
                if prop.happens in names and not marks[i]:
                    verdict = checked[prop.id]
                    if verdict.holds:
                        verdict.holds = False
                        verdict.counterexample = [*self.path(nodes, parent), step]
                        verdict.states = self.process.leaves(after.states)
                        verdict.facts = dict(after.facts)
                        verdict.why = f"'{prop.happens}' came before any of {', '.join(prop.after)}"
                if any(a in names for a in prop.after):
                    marks[i] = True
        return tuple(marks)

    def _check_invariants(
        self,
        parent: int,
        step: Step,
        case: CaseRecord,
        nodes: list[_Node],
        checked: dict[str, Checked],
    ) -> None:
        if not self.invariants:
            return
        context = self.context(case)
        for prop in self.invariants:
            verdict = checked[prop.id]
            if not verdict.holds or prop.condition is None:
                continue
            value = prop.condition.evaluate(context)
            if value is None or value is prop.negated:
                verdict.holds = False
                verdict.counterexample = [*self.path(nodes, parent), step]
                verdict.states = self.process.leaves(case.states)
                verdict.facts = dict(case.facts)
                word = "never" if prop.negated else "always"
                answer = (
                    "unknown (a fact it reads is not recorded)"
                    if value is None
                    else str(value).lower()
                )
                verdict.why = f"{word}: {prop.condition.text} is {answer} here"

    def context(self, case: CaseRecord) -> Context:
        facts = self.facts_of(case)
        return Context(
            {**facts, "today": dt.date.fromisoformat(case.last_on)},
            self.process.expressions,
            set(case.states),
            self.chart.memo,
        )

    # -- what is never reached, and why -------------------------------------------------

    def _unreachable(
        self,
        nodes: list[_Node],
        entered: Mapping[str, Any],
        taken: Mapping[int, Transition],
    ) -> list[Unreachable]:
        process = self.process
        found: list[Unreachable] = []
        never_taken = [t for t in process.transitions() if id(t) not in taken]
        why_not = {id(t): self._why_not_taken(t, nodes, entered) for t in never_taken}
        for state in process.states.values():
            if state.id in entered:
                continue
            parent = state.parent
            if parent is not None and parent not in entered:
                why = f"it is inside '{parent}', which is never reached"
            else:
                inside = {state.id, *process.descendants(state.id)}
                ways = [
                    t
                    for t in process.transitions()
                    if t.target in inside and t.source_state not in inside
                ]
                if not ways:
                    why = "no transition leads to it, and it is not a first step entered by default"
                else:
                    reasons = "; ".join(
                        f"'{t.label}' from '{t.source_state}': "
                        + why_not.get(id(t), "taken, yet never enters it")
                        for t in ways
                    )
                    why = f"no way into it is ever taken ({reasons})"
            found.append(Unreachable("step", state.id, why))
        for transition in never_taken:
            found.append(
                Unreachable(
                    "transition",
                    f"{transition.source_state} --{transition.label}--> {transition.target}",
                    why_not[id(transition)],
                    transition,
                )
            )
        return found

    def _why_not_taken(
        self, transition: Transition, nodes: list[_Node], entered: Mapping[str, Any]
    ) -> str:
        source = transition.source_state
        if source not in entered:
            return f"its step '{source}' is never reached"
        where = [n.case for n in nodes if source in n.case.states]
        if transition.trigger == "done":
            return f"'{source}' never finishes (no configuration has all its final steps reached)"
        guard = transition.guard
        if (
            guard is not None
            and where
            and not any(guard.evaluate(self.context(case)) is True for case in where)
        ):
            return f"its condition `{guard.text}` is never true while '{source}' is active"
        if not where:
            return f"'{source}' is only passed through, never stayed in"
        return (
            "whenever it could be taken, another transition (an inner step's, or one "
            "written before it) is taken instead"
        )


def default_opening(process: Process) -> dt.date:
    """The day cases are opened on: the day before the earliest date a condition compares
    ``today`` or a fact with, else the first working Monday of the year after the
    process's version (a year), else 7 January 2019."""
    marks = Landmarks(process)
    dates = [v for values in marks.literals.values() for v in values if isinstance(v, dt.date)]
    if dates:
        return min(dates) - _DAY
    year = int(process.version) + 1 if process.version.isdigit() else 2019
    day = dt.date(year, 1, 7)
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def explore(
    process: Process, limit: int = DEFAULT_MAX, opened_on: dt.date | None = None
) -> Exploration:
    """Explore every configuration of ``process`` reachable from its opening."""
    return Explorer(process, opened_on).run(limit)


__all__ = ["DEFAULT_MAX", "Explorer", "default_opening", "explore"]
