"""Diagram files: which process a name means, where diagrams are written, and whether the
committed diagrams still match the process files."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..resources import shipped

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Process
from .book import dot_source, print_pdf
from .dot import render_bytes
from .pdf import NotAPdf, printed_pages
from .style import MIN_PRINTED, PAPERS, Stop

# -- the command -------------------------------------------------------------------------


def processes_dir(ctx: click.Context | None = None) -> Path:
    """The processes folder: --processes, $CSPR_PROCESSES, ./processes, else the package's."""
    root = ctx.find_root() if ctx is not None else None
    chosen = (root.params.get("processes") if root is not None else None) or os.environ.get(
        "CSPR_PROCESSES"
    )
    if chosen:
        return Path(chosen)
    local = Path("processes")
    if local.is_dir():
        return local
    return shipped("processes")


def resolve_process(name: str, folder: Path) -> Path:
    """A process id (``<folder>/<id>.yaml``) or a file path → the file, or :class:`Stop`."""
    path = Path(name)
    if path.is_file():
        return path
    if name.endswith((".yaml", ".yml")) or os.sep in name or "/" in name:
        raise Stop(f"cspr: no such process file: {name}")
    candidate = folder / f"{name}.yaml"
    if candidate.is_file():
        return candidate
    from ..problems import did_you_mean

    known = sorted(p.stem for p in folder.glob("*.yaml"))
    hint = did_you_mean(name, known) or (
        f"; known processes: {', '.join(known)}" if known else f"; no process files in {folder}"
    )
    raise Stop(f"cspr: unknown process '{name}'{hint}")


def _load(path: Path) -> Process:
    from ..format.loader import LoadError, load_process

    try:
        return load_process(path)
    except LoadError as error:
        lines = [f"cspr: cannot draw {path}: it has {len(error.problems)} problem(s)"]
        lines += [str(p) for p in error.problems]
        raise Stop("\n".join(lines)) from None


def process_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.yaml") if p.is_file())


def pdf_name(stem: str, paper: str, main_paper: str) -> str:
    """The committed PDF for ``paper``: ``<stem>.pdf`` on the main paper, else
    ``<stem>-<paper>.pdf`` (so ``cspr.pdf`` is A3 and ``cspr-a4.pdf`` A4)."""
    return f"{stem}.pdf" if paper == main_paper else f"{stem}-{paper}.pdf"


def stale_diagrams(directory: Path, folder: Path, paper: str = "a3") -> list[str]:
    """One line per committed diagram in ``directory`` that no longer matches its process,
    is missing, or has a PDF page that does not fit its paper or prints text under
    :data:`MIN_PRINTED` (read from the PDF itself, so this needs no Graphviz)."""
    lines = []
    fix = f"run: cspr diagram --write {_shown(directory)}"
    expected = set()
    for path in process_files(folder):
        dot_file = directory / f"{path.stem}.dot"
        expected.add(dot_file.name)
        text = dot_source(_load(path), paper=paper)
        if not dot_file.is_file():
            lines.append(f"{_shown(dot_file)}: missing; {fix}")
            continue
        if dot_file.read_text(encoding="utf-8") != text:
            lines.append(f"{_shown(dot_file)}: stale, {path.name} has changed; {fix}")
            continue
        svg = dot_file.with_suffix(".svg")
        if not svg.is_file():
            lines.append(f"{_shown(svg)}: missing; {fix}")
        for sheet in PAPERS:
            pdf = directory / pdf_name(path.stem, sheet, paper)
            if not pdf.is_file():
                lines.append(f"{_shown(pdf)}: missing; {fix}")
                continue
            lines += [
                f"{_shown(pdf)}: {problem}; {fix}"
                for problem in _print_problems(pdf.read_bytes(), sheet)
            ]
    for dot_file in sorted(directory.glob("*.dot")):
        if dot_file.name not in expected:
            lines.append(
                f"{_shown(dot_file)}: no process {dot_file.stem} in {_shown(folder)}; delete it"
            )
    return lines


def _print_problems(document: bytes, paper: str) -> list[str]:
    """What is wrong with a PDF printed on ``paper``, one phrase a page."""
    try:
        found = printed_pages(document)
    except NotAPdf:
        return ["not a PDF written by cspr diagram"]
    problems = []
    for number, page in enumerate(found, start=1):
        if not page.fits(paper):
            problems.append(
                f"page {number} is {page.width:.0f} x {page.height:.0f} pt, "
                f"larger than {paper.upper()} landscape"
            )
        elif page.smallest < MIN_PRINTED:
            problems.append(
                f"page {number} prints its text at {page.smallest:.1f} pt on {paper.upper()}, "
                f"under {MIN_PRINTED:g} pt"
            )
    return problems or ([] if found else ["has no pages"])


#: What is told of the work as it goes: ``progress(items, length, label)`` gives back the
#: items, as the command line's :func:`engine.cli.common.progress` does (a bar on a
#: terminal, nothing otherwise).
Progress = Callable[[Iterable[Any], int, str], Iterable[Any]]


def write_diagrams(
    directory: Path,
    folder: Path,
    paper: str = "a3",
    store_location: str | None = None,
    progress: Progress | None = None,
) -> list[Path]:
    """Write dot, svg and a PDF for each paper (see :func:`pdf_name`) for every process in
    ``folder``; the paths written. Files there are replaced, but never the case store at
    ``store_location`` or its companions (:class:`~engine.outputs.OutputError`).
    ``progress`` is told of each process drawn ("drawing")."""
    from ..outputs import OutputError, check_output, write_output

    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot write {directory}: {error.strerror or error}") from None
    written = []
    found = process_files(folder)
    for path in found if progress is None else progress(found, len(found), "drawing"):
        process = _load(path)
        text = dot_source(process, paper=paper)
        outputs = {
            f"{path.stem}.dot": text.encode("utf-8"),
            f"{path.stem}.svg": render_bytes(text, "svg"),
        }
        for sheet in PAPERS:
            outputs[pdf_name(path.stem, sheet, paper)] = print_pdf(process, sheet)
        for name, data in outputs.items():
            target = directory / name
            check_output(target, force=True, store_location=store_location)
            write_output(target, data)
            written.append(target)
    return written


def _shown(path: Path) -> str:
    try:
        text = str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        text = str(path)
    return text + ("/" if path.is_dir() else "")
