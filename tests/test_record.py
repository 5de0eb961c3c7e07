"""The record: late entries, corrections, one judge of events, closed cases, future dates.

A case is derived from its inputs in the order they happened; these tests record things
late, wrongly and out of order, and check that the case says what happened, that what
was recorded stays as it was, and that replay agrees.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner
from cspr_engine.cases.runtime import Refused, Runtime
from cspr_engine.cases.verify import verify_all
from cspr_engine.cli import main
from cspr_engine.store.database import Store

MINI = str(Path(__file__).parent / "examples" / "mini.yaml")
D = dt.date.fromisoformat

#: The three-step process of issue 13: an automatic step its own facts allow overtakes
#: an event sent with them.
GATE = """\
process: gate
version: "1"
title: A gate that opens by itself
sources: {s: test}
facts:
  ready: {type: boolean}
states:
  waiting:
    source: s
    always:
      - {to: open, when: ready, source: s}
    on:
      finish: {to: done, source: s}
  open:
    source: s
    on:
      go: {to: done, source: s}
  done: {type: final, source: s}
"""


@pytest.fixture
def runtime(store_location):
    with Store(store_location) as store:
        yield Runtime(store)


@pytest.fixture
def gate(tmp_path) -> str:
    path = tmp_path / "gate.yaml"
    path.write_text(GATE, encoding="utf-8")
    return str(path)


def open_mini(runtime: Runtime, ref: str = "LA-1", **facts):
    base = {"aware_on": "2019-12-20", "child_died": "true", "abuse_or_neglect": "known"}
    return runtime.open(MINI, {**base, **facts}, on=D("2019-12-20"), ref=ref, by="tester")


def statuses(runtime: Runtime, key: str, as_of: str) -> dict[str, str]:
    return {d.name: d.status for d in runtime.show(key, D(as_of)).deadlines}


def all_match(runtime: Runtime) -> None:
    verdicts = list(verify_all(runtime.store))
    assert all(v.ok for v in verdicts), [v.differences for v in verdicts]


# -- late entries ---------------------------------------------------------------------------


def test_a_late_entry_after_a_tick_is_taken_in_its_place(runtime):
    open_mini(runtime)
    runtime.tick(D("2020-01-20"))
    assert statuses(runtime, "LA-1", "2020-01-20")["notify_panel"] == "overdue"
    outcome = runtime.change("LA-1", "send", {}, "panel_notified", D("2019-12-23"), "b", None)
    assert outcome.rederived
    assert "notify_panel: overdue → met" in outcome.changes
    assert statuses(runtime, "LA-1", "2020-01-20")["notify_panel"] == "met"
    rows = runtime.history("LA-1")[1]
    assert [r.action for r in rows] == ["open", "tick", "send"]
    assert (
        rows[1].note
        == "notify_panel overdue (due 2019-12-31); rapid_review overdue (due 2020-01-15)"
    )
    all_match(runtime)


def test_a_late_entry_that_a_later_input_depends_on_is_refused_naming_it(runtime):
    open_mini(runtime)
    runtime.send("LA-1", "review_done", on=D("2020-01-06"))  # the review track is done
    runtime.send("LA-1", "panel_notified", on=D("2020-01-07"))  # the case moves to publishing
    runtime.send("LA-1", "published", on=D("2020-02-03"))
    before = (runtime.store.find("LA-1"), runtime.history("LA-1")[1])
    # Recorded late: abuse not suspected after all, as of 6 January. The Panel notice of
    # 7 January (revision 3) could then no longer be taken: refuse, naming it.
    with pytest.raises(Refused) as refused:
        runtime.set("LA-1", {"abuse_or_neglect": "not_suspected"}, on=D("2020-01-06"))
    assert "revision 3 (send panel_notified on 2020-01-07) could no longer be taken" in str(
        refused.value
    )
    assert "nothing was changed" in str(refused.value)
    assert (runtime.store.find("LA-1"), runtime.history("LA-1")[1]) == before


def test_a_late_entry_before_the_opening_or_in_the_future_is_refused(runtime):
    open_mini(runtime)
    with pytest.raises(Refused, match="before the case was opened"):
        runtime.send("LA-1", "panel_notified", on=D("2019-12-19"))
    tomorrow = runtime.today + dt.timedelta(days=1)
    for attempt in (
        lambda: runtime.send("LA-1", "panel_notified", on=tomorrow),
        lambda: runtime.set("LA-1", {"child_died": "true"}, on=tomorrow),
        lambda: runtime.tick(tomorrow),
        lambda: runtime.open(MINI, {}, on=tomorrow, ref="LA-9"),
        lambda: runtime.correct("LA-1", 1, "typo", on=tomorrow),
    ):
        with pytest.raises(Refused, match="is in the future"):
            attempt()
    assert runtime.store.find("LA-1").revision == 1


# -- corrections ----------------------------------------------------------------------------


def test_a_correction_moves_an_entry_and_keeps_the_row_it_corrects(runtime):
    open_mini(runtime)
    runtime.send("LA-1", "panel_notified", on=D("2019-12-23"), note="by email")
    outcome = runtime.correct(
        "LA-1", 2, "the email bounced; sent again on 6 January", on=D("2020-01-06")
    )
    assert "notify_panel: met → missed" in outcome.changes
    rows = runtime.history("LA-1")[1]
    assert rows[1].happened_on == "2019-12-23" and rows[1].note == "by email"  # unchanged
    assert (rows[2].action, rows[2].corrects, rows[2].happened_on) == ("correct", 2, "2020-01-06")
    shown = CliRunner().invoke(
        main, ["--db", runtime.store.location, "case", "history", "LA-1", "--json"]
    )
    history = json.loads(shown.output)["history"]
    assert history[1]["corrected_by"] == [3] and history[2]["corrects"] == 2
    all_match(runtime)


def test_a_correction_of_a_fact_at_opening_rederives_every_due_date(runtime):
    open_mini(runtime)
    runtime.correct("LA-1", 1, "police log says 18 December", facts={"aware_on": "2019-12-18"})
    view = runtime.show("LA-1", D("2019-12-23"))
    assert {d.name: d.due.isoformat() for d in view.deadlines}["notify_panel"] == "2019-12-27"
    all_match(runtime)


def test_grounds_corrected_away_leave_no_duty(runtime):
    open_mini(runtime, child_died="false")
    runtime.set("LA-1", {"child_died": "true"}, on=D("2019-12-21"))
    runtime.correct("LA-1", 2, "typed on the wrong case", void=True)
    assert runtime.store.find("LA-1").facts["child_died"] is False


def test_voiding_the_opening_withdraws_the_case(runtime):
    open_mini(runtime)
    open_mini(runtime, ref="LA-2")
    runtime.correct("LA-2", 1, "opened twice in error", void=True)
    record = runtime.store.find("LA-2")
    assert record.withdrawn and not record.deadlines
    assert {r.ref for r, _ in runtime.due(10, D("2020-01-20"))} == {"LA-1"}
    with pytest.raises(Refused, match="withdrawn"):
        runtime.send("LA-2", "panel_notified", on=D("2019-12-23"))
    listed = CliRunner().invoke(main, ["--db", runtime.store.location, "case", "list", "--json"])
    assert [c["ref"] for c in json.loads(listed.output)] == ["LA-1"]
    listed = CliRunner().invoke(
        main, ["--db", runtime.store.location, "case", "list", "--withdrawn", "--json"]
    )
    assert [c["ref"] for c in json.loads(listed.output)] == ["LA-1", "LA-2"]
    all_match(runtime)


@pytest.mark.parametrize(
    ("revision", "reason", "options", "words"),
    [
        (9, "x", {"on": D("2019-12-21")}, "there is no revision 9"),
        (1, " ", {"void": True}, "needs a reason"),
        (1, "x", {}, "say what to correct"),
        (1, "x", {"void": True, "on": D("2019-12-21")}, "give no --on or --fact"),
        (3, "x", {"on": D("2019-12-22")}, "is itself a correction"),
        (2, "x", {"facts": {"nonsense": "1"}}, "not a fact of process 'mini'"),
    ],
)
def test_a_correction_that_cannot_be_made_changes_nothing(
    runtime, revision, reason, options, words
):
    open_mini(runtime)
    runtime.send("LA-1", "panel_notified", on=D("2019-12-23"))
    runtime.correct("LA-1", 2, "typo", on=D("2019-12-24"))
    before = (runtime.store.find("LA-1"), runtime.history("LA-1")[1])
    with pytest.raises(Refused, match=words):
        runtime.correct("LA-1", revision, reason, **options)
    assert (runtime.store.find("LA-1"), runtime.history("LA-1")[1]) == before


# -- one judge ------------------------------------------------------------------------------


def test_an_event_sent_with_the_facts_that_open_the_gate_is_taken(runtime, gate):
    runtime.open(gate, {}, on=D("2024-05-01"), ref="A")
    runtime.send("A", "go", on=D("2024-05-02"), facts={"ready": "true"})
    assert runtime.store.find("A").states == ["done"]


def test_an_event_overtaken_by_an_automatic_step_is_refused_saying_what_came_first(runtime, gate):
    runtime.open(gate, {}, on=D("2024-05-01"), ref="B")
    with pytest.raises(Refused) as refused:
        runtime.send("B", "finish", on=D("2024-05-02"), facts={"ready": "true"})
    message = str(refused.value)
    assert "'finish' is not expected now" in message
    assert "first, on 2024-05-02, with ready = True, the case moved automatically" in message
    assert runtime.store.find("B").states == ["waiting"]  # nothing recorded
    assert len(runtime.history("B")[1]) == 1


def test_a_closed_case_refuses_entries_naming_the_date_but_takes_corrections(runtime, gate):
    runtime.open(gate, {}, on=D("2024-05-01"), ref="C")
    runtime.send("C", "finish", on=D("2024-05-03"))
    assert runtime.store.find("C").closed_on == "2024-05-03"
    with pytest.raises(Refused, match="closed on 2024-05-03"):
        runtime.set("C", {"ready": "true"}, on=D("2024-05-06"))
    runtime.set("C", {"ready": "false"}, on=D("2024-05-02"))  # before it closed: in its place
    runtime.correct("C", 2, "finished on the 6th", on=D("2024-05-06"))
    assert runtime.store.find("C").closed_on == "2024-05-06"
    all_match(runtime)


PROCESSES = ["cspr", "scr", "transitional"]


@pytest.mark.parametrize("process", PROCESSES)
def test_show_allows_exactly_what_send_takes(process):
    """Random events, facts and dates over a shipped process: whatever `case show` says
    is allowed on a date, `send` on that date takes, and whatever it refuses, `send`
    refuses; a send that is taken leaves the case as recorded. 3,400 trials a process."""
    chooser = random.Random(f"one judge {process}")
    runtime_store = Store(":memory:")
    runtime = Runtime(runtime_store, "processes")
    bundle = runtime.find_bundle(process)
    from cspr_engine.format.loader import build_cached

    model = build_cached(bundle)
    events = model.events()
    date_facts = [f for f, spec in model.facts.items() if spec.type == "date"]
    trials = disagreements = 0
    start = D("2018-06-01")
    cases = 0
    while trials < 3_400:
        cases += 1
        on = start + dt.timedelta(days=chooser.randrange(0, 900))
        facts = {
            name: _random_value(chooser, model.facts[name], on)
            for name in model.facts
            if chooser.random() < 0.5
        }
        facts.update({f: on.isoformat() for f in date_facts[:1]})
        try:
            record = runtime.open(process, facts, on=on, ref=f"R{cases}")
        except Refused:
            continue
        key = str(record.id)
        for _ in range(12):
            on = on + dt.timedelta(days=chooser.choice([0, 1, 2, 5, 12, 40]))
            if on > runtime.today:
                break
            if chooser.random() < 0.25:
                name = chooser.choice(list(model.facts))
                with contextlib.suppress(Refused):
                    runtime.set(key, {name: _random_value(chooser, model.facts[name], on)}, on=on)
                continue
            view = runtime.show(key, on)
            allowed = {e.name: e.allowed for e in view.events}
            event = chooser.choice(list(allowed) if allowed and chooser.random() < 0.8 else events)
            try:
                runtime.send(key, event, on=on)
                taken = True
            except Refused:
                taken = False
            trials += 1
            if taken != allowed.get(event, False):
                disagreements += 1
            if runtime.store.find(key).closed_on:
                break
    runtime_store.close()
    assert trials >= 3_400 and disagreements == 0


def _random_value(chooser: random.Random, fact, on: dt.date):
    if fact.type == "boolean":
        return chooser.choice(["true", "false"])
    if fact.type == "choice":
        return chooser.choice(list(fact.options))
    if fact.type == "date":
        return (on - dt.timedelta(days=chooser.randrange(0, 30))).isoformat()
    if fact.type == "integer":
        return str(chooser.randrange(0, 30))
    return "text"


# -- stores written before the record -------------------------------------------------------


def test_a_schema_2_store_is_upgraded_chained_and_derived_again(store_location):
    """A store written at schema 2 (a tick row among its inputs) is upgraded in place: its
    rows are chained, every case is derived again, and replay then matches."""
    from tests.oldstores import make_old

    with Store(store_location) as store:
        runtime = Runtime(store)
        open_mini(runtime)
        runtime.send("LA-1", "panel_notified", on=D("2019-12-23"))
        runtime.tick(D("2020-01-20"))
        make_old(store, 2)
    upgraded = CliRunner().invoke(main, ["--db", store_location, "db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    lines = upgraded.output.splitlines()
    assert lines[0].endswith("upgraded from schema 2 to 3")
    assert "3 history row(s) chained by hash, in recording order" in lines[1]
    assert "1 case(s) derived again from their history" in lines[2]
    with Store(store_location) as store:
        rows = store.history(store.find("LA-1").id)
        assert [r.row_format for r in rows] == [None, None, None]
        assert store.chain_problems(store.find("LA-1").id) == []
        runtime = Runtime(store)
        runtime.send("LA-1", "review_done", on=D("2020-01-22"))
        (verdict,) = verify_all(store)
        assert verdict.ok, verdict.differences
        assert "recorded before the case was derived from its inputs" in verdict.notes[0]
    shown = CliRunner().invoke(
        main, ["--db", store_location, "case", "verify", "--all", "--digest"]
    )
    assert shown.exit_code == 0, shown.output
    assert shown.output.splitlines()[-1].startswith("digest of these cases' heads: ")


def test_a_history_row_cannot_be_replaced_or_rewritten_unseen(tmp_path):
    path = str(tmp_path / "cases.db")
    with Store(path) as store:
        open_mini(Runtime(store))
        with pytest.raises(Exception, match="append-only"):
            store.execute("INSERT OR REPLACE INTO history SELECT * FROM history WHERE revision = 1")
        store.execute("DROP TRIGGER history_append_only_update")
        store.execute("UPDATE history SET recorded_by = 'someone else' WHERE revision = 1")
    shown = CliRunner().invoke(main, ["--db", path, "case", "verify", "--all"])
    assert shown.exit_code == 1
    assert "history_append_only_update are missing" in shown.output
    assert "revision 1 does not match its hash" in shown.output


# -- references -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "look_alike", ["LA-7 ", " LA-7", "la-7", "ＬＡ-7", "LА-7", "LA‐7"]
)  # trailing and leading space, lower case, full width, Cyrillic А, Unicode hyphen
def test_a_reference_that_looks_like_another_is_refused(runtime, look_alike):
    open_mini(runtime, ref="LA-7")
    with pytest.raises(Refused) as refused:
        open_mini(runtime, ref=look_alike)
    message = str(refused.value)
    assert "LA-7 (case 1)" in message or "already exists" in message
    assert len(runtime.store.cases()) == 1
    assert runtime.store.find(look_alike).ref == "LA-7"  # and it finds the case it means


def test_references_are_stored_trimmed_and_composed(runtime):
    decomposed = "Cafe\u0301-1"  # e + combining acute accent
    record = open_mini(runtime, ref=f"  {decomposed} ")
    assert record.ref == "Caf\u00e9-1"
    with pytest.raises(Refused):
        open_mini(runtime, ref="Caf\u00e9-1")


def test_an_event_the_clock_raises_is_not_recorded_by_hand_before_its_deadline(runtime):
    # grace_period_expired is raised by the clock the day after scr_final_date
    # (29 September 2020) passes: sent by hand before then it cannot have happened.
    facts = {"aware_on": D("2019-02-04"), "child_died": True, "abuse_or_neglect": "known"}
    runtime.open("scr", facts, on=D("2019-02-04"), ref="SCR-1", by="tester")
    runtime.send("SCR-1", "panel_notified", on=D("2019-02-05"))
    runtime.send("SCR-1", "lscb_notified", on=D("2019-02-06"))
    runtime.send("SCR-1", "scr_initiated", on=D("2019-02-20"))
    before = runtime.show("SCR-1")
    with pytest.raises(Refused) as refused:
        runtime.send("SCR-1", "grace_period_expired", on=D("2019-03-01"))
    words = str(refused.value)
    assert "raised by the clock when the deadline 'scr_final_date' passes" in words
    assert "due 2020-09-29, so on 2020-09-30" in words
    assert runtime.show("SCR-1") == before  # nothing changed


LOOP = """\
process: loop
version: "1"
title: Two automatic steps that go round for ever
sources: {s: test}
facts:
  x: {type: boolean}
states:
  a:
    source: s
    always:
      - {to: b, when: "x and a is active", source: s}
  b:
    source: s
    always:
      - {to: a, when: "x and b is active", source: s}
"""


def test_automatic_steps_that_never_settle_are_refused_not_run_for_ever(tmp_path):
    # A loop of automatic transitions whose conditions hold together is a mistake in the
    # process file; validate finds it unless its conditions ask about steps (as here),
    # and then the change that sets it going is refused, naming the loop and where it is
    # written, and nothing is recorded.
    path = tmp_path / "loop.yaml"
    path.write_text(LOOP, encoding="utf-8")
    db = str(tmp_path / "c.db")
    runner = CliRunner()
    opened = runner.invoke(main, ["--db", db, "case", "open", str(path), "--ref", "L-1"])
    assert opened.exit_code == 0, opened.output
    sent = runner.invoke(main, ["--db", db, "case", "set", "L-1", "x=true"])
    assert sent.exit_code == 1
    assert "automatic steps never settle" in sent.output
    assert "a → b (when x and a is active) at loop.yaml:11:" in sent.output
    assert "b → a (when x and b is active) at loop.yaml:15:" in sent.output
    history = runner.invoke(main, ["--db", db, "case", "history", "L-1", "--json"])
    assert len(json.loads(history.output)["history"]) == 1  # only the opening
