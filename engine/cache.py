"""The user's cache folder: results that never change for a given input, kept between
commands so that each ``cspr`` run does not compute them again.

Entries are named by a hash of everything they depend on, so an entry is either right or
never looked up again; a damaged entry is ignored and rebuilt. The folder is
``cspr-engine`` under ``$CSPR_CACHE``, else ``$XDG_CACHE_HOME``, else ``~/.cache``;
``CSPR_NO_CACHE=1`` turns the cache off.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def folder() -> Path | None:
    """Where entries are kept, or ``None`` when caching is turned off."""
    if os.environ.get("CSPR_NO_CACHE"):
        return None
    root = os.environ.get("CSPR_CACHE") or os.environ.get("XDG_CACHE_HOME")
    return (Path(root) if root else Path.home() / ".cache") / "cspr-engine"


def read(name: str) -> bytes | None:
    """The entry ``name``, or ``None`` if there is none (or caching is off)."""
    base = folder()
    if base is None:
        return None
    try:
        return (base / name).read_bytes()
    except OSError:
        return None


def exists(name: str) -> bool:
    """Whether the entry ``name`` is there (always ``False`` when caching is off)."""
    base = folder()
    return base is not None and (base / name).is_file()


def write(name: str, data: bytes) -> None:
    """Store the entry ``name``; a reader never sees half an entry. Failures are ignored:
    a cache that cannot be written only makes the next command slower."""
    base = folder()
    if base is None:
        return
    with contextlib.suppress(OSError):
        base.mkdir(parents=True, exist_ok=True)
        partial = base / f"{name}.{os.getpid()}.tmp"
        partial.write_bytes(data)
        os.replace(partial, base / name)
