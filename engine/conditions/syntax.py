"""The condition language's tree: the nodes a condition is read into, its limits, and
the error that says what to write instead.

See :mod:`engine.conditions` for the language itself."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Final

from ..frozen import Frozen

#: Longest condition text accepted, in characters.
MAX_LENGTH: Final = 2000
#: Deepest nesting of brackets and ``not`` accepted.
MAX_DEPTH: Final = 50
#: Most items a written list may hold.
MAX_LIST_ITEMS: Final = 100
#: Most digits a written number may have.
MAX_DIGITS: Final = 15

#: Evaluation follows conditions into other conditions; this bounds the Python stack even
#: for an adversarial chain of conditions (each level costs a few frames). A guard whose
#: :func:`evaluation_depths` exceed it could not be decided or explained, so ``cspr
#: validate`` refuses it.
MAX_EVAL_DEPTH: Final = 200


class ExpressionError(ValueError):
    """A condition that cannot be read, with what to write instead.

    ``offset`` is the 0-based character offset in the condition text where the problem
    is; the loader turns it into a line and column of the process file.
    """

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message, offset)
        self.message = message
        self.offset = offset

    def __str__(self) -> str:
        return self.message


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of ``offset`` within ``text``."""
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


# -- the tree ---------------------------------------------------------------------------


class Name(Frozen):
    """A fact or condition name (or, under ``is active``, a state name)."""

    name: str
    offset: int


class Literal(Frozen):
    """A written value: ``bool``, ``int``, ``float``, ``str`` or ``datetime.date``."""

    value: bool | int | float | str | dt.date
    offset: int


class ListValue(Frozen):
    """A written list of values; only ever the right-hand side of ``in`` / ``not in``."""

    items: tuple[Literal, ...]
    offset: int


class Not(Frozen):
    """``not operand``."""

    operand: Node
    offset: int


class And(Frozen):
    """``a and b and ...`` (two or more operands)."""

    operands: tuple[Node, ...]


class Or(Frozen):
    """``a or b or ...`` (two or more operands)."""

    operands: tuple[Node, ...]


class Compare(Frozen):
    """``left op right``; ``op`` is one of ``== != < <= > >= in``, or ``not in``."""

    op: str
    left: Node
    right: Node
    offset: int


class IsSet(Frozen):
    """``name is set`` (or ``is not set`` when ``negated``)."""

    name: Name
    negated: bool = False


class IsActive(Frozen):
    """``state is active`` (or ``is not active`` when ``negated``)."""

    name: Name
    negated: bool = False


Node = Name | Literal | ListValue | Not | And | Or | Compare | IsSet | IsActive

ORDER_OPS: Final = frozenset({"<", "<=", ">", ">="})
IN_OPS: Final = frozenset({"in", "not in"})


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Not):
        return (node.operand,)
    if isinstance(node, (And, Or)):
        return node.operands
    if isinstance(node, Compare):
        return (node.left, node.right)
    if isinstance(node, (IsSet, IsActive)):
        return (node.name,)
    if isinstance(node, ListValue):
        return node.items
    return ()


def walk(node: Node) -> Iterator[Node]:
    """Every node, parents before children, left to right."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))
