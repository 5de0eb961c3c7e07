"""Hostile cache folders (issue 19, finding 1): another local user who can write to a shared
or group-writable ``CSPR_CACHE``, or who plants links in it, must not run code in cspr,
make it write through a link, or move a due date.

Each test plants what an attacker would (a pickle that creates a marker file when loaded,
JSON naming classes it should not make, a bank-holiday list with a holiday added) under
the names cspr looks up, and checks that nothing ran, nothing outside the folder was
written, and the dates are those the holidays package gives.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cspr_engine import cache
from cspr_engine.format import loader
from cspr_engine.run import calendar

TESTS = Path(__file__).resolve().parent
MINI = TESTS / "examples" / "mini.yaml"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


class _Plant:
    """Pickles to a call that creates ``path`` when unpickled."""

    def __init__(self, path: Path):
        self.path = str(path)

    def __reduce__(self) -> tuple:
        return (open, (self.path, "w"))


def malicious_pickle(marker: Path) -> bytes:
    return pickle.dumps(_Plant(marker))


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """An empty cache root; the cspr-engine folder in it is what the tests prepare."""
    root = tmp_path / "shared"
    root.mkdir()
    monkeypatch.setenv("CSPR_CACHE", str(root))
    monkeypatch.delenv("CSPR_NO_CACHE", raising=False)
    monkeypatch.setattr(calendar, "_HOLIDAYS", {})
    monkeypatch.setattr(calendar, "_WEEKDAY_HOLIDAY_ORDINALS", {})
    monkeypatch.setattr(loader, "_BY_HASH", {})
    loader.build_cached.cache_clear()
    cache.forget()
    yield root / "cspr-engine"
    cache.forget()


def cspr(*args: str, cache_root: Path | None, cwd: Path) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(TESTS.parent), "HOME": str(cwd)}
    if cache_root is None:
        env["CSPR_NO_CACHE"] = "1"
    else:
        env["CSPR_CACHE"] = str(cache_root)
    return subprocess.run(
        [sys.executable, "-m", "cspr_engine.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,  # a hang guard, not a speed check
        env=env,
    )


def open_case(tmp_path: Path) -> Path:
    db = tmp_path / "cases.db"
    opened = cspr(
        "--db", str(db), "case", "open", str(MINI), "--ref", "LA-1", "--on", "2019-12-20",
        "--fact", "aware_on=2019-12-20", "--fact", "child_died=true",
        "--fact", "abuse_or_neglect=suspected", "--by", "tester",
        cache_root=None, cwd=tmp_path,
    )  # fmt: skip
    assert opened.returncode == 0, opened.stderr
    return db


def plant_everywhere(entries: Path, marker: Path) -> list[str]:
    """A malicious pickle under every name cspr reads a model or holidays from, old and
    new, and JSON that names a class a model may not be made of."""
    bundle = loader.read_bundle(MINI)
    names = [
        loader._cache_name(bundle.hash),
        loader._cache_name(bundle.hash).replace(".model.json", ".pickle"),
        f"bank-holidays-GB-ENG-{calendar._holidays_release()}.json",
    ]
    for name in names:
        (entries / name).write_bytes(malicious_pickle(marker))
    return names


# -- the folder -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o1777, 0o722])
def test_a_folder_others_may_write_is_not_used_and_nothing_planted_runs(
    tmp_path: Path, mode: int
) -> None:
    db = open_case(tmp_path)
    expected = cspr("--db", str(db), "case", "show", "LA-1", "--as-of", "2020-01-06",
                    cache_root=None, cwd=tmp_path)  # fmt: skip
    root = tmp_path / "shared"
    entries = root / "cspr-engine"
    entries.mkdir(parents=True)
    entries.chmod(mode)
    marker = tmp_path / "planted-code-ran"
    plant_everywhere(entries, marker)
    before = sorted(p.name for p in entries.iterdir())
    shown = cspr("--db", str(db), "case", "show", "LA-1", "--as-of", "2020-01-06",
                 cache_root=root, cwd=tmp_path)  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert not marker.exists()
    assert shown.stdout == expected.stdout
    assert "Tue 2019-12-31" in shown.stdout  # notify_panel, skipping Christmas and Boxing Day
    lines = shown.stderr.splitlines()
    assert len(lines) == 1, shown.stderr
    assert lines[0].startswith(f"cspr: not using the cache folder {entries}: ")
    assert "chmod 700" in lines[0]
    assert sorted(p.name for p in entries.iterdir()) == before  # nothing written there


@pytest.mark.skipif(not IS_ROOT, reason="giving a folder to another user needs root")
def test_a_folder_owned_by_another_user_is_not_used(tmp_path: Path) -> None:
    db = open_case(tmp_path)
    root = tmp_path / "shared"
    entries = root / "cspr-engine"
    entries.mkdir(parents=True, mode=0o700)
    marker = tmp_path / "planted-code-ran"
    plant_everywhere(entries, marker)
    os.chown(entries, 54321, 54321)
    shown = cspr("--db", str(db), "case", "show", "LA-1", "--as-of", "2020-01-06",
                 cache_root=root, cwd=tmp_path)  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert not marker.exists()
    assert shown.stderr.splitlines() == [
        f"cspr: not using the cache folder {entries}: it belongs to user id 54321, not to you"
    ]


def test_a_folder_that_is_a_symbolic_link_is_not_used(tmp_path: Path) -> None:
    db = open_case(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    root = tmp_path / "shared"
    root.mkdir()
    (root / "cspr-engine").symlink_to(elsewhere)
    shown = cspr("--db", str(db), "case", "show", "LA-1", cache_root=root, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stderr.splitlines() == [
        f"cspr: not using the cache folder {root / 'cspr-engine'}: it is a symbolic link"
    ]
    assert list(elsewhere.iterdir()) == []


def test_the_folder_is_made_0700_whatever_the_umask(folder: Path) -> None:
    old = os.umask(0)
    try:
        cache.write("entry", b"abc")
    finally:
        os.umask(old)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "entry").stat().st_mode) == 0o600
    assert cache.read("entry") == b"abc"


def test_a_refused_folder_is_reported_once_per_command(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder.mkdir(mode=0o700)
    folder.chmod(0o775)
    for _ in range(3):
        cache.write("entry", b"abc")
        assert cache.read("entry") is None
        assert not cache.exists("entry")
    assert cache.folder() is None
    assert len(capsys.readouterr().err.splitlines()) == 1
    assert not (folder / "entry").exists()


# -- entries in a folder of ours --------------------------------------------------------------


def test_a_pickle_planted_as_a_model_is_rebuilt_not_loaded(folder: Path, tmp_path: Path) -> None:
    folder.mkdir(mode=0o700)
    marker = tmp_path / "planted-code-ran"
    names = plant_everywhere(folder, marker)
    bundle = loader.read_bundle(MINI)
    process = loader.process_for_hash(bundle.hash, bundle.to_json)
    assert process == loader.build(bundle)
    assert calendar.add_working_days(dt.date(2019, 12, 20), 5) == dt.date(2019, 12, 31)
    assert not marker.exists()
    # The model and the holidays were rebuilt over what was planted, as plain JSON.
    for name in (names[0], names[2]):
        json.loads((folder / name).read_bytes())


@pytest.mark.parametrize(
    "planted",
    [
        b'{"Popen": [["touch", "x"]]}',
        b'{"Context": [{"": []}, {"": []}, []]}',
        b'{"Process": ["too", "few"]}',
        b'{"Location": "abc"}',
        b'{"Location": ["f", 1, 2], "Role": ["r", "R", null, null]}',
        b'{"": [[1, 2]]}',
        b"[" * 100_000 + b"]" * 100_000,
        b"\x80\x04not json",
    ],
)
def test_an_entry_naming_other_classes_or_malformed_is_refused(planted: bytes) -> None:
    with pytest.raises(cache.DecodeError):
        cache.decode(planted, loader._model_records())


def test_a_model_entry_decodes_only_to_model_records(folder: Path) -> None:
    bundle = loader.read_bundle(MINI)
    built = loader.build(bundle)
    again = cache.decode(cache.encode(built), loader._model_records())
    assert again == built
    assert again.states == built.states
    assert cache.encode(again) == cache.encode(built)
    allowed = set(loader._model_records().values())
    seen: list[object] = [again]
    while seen:
        value = seen.pop()
        if isinstance(value, dict):
            seen.extend(value.values())
        elif isinstance(value, tuple):
            seen.extend(value)
        elif hasattr(type(value), "_fields"):
            assert type(value) in allowed
            seen.extend(value.__dict__[name] for name in type(value)._fields)
        else:
            assert isinstance(value, (str, int, float, bool, dt.date, type(None))), value


def test_entries_are_never_written_through_a_link(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder.mkdir(mode=0o700)
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    (folder / "entry").symlink_to(victim)
    cache.write("entry", b"new")  # replaces the link, never writes through it
    assert victim.read_text() == "keep me"
    assert not (folder / "entry").is_symlink()
    assert cache.read("entry") == b"new"
    # The temporary name, even if guessed and planted as a link, is not followed.
    monkeypatch.setattr(os, "urandom", lambda n: b"\0" * n)
    planted = folder / f".other.{os.getpid()}.{'00' * 8}.tmp"
    planted.symlink_to(victim)
    cache.write("other", b"new")
    assert victim.read_text() == "keep me"
    assert planted.is_symlink()
    assert not (folder / "other").exists()


def test_entries_that_are_links_or_not_ours_are_not_read(folder: Path, tmp_path: Path) -> None:
    folder.mkdir(mode=0o700)
    outside = tmp_path / "outside"
    outside.write_bytes(b"from outside")
    (folder / "linked").symlink_to(outside)
    assert cache.read("linked") is None
    assert not cache.exists("linked")
    (folder / "shared").write_bytes(b"writable by others")
    (folder / "shared").chmod(0o666)
    assert cache.read("shared") is None
    os.mkfifo(folder / "fifo")
    assert cache.read("fifo") is None  # and does not hang
    if IS_ROOT:
        (folder / "theirs").write_bytes(b"someone else's")
        os.chown(folder / "theirs", 54321, 54321)
        assert cache.read("theirs") is None
    for name in ("../outside", ".hidden", ""):
        assert cache.read(name) is None


def test_an_unreadable_or_malformed_model_entry_is_rebuilt(folder: Path) -> None:
    folder.mkdir(mode=0o700)
    bundle = loader.read_bundle(MINI)
    name = loader._cache_name(bundle.hash)
    (folder / name).write_bytes(b'{"Process": [')  # cut short
    assert loader.build_cached(bundle) == loader.build(bundle)
    assert cache.decode((folder / name).read_bytes(), loader._model_records()).id == "mini"
    loader.build_cached.cache_clear()
    (folder / name).unlink()
    (folder / name).mkdir()  # not a file at all
    assert loader.build_cached(bundle) == loader.build(bundle)


# -- bank holidays ----------------------------------------------------------------------------


def _holiday_entry(folder: Path) -> Path:
    return folder / f"bank-holidays-GB-ENG-{calendar._holidays_release()}.json"


def _fake_holidays(entry: Path) -> None:
    """The real list with Friday 27 December 2019 added and 1 January 2020 taken away."""
    days = json.loads(entry.read_bytes())
    days = [day for day in days if day[0] != "2020-01-01"] + [["2019-12-27", "Fake Day"]]
    entry.write_text(json.dumps(sorted(days)))


def test_fake_bank_holidays_in_the_cache_never_move_a_date(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert calendar.add_working_days(dt.date(2019, 12, 20), 5) == dt.date(2019, 12, 31)
    entry = _holiday_entry(folder)
    assert entry.is_file(), "the list of a known release is kept"
    _fake_holidays(entry)
    monkeypatch.setattr(calendar, "_HOLIDAYS", {})
    monkeypatch.setattr(calendar, "_WEEKDAY_HOLIDAY_ORDINALS", {})
    assert calendar.add_working_days(dt.date(2019, 12, 20), 5) == dt.date(2019, 12, 31)
    assert calendar.add_working_days(dt.date(2019, 12, 20), 15) == dt.date(2020, 1, 15)
    assert calendar.bank_holiday(dt.date(2019, 12, 27)) is None
    assert calendar.bank_holiday(dt.date(2020, 1, 1)) == "New Year's Day"


def test_fake_bank_holidays_in_the_cache_never_move_a_due_date_shown(tmp_path: Path) -> None:
    db = open_case(tmp_path)
    expected = cspr("--db", str(db), "case", "show", "LA-1", "--as-of", "2020-01-06",
                    cache_root=None, cwd=tmp_path)  # fmt: skip
    root = tmp_path / "own"
    warm = cspr("--db", str(db), "case", "show", "LA-1", cache_root=root, cwd=tmp_path)
    assert warm.returncode == 0 and warm.stderr == "", warm.stderr
    _fake_holidays(_holiday_entry(root / "cspr-engine"))
    shown = cspr("--db", str(db), "case", "show", "LA-1", "--as-of", "2020-01-06",
                 cache_root=root, cwd=tmp_path)  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == expected.stdout
    assert "Fake" not in shown.stdout


def test_the_installed_holidays_release_is_known_and_its_digest_right() -> None:
    release = calendar._holidays_release()
    listed = calendar._holidays_from_package(range(calendar.FIRST_YEAR, calendar.LAST_YEAR + 1))
    digest = calendar._sha256(calendar._holiday_list_bytes(listed))
    assert calendar._KNOWN_HOLIDAY_LISTS.get(release) == digest, (
        f"holidays {release} is not known to engine/calendar.py: every command asks the "
        f'package (a third of a second); add "{release}": "{digest}" to _KNOWN_HOLIDAY_LISTS'
    )


def test_calendar_fingerprint_names_the_release_and_every_date(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    import holidays

    calendar.calendar_fingerprint.cache_clear()  # worked out once per process
    fingerprint = calendar.calendar_fingerprint()
    table = holidays.country_holidays(
        "GB", subdiv="ENG", years=range(calendar.FIRST_YEAR, calendar.LAST_YEAR + 1)
    )
    days = "\n".join(sorted(day.isoformat() for day in table))
    assert fingerprint == (
        f"holidays {holidays.__version__}; sha256:{hashlib.sha256(days.encode()).hexdigest()}"
    )
    # The same from the cache folder, even when someone changed the list kept there.
    _fake_holidays(_holiday_entry(folder))
    monkeypatch.setattr(calendar, "_HOLIDAYS", {})
    calendar.calendar_fingerprint.cache_clear()
    assert calendar.calendar_fingerprint() == fingerprint
    # And without the cache.
    monkeypatch.setenv("CSPR_NO_CACHE", "1")
    monkeypatch.setattr(calendar, "_HOLIDAYS", {})
    calendar.calendar_fingerprint.cache_clear()
    assert calendar.calendar_fingerprint() == fingerprint
