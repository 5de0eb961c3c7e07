"""Cases: open, record facts, send events, correct entries, tick, and show where they
stand.

Every operation reads the case inside one write transaction, works out the case as its
inputs now derive it (:mod:`engine.record`) and its new history row, and commits them
together (see :mod:`engine.store`). Anything refused raises :class:`Refused` before a
byte is written.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ..format.loader import Bundle, LoadError, build_cached, process_for_hash, read_bundle
from ..frozen import Frozen, field, replace
from ..model import Process, Transition
from ..resources import shipped
from ..run import calendar, explain
from ..run import facts as fact_values
from ..run.record import (
    Core,
    Entry,
    EntryRefused,
    Refused,
    entries_of,
    horizon_of,
    opening_hash,
    typed,
)
from ..run.records import CaseRecord, DeadlineRow, HistoryRow
from ..store.database import Store, StoreError
from ..store.refs import normal as normal_ref

PACKAGED_PROCESSES = shipped("processes")

__all__ = ["Refused", "Runtime", "record_input"]


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
    from ..run import interpreter

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
    #: The role responsible: the deadline's own ``by``, else its step's.
    role: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
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
    #: Shown for a date after today: what would stand then if nothing else is recorded.
    forecast: bool = False
    #: The date the stored case is derived up to.
    derived_to: str | None = None

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
            "closed_on": r.closed_on,
            "withdrawn": r.withdrawn,
            "forecast": self.forecast,
        }


def deadline_status(row: DeadlineRow, as_of: dt.date, minimum: bool = False) -> str:
    """pending, overdue, met, missed or lapsed as of a date; a minimum period is met, not overdue,
    once its date has come."""
    if row.status != "open":
        return row.status
    if row.due is not None and dt.date.fromisoformat(row.due) < as_of:
        return "met" if minimum else "overdue"
    return "pending"


class Runtime:
    """Cases in a store, run against the process texts they were opened under.

    Every change appends one history row and writes the case as the record now derives
    it (:mod:`engine.record`), in one transaction. An entry dated on or after the date the
    case is derived up to is taken from the stored case; an earlier one (a late entry)
    or a correction derives the case again from all its inputs."""

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
        #: Dates after this are in the future: nothing can have happened on them yet.
        self.today = dt.date.today()

    # -- processes --------------------------------------------------------------------

    def process_of(self, record: CaseRecord) -> Process:
        """The exact process text the case is pinned to."""
        return process_for_hash(record.hash, lambda: self.store.bundle_text(record.hash))

    def core(self, process: Process) -> Core:
        """The record's rules for ``process``, run by :attr:`execute` (and those of any
        text a case moved from or to, found in the store by hash)."""
        return Core(process, self.execute, self.taken, self._process_for_hash)

    def _process_for_hash(self, hash_: str) -> Process:
        return process_for_hash(hash_, lambda: self.store.bundle_text(hash_))

    def find_case(self, key: str) -> CaseRecord:
        """A case by id or reference; refused, saying so, if there is none."""
        return self._find(key)

    def processes_in_store(self) -> Iterator[Process]:
        """Every process text a case in the store is pinned to (one that no longer reads
        is left out: the cases pinned to it are reported where they are read)."""
        for (hash_,) in self.store.execute("SELECT DISTINCT hash FROM cases").fetchall():
            try:
                yield process_for_hash(hash_, functools.partial(self.store.bundle_text, hash_))
            except (LoadError, StoreError, ValueError):
                continue

    def find_bundle(self, name: str) -> Bundle:
        """A process by id (``processes/<id>.yaml``) or by file path."""
        path = Path(name)
        if not (name.endswith((".yaml", ".yml")) and path.is_file()):
            path = self.processes_dir / f"{name}.yaml"
        if not path.is_file():
            known = sorted(p.stem for p in self.processes_dir.glob("*.yaml"))
            from ..problems import did_you_mean

            raise Refused(
                f"unknown process '{name}'"
                + (did_you_mean(name, known) or f"; known processes: {', '.join(known)}")
            )
        return read_bundle(path)

    def choose_bundle(
        self,
        name: str,
        facts: Mapping[str, Any],
        on: dt.date | None,
        version: str | None = None,
    ) -> tuple[Bundle, str | None]:
        """The text a case of ``name`` opens under, and, when chosen by hand against the
        version in force, the words the history keeps for it."""
        from ..format import versions

        path = Path(name)
        if name.endswith((".yaml", ".yml")) and path.is_file():
            if version is not None:
                raise Refused("--version chooses among a process's files: give its id, not a file")
            return self.find_bundle(name), None
        found = versions.folder_versions(self.processes_dir, name)
        if not found:
            if version is not None:
                raise Refused(f"unknown process '{name}': no file in {self.processes_dir} says so")
            return self.find_bundle(name), None
        try:
            choice = versions.choose(found, name, facts, on or self.today, version)
        except versions.NoVersion as error:
            raise Refused(str(error)) from None
        return read_bundle(choice.version.file), choice.reason if choice.chosen else None

    # -- operations -------------------------------------------------------------------

    def open(
        self,
        process_name: str | Bundle,
        facts: Mapping[str, Any] | None = None,
        on: dt.date | None = None,
        by: str | None = None,
        ref: str | None = None,
        note: str | None = None,
        version: str | None = None,
    ) -> CaseRecord:
        """Open a case of a process (its id, a file, or the exact :class:`Bundle` of texts,
        as replay does) on ``on`` (default today) with its first facts.

        By id, the case opens under the version in force on the date its ``chosen_by``
        fact gives, or on ``on`` (:mod:`engine.format.versions`); ``version`` chooses
        another, and the opening row's note says so."""
        if isinstance(process_name, Bundle):
            bundle, process_name = process_name, process_name.main
        else:
            bundle, why = self.choose_bundle(process_name, facts or {}, on, version)
            if why:
                note = f"{note}; {why}" if note else why
        try:
            process = build_cached(bundle)
        except LoadError as error:
            raise Refused(f"process '{process_name}' has problems:\n{error}") from None
        on = self._happened(on)
        typed = typed_facts(process, facts or {})
        if ref is not None:
            ref = normal_ref(ref)
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
            row = _input_row(1, on, by, "open", None, note, typed)
            outcome = record_input(self.core(process), blank, [], row)
            # The case as this change left it, not as a writer that commits straight
            # after has.
            return self.store.save(db, blank, outcome.case, outcome.row, _now())

    def set(
        self,
        key: str,
        facts: Mapping[str, Any],
        on: dt.date | None = None,
        by: str | None = None,
        note: str | None = None,
    ) -> CaseRecord:
        """Record facts that became known on ``on``; automatic steps then look at them."""
        if not facts:
            raise Refused("give at least one NAME=VALUE to record")
        return self.change(key, "set", facts, None, on, by, note).case

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
        return self.change(key, "send", facts or {}, event, on, by, note).case

    def change(
        self,
        key: str,
        action: str,
        facts: Mapping[str, Any],
        event: str | None,
        on: dt.date | None,
        by: str | None,
        note: str | None,
    ) -> Outcome:
        """A ``set`` or ``send`` entry, in its place however late it is recorded: the case
        after it, and (for a late entry) what it changed, in words."""
        on = self._happened(on)
        _check_words(by, note)
        with self.store.transaction() as db:
            before = self._find(key)
            process = self.process_of(before)
            typed = typed_facts(process, facts)
            row = _input_row(before.revision + 1, on, by, action, event, note, typed)
            rows = [] if on.isoformat() >= before.last_on else self.store.history(before.id)
            outcome = record_input(self.core(process), before, rows, row)
            saved = self.store.save(
                db, before, outcome.case, outcome.row, _now(), rederived=outcome.rederived
            )
            return replace(outcome, case=saved)

    def correct(
        self,
        key: str,
        revision: int,
        reason: str,
        on: dt.date | None = None,
        facts: Mapping[str, Any] | None = None,
        void: bool = False,
        by: str | None = None,
    ) -> Outcome:
        """Record that the entry at ``revision`` happened on another date, with other
        facts, or (``void``) not at all. Appended as a row of its own that points at
        ``revision``; that row stays exactly as it was. The case is derived again."""
        if not reason or not reason.strip():
            raise Refused("a correction needs a reason (--reason TEXT)")
        if void and (on is not None or facts):
            raise Refused("--void says the entry did not happen: give no --on or --fact with it")
        if not void and on is None and not facts:
            raise Refused("say what to correct: --on DATE, --fact NAME=VALUE, or --void")
        if on is not None:
            on = self._happened(on)
        _check_words(by, reason)
        with self.store.transaction() as db:
            before = self._find(key)
            process = self.process_of(before)
            rows = self.store.history(before.id)
            target = _correctable(rows, revision)
            typed = typed_facts(process, facts or {})
            row = replace(
                _input_row(
                    before.revision + 1,
                    on or dt.date.fromisoformat(_current_date(rows, target)),
                    by,
                    "correct",
                    None,
                    reason.strip(),
                    typed,
                ),
                corrects=revision,
                void=void,
            )
            outcome = record_input(self.core(process), before, rows, row)
            saved = self.store.save(db, before, outcome.case, outcome.row, _now(), rederived=True)
            return replace(outcome, case=saved)

    def tick(
        self,
        as_of: dt.date | None = None,
        by: str | None = None,
        failed: list[dict[str, Any]] | None = None,
    ) -> list[dict[str, Any]]:
        """Bring every case whose clock acts by ``as_of`` up to that date: deadlines that
        passed are marked and their events raised, each on its own date. A tick never
        stops an earlier-dated entry from being recorded later.

        Each case is ticked in its own transaction, and one that cannot be (a damaged
        row, a process text that no longer reads) never stops the others: it is added to
        ``failed`` as ``{"case", "error"}`` and left as it was (without ``failed``, the
        tick goes on and then raises :class:`Refused` naming them)."""
        as_of = self._happened(as_of)
        _check_words(by, None)
        report: list[dict[str, Any]] = []
        problems: list[dict[str, Any]] = []
        for case_id in self.store.waking_case_ids(as_of.isoformat()):
            try:
                report += self._tick_one(case_id, as_of, by)
            except Exception as error:  # noqa: BLE001 - one damaged case must not stop the rest
                problems.append({"case": case_id, "error": _one_line(error)})
        if failed is not None:
            failed += problems
        elif problems:
            raise Refused(
                f"{len(report)} deadline(s) passed, but {len(problems)} case(s) could not be "
                "ticked: " + "; ".join(f"case {p['case']}: {p['error']}" for p in problems)
            )
        return report

    def _tick_one(self, case_id: int, as_of: dt.date, by: str | None) -> list[dict[str, Any]]:
        with self.store.transaction() as db:
            before = self.store.find(str(case_id))
            if before.withdrawn or before.last_on >= as_of.isoformat():
                return []
            row = replace(
                _input_row(before.revision + 1, as_of, by, "tick", None, None, {}),
                as_of=as_of.isoformat(),
            )
            outcome = record_input(self.core(self.process_of(before)), before, [], row)
            self.store.save(db, before, outcome.case, outcome.row, _now())
            return [{"case": before.id, "ref": before.ref, **p} for p in outcome.passed]

    # -- reading ----------------------------------------------------------------------

    def show(self, key: str, as_of: dt.date | None = None) -> CaseView:
        """The case as of a date: as stored when that is the date it is derived up to;
        brought forward in memory (a forecast) when later; derived from the inputs up to
        that date when earlier. Whether each event is allowed is decided by the same
        run that ``send`` makes."""
        record = self._find(key)
        process = self.process_of(record)
        as_of = as_of or self.today
        case = record
        core = self.core(process)
        if not record.withdrawn and as_of.isoformat() > record.last_on:
            case = replace(core.clock(record, as_of).case, revision=record.revision)
        elif not record.withdrawn and as_of.isoformat() < record.last_on:
            case = self._as_it_stood(core, record, as_of)
        events = []
        if not case.withdrawn and case.states:
            for name in explain.events_now(process, case.states):
                taken, reason = core.trial(case, name, as_of)
                events.append(explain.EventCheck(name, taken, reasons=(reason,) if reason else ()))
        return CaseView(
            case,
            process,
            as_of,
            [self.deadline_view(process, row, as_of) for row in case.deadlines],
            events,
            forecast=as_of > self.today,
            derived_to=record.last_on,
        )

    def _as_it_stood(self, core: Core, record: CaseRecord, as_of: dt.date) -> CaseRecord:
        rows = self.store.history(record.id)
        entries, withdrawn = entries_of(rows)
        earlier = [e for e in entries if e.on <= as_of]
        if withdrawn or not earlier:
            return replace(record, states=[], facts={}, deadlines=(), closed_on=None)
        blank = blank_case(record.id, record.ref, core.process, record.hash, earlier[0].on)
        try:
            case = core.derive(blank, earlier, as_of)
        except Refused:
            return record
        return replace(case, revision=record.revision, ref=record.ref)

    def overdue(self, record: CaseRecord, as_of: dt.date) -> list[str]:
        """Names of the case's deadlines overdue as of a date."""
        views = [self.deadline_view(self.process_of(record), r, as_of) for r in record.deadlines]
        return [v.name for v in views if v.status == "overdue"]

    def history(self, key: str) -> tuple[CaseRecord, list[HistoryRow]]:
        record = self._find(key)
        return record, self.store.history(record.id)

    def due(
        self,
        within: int,
        as_of: dt.date | None = None,
        failed: list[dict[str, Any]] | None = None,
    ) -> list[tuple[CaseRecord, DeadlineView]]:
        """Open deadlines due within ``within`` working days of ``as_of``, or overdue. A
        case that cannot be read is added to ``failed`` (``{"case", "error"}``) and the
        others are still listed."""
        as_of = as_of or self.today
        until = calendar.add_working_days(as_of, within)
        result = []
        records: dict[int, tuple[CaseRecord, Process] | None] = {}
        for case_id, row in self.store.open_deadlines_due_by(until.isoformat()):
            if case_id not in records:  # a case with several deadlines is read once
                try:
                    record = self.store.find(str(case_id))
                    records[case_id] = (record, self.process_of(record))
                except Exception as error:  # noqa: BLE001 - one damaged case must not stop the rest
                    records[case_id] = None
                    if failed is None:
                        raise
                    failed.append({"case": case_id, "error": _one_line(error)})
            found = records[case_id]
            if found is not None:
                result.append((found[0], self.deadline_view(found[1], row, as_of)))
        return result

    def rederive_all(self) -> list[tuple[CaseRecord, list[str]]]:
        """Every case's cache derived again from its history (``cspr db upgrade``, when
        the rules of the record changed): each case and what changed, in words, or why
        its history could not be derived (its cache is then left as it was)."""
        report = []
        for record in self.store.cases():
            with self.store.transaction() as db:
                before = self.store.find(str(record.id))
                rows = self.store.history(before.id)
                process = self.process_of(before)
                try:
                    after = derive_rows(self.core(process), before, rows)
                except Refused as error:
                    report.append((before, [f"kept as it was: its history {error}"]))
                    continue
                after = replace(after, revision=before.revision)
                changes = describe_changes(process, before, after)
                if changes or after != before:
                    self.store.rewrite_cache(db, before, after, _now())
                report.append((before, changes))
        return report

    # -- internals --------------------------------------------------------------------

    def _happened(self, on: dt.date | None) -> dt.date:
        """A date something happened on: today by default, never in the future."""
        on = on or self.today
        if on > self.today:
            raise Refused(
                f"{on.isoformat()} is in the future (today is {self.today.isoformat()}): record "
                "what has happened, on the date it happened"
            )
        return on

    def _find(self, key: str) -> CaseRecord:
        try:
            return self.store.find(key)
        except StoreError as error:
            raise Refused(str(error)) from None

    def deadline_view(self, process: Process, row: DeadlineRow, as_of: dt.date) -> DeadlineView:
        deadline = process.deadline(row.state, row.name)
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
            role=(deadline.by if deadline else None) or process.responsible(row.state),
        )


# -- one input recorded: the same for a change and for its replay ---------------------------


class Outcome(Frozen):
    """A history row recorded: the case after it, the row as it is stored, whether the
    case was derived again from all its inputs, and what that changed, in words."""

    case: CaseRecord
    row: HistoryRow
    rederived: bool = False
    changes: list[str] = field(default_factory=list)
    #: Deadlines the clock passed on the way, as ``{"deadline", "due", "raised"}``.
    passed: list[dict[str, Any]] = field(default_factory=list)


def record_input(
    core: Core, before: CaseRecord, rows: list[HistoryRow], row: HistoryRow
) -> Outcome:
    """The case after recording ``row`` (an input, a correction, or a tick with its
    ``as_of``) on top of ``before`` (the case as ``rows``, its history so far, derive
    it), and the row completed with the steps and facts it left the case in.

    An ``open``, an in-order entry (dated on or after the date ``before`` is derived up
    to) and a tick are taken from ``before``; a late entry or a correction derives the case
    again from every input, refused if the entry itself, or any input after it, could no
    longer be taken. The runtime and replay (:mod:`engine.verify`) both record through
    here, so they cannot disagree."""
    if row.action != "open":
        core = core.at(before.hash)  # the text the case is on now (it may have moved)
    process = core.process
    on = dt.date.fromisoformat(row.happened_on)
    rederived = False
    passed: list[dict[str, Any]] = []
    sources: list[str] = []
    if before.withdrawn:
        raise Refused(f"case {before.id} was withdrawn (opened in error); it takes no entries")
    if row.action == "open":
        change = core.open(before, typed_facts(process, row.facts_given or {}), on)
        after, sources, passed = change.case, change.sources, change.passed
    elif row.action == "tick":
        change = core.clock(before, dt.date.fromisoformat(row.as_of or row.happened_on))
        after, sources, passed = change.case, change.sources, change.passed
    elif row.action in ("set", "send") and row.happened_on >= before.last_on:
        entry = Entry(row.revision, row.action, on, row.event, row.facts_given or {})
        change = core.apply(before, entry)
        after, sources, passed = change.case, change.sources, change.passed
    elif row.action == "migrate":
        if row.happened_on < before.last_on:
            raise Refused(
                f"a move to another text is recorded on or after the case's latest entry "
                f"({before.last_on}), not on {row.happened_on}"
            )
        entry = Entry(row.revision, row.action, on, None, row.facts_given or {})
        change = core.migrate(before, entry)
        after, sources, passed = change.case, change.sources, change.passed
        core = core.at(after.hash)
        process = core.process
    elif row.action in ("set", "send", "correct"):
        if row.action != "correct" and row.happened_on < before.opened_on:
            raise Refused(f"{row.happened_on} is before the case was opened ({before.opened_on})")
        after = derive_rows(core, before, [*rows, row], focus=row)
        rederived = True
        core = core.at(after.hash)
        process = core.process
    else:
        raise Refused(f"revision {row.revision}: unknown action '{row.action}'")
    after = replace(
        after,
        revision=before.revision + 1,
        wakes_on=core.next_wake(after),
        calendar=calendar.calendar_fingerprint(),
    )
    changed = {k: v for k, v in after.facts.items() if before.facts.get(k, _MISSING) != v}
    done = replace(
        row,
        states_before=list(before.states),
        states_after=list(after.states),
        facts_changed=changed,
        source="; ".join(dict.fromkeys(s for s in sources if s)) or None,
        note=row.note
        if row.action != "tick"
        else "; ".join(_passed_words(process, p) for p in passed) or None,
        event=row.event
        if row.action != "tick"
        else ",".join(p["raised"] for p in passed if p["raised"]) or None,
    )
    changes = describe_changes(process, before, after) if rederived else []
    return Outcome(after, done, rederived, changes, passed)


def derive_rows(
    core: Core, before: CaseRecord, rows: list[HistoryRow], focus: HistoryRow | None = None
) -> CaseRecord:
    """The case ``rows`` (a whole history) derive, from ``before``'s identity. A refusal
    names the input that could not be taken; for ``focus`` itself, it says why as a send
    refused now would."""
    entries, withdrawn = entries_of(rows)
    start = opening_hash(rows, before.hash)
    core = core.at(start)
    blank = replace(
        blank_case(
            before.id,
            before.ref,
            core.process,
            start,
            dt.date.fromisoformat(before.opened_on),
        ),
        revision=before.revision,
    )
    if withdrawn:
        return replace(blank, withdrawn=True, opened_on=before.opened_on)
    try:
        return core.derive(blank, entries, horizon_of(rows, entries))
    except EntryRefused as error:
        if focus is not None and error.revision == focus.revision:
            raise Refused(error.reason) from None
        if focus is not None and focus.action == "correct" and error.revision == focus.corrects:
            raise Refused(f"as corrected, revision {error.revision} {error.reason}") from None
        raise Refused(
            f"with this entry in its place, {error.words} could no longer be taken: "
            f"{error.reason}; nothing was changed"
        ) from None


def describe_changes(process: Process, before: CaseRecord, after: CaseRecord) -> list[str]:
    """What deriving a case again changed, in a few lines: its steps, and each deadline's
    status, due date and whether it passed."""
    lines = []
    if after.withdrawn and not before.withdrawn:
        return ["the case is withdrawn: it was opened in error"]
    was, now = process.leaves(before.states), process.leaves(after.states)
    entered = [process.states[s].label for s in now if s not in was]
    left = [process.states[s].label for s in was if s not in now]
    if entered or left:
        lines.append(
            f"now in {', '.join(entered) or 'no new step'}"
            + (f" (no longer in {', '.join(left)})" if left else "")
        )
    old, new = _by_occurrence(before.deadlines), _by_occurrence(after.deadlines)
    for key in dict.fromkeys([*old, *new]):
        name = key[1]
        a, b = old.get(key), new.get(key)
        if a is None and b is not None:
            lines.append(f"{name}: now armed (due {b.due or 'not yet known'})")
            continue
        if b is None and a is not None:
            lines.append(f"{name}: no longer armed")
            continue
        assert a is not None and b is not None
        if _word(a) != _word(b):
            lines.append(f"{name}: {_word(a)} → {_word(b)}")
        if a.due != b.due:
            lines.append(f"{name}: due {a.due or 'not known'} → {b.due or 'not known'}")
        deadline = process.deadline(b.state, b.name)
        if (a.raised_on is None) != (b.raised_on is None) and deadline and deadline.raises:
            lines.append(f"{deadline.raises} {'now raised' if b.raised_on else 'no longer raised'}")
    if (before.closed_on or None) != (after.closed_on or None):
        lines.append(f"closed on {after.closed_on}" if after.closed_on else "no longer closed")
    return lines


def _by_occurrence(rows: Iterable[DeadlineRow]) -> dict[tuple[str, str, int], DeadlineRow]:
    counts: dict[tuple[str, str], int] = {}
    keyed = {}
    for row in rows:
        n = counts.get((row.state, row.name), 0)
        counts[(row.state, row.name)] = n + 1
        keyed[(row.state, row.name, n)] = row
    return keyed


def _word(row: DeadlineRow) -> str:
    """A deadline's status as recorded: an open one is overdue once it has passed."""
    if row.status == "open":
        return "overdue" if row.raised_on else "pending"
    return row.status


def _passed_words(process: Process, passed: Mapping[str, Any]) -> str:
    deadline = None
    for d in process.deadlines():
        if d.id == passed["deadline"]:
            deadline = d
            break
    word = "reached" if deadline is not None and deadline.minimum else "overdue"
    return f"{passed['deadline']} {word} (due {passed['due']})"


def _input_row(
    revision: int,
    on: dt.date,
    by: str | None,
    action: str,
    event: str | None,
    note: str | None,
    given: Mapping[str, Any],
) -> HistoryRow:
    """A history row for an input, before recording fills in the steps it leaves."""
    return HistoryRow(
        revision=revision,
        happened_on=on.isoformat(),
        recorded_at=_now(),
        recorded_by=by or default_user(),
        action=action,
        event=event,
        states_before=[],
        states_after=[],
        facts_changed={},
        note=note,
        facts_given={k: fact_values.to_json(v) for k, v in given.items()},
    )


def _one_line(error: BaseException) -> str:
    """An error in one line, for a report that goes on to the next case."""
    text = " ".join(str(error).split())
    return text or type(error).__name__


def _correctable(rows: list[HistoryRow], revision: int) -> HistoryRow:
    """The row a correction may point at: an input (open, set, send) not voided."""
    for row in rows:
        if row.revision == revision:
            break
    else:
        last = rows[-1].revision if rows else 0
        raise Refused(f"there is no revision {revision} (the case has revisions 1 to {last})")
    if row.action == "correct":
        raise Refused(
            f"revision {revision} is itself a correction (of revision {row.corrects}); "
            f"correct revision {row.corrects} again instead"
        )
    if not row.is_input:
        raise Refused(
            f"revision {revision} is a {row.action}, which records only what the clock did; "
            "correct the entries before it instead"
        )
    for later in rows:
        if later.corrects == revision and later.void:
            raise Refused(
                f"revision {revision} was voided by revision {later.revision}; record what "
                "happened as a new entry"
            )
    return row


def _current_date(rows: list[HistoryRow], target: HistoryRow) -> str:
    """The date an entry now counts as having happened on, after its corrections."""
    on = target.happened_on
    for row in rows:
        if row.corrects == target.revision and not row.void:
            on = row.happened_on
    return on


_MISSING = object()


#: Facts as given (text, or JSON values) in the types the process declares them with.
typed_facts = typed


def blank_case(
    case_id: int, ref: str | None, process: Process, key: str, on: dt.date
) -> CaseRecord:
    """A case as :meth:`Store.insert_case` leaves it: in no step yet, with no facts."""
    iso = on.isoformat()
    return CaseRecord(case_id, ref, process.id, process.version, key, [], {}, 0, iso, iso)


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
