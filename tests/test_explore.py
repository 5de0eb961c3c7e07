"""cspr explore: every configuration of a process, its properties and its paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from cspr_engine.cli import main
from cspr_engine.format.loader import LoadError, load_process
from cspr_engine.run.explore import explore

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ROOT / "processes"
BROKEN = ROOT / "tests" / "examples" / "scr-broken.yaml"

SMALL = """\
process: small
version: "1"
title: Small
sources: {s: Some guidance}
facts: {ready: {type: boolean, source: s}}
properties:
  done_only_when_ready:
    title: Done only when ready
    source: s
    never: "done is active and ready == false"
  finish_only_after_go:
    title: Finished only after going
    source: s
    happens: done
    only_after: go
states:
  waiting:
    source: s
    on:
      go: {to: working, source: s}
  working:
    source: s
    on:
      finish: {to: done, when: "ready", source: s}
      give_up: {to: never_reached, when: "ready == true and ready == false", source: s}
  done: {type: final, source: s}
  never_reached: {type: final, source: s}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_properties_are_read_into_the_model(tmp_path):
    process = load_process(write(tmp_path, SMALL))
    invariant, ordering = process.properties.values()
    assert invariant.kind == "invariant" and invariant.negated
    assert invariant.condition is not None and invariant.condition.text.startswith("done")
    assert ordering.kind == "ordering" and ordering.happens == "done"
    assert ordering.after == ("go",)


def test_a_property_naming_what_the_process_lacks_is_a_problem(tmp_path):
    text = SMALL.replace("only_after: go", "only_after: goo").replace(
        "ready == false", "redy == false"
    )
    with pytest.raises(LoadError) as error:
        load_process(write(tmp_path, text))
    message = str(error.value)
    assert "'goo' is neither a step nor an event" in message and "did you mean 'go'" in message
    assert "unknown fact or condition 'redy'" in message


def test_small_process_explored(tmp_path):
    result = explore(load_process(write(tmp_path, SMALL)))
    assert result.complete
    assert all(c.holds for c in result.properties)
    steps = {u.id: u.why for u in result.unreachable if u.kind == "step"}
    assert list(steps) == ["never_reached"]
    assert "is never true while 'working' is active" in steps["never_reached"]
    path = [s.as_json() for s in result.paths["done"]]
    assert [s.get("send") for s in path[1:]] == ["go", "finish"] or path[0]["open"]


def test_scr_every_step_reached_and_every_property_holds():
    result = explore(load_process(PROCESSES / "scr.yaml"))
    assert result.complete
    assert len(result.properties) >= 5
    assert all(c.holds for c in result.properties), [c.why for c in result.properties]
    assert not [u for u in result.unreachable if u.kind == "step"]


@pytest.mark.parametrize("name", ["cspr", "transitional", "cspr-2023"])
def test_shipped_properties_hold_in_the_first_configurations(name):
    # Explored whole they take from half a minute to a minute (README: the figures), so
    # CI does that once, outside the tests (.ci/run: cspr validate --explore); here the
    # first configurations, breadth first, which hold every shortest path.
    result = explore(load_process(PROCESSES / f"{name}.yaml"), limit=1500)
    assert all(c.holds for c in result.properties), [c.why for c in result.properties]


def test_broken_copy_fails_with_a_scenario_that_replays(tmp_path):
    found = tmp_path / "found"
    runner = CliRunner()
    outcome = runner.invoke(
        main, ["explore", str(BROKEN), "--json", "--write-scenarios", str(found)]
    )
    assert outcome.exit_code == 1, outcome.output
    data = json.loads(outcome.output)
    assert {"process", "version", "configurations", "transitions", "unreachable", "paths"} <= set(
        data
    )
    failing = [p for p in data["properties"] if not p["holds"]]
    assert [p["name"] for p in failing] == ["no_scr_from_the_latest_changeover"]
    steps = failing[0]["counterexample"]
    assert steps[-1] == {"send": "scr_initiated", "on": "2019-09-29"}
    files = sorted(found.glob("*.yaml"))
    assert [f.name for f in files] == ["scr_violates_no_scr_from_the_latest_changeover.yaml"]
    replay = runner.invoke(main, ["scenario", "run", str(found)])
    assert replay.exit_code == 0, replay.output
    assert "1 passed" in replay.output


TOGETHER = """\
process: together
version: "1"
title: Two facts read together
sources: {s: Some guidance}
facts:
  a: {type: boolean, source: s}
  b: {type: boolean, source: s}
states:
  waiting:
    source: s
    on:
      go: {to: working, source: s}
  working:
    source: s
    on:
      finish: {to: done, when: "a and b", source: s}
  done: {type: final, source: s}
"""


def test_facts_one_condition_reads_are_recorded_together(tmp_path):
    # One at a time, `a and b` stays unknown after either: the configuration would look
    # like the one it came from and never be explored again, and `done` never reached.
    result = explore(load_process(write(tmp_path, TOGETHER)))
    assert result.complete and not result.unreachable
    path = [s.as_json() for s in result.paths["done"]]
    assert path[-2]["set"] == {"a": True, "b": True}
    assert path[-1]["send"] == "finish"


LATER = """\
process: later
version: "1"
title: A minimum period after a planned date
sources: {s: Some guidance}
facts:
  planned_on: {type: date, source: s}
  published_on: {type: date, source: s}
states:
  drafting:
    source: s
    on:
      publish:
        to: online
        when: "planned_on is set and today >= planned_on"
        records: published_on
        source: s
  online:
    source: s
    deadlines:
      keep_public:
        within: 1 year
        from: published_on
        minimum: true
        raises: period_ended
        source: s
    on:
      period_ended: {to: may_come_down, source: s}
  may_come_down: {type: final, source: s}
"""


def test_time_runs_on_past_dates_that_change_nothing(tmp_path):
    # The day after the planned date changes no answer once published; the exploration
    # used to stop there, and never saw the year pass.
    result = explore(load_process(write(tmp_path, LATER)))
    assert result.complete and not result.unreachable, [u.why for u in result.unreachable]
    path = [s.as_json() for s in result.paths["may_come_down"]]
    assert path[-1]["tick"] > path[-2]["on"]
