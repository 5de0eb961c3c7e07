"""bench/run.py works: its smallest run prints every row of the table (no timing is
asserted here; speed is measured by the benchmark itself)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL, postgres_skip_reason

ROOT = Path(__file__).resolve().parent.parent


def test_the_benchmark_runs_and_prints_every_row() -> None:
    # With a PostgreSQL server to test against, its rows too (in a schema of their own).
    postgres = [] if postgres_skip_reason() else ["--postgres", str(POSTGRES_URL)]
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--smoke", *postgres],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("cspr-engine benchmarks (smoke run)\nMachine: ")
    for row in (
        "event in memory, our engine",
        "python-statemachine's own statemachine.io",
        "durable events, SQLite, one a transaction",
        "cases opened, SQLite",
        "replay, `cspr case verify --all`",
        "`cspr case show CASE`, wall",
        "`cspr case send CASE EVENT`, wall",
        "`cspr tick`, 2,000 open cases, 20 due (1%)",
        "peak RSS of `cspr tick`",
        "`cspr validate processes/`, cold",
        "event in memory, our interpreter alone",
        "CSPR chart prepared for the interpreter",
        "CSPR python-statemachine class built",
        *(["durable events, PostgreSQL, one a transaction"] if postgres else []),
    ):
        assert row in out, f"no row '{row}' in:\n{out}"
    assert "not available: cspr case verify" not in out


def test_the_sismic_export_runs_the_main_path_to_the_same_steps() -> None:
    pytest.importorskip("sismic", reason="Sismic is a bench-only extra: pip install -e '.[bench]'")
    sys.path.insert(0, str(ROOT))
    from bench import mainpath

    path = mainpath.main_path()
    engines = [mainpath.Ours(path), mainpath.PythonStatemachine(path), mainpath.Sismic(path)]
    mainpath.check_agree(path, engines)  # raises if any engine ends up elsewhere
    assert engines[2].leaves() == ["case_closed"]
