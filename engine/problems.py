"""What is wrong, and where: a file's location, a problem found there, and "did you mean".

A leaf: every layer reports problems the same way (``file:line:col: message``), and
suggests the name meant when one is misspelt, without importing anything of the engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .frozen import Frozen


class Location(Frozen, order=True):
    """Where a node was written: file name, 1-based line and column."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class Problem(Frozen, order=True):
    """One thing wrong with a file, where it is, and what to write instead."""

    where: Location
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.where.file,
            "line": self.where.line,
            "column": self.where.column,
            "message": self.message,
        }


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` — did you mean 'x'?`` when a close match exists, else an empty string. Among
    many names, only those most like the word are compared with it (:class:`_NameIndex`),
    so that a file with thousands of names and misspellings is still checked quickly."""
    import difflib  # only a misspelt name needs it: not imported for every command

    names = _index_of(choices)
    if isinstance(names, _NameIndex):
        names = names.shortlist(word)
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    return f" — did you mean '{close[0]}'?" if close else ""


#: Up to this many names, a "did you mean" compares the word with every one (difflib).
_FEW_NAMES = 200
#: Beyond it, with at most this many names, those most like the word.
_SHORTLIST = 8
#: At most this many entries of the index of runs of letters are counted per word.
_COUNTED = 1500


class _NameIndex:
    """Where to look for the names most like a word, without comparing it with them all.

    First the names one slip of the keyboard away (a letter dropped, added, changed, or
    two swapped): each name is filed under itself and each way of dropping one of its
    letters, and so is the word, so that such names are found by a few look-ups.
    Failing those, the names sharing the most runs of three characters with the word
    (``^ab``, ``abc``, ..., ``yz$``), rarest runs first, counting a bounded number."""

    def __init__(self, names: list[str]):
        self.names = names
        self.near: dict[str, list[int]] = {}
        filed = self.near.setdefault
        for number, name in enumerate(names):
            for i in range(len(name) + 1):  # the name itself, then each letter dropped
                filed(name[:i] + name[i + 1 :], []).append(number)
        self._runs: dict[str, list[int]] | None = None

    def shortlist(self, word: str) -> list[str]:
        found = sorted({n for variant in _dropped(word) for n in self.near.get(variant, ())})
        if found:
            return [self.names[number] for number in found[: _SHORTLIST * 4]]
        return self.sharing_runs(word)

    def sharing_runs(self, word: str) -> list[str]:
        from collections import Counter
        from itertools import chain, islice

        if self._runs is None:  # made only when some word is more than a slip away
            self._runs = {}
            for number, name in enumerate(self.names):
                for run in _runs(name):
                    self._runs.setdefault(run, []).append(number)
        postings = sorted((found for run in _runs(word) if (found := self._runs.get(run))), key=len)
        shared = Counter(islice(chain.from_iterable(postings), _COUNTED))
        return [self.names[number] for number, _ in shared.most_common(_SHORTLIST)]


def _dropped(name: str) -> set[str]:
    """A name and every way of dropping one of its letters."""
    return {name, *(name[:i] + name[i + 1 :] for i in range(len(name)))}


def _runs(name: str) -> set[str]:
    """The runs of three characters of a name, its start and end marked."""
    padded = f"^{name}$"
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


#: Indexes of the large collections of names asked about lately, by the collection's id
#: (kept with the collection itself, so the id cannot be reused meanwhile).
_INDEXES: dict[int, tuple[object, int, _NameIndex]] = {}


def _index_of(choices: Iterable[str]) -> list[str] | _NameIndex:
    """The names to look among: a plain list when they are few, else an index, made once
    per collection (the checks ask about the same states or facts many times)."""
    reusable = isinstance(choices, (Mapping, set, frozenset, list, tuple))
    if reusable:
        entry = _INDEXES.get(id(choices))
        if entry is not None and entry[0] is choices and entry[1] == len(choices):  # type: ignore[arg-type]
            return entry[2]
    names = list(dict.fromkeys(str(c) for c in choices))
    if len(names) <= _FEW_NAMES:
        return names
    index = _NameIndex(names)
    if reusable:
        if len(_INDEXES) >= 8:
            del _INDEXES[next(iter(_INDEXES))]
        _INDEXES[id(choices)] = (choices, len(choices), index)  # type: ignore[arg-type]
    return index
