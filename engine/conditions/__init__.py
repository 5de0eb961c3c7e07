"""The guard language: small, safe conditions written in process files.

Policy leads write conditions such as::

    abuse_or_neglect in ['known', 'suspected'] and (child_died or seriously_harmed)
    aware_on is set and changeover_on is set and aware_on < changeover_on
    decided_on >= 2019-09-29
    lscb_route is active

The text is read by a hand-written tokenizer and recursive-descent parser into a tree of
frozen records. Nothing written in a process file is ever handed to Python's ``eval``,
``compile`` or ``ast``: the only things a condition can do are the ones below.

Grammar::

    expr       := or_expr
    or_expr    := and_expr ('or' and_expr)*
    and_expr   := not_expr ('and' not_expr)*
    not_expr   := 'not' not_expr | comparison
    comparison := operand ( compop operand | 'in' list_or_name | 'not' 'in' list_or_name
                            | 'is' ['not'] 'set' | 'is' ['not'] 'active' )?
    compop     := '==' | '!=' | '<' | '<=' | '>' | '>='
    operand    := NAME | literal | '(' expr ')'
    literal    := true | false | True | False | integer | decimal | 'text' | "text"
                  | YYYY-MM-DD
    list       := '[' [literal (',' literal)* [',']] ']'

A list may only follow ``in`` / ``not in`` (anywhere else it is a mistake worth naming),
and a list cannot hold names or other lists. Text in quotes has no escapes and cannot run
over a line end.

Evaluation uses three-valued (Kleene) logic: a fact that is not recorded yet is *unknown*
(``None``), and unknown spreads through comparisons and connectives unless the answer is
already decided (``False and unknown`` is ``False``). A guard passes only when its
expression evaluates to ``True``. Evaluation and explanation never raise, whatever facts
they are given, because a running case must never crash on a badly typed fact.
"""

from __future__ import annotations

from .evaluate import ConditionMemo, Context, Expression, evaluation_depth, evaluation_depths
from .reader import WORDS, describe, parse
from .syntax import (
    MAX_DEPTH,
    MAX_DIGITS,
    MAX_EVAL_DEPTH,
    MAX_LENGTH,
    MAX_LIST_ITEMS,
    And,
    Compare,
    ExpressionError,
    IsActive,
    IsSet,
    ListValue,
    Literal,
    Name,
    Node,
    Not,
    Or,
    line_and_column,
)

__all__ = [
    "MAX_DEPTH",
    "MAX_EVAL_DEPTH",
    "WORDS",
    "MAX_DIGITS",
    "MAX_LENGTH",
    "MAX_LIST_ITEMS",
    "And",
    "Compare",
    "ConditionMemo",
    "Context",
    "Expression",
    "ExpressionError",
    "IsActive",
    "IsSet",
    "ListValue",
    "Literal",
    "Name",
    "Node",
    "Not",
    "Or",
    "describe",
    "evaluation_depth",
    "evaluation_depths",
    "line_and_column",
    "parse",
]
