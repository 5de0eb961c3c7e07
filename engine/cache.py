"""The user's cache folder: results that never change for a given input, kept between
commands so that each ``cspr`` run does not compute them again.

Entries are named by a hash of everything they depend on, so an entry is either right or
never looked up again; a damaged entry is ignored and rebuilt. The folder is
``cspr-engine`` under ``$CSPR_CACHE``, else ``$XDG_CACHE_HOME``, else ``~/.cache``;
``CSPR_NO_CACHE=1`` turns the cache off.

Nothing read from the folder can run code or change an answer on its own:

- the folder is created ``0700``, and is not used at all (one line on stderr says why;
  the command still works, without the cache) unless it is a real folder, not a symbolic
  link, owned by the user running cspr and not writable by group or others;
- it is opened once and every entry is read and written relative to that open folder, so
  it cannot be swapped for another between the check and the use;
- an entry is read only if it is a regular file owned by the user and writable by no one
  else, and never through a symbolic link;
- an entry is written to a new file of an unpredictable name (``O_EXCL | O_NOFOLLOW``,
  mode ``0600``) and renamed into place, so nothing is ever written through a link;
- entries are plain data: :func:`encode` and :func:`decode` write and read JSON that can
  make only the record classes a caller names, never arbitrary objects (no ``pickle``);
- what decides a date (the bank holidays) is checked against a digest held in the code
  before it is used (see :mod:`engine.calendar`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import stat
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: Entries larger than this are not read (a cache entry is tens of kilobytes).
MAX_ENTRY = 16 * 1024 * 1024

_FOLDER_NAME = "cspr-engine"

#: The folder last opened: (its path, an open descriptor of it or None if refused).
_opened: tuple[str, int | None] | None = None


def folder() -> Path | None:
    """Where entries are kept, or ``None`` when caching is turned off or the folder is
    refused (see the module)."""
    where = _where()
    if where is None or _descriptor(where) is None:
        return None
    return where


def _where() -> Path | None:
    if os.environ.get("CSPR_NO_CACHE"):
        return None
    root = os.environ.get("CSPR_CACHE") or os.environ.get("XDG_CACHE_HOME")
    return (Path(root) if root else Path.home() / ".cache") / _FOLDER_NAME


def _descriptor(where: Path) -> int | None:
    """An open descriptor of the checked folder ``where`` (made if missing), or ``None``
    if it may not be used; the verdict is kept for the rest of the command."""
    global _opened
    key = str(where)
    if _opened is not None and _opened[0] == key:
        return _opened[1]
    forget()
    problem, fd = _open_checked(where)
    if problem:
        print(f"cspr: not using the cache folder {where}: {problem}", file=sys.stderr)
    _opened = (key, fd)
    return fd


def forget() -> None:
    """Close the folder opened so far; the next use checks the folder again."""
    global _opened
    if _opened is not None and _opened[1] is not None:
        with contextlib.suppress(OSError):
            os.close(_opened[1])
    _opened = None


def _open_checked(where: Path) -> tuple[str | None, int | None]:
    """(why the folder is refused, None) or (None, an open descriptor of it)."""
    if not hasattr(os, "geteuid") or os.open not in os.supports_dir_fd:
        return None, None  # no way to hold the folder while using it: no cache, silently
    try:
        where.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.mkdir(where, 0o700)
        fd = os.open(where, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        if os.path.islink(where):
            return "it is a symbolic link", None
        return None, None  # cannot be made or opened: no cache, as if it were turned off
    found = os.fstat(fd)
    problem = None
    if found.st_uid != os.geteuid():
        problem = f"it belongs to user id {found.st_uid}, not to you"
    elif found.st_mode & 0o022:
        mode = stat.S_IMODE(found.st_mode)
        problem = f"others than you may write in it (mode {mode:04o}); run chmod 700 on it"
    if problem:
        os.close(fd)
        return problem, None
    return None, fd


def _usable(found: os.stat_result) -> bool:
    """Whether an entry may be read: a regular file of ours that only we may change."""
    return (
        stat.S_ISREG(found.st_mode)
        and found.st_uid == os.geteuid()
        and not found.st_mode & 0o022
        and found.st_size <= MAX_ENTRY
    )


def read(name: str) -> bytes | None:
    """The entry ``name``, or ``None`` if there is none, it may not be read (see the
    module), or caching is off."""
    where = _where()
    base = _descriptor(where) if where is not None else None
    if base is None or not _plain_name(name):
        return None
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=base)
    except OSError:
        return None
    try:
        if not _usable(os.fstat(fd)):
            return None
        with os.fdopen(fd, "rb", closefd=False) as stream:
            return stream.read(MAX_ENTRY + 1)[:MAX_ENTRY]
    except OSError:
        return None
    finally:
        os.close(fd)


def exists(name: str) -> bool:
    """Whether the entry ``name`` is there and may be read (``False`` when caching is
    off)."""
    where = _where()
    base = _descriptor(where) if where is not None else None
    if base is None or not _plain_name(name):
        return False
    try:
        return _usable(os.stat(name, dir_fd=base, follow_symlinks=False))
    except OSError:
        return False


def write(name: str, data: bytes) -> None:
    """Store the entry ``name``; a reader never sees half an entry. Failures are ignored:
    a cache that cannot be written only makes the next command slower."""
    where = _where()
    base = _descriptor(where) if where is not None else None
    if base is None or not _plain_name(name):
        return
    partial = f".{name}.{os.getpid()}.{os.urandom(8).hex()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(partial, flags, 0o600, dir_fd=base)
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
        os.replace(partial, name, src_dir_fd=base, dst_dir_fd=base)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(partial, dir_fd=base)


def _plain_name(name: str) -> bool:
    """Whether ``name`` names an entry inside the folder (no path, no dot file)."""
    return bool(name) and "/" not in name and "\0" not in name and not name.startswith(".")


# -- plain-data records -------------------------------------------------------------------

# A value is written as JSON: text, numbers, true, false and null as themselves; a tuple
# as a list; a date as {"date": "YYYY-MM-DD"}; a mapping with text keys as
# {"": [[key, value], ...]}; a record (a :class:`engine.frozen.Frozen`) as
# {"ClassName": [its fields in order]}. Reading makes only the classes it is given.

_DATE = "date"
_MAPPING = ""


class DecodeError(ValueError):
    """An entry that is not what :func:`encode` writes for the classes given."""


def encode(value: Any) -> bytes:
    """``value`` as plain JSON (see above); :class:`TypeError` for anything else."""
    return json.dumps(_plain(value), separators=(",", ":"), allow_nan=False).encode()


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    fields = getattr(type(value), "_fields", None)
    if fields is not None and hasattr(value, "__dict__"):
        values = value.__dict__
        return {type(value).__name__: [_plain(values[name]) for name in fields]}
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return {_DATE: value.isoformat()}
    if isinstance(value, Mapping) and all(isinstance(key, str) for key in value):
        return {_MAPPING: [[key, _plain(item)] for key, item in value.items()]}
    raise TypeError(f"cannot keep a {type(value).__name__} in the cache")


def decode(data: bytes, records: Mapping[str, type]) -> Any:
    """What :func:`encode` wrote, making records only of the classes in ``records``
    (class name → class, each with a ``_fields`` tuple); :class:`DecodeError` for
    anything else. No constructor or other code of a class runs: a record's fields are
    set as written, as :mod:`pickle` would, but only for those classes."""
    new = object.__new__

    def hook(obj: dict[str, Any]) -> Any:
        if len(obj) != 1:
            raise DecodeError("not a cache entry")
        ((tag, value),) = obj.items()
        if tag == _DATE and isinstance(value, str):
            return dt.date.fromisoformat(value)
        if type(value) is not list:
            raise DecodeError("not a cache entry")
        items = [tuple(item) if type(item) is list else item for item in value]
        if tag == _MAPPING:
            if not all(
                type(pair) is tuple and len(pair) == 2 and type(pair[0]) is str for pair in items
            ):
                raise DecodeError("not a cache entry")
            return {key: tuple(item) if type(item) is list else item for key, item in items}
        cls = records.get(tag)
        fields = getattr(cls, "_fields", None)
        if cls is None or fields is None or len(fields) != len(items):
            raise DecodeError(f"not a cache entry: {tag[:40]!r}")
        record: Any = new(cls)
        record.__dict__.update(zip(fields, items, strict=True))
        return record

    try:
        found = json.loads(data, object_hook=hook)
    except (ValueError, TypeError, RecursionError) as error:
        raise DecodeError(f"not a cache entry: {error}") from None
    return tuple(found) if type(found) is list else found
