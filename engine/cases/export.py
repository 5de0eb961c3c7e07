"""The register exported: cases, their deadlines or their history, as CSV or JSON rows.

Rows are streamed: the store is read in case order a thousand rows at a time, in one
snapshot, and each row is written as soon as it is made, so memory stays flat however
many cases there are. Dates are ISO (YYYY-MM-DD); corrections and lapsed duties show as
they are recorded.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any

from ..model import Process
from ..run.records import CaseRecord
from .register import CaseFilter, keeps, keeps_facts
from .runtime import Runtime

#: What is told of the work as it goes: ``progress(items, length, label)`` gives back the
#: items (the command line's :func:`engine.cli.common.progress`, a bar on a terminal).
Progress = Callable[[Iterable[Any], int, str], Iterable[Any]]

#: The columns of each kind of export, in order (a contract for the scripts that read them).
COLUMNS: dict[str, tuple[str, ...]] = {
    "cases": (
        "case",
        "ref",
        "process",
        "version",
        "opened_on",
        "last_on",
        "closed_on",
        "withdrawn",
        "current",
        "states",
    ),
    "deadlines": (
        "case",
        "ref",
        "process",
        "version",
        "deadline",
        "title",
        "role",
        "state",
        "armed_on",
        "due",
        "status",
        "closed_on",
        "raised_on",
        "explanation",
    ),
    "history": (
        "case",
        "ref",
        "process",
        "version",
        "revision",
        "happened_on",
        "recorded_at",
        "recorded_by",
        "action",
        "event",
        "corrects",
        "void",
        "as_of",
        "facts_given",
        "facts_changed",
        "states_after",
        "note",
        "source",
    ),
}


def rows(
    runtime: Runtime,
    kind: str,
    wanted: CaseFilter,
    as_of: dt.date,
    progress: Progress | None = None,
) -> Iterator[tuple[Any, ...]]:
    """The rows of an export of ``kind`` ("cases", "deadlines" or "history") of the cases
    ``wanted`` describes, each a tuple of values in the order of :data:`COLUMNS` (see
    :func:`as_dicts`); a deadline's status is judged as of ``as_of``. ``progress``, if
    given, is told of every case read as :func:`engine.cli.common.progress` is: it is
    called as ``progress(cases, how_many, "exporting")`` and its items are read instead."""
    store = runtime.store
    with store.snapshot():
        records: Iterable[CaseRecord] = store.stream("cases", wanted.process)
        if progress is not None:
            records = progress(records, len(store.case_ids(wanted.process)), "exporting")
        kept = _kept_cases(runtime, records, wanted, kind)
        if kind == "cases":
            for record, process in kept:
                yield _case_row(record, process)
            return
        if kind == "deadlines":
            yield from _deadline_rows(store.stream(kind, wanted.process), kept, wanted, as_of)
        else:
            for record, row in _merged(store.stream(kind, wanted.process), kept):
                yield _history_row(record, row)
        if progress is not None:
            for _ in kept:  # the cases after the last row read too, so that the bar ends
                pass


def as_dicts(kind: str, records: Iterable[tuple[Any, ...]]) -> Iterator[dict[str, Any]]:
    """Rows of :func:`rows` as mappings from the column names of ``kind``, in order."""
    columns = COLUMNS[kind]
    for row in records:
        yield dict(zip(columns, row, strict=True))


def _kept_cases(
    runtime: Runtime, records: Iterable[CaseRecord], wanted: CaseFilter, kind: str
) -> Iterator[tuple[CaseRecord, Process]]:
    """The cases kept; with --role, for cases and history, those with a current step of
    that role (an export of deadlines keeps that role's deadlines instead)."""
    processes: dict[str, Process] = {}  # by hash: many cases share a process text
    for record in records:
        if not keeps(wanted, record):
            continue
        process = processes.get(record.hash)
        if process is None:
            process = processes[record.hash] = runtime.process_of(record)
        if wanted.facts and not keeps_facts(wanted, record, process):
            continue
        if wanted.role is not None and kind != "deadlines":
            current = process.leaves(record.states)
            if not any(process.responsible(s) == wanted.role for s in current):
                continue
        yield record, process


def _merged(
    stream: Iterable[tuple[int, Any]], kept: Iterator[tuple[CaseRecord, Process]]
) -> Iterator[tuple[CaseRecord, Any]]:
    """Each row of ``stream`` (case id and row, in case order) of a case that ``kept``
    holds, with the case."""
    case: tuple[CaseRecord, Process] | None = None
    for case_id, row in stream:
        while case is None or case[0].id < case_id:
            case = next(kept, None)
            if case is None:
                return
        if case[0].id == case_id:
            yield case[0], row


def _base(record: CaseRecord) -> tuple[Any, ...]:
    return (record.id, record.ref, record.process, record.version)


def _case_row(record: CaseRecord, process: Process) -> tuple[Any, ...]:
    return (
        *_base(record),
        record.opened_on,
        record.last_on,
        record.closed_on,
        record.withdrawn,
        [process.states[s].label for s in process.leaves(record.states)],
        record.states,
    )


def _deadline_rows(
    stream: Iterable[tuple[int, Any]],
    kept: Iterator[tuple[CaseRecord, Process]],
    wanted: CaseFilter,
    as_of: dt.date,
) -> Iterator[tuple[Any, ...]]:
    """The deadline rows of the cases kept, merged with them by case id as :func:`_merged`
    does, written out for the 300,000 rows of a large register: each rule's title, role
    and whether it is a minimum period looked up once per process text."""
    today, role = as_of.isoformat(), wanted.role
    by_text: dict[str, dict[tuple[str, str], tuple[str | None, str | None, bool]]] = {}
    rules: dict[tuple[str, str], tuple[str | None, str | None, bool]] = {}
    base: tuple[Any, ...] = ()
    process: Process | None = None
    current, found, keep = -1, -1, False  # the rows' case, the case kept next, a match
    for case_id, row in stream:
        if case_id != current:
            current = case_id
            while found < case_id:
                case = next(kept, None)
                if case is None:
                    return
                record, process = case
                found = record.id
            keep = found == case_id
            if keep:
                base = _base(record)
                rules = by_text.setdefault(record.hash, {})
        if not keep:
            continue
        state, name, armed_on, due, explanation, status, closed_on, raised_on, _ = row
        rule = rules.get((state, name))
        if rule is None:
            assert process is not None
            deadline = process.deadline(state, name)
            rule = rules[(state, name)] = (
                deadline.title if deadline else None,
                (deadline.by if deadline else None) or process.responsible(state),
                bool(deadline and deadline.minimum),
            )
        if status == "open":  # as deadline_status judges it, on a tuple
            if due is not None and due < today:
                status = "met" if rule[2] else "overdue"
            else:
                status = "pending"
        if role is None or rule[1] == role:
            yield (
                *base,
                name,
                rule[0],
                rule[1],
                state,
                armed_on,
                due,
                status,
                closed_on,
                raised_on,
                explanation,
            )


def _history_row(record: CaseRecord, row: Any) -> tuple[Any, ...]:
    return (
        *_base(record),
        row.revision,
        row.happened_on,
        row.recorded_at,
        row.recorded_by,
        row.action,
        row.event,
        row.corrects,
        row.void,
        row.as_of,
        row.facts_given,
        row.facts_changed,
        row.states_after,
        row.note,
        row.source,
    )


def write(out: IO[str], kind: str, records: Iterable[tuple[Any, ...]], form: str) -> int:
    """Write the rows of :func:`rows` to ``out`` as CSV (a header row, lists and mappings
    as JSON) or as one JSON array of objects, a row at a time; the number of rows written."""
    count = 0
    columns = COLUMNS[kind]
    if form == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        # A deadline's cells are already text, numbers or None, which csv writes as they
        # are and as an empty cell: what _cell would make of them.
        rows: Iterator[Sequence[Any]] = iter(records)
        if kind != "deadlines":
            rows = ([_cell(value) for value in row] for row in records)
        while batch := list(itertools.islice(rows, 1000)):
            writer.writerows(batch)
            count += len(batch)
        return count
    out.write("[")
    for record in as_dicts(kind, records):
        out.write(("," if count else "") + "\n  " + json.dumps(record, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def _cell(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int:  # most cells: as they are
        return value
    if value is None:
        return ""
    if kind is bool:
        return "true" if value else "false"
    if kind is list or kind is dict:
        return json.dumps(value, ensure_ascii=False, sort_keys=kind is dict)
    return value


def as_text(kind: str, records: Iterable[tuple[Any, ...]], form: str) -> str:
    """The whole export as text (for tests and small registers)."""
    buffer = io.StringIO()
    write(buffer, kind, records, form)
    return buffer.getvalue()
