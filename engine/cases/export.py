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
import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from ..model import Process
from ..run.records import CaseRecord
from .register import CaseFilter, keeps, keeps_facts
from .runtime import Runtime

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
    runtime: Runtime, kind: str, wanted: CaseFilter, as_of: dt.date
) -> Iterator[dict[str, Any]]:
    """The rows of an export of ``kind`` ("cases", "deadlines" or "history") of the cases
    ``wanted`` describes; a deadline's status is judged as of ``as_of``."""
    store = runtime.store
    with store.snapshot():
        kept = _kept_cases(runtime, store.stream("cases", wanted.process), wanted, kind)
        if kind == "cases":
            for record, process in kept:
                yield _case_row(record, process)
            return
        case: tuple[CaseRecord, Process] | None = None
        cases = iter(kept)
        for case_id, row in store.stream(kind, wanted.process):
            while case is None or case[0].id < case_id:
                case = next(cases, None)
                if case is None:
                    return
            if case[0].id != case_id:
                continue
            record, process = case
            if kind == "deadlines":
                made = _deadline_row(record, process, row, as_of)
                if wanted.role is None or made["role"] == wanted.role:
                    yield made
            else:
                yield _history_row(record, row)


def _kept_cases(
    runtime: Runtime, records: Iterable[CaseRecord], wanted: CaseFilter, kind: str
) -> Iterator[tuple[CaseRecord, Process]]:
    """The cases kept; with --role, for cases and history, those with a current step of
    that role (an export of deadlines keeps that role's deadlines instead)."""
    for record in records:
        if not keeps(wanted, record):
            continue
        process = runtime.process_of(record)
        if not keeps_facts(wanted, record, process):
            continue
        if wanted.role is not None and kind != "deadlines":
            current = process.leaves(record.states)
            if not any(process.responsible(s) == wanted.role for s in current):
                continue
        yield record, process


def _base(record: CaseRecord) -> dict[str, Any]:
    return {
        "case": record.id,
        "ref": record.ref,
        "process": record.process,
        "version": record.version,
    }


def _case_row(record: CaseRecord, process: Process) -> dict[str, Any]:
    return {
        **_base(record),
        "opened_on": record.opened_on,
        "last_on": record.last_on,
        "closed_on": record.closed_on,
        "withdrawn": record.withdrawn,
        "current": [process.states[s].label for s in process.leaves(record.states)],
        "states": record.states,
    }


#: Each deadline rule's title, role and whether it is a minimum period, by process and
#: (state, name): looked up once, not for each of many rows.
_RULES: dict[tuple[int, str, str], tuple[str | None, str | None, bool]] = {}


def _deadline_row(record: CaseRecord, process: Process, row: Any, as_of: dt.date) -> dict:
    state, name, armed_on, due, explanation, status, closed_on, raised_on = row[:8]
    key = (id(process), state, name)
    rule = _RULES.get(key)
    if rule is None:
        deadline = process.deadline(state, name)
        rule = _RULES[key] = (
            deadline.title if deadline else None,
            (deadline.by if deadline else None) or process.responsible(state),
            bool(deadline and deadline.minimum),
        )
    if status == "open":  # as deadline_status judges it, on a tuple
        if due is not None and due < as_of.isoformat():
            status = "met" if rule[2] else "overdue"
        else:
            status = "pending"
    return {
        **_base(record),
        "deadline": name,
        "title": rule[0],
        "role": rule[1],
        "state": state,
        "armed_on": armed_on,
        "due": due,
        "status": status,
        "closed_on": closed_on,
        "raised_on": raised_on,
        "explanation": explanation,
    }


def _history_row(record: CaseRecord, row: Any) -> dict[str, Any]:
    return {
        **_base(record),
        "revision": row.revision,
        "happened_on": row.happened_on,
        "recorded_at": row.recorded_at,
        "recorded_by": row.recorded_by,
        "action": row.action,
        "event": row.event,
        "corrects": row.corrects,
        "void": row.void,
        "as_of": row.as_of,
        "facts_given": row.facts_given,
        "facts_changed": row.facts_changed,
        "states_after": row.states_after,
        "note": row.note,
        "source": row.source,
    }


def write(out: IO[str], kind: str, records: Iterable[dict[str, Any]], form: str) -> int:
    """Write ``records`` to ``out`` as CSV (a header row, lists and mappings as JSON) or
    as one JSON array, a row at a time; the number of rows written."""
    count = 0
    if form == "csv":
        columns = COLUMNS[kind]
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        rows = writer.writerows
        batch: list[list[Any]] = []
        for record in records:
            batch.append([_cell(record[c]) for c in columns])
            if len(batch) == 1000:
                rows(batch)
                count += len(batch)
                batch = []
        rows(batch)
        return count + len(batch)
    out.write("[")
    for record in records:
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


def as_text(kind: str, records: Iterable[dict[str, Any]], form: str) -> str:
    """The whole export as text (for tests and small registers)."""
    buffer = io.StringIO()
    write(buffer, kind, records, form)
    return buffer.getvalue()
