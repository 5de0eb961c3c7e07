"""PDF pages: merging the pages of a book, and reading page and text sizes back out of a
PDF, so that --check can hold the committed PDFs to 8 pt without running Graphviz.

Both use pypdf (a maintained pure-Python PDF library) to read and write the files; only
the text sizes are read here, from each page's decoded content stream."""

from __future__ import annotations

import contextlib
import io
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .style import PAPERS

# -- PDF pages ------------------------------------------------------------------------------


class NotAPdf(ValueError):
    """The bytes are not a PDF that can be read (damaged, truncated or something else)."""


def merge_pdfs(documents: Sequence[bytes]) -> bytes:
    """One PDF with the pages of ``documents`` in order."""
    if len(documents) == 1:
        return documents[0]
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for document in documents:
        writer.append(PdfReader(io.BytesIO(document)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@dataclass(frozen=True)
class PrintedPage:
    """One page of a PDF as it prints at its own size: its size and its smallest text."""

    width: float  #: points
    height: float  #: points
    smallest: float  #: points; 0 when the page has no text

    def fits(self, paper: str) -> bool:
        """Whether the page fits a landscape sheet of ``paper`` (to the nearest point)."""
        width, height = PAPERS[paper]
        return self.width <= round(width * 72) + 1 and self.height <= round(height * 72) + 1


_PDF_STRING = re.compile(rb"\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>")
_PDF_OPERATION = re.compile(rb"((?:[-+]?(?:\d+\.?\d*|\.\d+)\s+)*)(cm|Tm|Tf|q|Q)\b|/[^\s/\[\]()<>]+")


def printed_pages(document: bytes) -> list[PrintedPage]:
    """The pages of a PDF, each with the size of its smallest text: the font size times
    the text and drawing scale, that is what it measures on paper. The text is read from
    each page's content stream (``cm``, ``Tm`` and ``Tf``, as cairo writes them for
    Graphviz), so the committed PDFs are checked without running ``dot``.

    Raises :class:`NotAPdf` when ``document`` cannot be read as a PDF.
    """
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    with _quiet():
        try:
            reader = PdfReader(io.BytesIO(document), strict=False)
            return [_printed(page) for page in reader.pages]
        # pypdf says a file is damaged with its own errors, but a file damaged in some
        # ways fails deeper down, with a Python error, before pypdf can tell.
        except (PyPdfError, ValueError, KeyError, IndexError, TypeError, AttributeError) as error:
            raise NotAPdf(str(error) or type(error).__name__) from None


def _printed(page: Any) -> PrintedPage:
    box = page.mediabox
    contents = page.get_contents()
    data = contents.get_data() if contents is not None else b""
    sizes = list(_text_sizes(_PDF_STRING.sub(b"()", data)))
    return PrintedPage(float(box.width), float(box.height), min(sizes) if sizes else 0.0)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """pypdf logs what it repairs in a damaged file; a damaged file is reported once, by
    :class:`NotAPdf`, so its log is held back while it reads."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _text_sizes(content: bytes) -> Iterator[float]:
    """The size on paper of each piece of text in a page's content stream."""
    scale, stack, text, font = 1.0, [], 1.0, 0.0
    for match in _PDF_OPERATION.finditer(content):
        operator = match.group(2)
        if operator is None:
            continue
        values = [float(v) for v in match.group(1).split()]
        if operator == b"q":
            stack.append(scale)
        elif operator == b"Q":
            scale = stack.pop() if stack else 1.0
        elif operator == b"cm" and len(values) >= 6:
            a, b, c, d = values[-6:-2]
            scale *= abs(a * d - b * c) ** 0.5
        elif operator == b"Tm" and len(values) >= 6:
            a, b, c, d = values[-6:-2]
            text = abs(a * d - b * c) ** 0.5
        elif operator == b"Tf" and values:
            font = abs(values[-1])
            yield round(font * text * scale, 2)
