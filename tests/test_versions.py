"""Versions of a process side by side (issue 15): the version in force chooses the text a
case opens under, `cspr validate` refuses overlapping periods and one version with two
texts, `cspr process list` and `cspr process diff`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner
from cspr_engine.cli import main

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ROOT / "processes"


def run(*args: str, processes: Path = PROCESSES):
    return CliRunner().invoke(main, ["--processes", str(processes), *args])


def open_case(db: str, ref: str, aware_on: str | None, on: str, *more: str):
    facts = ["--fact", f"aware_on={aware_on}"] if aware_on else []
    return run("--db", db, "case", "open", "cspr", "--ref", ref, "--on", on, *facts, *more)


def shown(db: str, ref: str) -> dict:
    return json.loads(run("--db", db, "case", "show", ref, "--json").output)


# -- the version a case opens under -------------------------------------------------------


def test_aware_on_chooses_the_version_in_force(tmp_path):
    db = str(tmp_path / "c.db")
    assert open_case(db, "LAST-2018", "2023-12-14", "2023-12-14").exit_code == 0
    assert open_case(db, "FIRST-2023", "2023-12-15", "2023-12-15").exit_code == 0
    # Known before the changeover, opened after it: still 2018 (chosen by aware_on).
    assert open_case(db, "LATE-2018", "2023-12-01", "2024-01-10").exit_code == 0
    assert shown(db, "LAST-2018")["version"] == "2018"
    assert shown(db, "FIRST-2023")["version"] == "2023"
    assert shown(db, "LATE-2018")["version"] == "2018"


def test_without_the_deciding_fact_the_opening_date_chooses(tmp_path):
    db = str(tmp_path / "c.db")
    assert open_case(db, "NO-FACT", None, "2024-02-01").exit_code == 0
    assert shown(db, "NO-FACT")["version"] == "2023"


def test_version_by_hand_is_said_in_the_history(tmp_path):
    db = str(tmp_path / "c.db")
    opened = open_case(db, "BY-HAND", "2024-01-10", "2024-01-10", "--version", "2018")
    assert opened.exit_code == 0, opened.output
    assert shown(db, "BY-HAND")["version"] == "2018"
    history = json.loads(run("--db", db, "case", "history", "BY-HAND", "--json").output)
    note = history["history"][0]["note"]
    assert "version 2018 chosen by hand with --version" in note
    assert "version 2023 is in force on aware_on 2024-01-10" in note


def test_unknown_version_is_refused(tmp_path):
    db = str(tmp_path / "c.db")
    result = open_case(db, "X", "2024-01-10", "2024-01-10", "--version", "2019")
    assert result.exit_code == 1
    assert "cspr has no version '2019' (versions: 2018, 2023)" in result.output


def test_a_process_with_one_file_opens_as_before(tmp_path):
    db = str(tmp_path / "c.db")
    result = run("--db", db, "case", "open", "scr", "--on", "2018-01-10")
    assert result.exit_code == 0, result.output


def test_cases_stay_pinned_to_their_text(tmp_path):
    db = str(tmp_path / "c.db")
    folder = tmp_path / "processes"
    folder.mkdir()
    for name in ("cspr.yaml", "cspr-2023.yaml"):
        shutil.copy(PROCESSES / name, folder / name)
    assert run("--db", db, "case", "open", "cspr", "--ref", "P-1", "--on", "2024-01-10",
               "--fact", "aware_on=2024-01-10", processes=folder).exit_code == 0  # fmt: skip
    before = json.loads(run("--db", db, "case", "show", "P-1", "--json", processes=folder).output)
    text = (folder / "cspr-2023.yaml").read_text(encoding="utf-8")
    (folder / "cspr-2023.yaml").write_text(text + "\n# edited\n", encoding="utf-8")
    after = json.loads(run("--db", db, "case", "show", "P-1", "--json", processes=folder).output)
    assert after["hash"] == before["hash"]


# -- validate -----------------------------------------------------------------------------


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "v"
    folder.mkdir()
    for name in ("cspr.yaml", "cspr-2023.yaml"):
        shutil.copy(PROCESSES / name, folder / name)
    return folder


def test_validate_refuses_overlapping_periods(tmp_path):
    folder = _folder(tmp_path)
    path = folder / "cspr.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("until: 2023-12-14", "until: 2023-12-20"),
        encoding="utf-8",
    )
    result = run("validate", str(folder))
    assert result.exit_code == 1
    assert "cspr version 2023 (from 2023-12-15) is in force on days version 2018" in result.output
    assert "(2018-06-29 to 2023-12-20)" in result.output


def test_validate_refuses_one_version_with_two_texts_but_not_a_copy(tmp_path):
    folder = _folder(tmp_path)
    shutil.copy(folder / "cspr-2023.yaml", folder / "copy.yaml")
    assert run("validate", str(folder)).exit_code == 0
    copy = folder / "copy.yaml"
    copy.write_text(copy.read_text(encoding="utf-8").replace("Working Together 2023)", "WT 23)", 1))
    result = run("validate", str(folder))
    assert result.exit_code == 1
    assert "cspr version 2023 is also in" in result.output
    assert "with a different text" in result.output


def test_validate_refuses_a_period_backwards_and_a_chosen_by_not_a_date(tmp_path):
    folder = _folder(tmp_path)
    path = folder / "cspr.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("until: 2023-12-14", "until: 2017-01-01")
    text = text.replace("chosen_by: aware_on", "chosen_by: child_died", 1)
    path.write_text(text, encoding="utf-8")
    result = run("validate", str(path))
    assert result.exit_code == 1
    assert "in force until 2017-01-01, before it is in force from 2018-06-29" in result.output
    assert "in_force: chosen_by 'child_died' is not a date fact" in result.output


# -- process list ---------------------------------------------------------------------------


def test_process_list_json_is_a_contract():
    result = run("process", "list", "--json")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    cspr = [v for v in listed if v["process"] == "cspr"]
    assert [(v["version"], v["in_force_from"], v["in_force_until"]) for v in cspr] == [
        ("2018", "2018-06-29", "2023-12-14"),
        ("2023", "2023-12-15", None),
    ]
    for item in listed:
        assert {"process", "version", "in_force_from", "in_force_until", "file", "hash"} <= set(
            item
        )
        assert len(item["hash"]) == 64
    assert cspr[0]["file"].endswith("cspr.yaml")


def test_process_list_table():
    result = run("process", "list")
    assert result.exit_code == 0
    assert result.output.splitlines()[0].split()[:4] == ["PROCESS", "VERSION", "IN", "FORCE"]
    assert "2023-12-14" in result.output


# -- process diff ----------------------------------------------------------------------------


def test_diff_2018_to_2023_in_words():
    result = run("process", "diff", "cspr@2018", "cspr@2023")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("From cspr 2018 (")
    assert '+ fact care_leaver "A care leaver (no longer looked after)": a boolean' in out
    assert '+ condition care_leaver_died "A care leaver aged 24 or under has died"' in out
    assert '~ role partners "Lead safeguarding partners": title: "Safeguarding partners"' in out
    assert "in force: 2018-06-29 to 2023-12-14 → 2023-12-15 to no end yet" in out
    # Grouped by step: a deadline's change is under its step.
    lines = out.splitlines()
    step = lines.index('  notifying_panel "Notify the Panel"')
    assert lines[step + 2].strip().startswith('~ deadline notify_panel "Notify the Panel"')
    assert "force: must → should" in lines[step + 2]


def test_diff_json():
    result = run("process", "diff", "cspr@2018", "cspr@2023", "--json")
    report = json.loads(result.output)
    assert not report["same"]
    added = {(c["what"], c["id"]) for c in report["changes"] if c["kind"] == "added"}
    assert ("fact", "care_leaver") in added and ("fact", "age") in added
    notify = [c for c in report["changes"] if c["what"] == "deadline" and c["id"] == "notify_panel"]
    assert {"field": "force", "old": "must", "new": "should"} in notify[0]["changes"]


def test_diff_of_a_text_with_itself_and_a_comment_edit(tmp_path):
    copy = tmp_path / "cspr.yaml"
    copy.write_text((PROCESSES / "cspr.yaml").read_text(encoding="utf-8") + "# a comment\n")
    result = run("process", "diff", "cspr@2018", str(copy))
    assert result.exit_code == 0
    assert "No differences in what the rules say." in result.output


def test_diff_of_an_edit_against_the_stored_text_cases_are_pinned_to(tmp_path):
    db = str(tmp_path / "c.db")
    assert open_case(db, "S-1", "2024-01-10", "2024-01-10").exit_code == 0
    pinned = shown(db, "S-1")["hash"]
    edited = tmp_path / "cspr-2023.yaml"
    text = (PROCESSES / "cspr-2023.yaml").read_text(encoding="utf-8")
    edited.write_text(text.replace("within: 15 working days", "within: 10 working days", 1))
    result = run("--db", db, "process", "diff", pinned[:12], str(edited))
    assert result.exit_code == 0, result.output
    assert (
        "period: 15 working days from became_notifiable_on → 10 working days from" in result.output
    )
    assert f"({pinned[:12]}, stored in" in result.output


def test_diff_against_the_committed_text():
    result = run("process", "diff", "git:HEAD:processes/cspr-2023.yaml", "cspr@2023")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("From cspr 2023 (")


def test_diff_refuses_what_it_cannot_find():
    result = run("process", "diff", "cspr@2019", "cspr@2023")
    assert result.exit_code == 1
    assert "no process file in" in result.output and "is cspr@2019" in result.output


# -- the 2023 edition's properties ----------------------------------------------------------


def test_2023_properties_are_sourced_and_include_the_care_leaver_route():
    from cspr_engine.format.loader import load_process

    process = load_process(PROCESSES / "cspr-2023.yaml")
    properties = process.properties
    assert len(properties) >= 5
    assert all(p.source in process.sources for p in properties.values())
    route = properties["no_rapid_review_for_an_adult_care_leavers_death_alone"]
    assert route.source == "wt2023_care_leavers" and route.kind == "invariant"


def test_the_care_leaver_property_fails_when_an_adult_is_taken_for_a_child(tmp_path):
    # A copy in which a care leaver aged 18 to 29 counts as a child: the rapid review
    # starts for an adult care leaver's death, and the property says so at the opening.
    from cspr_engine.format.loader import load_process
    from cspr_engine.run.explore import explore

    text = (PROCESSES / "cspr-2023.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "cspr-2023.yaml"
    broken.write_text(text.replace('"age is not set or age < 18"', '"age is not set or age < 30"'))
    result = explore(load_process(broken), limit=300)
    failing = {c.property.id for c in result.properties if not c.holds}
    assert failing == {"no_rapid_review_for_an_adult_care_leavers_death_alone"}
