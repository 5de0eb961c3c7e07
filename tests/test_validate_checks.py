"""``cspr validate`` refuses what it once let through (issue 14), each at its place.

Each test edits a copy of ``tests/broken/valid_base.yaml`` and checks the line and column
reported, the words of the message, and that nothing else is reported.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cspr_engine.conditions import MAX_EVAL_DEPTH
from cspr_engine.format.loader import LoadError, load_process
from cspr_engine.problems import Problem

BASE = Path(__file__).resolve().parent / "broken" / "valid_base.yaml"
NOTIFIABLE = "notifiable: \"abuse_or_neglect in ['known', 'suspected'] and child_died\""


def variant(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    text = BASE.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "process.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[Problem]:
    with pytest.raises(LoadError) as caught:
        load_process(path)
    return caught.value.problems


def only(path: Path) -> Problem:
    found = problems(path)
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


def column_of(path: Path, line: int, text: str) -> int:
    return path.read_text(encoding="utf-8").splitlines()[line - 1].index(text) + 1


@pytest.mark.parametrize(
    ("condition", "wrong", "words"),
    [
        ("abuse_or_neglect in ['known', 'suspectd']", "'suspectd'", "did you mean 'suspected'"),
        ("abuse_or_neglect == 'knwn'", "'knwn'", "did you mean 'known'"),
        ("abuse_or_neglect != 'unknown'", "'unknown'", "options are: 'known', 'suspected'"),
        ("'suspectd' == abuse_or_neglect", "'suspectd'", "did you mean 'suspected'"),
    ],
)
def test_a_value_no_option_has(tmp_path, condition, wrong, words):
    path = variant(tmp_path, (NOTIFIABLE, f'notifiable: "{condition}"'))
    problem = only(path)
    assert (problem.where.line, problem.where.column) == (16, column_of(path, 16, wrong))
    assert "is not an option of 'abuse_or_neglect'" in problem.message
    assert words in problem.message


def test_a_value_no_option_has_in_a_condition_over_several_lines(tmp_path):
    folded = "notifiable: >-\n    abuse_or_neglect in\n    ['known', 'suspectd'] and child_died"
    path = variant(tmp_path, (NOTIFIABLE, folded))
    problem = only(path)
    assert (problem.where.line, problem.where.column) == (18, column_of(path, 18, "'suspectd'"))


@pytest.mark.parametrize(
    ("condition", "wrong", "words"),
    [
        ("child_died > aware_on", "aware_on", ["'child_died' (a true/false fact)", "a date fact"]),
        ("aware_on > 5", "5", ["a number", "YYYY-MM-DD"]),
        ("aware_on == '2019-09-29'", "'2019-09-29'", ["write the date without quotes"]),
        ("child_died == 'yes'", "'yes'", ["true or false"]),
        ("today == true", "true", ["'today' (the date of the event)"]),
        ("abuse_or_neglect in [1, 'known']", "1", ["is never 1 (a number)", "'known'"]),
        ("decided_on in aware_on", "aware_on", ["write the values in square brackets"]),
        ("child_died < true", "<", ["cannot be put in order"]),
        ("aware_on and child_died", "aware_on", ["is used as a condition", "'aware_on is set'"]),
    ],
)
def test_a_comparison_across_kinds(tmp_path, condition, wrong, words):
    path = variant(tmp_path, (NOTIFIABLE, f'notifiable: "{condition}"'))
    problem = only(path)
    assert (problem.where.line, problem.where.column) == (16, column_of(path, 16, wrong))
    for word in words:
        assert word in problem.message


def test_a_comparison_of_one_kind_is_accepted(tmp_path):
    ok = "aware_on <= today and decided_on >= 2019-09-29 and abuse_or_neglect != 'known'"
    load_process(variant(tmp_path, (NOTIFIABLE, f'notifiable: "{ok} and child_died"')))


@pytest.mark.parametrize("word", ["today", "and", "set", "active", "in", "not", "import"])
def test_a_fact_named_with_a_word_of_the_language(tmp_path, word):
    path = variant(tmp_path, ("  decided_on: {type: date}", f"  {word}: {{type: date}}"))
    found = problems(path)
    assert any(
        p.where.line == 14 and "word of the condition language" in p.message for p in found
    ), found


def test_a_condition_named_with_a_word_of_the_language(tmp_path):
    path = variant(tmp_path, (NOTIFIABLE, f"{NOTIFIABLE}\n  active: child_died"))
    problem = only(path)
    assert (problem.where.line, problem.where.column) == (17, 3)
    assert "condition 'active'" in problem.message and "'active_holds'" in problem.message


def test_a_fact_with_a_state_id(tmp_path):
    path = variant(
        tmp_path,
        ("  decided_on: {type: date}", "  decided_on: {type: date}\n  closed: {type: boolean}"),
    )
    problem = only(path)
    assert (problem.where.line, problem.where.column) == (15, 3)
    assert "fact 'closed' has the same id as the state at" in problem.message
    assert ":43:3" in problem.message


def test_a_condition_with_a_state_id(tmp_path):
    path = variant(tmp_path, (NOTIFIABLE, f"{NOTIFIABLE}\n  publishing: child_died"))
    problem = only(path)
    assert "condition 'publishing' has the same id as the state" in problem.message


def _chain(length: int, form: str = "{next}") -> str:
    lines = [f'  c{i}: "{form.format(next=f"c{i + 1}")}"' for i in range(length)]
    lines.append(f"  c{length}: child_died")
    return "\n".join(lines)


def test_a_chain_of_conditions_deeper_than_the_evaluator_can_go(tmp_path):
    path = variant(
        tmp_path,
        (NOTIFIABLE, f"{NOTIFIABLE}\n{_chain(MAX_EVAL_DEPTH + 50, '{next} and child_died')}"),
        ("when: notifiable", "when: c0"),
    )
    problem = only(path)
    assert problem.where.line == 17  # c0, the outermost, once
    assert f"at most {MAX_EVAL_DEPTH} levels deep" in problem.message
    assert "c0 → c1 → c2 → ... →" in problem.message


def test_a_chain_the_evaluator_can_explain_is_accepted(tmp_path):
    # Each level of "c(n+1)" alone costs one; the guard "c0" one more.
    path = variant(
        tmp_path,
        (NOTIFIABLE, f"{NOTIFIABLE}\n{_chain(MAX_EVAL_DEPTH - 3)}"),
        ("when: notifiable", "when: c0"),
    )
    process = load_process(path)
    from cspr_engine.conditions import Context

    guard = next(t.guard for t in process.transitions() if t.guard is not None)
    context = Context({"child_died": False}, process.expressions, set())
    assert guard.evaluate(context) is False
    assert "too deeply" not in " ".join(guard.explain(context))


def test_a_misspelt_duration_does_not_hide_a_wrong_base(tmp_path):
    path = variant(
        tmp_path,
        ("within: 15 working days", "within: 15 workin days"),
        ("        from: aware_on", "        from: aware_ob"),
    )
    found = problems(path)
    assert [(p.where.line, p.where.column) for p in found] == [(31, 17), (32, 15)]
    assert "did you mean 'working days'" in found[0].message
    assert "did you mean 'aware_on'" in found[1].message


def test_an_impossible_date_does_not_hide_the_rest_of_its_deadline(tmp_path):
    path = variant(
        tmp_path,
        (
            "publish_report: {within: 6 months, from: decided_on, source: wt}",
            "publish_report: {date: 2019-02-30, source: wtt}",
        ),
    )
    found = problems(path)
    assert len(found) == 2, found
    assert "unknown source 'wtt'" in found[1].message


def _loop(tmp_path: Path, first: str, second: str, facts: str) -> Path:
    path = tmp_path / "loop.yaml"
    path.write_text(
        f"""\
process: loop
version: "1"
title: Two automatic steps
sources: {{s: test}}
facts:
{facts}
states:
  a:
    source: s
    always:
      - {{to: b, when: "{first}", source: s}}
    on:
      stop: {{to: end, source: s}}
  b:
    source: s
    always:
      - {{to: a, when: "{second}", source: s}}
    on:
      stop: {{to: end, source: s}}
  end: {{type: final, source: s}}
""",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("first", "second", "facts", "words"),
    [
        ("x", "x", "  x: {type: boolean}", "when x = true: a → b → a"),
        ("x and n > 3", "n >= 5", "  x: {type: boolean}\n  n: {type: number}", "n = 5"),
        ("k != 'one'", "k in ['two']", "  k: {type: choice, options: [one, two]}", "k = 'two'"),
    ],
)
def test_automatic_steps_that_go_round_for_ever_are_refused(tmp_path, first, second, facts, words):
    path = _loop(tmp_path, first, second, facts)
    found = only(path)
    assert "these automatic steps go round for ever" in found.message
    assert words in found.message
    lines = path.read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "{to: b," in text)
    assert (found.where.line, found.where.column) == (line, lines[line - 1].index("to: b") + 5)


@pytest.mark.parametrize(
    ("first", "second", "facts"),
    [
        ("x", "not x", "  x: {type: boolean}"),
        ("x and y", "not x", "  x: {type: boolean}\n  y: {type: boolean}"),
        ("k == 'one'", "k == 'two'", "  k: {type: choice, options: [one, two]}"),
        ("n > 3", "n < 2", "  n: {type: number}"),
        ("x", "a is active and x", "  x: {type: boolean}"),  # asks about a step: the engine's
    ],
)
def test_automatic_steps_with_exclusive_conditions_are_not_a_loop(tmp_path, first, second, facts):
    assert load_process(_loop(tmp_path, first, second, facts)).id == "loop"


def test_a_loop_a_transition_written_before_always_leaves_is_not_a_loop(tmp_path):
    # From b, `x or y` leads to the end first: b → a (on `x`) is never taken, so a → b → a
    # cannot go round; with `x and y` on the first, it can (x = true, y not recorded).
    facts = "  x: {type: boolean}\n  y: {type: boolean}"
    for first, refused in (("x or y", False), ("x and y", True)):
        path = _loop(tmp_path, "x", "x", facts)
        to_end = f'      - {{to: end, when: "{first}", source: s}}\n'
        text = path.read_text(encoding="utf-8").replace(
            '      - {to: a, when: "x", source: s}',
            to_end + '      - {to: a, when: "x", source: s}',
        )
        path.write_text(text, encoding="utf-8")
        if refused:
            assert "when x = true: a → b → a" in only(path).message  # y not recorded
        else:
            assert load_process(path).id == "loop"
