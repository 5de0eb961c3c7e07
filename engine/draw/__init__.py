"""Process model (and optionally one case) → Graphviz: dot, svg, pdf and png.

One diagram per process, for trainers to print and operators to follow a case:

* a step is a rounded box filled with the colour of its responsible role (``by``, else
  the nearest enclosing step's), with the role's abbreviation in a white badge, so colour
  is never the only thing that says who is responsible;
* a compound step is a cluster; a parallel step is a bold cluster, labelled "runs in
  parallel", whose regions are dashed clusters side by side; a filled black dot and arrow
  marks where a process or region starts; a final step has a bullseye (◉) and a double
  border (a double circle would grow with its title);
* an arrow is an event (its title, else its id), with its condition in words ("if ...");
  a dashed arrow is automatic ("automatically, when ..."); "when done" leaves a step
  once everything inside it has finished;
* deadlines are written on their steps in plain words ("◷ within 5 working days of the
  date the local authority became aware ..."); ◷ rather than ⏱ because DejaVu Sans, the
  font Graphviz falls back to on Linux, has it and ⏱ is missing from most fonts;
* every step, arrow and deadline carries the footnote mark of the rule it comes from
  ("[3]"), with the full citation as an SVG tooltip and in the numbered list of sources at
  the foot of the page, beside the key that names every role and symbol.

Palette: pale tints of the Okabe-Ito colour-blind-safe palette (Okabe & Ito 2008: yellow,
sky blue, orange, bluish green, reddish purple, blue, vermillion). Okabe-Ito hues stay
distinct for protanopes, deuteranopes and tritanopes, but at full strength they are too
dark for black text and several share a grey; so each is mixed with white to a chosen CIE
lightness L* (95, 86, 80, 74, 68, 62, 56), 6 to 9 units apart. Printed in greyscale the
fills still come out as distinct greys, every one light enough for black text (contrast
5.8:1 or more). A role has one colour in every process (:data:`ROLE_COLOURS`, keyed by
role id: the Panel is reddish purple in cspr, scr and transitional alike); a role of a
process of your own hashes into :data:`FALLBACK_COLOURS`. The role badge in every box
carries the role when neither colour nor grey can.

An arrow's label is a node of its own ("plaintext") in the innermost box holding both
ends of the arrow, the arrow drawn in two pieces through it: dot then lays labels out as
it lays out steps, so no label crosses a border, sits on a step or has a line through it
(``tests/layout_check.py`` checks dot's own layout for that). An arrow into a parallel
step ends at its border, above its regions, which start side by side in document order.

Print-ready: ``paper="a4"`` or ``"a3"`` sets a landscape page (``size`` less the margins,
with "!" and ``ratio=compress``), so each PDF page fits one sheet. All text but the title
is set at :data:`FONT_SIZE` and labels wrap at about 28 characters (:func:`wrap`). A whole
statutory process (the CSPR has over 70 steps) cannot print at 8 pt on one sheet, so the
printed version is a book of pages (:func:`pages`): an overview with the key, then a page
for each part too big to draw where it sits, shown there as a 3-D box ("see page 5");
arrows to and from other pages end in dashed grey boxes that name the page. Each page is
laid out, measured (:func:`printed_font_size`) and split further until its text prints at
8 pt or more, top to bottom or left to right, whichever prints larger; before a page is
split it is set tighter (:data:`TIGHTER`: wider labels, boxes that count their deadlines,
parallel lanes in two rows). The PDF holds every page (:func:`merge_pdfs`); ``--page N``
draws one (the plan of pages is kept in the user's cache, so that takes the time of one
page). :func:`printed_pages` reads page and text sizes back out of a PDF (with pypdf), so
``--check`` can hold the committed A3 and A4 PDFs to that without running Graphviz.

The committed ``diagrams/<process>.dot`` (and ``.svg``, for screens, with tooltips) is the
whole chart on one A3 sheet; its text is deterministic (document order, no dates, no
hashes, no absolute paths) and depends on the model alone, not on Graphviz, so ``cspr
diagram --check diagrams/`` can compare it with the process files. Graphviz (the
``graphviz`` package and the ``dot`` program) is only imported, and only needed, to draw.
"""

from __future__ import annotations

from .book import diagram, dot_source, print_pdf
from .dot import Page, choose_direction, dot_installed, printed_font_size, render_bytes
from .files import (
    pdf_name,
    process_files,
    processes_dir,
    resolve_process,
    stale_diagrams,
    write_diagrams,
)
from .overlay import Overlay, case_overlay, match_steps
from .pages import pages
from .pdf import NotAPdf, PrintedPage, merge_pdfs, printed_pages
from .style import (
    FALLBACK_COLOURS,
    FORMATS,
    MIN_PRINTED,
    NOT_INSTALLED,
    PALETTE,
    PAPERS,
    ROLE_COLOURS,
    DotMissing,
    Stop,
)
from .words import (
    abbreviations,
    citation,
    condition_text,
    deadline_text,
    fact_label,
    link_address,
    responsible,
    role_fill,
    role_fills,
    wrap,
)

__all__ = [
    "DotMissing",
    "FALLBACK_COLOURS",
    "FORMATS",
    "MIN_PRINTED",
    "NOT_INSTALLED",
    "NotAPdf",
    "Overlay",
    "PALETTE",
    "PAPERS",
    "Page",
    "PrintedPage",
    "ROLE_COLOURS",
    "Stop",
    "abbreviations",
    "case_overlay",
    "choose_direction",
    "citation",
    "condition_text",
    "deadline_text",
    "diagram",
    "dot_installed",
    "dot_source",
    "fact_label",
    "link_address",
    "match_steps",
    "merge_pdfs",
    "pages",
    "pdf_name",
    "print_pdf",
    "printed_font_size",
    "printed_pages",
    "process_files",
    "processes_dir",
    "render_bytes",
    "resolve_process",
    "responsible",
    "role_fill",
    "role_fills",
    "stale_diagrams",
    "wrap",
    "write_diagrams",
]
