"""Files written on request never land on the case store (issue 19, finding 2):
``cspr diagram cspr --case LA-1 --format pdf -o cases.db`` once overwrote the live store.
The store, its -wal, -shm and -journal files, and links to any of them are refused even
with --force; an existing file is refused without --force; a file that cannot be written
is one line, exit 1, no traceback."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cspr_engine.outputs import OutputError, check_output, store_files, write_output

TESTS = Path(__file__).resolve().parent
MINI = TESTS / "examples" / "mini.yaml"


def cspr(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cspr_engine.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,  # a hang guard, not a speed check
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(TESTS.parent),
            "CSPR_NO_CACHE": "1",
            "HOME": str(cwd),
            **(env or {}),
        },
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """./cases.db in tmp_path, holding case LA-1 (mini), with its -wal and -shm files."""
    opened = cspr(
        "case", "open", str(MINI), "--ref", "LA-1", "--on", "2019-12-20",
        "--fact", "aware_on=2019-12-20", "--fact", "child_died=true",
        "--fact", "abuse_or_neglect=suspected", "--by", "tester", cwd=tmp_path,
    )  # fmt: skip
    assert opened.returncode == 0, opened.stderr
    for suffix in ("-wal", "-shm"):  # as a store in use has them
        (tmp_path / f"cases.db{suffix}").write_bytes(b"in use")
    return tmp_path / "cases.db"


def store_state(store: Path) -> dict[str, str]:
    return {p.name: digest(p) for p in store.parent.iterdir() if p.name.startswith("cases.db")}


def assert_one_line(result: subprocess.CompletedProcess, start: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(start), lines[0]


@pytest.mark.parametrize("force", [[], ["--force"]])
@pytest.mark.parametrize(
    "target",
    ["cases.db", "./sub/../cases.db", "cases.db-wal", "cases.db-shm", "cases.db-journal",
     "link-to-store", "hard-link-to-store", "link-to-wal", "dangling-link-to-journal",
     "elsewhere/hard-link-to-wal"],
)  # fmt: skip
def test_a_diagram_is_never_written_onto_the_case_store(
    store: Path, target: str, force: list[str]
) -> None:
    folder = store.parent
    (folder / "sub").mkdir()
    (folder / "elsewhere").mkdir()
    (folder / "link-to-store").symlink_to(store)
    os.link(store, folder / "hard-link-to-store")
    (folder / "link-to-wal").symlink_to(folder / "cases.db-wal")
    (folder / "dangling-link-to-journal").symlink_to("cases.db-journal")
    os.link(folder / "cases.db-wal", folder / "elsewhere" / "hard-link-to-wal")
    before = store_state(store)
    result = cspr(
        "diagram", str(MINI), "--case", "LA-1", "--format", "pdf", "-o", target, *force,
        cwd=folder,
    )  # fmt: skip
    assert_one_line(result, f"cspr: refusing to write {target}: it is the case store")
    assert store_state(store) == before
    assert not (folder / "cases.db-journal").exists()


def test_the_store_named_by_cspr_db_or_db_is_the_one_protected(store: Path) -> None:
    folder = store.parent
    moved = folder / "register.db"
    store.rename(moved)
    before = digest(moved)
    by_env = cspr("diagram", str(MINI), "-o", "register.db", "--force", cwd=folder,
                  env={"CSPR_DB": str(moved)})  # fmt: skip
    assert_one_line(by_env, "cspr: refusing to write register.db: it is the case store")
    by_option = cspr("--db", str(moved), "diagram", str(MINI), "-o", str(moved), "--force",
                     cwd=folder)  # fmt: skip
    assert_one_line(by_option, f"cspr: refusing to write {moved}: it is the case store")
    assert digest(moved) == before


def test_an_existing_file_is_replaced_only_with_force(tmp_path: Path) -> None:
    existing = tmp_path / "mini.dot"
    existing.write_text("keep")
    refused = cspr("diagram", str(MINI), "-o", "mini.dot", cwd=tmp_path)
    assert_one_line(refused, "cspr: mini.dot exists; use --force to replace it")
    assert existing.read_text() == "keep"
    forced = cspr("diagram", str(MINI), "-o", "mini.dot", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert existing.read_text().startswith("digraph mini {")
    fresh = cspr("diagram", str(MINI), "-o", "new.dot", cwd=tmp_path)
    assert fresh.returncode == 0, fresh.stderr
    assert (tmp_path / "new.dot").read_text().startswith("digraph mini {")


def test_a_file_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    missing = cspr("diagram", str(MINI), "-o", "nodir/x.svg", "--format", "dot", cwd=tmp_path)
    assert_one_line(missing, "cspr: cannot write nodir/x.svg: No such file or directory")
    missing_svg = cspr("diagram", str(MINI), "-o", "nodir/x.svg", cwd=tmp_path)
    assert missing_svg.returncode == 1 and "Traceback" not in missing_svg.stderr
    assert len(missing_svg.stderr.splitlines()) == 1, missing_svg.stderr
    folder = cspr("diagram", str(MINI), "-o", str(tmp_path), "--format", "dot", cwd=tmp_path)
    assert folder.returncode != 0 and "Traceback" not in folder.stderr
    if Path("/dev/full").exists():
        full = cspr("diagram", str(MINI), "-o", "/dev/full", "--format", "dot", cwd=tmp_path)
        assert_one_line(full, "cspr: cannot write /dev/full: No space left on device")


def test_devices_are_written_to_without_force(tmp_path: Path) -> None:
    result = cspr("diagram", str(MINI), "-o", "/dev/null", "--format", "dot", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


# -- the function the commands share -------------------------------------------------------


def test_check_output_compares_paths_and_inodes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "cases.db"
    db.write_bytes(b"store")
    (tmp_path / "a").mkdir()
    os.link(db, tmp_path / "a" / "copy.db")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    for path in (db, tmp_path / "a" / "copy.db", tmp_path / "b" / "copy.db",
                 tmp_path / "b" / ".." / "cases.db-shm"):  # fmt: skip
        with pytest.raises(OutputError, match="it is the case store"):
            check_output(path, force=True, store_location=str(db))
    # Relative to the working folder, as the store is opened.
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputError, match="it is the case store's -wal file"):
        check_output(str(tmp_path / "cases.db-wal"), force=True, store_location="cases.db")
    check_output(tmp_path / "other.svg", force=False, store_location=str(db))
    with pytest.raises(OutputError, match="exists; use --force"):
        check_output(db, force=False, store_location=None)
    check_output(db, force=True, store_location=None)


def test_a_database_server_or_memory_store_has_no_files_to_protect() -> None:
    assert store_files("postgresql://clerk@db.example/cases") == []
    assert store_files("host=db.example user=clerk dbname=cases") == []
    assert store_files(":memory:") == []
    assert [p for p, _ in store_files("cases.db")] == [
        "cases.db", "cases.db-wal", "cases.db-shm", "cases.db-journal"
    ]  # fmt: skip


def test_write_output_says_why_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(OutputError) as caught:
        write_output(tmp_path / "missing" / "x.svg", b"x")
    assert str(caught.value) == (
        f"cannot write {tmp_path / 'missing' / 'x.svg'}: No such file or directory"
    )


def test_writing_every_diagram_never_follows_a_link_onto_the_store(store: Path) -> None:
    folder = store.parent
    processes = folder / "processes"
    processes.mkdir()
    (processes / "mini.yaml").write_text(MINI.read_text(encoding="utf-8"), encoding="utf-8")
    diagrams = folder / "diagrams"
    diagrams.mkdir()
    (diagrams / "mini.dot").symlink_to(store)
    before = store_state(store)
    result = cspr("--processes", str(processes), "diagram", "--write", "diagrams", cwd=folder)
    assert_one_line(result, "cspr: refusing to write diagrams/mini.dot: it is the case store")
    assert store_state(store) == before
