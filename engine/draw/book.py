"""A process drawn whole or as a printed book of pages, with or without a case: the
entry points of the draw layer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import graphviz

    from ..model import Process
from .dot import _Drawing, render_bytes
from .overlay import Overlay
from .pages import pages
from .pdf import merge_pdfs
from .style import PAPERS

# -- entry points ---------------------------------------------------------------------------


def diagram(
    process: Process,
    *,
    paper: str | None = "a3",
    sources: bool = True,
    overlay: Overlay | None = None,
    dpi: int | None = None,
    page: int | None = None,
) -> graphviz.Digraph:
    """The Graphviz graph of ``process`` (and one case, with ``overlay``).

    Without ``page``, the whole process on one sheet (for screens, and the committed
    ``.dot``); with ``page`` (from 1), that page of :func:`pages` for ``paper``.
    """
    if paper is not None and paper not in PAPERS:
        raise ValueError(f"paper is one of {', '.join(PAPERS)}, not {paper!r}")
    if page is None:
        return _Drawing(process, paper, sources, overlay, dpi).build()
    book = pages(process, paper or "a3", sources)
    if not 1 <= page <= len(book):
        raise ValueError(f"there are {len(book)} pages, not {page}")
    return _Drawing(process, paper, sources, overlay, dpi, book[page - 1], book).build()


def dot_source(process: Process, **options: Any) -> str:
    """The dot text of :func:`diagram`: deterministic, ending with a newline."""
    text = diagram(process, **options).source
    return text if text.endswith("\n") else text + "\n"


def print_pdf(process: Process, paper: str = "a3", **options: Any) -> bytes:
    """Every page of ``process`` on ``paper``, as one PDF. Needs ``dot``."""
    count = len(pages(process, paper, options.get("sources", True)))
    parts = [
        render_bytes(dot_source(process, paper=paper, page=n, **options), "pdf")
        for n in range(1, count + 1)
    ]
    return merge_pdfs(parts)
