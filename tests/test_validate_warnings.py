"""``cspr validate`` warns, without refusing the file, about a declared source that no
rule cites (the library side: :func:`engine.format.loader.check_file_report`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cspr_engine.format.loader import check_file, check_file_report

BASE = Path(__file__).resolve().parent / "broken" / "valid_base.yaml"


@pytest.mark.parametrize("cached", [False, True])
def test_a_source_no_rule_cites_is_a_warning_not_a_problem(tmp_path, monkeypatch, cached):
    monkeypatch.setenv("CSPR_CACHE", str(tmp_path / "cache"))
    if not cached:
        monkeypatch.setenv("CSPR_NO_CACHE", "1")
    text = BASE.read_text(encoding="utf-8").replace(
        "  wt: Working Together 2018, chapter 4\n",
        "  wt: Working Together 2018, chapter 4\n  wt15: Working Together 2015\n",
    )
    path = tmp_path / "process.yaml"
    path.write_text(text, encoding="utf-8")
    for _ in range(2):  # the second time from the mark in the cache folder, if kept
        problems, warnings = check_file_report(path)
        assert problems == []
        (warning,) = warnings
        assert (warning.where.line, warning.where.column) == (7, 3)
        assert "source 'wt15' is declared but no rule cites it" in warning.message
    assert check_file(path) == []


def test_a_file_citing_every_source_has_no_warning():
    assert check_file_report(BASE) == ([], [])
