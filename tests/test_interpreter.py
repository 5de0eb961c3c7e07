"""The engine's interpreter and python-statemachine run the same charts the same way.

The runtime runs cases on :mod:`engine.interpreter`; :mod:`engine.chart` compiles the same
model for python-statemachine. Both are driven here in lockstep, through every shipped
scenario and along random walks over every shipped process, and must agree on every step:
the states a case ends in, every state left and entered and every transition taken in
order, and the facts recorded.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
from click.testing import CliRunner
from cspr_engine.cases import scenarios
from cspr_engine.cli import main
from cspr_engine.format.loader import build_cached, read_bundle
from cspr_engine.model import Process
from cspr_engine.run import chart, explain, interpreter

PROCESSES = Path(__file__).resolve().parent.parent / "processes"
SCENARIOS = sorted((PROCESSES / "scenarios").glob("*.yaml"))


def test_every_scenario_runs_the_same_on_both():
    """``cspr scenario run --cross-check`` runs every change on both, failing on any
    difference; every shipped scenario passes it."""
    result = CliRunner().invoke(
        main, ["scenario", "run", str(PROCESSES / "scenarios"), "--cross-check"]
    )
    assert result.exit_code == 0, result.output
    assert f"{len(SCENARIOS)} passed, 0 failed" in result.output


def test_a_difference_fails_the_scenario(monkeypatch):
    """Were the interpreter to enter states in another order, the cross-check says so."""
    real = interpreter.Run._enter
    monkeypatch.setattr(interpreter.Run, "_enter", lambda run, states: real(run, states[::-1]))
    outcome = scenarios.run_file(PROCESSES / "scenarios" / SCENARIOS[0].name, cross_check=True)
    assert not outcome.passed
    assert "the engine and python-statemachine disagree" in outcome.failures[0]
    assert "python-statemachine enters" in outcome.failures[0]


def _random_facts(process: Process, rng: random.Random, today: dt.date) -> dict:
    facts = {}
    for fact in process.facts.values():
        if rng.random() < 0.5:
            continue
        if fact.type == "date":
            facts[fact.id] = today + dt.timedelta(days=rng.randint(-400, 400))
        elif fact.type == "boolean":
            facts[fact.id] = rng.random() < 0.5
        elif fact.type == "choice":
            facts[fact.id] = rng.choice(fact.options)
        elif fact.type == "number":
            facts[fact.id] = rng.randint(0, 5)
    return facts


@pytest.mark.parametrize("name", ["cspr", "scr", "transitional"])
def test_random_walks_agree(name):
    """Random events (allowed now or not), random facts, and days passing."""
    bundle = read_bundle(PROCESSES / f"{name}.yaml")
    process = build_cached(bundle)
    events = [*process.events(), None]
    rng = random.Random(f"walks-{name}")
    visited: set[str] = set()
    for _walk in range(60):
        today = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randint(0, 700))
        facts = _random_facts(process, rng, today)
        active, _ = chart.cross_checked(process, bundle.hash, facts, today, [], None)
        for _step in range(25):
            today += dt.timedelta(days=rng.choice([0, 1, 7, 40]))
            if rng.random() < 0.3:
                facts.update(_random_facts(process, rng, today))
            # Mostly an event the case listens for now, so that walks go deep.
            listening = explain.events_now(process, active)
            event = rng.choice(listening if listening and rng.random() < 0.8 else events)
            active, _ = chart.cross_checked(process, bundle.hash, facts, today, active, event)
            visited.update(active)
    # The walks must go somewhere for their agreement to mean anything: well into the
    # process, not stuck at its start.
    assert len(visited) >= len(process.states) // 2, sorted(set(process.states) - visited)


def test_numbering_follows_python_statemachine():
    """Ties in entry and exit order are broken by python-statemachine's own numbering."""
    bundle = read_bundle(PROCESSES / "transitional.yaml")
    process = build_cached(bundle)
    cls = chart.chart_for(process, bundle.hash)
    ours = {s: n.order for s, n in interpreter.chart_of(process).nodes.items()}
    theirs = {chart.process_id(s.id): s.document_order for s in cls.states_map.values()}
    assert ours == theirs


PARALLEL = """
process: par
version: "1"
title: Order inside a parallel step
sources: {wt: Working Together}
states:
  p:
    type: parallel
    source: wt
    states:
      r1:
        source: wt
        states:
          a:
            source: wt
            states:
              a1: {source: wt, on: {go: {to: out, source: wt}}}
      r2:
        source: wt
        states:
          b: {source: wt, on: {go: {to: out, source: wt}}}
  out: {type: final, source: wt}
"""


def test_parallel_order_is_python_statemachines_not_document_order():
    """The example the README gives (For policy leads: the process files)."""
    from cspr_engine.format.bundle import Bundle
    from cspr_engine.format.loader import build

    bundle = Bundle("par.yaml", {"par.yaml": PARALLEL})
    process = build(bundle)
    today = dt.date(2020, 1, 6)
    active, journal = chart.cross_checked(process, bundle.hash, {}, today, [], None)
    assert [state for _, state in journal] == ["p", "r1", "a", "r2", "a1", "b"]
    _, journal = chart.cross_checked(process, bundle.hash, {}, today, active, "go")
    left = [state for kind, state in journal if kind == "exit"]
    assert left == ["a1", "b", "a", "r2", "r1", "p"]
