"""Tests for ``cspr validate``: every problem of every file, one per line, and an exit code.

Most tests call :data:`engine.cli.main` through click's ``CliRunner`` (fast); one runs the
installed ``cspr`` executable, as a policy lead or a CI job would. The broken files come
from ``tests/broken`` (see tests/test_loader.py for what each must report).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cspr_engine.cli import main

TESTS = Path(__file__).resolve().parent
BROKEN = TESTS / "broken"
MINI = TESTS / "examples" / "mini.yaml"

#: One problem per line: ``path:line:col: message``.
PROBLEM_LINE = re.compile(
    r"^(?P<file>[^:\n]+):(?P<line>[0-9]+):(?P<column>[0-9]+): (?P<message>.+)$"
)

#: Three broken files, each with one mistake, and how the line for it must start.
THREE = {
    "unknown_key_typo.yaml": (
        "processes/unknown_key_typo.yaml:38:5: unknown key 'deadlnes' — did you mean 'deadlines'?"
    ),
    "duration_in_words.yaml": (
        "processes/duration_in_words.yaml:31:17: 'five days' spells the number in words: "
        "write the number in digits, for example '5 working days'"
    ),
    "unknown_target.yaml": (
        "processes/unknown_target.yaml:24:28: unknown state 'rapid_reveiw' — did you mean "
        "'rapid_review'?"
    ),
}


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder, made current so reported paths are short and predictable."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def three_broken(workdir: Path) -> Path:
    """``processes/`` holding three broken files, in the working folder."""
    folder = workdir / "processes"
    folder.mkdir()
    for name in THREE:
        shutil.copy(BROKEN / name, folder / name)
    return folder


def validate(*args: str) -> Result:
    return CliRunner().invoke(main, ["validate", *args])


def no_crash(result: Result) -> None:
    """The command ended by exiting, not by an exception (a traceback for the user)."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}\n{result.output}"
    )


def problem_lines(result: Result) -> list[re.Match[str]]:
    lines = result.stdout.splitlines()
    matches = [PROBLEM_LINE.match(line) for line in lines]
    assert all(matches), f"not all lines are path:line:col: message:\n{result.stdout}"
    return matches  # type: ignore[return-value]


# -- text output ----------------------------------------------------------------------------------


def test_a_folder_of_broken_files_reports_every_file_and_exits_1(three_broken: Path):
    result = validate("processes")
    no_crash(result)
    assert result.exit_code == 1
    matches = problem_lines(result)
    assert {m["file"] for m in matches} == {f"processes/{name}" for name in THREE}
    for start in THREE.values():
        assert any(line.startswith(start) for line in result.stdout.splitlines()), start
    summary = result.stderr.strip().splitlines()[-1]
    assert re.fullmatch(rf"{len(matches)} problems? in 3 file\(s\)", summary), summary


def test_problems_are_listed_in_file_then_line_order(three_broken: Path):
    matches = problem_lines(validate("processes"))
    places = [(m["file"], int(m["line"]), int(m["column"])) for m in matches]
    assert places == sorted(places)


def test_no_arguments_means_the_processes_folder(three_broken: Path):
    result = validate()
    assert result.exit_code == 1
    assert {m["file"] for m in problem_lines(result)} == {f"processes/{n}" for n in THREE}


def test_files_and_folders_can_be_mixed(three_broken: Path, workdir: Path):
    shutil.copy(MINI, workdir / "mini.yaml")
    result = validate("mini.yaml", "processes/unknown_target.yaml")
    assert result.exit_code == 1
    assert {m["file"] for m in problem_lines(result)} == {"processes/unknown_target.yaml"}


def test_a_valid_file_exits_0_with_a_one_line_summary():
    result = validate(str(MINI))
    no_crash(result)
    assert result.exit_code == 0, result.output
    assert result.stdout == "1 process file(s) valid\n"
    assert result.stderr == ""


def test_a_folder_of_valid_files_counts_them(workdir: Path):
    folder = workdir / "processes"
    folder.mkdir()
    shutil.copy(MINI, folder / "mini.yaml")
    shutil.copy(BROKEN / "valid_base.yaml", folder / "base.yml")
    result = validate("processes")
    assert result.exit_code == 0, result.output
    assert result.stdout == "2 process file(s) valid\n"


def test_a_missing_path_is_an_error(workdir: Path):
    result = validate("no_such_folder")
    no_crash(result)
    assert result.exit_code == 1
    assert "no_such_folder:1:1: no such file or folder" in result.stdout.splitlines()


def test_a_missing_path_is_an_error_even_beside_a_valid_file(workdir: Path):
    result = validate(str(MINI), "missing.yaml")
    assert result.exit_code == 1
    assert "missing.yaml:1:1: no such file or folder" in result.stdout.splitlines()


def test_a_folder_with_no_process_files_is_an_error(workdir: Path):
    (workdir / "empty").mkdir()
    result = validate("empty")
    assert result.exit_code == 1
    assert "empty:1:1: no process files found" in result.stderr


def test_a_problem_in_an_included_file_names_that_file(workdir: Path):
    folder = workdir / "processes"
    folder.mkdir()
    for name in ("include_loop_a.yaml", "include_loop_b.yaml"):
        shutil.copy(BROKEN / name, folder / name)
    result = validate("processes/include_loop_a.yaml")
    assert result.exit_code == 1
    assert [m["file"] for m in problem_lines(result)] == ["processes/include_loop_b.yaml"]


# -- JSON output ----------------------------------------------------------------------------------


def test_json_lists_every_problem_with_file_line_column_and_message(three_broken: Path):
    result = validate("processes", "--json")
    no_crash(result)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["files"] == 3
    problems = report["problems"]
    assert problems
    for problem in problems:
        assert set(problem) == {"file", "line", "column", "message"}
        assert isinstance(problem["line"], int) and problem["line"] >= 1
        assert isinstance(problem["column"], int) and problem["column"] >= 1
        assert isinstance(problem["message"], str) and problem["message"]
    assert {p["file"] for p in problems} == {f"processes/{name}" for name in THREE}
    assert {
        "file": "processes/unknown_target.yaml",
        "line": 24,
        "column": 28,
        "message": "unknown state 'rapid_reveiw' — did you mean 'rapid_review'?",
    } in problems


def test_json_says_the_same_as_the_text(three_broken: Path):
    text = validate("processes").stdout.splitlines()
    problems = json.loads(validate("processes", "--json").stdout)["problems"]
    assert [f"{p['file']}:{p['line']}:{p['column']}: {p['message']}" for p in problems] == text


def test_json_for_a_valid_file_has_no_problems():
    result = validate(str(MINI), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"files": 1, "problems": [], "warnings": []}


def test_json_for_a_missing_path_lists_it(workdir: Path):
    result = validate("nowhere.yaml", "--json")
    assert result.exit_code == 1
    (problem,) = json.loads(result.stdout)["problems"]
    assert problem == {
        "file": "nowhere.yaml",
        "line": 1,
        "column": 1,
        "message": "no such file or folder",
    }


def test_json_does_not_count_a_missing_path_as_a_file(workdir: Path):
    result = validate("nowhere.yaml", "--json")
    assert json.loads(result.stdout)["files"] == 0


def test_json_for_a_folder_with_no_process_files_lists_the_problem(workdir: Path):
    (workdir / "empty").mkdir()
    result = validate("empty", "--json")
    assert result.exit_code == 1
    (problem,) = json.loads(result.stdout)["problems"]
    assert problem["message"] == "no process files found"


# -- hostile files --------------------------------------------------------------------------------


def test_a_file_with_a_nul_byte_is_a_problem_line_not_a_traceback(workdir: Path):
    shutil.copy(TESTS / "hostile" / "nul_byte.yaml", workdir / "nul.yaml")
    result = validate("nul.yaml")
    no_crash(result)
    assert result.exit_code == 1
    (match,) = problem_lines(result)
    assert (match["file"], match["line"], match["column"]) == ("nul.yaml", "4", "11")


def test_hostile_files_are_problem_lines(workdir: Path):
    folder = workdir / "hostile"
    folder.mkdir()
    for name in ("alias_bomb.yaml", "tab_indent.yaml", "python_tag.yaml", "not_utf8.yaml"):
        shutil.copy(TESTS / "hostile" / name, folder / name)
    result = validate("hostile")
    no_crash(result)
    assert result.exit_code == 1
    assert len(problem_lines(result)) == 4
    assert not (workdir / "cspr-tag-ran").exists()


# -- the installed command ------------------------------------------------------------------------


def test_the_installed_cspr_command(three_broken: Path, workdir: Path):
    cspr = shutil.which("cspr", path=str(Path(sys.executable).parent)) or shutil.which("cspr")
    if cspr is None:
        pytest.skip("the cspr command is not installed")
    done = subprocess.run(
        [cspr, "validate", "processes"],
        cwd=workdir,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stdout.splitlines()
    assert all(PROBLEM_LINE.match(line) for line in lines), done.stdout
    for start in THREE.values():
        assert any(line.startswith(start) for line in lines), start
    assert re.search(r"problems? in 3 file\(s\)$", done.stderr.strip())
