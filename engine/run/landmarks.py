"""What the conditions of a process tell apart: for each fact (and ``today``), the values
and names they compare it with, and so what a configuration of ``cspr explore`` must keep
of it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..conditions import Compare, Expression, ListValue, Literal, Name
from ..conditions.syntax import walk
from ..model import Before, Process, rule_bases


class Landmarks:
    """For each fact (and ``today``), the values and names the conditions compare it
    with: what a configuration must keep of it."""

    def __init__(self, process: Process) -> None:
        self.literals: dict[str, set[Any]] = {}
        self.partners: dict[str, set[str]] = {}
        expressions: list[Expression] = [
            *process.expressions.values(),
            *(t.guard for t in process.transitions() if t.guard is not None),
            *(p.condition for p in process.properties.values() if p.condition is not None),
        ]
        names: set[str] = set()
        #: The steps a condition (named, a transition's or an invariant's) asks about.
        self.steps_read = frozenset(state for e in expressions for state in e.states)
        for expression in expressions:
            names |= expression.names
            for node in walk(expression.tree):
                if isinstance(node, Compare):
                    self._compare(process, node)
        #: The deadlines that can change what a case does: those whose passing raises an
        #: event. The others only grade a duty (met, missed or lapsed), which no condition
        #: reads, so whether they have passed tells no configurations apart.
        self.raising = frozenset((d.state, d.id) for d in process.deadlines() if d.raises)
        bases = {b for d in process.deadlines() if d.raises for b in rule_bases(d.rule)} - {"entry"}
        self.read = [f for f in process.facts if f in names or f in bases]
        #: The facts the deadlines that raise an event count from.
        self.bases = frozenset(bases)
        recorded = {t.records for t in process.transitions() if t.records}
        #: The facts an operator gives (no transition records them): the ones set.
        self.given = [f for f in self.read if f not in recorded]
        self.ahead = {
            b for d in process.deadlines() if isinstance(d.rule, Before) for b in [d.rule.base]
        }
        self.ahead |= {f for f in self.partners.get("today", ())}
        self.today_dates = sorted(
            d for d in self.literals.get("today", ()) if isinstance(d, dt.date)
        )

    def _compare(self, process: Process, node: Compare) -> None:
        left, right = node.left, node.right
        sides = [left, right]
        named = [s.name for s in sides if isinstance(s, Name)]
        named = [n for n in named if n in process.facts or n == "today"]
        for name in named:
            for other in sides:
                if isinstance(other, Literal):
                    self.literals.setdefault(name, set()).add(other.value)
                elif isinstance(other, ListValue):
                    self.literals.setdefault(name, set()).update(i.value for i in other.items)
                elif isinstance(other, Name) and other.name != name and other.name in named:
                    self.partners.setdefault(name, set()).add(other.name)


def sign(a: Any, b: Any) -> int | None:
    """-1, 0 or 1 as ``a`` falls before, on or after ``b``; None when either is missing
    or they cannot be compared."""
    if a is None or b is None:
        return None
    try:
        return (a > b) - (a < b)
    except TypeError:
        return None
