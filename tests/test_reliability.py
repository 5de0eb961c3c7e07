"""Nothing lost, nothing half-written: concurrent operators, killed writers and backups.

The store location is one fixture, :func:`db`, a path or URL given to ``Store`` and to
the CLI's ``--db``: every test runs on SQLite and on PostgreSQL (see conftest).
"""

from __future__ import annotations

import functools
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from cspr_engine.cases.runtime import Runtime
from cspr_engine.cases.verify import verify_all, verify_case
from cspr_engine.cli import main
from cspr_engine.store.database import CaseChanged, Store

from tests.storedump import dump
from tests.workers import DAY, FACTS, MINI

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 16


@pytest.fixture
def db(store_location) -> str:
    """Where the store under test lives (a path or URL for ``Store`` and ``--db``)."""
    return store_location


def start(*args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.workers", *args],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


def finish(procs: list[subprocess.Popen]) -> list[dict]:
    """Wait for every worker; each must exit 0 with nothing on stderr."""
    lines = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert "locked" not in err and "Traceback" not in err and err == "", err
        lines += [json.loads(line) for line in out.splitlines()]
    return lines


def integrity(store: Store) -> str:
    """SQLite's own check of the file ("ok"); other databases check themselves."""
    if store.dialect.name != "sqlite":
        return "ok"
    return store.execute("PRAGMA integrity_check").fetchone()[0]


def open_shared(db: str, many: int) -> None:
    with Store(db) as store:
        runtime = Runtime(store)
        for ref in ["ONE", *(f"MANY-{n}" for n in range(many))]:
            runtime.open(MINI, FACTS, on=DAY, ref=ref, by="setup")


def check_history(db: str, outcomes: list[dict]) -> None:
    """Every accepted operation is in its case's history exactly once, at the revision it
    reported; refused ones are not there at all; revisions have no gaps; replay agrees."""
    accepted = {o["tag"]: o for o in outcomes if o["accepted"]}
    refused = {o["tag"] for o in outcomes if not o["accepted"]}
    with Store(db) as store:
        seen: Counter[str] = Counter()
        for record in store.cases():
            rows = store.history(record.id)
            assert [r.revision for r in rows] == list(range(1, record.revision + 1)), record.ref
            for row in rows:
                if row.note in accepted:
                    assert accepted[row.note]["key"] == record.ref
                    assert accepted[row.note]["rev"] == row.revision
                seen[row.note or ""] += 1
        verdicts = list(verify_all(store))
    assert {tag for tag in seen if tag.startswith("w")} == set(accepted)
    assert all(seen[tag] == 1 for tag in accepted)
    assert not refused & set(seen)
    assert [v.differences for v in verdicts if not v.ok] == []


def test_16_processes_on_one_case_and_many_through_the_api_and_the_cli(db, tmp_path):
    """16 writers forked at once from one warmed-up process, half calling the Python API
    and half the CLI, each opening a case and racing for events on shared ones."""
    many = 4
    open_shared(db, many)
    finish([start("race", db, str(WORKERS), "24", str(many), str(tmp_path))])
    outcomes = [
        json.loads(line)
        for w in range(WORKERS)
        for line in (tmp_path / f"race-{w}.jsonl").read_text().splitlines()
    ]
    assert len(outcomes) == WORKERS * 25
    check_history(db, outcomes)
    # Each event of a case's life is taken exactly once, however many operators race for it.
    for key in ["ONE", *(f"MANY-{n}" for n in range(many))]:
        taken = Counter(o["event"] for o in outcomes if o["key"] == key and o["accepted"])
        for event in ("panel_notified", "review_done", "published"):
            assert taken[event] <= 1, (key, event)
    refusals = [o["why"] for o in outcomes if not o["accepted"]]
    assert refusals, "the workload is meant to race for events"
    # Refused because the event is not expected now: never a lock or a lost update.
    assert all(
        "is not expected now" in why or "is not allowed on" in why or "closed on" in why
        for why in refusals
    ), set(refusals)
    # A fact is always taken, unless the case has closed (a closed case takes no entries).
    assert all(
        o["accepted"] or "closed on" in o["why"] for o in outcomes if o["action"] in ("open", "set")
    )


def test_16_cspr_commands_at_once_on_one_case(db):
    open_shared(db, 0)
    cspr = [sys.executable, "-m", "cspr_engine.cli", "--db", db]
    procs = [
        subprocess.Popen(
            [
                *cspr,
                "case",
                "send",
                "ONE",
                "panel_notified",
                "--on",
                "2019-12-23",
                "--note",
                f"c{n}",
            ]
            if n % 2
            else [
                *cspr,
                "case",
                "set",
                "ONE",
                "abuse_or_neglect=suspected",
                "--on",
                "2019-12-23",
                "--note",
                f"c{n}",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for n in range(WORKERS)
    ]
    results = [(p.communicate(timeout=300), p.returncode) for p in procs]
    sends = [r for n, r in enumerate(results) if n % 2]
    sets = [r for n, r in enumerate(results) if not n % 2]
    assert all(code == 0 and err == "" for (_, err), code in sets)
    assert sum(code == 0 for _, code in sends) == 1
    for (out, err), code in sends:
        if code:
            assert out == "" and len(err.splitlines()) == 1
            assert err.startswith("cspr: 'panel_notified' is not expected now")
    with Store(db) as store:
        rows = store.history(store.find("ONE").id)
    assert [r.revision for r in rows] == list(range(1, 1 + 8 + 1 + 1))
    assert sorted(r.note for r in rows[1:]) == sorted(
        f"c{n}" for n, (_, code) in enumerate(results) if code == 0
    )


def test_a_real_collision_is_one_clear_line_and_changes_nothing(db, monkeypatch):
    """Two operators who both read revision 1 cannot both write revision 2: the second is
    told in one line to try again. (On SQLite the runtime reads inside the write lock, so
    this needs a stale read to be forced; the 16-process tests show it never happens.)"""
    open_shared(db, 0)
    with Store(db) as store:
        stale = store.find("ONE")
        Runtime(store).set("ONE", {"abuse_or_neglect": "suspected"}, on=DAY)
    monkeypatch.setattr(Store, "find", lambda self, key: stale)
    before = dump(db)
    result = CliRunner().invoke(main, ["--db", db, "case", "send", "ONE", "panel_notified"])
    assert result.exit_code == 1
    assert result.output == (
        "cspr: case 1 was changed by someone else since you read it; try again\n"
    )
    assert dump(db) == before
    with pytest.raises(CaseChanged), Store(db) as store:
        Runtime(store).send("ONE", "panel_notified", on=DAY)


# -- a writer killed at random points -------------------------------------------------------------

KILLS = 50


def test_a_writer_killed_at_random_points_leaves_every_case_whole(db, tmp_path):
    """SIGKILL a writer part-way through a stream of operations, many times over one store;
    after each kill every case equals the replay of its history, every operation that
    finished is there once, refused ones are not, and the one in flight is wholly there
    or wholly absent (a case opened without its history would fail the replay).

    The writers are forked from one warmed-up process, so that a run costs milliseconds."""
    seed = random.randrange(10**6)
    rng = random.Random(seed)
    done: set[int] = set()
    refused: set[int] = set()
    started: dict[int, str] = {}
    last, caught_in_flight = 0, 0
    # A PostgreSQL writer logs in over the network first, and its changes take longer.
    window = 0.15 if db.startswith("postgresql://") else 0.05
    checked: dict[int, int] = {}  # case id → revision last verified
    zygote = start("zygote", db, str(tmp_path))
    assert zygote.stdin and zygote.stdout
    assert json.loads(zygote.stdout.readline() or "{}") == {"ready": True}, zygote.stderr
    for run in range(KILLS):
        first = last
        print(f"run {seed + run} {first}", file=zygote.stdin, flush=True)
        pid = json.loads(zygote.stdout.readline())["pid"]
        time.sleep(rng.uniform(0.0, window))
        os.kill(pid, signal.SIGKILL)
        assert json.loads(zygote.stdout.readline()) == {"exited": pid, "signal": signal.SIGKILL}
        output = tmp_path / f"run-{first}.jsonl"  # absent if killed before it was opened
        lines = output.read_text().splitlines() if output.exists() else []
        for line in (json.loads(text) for text in lines if text.endswith("}")):
            if "start" in line:
                started[line["start"]] = line["action"]
                last = max(last, line["start"])
            done.update([line["done"]] if "done" in line else [])
            refused.update([line["refused"]] if "refused" in line else [])
        in_flight = {n for n in started if n > first and n not in done and n not in refused}
        assert in_flight <= {last}, f"seed {seed}: only the last operation can be cut short"
        caught_in_flight += bool(in_flight)
        with Store(db) as store:
            verify = functools.partial(verify_case, store)
            assert integrity(store) == "ok"
            notes = Counter(row.note for c in store.cases() for row in store.history(c.id))
            # Replay the cases this run changed (those verified before stand as they were).
            changed = [c for c in store.cases() if checked.get(c.id) != c.revision]
            checked.update((c.id, c.revision) for c in changed)
            differ = [(v.name, v.differences) for v in map(verify, changed) if not v.ok]
        assert differ == [], f"seed {seed}, run {run}"
        in_history = {int(note[3:]) for note in notes if note and note.startswith("op-")}
        assert all(count == 1 for note, count in notes.items() if note and note[:3] == "op-")
        tagged_done = {n for n in done if started[n] != "tick"}
        assert tagged_done <= in_history, f"seed {seed}: a finished operation is missing"
        assert not in_history & refused, f"seed {seed}: a refused operation was written"
        assert in_history <= set(started), f"seed {seed}: an operation never started is there"
    zygote.stdin.close()
    assert zygote.wait(timeout=60) == 0 and zygote.stderr.read() == ""
    assert len(done) > KILLS, "the writer should get some work done between kills"
    assert caught_in_flight > 1, "kills should land while an operation is under way"


# -- backups --------------------------------------------------------------------------------------


def test_backups_taken_while_a_writer_works_open_and_replay_and_restore(
    db, tmp_path, new_store_location
):
    """`cspr backup` during a stream of writes: each copy is whole, every case in it
    replays from its history, later copies hold more, and restoring one verifies."""
    zygote = start("zygote", db, str(tmp_path))
    assert zygote.stdin and zygote.stdout
    assert json.loads(zygote.stdout.readline() or "{}") == {"ready": True}
    print("run 7 0", file=zygote.stdin, flush=True)
    pid = json.loads(zygote.stdout.readline())["pid"]
    backups = []
    for n in range(4):
        time.sleep(0.15)
        path = tmp_path / f"backup-{n}.db"
        result = CliRunner().invoke(main, ["--db", db, "backup", str(path)])
        assert result.exit_code == 0, result.output
        assert result.output.startswith("backed up ") and result.output.endswith(f" {path}\n")
        backups.append(path)
    os.kill(pid, signal.SIGKILL)
    assert json.loads(zygote.stdout.readline())["exited"] == pid
    zygote.stdin.close()
    assert zygote.wait(timeout=60) == 0
    rows = []
    for path in backups:
        assert {p.name for p in tmp_path.glob(f"{path.name}*")} == {path.name}  # one file
        with Store(path, create=False) as copy:
            assert integrity(copy) == "ok"
            assert [v.differences for v in verify_all(copy) if not v.ok] == []
            rows.append(sum(len(copy.history(c.id)) for c in copy.cases()))
    assert rows == sorted(rows) and rows[0] < rows[-1], rows
    # Restore as the README says: set the store and its -wal and -shm files aside, then
    # copy the backup into place and verify every case; a PostgreSQL store's backup is
    # copied into an empty database.
    if db.startswith("postgresql://"):
        db = new_store_location()
        copied = CliRunner().invoke(main, ["db", "copy", str(backups[1]), db])
        assert copied.exit_code == 0, copied.output
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(db + suffix).unlink(missing_ok=True)
        shutil.copy(backups[1], db)
    restored = CliRunner().invoke(main, ["--db", db, "case", "verify", "--all"])
    assert restored.exit_code == 0, restored.output
    assert restored.output.endswith("all match\n")


def test_backup_refuses_to_overwrite_unless_forced(tmp_path):
    db = str(tmp_path / "cases.db")
    open_shared(db, 1)
    target = tmp_path / "copy.db"
    target.write_bytes(b"an earlier file")

    def backup(*args: str):
        return CliRunner().invoke(main, ["--db", db, "backup", *args])

    refused = backup(str(target))
    assert refused.exit_code == 1
    assert refused.output == (f"cspr: {target} exists; use --force to replace it\n")
    assert target.read_bytes() == b"an earlier file"
    itself = backup(db, "--force")
    assert itself.exit_code == 1 and "it is the case store" in itself.output
    forced = backup(str(target), "--force")
    assert forced.output == f"backed up 2 case(s) from {db} to {target}\n"
    with Store(target, create=False) as copy:
        assert [c.ref for c in copy.cases()] == ["ONE", "MANY-0"]
    nowhere = backup(str(tmp_path / "no-such-folder" / "copy.db"))
    assert nowhere.exit_code == 1 and len(nowhere.output.splitlines()) == 1
    assert nowhere.output.startswith("cspr: cannot write the backup")
    assert list(tmp_path.glob(".*partial")) == []
