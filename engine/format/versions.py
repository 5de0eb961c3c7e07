"""Versions of a process side by side: the period each is in force, and which one a new
case opens under.

A process may have several files (``processes/cspr.yaml`` for Working Together 2018,
``processes/cspr-2023.yaml`` for 2023), each with its ``version`` and an ``in_force``
key::

    in_force:
      from: 2023-12-15        # the first day it applies
      until: 2024-12-31       # the last day, where known
      chosen_by: aware_on     # the date fact that chooses the version (default: the
                              # day the case is opened)

A case opens under the version in force on the date its ``chosen_by`` fact gives (or on
the day it is opened, without one); ``cspr case open --version V`` chooses another and
says so in the history. Periods of one process must not overlap, and two files may not
say the same process and version with different texts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..dates import DateError, parse_date
from ..frozen import Frozen
from ..problems import Location, Problem
from .bundle import Bundle, display_path, parsed_yaml, read_bundle


def read_in_force(document: Any) -> tuple[dict[str, Any], list[Problem]]:
    """The :class:`~engine.model.Process` fields a document's ``in_force`` key gives
    (``in_force_from``, ``in_force_until``, ``chosen_by``), and its problems (an
    impossible date, a period that ends before it starts). The shape is the schema's."""
    data = document.data if isinstance(document.data, dict) else {}
    spec = data.get("in_force")
    if not isinstance(spec, dict):
        return {}, []
    fields: dict[str, Any] = {}
    problems = []
    for key, name in (("from", "in_force_from"), ("until", "in_force_until")):
        if key in spec:
            try:
                fields[name] = parse_date(str(spec[key]))
            except DateError as error:
                problems.append(Problem(document.where(("in_force", key)), str(error)))
    if isinstance(spec.get("chosen_by"), str):
        fields["chosen_by"] = spec["chosen_by"]
    start, until = fields.get("in_force_from"), fields.get("in_force_until")
    if start and until and until < start:
        problems.append(
            Problem(
                document.where(("in_force", "until")),
                f"in force until {until.isoformat()}, before it is in force from "
                f"{start.isoformat()}; 'until' is the last day the version applies",
            )
        )
    return fields, problems


def check_chosen_by(process: Any) -> list[Problem]:
    """``chosen_by`` must name a date fact the process declares."""
    name = getattr(process, "chosen_by", None)
    if name is None:
        return []
    fact = process.facts.get(name)
    if fact is not None and fact.type == "date":
        return []
    from ..problems import did_you_mean

    dates = [f.id for f in process.facts.values() if f.type == "date"]
    what = "is not a date fact" if fact is not None else "is not a declared fact"
    return [
        Problem(
            process.where,
            f"in_force: chosen_by '{name}' {what}; name the date fact that chooses the "
            "version" + (did_you_mean(name, dates) or ""),
        )
    ]


class VersionFile(Frozen):
    """One process file as a version: what ``cspr process list`` shows."""

    process: str
    version: str
    title: str
    file: str
    hash: str
    in_force_from: dt.date | None = None
    in_force_until: dt.date | None = None
    chosen_by: str | None = None
    #: The texts of the file and those it includes (the version's text), by name.
    texts: Mapping[str, str] | None = None
    where: Location = Location("<unknown>")

    @property
    def name(self) -> str:
        return f"{self.process}@{self.version}"

    def in_force_on(self, day: dt.date) -> bool:
        if self.in_force_from is None and self.in_force_until is None:
            return False
        return (self.in_force_from is None or self.in_force_from <= day) and (
            self.in_force_until is None or day <= self.in_force_until
        )

    def period(self) -> str:
        start, until = self.in_force_from, self.in_force_until
        if start and until:
            return f"{start.isoformat()} to {until.isoformat()}"
        if start:
            return f"from {start.isoformat()}"
        return f"until {until.isoformat()}" if until else "no period"

    def as_json(self) -> dict[str, Any]:
        return {
            "process": self.process,
            "version": self.version,
            "title": self.title,
            "in_force_from": self.in_force_from.isoformat() if self.in_force_from else None,
            "in_force_until": self.in_force_until.isoformat() if self.in_force_until else None,
            "chosen_by": self.chosen_by,
            "file": self.file,
            "hash": self.hash,
        }


def version_file(path: str | Path, bundle: Bundle | None = None) -> VersionFile | None:
    """A process file's version, period and hash, read from its top-level keys (the file
    is not built: a file with problems is listed as it says); None if it is not a
    process file at all."""
    from . import yamlsource

    path = Path(path)
    bundle = bundle or read_bundle(path)
    text = bundle.texts.get(bundle.main)
    if text is None:
        return None
    file = display_path(path)
    try:
        document = parsed_yaml(text, file)
    except yamlsource.YamlProblem:
        return None
    data = document.data
    if not isinstance(data, dict) or not isinstance(data.get("process"), str):
        return None
    fields, _ = read_in_force(document)
    return VersionFile(
        process=data["process"],
        version=str(data.get("version", "")),
        title=str(data.get("title", "")),
        file=file,
        hash=bundle.hash,
        in_force_from=fields.get("in_force_from"),
        in_force_until=fields.get("in_force_until"),
        chosen_by=fields.get("chosen_by"),
        texts=dict(bundle.texts),
        where=document.where(("version",)),
    )


def catalogue(files: Iterable[str | Path]) -> list[VersionFile]:
    """Every process file among ``files`` as a version, by process then period."""
    found = [v for v in (version_file(f) for f in files) if v is not None]
    return sorted(found, key=_order)


def folder_catalogue(folder: str | Path) -> list[VersionFile]:
    """The versions of every process file in a folder (``*.yaml``)."""
    return catalogue(sorted(p for p in Path(folder).glob("*.yaml") if p.is_file()))


def _order(v: VersionFile) -> tuple[str, dt.date, str, str]:
    return (v.process, v.in_force_from or dt.date.min, v.version, v.file)


def conflicts(versions: Sequence[VersionFile]) -> list[Problem]:
    """What ``cspr validate`` refuses across files: two versions of one process in force
    on the same day, and two files saying the same process and version with different
    texts (a copy with the same text is not a conflict)."""
    problems = []
    by_process: dict[str, list[VersionFile]] = {}
    for version in versions:
        by_process.setdefault(version.process, []).append(version)
    for process, items in by_process.items():
        seen: dict[str, VersionFile] = {}
        for item in items:
            first = seen.setdefault(item.version, item)
            if first is not item and _texts(first) != _texts(item):
                problems.append(
                    Problem(
                        item.where,
                        f"{process} version {item.version} is also in {first.file} with a "
                        "different text; a version is one text: give this file another "
                        "version, or make the two the same",
                    )
                )
        dated = [i for i in items if i.in_force_from or i.in_force_until]
        for index, a in enumerate(dated):
            for b in dated[index + 1 :]:
                if a.version == b.version or not _overlap(a, b):
                    continue
                problems.append(
                    Problem(
                        b.where,
                        f"{process} version {b.version} ({b.period()}) is in force on days "
                        f"version {a.version} in {a.file} ({a.period()}) is too; a case "
                        "must have one version to open under, so end one period the day "
                        "before the other begins",
                    )
                )
    return problems


def _texts(v: VersionFile) -> list[str]:
    return sorted((v.texts or {}).values())


def _overlap(a: VersionFile, b: VersionFile) -> bool:
    a_start, a_end = a.in_force_from or dt.date.min, a.in_force_until or dt.date.max
    b_start, b_end = b.in_force_from or dt.date.min, b.in_force_until or dt.date.max
    return a_start <= b_end and b_start <= a_end


class Choice(Frozen):
    """The version a case opens under, and why, in words for its history."""

    version: VersionFile
    #: Why this one: "in force on aware_on 2024-01-10", "--version 2018 (in force on ...
    #: is 2023)".
    reason: str
    chosen: bool = False


class NoVersion(Exception):
    """No version of the process can be chosen; the message says why."""


def choose(
    versions: Sequence[VersionFile],
    process: str,
    facts: Mapping[str, Any],
    opened_on: dt.date,
    wanted: str | None = None,
) -> Choice:
    """The version of ``process`` a case opens under: ``wanted`` if given, else the one
    in force on the date its ``chosen_by`` fact gives (else on ``opened_on``). A process
    with one file and no period opens under that file."""
    items = [v for v in versions if v.process == process]
    if not items:
        raise NoVersion(f"no process file says 'process: {process}'")
    dated = [v for v in items if v.in_force_from or v.in_force_until]
    basis, day = _deciding_date(dated or items, facts, opened_on)
    in_force = [v for v in dated if v.in_force_on(day)]
    if wanted is not None:
        matching = [v for v in items if v.version == str(wanted)]
        if not matching:
            known = ", ".join(v.version for v in items)
            raise NoVersion(f"{process} has no version '{wanted}' (versions: {known})")
        chosen = matching[0]
        if in_force and in_force[0].version == chosen.version:
            return Choice(chosen, f"--version {wanted}, the version in force on {basis}")
        other = f"version {in_force[0].version}" if in_force else "no version"
        return Choice(
            chosen,
            f"version {wanted} chosen by hand with --version ({other} is in force on {basis})",
            chosen=True,
        )
    if in_force:
        return Choice(in_force[0], f"version {in_force[0].version}, in force on {basis}")
    if not dated and len(items) == 1:
        return Choice(items[0], f"version {items[0].version}, the only one")
    periods = "; ".join(f"{v.version}: {v.period()}" for v in dated) or "none has a period"
    raise NoVersion(
        f"no version of {process} is in force on {basis} ({periods}); give --version to choose one"
    )


def _deciding_date(
    items: Sequence[VersionFile], facts: Mapping[str, Any], opened_on: dt.date
) -> tuple[str, dt.date]:
    """The date that chooses the version, and how to say it: the ``chosen_by`` fact if
    the case is opened with it, else the opening date."""
    names = {v.chosen_by for v in items if v.chosen_by}
    for name in sorted(names):
        value = facts.get(name)
        if value is None:
            continue
        if isinstance(value, dt.date):
            return f"{name} {value.isoformat()}", value
        try:
            day = parse_date(str(value))
        except DateError:
            continue  # refused with the fact's own words when the case is opened
        return f"{name} {day.isoformat()}", day
    return f"the opening date {opened_on.isoformat()}", opened_on


def find_version(versions: Sequence[VersionFile], spec: str) -> VersionFile | None:
    """``process@version`` among ``versions``."""
    process, _, version = spec.partition("@")
    for item in versions:
        if item.process == process and item.version == version:
            return item
    return None


def folder_versions(folder: str | Path, process: str) -> list[VersionFile]:
    """The versions of one process among a folder's files: only files whose text says
    ``process: <id>`` are read as YAML, so opening a case reads little."""
    import re

    says = re.compile(rf"^process:[ \t]*[\"']?{re.escape(process)}[\"']?[ \t]*(#.*)?$", re.M)
    files = []
    for path in sorted(Path(folder).glob("*.yaml")):
        try:
            head = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if says.search(head):
            files.append(path)
    return [v for v in catalogue(files) if v.process == process]
