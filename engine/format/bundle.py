"""A process file and the files it includes, travelling together as one bundle of texts
keyed by name and hashed: the exact text a case is pinned to.

Includes come from the parsed ``include:`` key only: regular files inside the process
folder, at most :data:`MAX_INCLUDE_DEPTH` deep."""

from __future__ import annotations

import functools
import json
import posixpath
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..frozen import Frozen, field
from ..problems import Location, Problem

if TYPE_CHECKING:  # at run time imported where files are read: a stored model needs no YAML
    from . import yamlsource


class Bundle(Frozen):
    """A process file and the files it includes, as text, keyed by name relative to it.

    Two bundles are equal when their texts are: that is what pins a case to a version.
    ``problems`` says why a file could not be read as text (too large, not UTF-8); it is
    not part of the hash, since a bundle missing a file's text never builds.
    """

    main: str
    texts: Mapping[str, str] = field(default_factory=dict)
    problems: Mapping[str, Problem] = field(default_factory=dict)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Bundle) and other.hash == self.hash

    def __hash__(self) -> int:
        return hash(self.hash)

    @functools.cached_property
    def hash(self) -> str:
        import hashlib  # only a bundle read from files is hashed

        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()

    def to_json(self) -> str:
        return json.dumps({"main": self.main, "texts": dict(self.texts)}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Bundle:
        data = json.loads(text)
        return cls(data["main"], data["texts"])


#: Deepest chain of includes read: a file including one that includes one... (the top
#: file is not counted).
MAX_INCLUDE_DEPTH = 20
#: Stands for "where the include naming this file is written" in a bundle's problems.
AT_INCLUDE = Location("", 0, 0)


def read_bundle(path: str | Path) -> Bundle:
    """Read a process file and, recursively, the files it includes.

    Includes are taken from the parsed ``include:`` keys of states only (never from text
    that merely looks like one, such as a line of a description), each a regular file in
    the process file's folder or below it, at most :data:`MAX_INCLUDE_DEPTH` deep, each at
    most the size any process file may have. A refused include is reported where it is
    named, when the bundle is built.
    """
    from . import yamlsource

    path = Path(path)
    base = path.parent
    display_dir = display_path(base)
    texts: dict[str, str] = {}
    problems: dict[str, Problem] = {}
    pending = [(path.name, 0)]
    while pending:
        name, depth = pending.pop()
        if name in texts or name in problems or depth > MAX_INCLUDE_DEPTH:
            continue  # too deep: reported where it is included, when the bundle is built
        refusal = _refused_include(base, name) if depth else None
        if refusal is not None:
            problems[name] = Problem(AT_INCLUDE, refusal)
            continue
        try:
            texts[name] = yamlsource.read_file(base / name, name)
        except OSError:
            continue  # reported at the include naming it when the bundle is built
        except yamlsource.YamlProblem as error:
            problems[name] = Problem(error.where, error.message)
            continue
        for included in _includes_named(texts[name], display_name(display_dir, name)):
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(name), included))
            pending.append((joined, depth + 1))
    return Bundle(path.name, texts, problems)


def _refused_include(base: Path, name: str) -> str | None:
    """Why the file an include names may not be read, or ``None``: it must be a regular
    file inside the process file's folder (after following links). A missing file is left
    to the builder, which says so where it is named."""
    import os
    import stat

    inside = (
        "; an include names a process file in the same folder as the file that includes "
        "it, or below it, by a relative path such as 'scr.yaml'"
    )
    if posixpath.isabs(name) or name == ".." or name.startswith("../"):
        return f"cannot include '{name}': it is outside the process folder{inside}"
    try:
        resolved = (base / name).resolve()
        mode = os.stat(resolved).st_mode
    except (OSError, RuntimeError):
        return None
    if not resolved.is_relative_to(base.resolve()):
        return f"cannot include '{name}': it leads outside the process folder{inside}"
    if not stat.S_ISREG(mode):
        return f"cannot include '{name}': it is not a regular file; include a process file"
    return None


def _includes_named(text: str, file: str) -> list[str]:
    """The include paths a text names: the ``include:`` values of its states, however
    deeply nested, read from the parsed YAML (what the builder will read them from)."""
    from . import yamlsource

    if "include" not in text:  # no need to parse
        return []
    try:
        data = parsed_yaml(text, file).data
    except yamlsource.YamlProblem:
        return []  # reported when the bundle is built
    names = []
    pending = [data.get("states")] if isinstance(data, dict) else []
    while pending:
        states = pending.pop()
        for spec in mapping_or_empty(states).values():
            if not isinstance(spec, dict):
                continue
            include = spec.get("include")
            if isinstance(include, str):
                names.append(include)
            elif "states" in spec:
                pending.append(spec["states"])
    return names


def display_name(display_dir: str, name: str) -> str:
    """A bundle file's name as problems show it (the builder's ``display``)."""
    return name if display_dir in ("", ".") else posixpath.join(display_dir, name)


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@functools.lru_cache(maxsize=16)
def parsed_yaml(text: str, file: str) -> yamlsource.Document:
    """A file's text read as YAML: remembered, since reading a bundle looks for its
    includes in the very documents that building it reads. Documents are only read."""
    from . import yamlsource

    return yamlsource.read(text, file)


def mapping_or_empty(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}
