"""The interpreter against python-statemachine on charts a policy lead may write (issue 20).

:mod:`tests.chartgen` writes random valid process files whose names collide with
python-statemachine's own (``after_review`` beside ``review``, ``prepare``,
``prepare_event``, ``facts_recorded``, ``on_enter_x`` beside ``x``, ...). Each is loaded
as ``cspr validate`` would, then walked with random events (declared or not), automatic
steps, facts changing and days passing, on the engine's interpreter and on the chart
compiled for python-statemachine in lockstep: after every change both must end the same
way (or fail the same way), in the same states, having left, taken and entered the same
things in the same order, with the same facts.

CI walks :data:`CHARTS` charts from fixed seeds (about 10 s);
``CSPR_DIFFERENTIAL_CHARTS=3000 pytest tests/test_differential.py`` walks that many more
(seeds after CI's, a few minutes). Before it is trusted, the test is shown to catch an
interpreter with one rule broken (conflicts resolved the wrong way, states entered in
SCXML's document order instead of python-statemachine's).
"""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from cspr_engine.format.bundle import Bundle
from cspr_engine.format.loader import build
from cspr_engine.model import Process
from cspr_engine.run import chart, interpreter, steps

from .chartgen import process_text, random_facts

CHARTS = 200
STEPS = 25
#: More charts for a long run (none unless asked for).
SLOW_CHARTS = int(os.environ.get("CSPR_DIFFERENTIAL_CHARTS") or 0)
#: An event no chart declares: both must ignore it.
UNDECLARED = "never_declared"


def load(seed: int | str) -> tuple[Process, str, str]:
    """The generated chart of ``seed``: the model, its key (the text's hash) and text."""
    text = process_text(seed)
    bundle = Bundle("generated.yaml", {"generated.yaml": text})
    return build(bundle), bundle.hash, text


def _outcome(run: Any, *arguments: Any) -> tuple[Any, ...]:
    try:
        states, journal = run(*arguments)
    except Exception as error:  # the outcome compared: both must fail alike
        return ("raised", type(error).__name__, str(error)), None, None
    return ("ok",), states, journal


def lockstep(
    process: Process,
    key: str,
    facts: dict[str, Any],
    today: dt.date,
    active: list[str],
    event: str | None,
) -> tuple[list[str] | None, dict[str, Any], list[str]]:
    """One change on both engines: (states after, facts after, differences)."""
    their_facts, our_facts = dict(facts), dict(facts)
    theirs = _outcome(chart.execute, process, key, their_facts, today, list(active), event)
    ours = _outcome(interpreter.execute, process, key, our_facts, today, list(active), event)
    differences = []
    for what, mine, other in zip(("outcome", "states", "journal"), ours, theirs, strict=True):
        if mine != other:
            differences.append(f"{what}: interpreter {mine}, python-statemachine {other}")
    if our_facts != their_facts:
        differences.append(f"facts: interpreter {our_facts}, python-statemachine {their_facts}")
    return ours[1], our_facts, differences


@dataclass
class Divergence:
    seed: int | str
    step: int
    event: str | None
    active: list[str]
    differences: list[str]

    def __str__(self) -> str:
        return (
            f"chart {self.seed!r} (tests.chartgen.process_text({self.seed!r})), step "
            f"{self.step}: '{self.event or 'automatic steps'}' from "
            f"{self.active or 'the start'}: " + "; ".join(self.differences)
        )


def walk(seed: int | str, steps: int = STEPS) -> tuple[int, Divergence | None]:
    """Open a case on the chart of ``seed`` and send it ``steps`` random changes: the
    changes compared, and the first divergence if any."""
    process, key, _ = load(seed)
    rng = random.Random(f"walk-{seed}")
    events = [*process.events(), None, UNDECLARED]
    today = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randint(0, 700))
    facts = random_facts(process, rng, today)
    active: list[str] = []
    event: str | None = None
    for step in range(steps + 1):
        states, facts, differences = lockstep(process, key, facts, today, active, event)
        if differences:
            return step + 1, Divergence(seed, step, event, active, differences)
        if states is None:  # both failed alike: nothing more to walk
            return step + 1, None
        active = states
        today += dt.timedelta(days=rng.choice([0, 1, 7, 40]))
        if rng.random() < 0.3:
            facts.update(random_facts(process, rng, today))
        event = rng.choice(events)
    return steps + 1, None


def divergences(
    seeds: Iterator[int | str] | range, first_only: bool = False
) -> tuple[int, int, list[Divergence]]:
    """(charts walked, changes compared, divergences found) over the charts of ``seeds``;
    ``first_only``: stop at the first divergence."""
    charts = changes = 0
    found = []
    for seed in seeds:
        compared, divergence = walk(seed)
        charts, changes = charts + 1, changes + compared
        if divergence is not None:
            found.append(divergence)
            if first_only:
                break
    return charts, changes, found


def test_the_generated_files_are_valid_and_use_the_colliding_names():
    """Every file loads (the loader raises otherwise); between them they use every kind
    of state and transition, every fact type, and the names that once broke the oracle."""
    kinds: set[str] = set()
    triggers: set[str] = set()
    types: set[str] = set()
    names: set[str] = set()
    records = 0
    for seed in range(60):
        process, _, _ = load(seed)
        kinds |= {state.kind for state in process.states.values()}
        triggers |= {t.trigger for t in process.transitions()}
        types |= {fact.type for fact in process.facts.values()}
        names |= {*process.states, *process.events()}
        records += sum(1 for t in process.transitions() if t.records)
    assert kinds == {"simple", "compound", "parallel", "final"}
    assert triggers == {"event", "always", "done"}
    assert types == {"date", "boolean", "choice", "number", "text"}
    assert records
    colliding = {"prepare", "prepare_event", "facts_recorded", "start_configuration_values"}
    assert colliding <= names, colliding - names
    assert any(n.startswith(("after_", "on_enter_", "error_", "done_state_")) for n in names)


def test_the_interpreter_and_python_statemachine_agree_on_generated_charts():
    charts, changes, found = divergences(range(CHARTS))
    assert not found, f"{len(found)} of {charts} charts diverge; first: {found[0]}"
    assert charts == CHARTS and changes > CHARTS * STEPS * 0.9


@pytest.mark.skipif(
    not SLOW_CHARTS, reason="the long run: set CSPR_DIFFERENTIAL_CHARTS (e.g. 3000) to walk more"
)
def test_the_interpreter_and_python_statemachine_agree_on_thousands_of_charts():
    """``CSPR_DIFFERENTIAL_CHARTS`` says how many (seeds after the ones CI walks)."""
    charts, _, found = divergences(range(CHARTS, CHARTS + SLOW_CHARTS))
    assert not found, f"{len(found)} of {charts} charts diverge; first: {found[0]}"


# -- the test catches a broken interpreter -------------------------------------------------


def _outer_wins(run: interpreter.Run, enabled: list[Any]) -> list[Any]:
    """Conflict resolution turned round: of two transitions leaving a state in common,
    the one from the outer state (SCXML keeps the inner one)."""
    kept: list[Any] = []
    for candidate in enabled:
        leaves = set(run._exit_set(candidate))
        if not any(leaves & set(run._exit_set(other)) for other in kept):
            kept.append(candidate)
            continue
        if any(run.chart.is_descendant(o.source_state, candidate.source_state) for o in kept):
            kept = [o for o in kept if not leaves & set(run._exit_set(o))] + [candidate]
    return kept


def _document_order(process: Process) -> dict[str, int]:
    """SCXML's document order (each state numbered once, depth first) in place of
    python-statemachine's numbering, which repeats numbers across branches."""
    order: dict[str, int] = {}

    def number(states: tuple[str, ...]) -> None:
        for state in states:
            order[state] = len(order) + 1
            number(process.states[state].children)

    number(process.top_states)
    return order


@pytest.mark.parametrize("broken", ["conflicts", "entry order"])
def test_a_broken_interpreter_rule_is_caught(monkeypatch, broken):
    if broken == "conflicts":
        monkeypatch.setattr(interpreter.Run, "_without_conflicts", _outer_wins)
    else:
        monkeypatch.setattr(interpreter, "_numbering", _document_order)
    monkeypatch.setattr(interpreter, "_CHARTS", {})  # charts prepared with the broken rule
    charts, _, found = divergences(range(CHARTS), first_only=True)
    assert found, f"a broken {broken} went unnoticed over {charts} charts"
    assert "journal" in str(found[0]) or "states" in str(found[0])


# -- the names that broke the oracle (issue 20, items 2 to 5) -----------------------------

COLLIDING = """
process: colliding
version: "1"
title: Names python-statemachine uses
sources: {wt: Working Together}
facts:
  decided_on: {type: date}
  late: {type: boolean}
states:
  prepare:
    source: wt
    states:
      x:
        source: wt
        on:
          review: {to: finished, source: wt, records: decided_on}
          on_enter_x: {to: x, source: wt}
          after_review: {to: start_configuration_values, source: wt}
      finished: {type: final, source: wt}
    on:
      prepare_event: {to: start_configuration_values, source: wt}
      facts_recorded: {to: start_configuration_values, source: wt}
    done: {to: send, source: wt}
  send:
    source: wt
    always: {to: start_configuration_values, when: late, source: wt}
    on:
      error_x: {to: start_configuration_values, source: wt}
  start_configuration_values: {type: final, source: wt}
"""


def _both(process: Process, key: str, facts: dict, active: list[str], event: str | None):
    states, facts_after, differences = lockstep(
        process, key, facts, dt.date(2020, 3, 2), active, event
    )
    assert not differences, differences
    facts.update(facts_after)
    return states


def test_names_python_statemachine_uses_run_alike_on_both():
    bundle = Bundle("colliding.yaml", {"colliding.yaml": COLLIDING})
    process, key = build(bundle), bundle.hash
    facts: dict[str, Any] = {}
    start = _both(process, key, facts, [], None)  # 'prepare' once failed here
    assert start == ["prepare", "x"]
    # 'after_review' does not fire by itself after 'review'; the internal done.state
    # event of 'prepare' is not taken for an event of the process.
    assert _both(process, key, facts, start, "review") == ["send"]
    assert facts == {"decided_on": dt.date(2020, 3, 2)}
    # Only a fact changing: the recheck event is not the process's 'facts_recorded'.
    assert _both(process, key, facts, start, None) == start
    facts["late"] = True
    assert _both(process, key, facts, ["send"], None) == ["start_configuration_values"]
    for event in ("prepare_event", "facts_recorded", "after_review"):
        assert _both(process, key, {}, start, event) == ["start_configuration_values"]
    assert _both(process, key, {}, start, "on_enter_x") == start
    assert _both(process, key, {}, ["send"], "error_x") == ["start_configuration_values"]


def test_compiled_names_map_back():
    assert chart.state_name("prepare") == "s_prepare"
    assert chart.event_name("after_review") == "e_after_review"
    assert chart.process_id("e_after_review") == "after_review"
    assert chart.process_id("s_prepare") == "prepare"
    assert chart.process_id(steps.done_event(chart.state_name("work"))) == (
        steps.done_event("work")
    )
    with pytest.raises(ValueError):
        chart.process_id("prepare")
