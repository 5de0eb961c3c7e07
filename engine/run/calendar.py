"""Dates, durations and due dates as the statutory guidance counts them.

Working days are Monday to Friday less the bank holidays of England and Wales (the
``holidays`` package, country GB, subdivision ENG). The subdivision is never left out:
without it Scottish and Northern Irish holidays such as 2 January or 12 July would be
skipped too, and deadlines in England would come out a day late.

Counting follows the guidance: the base date is day 0, so "5 working days from D" is the
5th working day after D, and "7 working days before D" is the 7th working day before D.
Months and years are calendar months and years, clamped to the end of a shorter month
(31 January + 1 month = 28 or 29 February), as ``dateutil.relativedelta`` does.

``holidays`` and ``dateutil`` are imported only when first needed, because many CLI
commands never compute a date and their start-up time should not pay for these imports.
The package's bank holidays are kept in the user's cache folder once asked for, so most
commands never import it at all; but the list read back is used only if it is, digest
for digest, the list this code knows the installed release gives, so the cache can make
counting faster and never change a date (see :data:`_KNOWN_HOLIDAY_LISTS`).
:func:`calendar_fingerprint` says which bank holidays due dates are counted with.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
from bisect import bisect_right
from collections.abc import Callable, Mapping
from pathlib import Path

from .. import cache
from ..dates import FIRST_YEAR, LAST_YEAR, MONTH_NAMES, DateError, parse_date
from ..frozen import Frozen
from ..model import ENTRY, Before, DueRule, Duration, EarliestOf, OnDate, TimeUnit, Within

__all__ = [
    "DateError",
    "Due",
    "add",
    "add_working_days",
    "bank_holiday",
    "bank_holidays_between",
    "calendar_fingerprint",
    "compute_due",
    "describe_rule",
    "is_working_day",
    "parse_date",
    "subtract",
    "working_days_between",
]


# -- bank holidays ----------------------------------------------------------------------

# Filled lazily: the holidays package computes a whole year at once and a tick over many
# cases asks about the same few years again and again.
_HOLIDAYS: dict[int, dict[dt.date, str]] = {}
# Ordinals of the bank holidays that fall on a weekday, sorted, so that whole weeks can be
# skipped arithmetically and only these need counting (weekend holidays cost nothing).
_WEEKDAY_HOLIDAY_ORDINALS: dict[int, list[int]] = {}
# Years outside FIRST_YEAR..LAST_YEAR (and every year, when the list cannot be kept in the
# cache folder) are asked of the holidays package in blocks of this many.
_BLOCK = 20

#: For each release of the holidays package this code knows, the SHA-256 digest of the
#: list it gives for 1900 to 2199 (:func:`_holiday_list_bytes`). Importing the package and
#: building its calendar takes a third of a second, more than all the rest of ``cspr case
#: show``, so that list is kept in the user's cache folder (see :mod:`engine.cache`); but
#: an entry is used only if its digest is the one written here, so no cache file, whoever
#: wrote it, can add, move or remove a bank holiday. A release not listed here is asked
#: every time (correct, but slower): add its line, from ``python -m engine.calendar``.
_KNOWN_HOLIDAY_LISTS: dict[str, str] = {
    "0.109": "e6233393d53c8e67653c5eb9291926c1673b88fb97c60d5305fa636c4e93419a",
}


def _holidays_in(year: int) -> dict[dt.date, str]:
    """England and Wales bank holidays of ``year``, date → name (cached)."""
    found = _HOLIDAYS.get(year)
    if found is None:
        if not (FIRST_YEAR <= year <= LAST_YEAR and _load_known_list()):
            first = year - year % _BLOCK
            _HOLIDAYS.update(_holidays_from_package(range(first, first + _BLOCK)))
        found = _HOLIDAYS[year]
    return found


def _holidays_from_package(years: range) -> dict[int, dict[dt.date, str]]:
    """The holidays package's answer for ``years``: the source of truth."""
    import holidays  # lazily: see the module docstring

    # In English whatever the locale: under LANG=C.UTF-8 the package names Whit Monday
    # "Pentecost Monday", and the list must read the same on every machine.
    table = holidays.country_holidays("GB", subdiv="ENG", years=years, language="en_GB")
    found: dict[int, dict[dt.date, str]] = {year: {} for year in years}
    for day, name in sorted(table.items()):
        if day.year in found:
            # A date can carry two names in the package ("A; B"); keep them as written.
            found[day.year][day] = str(name)
    return found


@functools.lru_cache(maxsize=1)
def _holidays_release() -> str | None:
    """The installed holidays package's version, read from its ``.dist-info`` folder
    beside it (``importlib.metadata`` would take 30 ms to import); ``None`` if that
    cannot be told for sure."""
    from importlib.util import find_spec

    spec = find_spec("holidays")
    if spec is None or not spec.submodule_search_locations:
        return None
    package = Path(next(iter(spec.submodule_search_locations)))
    try:
        found = [
            entry.name[len("holidays-") : -len(".dist-info")]
            for entry in os.scandir(package.parent)
            if entry.name.startswith("holidays-") and entry.name.endswith(".dist-info")
        ]
    except OSError:
        return None
    if len(found) != 1 or not re.fullmatch(r"[0-9][0-9A-Za-z.+]*", found[0]):
        return None
    return found[0]


def _holiday_list_bytes(table: Mapping[int, Mapping[dt.date, str]]) -> bytes:
    """The bank holidays of FIRST_YEAR to LAST_YEAR in ``table``, written one way only:
    what the cache entry holds and the known digests are taken of."""
    days = [
        [day.isoformat(), name]
        for year in range(FIRST_YEAR, LAST_YEAR + 1)
        for day, name in sorted(table[year].items())
    ]
    return json.dumps(days, ensure_ascii=True, separators=(",", ":")).encode()


def _sha256(data: bytes) -> str:
    try:  # the C module alone: hashlib would load OpenSSL, 4 ms of a command's start-up
        from _sha256 import sha256  # type: ignore[import-not-found]  # Python 3.11
    except ImportError:
        try:
            from _sha2 import sha256  # type: ignore[import-not-found]  # Python 3.12 on
        except ImportError:
            from hashlib import sha256
    return sha256(data).hexdigest()


def _load_known_list() -> bool:
    """Fill :data:`_HOLIDAYS` for FIRST_YEAR to LAST_YEAR from the cache folder, if it
    holds exactly the list this code knows the installed package gives, or else from the
    package (and keep that in the cache folder if it is the list known). ``False``, having
    done nothing, if the release is not known or there is no cache folder."""
    release = _holidays_release()
    known = _KNOWN_HOLIDAY_LISTS.get(release or "")
    if known is None or cache.folder() is None:
        return False
    name = f"bank-holidays-GB-ENG-{release}.json"
    data = cache.read(name)
    if data is not None and _sha256(data) == known:
        table: dict[int, dict[dt.date, str]] = {
            year: {} for year in range(FIRST_YEAR, LAST_YEAR + 1)
        }
        for day, title in json.loads(data):
            date = dt.date.fromisoformat(day)
            table[date.year][date] = title
        _HOLIDAYS.update(table)
        return True
    table = _holidays_from_package(range(FIRST_YEAR, LAST_YEAR + 1))
    _HOLIDAYS.update(table)
    data = _holiday_list_bytes(table)
    if _sha256(data) == known:  # else the package was changed in place: it is still right
        cache.write(name, data)
    return True


@functools.lru_cache(maxsize=1)  # recorded with every change to a case
def calendar_fingerprint() -> str:
    """What this engine counts working days with, for recording beside a case's due
    dates: the holidays package's release and the SHA-256 digest of every bank holiday
    date from FIRST_YEAR to LAST_YEAR (one ``YYYY-MM-DD`` a line), for example
    ``holidays 0.109; sha256:3f1c…``. Two engines with the same fingerprint skip the same
    days; a new release of the package that moves no date keeps the digest."""
    days = sorted(day for year in range(FIRST_YEAR, LAST_YEAR + 1) for day in _holidays_in(year))
    digest = _sha256("\n".join(day.isoformat() for day in days).encode())
    release = _holidays_release()
    if release is None:
        import holidays  # the version could not be read beside it

        release = str(holidays.__version__)
    return f"holidays {release}; sha256:{digest}"


def _weekday_holiday_ordinals(year: int) -> list[int]:
    found = _WEEKDAY_HOLIDAY_ORDINALS.get(year)
    if found is None:
        found = sorted(day.toordinal() for day in _holidays_in(year) if day.weekday() < 5)
        _WEEKDAY_HOLIDAY_ORDINALS[year] = found
    return found


def _weekday_holidays_after_upto(low: int, high: int) -> int:
    """How many weekday bank holidays have an ordinal ``o`` with ``low < o <= high``."""
    if high <= low:
        return 0
    first = dt.date.fromordinal(low + 1).year
    last = dt.date.fromordinal(high).year
    count = 0
    for year in range(first, last + 1):
        ordinals = _weekday_holiday_ordinals(year)
        count += bisect_right(ordinals, high) - bisect_right(ordinals, low)
    return count


def bank_holiday(d: dt.date) -> str | None:
    """The name of the bank holiday in England and Wales on ``d``, or ``None``."""
    return _holidays_in(d.year).get(d)


def bank_holidays_between(start: dt.date, end: dt.date) -> list[tuple[dt.date, str]]:
    """Bank holidays from ``start`` to ``end`` inclusive, sorted; empty if ``end < start``.

    Holidays dated on a weekend (Boxing Day 2020 was a Saturday) are listed too, as the
    package dates them; the weekday they are observed on is listed separately.
    """
    found: list[tuple[dt.date, str]] = []
    for year in range(start.year, end.year + 1):
        found.extend((d, n) for d, n in _holidays_in(year).items() if start <= d <= end)
    found.sort()
    return found


def is_working_day(d: dt.date) -> bool:
    """Whether ``d`` is a working day: Monday to Friday and not a bank holiday."""
    return d.weekday() < 5 and d not in _holidays_in(d.year)


# -- working-day arithmetic -------------------------------------------------------------


def _weekdays_upto(ordinal: int) -> int:
    """Mondays to Fridays from 0001-01-01 (a Monday, ordinal 1) to ``ordinal`` inclusive."""
    weeks, rest = divmod(ordinal, 7)
    return 5 * weeks + min(rest, 5)


_ONE_DAY = dt.timedelta(days=1)


def add_working_days(d: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``d`` (before it if ``n`` is negative); ``d`` if 0.

    ``d`` itself is day 0 and need not be a working day: 1 working day after a Saturday is
    the Monday, unless that is a bank holiday.
    """
    if n == 0:
        return d
    step = 1 if n > 0 else -1
    remaining = abs(n)
    current = d.toordinal()
    # Any 7 consecutive days hold exactly 5 weekdays, so whole weeks can be jumped and
    # only the weekday bank holidays inside them given back. Jumping leaves at least one
    # working day to walk, so the walk always stops on a working day, never a weekend.
    while remaining > 5:
        weeks = (remaining - 1) // 5
        target = current + step * 7 * weeks
        if step > 0:
            lost = _weekday_holidays_after_upto(current, target)
        else:
            lost = _weekday_holidays_after_upto(target - 1, current - 1)
        remaining -= 5 * weeks - lost
        current = target
    day = dt.date.fromordinal(current)
    delta = _ONE_DAY if step > 0 else -_ONE_DAY
    while remaining:
        day += delta
        if day.weekday() < 5 and day not in _holidays_in(day.year):
            remaining -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end``; negative if ``end < start``.

    Counting this way makes the result additive (``between(a, b) + between(b, c) ==
    between(a, c)``) and the inverse of :func:`add_working_days` for ``n > 0``. With
    ``start`` today and ``end`` a due date, a positive result reads as "N working days
    left" and a negative one as "N working days overdue" (0 on the weekend straight after
    a Friday due date: the case is late, but no working day has been lost yet).
    """
    if end < start:
        return -working_days_between(end, start)
    low, high = start.toordinal(), end.toordinal()
    weekdays = _weekdays_upto(high) - _weekdays_upto(low)
    return weekdays - _weekday_holidays_after_upto(low, high)


def _weekday_holidays_strictly_between(a: dt.date, b: dt.date) -> list[tuple[dt.date, str]]:
    """The bank holidays on weekdays strictly between ``a`` and ``b`` (either order)."""
    low, high = (a, b) if a <= b else (b, a)
    if high.toordinal() - low.toordinal() < 2:
        return []
    return [
        (d, name)
        for d, name in bank_holidays_between(low + _ONE_DAY, high - _ONE_DAY)
        if d.weekday() < 5
    ]


# -- calendar arithmetic ----------------------------------------------------------------


def _shift(base: dt.date, amount: int, unit: TimeUnit) -> dt.date:
    """``base`` moved by ``amount`` units (backwards if negative)."""
    if unit == "working_days":
        return add_working_days(base, amount)
    if unit == "days":
        return base + dt.timedelta(days=amount)
    if unit == "weeks":
        return base + dt.timedelta(weeks=amount)
    from dateutil.relativedelta import relativedelta  # lazily: see the module docstring

    if unit == "months":
        return base + relativedelta(months=amount)
    if unit == "years":
        return base + relativedelta(years=amount)
    raise ValueError(f"unknown time unit {unit!r}")


def add(base: dt.date, duration: Duration) -> dt.date:
    """``base`` plus ``duration`` (calendar months and years clamp to the month's end)."""
    return _shift(base, duration.amount, duration.unit)


def subtract(base: dt.date, duration: Duration) -> dt.date:
    """``base`` minus ``duration`` (calendar months and years clamp to the month's end)."""
    return _shift(base, -duration.amount, duration.unit)


# -- parsing ----------------------------------------------------------------------------


class Due(Frozen):
    """A computed due date and, in plain words, how it was reached.

    ``date`` is ``None`` when the rule counts from facts not recorded yet; they are named
    in ``waiting_for`` (:data:`~engine.model.ENTRY` stands for entering the step). When an
    earliest-of rule could be computed from some of its inputs, ``waiting_for`` is empty
    and the explanation names the inputs still missing.
    """

    date: dt.date | None
    explanation: str
    waiting_for: tuple[str, ...] = ()


_ENTRY_WORDS = "entering this step"


def _join(items: list[str], conjunction: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def _waiting_words(names: tuple[str, ...], conjunction: str = "and") -> str:
    if names == (ENTRY,):
        return "waits for this step to be entered"
    shown = [_ENTRY_WORDS if n == ENTRY else n for n in names]
    return f"waits for {_join(shown, conjunction)} to be recorded"


def _base_date(
    base: str, facts: Mapping[str, object], entered_on: dt.date | None
) -> tuple[dt.date | None, str]:
    """The base date of a rule, or ``None`` and the words saying why it is missing."""
    if base == ENTRY:
        if entered_on is None:
            return None, _waiting_words((ENTRY,))
        return entered_on, ""
    value = facts.get(base)
    if isinstance(value, dt.datetime):
        # A timestamp still says which day; the time of day does not count.
        return value.date(), ""
    if isinstance(value, dt.date):
        return value, ""
    if value is None:
        return None, _waiting_words((base,))
    return None, f"{_waiting_words((base,))} as a date (it holds {value!r})"


def _clamp_note(base: dt.date, result: dt.date, unit: TimeUnit) -> str:
    # relativedelta only ever moves the day back to the last day of a shorter month.
    if unit in ("months", "years") and result.day != base.day:
        return f", clamped to the end of {MONTH_NAMES[result.month - 1]}"
    return ""


def _skipping_note(base: dt.date, result: dt.date, unit: TimeUnit) -> str:
    if unit != "working_days":
        return ""
    skipped = _weekday_holidays_strictly_between(base, result)
    if not skipped:
        return ""
    word = "bank holiday" if len(skipped) == 1 else "bank holidays"
    return f", skipping {word} {_join([f'{d.isoformat()} {name}' for d, name in skipped])}"


def _compute(
    rule: DueRule, facts: Mapping[str, object], entered_on: dt.date | None, inner: bool
) -> Due:
    if isinstance(rule, OnDate):
        words = f"{rule.date.isoformat()} fixed" if inner else f"on {rule.date} (fixed date)"
        return Due(rule.date, words)
    if isinstance(rule, (Within, Before)):
        base, missing = _base_date(rule.base, facts, entered_on)
        if base is None:
            return Due(None, missing, (rule.base,))
        duration = rule.duration
        if isinstance(rule, Within):
            result, word = add(base, duration), "from"
        else:
            result, word = subtract(base, duration), "before"
        name = _ENTRY_WORDS if rule.base == ENTRY else rule.base
        words = (
            f"{duration} {word} {name} ({base.isoformat()})"
            f"{_skipping_note(base, result, duration.unit)}"
            f"{_clamp_note(base, result, duration.unit)}"
        )
        return Due(result, words)
    if isinstance(rule, EarliestOf):
        return _earliest(rule, facts, entered_on)
    raise TypeError(f"not a due rule: {rule!r}")


def _earliest(rule: EarliestOf, facts: Mapping[str, object], entered_on: dt.date | None) -> Due:
    if not rule.rules:
        return Due(None, "earliest of no rules: there is no due date")
    parts = [_compute(r, facts, entered_on, inner=True) for r in rule.rules]
    known = [p.date for p in parts if p.date is not None]
    if not known:
        waiting = tuple(dict.fromkeys(name for p in parts for name in p.waiting_for))
        # Any one of the inputs would be enough to give a due date, hence "or".
        return Due(None, _waiting_words(waiting, "or"), waiting)
    steps = []
    for inner_rule, part in zip(rule.rules, parts, strict=True):
        if part.date is not None:
            steps.append(f"{part.explanation} = {part.date.isoformat()}")
        else:
            steps.append(f"{describe_rule(inner_rule, inner=True)}: {part.explanation}")
    earliest = min(known)
    return Due(earliest, f"earliest of: {'; '.join(steps)} → {earliest.isoformat()}")


def compute_due(rule: DueRule, facts: Mapping[str, object], entered_on: dt.date | None) -> Due:
    """The due date of ``rule`` for a case with ``facts``, in a step entered on ``entered_on``.

    A base of :data:`~engine.model.ENTRY` counts from ``entered_on``; any other base is
    the name of a date fact. A base not recorded yet (or not holding a date) leaves the
    date unknown and is named in :attr:`Due.waiting_for`.
    """
    return _compute(rule, facts, entered_on, inner=False)


def describe_rule(rule: DueRule, label: Callable[[str], str] = str, *, inner: bool = False) -> str:
    """The rule in plain words, without dates, for diagrams and help.

    ``label`` turns a fact name into the words to show (the renderer passes fact titles).
    ``inner`` gives the shorter form used for the parts of an earliest-of rule.
    """
    if isinstance(rule, (Within, Before)):
        name = _ENTRY_WORDS if rule.base == ENTRY else label(rule.base)
        if isinstance(rule, Before):
            words = f"{rule.duration} before {name}"
            return words if inner else f"at least {words}"
        return f"{rule.duration} after {name}" if inner else f"within {rule.duration} of {name}"
    if isinstance(rule, OnDate):
        return rule.date.isoformat() if inner else f"by {rule.date.isoformat()}"
    if isinstance(rule, EarliestOf):
        parts = "; ".join(describe_rule(r, label, inner=True) for r in rule.rules)
        # Nested, the parts go in brackets so their semicolons do not run into ours.
        return f"the earliest of ({parts})" if inner else f"by the earliest of: {parts}"
    raise TypeError(f"not a due rule: {rule!r}")


if __name__ == "__main__":  # pragma: no cover - a maintainer's tool
    # The line to add to _KNOWN_HOLIDAY_LISTS for the installed holidays package.
    listed = _holidays_from_package(range(FIRST_YEAR, LAST_YEAR + 1))
    print(f'    "{_holidays_release()}": "{_sha256(_holiday_list_bytes(listed))}",')
