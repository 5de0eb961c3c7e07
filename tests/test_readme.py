"""The README's operators' example does what the README says it does.

The commands of the first ``sh`` block of "For operators" are run, in order, on a new
store; then each ``$ cspr ...`` of the ``text`` block that follows is run and its output
compared with what the README shows. Only what cannot repeat is set aside: when a row was
recorded (the RECORDED column) and the process text's short hash. Run this file as a
script (``python tests/test_readme.py``) to print the block as the engine writes it now.
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cspr_engine.cli import main  # noqa: E402

README = ROOT / "README.md"
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00")
_HASH = re.compile(r"(\(\w+ \w+, )[0-9a-f]{12}\)")


def blocks() -> tuple[list[str], list[tuple[str, str]]]:
    """The operators' commands, and the (command, output) pairs the README shows."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## For operators") :]
    sh = section[section.index("```sh\n") + 6 :]
    sh = sh[: sh.index("```")]
    commands = [
        line.split("  #")[0].strip()
        for line in sh.replace("\\\n", " ").splitlines()
        if line.strip().startswith("cspr ")
    ]
    shown = section[section.index("```text\n") + 8 :]
    shown = shown[: shown.index("```")]
    pairs = []
    for chunk in re.split(r"^\$ ", shown, flags=re.M)[1:]:
        command, _, output = chunk.partition("\n")
        pairs.append((command.strip(), output.rstrip("\n")))
    return commands, pairs


def run(db: Path, command: str) -> str:
    args = shlex.split(command)[1:]  # without "cspr"
    result = CliRunner().invoke(
        main, ["--db", str(db), "--processes", str(ROOT / "processes"), *args]
    )
    return result.output.rstrip("\n")


def normal(text: str) -> str:
    text = _HASH.sub(r"\1HASH)", _STAMP.sub("RECORDED-AT", text))
    return "\n".join(line.rstrip() for line in text.splitlines())


def test_the_operators_example_prints_what_the_readme_shows(tmp_path):
    db = tmp_path / "cases.db"
    commands, pairs = blocks()
    assert len(commands) >= 8 and len(pairs) >= 4
    for command in commands:
        run(db, command)
    for command, expected in pairs:
        assert normal(run(db, command)) == normal(expected), command


if __name__ == "__main__":  # print the text block as the engine writes it now
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "cases.db"
        commands, pairs = blocks()
        for command in commands:
            run(db, command)
        for command, _ in pairs:
            print(f"$ {command}\n{run(db, command)}\n")
