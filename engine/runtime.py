"""Cases: open, record facts, send events on dates, tick timers, and show where they stand.

Every operation reads the case inside one write transaction, works out the new state,
facts, deadlines and history row, and commits them together (see :mod:`engine.store`).
Anything refused raises :class:`Refused` before a byte is written.

Only :meth:`Runtime.send`, :meth:`Runtime.open`, :meth:`Runtime.set` and
:meth:`Runtime.tick` run the statechart; showing a case needs the model alone.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from . import calendar, explain
from . import facts as fact_values
from .frozen import Frozen, replace
from .loader import Bundle, LoadError, build_cached, process_for_hash, read_bundle
from .model import ENTRY, Deadline, Process, Transition, rule_bases
from .store import CaseRecord, DeadlineRow, HistoryRow, Store, StoreError

PACKAGED_PROCESSES = Path(__file__).resolve().parent.parent / "processes"


class Refused(Exception):
    """The input is not accepted; nothing was changed. The message says why."""


@functools.lru_cache(maxsize=1)  # asked once per change; a tick makes thousands
def default_user() -> str:
    try:
        import getpass  # imported here: only a change records who made it

        return getpass.getuser()
    except Exception:  # no user name in some containers
        return "unknown"


def _interpret(*args: Any) -> Any:
    """:func:`engine.interpreter.execute`, imported on first use: showing a case never runs
    the statechart, so its start-up does not pay for the interpreter."""
    from . import interpreter

    return interpreter.execute(*args)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class DeadlineView(Frozen):
    name: str
    state: str
    title: str | None
    due: dt.date | None
    status: str
    explanation: str
    working_days_left: int | None
    source: str | None
    armed_on: str
    closed_on: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "state": self.state,
            "title": self.title,
            "due": self.due.isoformat() if self.due else None,
            "status": self.status,
            "explanation": self.explanation,
            "working_days_left": self.working_days_left,
            "source": self.source,
            "armed_on": self.armed_on,
            "closed_on": self.closed_on,
        }


class CaseView(Frozen):
    record: CaseRecord
    process: Process
    as_of: dt.date
    deadlines: list[DeadlineView]
    events: list[explain.EventCheck]

    def as_json(self) -> dict[str, Any]:
        r = self.record
        return {
            "id": r.id,
            "ref": r.ref,
            "process": r.process,
            "version": r.version,
            "hash": r.hash,
            "revision": r.revision,
            "opened_on": r.opened_on,
            "last_on": r.last_on,
            "as_of": self.as_of.isoformat(),
            "states": self.process.sort_outermost_first(r.states),
            "facts": dict(r.facts),
            "deadlines": [d.as_json() for d in self.deadlines],
            "events": [e.as_json() for e in self.events],
        }


def deadline_status(row: DeadlineRow, as_of: dt.date, minimum: bool = False) -> str:
    """pending, overdue, met or missed as of a date; a minimum period is met, not overdue,
    once its date has come."""
    if row.status != "open":
        return row.status
    if row.due is not None and dt.date.fromisoformat(row.due) < as_of:
        return "met" if minimum else "overdue"
    return "pending"


class Runtime:
    """Cases in a store, run against the process texts they were opened under."""

    def __init__(self, store: Store, processes_dir: str | Path | None = None):
        self.store = store
        #: Every transition taken, when a caller (the scenario runner) wants to know.
        self.taken: list[Transition] | None = None
        #: What runs the statechart: the engine's interpreter, or (same arguments, same
        #: answers) :func:`engine.chart.execute`, which runs it on python-statemachine.
        self.execute = _interpret
        self.processes_dir = Path(
            processes_dir or os.environ.get("CSPR_PROCESSES") or _default_processes_dir()
        )

    # -- processes --------------------------------------------------------------------

    def process_of(self, record: CaseRecord) -> Process:
        """The exact process text the case is pinned to."""
        return process_for_hash(record.hash, lambda: self.store.bundle_text(record.hash))

    def find_bundle(self, name: str) -> Bundle:
        """A process by id (``processes/<id>.yaml``) or by file path."""
        path = Path(name)
        if not (name.endswith((".yaml", ".yml")) and path.is_file()):
            path = self.processes_dir / f"{name}.yaml"
        if not path.is_file():
            known = sorted(p.stem for p in self.processes_dir.glob("*.yaml"))
            from .loader import did_you_mean

            raise Refused(
                f"unknown process '{name}'"
                + (did_you_mean(name, known) or f"; known processes: {', '.join(known)}")
            )
        return read_bundle(path)

    # -- operations -------------------------------------------------------------------

    def open(
        self,
        process_name: str | Bundle,
        facts: Mapping[str, Any] | None = None,
        on: dt.date | None = None,
        by: str | None = None,
        ref: str | None = None,
        note: str | None = None,
    ) -> CaseRecord:
        """Open a case of a process (its id, a file, or the exact :class:`Bundle` of texts,
        as replay does) on ``on`` (default today) with its first facts."""
        if isinstance(process_name, Bundle):
            bundle, process_name = process_name, process_name.main
        else:
            bundle = self.find_bundle(process_name)
        try:
            process = build_cached(bundle)
        except LoadError as error:
            raise Refused(f"process '{process_name}' has problems:\n{error}") from None
        on = on or dt.date.today()
        typed = typed_facts(process, facts or {})
        _check_ref(ref)
        _check_words(by, note)
        with self.store.transaction() as db:
            self.store.pin_bundle(
                bundle.hash, process.id, process.version, bundle.to_json(), _now()
            )
            try:
                case_id = self.store.insert_case(
                    db, ref, process.id, process.version, bundle.hash, on.isoformat(), _now()
                )
            except StoreError as error:
                raise Refused(str(error)) from None
            blank = blank_case(case_id, ref, process, bundle.hash, on)
            after, row = self.opening(process, blank, typed, on, by, note)
            # The case as this change left it, not as a writer that commits straight
            # after has.
            return self.store.save(db, blank, after, row, _now())

    def set(
        self,
        key: str,
        facts: Mapping[str, Any],
        on: dt.date | None = None,
        by: str | None = None,
        note: str | None = None,
    ) -> CaseRecord:
        """Record facts on ``on``; automatic transitions then look at them."""
        if not facts:
            raise Refused("give at least one NAME=VALUE to record")
        return self._change(key, facts, None, on, by, note, "set")

    def send(
        self,
        key: str,
        event: str,
        on: dt.date | None = None,
        facts: Mapping[str, Any] | None = None,
        by: str | None = None,
        note: str | None = None,
    ) -> CaseRecord:
        """Record that ``event`` happened on ``on``; refused if the case cannot take it."""
        return self._change(key, facts or {}, event, on, by, note, "send")

    def _change(self, key, facts, event, on, by, note, action) -> CaseRecord:
        on = on or dt.date.today()
        _check_words(by, note)
        with self.store.transaction() as db:
            before = self._find(key)
            process = self.process_of(before)
            typed = typed_facts(process, facts)
            after, row = self.changing(process, before, action, typed, event, on, by, note)
            return self.store.save(db, before, after, row, _now())  # as it left it (see open)

    def tick(self, as_of: dt.date | None = None, by: str | None = None) -> list[dict[str, Any]]:
        """Mark deadlines that passed before ``as_of`` and raise their events."""
        as_of = as_of or dt.date.today()
        _check_words(by, None)
        report: list[dict[str, Any]] = []
        for case_id in self.store.due_case_ids(as_of.isoformat()):
            with self.store.transaction() as db:
                before = self.store.find(str(case_id))
                ticked = self.ticking(self.process_of(before), before, as_of, by, report)
                if ticked is not None:
                    self.store.save(db, before, *ticked, _now())
        return report

    # -- what a change does, worked out without the store ----------------------------
    #
    # Each takes the case as it stands and gives the case after the change and its history
    # row, or raises Refused; the operations above read and write them in one transaction,
    # and replay (engine.verify) chains them in memory.

    def opening(
        self,
        process: Process,
        blank: CaseRecord,
        facts: Mapping[str, Any],
        on: dt.date,
        by: str | None,
        note: str | None,
    ) -> tuple[CaseRecord, HistoryRow]:
        """A case just opened (``blank``, see :func:`blank_case`) entering its first steps."""
        after, sources = self._advance(process, blank, dict(facts), None, on)
        return after, _history_row(blank, after, sources, on, by, "open", None, note, facts)

    def changing(
        self,
        process: Process,
        before: CaseRecord,
        action: str,
        facts: Mapping[str, Any],
        event: str | None,
        on: dt.date,
        by: str | None,
        note: str | None,
    ) -> tuple[CaseRecord, HistoryRow]:
        """Facts recorded (``action`` "set") or an event sent ("send") on ``on``."""
        if on.isoformat() < before.last_on:
            raise Refused(
                f"{on.isoformat()} is before the case's last recorded change "
                f"({before.last_on}); record changes in the order they happened"
            )
        current = {**fact_values.from_json(process, before.facts), **facts}
        if event is not None:
            check = explain.check_event(process, before.states, current, event, on)
            if not check.allowed:
                raise Refused(f"'{event}' is not allowed now: {check.reason}")
        after, sources = self._advance(process, before, current, event, on)
        return after, _history_row(before, after, sources, on, by, action, event, note, facts)

    def ticking(
        self,
        process: Process,
        before: CaseRecord,
        as_of: dt.date,
        by: str | None,
        report: list[dict[str, Any]],
    ) -> tuple[CaseRecord, HistoryRow] | None:
        """Deadlines of the case that passed before ``as_of`` marked, and their events
        raised (each on the day after it passed); ``None`` if none passed. What was marked
        is added to ``report``."""
        passed = [
            row
            for row in before.deadlines
            if row.status == "open"
            and row.raised_on is None
            and row.due
            and row.due < as_of.isoformat()
        ]
        if not passed:
            return None
        after, happened = before, before.last_on
        notes, sources, raised = [], [], []
        for row in sorted(passed, key=lambda r: r.due or ""):
            happened = max(happened, _day_after(row.due))
            marked = replace(row, raised_on=as_of.isoformat())
            after = replace(
                after,
                deadlines=tuple(marked if d == row else d for d in after.deadlines),
            )
            deadline = _deadline_model(process, row)
            passed_word = "reached" if deadline and deadline.minimum else "overdue"
            notes.append(f"{row.name} {passed_word} (due {row.due})")
            event = deadline.raises if deadline else None
            entry = {
                "case": before.id,
                "ref": before.ref,
                "deadline": row.name,
                "due": row.due,
                "raised": event,
            }
            day = dt.date.fromisoformat(happened)
            current = fact_values.from_json(process, after.facts)
            if event:
                check = explain.check_event(process, after.states, current, event, day)
                if check.allowed:
                    raised.append(event)
                else:
                    entry["raised"] = event = None
            # With no event, the chart still looks again on the day after the
            # deadline: an automatic transition may wait for that date to come
            # (only one whose condition reads `today` can: nothing else changed).
            if event or _waits_for_a_day(process, after.states):
                after, taken = self._advance(process, after, current, event, day)
                after = replace(after, revision=before.revision)
                sources += taken
            report.append(entry)
        after = replace(after, last_on=happened, revision=before.revision + 1)
        day = dt.date.fromisoformat(happened)
        row = _history_row(
            before,
            after,
            sources,
            day,
            by,
            "tick",
            ",".join(raised) or None,
            "; ".join(notes),
            {},
            as_of.isoformat(),
        )
        return after, row

    # -- reading ----------------------------------------------------------------------

    def show(self, key: str, as_of: dt.date | None = None) -> CaseView:
        record = self._find(key)
        process = self.process_of(record)
        as_of = as_of or dt.date.today()
        typed = fact_values.from_json(process, record.facts)
        return CaseView(
            record,
            process,
            as_of,
            [self._deadline_view(process, row, as_of) for row in record.deadlines],
            explain.check_all(process, record.states, typed, as_of),
        )

    def overdue(self, record: CaseRecord, as_of: dt.date) -> list[str]:
        """Names of the case's deadlines overdue as of a date."""
        views = [self._deadline_view(self.process_of(record), r, as_of) for r in record.deadlines]
        return [v.name for v in views if v.status == "overdue"]

    def history(self, key: str) -> tuple[CaseRecord, list[HistoryRow]]:
        record = self._find(key)
        return record, self.store.history(record.id)

    def due(
        self, within: int, as_of: dt.date | None = None
    ) -> list[tuple[CaseRecord, DeadlineView]]:
        """Open deadlines due within ``within`` working days of ``as_of``, or overdue."""
        as_of = as_of or dt.date.today()
        until = calendar.add_working_days(as_of, within)
        result = []
        records: dict[int, CaseRecord] = {}
        for case_id, row in self.store.open_deadlines_due_by(until.isoformat()):
            if case_id not in records:  # a case with several deadlines is read once
                records[case_id] = self.store.find(str(case_id))
            record = records[case_id]
            process = self.process_of(record)
            result.append((record, self._deadline_view(process, row, as_of)))
        return result

    # -- internals --------------------------------------------------------------------

    def _find(self, key: str) -> CaseRecord:
        try:
            return self.store.find(key)
        except StoreError as error:
            raise Refused(str(error)) from None

    def _deadline_view(self, process: Process, row: DeadlineRow, as_of: dt.date) -> DeadlineView:
        deadline = _deadline_model(process, row)
        due = dt.date.fromisoformat(row.due) if row.due else None
        status = deadline_status(row, as_of, bool(deadline and deadline.minimum))
        left = (
            calendar.working_days_between(as_of, due)
            if due and status in ("pending", "overdue")
            else None
        )
        return DeadlineView(
            name=row.name,
            state=row.state,
            title=deadline.title if deadline else None,
            due=due,
            status=status,
            explanation=row.explanation,
            working_days_left=left,
            source=process.source_title(deadline.source) if deadline else None,
            armed_on=row.armed_on,
            closed_on=row.closed_on,
        )

    def _advance(
        self,
        process: Process,
        before: CaseRecord,
        facts: dict[str, Any],
        event: str | None,
        on: dt.date,
    ) -> tuple[CaseRecord, list[str]]:
        """Run the chart for one change from ``before`` with ``facts`` (the case's own, typed,
        and those given with the change; updated with those it records): states, facts and
        deadlines after it, and the sources of the rules applied."""
        active, journal = self.execute(process, before.hash, facts, on, before.states, event)
        deadlines = list(before.deadlines)
        sources = []
        for kind, item in journal:
            if kind == "exit":
                # Recompute first: a deadline armed and left in one change has no date yet.
                deadlines = [
                    _close(process, _recompute(process, row, facts), on)
                    if row.state == item and row.status == "open"
                    else row
                    for row in deadlines
                ]
            elif kind == "enter":
                deadlines += [
                    DeadlineRow(item, d.id, on.isoformat(), None, "")
                    for d in process.states[item].deadlines
                ]
            elif kind == "transition":
                if self.taken is not None:
                    self.taken.append(item)
                if item.source:
                    sources.append(process.source_title(item.source))
        deadlines = [_recompute(process, row, facts) for row in deadlines]
        return replace(
            before,
            states=process.sort_outermost_first(active),
            facts={k: fact_values.to_json(v) for k, v in facts.items()},
            revision=before.revision + 1,
            last_on=max(before.last_on, on.isoformat()),
            deadlines=tuple(deadlines),
        ), sources


_MISSING = object()


def typed_facts(process: Process, facts: Mapping[str, Any]) -> dict[str, Any]:
    """Facts as given (text, or JSON values) in the types the process declares them with."""
    try:
        return {name: fact_values.coerce(process, name, v) for name, v in facts.items()}
    except fact_values.FactError as error:
        raise Refused(str(error)) from None


def blank_case(
    case_id: int, ref: str | None, process: Process, key: str, on: dt.date
) -> CaseRecord:
    """A case as :meth:`Store.insert_case` leaves it: in no step yet, with no facts."""
    iso = on.isoformat()
    return CaseRecord(case_id, ref, process.id, process.version, key, [], {}, 0, iso, iso)


def _history_row(
    before: CaseRecord,
    after: CaseRecord,
    sources: list[str],
    on: dt.date,
    by: str | None,
    action: str,
    event: str | None,
    note: str | None,
    given: Mapping[str, Any],
    as_of: str | None = None,
) -> HistoryRow:
    changed = {k: v for k, v in after.facts.items() if before.facts.get(k, _MISSING) != v}
    return HistoryRow(
        revision=after.revision,
        happened_on=on.isoformat(),
        recorded_at=_now(),
        recorded_by=by or default_user(),
        action=action,
        event=event,
        states_before=list(before.states),
        states_after=list(after.states),
        facts_changed=changed,
        note=note,
        source="; ".join(dict.fromkeys(sources)) or None,
        facts_given={k: fact_values.to_json(v) for k, v in given.items()},
        as_of=as_of,
    )


def _default_processes_dir() -> Path:
    local = Path("processes")
    return local if local.is_dir() else PACKAGED_PROCESSES


def _check_ref(ref: str | None) -> None:
    if ref is None:
        return
    _check_label("a reference", ref)
    if ref.isdigit():
        raise Refused(
            f"reference '{ref}' is all digits and would be confused with a case id; "
            "add a letter, e.g. 'LA-{ref}'"
        )


def _check_label(what: str, text: str) -> None:
    """References and names: one line of 1 to 200 printable characters (no control or
    invisible formatting characters, which could disguise one reference as another)."""
    if not text.strip() or len(text) > 200 or not text.isprintable():
        raise Refused(f"{what} is 1 to 200 printable characters")


def _check_words(by: str | None, note: str | None) -> None:
    """Who records a change, and the note with it."""
    if by is not None:
        _check_label("who records a change (--by)", by)
    if note is not None and len(note) > fact_values.MAX_TEXT:
        raise Refused(
            f"a note is at most {fact_values.MAX_TEXT:,} characters (this one has "
            f"{len(note):,}); keep long documents in your records system and refer to them"
        )


def _waits_for_a_day(process: Process, states: Iterable[str]) -> bool:
    """Whether an automatic transition of these states has a condition that reads
    ``today`` (itself or through named conditions): the only kind that the passing of days
    alone can make possible."""
    return any(
        t.trigger == "always" and t.guard is not None and _reads_today(process, t.guard.names)
        for state in states
        for t in process.states[state].transitions
    )


def _reads_today(
    process: Process, names: Iterable[str], seen: frozenset[str] = frozenset()
) -> bool:
    for name in names:
        if name == "today":
            return True
        condition = process.conditions.get(name)
        if (
            condition is not None
            and name not in seen
            and _reads_today(process, condition.expression.names, seen | {name})
        ):
            return True
    return False


def _day_after(iso: str | None) -> str:
    return (dt.date.fromisoformat(iso or "1900-01-01") + dt.timedelta(days=1)).isoformat()


def _deadline_model(process: Process, row: DeadlineRow) -> Deadline | None:
    return process.deadline(row.state, row.name)


def _close(process: Process, row: DeadlineRow, on: dt.date) -> DeadlineRow:
    deadline = _deadline_model(process, row)
    if deadline is not None and deadline.minimum:
        missed = row.due is not None and on.isoformat() < row.due
    else:
        missed = row.due is not None and on.isoformat() > row.due
    return replace(row, status="missed" if missed else "met", closed_on=on.isoformat())


def _recompute(process: Process, row: DeadlineRow, facts: Mapping[str, Any]) -> DeadlineRow:
    """An open deadline's due date and explanation from the facts as they now stand."""
    if row.status != "open":
        return row
    deadline = _deadline_model(process, row)
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


def parse_facts(assignments: Iterable[str]) -> dict[str, str]:
    """``["a=1", "b=2"]`` → ``{"a": "1", "b": "2"}``, refusing malformed ones."""
    result = {}
    for text in assignments:
        try:
            name, value = fact_values.parse_assignment(text)
        except fact_values.FactError as error:
            raise Refused(str(error)) from None
        result[name] = value
    return result
