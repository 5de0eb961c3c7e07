"""A process split into printed pages: an overview, then a page for each part too big to
draw where it sits, each page laid out until its text prints at 8 pt or more."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Process
from .dot import Page, _Drawing, choose_direction, dot_installed, printed_font_size
from .style import MIN_PRINTED, WRAP

# -- pages ----------------------------------------------------------------------------------


#: Pages are planned to print at least this large, a little over :data:`MIN_PRINTED`
#: because page numbers added afterwards ("see page 3") can widen a box.
PLAN_PRINTED = 8.3
#: The text size read from a PDF can come out this much under the size measured from
#: Graphviz's SVG (cairo rounds the scale), so a page is set tighter short of 8 pt + this.
PDF_ROUNDING = 0.1
#: How much a page can hold, in box-sized units, before parts move to pages of their own.
#: Measured so that every page of the shipped processes prints its text at 8 pt or more.
PAGE_BUDGET: Mapping[str, float] = {"a4": 9.0, "a3": 16.0}
#: Tighter ways to set a page that does not print at :data:`PLAN_PRINTED`, tried in order
#: before it is split further: (label width, :attr:`Page.terse`, :attr:`Page.stack`). Wider
#: labels make fewer lines, so a page short of height (most are, on landscape paper) prints
#: larger; lanes in two rows help one short of width.
TIGHTER: tuple[tuple[int, bool, bool], ...] = (
    (36, False, False),
    (44, False, False),
    (36, True, False),
    (44, True, False),
    (WRAP, False, True),
    (36, False, True),
    (36, True, True),
)


def _weight(process: Process, state_id: str, collapsed: frozenset[str]) -> float:
    """Roughly how much room a state takes on a page, in boxes."""
    state = process.states[state_id]
    own = 0.3 * len(state.deadlines)
    if state.kind in ("simple", "final"):
        return 1.0 + own
    if state_id in collapsed:
        return 1.2 + own
    inner = sum(_weight(process, child, collapsed) for child in state.children)
    return 0.4 + own + inner


def _page_weight(process: Process, page: Page) -> float:
    tops = process.top_states if page.root is None else (page.root,)
    stubs = 0.0
    if page.root is not None:
        inside = set(process.descendants(page.root)) | {page.root}
        for t in process.transitions():
            if (t.source_state in inside) != (t.target in inside):
                stubs += 0.5
    return sum(_weight(process, s, page.collapsed) for s in tops) + stubs


#: Books already planned: (id of the process, paper, sources, measured) → (process, pages).
_BOOKS: dict[tuple[int, str, bool, bool], tuple[Process, list[Page]]] = {}


def pages(process: Process, paper: str, sources: bool = True) -> list[Page]:
    """The pages that show ``process`` legibly on ``paper``: an overview first, then, in
    document order, a page for each part too big to be drawn in full where it sits.

    With Graphviz installed each page is laid out and measured, and parts move to pages
    of their own until its text prints at 8 pt or more; without it, :data:`PAGE_BUDGET`
    estimates the same. (The committed ``.dot`` is the whole chart, not these pages, so
    it does not depend on Graphviz.) Planned once per process, paper and sources, and
    kept in the user's cache (:mod:`engine.cache`), so that ``--page N`` of a process drawn
    before takes only the time to draw that page.
    """
    measure = dot_installed()
    key = (id(process), paper, sources, measure)
    known = _BOOKS.get(key)
    if known is not None and known[0] is process:
        return list(known[1])
    entry = _entry_name(process, paper, sources) if measure else None
    book = _read_plan(process, entry) if entry else None
    if book is None:
        book = _plan_pages(process, paper, sources, measure)
        if entry:
            _write_plan(entry, book)
    _BOOKS[key] = (process, book)
    return list(book)


# -- plans kept between commands ----------------------------------------------------------


def _entry_name(process: Process, paper: str, sources: bool) -> str:
    """The cache entry of a measured plan: named by a digest of everything it depends on,
    the whole chart's dot text (the model, in words), the drawing code and Graphviz's
    version, so a plan is never used for anything else."""
    import hashlib
    import subprocess

    digest = hashlib.sha256()
    digest.update(f"{paper}\0{sources}\0".encode())
    whole = _Drawing(process, paper, sources, None, None).build().source
    digest.update(whole.encode("utf-8"))
    for module in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(module.name.encode("utf-8") + b"\0" + module.read_bytes())
    try:
        version = subprocess.run(["dot", "-V"], capture_output=True, timeout=30).stderr
    except (OSError, subprocess.SubprocessError):
        version = b"?"
    digest.update(version)
    return f"diagram-pages-{digest.hexdigest()}.json"


def _read_plan(process: Process, entry: str) -> list[Page] | None:
    """The plan kept in the cache, if it is there and names only steps of ``process``."""
    from .. import cache

    data = cache.read(entry)
    if data is None:
        return None
    try:
        found = json.loads(data)
        book = [
            Page(
                root=item["root"],
                collapsed=frozenset(item["collapsed"]),
                direction=item["direction"],
                width=int(item["width"]),
                terse=bool(item["terse"]),
                stack=bool(item["stack"]),
            )
            for item in found
        ]
    except (ValueError, TypeError, KeyError):
        return None
    states = process.states
    for page in book:
        if (page.root is not None and page.root not in states) or not all(
            isinstance(s, str) and s in states for s in page.collapsed
        ):
            return None
        if page.direction not in ("TB", "LR", None):
            return None
    return book or None


def _write_plan(entry: str, book: Sequence[Page]) -> None:
    from .. import cache

    plain = [
        {
            "root": page.root,
            "collapsed": sorted(page.collapsed),
            "direction": page.direction,
            "width": page.width,
            "terse": page.terse,
            "stack": page.stack,
        }
        for page in book
    ]
    cache.write(entry, json.dumps(plain, sort_keys=True).encode("utf-8"))


def _plan_pages(process: Process, paper: str, sources: bool, measure: bool) -> list[Page]:
    budget = PAGE_BUDGET[paper]
    order = {s: i for i, s in enumerate(process.states)}
    result: list[Page] = []

    def printed(page: Page, book: Sequence[Page] = ()) -> float:
        if not measure:
            weight = _page_weight(process, page)
            return MIN_PRINTED * min(2.0, (budget / weight) ** 0.5) if weight else 2 * MIN_PRINTED
        # In the book, in place of the page with the same root (a part has one page).
        book = [page if other.root == page.root else other for other in book] or [page]
        drawing = _Drawing(process, paper, sources, None, None, page, book)
        return printed_font_size(drawing.build().source)

    def settle(page: Page, target: float, book: Sequence[Page] = ()) -> tuple[float, Page]:
        """``page`` set the way it prints largest: either direction at the usual label
        width, else the first of :data:`TIGHTER` that reaches ``target``."""
        size = printed(page, book)
        if not measure:
            return size, page
        drawing = _Drawing(process, paper, sources, None, None, page, (page,))
        other = replace(page, direction="LR" if choose_direction(drawing) == "TB" else "TB")
        if (other_size := printed(other, book)) > size:
            size, page = other_size, other
        best = (size, page)
        for width, terse, stack in TIGHTER if size < target else ():
            trial = replace(page, width=width, terse=terse, stack=stack)
            trial_size = printed(trial, book)
            if trial_size >= target:
                return trial_size, trial
            best = max(best, (trial_size, trial), key=lambda found: found[0])
        return best

    def legible(root: str | None, collapsed: frozenset[str]) -> float:
        return settle(Page(root, collapsed), PLAN_PRINTED)[0]

    def candidates(root: str | None, collapsed: frozenset[str]) -> list[str]:
        return [
            s
            for s in (process.descendants(root) if root else process.states)
            if s != root
            and process.states[s].kind in ("compound", "parallel")
            and s not in collapsed
            and not any(a in collapsed for a in process.ancestors(s))
        ]

    def choose(root: str | None) -> frozenset[str]:
        """The parts to draw as boxes on the page of ``root``."""
        collapsed: frozenset[str] = frozenset()
        everything = candidates(root, collapsed)
        # A wrapper holds every other part of the page: collapsing it leaves one box.
        wrappers = {
            s for s in everything if all(o == s or s in process.ancestors(o) for o in everything)
        }
        size = legible(root, collapsed)
        while size < PLAN_PRINTED:
            choices = candidates(root, collapsed)
            if not choices:
                break
            saving = {
                s: _weight(process, s, collapsed) - _weight(process, s, collapsed | {s})
                for s in choices
            }
            # The biggest part first (it gets a full page of its own), but a wrapper last.
            parts = [s for s in choices if s not in wrappers]
            if not parts:
                wrapper = max(choices, key=lambda s: (saving[s], -order[s]))
                # Rather than a page with one box on it: the wrapper drawn open, its
                # insides as boxes, if that is legible.
                inside = choose(wrapper)
                trial = frozenset(collapsed | inside)
                if inside and legible(root, trial) >= PLAN_PRINTED:
                    return trial
                parts = [wrapper]
            best = max(parts, key=lambda s: (saving[s], -order[s]))
            inner = set(process.descendants(best))
            collapsed = frozenset({s for s in collapsed if s not in inner} | {best})
            size = legible(root, collapsed)
        # Small parts back in place where the page still prints large enough.
        for state_id in sorted(
            collapsed, key=lambda s: (_weight(process, s, frozenset()), order[s])
        ):
            trial = collapsed - {state_id}
            if legible(root, trial) >= PLAN_PRINTED:
                collapsed = trial
        return collapsed

    def plan(root: str | None) -> None:
        collapsed = choose(root)
        result.append(settle(Page(root, collapsed), PLAN_PRINTED)[1])
        for state_id in process.states:
            if state_id in collapsed:
                plan(state_id)

    plan(None)
    # Measured again with the page numbers in ("see page 12" can widen a box): a page
    # now under MIN_PRINTED is set tighter.
    for number, page in enumerate(result):
        if measure and printed(page, result) < MIN_PRINTED + PDF_ROUNDING:
            result[number] = settle(Page(page.root, page.collapsed), PLAN_PRINTED, result)[1]
    return result
