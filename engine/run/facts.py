"""Fact values: operator text → typed values, and typed values ↔ their stored JSON form."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..dates import DateError, parse_date
from ..model import Fact, Process
from ..problems import did_you_mean

MAX_TEXT = 10_000
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


class FactError(ValueError):
    """A fact name or value the process does not accept, worded for an operator."""


def parse_assignment(text: str) -> tuple[str, str]:
    """``NAME=VALUE`` → (name, value)."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise FactError(f"'{text}' is not NAME=VALUE, for example aware_on=2019-12-20")
    return name.strip(), value.strip()


def coerce(process: Process, name: str, value: Any) -> Any:
    """Check ``value`` (text, or already typed from YAML) against fact ``name``; typed result."""
    fact = process.facts.get(name)
    if fact is None:
        hint = did_you_mean(name, process.facts) or f"; its facts are: {', '.join(process.facts)}"
        raise FactError(f"'{name}' is not a fact of process '{process.id}'{hint}")
    return _coerce(fact, value)


def _coerce(fact: Fact, value: Any) -> Any:
    text = value if isinstance(value, str) else None
    if fact.type == "date":
        if isinstance(value, dt.date):
            return value
        try:
            return parse_date(str(value))
        except DateError as error:
            raise FactError(f"{fact.id}: {error}") from None
    if fact.type == "boolean":
        if isinstance(value, bool):
            return value
        if text is not None and text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        raise FactError(f"{fact.id} is true or false, not '{value}'")
    if fact.type == "choice":
        if str(value) in fact.options:
            return str(value)
        raise FactError(
            f"{fact.id} is one of {', '.join(fact.options)}, not '{value}'"
            + did_you_mean(str(value), fact.options)
        )
    if fact.type == "number":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        try:
            return int(str(value))
        except ValueError:
            try:
                number = float(str(value))
            except ValueError:
                raise FactError(f"{fact.id} is a number, not '{value}'") from None
            if number != number or number in (float("inf"), float("-inf")):
                raise FactError(f"{fact.id} is a number, not '{value}'") from None
            return number
    if text is None:
        text = str(value)
    if len(text) > MAX_TEXT:
        raise FactError(f"{fact.id} is longer than {MAX_TEXT:,} characters")
    return text


def to_json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def from_json(process: Process, stored: Mapping[str, Any]) -> dict[str, Any]:
    """Stored JSON facts → typed values (dates become ``datetime.date``)."""
    typed = {}
    for name, value in stored.items():
        fact = process.facts.get(name)
        if fact is not None and fact.type == "date" and isinstance(value, str):
            typed[name] = dt.date.fromisoformat(value)
        else:
            typed[name] = value
    return typed
