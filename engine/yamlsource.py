"""Strict YAML reading that keeps the line and column of every node.

Process and scenario files are written by people who are not programmers, so this reader
refuses what PyYAML would silently accept or run: duplicate keys (PyYAML keeps the last),
anchors and aliases (the "billion laughs"), tags such as ``!!python/object``, tabs, files
that are not UTF-8, and absurd sizes or nesting. Only ``true``/``false`` are booleans (YAML
1.1's ``on``, ``yes`` and ``no`` are text, since ``on:`` is a key of the format) and dates
stay text, so that an impossible date gets our own explanation rather than a crash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from .model import Location

MAX_BYTES = 1_000_000
MAX_DEPTH = 64

Path = tuple[str | int, ...]


class _Resolver(yaml.resolver.BaseResolver):
    """YAML 1.2-like scalars: null, true/false, integers and decimals; all else is text."""


_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789")
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789."),
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)

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


class _Loader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    _Resolver,
):
    def __init__(self, text: str, file: str):
        yaml.reader.Reader.__init__(self, text)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _Resolver.__init__(self)
        self.file = file
        self.depth = 0

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise YamlProblem(
                _where(self.file, event.start_mark),
                "aliases (*name) are not allowed in process files; write the value out in full",
            )
        event = self.peek_event()
        if getattr(event, "anchor", None):
            raise YamlProblem(
                _where(self.file, event.start_mark),
                "anchors (&name) are not allowed in process files; write each value out in full",
            )
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise YamlProblem(
                _where(self.file, event.start_mark),
                f"nested more than {MAX_DEPTH} levels deep; flatten the structure",
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _where(file: str, mark: Any) -> Location:
    return Location(file, mark.line + 1, mark.column + 1)


@dataclass
class Document:
    """Plain data read from YAML plus the location of every key and value by path."""

    file: str
    data: Any
    value_at: dict[Path, Location]
    key_at: dict[Path, Location]
    style_at: dict[Path, str | None]

    def where(self, path: Path, key: bool = False) -> Location:
        """Location of the value (or the key) at ``path``, or of its nearest ancestor."""
        table = self.key_at if key else self.value_at
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if not key and probe in self.key_at:
                return self.key_at[probe]
            probe = probe[:-1]
        return self.value_at.get((), Location(self.file, 1, 1))

    def text_offset(self, path: Path, offset: int) -> Location:
        """Location of character ``offset`` inside the one-line text value at ``path``."""
        start = self.where(path)
        style = self.style_at.get(tuple(path))
        if style in ("'", '"'):
            return Location(start.file, start.line, start.column + 1 + offset)
        if style is None:
            return Location(start.file, start.line, start.column + offset)
        return start


def decode(raw: bytes, file: str) -> str:
    """Bytes → text, refusing what is too large or not UTF-8 with the place it went wrong."""
    if len(raw) > MAX_BYTES:
        raise YamlProblem(
            Location(file, 1, 1),
            f"the file is {len(raw):,} bytes; process files are at most {MAX_BYTES:,} bytes",
        )
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


def read(text: str, file: str) -> Document:
    """Parse ``text`` into a :class:`Document`, or raise :class:`YamlProblem`."""
    if len(text) > MAX_BYTES:
        raise YamlProblem(Location(file, 1, 1), f"the file is longer than {MAX_BYTES:,} characters")
    tab = _leading_tab(text)
    if tab:
        raise YamlProblem(
            Location(file, tab, 1), "a tab is used to indent; indent with spaces instead"
        )
    loader = _Loader(text, file)
    try:
        node = loader.get_single_node()
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = _where(file, mark) if mark else Location(file, 1, 1)
        raise YamlProblem(where, _yaml_message(error)) from None
    except yaml.YAMLError as error:
        raise YamlProblem(Location(file, 1, 1), f"not valid YAML: {error}") from None
    except RecursionError:
        raise YamlProblem(
            Location(file, 1, 1), "nested too deeply to read; flatten the structure"
        ) from None
    finally:
        loader.dispose()
    document = Document(file, None, {}, {}, {})
    if node is None:
        return document
    document.data = _convert(node, (), document)
    return document


def _leading_tab(text: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip(" ")
        if stripped.startswith("\t"):
            return number
    return 0


def _yaml_message(error: yaml.MarkedYAMLError) -> str:
    problem = (error.problem or "").strip()
    context = (error.context or "").strip()
    if "mapping values are not allowed" in problem:
        return (
            "a ':' where YAML does not expect one; put text containing ': ' in quotes, "
            "or check the indentation of this line"
        )
    if "could not find expected ':'" in problem:
        return "expected 'key: value' here; check the indentation and that the key ends with ':'"
    if "found character '\\t'" in problem:
        return "a tab character; use spaces instead"
    text = f"{context}, {problem}" if context else problem
    return f"not valid YAML: {text}"


def _convert(node: yaml.Node, path: Path, document: Document) -> Any:
    document.value_at[path] = _where(document.file, node.start_mark)
    if isinstance(node, yaml.ScalarNode):
        document.style_at[path] = node.style
        return _scalar(node, document.file)
    if isinstance(node, yaml.SequenceNode):
        _check_tag(node, "tag:yaml.org,2002:seq", document.file)
        return [_convert(item, (*path, i), document) for i, item in enumerate(node.value)]
    _check_tag(node, "tag:yaml.org,2002:map", document.file)
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise YamlProblem(
                _where(document.file, key_node.start_mark), "a key must be a plain word"
            )
        key = str(_scalar(key_node, document.file))
        key_path = (*path, key)
        if key in result:
            first = document.key_at[key_path]
            raise YamlProblem(
                _where(document.file, key_node.start_mark),
                f"duplicate key '{key}' (first written at line {first.line}); "
                "remove one of them or merge what they say",
            )
        document.key_at[key_path] = _where(document.file, key_node.start_mark)
        result[key] = _convert(value_node, key_path, document)
    return result


def _check_tag(node: yaml.Node, expected: str, file: str) -> None:
    if node.tag != expected:
        raise YamlProblem(
            _where(file, node.start_mark),
            f"the tag '{node.tag}' is not allowed in process files; remove it",
        )


def _scalar(node: yaml.ScalarNode, file: str) -> Any:
    tag = node.tag
    if tag not in _SCALAR_TAGS:
        raise YamlProblem(
            _where(file, node.start_mark),
            f"the tag '{tag}' is not allowed in process files; remove it",
        )
    value = node.value
    if tag == "tag:yaml.org,2002:bool":
        return value.lower() == "true"
    if tag == "tag:yaml.org,2002:int":
        if len(value.lstrip("+-")) > 15:
            raise YamlProblem(_where(file, node.start_mark), "number too large")
        return int(value)
    if tag == "tag:yaml.org,2002:float":
        return float(value)
    if tag == "tag:yaml.org,2002:null":
        return None
    return value
