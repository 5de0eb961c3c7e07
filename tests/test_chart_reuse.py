"""One running machine per chart is shared by every case resumed in a process: cases
stepped in turn, a case that ends the chart, and an event that fails must not leak
anything into the next case."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cspr_engine.format.loader import build_cached, read_bundle
from cspr_engine.run import chart

PROCESSES = Path(__file__).resolve().parent.parent / "processes"
FACTS = {"aware_on": dt.date(2021, 3, 1), "seriously_harmed": True, "child_died": False}
PATH = [
    ("panel_notified", {}),
    ("partners_notified", {}),
    ("rapid_review_completed", {}),
    ("local_review_decided", {}),
    ("rapid_review_sent", {"national_review_suggested": False}),
]


@pytest.fixture(scope="module")
def cspr():
    bundle = read_bundle(PROCESSES / "cspr.yaml")
    process = build_cached(bundle)
    return process, chart.chart_for(process, bundle.hash)


def _open(process, cls, facts):
    conditions = {name: c.expression for name, c in process.conditions.items()}
    return chart.run(cls, chart.Subject(dict(facts), dt.date(2021, 3, 1), conditions), None)


def _alone(process, cls, facts, events):
    """The steps a case ends in when it has a fresh machine for every event."""
    subject = _open(process, cls, facts)
    for event, given in events:
        subject.facts.update(given)
        machine = cls(model=subject)
        subject.state = chart.OrderedSet(subject.compiled())
        machine.send(chart.event_name(event))
        subject.state = subject.compiled()
    return sorted(subject.active())


def test_cases_stepped_in_turn_end_where_each_would_alone(cspr) -> None:
    process, cls = cspr
    known = {**FACTS, "abuse_or_neglect": "known"}
    not_suspected = {**FACTS, "abuse_or_neglect": "not_suspected"}
    a, b = _open(process, cls, known), _open(process, cls, not_suspected)
    for event, given in PATH:
        for subject in (a, b):
            subject.facts.update(given)
            subject.journal.clear()
            chart.run(cls, subject, event)
    assert sorted(a.active()) == _alone(process, cls, known, PATH)
    assert sorted(b.active()) == _alone(process, cls, not_suspected, PATH)
    assert sorted(a.active()) != sorted(b.active())


def test_a_failing_event_leaves_the_case_as_it_was_and_the_next_case_unharmed(cspr) -> None:
    process, cls = cspr
    known = {**FACTS, "abuse_or_neglect": "known"}
    subject = _open(process, cls, known)
    before = list(subject.state)

    class Broken(dict):
        def __setitem__(self, *_):  # recording the event's date fails mid-transition
            raise RuntimeError("boom")

    broken = chart.Subject(Broken(known), dt.date(2021, 3, 2), subject.conditions, state=before)
    with pytest.raises(RuntimeError):
        chart.run(cls, broken, "panel_notified")
    assert broken.state == before
    chart.run(cls, subject, "panel_notified")
    assert "panel_notification_made" in subject.active()
    assert subject.facts["panel_notified_on"] == dt.date(2021, 3, 1)
