"""Moving open cases between versions (issue 15, part 5): the plan, the dry run, the move
as a `migrate` input in the record, verify through it, and the reverse plan."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from cspr_engine.cli import main

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ROOT / "processes"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The two cspr versions in a folder of their own (a test may edit them)."""
    where = tmp_path / "processes"
    where.mkdir()
    for name in ("cspr.yaml", "cspr-2023.yaml"):
        shutil.copy(PROCESSES / name, where / name)
    return where


def run(folder: Path, db: Path, *args: str):
    return CliRunner().invoke(main, ["--processes", str(folder), "--db", str(db), *args])


def open_2018(folder: Path, db: Path, ref: str, aware_on: str, *facts: str) -> None:
    result = run(folder, db, "case", "open", "cspr", "--ref", ref, "--on", aware_on,
                 "--fact", f"aware_on={aware_on}", "--fact", "child_died=true",
                 "--fact", "abuse_or_neglect=suspected", *facts)  # fmt: skip
    assert result.exit_code == 0, result.output


def reviewed_plan(folder: Path, db: Path, path: Path, old="cspr@2018", new="cspr@2023") -> Path:
    """A plan made and reviewed: care_leaver defaults to false, age may be left out."""
    made = run(folder, db, "migrate", "plan", old, new, "-o", str(path))
    assert made.exit_code == 0, made.output
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "  care_leaver:  # boolean: A care leaver (no longer looked after)\n    required: true",
        "  care_leaver:  # boolean: A care leaver (no longer looked after)\n    default: false",
    )
    text = text.replace(
        "  age:  # number: Age in years when the person died or was harmed\n    required: true\n",
        "",
    )
    path.write_text(text, encoding="utf-8")
    return path


def show(folder: Path, db: Path, ref: str) -> dict:
    return json.loads(run(folder, db, "case", "show", ref, "--json").output)


def history(folder: Path, db: Path, ref: str) -> list[dict]:
    return json.loads(run(folder, db, "case", "history", ref, "--json").output)["history"]


def test_plan_maps_same_ids_and_marks_new_facts_required(folder, tmp_path):
    db = tmp_path / "c.db"
    result = run(folder, db, "migrate", "plan", "cspr@2018", "cspr@2023")
    assert result.exit_code == 0, result.output
    text = result.output
    assert text.startswith("# yaml-language-server: $schema=../schemas/migration.schema.json")
    assert "  rapid_review_under_way: rapid_review_under_way\n" in text
    # Each deadline by the step that holds it: cspr has rapid_review in two steps.
    assert (
        "  rapid_review_under_way.rapid_review: keep  # both: 15 working days from aware_on\n"
        in (text)
    )
    late = (
        "  rapid_review_late.rapid_review: keep  # both: 15 working days from became_notifiable_on"
    )
    assert late + "\n" in text
    assert "  notifying_panel.notify_panel: keep  # both: 5 working days from aware_on\n" in text
    assert "  care_leaver:  # boolean" in text and "    required: true" in text
    assert "null" not in text.split("states:")[1].split("deadlines:")[0]


def test_plan_lists_steps_with_no_counterpart(folder, tmp_path):
    db = tmp_path / "c.db"
    new = folder / "cspr-2023.yaml"
    new.write_text(new.read_text(encoding="utf-8").replace("no_lac_death", "no_death_notice"))
    result = run(folder, db, "migrate", "plan", "cspr@2018", "cspr@2023")
    assert "  no_lac_death: null  # no step of this id in the new text: map it" in result.output


def test_a_plan_with_mistakes_is_refused_at_its_lines(folder, tmp_path):
    db = tmp_path / "c.db"
    open_2018(folder, db, "M-1", "2023-12-01")
    plan = reviewed_plan(folder, db, tmp_path / "plan.yaml")
    text = plan.read_text(encoding="utf-8")
    text = text.replace(
        "  rapid_review_under_way: rapid_review_under_way", "  rapid_review_under_way: rapid_reviw"
    )
    text = text.replace(
        "  notifying_panel.notify_panel: keep", "  notifying_panel.notify_panel: sometimes"
    )
    plan.write_text(text, encoding="utf-8")
    result = run(folder, db, "migrate", str(plan), "--all", "--dry-run")
    assert result.exit_code == 1
    assert "plan.yaml:" in result.output and "sometimes" in result.output
    text = text.replace(
        "  notifying_panel.notify_panel: sometimes", "  notifying_panel.notify_panel: keep"
    )
    plan.write_text(text, encoding="utf-8")
    result = run(folder, db, "migrate", str(plan), "--all", "--dry-run")
    assert result.exit_code == 1
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "rapid_reviw" in t)
    assert f"plan.yaml:{line}:" in result.output
    assert (
        "'rapid_reviw' is not a step of cspr 2023 — did you mean 'rapid_review'?" in (result.output)
        or "'rapid_reviw' is not a step of cspr 2023" in result.output
    )


def test_dry_run_says_ok_or_refused_and_changes_nothing(folder, tmp_path):
    db = tmp_path / "c.db"
    open_2018(folder, db, "D-1", "2023-12-01")
    open_2018(folder, db, "D-2", "2023-12-04")
    made = run(
        folder, db, "migrate", "plan", "cspr@2018", "cspr@2023", "-o", str(tmp_path / "p.yaml")
    )
    assert made.exit_code == 0
    before = history(folder, db, "D-1")
    result = run(
        folder, db, "migrate", str(tmp_path / "p.yaml"), "--all", "--dry-run", "--on", "2024-01-08"
    )
    assert result.exit_code == 1  # the unreviewed plan requires age and care_leaver
    assert "REFUSED case 1 (D-1)" in result.output
    assert "the new text needs fact age" in result.output
    assert "0 case(s) would move from 2018 to 2023, 2 refused: case 1 (D-1), case 2 (D-2)" in (
        result.output
    )
    plan = reviewed_plan(folder, db, tmp_path / "p.yaml")
    result = run(
        folder, db, "migrate", str(plan), "--all", "--dry-run", "--on", "2024-01-08", "--json"
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["dry_run"] and report["would_move"] == 2 and report["refused"] == 0
    first = report["cases"][0]
    assert first["ok"] and "checking_looked_after_status" in first["steps_after"]
    assert {
        "step": "rapid_review_under_way",
        "deadline": "rapid_review",
        "due_before": "2023-12-22",
        "due_after": "2023-12-22",
    } in first["deadlines"]
    text = run(folder, db, "migrate", str(plan), "--all", "--dry-run", "--on", "2024-01-08").output
    assert "     rapid_review_under_way.rapid_review: due 2023-12-22 → 2023-12-22 (same)\n" in text
    assert history(folder, db, "D-1") == before
    assert show(folder, db, "D-1")["version"] == "2018"


def test_move_verify_late_entry_and_back(folder, tmp_path):
    db = tmp_path / "c.db"
    open_2018(folder, db, "V-1", "2023-12-01")
    plan = reviewed_plan(folder, db, tmp_path / "p.yaml")
    moved = run(folder, db, "migrate", str(plan), "--case", "V-1", "--on", "2024-01-08",
                "--reason", "Working Together 2023 in force", "--by", "policy.lead")  # fmt: skip
    assert moved.exit_code == 0, moved.output
    assert "1 case(s) moved from 2018 to 2023, 0 refused" in moved.output
    case = show(folder, db, "V-1")
    assert case["version"] == "2023" and case["facts"]["care_leaver"] is False
    row = history(folder, db, "V-1")[-1]
    assert row["action"] == "migrate" and row["recorded_by"] == "policy.lead"
    assert row["note"] == "Working Together 2023 in force"
    spec = row["facts_given"]["migrate"]
    assert spec["from"]["version"] == "2018" and spec["to"]["version"] == "2023"
    assert len(spec["from"]["hash"]) == len(spec["to"]["hash"]) == len(spec["plan"]) == 64
    assert run(folder, db, "case", "verify", "V-1").exit_code == 0
    # A late entry before the move is taken under the old text; one after under the new.
    late = run(folder, db, "case", "send", "V-1", "panel_notified", "--on", "2023-12-20")
    assert late.exit_code == 0, late.output
    after = run(folder, db, "case", "set", "V-1", "age=15", "--on", "2024-01-09")
    assert after.exit_code == 0, after.output
    verified = run(folder, db, "case", "verify", "V-1")
    assert verified.exit_code == 0, verified.output
    status = {d["name"]: d["status"] for d in show(folder, db, "V-1")["deadlines"]}
    assert status["notify_panel"] == "missed"
    # The reverse plan moves it back.
    back = tmp_path / "back.yaml"
    assert (
        run(folder, db, "migrate", "plan", "cspr@2023", "cspr@2018", "-o", str(back)).exit_code == 0
    )
    result = run(
        folder, db, "migrate", str(back), "--case", "V-1", "--on", "2024-01-10", "--reason", "back"
    )
    assert result.exit_code == 0, result.output
    case = show(folder, db, "V-1")
    assert case["version"] == "2018" and "care_leaver" not in case["facts"]
    assert run(folder, db, "case", "verify", "V-1").exit_code == 0


def test_each_case_alone_a_refused_one_changes_nothing(folder, tmp_path):
    db = tmp_path / "c.db"
    open_2018(folder, db, "A-1", "2023-12-01")
    open_2018(folder, db, "A-2", "2023-12-04")
    open_2018(folder, db, "A-3", "2023-12-05")
    # A-2 is in a step the plan leaves unmapped.
    sent = run(folder, db, "case", "send", "A-2", "panel_notified", "--on", "2023-12-06")
    assert sent.exit_code == 0, sent.output
    plan = reviewed_plan(folder, db, tmp_path / "p.yaml")
    text = plan.read_text(encoding="utf-8")
    plan.write_text(
        text.replace(
            "  panel_notification_made: panel_notification_made", "  panel_notification_made: null"
        )
    )
    before = history(folder, db, "A-2")
    result = run(
        folder, db, "migrate", str(plan), "--all", "--on", "2024-01-08", "--reason", "WT 2023"
    )
    assert result.exit_code == 1
    assert "REFUSED case 2 (A-2)" in result.output
    assert "which the plan maps to no step of cspr 2023" in result.output
    assert "2 case(s) moved from 2018 to 2023, 1 refused: case 2 (A-2)" in result.output
    assert history(folder, db, "A-2") == before
    assert show(folder, db, "A-1")["version"] == show(folder, db, "A-3")["version"] == "2023"
    assert run(folder, db, "case", "verify", "--all").exit_code == 0


def test_a_deadline_falling_into_the_past_is_refused_unless_kept(folder, tmp_path):
    db = tmp_path / "c.db"
    new = folder / "cspr-2023.yaml"
    text = new.read_text(encoding="utf-8")
    new.write_text(text.replace("within: 15 working days", "within: 5 working days"))
    open_2018(folder, db, "R-1", "2023-12-01")
    plan = reviewed_plan(folder, db, tmp_path / "p.yaml")
    text = plan.read_text(encoding="utf-8")
    assert "  rapid_review_under_way.rapid_review: recompute  # 15 working days" in text
    result = run(
        folder, db, "migrate", str(plan), "--case", "R-1", "--dry-run", "--on", "2023-12-18"
    )
    assert result.exit_code == 1
    assert (
        "rapid_review_under_way.rapid_review would be due 2023-12-08 under the new rules, before "
        "the move on"
    ) in result.output
    assert "keep its due date in the plan (rapid_review_under_way.rapid_review: keep)" in (
        result.output
    )
    plan.write_text(
        text.replace(
            "rapid_review_under_way.rapid_review: recompute",
            "rapid_review_under_way.rapid_review: keep",
        )
    )
    result = run(
        folder, db, "migrate", str(plan), "--case", "R-1", "--on", "2023-12-18", "--reason", "x"
    )
    assert result.exit_code == 0, result.output
    rapid = [d for d in show(folder, db, "R-1")["deadlines"] if d["name"] == "rapid_review"][0]
    assert rapid["due"] == "2023-12-22"
    assert rapid["explanation"].startswith("kept from cspr 2018 on the move to 2023: ")
    assert run(folder, db, "case", "verify", "R-1").exit_code == 0


def test_a_case_not_on_the_plans_text_is_refused(folder, tmp_path):
    db = tmp_path / "c.db"
    opened = run(folder, db, "case", "open", "cspr", "--ref", "N-1", "--on", "2024-01-10",
                 "--fact", "aware_on=2024-01-10")  # fmt: skip
    assert opened.exit_code == 0
    plan = reviewed_plan(folder, db, tmp_path / "p.yaml")
    result = run(folder, db, "migrate", str(plan), "--case", "N-1", "--dry-run")
    assert result.exit_code == 1
    assert "it is on cspr 2023" in result.output and "not on the plan's 2018" in result.output


def test_a_move_needs_a_reason_and_cases(folder, tmp_path):
    db = tmp_path / "c.db"
    open_2018(folder, db, "Q-1", "2023-12-01")
    plan = reviewed_plan(folder, db, tmp_path / "p.yaml")
    assert "needs a reason" in run(folder, db, "migrate", str(plan), "--all").output
    assert "say which cases" in run(folder, db, "migrate", str(plan), "--dry-run").output


# -- deadlines named by their step ----------------------------------------------------------


def test_two_deadlines_of_one_id_are_planned_each_in_its_own_step(folder, tmp_path):
    # Only the rapid review of an incident found notifiable later changes: the plan keeps
    # the one and works the other out again, and a case is moved by the line for its step.
    db = tmp_path / "c.db"
    new = folder / "cspr-2023.yaml"
    text = new.read_text(encoding="utf-8")
    late = "within: 15 working days\n                        from: became_notifiable_on"
    assert text.count(late) == 1
    new.write_text(text.replace(late, late.replace("15", "10")))
    open_2018(folder, db, "S-1", "2023-12-01")
    plan = reviewed_plan(folder, db, tmp_path / "p.yaml").read_text(encoding="utf-8")
    assert (
        "  rapid_review_under_way.rapid_review: keep  # both: 15 working days from aware_on\n"
        in (plan)
    )
    assert (
        "  rapid_review_late.rapid_review: recompute  # 15 working days from became_notifiable_on"
        " → 10 working days from became_notifiable_on\n"
    ) in plan
    result = run(folder, db, "migrate", str(tmp_path / "p.yaml"), "--case", "S-1", "--on",
                 "2024-01-08", "--reason", "WT 2023")  # fmt: skip
    assert result.exit_code == 0, result.output
    rapid = [d for d in show(folder, db, "S-1")["deadlines"] if d["name"] == "rapid_review"][0]
    assert rapid["due"] == "2023-12-22"
    spec = history(folder, db, "S-1")[-1]["facts_given"]["migrate"]
    assert spec["deadlines"]["rapid_review_under_way.rapid_review"] == "keep"
    assert spec["deadlines"]["rapid_review_late.rapid_review"] == "recompute"
    assert run(folder, db, "case", "verify", "S-1").exit_code == 0


def test_a_plan_written_before_is_read_where_its_deadline_ids_are_unambiguous(folder, tmp_path):
    db = tmp_path / "c.db"
    open_2018(folder, db, "B-1", "2023-12-01")
    plan = reviewed_plan(folder, db, tmp_path / "p.yaml")
    text = plan.read_text(encoding="utf-8")
    # As the plan was written before: deadline ids alone.
    old = text.replace("  sending_report.send_report: keep", "  send_report: keep")
    plan.write_text(old, encoding="utf-8")
    result = run(folder, db, "migrate", str(plan), "--all", "--dry-run", "--on", "2024-01-08")
    assert result.exit_code == 0, result.output
    ambiguous = old.replace("  rapid_review_under_way.rapid_review: keep", "  rapid_review: keep")
    ambiguous = ambiguous.replace("  rapid_review_late.rapid_review: keep\n", "")
    plan.write_text(ambiguous, encoding="utf-8")
    result = run(folder, db, "migrate", str(plan), "--all", "--dry-run", "--on", "2024-01-08")
    assert result.exit_code == 1
    line = next(
        i for i, t in enumerate(ambiguous.splitlines(), 1) if t.startswith("  rapid_review:")
    )
    assert (
        f"p.yaml:{line}:3: 'rapid_review' is ambiguous: cspr 2018 has a deadline rapid_review in 2 "
        "steps (rapid_review_late, rapid_review_under_way); write one line for each, as "
        "STEP.rapid_review (e.g. rapid_review_late.rapid_review)"
    ) in result.output
    assert "nothing was changed" in result.output


def test_deadline_keys_that_name_nothing_are_refused_at_their_lines(folder, tmp_path):
    db = tmp_path / "c.db"
    open_2018(folder, db, "K-1", "2023-12-01")
    plan = reviewed_plan(folder, db, tmp_path / "p.yaml")
    text = plan.read_text(encoding="utf-8")
    text = text.replace("  sending_report.send_report: keep", "  sending_reprot.send_report: keep")
    text = text.replace(
        "  notifying_panel.notify_panel: keep", "  notifying_panel.notify_partners: keep"
    )
    # A step mapped where the deadline is not: nothing to keep there.
    text = text.replace(
        "  rapid_review_late: rapid_review_late", "  rapid_review_late: local_decision_due"
    )
    plan.write_text(text, encoding="utf-8")
    result = run(folder, db, "migrate", str(plan), "--all", "--dry-run")
    assert result.exit_code == 1
    out = result.output
    assert "'sending_reprot' is not a step of cspr 2018 — did you mean 'sending_report'?" in out
    assert "step 'notifying_panel' of cspr 2018 has no deadline 'notify_partners'" in out
    assert (
        "'local_decision_due' of cspr 2023 (where 'rapid_review_late' goes) has no deadline "
        "'rapid_review'"
    ) in out
    # A key not written STEP.deadline is refused by the plan's schema, at its line.
    bad = plan.read_text(encoding="utf-8").replace(
        "  local_report_online.keep_report_public: keep", "  Local Report.keep: keep"
    )
    plan.write_text(bad, encoding="utf-8")
    result = run(folder, db, "migrate", str(plan), "--all", "--dry-run")
    assert result.exit_code == 1
    line = next(i for i, t in enumerate(bad.splitlines(), 1) if "Local Report" in t)
    assert f"p.yaml:{line}:3: " in result.output
    assert "A key here is STEP.deadline" in result.output


def test_a_migration_recorded_before_says_a_deadline_for_every_step():
    # History rows written before deadlines were named by step replay as they were taken.
    from cspr_engine.run.migration import Migration, choice_for

    older = Migration(
        "a" * 64, "b" * 64, "2018", "2023", "c" * 64, deadlines={"rapid_review": "keep"}
    )
    assert choice_for(older, "rapid_review_late", "rapid_review") == "keep"
    assert choice_for(older, "rapid_review_under_way", "rapid_review") == "keep"
    assert choice_for(older, "notifying_panel", "notify_panel") == "recompute"
    named = Migration(
        "a" * 64, "b" * 64, "2018", "2023", "c" * 64,
        deadlines={"rapid_review_late.rapid_review": "keep"},
    )  # fmt: skip
    assert choice_for(named, "rapid_review_late", "rapid_review") == "keep"
    assert choice_for(named, "rapid_review_under_way", "rapid_review") == "recompute"


def test_migrate_draws_its_bar_on_a_terminal_and_is_silent_off_one(folder, tmp_path):
    from tests.test_progress import cspr, needs_pty

    if needs_pty.args[0]:
        pytest.skip("no pseudo-terminals (pty) on Windows")
    db = tmp_path / "c.db"
    open_2018(folder, db, "D-1", "2023-12-01")
    open_2018(folder, db, "D-2", "2023-12-04")
    plan = reviewed_plan(folder, db, tmp_path / "p.yaml")
    args = ("--processes", str(folder), "--db", str(db), "migrate", str(plan), "--all")
    args += ("--dry-run", "--on", "2024-01-08")
    status, piped, err = cspr(*args, cwd=tmp_path)
    assert (status, err) == (0, "")
    status, out, shown = cspr(*args, cwd=tmp_path, terminal=True)
    assert status == 0 and out == piped
    assert "moving cases" in shown and "100%" in shown
