"""The case runtime and the operator CLI: deadlines, refusals that change nothing, history."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from cspr_engine.cases.runtime import Refused, Runtime
from cspr_engine.cli import main
from cspr_engine.store.database import CaseChanged, SchemaOutdated, Store

from tests.oldstores import make_old

MINI = str(Path(__file__).parent / "examples" / "mini.yaml")
D = dt.date.fromisoformat


@pytest.fixture
def runtime(store_location):
    """A runtime on a new store, once on SQLite and once on PostgreSQL."""
    with Store(store_location) as store:
        yield Runtime(store)


def open_mini(runtime: Runtime, **facts):
    base = {"aware_on": "2019-12-20", "child_died": "true"}
    return runtime.open(MINI, {**base, **facts}, on=D("2019-12-20"), ref="LA-1", by="tester")


def test_open_arms_deadlines_from_aware_on_across_christmas(runtime):
    open_mini(runtime)
    view = runtime.show("LA-1", D("2019-12-23"))
    due = {d.name: (d.due.isoformat(), d.status) for d in view.deadlines}
    assert due == {
        "notify_panel": ("2019-12-31", "pending"),
        "rapid_review": ("2020-01-15", "pending"),
    }
    assert "Christmas Day" in view.deadlines[0].explanation
    assert view.as_json()["states"][0] == "response"  # outermost first


def test_refused_event_says_why_with_fact_values(runtime):
    open_mini(runtime, abuse_or_neglect="not_suspected")
    with pytest.raises(Refused) as refusal:
        runtime.send("LA-1", "panel_notified", on=D("2019-12-23"))
    assert "not_suspected" in str(refusal.value)
    event = {e.name: e for e in runtime.show("LA-1", D("2019-12-23")).events}["panel_notified"]
    assert not event.allowed and "abuse_or_neglect" in event.reason


def test_deadline_met_or_missed_when_state_left(runtime):
    open_mini(runtime, abuse_or_neglect="known")
    runtime.send("LA-1", "panel_notified", on=D("2019-12-31"))
    runtime.send("LA-1", "review_done", on=D("2020-01-16"))
    status = {d.name: d.status for d in runtime.show("LA-1", D("2020-02-01")).deadlines}
    assert status["notify_panel"] == "met"
    assert status["rapid_review"] == "missed"


def test_overdue_while_open_and_tick_raises_event(runtime):
    open_mini(runtime)
    assert {d.name: d.status for d in runtime.show("LA-1", D("2020-01-15")).deadlines} == {
        "notify_panel": "overdue",
        "rapid_review": "pending",
    }
    # Shown as of the day after rapid_review's due date, the clock's own step is worked
    # out on that day, as a tick would record it: the review is late, its event raised.
    ahead = runtime.show("LA-1", D("2020-01-16"))
    assert "reviewing_late" in ahead.record.states
    assert runtime.store.find("LA-1").revision == 1  # shown, not recorded
    report = runtime.tick(D("2020-01-16"), by="clock")
    assert runtime.show("LA-1", D("2020-01-16")).as_json()["states"] == ahead.as_json()["states"]
    assert {(r["deadline"], r["raised"]) for r in report} == {
        ("notify_panel", None),
        ("rapid_review", "review_late"),
    }
    assert "reviewing_late" in runtime.show("LA-1").record.states
    assert runtime.tick(D("2020-01-17")) == []  # each deadline passes once


def test_done_transition_and_recorded_date_start_next_deadline(runtime):
    open_mini(runtime, abuse_or_neglect="known")
    runtime.send("LA-1", "panel_notified", on=D("2019-12-23"))
    runtime.send("LA-1", "review_done", on=D("2019-08-31") if False else D("2020-08-31"))
    view = runtime.show("LA-1", D("2020-09-01"))
    assert view.record.states == ["publishing"]
    assert view.record.facts["decided_on"] == "2020-08-31"
    publish = [d for d in view.deadlines if d.name == "publish_report"][0]
    assert publish.due == D("2021-02-28")  # 31 Aug + 6 months, clamped


@pytest.mark.parametrize(
    "action",
    [
        lambda rt: rt.send("LA-1", "no_such_event"),
        lambda rt: rt.send("LA-1", "published"),  # not expected in this state
        lambda rt: rt.send("LA-1", "review_done", on=D("2019-12-01")),  # before last change
        lambda rt: rt.set("LA-1", {"child_died": "perhaps"}),
        lambda rt: rt.set("LA-1", {"chlid_died": "true"}),
        lambda rt: rt.set("LA-1", {"aware_on": "2019-02-30"}),
        lambda rt: rt.send("NOPE", "review_done"),
        lambda rt: rt.open("no_such_process"),
        lambda rt: rt.open(MINI, ref="LA-1"),  # duplicate reference
    ],
)
def test_refusals_change_nothing(runtime, action):
    open_mini(runtime)
    before = (runtime.show("LA-1", D("2020-01-01")).as_json(), runtime.history("LA-1")[1])
    with pytest.raises(Refused):
        action(runtime)
    after = (runtime.show("LA-1", D("2020-01-01")).as_json(), runtime.history("LA-1")[1])
    assert before == after
    assert len(runtime.store.cases()) == 1


def test_history_records_who_when_and_what(runtime):
    open_mini(runtime)
    runtime.set("LA-1", {"abuse_or_neglect": "suspected"}, on=D("2019-12-23"), by="a.jones")
    runtime.send("LA-1", "panel_notified", on=D("2019-12-24"), by="b.khan", note="by email")
    _, rows = runtime.history("LA-1")
    assert [(r.revision, r.action, r.recorded_by) for r in rows] == [
        (1, "open", "tester"),
        (2, "set", "a.jones"),
        (3, "send", "b.khan"),
    ]
    assert rows[1].facts_changed == {"abuse_or_neglect": "suspected"}
    assert rows[2].happened_on == "2019-12-24" and rows[2].note == "by email"
    assert "notifying" in rows[2].states_before and "notified" in rows[2].states_after
    assert rows[2].source == "Working Together 2018, chapter 4"


def test_stale_revision_is_refused(runtime):
    record = open_mini(runtime, abuse_or_neglect="known")
    runtime.send("LA-1", "panel_notified", on=D("2019-12-23"))
    moved = runtime.store.find("LA-1")
    with pytest.raises(CaseChanged), runtime.store.transaction() as db:
        runtime.store.save(db, record, moved, runtime.store.history(moved.id)[-1], "now")


def test_history_is_append_only(runtime):
    open_mini(runtime)
    with pytest.raises(Exception, match="append-only"):
        runtime.store.db.execute("UPDATE history SET note = 'x'")


def _writer(db: str, event_count: int, name: str) -> None:
    with Store(db) as store:
        rt = Runtime(store)
        for i in range(event_count):
            rt.set("LA-1", {"abuse_or_neglect": ["known", "suspected"][i % 2]}, by=name)


def test_concurrent_writers_lose_nothing(tmp_path):
    # On PostgreSQL too: see test_reliability.py's 16 writers.
    db = str(tmp_path / "c.db")
    with Store(db) as store:
        open_mini(Runtime(store))
    root = str(Path(__file__).parent.parent)
    code = (
        f"import sys; sys.path.insert(0, {root!r}); from tests.test_runtime import _writer; "
        f"_writer({db!r}, 15, sys.argv[1])"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, f"w{i}"]) for i in range(6)]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    with Store(db) as store:
        rows = store.history(store.find("LA-1").id)
    assert [r.revision for r in rows] == list(range(1, 1 + 1 + 6 * 15))
    assert sorted(r.recorded_by for r in rows[1:]).count("w0") == 15


def cli(tmp_path, *args):
    return CliRunner().invoke(main, ["--db", str(tmp_path / "cli.db"), *args])


def open_cli_case(tmp_path):
    """Open case LA-7 of the mini process through the CLI, aware on 20 December 2019."""
    return cli(
        tmp_path, "case", "open", MINI, "--ref", "LA-7", "--fact", "aware_on=2019-12-20",
        "--on", "2019-12-20",
    )  # fmt: skip


def test_cli_open_show_json_contract(tmp_path):
    opened = open_cli_case(tmp_path)
    assert opened.exit_code == 0, opened.output
    case_id = opened.output.strip()
    shown = cli(tmp_path, "case", "show", case_id, "--as-of", "2019-12-23", "--json")
    data = json.loads(shown.output)
    assert {"id", "ref", "process", "version", "states", "facts", "deadlines", "events"} <= set(
        data
    )
    notify = [d for d in data["deadlines"] if d["name"] == "notify_panel"][0]
    assert notify["due"] == "2019-12-31" and notify["status"] == "pending"
    assert notify["explanation"]
    assert {"name": "review_done", "allowed": True} in data["events"]
    refused = [e for e in data["events"] if e["name"] == "panel_notified"][0]
    assert refused["allowed"] is False and "not recorded" in refused["reason"]


@pytest.mark.parametrize(
    "args",
    [
        ["case", "send", "LA-7", "published"],
        ["case", "send", "LA-7", "review_done", "--on", "2019-02-30"],
        ["case", "send", "LA-7", "review_done", "--on", "2019-12-01"],
        ["case", "set", "LA-7", "child_died=maybe"],
        ["case", "show", "NO-SUCH-CASE"],
    ],
)
def test_cli_refusals_are_one_line_and_change_nothing(tmp_path, args):
    open_cli_case(tmp_path)
    before = [cli(tmp_path, "case", c, "LA-7", "--json").output for c in ("show", "history")]
    result = cli(tmp_path, *args)
    assert result.exit_code in (1, 2) and result.exit_code != 0
    assert "Traceback" not in result.output
    after = [cli(tmp_path, "case", c, "LA-7", "--json").output for c in ("show", "history")]
    assert json.loads(before[1]) == json.loads(after[1])
    assert json.loads(before[0])["states"] == json.loads(after[0])["states"]
    assert json.loads(before[0])["revision"] == json.loads(after[0])["revision"]


def test_history_keeps_what_the_operator_gave_apart_from_what_rules_recorded(runtime):
    open_mini(runtime, abuse_or_neglect="known")
    runtime.send("LA-1", "panel_notified", on=D("2019-12-31"))
    runtime.tick(as_of=D("2020-02-03"))
    opened, sent, ticked = runtime.history("LA-1")[1]
    assert opened.facts_given == {
        "abuse_or_neglect": "known",
        "aware_on": "2019-12-20",
        "child_died": True,
    }
    assert sent.facts_given == {} and sent.as_of is None
    assert ticked.action == "tick" and ticked.as_of == "2020-02-03"


def test_a_schema_1_store_is_upgraded_in_place_keeping_its_cases(store_location):
    path = store_location
    with Store(path) as store:
        open_mini(Runtime(store), abuse_or_neglect="known")
        # Make it look as a schema-1 store did: no columns for what the operator gave.
        make_old(store, 1)
    # Normal commands refuse it, and say what to do; nothing is changed.
    refused = CliRunner().invoke(main, ["--db", path, "case", "show", "LA-1"])
    assert refused.exit_code == 1
    assert "schema 1" in refused.output and "cspr db upgrade" in refused.output
    with pytest.raises(SchemaOutdated):
        Store(path)
    upgraded = CliRunner().invoke(main, ["--db", path, "db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert "upgraded from schema 1 to 3" in upgraded.output
    with Store(path) as store:
        assert store.schema_version() == 3
        (row,) = store.history(store.find("LA-1").id)
        assert row.action == "open" and row.facts_given is None
        Runtime(store).send("LA-1", "panel_notified", on=D("2019-12-31"))
        assert store.history(store.find("LA-1").id)[-1].facts_given == {}


def test_a_change_reports_the_revision_it_wrote_though_another_follows_at_once(
    store_location, monkeypatch
):
    with Store(store_location) as store, Store(store_location) as other:
        runtime = Runtime(store)
        open_mini(runtime)
        plain = Store.transaction

        @contextlib.contextmanager
        def then_someone_else_writes(self):
            with plain(self) as db:
                yield db
            if self is store:  # committed: a colleague records a change straight after
                monkeypatch.setattr(Store, "transaction", plain)
                Runtime(other).set("LA-1", {"abuse_or_neglect": "known"}, by="colleague")

        monkeypatch.setattr(Store, "transaction", then_someone_else_writes)
        record = runtime.set("LA-1", {"abuse_or_neglect": "suspected"}, on=D("2019-12-23"))
        assert (record.revision, record.facts["abuse_or_neglect"]) == (2, "suspected")
        assert store.find("LA-1").revision == 3


def test_a_case_is_read_at_one_revision_while_a_colleague_writes(store_location, monkeypatch):
    with Store(store_location) as store, Store(store_location) as other:
        open_mini(Runtime(store), abuse_or_neglect="known")
        plain = Store.deadlines

        def colleague_writes_between(self, case_id):
            if self is store:  # the case's row is read; its deadlines are next
                monkeypatch.setattr(Store, "deadlines", plain)
                Runtime(other).send("LA-1", "panel_notified", on=D("2019-12-23"))
            return plain(self, case_id)

        monkeypatch.setattr(Store, "deadlines", colleague_writes_between)
        record = store.find("LA-1")
        assert record.revision == 1
        assert [d.status for d in record.deadlines] == ["open", "open"]
        assert [d.status for d in store.find("LA-1").deadlines] == ["met", "open"]
