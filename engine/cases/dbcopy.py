"""Copy a whole case store into an empty one (SQLite to PostgreSQL and back), then check
that the copy holds exactly what the original did.

Rows keep their ids and revisions, so case numbers operators know still work. The source
is read in one snapshot (nothing written while copying is half-copied) and the target is
written in one transaction, checked before it commits: its row counts and every row must
equal the source's, and every copied case must replay from its history to what is stored
(:mod:`engine.verify`), or nothing is kept.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from ..store.database import TABLES, Store, StoreError

BATCH = 500


class CopyMismatch(StoreError):
    """The copy does not hold what the source does; nothing was kept."""


#: What is told of the work as it goes: ``progress(items, length, label)`` gives back the
#: items, as the command line's :func:`engine.cli.common.progress` does (a bar on a
#: terminal, nothing otherwise).
Progress = Callable[[Iterable[Any], int, str], Iterable[Any]]


def copy_store(
    source: Store,
    target: Store,
    inside: Callable[[], None] | None = None,
    replay: bool = True,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Copy every process text, case, deadline and history row of ``source`` into the
    empty ``target`` and check it (row for row, and with ``replay`` every case against its
    history); returns the rows copied per table. ``inside`` runs after the checks, before
    the target commits (to check more, or to fail on purpose). ``progress`` is told of
    each batch of rows copied ("copying") and checked ("checking"), and of each case
    replayed ("replaying")."""
    with source.snapshot(), target.transaction():
        if not target.is_empty():
            raise StoreError(
                f"{target.path} already holds cases or process texts; copy only into an empty store"
            )
        sizes = _sizes(source) if progress is not None else {}
        copied: Iterable[None] = _copied(source, target)
        if progress is not None:
            copied = progress(copied, _batch_count(sizes), "copying")
        for _ in copied:
            pass
        for statement in target.dialect.after_copy():
            target.execute(statement)
        counts = compare(source, target, progress, sizes)
        if replay:
            _replays(target, progress, counts["cases"])
        if inside is not None:
            inside()
    return counts


def _copied(source: Store, target: Store) -> Iterator[None]:
    """Copy every table's rows, in batches; yields after each batch."""
    cursor = target.db.cursor()
    for table, order in TABLES.items():
        columns = _columns(source, table)
        insert = (
            f"INSERT INTO {table}({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
        )
        for batch in _batches(_rows(source, table, columns, order)):
            cursor.executemany(target.dialect.sql(insert), batch)
            yield


def compare(
    source: Store,
    target: Store,
    progress: Progress | None = None,
    sizes: dict[str, int] | None = None,
) -> dict[str, int]:
    """Row counts per table, after checking that ``target`` holds exactly the rows of
    ``source``, in the same order and with the same values; raises :class:`CopyMismatch`
    naming the first difference. ``progress`` is told of each batch of rows checked
    ("checking"); ``sizes``, the rows of each table of ``source`` if already counted."""
    counts: dict[str, int] = {}
    checked: Iterable[None] = _compared(source, target, counts)
    if progress is not None:
        checked = progress(checked, _batch_count(sizes or _sizes(source)), "checking")
    for _ in checked:
        pass
    return counts


def _compared(source: Store, target: Store, counts: dict[str, int]) -> Iterator[None]:
    """:func:`compare`'s work, table by table; yields after each batch of rows checked,
    and notes each table's rows in ``counts``."""
    for table, order in TABLES.items():
        columns = _columns(source, table)
        theirs = _rows(target, table, columns, order)
        count = 0
        for count, (mine, copied) in enumerate(
            itertools.zip_longest(_rows(source, table, columns, order), theirs), start=1
        ):
            if mine != copied:
                where = f"row {count} of {table} ({columns[0]} {(mine or copied)[0]!r})"
                if mine is None or copied is None:
                    raise CopyMismatch(
                        f"the copy's {table} has a different number of rows (from {where})"
                    )
                column = next(c for c, a, b in zip(columns, mine, copied, strict=True) if a != b)
                raise CopyMismatch(f"{where} differs in {column}")
            if count % BATCH == 0:
                yield
        counts[table] = count
        if count % BATCH:
            yield  # the table's last batch, short of a whole one


def _sizes(store: Store) -> dict[str, int]:
    """The rows of each table: how much work a copy or a check has ahead of it."""
    sizes = {}
    for table in TABLES:
        cursor = store.execute(f"SELECT count(*) FROM {table}")
        sizes[table] = int(cursor.fetchone()[0])
    return sizes


def _batch_count(sizes: dict[str, int]) -> int:
    return sum(-(-rows // BATCH) for rows in sizes.values())


def _replays(target: Store, progress: Progress | None = None, cases: int = 0) -> None:
    """Refuse the copy if any copied case does not replay from its history; ``progress``
    is told of each of the ``cases`` replayed ("replaying")."""
    from .verify import verify_all

    verdicts: Iterable[Any] = verify_all(target)
    if progress is not None:
        verdicts = progress(verdicts, cases, "replaying")
    bad = [verdict for verdict in verdicts if not verdict.ok]
    if bad:
        first = bad[0]
        raise CopyMismatch(
            f"{len(bad)} case(s) do not replay from their history, so nothing was copied; "
            f"the first, {first.name}: {first.differences[0]} (see `cspr case verify --all`)"
        )


def table_rows(store: Store, table: str) -> Iterator[tuple[Any, ...]]:
    """Every row of a table, in key order (the ``meta`` table by key)."""
    return _rows(store, table, _columns(store, table), TABLES.get(table, "key"))


def _columns(store: Store, table: str) -> list[str]:
    cursor = store.execute(f"SELECT * FROM {table} LIMIT 0")
    columns = [d[0] for d in cursor.description]
    cursor.fetchall()
    return columns


def _rows(store: Store, table: str, columns: list[str], order: str) -> Iterator[tuple[Any, ...]]:
    cursor = store.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}")
    while rows := cursor.fetchmany(BATCH):
        yield from (tuple(row) for row in rows)


def _batches(rows: Iterator[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    while batch := list(itertools.islice(rows, BATCH)):
        yield batch


def backup_store(store: Store, target: str | Path) -> int:
    """Copy the store into a new SQLite file ``target`` while others carry on writing,
    as one consistent moment of the store: a SQLite store with SQLite's online backup,
    a PostgreSQL one by copying every row in one snapshot (:mod:`engine.dbcopy`), so
    that the backup opens with ``cspr --db`` and goes back with ``cspr db copy``. The
    copy is written beside ``target`` (with the store's file permissions, or the owner's
    alone), checked, and only then renamed into place. Returns the cases copied."""
    import sqlite3

    if store.path == ":memory:":
        raise StoreError("an in-memory store cannot be backed up")
    target = Path(target)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        if store.dialect.name == "sqlite":
            cases = _backup_sqlite(store, partial)
            mode = os.stat(store.path).st_mode & 0o777
        else:
            cases = _backup_by_copy(store, partial)
            mode = 0o600
        os.chmod(partial, mode)
        os.replace(partial, target)
        return cases
    except OSError as error:
        raise StoreError(f"cannot write the backup {target}: {error.strerror}") from None
    except sqlite3.Error as error:
        raise StoreError(f"cannot write the backup {target}: {error}") from None
    finally:
        partial.unlink(missing_ok=True)


def _backup_sqlite(store: Store, partial: Path) -> int:
    import sqlite3

    copy = sqlite3.connect(partial, isolation_level=None)
    try:
        store.db.backup(copy)  # all pages in one step: one read snapshot
        copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        problem = copy.execute("PRAGMA quick_check").fetchone()[0]
        cases = copy.execute("SELECT count(*) FROM cases").fetchone()[0]
    finally:
        copy.close()
    if problem != "ok":
        raise StoreError(f"the backup of {store.path} failed its check: {problem}")
    return int(cases)


def _backup_by_copy(store: Store, partial: Path) -> int:
    partial.unlink(missing_ok=True)
    with Store(partial) as copy:
        # Every row is checked against the original; a damaged case is still backed up.
        counts = copy_store(store, copy, replay=False)
        copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
    return counts["cases"]
