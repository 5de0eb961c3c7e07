"""The ``cspr diagram`` command."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Process
from ..draw.book import diagram, dot_source, print_pdf
from ..draw.dot import choose_direction, printed_font_size, render_bytes
from ..draw.files import (
    _load,
    _shown,
    processes_dir,
    resolve_process,
    stale_diagrams,
    write_diagrams,
)
from ..draw.overlay import Overlay, case_overlay, match_steps
from ..draw.pages import pages
from ..draw.style import FORMATS, MIN_PRINTED, NOT_INSTALLED, DotMissing, Stop
from ..draw.words import deadline_text, fact_label, wrap
from .common import fail, progress, store_location
from .common import runtime as open_runtime


@click.command("diagram")
@click.argument("process_or_file", required=False, metavar="PROCESS_OR_FILE")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="Output format (default: from -o's suffix, else dot). png on A3 or A4 writes a "
    "file a page (cspr-01.png, ...) at 150 or 200 dpi.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file.")
@click.option(
    "--force",
    is_flag=True,
    help="Replace the -o file if it exists (never the case store or its -wal, -shm or "
    "-journal files).",
)
@click.option("--case", "case_key", metavar="CASE", help="Overlay this case (its id or reference).")
@click.option(
    "--as-of",
    metavar="YYYY-MM-DD",
    help="With --case: judge deadlines as of this date (default: today).",
)
@click.option(
    "--paper",
    type=click.Choice(["a4", "a3", "none"]),
    default="a3",
    show_default=True,
    help="Landscape page size; a PDF becomes pages whose text prints at 8 pt or more "
    "(none: natural size, for screens).",
)
@click.option(
    "--page",
    type=click.IntRange(min=1),
    metavar="N",
    help="Only page N of the printed version (see --paper); a PDF has every page.",
)
@click.option("--no-sources", is_flag=True, help="Leave out source marks and the source list.")
@click.option(
    "--check",
    "check_dir",
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="Fail if a .dot file in DIR no longer matches its process file, or a PDF there "
    "is missing, larger than its paper or prints text under 8 pt (no PROCESS_OR_FILE needed).",
)
@click.option(
    "--write",
    "write_dir",
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="Write dot, svg and a PDF for each paper (<id>.pdf on --paper, <id>-a4.pdf or "
    "<id>-a3.pdf on the other) for every process file into DIR.",
)
@click.pass_context
def diagram_command(
    ctx: click.Context,
    process_or_file: str | None,
    fmt: str | None,
    output: str | None,
    force: bool,
    case_key: str | None,
    as_of: str | None,
    paper: str,
    page: int | None,
    no_sources: bool,
    check_dir: str | None,
    write_dir: str | None,
) -> None:
    """Draw PROCESS_OR_FILE (a process id such as cspr, or a file) with Graphviz.

    Steps are coloured by the role responsible, with a key; arrows carry events and their
    conditions in words; deadlines and the sources of the rules are on the page. With
    --case, the case's current steps, the path it took and overdue deadlines are marked.
    svg, pdf and png need Graphviz's dot program.

    \b
    Examples:
      cspr diagram cspr -o cspr.pdf --paper a4
      cspr diagram --case LA-2019-041 -o case.svg
      cspr diagram --write diagrams/
      cspr diagram --check diagrams/
    """
    from ..outputs import OutputError, check_output, write_output

    folder = processes_dir(ctx)
    chosen_paper = None if paper == "none" else paper
    store = store_location(ctx)
    try:
        if output:  # before any work: a refused file is refused at once
            check_output(output, force=force, store_location=store)
        if check_dir or write_dir:
            if write_dir:
                written = write_diagrams(
                    Path(write_dir), folder, chosen_paper or "a3", store, progress=progress
                )
                for path in written:
                    click.echo(f"wrote {_shown(path)}")
            if check_dir:
                lines = stale_diagrams(Path(check_dir), folder, chosen_paper or "a3")
                for line in lines:
                    click.echo(line, err=True)
                if lines:
                    sys.exit(1)
                click.echo(f"{_shown(Path(check_dir))} matches the process files")
            return
        overlay = None
        if case_key:
            process, overlay = _case(ctx, case_key, as_of)
            if process_or_file and process_or_file not in (process.id, process.file):
                resolved = resolve_process(process_or_file, folder)
                if _load(resolved).id != process.id:
                    fail(
                        f"cspr: case {case_key} follows process '{process.id}', "
                        f"not '{process_or_file}'"
                    )
        elif process_or_file:
            process = _load(resolve_process(process_or_file, folder))
        else:
            raise click.UsageError("give PROCESS_OR_FILE, --case, --check DIR or --write DIR")
        fmt = fmt or (Path(output).suffix.lstrip(".").lower() if output else "dot")
        if fmt not in FORMATS:
            raise click.UsageError(f"cannot tell the format from {output}; use --format")
        options: dict[str, Any] = {"sources": not no_sources, "overlay": overlay}
        # A PNG is drawn at print resolution for its paper (natural size: 150 dpi).
        dpi = PNG_DPI.get(chosen_paper or "", 150) if fmt == "png" else None
        default_target = None if output else Path(f"{process.id}.{fmt}")
        if default_target is not None and fmt not in ("dot", "svg"):
            # Refused before any work, like -o: ./<process>.png is not replaced unasked.
            check_output(default_target, force=force, store_location=store)
        if fmt == "png" and chosen_paper and page is None:
            _write_png_pages(
                process,
                chosen_paper,
                Path(output) if output else Path(f"{process.id}.png"),
                force,
                store,
                dpi,
                options,
            )
            return
        if page is not None:
            if chosen_paper is None:
                raise click.UsageError("--page needs --paper a4 or a3")
            count = len(pages(process, chosen_paper, not no_sources))
            if page > count:
                raise Stop(
                    f"cspr: {process.id} has {count} page(s) on {chosen_paper.upper()}, not {page}"
                )
            printed = [dot_source(process, paper=chosen_paper, page=page, dpi=dpi, **options)]
            data = render_bytes(printed[0], fmt)
        elif fmt == "pdf" and chosen_paper:
            data = print_pdf(process, chosen_paper, **options)
            count = len(pages(process, chosen_paper, not no_sources))
            printed = [
                dot_source(process, paper=chosen_paper, page=n, **options)
                for n in range(1, count + 1)
            ]
        else:
            source = dot_source(process, paper=chosen_paper, dpi=dpi, **options)
            data = render_bytes(source, fmt)
            printed = [source] if fmt == "png" and chosen_paper else []
        for number, source in enumerate(printed, start=1):
            size = printed_font_size(source)
            if size < MIN_PRINTED:
                where = f"page {page or number}" if page or len(printed) > 1 else "the diagram"
                click.echo(
                    f"cspr: warning: on {(chosen_paper or '').upper()} {where} prints its text at "
                    f"{size:.1f} pt, under {MIN_PRINTED:g} pt"
                    + ("" if page or fmt == "pdf" else "; --page N prints one legible page"),
                    err=True,
                )
        if output:
            check_output(output, force=force, store_location=store)  # again: time has passed
            write_output(output, data)
            click.echo(f"wrote {output}", err=True)
        elif fmt in ("dot", "svg"):
            click.echo(data.decode("utf-8"), nl=False)
        else:
            target = Path(f"{process.id}.{fmt}")
            check_output(target, force=force, store_location=store)
            write_output(target, data)
            click.echo(f"wrote {target}", err=True)
    except OutputError as error:
        fail(f"cspr: {error}")
    except DotMissing:
        fail(NOT_INSTALLED)
    except Stop as stop:
        fail(str(stop))


#: PNG resolution for each paper: a page about 2,400 pixels across, as it prints.
PNG_DPI = {"a3": 150, "a4": 200}


def png_page_names(target: Path, count: int) -> list[Path]:
    """The files of a book drawn as PNG: ``cspr.png`` → ``cspr-01.png`` ... (one page:
    ``cspr.png`` itself)."""
    if count == 1:
        return [target]
    digits = len(str(count))
    return [
        target.with_name(f"{target.stem}-{n:0{digits}d}{target.suffix or '.png'}")
        for n in range(1, count + 1)
    ]


def _write_png_pages(
    process: Process,
    paper: str,
    target: Path,
    force: bool,
    store: str | None,
    dpi: int | None,
    options: dict[str, Any],
) -> None:
    """Every page of the printed version as a PNG of its own, at print resolution."""
    from ..outputs import check_output, write_output

    count = len(pages(process, paper, options["sources"]))
    names = png_page_names(target, count)
    for name in names:  # every file refused or allowed before any is written
        check_output(name, force=force, store_location=store)
    for number, name in enumerate(names, start=1):
        source = dot_source(process, paper=paper, page=number, dpi=dpi, **options)
        data = render_bytes(source, "png")
        check_output(name, force=force, store_location=store)
        write_output(name, data)
        click.echo(f"wrote {name}", err=True)


def _case(ctx: click.Context, case_key: str, as_of_text: str | None) -> tuple[Process, Overlay]:
    from ..cases.runtime import Refused
    from ..dates import DateError, parse_date
    from ..store.database import StoreError

    try:
        as_of = parse_date(as_of_text) if as_of_text else dt.date.today()
    except DateError as error:
        raise click.BadParameter(str(error), param_hint="--as-of") from None
    rt = open_runtime(click.get_current_context())
    try:
        view = rt.show(case_key, as_of)
        record, rows = rt.history(case_key)
    except (Refused, StoreError) as error:
        fail(f"cspr: {error}")
        raise  # pragma: no cover - _fail exits
    process = view.process
    return process, case_overlay(process, record, rows, view.deadlines, as_of)


__all__: list[str] = [
    "DotMissing",
    "Overlay",
    "case_overlay",
    "choose_direction",
    "deadline_text",
    "diagram",
    "diagram_command",
    "dot_source",
    "fact_label",
    "match_steps",
    "printed_font_size",
    "render_bytes",
    "stale_diagrams",
    "wrap",
    "write_diagrams",
]
