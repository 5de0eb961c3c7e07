"""How long ``cspr validate`` takes on a large process file full of misspelt names.

Issue 19, item 9: a 679 KB file with 15,000 facts and 3,000 misspelt names ran for over
five minutes, because every misspelt name was compared with every fact for a "did you
mean". This writes such a file (any size under the 1 MB limit) and times validating it,
as a whole ``cspr validate`` process and in this process::

    .venv/bin/python bench/validate_big.py                 # 15,000 facts, 3,000 typos
    .venv/bin/python bench/validate_big.py --facts 2000 --typos 200

The target: any file under the 1 MB limit validates in 2 s or less.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_WORDS = [
    "aware",
    "notified",
    "panel",
    "review",
    "rapid",
    "local",
    "decision",
    "report",
    "publish",
    "partner",
    "child",
    "harm",
    "death",
    "abuse",
    "neglect",
    "looked",
    "after",
    "care",
    "leaver",
    "age",
    "inquest",
    "police",
    "health",
    "authority",
    "board",
    "chair",
    "reviewer",
    "family",
    "practice",
    "learning",
    "national",
    "sent",
    "planned",
]


def fact_names(count: int, seed: int = 1) -> list[str]:
    """``count`` distinct fact ids of two or three words and a number, as people write."""
    rng = random.Random(seed)
    names: dict[str, None] = {}
    while len(names) < count:
        words = rng.sample(_WORDS, rng.choice((2, 3)))
        names[f"{'_'.join(words)}_{rng.randint(1, 999)}"] = None
    return list(names)


def misspelt(name: str, rng: random.Random) -> str:
    """``name`` with one slip of the keyboard: a letter dropped, doubled or swapped."""
    i = rng.randrange(1, len(name) - 1)
    slip = rng.choice(("drop", "double", "swap"))
    if slip == "drop":
        return name[:i] + name[i + 1 :]
    if slip == "double":
        return name[:i] + name[i] + name[i:]
    return name[:i] + name[i + 1] + name[i] + name[i + 2 :]


def big_process(facts: int, typos: int, seed: int = 1) -> tuple[str, dict[str, str]]:
    """A process file's text with ``facts`` facts and ``typos`` conditions, each naming
    one fact misspelt; and, by condition id, the fact each misspelt name stands for."""
    rng = random.Random(seed)
    names = fact_names(facts, seed)
    known = set(names)
    meant: dict[str, str] = {}
    lines = [
        "process: big",
        'version: "1"',
        "title: A large process with misspelt names",
        "sources: {s: test}",
        "facts:",
        *(f"  {name}: {{type: boolean}}" for name in names),
        "conditions:",
    ]
    for n in range(typos):
        target = rng.choice(names)
        typo = misspelt(target, rng)
        while typo in known or "__" in typo or not typo[0].isalpha():
            typo = misspelt(target, rng)
        meant[f"c{n}"] = target
        lines.append(f"  c{n}: {typo}")
    lines += [
        "states:",
        "  open:",
        "    source: s",
        "    on:",
        "      finish: {to: done, source: s, when: c0}",
        "  done: {type: final, source: s}",
    ]
    return "\n".join(lines) + "\n", meant


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--facts", type=int, default=15_000)
    parser.add_argument("--typos", type=int, default=3_000)
    args = parser.parse_args()
    text, _ = big_process(args.facts, args.typos)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.yaml"
        path.write_text(text, encoding="utf-8")
        env = {**os.environ, "CSPR_NO_CACHE": "1"}
        cspr = Path(sys.executable).parent / "cspr"
        import resource

        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        result = subprocess.run([str(cspr), "validate", str(path)], capture_output=True, env=env)
        whole = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        reported = result.stdout.decode().count("\n")
        os.environ["CSPR_NO_CACHE"] = "1"
        from cspr_engine.format.loader import check_file

        start = time.perf_counter()
        found = check_file(path)
        inside = time.perf_counter() - start
    print(
        f"{len(text.encode()):,} bytes, {args.facts:,} facts, {args.typos:,} misspelt names: "
        f"cspr validate {whole:.2f} s wall, {cpu:.2f} s CPU "
        f"(exit {result.returncode}, {reported:,} lines); "
        f"check_file in this process {inside:.2f} s ({len(found):,} problems)"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
