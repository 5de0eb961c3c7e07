"""cspr report: timeliness over a period (met on time, met late, missed, lapsed, still
open) by deadline, quarter and role, as CSV, HTML or PDF; matplotlib only for the charts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from cspr_engine.cases import report
from cspr_engine.cases.register import CaseFilter
from cspr_engine.cases.runtime import Refused, Runtime
from cspr_engine.cli import main
from cspr_engine.store.database import Store

PROCESSES = Path(__file__).resolve().parent.parent / "processes"
D = dt.date.fromisoformat
BASE = {"child_died": "true", "abuse_or_neglect": "suspected", "looked_after": "false"}
PERIOD = ["--from", "2024-01-01", "--to", "2024-12-31", "--as-of", "2024-12-31"]


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    """Cases whose Panel notice (due 5 working days after aware_on) was kept each way.

    Aware on Wed 1 May 2024, the notice is due Thu 9 May (Mon 6 May is a bank holiday)."""
    path = str(tmp_path_factory.mktemp("report") / "cases.db")
    may = {**BASE, "aware_on": "2024-05-01"}
    with Store(path) as store:
        rt = Runtime(store, PROCESSES)
        rt.open("cspr", may, on=D("2024-05-01"), ref="ON-TIME")
        rt.send("ON-TIME", "panel_notified", on=D("2024-05-07"))
        rt.open("cspr", may, on=D("2024-05-01"), ref="LATE")  # 2 working days late
        rt.send("LATE", "panel_notified", on=D("2024-05-13"))
        rt.open("cspr", may, on=D("2024-05-01"), ref="LATE-CORRECTED")  # 3 days, as corrected
        rt.send("LATE-CORRECTED", "panel_notified", on=D("2024-05-07"))
        rt.correct("LATE-CORRECTED", 2, "the notice went on 14 May", on=D("2024-05-14"))
        rt.open("cspr", may, on=D("2024-05-01"), ref="MISSED")  # never sent, then not owed
        rt.set("MISSED", {"abuse_or_neglect": "not_suspected"}, on=D("2024-05-20"))
        july = {**BASE, "aware_on": "2024-07-01"}
        rt.open("cspr", july, on=D("2024-07-01"), ref="LAPSED")  # not owed before its day
        rt.set("LAPSED", {"abuse_or_neglect": "not_suspected"}, on=D("2024-07-04"))
        rt.open("cspr", {**BASE, "aware_on": "2024-08-01"}, on=D("2024-08-01"), ref="OPEN")
        rt.open("cspr", {**BASE, "aware_on": "2025-01-06"}, on=D("2025-01-06"), ref="AFTER")
    return path


def run(db: str, *args: str, **kwargs):
    return CliRunner().invoke(
        main, ["--db", db, "--processes", str(PROCESSES), "report", *args], **kwargs
    )


def csv_rows(db: str, tmp_path: Path, *args: str) -> list[dict[str, str]]:
    target = tmp_path / "report.csv"
    result = run(db, *PERIOD, "--format", "csv", "-o", str(target), "--force", *args)
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))


def test_the_counts_of_a_store_with_known_cases(db, tmp_path):
    rows = csv_rows(db, tmp_path)
    assert tuple(rows[0]) == report.COLUMNS
    panel = {r["quarter"]: r for r in rows if r["deadline"] == "notify_panel"}
    assert set(panel) == {"2024-Q2", "2024-Q3"}  # the case aware in 2025 falls outside
    q2, q3 = panel["2024-Q2"], panel["2024-Q3"]
    assert (q2["fell_due"], q2["on_time"], q2["late"], q2["missed"], q2["lapsed"], q2["open"]) == (
        "4",
        "1",
        "2",
        "1",
        "0",
        "0",
    )
    assert (q2["median_working_days_late"], q2["worst_working_days_late"]) == ("2.5", "3")
    assert q2["on_time_share"] == "0.250" and q2["role"] == "local_authority"
    assert (q2["quarter_from"], q2["quarter_to"]) == ("2024-04-01", "2024-06-30")
    assert (q3["fell_due"], q3["lapsed"], q3["open"], q3["on_time_share"]) == (
        "2",
        "1",
        "1",
        "0.000",
    )
    roles = {r["deadline"]: r["role"] for r in rows}
    assert roles["rapid_review"] == "partners"


def test_the_figures_in_words_and_by_grouping(db):
    with Store(db) as store:
        figures = report.gather(
            Runtime(store, PROCESSES),
            CaseFilter(),
            D("2024-01-01"),
            D("2024-12-31"),
            D("2024-12-31"),
        )
    assert figures.cases == 6
    assert [q for q, _ in figures.by_quarter()] == ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
    panel = dict(figures.by_deadline())["notify_panel"]
    assert panel.counts == {"on_time": 1, "late": 2, "missed": 1, "lapsed": 1, "open": 1}
    words = report.share_words(figures)
    assert "Jan–Mar 2024: no deadline fell due" in words
    assert "Notify the Panel: 6 fell due (1 met on time, 2 met late, 1 missed" in (
        report.status_words(figures)
    )
    assert "median of 2.5 and at worst 3 working days late" in report.summary_words(figures)


def test_role_and_case_filters(db, tmp_path):
    rows = csv_rows(db, tmp_path, "--role", "partners")
    assert {r["deadline"] for r in rows} == {"rapid_review"}
    rows = csv_rows(db, tmp_path, "--ref", "LATE*")
    assert sum(int(r["late"]) for r in rows if r["deadline"] == "notify_panel") == 2
    assert sum(int(r["fell_due"]) for r in rows if r["deadline"] == "notify_panel") == 2


def test_a_period_that_ends_before_it_starts_is_refused(db, tmp_path):
    result = run(db, "--from", "2024-12-31", "--to", "2024-01-01", "--format", "csv", "-o",
                 str(tmp_path / "x.csv"))  # fmt: skip
    assert result.exit_code == 1 and "ends (2024-01-01) before it starts" in result.output


def test_median_of_the_days_late():
    tally = report.Tally()
    assert tally.median_late is None and tally.share is None
    tally.late_days.update({1: 2, 5: 1, 9: 1})  # 1 1 5 9
    assert (tally.median_late, tally.worst_late) == (3.0, 9)
    tally.late_days[9] += 1  # 1 1 5 9 9
    assert tally.median_late == 5


def test_an_existing_file_is_kept_without_force_and_the_store_never_written(db, tmp_path):
    target = tmp_path / "report.csv"
    target.write_text("keep me\n", encoding="utf-8")
    result = run(db, *PERIOD, "--format", "csv", "-o", str(target))
    assert result.exit_code == 1 and "exists; use --force" in result.output
    assert target.read_text(encoding="utf-8") == "keep me\n"
    assert run(db, *PERIOD, "--format", "csv", "-o", str(target), "--force").exit_code == 0
    assert target.read_text(encoding="utf-8").startswith("deadline,title,quarter")
    onto = run(db, *PERIOD, "--format", "csv", "-o", db, "--force")
    assert onto.exit_code == 1 and "it is the case store" in onto.output


def test_without_matplotlib_html_and_pdf_are_refused_in_one_line(db, tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib fails
    for form in ("html", "pdf"):
        target = tmp_path / f"report.{form}"
        result = run(db, *PERIOD, "--format", form, "-o", str(target))
        assert result.exit_code == 1, result.output
        assert result.output.count("\n") == 1
        assert "matplotlib, which is not installed: pip install 'cspr-engine[report]'" in (
            result.output
        )
        assert not target.exists()
    assert run(db, *PERIOD, "--format", "csv", "-o", str(tmp_path / "r.csv")).exit_code == 0


def test_html_is_one_self_contained_file_with_charts_and_their_words(db, tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "report.html"
    result = run(db, *PERIOD, "-o", str(target))
    assert result.exit_code == 0, result.output
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg ") == 2
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//|[\w./-]+\.(css|js|png))""", page)
    assert "<link" not in page and "<script" not in page and "@import" not in page
    assert "<figcaption>On-time share by quarter (met on time ÷ owed). Jan–Mar 2024" in page
    assert 'role="img" aria-label="Deadlines by outcome"' in page
    assert "Tell the safeguarding partners" in page and "@page" in page


def test_pdf_has_the_charts_and_tables(db, tmp_path):
    pytest.importorskip("matplotlib")
    from pypdf import PdfReader

    target = tmp_path / "report.pdf"
    result = run(db, *PERIOD, "--format", "pdf", "-o", str(target))
    assert result.exit_code == 0, result.output
    pages = PdfReader(str(target)).pages
    text = " ".join(p.extract_text() for p in pages)
    assert len(pages) >= 5
    assert "On-time share by quarter" in text and "Deadlines by outcome" in text
    assert "Met on time by deadline and quarter" in text


def test_an_empty_period_says_so(db):
    with Store(db) as store:
        figures = report.gather(
            Runtime(store, PROCESSES),
            CaseFilter(),
            D("2020-01-01"),
            D("2020-03-31"),
            D("2024-12-31"),
        )
    assert figures.total().due == 0
    assert report.summary_words(figures) == "No deadline fell due from 2020-01-01 to 2020-03-31."
    with pytest.raises(Refused):
        report.gather(None, CaseFilter(), D("2020-02-01"), D("2020-01-01"), D("2020-03-01"))  # type: ignore[arg-type]


def test_met_late_told_by_the_history_where_no_date_is_recorded(db, monkeypatch):
    """Where the duty's way out records no date, the inputs of the day it closed tell."""
    monkeypatch.setattr(report, "_recorded", lambda *_args: None)
    with Store(db) as store:
        figures = report.gather(
            Runtime(store, PROCESSES),
            CaseFilter(),
            D("2024-01-01"),
            D("2024-12-31"),
            D("2024-12-31"),
        )
    panel = dict(figures.by_deadline())["notify_panel"]
    assert (panel.counts["late"], panel.counts["missed"]) == (2, 1)
    assert panel.median_late == 2.5


def test_pdf_embeds_a_font_only_when_the_standard_ones_lack_a_character():
    matplotlib = pytest.importorskip("matplotlib")
    from cspr_engine.cases import charts

    figures = report.Figures(D("2024-01-01"), D("2024-12-31"), D("2024-12-31"))
    figures.titles["notify_panel"] = "Notify the Panel – within 5 working days"
    with charts._pdf_fonts(figures, "every case"):
        assert matplotlib.rcParams["pdf.use14corefonts"]
    figures.titles["notify_panel"] = "Hysbysu'r Panel – ŵ"
    with charts._pdf_fonts(figures, "every case"):
        assert not matplotlib.rcParams["pdf.use14corefonts"]
