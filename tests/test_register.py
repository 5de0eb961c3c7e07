"""The case register: filters that tell, one line per case, deadlines by responsible role."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from cspr_engine.cases.runtime import Runtime
from cspr_engine.cli import main
from cspr_engine.store.database import Store

PROCESSES = Path(__file__).resolve().parent.parent / "processes"
D = dt.date.fromisoformat
BASE = {"child_died": "true", "abuse_or_neglect": "suspected", "looked_after": "false"}


@pytest.fixture
def db(tmp_path) -> str:
    path = str(tmp_path / "cases.db")
    with Store(path) as store:
        runtime = Runtime(store, PROCESSES)
        runtime.open(
            "cspr", {**BASE, "aware_on": "2024-05-01"}, on=D("2024-05-01"), ref="LA-2024-1"
        )
        runtime.open(
            "cspr", {**BASE, "aware_on": "2024-06-03"}, on=D("2024-06-03"), ref="LA-2024-2"
        )
        runtime.send("LA-2024-2", "panel_notified", on=D("2024-06-04"))
        runtime.open("scr", {**BASE, "aware_on": "2019-03-01"}, on=D("2019-03-01"), ref="OLD-1")
    return path


def cspr(db: str, *args: str):
    return CliRunner().invoke(main, ["--db", db, "--processes", str(PROCESSES), *args])


def listed(db: str, *args: str) -> list[str]:
    result = cspr(db, "case", "list", "--json", *args)
    assert result.exit_code == 0, result.output
    return [case["ref"] for case in json.loads(result.output)]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--state", "rapid_reviw"], "no step 'rapid_reviw' in these processes — did you mean"),
        (["--process", "csrp"], "no case of process 'csrp' in the register — did you mean 'cspr'?"),
        (["--role", "partnrs"], "no role 'partnrs' in these processes — did you mean 'partners'?"),
        (["--fact", "aware_onn=2024-05-01"], "no fact 'aware_onn' in these processes"),
    ],
)
def test_a_filter_naming_nothing_known_is_refused_with_the_nearest_name(db, args, words):
    result = cspr(db, "case", "list", *args)
    assert result.exit_code == 1
    assert result.output.startswith("cspr: ") and words in result.output
    assert len(result.output.splitlines()) == 1


def test_filters_take_ids_or_titles_and_narrow_the_list(db):
    assert listed(db) == ["LA-2024-1", "LA-2024-2", "OLD-1"]
    assert listed(db, "--process", "cspr") == ["LA-2024-1", "LA-2024-2"]
    assert listed(db, "--state", "notifying_panel") == ["LA-2024-1"]
    # A title names every step that bears it (the Panel notice in cspr and in scr).
    assert set(listed(db, "--state", "Notify the Panel")) >= {"LA-2024-1", "OLD-1"}
    assert listed(db, "--ref", "la-2024-*") == ["LA-2024-1", "LA-2024-2"]
    assert listed(db, "--opened-from", "2024-06-01") == ["LA-2024-2"]
    assert listed(db, "--opened-to", "2024-05-31") == ["LA-2024-1", "OLD-1"]
    assert listed(db, "--fact", "aware_on=2024-06-03") == ["LA-2024-2"]
    assert listed(db, "--open", "--process", "cspr") == ["LA-2024-1", "LA-2024-2"]
    assert listed(db, "--closed") == []


def test_overdue_by_role(db):
    as_of = ["--as-of", "2024-06-20"]
    assert listed(db, "--overdue", "--role", "local_authority", "--process", "cspr", *as_of) == [
        "LA-2024-1",
        "LA-2024-2",
    ]
    assert listed(db, "--overdue", "--role", "panel", *as_of) == []


def test_a_case_is_one_line_with_the_titles_of_its_current_steps(db):
    result = cspr(db, "case", "list", "--process", "cspr")
    lines = result.output.splitlines()
    assert len(lines) == 3  # the header and one line a case
    assert "Notify the Panel" in lines[1] and "notifying_panel" not in lines[1]


def test_due_names_the_role_responsible_and_groups_by_it(db):
    shown = json.loads(cspr(db, "due", "--as-of", "2024-06-05", "--json").output)
    assert {(d["ref"], d["name"], d["role"]) for d in shown} >= {
        ("LA-2024-1", "notify_panel", "local_authority"),
        ("LA-2024-1", "rapid_review", "partners"),
    }
    only = json.loads(
        cspr(db, "due", "--as-of", "2024-06-05", "--role", "partners", "--json").output
    )
    assert only and {d["role"] for d in only} == {"partners"}
    grouped = cspr(db, "due", "--as-of", "2024-06-05", "--group-by", "role").output
    assert grouped.index("local_authority") < grouped.index("partners")
