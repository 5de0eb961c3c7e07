"""Strict YAML reading that keeps the line and column of every node.

Process and scenario files are written by people who are not programmers, so this reader
refuses what PyYAML would silently accept or run: duplicate keys (PyYAML keeps the last),
anchors and aliases (the "billion laughs"), tags such as ``!!python/object``, tabs, files
that are not UTF-8, and absurd sizes or nesting. Only ``true``/``false`` are booleans (YAML
1.1's ``on``, ``yes`` and ``no`` are text, since ``on:`` is a key of the format) and dates
stay text, so that an impossible date gets our own explanation rather than a crash.

Text is parsed by libyaml's C parser, which PyYAML's wheels carry, when it reads the text
as PyYAML's own pure-Python parser would; text it refuses, or might read otherwise, is
parsed by PyYAML's parser, whose messages are the ones users see. Either way the parse
events are read into data and locations by the same code. Without libyaml everything is
parsed by PyYAML's parser, only more slowly.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import os
import re
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import yaml

from ..problems import Location

MAX_BYTES = 1_000_000
MAX_DEPTH = 64

Path = tuple[str | int, ...]


def _implicit_tags() -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    """YAML 1.2-like scalars: null, true/false, integers and decimals; all else is text.

    For each character a plain scalar can start with, the tags it may have and the
    pattern it must match for each, tried in order (as PyYAML's resolvers are kept).
    """
    table: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    for tag, pattern, first in (
        ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
        ("tag:yaml.org,2002:int", r"^[-+]?[0-9]+$", "-+0123456789"),
        (
            "tag:yaml.org,2002:float",
            r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$",
            "-+0123456789.",
        ),
        ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ):
        for character in first:
            table.setdefault(character, []).append((tag, re.compile(pattern)))
    return table


_IMPLICIT_TAGS = _implicit_tags()

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}


class YamlProblem(Exception):
    """A reason the text cannot be read at all, with where it was found."""

    def __init__(self, where: Location, message: str):
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


class _Reading:
    """Reads the events of a parser (PyYAML's or libyaml's) into plain data, noting where
    every key and value is written, and refusing what process files may not contain.

    What the parser refuses (bad syntax), aliases, anchors and deep nesting are refused
    at once; what is wrong with the values read (tags, duplicate keys, keys that are not
    plain words, huge numbers) is refused once the whole text has been read, as the
    first such problem in the text, so that bad syntax anywhere is reported first.
    """

    file: str
    check_event: Callable[..., bool]
    peek_event: Callable[[], Any]
    get_event: Callable[[], Any]

    def left_to_reference(self, event: Any, in_flow: bool) -> bool:
        """Whether the reference parser must read the text instead (see _FastLoader)."""
        return False

    def read_into(self, document: Document) -> None:
        """Read the single document of the text (if any) into ``document``."""
        self.get_event()  # the start of the stream
        if self.check_event(yaml.StreamEndEvent):
            return
        self.get_event()  # the start of the document
        root_mark = self.peek_event().start_mark
        problem = self.read_node_tree(document)
        self.get_event()  # the end of the document
        if not self.check_event(yaml.StreamEndEvent):
            raise yaml.composer.ComposerError(
                "expected a single document in the stream",
                root_mark,
                "but found another document",
                self.get_event().start_mark,
            )
        if problem is not None:
            raise problem

    def read_node_tree(self, document: Document) -> YamlProblem | None:
        """Read one node and all it holds into ``document.data``; return the first problem
        with the values read, if any (reading goes on, building nothing more)."""
        file, value_at, key_at = document.file, document.value_at, document.key_at
        span_at = document.span_at
        problem: YamlProblem | None = None
        stack: list[_Open] = []
        flows = 0
        while True:
            event = self.get_event()
            if isinstance(event, _END):
                done = stack.pop()
                flows -= done.flow
                value: Any = done.value
            else:
                if isinstance(event, yaml.AliasEvent):
                    raise YamlProblem(
                        _where(file, event.start_mark),
                        "aliases (*name) are not allowed in process files; "
                        "write the value out in full",
                    )
                if event.anchor:
                    raise YamlProblem(
                        _where(file, event.start_mark),
                        "anchors (&name) are not allowed in process files; "
                        "write each value out in full",
                    )
                if len(stack) >= MAX_DEPTH:
                    raise YamlProblem(
                        _where(file, event.start_mark),
                        f"nested more than {MAX_DEPTH} levels deep; flatten the structure",
                    )
                if self.left_to_reference(event, flows > 0):
                    raise _LeftToReference
                parent = stack[-1] if stack else None
                is_key = parent is not None and parent.is_mapping and parent.key is None
                mark = event.start_mark
                where = (mark.line + 1, mark.column + 1)
                wrong: str | None = None
                if isinstance(event, yaml.ScalarEvent):
                    value = None
                    if problem is None:
                        tag = event.tag
                        if tag is None or tag == "!":
                            tag = _implicit_tag(event.value) if event.implicit[0] else _STR
                        value, wrong = _scalar(tag, event.value)
                        if is_key and wrong is None:
                            wrong = _key(parent, str(value), where, key_at)  # type: ignore[arg-type]
                        elif wrong is None:
                            path = parent.path_of_next() if parent else ()
                            value_at[path] = where
                            style = event.style or None  # '' from libyaml for plain text
                            end = event.end_mark.index if event.end_mark else mark.index
                            span_at[path] = Span(mark.index, end, style)
                else:
                    is_mapping = isinstance(event, yaml.MappingStartEvent)
                    flow = 1 if event.flow_style else 0
                    flows += flow
                    path = ()
                    if problem is None:
                        expected = _MAP if is_mapping else _SEQ
                        tag = expected if event.tag in (None, "!") else event.tag
                        if is_key:
                            wrong = "a key must be a plain word"
                        elif tag != expected:
                            wrong = _tag_message(tag)
                        else:
                            path = parent.path_of_next() if parent else ()
                            value_at[path] = where
                    stack.append(_Open(path, {} if is_mapping else [], is_mapping, flow))
                if wrong is not None:
                    problem = YamlProblem(Location(file, *where), wrong)
                if is_key or not isinstance(event, yaml.ScalarEvent):
                    continue
            if parent_of_value := (stack[-1] if stack else None):
                if problem is None:
                    parent_of_value.add(value)
                continue
            document.data = None if problem is not None else value
            return problem


_END = (yaml.SequenceEndEvent, yaml.MappingEndEvent)
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_STR = "tag:yaml.org,2002:str"


def _implicit_tag(plain: str) -> str:
    """The tag of a plain (unquoted, untagged) scalar: see :func:`_implicit_tags`."""
    for tag, pattern in _IMPLICIT_TAGS.get(plain[:1], ()):
        if pattern.match(plain):
            return tag
    return _STR


class _Open:
    """A mapping or list being read: its path, what it holds so far, the key awaiting a
    value, and whether it is written in flow style ([ ] or { })."""

    __slots__ = ("path", "value", "is_mapping", "flow", "key")

    def __init__(self, path: Path, value: Any, is_mapping: bool, flow: int):
        self.path = path
        self.value = value
        self.is_mapping = is_mapping
        self.flow = flow
        self.key: str | None = None

    def path_of_next(self) -> Path:
        """The path of the value read next into this mapping or list."""
        if self.is_mapping:
            return (*self.path, self.key)  # type: ignore[arg-type]
        return (*self.path, len(self.value))

    def add(self, value: Any) -> None:
        if self.is_mapping:
            self.value[self.key] = value
            self.key = None
        else:
            self.value.append(value)


def _key(
    mapping: _Open, key: str, where: tuple[int, int], key_at: dict[Path, tuple[int, int]]
) -> str | None:
    """Note ``key`` as the key awaiting a value in ``mapping``, or say what is wrong."""
    key_path = (*mapping.path, key)
    if key in mapping.value:
        return (
            f"duplicate key '{key}' (first written at line {key_at[key_path][0]}); "
            "remove one of them or merge what they say"
        )
    key_at[key_path] = where
    mapping.key = key
    return None


class _Loader(_Reading, yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):
    """PyYAML's pure-Python reader, scanner and parser: the reference for what is valid
    YAML and for every message about text that is not."""

    def __init__(self, text: str, file: str):
        yaml.reader.Reader.__init__(self, text)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        self.file = file


_CParser: Any
try:  # PyYAML's wheels carry libyaml, whose C parser reads a file many times faster
    from yaml._yaml import CParser as _CParser
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    _CParser = None

#: Whether the C parser is used for text it accepts (tests switch it off to try both).
LIBYAML: bool = _CParser is not None

if _CParser is not None:

    class _FastLoader(_Reading, _CParser):
        """libyaml's parser, read by the same code and checks as :class:`_Loader`."""

        def __init__(self, text: str, file: str):
            _CParser.__init__(self, text)
            self.file = file

        def left_to_reference(self, event: Any, in_flow: bool) -> bool:
            # libyaml and PyYAML resolve tags differently (a lone '!'); tags are refused
            # anyway, so a tagged node is left to the reference parser. Inside [ ] or
            # { }, PyYAML ends a plain value at '?', libyaml reads on; and the two put
            # an empty value ('{to: }') one column apart.
            if event.tag is not None:
                return True
            plain = isinstance(event, yaml.ScalarEvent) and not event.style
            return in_flow and plain and (not event.value or "?" in event.value)


class _LeftToReference(Exception):
    """Text the C parser might read differently from PyYAML's pure-Python parser."""


#: Characters libyaml reads differently from PyYAML's parser: it accepts tabs in places
#: PyYAML refuses them, and counts some line breaks and a byte order mark otherwise. It
#: also accepts a comment straight after a block scalar's '|' or '>'. Text with any of
#: these is read by the pure-Python parser alone (tests/test_yaml_parsers.py compares
#: the two parsers).
_NOT_FOR_LIBYAML = "\t\r\x85\u2028\u2029\ufeff"


def _libyaml_reads_as_pyyaml(text: str) -> bool:
    """Whether libyaml reads ``text`` exactly as PyYAML's parser would, marks included.

    Without a final line break libyaml puts an empty value at the end on a line of its
    own, where PyYAML puts it at the end of the last line.
    """
    if not text.endswith("\n") or any(c in text for c in _NOT_FOR_LIBYAML):
        return False
    return not _comment_after_block_header(text)


def _comment_after_block_header(text: str) -> bool:
    """Whether a '#' comes straight after a block scalar's '|' or '>' and indicators."""
    at = text.find("#")
    while at != -1:
        before = at - 1
        while before >= 0 and text[before] in "-+0123456789":
            before -= 1
        if before >= 0 and text[before] in "|>":
            return True
        at = text.find("#", at + 1)
    return False


def _where(file: str, mark: Any) -> Location:
    return Location(file, mark.line + 1, mark.column + 1)


class Span(NamedTuple):
    """Where a scalar's text is written: start and end index in the file, and its style."""

    start: int
    end: int
    style: str | None


class Document:
    """Plain data read from YAML plus the location of every key and value by path.

    (A plain class, not a dataclass: importing :mod:`dataclasses` and making the class
    was a hundredth of a cold ``cspr validate``.)"""

    def __init__(
        self,
        file: str,
        data: Any,
        value_at: dict[Path, tuple[int, int]],
        key_at: dict[Path, tuple[int, int]],
        text: str = "",
        span_at: dict[Path, Span] | None = None,
    ):
        self.file = file
        self.data = data
        #: Line and column (from 1) of each value and each key, by path.
        self.value_at = value_at
        self.key_at = key_at
        #: The text read, and each scalar value's span in it, so that a place inside a
        #: value (a name in a condition) can be traced back to the line and column it is
        #: written at.
        self.text = text
        self.span_at: dict[Path, Span] = {} if span_at is None else span_at

    def __repr__(self) -> str:
        return f"Document(file={self.file!r}, data={self.data!r})"

    def where(self, path: Path, key: bool = False) -> Location:
        """Location of the value (or the key) at ``path``, or of its nearest ancestor."""
        table = self.key_at if key else self.value_at
        probe = tuple(path)
        while probe:
            if probe in table:
                return self._location(table[probe])
            if not key and probe in self.key_at:
                return self._location(self.key_at[probe])
            probe = probe[:-1]
        return self._location(self.value_at.get((), (1, 1)))

    def _location(self, line_and_column: tuple[int, int]) -> Location:
        """The Location of a line and column, made once (the model holds thousands)."""
        made = self._locations.get(line_and_column)
        if made is None:
            made = self._locations[line_and_column] = Location(self.file, *line_and_column)
        return made

    def text_offset(self, path: Path, offset: int) -> Location:
        """Location of character ``offset`` of the text value at ``path``, however the
        value is written: over several lines, folded, literal, quoted or with escapes."""
        path = tuple(path)
        span = self.span_at.get(path)
        value = self.value(path)
        if span is None or not isinstance(value, str):
            return self.where(path)
        offset = max(0, min(offset, len(value)))
        start, end = _content_range(self.text, span)
        if offset < len(value) and self.text[start:end] == value:
            return self.location_of(start + offset)  # written just as it reads
        positions = self._positions.get(path)
        if positions is None:
            positions = self._positions[path] = _source_positions(self.text, span, value)
        return self.location_of(positions[offset])

    def value(self, path: Path) -> Any:
        """The plain data at ``path``, or None where there is none."""
        found = self.data
        for step in path:
            try:
                found = found[step]
            except (KeyError, IndexError, TypeError):
                return None
        return found

    def location_of(self, index: int) -> Location:
        """Line and column of character ``index`` of the text."""
        return _location(self.file, self._line_starts, index)

    @functools.cached_property
    def _line_starts(self) -> list[int]:
        return _line_starts(self.text)

    @functools.cached_property
    def _locations(self) -> dict[tuple[int, int], Location]:
        return {}

    @functools.cached_property
    def _positions(self) -> dict[Path, list[int]]:
        """:func:`_source_positions` of the values asked about, by path."""
        return {}


#: What YAML counts as a line break (PyYAML's marks count lines the same way).
_BREAK = re.compile(r"\r\n|[\n\r\x85\u2028\u2029]")


def _line_starts(text: str) -> list[int]:
    if any(c in text for c in "\r\x85\u2028\u2029"):
        return [0, *(match.end() for match in _BREAK.finditer(text))]
    starts = list(itertools.accumulate((len(line) + 1 for line in text.split("\n")), initial=0))
    return starts[:-1]  # only '\n' breaks lines: each line starts after the one before


def _location(file: str, line_starts: list[int], index: int) -> Location:
    line = bisect.bisect_right(line_starts, index)
    return Location(file, line, index - line_starts[line - 1] + 1)


# -- from a place in a value back to the place in the file ------------------------------
#
# YAML rewrites a scalar's text as it reads it: lines are folded into spaces, indentation
# and quotes are dropped, '' and backslash escapes become one character. To point at a
# name inside a condition we walk the written text in pieces, each either one character
# of the value (perhaps written as an escape) or a run of blanks, which folding may have
# shortened, and pair them with the characters of the value in order.


class _Piece:
    """One piece of a scalar's written text: ``start`` and ``end`` index in the file."""

    __slots__ = ("start", "end", "blank", "reads_as")

    def __init__(self, start: int, end: int, blank: bool = False, reads_as: int | None = 1):
        self.start = start
        self.end = end
        #: A run of spaces and line breaks, rather than one character (perhaps an escape).
        self.blank = blank
        #: How many characters of the value the piece reads as; None for a blank run in a
        #: block scalar, which reads as exactly the blanks the value has at that point.
        self.reads_as = reads_as


_BLANKS = re.compile(r"(?:[ \t]|\r\n|[\n\r\x85\u2028\u2029])+")
#: In "double quotes" a backslash at the end of a line joins the lines without a space.
_BLANKS_DOUBLE_QUOTED = re.compile(r"(?:[ \t]|\\?(?:\r\n|[\n\r\x85\u2028\u2029]))+")
_BLANK_PARTS = re.compile(r"[ \t]+|\\?(?:\r\n|[\n\r\x85\u2028\u2029])")
_HEX_DIGITS_AFTER = {"x": 2, "u": 4, "U": 8}


def _source_positions(text: str, span: Span, value: str) -> list[int]:
    """For each character of ``value`` (and for its end), its index in ``text``."""
    start, end = _content_range(text, span)
    positions: list[int] = []
    after_last = start
    for piece in _pieces(text, start, end, span.style):
        count = piece.reads_as
        if count is None:
            rest = value[len(positions) :]
            count = len(rest) - len(rest.lstrip(" \t\n"))
        positions.extend(min(piece.start + i, piece.end - 1) for i in range(count))
        if not piece.blank:
            after_last = piece.end
    del positions[len(value) :]
    positions.extend([after_last] * (len(value) + 1 - len(positions)))
    return positions


def _content_range(text: str, span: Span) -> tuple[int, int]:
    """Where the characters of the value are written: inside the quotes, or below the
    header line of a block scalar (from its line break, which then counts as a blank)."""
    if span.style in ("'", '"'):
        return span.start + 1, span.end - 1
    if span.style in ("|", ">"):
        header_end = _BREAK.search(text, span.start, span.end)
        return (header_end.start() if header_end else span.end), span.end
    return span.start, span.end


def _pieces(text: str, start: int, end: int, style: str | None) -> Iterator[_Piece]:
    blanks = _BLANKS_DOUBLE_QUOTED if style == '"' else _BLANKS
    in_block = style in ("|", ">")
    index = start
    while index < end:
        run = blanks.match(text, index, end)
        if run:
            reads_as = None if in_block else _flow_blanks_length(run.group())
            yield _Piece(index, run.end(), blank=True, reads_as=reads_as)
            index = run.end()
        else:
            length = _escape_length(text, index, style)
            yield _Piece(index, index + length)
            index += length


def _flow_blanks_length(run: str) -> int:
    """How many characters blanks inside a plain or quoted scalar read as.

    As PyYAML reads them: blanks before a line break are dropped and so is the indentation
    after it; a break reads as a space, or n breaks in a row as n-1 newlines; a break
    escaped with a backslash (in double quotes) reads as nothing, the breaks after it as
    newlines, while the blanks before the backslash are kept.
    """
    length = 0
    kept_blanks = 0  # blanks not followed (yet) by a line break
    folding: int | None = None  # breaks after the first of an unescaped fold
    after_escape = False
    for part in _BLANK_PARTS.findall(run):
        if part[0] in " \t":
            kept_blanks += 0 if folding is not None or after_escape else len(part)
        elif part[0] == "\\":
            length += kept_blanks + _folded_length(folding)
            kept_blanks, folding, after_escape = 0, None, True
        elif after_escape:
            length += 1
        elif folding is None:
            kept_blanks, folding = 0, 0
        else:
            folding += 1
    return length + kept_blanks + _folded_length(folding)


def _folded_length(breaks_after_first: int | None) -> int:
    if breaks_after_first is None:
        return 0
    return breaks_after_first or 1


def _escape_length(text: str, index: int, style: str | None) -> int:
    """How many written characters make up the one value character at ``index``."""
    if style == "'" and text.startswith("''", index):
        return 2
    if style == '"' and text[index] == "\\":
        return 2 + _HEX_DIGITS_AFTER.get(text[index + 1 : index + 2], 0)
    return 1


def read_file(path: str | os.PathLike[str], file: str) -> str:
    """The text of the file at ``path`` (reported as ``file``), refusing an absurd size
    before reading it; raises OSError if it cannot be read, YamlProblem if it is refused."""
    size = os.stat(path).st_size
    if size > MAX_BYTES:
        raise YamlProblem(Location(file, 1, 1), _too_large(size))
    with open(path, "rb") as stream:
        # The file may have grown since: read no more than decode() needs to refuse it.
        return decode(stream.read(MAX_BYTES + 1), file)


def decode(raw: bytes, file: str) -> str:
    """Bytes → text, refusing what is too large or not UTF-8 with the place it went wrong."""
    if len(raw) > MAX_BYTES:
        raise YamlProblem(Location(file, 1, 1), _too_large(len(raw)))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        before = raw[: error.start]
        line = before.count(b"\n") + 1
        column = error.start - (before.rfind(b"\n") + 1) + 1
        raise YamlProblem(
            Location(file, line, column),
            f"byte 0x{raw[error.start]:02x} is not UTF-8; save the file as UTF-8",
        ) from None


def _too_large(size: int) -> str:
    return f"the file is {size:,} bytes; process files are at most {MAX_BYTES:,} bytes"


def read(text: str, file: str) -> Document:
    """Parse ``text`` into a :class:`Document`, or raise :class:`YamlProblem`."""
    if len(text) > MAX_BYTES:
        raise YamlProblem(Location(file, 1, 1), f"the file is longer than {MAX_BYTES:,} characters")
    tab = _indenting_tab(text, file)
    if tab:
        raise YamlProblem(tab, "a tab is used to indent; indent with spaces instead")
    document = Document(file, None, {}, {}, text)
    if LIBYAML and _libyaml_reads_as_pyyaml(text):
        try:
            _read_with(_FastLoader, document)
            return document
        except Exception:  # noqa: BLE001 - the reference parser below says what is wrong
            document = Document(file, None, {}, {}, text)
    _read_with(_Loader, document)
    return document


def _read_with(loader_class: Callable[[str, str], Any], document: Document) -> None:
    """Read ``document.text`` with ``loader_class`` into ``document``; every way PyYAML
    can fail becomes a YamlProblem.

    libyaml's C parser reads text it reads as PyYAML would (see _FastLoader). Whatever it
    refuses (or anything else going wrong with it) is read again by PyYAML's pure-Python
    parser, which gives the messages and places users know: errors are rare, so only
    valid files need speed.
    """
    text, file = document.text, document.file
    loader = None
    try:
        # The reader refuses control characters as soon as it is built, so build it here.
        loader = loader_class(text, file)
        loader.read_into(document)
    except YamlProblem:
        raise
    except yaml.reader.ReaderError as error:
        where = _location(file, _line_starts(text), error.position)
        raise YamlProblem(where, _unprintable_message(error.character)) from None
    except yaml.MarkedYAMLError as error:
        mark = _mark_to_show(error, text)
        where = _where(file, mark) if mark else Location(file, 1, 1)
        raise YamlProblem(where, _yaml_message(error, text)) from None
    except yaml.YAMLError as error:
        raise YamlProblem(Location(file, 1, 1), f"not valid YAML: {error}") from None
    except RecursionError:
        raise YamlProblem(
            Location(file, 1, 1), "nested too deeply to read; flatten the structure"
        ) from None
    finally:
        if loader is not None:
            loader.dispose()


def _unprintable_message(character: Any) -> str:
    code = character if isinstance(character, int) else ord(character)
    return f"character U+{code:04X} cannot appear in a process file; remove it"


_TAB_IN_INDENT = re.compile(r" *\t")


def _indenting_tab(text: str, file: str) -> Location | None:
    """Where the first tab among a line's leading whitespace is, if any."""
    if "\t" not in text:
        return None
    starts = _line_starts(text)
    for start in starts:
        tab = _TAB_IN_INDENT.match(text, start)
        if tab:
            return _location(file, starts, tab.end() - 1)
    return None


_CLOSING = {"{": "}", "[": "]"}

_STRAY_COLON = (
    "a ':' where YAML does not expect one; put text containing ': ' in quotes, "
    "or check the indentation of this line"
)


def _flow_bracket(error: yaml.MarkedYAMLError) -> str | None:
    """'{' or '[' when PyYAML gave up inside a flow collection (written on one line)."""
    context = error.context or ""
    if not context.startswith("while parsing a flow") or error.context_mark is None:
        return None
    return "{" if "mapping" in context else "["


def _left_open(error: yaml.MarkedYAMLError, text: str) -> bool:
    """Whether the bracket PyYAML gave up inside was never closed.

    PyYAML notices only where the text stops making sense: a later line indented no
    deeper than the bracket's (a sibling key, or the end of the file), which cannot be
    more of what the bracket holds. The place to edit is then the bracket itself.
    """
    opened, stopped = error.context_mark, error.problem_mark
    if opened is None or stopped is None or _flow_bracket(error) is None:
        return False
    if stopped.line <= opened.line:
        return False
    return _indentation(text, stopped.index) <= _indentation(text, opened.index)


def _indentation(text: str, index: int) -> int:
    line = text[text.rfind("\n", 0, index) + 1 : index]
    return len(line) - len(line.lstrip(" "))


def _mark_to_show(error: yaml.MarkedYAMLError, text: str) -> Any:
    if _left_open(error, text):
        return error.context_mark
    return error.problem_mark or error.context_mark


def _yaml_message(error: yaml.MarkedYAMLError, text: str) -> str:
    problem = (error.problem or "").strip()
    context = (error.context or "").strip()
    bracket = _flow_bracket(error)
    if bracket and _left_open(error, text):
        return (
            f"this '{bracket}' is never closed; write '{_CLOSING[bracket]}' after the last "
            "entry it holds"
        )
    if "mapping values are not allowed" in problem or (bracket and problem.endswith("':'")):
        return _STRAY_COLON
    if bracket and problem.startswith("expected ','"):
        return (
            f"expected ',' or '{_CLOSING[bracket]}' here: separate the entries of "
            f"'{bracket} ... {_CLOSING[bracket]}' with ',', close it with '{_CLOSING[bracket]}' "
            "and put text containing ',' in quotes"
        )
    if "could not find expected ':'" in problem:
        return "expected 'key: value' here; check the indentation and that the key ends with ':'"
    if "expected <block end>" in problem:
        return (
            "this line's indentation does not match the lines above; line it up with its siblings"
        )
    if "found character '\\t'" in problem:
        return "a tab character; use spaces instead"
    found = f"{context}, {problem}" if context else problem
    return f"not valid YAML: {found}"


def _tag_message(tag: str) -> str:
    return f"the tag '{tag}' is not allowed in process files; remove it"


def _scalar(tag: str, value: str) -> tuple[Any, str | None]:
    """The value a scalar with ``tag`` reads as, or what is wrong with it."""
    if tag not in _SCALAR_TAGS:
        return None, _tag_message(tag)
    try:
        if tag == "tag:yaml.org,2002:bool":
            return {"true": True, "false": False}[value.lower()], None
        if tag == "tag:yaml.org,2002:int":
            if len(value.lstrip("+-")) > 15:
                return None, "number too large"
            return int(value), None
        if tag == "tag:yaml.org,2002:float":
            return float(value), None
    except (KeyError, ValueError):  # only with a tag written out, as in '!!int abc'
        return None, f"the tag '{tag}' does not fit '{value}'; remove it"
    if tag == "tag:yaml.org,2002:null":
        return None, None
    return value, None
