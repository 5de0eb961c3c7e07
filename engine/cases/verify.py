"""Replay check: rebuild a case from its history and compare it with what is stored.

Each history row keeps what the operator gave (facts, event, the date it happened, and
for a tick the date it was judged as of), so replaying the rows in order against the
exact process text the case is pinned to, in memory, must give the
stored case again: the same steps, facts, revision, last change and deadlines, and at
every revision the same steps and facts changed. Any difference means the store was
damaged, edited by hand, or restored inconsistently; :func:`verify_case` says which case,
which revision and what differs.

Rows written before the store kept what the operator gave (schema 1) are replayed from
the facts they changed, and a tick's as-of date from the deadlines it marked; the
verdict says so, since such a replay is only as good as that reconstruction.
"""

from __future__ import annotations

import datetime as dt
import itertools
import multiprocessing
import os
import re
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from ..format.loader import Bundle, LoadError, build_cached
from ..frozen import Frozen, field, replace
from ..model import Process
from ..run.record import opening_hash
from ..run.records import CaseRecord, DeadlineRow, HistoryRow
from ..store.database import Store, StoreError
from .runtime import Refused, Runtime, blank_case, record_input

#: Who the replayed changes are recorded by. References, names and notes do not change a
#: case's course, so replay leaves them out (and is not refused by today's rules for them).
REPLAYER = "cspr verify"

#: The stored fields of a deadline that replay must reproduce.
DEADLINE_FIELDS = (
    "state",
    "name",
    "armed_on",
    "due",
    "explanation",
    "status",
    "closed_on",
    "raised_on",
)


class Verdict(Frozen):
    """The outcome of replaying one case: ``ok`` when nothing differs."""

    case_id: int
    ref: str | None
    #: History rows replayed (each one open, set, send or tick).
    events: int
    differences: list[str] = field(default_factory=list)
    #: Remarks that are not differences (for example, rows replayed from schema 1).
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    @property
    def name(self) -> str:
        return f"case {self.case_id}" + (f" ({self.ref})" if self.ref else "")

    def as_json(self) -> dict[str, Any]:
        return {
            "case": self.case_id,
            "ref": self.ref,
            "ok": self.ok,
            "events": self.events,
            "differences": list(self.differences),
            "notes": list(self.notes),
        }


def verify_case(store: Store, record: CaseRecord) -> Verdict:
    """Replay ``record``'s history from ``store`` in memory and compare."""
    return _Replayer(store).verify(record)


#: Fewer cases than this are replayed in this process: starting others would cost more
#: than sharing the work saves.
SHARED_FROM = 200


def verify_all(
    store: Store, keys: Iterable[str] | None = None, jobs: int | None = None
) -> Iterator[Verdict]:
    """Verdicts for the cases named by ``keys`` (ids or references), or for every case,
    in that order.

    ``jobs`` processes replay the cases side by side, each reading the store itself (a
    case's replay needs nothing from another's). By default: one per processor, at most
    four, once there are :data:`SHARED_FROM` cases."""
    records: list[CaseRecord | int] = (
        list(store.case_ids()) if keys is None else [store.find(key) for key in keys]
    )
    if jobs is None:
        jobs = min(os.cpu_count() or 1, 4) if len(records) >= SHARED_FROM else 1
    # Other processes could not see a store held only in memory, nor what a transaction
    # open here has not committed yet (as `cspr db copy` verifies its copy before it does).
    if jobs <= 1 or store.location == ":memory:" or store.in_transaction or len(records) < 2:
        replayer = _Replayer(store)
        for record in records:
            yield replayer.verify_safely(record)
        return
    # Small shares, handed out in order, keep every process busy to the end.
    size = -(-len(records) // (jobs * 8))
    ids = [r if isinstance(r, int) else r.id for r in records]
    shares = [ids[i : i + size] for i in range(0, len(ids), size)]
    # Started afresh ("spawn"), not forked: a forked process must not touch the store
    # connection it would inherit.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(jobs, mp_context=context) as pool:
        for verdicts in pool.map(_verify_share, itertools.repeat(store.location), shares):
            yield from verdicts


def _verify_share(location: str, case_ids: list[int]) -> list[Verdict]:
    """Verdicts for some cases of the store at ``location``, in another process."""
    with Store(location, create=False) as store:
        replayer = _Replayer(store)
        return [replayer.verify_safely(case_id) for case_id in case_ids]


class _Replayer:
    """Replays cases of one store in memory, through the same steps the runtime takes
    for each change (:meth:`Runtime.opening`, :meth:`~Runtime.changing`,
    :meth:`~Runtime.ticking`) but with no store in between."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.runtime = Runtime(store)
        self.processes: dict[str, Process] = {}

    def process(self, hash_: str) -> Process:
        """The process text a case is pinned to, checked against its hash once."""
        if hash_ not in self.processes:
            bundle = Bundle.from_json(self.store.bundle_text(hash_))
            if bundle.hash != hash_:
                raise StoreError(f"the stored process text does not match its hash {hash_[:12]}")
            try:
                self.processes[hash_] = build_cached(bundle)
            except LoadError as error:
                raise StoreError(f"its process text has problems:\n{error}") from None
        return self.processes[hash_]

    def verify_safely(self, record: CaseRecord | int) -> Verdict:
        """:meth:`verify`, reading the case first if given its id; a case that cannot be
        read or replayed at all is a verdict that says why, so the others go on."""
        case_id = record if isinstance(record, int) else record.id
        try:
            if isinstance(record, int):
                record = self.store.find(str(record))
            return self.verify(record)
        except Exception as error:  # noqa: BLE001 - one damaged case must not stop the rest
            ref = None if isinstance(record, int) else record.ref
            why = " ".join(str(error).split()) or type(error).__name__
            return Verdict(case_id, ref, 0, [f"it cannot be read or replayed: {why}"])

    def verify(self, record: CaseRecord) -> Verdict:
        record, rows = _snapshot(self.store, record)
        opened = opening_hash(rows, record.hash)  # a case may have moved to another text
        try:
            process = self.process(opened)
        except StoreError as error:
            return Verdict(record.id, record.ref, 0, [str(error)])
        notes: list[str] = []
        replayed, again, refusal = _replay(
            self.runtime, process, replace(record, hash=opened), rows, notes
        )
        if again is not None and record.calendar and record.calendar != again.calendar:
            notes.append(
                f"its due dates were worked out with {record.calendar}; this cspr counts "
                f"working days with {again.calendar}: a due date that differs below comes "
                "from the calendar, not from a change to the case"
            )
        differences = _history_differences(rows, replayed)
        if refusal:
            differences.append(refusal)
        elif again is not None:
            differences += _record_differences(record, again)
        if not rows:
            differences.append("it has no history to replay")
        differences = self.store.chain_problems(record.id, rows) + differences
        return Verdict(record.id, record.ref, len(rows), differences, notes)


def _snapshot(store: Store, record: CaseRecord) -> tuple[CaseRecord, list[HistoryRow]]:
    """The case and its history as of one revision, re-read while writers move it on."""
    rows = store.history(record.id)
    for _ in range(10):
        if not rows or rows[-1].revision == record.revision:
            break
        record = store.find(str(record.id))
        rows = store.history(record.id)
    return record, rows


# -- replaying ------------------------------------------------------------------------------------


def _replay(
    runtime: Runtime,
    process: Process,
    record: CaseRecord,
    rows: list[HistoryRow],
    notes: list[str],
) -> tuple[list[HistoryRow], CaseRecord | None, str | None]:
    """Record every row again, in recording order, from an empty case, through the very
    function the runtime records with (:func:`engine.runtime.record_input`): the history
    rows replay gives, the case it ends with, and the refusal that stopped it, if any."""
    old = [str(row.revision) for row in rows if row.row_format is None]
    if old:
        notes.append(
            f"revision{'s' if len(old) > 1 else ''} {_ranges(old)} "
            f"{'were' if len(old) > 1 else 'was'} recorded before the case was derived from "
            "its inputs (schema 2 or earlier): replayed as inputs, their steps not compared"
            + (
                "; some from the facts they changed (schema 1)"
                if any(r.facts_given is None for r in rows if r.action != "tick")
                else ""
            )
        )
    core = runtime.core(process)
    case: CaseRecord | None = None
    replayed: list[HistoryRow] = []
    for index, row in enumerate(rows):
        given = row.facts_changed if row.facts_given is None else row.facts_given
        row_in = replace(row, facts_given=given, recorded_by=REPLAYER)
        if row.action == "tick":
            row_in = replace(row_in, as_of=_tick_as_of(row, record).isoformat())
        try:
            if row.action == "open":
                on = dt.date.fromisoformat(row.happened_on)
                blank = blank_case(record.id, record.ref, process, record.hash, on)
                outcome = record_input(core, blank, [], row_in)
            elif case is None:
                return (
                    replayed,
                    None,
                    f"revision {row.revision}: the history does not start with 'open'",
                )
            else:
                outcome = record_input(core, case, rows[:index], row_in)
        except Refused as error:
            return (
                replayed,
                case,
                f"revision {row.revision}: replaying '{row.action}' was refused: {error}",
            )
        case = outcome.case
        replayed.append(outcome.row)
    return replayed, case, None


def _ranges(revisions: list[str]) -> str:
    if len(revisions) > 3:
        return f"{revisions[0]} to {revisions[-1]}"
    return ", ".join(revisions)


_MARKED = re.compile(r"(\w+) (?:overdue|reached) \(due (\d{4}-\d{2}-\d{2})\)")


def _tick_as_of(row: HistoryRow, record: CaseRecord) -> dt.date:
    """The date a tick was judged as of: kept since schema 2; before, the date it marked
    on the deadlines named in its note, else the day it happened."""
    if row.as_of:
        return dt.date.fromisoformat(row.as_of)
    marked = {(m[0], m[1]) for m in _MARKED.findall(row.note or "")}
    dates = [
        d.raised_on
        for d in record.deadlines
        if d.raised_on and (d.name, d.due) in marked and d.raised_on >= row.happened_on
    ]
    return dt.date.fromisoformat(min(dates) if dates else row.happened_on)


# -- comparing ------------------------------------------------------------------------------------


def _history_differences(rows: list[HistoryRow], replayed: list[HistoryRow]) -> list[str]:
    """Differences, revision by revision, in the steps reached and the facts changed."""
    differences = []
    for stored, again in zip(rows, replayed, strict=False):
        if stored.row_format is None:
            continue  # written under the rules before the record was derived
        where = (
            f"revision {stored.revision} ({' '.join(filter(None, [stored.action, stored.event]))})"
        )
        if again.revision != stored.revision:
            differences.append(f"{where}: replay gives revision {again.revision}")
            break
        if sorted(again.states_after) != sorted(stored.states_after):
            differences.append(
                f"{where}: steps after are {_listed(stored.states_after)}, "
                f"replay gives {_listed(again.states_after)}"
            )
        if stored.action == "tick" and (again.event or None) != (stored.event or None):
            differences.append(
                f"{where}: raised {stored.event or 'nothing'}, replay raises "
                f"{again.event or 'nothing'}"
            )
        if again.facts_changed != stored.facts_changed:
            differences.append(
                f"{where}: facts changed {_facts_diff(stored.facts_changed, again.facts_changed)}"
            )
    return differences


def _record_differences(stored: CaseRecord, again: CaseRecord) -> list[str]:
    where = f"at revision {stored.revision}"
    differences = []
    if again.revision != stored.revision:
        differences.append(f"revision is {stored.revision}, replay gives {again.revision}")
    if sorted(again.states) != sorted(stored.states):
        differences.append(
            f"{where}: steps are {_listed(stored.states)}, replay gives {_listed(again.states)}"
        )
    if again.facts != stored.facts:
        differences.append(f"{where}: facts differ: {_facts_diff(stored.facts, again.facts)}")
    if again.last_on != stored.last_on:
        differences.append(
            f"{where}: last change is {stored.last_on}, replay gives {again.last_on}"
        )
    if again.hash != stored.hash:
        differences.append(
            f"{where}: it is on the text {stored.hash[:12]} ({stored.version}), replay gives "
            f"{again.hash[:12]} ({again.version})"
        )
    if again.opened_on != stored.opened_on:
        differences.append(f"opened on {stored.opened_on}, replay gives {again.opened_on}")
    for name in ("closed_on", "withdrawn", "wakes_on"):
        kept, derived = getattr(stored, name), getattr(again, name)
        if kept != derived:
            differences.append(f"{where}: {name} is {kept}, replay gives {derived}")
    mine, theirs = _deadlines(stored.deadlines), _deadlines(again.deadlines)
    for index, (a, b) in enumerate(zip(mine, theirs, strict=False)):
        changed = [
            f"{name} {a[name]} (replay {b[name]})" for name in DEADLINE_FIELDS if a[name] != b[name]
        ]
        if changed:
            differences.append(
                f"{where}: deadline {a['name']} in {a['state']} (#{index + 1}): "
                + ", ".join(changed)
            )
    if len(mine) != len(theirs):
        differences.append(
            f"{where}: {len(mine)} deadlines stored ({_listed(d['name'] for d in mine)}), "
            f"replay gives {len(theirs)} ({_listed(d['name'] for d in theirs)})"
        )
    return differences


def _deadlines(rows: Iterable[DeadlineRow]) -> list[dict[str, Any]]:
    return [{name: getattr(row, name) for name in DEADLINE_FIELDS} for row in rows]


def _listed(items: Iterable[str]) -> str:
    return ", ".join(sorted(items)) or "(none)"


def _facts_diff(stored: dict[str, Any], again: dict[str, Any]) -> str:
    parts = []
    for name in sorted(set(stored) | set(again)):
        if stored.get(name, _ABSENT) != again.get(name, _ABSENT):
            mine = repr(stored[name]) if name in stored else "absent"
            theirs = repr(again[name]) if name in again else "absent"
            parts.append(f"{name} is {mine}, replay gives {theirs}")
    return "; ".join(parts)


_ABSENT = object()
