"""Speed of moving cases between versions: ``cspr migrate PLAN --all --dry-run`` over many
open cases (target: 10,000 in at most 10 s), and its memory, which must stay flat in the
number of cases (one case is read, moved in memory and let go at a time).

Usage::

    python bench/migrate.py               # 1,000 and 10,000 cases
    python bench/migrate.py --smoke       # 200 cases: only checks the script works

The store is made as :mod:`bench.bulk` makes its stores: a few real cases opened under
cspr 2018 through the runtime (aware in November and early December 2023), their rows
copied under new ids. The dry run is timed as a whole ``cspr`` process, as an operator
runs it, with the engine's cache folder warm; peak memory is the process's maximum
resident set size.
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
if str(ROOT) not in sys.path:  # run as a script: python bench/migrate.py
    sys.path.insert(0, str(ROOT))

from cspr_engine.cases.runtime import Runtime  # noqa: E402
from cspr_engine.store.database import Store  # noqa: E402

from bench.bulk import _copy  # noqa: E402

TARGET_CASES = 10_000
TARGET_SECONDS = 10.0
TEMPLATES = 10


def make_store(path: Path, cases: int) -> None:
    """``cases`` open cases of cspr 2018, copies of :data:`TEMPLATES` real ones."""
    with Store(path) as store:
        rt = Runtime(store, ROOT / "processes")
        made = []
        for i in range(TEMPLATES):
            on = dt.date(2023, 11, 20) + dt.timedelta(days=i)
            facts = {"child_died": "true", "abuse_or_neglect": "suspected", "aware_on": on}
            made.append(rt.open("cspr", facts, on=on, by="bench", ref=f"TEMPLATE-{i}").id)
            if i % 2:
                rt.send(f"TEMPLATE-{i}", "panel_notified", on=on + dt.timedelta(days=2))
        _copy(store, [made[i % TEMPLATES] for i in range(cases - TEMPLATES)])


def plan(folder: Path, db: Path) -> Path:
    """A reviewed plan from 2018 to 2023 (care_leaver defaults to false; age left out)."""
    path = folder / "plan.yaml"
    cspr(db, "migrate", "plan", "cspr@2018", "cspr@2023", "-o", str(path))
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "  care_leaver:  # boolean: A care leaver (no longer looked after)\n    required: true",
        "  care_leaver:  # boolean: A care leaver (no longer looked after)\n    default: false",
    )
    text = text.replace(
        "  age:  # number: Age in years when the person died or was harmed\n    required: true\n",
        "",
    )
    path.write_text(text, encoding="utf-8")
    return path


def cspr(db: Path, *args: str) -> tuple[float, int, str]:
    """Run ``cspr`` as a process: seconds, peak memory (KiB) and its output."""
    command = [sys.executable, "-m", "cspr_engine.cli", "--processes", str(ROOT / "processes")]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(
        [*command, "--db", str(db), *args], capture_output=True, text=True, cwd=ROOT, check=False
    )
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode not in (0, 1):
        raise SystemExit(f"cspr {' '.join(args)} failed:\n{done.stderr}")
    return seconds, max(peak, before), done.stdout


def measure(folder: Path, cases: int) -> tuple[float, int, str]:
    db = folder / f"bench-{cases}.db"
    make_store(db, cases)
    reviewed = plan(folder, db)
    cspr(db, "migrate", str(reviewed), "--case", "1", "--dry-run", "--on", "2024-01-08")  # warm
    seconds, peak, out = cspr(
        db, "migrate", str(reviewed), "--all", "--dry-run", "--on", "2024-01-08"
    )
    return seconds, peak, out.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="200 cases only")
    args = parser.parse_args()
    sizes = [200] if args.smoke else [1_000, TARGET_CASES]
    os.environ.setdefault("CSPR_CACHE", tempfile.mkdtemp(prefix="cspr-bench-cache-"))
    print(f"{'CASES':>7}  {'DRY RUN':>8}  {'PER CASE':>9}  {'PEAK RSS':>9}  SUMMARY")
    results = []
    for cases in sizes:
        # Each size in a process of its own, so that one size's peak is not another's.
        with tempfile.TemporaryDirectory() as tmp:
            done = subprocess.run(
                [sys.executable, __file__, "--one", str(cases), tmp],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
        seconds, peak, summary = done.stdout.strip().split("\t")
        results.append((cases, float(seconds), int(peak)))
        print(
            f"{cases:>7,}  {float(seconds):>7.2f}s  {float(seconds) / cases * 1000:>7.2f}ms"
            f"  {int(peak) / 1024:>7.0f}MB  {summary}"
        )
    for cases, seconds, _ in results:
        if cases == TARGET_CASES:
            verdict = "met" if seconds <= TARGET_SECONDS else "NOT MET"
            print(f"target: {TARGET_CASES:,} cases in at most {TARGET_SECONDS:.0f} s: {verdict}")
    if len(results) > 1:
        (small, _, low), (big, _, high) = results[0], results[-1]
        print(
            f"memory: {low / 1024:.0f} MB at {small:,} cases, {high / 1024:.0f} MB at {big:,} "
            f"({high / low:.2f}x for {big / small:.0f}x the cases)"
        )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--one":
        seconds, peak, summary = measure(Path(sys.argv[3]), int(sys.argv[2]))
        print(f"{seconds:.3f}\t{peak}\t{summary}")
    else:
        main()
