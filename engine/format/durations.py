"""Durations as policy leads write them ("5 working days", "6 months", "1 year"), read
strictly, with what to write instead when they cannot be read."""

from __future__ import annotations

import re

from ..model import Duration, TimeUnit

#: The largest amount a duration may give: more is a typing slip, never a statutory period.
MAX_AMOUNT = 10_000


class DurationError(ValueError):
    """A duration a policy lead wrote that cannot be read; the message says what to write."""


_EXAMPLE_DURATION = "'5 working days'"

# Every spelling accepted, after lower-casing and collapsing spaces.
_UNITS: dict[str, TimeUnit] = {
    "working day": "working_days",
    "working days": "working_days",
    "day": "days",
    "days": "days",
    "calendar day": "days",
    "calendar days": "days",
    "week": "weeks",
    "weeks": "weeks",
    "month": "months",
    "months": "months",
    "calendar month": "months",
    "calendar months": "months",
    "year": "years",
    "years": "years",
}

_UNIT_LIST = "working days, days, calendar days, weeks, months, calendar months, years"

# Near misses that mean something we know, but are refused rather than guessed at: a
# "business day" or "clear day" may not count the way the guidance does, so the policy
# lead should write the unit the guidance uses.
_NEAR_MISSES: dict[str, str] = {
    "business day": "working days",
    "business days": "working days",
    "work day": "working days",
    "work days": "working days",
    "workday": "working days",
    "workdays": "working days",
    "working-day": "working days",
    "working-days": "working days",
    "weekday": "working days",
    "weekdays": "working days",
    "wd": "working days",
    "clear day": "days",
    "clear days": "days",
    "d": "days",
    "wk": "weeks",
    "wks": "weeks",
    "w": "weeks",
    "mo": "months",
    "mos": "months",
    "mth": "months",
    "mths": "months",
    "mnth": "months",
    "mnths": "months",
    "calendar-month": "calendar months",
    "calendar-months": "calendar months",
    "calender month": "calendar months",
    "calender months": "calendar months",
    "yr": "years",
    "yrs": "years",
    "y": "years",
}

_NUMBER_WORDS = frozenset(
    ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
    + ("eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen")
    + ("eighteen", "nineteen", "twenty", "thirty", "forty", "fifty", "sixty", "ninety")
    + ("hundred",)
)

_AMOUNT = re.compile(r"([+-]?)(\d+)([.,]\d+)?\s*(.*)")


def parse_duration(text: str) -> Duration:
    """Read a duration such as "5 working days", "6 months" or "3 years".

    Raises :class:`DurationError` with a message saying what to write instead. The
    message does not say where the text was written; the loader adds that.
    """
    if not isinstance(text, str):
        raise DurationError(
            f"{text!r} is not a duration: write an amount and a unit, "
            f"for example {_EXAMPLE_DURATION}"
        )
    words = " ".join(text.split()).lower()
    if not words:
        raise DurationError(
            f"the duration is empty: write an amount and a unit, for example {_EXAMPLE_DURATION}"
        )
    match = _AMOUNT.fullmatch(words)
    if match is None:
        first = words.split(" ")[0]
        problem = "spells the number in words" if first in _NUMBER_WORDS else "has no number"
        raise DurationError(
            f"'{text.strip()}' {problem}: "
            f"write the number in digits, for example {_EXAMPLE_DURATION}"
        )
    sign, digits, fraction, unit_text = match.groups()
    if fraction:
        raise DurationError(
            f"'{text.strip()}' has a fraction: write a whole number of a smaller unit, "
            "for example '10 working days' rather than '2.5 weeks'"
        )
    amount = int(digits)
    if sign == "-" or amount > MAX_AMOUNT:
        raise DurationError(
            f"'{text.strip()}' is out of range: the amount must be a whole number "
            f"from 0 to {MAX_AMOUNT}"
        )
    if not unit_text:
        raise DurationError(
            f"'{text.strip()}' has no unit: write one of {_UNIT_LIST} after the number, "
            f"for example {_EXAMPLE_DURATION}"
        )
    unit = _UNITS.get(unit_text)
    if unit is not None:
        return Duration(amount, unit)
    suggestion = _NEAR_MISSES.get(unit_text)
    if suggestion is None:
        import difflib  # only a mistyped unit needs it

        close = difflib.get_close_matches(unit_text, list(_UNITS), n=1, cutoff=0.8)
        if close:
            # Always suggest the plural, the form the guidance and examples use.
            suggestion = close[0] if close[0].endswith("s") else close[0] + "s"
    if suggestion is not None:
        raise DurationError(
            f"'{text.strip()}' uses the unit '{unit_text}', which is not one we count in: "
            f"did you mean '{suggestion}'?"
        )
    raise DurationError(
        f"'{text.strip()}' uses the unit '{unit_text}', which is not one we count in: "
        f"use one of {_UNIT_LIST}"
    )


# -- due dates --------------------------------------------------------------------------
