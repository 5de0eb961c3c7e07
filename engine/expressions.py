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

import datetime as dt
import functools
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Final

from .frozen import Frozen, field

__all__ = [
    "MAX_DEPTH",
    "MAX_EVAL_DEPTH",
    "WORDS",
    "MAX_DIGITS",
    "MAX_LENGTH",
    "MAX_LIST_ITEMS",
    "And",
    "Compare",
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
_MAX_EVAL_DEPTH: Final = MAX_EVAL_DEPTH


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

_ORDER_OPS: Final = frozenset({"<", "<=", ">", ">="})
_IN_OPS: Final = frozenset({"in", "not in"})


def _children(node: Node) -> tuple[Node, ...]:
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


def _walk(node: Node) -> Iterator[Node]:
    """Every node, parents before children, left to right."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(_children(current)))


# -- the model --------------------------------------------------------------------------


class Context(Frozen):
    """What a condition is evaluated against.

    ``facts`` maps fact names to recorded values (a missing key, or ``None``, means "not
    recorded yet"); ``conditions`` maps condition names to their expressions; ``active``
    holds the ids of the states the case is currently in.
    """

    facts: Mapping[str, object] = field(default_factory=dict)
    conditions: Mapping[str, Expression] = field(default_factory=dict)
    active: Collection[str] = frozenset()


class Expression(Frozen):
    """A parsed condition: its text and its tree. Build one with :func:`parse`."""

    text: str
    # Equal texts always give equal trees, so comparing the text is enough (and avoids
    # ``Literal(True) == Literal(1)`` surprises from Python's bool/int equality).
    tree: Node = field(repr=False, compare=False)

    def __str__(self) -> str:
        return self.text

    @functools.cached_property
    def names(self) -> frozenset[str]:
        """Names used as values (facts or conditions), not those only under ``is active``."""
        states = {id(n.name) for n in _walk(self.tree) if isinstance(n, IsActive)}
        return frozenset(
            n.name for n in _walk(self.tree) if isinstance(n, Name) and id(n) not in states
        )

    @functools.cached_property
    def states(self) -> frozenset[str]:
        """Names used with ``is active`` / ``is not active``."""
        return frozenset(n.name.name for n in _walk(self.tree) if isinstance(n, IsActive))

    @functools.cached_property
    def name_offsets(self) -> tuple[tuple[str, int], ...]:
        """Every name (values and states) with its 0-based offset, in text order."""
        found = [(n.name, n.offset) for n in _walk(self.tree) if isinstance(n, Name)]
        return tuple(sorted(found, key=lambda pair: pair[1]))

    def evaluate(self, ctx: Context, decided: dict[str, bool | None] | None = None) -> bool | None:
        """``True``, ``False`` or ``None`` (unknown). Never raises.

        ``decided`` keeps the named conditions decided on the way; give the same dict to
        evaluate several expressions against one context without deciding them again."""
        try:
            return _Evaluator(ctx, decided).truth(self.tree)
        except RecursionError:  # pragma: no cover - belt and braces; depth is bounded
            return None

    def holds(self, ctx: Context) -> bool:
        """Whether a guard with this expression passes: only when it is ``True``."""
        return self.evaluate(ctx) is True

    def explain(self, ctx: Context) -> list[str]:
        """Plain-words reasons why the expression is not ``True``; ``[]`` when it is."""
        try:
            return _Evaluator(ctx).reasons(self.tree, True)
        except RecursionError:  # pragma: no cover - belt and braces; depth is bounded
            return ["this condition is nested too deeply to explain"]


def parse(text: str) -> Expression:
    """Read a condition, or raise :class:`ExpressionError` saying what to write instead."""
    if not isinstance(text, str):
        # YAML turns an unquoted ``true`` or ``12`` into a bool or a number.
        raise ExpressionError("a condition must be written as text", 0)
    return _parse_cached(text)


@functools.lru_cache(maxsize=4096)
def _parse_cached(text: str) -> Expression:
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"a condition may be at most {MAX_LENGTH} characters long (this one has "
            f"{len(text)}); split it into named conditions",
            MAX_LENGTH,
        )
    tokens = _tokenize(text)
    return Expression(text, _Parser(tokens).parse())


# -- tokenizer --------------------------------------------------------------------------


class _Token(Frozen):
    # kind: name, keyword, literal, op, ( ) [ ] , or end
    kind: str
    text: str
    offset: int
    value: object = None

    def shown(self) -> str:
        if self.kind == "end":
            return "the end of the condition"
        if self.kind == "literal" and isinstance(self.value, str):
            return self.text
        return f"'{self.text}'"


_DIGITS: Final = frozenset("0123456789")
_NAME_START: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NAME_CHARS: Final = _NAME_START | _DIGITS
_KEYWORDS: Final = {
    "and": "and",
    "or": "or",
    "not": "not",
    "in": "in",
    "is": "is",
    "true": "true",
    "false": "false",
    "True": "true",
    "False": "false",
}
# Python's keywords (bar the few the language shares) plus its code-running builtins:
# refused by name so that pasted code fails with a clear message rather than oddly.
_FOREIGN_WORDS: Final = frozenset(
    {
        "as",
        "assert",
        "async",
        "await",
        "break",
        "class",
        "continue",
        "def",
        "del",
        "elif",
        "else",
        "eval",
        "except",
        "exec",
        "finally",
        "for",
        "from",
        "global",
        "if",
        "import",
        "lambda",
        "nonlocal",
        "pass",
        "raise",
        "return",
        "try",
        "while",
        "with",
        "yield",
    }
)
#: Words of the condition language, which cannot be a fact's or condition's name: its
#: keywords, the words after ``is``, ``today``, and the words refused in a condition.
WORDS: Final = frozenset(
    {
        *(word for word in _KEYWORDS if word.islower()),
        "set",
        "active",
        "today",
        "null",
        *_FOREIGN_WORDS,
    }
)
_ARITHMETIC: Final = (
    "arithmetic is not part of the condition language; compare values with ==, !=, <, <=, > or >="
)
_DATE_HINT: Final = "write dates as YYYY-MM-DD, for example 2019-09-29"


def _run(text: str, start: int, chars: frozenset[str]) -> int:
    end = start
    while end < len(text) and text[end] in chars:
        end += 1
    return end


def _skip_space(text: str, start: int) -> int:
    end = start
    while end < len(text) and text[end].isspace():
        end += 1
    return end


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in _NAME_START:
            end = _run(text, i, _NAME_CHARS)
            tokens.append(_word(text, i, end))
            i = end
        elif ch in _DIGITS:
            token = _number_or_date(text, i)
            tokens.append(token)
            i = token.offset + len(token.text)
        elif ch in "'\"":
            end = text.find(ch, i + 1)
            line_end = text.find("\n", i + 1)
            if end == -1 or (line_end != -1 and line_end < end):
                raise ExpressionError(f"this text has no closing quote; add {ch} at its end", i)
            tokens.append(_Token("literal", text[i : end + 1], i, text[i + 1 : end]))
            i = end + 1
        elif ch in "()[],":
            tokens.append(_Token(ch, ch, i))
            i += 1
        else:
            two = text[i : i + 2]
            if two in ("==", "!=", "<=", ">="):
                tokens.append(_Token("op", two, i, two))
                i += 2
            elif ch in "<>" and two != "<>":
                tokens.append(_Token("op", ch, i, ch))
                i += 1
            else:
                raise ExpressionError(_symbol_message(text, i), i)
    tokens.append(_Token("end", "", len(text.rstrip())))
    return tokens


def _word(text: str, start: int, end: int) -> _Token:
    word = text[start:end]
    if word in _KEYWORDS:
        return _Token("keyword", word, start, _KEYWORDS[word])
    if "__" in word:
        raise ExpressionError(
            f"'{word}' is not allowed: names may not contain '__' (two underscores in a row)",
            start,
        )
    if word in ("None", "null", "NULL", "Null"):
        raise ExpressionError(
            f"'{word}' is not part of the condition language; to test whether a fact is "
            "recorded write 'name is set' or 'name is not set'",
            start,
        )
    if word.lower() in _KEYWORDS:
        raise ExpressionError(f"write '{word.lower()}' in lower case", start)
    if word in _FOREIGN_WORDS:
        raise ExpressionError(f"'{word}' is not part of the condition language", start)
    after = _skip_space(text, end)
    follower = text[after : after + 1]
    if follower == "(":
        raise ExpressionError(
            "calls are not allowed in conditions; write a fact or condition name", start
        )
    if follower == "[":
        raise ExpressionError(
            "indexing with [ ] is not allowed in conditions; write a fact or condition name",
            after,
        )
    return _Token("name", word, start, word)


def _number_or_date(text: str, start: int) -> _Token:
    end = _run(text, start, _DIGITS)
    # Anything shaped like digits-digits-digits is meant as a date, whatever its widths.
    if text[end : end + 1] == "-" and text[end + 1 : end + 2] in _DIGITS:
        month_end = _run(text, end + 1, _DIGITS)
        if text[month_end : month_end + 1] == "-" and text[month_end + 1 : month_end + 2] in (
            _DIGITS
        ):
            day_end = _run(text, month_end + 1, _DIGITS)
            written = text[start:day_end]
            well_formed = (
                end - start == 4
                and month_end - end == 3
                and day_end - month_end == 3
                and text[day_end : day_end + 1] not in _NAME_CHARS | {"."}
            )
            if not well_formed:
                raise ExpressionError(f"'{written}' is not a date; {_DATE_HINT}", start)
            return _Token("literal", written, start, _date(written, start))
    if text[end : end + 1] == "/" and text[end + 1 : end + 2] in _DIGITS:
        # 29/09/2019 is a date written the British way, not a division.
        middle_end = _run(text, end + 1, _DIGITS)
        if text[middle_end : middle_end + 1] == "/":
            raise ExpressionError(_DATE_HINT, start)
    if text[end : end + 1] == "." and text[end + 1 : end + 2] in _DIGITS:
        end = _run(text, end + 1, _DIGITS)
    written = text[start:end]
    digits = sum(c in _DIGITS for c in written)
    if digits > MAX_DIGITS:
        raise ExpressionError(
            f"a number may have at most {MAX_DIGITS} digits (this one has {digits})", start
        )
    follower = text[end : end + 1]
    if follower == ".":
        raise ExpressionError(
            "write a decimal number with digits after the point, for example 1.5", end
        )
    if follower and follower in _NAME_CHARS:
        word_end = _run(text, end, _NAME_CHARS)
        raise ExpressionError(
            f"'{text[start:word_end]}' is neither a number nor a name; names start with a letter",
            start,
        )
    value: int | float = float(written) if "." in written else int(written)
    return _Token("literal", written, start, value)


def _date(written: str, offset: int) -> dt.date:
    # One date reader for the whole engine, so a wrong date reads the same everywhere.
    from .calendar import DateError, parse_date

    try:
        return parse_date(written)
    except DateError as error:
        raise ExpressionError(str(error), offset) from None


def _symbol_message(text: str, i: int) -> str:
    ch = text[i]
    two = text[i : i + 2]
    if two == "<>":
        return "write '!=' to say 'is not the same as'"
    if two == "=>":
        return "write '>=' for 'at least' or 'on or after'"
    if two == "=<":
        return "write '<=' for 'at most' or 'on or before'"
    if ch == "=":
        return "write '==' to compare"
    if ch == "!":
        return "write 'not' instead of '!'"
    if ch == "&":
        return f"write 'and' instead of '{'&&' if two == '&&' else '&'}'"
    if ch == "|":
        return f"write 'or' instead of '{'||' if two == '||' else '|'}'"
    if ch in "+-*/%":
        shown = two if two in ("**", "//") else ch
        return f"{_ARITHMETIC} (found '{shown}')"
    if ch == ".":
        if text[i + 1 : i + 2] in _DIGITS:
            return "write a decimal number with a digit before the point, for example 0.5"
        return "attribute access is not allowed; write a fact or condition name"
    if ch in "{}":
        return "braces are not part of the condition language; write lists in [ ]"
    if ch == ";":
        return "write 'and' or 'or' to join conditions"
    if ch == "#":
        return "comments are not allowed in a condition; use the description field"
    if ch in "\u2018\u2019\u201c\u201d`":
        return "use straight quotes ' or \" around text"
    if ch.isprintable():
        return (
            f"'{ch}' is not part of the condition language; names use only the letters "
            "a-z and A-Z, digits and underscores"
        )
    return f"the character U+{ord(ch):04X} is not allowed in a condition"


# -- parser -----------------------------------------------------------------------------


class _Parser:
    """Recursive descent over the token list; one method per grammar rule."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    # helpers

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def advance(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def previous(self) -> _Token | None:
        return self.tokens[self.pos - 1] if self.pos else None

    def at(self, keyword: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind == "keyword" and token.value == keyword

    def enter(self, token: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(
                f"the condition is nested too deeply (more than {MAX_DEPTH} levels of "
                "brackets and 'not'); split it into named conditions",
                token.offset,
            )

    # grammar

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise ExpressionError("the condition is empty; write a condition", 0)
        node = self.or_expr()
        token = self.peek()
        if token.kind != "end":
            raise self.unexpected(token, closing=None)
        return node

    def or_expr(self) -> Node:
        operands = [self.and_expr()]
        while self.at("or"):
            self.advance()
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def and_expr(self) -> Node:
        operands = [self.not_expr()]
        while self.at("and"):
            self.advance()
            operands.append(self.not_expr())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def not_expr(self) -> Node:
        if not self.at("not"):
            return self.comparison()
        token = self.advance()
        self.enter(token)
        operand = self.not_expr()
        self.depth -= 1
        return Not(operand, token.offset)

    def comparison(self) -> Node:
        left = self.operand()
        token = self.peek()
        if token.kind == "op":
            self.advance()
            node: Node = Compare(token.text, left, self.operand(), token.offset)
        elif self.at("in"):
            self.advance()
            node = Compare("in", left, self.members(), token.offset)
        elif self.at("not") and self.at("in", 1):
            self.advance()
            self.advance()
            node = Compare("not in", left, self.members(), token.offset)
        elif self.at("not"):
            raise ExpressionError(
                "'not' here must be followed by 'in' (as in: x not in ['a', 'b']); "
                "to negate a condition put 'not' before it",
                token.offset,
            )
        elif self.at("is"):
            node = self.is_test(left, token)
        else:
            return left
        following = self.peek()
        if following.kind == "op" or self.at("in") or self.at("is"):
            raise ExpressionError(
                "compare two values at a time; join comparisons with 'and', "
                "for example: a < b and b < c",
                following.offset,
            )
        return node

    def is_test(self, left: Node, is_token: _Token) -> Node:
        self.advance()
        negated = self.at("not")
        if negated:
            self.advance()
        word = self.peek()
        what = word.text if word.kind == "name" else None
        if what not in ("set", "active"):
            if word.kind == "keyword" and word.value in ("true", "false"):
                message = f"write '== {word.value}' (or just the name) rather than 'is'"
            else:
                message = (
                    "after 'is' write 'set', 'not set', 'active' or 'not active'; "
                    "to compare values write '=='"
                )
            raise ExpressionError(message, word.offset)
        if not isinstance(left, Name):
            raise ExpressionError(f"only a name can come before 'is {what}'", is_token.offset)
        self.advance()
        return IsSet(left, negated) if what == "set" else IsActive(left, negated)

    def operand(self) -> Node:
        token = self.peek()
        if token.kind == "name":
            self.advance()
            return Name(token.text, token.offset)
        if token.kind == "literal":
            self.advance()
            return Literal(token.value, token.offset)  # type: ignore[arg-type]
        if token.kind == "keyword" and token.value in ("true", "false"):
            self.advance()
            return Literal(token.value == "true", token.offset)
        if token.kind == "(":
            self.advance()
            self.enter(token)
            inner = self.or_expr()
            closing = self.peek()
            if closing.kind != ")":
                raise self.unexpected(closing, closing=token)
            self.advance()
            self.depth -= 1
            return inner
        if token.kind == "[":
            raise ExpressionError("a list in [ ] can only follow 'in' or 'not in'", token.offset)
        raise self.expected_operand(token)

    def members(self) -> Node:
        token = self.peek()
        if token.kind == "[":
            return self.list_value()
        if token.kind == "name":
            self.advance()
            return Name(token.text, token.offset)
        if token.kind in ("(", "literal") or (
            token.kind == "keyword" and token.value in ("true", "false")
        ):
            raise ExpressionError(
                "after 'in' write the values in square brackets, "
                "for example ['known', 'suspected']",
                token.offset,
            )
        raise self.expected_operand(token)

    def list_value(self) -> ListValue:
        opening = self.advance()
        items: list[Literal] = []
        while True:
            token = self.peek()
            if token.kind == "]":
                self.advance()
                return ListValue(tuple(items), opening.offset)
            if len(items) == MAX_LIST_ITEMS:
                raise ExpressionError(
                    f"a list may hold at most {MAX_LIST_ITEMS} values; "
                    "split it or use a named condition",
                    token.offset,
                )
            items.append(self.list_item(opening))
            separator = self.peek()
            if separator.kind == ",":
                self.advance()
            elif separator.kind == "]":
                continue
            elif separator.kind == "end":
                raise ExpressionError("this '[' is never closed; add ']'", opening.offset)
            else:
                raise ExpressionError("separate the values in a list with commas", separator.offset)

    def list_item(self, opening: _Token) -> Literal:
        token = self.peek()
        if token.kind == "literal":
            self.advance()
            return Literal(token.value, token.offset)  # type: ignore[arg-type]
        if token.kind == "keyword" and token.value in ("true", "false"):
            self.advance()
            return Literal(token.value == "true", token.offset)
        if token.kind == "name":
            raise ExpressionError(
                f"a list holds values, not names; put text in quotes, for example '{token.text}'",
                token.offset,
            )
        if token.kind == "[":
            raise ExpressionError("a list cannot hold another list", token.offset)
        if token.kind == "end":
            raise ExpressionError("this '[' is never closed; add ']'", opening.offset)
        raise ExpressionError(
            f"expected a value such as 'known', 12 or 2019-09-29 in the list, "
            f"but found {token.shown()}",
            token.offset,
        )

    # error messages

    def expected_operand(self, token: _Token) -> ExpressionError:
        before = self.previous()
        if token.kind == "end":
            after = f" after '{before.text}'" if before is not None else ""
            return ExpressionError(
                f"the condition ends too early{after}; write a fact name or a value",
                token.offset,
            )
        if token.kind == "keyword" and token.value in ("and", "or"):
            return ExpressionError(f"'{token.text}' must come between two conditions", token.offset)
        if token.kind == ",":
            return self.comma_error(token)
        return ExpressionError(
            f"expected a fact name, a value or '(' here, but found {token.shown()}",
            token.offset,
        )

    def comma_error(self, token: _Token) -> ExpressionError:
        return ExpressionError(
            "a comma can only separate the values of a list, for example ['known', 'suspected']",
            token.offset,
        )

    def unexpected(self, token: _Token, closing: _Token | None) -> ExpressionError:
        """An error for ``token`` found where a condition could have ended."""
        if token.kind == "end" and closing is not None:
            return ExpressionError("this '(' is never closed; add ')'", closing.offset)
        if token.kind == ")":
            return ExpressionError("this ')' has no matching '('", token.offset)
        if token.kind == "]":
            return ExpressionError("this ']' has no matching '['", token.offset)
        if token.kind == ",":
            return self.comma_error(token)
        if token.kind == "op":
            return ExpressionError(
                "compare two values at a time; join comparisons with 'and'", token.offset
            )
        if token.kind == "keyword" and token.value == "not":
            return ExpressionError(
                "write 'and not' or 'or not' to join a negated condition", token.offset
            )
        joiners = "'and', 'or' or ')'" if closing is not None else "'and' or 'or'"
        return ExpressionError(f"expected {joiners} before {token.shown()}", token.offset)


# -- values -----------------------------------------------------------------------------


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


#: An operand whose value is not known (a fact not recorded, an undecided condition).
_UNKNOWN: Final = _Marker("UNKNOWN")
#: A fact value of a kind the language does not handle; it compares with nothing.
_UNSUPPORTED: Final = _Marker("UNSUPPORTED")


def _scalar(raw: object) -> object:
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
    return _UNSUPPORTED


def _normalize(raw: object) -> object:
    """A fact value as one of bool, int, float, str, date, a tuple of those, or unsupported."""
    try:
        if isinstance(raw, (list, tuple, set, frozenset)):
            items = [_scalar(item) for item in raw if item is not None]
            if isinstance(raw, (set, frozenset)):
                # Sets have no order; sort so that explanations are repeatable.
                items.sort(key=lambda item: (_kind(item), _fmt(item)))
            return tuple(items)
        return _scalar(raw)
    except Exception:
        return _UNSUPPORTED


def _kind(value: object) -> str:
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


_KIND_PHRASES: Final = {
    "boolean": "a true/false value",
    "number": "a number",
    "text": "text",
    "date": "a date",
    "list": "a list",
    "unsupported": "a value of an unsupported kind",
}

_ORDER_WORDS: Final = {
    "date": {"<": "before", "<=": "on or before", ">": "after", ">=": "on or after"},
    "number": {"<": "less than", "<=": "at most", ">": "more than", ">=": "at least"},
    "text": {
        "<": "alphabetically before",
        "<=": "alphabetically before or the same as",
        ">": "alphabetically after",
        ">=": "alphabetically after or the same as",
    },
}


def _fmt(value: object) -> str:
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
        return ", ".join(_fmt(item) for item in value) if value else "no values"
    return "a value of an unsupported kind"


def _compatible(op: str, left: object, right: object) -> bool:
    if op in _IN_OPS:
        if not isinstance(right, tuple):
            return False
        kind = _kind(left)
        if kind in ("list", "unsupported"):
            return False
        return not right or any(_kind(item) == kind for item in right)
    kind = _kind(left)
    if kind != _kind(right) or kind in ("list", "unsupported"):
        return False
    return not (op in _ORDER_OPS and kind == "boolean")


def _compare(op: str, left: object, right: object) -> bool:
    """The comparison of two known values; incompatible kinds compare ``False``."""
    if not _compatible(op, left, right):
        return False
    if op in _IN_OPS:
        assert isinstance(right, tuple)
        kind = _kind(left)
        member = any(_kind(item) == kind and item == left for item in right)
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


# -- evaluation and explanation ---------------------------------------------------------


def _join(reasons: list[str], joiner: str) -> str:
    """Reasons in one sentence; nested lists of reasons are bracketed to keep them apart."""
    if len(reasons) == 1:
        return reasons[0]
    return joiner.join(f"({r})" if "; " in r else r for r in reasons)


class _Evaluator:
    """One evaluation against one context; remembers the conditions it has decided."""

    def __init__(self, ctx: Context, decided: dict[str, bool | None] | None = None) -> None:
        self.ctx = ctx
        self.decided: dict[str, bool | None] = {} if decided is None else decided
        self.stack: list[str] = []  # conditions being evaluated, to cut cycles
        self.cycles = 0
        self.depth = 0

    # lookups

    def condition_tree(self, name: str) -> Node | None:
        try:
            found = self.ctx.conditions.get(name)
        except Exception:
            return None
        if isinstance(found, Expression):
            return found.tree
        # A model Condition (which holds its Expression) is accepted too.
        inner = getattr(found, "expression", None)
        return inner.tree if isinstance(inner, Expression) else None

    def fact(self, name: str) -> object:
        try:
            raw = self.ctx.facts.get(name)
        except Exception:
            return _UNKNOWN
        return _UNKNOWN if raw is None else _normalize(raw)

    def condition(self, name: str, tree: Node) -> bool | None:
        if name in self.decided:
            return self.decided[name]
        if name in self.stack:
            # A condition that depends on itself can never be decided.
            self.cycles += 1
            return None
        cycles = self.cycles
        self.stack.append(name)
        try:
            result = self.truth(tree)
        finally:
            self.stack.pop()
        if self.cycles == cycles:
            # A result cut short by a cycle depends on where the walk began: not kept.
            self.decided[name] = result
        return result

    # evaluation

    def value(self, node: Node) -> object:
        """An operand's value, or ``_UNKNOWN``."""
        if isinstance(node, Name):
            tree = self.condition_tree(node.name)
            if tree is None:
                return self.fact(node.name)
            result = self.condition(node.name, tree)
            return _UNKNOWN if result is None else result
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, ListValue):
            return tuple(item.value for item in node.items)
        result = self.truth(node)
        return _UNKNOWN if result is None else result

    def truth(self, node: Node) -> bool | None:
        if self.depth >= _MAX_EVAL_DEPTH:
            return None
        self.depth += 1
        try:
            return self._truth(node)
        finally:
            self.depth -= 1

    def _truth(self, node: Node) -> bool | None:
        if isinstance(node, (Name, Literal, ListValue)):
            value = self.value(node)
            return value if isinstance(value, bool) else None
        if isinstance(node, Not):
            inner = self.truth(node.operand)
            return None if inner is None else not inner
        if isinstance(node, And):
            result: bool | None = True
            for operand in node.operands:
                current = self.truth(operand)
                if current is False:
                    return False
                if current is None:
                    result = None
            return result
        if isinstance(node, Or):
            result = False
            for operand in node.operands:
                current = self.truth(operand)
                if current is True:
                    return True
                if current is None:
                    result = None
            return result
        if isinstance(node, Compare):
            left = self.value(node.left)
            right = self.value(node.right)
            if left is _UNKNOWN or right is _UNKNOWN:
                return None
            return _compare(node.op, left, right)
        if isinstance(node, IsSet):
            return self.is_set(node.name.name) != node.negated
        if isinstance(node, IsActive):
            return self.is_active(node.name.name) != node.negated
        return None  # pragma: no cover - every node kind is handled above

    def is_set(self, name: str) -> bool:
        tree = self.condition_tree(name)
        if tree is not None:
            return self.condition(name, tree) is not None
        return self.fact(name) is not _UNKNOWN

    def is_active(self, name: str) -> bool:
        try:
            return bool(name in self.ctx.active)
        except Exception:
            return False

    # explanation

    def reasons(self, node: Node, want: bool) -> list[str]:
        """Why ``node`` is not ``want``, in plain words; ``[]`` when it is."""
        actual = self.truth(node)
        if actual is want:
            return []
        if self.depth >= _MAX_EVAL_DEPTH:
            return ["this condition is nested too deeply to explain"]
        self.depth += 1
        try:
            return self._reasons(node, actual, want)
        finally:
            self.depth -= 1

    def _reasons(self, node: Node, actual: bool | None, want: bool) -> list[str]:
        if isinstance(node, Name):
            return self.name_reasons(node.name, actual, want)
        if isinstance(node, Literal):
            if isinstance(node.value, bool):
                return [f"'{_fmt(node.value)}' {'never' if want else 'always'} holds"]
            return [f"{_fmt(node.value)} is not true or false"]
        if isinstance(node, ListValue):
            return ["a list is not true or false"]
        if isinstance(node, Not):
            return self.reasons(node.operand, not want)
        if isinstance(node, And):
            if want:
                return self.each(node.operands, True, lambda v: v is not True)
            if actual is True:
                return ["all of these hold: " + _join(self.each(node.operands, False), "; ")]
            return self.each(node.operands, False, lambda v: v is None)
        if isinstance(node, Or):
            if want:
                parts = [_join(self.reasons(op, True), " and ") for op in node.operands]
                return ["none of these holds: " + _join([p for p in parts if p], "; ")]
            return self.each(node.operands, False, lambda v: v is actual)
        if isinstance(node, Compare):
            return self.compare_reasons(node, actual)
        if isinstance(node, IsSet):
            return [self.set_sentence(node.name.name, self.is_set(node.name.name))]
        if isinstance(node, IsActive):
            active = self.is_active(node.name.name)
            return [f"{node.name.name} is {'active' if active else 'not active'}"]
        return []  # pragma: no cover - every node kind is handled above

    def each(
        self,
        operands: tuple[Node, ...],
        want: bool,
        keep: Callable[[bool | None], bool] | None = None,
    ) -> list[str]:
        found: list[str] = []
        for operand in operands:
            if keep is None or keep(self.truth(operand)):
                found.extend(self.reasons(operand, want))
        return found

    def name_reasons(self, name: str, actual: bool | None, want: bool) -> list[str]:
        tree = self.condition_tree(name)
        if tree is not None:
            if name in self.stack:
                return [f"condition '{name}' refers back to itself, so it cannot be decided"]
            if actual is True:
                return [f"condition '{name}' holds"]
            self.stack.append(name)
            try:
                inner = self.reasons(tree, True)
            finally:
                self.stack.pop()
            if want:
                head = f"condition '{name}' does not hold"
            else:
                head = f"condition '{name}' cannot be decided yet"
            return [f"{head}: {_join(inner, '; ')}" if inner else head]
        value = self.fact(name)
        if value is _UNKNOWN:
            return [f"{name} is not recorded yet"]
        if isinstance(value, bool):
            return [f"{name} is {_fmt(value)}"]
        return [f"{name} is {_fmt(value)}, not true or false"]

    def set_sentence(self, name: str, recorded: bool) -> str:
        if self.condition_tree(name) is not None:
            return (
                f"condition '{name}' "
                + ("can already" if recorded else "cannot yet")
                + " be decided"
            )
        if recorded:
            return f"{name} is already recorded ({_fmt(self.fact(name))})"
        return f"{name} is not recorded yet"

    def unknown_reasons(self, operand: Node, value: object) -> list[str]:
        if value is not _UNKNOWN:
            return []
        if isinstance(operand, Name):
            return self.name_reasons(operand.name, None, False)
        return self.reasons(operand, True)

    def subject(self, node: Node, value: object) -> str:
        if isinstance(node, Name):
            if self.condition_tree(node.name) is not None:
                return f"condition '{node.name}' ({_fmt(value)})"
            return f"{node.name} ({_fmt(value)})"
        if isinstance(node, Literal):
            return _fmt(value)
        return f"({_describe(node, 0)}) ({_fmt(value)})"

    def compare_reasons(self, node: Compare, actual: bool | None) -> list[str]:
        left = self.value(node.left)
        right = self.value(node.right)
        if actual is None:
            return self.unknown_reasons(node.left, left) + self.unknown_reasons(node.right, right)
        return [self.compare_sentence(node, left, right, actual)]

    def compare_sentence(self, node: Compare, left: object, right: object, actual: bool) -> str:
        """What is actually so about ``node``, given that it came out ``actual``."""
        op = node.op
        a = self.subject(node.left, left)
        if isinstance(node.right, ListValue):
            items = _fmt(right)
        elif isinstance(node.right, Name):
            items = f"the values of {self.subject(node.right, right)}"
        else:
            items = self.subject(node.right, right)
        if not _compatible(op, left, right):
            if op in _IN_OPS and not isinstance(right, tuple):
                return f"{self.subject(node.right, right)} is not a list of values"
            if op in _IN_OPS:
                return f"{a} is {_KIND_PHRASES[_kind(left)]}, so it cannot be looked up in {items}"
            b = self.subject(node.right, right)
            if _kind(left) == _kind(right) == "boolean":
                return f"{a} and {b} are true/false values, which cannot be put in order"
            return (
                f"{a} is {_KIND_PHRASES[_kind(left)]} and {b} is "
                f"{_KIND_PHRASES[_kind(right)]}, so they cannot be compared"
            )
        plain_fact = isinstance(node.left, Name) and self.condition_tree(node.left.name) is None
        if op in ("==", "!="):
            equal = actual if op == "==" else not actual
            if plain_fact and isinstance(node.right, Literal):
                name = node.left.name  # type: ignore[union-attr]
                if equal:
                    return f"{name} is {_fmt(right)}"
                return f"{name} is {_fmt(left)}, not {_fmt(right)}"
            b = self.subject(node.right, right)
            return f"{a} is the same as {b}" if equal else f"{a} is not the same as {b}"
        if op in _IN_OPS:
            member = actual if op == "in" else not actual
            assert isinstance(right, tuple)
            if plain_fact:
                name = node.left.name  # type: ignore[union-attr]
                if not right:
                    return f"{name} is {_fmt(left)}, and the list after '{op}' is empty"
                single = isinstance(node.right, ListValue) and len(right) == 1
                if member:
                    return f"{name} is {_fmt(left)}" + ("" if single else f", one of {items}")
                return f"{name} is {_fmt(left)}, not {'' if single else 'one of '}{items}"
            return f"{a} is {'' if member else 'not '}one of {items}"
        words = _ORDER_WORDS[_kind(left)][op]
        b = self.subject(node.right, right)
        return f"{a} is {'' if actual else 'not '}{words} {b}"


# -- how deep an evaluation goes ----------------------------------------------------------


def evaluation_depths(conditions: Mapping[str, Expression]) -> dict[str, int]:
    """How deep deciding each named condition goes, counted as the evaluator counts
    against :data:`MAX_EVAL_DEPTH` (following the conditions it names; a condition that
    depends on itself is cut where it comes back, as the evaluator cuts it). Worked out
    without recursion over the conditions, so a chain of thousands costs no stack."""
    depths: dict[str, int] = {}
    state: dict[str, int] = {}  # 1: being worked out, 2: done
    for root in conditions:
        if root in state:
            continue
        stack = [(root, iter(sorted(conditions[root].names & conditions.keys())))]
        state[root] = 1
        while stack:
            name, pending = stack[-1]
            for used in pending:
                if used not in state:
                    state[used] = 1
                    stack.append((used, iter(sorted(conditions[used].names & conditions.keys()))))
                    break
            else:
                stack.pop()
                state[name] = 2
                # A name still being worked out is a cycle: the evaluator stops there.
                depths[name] = _tree_depth(conditions[name].tree, depths)
    return depths


def evaluation_depth(expression: Expression, depths: Mapping[str, int]) -> int:
    """How deep deciding ``expression`` goes, given :func:`evaluation_depths`."""
    return _tree_depth(expression.tree, depths)


def _tree_depth(node: Node, depths: Mapping[str, int]) -> int:
    """Nested ``truth`` calls the evaluator makes for ``node`` (this one included)."""

    def value(operand: Node) -> int:  # what finding an operand's value adds
        if isinstance(operand, Name):
            return depths.get(operand.name, 0)
        if isinstance(operand, (Literal, ListValue)):
            return 0
        return _tree_depth(operand, depths)

    if isinstance(node, (Name, Literal, ListValue)):
        return 1 + value(node)
    if isinstance(node, Not):
        return 1 + _tree_depth(node.operand, depths)
    if isinstance(node, (And, Or)):
        return 1 + max(_tree_depth(operand, depths) for operand in node.operands)
    if isinstance(node, Compare):
        return 1 + max(value(node.left), value(node.right))
    if isinstance(node, IsSet):
        return 1 + value(node.name)
    return 1


# -- describing -------------------------------------------------------------------------


def describe(expr: Expression | str) -> str:
    """The expression in plain words, for diagrams: short and always the same."""
    if isinstance(expr, str):
        expr = parse(expr)
    return _describe(expr.tree, 0)


# How tightly each node binds: a child binding less tightly than its place needs is
# bracketed. Comparisons bind less tightly than single words so "not (a is before b)".
_BINDING: Final = {Or: 1, And: 2, Not: 3, Compare: 4, IsSet: 4, IsActive: 4}
_ATOM: Final = 5

_NEGATED_OPS: Final = {"==": "!=", "!=": "==", "in": "not in", "not in": "in"}


def _words(text: str) -> str:
    return text.replace("_", " ")


def _describe_value(value: object) -> str:
    if isinstance(value, str):
        return _words(value)
    return _fmt(value)


def _describe(node: Node, needed: int) -> str:
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
        return " or ".join(_describe(op, 1) for op in node.operands)
    if isinstance(node, And):
        return " and ".join(_describe(op, 2) for op in node.operands)
    if isinstance(node, Not):
        inner = node.operand
        # Say "x is not recorded" rather than "not (x is recorded)" where words allow.
        if isinstance(inner, (IsSet, IsActive)):
            return _describe_plain(type(inner)(inner.name, not inner.negated))
        if isinstance(inner, Compare) and inner.op in _NEGATED_OPS:
            flipped = Compare(_NEGATED_OPS[inner.op], inner.left, inner.right, inner.offset)
            return _describe_plain(flipped)
        return "not " + _describe(inner, _ATOM)
    if isinstance(node, IsSet):
        return f"{_describe(node.name, _ATOM)} is {'not ' if node.negated else ''}recorded"
    if isinstance(node, IsActive):
        return f"{_describe(node.name, _ATOM)} is {'not ' if node.negated else ''}under way"
    if isinstance(node, Compare):
        return _describe_compare(node)
    return ""  # pragma: no cover - every node kind is handled above


def _describe_compare(node: Compare) -> str:
    left = _describe(node.left, _ATOM)
    right = node.right
    if node.op in _IN_OPS:
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
        return f"{left} is {'not ' if negated else ''}one of {_describe(right, _ATOM)}"
    other = _describe(right, _ATOM)
    if node.op == "==":
        return f"{left} is {other}"
    if node.op == "!=":
        return f"{left} is not {other}"
    # Without fact types, a written number says "less than"; otherwise the ordering in
    # these processes is nearly always between dates.
    literals = [n.value for n in (node.left, right) if isinstance(n, Literal)]
    kind = "number" if any(_kind(v) == "number" for v in literals) else "date"
    return f"{left} is {_ORDER_WORDS[kind][node.op]} {other}"


def _one_of(values: list[str]) -> str:
    if not values:
        return "one of no values"
    if len(values) == 1:
        return values[0]
    return "one of " + ", ".join(values[:-1]) + " or " + values[-1]
