"""The values a condition compares: recorded facts and written literals, their kinds, how
two of them compare, and how they are shown in explanations."""

from __future__ import annotations

import datetime as dt
from typing import Final

from .syntax import IN_OPS, ORDER_OPS

# -- values -----------------------------------------------------------------------------


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


#: An operand whose value is not known (a fact not recorded, an undecided condition).
UNKNOWN: Final = _Marker("UNKNOWN")
#: A fact value of a kind the language does not handle; it compares with nothing.
UNSUPPORTED: Final = _Marker("UNSUPPORTED")


def scalar(raw: object) -> object:
    # Subclasses (enums, datetime) are reduced to the plain type so that comparing them
    # can neither raise (date vs datetime does) nor run foreign code.
    if isinstance(raw, bool):
        return bool(raw)
    if isinstance(raw, int):
        return int(raw)
    if isinstance(raw, float):
        return float(raw)
    if isinstance(raw, str):
        return str.__str__(raw)
    if isinstance(raw, dt.date):
        return dt.date(raw.year, raw.month, raw.day)
    return UNSUPPORTED


def normalize(raw: object) -> object:
    """A fact value as one of bool, int, float, str, date, a tuple of those, or unsupported."""
    try:
        if isinstance(raw, (list, tuple, set, frozenset)):
            items = [scalar(item) for item in raw if item is not None]
            if isinstance(raw, (set, frozenset)):
                # Sets have no order; sort so that explanations are repeatable.
                items.sort(key=lambda item: (kind_of(item), format_value(item)))
            return tuple(items)
        return scalar(raw)
    except Exception:
        return UNSUPPORTED


def kind_of(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, tuple):
        return "list"
    return "unsupported"


KIND_PHRASES: Final = {
    "boolean": "a true/false value",
    "number": "a number",
    "text": "text",
    "date": "a date",
    "list": "a list",
    "unsupported": "a value of an unsupported kind",
}

ORDER_WORDS: Final = {
    "date": {"<": "before", "<=": "on or before", ">": "after", ">=": "on or after"},
    "number": {"<": "less than", "<=": "at most", ">": "more than", ">=": "at least"},
    "text": {
        "<": "alphabetically before",
        "<=": "alphabetically before or the same as",
        ">": "alphabetically after",
        ">=": "alphabetically after or the same as",
    },
}


def format_value(value: object) -> str:
    """A value as an operator would read it: dates in ISO form, text in quotes."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        quote = '"' if "'" in shown and '"' not in shown else "'"
        return quote + shown + quote
    if isinstance(value, int):
        # str() refuses ints of more than 4300 digits; such a fact is nonsense anyway.
        return str(value) if value.bit_length() < 200 else "a very large number"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, tuple):
        return ", ".join(format_value(item) for item in value) if value else "no values"
    return "a value of an unsupported kind"


def compatible(op: str, left: object, right: object) -> bool:
    if op in IN_OPS:
        if not isinstance(right, tuple):
            return False
        kind = kind_of(left)
        if kind in ("list", "unsupported"):
            return False
        return not right or any(kind_of(item) == kind for item in right)
    kind = kind_of(left)
    if kind != kind_of(right) or kind in ("list", "unsupported"):
        return False
    return not (op in ORDER_OPS and kind == "boolean")


def compare_values(op: str, left: object, right: object) -> bool:
    """The comparison of two known values; incompatible kinds compare ``False``."""
    if not compatible(op, left, right):
        return False
    if op in IN_OPS:
        assert isinstance(right, tuple)
        kind = kind_of(left)
        member = any(kind_of(item) == kind and item == left for item in right)
        return member if op == "in" else not member
    # Both values are plain bools, numbers, strings or dates of one kind here.
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == "<":
        return bool(left < right)  # type: ignore[operator]
    if op == "<=":
        return bool(left <= right)  # type: ignore[operator]
    if op == ">":
        return bool(left > right)  # type: ignore[operator]
    return bool(left >= right)  # type: ignore[operator]
