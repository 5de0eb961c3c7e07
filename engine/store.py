"""The case store: SQLite, one file in WAL mode.

Tables:

- ``process_texts``: the exact bundle of process files a case was opened under, by hash;
- ``cases``: reference, process, version, hash, active states, facts and a revision;
- ``deadlines``: one row each time a deadline is armed (indexed by status and due date);
- ``history``: append-only, one row per change (the revision it produced), with what the
  operator gave (facts, event, date, and for a tick the date it was judged as of), so that
  replaying the rows in order rebuilds the case.

Every change goes through :meth:`Store.write`, one ``BEGIN IMMEDIATE`` transaction that
re-reads the case and checks its revision, so state, facts, deadlines and history commit
together or not at all, and two writers never overwrite each other.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS process_texts (
    hash TEXT PRIMARY KEY,
    process TEXT NOT NULL,
    version TEXT NOT NULL,
    bundle TEXT NOT NULL,
    stored_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cases (
    id INTEGER PRIMARY KEY,
    ref TEXT UNIQUE,
    process TEXT NOT NULL,
    version TEXT NOT NULL,
    hash TEXT NOT NULL REFERENCES process_texts(hash),
    states TEXT NOT NULL,
    facts TEXT NOT NULL,
    revision INTEGER NOT NULL,
    opened_on TEXT NOT NULL,
    last_on TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cases_process ON cases(process);
CREATE TABLE IF NOT EXISTS deadlines (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    state TEXT NOT NULL,
    name TEXT NOT NULL,
    armed_on TEXT NOT NULL,
    due TEXT,
    explanation TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'met', 'missed')),
    closed_on TEXT,
    raised_on TEXT
);
CREATE INDEX IF NOT EXISTS deadlines_open_due ON deadlines(status, due);
CREATE INDEX IF NOT EXISTS deadlines_case ON deadlines(case_id);
CREATE TABLE IF NOT EXISTS history (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    revision INTEGER NOT NULL,
    happened_on TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    action TEXT NOT NULL,
    event TEXT,
    states_before TEXT NOT NULL,
    states_after TEXT NOT NULL,
    facts_changed TEXT NOT NULL,
    note TEXT,
    source TEXT,
    facts_given TEXT,
    as_of TEXT,
    PRIMARY KEY (case_id, revision)
);
CREATE TRIGGER IF NOT EXISTS history_append_only_update BEFORE UPDATE ON history
BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TRIGGER IF NOT EXISTS history_append_only_delete BEFORE DELETE ON history
BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
"""

#: Statements that bring a store written at version N-1 up to version N.
_UPGRADES: dict[int, list[str]] = {
    # Version 2 keeps what the operator gave, so that history can be replayed exactly
    # (facts_changed also holds facts that transitions recorded themselves).
    2: [
        "ALTER TABLE history ADD COLUMN facts_given TEXT",
        "ALTER TABLE history ADD COLUMN as_of TEXT",
    ],
}


class StoreError(Exception):
    """A refusal from the store, worded for an operator."""


class CaseChanged(StoreError):
    """Another writer changed the case since it was read."""


class UnknownCase(StoreError):
    pass


@dataclass(frozen=True)
class DeadlineRow:
    state: str
    name: str
    armed_on: str
    due: str | None
    explanation: str
    status: str = "open"
    closed_on: str | None = None
    raised_on: str | None = None
    id: int | None = None


@dataclass(frozen=True)
class HistoryRow:
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


@dataclass(frozen=True)
class CaseRecord:
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
    last_on: str
    deadlines: tuple[DeadlineRow, ...] = field(default=())


class Store:
    """Cases in one SQLite file. Use as a context manager or call :meth:`close`."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        self.db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        self.db.execute("PRAGMA busy_timeout = 60000")
        self.db.execute("PRAGMA foreign_keys = ON")
        if self.db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            with contextlib.suppress(sqlite3.OperationalError):
                self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = NORMAL")
        self._ensure_schema()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def _ensure_schema(self) -> None:
        row = None
        with contextlib.suppress(sqlite3.OperationalError):
            row = self.db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is not None:
            version = int(row[0])
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} was written by a newer cspr (schema {version}); upgrade cspr"
                )
            if version < SCHEMA_VERSION:
                self._upgrade(version)
            return
        with self.transaction():
            for statement in _statements(_SCHEMA):
                self.db.execute(statement)
            self.db.execute(
                "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,)
            )

    def _upgrade(self, version: int) -> None:
        with self.transaction():
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _UPGRADES[target]:
                    self.db.execute(statement)
            self.db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (SCHEMA_VERSION,))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken before reading so that writers queue, not collide."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")

    # -- process texts ----------------------------------------------------------------

    def pin_bundle(self, hash_: str, process: str, version: str, bundle: str, now: str) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO process_texts(hash, process, version, bundle, stored_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (hash_, process, version, bundle, now),
        )

    def bundle_text(self, hash_: str) -> str:
        row = self.db.execute(
            "SELECT bundle FROM process_texts WHERE hash = ?", (hash_,)
        ).fetchone()
        if row is None:
            raise StoreError(f"the process text {hash_[:12]} is missing from {self.path}")
        return row[0]

    # -- reading ----------------------------------------------------------------------

    def find(self, key: str) -> CaseRecord:
        """A case by id (digits) or by reference."""
        row = None
        if key.isdigit():
            row = self.db.execute(_CASE_SELECT + " WHERE id = ?", (int(key),)).fetchone()
        if row is None:
            row = self.db.execute(_CASE_SELECT + " WHERE ref = ?", (key,)).fetchone()
        if row is None:
            raise UnknownCase(f"no case '{key}' in {self.path}")
        return self._record(row)

    def _record(self, row: Sequence[Any]) -> CaseRecord:
        record = CaseRecord(
            id=row[0],
            ref=row[1],
            process=row[2],
            version=row[3],
            hash=row[4],
            states=json.loads(row[5]),
            facts=json.loads(row[6]),
            revision=row[7],
            opened_on=row[8],
            last_on=row[9],
        )
        return replace(record, deadlines=tuple(self.deadlines(record.id)))

    def deadlines(self, case_id: int) -> list[DeadlineRow]:
        rows = self.db.execute(
            "SELECT state, name, armed_on, due, explanation, status, closed_on, raised_on, id"
            " FROM deadlines WHERE case_id = ? ORDER BY id",
            (case_id,),
        )
        return [DeadlineRow(*row) for row in rows]

    def history(self, case_id: int) -> list[HistoryRow]:
        rows = self.db.execute(
            "SELECT revision, happened_on, recorded_at, recorded_by, action, event,"
            " states_before, states_after, facts_changed, note, source, facts_given, as_of"
            " FROM history WHERE case_id = ? ORDER BY revision",
            (case_id,),
        )
        return [
            HistoryRow(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                json.loads(r[6]),
                json.loads(r[7]),
                json.loads(r[8]),
                r[9],
                r[10],
                None if r[11] is None else json.loads(r[11]),
                r[12],
            )
            for r in rows
        ]

    def cases(self, process: str | None = None) -> list[CaseRecord]:
        query, args = _CASE_SELECT, ()
        if process:
            query, args = query + " WHERE process = ?", (process,)
        return [self._record(row) for row in self.db.execute(query + " ORDER BY id", args)]

    def due_case_ids(self, before: str) -> list[int]:
        """Cases with an open deadline due before ``before`` (uses the status/due index)."""
        rows = self.db.execute(
            "SELECT DISTINCT case_id FROM deadlines"
            " WHERE status = 'open' AND due IS NOT NULL AND due < ? AND raised_on IS NULL",
            (before,),
        )
        return [row[0] for row in rows]

    def open_deadlines_due_by(self, until: str) -> list[tuple[int, DeadlineRow]]:
        rows = self.db.execute(
            "SELECT case_id, state, name, armed_on, due, explanation, status, closed_on,"
            " raised_on, id FROM deadlines"
            " WHERE status = 'open' AND due IS NOT NULL AND due <= ? ORDER BY due, case_id",
            (until,),
        )
        return [(row[0], DeadlineRow(*row[1:])) for row in rows]

    # -- writing ----------------------------------------------------------------------

    def insert_case(
        self,
        db: sqlite3.Connection,
        ref: str | None,
        process: str,
        version: str,
        hash_: str,
        opened_on: str,
        now: str,
    ) -> int:
        try:
            cursor = db.execute(
                "INSERT INTO cases(ref, process, version, hash, states, facts, revision,"
                " opened_on, last_on, updated_at) VALUES (?, ?, ?, ?, '[]', '{}', 0, ?, ?, ?)",
                (ref, process, version, hash_, opened_on, opened_on, now),
            )
        except sqlite3.IntegrityError:
            raise StoreError(f"a case with reference '{ref}' already exists") from None
        return int(cursor.lastrowid or 0)

    def save(
        self,
        db: sqlite3.Connection,
        before: CaseRecord,
        after: CaseRecord,
        history: HistoryRow,
        now: str,
    ) -> None:
        """Write a case's new state, deadlines and history row; refuse if it changed."""
        cursor = db.execute(
            "UPDATE cases SET states = ?, facts = ?, revision = ?, last_on = ?, updated_at = ?"
            " WHERE id = ? AND revision = ?",
            (
                json.dumps(after.states),
                json.dumps(after.facts, sort_keys=True),
                after.revision,
                after.last_on,
                now,
                after.id,
                before.revision,
            ),
        )
        if cursor.rowcount != 1:
            raise CaseChanged(
                f"case {after.id} was changed by someone else since you read it; try again"
            )
        for row in after.deadlines:
            if row.id is None:
                db.execute(
                    "INSERT INTO deadlines(case_id, state, name, armed_on, due, explanation,"
                    " status, closed_on, raised_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        after.id,
                        row.state,
                        row.name,
                        row.armed_on,
                        row.due,
                        row.explanation,
                        row.status,
                        row.closed_on,
                        row.raised_on,
                    ),
                )
            elif row not in before.deadlines:
                db.execute(
                    "UPDATE deadlines SET due = ?, explanation = ?, status = ?, closed_on = ?,"
                    " raised_on = ? WHERE id = ? AND case_id = ?",
                    (
                        row.due,
                        row.explanation,
                        row.status,
                        row.closed_on,
                        row.raised_on,
                        row.id,
                        after.id,
                    ),
                )
        db.execute(
            "INSERT INTO history(case_id, revision, happened_on, recorded_at, recorded_by,"
            " action, event, states_before, states_after, facts_changed, note, source,"
            " facts_given, as_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                after.id,
                history.revision,
                history.happened_on,
                history.recorded_at,
                history.recorded_by,
                history.action,
                history.event,
                json.dumps(history.states_before),
                json.dumps(history.states_after),
                json.dumps(history.facts_changed, sort_keys=True),
                history.note,
                history.source,
                None
                if history.facts_given is None
                else json.dumps(history.facts_given, sort_keys=True),
                history.as_of,
            ),
        )


_CASE_SELECT = (
    "SELECT id, ref, process, version, hash, states, facts, revision, opened_on, last_on FROM cases"
)


def _statements(script: str) -> list[str]:
    """Split the schema into statements, keeping trigger bodies whole."""
    statements, current = [], []
    for line in script.strip().splitlines():
        current.append(line)
        text = "\n".join(current).strip()
        if text.endswith(";") and (not text.startswith("CREATE TRIGGER") or text.endswith("END;")):
            statements.append(text)
            current = []
    return statements
