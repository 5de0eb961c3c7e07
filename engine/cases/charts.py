"""The timeliness report as a document: HTML (one self-contained, printable file, the
charts inline as SVG) or PDF (matplotlib's PdfPages), with the figures in words under
each chart for readers who cannot see it.

The charts need matplotlib, an optional extra (``pip install 'cspr-engine[report]'``),
imported here only, when a report is drawn, with the Agg backend: without it,
:func:`require` refuses in one line. The figures themselves are
:mod:`engine.cases.report`'s.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import io
import logging
import textwrap
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from .report import (
    DEFINITIONS,
    OUTCOME_WORDS,
    OUTCOMES,
    Figures,
    Tally,
    number,
    percent,
    quarter_words,
    share_words,
    status_words,
    summary_words,
)
from .runtime import Refused

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Okabe and Ito's colours (told apart with the common colour blindnesses), and hatching
#: so that a black-and-white print still tells late from missed.
COLOURS = {
    "on_time": "#009E73",
    "late": "#E69F00",
    "missed": "#D55E00",
    "lapsed": "#56B4E9",
    "open": "#BBBBBB",
}
HATCHES = {"on_time": "", "late": "//", "missed": "xx", "lapsed": "..", "open": ""}
SHARE_COLOUR = "#0072B2"
TITLE = "Timeliness of statutory deadlines"
#: Quarters shown side by side in the deadline × quarter table (more: see the CSV).
MOST_QUARTERS = 8


def require(form: str) -> None:
    """Refuse, in one line, if matplotlib is not installed; else select its Agg backend."""
    try:
        import matplotlib
    except ImportError:
        raise Refused(
            f"report --format {form} draws its charts with matplotlib, which is not "
            "installed: pip install 'cspr-engine[report]' (or use --format csv)"
        ) from None
    matplotlib.use("Agg")


# -- the charts ---------------------------------------------------------------------------


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def draw_share(ax: Axes, figures: Figures, size: float = 9, titled: bool = True) -> None:
    """On-time share by quarter: a bar for each quarter, its share and counts above it."""
    data = figures.by_quarter()
    crowded = len(data) > 8
    labels = [quarter_words(q).replace(" ", "\n") for q, _ in data]
    shares = [100 * t.share if t.share is not None else 0.0 for _, t in data]
    ax.bar(range(len(data)), shares, color=SHARE_COLOUR, width=0.6)
    for i, (_q, tally) in enumerate(data):
        if tally.share is None:
            words = "none\ndue" if not tally.due else "none\nowed"
        else:
            words = f"{percent(tally.share)}\n{tally.counts['on_time']:,} of {tally.owed:,}"
        ax.text(i, shares[i] + 2, words, ha="center", va="bottom", fontsize=size - 1)
    ax.set_xticks(range(len(data)), labels, fontsize=size - (2 if crowded else 0))
    ax.set_ylim(0, 122)
    ax.set_yticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"], fontsize=size)
    ax.set_ylabel("met on time (of those owed)", fontsize=size)
    if titled:
        ax.set_title("On-time share by quarter", fontsize=size + 2, loc="left")
    ax.spines[["top", "right"]].set_visible(False)


def draw_status(ax: Axes, figures: Figures, size: float = 9, titled: bool = True) -> None:
    """Counts by outcome: a bar for each deadline kind, split by outcome."""
    data = figures.by_deadline()
    names = [textwrap.fill(figures.title(d), 30) for d, _ in data]
    rows = range(len(data))
    left = [0] * len(data)
    longest = max((t.due for _, t in data), default=0)
    for outcome in OUTCOMES:
        counts = [t.counts[outcome] for _, t in data]
        ax.barh(
            rows,
            counts,
            left=left,
            color=COLOURS[outcome],
            hatch=HATCHES[outcome],
            edgecolor="white",
            linewidth=0.5,
            label=OUTCOME_WORDS[outcome],
        )
        for i, count in enumerate(counts):
            if count and count >= 0.06 * longest:
                ax.text(
                    left[i] + count / 2,
                    i,
                    f"{count:,}",
                    ha="center",
                    va="center",
                    fontsize=size - 2,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
                )
        left = [a + b for a, b in zip(left, counts, strict=True)]
    ax.set_yticks(list(rows), names, fontsize=size - 1)
    ax.invert_yaxis()
    ax.set_xlabel("deadlines that fell due", fontsize=size)
    ax.xaxis.set_major_formatter("{x:,.0f}")
    ax.tick_params(axis="x", labelsize=size - 1)
    if titled:  # above the legend
        ax.set_title("Deadlines by outcome", fontsize=size + 2, loc="left", pad=size * 2.6)
    ax.legend(
        loc="lower left",
        bbox_to_anchor=(0, 1.0),
        ncols=5,
        fontsize=size - 1,
        frameon=False,
        handlelength=1.5,
        columnspacing=1.0,
    )
    ax.spines[["top", "right"]].set_visible(False)
    if not data:
        ax.text(0.5, 0.5, "no deadline fell due", ha="center", transform=ax.transAxes)


def share_chart(figures: Figures) -> Figure:
    fig = _figure(max(7.5, 0.75 * len(figures.quarters) + 2), 3.2)
    draw_share(fig.add_subplot(), figures, size=10, titled=False)
    return fig


def status_chart(figures: Figures) -> Figure:
    kinds = len(figures.deadlines())
    fig = _figure(7.5, 1.4 + 0.45 * max(kinds, 1))
    draw_status(fig.add_subplot(), figures, size=10, titled=False)
    return fig


def svg(fig: Figure, label: str) -> str:
    """A figure as an inline ``<svg>`` element (no prolog, text as text, no date), its
    width following the page, ``label`` naming what it shows for screen readers."""
    import matplotlib

    out = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "cspr-report"}):
        fig.savefig(out, format="svg", metadata={"Date": None})
    text = out.getvalue()
    text = text[text.index("<svg") :]
    return text.replace(
        "<svg ",
        f'<svg role="img" aria-label="{html.escape(label)}" class="chart" ',
        1,
    )


# -- the tables (the same in HTML and in PDF) ------------------------------------------------

_COUNTS_HEADER = (
    "Fell due",
    "Met on time",
    "Met late",
    "Missed",
    "Lapsed",
    "Still open",
    "On time",
    "Median days late",
    "Worst days late",
)


def _counts(tally: Tally) -> list[str]:
    return [
        f"{tally.due:,}",
        *(f"{tally.counts[o]:,}" for o in OUTCOMES),
        percent(tally.share),
        number(tally.median_late) or "-",
        number(tally.worst_late) or "-",
    ]


class Table:
    def __init__(self, title: str, header: Sequence[str], rows: list[list[str]], note: str = ""):
        self.title, self.header, self.rows, self.note = title, list(header), rows, note


def tables(figures: Figures) -> list[Table]:
    total = ["All deadlines", *_counts(figures.total())]
    found = [
        Table(
            "By deadline",
            ("Deadline", "Responsible", *_COUNTS_HEADER),
            [
                [figures.title(d), ", ".join(figures.deadline_roles(d)), *_counts(t)]
                for d, t in figures.by_deadline()
            ]
            + [[total[0], "", *total[1:]]],
        ),
        Table(
            "By quarter (the due date's)",
            ("Quarter", *_COUNTS_HEADER),
            [[quarter_words(q), *_counts(t)] for q, t in figures.by_quarter()] + [total],
        ),
        Table(
            "By responsible role",
            ("Role", *_COUNTS_HEADER),
            [[figures.role_title(r), *_counts(t)] for r, t in figures.by_role()] + [total],
        ),
    ]
    quarters = figures.quarters
    if len(quarters) <= MOST_QUARTERS:
        rows = []
        for deadline in figures.deadlines():
            cells = []
            for quarter in quarters:
                tally = figures.cell(deadline, quarter)
                cells.append(
                    f"{tally.counts['on_time']:,} of {tally.owed:,} ({percent(tally.share)})"
                    if tally.owed
                    else "-"
                )
            rows.append([figures.title(deadline), *cells])
        found.append(
            Table(
                "Met on time by deadline and quarter",
                ("Deadline", *(quarter_words(q) for q in quarters)),
                rows,
                "Each cell: met on time of those owed (fell due less lapsed), and the share.",
            )
        )
    return found


# -- HTML -------------------------------------------------------------------------------------

_STYLE = """
body { font-family: system-ui, "Segoe UI", Arial, sans-serif; color: #1a1a1a; margin: 2rem auto;
  max-width: 60rem; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
.period { color: #444; margin-top: 0; }
.summary { font-size: 1.05rem; }
figure { margin: 1rem 0; break-inside: avoid; }
svg.chart { width: 100%; max-width: 46rem; height: auto; }
figcaption { font-size: 0.95rem; color: #333; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { border: 1px solid #bbb; padding: 0.2rem 0.45rem; }
th { background: #eee; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: bold; }
tr { break-inside: avoid; }
thead { display: table-header-group; }
dt { font-weight: bold; }
dd { margin: 0 0 0.4rem 1.5rem; }
.note, footer { color: #555; font-size: 0.85rem; }
@page { size: A4; margin: 15mm; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; }
  table { font-size: 8.5pt; } }
"""


def html_report(figures: Figures, scope: str, made_on: dt.date) -> str:
    """The whole report as one HTML document with nothing outside it."""
    e = html.escape
    period = f"{figures.start.isoformat()} to {figures.end.isoformat()}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en-GB">',
        '<head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(TITLE)}, {e(period)}</title>",
        f"<style>{_STYLE}</style></head>",
        "<body>",
        f"<h1>{e(TITLE)}</h1>",
        f'<p class="period">Deadlines that fell due from {e(period)}; {e(scope)}.</p>',
        f'<p class="summary">{e(summary_words(figures))}</p>',
    ]
    charts = (
        ("On-time share by quarter", share_chart, share_words),
        ("Deadlines by outcome", status_chart, status_words),
    )
    for heading, chart, words in charts:
        text = words(figures)
        parts += [
            f"<h2>{e(heading)}</h2>",
            "<figure>",
            svg(chart(figures), heading),
            f"<figcaption>{e(text)}</figcaption>",
            "</figure>",
        ]
    for table in tables(figures):
        parts.append(f"<h2>{e(table.title)}</h2>")
        parts.append(_html_table(table))
        if table.note:
            parts.append(f'<p class="note">{e(table.note)}</p>')
    parts.append("<h2>How to read these figures</h2><dl>")
    parts += [f"<dt>{e(term)}</dt><dd>{e(words)}</dd>" for term, words in DEFINITIONS]
    parts += [
        "</dl>",
        f"<footer>Made by cspr report on {made_on.isoformat()}; "
        f"open deadlines judged as of {figures.as_of.isoformat()}.</footer>",
        "</body></html>",
        "",
    ]
    return "\n".join(parts)


def _html_table(table: Table) -> str:
    e = html.escape
    head = "".join(f'<th scope="col">{e(h)}</th>' for h in table.header)
    body = []
    for i, row in enumerate(table.rows):
        total = ' class="total"' if row[0] == "All deadlines" and i == len(table.rows) - 1 else ""
        cells = [f'<th scope="row">{e(row[0])}</th>']
        cells += [
            f'<td class="n">{e(c)}</td>' if _numeric(c) else f"<td>{e(c)}</td>" for c in row[1:]
        ]
        body.append(f"<tr{total}>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _numeric(cell: str) -> bool:
    return bool(cell) and (cell[0].isdigit() or cell == "-")


# -- PDF --------------------------------------------------------------------------------------

_A4 = (8.27, 11.69)
_ROWS_A_PAGE = 28


def pdf_report(figures: Figures, scope: str, made_on: dt.date) -> bytes:
    """The same report as a PDF: a page of summary and definitions, a page for each chart
    with its words under it, then the tables (as many pages as they need)."""
    from matplotlib.backends.backend_pdf import PdfPages

    out = io.BytesIO()
    period = f"{figures.start.isoformat()} to {figures.end.isoformat()}"
    metadata: dict[str, Any] = {"Title": f"{TITLE}, {period}", "Creator": "cspr report"}
    metadata["CreationDate"] = None
    with _pdf_fonts(figures, scope), PdfPages(out, metadata=metadata) as pages:
        pages.savefig(_cover(figures, scope, made_on, period))
        for draw, words, height in (
            (draw_share, share_words, 0.36),
            (draw_status, status_words, 0.1 + 0.035 * max(len(figures.deadlines()), 2)),
        ):
            pages.savefig(_chart_page(figures, draw, words(figures), min(height, 0.55)))
        for table in tables(figures):
            for start in range(0, max(len(table.rows), 1), _ROWS_A_PAGE):
                pages.savefig(_table_page(table, start))
    return out.getvalue()


@contextlib.contextmanager
def _pdf_fonts(figures: Figures, scope: str) -> Iterator[None]:
    """The PDF's fonts: the standard PDF fonts (Helvetica; nothing embedded, and half the
    time to write) when every word of the report is in their character set, else
    matplotlib's own font embedded (a title in another script still shows)."""
    import matplotlib

    words = [scope, *figures.titles.values(), *figures.role_titles.values()]
    words += [text for _, text in DEFINITIONS]
    try:
        "".join(words).encode("cp1252")
    except UnicodeEncodeError:
        yield
        return
    quiet = logging.getLogger("matplotlib.font_manager")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # "Failed to find font weight normal for Helvetica"
    try:
        with matplotlib.rc_context({"pdf.use14corefonts": True}):
            yield
    finally:
        quiet.setLevel(level)


def _page() -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=_A4)


def _wrapped(fig: Figure, y: float, text: str, *, size: float = 9.5, width: int = 95) -> float:
    """``text`` wrapped from ``y`` (a fraction of the page) down; the ``y`` under it."""
    lines = textwrap.fill(text, width)
    fig.text(0.08, y, lines, va="top", ha="left", fontsize=size, linespacing=1.4)
    return y - (lines.count("\n") + 1) * size * 1.4 / 72 / _A4[1] - 0.015


def _cover(figures: Figures, scope: str, made_on: dt.date, period: str) -> Figure:
    fig = _page()
    fig.text(0.08, 0.93, TITLE, fontsize=18, weight="bold", va="top")
    y = _wrapped(fig, 0.88, f"Deadlines that fell due from {period}; {scope}.", size=10.5)
    y = _wrapped(fig, y - 0.01, summary_words(figures), size=10.5)
    fig.text(0.08, y - 0.02, "How to read these figures", fontsize=12, weight="bold", va="top")
    y -= 0.05
    for term, words in DEFINITIONS:
        y = _wrapped(fig, y, f"{term}: {words}")
    fig.text(
        0.08,
        0.04,
        f"Made by cspr report on {made_on.isoformat()}; open deadlines judged as of "
        f"{figures.as_of.isoformat()}.",
        fontsize=8,
        color="#555555",
    )
    return fig


def _chart_page(figures: Figures, draw: Any, words: str, height: float) -> Figure:
    fig = _page()
    top = 0.9
    ax = fig.add_axes((0.3 if draw is draw_status else 0.12, top - height, 0.62, height))
    if draw is draw_share:
        ax.set_position((0.12, top - height, 0.8, height))
    draw(ax, figures, size=9)
    _wrapped(fig, top - height - 0.07, words)
    return fig


def _table_page(table: Table, start: int) -> Figure:
    fig = _page()
    rows = table.rows[start : start + _ROWS_A_PAGE]
    more = " (continued)" if start else ""
    fig.text(0.05, 0.95, table.title + more, fontsize=13, weight="bold", va="top")
    ax = fig.add_axes((0.03, 0.1, 0.94, 0.8))
    ax.axis("off")
    header = [textwrap.fill(h, 10, break_long_words=False) for h in table.header]
    cells = [[textwrap.fill(row[0], 28), *row[1:]] for row in rows] or [["-"] * len(header)]
    drawn = ax.table(cellText=cells, colLabels=header, loc="upper center", cellLoc="right")
    drawn.auto_set_font_size(False)
    drawn.set_fontsize(7)
    drawn.auto_set_column_width(list(range(len(header))))
    lines = [max(c.count("\n") for c in row) + 1 for row in cells]
    for (r, c), cell in drawn.get_celld().items():
        cell.set_edgecolor("#bbbbbb")
        if r == 0:
            cell.set_facecolor("#eeeeee")
            cell.set_height(0.045)
            cell.get_text().set_horizontalalignment("center")
        else:
            cell.set_height(0.02 * lines[r - 1] + 0.006)
            if c == 0 or not _numeric(cells[r - 1][c]):
                cell.get_text().set_horizontalalignment("left")
            if cells[r - 1][0] == "All deadlines":
                cell.get_text().set_fontweight("bold")
    if table.note:
        fig.text(0.05, 0.05, table.note, fontsize=8, color="#555555")
    return fig
