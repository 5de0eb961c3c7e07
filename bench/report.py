"""Speed of the timeliness report: ``cspr report --from 2024-01-01 --to 2024-12-31`` as
CSV, HTML and PDF over 10,000 and 100,000 cases (target: 100,000 in at most 5 s each),
and its memory, which must stay flat in the number of cases (deadlines are streamed; only
the tallies are kept).

Usage::

    python bench/report.py               # 10,000 and 100,000 cases
    python bench/report.py --smoke       # 500 cases: only checks the script works

The store is made as :mod:`bench.bulk` makes its stores: real CSPR cases opened through
the runtime, aware on the 2nd of each month of 2024, each month's kept five ways (Panel
and partners told on time; told late; never told, then found not notifiable after the
due date; found not notifiable in time; nothing recorded), and their rows copied under
new ids. So every outcome the report counts is there, and a fifth of the cases have a
deadline recorded ``missed``, whose history the report reads to tell met late from
missed. Each report is timed as a whole ``cspr`` process, as an operator runs it, with
the engine's cache folder warm, the median of three runs; peak memory is the process's
maximum resident set size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: python bench/report.py
    sys.path.insert(0, str(ROOT))

from cspr_engine.cases.runtime import Runtime  # noqa: E402
from cspr_engine.store.database import Store  # noqa: E402

from bench.bulk import _copy  # noqa: E402

TARGET_CASES = 100_000
TARGET_SECONDS = 5.0
FORMATS = ("csv", "html", "pdf")
REPEATS = 3  # timed runs of each report; the median is shown
PERIOD = ("--from", "2024-01-01", "--to", "2024-12-31", "--as-of", "2025-01-31")
FACTS = {"child_died": "true", "abuse_or_neglect": "suspected", "looked_after": "false"}


def make_store(path: Path, cases: int) -> None:
    """``cases`` CSPR cases of 2024, copies of 60 real ones kept five ways."""
    day = dt.timedelta(days=1)
    with Store(path) as store:
        rt = Runtime(store, ROOT / "processes")
        made = []
        for month in range(1, 13):
            on = dt.date(2024, month, 2)
            for way in ("on-time", "late", "missed", "lapsed", "open"):
                ref = f"TEMPLATE-{month}-{way}"
                made.append(rt.open("cspr", {**FACTS, "aware_on": on}, on=on, ref=ref).id)
                if way in ("on-time", "late"):
                    sent = on + (2 if way == "on-time" else 14) * day
                    rt.send(ref, "panel_notified", on=sent)
                    rt.send(ref, "partners_notified", on=sent)
                elif way in ("missed", "lapsed"):
                    found = on + (21 if way == "missed" else 1) * day
                    rt.set(ref, {"abuse_or_neglect": "not_suspected"}, on=found)
        _copy(store, [made[i % len(made)] for i in range(cases - len(made))])


def cspr(db: Path, *args: str) -> tuple[float, float, int, str]:
    """Run ``cspr`` as a process: wall and CPU seconds (CPU is steadier on a shared
    machine), peak memory (KiB) and what it said."""
    command = [sys.executable, "-m", "cspr_engine.cli", "--processes", str(ROOT / "processes")]
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [*command, "--db", str(db), *args], capture_output=True, text=True, cwd=ROOT, check=False
    )
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime
    if done.returncode != 0:
        raise SystemExit(f"cspr {' '.join(args)} failed:\n{done.stderr}")
    return seconds, cpu, after.ru_maxrss, done.stderr.strip()


def measure(folder: Path, form: str) -> tuple[float, float, int, str]:
    db = folder / "bench.db"
    out = folder / f"report.{form}"
    cspr(db, "report", *PERIOD, "--format", form, "-o", str(out), "--force")  # warm
    runs = sorted(
        cspr(db, "report", *PERIOD, "--format", form, "-o", str(out), "--force")
        for _ in range(REPEATS)
    )
    return runs[len(runs) // 2]  # the median by wall time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="500 cases only")
    args = parser.parse_args()
    sizes = [500] if args.smoke else [10_000, TARGET_CASES]
    os.environ.setdefault("CSPR_CACHE", tempfile.mkdtemp(prefix="cspr-bench-cache-"))
    print(f"{'CASES':>7}  {'FORMAT':>6}  {'WALL':>7}  {'CPU':>7}  {'PEAK RSS':>9}  SAID")
    results = []
    for cases in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            # The store is made in a process of its own: a report's peak must not count
            # the memory of the process that made it (a child starts as its parent's copy).
            subprocess.run([sys.executable, __file__, "--make", str(cases), tmp], check=True)
            for form in FORMATS:
                # Each report in a process of its own, so that one's peak is not another's.
                done = subprocess.run(
                    [sys.executable, __file__, "--one", form, tmp],
                    capture_output=True, text=True, check=True,
                )  # fmt: skip
                seconds, cpu, peak, said = done.stdout.strip().split("\t")
                results.append((cases, form, float(seconds), int(peak)))
                print(
                    f"{cases:>7,}  {form:>6}  {float(seconds):>6.2f}s  {float(cpu):>6.2f}s  "
                    f"{int(peak) / 1024:>7.0f}MB  {said.split(' to /')[0]}"
                )
    for cases, form, seconds, _ in results:
        if cases == TARGET_CASES:
            verdict = "met" if seconds <= TARGET_SECONDS else "NOT MET"
            print(f"target: {form}, {cases:,} cases in at most {TARGET_SECONDS:.0f} s: {verdict}")
    if len(sizes) > 1:
        for form in FORMATS:
            low, high = (r[3] for r in results if r[1] == form)
            print(
                f"memory, {form}: {low / 1024:.0f} MB at {sizes[0]:,} cases, {high / 1024:.0f} MB "
                f"at {sizes[1]:,} ({high / low:.2f}x for {sizes[1] / sizes[0]:.0f}x the cases)"
            )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--make":
        make_store(Path(sys.argv[3]) / "bench.db", int(sys.argv[2]))
    elif len(sys.argv) == 4 and sys.argv[1] == "--one":
        seconds, cpu, peak, said = measure(Path(sys.argv[3]), sys.argv[2])
        print(f"{seconds:.3f}\t{cpu:.3f}\t{peak}\t{said}")
    else:
        main()
