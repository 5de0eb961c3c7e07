"""Tests for loading process files: each mistake is reported where to edit, in plain words.

Policy leads edit process files by hand, so every mistake must come back as
``file:line:col: message``, pointing at the text to change and saying what to write
instead. ``tests/broken/`` holds one small copy of ``valid_base.yaml`` per kind of
mistake, each with exactly one mistake; :data:`MISTAKES` says, for each, the line and
column the report must point at, the text found there, and key words its message must
contain. Three tests run over that table:

* the message names the mistake and what to write instead;
* it points at exactly the right line and column;
* it is the only problem reported (one mistake should not bury the fix under noise).

Where the engine falls short today the case is marked ``xfail(strict=True)`` with the
reason, so that fixing the engine turns the mark into a failure to remove.

``tests/hostile/`` holds small hostile inputs (alias bombs, tabs, Python tags...); the
large ones (50 MB, 10,000 levels deep) are written to ``tmp_path`` by the tests.
"""

from __future__ import annotations

import builtins
import datetime as dt
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from cspr_engine.format.loader import LoadError, load_process
from cspr_engine.model import Duration, OnDate, Within
from cspr_engine.problems import Problem

TESTS = Path(__file__).resolve().parent
BROKEN = TESTS / "broken"
HOSTILE = TESTS / "hostile"
BASE = BROKEN / "valid_base.yaml"
MINI = TESTS / "examples" / "mini.yaml"


def problems_of(path: Path) -> list[Problem]:
    """The problems ``load_process`` reports for ``path`` (it must refuse the file)."""
    with pytest.raises(LoadError) as caught:
        load_process(path)
    problems = caught.value.problems
    assert problems, "a LoadError must give at least one reason"
    return problems


def same_file(reported: str, expected: Path) -> bool:
    return Path(reported).resolve() == expected.resolve()


def text_at(path: Path, line: int, column: int) -> str:
    """The rest of the line at 1-based ``line`` and ``column`` of ``path``."""
    return path.read_text(encoding="utf-8").splitlines()[line - 1][column - 1 :]


def shown(problems: list[Problem]) -> str:
    return "\n".join(str(p) for p in problems)


def variant(tmp_path: Path, old: str, new: str, name: str = "process.yaml") -> Path:
    """A copy of valid_base.yaml in ``tmp_path`` with ``old`` replaced by ``new``."""
    text = BASE.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} should occur once in {BASE.name}"
    path = tmp_path / name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


# -- the catalogue of mistakes ------------------------------------------------------------------


@dataclass(frozen=True)
class Mistake:
    """One file of ``tests/broken`` and how its mistake must be reported."""

    file: str
    line: int
    column: int
    #: The text at line:column, i.e. what the policy lead has to change.
    token: str
    #: Words the message must contain: what is wrong, and what to write instead.
    words: tuple[str, ...]
    #: The file the report must name, when not ``file`` (a mistake in an included file).
    reported_in: str | None = None
    #: Known engine defects, as xfail reasons: wrong place, unhelpful message, extra noise.
    wrong_place: str | None = None
    unhelpful: str | None = None
    noisy: str | None = None

    @property
    def path(self) -> Path:
        return BROKEN / self.file

    @property
    def reported_path(self) -> Path:
        return BROKEN / (self.reported_in or self.file)


MISTAKES = [
    Mistake(
        "unknown_target.yaml", 24, 28, "rapid_reveiw",
        ("unknown state 'rapid_reveiw'", "did you mean 'rapid_review'"),
    ),
    Mistake(
        "unreachable_state.yaml", 42, 3, "second_opinion",
        ("state 'second_opinion'", "never be reached", "add one, or remove the state"),
    ),
    Mistake(
        "dead_end.yaml", 27, 3, "waiting",
        ("state 'waiting'", "no way out", "add a transition", "type: final"),
    ),
    # A name in a condition that is neither a fact, a condition nor a state: the column
    # is that of the name inside the condition text, however the text is written.
    Mistake(
        "unknown_name_plain.yaml", 24, 63, "child_dide",
        ("unknown name 'child_dide'", "did you mean 'child_died'"),
    ),
    Mistake(
        "unknown_name_block.yaml", 16, 47, "child_dide",
        ("unknown name 'child_dide'", "did you mean 'child_died'"),
    ),
    Mistake(
        "unknown_name_double_quoted.yaml", 24, 64, "child_dide",
        ("unknown name 'child_dide'", "did you mean 'child_died'"),
    ),
    Mistake(
        "unknown_name_single_quoted.yaml", 16, 63, "child_dide",
        ("unknown name 'child_dide'", "did you mean 'child_died'"),
    ),
    Mistake(
        "unknown_name_quote_escape.yaml", 16, 50, "child_dide",
        ("unknown name 'child_dide'", "did you mean 'child_died'"),
    ),
    Mistake(
        "unknown_name_two_lines.yaml", 25, 11, "child_dide",
        ("unknown name 'child_dide'", "did you mean 'child_died'"),
    ),
    Mistake(
        "unknown_name_folded.yaml", 18, 9, "child_dide",
        ("unknown name 'child_dide'", "did you mean 'child_died'"),
    ),
    Mistake(
        "unknown_name_is_state.yaml", 24, 48, "publishing",
        ("unknown name 'publishing'", "is a state", "write 'publishing is active'"),
    ),
    Mistake(
        "deadline_from_boolean.yaml", 32, 15, "child_died",
        ("deadline 'rapid_review_due'", "'child_died', a boolean fact", "date fact", "aware_on"),
    ),
    Mistake(
        "deadline_from_unknown.yaml", 32, 15, "awar_on",
        ("deadline 'rapid_review_due'", "'awar_on'", "not a fact", "did you mean 'aware_on'"),
    ),
    Mistake(
        "ambiguous_transitions.yaml", 36, 16, "publishing",
        ("event 'review_done'", "from 'rapid_review'", "no 'when'", "give each a 'when'"),
    ),
    Mistake(
        "ambiguous_same_condition.yaml", 37, 16, "closed",
        ("event 'review_done'", "from 'rapid_review'", "'when'"),
    ),
    Mistake("condition_single_equals.yaml", 24, 59, "= true", ("write '==' to compare",)),
    Mistake("condition_double_ampersand.yaml", 24, 60, "&&", ("write 'and' instead of '&&'",)),
    Mistake(
        "duration_in_words.yaml", 31, 17, "five days",
        ("'five days'", "digits", "'5 working days'"),
    ),
    Mistake(
        "include_loop_a.yaml", 15, 14, "include_loop_a.yaml",
        ("loop", "include_loop_a.yaml → include_loop_b.yaml → include_loop_a.yaml",
         "remove one include"),
        reported_in="include_loop_b.yaml",
    ),
    Mistake(
        "include_missing.yaml", 28, 14, "scr_process.yaml",
        ("'scr_process.yaml'", "no such file"),
    ),
    Mistake(
        "yaml_indentation.yaml", 28, 12, ": wt",
        ("':'", "indentation"),
    ),
    Mistake("yaml_under_indented.yaml", 28, 4, "source", ("indent",)),
    Mistake("yaml_unclosed_brace.yaml", 24, 23, "{to: rapid_review", ("'}'",)),
    Mistake(
        "duplicate_key.yaml", 42, 3, "rapid_review",
        ("duplicate key 'rapid_review'", "first written at line 26", "remove one"),
    ),
    Mistake(
        "unknown_key_typo.yaml", 38, 5, "deadlnes",
        ("unknown key 'deadlnes'", "did you mean 'deadlines'"),
    ),
    Mistake("wrong_type.yaml", 13, 45, "known", ("'options'", "should be a list")),
    Mistake(
        "invalid_id.yaml", 36, 3, "Publishing-Report",
        ("'Publishing-Report' is not a valid id", "lower case", "'publishing_report'"),
    ),
    Mistake(
        "unknown_role.yaml", 27, 9, "sw",
        ("unknown role 'sw'", "la, sp"),
    ),
    Mistake(
        "unknown_source.yaml", 37, 13, "wtt",
        ("unknown source 'wtt'", "did you mean 'wt'"),
    ),
    Mistake(
        "missing_source.yaml", 36, 3, "publishing",
        ("state 'publishing'", "no 'source'", "cite the document and section"),
    ),
    Mistake(
        "records_not_date.yaml", 35, 58, "child_died",
        ("records", "'child_died'", "boolean", "date fact", "decided_on"),
    ),
    Mistake(
        "done_without_final.yaml", 27, 3, "strategy",
        ("'done' on 'strategy'", "never happen", "no final child state"),
    ),
    Mistake(
        "impossible_date.yaml", 39, 30, "2019-02-30",
        ("2019-02-30", "not a date", "February 2019 has 28 days"),
    ),
    # Python pasted into a condition is refused when the file is loaded.
    Mistake("condition_import.yaml", 24, 49, "__import__", ("'__import__' is not allowed",)),
    Mistake("condition_dunder.yaml", 24, 53, ".__class__", ("attribute access is not allowed",)),
]  # fmt: skip


def _cases(defect: str) -> list:
    """MISTAKES as pytest params, marked xfail where the given defect applies."""
    params = []
    for mistake in MISTAKES:
        reason = getattr(mistake, defect)
        marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
        params.append(pytest.param(mistake, marks=marks, id=mistake.file.removesuffix(".yaml")))
    return params


def test_every_broken_file_is_in_the_catalogue():
    helpers = {"valid_base.yaml", "include_loop_b.yaml"}
    on_disk = {p.name for p in BROKEN.glob("*.yaml")} - helpers
    assert on_disk == {m.file for m in MISTAKES}


def test_the_base_every_broken_file_copies_is_valid():
    process = load_process(BASE)
    assert list(process.states) == ["notifying", "rapid_review", "publishing", "closed"]


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.file.removesuffix(".yaml"))
def test_catalogue_points_at_the_mistake(mistake: Mistake):
    """The table itself: line:column of each case is where its mistake is written."""
    assert text_at(mistake.reported_path, mistake.line, mistake.column).startswith(mistake.token)


@pytest.mark.parametrize("mistake", _cases("unhelpful"))
def test_message_says_what_is_wrong_and_what_to_write(mistake: Mistake):
    problems = problems_of(mistake.path)
    messages = [p.message for p in problems if same_file(p.where.file, mistake.reported_path)]
    assert any(all(word in m for word in mistake.words) for m in messages), (
        f"no message with {mistake.words} in:\n{shown(problems)}"
    )


@pytest.mark.parametrize("mistake", _cases("wrong_place"))
def test_problem_is_reported_at_the_mistake(mistake: Mistake):
    problems = problems_of(mistake.path)
    places = {
        (p.where.line, p.where.column)
        for p in problems
        if same_file(p.where.file, mistake.reported_path)
    }
    assert (mistake.line, mistake.column) in places, (
        f"expected {mistake.reported_in or mistake.file}:{mistake.line}:{mistake.column} "
        f"(at {mistake.token!r}), got:\n{shown(problems)}"
    )


@pytest.mark.parametrize("mistake", _cases("noisy"))
def test_one_mistake_gives_one_problem(mistake: Mistake):
    problems = problems_of(mistake.path)
    assert len(problems) == 1, shown(problems)


def test_problems_print_as_file_line_column_message():
    (problem,) = problems_of(BROKEN / "unknown_key_typo.yaml")
    assert str(problem) == f"{problem.where.file}:38:5: {problem.message}"
    assert problem.as_json() == {
        "file": problem.where.file,
        "line": 38,
        "column": 5,
        "message": problem.message,
    }
    assert same_file(problem.where.file, BROKEN / "unknown_key_typo.yaml")


def test_every_problem_in_a_file_is_reported_at_once(tmp_path: Path):
    """Three independent mistakes in one file: all three, sorted by place."""
    text = BASE.read_text(encoding="utf-8")
    for old, new in [
        ("to: rapid_review,", "to: rapid_reveiw,"),
        ("within: 15 working days", "within: five days"),
        (
            "publish_report: {within: 6 months, from: decided_on,",
            "publish_report: {date: 2019-02-30,",
        ),
    ]:
        text = text.replace(old, new)
    path = tmp_path / "three.yaml"
    path.write_text(text, encoding="utf-8")
    problems = problems_of(path)
    assert problems == sorted(problems)
    found = {(p.where.line, p.where.column) for p in problems}
    assert {(24, 28), (31, 17), (39, 30)} <= found, shown(problems)


def test_a_missing_file_is_one_problem(tmp_path: Path):
    (problem,) = problems_of(tmp_path / "nowhere.yaml")
    assert "no such process file" in problem.message
    assert (problem.where.line, problem.where.column) == (1, 1)


def test_pyyaml_alone_would_keep_the_last_duplicate_silently():
    """Why duplicate_key.yaml matters: plain PyYAML accepts it and drops the first state."""
    data = yaml.safe_load((BROKEN / "duplicate_key.yaml").read_text(encoding="utf-8"))
    assert data["states"]["rapid_review"]["by"] == "la"  # the second one won


# -- durations ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "amount", "unit"),
    [
        ("5 working days", 5, "working_days"),
        ("15 working days", 15, "working_days"),
        ("1 month", 1, "months"),
        ("6 months", 6, "months"),
        ("12 months", 12, "months"),
        ("3 years", 3, "years"),
    ],
)
def test_durations_written_in_the_guidance_load(tmp_path: Path, written, amount, unit):
    path = variant(tmp_path, "within: 15 working days", f"within: {written}")
    process = load_process(path)
    (deadline,) = process.states["rapid_review"].deadlines
    assert deadline.rule == Within(Duration(amount, unit), "aware_on")


def test_a_valid_fixed_date_loads(tmp_path: Path):
    path = variant(
        tmp_path,
        "publish_report: {within: 6 months, from: decided_on, source: wt}",
        "publish_report: {date: 2020-02-29, source: wt}",
    )
    (deadline,) = load_process(path).states["publishing"].deadlines
    assert deadline.rule == OnDate(dt.date(2020, 2, 29))


# -- code in conditions is refused, and never run --------------------------------------------


#: Conditions that would create the file {marker} if anything evaluated them as Python.
PAYLOADS = {
    "import": "__import__('os').system('touch {marker}')",
    "open": "open('{marker}', 'w')",
    "eval": "eval(\"__import__('os').system('touch {marker}')\")",
    "exec": "exec(\"open('{marker}', 'w')\")",
    "globals": "child_died.__class__.__init__.__globals__['os'].system('touch {marker}')",
    "subclasses": "().__class__.__base__.__subclasses__()",
    "lambda": "lambda: open('{marker}', 'w')",
    "facts_class": "facts.__class__",
    "after_a_fact": "child_died or __import__('os').system('touch {marker}')",
}


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
@pytest.mark.parametrize("place", ["transition", "named_condition"])
def test_code_in_a_condition_is_refused_and_not_run(tmp_path: Path, payload: str, place: str):
    marker = tmp_path / "code-ran"
    written = json.dumps(payload.replace("{marker}", str(marker)))  # JSON text is YAML "..."
    if place == "transition":
        path = variant(tmp_path, "when: notifiable,", f"when: {written},")
    else:
        path = variant(
            tmp_path,
            "notifiable: \"abuse_or_neglect in ['known', 'suspected'] and child_died\"",
            f"notifiable: {written}",
        )
    problems = problems_of(path)
    assert not marker.exists(), "a condition ran as code"
    assert any(
        "not allowed" in p.message or "not part of the condition language" in p.message
        for p in problems
    ), shown(problems)


@pytest.mark.parametrize("name", ["condition_import.yaml", "condition_dunder.yaml"])
def test_catalogue_code_files_run_nothing(tmp_path: Path, monkeypatch, name: str):
    """condition_import.yaml would `touch cspr-code-ran` in the working folder if run."""
    monkeypatch.chdir(tmp_path)
    problems_of(BROKEN / name)
    assert list(tmp_path.iterdir()) == []


def test_loading_never_calls_eval_or_exec(monkeypatch):
    """Every process file, valid or broken, read and checked from scratch with eval, exec
    and compile refused: only importing a module compiles code, so the modules imported
    lazily are imported first, and then every cache of parsed text is emptied so that the
    parser and the checks really run under the patch."""
    broken = sorted(p for p in BROKEN.glob("*.yaml") if p != BASE)
    load_process(MINI)
    for path in broken:  # imports what is imported lazily (difflib, jsonschema, ...)
        problems_of(path)
    from cspr_engine.conditions import reader as parse_module
    from cspr_engine.format import bundle, shape

    parse_module._parse_cached.cache_clear()
    bundle.parsed_yaml.cache_clear()
    shape.read_document.cache_clear()
    monkeypatch.setenv("CSPR_NO_CACHE", "1")
    monkeypatch.setattr("cspr_engine.format.loader._BY_HASH", {})

    engine = str(TESTS.parent / "engine")

    def guarded(name: str):
        real = getattr(builtins, name)

        def call(*args, **kwargs):
            # Libraries (jsonschema builds classes with attrs, which compiles) may; the
            # engine's own code never hands anything to eval, exec or compile.
            if sys._getframe(1).f_code.co_filename.startswith(engine):
                raise AssertionError(f"the loader called {name}")
            return real(*args, **kwargs)

        return call

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, guarded(name))
    for path in broken:
        problems_of(path)
    load_process(MINI)


# -- hostile inputs -------------------------------------------------------------------------------


def only_problem(path: Path) -> Problem:
    """The single problem reported for a hostile file (a LoadError, never a traceback)."""
    problems = problems_of(path)
    assert len(problems) == 1, shown(problems)
    assert same_file(problems[0].where.file, path), shown(problems)
    return problems[0]


def test_alias_bomb_is_refused_at_the_first_anchor():
    problem = only_problem(HOSTILE / "alias_bomb.yaml")
    assert (problem.where.line, problem.where.column) == (5, 4)
    assert "anchors (&name) are not allowed" in problem.message
    assert "write each value out in full" in problem.message


def test_a_single_alias_is_refused(tmp_path: Path):
    path = tmp_path / "alias.yaml"
    path.write_text(BASE.read_text(encoding="utf-8") + "extra: *wt\n", encoding="utf-8")
    problem = only_problem(path)
    assert (problem.where.line, problem.where.column) == (43, 8)
    assert "aliases (*name) are not allowed" in problem.message


def test_a_50_mb_file_is_refused_for_its_size(tmp_path: Path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as out:
        out.write(b"process: huge\n")
        out.write((b"# " + b"x" * 1022 + b"\n") * (50 * 1024))
    problem = only_problem(path)
    assert (problem.where.line, problem.where.column) == (1, 1)
    assert "bytes" in problem.message
    assert "at most 1,000,000 bytes" in problem.message


def test_a_50_mb_file_is_refused_without_a_traceback(tmp_path: Path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as out:
        out.write(b"process: huge\n")
        out.write((b"# " + b"x" * 1022 + b"\n") * (50 * 1024))
    only_problem(path)


@pytest.mark.parametrize(
    "text",
    [
        "states: " + "[" * 10_000 + "]" * 10_000 + "\n",
        "states: " + "[" * 10_000 + "\n",
        "states: " + "{a: " * 10_000 + "1" + "}" * 10_000 + "\n",
        "states:\n" + "- " * 10_000 + "x\n",
    ],
    ids=["flow-lists", "unclosed-lists", "flow-mappings", "block-lists"],
)
def test_nesting_10000_deep_is_refused(tmp_path: Path, text: str):
    path = tmp_path / "deep.yaml"
    path.write_text(text, encoding="utf-8")
    problem = only_problem(path)
    assert problem.where.line in (1, 2)
    assert "nested more than 64 levels deep" in problem.message
    assert "flatten" in problem.message


def test_non_utf8_bytes_are_refused_where_they_are():
    problem = only_problem(HOSTILE / "not_utf8.yaml")
    assert (problem.where.line, problem.where.column) == (4, 11)
    assert "0xe9 is not UTF-8" in problem.message
    assert "save the file as UTF-8" in problem.message


def test_non_utf8_bytes_are_refused_without_a_traceback():
    only_problem(HOSTILE / "not_utf8.yaml")


def test_a_tab_used_to_indent_is_refused():
    problem = only_problem(HOSTILE / "tab_indent.yaml")
    assert (problem.where.line, problem.where.column) == (9, 1)
    assert "tab" in problem.message
    assert "indent with spaces" in problem.message


def test_a_tab_after_spaces_is_reported_at_the_tab():
    problem = only_problem(HOSTILE / "tab_after_spaces.yaml")
    assert (problem.where.line, problem.where.column) == (10, 3)


@pytest.mark.parametrize("name", ["python_tag.yaml", "python_name_tag.yaml"])
def test_python_tags_are_refused_and_not_run(tmp_path: Path, monkeypatch, name: str):
    """python_tag.yaml would `touch cspr-tag-ran` in the working folder if it ran."""
    monkeypatch.chdir(tmp_path)
    problem = only_problem(HOSTILE / name)
    assert "is not allowed in process files" in problem.message
    assert "remove it" in problem.message
    assert list(tmp_path.iterdir()) == []


def test_python_tag_is_reported_at_the_tag():
    problem = only_problem(HOSTILE / "python_tag.yaml")
    assert (problem.where.line, problem.where.column) == (9, 10)
    assert "python/object/apply:os.system" in problem.message


def test_a_python_tag_with_an_absolute_path_runs_nothing(tmp_path: Path):
    marker = tmp_path / "tag-ran"
    path = tmp_path / "tagged.yaml"
    path.write_text(
        f"process: !!python/object/apply:os.system ['touch {marker}']\n", encoding="utf-8"
    )
    only_problem(path)
    assert not marker.exists()


@pytest.mark.parametrize("character", ["\x00", "\x07", "\ufffe"], ids=["nul", "bell", "fffe"])
def test_unprintable_characters_are_refused_where_they_are(tmp_path: Path, character: str):
    path = tmp_path / "control.yaml"
    text = BASE.read_text(encoding="utf-8").replace("Rapid review", f"Rapid{character} review")
    path.write_text(text, encoding="utf-8")
    problem = only_problem(path)
    assert (problem.where.line, problem.where.column) == (4, 13)


def test_a_nul_byte_file_is_refused_without_a_traceback():
    only_problem(HOSTILE / "nul_byte.yaml")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "must be a mapping"),
        ("- a\n- b\n", "must be a mapping"),
        ("just some words\n", "must be a mapping"),
    ],
    ids=["empty", "list", "text"],
)
def test_a_file_that_is_not_a_mapping_is_one_problem(tmp_path: Path, text: str, words: str):
    path = tmp_path / "odd.yaml"
    path.write_text(text, encoding="utf-8")
    assert words in only_problem(path).message


def test_hostile_files_are_all_exercised():
    assert {p.name for p in HOSTILE.iterdir()} == {
        "alias_bomb.yaml",
        "not_utf8.yaml",
        "tab_indent.yaml",
        "tab_after_spaces.yaml",
        "python_tag.yaml",
        "python_name_tag.yaml",
        "nul_byte.yaml",
        "duplicate_keys.yaml",  # these two: tests/test_hostile.py
        "code_in_conditions.yaml",
        "javascript_url.yaml",  # tests/test_source_urls.py
    }


def test_copying_a_broken_file_keeps_its_report(tmp_path: Path):
    """Reports name the file as given, so a copy elsewhere is reported as the copy."""
    copy = tmp_path / "copy.yaml"
    shutil.copy(BROKEN / "unknown_target.yaml", copy)
    problems = problems_of(copy)
    assert any(same_file(p.where.file, copy) and p.where.line == 24 for p in problems)
