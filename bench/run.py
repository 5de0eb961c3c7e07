"""Benchmarks: the engine against its peers and against the speed targets, in one table.

Usage::

    python bench/run.py            # the full run (a few minutes)
    python bench/run.py --quick    # fewer repeats (under a minute)
    python bench/run.py --smoke    # tiny sizes, one repeat: only checks the script works
    python bench/run.py --postgres postgresql://user@host/db   # adds PostgreSQL rows (in a
                                                               # schema of its own, dropped after)

Every figure is the median of several repeats, measured in this run on this machine, next
to its peer's figure measured the same way in the same run, and the ratio of the two
(ours ÷ peer). Rows with a target say whether it is met. Commands are timed as whole
processes, as an operator runs them, with Python's bytecode cache in use (as after
installing) and with the engine's cache folder warmed by one earlier run, except where
the row says cold. Sismic is a bench-only extra: ``pip install -e '.[bench]'``.

How the stores of 10,000 and 100,000 cases are made: see :mod:`bench.bulk` (real cases
opened through the runtime, then their rows copied under new ids).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: python bench/run.py
    sys.path.insert(0, str(ROOT))

from cspr_engine.cases.runtime import Runtime  # noqa: E402
from cspr_engine.format import loader, shape  # noqa: E402
from cspr_engine.run import chart, interpreter  # noqa: E402
from cspr_engine.store.database import Store  # noqa: E402
from cspr_engine.store.dialects import with_search_path  # noqa: E402

from bench import bulk, mainpath  # noqa: E402


@dataclass(frozen=True)
class Settings:
    repeats: int  # repeats of each timed command
    sweep_repeats: int  # repeats of each `cspr tick` (each on a fresh copy of its store)
    paths: int  # repeats of the main path in memory
    durable_cases: int  # cases stepped along the main path through the store
    replay_cases: int  # cases in the store that `cspr case verify --all` replays
    sweeps: tuple[tuple[int, int], ...]  # (open cases, due cases) for `cspr tick`


FULL = Settings(9, 5, 30, 60, 1_000, ((10_000, 100), (100_000, 100), (100_000, 1_000)))
QUICK = Settings(3, 2, 8, 20, 60, ((10_000, 100), (100_000, 100), (100_000, 1_000)))
SMOKE = Settings(1, 1, 2, 2, 2, ((1_000, 10), (2_000, 10), (2_000, 20)))


@dataclass(frozen=True)
class Row:
    measure: str
    ours: str
    peer_name: str = ""
    peer: str = ""
    ratio: str = ""
    target: str = ""
    verdict: str = ""


#: Figures one section measures and another shows as a peer.
MEASURED: dict[str, float] = {}


def median(values: list[float]) -> float:
    return statistics.median(values)


# -- formatting ---------------------------------------------------------------------------


def us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f} µs"


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.0f} ms"


def per_s(rate: float) -> str:
    return f"{rate:,.0f}/s"


def mb(size: float) -> str:
    return f"{size / 2**20:,.0f} MB"


def ratio(ours: float, peer: float) -> str:
    return f"{ours / peer:.2f}×" if peer else ""


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def unavailable(measure: str, why: str) -> Row:
    return Row(measure, f"not available: {why}")


# -- processes ----------------------------------------------------------------------------


class Commands:
    """Runs ``cspr`` and ``python -c pass`` as whole processes and times them."""

    def __init__(self, work: Path):
        self.work = work
        self.cache = work / "cache"
        script = Path(sys.executable).with_name("cspr")
        self.cspr = [str(script)] if script.is_file() else [sys.executable, "-m", "cspr_engine.cli"]
        env = dict(os.environ)
        # Installed software has its bytecode compiled; a session that forbids writing it
        # would time Python compiling the engine's source on every run instead.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.update({"CSPR_CACHE": str(self.cache), "CSPR_PROCESSES": str(ROOT / "processes")})
        env.pop("CSPR_NO_CACHE", None)
        self.env = env

    def run(
        self, args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> tuple[float, str]:
        """Wall seconds and standard output of one process."""
        start = time.perf_counter()
        child = subprocess.run(
            args, cwd=cwd or self.work, env=env or self.env, capture_output=True, check=False
        )
        wall = time.perf_counter() - start
        if child.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {child.stderr.decode(errors='replace')}")
        return wall, child.stdout.decode()

    def cspr_run(self, *args: str, **kwargs: Any) -> tuple[float, str]:
        return self.run([*self.cspr, *args], **kwargs)

    def cspr_peak(self, *args: str) -> tuple[float, int, str]:
        """Wall seconds, peak RSS in bytes and standard output of one ``cspr`` process.

        The process is started by a small Python that reports its child's peak RSS: one
        started straight from this (large) process would be charged with this process's
        own high-water mark when it replaced itself with ``cspr``.
        """
        _, out = self.run([sys.executable, "-c", _PEAK, *self.cspr, *args])
        lines = out.splitlines()
        peak, wall = lines[-1].split()
        return float(wall), int(peak) * 1024, "\n".join(lines[:-1])

    def python_pass(self) -> float:
        return self.run([sys.executable, "-c", "pass"])[0]


#: Runs the command given after it, then prints the command's peak RSS (kB) and wall time.
_PEAK = """\
import resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.call(sys.argv[1:])
wall = time.perf_counter() - start
sys.stdout.flush()
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, wall)
sys.exit(code)
"""


# -- 1. per event, in memory --------------------------------------------------------------


def in_memory(settings: Settings) -> list[Row]:
    path = mainpath.main_path()
    drivers: dict[str, Any] = {
        "ours": mainpath.Ours(path),
        "interpreter": mainpath.OursInterpreterOnly(path),
        "chart": mainpath.OursChartOnly(path),
        "psm": mainpath.PythonStatemachine(path),
    }
    sismic_missing = None
    try:
        drivers["sismic"] = mainpath.Sismic(path)
    except ImportError:
        sismic_missing = "Sismic is not installed (pip install -e '.[bench]')"
    mainpath.check_agree(path, list(drivers.values()))  # also warms every driver up
    times: dict[str, list[float]] = {name: [] for name in drivers}
    for _ in range(settings.paths):
        for name, driver in drivers.items():  # interleaved, so load hits all alike
            driver.start()
            start = time.perf_counter()
            for step in path.steps:
                driver.send(step)
            times[name].append((time.perf_counter() - start) / len(path.steps))
    t = {name: median(values) for name, values in times.items()}
    MEASURED.update(t)
    events = f"{len(path.steps)} events"
    rows = [
        Row(
            f"event in memory, our engine (main CSPR path, {events})",
            us(t["ours"]),
            "python-statemachine's own statemachine.io",
            us(t["psm"]),
            ratio(t["ours"], t["psm"]),
            "≤ 1.3×",
            verdict(t["ours"] <= 1.3 * t["psm"]),
        ),
        Row(
            "event in memory, our interpreter alone (engine.run.interpreter)",
            us(t["interpreter"]),
            "python-statemachine's own statemachine.io",
            us(t["psm"]),
            ratio(t["interpreter"], t["psm"]),
        ),
        Row(
            "event in memory, our chart on python-statemachine (engine.run.chart.run)",
            us(t["chart"]),
            "python-statemachine's own statemachine.io",
            us(t["psm"]),
            ratio(t["chart"], t["psm"]),
        ),
    ]
    if sismic_missing:
        rows.append(unavailable("event in memory, against Sismic", sismic_missing))
    else:
        rows += [
            Row(
                "event in memory, our engine",
                us(t["ours"]),
                "Sismic's interpreter, same chart",
                us(t["sismic"]),
                ratio(t["ours"], t["sismic"]),
            ),
            Row(
                "event in memory, python-statemachine's own",
                us(t["psm"]),
                "Sismic's interpreter, same chart",
                us(t["sismic"]),
                ratio(t["psm"], t["sismic"]),
            ),
        ]
    return rows


# -- 2. durable events --------------------------------------------------------------------


def durable(
    label: str, store_factory: Callable[[], Store], settings: Settings, bare: Callable | None
) -> list[Row]:
    """Cases opened and events sent through a store, one change per transaction."""
    path = mainpath.main_path()
    with store_factory() as store:
        rt = Runtime(store, ROOT / "processes")
        refs = [
            f"DURABLE-{os.getpid()}-{time.time_ns()}-{i}" for i in range(settings.durable_cases)
        ]
        start = time.perf_counter()
        for ref in refs:
            rt.open("cspr", path.facts, on=path.opened_on, by="bench", ref=ref)
        opening = time.perf_counter() - start
        start = time.perf_counter()
        for step in path.steps:
            if step.raised:  # a deadline passing raises it: the tick records it, a case each
                rt.tick(step.on, by="bench")
                continue
            for ref in refs:
                rt.send(ref, step.event, on=step.on, facts=step.facts, by="bench")
        sending = time.perf_counter() - start
    events = len(refs) * len(path.steps)
    event_rate, open_rate = events / sending, len(refs) / opening
    peer_name, peer = "", 0.0
    if bare is not None:
        peer_name, peer = f"bare {label}: one history-row INSERT a transaction", bare()
    return [
        Row(
            f"durable events, {label}, one a transaction ({events:,} events)",
            per_s(event_rate),
            peer_name,
            per_s(peer) if peer else "",
            ratio(event_rate, peer) if peer else "",
            "≥ 2,000/s" if label == "SQLite" else "",
            verdict(event_rate >= 2000) if label == "SQLite" else "",
        ),
        Row(
            f"cases opened, {label}, one a transaction ({len(refs):,} cases)",
            per_s(open_rate),
            peer_name,
            per_s(peer) if peer else "",
            ratio(open_rate, peer) if peer else "",
        ),
    ]


def bare_sqlite(folder: Path, count: int) -> Callable[[], float]:
    """Transactions per second of SQLite itself, with the store's settings and one row of
    a history's size each: the ceiling for durable events on this disk."""

    def measure() -> float:
        db = sqlite3.connect(folder / "bare.db", isolation_level=None)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA wal_autocheckpoint = 10000")
        db.execute("CREATE TABLE IF NOT EXISTS h (case_id INTEGER, revision INTEGER, row TEXT)")
        text = "x" * 600
        start = time.perf_counter()
        for i in range(count):
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO h VALUES (?, ?, ?)", (i, i, text))
            db.execute("COMMIT")
        elapsed = time.perf_counter() - start
        db.close()
        return count / elapsed

    return measure


@contextlib.contextmanager
def postgres_scratch(url: str) -> Iterator[str]:
    """The database at ``url`` with a schema of the bench's own, dropped afterwards, so
    that the bench's cases never join real ones there (history cannot be deleted)."""
    import psycopg

    schema = f"cspr_bench_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            yield with_search_path(url, schema)
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def bare_postgres(url: str, count: int) -> Callable[[], float]:
    """Transactions per second of the PostgreSQL server itself, one row of a history's
    size each: the ceiling for durable events on that server."""

    def measure() -> float:
        import psycopg

        with psycopg.connect(url, autocommit=True) as db:
            db.execute("CREATE TABLE IF NOT EXISTS h (case_id INTEGER, revision INTEGER, row TEXT)")
            text = "x" * 600
            start = time.perf_counter()
            for i in range(count):
                db.execute("BEGIN")
                db.execute("INSERT INTO h VALUES (%s, %s, %s)", (i, i, text))
                db.execute("COMMIT")
            return count / (time.perf_counter() - start)

    return measure


# -- 3. command latency -------------------------------------------------------------------


def latency(commands: Commands, settings: Settings) -> list[Row]:
    path = mainpath.main_path()
    db = commands.work / "latency.db"
    with Store(db) as store:
        rt = Runtime(store, ROOT / "processes")
        for i in range(settings.repeats + 2):
            rt.open("cspr", path.facts, on=path.opened_on, by="bench", ref=f"LATENCY-{i}")
    first = path.steps[0]
    show = ["--db", str(db), "case", "show", "LATENCY-0", "--as-of", first.on.isoformat()]

    def send(i: int) -> list[str]:
        return ["--db", str(db), "case", "send", f"LATENCY-{i}", first.event]

    # Warm up: bytecode written, the process model and bank holidays in the cache folder.
    commands.cspr_run(*show)
    commands.cspr_run(*send(settings.repeats + 1), "--on", first.on.isoformat())
    python, shows, sends = [], [], []
    for i in range(settings.repeats):
        python.append(commands.python_pass())
        shows.append(commands.cspr_run(*show)[0])
        sends.append(commands.cspr_run(*send(i), "--on", first.on.isoformat())[0])
    p, s, e = median(python), median(shows), median(sends)
    return [
        Row(
            "`cspr case show CASE`, wall",
            ms(s),
            "`python -c pass`",
            ms(p),
            ratio(s, p),
            "≤ 80 ms",
            verdict(s <= 0.080),
        ),
        Row(
            "`cspr case send CASE EVENT`, wall",
            ms(e),
            "`python -c pass`",
            ms(p),
            ratio(e, p),
            "≤ 150 ms",
            verdict(e <= 0.150),
        ),
    ]


# -- late entries and corrections ---------------------------------------------------------


def late_and_corrected(commands: Commands, settings: Settings) -> list[Row]:
    """A late entry and a correction on cases with 200 history rows, whole commands: both
    derive the case again from every input."""
    path = mainpath.main_path()
    db = commands.work / "late.db"
    opened = dt.date(2023, 1, 2)
    cases = settings.repeats + 1
    with Store(db) as store:
        rt = Runtime(store, ROOT / "processes")
        facts = {**path.facts, "aware_on": opened.isoformat()}
        for i in range(cases):
            rt.open("cspr", facts, on=opened, by="bench", ref=f"LATE-{i}")
            for day in range(1, 200):  # 199 entries after the opening: 200 rows
                rt.set(f"LATE-{i}", {"child_died": "true"}, on=opened + dt.timedelta(days=day))
    late_on = (opened + dt.timedelta(days=3)).isoformat()
    commands.cspr_run("--db", str(db), "case", "send", f"LATE-{cases - 1}", "panel_notified",
                      "--on", late_on)  # fmt: skip
    python, lates, corrections = [], [], []
    for i in range(settings.repeats):
        python.append(commands.python_pass())
        lates.append(
            commands.cspr_run(
                "--db", str(db), "case", "send", f"LATE-{i}", "panel_notified", "--on", late_on
            )[0]
        )
        corrections.append(
            commands.cspr_run(
                "--db", str(db), "case", "correct", f"LATE-{i}", "2", "--reason", "bench",
                "--on", (opened + dt.timedelta(days=2)).isoformat(),
            )[0]
        )  # fmt: skip
    p, late, fix = median(python), median(lates), median(corrections)
    return [
        Row(
            "late entry, `cspr case send CASE EVENT --on EARLIER` (200 history rows), wall",
            ms(late),
            "`python -c pass`",
            ms(p),
            ratio(late, p),
            "≤ 150 ms",
            verdict(late <= 0.150),
        ),
        Row(
            "correction, `cspr case correct CASE REV --on D` (200 history rows), wall",
            ms(fix),
            "`python -c pass`",
            ms(p),
            ratio(fix, p),
            "≤ 150 ms",
            verdict(fix <= 0.150),
        ),
    ]


# -- 4 and 6. timer sweep and its memory -------------------------------------------------


def _export(commands: Commands, store: Path, settings: Settings) -> tuple[float, int, int]:
    """Wall seconds, peak RSS and rows of `cspr export deadlines` over ``store``."""
    walls, peaks, rows = [], [], 0
    for _ in range(settings.sweep_repeats):
        target = commands.work / "export.csv"
        target.unlink(missing_ok=True)
        wall, peak, _ = commands.cspr_peak(
            "--db", str(store), "export", "deadlines", "--as-of", bulk.AS_OF.isoformat(),
            "-o", str(target),
        )  # fmt: skip
        rows = sum(1 for _ in target.open(encoding="utf-8")) - 1
        walls.append(wall)
        peaks.append(peak)
    return median(walls), max(peaks), rows


def sweep(commands: Commands, settings: Settings) -> list[Row]:
    results: dict[tuple[int, int], tuple[float, int]] = {}
    exports: list[tuple[float, int, int]] = []
    for cases, due in settings.sweeps:
        pristine = commands.work / f"sweep-{cases}-{due}.db"
        bulk.make_store(pristine, cases, due)
        work = commands.work / "sweep.db"
        walls, peaks = [], []
        for _ in range(settings.sweep_repeats):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{work}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(pristine, work)
            with open(work, "rb+") as copied:  # on disk before the clock starts, so that
                os.fsync(copied.fileno())  # writing the copy back does not slow the tick
            wall, peak, out = commands.cspr_peak(
                "--db", str(work), "tick", "--as-of", bulk.AS_OF.isoformat(), "--json"
            )
            ticked = {entry["case"] for entry in json.loads(out)}
            if len(ticked) != due:
                raise RuntimeError(f"tick over {cases:,} cases ticked {len(ticked)}, not {due}")
            walls.append(wall)
            peaks.append(peak)
        if (cases, due) == settings.sweeps[1]:  # the register at full size, exported
            exports.append(_export(commands, pristine, settings))
        pristine.unlink()
        results[(cases, due)] = (median(walls), max(peaks))
    (small, small_due), (large, few), (_, many) = settings.sweeps
    base, same, full = (
        results[settings.sweeps[0]],
        results[settings.sweeps[1]],
        results[settings.sweeps[2]],
    )
    return [
        Row(
            f"`cspr tick`, {large:,} open cases, {few:,} due",
            ms(same[0]),
            f"{small:,} open cases, {small_due:,} due",
            ms(base[0]),
            ratio(same[0], base[0]),
            "flat in cases",
        ),
        Row(
            f"`cspr tick`, {large:,} open cases, {many:,} due (1%)",
            ms(full[0]),
            f"{small:,} open cases, {small_due:,} due (1%)",
            ms(base[0]),
            ratio(full[0], base[0]),
            "≤ 1 s",
            verdict(full[0] <= 1.0),
        ),
        Row(
            f"peak RSS of `cspr tick`, {large:,} open cases, {few:,} due",
            mb(same[1]),
            f"{small:,} open cases, {small_due:,} due",
            mb(base[1]),
            ratio(same[1], base[1]),
            "flat in cases",
        ),
        Row(
            f"peak RSS of `cspr tick`, {large:,} open cases, {many:,} due (1%)",
            mb(full[1]),
            f"{small:,} open cases, {small_due:,} due (1%)",
            mb(base[1]),
            ratio(full[1], base[1]),
        ),
        Row(
            f"`cspr export deadlines -o FILE`, {large:,} cases ({exports[0][2]:,} rows), wall",
            ms(exports[0][0]),
            "",
            "",
            "",
            "≤ 3 s",
            verdict(exports[0][0] <= 3.0),
        ),
        Row(
            f"peak RSS of `cspr export deadlines`, {large:,} cases",
            mb(exports[0][1]),
            f"peak RSS of `cspr tick`, {large:,} cases",
            mb(same[1]),
            ratio(exports[0][1], same[1]),
            "flat in cases",
        ),
    ]


# -- 5. load and validate ----------------------------------------------------------------


def load_and_validate(commands: Commands, settings: Settings) -> list[Row]:
    python, cold, unchanged = [], [], []
    commands.cspr_run("validate", "processes/", cwd=ROOT)  # the files, as validated before
    for i in range(settings.repeats):
        env = {**commands.env, "CSPR_CACHE": str(commands.work / f"cold-{i}")}
        python.append(commands.python_pass())
        cold.append(commands.cspr_run("validate", "processes/", cwd=ROOT, env=env)[0])
        unchanged.append(commands.cspr_run("validate", "processes/", cwd=ROOT)[0])
    p, v, u = median(python), median(cold), median(unchanged)
    bundle = loader.read_bundle(ROOT / "processes" / "cspr.yaml")
    process = loader.build(bundle)
    builds, models, cached_models, lookups, prepared = [], [], [], [], []
    chart.chart_for(process, bundle.hash)
    for _ in range(settings.repeats):
        start = time.perf_counter()
        interpreter._build(process)
        prepared.append(time.perf_counter() - start)
        start = time.perf_counter()
        chart.compile_chart(process)
        builds.append(time.perf_counter() - start)
        start = time.perf_counter()
        chart.chart_for(process, bundle.hash)
        lookups.append(time.perf_counter() - start)
        shape.read_document.cache_clear()  # read the YAML again, as a new process would
        start = time.perf_counter()
        loader.build(bundle)
        models.append(time.perf_counter() - start)
        loader._BY_HASH.clear()
        start = time.perf_counter()
        loader.process_for_hash(bundle.hash, bundle.to_json)
        cached_models.append(time.perf_counter() - start)
    b, c, m, mc = median(builds), median(lookups), median(models), median(cached_models)
    prep = median(prepared)
    return [
        Row(
            "`cspr validate processes/`, cold (empty cache folder), wall",
            ms(v),
            "`python -c pass`",
            ms(p),
            ratio(v, p),
            "≤ 300 ms",
            verdict(v <= 0.300),
        ),
        Row(
            "`cspr validate processes/`, new process, files validated before, wall",
            ms(u),
            "`python -c pass`",
            ms(p),
            ratio(u, p),
            "≤ 300 ms",
            verdict(u <= 0.300),
        ),
        Row(
            "CSPR chart prepared for the interpreter (engine.run.interpreter.chart_of, once)",
            ms(prep),
            "python-statemachine class built (engine.run.chart.compile_chart)",
            ms(b),
            ratio(prep, b),
        ),
        Row(
            "CSPR python-statemachine class built (engine.run.chart.compile_chart)",
            ms(b),
            "cached in the process (engine.run.chart.chart_for)",
            us(c),
            ratio(b, c),
        ),
        Row(
            "CSPR model built from its text (YAML, schema, checks)",
            ms(m),
            "read from the cache folder by its hash",
            ms(mc),
            ratio(m, mc),
        ),
    ]


# -- replay ---------------------------------------------------------------------------------


def replay(commands: Commands, settings: Settings, psm: float | None) -> list[Row]:
    """``psm``: python-statemachine's own seconds per event in memory, if measured."""
    from cspr_engine.cli import main

    case = main.commands.get("case")
    if case is None or "verify" not in getattr(case, "commands", {}):
        return [unavailable("replay, `cspr case verify --all`", "cspr case verify not on main yet")]
    db = commands.work / "replay.db"
    bulk.make_replay_store(db, settings.replay_cases)
    commands.cspr_run("--db", str(db), "case", "verify", "--all", "--json")
    walls, events = [], 0
    for _ in range(settings.repeats):
        wall, out = commands.cspr_run("--db", str(db), "case", "verify", "--all", "--json")
        report = json.loads(out)
        if report["differ"]:
            raise RuntimeError(f"replay found differences: {report}")
        events = report["events"]
        walls.append(wall)
    rate = events / median(walls)
    return [
        Row(
            f"replay, `cspr case verify --all` ({settings.replay_cases:,} cases, "
            f"{events:,} events), whole command",
            per_s(rate),
            "python-statemachine's own, in memory" if psm else "",
            per_s(1 / psm) if psm else "",
            ratio(rate, 1 / psm) if psm else "",
            "≥ 5,000/s",
            verdict(rate >= 5000),
        )
    ]


# -- the table ----------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with_name = Path("/proc/cpuinfo")
    if with_name.is_file():
        for line in with_name.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (
        f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()} "
        f"({platform.python_implementation()}) on {platform.system()}; load average {load}"
    )


def table(rows: list[Row]) -> str:
    header = Row("measure", "ours", "peer", "peer's figure", "ratio", "target", "")
    cells = [
        [r.measure, r.ours, r.peer_name, r.peer, r.ratio, r.target, r.verdict]
        for r in [header, *rows]
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header.__dict__))]
    lines = []
    for index, row in enumerate(cells):
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if index == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="fewer repeats (under a minute)")
    size.add_argument("--smoke", action="store_true", help="tiny sizes: only check it works")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get("CSPR_BENCH_POSTGRES"),
        help="also time a PostgreSQL store (default: $CSPR_BENCH_POSTGRES)",
    )
    args = parser.parse_args(argv)
    settings = SMOKE if args.smoke else QUICK if args.quick else FULL
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    started = time.perf_counter()
    print(f"cspr-engine benchmarks ({mode} run)")
    print(f"Machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="cspr-bench-") as scratch:
        work = Path(scratch)
        commands = Commands(work)
        rows = in_memory(settings)
        rows += durable(
            "SQLite",
            lambda: Store(work / "durable.db"),
            settings,
            bare_sqlite(work, settings.durable_cases * 14),
        )
        if args.postgres:
            with postgres_scratch(args.postgres) as url:
                rows += durable(
                    "PostgreSQL",
                    lambda: Store(url),
                    settings,
                    bare_postgres(url, settings.durable_cases * 14),
                )
        rows += replay(commands, settings, MEASURED.get("psm"))
        rows += latency(commands, settings)
        rows += late_and_corrected(commands, settings)
        rows += sweep(commands, settings)
        rows += load_and_validate(commands, settings)
    print(table(rows))
    print(
        f"Medians of {settings.repeats} runs per command ({settings.sweep_repeats} per tick) and "
        f"{settings.paths} passes of the main path; took {time.perf_counter() - started:.0f} s; "
        "load average at the end " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
