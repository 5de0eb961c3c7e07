"""What a comparison in a condition compares: each side's kind (a fact's declared type, a
literal's, ``today``'s date), refused where two kinds never compare or a value is none of
a choice fact's options, each at its line and column with what to write instead."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from ..conditions import (
    And,
    Compare,
    IsActive,
    IsSet,
    ListValue,
    Literal,
    Name,
    Node,
    Not,
    Or,
)
from ..model import Process
from ..problems import Location, Problem, did_you_mean

if TYPE_CHECKING:  # pragma: no cover
    from ..conditions import Expression


#: Where a name at an offset into a condition is written in its file.
Locate = Callable[[Location, int], Location]


def at_offset(where: Location, offset: int) -> Location:
    return Location(where.file, where.line, where.column + offset)


def conditions_written(
    process: Process,
) -> Iterator[tuple[Expression, Location, tuple[Location, ...]]]:
    """(expression, where its text starts, where each of its names is) for every condition."""
    for condition in process.conditions.values():
        yield condition.expression, condition.when_at, condition.names_at
    for transition in process.transitions():
        if transition.guard is not None:
            yield transition.guard, transition.when_at, transition.names_at


# -- what a comparison compares ---------------------------------------------------------

#: A kind of value → how a policy lead reads it.
_PHRASES = {
    "date": "a date",
    "boolean": "true or false",
    "number": "a number",
    "text": "text",
    "choice": "text",
    "list": "a list",
}
_LITERAL_KINDS = {bool: "boolean", int: "number", float: "number", str: "text"}
_ORDER_OPS = frozenset({"<", "<=", ">", ">="})


def _kind(process: Process, node: Node) -> str | None:
    """The kind of value ``node`` stands for: ``date``, ``boolean``, ``number``, ``text``,
    ``choice`` (a choice fact) or ``list``; ``None`` for a name not known here (reported
    by :func:`unknown_names_in_conditions`)."""
    if isinstance(node, Name):
        if node.name in process.conditions:
            return "boolean"
        if node.name in process.facts:
            return str(process.facts[node.name].type)
        return "date" if node.name == "today" else None
    if isinstance(node, Literal):
        return _LITERAL_KINDS.get(type(node.value), "date")
    if isinstance(node, ListValue):
        return "list"
    return "boolean"


def _comparable(kind: str) -> str:
    return "text" if kind == "choice" else kind


def _offset(node: Node) -> int:
    if isinstance(node, (And, Or)):
        return _offset(node.operands[0])
    if isinstance(node, (IsSet, IsActive)):
        return node.name.offset
    return node.offset


def _subject(process: Process, node: Node, kind: str) -> str:
    """``node`` as the message names it: ``'aware_on' (a date fact)``."""
    if isinstance(node, Name):
        if node.name in process.conditions:
            return f"'{node.name}' (a condition, true or false)"
        if node.name == "today" and node.name not in process.facts:
            return "'today' (the date of the event)"
        what = {"boolean": "true/false", "choice": "choice"}.get(kind, kind)
        return f"'{node.name}' (a {what} fact)"
    if isinstance(node, Literal):
        shown = f"'{node.value}'" if isinstance(node.value, str) else _shown(node.value)
        return f"{shown} ({_PHRASES[kind]})"
    return f"a condition ({_PHRASES[kind]})"


def _shown(value: object) -> str:
    if value is True or value is False:
        return str(value).lower()
    return str(value)


def _advice(process: Process, kind: str, name: str | None) -> str:
    """What a value compared with something of ``kind`` should be."""
    same = [f.id for f in process.facts.values() if _comparable(f.type) == kind and f.id != name][
        :6
    ]
    facts = f" or a {kind} fact ({', '.join(same)})" if same else ""
    if kind == "date":
        return f"compare it with a date written as YYYY-MM-DD without quotes, 'today'{facts}"
    if kind == "boolean":
        return "write it on its own (or with 'not'), or compare it with true or false"
    if kind == "number":
        return f"compare it with a number such as 18{facts}"
    if kind == "choice" and name is not None and name in process.facts:
        options = ", ".join(f"'{o}'" for o in process.facts[name].options)
        return f"compare it with one of its options in quotes: {options}"
    return f"compare it with text in quotes{facts}"


def _option_problem(
    process: Process, fact: str, literal: Literal, where: Location
) -> Problem | None:
    """A text compared with a choice fact that is none of its options."""
    options = process.facts[fact].options
    if not isinstance(literal.value, str) or literal.value in options or not options:
        return None
    return Problem(
        where,
        f"'{literal.value}' is not an option of '{fact}', so this comparison never holds"
        + (did_you_mean(literal.value, options) or "")
        + f"; its options are: {', '.join(repr(o) for o in options)}",
    )


def comparisons(process: Process, locate: Locate = at_offset) -> Iterator[Problem]:
    """Comparisons that can never hold: values of different kinds (a true/false fact
    against a date, a date fact against a number or text), true/false values put in
    order, a choice fact against a text none of its options, and a fact that is not true
    or false used as a condition on its own."""
    for expression, when_at, _ in conditions_written(process):
        for node in _truth_positions(expression.tree):
            kind = _kind(process, node)
            if kind is None or kind == "boolean":
                continue
            name = node.name if isinstance(node, Name) else None
            fix = (
                f"write '{name} is set', or compare it with a value"
                if name
                else "write a condition that is true or false"
            )
            yield Problem(
                locate(when_at, _offset(node)),
                f"{_subject(process, node, kind)} is used as a condition, but it is not "
                f"true or false, so it never holds; {fix}",
            )
        for node in _walk_compares(expression.tree):
            yield from _compare_problems(process, node, functools.partial(locate, when_at))


def _truth_positions(tree: Node) -> Iterator[Node]:
    """The plain names and values a condition takes as true or false on their own."""
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, (And, Or)):
            pending.extend(node.operands)
        elif isinstance(node, Not):
            pending.append(node.operand)
        elif isinstance(node, (Name, Literal)):
            yield node


def _walk_compares(tree: Node) -> Iterator[Compare]:
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, (And, Or)):
            pending.extend(node.operands)
        elif isinstance(node, Not):
            pending.append(node.operand)
        elif isinstance(node, Compare):
            yield node
            pending.extend((node.left, node.right))


def _compare_problems(
    process: Process, node: Compare, at: Callable[[int], Location]
) -> Iterator[Problem]:
    left, right = node.left, node.right
    left_kind, right_kind = _kind(process, left), _kind(process, right)
    if left_kind is None or right_kind is None:
        return
    if node.op in ("in", "not in"):
        yield from _membership_problems(process, node, left_kind, at)
        return
    # The side to change: a written value, else the right-hand side.
    wrong: Node
    other: Node
    if isinstance(left, Literal) and not isinstance(right, Literal):
        wrong, other, other_kind = left, right, right_kind
    else:
        wrong, other, other_kind = right, left, left_kind
    other_name = other.name if isinstance(other, Name) else None
    if _comparable(left_kind) != _comparable(right_kind):
        advice = _advice(process, other_kind, other_name)
        if (
            other_kind == "date"
            and isinstance(wrong, Literal)
            and isinstance(wrong.value, str)
            and _looks_like_date(wrong.value)
        ):
            advice = f"write the date without quotes: {wrong.value}"
        yield Problem(
            at(_offset(wrong)),
            f"{_subject(process, left, left_kind)} and {_subject(process, right, right_kind)} "
            f"are different kinds of value, so '{node.op}' between them never holds; " + advice,
        )
        return
    if node.op in _ORDER_OPS and left_kind == "boolean":
        yield Problem(
            at(node.offset),
            f"{_subject(process, left, left_kind)} and {_subject(process, right, right_kind)} "
            f"are true/false values, which cannot be put in order with '{node.op}'; "
            "write == or != (or join them with 'and', 'or', 'not')",
        )
        return
    if other_kind == "choice" and other_name and isinstance(wrong, Literal):
        problem = _option_problem(process, other_name, wrong, at(wrong.offset))
        if problem is not None:
            yield problem


def _membership_problems(
    process: Process, node: Compare, left_kind: str, at: Callable[[int], Location]
) -> Iterator[Problem]:
    right = node.right
    name = node.left.name if isinstance(node.left, Name) else None
    if not isinstance(right, ListValue):
        right_kind = _kind(process, right)
        yield Problem(
            at(_offset(right)),
            f"after '{node.op}' write the values in square brackets, for example "
            f"['known', 'suspected']: {_subject(process, right, str(right_kind))} is not a "
            "list",
        )
        return
    for item in right.items:
        item_kind = _kind(process, item)
        assert item_kind is not None
        if _comparable(item_kind) != _comparable(left_kind):
            yield Problem(
                at(item.offset),
                f"{_subject(process, node.left, left_kind)} is never "
                f"{_subject(process, item, item_kind)}, a different kind of value; "
                + _advice(process, left_kind, name),
            )
        elif left_kind == "choice" and name:
            problem = _option_problem(process, name, item, at(item.offset))
            if problem is not None:
                yield problem


def _looks_like_date(text: str) -> bool:
    parts = text.strip().split("-")
    return len(parts) == 3 and all(part.isdigit() for part in parts)
