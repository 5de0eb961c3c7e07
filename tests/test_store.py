"""The case store on both backends: schema versions, append-only history, copying a whole
store between SQLite and PostgreSQL, and what an operator sees when a store cannot be used.

Tests taking ``store_location`` run once on SQLite and once on PostgreSQL (see conftest).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner
from cspr_engine.cases.dbcopy import CopyMismatch, compare, copy_store
from cspr_engine.cases.runtime import Runtime
from cspr_engine.cli import main
from cspr_engine.store.database import SCHEMA_VERSION, Store, StoreError
from cspr_engine.store.dialects import dialect_for

from tests.test_verify import MINI, D, step_cases


def cspr(*args: str):
    return CliRunner().invoke(main, list(args))


def case_views(location: str) -> list[tuple[dict, dict]]:
    """Every case as ``case show --json`` and ``case history --json`` print it."""
    with Store(location) as store:
        ids = [str(record.id) for record in store.cases()]
    views = []
    for case_id in ids:
        shown = cspr("--db", location, "case", "show", case_id, "--as-of", "2020-03-02", "--json")
        history = cspr("--db", location, "case", "history", case_id, "--json")
        assert shown.exit_code == 0 and history.exit_code == 0, shown.output + history.output
        views.append((json.loads(shown.output), json.loads(history.output)))
    return views


@pytest.fixture
def filled(tmp_path) -> str:
    """A SQLite store with two cases of two processes, stepped through every action."""
    location = str(tmp_path / "filled.db")
    with Store(location) as store:
        step_cases(Runtime(store))
    return location


# -- schema versions -----------------------------------------------------------------------------


def test_db_upgrade_creates_a_store_then_leaves_it_alone(store_location):
    created = cspr("--db", store_location, "db", "upgrade")
    assert created.exit_code == 0, created.output
    assert f"created (schema {SCHEMA_VERSION})" in created.output
    again = cspr("--db", store_location, "db", "upgrade")
    assert f"already up to date (schema {SCHEMA_VERSION})" in again.output
    with Store(store_location) as store:
        assert store.schema_version() == SCHEMA_VERSION and store.is_empty()


def test_a_store_from_a_newer_cspr_is_refused_and_left_alone(store_location):
    with Store(store_location) as store:
        open_mini = Runtime(store).open
        open_mini(MINI, {"aware_on": "2019-12-20"}, on=D("2019-12-20"), ref="LA-1")
        store.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    with pytest.raises(StoreError, match="written by a newer cspr \\(schema 99"):
        Store(store_location)
    for command in (["case", "show", "LA-1"], ["db", "upgrade"]):
        result = cspr("--db", store_location, *command)
        assert result.exit_code == 1
        assert "newer cspr (schema 99; this cspr uses" in result.output
        assert "upgrade cspr" in result.output and "Traceback" not in result.output
    with contextlib.closing(_raw(store_location)) as raw:
        assert raw.execute("SELECT value FROM meta").fetchall() == [("99",)]


def _raw(location: str):
    """A plain driver connection, for looking at a store cspr refuses to open."""
    if location.startswith("postgresql://"):
        import psycopg

        return psycopg.connect(location, autocommit=True)
    import sqlite3

    return sqlite3.connect(location)


# -- history -------------------------------------------------------------------------------------


@pytest.mark.parametrize("statement", ["UPDATE history SET note = 'edited'", "DELETE FROM history"])
def test_history_cannot_be_changed_or_deleted_even_by_hand(store_location, statement):
    with Store(store_location) as store:
        Runtime(store).open(MINI, {"aware_on": "2019-12-20"}, on=D("2019-12-20"), ref="LA-1")
        with pytest.raises(Exception, match="history is append-only"):
            store.execute(statement)
        assert [row.note for row in store.history(1)] == [None]


# -- copying -------------------------------------------------------------------------------------


def test_copy_there_and_back_keeps_every_row_id_and_revision(filled, store_location, tmp_path):
    copied = cspr("db", "copy", filled, store_location)
    assert copied.exit_code == 0, copied.output
    assert (
        "copied 2 case(s), 5 deadline(s), 7 history row(s) and 2 process text(s)" in copied.output
    )
    assert "every case replays from its history" in copied.output
    assert case_views(store_location) == case_views(filled)

    back = str(tmp_path / "back.db")
    assert cspr("db", "copy", store_location, back).exit_code == 0
    with Store(filled) as original, Store(back) as returned:
        counts = compare(original, returned)
    assert counts == {"process_texts": 2, "cases": 2, "deadlines": 5, "history": 7}

    # The copy goes on numbering cases after the copied ones (found through $CSPR_DB).
    command = ["case", "open", MINI, "--fact", "aware_on=2020-01-02"]
    opened = CliRunner().invoke(main, command, env={"CSPR_DB": store_location})
    assert opened.exit_code == 0, opened.output
    assert opened.output.strip() == "3"


def test_a_copy_is_verified_in_its_own_transaction_however_many_cases(
    filled, store_location, monkeypatch
):
    """Replay shared between processes (as for a large store) could not see a copy not yet
    committed: a copy's own check replays in the process that holds it."""
    from cspr_engine.cases import verify

    monkeypatch.setattr(verify, "SHARED_FROM", 1)
    copied = cspr("db", "copy", filled, store_location)
    assert copied.exit_code == 0, copied.output
    assert "every case replays from its history" in copied.output


def test_copy_into_a_store_that_holds_cases_is_refused(filled, store_location):
    with Store(store_location) as store:
        Runtime(store).open(MINI, {"aware_on": "2019-12-20"}, on=D("2019-12-20"), ref="LA-9")
    result = cspr("db", "copy", filled, store_location)
    assert result.exit_code == 1
    assert "already holds cases or process texts; copy only into an empty store" in result.output
    with Store(store_location) as store:
        assert [r.ref for r in store.cases()] == ["LA-9"]


def test_a_copy_that_fails_its_checks_keeps_nothing(filled, store_location):
    def fail_before_commit() -> None:
        raise CopyMismatch("made to fail")

    with Store(filled) as source, Store(store_location) as target:
        with pytest.raises(CopyMismatch):
            copy_store(source, target, inside=fail_before_commit)
        assert target.is_empty()
        assert target.execute("SELECT COUNT(*) FROM history").fetchone() == (0,)


def test_a_case_that_does_not_replay_is_not_copied(filled, store_location):
    with Store(filled) as source:  # damaged by hand: the stored steps no longer follow
        source.execute("UPDATE cases SET states = '[\"reviewing_late\"]' WHERE ref = 'LA-1'")
    result = cspr("db", "copy", filled, store_location)
    assert result.exit_code == 1
    assert "1 case(s) do not replay from their history, so nothing was copied" in result.output
    assert "case 1 (LA-1)" in result.output
    with Store(store_location) as target:
        assert target.is_empty()


def test_copy_from_a_store_that_does_not_exist_creates_nothing(tmp_path):
    result = cspr("db", "copy", str(tmp_path / "typo.db"), str(tmp_path / "to.db"))
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"cspr: no case store at {tmp_path / 'typo.db'} (open a case to create one, or set"
        " --db / CSPR_DB)"
    )
    assert not (tmp_path / "typo.db").exists() and not (tmp_path / "to.db").exists()


# -- PostgreSQL without a server, or without its driver ------------------------------------------


def test_a_store_that_cannot_be_reached_is_one_line_without_its_password(tmp_path):
    pytest.importorskip("psycopg", reason="psycopg is not installed")
    url = f"postgresql://clerk:s3cret-word@/cases?host={tmp_path}"
    result = cspr("--db", url, "case", "list")
    assert result.exit_code == 1
    assert result.output.startswith("cspr: cannot connect to postgresql://clerk:***@/cases")
    assert "s3cret-word" not in result.output and len(result.output.splitlines()) == 1


def run_cspr(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_sqlite_commands_never_load_the_postgresql_driver(filled):
    done = run_cspr(
        "import sys; from cspr_engine.cli import main\n"
        f"try: main(['--db', {filled!r}, 'case', 'show', 'LA-1'])\n"
        "except SystemExit: pass\n"
        "print('psycopg' in sys.modules)"
    )
    assert done.stdout.splitlines()[-1] == "False", done.stderr
    assert "Case 1  ref LA-1" in done.stdout


def test_postgresql_without_its_driver_says_how_to_install_it():
    done = run_cspr(
        "import sys; sys.modules['psycopg'] = None; from cspr_engine.cli import main\n"
        "main(['--db', 'postgresql://clerk@db.example.org/cases', 'case', 'list'])"
    )
    assert done.returncode == 1
    assert done.stderr == (
        "cspr: a PostgreSQL store needs psycopg: pip install 'cspr-engine[postgres]'\n"
    )


def test_a_database_that_goes_away_mid_session_is_one_line(postgres_location, postgres_admin):
    with Store(postgres_location) as store:
        runtime = Runtime(store)
        runtime.open(MINI, {"aware_on": "2019-12-20"}, on=D("2019-12-20"), ref="LA-1")
        postgres_admin.execute("SELECT pg_terminate_backend(%s)", (store.db.info.backend_pid,))
        with pytest.raises(StoreError, match="the database stopped answering"):
            runtime.set("LA-1", {"child_died": "true"}, on=D("2019-12-21"))
    with Store(postgres_location) as store:
        assert store.find("LA-1").revision == 1


def test_a_postgresql_store_is_backed_up_into_a_sqlite_file_even_when_damaged(
    filled, postgres_location, tmp_path
):
    assert cspr("db", "copy", filled, postgres_location).exit_code == 0
    with Store(postgres_location) as store:  # damaged: the backup must still be taken
        store.execute("UPDATE cases SET states = '[\"reviewing_late\"]' WHERE ref = 'LA-1'")
    target = tmp_path / "backup.db"
    result = cspr("--db", postgres_location, "backup", str(target))
    assert result.exit_code == 0, result.output
    shown = dialect_for(postgres_location).display()
    assert result.output == f"backed up 2 case(s) from {shown} to {target}\n"
    assert ":***@" in shown
    assert target.stat().st_mode & 0o777 == 0o600  # no one else's to read
    assert [p.name for p in tmp_path.glob("backup.db*")] == ["backup.db"]
    with Store(postgres_location) as store, Store(target, create=False) as copy:
        assert compare(store, copy)["history"] == 7
        assert copy.find("LA-1").states == ["reviewing_late"]


@pytest.mark.parametrize(
    "command",
    [
        ["case", "list"],
        ["case", "show", "LA-1"],
        ["due"],
        ["tick", "--as-of", "2020-01-06"],
        ["case", "verify", "--all"],
        ["case", "history", "LA-1"],
    ],
)
def test_reading_commands_never_create_a_store(tmp_path, command):
    """A command pointed at the wrong place says so, in one line, and creates nothing."""
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "typo.db"), *command])
    assert result.exit_code == 1
    assert result.output == (
        f"cspr: no case store at {tmp_path / 'typo.db'} (open a case to create one, or set"
        " --db / CSPR_DB)\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_store_in_memory_is_refused(tmp_path):
    result = CliRunner().invoke(
        main, ["--db", ":memory:", "case", "open", "cspr", "--fact", "aware_on=2019-12-20"]
    )
    assert result.exit_code == 1
    assert "a store in memory keeps nothing" in result.output
