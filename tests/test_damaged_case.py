"""One damaged case never stops the others (issue 19, item 8).

Three cases share a store; the middle one is damaged behind the engine's back (a row
that no longer reads as JSON, or its process text cut short). `tick`, `case list`, `due`
and `case verify --all` must deal with the others, say in one line which case they could
not handle, tell the truth about what changed, and exit 1.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from cspr_engine.cases.runtime import Runtime
from cspr_engine.cli import main
from cspr_engine.store.database import Store

MINI = str(Path(__file__).parent / "examples" / "mini.yaml")
D = dt.date.fromisoformat

DAMAGE = {
    "facts not JSON": "UPDATE cases SET facts = '{not json' WHERE ref = 'LA-2'",
    "process text cut short": (
        "UPDATE process_texts SET bundle = substr(bundle, 1, 40)"
        " WHERE hash = (SELECT hash FROM cases WHERE ref = 'LA-2')"
    ),
}


@pytest.fixture(params=list(DAMAGE), ids=list(DAMAGE))
def damaged(request, tmp_path) -> str:
    """A store whose case LA-2 is damaged in each way."""
    return make_damaged(tmp_path, request.param)


@pytest.fixture
def damaged_row(tmp_path) -> str:
    """A store whose case LA-2 no longer reads (a process text cut short is not noticed
    by tick, list or due: a text is known by its hash, and the model built from it still
    runs; verify checks the text against its hash)."""
    return make_damaged(tmp_path, "facts not JSON")


def make_damaged(tmp_path: Path, kind: str) -> str:
    path = str(tmp_path / "cases.db")
    with Store(path) as store:
        runtime = Runtime(store)
        facts = {"aware_on": "2019-12-20", "child_died": "true", "abuse_or_neglect": "known"}
        for ref in ("LA-1", "LA-2", "LA-3"):
            runtime.open(
                MINI if ref != "LA-2" else _copy(tmp_path), facts, on=D("2019-12-20"), ref=ref
            )
        store.execute(DAMAGE[kind])
    return path


def _copy(tmp_path: Path) -> str:
    """LA-2 runs on its own copy of the process, so that cutting its text short leaves
    the others' intact."""
    copy = tmp_path / "mini-copy.yaml"
    copy.write_text(Path(MINI).read_text(encoding="utf-8") + "\n# a copy\n", encoding="utf-8")
    return str(copy)


def cspr(path: str, *args: str):
    return CliRunner().invoke(main, ["--db", path, *args])


def test_tick_goes_on_past_a_damaged_case_and_says_so(damaged_row):
    result = cspr(damaged_row, "tick", "--as-of", "2020-01-20")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    assert "4 deadline(s) passed in 2 case(s)" in lines
    assert [line for line in lines if line.startswith("cspr: case 2 could not be ticked")]
    with Store(damaged_row) as store:
        assert store.find("LA-1").revision == 2 and store.find("LA-3").revision == 2


def test_list_and_due_go_on_past_a_damaged_case(damaged_row):
    for args in (["case", "list"], ["due", "--as-of", "2020-01-20"]):
        result = cspr(damaged_row, *args)
        assert result.exit_code == 1, (args, result.output)
        assert "Traceback" not in result.output and "internal error" not in result.output
        assert "LA-1" in result.output and "LA-3" in result.output, args
        assert "cspr: case 2 could not be read and is left out" in result.output


def test_verify_goes_on_past_a_damaged_case(damaged):
    result = cspr(damaged, "case", "verify", "--all")
    assert result.exit_code == 1
    assert "case 2 (LA-2): DIFFERS" in result.output or "case 2: DIFFERS" in result.output
    assert "3 case(s) verified" in result.output and "1 differ" in result.output


def test_backup_never_writes_onto_the_store_or_its_companions(tmp_path):
    path = make_damaged(tmp_path, "facts not JSON")
    (tmp_path / "link.db").symlink_to(path)
    for target in (
        path,
        path + "-wal",
        path + "-shm",
        path + "-journal",
        str(tmp_path / "link.db"),
    ):
        result = cspr(path, "backup", target, "--force")
        assert result.exit_code == 1, target
        assert "refusing to write" in result.output and "Traceback" not in result.output
    with Store(path) as store:
        assert store.find("LA-1").revision == 1


def test_verify_tells_a_changed_calendar_from_a_changed_case(tmp_path):
    path = make_damaged(tmp_path, "facts not JSON")
    with Store(path) as store:
        store.execute("UPDATE cases SET calendar = 'holidays 0.1; sha256:0' WHERE ref = 'LA-1'")
    result = cspr(path, "case", "verify", "LA-1")
    assert result.exit_code == 0
    assert (
        "worked out with holidays 0.1; sha256:0; this cspr counts working days with holidays"
        in (result.output)
    )


def test_a_key_of_other_digits_is_a_reference_not_an_id(tmp_path):
    path = make_damaged(tmp_path, "facts not JSON")
    result = cspr(path, "case", "show", "²")
    assert result.exit_code == 1
    assert result.output == f"cspr: no case '²' in {path}\n"
