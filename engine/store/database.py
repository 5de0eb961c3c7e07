"""The case store: one interface, on SQLite (one file in WAL mode, the default) or on
PostgreSQL (a database that several machines share).

Tables:

- ``meta``: the schema version;
- ``process_texts``: the exact bundle of process files a case was opened under, by hash;
- ``cases``: reference, process, version, hash, active states, facts and a revision;
- ``deadlines``: one row each time a deadline is armed (indexed by status and due date);
- ``history``: append-only, one row per change (the revision it produced), with what the
  operator gave (facts, event, date, and for a tick the date it was judged as of), so that
  replaying the rows in order rebuilds the case.

Every query is written once, below; :mod:`engine.dialects` supplies only what differs
between the two databases. Every change goes through :meth:`Store.transaction`: one write
transaction that re-reads the case (on PostgreSQL locking its row) and checks its
revision, so state, facts, deadlines and history commit together or not at all, and two
writers never overwrite each other.

A store is created when first opened empty. One written by an older cspr is refused until
``cspr db upgrade`` brings it up to date (after ``cspr backup``): a statutory record is not
changed in shape behind an operator's back, and on a shared database one operator's new
cspr must not change the store under colleagues still running the old one. A store written
by a newer cspr is always refused.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..frozen import replace
from ..run.records import CaseRecord, DeadlineRow, HistoryRow
from .dialects import ConnectError, Dialect, dialect_for

SCHEMA_VERSION = 3

#: The tables, in the order their rows can be inserted, each with the columns that order
#: its rows (a primary key).
TABLES: dict[str, str] = {
    "process_texts": "hash",
    "cases": "id",
    "deadlines": "id",
    "history": "case_id, revision",
}


def _schema(identity: str) -> list[str]:
    """The tables and indexes, in SQL both databases read; ``identity`` is the dialect's
    self-numbering id column."""
    return [
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE IF NOT EXISTS process_texts (
            hash TEXT PRIMARY KEY,
            process TEXT NOT NULL,
            version TEXT NOT NULL,
            bundle TEXT NOT NULL,
            stored_at TEXT NOT NULL
        )""",
        f"""CREATE TABLE IF NOT EXISTS cases (
            id {identity},
            ref TEXT UNIQUE,
            process TEXT NOT NULL,
            version TEXT NOT NULL,
            hash TEXT NOT NULL REFERENCES process_texts(hash),
            states TEXT NOT NULL,
            facts TEXT NOT NULL,
            revision INTEGER NOT NULL,
            opened_on TEXT NOT NULL,
            last_on TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            closed_on TEXT,
            withdrawn INTEGER NOT NULL DEFAULT 0,
            wakes_on TEXT,
            calendar TEXT,
            ref_key TEXT
        )""",
        "CREATE INDEX IF NOT EXISTS cases_process ON cases(process)",
        "CREATE INDEX IF NOT EXISTS cases_wakes ON cases(wakes_on)",
        "CREATE UNIQUE INDEX IF NOT EXISTS cases_by_ref_key ON cases(ref_key)",
        _deadlines_table("deadlines", identity),
        *_DEADLINE_INDEXES,
        """CREATE TABLE IF NOT EXISTS history (
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
            corrects INTEGER,
            void INTEGER NOT NULL DEFAULT 0,
            row_format INTEGER,
            hash TEXT,
            PRIMARY KEY (case_id, revision)
        )""",
    ]


def _deadlines_table(name: str, identity: str) -> str:
    """The deadlines table: a cache of each case's derivation."""
    return f"""CREATE TABLE IF NOT EXISTS {name} (
            id {identity},
            case_id INTEGER NOT NULL REFERENCES cases(id),
            state TEXT NOT NULL,
            name TEXT NOT NULL,
            armed_on TEXT NOT NULL,
            due TEXT,
            explanation TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('open', 'met', 'missed', 'lapsed')),
            closed_on TEXT,
            raised_on TEXT
        )"""


_DEADLINE_INDEXES = (
    "CREATE INDEX IF NOT EXISTS deadlines_open_due ON deadlines(status, due)",
    "CREATE INDEX IF NOT EXISTS deadlines_case ON deadlines(case_id)",
)


#: Statements that bring a store written at version N-1 up to version N.
_UPGRADES: dict[int, list[str]] = {
    # Version 2 keeps what the operator gave, so that history can be replayed exactly
    # (facts_changed also holds facts that transitions recorded themselves).
    2: [
        "ALTER TABLE history ADD COLUMN facts_given TEXT",
        "ALTER TABLE history ADD COLUMN as_of TEXT",
    ],
    # Version 3 makes the history the record the case is derived from: corrections point
    # at the revision they correct, each row is chained to the one before by a hash, and
    # the cases and deadlines tables become a cache of the derivation (a case's closing
    # date and withdrawal, the next date its clock acts, and the `lapsed` status).
    # Store.upgrade rebuilds the deadlines table and chains the rows already there.
    3: [
        "ALTER TABLE cases ADD COLUMN closed_on TEXT",
        "ALTER TABLE cases ADD COLUMN withdrawn INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE cases ADD COLUMN wakes_on TEXT",
        "ALTER TABLE cases ADD COLUMN calendar TEXT",
        "ALTER TABLE cases ADD COLUMN ref_key TEXT",
        "CREATE INDEX IF NOT EXISTS cases_wakes ON cases(wakes_on)",
        "ALTER TABLE history ADD COLUMN corrects INTEGER",
        "ALTER TABLE history ADD COLUMN void INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE history ADD COLUMN row_format INTEGER",
        "ALTER TABLE history ADD COLUMN hash TEXT",
    ],
}


class StoreError(Exception):
    """A refusal from the store, worded for an operator."""


class CaseChanged(StoreError):
    """Another writer changed the case since it was read."""


class UnknownCase(StoreError):
    pass


class SchemaOutdated(StoreError):
    """The store was written by an older cspr and needs ``cspr db upgrade``."""


class Store:
    """Cases in a SQLite file (a path, or ``:memory:``) or a PostgreSQL database (a
    ``postgresql://`` URL). Use as a context manager or call :meth:`close`.

    ``create=False`` refuses a store that does not exist yet instead of creating it;
    ``upgrade=True`` brings a store written by an older cspr up to date (``cspr db
    upgrade``) instead of refusing it.
    """

    def __init__(self, location: str | Path, *, create: bool = True, upgrade: bool = False):
        self.dialect: Dialect = dialect_for(location)
        #: The location as shown in messages (a URL's password is hidden).
        self.path = self.dialect.display()
        #: The location as given, to open the same store again (never shown: a URL may
        #: hold a password).
        self.location = str(location)
        try:
            self.db = self.dialect.connect(create)
        except ConnectError as error:
            raise StoreError(str(error)) from None
        self._writing = False
        self._in_transaction = False
        #: History rows given a hash by the upgrade to schema 3.
        self.chained = 0
        #: References that look like an earlier case's, found by the upgrade to schema 3.
        self.look_alikes: list[str] = []
        try:
            self._check_schema(create, upgrade)
        except BaseException:
            self.db.close()
            raise

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction begun by :meth:`transaction` or :meth:`snapshot` is open."""
        return self._in_transaction

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Any:
        """Run one statement written with ``?`` placeholders; returns the cursor."""
        return self._run(self.db, sql, args)

    def _run(self, db: Any, sql: str, args: Sequence[Any]) -> Any:
        try:
            return db.execute(self.dialect.sql(sql), tuple(args))
        except self.dialect.operational_errors as error:
            raise self._explained(error) from None

    # -- schema -----------------------------------------------------------------------

    def schema_version(self) -> int | None:
        """The schema the store was written at, or None if it holds no store yet."""
        if not self.dialect.table_exists(self.db, "meta"):
            return None
        row = self.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        return None if row is None else int(row[0])

    def _check_schema(self, create: bool, upgrade: bool) -> None:
        version = self.schema_version()
        #: The schema the store had when opened: None if it was empty (and was created).
        self.found_schema = version
        if version == SCHEMA_VERSION:
            return
        if version is None and not create:
            raise StoreError(f"no case store at {self.path}")
        self._refuse_newer(version)
        if version is not None and not upgrade:
            raise SchemaOutdated(
                f"{self.path} was written by an older cspr (schema {version}; this cspr uses "
                f"{SCHEMA_VERSION}): run `cspr backup` and then `cspr db upgrade`"
            )
        self.upgrade()

    def _refuse_newer(self, version: int | None) -> None:
        if version is not None and version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer cspr (schema {version}; this cspr uses "
                f"{SCHEMA_VERSION}): upgrade cspr"
            )

    def upgrade(self) -> tuple[int | None, int]:
        """Create the schema, or bring an older one up to date, in one transaction.
        Returns the version found (None: the store was empty) and the version now."""
        with self.transaction():
            for statement in self.dialect.schema_lock:
                self.execute(statement)
            version = self.schema_version()  # again, now that no one else can change it
            self._refuse_newer(version)
            if version is None:
                for statement in [*_schema(self.dialect.identity), *self.dialect.append_only]:
                    self.execute(statement)
                self.execute(
                    "INSERT INTO meta(key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),)
                )
            elif version < SCHEMA_VERSION:
                for target in range(version + 1, SCHEMA_VERSION + 1):
                    for statement in _UPGRADES[target]:
                        self.execute(statement)
                    if target == 3:
                        self._rebuild_deadlines()
                        self.chained = self._chain_existing()
                        self.look_alikes = self._key_references()
                self.execute(
                    "UPDATE meta SET value = ? WHERE key = 'schema'", (str(SCHEMA_VERSION),)
                )
        return version, SCHEMA_VERSION

    def _key_references(self) -> list[str]:
        """Each reference's skeleton, so that look-alikes are refused from now on (the
        upgrade to schema 3). A case whose reference looks like an earlier case's keeps
        it, unkeyed, and is reported."""
        from .refs import skeleton

        seen: dict[str, tuple[int, str]] = {}
        clashes = []
        for case_id, ref in self.execute(
            "SELECT id, ref FROM cases WHERE ref IS NOT NULL ORDER BY id"
        ).fetchall():
            key = skeleton(ref)
            if key in seen:
                clashes.append(
                    f"case {case_id} '{ref}' looks like {seen[key][1]} (case {seen[key][0]})"
                )
                continue
            seen[key] = (case_id, ref)
            self.execute("UPDATE cases SET ref_key = ? WHERE id = ?", (key, case_id))
        self.execute("CREATE UNIQUE INDEX IF NOT EXISTS cases_by_ref_key ON cases(ref_key)")
        return clashes

    def _rebuild_deadlines(self) -> None:
        """The deadlines table again with the statuses of schema 3 (``lapsed``), its rows
        kept: neither database changes a CHECK constraint in place alike."""
        self.execute(_deadlines_table("deadlines_v3", self.dialect.identity))
        columns = (
            "id, case_id, state, name, armed_on, due, explanation, status, closed_on, raised_on"
        )
        self.execute(f"INSERT INTO deadlines_v3({columns}) SELECT {columns} FROM deadlines")
        self.execute("DROP TABLE deadlines")
        self.execute("ALTER TABLE deadlines_v3 RENAME TO deadlines")
        for statement in (*_DEADLINE_INDEXES, *self.dialect.after_copy()):
            self.execute(statement)

    # -- transactions -----------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        """One write transaction, begun before reading so that writers of one case queue,
        not collide. Yields the connection that :meth:`insert_case` and :meth:`save` take."""
        with self._begun(self.dialect.begin_write):
            self._writing = True
            try:
                yield self.db
            finally:
                self._writing = False

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Any]:
        """A read-only transaction: every read inside it sees the store at one moment."""
        with self._begun(self.dialect.begin_snapshot):
            yield self.db

    @contextlib.contextmanager
    def _begun(self, begin: str) -> Iterator[None]:
        self.execute(begin)
        self._in_transaction = True
        try:
            yield
        except BaseException as error:
            self._in_transaction = False
            with contextlib.suppress(Exception):
                self.db.execute("ROLLBACK")
            if isinstance(error, self.dialect.operational_errors):
                raise self._explained(error) from None
            raise
        self._in_transaction = False
        try:
            self.execute("COMMIT")
        except StoreError as error:
            with contextlib.suppress(Exception):
                self.db.execute("ROLLBACK")
            raise StoreError(
                f"{error}; the change may or may not have been recorded: look at the case's "
                "history before recording it again"
            ) from None

    def _explained(self, error: BaseException) -> BaseException:
        """A driver's error as an operator's one line, where it is one they can act on."""
        if self.dialect.is_busy(error):
            return StoreError(
                f"{self.path} is busy: another writer held it for too long; nothing was "
                "changed, try again"
            )
        lost = self.dialect.lost(error)
        return StoreError(f"{self.path}: {lost}") if lost else error

    def is_empty(self) -> bool:
        """Whether the store holds no case and no process text."""
        return all(
            self.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is None
            for table in ("process_texts", "cases")
        )

    # -- process texts ----------------------------------------------------------------

    def pin_bundle(self, hash_: str, process: str, version: str, bundle: str, now: str) -> None:
        self.execute(
            "INSERT INTO process_texts(hash, process, version, bundle, stored_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (hash_, process, version, bundle, now),
        )

    def bundle_text(self, hash_: str) -> str:
        row = self.execute("SELECT bundle FROM process_texts WHERE hash = ?", (hash_,)).fetchone()
        if row is None:
            raise StoreError(f"the process text {hash_[:12]} is missing from {self.path}")
        return row[0]

    # -- reading ----------------------------------------------------------------------

    @contextlib.contextmanager
    def _one_moment(self) -> Iterator[None]:
        """Reads that must agree with each other (a case and its deadlines): inside the
        transaction under way, else in a snapshot of their own, so that a writer
        committing between them cannot pair one revision's steps with another's deadlines."""
        if self._in_transaction:
            yield
        else:
            with self.snapshot():
                yield

    def find(self, key: str) -> CaseRecord:
        """A case by id (digits) or by reference."""
        # Inside a write transaction, the case's row is locked where the dialect can.
        lock = self.dialect.lock_case if self._writing else ""
        with self._one_moment():
            row = None
            # An id is 1 to 9 digits 0-9 (ids are INTEGER: a longer number is none).
            if key.isascii() and key.isdigit() and len(key) < 10:
                row = self.execute(_CASE_SELECT + " WHERE id = ?" + lock, (int(key),)).fetchone()
            if row is None:
                row = self.execute(_CASE_SELECT + " WHERE ref = ?" + lock, (key,)).fetchone()
            if row is None:
                from .refs import normal, skeleton

                # As typed but for spaces, form, case or a look-alike letter: one case at most.
                if normal(key) != key:
                    row = self.execute(
                        _CASE_SELECT + " WHERE ref = ?" + lock, (normal(key),)
                    ).fetchone()
                if row is None:
                    row = self.execute(
                        _CASE_SELECT + " WHERE ref_key = ?" + lock, (skeleton(key),)
                    ).fetchone()
            if row is None:
                raise UnknownCase(f"no case '{key}' in {self.path}")
            return self._record(row)

    def _record(self, row: Sequence[Any]) -> CaseRecord:
        record = _case_row(row)
        return replace(record, deadlines=tuple(self.deadlines(record.id)))

    def stream(self, table: str, process: str | None = None) -> Iterator[Any]:
        """Every row of ``table`` ("cases", "deadlines" or "history"), in case order, read
        as it is needed, in one snapshot: what an export of many cases goes through. Cases
        come as :class:`CaseRecord` (without deadlines), history rows as ``(case_id,
        HistoryRow)``, deadline rows as ``(case_id, fields)``: the fields of a
        :class:`DeadlineRow` in order, left as a tuple (an export reads 300,000 of them)."""
        where = " WHERE process = ?" if process else ""
        args = (process,) if process else ()
        queries = {
            "cases": f"{_CASE_SELECT}{where} ORDER BY id",
            "deadlines": "SELECT case_id, state, name, armed_on, due, explanation, status,"
            " closed_on, raised_on, id FROM deadlines"
            + (" WHERE case_id IN (SELECT id FROM cases WHERE process = ?)" if process else "")
            + " ORDER BY case_id, id",
            "history": f"SELECT {', '.join(HISTORY_COLUMNS)}, hash, case_id FROM history"
            + (" WHERE case_id IN (SELECT id FROM cases WHERE process = ?)" if process else "")
            + " ORDER BY case_id, revision",
        }
        with self._one_moment():
            cursor = self.execute(queries[table], args)
            while rows := cursor.fetchmany(1000):
                for row in rows:
                    if table == "cases":
                        yield _case_row(row)
                    elif table == "deadlines":
                        yield row[0], row[1:]  # as DeadlineRow's fields, in order
                    else:
                        yield row[-1], _history_row(row[:-1])

    def deadlines(self, case_id: int) -> list[DeadlineRow]:
        rows = self.execute(
            "SELECT state, name, armed_on, due, explanation, status, closed_on, raised_on, id"
            " FROM deadlines WHERE case_id = ? ORDER BY id",
            (case_id,),
        )
        return [DeadlineRow(*row) for row in rows]

    def history(self, case_id: int) -> list[HistoryRow]:
        rows = self.execute(
            f"SELECT {', '.join(HISTORY_COLUMNS)}, hash FROM history WHERE case_id = ?"
            " ORDER BY revision",
            (case_id,),
        )
        return [_history_row(r) for r in rows]

    def cases(self, process: str | None = None) -> list[CaseRecord]:
        query, args = _CASE_SELECT, tuple[str, ...]()
        if process:
            query, args = query + " WHERE process = ?", (process,)
        with self._one_moment():
            return [
                self._record(row) for row in self.execute(query + " ORDER BY id", args).fetchall()
            ]

    def case_ids(self, process: str | None = None) -> list[int]:
        """Every case's id (of one process), in order: read the cases one by one with
        :meth:`find` where one damaged row must not stop the others."""
        query, args = "SELECT id FROM cases", tuple[str, ...]()
        if process:
            query, args = query + " WHERE process = ?", (process,)
        return [row[0] for row in self.execute(query + " ORDER BY id", args).fetchall()]

    def waking_case_ids(self, until: str) -> list[int]:
        """Cases whose clock acts on or before ``until`` (a deadline passing, a condition
        on today), by the index on ``wakes_on``."""
        rows = self.execute(
            "SELECT id FROM cases WHERE wakes_on IS NOT NULL AND wakes_on <= ? ORDER BY id",
            (until,),
        )
        return [row[0] for row in rows]

    def open_deadlines_due_by(self, until: str) -> list[tuple[int, DeadlineRow]]:
        rows = self.execute(
            "SELECT case_id, state, name, armed_on, due, explanation, status, closed_on,"
            " raised_on, id FROM deadlines"
            " WHERE status = 'open' AND due IS NOT NULL AND due <= ? ORDER BY due, case_id",
            (until,),
        )
        return [(row[0], DeadlineRow(*row[1:])) for row in rows]

    # -- writing ----------------------------------------------------------------------

    def insert_case(
        self,
        db: Any,
        ref: str | None,
        process: str,
        version: str,
        hash_: str,
        opened_on: str,
        now: str,
    ) -> int:
        from .refs import skeleton

        key = None if ref is None else skeleton(ref)
        if key is not None:
            same = self._run(db, "SELECT id, ref FROM cases WHERE ref_key = ?", (key,)).fetchone()
            if same is not None:
                raise StoreError(
                    f"a case with reference '{ref}' already exists"
                    if same[1] == ref
                    else f"'{ref}' looks like {same[1]} (case {same[0]}): choose a reference "
                    "that cannot be mistaken for another"
                )
        try:
            rows = self._run(
                db,
                "INSERT INTO cases(ref, process, version, hash, states, facts, revision,"
                " opened_on, last_on, updated_at, ref_key)"
                " VALUES (?, ?, ?, ?, '[]', '{}', 0, ?, ?, ?, ?) RETURNING id",
                (ref, process, version, hash_, opened_on, opened_on, now, key),
            ).fetchall()
        except self.dialect.integrity_errors:
            raise StoreError(f"a case with reference '{ref}' already exists") from None
        return int(rows[0][0])

    def save(
        self,
        db: Any,
        before: CaseRecord,
        after: CaseRecord,
        history: HistoryRow,
        now: str,
        *,
        rederived: bool = False,
    ) -> CaseRecord:
        """Write a case's new state, deadlines and history row; refuse if it changed.
        Gives the case as written, as :meth:`find` would read it back.

        Of ``after.deadlines``, rows without an id are inserted, and rows with one are
        updated unless they are the very rows of ``before.deadlines``. ``rederived``: the
        case was derived again from all its inputs (a late entry, a correction), so its
        deadline rows replace the old ones."""
        if rederived:
            saved = self.rewrite_cache(db, before, after, now)
        else:
            self.update_case(db, before, after, now)
            saved = replace(after, deadlines=self._write_deadlines(db, before, after))
        self.append_history(db, after.id, history)
        return replace(saved, facts=json.loads(json.dumps(after.facts)))

    def rewrite_cache(self, db: Any, before: CaseRecord, after: CaseRecord, now: str) -> CaseRecord:
        """Write a case derived again from all its inputs: its row, and its deadline rows
        in place of the old ones."""
        self.update_case(db, before, after, now)
        self._run(db, "DELETE FROM deadlines WHERE case_id = ?", (after.id,))
        fresh = replace(after, deadlines=tuple(replace(d, id=None) for d in after.deadlines))
        return replace(after, deadlines=self._write_deadlines(db, before, fresh))

    def update_case(self, db: Any, before: CaseRecord, after: CaseRecord, now: str) -> None:
        """Write a case's cached derivation (not its deadlines), refusing if another writer
        changed it since ``before`` was read."""
        cursor = self._run(
            db,
            "UPDATE cases SET states = ?, facts = ?, revision = ?, last_on = ?, updated_at = ?,"
            " opened_on = ?, closed_on = ?, withdrawn = ?, wakes_on = ?, calendar = ?"
            " WHERE id = ? AND revision = ?",
            (
                json.dumps(after.states),
                json.dumps(after.facts, sort_keys=True),
                after.revision,
                after.last_on,
                now,
                after.opened_on,
                after.closed_on,
                int(after.withdrawn),
                after.wakes_on,
                after.calendar,
                after.id,
                before.revision,
            ),
        )
        if cursor.rowcount != 1:
            raise CaseChanged(
                f"case {after.id} was changed by someone else since you read it; try again"
            )

    def _write_deadlines(
        self, db: Any, before: CaseRecord, after: CaseRecord
    ) -> tuple[DeadlineRow, ...]:
        deadlines = []
        # A change keeps the rows it does not touch as they were read: only others are new.
        untouched = {id(row) for row in before.deadlines}
        for row in after.deadlines:
            if row.id is None:
                inserted = self._run(
                    db,
                    "INSERT INTO deadlines(case_id, state, name, armed_on, due, explanation,"
                    " status, closed_on, raised_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " RETURNING id",
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
                row = replace(row, id=int(inserted.fetchone()[0]))
            elif id(row) not in untouched:
                self._run(
                    db,
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
            deadlines.append(row)
        return tuple(deadlines)

    def append_history(self, db: Any, case_id: int, row: HistoryRow) -> HistoryRow:
        """Append one history row, chained to the case's previous row by its hash."""
        previous = self._run(
            db,
            "SELECT hash FROM history WHERE case_id = ? AND revision = ?",
            (case_id, row.revision - 1),
        ).fetchone()
        values = _history_values(case_id, row)
        digest = row_hash(previous[0] if previous else None, values)
        self._run(
            db,
            f"INSERT INTO history({', '.join(HISTORY_COLUMNS)}, case_id, hash)"
            f" VALUES ({', '.join('?' * (len(HISTORY_COLUMNS) + 2))})",
            (*values[1:], case_id, digest),
        )
        return replace(row, hash=digest)

    # -- the chain --------------------------------------------------------------------

    def chain_problems(self, case_id: int, rows: Sequence[HistoryRow] | None = None) -> list[str]:
        """Where a case's history (``rows``, as :meth:`history` reads them, else read now)
        no longer matches its hash chain: a row changed, replaced, removed or put in
        between since it was written."""
        problems = []
        previous: str | None = None
        expected = 1
        for row in self.history(case_id) if rows is None else rows:
            if row.revision != expected:
                problems.append(f"revision {expected} is missing from the history")
                expected = row.revision
            digest = row_hash(previous, _history_values(case_id, row))
            if row.hash is None:
                problems.append(f"revision {row.revision} has no hash")
            elif row.hash != digest:
                problems.append(
                    f"revision {row.revision} does not match its hash: the row was changed "
                    "after it was written, or a row before it was"
                )
            previous = row.hash
            expected += 1
        return problems

    def head(self, case_id: int) -> str | None:
        """The hash of a case's last history row."""
        row = self.execute(
            "SELECT hash FROM history WHERE case_id = ? ORDER BY revision DESC LIMIT 1",
            (case_id,),
        ).fetchone()
        return None if row is None else row[0]

    def missing_triggers(self) -> list[str]:
        """The append-only triggers on ``history`` that should be there and are not."""
        return self.dialect.missing_triggers(self.db)

    def _chain_existing(self) -> int:
        """Hash every history row that has none yet, in order (the upgrade to schema 3).
        The append-only triggers are lifted for it inside the upgrade's transaction and put
        back before it commits."""
        for statement in self.dialect.drop_append_only:
            self.execute(statement)
        chained = 0
        case_ids = [r[0] for r in self.execute("SELECT DISTINCT case_id FROM history").fetchall()]
        for case_id in case_ids:
            previous = None
            for row in self.history(case_id):
                digest = row_hash(previous, _history_values(case_id, row))
                if row.hash != digest:
                    self.execute(
                        "UPDATE history SET hash = ? WHERE case_id = ? AND revision = ?",
                        (digest, case_id, row.revision),
                    )
                    chained += 1
                previous = digest
        for statement in self.dialect.append_only:
            self.execute(statement)
        return chained


_CASE_SELECT = (
    "SELECT id, ref, process, version, hash, states, facts, revision, opened_on, last_on,"
    " closed_on, withdrawn, wakes_on, calendar FROM cases"
)

#: The history columns every row stores (``case_id`` and ``hash`` aside), in order.
HISTORY_COLUMNS = (
    "revision",
    "happened_on",
    "recorded_at",
    "recorded_by",
    "action",
    "event",
    "states_before",
    "states_after",
    "facts_changed",
    "note",
    "source",
    "facts_given",
    "as_of",
    "corrects",
    "void",
    "row_format",
)


def _history_row(r: Sequence[Any]) -> HistoryRow:
    return HistoryRow(
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
        r[13],
        bool(r[14]),
        r[15],
        r[16] if len(r) > 16 else None,
    )


def _history_values(case_id: int, row: HistoryRow) -> tuple[Any, ...]:
    """A history row's stored values, as the database holds them: the case first, then
    :data:`HISTORY_COLUMNS` in order."""
    return (
        case_id,
        row.revision,
        row.happened_on,
        row.recorded_at,
        row.recorded_by,
        row.action,
        row.event,
        json.dumps(row.states_before),
        json.dumps(row.states_after),
        json.dumps(row.facts_changed, sort_keys=True),
        row.note,
        row.source,
        None if row.facts_given is None else json.dumps(row.facts_given, sort_keys=True),
        row.as_of,
        row.corrects,
        int(row.void),
        row.row_format,
    )


def row_hash(previous: str | None, values: Sequence[Any]) -> str:
    """SHA-256 over the previous row's hash and every stored field of a row, as git and
    Certificate Transparency chain theirs: changing, removing or inserting a row breaks
    every hash after it."""
    import hashlib

    text = json.dumps([previous, *values], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def store_digest(heads: Sequence[tuple[int, str | None]]) -> str:
    """One hash over every case's head hash, in case order: a store's fingerprint."""
    import hashlib

    text = json.dumps([list(pair) for pair in heads], separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _case_row(row: Sequence[Any]) -> CaseRecord:
    """A case as :data:`_CASE_SELECT` reads it, without its deadlines."""
    return CaseRecord(
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
        deadlines=(),  # every field named: Frozen's quick way in (an export makes 100,000)
        closed_on=row[10],
        withdrawn=bool(row[11]),
        wakes_on=row[12],
        calendar=row[13],
    )
