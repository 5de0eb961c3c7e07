"""Dates as operators and policy leads write them: strictly YYYY-MM-DD, within the years
cspr keeps, and as they are shown back.

A leaf: the condition language, the calendar, fact values and the command line all read
and show dates the same way.
"""

from __future__ import annotations

import datetime as dt
import re

_ONE_DAY = dt.timedelta(days=1)

MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


class DateError(ValueError):
    """A date a policy lead wrote that cannot be read; the message says what to write."""


_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_EXAMPLE_DATE = "write dates as YYYY-MM-DD, for example 2019-12-20"


#: The years a date may fall in: wide for any case record, narrow enough that a mistyped
#: year (1019 for 2019) is caught and that counting months or working days from a date
#: never runs off the end of the calendar.
FIRST_YEAR, LAST_YEAR = 1900, 2199


def days_in_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (dt.date(year, month + 1, 1) - _ONE_DAY).day


def parse_date(text: str) -> dt.date:
    """Read a date written strictly as YYYY-MM-DD.

    A :class:`datetime.date` is returned as it is, because YAML reads an unquoted
    2019-12-20 as a date before the loader sees it. Raises :class:`DateError` saying
    what is wrong with anything else.
    """
    if isinstance(text, dt.date) and not isinstance(text, dt.datetime):
        return text
    if not isinstance(text, str):
        raise DateError(f"{text!r} is not a date: {_EXAMPLE_DATE}")
    stripped = text.strip()
    if not stripped:
        raise DateError(f"the date is empty: {_EXAMPLE_DATE}")
    match = _ISO_DATE.fullmatch(stripped)
    if match is None:
        raise DateError(f"{stripped} is not a date: {_EXAMPLE_DATE}")
    year, month, day = (int(part) for part in match.groups())
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise DateError(
            f"{stripped} is out of range: cspr takes dates from {FIRST_YEAR} to {LAST_YEAR}"
        )
    if not 1 <= month <= 12:
        raise DateError(f"{stripped} is not a date: there is no month {month}")
    length = days_in_month(year, month)
    if not 1 <= day <= length:
        if day == 0:
            raise DateError(f"{stripped} is not a date: there is no day 0")
        raise DateError(
            f"{stripped} is not a date: {MONTH_NAMES[month - 1]} {year} has {length} days"
        )
    return dt.date(year, month, day)


def long_date(iso: str | dt.date | None) -> str:
    """A date as shown to operators, with its weekday: ``Fri 2019-12-20`` (``-`` if none)."""
    if iso is None:
        return "-"
    day = iso if isinstance(iso, dt.date) else dt.date.fromisoformat(iso)
    return day.strftime("%a %Y-%m-%d")
