"""Tests for engine.run.calendar: working days in England, durations, dates and due rules.

Expected dates were counted by hand against the published England and Wales bank
holidays, not taken from the code under test.
"""

from __future__ import annotations

import datetime as dt
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cspr_engine.dates import DateError, parse_date
from cspr_engine.format.durations import DurationError, parse_duration
from cspr_engine.model import ENTRY, Before, Duration, EarliestOf, OnDate, Within
from cspr_engine.run.calendar import (
    Due,
    add,
    add_working_days,
    bank_holiday,
    bank_holidays_between,
    compute_due,
    describe_rule,
    is_working_day,
    subtract,
    working_days_between,
)

D = dt.date
WD = "working_days"


def within(amount: int, unit: str, base: str) -> Within:
    return Within(Duration(amount, unit), base)  # type: ignore[arg-type]


def before(amount: int, unit: str, base: str) -> Before:
    return Before(Duration(amount, unit), base)  # type: ignore[arg-type]


def brute_add(d: dt.date, n: int) -> dt.date:
    """Day-by-day reference for add_working_days, independent of its week skipping."""
    step = dt.timedelta(days=1 if n > 0 else -1)
    for _ in range(abs(n)):
        d += step
        while not is_working_day(d):
            d += step
    return d


# -- the guidance's own examples --------------------------------------------------------


def test_five_working_days_from_20_december_2019_skips_christmas() -> None:
    assert add_working_days(D(2019, 12, 20), 5) == D(2019, 12, 31)


def test_fifteen_working_days_from_20_december_2019_also_skips_new_year() -> None:
    # 23, 24, 27, 30, 31 Dec; 1 Jan is a holiday; 2, 3, 6..10, 13, 14, 15 Jan.
    assert add_working_days(D(2019, 12, 20), 15) == D(2020, 1, 15)


def test_due_explanation_names_the_skipped_holidays() -> None:
    due = compute_due(within(5, WD, "aware_on"), {"aware_on": D(2019, 12, 20)}, None)
    assert due == Due(
        D(2019, 12, 31),
        "5 working days from aware_on (2019-12-20), skipping bank holidays "
        "2019-12-25 Christmas Day and 2019-12-26 Boxing Day",
    )


# -- bank holidays ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "expected", "holiday", "name"),
    [
        (D(2020, 5, 7), D(2020, 5, 11), D(2020, 5, 8), "May Day"),  # moved for VE Day 75
        (D(2022, 6, 1), D(2022, 6, 6), D(2022, 6, 3), "Platinum Jubilee"),
        (D(2022, 9, 16), D(2022, 9, 20), D(2022, 9, 19), "State Funeral"),
        (D(2023, 5, 5), D(2023, 5, 9), D(2023, 5, 8), "Coronation"),
    ],
)
def test_one_off_bank_holidays_are_skipped_and_named(
    base: dt.date, expected: dt.date, holiday: dt.date, name: str
) -> None:
    assert not is_working_day(holiday)
    assert name in (bank_holiday(holiday) or "")
    due = compute_due(within(1, WD, "aware_on"), {"aware_on": base}, None)
    assert due.date == expected
    assert f"{holiday.isoformat()} {bank_holiday(holiday)}" in due.explanation
    assert "skipping bank holiday" in due.explanation


def test_jubilee_week_names_both_holidays_in_order() -> None:
    due = compute_due(within(1, WD, "aware_on"), {"aware_on": D(2022, 6, 1)}, None)
    assert due.explanation == (
        "1 working day from aware_on (2022-06-01), skipping bank holidays "
        "2022-06-02 Spring Bank Holiday and 2022-06-03 Platinum Jubilee of Elizabeth II"
    )


def test_christmas_2020_uses_the_substitute_boxing_day_and_crosses_the_year() -> None:
    # Boxing Day 2020 was a Saturday, so Monday 28 December was the bank holiday.
    assert add_working_days(D(2020, 12, 24), 3) == D(2020, 12, 31)
    due = compute_due(within(4, WD, "aware_on"), {"aware_on": D(2020, 12, 24)}, None)
    assert due.date == D(2021, 1, 4)
    assert due.explanation == (
        "4 working days from aware_on (2020-12-24), skipping bank holidays "
        "2020-12-25 Christmas Day, 2020-12-28 Boxing Day (observed) and "
        "2021-01-01 New Year's Day"
    )


def test_christmas_2022_substitute_days_on_both_sides_of_new_year() -> None:
    # 25 Dec and 1 Jan were Sundays: 27 Dec and 2 Jan were the substitute bank holidays.
    assert add_working_days(D(2022, 12, 23), 5) == D(2023, 1, 4)
    assert working_days_between(D(2022, 12, 23), D(2023, 1, 4)) == 5


def test_easter_2020() -> None:
    assert add_working_days(D(2020, 4, 9), 1) == D(2020, 4, 14)
    assert bank_holiday(D(2020, 4, 10)) == "Good Friday"
    assert bank_holiday(D(2020, 4, 13)) == "Easter Monday"
    assert working_days_between(D(2020, 4, 9), D(2020, 4, 14)) == 1


def test_subdivision_is_england_not_the_whole_uk() -> None:
    assert is_working_day(D(2019, 1, 2))  # 2 January: Scotland only
    assert is_working_day(D(2019, 7, 12))  # Battle of the Boyne: Northern Ireland only
    assert is_working_day(D(2019, 3, 18))  # St Patrick's Day (substitute): NI only
    assert is_working_day(D(2019, 8, 5))  # Scottish summer bank holiday
    assert not is_working_day(D(2019, 1, 1))
    assert not is_working_day(D(2019, 8, 26))  # English late summer bank holiday
    assert bank_holiday(D(2019, 1, 2)) is None
    assert add_working_days(D(2018, 12, 31), 1) == D(2019, 1, 2)


def test_weekends_are_not_working_days_and_ordinary_weekdays_are() -> None:
    assert not is_working_day(D(2019, 12, 21))
    assert not is_working_day(D(2019, 12, 22))
    assert is_working_day(D(2019, 12, 23))
    assert bank_holiday(D(2019, 12, 23)) is None


def test_bank_holidays_between_is_inclusive_and_sorted() -> None:
    assert bank_holidays_between(D(2019, 12, 25), D(2020, 1, 1)) == [
        (D(2019, 12, 25), "Christmas Day"),
        (D(2019, 12, 26), "Boxing Day"),
        (D(2020, 1, 1), "New Year's Day"),
    ]
    assert bank_holidays_between(D(2019, 12, 27), D(2019, 12, 31)) == []
    assert bank_holidays_between(D(2020, 1, 1), D(2019, 12, 25)) == []


# -- counting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "n", "expected"),
    [
        (D(2019, 12, 21), 1, D(2019, 12, 23)),  # Saturday → Monday
        (D(2019, 12, 22), 1, D(2019, 12, 23)),  # Sunday → Monday
        (D(2020, 4, 11), 1, D(2020, 4, 14)),  # Saturday before Easter Monday → Tuesday
        (D(2019, 12, 25), 1, D(2019, 12, 27)),  # counting from a bank holiday
        (D(2019, 12, 21), 5, D(2019, 12, 31)),
        (D(2019, 12, 20), 0, D(2019, 12, 20)),
        (D(2019, 12, 21), 0, D(2019, 12, 21)),  # day 0 is the base, even at a weekend
        (D(2019, 12, 21), -1, D(2019, 12, 20)),  # Saturday → the Friday before
        (D(2020, 3, 10), -7, D(2020, 2, 28)),
        (D(2019, 12, 31), -5, D(2019, 12, 20)),
    ],
)
def test_add_working_days(base: dt.date, n: int, expected: dt.date) -> None:
    assert add_working_days(base, n) == expected


def test_seven_working_days_before_a_date_just_after_easter() -> None:
    # Tuesday 14 April 2020 follows Good Friday and Easter Monday: count back from the 9th.
    rule = before(7, WD, "publication_planned_on")
    due = compute_due(rule, {"publication_planned_on": D(2020, 4, 14)}, None)
    assert due.date == D(2020, 4, 1)
    assert due.explanation == (
        "7 working days before publication_planned_on (2020-04-14), skipping bank holidays "
        "2020-04-10 Good Friday and 2020-04-13 Easter Monday"
    )


def test_before_without_holidays_has_no_skipping_clause() -> None:
    rule = before(7, WD, "publication_planned_on")
    due = compute_due(rule, {"publication_planned_on": D(2020, 3, 10)}, None)
    assert due == Due(D(2020, 2, 28), "7 working days before publication_planned_on (2020-03-10)")


def test_only_weekday_holidays_strictly_inside_the_span_are_named() -> None:
    # Counting from Christmas Day itself: it is day 0, so not "skipped"; Boxing Day is.
    due = compute_due(within(1, WD, "aware_on"), {"aware_on": D(2019, 12, 25)}, None)
    assert due.explanation == (
        "1 working day from aware_on (2019-12-25), skipping bank holiday 2019-12-26 Boxing Day"
    )
    # Saturday 26 December 2020 is not named; its substitute, Monday the 28th, is.
    due = compute_due(within(1, WD, "aware_on"), {"aware_on": D(2020, 12, 24)}, None)
    assert "2020-12-26" not in due.explanation
    assert "2020-12-28 Boxing Day (observed)" in due.explanation


def test_working_days_between_is_signed() -> None:
    assert working_days_between(D(2019, 12, 20), D(2019, 12, 31)) == 5
    assert working_days_between(D(2019, 12, 31), D(2019, 12, 20)) == -5
    assert working_days_between(D(2019, 12, 20), D(2019, 12, 20)) == 0
    # Due on Friday, seen on Saturday: late, but no working day lost yet.
    assert working_days_between(D(2019, 12, 21), D(2019, 12, 20)) == 0
    assert working_days_between(D(2019, 12, 24), D(2019, 12, 20)) == -2


def test_working_day_arithmetic_matches_day_by_day_counting() -> None:
    rng = random.Random(20191220)
    start = D(2018, 6, 1)
    for _ in range(400):
        base = start + dt.timedelta(days=rng.randrange(2200))
        n = rng.randrange(-300, 301)
        result = add_working_days(base, n)
        assert result == brute_add(base, n), (base, n)
        if n:
            assert is_working_day(result)
        if n > 0:
            assert working_days_between(base, result) == n
        other = base + dt.timedelta(days=rng.randrange(-60, 61))
        expected = sum(
            is_working_day(min(base, other) + dt.timedelta(days=i))
            for i in range(1, abs((other - base).days) + 1)
        )
        assert working_days_between(base, other) == (expected if other >= base else -expected)


def test_add_working_days_is_fast() -> None:
    base = D(2019, 12, 20)
    add_working_days(base, 15)  # fill the holiday cache first
    count = 2000
    began = time.perf_counter()
    for i in range(count):
        add_working_days(base + dt.timedelta(days=i % 400), 15)
    per_call = (time.perf_counter() - began) / count
    # The target is well under 50 µs; allow slack for slow CI machines.
    assert per_call < 200e-6


def test_importing_the_module_does_not_import_holidays_or_dateutil() -> None:
    code = (
        "import sys, cspr_engine.run.calendar\n"
        "assert 'holidays' not in sys.modules, 'holidays imported eagerly'\n"
        "assert 'dateutil' not in sys.modules, 'dateutil imported eagerly'\n"
    )
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


# -- calendar months, years, weeks and days ---------------------------------------------


@pytest.mark.parametrize(
    ("base", "amount", "unit", "expected"),
    [
        (D(2019, 1, 31), 1, "months", D(2019, 2, 28)),
        (D(2020, 1, 31), 1, "months", D(2020, 2, 29)),
        (D(2019, 8, 31), 6, "months", D(2020, 2, 29)),
        (D(2019, 6, 1), 12, "months", D(2020, 6, 1)),
        (D(2020, 2, 29), 1, "years", D(2021, 2, 28)),
        (D(2020, 2, 29), 4, "years", D(2024, 2, 29)),
        (D(2019, 12, 20), 2, "weeks", D(2020, 1, 3)),
        (D(2019, 12, 20), 14, "days", D(2020, 1, 3)),
    ],
)
def test_add_calendar_units(base: dt.date, amount: int, unit: str, expected: dt.date) -> None:
    assert add(base, Duration(amount, unit)) == expected  # type: ignore[arg-type]


def test_subtract_calendar_and_working_units() -> None:
    assert subtract(D(2019, 3, 31), Duration(1, "months")) == D(2019, 2, 28)
    assert subtract(D(2021, 2, 28), Duration(1, "years")) == D(2020, 2, 28)
    assert subtract(D(2020, 1, 3), Duration(2, "weeks")) == D(2019, 12, 20)
    assert subtract(D(2019, 12, 31), Duration(5, WD)) == D(2019, 12, 20)


def test_clamping_is_explained() -> None:
    rule = within(6, "months", "decided_on")
    due = compute_due(rule, {"decided_on": D(2019, 8, 31)}, None)
    assert due == Due(
        D(2020, 2, 29), "6 months from decided_on (2019-08-31), clamped to the end of February"
    )
    due = compute_due(within(1, "years", "decided_on"), {"decided_on": D(2020, 2, 29)}, None)
    assert due.date == D(2021, 2, 28)
    assert due.explanation.endswith("clamped to the end of February")
    due = compute_due(within(12, "months", "decided_on"), {"decided_on": D(2019, 6, 1)}, None)
    assert due.explanation == "12 months from decided_on (2019-06-01)"


# -- due rules --------------------------------------------------------------------------


def test_fixed_date() -> None:
    assert compute_due(OnDate(D(2020, 9, 29)), {}, None) == Due(
        D(2020, 9, 29), "on 2020-09-29 (fixed date)"
    )


def test_entry_base_counts_from_the_day_the_step_was_entered() -> None:
    due = compute_due(within(5, WD, ENTRY), {}, D(2019, 12, 20))
    assert due.date == D(2019, 12, 31)
    assert due.explanation.startswith("5 working days from entering this step (2019-12-20)")
    waiting = compute_due(within(5, WD, ENTRY), {}, None)
    assert waiting == Due(None, "waits for this step to be entered", (ENTRY,))


def test_missing_or_non_date_fact_waits() -> None:
    rule = within(5, WD, "aware_on")
    assert compute_due(rule, {}, D(2019, 1, 1)) == Due(
        None, "waits for aware_on to be recorded", ("aware_on",)
    )
    due = compute_due(rule, {"aware_on": "2019-12-20"}, None)
    assert due.date is None
    assert due.waiting_for == ("aware_on",)
    assert due.explanation.startswith("waits for aware_on to be recorded")


EARLIEST = EarliestOf(
    (
        within(12, "months", "decided_on"),
        within(12, "months", "changeover_on"),
        OnDate(D(2020, 9, 29)),
    )
)


def test_earliest_of_all_known() -> None:
    facts = {"decided_on": D(2019, 6, 1), "changeover_on": D(2019, 9, 29)}
    due = compute_due(EARLIEST, facts, None)
    assert due == Due(
        D(2020, 6, 1),
        "earliest of: 12 months from decided_on (2019-06-01) = 2020-06-01; "
        "12 months from changeover_on (2019-09-29) = 2020-09-29; "
        "2020-09-29 fixed = 2020-09-29 → 2020-06-01",
    )


def test_earliest_of_with_one_input_missing_uses_the_others() -> None:
    rule = EarliestOf((within(12, "months", "decided_on"), within(12, "months", "changeover_on")))
    due = compute_due(rule, {"changeover_on": D(2019, 9, 29)}, None)
    assert due.date == D(2020, 9, 29)
    assert due.waiting_for == ()
    assert "waits for decided_on to be recorded" in due.explanation
    assert due.explanation.endswith("→ 2020-09-29")
    # With the fixed date as well, a late changeover still cannot push past it.
    due = compute_due(EARLIEST, {"changeover_on": D(2019, 12, 1)}, None)
    assert due.date == D(2020, 9, 29)


def test_earliest_of_with_nothing_known_waits_for_any_input() -> None:
    rule = EarliestOf((within(12, "months", "decided_on"), within(12, "months", "changeover_on")))
    due = compute_due(rule, {}, None)
    assert due == Due(
        None,
        "waits for decided_on or changeover_on to be recorded",
        ("decided_on", "changeover_on"),
    )


# -- describing rules -------------------------------------------------------------------


def test_describe_rule() -> None:
    assert describe_rule(within(5, WD, "aware_on")) == "within 5 working days of aware_on"
    assert (
        describe_rule(before(7, WD, "publication_planned_on"))
        == "at least 7 working days before publication_planned_on"
    )
    assert describe_rule(within(6, "months", ENTRY)) == "within 6 months of entering this step"
    assert describe_rule(OnDate(D(2020, 9, 29))) == "by 2020-09-29"
    assert describe_rule(EARLIEST) == (
        "by the earliest of: 12 months after decided_on; 12 months after changeover_on; 2020-09-29"
    )
    assert describe_rule(within(1, WD, "aware_on")) == "within 1 working day of aware_on"


def test_describe_rule_uses_the_label_for_facts_but_not_entry() -> None:
    titles = {"aware_on": "the date the council became aware"}
    assert (
        describe_rule(within(5, WD, "aware_on"), titles.__getitem__)
        == "within 5 working days of the date the council became aware"
    )
    assert (
        describe_rule(within(6, "months", ENTRY), titles.__getitem__)
        == "within 6 months of entering this step"
    )


# -- parsing durations ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5 working days", Duration(5, WD)),
        ("15 working days", Duration(15, WD)),
        ("1 working day", Duration(1, WD)),
        ("  5   Working   Days ", Duration(5, WD)),
        ("1 month", Duration(1, "months")),
        ("6 months", Duration(6, "months")),
        ("12 months", Duration(12, "months")),
        ("3 calendar months", Duration(3, "months")),
        ("3 years", Duration(3, "years")),
        ("1 year", Duration(1, "years")),
        ("2 weeks", Duration(2, "weeks")),
        ("10 days", Duration(10, "days")),
        ("10 calendar days", Duration(10, "days")),
        ("0 days", Duration(0, "days")),
        ("10000 days", Duration(10000, "days")),
    ],
)
def test_parse_duration_accepts(text: str, expected: Duration) -> None:
    assert parse_duration(text) == expected


def test_parse_duration_round_trips_through_str() -> None:
    for text in ("5 working days", "1 working day", "6 months", "1 year", "2 weeks"):
        assert str(parse_duration(text)) == text


def refused(text: object) -> str:
    with pytest.raises(DurationError) as info:
        parse_duration(text)  # type: ignore[arg-type]
    return str(info.value)


def test_parse_duration_refuses_numbers_in_words() -> None:
    message = refused("five days")
    assert "write the number in digits, for example '5 working days'" in message
    assert "write the number in digits" in refused("a month")


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        ("1 business day", "working days"),
        ("10 business days", "working days"),
        ("5 workdays", "working days"),
        ("5 wroking days", "working days"),
        ("3 mths", "months"),
        ("2 yrs", "years"),
    ],
)
def test_parse_duration_suggests_the_unit_meant(text: str, suggestion: str) -> None:
    assert f"did you mean '{suggestion}'?" in refused(text)


def test_parse_duration_lists_the_units_for_an_unknown_one() -> None:
    message = refused("5 lunar cycles")
    assert "'lunar cycles'" in message
    for unit in ("working days", "days", "calendar days", "weeks", "months", "years"):
        assert unit in message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("5", "no unit"),
        ("2.5 weeks", "whole number"),
        ("-3 days", "from 0 to 10000"),
        ("10001 days", "from 0 to 10000"),
        (5, "write an amount and a unit"),
    ],
)
def test_parse_duration_refuses_other_mistakes(text: object, fragment: str) -> None:
    assert fragment in refused(text)


def test_duration_error_is_a_value_error() -> None:
    assert issubclass(DurationError, ValueError)
    assert issubclass(DateError, ValueError)


# -- parsing dates ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2019-02-30", "2019-02-30 is not a date: February 2019 has 28 days"),
        ("2019-02-29", "2019-02-29 is not a date: February 2019 has 28 days"),
        ("2019-04-31", "2019-04-31 is not a date: April 2019 has 30 days"),
        ("2019-13-01", "2019-13-01 is not a date: there is no month 13"),
        ("2019-00-10", "2019-00-10 is not a date: there is no month 0"),
        ("2019-01-00", "2019-01-00 is not a date: there is no day 0"),
        (
            "20/12/2019",
            "20/12/2019 is not a date: write dates as YYYY-MM-DD, for example 2019-12-20",
        ),
        ("2019-12-1", "2019-12-1 is not a date: write dates as YYYY-MM-DD"),
        ("20 December 2019", "20 December 2019 is not a date: write dates as YYYY-MM-DD"),
    ],
)
def test_parse_date_explains_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(DateError) as info:
        parse_date(text)
    assert str(info.value).startswith(message)


def test_parse_date_accepts_iso_dates() -> None:
    assert parse_date("2020-02-29") == D(2020, 2, 29)
    assert parse_date(" 2019-12-20 ") == D(2019, 12, 20)
    # YAML turns an unquoted date into a date before the loader sees it.
    assert parse_date(D(2019, 12, 20)) == D(2019, 12, 20)  # type: ignore[arg-type]
