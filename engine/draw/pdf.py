"""PDF pages: merging the pages of a book, and reading page and text sizes back out of a
PDF, so that --check can hold the committed PDFs to 8 pt without running Graphviz."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    pass
from .style import PAPERS

# -- PDF pages ------------------------------------------------------------------------------


def merge_pdfs(documents: Sequence[bytes]) -> bytes:
    """One PDF with the pages of ``documents`` in order.

    Written for Graphviz's cairo PDFs (a classic cross-reference table, no object
    streams): objects are renumbered and every page hung under one page tree. Stream
    data is copied untouched; only dictionaries are rewritten.
    """
    if len(documents) == 1:
        return documents[0]
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    kids: list[int] = []
    pages_number = 1
    next_number = 2
    for document in documents:
        objects, root = _pdf_objects(document)
        catalog = objects[root]
        pages_ref = int(re.search(rb"/Pages\s+(\d+)\s+0\s+R", catalog).group(1))
        skip = {root, pages_ref}
        info = re.search(rb"/Info\s+(\d+)\s+0\s+R", _pdf_trailer(document))
        if info:
            skip.add(int(info.group(1)))
        numbers = {}
        for number in sorted(objects):
            if number not in skip:
                numbers[number] = next_number
                next_number += 1
        for number in sorted(numbers):
            body = objects[number]
            head, sep, stream = body.partition(b"stream")
            head = re.sub(
                rb"(\d+)\s+0\s+R",
                lambda m, numbers=numbers: b"%d 0 R" % numbers.get(int(m.group(1)), pages_number),
                head,
            )
            if re.search(rb"/Type\s*/Page\b", head):
                head = re.sub(rb"/Parent\s+\d+\s+0\s+R", b"/Parent %d 0 R" % pages_number, head)
                kids.append(numbers[number])
            offsets.append(len(out))
            out += b"%d 0 obj\n" % numbers[number] + head + sep + stream + b"endobj\n"
    count = next_number
    tree = b"<< /Type /Pages /Kids [ %s ] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    catalog_number = count
    all_offsets = {}
    for i, offset in enumerate(offsets):
        all_offsets[i + 2] = offset
    all_offsets[pages_number] = len(out)
    out += b"1 0 obj\n" + tree + b"\nendobj\n"
    all_offsets[catalog_number] = len(out)
    out += b"%d 0 obj\n<< /Type /Catalog /Pages 1 0 R >>\nendobj\n" % catalog_number
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (catalog_number + 1)
    for number in range(1, catalog_number + 1):
        out += b"%010d 00000 n \n" % all_offsets[number]
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        catalog_number + 1,
        catalog_number,
        xref,
    )
    return bytes(out)


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
    """The pages of a PDF written by Graphviz (and :func:`merge_pdfs`), with the size of
    the smallest text on each: the font size times the text and drawing scale, that is
    what it measures on paper. Reads only what cairo writes (Flate streams, ``cm``,
    ``Tm`` and ``Tf``), so the committed PDFs are checked without running ``dot``."""
    objects, _ = _pdf_objects(document)
    found = []
    for number in sorted(objects):
        head = objects[number].partition(b"stream")[0]
        if not re.search(rb"/Type\s*/Page\b", head):
            continue
        box = [float(v) for v in re.search(rb"/MediaBox\s*\[([^\]]*)\]", head).group(1).split()]
        smallest = 0.0
        for ref in re.findall(
            rb"(\d+)\s+0\s+R", re.search(rb"/Contents\s*(\[[^\]]*\]|\d+\s+0\s+R)", head).group(1)
        ):
            body = objects[int(ref)]
            data = body[body.index(b"stream") + len(b"stream") :].lstrip(b"\r\n")
            data = data[: data.rindex(b"endstream")]
            if b"FlateDecode" in body.partition(b"stream")[0]:
                data = zlib.decompressobj().decompress(data)
            for size in _text_sizes(_PDF_STRING.sub(b"()", data)):
                smallest = size if not smallest else min(smallest, size)
        found.append(PrintedPage(box[2] - box[0], box[3] - box[1], smallest))
    return found


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


def _pdf_trailer(document: bytes) -> bytes:
    return document[document.rindex(b"trailer") :]


def _pdf_objects(document: bytes) -> tuple[dict[int, bytes], int]:
    """(object number → the bytes between "N 0 obj" and "endobj", catalog number)."""
    start = int(re.search(rb"startxref\s+(\d+)", document[-64:]).group(1))
    table = document[start:]
    first, count = (int(v) for v in re.match(rb"xref\s+(\d+)\s+(\d+)", table).groups())
    entries = re.findall(rb"(\d{10}) (\d{5}) ([nf])", table)[:count]
    where = {first + i: int(offset) for i, (offset, _, kind) in enumerate(entries) if kind == b"n"}
    objects = {}
    for number, offset in where.items():
        header = re.match(rb"\s*\d+\s+\d+\s+obj\s?", document[offset : offset + 32])
        body_start = offset + header.end()
        end = document.index(b"endobj", body_start)
        body = document[body_start:end]
        if b"stream" in body[:4096]:
            # endobj can occur inside binary stream data: find the real end from /Length.
            length = _pdf_length(document, body, where)
            data_start = body_start + body.index(b"stream") + len(b"stream")
            data_start += 2 if document[data_start : data_start + 2] == b"\r\n" else 1
            end = document.index(b"endobj", data_start + length)
            body = document[body_start:end]
        objects[number] = body
    root = int(re.search(rb"/Root\s+(\d+)\s+0\s+R", _pdf_trailer(document)).group(1))
    return objects, root


def _pdf_length(document: bytes, body: bytes, where: Mapping[int, int]) -> int:
    direct = re.search(rb"/Length\s+(\d+)(\s+0\s+R)?", body)
    if direct.group(2):
        offset = where[int(direct.group(1))]
        return int(re.search(rb"obj\s+(\d+)", document[offset : offset + 64]).group(1))
    return int(direct.group(1))
