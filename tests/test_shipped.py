"""The shipped process files, their scenarios and their diagrams, as CI checks them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from cspr_engine.cli import main

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ROOT / "processes"
VOCABULARY = {"cspr", "scr", "transitional"}


def run(*args: str):
    return CliRunner().invoke(main, ["--processes", str(PROCESSES), *args])


def open_cspr_case(db: str, ref: str):
    """Open a CSPR case through the CLI, the LA aware on Friday 20 December 2019."""
    return run(
        "--db", db, "case", "open", "cspr", "--ref", ref, "--fact", "aware_on=2019-12-20",
        "--on", "2019-12-20",
    )  # fmt: skip


def test_shipped_processes_validate():
    result = run("validate", str(PROCESSES))
    assert result.exit_code == 0, result.output
    assert {p.stem for p in PROCESSES.glob("*.yaml")} >= VOCABULARY


def test_every_scenario_passes():
    result = run("scenario", "run", str(PROCESSES / "scenarios"))
    assert result.exit_code == 0, result.output
    assert "0 failed" in result.output


def test_vocabulary_deadlines_exist():
    from cspr_engine.format.loader import load_process

    deadlines = {
        name: {d.id for d in load_process(PROCESSES / f"{name}.yaml").deadlines()}
        for name in ("cspr", "scr")
    }
    assert {"notify_panel", "rapid_review", "publish_report", "send_report"} <= deadlines["cspr"]
    assert "scr_decision" in deadlines["scr"]


def test_operating_a_case_needs_no_statechart_library(tmp_path):
    """Cases run on the engine's own interpreter: showing one, and changing it, imports
    neither python-statemachine (the cross-check) nor jsonschema nor graphviz."""
    code = (
        "import sys\n"
        "from cspr_engine.cli import main\n"
        "for argv in (['case', 'show', 'LA-1'], ['case', 'history', 'LA-1'],\n"
        "             ['case', 'set', 'LA-1', '--on', '2019-12-20', 'child_died=true',\n"
        "              'abuse_or_neglect=suspected'],\n"
        "             ['case', 'send', 'LA-1', 'partners_notified', '--on', '2019-12-23'],\n"
        "             ['tick', '--as-of', '2020-02-01']):\n"
        "    try: main(['--db', sys.argv[1], *argv])\n"
        "    except SystemExit as e: assert e.code in (0, None), e.code\n"
        "heavy = [m for m in ('statemachine', 'jsonschema', 'graphviz') if m in sys.modules]\n"
        "print(heavy, file=sys.stderr)\n"
        "sys.exit(1 if heavy else 0)\n"
    )
    db = str(tmp_path / "c.db")
    opened = open_cspr_case(db, "LA-1")
    assert opened.exit_code == 0, opened.output
    done = subprocess.run(
        [sys.executable, "-c", code, db], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr


def test_cspr_case_open_shows_notify_panel_due_2019_12_31(tmp_path):
    db = str(tmp_path / "c.db")
    open_cspr_case(db, "LA-2")

    shown = json.loads(run("--db", db, "case", "show", "LA-2", "--json").output)
    due = {d["name"]: d["due"] for d in shown["deadlines"]}
    assert due["notify_panel"] == "2019-12-31"
    assert due["rapid_review"] == "2020-01-15"


def test_diagrams_match_process_files():
    result = run("diagram", "--check", str(ROOT / "diagrams"))
    assert result.exit_code == 0, result.output


def test_output_cut_short_by_its_reader_is_no_error(tmp_path):
    """`cspr case show X | head -1`: the reader goes away before cspr writes; cspr stops
    quietly (as `cat` would, status 141), without claiming an internal error."""
    db = str(tmp_path / "c.db")
    assert open_cspr_case(db, "LA-1").exit_code == 0
    reader_gone = subprocess.Popen(
        [sys.executable, "-m", "cspr_engine.cli", "--db", db, "case", "show", "LA-1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert reader_gone.stdout is not None and reader_gone.stderr is not None
    reader_gone.stdout.close()  # before cspr has started, let alone written
    errors = reader_gone.stderr.read().decode()
    assert reader_gone.wait(timeout=60) == 141
    assert errors == ""
