"""Where SQLite and PostgreSQL differ, and nothing else.

:mod:`engine.store` writes every query once, with ``?`` placeholders and SQL both databases
understand (``ON CONFLICT DO NOTHING``, ``RETURNING id``). A dialect supplies the rest:
how to connect, how a write transaction begins and waits for other writers, the identity
column, the triggers that keep history append-only, and how a location is shown in
messages (never with a password).

A location is a SQLite file (or ``:memory:``), a ``postgresql://`` (or ``postgres://``)
URL, or a libpq connection string of ``keyword=value`` pairs (``host=db user=clerk
dbname=cases``): anything that starts with ``word=`` is taken for a connection string,
never for a file name (write ``./name=x.db`` for such a file). A password, whether in the
URL's user part (``clerk:PASSWORD@``), its query (``?password=PASSWORD``), percent-encoded
or not, or a connection string's ``password=`` (or ``sslpassword=``), is never shown:
:meth:`Dialect.display` hides it, and a driver's message that would quote it (libpq
echoes parts of an address it cannot read) is not passed on.

psycopg is imported only when a ``postgresql://`` location is opened, so the SQLite store
(and ``cspr`` start-up) never pays for it.
"""

from __future__ import annotations

import contextlib
import functools
import re
import sqlite3
from pathlib import Path
from typing import Any

#: How long a writer waits for another writer before giving up, in seconds.
WAIT_SECONDS = 60

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class ConnectError(Exception):
    """The store cannot be opened; the message says why, for an operator."""


#: A libpq connection string starts with a keyword and ``=`` (``host=db user=clerk``).
_CONNINFO = re.compile(r"\s*[A-Za-z_]+\s*=")

#: A keyword and its ``=`` inside a connection string.
_CONNINFO_KEY = re.compile(r"([^\s=]+)\s*=\s*")

#: Connection keywords whose values are never shown.
SECRET_KEYWORDS = frozenset({"password", "sslpassword"})

#: What replaces a secret in what is shown.
HIDDEN = "***"


def is_postgres(location: str | Path) -> bool:
    """Whether ``location`` names a PostgreSQL database (a URL or a connection string)."""
    text = str(location)
    return text.startswith(POSTGRES_SCHEMES) or is_conninfo(text)


def is_conninfo(location: str) -> bool:
    """Whether ``location`` is a libpq ``keyword=value`` connection string."""
    return _CONNINFO.match(location) is not None


def display_location(location: str | Path) -> str:
    """``location`` as shown in messages: a PostgreSQL URL or connection string with
    every password replaced by ``***``; a file name as it is."""
    text = str(location)
    if text.startswith(POSTGRES_SCHEMES):
        return _shown_url(text)[0]
    if is_conninfo(text):
        return _shown_conninfo(text)[0]
    return text


def secrets_in(location: str | Path) -> list[str]:
    """The passwords written in ``location`` (as written and percent-decoded), longest
    first: what no message may contain."""
    text = str(location)
    if text.startswith(POSTGRES_SCHEMES):
        found = _shown_url(text)[1]
    elif is_conninfo(text):
        found = _shown_conninfo(text)[1]
    else:
        return []
    from urllib.parse import unquote

    every = {variant for secret in found for variant in (secret, unquote(secret)) if variant}
    return sorted(every, key=len, reverse=True)


def _shown_url(url: str) -> tuple[str, list[str]]:
    """(the URL with its passwords hidden, the passwords). The user part is taken to run
    to the last ``@`` (a password may hold ``@``, ``/``, ``?`` or ``#``), so anything
    after the user name up to there is hidden, whatever it is."""
    scheme, _, rest = url.partition("://")
    secrets: list[str] = []
    shown = f"{scheme}://"
    at = rest.rfind("@")
    if at >= 0:
        user, colon, password = rest[:at].partition(":")
        if colon:
            secrets.append(password)
            shown += f"{user}:{HIDDEN}@"
        else:
            shown += f"{user}@"
        rest = rest[at + 1 :]
    path, question, query = rest.partition("?")
    shown += path
    if question:
        from urllib.parse import unquote

        params, hiding = [], False
        for param in query.split("&"):
            key, equals, value = param.partition("=")
            if equals and unquote(key).strip().lower() in SECRET_KEYWORDS:
                secrets.append(value)
                params.append(f"{key}={HIDDEN}")
                hiding = True
            elif hiding and not equals:  # a password with an unencoded & in it
                secrets.append(param)
                params.append(HIDDEN)
            else:
                params.append(param)
                hiding = False
        shown += "?" + "&".join(params)
    return shown, secrets


def _shown_conninfo(text: str) -> tuple[str, list[str]]:
    """(the connection string with its passwords hidden, the passwords), read as libpq
    reads it: ``keyword = value`` pairs, a value in single quotes if it holds spaces,
    with backslash escapes. Whatever cannot be read that way is hidden."""
    shown: list[str] = []
    secrets: list[str] = []
    position, length = 0, len(text)
    while True:
        while position < length and text[position].isspace():
            position += 1
        if position >= length:
            break
        match = _CONNINFO_KEY.match(text, position)
        if match is None:  # not keyword=value: perhaps the rest of a password
            secrets.append(text[position:].strip())
            shown.append(HIDDEN)
            break
        key, position = match.group(1), match.end()
        value, raw, position, closed = _conninfo_value(text, position)
        if key.lower() in SECRET_KEYWORDS:
            secrets += [value, raw]
            shown.append(f"{key}={HIDDEN}")
        else:
            shown.append(f"{key}={raw}")
        if not closed:  # an unterminated quote: it may hold anything, a password too
            secrets += [value, raw]
            shown[-1] = f"{key}={HIDDEN}"
            break
    return " ".join(shown), secrets


def _conninfo_value(text: str, position: int) -> tuple[str, str, int, bool]:
    """(the value, as written, where it ends, whether a quoted value was closed)."""
    start = position
    value = []
    quoted = position < len(text) and text[position] == "'"
    if quoted:
        position += 1
    while position < len(text):
        char = text[position]
        if char == "\\" and position + 1 < len(text):
            value.append(text[position + 1])
            position += 2
            continue
        if (quoted and char == "'") or (not quoted and char.isspace()):
            break
        value.append(char)
        position += 1
    closed = not quoted or position < len(text)
    if quoted and closed:
        position += 1
    return "".join(value), text[start:position], position, closed


def scrub(message: str, location: str | Path) -> str | None:
    """``message`` with every password written in ``location`` replaced by ``***``;
    ``None`` if it cannot be shown safely (a password so short that hiding it would
    hide other words too)."""
    for secret in secrets_in(location):
        if secret in message:
            if len(secret) < 4:
                return None
            message = message.replace(secret, HIDDEN)
    return message


def _address_problem(location: str) -> str | None:
    """Why libpq could not read a ``postgresql://`` URL, said without quoting it: a
    ``%`` that does not start two hexadecimal digits, or percent-encoded bytes that are
    not UTF-8 (libpq would quote the part, password and all, in its message)."""
    if not location.startswith(POSTGRES_SCHEMES):
        return None
    if re.search(r"%(?![0-9A-Fa-f]{2})", location):
        return "it has a % not followed by two hexadecimal digits: write % as %25"
    from urllib.parse import unquote_to_bytes

    for part in re.split(r"[:@/?&=#]", location):
        try:
            unquote_to_bytes(part).decode("utf-8")
        except UnicodeDecodeError:
            return "its percent-encoded characters are not UTF-8: write % as %25"
    return None


def with_search_path(url: str, schema: str) -> str:
    """A ``postgresql://`` URL whose tables are looked for (and created) in ``schema``."""
    from urllib.parse import quote

    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options={quote(f'-csearch_path={schema}')}"


def dialect_for(location: str | Path) -> Dialect:
    """The dialect for a SQLite path (or ``:memory:``) or a ``postgresql://`` URL."""
    return PostgreSQL(str(location)) if is_postgres(location) else SQLite(str(location))


class Dialect:
    """The pieces of SQL and driver behaviour that differ between databases."""

    name = ""
    #: Starts a write transaction.
    begin_write = "BEGIN"
    #: Starts a read-only transaction that sees one consistent snapshot.
    begin_snapshot = "BEGIN"
    #: Appended to the query that reads the case being changed inside a write transaction.
    lock_case = ""
    #: The type of an ``id`` column that numbers rows itself but also takes given ids.
    identity = "INTEGER PRIMARY KEY"
    #: Statements that make ``history`` append-only.
    append_only: tuple[str, ...] = ()
    #: Statements that lift the append-only triggers (inside the upgrade that chains
    #: the rows already there; :attr:`append_only` puts them back).
    drop_append_only: tuple[str, ...] = ()
    #: The names of the append-only triggers, which ``case verify`` checks are there.
    append_only_triggers: tuple[str, ...] = ()
    #: Run first inside the transaction that creates or upgrades the schema.
    schema_lock: tuple[str, ...] = ()
    #: Errors the driver raises for a broken constraint (a duplicate reference).
    integrity_errors: tuple[type[BaseException], ...] = ()
    #: Errors the driver raises when the database cannot do what was asked (busy, gone).
    operational_errors: tuple[type[BaseException], ...] = ()

    def __init__(self, location: str):
        self.location = location

    def display(self) -> str:
        """The location as shown in messages (never with a password)."""
        return display_location(self.location)

    def connect(self, create: bool) -> Any:
        raise NotImplementedError

    def sql(self, text: str) -> str:
        """``text`` with its ``?`` placeholders in the driver's style."""
        return text

    def table_exists(self, db: Any, table: str) -> bool:
        raise NotImplementedError

    def triggers(self, db: Any) -> set[str]:
        """The names of the triggers on ``history``."""
        raise NotImplementedError

    def missing_triggers(self, db: Any) -> list[str]:
        present = self.triggers(db)
        return [name for name in self.append_only_triggers if name not in present]

    def after_copy(self) -> tuple[str, ...]:
        """Statements run after rows were copied in with their ids."""
        return ()

    def is_busy(self, error: BaseException) -> bool:
        """Whether ``error`` means another writer held the store for too long."""
        return False

    def lost(self, error: BaseException) -> str | None:
        """Why the store stopped answering, if ``error`` says it did."""
        return None


class SQLite(Dialect):
    """One file in WAL mode; a write transaction takes the file's write lock at once
    (``BEGIN IMMEDIATE``), so writers queue rather than collide."""

    name = "sqlite"
    begin_write = "BEGIN IMMEDIATE"
    begin_snapshot = "BEGIN"  # WAL: the first read fixes the snapshot
    identity = "INTEGER PRIMARY KEY"
    append_only = (
        "CREATE TRIGGER IF NOT EXISTS history_append_only_update BEFORE UPDATE ON history"
        " BEGIN SELECT RAISE(ABORT, 'history is append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS history_append_only_delete BEFORE DELETE ON history"
        " BEGIN SELECT RAISE(ABORT, 'history is append-only'); END",
        # INSERT OR REPLACE deletes the row it replaces without firing delete triggers.
        "CREATE TRIGGER IF NOT EXISTS history_append_only_replace BEFORE INSERT ON history"
        " WHEN EXISTS (SELECT 1 FROM history WHERE case_id = NEW.case_id"
        " AND revision = NEW.revision)"
        " BEGIN SELECT RAISE(ABORT, 'history is append-only'); END",
    )
    append_only_triggers = (
        "history_append_only_update",
        "history_append_only_delete",
        "history_append_only_replace",
    )
    drop_append_only = (
        "DROP TRIGGER IF EXISTS history_append_only_update",
        "DROP TRIGGER IF EXISTS history_append_only_delete",
        "DROP TRIGGER IF EXISTS history_append_only_replace",
    )
    integrity_errors = (sqlite3.IntegrityError,)
    operational_errors = (sqlite3.OperationalError,)

    def connect(self, create: bool) -> sqlite3.Connection:
        path = self.location
        if not create and path != ":memory:" and not Path(path).is_file():
            raise ConnectError(f"no case store at {path}")
        try:
            db = sqlite3.connect(path, timeout=WAIT_SECONDS, isolation_level=None)
            db.execute(f"PRAGMA busy_timeout = {WAIT_SECONDS * 1000}")
            db.execute("PRAGMA foreign_keys = ON")
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                with contextlib.suppress(sqlite3.OperationalError):
                    db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            # Copy the log back into the store (and wait for the disk) every 10,000 pages
            # written, not SQLite's 1,000: each change writes a few pages, so at 1,000 the
            # wait came every hundred-odd changes and cost a fifth of their time. The log
            # is cut back to 64 MB after each copy.
            db.execute("PRAGMA wal_autocheckpoint = 10000")
            db.execute(f"PRAGMA journal_size_limit = {64 * 1024 * 1024}")
        except sqlite3.DatabaseError as error:
            raise ConnectError(f"cannot open the case store {path}: {error}") from None
        return db

    def table_exists(self, db: sqlite3.Connection, table: str) -> bool:
        row = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
        return row is not None

    def triggers(self, db: sqlite3.Connection) -> set[str]:
        rows = db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'history'"
        )
        return {row[0] for row in rows}

    def is_busy(self, error: BaseException) -> bool:
        return isinstance(error, sqlite3.OperationalError) and "locked" in str(error)


class PostgreSQL(Dialect):
    """A shared database. Writers lock only the case they change (``SELECT ... FOR
    UPDATE``) at READ COMMITTED, so operators on different cases never wait for each
    other, and two on one case queue; the revision check in :meth:`Store.save` stays as
    the second line of defence."""

    name = "postgresql"
    begin_write = "BEGIN"
    begin_snapshot = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
    lock_case = " FOR UPDATE"
    identity = "INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    append_only = (
        "CREATE OR REPLACE FUNCTION history_append_only() RETURNS trigger"
        " LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'history is append-only'; END $$",
        "CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON history"
        " FOR EACH ROW EXECUTE FUNCTION history_append_only()",
        "CREATE TRIGGER history_append_only_truncate BEFORE TRUNCATE ON history"
        " FOR EACH STATEMENT EXECUTE FUNCTION history_append_only()",
    )
    append_only_triggers = ("history_append_only", "history_append_only_truncate")
    drop_append_only = (
        "DROP TRIGGER IF EXISTS history_append_only ON history",
        "DROP TRIGGER IF EXISTS history_append_only_truncate ON history",
    )
    #: One cspr schema change at a time, across every machine sharing the database.
    schema_lock = ("SELECT pg_advisory_xact_lock(7243001)",)

    def connect(self, create: bool) -> Any:
        try:
            import psycopg
        except ImportError:
            raise ConnectError(
                "a PostgreSQL store needs psycopg: pip install 'cspr-engine[postgres]'"
            ) from None
        self.integrity_errors = (psycopg.errors.IntegrityError,)
        self.operational_errors = (psycopg.OperationalError,)
        problem = _address_problem(self.location)
        if problem:
            raise ConnectError(f"cannot connect to {self.display()}: {problem}")
        try:
            db = psycopg.connect(self.location, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as error:  # read, but not reached or refused
            raise ConnectError(
                f"cannot connect to {self.display()}: {self._reason(error)}"
            ) from None
        except (psycopg.Error, ValueError) as error:  # not read: libpq may quote any part
            reason = (
                "the address cannot be read (libpq's reason is not shown: it may quote "
                "the password)"
                if secrets_in(self.location)
                else self._reason(error)
            )
            raise ConnectError(f"cannot connect to {self.display()}: {reason}") from None
        db.execute(f"SET lock_timeout = '{WAIT_SECONDS}s'")
        return db

    def sql(self, text: str) -> str:
        return _placeholders(text)

    def table_exists(self, db: Any, table: str) -> bool:
        return db.execute("SELECT to_regclass(%s)", (table,)).fetchone()[0] is not None

    def triggers(self, db: Any) -> set[str]:
        rows = db.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass('history')"
            " AND NOT tgisinternal"
        )
        return {row[0] for row in rows}

    def after_copy(self) -> tuple[str, ...]:
        return tuple(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
            f" (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            for table in ("cases", "deadlines")
        )

    def is_busy(self, error: BaseException) -> bool:
        return type(error).__name__ in ("LockNotAvailable", "QueryCanceled")

    def lost(self, error: BaseException) -> str | None:
        return f"the database stopped answering ({self._reason(error)})"

    def _reason(self, error: BaseException) -> str:
        """The driver's message in one line, without the password."""
        reason = " ".join(str(error).split()) or type(error).__name__
        shown = scrub(reason, self.location)
        return shown if shown is not None else "the reason is not shown: it quotes the password"


@functools.lru_cache(maxsize=256)
def _placeholders(text: str) -> str:
    return text.replace("%", "%%").replace("?", "%s")
