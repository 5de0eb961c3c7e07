"""The cache folder: bank holidays and built models kept between commands must give the
same answers as computing them afresh, and a damaged entry must not change an answer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import holidays
import pytest
from cspr_engine import cache
from cspr_engine.format import loader
from cspr_engine.run import calendar

PROCESSES = Path(__file__).resolve().parent.parent / "processes"


@pytest.fixture
def empty_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CSPR_CACHE", str(tmp_path))
    monkeypatch.delenv("CSPR_NO_CACHE", raising=False)
    monkeypatch.setattr(calendar, "_HOLIDAYS", {})
    monkeypatch.setattr(calendar, "_WEEKDAY_HOLIDAY_ORDINALS", {})
    monkeypatch.setattr(loader, "_BY_HASH", {})
    loader.build_cached.cache_clear()  # models built by earlier tests are not on this disk
    return tmp_path / "cspr-engine"


def _package(year: int) -> dict[dt.date, str]:
    table = holidays.country_holidays("GB", subdiv="ENG", years=year)
    return {day: str(name) for day, name in table.items() if day.year == year}


def _forget_holidays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(calendar, "_HOLIDAYS", {})
    monkeypatch.setattr(calendar, "_WEEKDAY_HOLIDAY_ORDINALS", {})


def test_bank_holidays_read_back_from_the_cache_match_the_package(
    empty_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert calendar.bank_holiday(dt.date(2022, 9, 19)) is not None  # fills the cache
    assert [p.name for p in empty_cache.glob("bank-holidays-*.json")]
    _forget_holidays(monkeypatch)

    def no_package(years: range) -> dict:
        raise AssertionError(f"asked the package for {years} although the cache holds it")

    monkeypatch.setattr(calendar, "_holidays_from_package", no_package)
    for year in (2020, 2022, 2023, 2039):
        assert calendar._holidays_in(year) == _package(year)


def test_a_damaged_bank_holiday_cache_is_ignored(
    empty_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calendar.bank_holiday(dt.date(2020, 5, 8))
    for entry in empty_cache.glob("bank-holidays-*.json"):
        entry.write_text('{"2020": [["not a date", 1]]')
    _forget_holidays(monkeypatch)
    assert calendar.bank_holiday(dt.date(2020, 5, 8)) == _package(2020)[dt.date(2020, 5, 8)]
    assert calendar.add_working_days(dt.date(2019, 12, 20), 5) == dt.date(2019, 12, 31)


def test_no_cache_still_counts_bank_holidays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSPR_NO_CACHE", "1")
    monkeypatch.setenv("CSPR_CACHE", str(tmp_path))
    _forget_holidays(monkeypatch)
    assert calendar.add_working_days(dt.date(2019, 12, 20), 5) == dt.date(2019, 12, 31)
    assert not list(tmp_path.iterdir())


def test_a_pinned_model_is_found_by_its_hash_without_its_text(
    empty_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = loader.read_bundle(PROCESSES / "cspr.yaml")
    built = loader.build_cached(bundle)
    monkeypatch.setattr(loader, "_BY_HASH", {})  # as a new command would start

    def no_text() -> str:
        raise AssertionError("read the process text although the model is cached")

    found = loader.process_for_hash(bundle.hash, no_text)
    assert found == built
    assert found.states.keys() == built.states.keys()


def test_a_pinned_model_not_cached_is_built_from_its_text(empty_cache: Path) -> None:
    bundle = loader.read_bundle(PROCESSES / "scr.yaml")
    loader.build_cached.cache_clear()
    found = loader.process_for_hash(bundle.hash, bundle.to_json)
    assert found.id == "scr"
    assert list(empty_cache.glob(f"{bundle.hash}-*.model.json"))


def test_cache_entries_are_written_whole(empty_cache: Path) -> None:
    cache.write("entry", b"abc")
    assert cache.read("entry") == b"abc"
    assert [p.name for p in empty_cache.iterdir()] == ["entry"]
    assert cache.read("missing") is None


def test_validate_skips_a_file_found_valid_and_checks_a_changed_one_in_full(
    empty_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "processes"
    folder.mkdir()
    text = (PROCESSES / "scr.yaml").read_text()
    (folder / "scr.yaml").write_text(text)
    assert loader.check_file(folder / "scr.yaml") == []

    def no_build(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("checked again a file found valid before")

    with monkeypatch.context() as patched:
        patched.setattr(loader, "build", no_build)
        assert loader.check_file(folder / "scr.yaml") == []

    first = text.index("states:")
    broken = text.replace("process: scr", "process: Scr", 1)
    broken = broken[:first] + broken[first:].replace("  by: ", "  byy: ", 1)
    (folder / "scr.yaml").write_text(broken)
    problems = [p.message for p in loader.check_file(folder / "scr.yaml")]
    assert any("'Scr' is not a valid id" in m for m in problems), problems
    assert any("unknown key 'byy'" in m for m in problems), problems
