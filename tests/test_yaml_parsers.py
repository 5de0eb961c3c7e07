"""libyaml's C parser and PyYAML's pure-Python parser read process files alike.

``engine.format.yamlsource`` reads text with libyaml's C parser when PyYAML has it (its wheels
do), many times faster, and reads again with PyYAML's pure-Python parser whatever libyaml
refuses, so that every message about a broken file is the one PyYAML's parser gives. The
two parsers do not accept quite the same language, so text libyaml might read otherwise
goes to the pure-Python parser alone. These tests hold the two paths to the same result:
the same data, the same line and column for every key and value, the same spans for
conditions, and the same one-line refusal, whichever parser PyYAML was built with.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from cspr_engine.cli import main
from cspr_engine.format import yamlsource
from cspr_engine.format.yamlsource import YamlProblem
from cspr_engine.problems import Location
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
#: Every YAML file in the repository: shipped processes and scenarios, test examples, and
#: the broken and hostile files whose messages the other tests pin.
CORPUS = sorted(
    path
    for folder in ("processes", "tests")
    for path in (ROOT / folder).rglob("*.y*ml")
    if path.is_file()
)

PARSERS = ["libyaml", "python"]


def use(parser: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Read with ``parser`` from now on in this test ('libyaml' when PyYAML has it)."""
    if parser == "libyaml" and not yamlsource.LIBYAML:
        pytest.skip("PyYAML was built without libyaml")
    monkeypatch.setattr(yamlsource, "LIBYAML", parser == "libyaml")


@pytest.fixture(params=PARSERS)
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test using this runs once with libyaml and once with the pure-Python parser."""
    use(request.param, monkeypatch)
    return request.param


def outcome(text: str, libyaml: bool) -> tuple[Any, ...]:
    """Everything ``yamlsource.read`` gives for ``text``: the document or the refusal."""
    saved = yamlsource.LIBYAML
    yamlsource.LIBYAML = libyaml and saved
    try:
        document = yamlsource.read(text, "f.yaml")
    except YamlProblem as problem:
        return ("refused", problem.where, problem.message)
    finally:
        yamlsource.LIBYAML = saved
    return ("read", document.data, document.value_at, document.key_at, document.span_at)


def both_alike(text: str) -> None:
    fast, reference = outcome(text, libyaml=True), outcome(text, libyaml=False)
    assert fast == reference, f"libyaml and PyYAML read {text!r} differently"


def test_libyaml_is_used_when_pyyaml_has_it():
    assert yaml.__with_libyaml__ == yamlsource.LIBYAML


@pytest.mark.skipif(not yamlsource.LIBYAML, reason="PyYAML was built without libyaml")
@pytest.mark.parametrize("name", ["cspr.yaml", "scr.yaml", "transitional.yaml"])
def test_shipped_processes_are_read_by_libyaml_alone(monkeypatch, name: str):
    def no_pure_python_parser(*_: Any) -> None:
        raise AssertionError("the pure-Python parser was used for a valid file")

    monkeypatch.setattr(yamlsource, "_Loader", no_pure_python_parser)
    text = (ROOT / "processes" / name).read_text(encoding="utf-8")
    assert yamlsource.read(text, name).data["states"]


def _decodes(path: Path) -> bool:
    try:
        yamlsource.decode(path.read_bytes(), path.name)
    except YamlProblem:
        return False
    return True


#: Files refused before any parser sees them (not UTF-8): nothing for the parsers to read.
NOT_UTF8 = sorted(str(p.relative_to(ROOT)) for p in CORPUS if not _decodes(p))


def test_the_only_file_left_out_is_the_one_that_is_not_utf8():
    assert NOT_UTF8 == ["tests/hostile/not_utf8.yaml"]


@pytest.mark.parametrize(
    "path",
    [p for p in CORPUS if str(p.relative_to(ROOT)) not in NOT_UTF8],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_every_yaml_file_in_the_repository_reads_alike(path: Path):
    both_alike(yamlsource.decode(path.read_bytes(), path.name))


def test_the_corpus_has_the_files_whose_messages_other_tests_pin():
    folders = {path.parent.name for path in CORPUS}
    assert {"processes", "scenarios", "examples", "broken", "hostile"} <= folders


#: Text and the refusal PyYAML's parser gives for it: libyaml must not change it.
REFUSALS = {
    "unclosed brace": (
        "a: {b: 1\nc: 2\n",
        (1, 4),
        "this '{' is never closed; write '}' after the last entry it holds",
    ),
    "stray colon": (
        "a: b: c\n",
        (1, 5),
        "a ':' where YAML does not expect one; put text containing ': ' in quotes, "
        "or check the indentation of this line",
    ),
    "under-indented": (
        "a:\n    b: 1\n  c: 2\n",
        (3, 3),
        "this line's indentation does not match the lines above; line it up with its siblings",
    ),
    "alias": (
        "a: 1\nb: *x\n",
        (2, 4),
        "aliases (*name) are not allowed in process files; write the value out in full",
    ),
    "anchor": (
        "a: &x 1\n",
        (1, 4),
        "anchors (&name) are not allowed in process files; write each value out in full",
    ),
    "python tag": (
        "a: !!python/name:os.system x\n",
        (1, 4),
        "the tag 'tag:yaml.org,2002:python/name:os.system' is not allowed in process files; "
        "remove it",
    ),
    "duplicate key": (
        "a: 1\nb: 2\na: 3\n",
        (3, 1),
        "duplicate key 'a' (first written at line 1); remove one of them or merge what they say",
    ),
    "mapping as key": ("? {a: 1}\n: 2\n", (1, 3), "a key must be a plain word"),
    "control character": (
        "a: b\x07c\n",
        (1, 5),
        "character U+0007 cannot appear in a process file; remove it",
    ),
    "too deep": (
        "a: " + "[" * 65 + "]" * 65 + "\n",
        (1, 67),
        "nested more than 64 levels deep; flatten the structure",
    ),
    "tab indent": ("a:\n\tb: 1\n", (2, 1), "a tab is used to indent; indent with spaces instead"),
    "tag that does not fit": (
        "a: !!int abc\n",
        (1, 4),
        "the tag 'tag:yaml.org,2002:int' does not fit 'abc'; remove it",
    ),
    # libyaml accepts these three; PyYAML's parser, which decides, does not.
    "comment after '|'": (
        "a: |#\n  b\n",
        (1, 5),
        "not valid YAML: while scanning a block scalar, expected chomping or indentation "
        "indicators, but found '#'",
    ),
    "'?' in a flow value": (
        "a: [b ? c]\n",
        (1, 7),
        "expected ',' or ']' here: separate the entries of '[ ... ]' with ',', close it "
        "with ']' and put text containing ',' in quotes",
    ),
    "tab after a value": ("a: b\t\n", (1, 5), "a tab character; use spaces instead"),
    "second document": (
        "a: 1\n---\nb: 2\n",
        (2, 1),
        "not valid YAML: expected a single document in the stream, but found another document",
    ),
}


@pytest.mark.parametrize(("text", "at", "message"), REFUSALS.values(), ids=REFUSALS.keys())
def test_refusals_are_the_same_with_either_parser(parser, text: str, at: tuple, message: str):
    with pytest.raises(YamlProblem) as caught:
        yamlsource.read(text, "f.yaml")
    assert caught.value.where == Location("f.yaml", *at)
    assert caught.value.message == message


@pytest.mark.parametrize("value", ['!!int ""', "!!int 0x1F", "!!float many", "!!bool maybe"])
def test_a_tag_that_does_not_fit_its_value_is_one_line_not_a_traceback(tmp_path, value: str):
    path = tmp_path / "tagged.yaml"
    path.write_text(f"process: {value}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "does not fit" in result.output
    assert "remove it" in result.output
    assert "Traceback" not in result.output


#: Text both parsers accept, where they might place things differently.
ACCEPTED = {
    "no final line break": "a: b\nc:",
    "empty value at the end": "a:\n  b:\n",
    "windows line breaks": "a: 1\r\nb: 'two\r\n  lines'\r\n",
    "byte order mark": "\ufeffa: 1\nb: 2\n",
    "unicode line separator": "a: 'x\u2028y'\n",
    "non-ascii before a condition": "é€😀: 'naïve'\nwhen: \"a and\n  b\"\n",
    "block scalars": "a: |\n  x\n   y\nb: >-\n  p\n\n  q\nc: |+\n  k\n\n",
    "escapes": "a: \"\\x41\\u00e9\\U0001F600\\n\\\\ \\/\"\nb: 'it''s'\n",
    "flow collections": "a: [b, c, {d: e}]\nf: {g: [h]}\n",
    "tab inside quotes": "a: 'x\ty'\n",
    "non-specific tag '!'": "a: ! x\nb: ! ''\n",
    "empty values in braces": "a: {type: final, source: }\nb: {c}\nd: [e, {f: }]\n",
}


@pytest.mark.parametrize("text", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_what_both_parsers_accept_reads_alike(text: str):
    assert outcome(text, libyaml=False)[0] == "read"
    both_alike(text)


PIECES = [
    "a", "b c", "é", "😀", ":", ": ", "-", "- ", "? ", "?", " ", "  ", "\n", "\n  ", "\n    ",
    "'", '"', "''", "\\", "\\x41", "\\n", "[", "]", "{", "}", ",", "#", " #", "|", ">", "|-",
    ">+", "|2", "&x ", "*x", "!!str ", "! ", "---", "...", "%YAML 1.1\n", "1", "-1.5e3",
    "true", "~", "@", "`", "\t", "\r\n", "\x85", "\ufeff", "k: |\n  t\n", "x: y\n", "<<",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=14), st.booleans())
def test_any_text_reads_alike(pieces: list[str], final_break: bool):
    both_alike("".join(pieces) + ("\n" if final_break else ""))


BASE = (ROOT / "tests" / "broken" / "valid_base.yaml").read_text(encoding="utf-8")
EDITS = [*":-?[]{},#|>'\"!&*@` \n\\", "  ", "\n  ", ": ", "- ", "é"]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, len(BASE) - 1), st.integers(0, 2), st.sampled_from(EDITS)),
        min_size=1,
        max_size=3,
    )
)
def test_a_process_file_with_small_slips_reads_alike(slips: list[tuple[int, int, str]]):
    """Each slip replaces a few characters of a valid file (perhaps none) with a few
    others (perhaps none), as a slip of the keyboard might."""
    text = BASE
    for at, removed, typed in slips:
        at = min(at, len(text))
        text = text[:at] + typed + text[at + removed :]
    both_alike(text)


@pytest.mark.parametrize("name", ["cspr.yaml", "scr.yaml", "transitional.yaml"])
def test_places_inside_values_agree_with_the_written_text(name: str):
    """``text_offset`` takes a shortcut for values written just as they read; every
    character of every text value must land where the full walk over the text puts it."""
    document = yamlsource.read((ROOT / "processes" / name).read_text(encoding="utf-8"), name)
    for path, span in document.span_at.items():
        value = document.value(path)
        if not isinstance(value, str):
            continue
        positions = yamlsource._source_positions(document.text, span, value)
        for offset in range(len(value) + 1):
            expected = document.location_of(positions[offset])
            assert document.text_offset(path, offset) == expected, (path, offset)
