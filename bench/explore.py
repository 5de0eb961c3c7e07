"""How long ``cspr explore`` takes on each shipped process, and how many configurations
each has (issue 18's target: 5 s a process on this machine).

    .venv/bin/python bench/explore.py [--max N]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cspr_engine.format.loader import load_process  # noqa: E402
from cspr_engine.run.explore import DEFAULT_MAX, explore  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max", type=int, default=DEFAULT_MAX)
    args = parser.parse_args()
    print(f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("| process | configurations | transitions | complete | steps reached | seconds |")
    print("|---|---|---|---|---|---|")
    for path in sorted((ROOT / "processes").glob("*.yaml")):
        process = load_process(path)
        result = explore(process, limit=args.max)
        steps = f"{result.steps_reached} of {len(process.states)}"
        print(
            f"| {path.stem} | {result.configurations:,} | {result.transitions:,} | "
            f"{'yes' if result.complete else 'no (--max)'} | {steps} | {result.seconds:.1f} |"
        )


if __name__ == "__main__":
    main()
