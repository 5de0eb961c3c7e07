"""The engine's interpreter and python-statemachine run the same charts the same way.

The runtime runs cases on :mod:`engine.interpreter`; :mod:`engine.chart` compiles the same
model for python-statemachine. Both are driven here in lockstep, through every shipped
scenario and along random walks over every shipped process, and must agree on every step:
the states a case ends in, every state left and entered and every transition taken in
order, and the facts recorded.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from pathlib import Path

import pytest

from engine import chart, interpreter, scenarios
from engine.loader import build_cached, read_bundle
from engine.model import Process

PROCESSES = Path(__file__).resolve().parent.parent / "processes"
SCENARIOS = sorted((PROCESSES / "scenarios").glob("*.yaml"))
OURS = interpreter.execute


def _both(process, key, facts, today, active, event):
    """Run one change on both executors; fail on any difference."""
    theirs_facts = copy.deepcopy(facts)
    theirs = chart.execute(process, key, theirs_facts, today, list(active), event)
    ours = OURS(process, key, facts, today, list(active), event)
    where = f"{process.id}: {event or '(no event)'} on {today} from {active or 'the start'}"
    assert ours[0] == theirs[0], f"{where}: states differ"
    assert ours[1] == theirs[1], f"{where}: journals differ"
    assert facts == theirs_facts, f"{where}: recorded facts differ"
    _both.compared += 1
    return ours


_both.compared = 0


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.stem)
def test_every_scenario_runs_the_same_on_both(scenario, monkeypatch):
    monkeypatch.setattr(interpreter, "execute", _both)
    before = _both.compared
    outcome = scenarios.run_file(scenario)
    assert outcome.passed, outcome.failures
    assert _both.compared > before  # the scenario did run through the lockstep


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
    steps = 0
    for _walk in range(60):
        today = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randint(0, 700))
        facts = _random_facts(process, rng, today)
        active, _ = _both(process, bundle.hash, facts, today, [], None)
        for _step in range(25):
            today += dt.timedelta(days=rng.choice([0, 1, 7, 40]))
            if rng.random() < 0.3:
                facts.update(_random_facts(process, rng, today))
            active, _ = _both(process, bundle.hash, facts, today, active, rng.choice(events))
            steps += 1
    assert steps == 60 * 25


def test_numbering_follows_python_statemachine():
    """Ties in entry and exit order are broken by python-statemachine's own numbering."""
    bundle = read_bundle(PROCESSES / "transitional.yaml")
    process = build_cached(bundle)
    cls = chart.chart_for(process, bundle.hash)
    ours = {s: n.order for s, n in interpreter.chart_of(process).nodes.items()}
    theirs = {state.id: state.document_order for state in cls.states_map.values()}
    assert ours == theirs
