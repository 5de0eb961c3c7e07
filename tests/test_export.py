"""cspr export: the register as CSV or JSON, streamed, with filters and honest statuses."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from cspr_engine.cases.export import COLUMNS
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
        runtime.open("cspr", {**BASE, "aware_on": "2024-07-01"}, on=D("2024-07-01"), ref="N1")
        runtime.set("N1", {"abuse_or_neglect": "not_suspected"}, on=D("2024-07-04"))
        runtime.open("cspr", {**BASE, "aware_on": "2024-05-01"}, on=D("2024-05-01"), ref="L1")
        runtime.send("L1", "panel_notified", on=D("2024-05-13"))
        runtime.correct("L1", 2, "the notice went on 7 May", on=D("2024-05-07"))
    return path


def export(db: str, *args: str) -> str:
    result = CliRunner().invoke(main, ["--db", db, "--processes", str(PROCESSES), "export", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_deadlines_as_csv_with_a_header_role_and_lapsed_duties(db):
    rows = list(csv.DictReader(io.StringIO(export(db, "deadlines", "--as-of", "2024-07-10"))))
    assert tuple(rows[0]) == COLUMNS["deadlines"]
    status = {(r["ref"], r["deadline"]): (r["status"], r["role"]) for r in rows}
    assert status[("N1", "notify_panel")] == ("lapsed", "local_authority")
    assert status[("L1", "notify_panel")] == ("met", "local_authority")  # as corrected
    assert all(r["due"] == "" or dt.date.fromisoformat(r["due"]) for r in rows)


def test_history_shows_corrections_and_cases_filter_like_the_list(db):
    history = json.loads(export(db, "history", "--format", "json", "--ref", "L1"))
    assert [(h["revision"], h["action"], h["corrects"]) for h in history] == [
        (1, "open", None),
        (2, "send", None),
        (3, "correct", 2),
    ]
    cases = json.loads(export(db, "cases", "--format", "json", "--fact", "aware_on=2024-07-01"))
    assert [c["ref"] for c in cases] == ["N1"]


def test_an_export_file_is_written_once_and_never_onto_the_store(db, tmp_path):
    target = tmp_path / "out.csv"
    runner = CliRunner()
    base = ["--db", db, "--processes", str(PROCESSES), "export", "deadlines"]
    assert runner.invoke(main, [*base, "-o", str(target)]).exit_code == 0
    again = runner.invoke(main, [*base, "-o", str(target)])
    assert again.exit_code == 1 and "exists; use --force" in again.output
    onto = runner.invoke(main, [*base, "-o", db, "--force"])
    assert onto.exit_code == 1 and "it is the case store" in onto.output
    with Store(db) as store:
        assert len(store.case_ids()) == 2


def test_role_keeps_that_roles_deadlines(db):
    rows = list(csv.DictReader(io.StringIO(export(db, "deadlines", "--role", "partners"))))
    assert rows and {r["role"] for r in rows} == {"partners"}
