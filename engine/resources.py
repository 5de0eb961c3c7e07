"""Where the files that ship with cspr are: the JSON Schemas and the shipped processes.

They live at the top of the source tree (``schemas/``, ``processes/``) and travel inside
the package as ``data/`` (links in the source tree, files in a wheel), found through
:mod:`importlib.resources`, so that an installed cspr finds them wherever it is.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

#: The import package's own name (whatever it is installed as).
PACKAGE = __name__.rpartition(".")[0]


def shipped(*parts: str) -> Path:
    """A file or folder that ships with cspr, e.g. ``shipped("schemas",
    "process.schema.json")``."""
    return Path(str(files(PACKAGE).joinpath("data", *parts)))
