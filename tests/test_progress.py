"""Progress of the long commands (`cspr db copy`, `cspr diagram --write`, `cspr export`):
told to the bar of `engine.cli.common.progress` as the work goes, drawn on stderr when it
is a terminal, and nothing at all, on either stream, when it is not.

The engine is given the bar as a function `progress(items, length, label)` that hands the
items back; here a recorder stands in for it, and the commands are run as processes, once
with their output piped and once with stderr on a pseudo-terminal.
"""

from __future__ import annotations

import datetime as dt
import os
import select
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cspr_engine.cases import export as exporting
from cspr_engine.cases.dbcopy import copy_store
from cspr_engine.cases.register import CaseFilter
from cspr_engine.cases.runtime import Runtime
from cspr_engine.draw.files import write_diagrams
from cspr_engine.store.database import Store

from tests.test_verify import MINI, step_cases

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz 'dot' is not installed: no diagrams drawn"
)
needs_pty = pytest.mark.skipif(
    sys.platform == "win32", reason="no pseudo-terminals (pty) on Windows"
)


class Recorder:
    """Stands in for the bar: notes each (label, length) asked for and the items read."""

    def __init__(self) -> None:
        self.bars: list[tuple[str, int]] = []
        self.read: list[int] = []

    def __call__(self, items: Iterable[Any], length: int, label: str) -> Iterator[Any]:
        self.bars.append((label, length))
        self.read.append(0)
        for item in items:
            self.read[-1] += 1
            yield item


@pytest.fixture
def filled(tmp_path) -> str:
    """A SQLite store with two cases of two processes, stepped through every action."""
    location = str(tmp_path / "filled.db")
    with Store(location) as store:
        step_cases(Runtime(store))
    return location


@pytest.fixture
def two_processes(tmp_path) -> Path:
    """A processes folder of two files (a bar is drawn for two things or more)."""
    folder = tmp_path / "processes"
    folder.mkdir()
    for name in ("mini.yaml", "other.yaml"):
        shutil.copy(MINI, folder / name)
    return folder


def cspr(*args: str, cwd: Path, terminal: bool = False) -> tuple[int, str, str]:
    """Run cspr as a process: exit status, stdout and stderr. Standard output is always a
    pipe; stderr is a pipe too, or with ``terminal`` a pseudo-terminal."""
    command = [sys.executable, "-m", "cspr_engine.cli", *args]
    if not terminal:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)
        return done.returncode, done.stdout, done.stderr
    import pty

    main, other = pty.openpty()
    child = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=other)
    os.close(other)
    shown = bytearray()
    try:
        while True:
            ready, _, _ = select.select([main], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(main, 65536)
                except OSError:  # the child closed the terminal (Linux says EIO)
                    break
                if not chunk:
                    break
                shown += chunk
            elif child.poll() is not None:
                break
        assert child.stdout is not None
        out = child.stdout.read().decode()
        status = child.wait(timeout=300)
    finally:
        os.close(main)
    return status, out, shown.decode(errors="replace")


# -- db copy -------------------------------------------------------------------------------


def test_copy_store_tells_progress_of_every_batch_it_copies_and_checks_and_every_case(
    filled, tmp_path
):
    recorder = Recorder()
    with Store(filled) as source, Store(str(tmp_path / "copy.db")) as target:
        counts = copy_store(source, target, progress=recorder)
    # Four tables of fewer rows than a batch each: four batches copied, four checked.
    assert recorder.bars == [("copying", 4), ("checking", 4), ("replaying", counts["cases"])]
    assert recorder.read == [length for _, length in recorder.bars]


def test_db_copy_is_silent_off_a_terminal(filled, tmp_path):
    status, out, err = cspr("db", "copy", filled, str(tmp_path / "copy.db"), cwd=tmp_path)
    assert status == 0, err
    assert err == ""
    assert out.startswith("copied 2 case(s)") and out.count("\n") == 1


@needs_pty
def test_db_copy_draws_its_bars_on_a_terminal_and_keeps_stdout_clean(filled, tmp_path):
    status, out, shown = cspr(
        "db", "copy", filled, str(tmp_path / "copy.db"), cwd=tmp_path, terminal=True
    )
    assert status == 0, shown
    assert out.startswith("copied 2 case(s)") and out.count("\n") == 1
    for label in ("copying", "checking", "replaying"):
        assert label in shown
    assert "100%" in shown


# -- diagram --write -----------------------------------------------------------------------


@needs_dot
def test_write_diagrams_tells_progress_of_every_process_drawn(two_processes, tmp_path):
    recorder = Recorder()
    written = write_diagrams(tmp_path / "diagrams", two_processes, progress=recorder)
    assert recorder.bars == [("drawing", 2)] and recorder.read == [2]
    assert len(written) == 8


@needs_dot
def test_diagram_write_is_silent_off_a_terminal(two_processes, tmp_path):
    status, out, err = cspr(
        "--processes", str(two_processes), "diagram", "--write", "diagrams", cwd=tmp_path
    )
    assert status == 0, err
    assert err == ""
    assert out.splitlines()[0] == "wrote diagrams/mini.dot" and len(out.splitlines()) == 8


@needs_dot
@needs_pty
def test_diagram_write_draws_its_bar_on_a_terminal(two_processes, tmp_path):
    status, out, shown = cspr(
        "--processes", str(two_processes), "diagram", "--write", "diagrams", cwd=tmp_path,
        terminal=True,
    )  # fmt: skip
    assert status == 0, shown
    assert len(out.splitlines()) == 8
    assert "drawing" in shown and "100%" in shown


# -- export ----------------------------------------------------------------------------------


def test_export_tells_progress_of_every_case_read(filled):
    with Store(filled) as store:
        runtime = Runtime(store)
        for kind in ("cases", "deadlines", "history"):
            recorder = Recorder()
            rows = list(
                exporting.rows(runtime, kind, CaseFilter(), dt.date(2020, 3, 2), progress=recorder)
            )
            assert rows, kind
            assert recorder.bars == [("exporting", 2)] and recorder.read == [2], kind


def test_export_is_silent_off_a_terminal(filled, tmp_path):
    status, out, err = cspr("--db", filled, "export", "deadlines", cwd=tmp_path)
    assert status == 0, err
    assert err == ""
    assert out.splitlines()[0].startswith("case,ref,process,version,deadline,")


@needs_pty
def test_export_draws_its_bar_on_a_terminal_and_writes_only_rows_to_stdout(filled, tmp_path):
    _, piped, _ = cspr("--db", filled, "export", "deadlines", cwd=tmp_path)
    status, out, shown = cspr("--db", filled, "export", "deadlines", cwd=tmp_path, terminal=True)
    assert status == 0, shown
    assert out == piped
    assert "exporting" in shown and "100%" in shown
