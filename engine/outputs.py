"""Files a command writes at an operator's request (a diagram, a backup): never onto the
case store, never over a file by surprise, and a failure is one line, not a traceback.

:func:`check_output` refuses, whatever ``--force`` says, a path that is the case store or
one of SQLite's files beside it (``-wal``, ``-shm``, ``-journal``), whether it names one
directly, through a symbolic link, or is a hard link to one (compared by device and
inode as well as by resolved path); and, unless ``force``, a path where a file already
is. :func:`write_output` then writes, turning an operating-system error (no such folder,
a full disk) into an :class:`OutputError` saying what and why.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["STORE_COMPANIONS", "OutputError", "check_output", "store_files", "write_output"]

#: SQLite's own files beside a store ``X``: ``X-wal``, ``X-shm`` and ``X-journal``.
STORE_COMPANIONS = ("-wal", "-shm", "-journal")


class OutputError(Exception):
    """A file may not, or could not, be written; the message says which and why."""


def store_files(store_location: str | os.PathLike[str] | None) -> list[tuple[str, str]]:
    """(path, what it is) of the case store's files, if it is a SQLite file; none for a
    PostgreSQL database or an in-memory store."""
    if store_location is None:
        return []
    from .store.dialects import is_postgres

    location = os.fspath(store_location)
    if not location or location == ":memory:" or is_postgres(location):
        return []
    found = [(location, f"the case store {location}")]
    found += [
        (location + suffix, f"the case store's {suffix} file ({location}{suffix})")
        for suffix in STORE_COMPANIONS
    ]
    return found


def check_output(
    path: str | os.PathLike[str], *, force: bool, store_location: str | os.PathLike[str] | None
) -> None:
    """Raise :class:`OutputError` if ``path`` may not be written (see the module)."""
    shown = os.fspath(path)
    target = _resolved(shown)
    try:
        found: os.stat_result | None = os.stat(shown)
    except OSError:
        found = None
    for protected, what in store_files(store_location):
        same = target is not None and target == _resolved(protected)
        if not same and found is not None:
            try:
                theirs = os.stat(protected)
            except OSError:
                theirs = None
            same = theirs is not None and (theirs.st_dev, theirs.st_ino) == (
                found.st_dev,
                found.st_ino,
            )
        if same:
            raise OutputError(f"refusing to write {shown}: it is {what}; choose another file")
    if found is None:
        return
    if stat.S_ISDIR(found.st_mode):
        raise OutputError(f"cannot write {shown}: it is a folder")
    if stat.S_ISCHR(found.st_mode) or stat.S_ISFIFO(found.st_mode):
        return  # a device or a pipe (/dev/null, /dev/stdout) is written to, not replaced
    if not force:
        raise OutputError(f"{shown} exists; use --force to replace it")


def _resolved(path: str) -> str | None:
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return None


def write_output(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path``; :class:`OutputError` in one line if that fails."""
    shown = os.fspath(path)
    try:
        Path(shown).write_bytes(data)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise OutputError(f"cannot write {shown}: {reason}") from None
