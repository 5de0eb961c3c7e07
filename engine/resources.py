"""Where the files that ship with cspr are: the JSON Schemas and the shipped processes.

They live at the top of the source tree (``schemas/``, ``processes/``) and travel inside
the package as ``data/`` (links in the source tree, files in a wheel), so that an
installed cspr finds them wherever it is. (A path beside this file rather than
:mod:`importlib.resources`, which costs a tenth of ``cspr case show``'s start-up to
import, and cspr is never run from a zip.)
"""

from __future__ import annotations

from pathlib import Path

_DATA = Path(__file__).resolve().parent / "data"


def shipped(*parts: str) -> Path:
    """A file or folder that ships with cspr, e.g. ``shipped("schemas",
    "process.schema.json")``."""
    return _DATA.joinpath(*parts)
