"""The replay check: a case's history, replayed against its pinned process text, must
give the stored case again, and any difference is reported in words (case, revision, what).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from cspr_engine.cases import scenarios
from cspr_engine.cases.runtime import Runtime
from cspr_engine.cases.verify import verify_all, verify_case
from cspr_engine.cli import main
from cspr_engine.store.database import Store

from tests.oldstores import make_old

MINI = str(Path(__file__).parent / "examples" / "mini.yaml")
D = dt.date.fromisoformat


def step_cases(runtime: Runtime) -> None:
    """Two cases of two processes through open, set, send and a tick that raises an event."""
    runtime.open(MINI, {"aware_on": "2019-12-20", "child_died": "true"}, on=D("2019-12-20"),
                 ref="LA-1", by="tester")  # fmt: skip
    runtime.set("LA-1", {"abuse_or_neglect": "known"}, on=D("2019-12-21"), note="from police")
    runtime.send("LA-1", "panel_notified", on=D("2019-12-31"))
    runtime.open(
        "cspr",
        {"aware_on": "2019-12-20", "child_died": "true", "abuse_or_neglect": "suspected"},
        on=D("2019-12-20"),
        ref="LA-2",
    )
    runtime.send("LA-2", "panel_notified", on=D("2019-12-23"), facts={"looked_after": "false"})
    runtime.tick(D("2020-02-03"))


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "cases.db") as store:
        step_cases(Runtime(store))
        yield store


def differences(store: Store) -> dict[str, list[str]]:
    return {v.ref or "": v.differences for v in verify_all(store)}


def test_an_untouched_store_replays_exactly(store):
    verdicts = list(verify_all(store))
    assert [(v.ref, v.ok, v.events) for v in verdicts] == [("LA-1", True, 4), ("LA-2", True, 3)]
    assert all(not v.notes for v in verdicts)
    ticked = store.history(store.find("LA-1").id)[-1]
    assert ticked.action == "tick" and ticked.event == "review_late"  # the tick was replayed


LA_1 = "(SELECT id FROM cases WHERE ref = 'LA-1')"


def tamper_with_history(store, statement: str) -> None:
    """Change history behind the engine's back: it is append-only through triggers, but
    someone with the file can still drop them."""
    store.db.execute("DROP TRIGGER IF EXISTS history_append_only_update")
    store.db.execute("DROP TRIGGER IF EXISTS history_append_only_delete")
    store.db.execute(statement)


@pytest.mark.parametrize(
    ("tamper", "words"),
    [
        ("UPDATE cases SET states = '[\"publishing\"]' WHERE ref = 'LA-1'",
         ["at revision 4", "steps are publishing", "replay gives"]),
        ("UPDATE cases SET facts = json_set(facts, '$.abuse_or_neglect', 'suspected')"
         " WHERE ref = 'LA-1'",
         ["facts differ", "abuse_or_neglect is 'suspected', replay gives 'known'"]),
        ("UPDATE cases SET facts = json_remove(facts, '$.aware_on') WHERE ref = 'LA-1'",
         ["aware_on is absent, replay gives '2019-12-20'"]),
        ("UPDATE cases SET last_on = '2020-03-01' WHERE ref = 'LA-1'",
         ["last change is 2020-03-01, replay gives"]),
        ("UPDATE deadlines SET due = '2020-01-01' WHERE name = 'rapid_review'"
         " AND case_id = (SELECT id FROM cases WHERE ref = 'LA-1')",
         ["deadline rapid_review", "due 2020-01-01 (replay 2020-01-15)"]),
        ("UPDATE deadlines SET status = 'met', closed_on = '2020-01-02' WHERE name ="
         " 'rapid_review' AND case_id = (SELECT id FROM cases WHERE ref = 'LA-1')",
         ["status met (replay missed)", "closed_on 2020-01-02"]),
        ("DELETE FROM deadlines WHERE name = 'notify_panel'"
         " AND case_id = (SELECT id FROM cases WHERE ref = 'LA-1')",
         ["deadlines stored", "replay gives"]),
    ],
    ids=["states", "fact-value", "fact-gone", "last-on", "due", "status", "deadline-gone"],
)  # fmt: skip
def test_a_changed_case_is_reported_in_words(store, tamper, words):
    store.db.execute(tamper)
    found = differences(store)
    assert found["LA-2"] == []
    assert found["LA-1"], "the change was not noticed"
    text = "\n".join(found["LA-1"])
    for word in words:
        assert word in text


def test_a_changed_history_row_is_reported_at_its_revision(store):
    tamper_with_history(
        store,
        'UPDATE history SET facts_given = \'{"abuse_or_neglect": "not_suspected"}\''
        f" WHERE revision = 2 AND case_id = {LA_1}",
    )
    chain, replayed = differences(store)["LA-1"][:2]
    assert chain.startswith("revision 2 does not match its hash")
    assert replayed.startswith("revision 2 (set): facts changed abuse_or_neglect is 'known'")


def test_a_missing_history_row_is_reported(store):
    tamper_with_history(store, f"DELETE FROM history WHERE revision = 3 AND case_id = {LA_1}")
    text = "\n".join(differences(store)["LA-1"])
    assert "revision 3 is missing from the history" in text
    assert "revision 4 does not match its hash" in text


def test_a_tick_moved_back_is_reported_by_its_hash_and_what_it_raised(store):
    tamper_with_history(
        store, f"UPDATE history SET as_of = '2019-12-22' WHERE action = 'tick' AND case_id = {LA_1}"
    )
    found = differences(store)["LA-1"]
    assert found[0].startswith("revision 4 does not match its hash")
    assert "revision 4 (tick review_late): raised review_late, replay raises nothing" in found


def test_a_refused_replay_is_reported(store):
    tamper_with_history(
        store, f"UPDATE history SET event = 'published' WHERE revision = 3 AND case_id = {LA_1}"
    )
    text = "\n".join(differences(store)["LA-1"])
    assert "revision 3: replaying 'send' was refused: 'published' is not expected now" in text


def test_a_schema_1_history_is_replayed_from_the_facts_it_changed(tmp_path):
    path = tmp_path / "old.db"
    with Store(path) as store:
        step_cases(Runtime(store))
        make_old(store, 1)
    with Store(path, upgrade=True) as store:  # as `cspr db upgrade` opens it
        verdicts = {v.ref: v for v in verify_all(store)}
    assert verdicts["LA-1"].ok, verdicts["LA-1"].differences
    assert verdicts["LA-2"].ok, verdicts["LA-2"].differences
    assert verdicts["LA-1"].notes == [
        "revisions 1 to 4 were recorded before the case was derived from its inputs (schema 2"
        " or earlier): replayed as inputs, their steps not compared; some from the facts they"
        " changed (schema 1)"
    ]
    shown = CliRunner().invoke(main, ["--db", str(path), "case", "verify", "--all"])
    assert shown.exit_code == 0
    assert shown.output.splitlines()[:2] == [
        "case 1 (LA-1): matches its history (4 events replayed)",
        "  - " + verdicts["LA-1"].notes[0],
    ]


def test_verify_case_reads_a_consistent_revision(store):
    """A record read before another change is re-read with its history, not misreported."""
    stale = store.find("LA-1")
    Runtime(store).send("LA-1", "review_done", on=D("2020-02-04"))
    verdict = verify_case(store, stale)
    assert verdict.ok, verdict.differences
    assert verdict.events == 5


def longest_scenario_per_process() -> list[Path]:
    """For each shipped process, the scenario with the most steps."""
    longest: dict[str, tuple[int, Path]] = {}
    for path in scenarios.find_files(["processes/scenarios"]):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
        steps = len(data.get("steps", []))
        if steps > longest.get(data["process"], (-1, path))[0]:
            longest[data["process"]] = (steps, path)
    return [path for _, path in longest.values()]


def test_the_longest_shipped_scenarios_replay_exactly(monkeypatch):
    """Scenarios drive each process through its rules; the cases they leave behind must
    replay to the same state (the longest one per process, to keep the suite quick)."""
    verdicts = []

    class VerifiedStore(Store):
        def close(self) -> None:
            verdicts.extend(verify_all(self))
            super().close()

    monkeypatch.setattr(scenarios, "Store", VerifiedStore)
    files = longest_scenario_per_process()
    assert len(files) >= 3
    assert all(scenarios.run_file(f).passed for f in files)
    assert len(verdicts) == len(files)
    assert [(v.name, v.differences) for v in verdicts if not v.ok] == []
    assert sum(v.events for v in verdicts) > 5 * len(files)


# -- the command ----------------------------------------------------------------------------------


def cspr(store: Store, *args: str):
    return CliRunner().invoke(main, ["--db", store.path, *args])


def test_cli_verify_one_case_and_all(store):
    one = cspr(store, "case", "verify", "LA-1")
    assert one.exit_code == 0, one.output
    assert one.output == "case 1 (LA-1): matches its history (4 events replayed)\n"
    every = cspr(store, "case", "verify", "--all")
    assert every.exit_code == 0
    assert every.output == "2 case(s) verified, 7 events replayed: all match\n"


def test_cli_verify_lists_only_cases_that_differ_and_exits_1(store):
    store.db.execute("UPDATE cases SET last_on = '2020-03-01' WHERE ref = 'LA-2'")
    result = cspr(store, "case", "verify", "--all")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "case 2 (LA-2): DIFFERS from its history (3 events replayed)"
    assert lines[1].startswith("  - at revision 3: last change is 2020-03-01")
    assert lines[-1] == "2 case(s) verified, 7 events replayed: 1 differ"
    data = json.loads(cspr(store, "case", "verify", "--all", "--json").output)
    assert (data["verified"], data["events"], data["differ"]) == (2, 7, 1)
    assert [c["ok"] for c in data["cases"]] == [True, False]
    assert set(data["cases"][1]) == {"case", "ref", "ok", "events", "differences", "notes"}


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ([], "give a CASE (id or reference) or --all"),
        (["LA-1", "--all"], "not both"),
        (["NO-SUCH"], "no case 'NO-SUCH'"),
    ],
)
def test_cli_verify_refusals_are_one_line(store, args, words):
    result = cspr(store, "case", "verify", *args)
    assert result.exit_code == 1
    assert len(result.output.splitlines()) == 1 and words in result.output


def test_cases_replayed_side_by_side_give_the_same_verdicts_in_order(store):
    """With several processes sharing the cases, each verdict is what one process gives,
    a changed case included, and they come in the order of the cases."""
    runtime = Runtime(store)
    for n in range(3, 9):  # a few more cases, so that every process has some
        runtime.open("cspr", {"aware_on": "2019-12-20"}, on=D("2019-12-20"), ref=f"LA-{n}")
    store.db.execute("UPDATE cases SET last_on = '2020-03-01' WHERE ref = 'LA-5'")
    alone = [v.as_json() for v in verify_all(store, jobs=1)]
    shared = [v.as_json() for v in verify_all(store, jobs=2)]
    assert shared == alone
    assert [v["ref"] for v in shared] == ["LA-1", "LA-2", *(f"LA-{n}" for n in range(3, 9))]
    assert [v["ref"] for v in shared if not v["ok"]] == ["LA-5"]


def test_cli_verify_jobs(store):
    result = CliRunner().invoke(
        main, ["--db", store.location, "case", "verify", "--all", "--jobs", "2", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["verified"] == 2
