"""A condition's tree in plain words, for diagrams and explanations: short and always
the same."""

from __future__ import annotations

from typing import Final

from .syntax import IN_OPS, And, Compare, IsActive, IsSet, ListValue, Literal, Name, Node, Not, Or
from .values import ORDER_WORDS, format_value, kind_of

# bracketed. Comparisons bind less tightly than single words so "not (a is before b)".
_BINDING: Final = {Or: 1, And: 2, Not: 3, Compare: 4, IsSet: 4, IsActive: 4}
_ATOM: Final = 5

_NEGATED_OPS: Final = {"==": "!=", "!=": "==", "in": "not in", "not in": "in"}


def _words(text: str) -> str:
    return text.replace("_", " ")


def _describe_value(value: object) -> str:
    if isinstance(value, str):
        return _words(value)
    return format_value(value)


def describe_tree(node: Node, needed: int) -> str:
    text = _describe_plain(node)
    binding = _BINDING.get(type(node), _ATOM)
    return f"({text})" if binding < needed else text


def _describe_plain(node: Node) -> str:
    if isinstance(node, Name):
        return _words(node.name)
    if isinstance(node, Literal):
        return _describe_value(node.value)
    if isinstance(node, ListValue):
        return _one_of([_describe_value(item.value) for item in node.items])
    if isinstance(node, Or):
        return " or ".join(describe_tree(op, 1) for op in node.operands)
    if isinstance(node, And):
        return " and ".join(describe_tree(op, 2) for op in node.operands)
    if isinstance(node, Not):
        inner = node.operand
        # Say "x is not recorded" rather than "not (x is recorded)" where words allow.
        if isinstance(inner, (IsSet, IsActive)):
            return _describe_plain(type(inner)(inner.name, not inner.negated))
        if isinstance(inner, Compare) and inner.op in _NEGATED_OPS:
            flipped = Compare(_NEGATED_OPS[inner.op], inner.left, inner.right, inner.offset)
            return _describe_plain(flipped)
        return "not " + describe_tree(inner, _ATOM)
    if isinstance(node, IsSet):
        return f"{describe_tree(node.name, _ATOM)} is {'not ' if node.negated else ''}recorded"
    if isinstance(node, IsActive):
        return f"{describe_tree(node.name, _ATOM)} is {'not ' if node.negated else ''}under way"
    if isinstance(node, Compare):
        return _describe_compare(node)
    return ""  # pragma: no cover - every node kind is handled above


def _describe_compare(node: Compare) -> str:
    left = describe_tree(node.left, _ATOM)
    right = node.right
    if node.op in IN_OPS:
        negated = node.op == "not in"
        if isinstance(right, ListValue):
            values = [_describe_value(item.value) for item in right.items]
            if negated:
                if len(values) == 1:
                    return f"{left} is not {values[0]}"
                if len(values) == 2:
                    return f"{left} is neither {values[0]} nor {values[1]}"
                return f"{left} is not {_one_of(values)}"
            if len(values) == 1:
                return f"{left} is {values[0]}"
            if len(values) == 2:
                return f"{left} is {values[0]} or {values[1]}"
            return f"{left} is {_one_of(values)}"
        return f"{left} is {'not ' if negated else ''}one of {describe_tree(right, _ATOM)}"
    other = describe_tree(right, _ATOM)
    if node.op == "==":
        return f"{left} is {other}"
    if node.op == "!=":
        return f"{left} is not {other}"
    # Without fact types, a written number says "less than"; otherwise the ordering in
    # these processes is nearly always between dates.
    literals = [n.value for n in (node.left, right) if isinstance(n, Literal)]
    kind = "number" if any(kind_of(v) == "number" for v in literals) else "date"
    return f"{left} is {ORDER_WORDS[kind][node.op]} {other}"


def _one_of(values: list[str]) -> str:
    if not values:
        return "one of no values"
    if len(values) == 1:
        return values[0]
    return "one of " + ", ".join(values[:-1]) + " or " + values[-1]
