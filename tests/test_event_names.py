"""Names of states and events (issue 20): ``cspr validate`` refuses only what would mislead
a reader, at its place and with what to write instead; names that only python-statemachine
once tripped over (``send``, ``prepare``, ``model``, ...) are ordinary ids now, since the
chart compiled for it names states ``s_<id>`` and events ``e_<id>``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cspr_engine.format.loader import LoadError, load_process

BASE = Path(__file__).resolve().parent / "broken" / "valid_base.yaml"


def variant(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    text = BASE.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "process.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(LoadError) as caught:
        load_process(path)
    return [str(problem) for problem in caught.value.problems]


PUBLISHED = "      published: {to: closed, source: wt}"


def test_an_event_called_done_is_refused_at_its_place_saying_what_to_write(tmp_path):
    path = variant(tmp_path, (PUBLISHED, "      done: {to: closed, source: wt}"))
    (problem,) = problems(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    line = lines.index("      done: {to: closed, source: wt}") + 1
    # On the event's line, at the target written for it (as other transition problems).
    assert problem.startswith(
        f"{path}:{line}:{lines[line - 1].index('closed') + 1}: event 'done' from 'publishing'"
    )
    assert "reads as the step being done" in problem
    assert "for example 'publishing_finished'" in problem


def test_done_under_on_of_a_compound_step_says_to_write_done_beside_on(tmp_path):
    compound = (
        "  publishing:\n    source: wt\n    states:\n"
        "      drafting: {source: wt, on: {drafted: {to: finished, source: wt}}}\n"
        "      finished: {type: final, source: wt}\n"
        "    deadlines:"
    )
    path = variant(
        tmp_path,
        ("  publishing:\n    source: wt\n    deadlines:", compound),
        (PUBLISHED, "      done: {to: closed, source: wt}"),
    )
    (problem,) = problems(path)
    assert "write 'done: closed' beside 'on:' (not under it)" in problem


def test_an_event_called_error_is_refused(tmp_path):
    path = variant(tmp_path, (PUBLISHED, "      error: {to: closed, source: wt}"))
    (problem,) = problems(path)
    assert "event 'error' from 'publishing'" in problem
    assert "error.execution" in problem and "'publishing_failed'" in problem


def test_a_deadline_raising_done_or_error_is_refused(tmp_path):
    path = variant(
        tmp_path,
        (
            "publish_report: {within: 6 months, from: decided_on, source: wt}",
            "publish_report: {within: 6 months, from: decided_on, source: wt, raises: error}",
        ),
    )
    (problem,) = problems(path)
    assert "deadline 'publish_report' raises 'error'" in problem
    assert "'raises: publish_report_passed'" in problem


def test_an_id_cannot_hold_a_dot(tmp_path):
    """So no id can be read as an internal event (``done.state.x``, ``error.execution``)."""
    path = variant(tmp_path, (PUBLISHED, "      done.state.publishing: {to: closed, source: wt}"))
    assert problems(path)


@pytest.mark.parametrize(
    ("state", "event"),
    [
        ("prepare", "prepare_event"),
        ("send", "after_published"),
        ("model", "on_enter_model"),
        ("states", "start_configuration_values"),
        ("history_values", "facts_recorded"),
        ("done_state_publishing", "error_x"),
    ],
)
def test_names_python_statemachine_uses_are_ordinary_ids(tmp_path, state, event):
    path = variant(
        tmp_path,
        ("  publishing:\n", f"  {state}:\n"),
        ("review_done: {to: publishing,", f"review_done: {{to: {state},"),
        (PUBLISHED, f"      {event}: {{to: closed, source: wt}}"),
    )
    process = load_process(path)
    assert state in process.states and event in process.events()
