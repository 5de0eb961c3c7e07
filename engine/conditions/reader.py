"""Reading a condition: a hand-written tokenizer and recursive-descent parser. Nothing
written in a process file is ever handed to Python's ``eval``, ``compile`` or ``ast``."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Final

from ..dates import DateError, parse_date
from ..frozen import Frozen
from .evaluate import Expression
from .syntax import (
    MAX_DEPTH,
    MAX_DIGITS,
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
)
from .words import describe_tree


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


# -- describing -------------------------------------------------------------------------


def describe(expr: Expression | str) -> str:
    """The expression in plain words, for diagrams: short and always the same."""
    if isinstance(expr, str):
        expr = parse(expr)
    return describe_tree(expr.tree, 0)


# How tightly each node binds: a child binding less tightly than its place needs is
