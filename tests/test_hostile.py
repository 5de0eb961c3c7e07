"""Hostile input: process files that try to exhaust, confuse or run code, and command lines
that try to slip bad data into a case. Each is refused with one clear line (or, where it is
legitimate, stored exactly), never with a traceback, never running code, and nothing else
in the store changes.

``tests/hostile/`` is the corpus of small hostile files; the large ones (a 50 MB file,
nesting 10,000 deep) and the wrong-type variants are written to ``tmp_path`` by the tests.
Subprocess timeouts here only stop a hang; speed is measured by ``bench/``.
"""

from __future__ import annotations

import builtins
import copy
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from cspr_engine.cases.runtime import Refused, Runtime
from cspr_engine.cli import main
from cspr_engine.conditions import ExpressionError, parse
from cspr_engine.format.loader import LoadError, load_process
from cspr_engine.store.database import Store
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.storedump import dump, only_added

TESTS = Path(__file__).resolve().parent
HOSTILE = TESTS / "hostile"
BASE = TESTS / "broken" / "valid_base.yaml"
MINI = str(TESTS / "examples" / "mini.yaml")
CODE = HOSTILE / "code_in_conditions.yaml"
#: What the conditions in code_in_conditions.yaml would create if any of them ran.
MARKER = "cspr-code-ran"


def cspr_process(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cspr_engine.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,  # a hang guard, not a speed check
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(TESTS.parent), "CSPR_NO_CACHE": "1"},
    )


def write_large_files(folder: Path) -> list[Path]:
    """A 50 MB file and files nested 10,000 deep, written at test time (not committed)."""
    huge = folder / "huge.yaml"
    with huge.open("wb") as out:
        out.write(b"process: huge\nstates:\n")
        out.write(b"  s: {source: a, title: '" + b"x" * (50 * 1024 * 1024) + b"'}\n")
    deep_block = folder / "deep_block.yaml"
    deep_block.write_text("process: deep\nstates:\n" + "- " * 10_000 + "x\n", encoding="utf-8")
    deep_flow = folder / "deep_flow.yaml"
    deep_flow.write_text("states: " + "{a: " * 10_000 + "1" + "}" * 10_000 + "\n")
    return [huge, deep_block, deep_flow]


# -- hostile process files ------------------------------------------------------------------------


def test_every_hostile_file_is_refused_by_cspr_validate_one_line_each(tmp_path):
    """Through the real command: exit 1, every line file:line:col: message, a summary,
    no traceback, and nothing created by code in a file."""
    files = sorted(HOSTILE.glob("*.yaml")) + write_large_files(tmp_path)
    result = cspr_process("validate", *map(str, files), cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.splitlines() == [f"{len(result.stdout.splitlines())} problems in "
                                          f"{len(files)} file(s)"]  # fmt: skip
    reported = {}
    for line in result.stdout.splitlines():
        match = re.fullmatch(r"(.+?):(\d+):(\d+): (\S.*)", line)
        assert match, line
        reported.setdefault(Path(match[1]).name, []).append(match[4])
    assert set(reported) == {f.name for f in files}
    assert not (tmp_path / MARKER).exists()
    assert "bytes" in reported["huge.yaml"][0]
    assert "nested more than 64 levels deep" in reported["deep_block.yaml"][0]
    assert "nested more than 64 levels deep" in reported["deep_flow.yaml"][0]
    assert reported["duplicate_keys.yaml"] == [
        "duplicate key 'states' (first written at line 8); remove one of them or merge what "
        "they say"
    ]


def code_conditions() -> Iterator[tuple[int, str]]:
    """(line, text) of each condition in code_in_conditions.yaml."""
    for number, line in enumerate(CODE.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("  code_"):
            yield number, json.loads(line.split(": ", 1)[1])


def test_conditions_that_reach_for_python_are_each_refused_where_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    load_process(BASE)  # warm up lazily imported modules before refusing eval and friends

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("the loader called eval/exec/compile")

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, refuse)
    with pytest.raises(LoadError) as caught:
        load_process(CODE)
    expected = dict(code_conditions())
    assert len(expected) >= 25
    assert sorted(p.where.line for p in caught.value.problems) == sorted(expected)
    kinds = ("not allowed", "not part of the condition language", "expected", "write 'and'")
    for problem in caught.value.problems:
        assert any(kind in problem.message for kind in kinds), problem.message
        assert "\n" not in problem.message
    assert list(tmp_path.iterdir()) == []


def test_the_corpus_covers_what_the_issue_lists():
    texts = "\n".join(text for _, text in code_conditions())
    for attempt in ("__import__", "__class__", "__subclasses__", "lambda", " for ", "9**9**9",
                    "open(", "exec(", "eval(", "globals()", "import os", "yield"):  # fmt: skip
        assert attempt in texts, attempt


def _paths(node: Any, prefix: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        yield (*prefix, key), value
        if isinstance(value, (dict, list)):
            yield from _paths(value, (*prefix, key))


def _wrong(value: Any, index: int) -> Any:
    """A value of another type than ``value`` (which one varies with ``index``)."""
    if isinstance(value, dict):
        return [["a", "list"], "some text", None][index % 3]
    if isinstance(value, list):
        return [{"a": "mapping"}, "some text", None][index % 3]
    return [[value], {"key": value}, None][index % 3]


def wrong_type_variants() -> list[tuple[str, dict]]:
    """valid_base.yaml with one value, at every place in the file, of the wrong type."""
    base = yaml.safe_load(BASE.read_text(encoding="utf-8"))
    variants = []
    for index, (path, value) in enumerate(_paths(base)):
        document = copy.deepcopy(base)
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = _wrong(value, index)
        variants.append(("/".join(map(str, path)), document))
    return variants


def test_a_value_of_the_wrong_type_anywhere_is_refused_in_one_line_each(tmp_path):
    variants = wrong_type_variants()
    assert len(variants) > 60
    accepted = []
    for where, document in variants:
        path = tmp_path / "wrong.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        try:
            load_process(path)
        except LoadError as error:
            assert error.problems, where
            for problem in error.problems:
                assert problem.where.line >= 1 and "\n" not in problem.message, where
        else:
            accepted.append(where)
    assert accepted == []


def test_a_key_of_the_wrong_type_is_refused(tmp_path):
    text = BASE.read_text(encoding="utf-8")
    for wrong in ("  1:", "  [a, b]:", "  ? {a: 1}\n  :", "  null:", "  true:"):
        path = tmp_path / "key.yaml"
        path.write_text(text.replace("  notifying:", wrong, 1), encoding="utf-8")
        with pytest.raises(LoadError) as caught:
            load_process(path)
        assert all("\n" not in p.message for p in caught.value.problems)


def test_a_hostile_process_file_cannot_open_a_case(tmp_path):
    db = str(tmp_path / "cases.db")
    for file in [*sorted(HOSTILE.glob("*.yaml")), *write_large_files(tmp_path)]:
        result = CliRunner().invoke(main, ["--db", db, "case", "open", str(file)])
        assert result.exit_code == 1, (file, result.output)
        assert result.output.startswith("cspr: "), result.output
        assert "Traceback" not in result.output
    with Store(db) as store:
        assert store.cases() == []
    assert not (tmp_path / MARKER).exists()


# -- fuzzing the condition language ---------------------------------------------------------------

PYTHON_TOKENS = [
    "__import__", "__class__", "__globals__", "__builtins__", "os", "system", "lambda", "for",
    "in", "if", "else", "import", "yield", "await", "print", "eval", "exec", "open",
    "(", ")", "[", "]", "{", "}", ".", ",", ":", ";", "**", "*", "+", "-", "/", "%", "@",
    "=", "==", "!=", "<", ">=", ":=", "9", "9**9**9", "'x'", '"y"', "f'{x}'", "\\", "#",
    "and", "or", "not", "is", "set", "active", "true", "false", "today", "2019-02-30",
    "child_died", "aware_on", "\n", "\t", "\x00", "é", "𝑥", "\u202e",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PYTHON_TOKENS), min_size=1, max_size=12))
def test_python_looking_conditions_parse_or_are_refused_cleanly(tokens: list[str]) -> None:
    """Random mixes of Python and condition tokens: parsed, or refused with the language's
    own error at a place in the text; nothing else ever escapes."""
    for joiner in (" ", ""):
        text = joiner.join(tokens)
        try:
            parse(text)
        except ExpressionError as problem:
            assert 0 <= problem.offset <= len(text) and problem.message


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=80))
def test_any_condition_text_in_a_process_file_loads_or_is_refused(tmp_path_factory, text):
    """Whatever a condition says, loading the file gives a process or a LoadError."""
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.yaml"
    source = BASE.read_text(encoding="utf-8").replace(
        "\"abuse_or_neglect in ['known', 'suspected'] and child_died\"", json.dumps(text)
    )
    path.write_text(source, encoding="utf-8")
    try:
        load_process(path)
    except LoadError as error:
        assert error.problems


# -- hostile command lines ------------------------------------------------------------------------


@pytest.fixture
def db(tmp_path) -> str:
    path = str(tmp_path / "cases.db")
    with Store(path) as store:
        runtime = Runtime(store)
        facts = {"aware_on": "2019-12-20", "child_died": "true", "abuse_or_neglect": "known"}
        runtime.open(MINI, facts, on=D("2019-12-20"), ref="LA-1", by="tester")
        runtime.send("LA-1", "panel_notified", on=D("2019-12-23"), by="tester")
        runtime.send("LA-1", "review_done", on=D("2020-01-06"), by="tester")  # now publishing
    return path


def D(text: str):  # noqa: N802 - reads like a date literal
    import datetime as dt

    return dt.date.fromisoformat(text)


MEGABYTE_NOTE = "x" * 1_000_000

HOSTILE_COMMANDS = {
    "impossible --on": ["case", "send", "LA-1", "published", "--on", "2019-02-30"],
    "impossible --as-of": ["tick", "--as-of", "2020-13-01"],
    "not a date": ["case", "set", "LA-1", "child_died=true", "--on", "yesterday"],
    "impossible date fact": ["case", "set", "LA-1", "aware_on=2019-02-29"],
    "last day of the calendar --on": ["case", "send", "LA-1", "published", "--on", "9999-12-31"],
    "date fact near the calendar's end": ["case", "set", "LA-1", "aware_on=9999-12-20"],
    "mistyped year fact": ["case", "set", "LA-1", "decided_on=1019-12-20"],
    "year 0": ["case", "set", "LA-1", "aware_on=0000-01-01"],
    "before the opening": ["case", "set", "LA-1", "child_died=false", "--on", "2019-12-19"],
    "in the future": ["case", "set", "LA-1", "child_died=false", "--on", "2099-01-05"],
    "unknown fact": ["case", "set", "LA-1", "childs_name=Jane"],
    "wrong type boolean": ["case", "set", "LA-1", "child_died=perhaps"],
    "wrong type choice": ["case", "set", "LA-1", "abuse_or_neglect=probably"],
    "wrong type date": ["case", "set", "LA-1", "decided_on=true"],
    "no value": ["case", "set", "LA-1", "child_died"],
    "unknown fact with an event": ["case", "send", "LA-1", "published", "--fact", "x=1"],
    "unknown event": ["case", "send", "LA-1", "published; DROP TABLE cases"],
    "event not allowed": ["case", "send", "LA-1", "panel_notified"],
    "1 MB note": ["case", "send", "LA-1", "published", "--on", "2020-01-07", "--note",
                  MEGABYTE_NOTE],
    "unknown case id": ["case", "send", "999", "published"],
    "negative case id": ["case", "show", "--", "-1"],
    "SQL as a case": ["case", "send", "1 OR 1=1", "published"],
    "quote as a case": ["case", "send", "' OR ''='", "published"],
    "unknown process": ["case", "open", "no_such_process", "--ref", "LA-2"],
    "process path": ["case", "open", "../../../../etc/passwd", "--ref", "LA-2"],
    "process not yaml": ["case", "open", "/etc/hostname", "--ref", "LA-2"],
    "duplicate reference": ["case", "open", MINI, "--ref", "LA-1"],
    "all-digit reference": ["case", "open", MINI, "--ref", "12345"],
    "control character reference": ["case", "open", MINI, "--ref", "LA\x1b[31m-2"],
    "right-to-left override reference": ["case", "open", MINI, "--ref", "LA-\u202e2-AL"],
    "zero-width reference": ["case", "open", MINI, "--ref", "LA-\u200b1"],
    "blank reference": ["case", "open", MINI, "--ref", "   "],
    "overlong reference": ["case", "open", MINI, "--ref", "L" * 201],
    "control character --by": ["case", "send", "LA-1", "published", "--by", "a\x07b"],
    "neither case nor --all": ["case", "verify"],
}  # fmt: skip


@pytest.mark.parametrize("args", HOSTILE_COMMANDS.values(), ids=HOSTILE_COMMANDS.keys())
def test_hostile_command_is_refused_in_one_line_and_changes_nothing(db, args):
    before = dump(db)
    result = CliRunner().invoke(main, ["--db", db, *args])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("cspr: ") and result.output.count("\n") == 1, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert dump(db) == before


USAGE_MISTAKES = {
    "days out of range": ["due", "--within", "99999999"],
    "negative days": ["due", "--within", "-5"],
    "days not a number": ["due", "--within", "abc"],
    "unknown option": ["case", "send", "LA-1", "published", "--when", "2020-01-07"],
    "missing event": ["case", "send", "LA-1"],
}


@pytest.mark.parametrize("args", USAGE_MISTAKES.values(), ids=USAGE_MISTAKES.keys())
def test_usage_mistakes_say_so_and_change_nothing(db, args):
    """Options of the wrong shape are click's usage errors (exit 2, the usage and one
    Error: line), never an internal error."""
    before = dump(db)
    result = CliRunner().invoke(main, ["--db", db, *args])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("Usage: ") and result.output.count("Error: ") == 1
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert dump(db) == before


HOSTILE_REFERENCES = [
    "O'Brien-2019",
    'LA "quoted" 7',
    "LA-1; DROP TABLE cases; --",
    "x' OR '1'='1",
    "Robert'); DELETE FROM history;--",
    "%_*?[]\\",
    "ÅÄÖ-åäö-ÿ-ß",
    "名前-事件-7",
    "مرجع-٧",
    "🙂-case-👶",
    "LA/2019/041",
    "-starts-with-a-dash",
]


@pytest.mark.parametrize("ref", HOSTILE_REFERENCES)
def test_references_with_quotes_sql_and_unicode_are_stored_exactly(db, ref):
    before = dump(db)

    def cspr(*args: str):
        return CliRunner().invoke(main, ["--db", db, *args])

    opened = cspr("case", "open", MINI, f"--ref={ref}", "--fact", "aware_on=2019-12-20",
                  "--on", "2019-12-20", "--note", ref, "--by", ref)  # fmt: skip
    assert opened.exit_code == 0, opened.output
    case_id = opened.output.strip()
    shown = json.loads(cspr("case", "show", "--json", "--", ref).output)
    assert (shown["ref"], str(shown["id"])) == (ref, case_id)
    history = json.loads(cspr("case", "history", "--json", "--", ref).output)
    assert history["ref"] == ref
    assert [(r["note"], r["recorded_by"]) for r in history["history"]] == [(ref, ref)]
    listed = json.loads(cspr("case", "list", "--json").output)
    assert [c["ref"] for c in listed] == ["LA-1", ref]
    assert cspr("case", "verify", "--", ref).exit_code == 0
    # What was there before is exactly as it was.
    with Store(db) as store:
        assert store.find(ref).ref == ref
    assert only_added(before, dump(db))


def test_a_long_note_within_the_limit_is_stored_exactly(db):
    note = "Strategy meeting minutes:\n" + "line with 'quotes'; and -- dashes\n" * 250
    assert len(note) < 10_000
    result = CliRunner().invoke(
        main, ["--db", db, "case", "send", "LA-1", "published", "--on", "2020-01-07",
               "--note", note],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with Store(db) as store:
        assert store.history(store.find("LA-1").id)[-1].note == note


def test_the_api_refuses_a_1_mb_note_before_writing(db):
    with Store(db) as store:
        before = dump(db)
        with pytest.raises(Refused, match="a note is at most 10,000 characters"):
            Runtime(store).set("LA-1", {"child_died": "false"}, note=MEGABYTE_NOTE)
        assert dump(db) == before
