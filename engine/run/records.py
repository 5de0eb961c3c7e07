"""A case as the store keeps it: its row, its deadline rows, and its history rows.

Plain records, free of any database: the record's core (:mod:`engine.run.record`) works
on them in memory, and the store reads and writes them.
"""

from __future__ import annotations

from typing import Any

from ..frozen import Frozen, field

#: The way history rows are written now: rows without it were written before the case
#: was derived from its inputs (schema 2 and earlier), and replay does not expect their
#: steps to match the derivation's.
ROW_FORMAT = 3


class DeadlineRow(Frozen):
    state: str
    name: str
    armed_on: str
    due: str | None
    explanation: str
    status: str = "open"
    closed_on: str | None = None
    raised_on: str | None = None
    id: int | None = None


class HistoryRow(Frozen):
    revision: int
    happened_on: str
    recorded_at: str
    recorded_by: str
    action: str
    event: str | None
    states_before: list[str]
    states_after: list[str]
    facts_changed: dict[str, Any]
    note: str | None = None
    source: str | None = None
    #: The facts the operator gave with this change (JSON values); None before schema 2.
    facts_given: dict[str, Any] | None = None
    #: For a tick, the date deadlines were judged as of.
    as_of: str | None = None
    #: For a correction, the revision it corrects (its own date and facts say how).
    corrects: int | None = None
    #: For a correction, whether the corrected entry did not happen at all.
    void: bool = False
    #: :data:`ROW_FORMAT` for rows written since the case was derived from its inputs.
    row_format: int | None = ROW_FORMAT
    #: SHA-256 over the previous row's hash and every stored field (see :func:`row_hash`).
    hash: str | None = None

    @property
    def is_input(self) -> bool:
        return self.action in ("open", "set", "send")


class CaseRecord(Frozen):
    """A case as stored: facts hold JSON values (dates as ISO text)."""

    id: int
    ref: str | None
    process: str
    version: str
    hash: str
    states: list[str]
    facts: dict[str, Any]
    revision: int
    opened_on: str
    #: The date the case is derived up to: its latest input, or the latest date a tick
    #: brought it to.
    last_on: str
    deadlines: tuple[DeadlineRow, ...] = field(default=())
    #: The date it reached its final step, if it has.
    closed_on: str | None = None
    #: Its opening was voided by a correction: opened in error.
    withdrawn: bool = False
    #: The next date its clock acts (a deadline passing, a condition on today).
    wakes_on: str | None = None
    #: What its due dates were computed with (the bank holidays' source and a hash).
    calendar: str | None = None

    @property
    def is_closed(self) -> bool:
        return self.closed_on is not None
