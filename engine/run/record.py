"""The record's pure core: a case derived from its inputs.

A case's history holds *inputs* — ``open``, ``set``, ``send`` and ``correct`` — each with
the date it happened. The case as it stands is what replaying the inputs in happened-on
order (same day: recording order) gives, with the clock's own effects worked out at their
dates along the way: a deadline passing (on the day after its due date: it is marked, and
the event it ``raises:`` is sent), and automatic steps whose condition reads ``today``
looked at again on each day their answer can change. ``tick`` rows are not inputs: they
only bring the derivation up to the date they were judged as of.

Everything here works in memory, on :class:`~engine.store.CaseRecord` values, and never
touches a store: the runtime writes what this module works out, and replay
(:mod:`engine.verify`) runs the very same functions, so the two cannot disagree.

Whether an event is taken is decided here, and only here, by running it on the
interpreter (:class:`Core.execute`); :mod:`engine.explain` only words why not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..frozen import Frozen, field, replace
from ..model import ENTRY, Deadline, Process, Transition, rule_bases
from . import calendar, explain, interpreter
from . import facts as fact_values
from .migration import KEPT
from .records import CaseRecord, DeadlineRow, HistoryRow
from .steps import Journal

#: The actions of history rows that are inputs to the derivation.
INPUTS = ("open", "set", "send", "migrate")


class Refused(Exception):
    """The input is not accepted; nothing was changed. The message says why."""


class EntryRefused(Refused):
    """An input that cannot be taken in its place in the derivation."""

    def __init__(self, revision: int, words: str, reason: str) -> None:
        super().__init__(f"revision {revision} ({words}) could no longer be taken: {reason}")
        self.revision = revision
        self.words = f"revision {revision} ({words})"
        self.reason = reason


class Entry(Frozen):
    """One input as it now counts, corrections applied."""

    revision: int
    action: str
    on: dt.date
    event: str | None
    #: The facts given with it, as JSON values.
    facts: Mapping[str, Any]


def entries_of(rows: Sequence[HistoryRow]) -> tuple[list[Entry], bool]:
    """The inputs of a history as they now count, in happened-on order (same day:
    recording order), and whether the case was withdrawn (its opening voided).

    A ``correct`` row replaces the date and/or some facts of the revision it points at,
    or voids it; a later correction of the same revision replaces an earlier one's."""
    corrections: dict[int, HistoryRow] = {}
    for row in rows:
        if row.action == "correct" and row.corrects is not None:
            corrections[row.corrects] = row
    entries = []
    withdrawn = False
    for row in rows:
        if row.action not in INPUTS:
            continue
        given = dict(row.facts_changed if row.facts_given is None else row.facts_given)
        on = row.happened_on
        fix = corrections.get(row.revision)
        if fix is not None:
            if fix.void:
                withdrawn = withdrawn or row.action == "open"
                continue
            given.update(fix.facts_given or {})
            on = fix.happened_on
        entries.append(Entry(row.revision, row.action, dt.date.fromisoformat(on), row.event, given))
    entries.sort(key=lambda e: (e.on, e.revision))
    return entries, withdrawn


def horizon_of(rows: Sequence[HistoryRow], entries: Sequence[Entry]) -> dt.date | None:
    """The date a case is derived up to: its latest input, or the latest date a tick
    judged it as of, whichever is later."""
    dates = [e.on for e in entries]
    dates += [dt.date.fromisoformat(r.as_of or r.happened_on) for r in rows if r.action == "tick"]
    return max(dates, default=None)


class Change(Frozen):
    """What one step of the derivation did."""

    case: CaseRecord
    #: Sources of the rules applied (transitions taken).
    sources: list[str] = field(default_factory=list)
    #: Deadlines that passed, as ``{"deadline", "due", "raised"}``.
    passed: list[dict[str, Any]] = field(default_factory=list)
    #: Transitions the clock's own steps took, each with its date.
    moves: list[tuple[dt.date, Transition]] = field(default_factory=list)


class Core:
    """The rules of one process applied to cases, in memory.

    ``execute`` runs the statechart (:func:`engine.interpreter.execute`, or
    :func:`engine.chart.execute` on python-statemachine: same arguments, same answers);
    ``taken``, when a list, collects every transition taken (the scenario runner);
    ``resolve`` gives the process text of a hash, for a case that moved between texts
    (a ``migrate`` input)."""

    def __init__(
        self,
        process: Process,
        execute: Callable[..., Any],
        taken: list[Transition] | None = None,
        resolve: Callable[[str], Process] | None = None,
    ) -> None:
        self.process = process
        self.execute = execute
        self.taken = taken
        self.resolve = resolve
        self._today_dates, self._waiting = _clock_of(process)
        self._others: dict[str, Core] = {}

    def at(self, hash_: str) -> Core:
        """The rules of the text ``hash_`` (this core's own if it is that text)."""
        if self.resolve is None or not hash_:
            return self
        found = self._others.get(hash_)
        if found is None:
            process = self.resolve(hash_)
            found = (
                self
                if process is self.process
                else Core(process, self.execute, self.taken, self.resolve)
            )
            self._others[hash_] = found
        return found

    def migrate(self, before: CaseRecord, entry: Entry) -> Change:
        """A ``migrate`` entry taken on its date: the case, its clock first brought up to
        that date under this text, moved to the text the entry names
        (:mod:`engine.run.migration`), automatic steps then taken under the new rules."""
        from . import migration as moving

        spec = moving.Migration.from_json(entry.facts[moving.KEY])
        on = entry.on
        if before.hash != spec.old_hash:
            raise Refused(
                f"the case is on the text {before.hash[:12]} ({before.version}), not on the "
                f"plan's {spec.old_hash[:12]} ({spec.old_version})"
            )
        if before.closed_on is not None and before.closed_on <= on.isoformat():
            raise Refused(f"the case closed on {before.closed_on}; a closed case is not moved")
        moved = self.clock(before, on)
        new = self.at(spec.new_hash)
        if new.process is self.process and spec.new_hash != spec.old_hash:
            raise Refused(f"the text {spec.new_hash[:12]} cannot be found")
        try:
            case, _notes = moving.move(self.process, new.process, moved.case, spec, on, _due)
        except moving.NotMoved as error:
            raise Refused("\n".join(error.reasons)) from None
        facts = fact_values.from_json(new.process, case.facts)
        after, sources, _ = new._advance(case, facts, None, on)
        done = new.clock(after, on)
        return Change(done.case, sources, moved.passed + done.passed)

    # -- inputs -----------------------------------------------------------------------

    def open(self, blank: CaseRecord, facts: Mapping[str, Any], on: dt.date) -> Change:
        """A case just opened (``blank``: in no step, with no facts) entering its first
        steps on ``on``."""
        case, sources, _ = self._advance(blank, dict(facts), None, on)
        case = replace(case, opened_on=on.isoformat(), last_on=on.isoformat())
        after = self.clock(case, on)
        return Change(after.case, sources, after.passed)

    def apply(self, before: CaseRecord, entry: Entry) -> Change:
        """A ``set`` or ``send`` entry taken on its date, the clock first brought up to it
        (``before`` must be derived up to that date or earlier). Refused if the case had
        closed by then, or if the interpreter does not take the event."""
        on = entry.on
        if before.closed_on is not None and before.closed_on <= on.isoformat():
            raise Refused(
                f"the case closed on {before.closed_on}; it takes no entries after that "
                "(a correction can still be recorded: cspr case correct)"
            )
        moved = self.clock(before, on)
        case = moved.case
        if case.closed_on is not None:
            raise Refused(
                f"the case closed on {case.closed_on} (the clock's own steps closed it) and "
                "takes no more entries"
            )
        if entry.event is not None:
            self._not_the_clocks(case, entry.event)
        given = typed(self.process, entry.facts)
        current = {**fact_values.from_json(self.process, case.facts), **given}
        after, sources, journal = self._advance(case, current, entry.event, on)
        if entry.event is not None and not _took(journal, entry.event):
            raise Refused(self._why_not(after, moved.moves, journal, given, entry.event, on))
        done = self.clock(after, on)
        return Change(done.case, sources, moved.passed + done.passed)

    def _not_the_clocks(self, case: CaseRecord, event: str) -> None:
        """Refuse ``event`` sent by hand while a deadline of the case that raises it has
        still to pass: the clock raises it on the day after the due date, and it cannot
        have happened before (a wrong due date comes from a wrong fact: correct that)."""
        for row in case.deadlines:
            if row.status != "open" or row.raised_on is not None:
                continue
            deadline = self.process.deadline(row.state, row.name)
            if deadline is None or deadline.raises != event:
                continue
            if row.due:
                when = f"passes: it is due {row.due}, so on {_day_after(row.due).isoformat()}"
                instead = "if that due date is wrong, correct the fact it counts from"
            else:
                when = "passes, and its due date is not known yet"
                instead = "record the facts it counts from, and the clock raises it on its day"
            raise Refused(
                f"'{event}' is raised by the clock when the deadline '{row.name}' {when}; "
                f"it is not recorded by hand ({instead}: cspr case set, or cspr case correct)"
            )

    # -- the clock --------------------------------------------------------------------

    def clock(self, case: CaseRecord, until: dt.date) -> Change:
        """The case with the clock's own effects up to ``until`` worked out, each on its
        date: deadlines passed (on the day after their due date, or today if armed
        already passed) and their events raised; automatic steps that read ``today``
        looked at again on each day their answer can change."""
        passed: list[dict[str, Any]] = []
        sources: list[str] = []
        moves: list[tuple[dt.date, Transition]] = []
        until_iso = until.isoformat()
        while True:
            at = dt.date.fromisoformat(case.last_on)
            # Only deadlines passing by ``until`` matter (the day after the due date is on
            # or before it): ISO dates compare as text, so most rows cost no date here.
            passing = [
                row
                for row in case.deadlines
                if row.status == "open"
                and row.raised_on is None
                and row.due
                and row.due < until_iso
            ]
            next_deadline = min((max(_day_after(row.due), at) for row in passing), default=None)
            next_look = None
            if self._today_dates and at < until and self._waits_for_a_day(case.states):
                next_look = min(
                    (d for d in self._look_dates(case) if at < d <= until), default=None
                )
            candidates = [d for d in (next_deadline, next_look) if d is not None and d <= until]
            if not candidates:
                break
            day = min(candidates)
            if day == next_deadline:
                case = self._pass_deadlines(case, day, passed, sources, moves)
            else:
                case, more, journal = self._advance(
                    case, fact_values.from_json(self.process, case.facts), None, day
                )
                sources += more
                moves += [(day, step.transition) for step in journal if step.kind == "transition"]
            case = replace(case, last_on=max(case.last_on, day.isoformat()))
        if until.isoformat() > case.last_on:
            case = replace(case, last_on=until.isoformat())
        return Change(case, sources, passed, moves)

    def _pass_deadlines(
        self,
        case: CaseRecord,
        day: dt.date,
        passed: list[dict[str, Any]],
        sources: list[str],
        moves: list[tuple[dt.date, Transition]],
    ) -> CaseRecord:
        """Mark the deadlines whose day after has come by ``day``, and raise their events
        in order of due date."""
        iso = day.isoformat()
        due = sorted(
            (
                row
                for row in case.deadlines
                if row.status == "open" and row.raised_on is None and row.due and row.due < iso
            ),
            key=lambda r: r.due or "",
        )
        for row in due:
            if not any(r is row for r in case.deadlines):
                continue  # closed by an event raised just before
            marked = replace(row, raised_on=iso)
            case = replace(case, deadlines=tuple(marked if r is row else r for r in case.deadlines))
            deadline = self.process.deadline(row.state, row.name)
            event = deadline.raises if deadline else None
            entry: dict[str, Any] = {"deadline": row.name, "due": row.due, "raised": None}
            if event or self._waits_for_a_day(case.states):
                facts = fact_values.from_json(self.process, case.facts)
                case, more, journal = self._advance(case, facts, event, day)
                sources += more
                moves += [(day, step.transition) for step in journal if step.kind == "transition"]
                if event and _took(journal, event):
                    entry["raised"] = event
            passed.append(entry)
        return case

    def _look_dates(self, case: CaseRecord) -> Iterable[dt.date]:
        """Days on which a condition comparing ``today`` with a date can change its
        answer: each date it is compared with, and the day after."""
        dates = set(self._today_dates)
        for value in fact_values.from_json(self.process, case.facts).values():
            if isinstance(value, dt.date):
                dates.add(value)
        for day in dates:
            yield day
            yield day + dt.timedelta(days=1)

    # -- deriving a case from its inputs ------------------------------------------------

    def derive(
        self, blank: CaseRecord, entries: Sequence[Entry], horizon: dt.date | None
    ) -> CaseRecord:
        """The case its inputs give, in happened-on order, derived up to ``horizon``.
        Refused, naming the entry, if one of them cannot be taken in its place."""
        case: CaseRecord | None = None
        core = self.at(blank.hash)
        for entry in entries:
            if entry.action == "open":
                if case is not None:
                    raise EntryRefused(
                        entry.revision, _entry_words(entry), "a case is opened only once"
                    )
                start = replace(blank, opened_on=entry.on.isoformat(), last_on=entry.on.isoformat())
                case = core.open(start, typed(core.process, entry.facts), entry.on).case
                continue
            if case is None:
                raise EntryRefused(
                    entry.revision, _entry_words(entry), "it would come before the case was opened"
                )
            try:
                if entry.action == "migrate":
                    case = core.migrate(case, entry).case
                    core = core.at(case.hash)
                else:
                    case = core.apply(case, entry).case
            except Refused as error:
                raise EntryRefused(entry.revision, _entry_words(entry), str(error)) from None
        if case is None:
            return replace(blank, withdrawn=True)
        if horizon is not None:
            case = core.clock(case, horizon).case
        return case

    # -- one run of the chart -----------------------------------------------------------

    def _advance(
        self,
        before: CaseRecord,
        facts: dict[str, Any],
        event: str | None,
        on: dt.date,
    ) -> tuple[CaseRecord, list[str], Journal]:
        """Run the chart once from ``before`` with ``facts`` (typed; updated with those
        transitions record): the case after it, the sources of the rules applied, and
        the interpreter's journal."""
        process = self.process
        try:
            active, journal = self.execute(process, before.hash, facts, on, before.states, event)
        except interpreter.Unsettled as error:
            raise Refused(str(error)) from None
        deadlines = list(before.deadlines)
        sources: list[str] = []
        for index, step in enumerate(journal):
            if step.kind == "exit":
                left = step.state
                leaving = _leaving_by(process, journal, index, left)
                # Recompute first: a deadline armed and left in one change has no date yet.
                deadlines = [
                    close(process, recompute(process, row, facts), on, leaving)
                    if row.state == left and row.status == "open"
                    else row
                    for row in deadlines
                ]
            elif step.kind == "enter":
                deadlines += [
                    DeadlineRow(step.state, d.id, on.isoformat(), None, "")
                    for d in process.states[step.state].deadlines
                ]
            else:
                if self.taken is not None:
                    self.taken.append(step.transition)
                title = process.source_title(step.transition.source)
                if title:
                    sources.append(title)
        deadlines = [recompute(process, row, facts) for row in deadlines]
        states = process.sort_outermost_first(active)
        closed_on = before.closed_on
        if closed_on is None and any(
            process.states[s].parent is None and process.states[s].kind == "final" for s in states
        ):
            closed_on = on.isoformat()
        return (
            replace(
                before,
                states=states,
                facts={k: fact_values.to_json(v) for k, v in facts.items()},
                last_on=max(before.last_on, on.isoformat()),
                deadlines=tuple(deadlines),
                closed_on=closed_on,
            ),
            sources,
            journal,
        )

    def _why_not(
        self,
        after: CaseRecord,
        clock_moves: list[tuple[dt.date, Transition]],
        journal: Journal,
        given: Mapping[str, Any],
        event: str,
        on: dt.date,
    ) -> str:
        """Why the interpreter did not take ``event``: the explainer's words on the steps
        the case was in when the event came, and what happened first (the clock's own
        steps up to that date, and automatic steps the event's own facts allowed)."""
        first = [step.transition for step in journal if step.kind == "transition"]
        facts = fact_values.from_json(self.process, after.facts)
        check = explain.check_event(self.process, after.states, facts, event, on)
        reason = (
            check.reason or f"nothing in {', '.join(self.process.leaves(after.states))} takes it"
        )
        if check.transitions or (check.reasons and check.reasons[0].startswith("not to")):
            reason = f"'{event}' is not allowed on {on.isoformat()}: {reason}"
        if first:
            moves = "; ".join(_move_words(self.process, t) for t in first)
            cause = ", ".join(f"{k} = {fact_values.to_json(v)}" for k, v in given.items())
            reason += (
                f" (first, on {on.isoformat()}, {'with ' + cause + ', ' if cause else ''}"
                f"the case moved automatically: {moves})"
            )
        if clock_moves:
            by_day: dict[dt.date, list[str]] = {}
            for day, transition in clock_moves:
                by_day.setdefault(day, []).append(_move_words(self.process, transition))
            said = "; ".join(f"on {day.isoformat()}, {', '.join(m)}" for day, m in by_day.items())
            reason += f" (before it, the case moved by itself as the dates came: {said})"
        return reason

    def next_wake(self, case: CaseRecord) -> str | None:
        """The next date after the one the case is derived up to on which its clock acts:
        a deadline passing, or a condition on ``today`` that may change its answer."""
        if case.withdrawn or case.closed_on is not None:
            return None
        at = dt.date.fromisoformat(case.last_on)
        dates = [
            max(_day_after(row.due), at + dt.timedelta(days=1))
            for row in case.deadlines
            if row.status == "open" and row.raised_on is None and row.due
        ]
        if self._today_dates and self._waits_for_a_day(case.states):
            dates += [d for d in self._look_dates(case) if d > at]
        return min(dates).isoformat() if dates else None

    def _waits_for_a_day(self, states: Iterable[str]) -> bool:
        """Whether one of these states waits for a date (see :func:`_waiting_states`)."""
        return not self._waiting.isdisjoint(states)

    def trial(self, case: CaseRecord, event: str, on: dt.date) -> tuple[bool, str]:
        """Whether ``send event --on on`` would be taken now (by the same run as the real
        one, in memory), and if not, why."""
        try:
            self.apply(case, Entry(0, "send", on, event, {}))
        except Refused as error:
            return False, str(error)
        return True, ""


# -- closing deadlines ----------------------------------------------------------------------


def close(
    process: Process, row: DeadlineRow, on: dt.date, leaving: Transition | None
) -> DeadlineRow:
    """An open deadline closed as its step is left on ``on`` by ``leaving``: ``met`` when
    the way out does its duty on time, ``missed`` when late or when the duty lapsed after
    its due date had passed undone, ``lapsed`` when the duty stopped applying in time."""
    deadline = process.deadline(row.state, row.name)
    iso = on.isoformat()
    if deadline is not None and deadline.minimum:
        missed = row.due is not None and iso < row.due
        return replace(row, status="missed" if missed else "met", closed_on=iso)
    late = row.due is not None and iso > row.due
    if deadline is None or _does_duty(process, deadline, leaving):
        status = "missed" if late else "met"
    else:
        status = "missed" if late else "lapsed"
    return replace(row, status=status, closed_on=iso)


def _does_duty(process: Process, deadline: Deadline, leaving: Transition | None) -> bool:
    if not deadline.met_by:
        return True
    if leaving is None:
        return False
    if leaving.trigger == "event" and leaving.event in deadline.met_by:
        return True
    target = leaving.target
    return target in deadline.met_by or any(a in deadline.met_by for a in process.ancestors(target))


def _leaving_by(process: Process, journal: Journal, index: int, state: str) -> Transition | None:
    """The transition that makes the case leave ``state`` at ``journal[index]``: of the
    microstep's transitions (they follow its exits), the one from the state, from inside
    it, or from around it."""
    found: list[Transition] = []
    for step in journal[index + 1 :]:
        if step.kind == "enter":
            break
        if step.kind == "transition":
            found.append(step.transition)
    for transition in found:
        source = transition.source_state
        if (
            source == state
            or state in process.ancestors(source)
            or source in process.ancestors(state)
        ):
            return transition
    return found[0] if found else None


def recompute(process: Process, row: DeadlineRow, facts: Mapping[str, Any]) -> DeadlineRow:
    """An open deadline's due date and explanation from the facts as they now stand."""
    if row.status != "open" or row.explanation.startswith(KEPT):
        return row  # a due date kept across a move to another text is not worked out again
    deadline = process.deadline(row.state, row.name)
    if deadline is None:
        return row
    due, explanation = _due(deadline, row.armed_on, facts)
    if due == row.due and explanation == row.explanation:
        return row
    return replace(row, due=due, explanation=explanation)


#: Due dates already worked out, by deadline rule, day armed and the values of the facts
#: the rule counts from: every change recomputes every open deadline of its case, and
#: the facts they count from rarely change.
_DUE_CACHE: dict[tuple, tuple[Any, str | None, str]] = {}


def _due(deadline: Deadline, armed_on: str, facts: Mapping[str, Any]) -> tuple[str | None, str]:
    bases = tuple(facts.get(base) for base in rule_bases(deadline.rule) if base != ENTRY)
    key = (id(deadline.rule), armed_on, bases)
    cached = _DUE_CACHE.get(key)
    if cached is not None and cached[0] is deadline.rule:
        return cached[1], cached[2]
    due = calendar.compute_due(deadline.rule, facts, dt.date.fromisoformat(armed_on))
    if len(_DUE_CACHE) > 50_000:
        _DUE_CACHE.clear()
    iso = due.date.isoformat() if due.date else None
    # The rule itself is kept, so its id cannot be reused by another while cached.
    _DUE_CACHE[key] = (deadline.rule, iso, due.explanation)
    return iso, due.explanation


# -- small helpers --------------------------------------------------------------------------


def typed(process: Process, facts: Mapping[str, Any]) -> dict[str, Any]:
    """Facts as given (text, or JSON values) in the types the process declares them with."""
    try:
        return {name: fact_values.coerce(process, name, v) for name, v in facts.items()}
    except fact_values.FactError as error:
        raise Refused(str(error)) from None


def _took(journal: Journal, event: str) -> bool:
    return any(
        step.kind == "transition"
        and step.transition.trigger == "event"
        and step.transition.event == event
        for step in journal
    )


def _move_words(process: Process, transition: Transition) -> str:
    source = process.states[transition.source_state].label
    target = process.states[transition.target].label
    return f"{source} → {target}"


def _entry_words(entry: Entry) -> str:
    what = f"send {entry.event}" if entry.action == "send" else entry.action
    return f"{what} on {entry.on.isoformat()}"


def opening_hash(rows: Sequence[HistoryRow], current: str) -> str:
    """The text a case was opened under: the one its first ``migrate`` input moved it
    from, else the text it is on now."""
    from .migration import KEY

    for row in rows:
        if row.action == "migrate" and row.facts_given and KEY in row.facts_given:
            return str(row.facts_given[KEY]["from"]["hash"])
    return current


def _day_after(iso: str | None) -> dt.date:
    return dt.date.fromisoformat(iso or "1900-01-01") + dt.timedelta(days=1)


def _condition_dates(process: Process) -> frozenset[dt.date]:
    """Every date written in a condition that reads ``today``; empty if none reads it."""
    reads = any(
        "today" in process.reads(t.guard.names)
        for t in process.transitions()
        if t.trigger == "always" and t.guard is not None
    )
    if not reads:
        return frozenset()
    dates: set[dt.date] = set()
    for expression in [
        *(t.guard for t in process.transitions() if t.guard is not None),
        *process.expressions.values(),
    ]:
        dates.update(_literal_dates(expression.tree))
    # A condition comparing today with a fact only: the fact's value supplies the dates;
    # a sentinel keeps the set non-empty so that the clock still looks.
    return frozenset(dates) or frozenset({dt.date(1900, 1, 1)})


def _literal_dates(node: Any) -> Iterable[dt.date]:
    from ..conditions import Literal

    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Literal):
            if isinstance(item.value, dt.date):
                yield item.value
            continue
        for name in getattr(item, "_fields", ()):
            value = getattr(item, name)
            if isinstance(value, tuple):
                stack.extend(value)
            elif isinstance(value, Frozen):
                stack.append(value)


#: What the clock needs of each process, worked out once: the process is kept with it so
#: that its id is never reused meanwhile.
_CLOCKS: dict[int, tuple[Process, frozenset[dt.date], frozenset[str]]] = {}


def _clock_of(process: Process) -> tuple[frozenset[dt.date], frozenset[str]]:
    """The dates a condition on ``today`` compares with, and the states that wait for one."""
    entry = _CLOCKS.get(id(process))
    if entry is None or entry[0] is not process:
        if len(_CLOCKS) > 64:
            _CLOCKS.clear()
        entry = _CLOCKS[id(process)] = (
            process,
            _condition_dates(process),
            _waiting_states(process),
        )
    return entry[1], entry[2]


def _waiting_states(process: Process) -> frozenset[str]:
    """The states with an automatic transition whose condition reads ``today`` (itself or
    through named conditions): the only kind that the passing of days alone can make
    possible."""
    return frozenset(
        state
        for state, node in process.states.items()
        for t in node.transitions
        if t.trigger == "always" and t.guard is not None and "today" in process.reads(t.guard.names)
    )
