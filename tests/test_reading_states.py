"""A guard that reads a state is decided again after every step, even when one of the
names it reads is both a state and a fact (issue 20, item 1).

``escalated is active and escalated`` reads ``escalated`` as a state and as a fact. The
interpreter once worked out which guards read states by taking the names read as values
away from all the names, so ``escalated`` was lost, the guard (false on entry) was kept as
decided, and ``alerted`` was never reached. python-statemachine decides it again; so must
the interpreter.

``cspr validate`` refuses a fact whose id is also a state's (one name for two things), so
this process cannot be loaded with :func:`engine.format.loader.build`. The test builds it with the
loader's own builder, which returns the model together with its problems, checks that the
id clash is the only problem, and runs the model anyway.
"""

from __future__ import annotations

import datetime as dt

from cspr_engine.format.loader import Bundle, _Builder
from cspr_engine.run import chart, interpreter

CLASH = """\
process: p
version: "1"
title: A fact with the same id as a state
sources: {s: test}
facts:
  escalated: {type: boolean}
states:
  both:
    source: s
    type: parallel
    states:
      watch:
        source: s
        states:
          watching:
            source: s
            always:
              - {to: alerted, when: "escalated is active and escalated", source: s}
          alerted: {type: final, source: s}
      work:
        source: s
        states:
          normal:
            source: s
            on:
              escalate: {to: escalated, source: s}
          escalated: {type: final, source: s}
"""

#: The same chart with a named condition in between: the guard reads the state only
#: through the condition it names.
THROUGH_A_CONDITION = CLASH.replace(
    "facts:\n  escalated: {type: boolean}\n",
    "facts:\n  escalated: {type: boolean}\n"
    'conditions:\n  escalation_seen: "escalated is active and escalated"\n',
).replace('when: "escalated is active and escalated"', "when: escalation_seen")


def _model(text: str):
    process, problems = _Builder(Bundle("p.yaml", {"p.yaml": text}), ".").build()
    assert process is not None
    # Only the clash of the fact's id with the state's is wrong with this file.
    assert all("escalated" in p.message and "state" in p.message for p in problems), problems
    return process


def _run(execute, process) -> list[str]:
    today = dt.date(2024, 1, 8)
    facts = {"escalated": True}
    active, _ = execute(process, "clash", facts, today, [], None)
    active, _ = execute(process, "clash", facts, today, active, "escalate")
    return active


def test_the_clash_is_refused_at_validate():
    process, problems = _Builder(Bundle("p.yaml", {"p.yaml": CLASH}), ".").build()
    assert any("'escalated'" in p.message for p in problems)


def test_a_name_both_state_and_fact_is_read_as_a_state():
    process = _model(CLASH)
    reading = interpreter.chart_of(process).read_states
    assert "escalated is active and escalated" in reading


def test_the_guard_is_decided_again_after_the_step_as_python_statemachine_does():
    for text in (CLASH, THROUGH_A_CONDITION):
        process = _model(text)
        ours = _run(interpreter.execute, process)
        theirs = _run(chart.execute, process)
        assert "escalated" in ours and "alerted" in ours, ours
        assert sorted(ours) == sorted(theirs)


def test_a_condition_reading_states_through_another_is_found():
    process = _model(THROUGH_A_CONDITION)
    reading = interpreter.chart_of(process).read_states
    assert "escalation_seen" in reading
