"""Timeliness over a period: how the register's deadlines that fell due in it were kept.

For the partnership's yearly report and for the Panel's oversight. Each deadline that fell
due in the period (its due date from ``start`` to ``end``, both included) counts once,
under its kind (``notify_panel``, ``rapid_review``, ...), the calendar quarter its due date
falls in and the role responsible for it, as one of:

- **met on time**: recorded ``met`` (done on or before its due date);
- **met late**: recorded ``missed``, but the step was left by its duty after the due date
  (one of the deadline's ``met_by`` events happened on the day it closed, or the
  deadline has no ``met_by``: every way out does the duty);
- **missed**: recorded ``missed`` and never done: the duty stopped applying after its due
  date had passed undone (or, for a minimum period, the step was left too early);
- **lapsed**: the duty stopped applying before its due date: nothing was owed;
- **still open**: not done as of the report's date (overdue, or not yet due).

Working days late (of those met late) count from the due date to the day it was done,
Monday to Friday less England and Wales bank holidays. The on-time share is met on time
÷ owed (fell due less lapsed).

Met late is told from missed by the date the duty's event records (the fact its
transition ``records``, such as ``panel_notified_on``, holding the day the deadline
closed); where a way out that does the duty records no date, by the case's history (an
input sending a ``met_by`` event that day, corrections applied), read only for such a
case. Deadlines are read as :mod:`engine.cases.export` reads them: streamed in case
order, in one snapshot. Memory holds the tallies, not the deadlines.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import IO, Any

from ..model import Process
from ..run.calendar import working_days_between
from ..run.record import entries_of
from ..run.records import CaseRecord, DeadlineRow
from .register import CaseFilter, keeps, keeps_facts
from .runtime import Refused, Runtime

#: The outcomes a deadline that fell due is counted under, in the order reports show them.
OUTCOMES = ("on_time", "late", "missed", "lapsed", "open")
OUTCOME_WORDS = {
    "on_time": "met on time",
    "late": "met late",
    "missed": "missed",
    "lapsed": "lapsed",
    "open": "still open",
}
_MONTHS = ("Jan–Mar", "Apr–Jun", "Jul–Sep", "Oct–Dec")

#: The CSV's columns, in order (a contract for the spreadsheets that read it).
COLUMNS = (
    "deadline",
    "title",
    "quarter",
    "quarter_from",
    "quarter_to",
    "role",
    "role_title",
    "fell_due",
    *OUTCOMES,
    "on_time_share",
    "median_working_days_late",
    "worst_working_days_late",
)


class Tally:
    """Counts of deadlines by outcome, and how late those met late were."""

    __slots__ = ("counts", "late_days")

    def __init__(self) -> None:
        self.counts: dict[str, int] = dict.fromkeys(OUTCOMES, 0)
        #: Working days late → how many deadlines were met that late.
        self.late_days: Counter[int] = Counter()

    def add(self, other: Tally) -> None:
        for outcome, count in other.counts.items():
            self.counts[outcome] += count
        self.late_days.update(other.late_days)

    @property
    def due(self) -> int:
        """How many fell due."""
        return sum(self.counts.values())

    @property
    def owed(self) -> int:
        """How many were owed: those that fell due less those that lapsed."""
        return self.due - self.counts["lapsed"]

    @property
    def share(self) -> float | None:
        """Met on time ÷ owed, or None when none was owed."""
        return self.counts["on_time"] / self.owed if self.owed else None

    @property
    def median_late(self) -> float | None:
        """The median working days late of those met late (None if none was)."""
        total = sum(self.late_days.values())
        if not total:
            return None
        ordered = sorted(self.late_days.items())
        middle = [(total - 1) // 2, total // 2]
        found: list[int] = []
        seen = 0
        for days, count in ordered:
            while len(found) < 2 and middle[len(found)] < seen + count:
                found.append(days)
            seen += count
        return (found[0] + found[1]) / 2

    @property
    def worst_late(self) -> int | None:
        return max(self.late_days) if self.late_days else None


class Figures:
    """The report's figures: a tally for each deadline kind × quarter × role."""

    def __init__(self, start: dt.date, end: dt.date, as_of: dt.date) -> None:
        self.start, self.end, self.as_of = start, end, as_of
        self.cells: dict[tuple[str, str, str], Tally] = {}
        #: Deadline id → its title; role id → its title (as the process texts give them).
        self.titles: dict[str, str] = {}
        self.role_titles: dict[str, str] = {}
        #: Deadline id → its place in its process (reports list them in that order).
        self.order: dict[str, tuple[int, int]] = {}
        self.cases = 0  # cases with a deadline that fell due in the period

    # -- the groupings ----------------------------------------------------------------

    @property
    def quarters(self) -> list[str]:
        """Every quarter the period touches, as ``2024-Q2``, in order."""
        found = []
        year, q = self.start.year, (self.start.month - 1) // 3 + 1
        while (year, q) <= (self.end.year, (self.end.month - 1) // 3 + 1):
            found.append(f"{year}-Q{q}")
            year, q = (year + 1, 1) if q == 4 else (year, q + 1)
        return found

    def deadlines(self) -> list[str]:
        return sorted({k[0] for k in self.cells}, key=lambda d: (self.order[d], d))

    def roles(self) -> list[str]:
        return sorted({k[2] for k in self.cells}, key=lambda r: self.role_title(r).casefold())

    def total(self) -> Tally:
        return self._sum(lambda _key: True)

    def by_deadline(self) -> list[tuple[str, Tally]]:
        return [(d, self._sum(lambda k, d=d: k[0] == d)) for d in self.deadlines()]

    def by_quarter(self) -> list[tuple[str, Tally]]:
        return [(q, self._sum(lambda k, q=q: k[1] == q)) for q in self.quarters]

    def by_role(self) -> list[tuple[str, Tally]]:
        return [(r, self._sum(lambda k, r=r: k[2] == r)) for r in self.roles()]

    def deadline_roles(self, deadline: str) -> list[str]:
        """The titles of the roles responsible for a deadline kind."""
        return sorted({self.role_title(k[2]) for k in self.cells if k[0] == deadline})

    def cell(self, deadline: str, quarter: str) -> Tally:
        return self._sum(lambda k: k[0] == deadline and k[1] == quarter)

    def _sum(self, wanted: Any) -> Tally:
        tally = Tally()
        for key, cell in self.cells.items():
            if wanted(key):
                tally.add(cell)
        return tally

    def title(self, deadline: str) -> str:
        return self.titles.get(deadline) or deadline

    def role_title(self, role: str) -> str:
        return self.role_titles.get(role) or role or "no role named"

    # -- the CSV --------------------------------------------------------------------------

    def rows(self) -> Iterator[dict[str, Any]]:
        """One row per deadline kind × quarter × role that had a deadline fall due."""
        quarters = {q: i for i, q in enumerate(self.quarters)}
        keys = sorted(
            self.cells,
            key=lambda k: (self.order[k[0]], k[0], quarters[k[1]], self.role_title(k[2])),
        )
        for deadline, quarter, role in keys:
            tally = self.cells[(deadline, quarter, role)]
            first, last = quarter_dates(quarter)
            yield {
                "deadline": deadline,
                "title": self.title(deadline),
                "quarter": quarter,
                "quarter_from": first.isoformat(),
                "quarter_to": last.isoformat(),
                "role": role,
                "role_title": self.role_title(role),
                "fell_due": tally.due,
                **tally.counts,
                "on_time_share": "" if tally.share is None else f"{tally.share:.3f}",
                "median_working_days_late": number(tally.median_late),
                "worst_working_days_late": number(tally.worst_late),
            }

    def write_csv(self, out: IO[str]) -> int:
        writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
        writer.writeheader()
        count = 0
        for row in self.rows():
            writer.writerow(row)
            count += 1
        return count


def number(value: float | int | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def quarter_dates(quarter: str) -> tuple[dt.date, dt.date]:
    """The first and last days of a quarter written ``2024-Q2``."""
    year, q = int(quarter[:4]), int(quarter[-1])
    first = dt.date(year, 3 * q - 2, 1)
    after = dt.date(year + 1, 1, 1) if q == 4 else dt.date(year, 3 * q + 1, 1)
    return first, after - dt.timedelta(days=1)


def quarter_words(quarter: str) -> str:
    """``2024-Q2`` as readers say it: ``Apr–Jun 2024``."""
    return f"{_MONTHS[int(quarter[-1]) - 1]} {quarter[:4]}"


# -- gathering ----------------------------------------------------------------------------


class _Kind:
    """What the report needs of one deadline of one process text (looked up once)."""

    __slots__ = ("name", "role", "minimum", "met_by", "records", "cells")

    def __init__(
        self,
        name: str,
        role: str,
        minimum: bool = False,
        met_by: frozenset[str] = frozenset(),
        records: frozenset[str] | None = None,
    ) -> None:
        self.name, self.role, self.minimum, self.met_by = name, role, minimum, met_by
        #: The facts in which every way out that does the duty records its date; None if
        #: one does not (then the case's history tells whether it was done).
        self.records = records
        #: Due date → the tally a deadline of this kind due then is counted in.
        self.cells: dict[str, Tally] = {}


def gather(
    runtime: Runtime, wanted: CaseFilter, start: dt.date, end: dt.date, as_of: dt.date
) -> Figures:
    """The figures of the deadlines that fell due from ``start`` to ``end`` in the cases
    ``wanted`` describes (``wanted.role``: only deadlines that role is responsible for);
    one still open is judged as of ``as_of``."""
    if end < start:
        raise Refused(f"the period ends ({end}) before it starts ({start})")
    figures = Figures(start, end, as_of)
    low, high, today = start.isoformat(), end.isoformat(), as_of.isoformat()
    kinds: dict[tuple[str, str, str], _Kind | None] = {}
    store = runtime.store
    with store.snapshot():
        cases = _kept(runtime, store.stream("cases", wanted.process), wanted)
        case: tuple[CaseRecord, Process] | None = None
        counted = 0
        done: set[tuple[str, str]] | None = None  # (day, event) of the case's inputs
        for case_id, fields in store.stream("deadlines", wanted.process):
            due = fields[3]
            if due is None or due < low or due > high:
                continue
            row = DeadlineRow(*fields)
            if due is None or due < low or due > high:
                continue
            while case is None or case[0].id < case_id:
                case = next(cases, None)
                if case is None:
                    return figures
                done = None
            record, process = case
            if record.id != case_id:
                continue
            key = (record.hash, row.state, row.name)
            kind = kinds[key] if key in kinds else kinds.setdefault(key, _kind(process, row))
            if kind is None or (wanted.role is not None and kind.role != wanted.role):
                continue
            if kind.name not in figures.order:
                figures.order[kind.name] = _place(process, row.name)
                deadline = process.deadline(row.state, row.name)
                figures.titles[kind.name] = (deadline and deadline.title) or kind.name
            if kind.role not in figures.role_titles:
                role = process.roles.get(kind.role)
                figures.role_titles[kind.role] = role.title if role else kind.role
            cell = kind.cells.get(due)
            if cell is None:
                cell_key = (kind.name, f"{due[:4]}-Q{(int(due[5:7]) - 1) // 3 + 1}", kind.role)
                cell = figures.cells.get(cell_key)
                if cell is None:
                    cell = figures.cells[cell_key] = Tally()
                kind.cells[due] = cell
            status = row.status
            if status == "met":
                cell.counts["on_time"] += 1
            elif status == "lapsed":
                cell.counts["lapsed"] += 1
            elif status == "open":
                cell.counts["on_time" if kind.minimum and due < today else "open"] += 1
            elif row.closed_on is None or kind.minimum:
                cell.counts["missed"] += 1
            else:
                closed = row.closed_on
                if not kind.met_by:
                    duty = True
                elif kind.records is not None:
                    duty = any(record.facts.get(f) == closed for f in kind.records)
                else:
                    if done is None:
                        done = _inputs(store, record.id)
                    duty = any((closed, e) in done for e in kind.met_by)
                if duty:
                    cell.counts["late"] += 1
                    days = working_days_between(
                        dt.date.fromisoformat(due), dt.date.fromisoformat(closed)
                    )
                    cell.late_days[days] += 1
                else:
                    cell.counts["missed"] += 1
            if counted != record.id:
                counted = record.id
                figures.cases += 1
    return figures


def _kept(
    runtime: Runtime, records: Iterable[CaseRecord], wanted: CaseFilter
) -> Iterator[tuple[CaseRecord, Process]]:
    for record in records:
        if not keeps(wanted, record):
            continue
        process = runtime.process_of(record)
        if keeps_facts(wanted, record, process):
            yield record, process


def _kind(process: Process, row: Any) -> _Kind | None:
    deadline = process.deadline(row.state, row.name)
    role = (deadline.by if deadline else None) or process.responsible(row.state) or ""
    if deadline is None:
        return _Kind(row.name, role)
    met_by = frozenset(deadline.met_by)
    return _Kind(row.name, role, deadline.minimum, met_by, _recorded(process, row.state, met_by))


def _recorded(process: Process, state: str, met_by: frozenset[str]) -> frozenset[str] | None:
    """The facts that the transitions on the ``met_by`` events out of ``state`` (declared
    on it, inside it or around it) record their date in; None if one records none, or if
    ``met_by`` names a step (then only the history tells how the step was left)."""
    found: set[str] = set()
    around = [state, *process.descendants(state), *process.ancestors(state)]
    for event in met_by:
        ways = [t for s in around for t in process.states[s].transitions if t.event == event]
        if not ways or any(t.records is None for t in ways):
            return None
        found.update(t.records for t in ways if t.records)
    return frozenset(found)


def _place(process: Process, name: str) -> tuple[int, int]:
    """Where a deadline kind is first declared: the processes in the order met, then the
    order of their text."""
    for i, deadline in enumerate(process.deadlines()):
        if deadline.id == name:
            return (0, i)
    return (1, 0)


def _inputs(store: Any, case_id: int) -> set[tuple[str, str]]:
    """(day, event) of every event a case's inputs sent, corrections applied."""
    entries, _withdrawn = entries_of(store.history(case_id))
    return {(e.on.isoformat(), e.event) for e in entries if e.event}


# -- in words (under each chart, for readers who cannot see it) -----------------------------


def percent(share: float | None) -> str:
    return "-" if share is None else f"{int(100 * share + 0.5)}%"


def share_words(figures: Figures) -> str:
    """The on-time share of each quarter, in a sentence."""
    parts = []
    for quarter, tally in figures.by_quarter():
        when = quarter_words(quarter)
        if not tally.due:
            parts.append(f"{when}: no deadline fell due")
        elif not tally.owed:
            parts.append(f"{when}: {_count(tally.due, 'deadline')} fell due, all lapsed")
        else:
            parts.append(
                f"{when}: {tally.counts['on_time']:,} of {tally.owed:,} owed met on time "
                f"({percent(tally.share)})"
            )
    return "On-time share by quarter (met on time ÷ owed). " + "; ".join(parts) + "."


def status_words(figures: Figures) -> str:
    """The counts by outcome of each deadline kind, in a sentence."""
    parts = []
    for deadline, tally in figures.by_deadline():
        counts = ", ".join(
            f"{tally.counts[o]:,} {OUTCOME_WORDS[o]}" for o in OUTCOMES if tally.counts[o]
        )
        parts.append(f"{figures.title(deadline)}: {tally.due:,} fell due ({counts})")
    if not parts:
        return "No deadline fell due in the period."
    return "Deadlines by outcome. " + "; ".join(parts) + "."


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def summary_words(figures: Figures) -> str:
    """What the report covers and its headline figures, in a sentence or two."""
    total = figures.total()
    period = f"{figures.start.isoformat()} to {figures.end.isoformat()}"
    if not total.due:
        return f"No deadline fell due from {period}."
    text = (
        f"From {period}, {_count(total.due, 'deadline')} fell due in "
        f"{_count(figures.cases, 'case')}: "
        + ", ".join(f"{total.counts[o]:,} {OUTCOME_WORDS[o]}" for o in OUTCOMES)
        + "."
    )
    if total.owed:
        text += f" {percent(total.share)} of the {total.owed:,} owed were met on time."
    if total.late_days:
        text += (
            f" Those met late were a median of {number(total.median_late)} and at worst "
            f"{number(total.worst_late)} working days late."
        )
    return text + f" Deadlines still open are judged as of {figures.as_of.isoformat()}."


#: How to read the figures (printed with every HTML and PDF report).
DEFINITIONS = (
    ("Fell due", "the deadline's due date is in the period (each deadline of each case once)."),
    ("Met on time", "done on or before its due date."),
    (
        "Met late",
        "done after its due date: recorded as missed, and the step was left by its duty "
        "(the event that does it recorded on the day the deadline closed).",
    ),
    (
        "Missed",
        "never done: the duty stopped applying after its due date had passed undone "
        "(or a minimum period was cut short).",
    ),
    ("Lapsed", "the duty stopped applying before its due date: nothing was owed."),
    ("Still open", "not done as of the report's date (overdue, or not yet due)."),
    ("On-time share", "met on time ÷ those owed (those that fell due, less those lapsed)."),
    (
        "Working days late",
        "from the due date to the day it was done, Monday to Friday less England and Wales "
        "bank holidays; median and worst of those met late.",
    ),
)


def scope_words(wanted: CaseFilter) -> str:
    """Which cases and deadlines a report covers, in words."""
    parts = []
    if wanted.process:
        parts.append(f"process {wanted.process}")
    if wanted.states:
        parts.append(f"now in {', '.join(sorted(wanted.states))}")
    if wanted.ref:
        parts.append(f"references like {wanted.ref}")
    if wanted.status:
        parts.append(f"{wanted.status} cases only")
    parts += [f"{name} = {value}" for name, value in wanted.facts.items()]
    if wanted.opened_from:
        parts.append(f"opened from {wanted.opened_from.isoformat()}")
    if wanted.opened_to:
        parts.append(f"opened to {wanted.opened_to.isoformat()}")
    if wanted.role:
        parts.append(f"deadlines of the role {wanted.role} only")
    cases = "cases opened in error left out" if not wanted.withdrawn else "withdrawn cases included"
    return ("cases with " + "; ".join(parts) + "; " if parts else "every case, ") + cases
