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
5.8:1 or more), and roles are spread over the range (three roles get L* 95, 74 and 56).
The role badge in every box carries the role when neither colour nor grey can.

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
draws one. :func:`printed_pages` reads page and text sizes back out of a PDF, so ``--check``
can hold the committed A3 and A4 PDFs to that without running Graphviz.

The committed ``diagrams/<process>.dot`` (and ``.svg``, for screens, with tooltips) is the
whole chart on one A3 sheet; its text is deterministic (document order, no dates, no
hashes, no absolute paths) and depends on the model alone, not on Graphviz, so ``cspr
diagram --check diagrams/`` can compare it with the process files. Graphviz (the
``graphviz`` package and the ``dot`` program) is only imported, and only needed, to draw.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import os
import re
import sys
import textwrap
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:  # pragma: no cover
    import graphviz

    from .model import Deadline, Process, State, Transition
    from .runtime import DeadlineView
    from .store import HistoryRow

# -- the look ---------------------------------------------------------------------------

#: Landscape page sizes in inches (width, height).
PAPERS: Mapping[str, tuple[float, float]] = {"a4": (11.69, 8.27), "a3": (16.54, 11.69)}
#: White space round the drawing on the page, in inches.
MARGIN = 0.3
FONT = "Helvetica,Arial,sans-serif"
#: The one size of all text but the title, in points at natural size.
FONT_SIZE = 11
TITLE_SIZE = 18
#: Labels wrap at about this many characters.
WRAP = 28
#: The smallest text size that stays legible on paper, in points.
MIN_PRINTED = 8.0

#: Okabe-Ito tints at CIE L* 95, 86, 80, 74, 68, 62, 56 (see the module docstring).
PALETTE: tuple[tuple[str, str], ...] = (
    ("#F9F4AF", "yellow"),
    ("#B3DDF5", "sky blue"),
    ("#EFC058", "orange"),
    ("#6AC6AD", "bluish green"),
    ("#D592B7", "reddish purple"),
    ("#509ECA", "blue"),
    ("#D7660D", "vermillion"),
)
NO_ROLE_FILL = "#FFFFFF"
CLUSTER_FILLS = ("#F4F4F4", "#FFFFFF")  # alternate by depth so nesting shows in grey
INK = "#000000"
CASE_INK = "#0072B2"  # Okabe-Ito blue: the path a case took
OVERDUE_INK = "#C00000"
DEADLINE_MARK = "◷"  # in DejaVu Sans, which Graphviz falls back to; ⏱ is often missing
INITIAL_MARK = "●"
FINAL_MARK = "◉"

NOT_INSTALLED = (
    "cspr: Graphviz 'dot' is not installed; install it with: apt-get install graphviz "
    "(Debian/Ubuntu) or brew install graphviz (macOS)"
)

FORMATS = ("dot", "svg", "pdf", "png")
_STOP_WORDS = {"of", "the", "and", "for", "to", "a", "an", "in", "on", "at", "by"}


class Stop(Exception):
    """The command cannot go on; the message is the line(s) to print."""


class DotMissing(Exception):
    """The Graphviz ``dot`` program is not installed."""

    def __str__(self) -> str:
        return NOT_INSTALLED


# -- words ----------------------------------------------------------------------------------


def wrap(text: str, width: int = WRAP) -> list[str]:
    """``text`` in lines of about ``width`` characters, never breaking a word."""
    lines = textwrap.wrap(
        " ".join(text.split()), width, break_long_words=False, break_on_hyphens=False
    )
    return lines or [""]


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


#: The only kinds of address a diagram links to (``validate`` refuses any other in a
#: source, and a case pinned to an older text may still hold one).
LINK_SCHEMES = ("https", "http", "mailto")


def link_address(url: str | None) -> str | None:
    """``url`` if a diagram may link to it: an ``https://``, ``http://`` or ``mailto:``
    address without spaces or control characters; ``None`` for anything else
    (``javascript:``, ``data:``, ``file:``...), so the source is listed without a link."""
    if not url or any(c.isspace() or c < " " or c == "\x7f" for c in url):
        return None
    scheme, colon, rest = url.partition(":")
    scheme = scheme.lower()
    if not colon or scheme not in LINK_SCHEMES:
        return None
    if scheme == "mailto":
        return url if rest else None
    return url if rest.startswith("//") and len(rest) > 2 else None


def _lines(text: str, width: int = WRAP, suffix: str = "") -> str:
    """Wrapped, escaped text for an HTML-like label; ``suffix`` (markup) ends the last line."""
    body = '<BR ALIGN="LEFT"/>'.join(_esc(line) for line in wrap(text, width))
    return body + suffix


def _sentence_case(title: str) -> str:
    """ "Date the local authority ..." reads mid-sentence as "date the local authority ..."."""
    if len(title) > 1 and title[0].isupper() and title[1].islower():
        return title[0].lower() + title[1:]
    return title


def fact_label(process: Process, name: str) -> str:
    """The words for a fact: its title (mid-sentence), else its id with spaces."""
    fact = process.facts.get(name)
    if fact is not None and fact.title:
        return _sentence_case(fact.title)
    return name.replace("_", " ")


def deadline_text(process: Process, deadline: Deadline) -> str:
    """A deadline in plain words, e.g. "within 5 working days of the date ... aware"."""
    from .calendar import describe_rule

    words = describe_rule(deadline.rule, lambda name: fact_label(process, name))
    prefix = "must be " if deadline.force == "must" else ""
    if deadline.title:
        return f"{deadline.title}: {prefix}{words}"
    return f"{prefix}{words}" if prefix else words


def condition_text(process: Process, transition: Transition) -> str | None:
    """The transition's condition in words: a named condition's title, else described."""
    if transition.guard is None:
        return None
    from .expressions import Name, describe

    tree = transition.guard.tree
    if isinstance(tree, Name) and tree.name in process.conditions:
        condition = process.conditions[tree.name]
        return _sentence_case(condition.title) if condition.title else describe(tree.name)
    return _with_fact_titles(process, describe(transition.guard), transition.guard.names)


def _with_fact_titles(process: Process, words: str, names: Iterable[str]) -> str:
    """Described conditions name facts by id ("panel notified on"); use their titles."""
    for name in sorted(names, key=len, reverse=True):
        fact = process.facts.get(name)
        if fact is not None and fact.title:
            spaced = re.escape(name.replace("_", " "))
            words = re.sub(rf"\b{spaced}\b", _sentence_case(fact.title), words)
    return words


def event_title(transition: Transition) -> str:
    """What an arrow says it is: the transition's title, else its event id."""
    if transition.trigger == "event":
        return transition.title or transition.event or ""
    return transition.title or ""


def transition_text(process: Process, transition: Transition) -> tuple[str, str | None]:
    """(first line, condition line) of an arrow's label, in words."""
    condition = condition_text(process, transition)
    if transition.trigger == "always":
        head = transition.title or "automatically"
        return head, (f"when {condition}" if condition else None)
    if transition.trigger == "done":
        head = transition.title or "when done"
        return head, (f"and if {condition}" if condition else None)
    return event_title(transition), (f"if {condition}" if condition else None)


def abbreviations(process: Process) -> dict[str, str]:
    """A short, unique badge per role: "Local authority" → LA, "... Review Panel" → PANEL.

    Initials of the title's words when it has two or three; else the role id in capitals
    when it is short; else the initials, or the first letters of a single word.
    """
    result: dict[str, str] = {}
    for role in process.roles.values():
        words = [w for w in re.findall(r"[A-Za-z0-9]+", role.title) if w.lower() not in _STOP_WORDS]
        if 2 <= len(words) <= 3:
            short = "".join(w[0] for w in words).upper()
        elif len(role.id) <= 6:
            short = role.id.upper()
        elif len(words) > 3:
            short = "".join(w[0] for w in words).upper()[:5]
        else:
            short = (words[0] if words else role.id)[:3].upper()
        candidate, n = short, 2
        while candidate in result.values():
            candidate, n = f"{short}{n}", n + 1
        result[role.id] = candidate
    return result


def role_fills(process: Process) -> dict[str, str]:
    """Each role's fill, spread over the palette's lightness range."""
    roles = list(process.roles)
    n, top = len(roles), len(PALETTE) - 1
    fills = {}
    for i, role in enumerate(roles):
        if n <= len(PALETTE):
            index = 0 if n == 1 else int(i * top / (n - 1) + 0.5)
        else:
            index = i % len(PALETTE)
        fills[role] = PALETTE[index][0]
    return fills


def responsible(process: Process, state_id: str) -> str | None:
    """The step's role: its own ``by``, else the nearest enclosing step's."""
    for sid in [state_id, *process.ancestors(state_id)]:
        by = process.states[sid].by
        if by:
            return by
    return None


# -- sources --------------------------------------------------------------------------------


def source_numbers(process: Process) -> dict[str, int]:
    """Footnote numbers for the sources cited, in the order the process declares them."""
    cited: set[str] = set()
    for state in process.states.values():
        cited.update(k for k in [state.source] if k)
        cited.update(d.source for d in state.deadlines if d.source)
        cited.update(t.source for t in state.transitions if t.source)
    ordered = [k for k in process.sources if k in cited]
    ordered += sorted(cited - set(ordered))  # cited but not declared: still listed
    return {key: i for i, key in enumerate(ordered, start=1)}


def citation(process: Process, key: str) -> str:
    source = process.sources.get(key)
    if source is None:
        return key
    return f"{source.title} ({source.url})" if source.url else source.title


# -- a case on the diagram ----------------------------------------------------------------


@dataclass(frozen=True)
class Overlay:
    """One case drawn over its process: where it is, the steps it took, late deadlines."""

    title: str
    active: frozenset[str] = frozenset()
    #: (source state, index in its transitions) → the step numbers that took it.
    steps: Mapping[tuple[str, int], tuple[int, ...]] = field(default_factory=dict)
    #: (state, deadline id) → (status, due date or None).
    deadlines: Mapping[tuple[str, str], tuple[str, dt.date | None]] = field(default_factory=dict)


def case_overlay(
    process: Process,
    record: Any,
    rows: Sequence[HistoryRow],
    deadlines: Sequence[DeadlineView] = (),
    as_of: dt.date | None = None,
) -> Overlay:
    """The overlay for one case, from its record, history rows and deadline views."""
    steps: dict[tuple[str, int], list[int]] = {}
    number = 0
    for row in rows:
        before = set(row.states_before)
        if not before and row.action == "open":
            before = set()
        events = [e for e in (row.event or "").split(",") if e]
        for key in match_steps(process, before, set(row.states_after), events):
            number += 1
            steps.setdefault(key, []).append(number)
    late: dict[tuple[str, str], tuple[str, dt.date | None]] = {}
    for view in deadlines:
        late[(view.state, view.name)] = (view.status, view.due)
    ref = f" (ref {record.ref})" if getattr(record, "ref", None) else ""
    when = f", as of {as_of.isoformat()}" if as_of else ""
    return Overlay(
        title=f"Case {record.id}{ref}{when}",
        active=frozenset(record.states),
        steps={k: tuple(v) for k, v in steps.items()},
        deadlines=late,
    )


def _indexed(process: Process) -> Iterator[tuple[tuple[str, int], Transition]]:
    for state in process.states.values():
        for i, transition in enumerate(state.transitions):
            yield (state.id, i), transition


def _is_within(process: Process, state_id: str, container: str | None) -> bool:
    return container is None or container in [state_id, *process.ancestors(state_id)]


def _apply(process: Process, config: frozenset[str], transition: Transition) -> frozenset[str]:
    """The configuration after an external transition (SCXML semantics, enough for drawing)."""
    source, target = transition.source_state, transition.target
    target_line = [target, *process.ancestors(target)]
    domain = next(
        (
            a
            for a in process.ancestors(source)
            if a in target_line[1:] and process.states[a].kind != "parallel"
        ),
        None,
    )
    exited = {s for s in config if s != domain and _is_within(process, s, domain)}
    entered: list[str] = []
    for state_id in reversed(target_line[1:]):
        if state_id == domain or not _is_within(process, state_id, domain):
            continue
        entered.append(state_id)
        parent = process.states[state_id]
        if parent.kind == "parallel":  # entering a parallel state enters its other regions
            for region in parent.children:
                if region not in target_line:
                    entered.extend(process.entry_set(region))
    entered.extend(process.entry_set(target))
    return frozenset((config - exited) | set(entered))


def _completed(process: Process, config: frozenset[str]) -> set[str]:
    """Compound and parallel states in ``config`` whose insides have finished."""
    done: set[str] = set()
    for state_id in sorted(config, key=lambda s: -process.depth(s)):
        state = process.states[state_id]
        if state.kind == "compound":
            if any(c in config and process.states[c].kind == "final" for c in state.children):
                done.add(state_id)
        elif state.kind == "parallel" and all(c in done for c in state.children):
            done.add(state_id)
    return done


def match_steps(
    process: Process, before: set[str], after: set[str], events: Sequence[str]
) -> list[tuple[str, int]]:
    """The transitions that took a case from ``before`` to ``after``, in order.

    Guards are not evaluated (the facts at the time are not at hand); instead the shortest
    chain of transitions (the events, then automatic and "when done" ones) that reaches
    ``after`` is taken. An empty list when none does.
    """
    transitions = dict(_indexed(process))
    start = frozenset(before) if before else frozenset(process.initial_configuration())
    goal = frozenset(after)
    pending_events = list(events)
    limit = 8  # transitions in one recorded change, at most

    def eventless(config: frozenset[str]) -> list[tuple[str, int]]:
        done = _completed(process, config)
        return [
            key
            for key, t in transitions.items()
            if t.source_state in config
            and (t.trigger == "always" or (t.trigger == "done" and t.source_state in done))
        ]

    def search(
        config: frozenset[str],
        events_left: tuple[str, ...],
        path: tuple[tuple[str, int], ...],
        depth: int,
    ) -> tuple[tuple[str, int], ...] | None:
        if config == goal and not events_left:
            return path
        if len(path) >= depth:
            return None
        options = eventless(config)
        if events_left:
            options = [
                key
                for key, t in transitions.items()
                if t.trigger == "event" and t.event == events_left[0] and t.source_state in config
            ] + options
        for key in options:
            t = transitions[key]
            rest = events_left[1:] if t.trigger == "event" else events_left
            found = search(_apply(process, config, t), rest, (*path, key), depth)
            if found is not None:
                return found
        if events_left:  # an event that changed nothing (refused or internal)
            return search(config, events_left[1:], path, depth)
        return None

    for depth in range(limit + 1):
        found = search(start, tuple(pending_events), (), depth)
        if found is not None:
            return list(found)
    return []


# -- pages ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One printed page: the part of the process under ``root`` (``None``: all of it), with
    the compound steps in ``collapsed`` drawn as single boxes that have pages of their own."""

    root: str | None = None
    collapsed: frozenset[str] = frozenset()
    #: "TB" or "LR" when measured; None to estimate (see :func:`choose_direction`).
    direction: str | None = None
    #: Labels wrap at about this many characters (wider where a page is short of height).
    width: int = WRAP
    #: Boxes that have a page of their own count their deadlines instead of spelling them out.
    terse: bool = False
    #: Parallel lanes in two rows, not one (for a page short of width).
    stack: bool = False


#: Pages are planned to print at least this large, a little over :data:`MIN_PRINTED`
#: because page numbers added afterwards ("see page 3") can widen a box.
PLAN_PRINTED = 8.3
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
    it does not depend on Graphviz.) Planned once per process, paper and sources.
    """
    measure = dot_installed()
    key = (id(process), paper, sources, measure)
    known = _BOOKS.get(key)
    if known is not None and known[0] is process:
        return list(known[1])
    book = _plan_pages(process, paper, sources, measure)
    _BOOKS[key] = (process, book)
    return list(book)


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
        if measure and printed(page, result) < MIN_PRINTED:
            result[number] = settle(Page(page.root, page.collapsed), PLAN_PRINTED, result)[1]
    return result


# -- the diagram ----------------------------------------------------------------------------


@dataclass
class _Drawing:
    process: Process
    paper: str | None = None
    sources: bool = True
    overlay: Overlay | None = None
    dpi: int | None = None
    page: Page = field(default_factory=Page)
    #: Every page of a paged diagram (for "see page N"); empty when not paged.
    book: Sequence[Page] = ()
    fit: bool = True
    numbers: dict[str, int] = field(init=False)
    abbrev: dict[str, str] = field(init=False)
    fills: dict[str, str] = field(init=False)
    cited: set[str] = field(init=False, default_factory=set)
    inside: set[str] = field(init=False)

    def __post_init__(self) -> None:
        self.numbers = source_numbers(self.process)
        self.abbrev = abbreviations(self.process)
        self.fills = role_fills(self.process)
        root = self.page.root
        self.inside = (
            set(self.process.states) if root is None else {root, *self.process.descendants(root)}
        )

    # -- what is on this page ---------------------------------------------------------------

    def rep(self, state_id: str) -> str | None:
        """The node or cluster standing for ``state_id`` on this page; None if off the page."""
        if state_id not in self.inside:
            return None
        chain = [state_id, *self.process.ancestors(state_id)]
        outermost = None
        for sid in chain:
            if sid in self.page.collapsed:
                outermost = sid
            if sid == self.page.root:
                break
        return outermost or state_id

    def is_cluster(self, state_id: str) -> bool:
        return (
            self.process.states[state_id].kind in ("compound", "parallel")
            and state_id not in self.page.collapsed
        )

    def page_number(self, state_id: str) -> int | None:
        """The page on which ``state_id`` is drawn in full (itself, not inside a box)."""
        found = None
        for number, page in enumerate(self.book, start=1):
            drawing = _Drawing(self.process, page=page)
            if drawing.rep(state_id) == state_id and state_id not in page.collapsed:
                found = number
        return found

    def detail_page(self, state_id: str) -> int | None:
        for number, page in enumerate(self.book, start=1):
            if page.root == state_id:
                return number
        return None

    # -- pieces of labels -------------------------------------------------------------------

    def mark(self, key: str | None) -> str:
        if not key or not self.sources or key not in self.numbers:
            return ""
        self.cited.add(key)
        return f" [{self.numbers[key]}]"

    def tip(self, *parts: str | None) -> str:
        return "\n".join(p for p in parts if p)

    def cite(self, key: str | None) -> str | None:
        if not key:
            return None
        number = f"[{self.numbers[key]}] " if self.sources and key in self.numbers else ""
        return f"Source {number}{citation(self.process, key)}"

    def badge(self, role: str | None) -> str:
        if role is None:
            return ""
        short = self.abbrev.get(role, role)
        return (
            f'<TD BGCOLOR="white" BORDER="1" CELLPADDING="1" VALIGN="TOP"><B>{_esc(short)}</B></TD>'
        )

    def deadline_rows(self, state: State, columns: int) -> list[str]:
        rows = []
        for deadline in state.deadlines:
            text = f"{DEADLINE_MARK} {deadline_text(self.process, deadline)}"
            body = _lines(text, self.page.width + 4, _esc(self.mark(deadline.source)))
            attrs = ""
            if self.overlay is not None:
                status, due = self.overlay.deadlines.get((state.id, deadline.id), (None, None))
                when = f" (due {due.isoformat()})" if due else ""
                if status == "overdue":
                    body += (
                        f'<BR ALIGN="LEFT"/><FONT COLOR="{OVERDUE_INK}"><B>OVERDUE{when}</B></FONT>'
                    )
                    attrs = f' BGCOLOR="white" COLOR="{OVERDUE_INK}" BORDER="2"'
                elif status == "missed":
                    body += f'<BR ALIGN="LEFT"/><FONT COLOR="{OVERDUE_INK}">missed{when}</FONT>'
                elif status in ("pending", "met") and state.id in self.overlay.active:
                    body += f'<BR ALIGN="LEFT"/><I>{status}{when}</I>'
            spacer = "<TD></TD>" * (columns - 1)
            rows.append(
                f'<TR>{spacer}<TD ALIGN="LEFT" BALIGN="LEFT"{attrs}>{body}<BR ALIGN="LEFT"/>'
                "</TD></TR>"
            )
        return rows

    def state_label(self, state: State, *, cluster: bool = False, extra: str = "") -> str:
        role = state.by if cluster else responsible(self.process, state.id)
        badge = self.badge(role)
        columns = 2 if badge else 1
        text = f"{FINAL_MARK} {state.label}" if state.kind == "final" else state.label
        # One row a line, so the badge stays one line tall beside a long title.
        cells = [f"<B>{_esc(line)}</B>" for line in wrap(text, self.page.width)]
        cells[-1] += _esc(self.mark(state.source))
        if extra:
            cells.append(f"<I>{_esc(extra)}</I>")
        spacer = "<TD></TD>" if badge else ""
        rows = [
            f'<TR>{badge if i == 0 else spacer}<TD ALIGN="LEFT">{cell}</TD></TR>'
            for i, cell in enumerate(cells)
        ]
        if not self.counts_deadlines(state.id):
            rows += self.deadline_rows(state, columns)
        return (
            '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="1" CELLPADDING="1">'
            + "".join(rows)
            + "</TABLE>>"
        )

    def counts_deadlines(self, state_id: str) -> bool:
        """Whether the box of ``state_id`` counts its deadlines rather than spelling them
        out: a part with a page of its own, on a page set tight (:attr:`Page.terse`)."""
        return self.page.terse and state_id in self.page.collapsed

    def state_tooltip(self, state: State) -> str:
        role = responsible(self.process, state.id)
        lines = [state.label]
        if state.description:
            lines.append(" ".join(state.description.split()))
        if role:
            lines.append(f"Responsible: {self.role_title(role)}")
        lines.append(self.cite(state.source) or "")
        for deadline in state.deadlines:
            lines.append(
                f"Deadline {deadline.id}: {deadline_text(self.process, deadline)}"
                + (f"; {self.cite(deadline.source)}" if deadline.source else "")
            )
        return self.tip(*lines)

    def role_title(self, role: str) -> str:
        found = self.process.roles.get(role)
        return found.title if found else role.replace("_", " ")

    # -- where arrows attach ----------------------------------------------------------------

    @staticmethod
    def cluster_name(state_id: str) -> str:
        return f"cluster_{state_id}"

    @staticmethod
    def start_name(state_id: str | None) -> str:
        return f"__start__{state_id}" if state_id else "__start__"

    def entry_node(self, state_id: str) -> str:
        state = self.process.states[state_id]
        if not self.is_cluster(state_id):
            return state_id
        if state.kind == "compound":
            return self.start_name(state_id)
        return self.entry_node(state.children[0])

    def exit_node(self, state_id: str) -> str:
        state = self.process.states[state_id]
        if not self.is_cluster(state_id):
            return state_id
        if state.kind == "compound":
            finals = [c for c in state.children if self.process.states[c].kind == "final"]
            return self.exit_node(finals[-1] if finals else state.children[-1])
        sizes = [len(list(self.process.descendants(c))) for c in state.children]
        return self.exit_node(state.children[sizes.index(max(sizes))])

    # -- building ---------------------------------------------------------------------------

    def build(self) -> graphviz.Digraph:
        import graphviz

        process = self.process
        graph = graphviz.Digraph(name=process.id)
        attrs: dict[str, str] = {
            "compound": "true",
            "rankdir": choose_direction(self),
            "newrank": "true",
            "fontname": FONT,
            "fontsize": str(FONT_SIZE),
            "nodesep": "0.3",
            "ranksep": "0.25",
            "margin": str(MARGIN),
            "pad": "0",
            "labelloc": "t",
            "labeljust": "l",
            "label": self.heading(),
            "tooltip": process.title,
        }
        if self.paper and self.fit:
            width, height = PAPERS[self.paper]
            attrs["size"] = f"{width - 2 * MARGIN:.2f},{height - 2 * MARGIN:.2f}!"
            attrs["ratio"] = "compress"
        if self.dpi:
            attrs["dpi"] = str(self.dpi)
        graph.attr("graph", **attrs)
        graph.attr(
            "node",
            fontname=FONT,
            fontsize=str(FONT_SIZE),
            shape="box",
            style="rounded,filled",
            margin="0.06,0.03",
            penwidth="1",
            color=INK,
        )
        graph.attr("edge", fontname=FONT, fontsize=str(FONT_SIZE), color=INK, arrowsize="0.8")
        with graph.subgraph(name="cluster___body") as body:
            root = self.page.root
            if root is None:
                self.start(body, None, process.initial)
                for state_id in process.top_states:
                    self.add_state(body, state_id, depth=0)
            else:
                self.add_state(body, root, depth=0)
            for state in process.states.values():
                for i, transition in enumerate(state.transitions):
                    self.add_transition(body, (state.id, i), transition)
            body.attr(
                label=self.footer(),
                labelloc="b",
                labeljust="l",
                penwidth="0",
                style="solid",
                fillcolor="none",
                tooltip="Key and sources",
            )
        return graph

    def start(self, graph: Any, parent: str | None, initial: str | None) -> None:
        if initial is None:
            return
        name = self.start_name(parent)
        where = f"'{self.process.states[parent].label}'" if parent else "the process"
        graph.node(
            name,
            label="",
            shape="point",
            width="0.16",
            style="filled",
            fillcolor=INK,
            tooltip=f"Where {where} starts",
        )
        attrs: dict[str, str] = {"tooltip": f"starts in {self.process.states[initial].label}"}
        if self.is_cluster(initial):
            attrs["lhead"] = self.cluster_name(initial)
        graph.edge(name, self.entry_node(initial), **attrs)
        self.align_regions(graph, name, initial)

    def add_state(self, graph: Any, state_id: str, depth: int, region: bool = False) -> None:
        state = self.process.states[state_id]
        active = self.overlay is not None and bool(
            {state_id, *self.process.descendants(state_id)} & self.overlay.active
            if state_id in self.page.collapsed
            else state_id in self.overlay.active
        )
        if self.is_cluster(state_id):
            # An open cluster is active when a step inside it is: only those are marked.
            with graph.subgraph(name=self.cluster_name(state_id)) as cluster:
                extra = "runs in parallel" if state.kind == "parallel" else ""
                if state.include:
                    extra = f"{extra}; " if extra else ""
                    extra += f"from {Path(state.include).name}"
                style = "dashed,filled" if region else "filled"
                if state.kind != "parallel":
                    style = "rounded," + style
                cluster.attr(
                    label=self.state_label(state, cluster=True, extra=extra),
                    labelloc="t",
                    labeljust="l",
                    style=style,
                    fillcolor=CLUSTER_FILLS[depth % 2],
                    color=INK,
                    penwidth=str(2.5 if state.kind == "parallel" else 1),
                    tooltip=self.state_tooltip(state),
                    margin="6",
                )
                if state.kind == "compound":
                    self.start(cluster, state_id, state.initial)
                for child in state.children:
                    if state.kind == "parallel" and not self.is_cluster(child):
                        with cluster.subgraph(name=f"cluster_region_{child}") as lane:
                            lane.attr(label="", style="dashed", color=INK, penwidth="1", margin="8")
                            self.add_state(lane, child, depth + 1)
                    else:
                        self.add_state(cluster, child, depth + 1, region=state.kind == "parallel")
                if state.kind == "parallel":
                    self.stack_regions(cluster, state_id)
            return
        role = responsible(self.process, state_id)
        fill = self.fills.get(role, NO_ROLE_FILL) if role else NO_ROLE_FILL
        extra = ""
        attrs = {"fillcolor": fill, "tooltip": self.state_tooltip(state)}
        if state_id in self.page.collapsed:
            count = sum(
                1
                for s in self.process.descendants(state_id)
                if self.process.states[s].kind in ("simple", "final")
            )
            page = self.detail_page(state_id)
            extra = f"{count} steps inside"
            if self.counts_deadlines(state_id) and state.deadlines:
                many = len(state.deadlines)
                extra += f", {many} deadline{'s' if many > 1 else ''}"
            extra += f": see page {page}" if page else ""
            attrs.update(shape="box3d", style="filled")
        attrs["label"] = self.state_label(state, cluster=False, extra=extra)
        if state.kind == "final":
            # A bullseye and a double border: a circle would grow with the title.
            attrs.update(peripheries="2")
        if active:
            attrs.update(penwidth="4", color=CASE_INK)
        graph.node(state_id, **attrs)

    def lanes_per_row(self, state_id: str) -> int:
        """How many regions of a parallel step stand side by side (:attr:`Page.stack`)."""
        count = len(self.process.states[state_id].children)
        return (count + 1) // 2 if self.page.stack and count > 2 else count

    def align_regions(self, graph: Any, tail: str, target: str) -> None:
        """An arrow into a parallel step points at its first region; invisible arrows to
        the others keep the regions of its first row starting side by side."""
        state = self.process.states[target]
        if state.kind != "parallel" or not self.is_cluster(target):
            return
        for region in state.children[1 : self.lanes_per_row(target)]:
            graph.edge(tail, self.entry_node(region), style="invis")
        for region in state.children:
            self.align_regions(graph, tail, region)

    def stack_regions(self, graph: Any, state_id: str) -> None:
        """Invisible arrows that put each region of a second row under one of the first."""
        children = self.process.states[state_id].children
        per_row = self.lanes_per_row(state_id)
        for above, below in zip(children, children[per_row:], strict=False):
            graph.edge(self.exit_node(above), self.entry_node(below), style="invis")

    def stub(self, graph: Any, state_id: str, outgoing: bool) -> str:
        """A grey box for a step on another page, where an arrow leaves or enters this one."""
        name = f"__{'to' if outgoing else 'from'}__{state_id}"
        page = self.page_number(state_id)
        where = f", page {page}" if page else ""
        label = self.process.states[state_id].label
        text = _lines(f"{'to' if outgoing else 'from'}: {label}", self.page.width)
        if page:
            text += f'<BR ALIGN="LEFT"/><I>see page {page}</I>'
        text += '<BR ALIGN="LEFT"/>'
        graph.node(
            name,
            label=f"<{text}>",
            shape="box",
            style="dashed,rounded",
            color="#666666",
            fontcolor="#333333",
            tooltip=f"{label}: continues{where or ' elsewhere'}",
        )
        return name

    def add_transition(self, graph: Any, key: tuple[str, int], t: Transition) -> None:
        process = self.process
        source, target = self.rep(t.source_state), self.rep(t.target)
        if source is None and target is None:
            return
        if (
            source is not None
            and source == target
            and (source, target)
            != (
                t.source_state,
                t.target,
            )
        ):
            return  # both ends inside one box on this page
        head, condition = transition_text(process, t)
        by = f" ({self.abbrev.get(t.by, t.by)})" if t.by else ""
        raised = t.trigger == "event" and any(
            d.raises == t.event
            for s in [t.source_state, *process.ancestors(t.source_state)]
            for d in process.states[s].deadlines
        )
        if raised:
            head = f"{DEADLINE_MARK} {head}"
        steps = self.overlay.steps.get(key, ()) if self.overlay else ()
        parts = []
        if steps:
            label = "step" if len(steps) == 1 else "steps"
            numbers = ", ".join(str(n) for n in steps)
            parts.append(f'<FONT COLOR="{CASE_INK}"><B>{label} {numbers}</B></FONT>')
        name = _lines(head + by, self.page.width)
        parts.append(f"<B>{name}</B>" if t.trigger == "event" else f"<I>{name}</I>")
        if condition:
            parts.append(_lines(condition, self.page.width))
        label = '<BR ALIGN="LEFT"/>'.join(parts) + _esc(self.mark(t.source)) + '<BR ALIGN="LEFT"/>'
        tail = self.exit_node(source) if source else self.stub(graph, t.source_state, False)
        head_node = self.entry_node(target) if target else self.stub(graph, t.target, True)
        attrs: dict[str, str] = {
            "label": f"<{label}>",
            "tooltip": self.tip(
                f"{process.states[t.source_state].label} → {process.states[t.target].label}",
                f"event: {t.event}" if t.event else None,
                f"condition: {t.guard.text}" if t.guard else None,
                f"by: {self.role_title(t.by)}" if t.by else None,
                f"records the date as: {fact_label(process, t.records)}" if t.records else None,
                self.cite(t.source),
            ),
        }
        if (
            source
            and self.is_cluster(source)
            and not (target and _is_within(process, target, source))
        ):
            attrs["ltail"] = self.cluster_name(source)
        if (
            target
            and self.is_cluster(target)
            and not (source and _is_within(process, source, target))
        ):
            attrs["lhead"] = self.cluster_name(target)
        if t.trigger == "always":
            attrs["style"] = "dashed"
        if steps:
            attrs.update(color=CASE_INK, penwidth="3", fontcolor=INK)
        graph.edge(tail, head_node, **attrs)
        if target:
            self.align_regions(graph, tail, target)

    # -- heading, key and sources -----------------------------------------------------------

    def heading(self) -> str:
        process = self.process
        where = f"{process.id}, version {process.version}, from {Path(process.file).name}"
        title = process.title
        if self.page.root is not None:
            number = list(self.book).index(self.page) + 1 if self.book else 0
            title = process.states[self.page.root].label
            if number:
                title += f" — page {number} of {len(self.book)}"
            caption = (
                f"Part of {process.title} ({where}). Dashed grey boxes name the page an "
                "arrow comes from or goes to; the key to the symbols is on page 1."
            )
        else:
            if self.book:
                title += f" — page 1 of {len(self.book)}"
            caption = (
                f"Process {where}. Each box is a step, coloured by the role responsible; "
                "each arrow is an event or an automatic move. Key and sources at the foot."
            )
            if self.page.collapsed:
                caption += " Parts drawn as 3-D boxes have a page of their own."
        rows = [
            f'<TR><TD ALIGN="LEFT" BALIGN="LEFT"><FONT POINT-SIZE="{TITLE_SIZE}"><B>'
            f"{_lines(title, 90)}</B></FONT></TD></TR>",
            f'<TR><TD ALIGN="LEFT" BALIGN="LEFT">{_lines(caption, 150)}</TD></TR>',
        ]
        if self.overlay is not None:
            rows.append(
                f'<TR><TD ALIGN="LEFT" BALIGN="LEFT"><FONT COLOR="{CASE_INK}"><B>'
                f"{_esc(self.overlay.title)}</B></FONT>: current steps have a thick blue "
                "border; the steps it took are numbered in order.</TD></TR>"
            )
        return '<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2">' + "".join(rows) + "</TABLE>>"

    def footer(self) -> str:
        """The key and the numbered sources in one wide, short box at the foot."""
        roles, symbols = self.key_rows()
        cited = self.source_rows() if self.sources and self.cited else []
        if self.page.root is not None:
            # A part's own page: the roles and its sources; the symbols are on page 1.
            roles.append(('<TD ALIGN="LEFT" COLSPAN="2"><I>Symbols: see page 1</I></TD>', ""))
            symbols = []
        # As short as will fit about 1020 pt across (a page's width at 8 pt on A4): the
        # roles, the symbols and the sources flow down as few columns as that allows, a
        # source never split and never parted from the column it starts.
        entries = [roles] + [[row] for row in symbols] + cited
        kinds = [0] + [1] * len(symbols) + [2] * len(cited)
        height = max(len(roles), 4)
        while True:
            columns, widths = _flow(entries, kinds, height, (280, 240, 330))
            if sum(widths) + 12 * (len(columns) - 1) <= 1020 or len(columns) <= 2:
                break
            height += 1
        height = max(len(c) for c in columns)
        rows = []
        for i in range(height):
            cells = []
            for n, column in enumerate(columns):
                gap = '<TD WIDTH="12"></TD>' if n else ""
                left, right = column[i] if i < len(column) else ("<TD></TD>", "<TD></TD>")
                cells.append(gap + left + right)
            rows.append("<TR>" + "".join(cells) + "</TR>")
        return (
            '<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="1" CELLPADDING="1" '
            'BGCOLOR="white">' + "".join(rows) + "</TABLE>>"
        )

    def key_rows(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(roles, symbols): rows of (symbol cell, meaning cell) for the key."""
        rows = [('<TD ALIGN="LEFT" COLSPAN="2"><B>Key: who is responsible</B></TD>', "")]
        for role_id, role in self.process.roles.items():
            rows.append(
                (
                    f'<TD BGCOLOR="{self.fills[role_id]}" BORDER="1" CELLPADDING="0">'
                    f"<B>{_esc(self.abbrev[role_id])}</B></TD>",
                    f'<TD ALIGN="LEFT">{_esc(role.title)}</TD>',
                )
            )
        if self._any_state_without_role():
            rows.append(
                (
                    f'<TD BGCOLOR="{NO_ROLE_FILL}" BORDER="1"> </TD>',
                    '<TD ALIGN="LEFT">no role named for this step</TD>',
                )
            )
        symbols = [
            (INITIAL_MARK + "→", "initial: where the process or a part starts"),
            (FINAL_MARK, "final step: this part has finished"),
            ("▭", "compound step: a box round its steps"),
            ("┆┆", "bold box, dashed lanes: run in parallel"),
            (DEADLINE_MARK, "deadline, from the date named"),
            ("if …", "the arrow is taken only if this holds"),
            ("- - →", "automatic: taken as soon as it holds"),
            ("when done", "when all the steps inside have finished"),
            ("→", "an event someone records (who acts)"),
        ]
        if self.book:
            symbols += [
                ("❒", "a part drawn on a page of its own"),
                ("┄", "dashed grey box: a step on another page"),
            ]
        if self.sources and self.numbers:
            symbols.append(("[n]", "source of the rule (see Sources)"))
        if self.overlay is not None:
            symbols += [
                ("▮", "thick blue border: where the case is now"),
                ("step n", "blue arrow: the case's steps, in order"),
                ("OVERDUE", "a deadline passed and not met"),
            ]
        marks = [
            (
                f'<TD ALIGN="CENTER"><B>{_esc(symbol)}</B></TD>',
                f'<TD ALIGN="LEFT">{_esc(meaning)}</TD>',
            )
            for symbol, meaning in symbols
        ]
        return rows, [('<TD ALIGN="LEFT" COLSPAN="2"><B>Symbols</B></TD>', ""), *marks]

    def _any_state_without_role(self) -> bool:
        return any(
            responsible(self.process, s.id) is None
            for s in self.process.states.values()
            if s.kind in ("simple", "final") and s.id in self.inside
        )

    def source_rows(self) -> list[list[tuple[str, str]]]:
        """The sources cited on this page: for each, one (number, text) row per line."""
        entries = [[('<TD ALIGN="LEFT" COLSPAN="2"><B>Sources</B></TD>', "")]]
        for key, number in self.numbers.items():
            if key not in self.cited:
                continue
            source = self.process.sources.get(key)
            address = link_address(source.url) if source else None
            href = f' HREF="{_esc(address)}"' if address else ""
            tooltip = _esc(citation(self.process, key))
            lines = wrap(source.title if source else key, 56)
            rows = []
            for i, line in enumerate(lines):
                mark = f"[{number}]" if i == 0 else ""
                rows.append(
                    (
                        f'<TD ALIGN="RIGHT">{mark}</TD>',
                        f'<TD ALIGN="LEFT"{href} TOOLTIP="{tooltip}">{_esc(line)}</TD>',
                    )
                )
            entries.append(rows)
        if len(entries) > 1:  # the heading stays with the first source
            entries[1] = entries[0] + entries[1]
        return entries[1:]


def _flow(
    entries: Sequence[Sequence[Any]], kinds: Sequence[int], height: int, widths: Sequence[int]
) -> tuple[list[list[Any]], list[int]]:
    """Entries (lists of rows) packed into columns of at most ``height`` rows, never
    splitting an entry unless it is taller than a column on its own; and each column's
    width, the widest ``widths[kind]`` of the entries in it."""
    columns: list[list[Any]] = []
    sizes: list[int] = []
    column: list[Any] = []
    size = 0
    for entry, kind in zip(entries, kinds, strict=True):
        if column and len(column) + len(entry) > height:
            columns.append(column)
            sizes.append(size)
            column, size = [], 0
        column += entry
        size = max(size, widths[kind])
    if column:
        columns.append(column)
        sizes.append(size)
    return columns, sizes


# -- layout: which way the chart runs ------------------------------------------------------


def _ranks(drawing: _Drawing) -> tuple[int, int]:
    """(number of ranks, widest rank) of the boxes on a page, roughly as dot lays them out."""
    process = drawing.process
    nodes = [s for s in process.states if drawing.rep(s) == s and not drawing.is_cluster(s)]
    index = {n: i for i, n in enumerate(nodes)}
    edges: dict[str, set[str]] = {n: set() for n in nodes}
    for transition in process.transitions():
        tail, head = drawing.rep(transition.source_state), drawing.rep(transition.target)
        if tail is None or head is None:
            continue
        tail = _leaf(drawing, tail, last=True)
        head = _leaf(drawing, head, last=False)
        if tail in edges and head in edges and head != tail:
            edges[tail].add(head)
    order: list[str] = []
    seen: dict[str, int] = {}
    for start in nodes:
        if seen.get(start):
            continue
        stack = [(start, iter(sorted(edges[start], key=index.__getitem__)))]
        seen[start] = 1
        while stack:
            current, children = stack[-1]
            child = next(children, None)
            if child is None:
                seen[current] = 2
                order.append(current)
                stack.pop()
            elif not seen.get(child):
                seen[child] = 1
                stack.append((child, iter(sorted(edges[child], key=index.__getitem__))))
            elif seen[child] == 1:
                edges[current].discard(child)  # a back edge: not counted for ranks
    level: dict[str, int] = {}
    for node in reversed(order):
        level.setdefault(node, 0)
        for child in edges[node]:
            level[child] = max(level.get(child, 0), level[node] + 1)
    counts: dict[int, int] = {}
    for value in level.values():
        counts[value] = counts.get(value, 0) + 1
    return (max(counts) + 1 if counts else 1), (max(counts.values()) if counts else 1)


def _leaf(drawing: _Drawing, state_id: str, last: bool) -> str:
    while drawing.is_cluster(state_id):
        state = drawing.process.states[state_id]
        if state.kind == "compound" and not last:
            state_id = state.initial or state.children[0]
        else:
            state_id = drawing.exit_node(state_id) if last else state.children[0]
    return state_id


def choose_direction(drawing: _Drawing) -> str:
    """ "TB" or "LR", whichever lets the page print larger.

    Estimated from the model alone (ranks and the widest rank, with typical box and label
    sizes), so the dot text does not depend on whether Graphviz is installed.
    """
    if drawing.page.direction:
        return drawing.page.direction
    ranks, widest = _ranks(drawing)
    width, height = PAPERS.get(drawing.paper or "a3", PAPERS["a3"])
    box_w, box_h, label_w, label_h = 2.6, 0.8, 2.2, 0.6
    tb = (widest * (box_w + label_w * 0.6), ranks * (box_h + label_h + 0.35))
    lr = (ranks * (box_w + label_w + 0.35), widest * (box_h + 0.5))
    scale_tb = min(width / tb[0], height / tb[1])
    scale_lr = min(width / lr[0], height / lr[1])
    # Measured on the shipped processes, top to bottom nearly always prints larger than
    # the estimate says: left to right only when it is clearly better.
    return "LR" if scale_lr > 1.3 * scale_tb else "TB"


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


def dot_installed() -> bool:
    import shutil

    return shutil.which("dot") is not None


def render_bytes(source: str, fmt: str) -> bytes:
    """Run ``dot`` on the source; raise :class:`DotMissing` when it is not installed."""
    if fmt == "dot":
        return source.encode("utf-8")
    import graphviz

    if not dot_installed():
        raise DotMissing()
    try:
        return graphviz.Source(source).pipe(format=fmt, quiet=True)
    except graphviz.ExecutableNotFound:
        raise DotMissing() from None


@functools.lru_cache(maxsize=512)
def printed_font_size(source: str) -> float:
    """How large :data:`FONT_SIZE` text comes out once ``size`` has scaled the drawing.

    Read from the scale Graphviz applies in its SVG output, so it is exactly what prints
    when the PDF is printed at its own size. Needs ``dot``.
    """
    svg = render_bytes(source, "svg").decode("utf-8")
    found = re.search(r'class="graph" transform="scale\(([0-9.]+) ([0-9.]+)\)', svg)
    scale = min(float(found.group(1)), float(found.group(2))) if found else 1.0
    return FONT_SIZE * scale


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
    return Path(__file__).resolve().parent.parent / "processes"


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
    from .loader import did_you_mean

    known = sorted(p.stem for p in folder.glob("*.yaml"))
    hint = did_you_mean(name, known) or (
        f"; known processes: {', '.join(known)}" if known else f"; no process files in {folder}"
    )
    raise Stop(f"cspr: unknown process '{name}'{hint}")


def _load(path: Path) -> Process:
    from .loader import LoadError, load_process

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
    except (AttributeError, ValueError, IndexError, zlib.error):
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


def write_diagrams(
    directory: Path, folder: Path, paper: str = "a3", store_location: str | None = None
) -> list[Path]:
    """Write dot, svg and a PDF for each paper (see :func:`pdf_name`) for every process in
    ``folder``; the paths written. Files there are replaced, but never the case store at
    ``store_location`` or its companions (:class:`~engine.outputs.OutputError`)."""
    from .outputs import OutputError, check_output, write_output

    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot write {directory}: {error.strerror or error}") from None
    written = []
    for path in process_files(folder):
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


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


@click.command("diagram")
@click.argument("process_or_file", required=False, metavar="PROCESS_OR_FILE")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="Output format (default: from -o's suffix, else dot).",
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
    from .cli import store_location
    from .outputs import OutputError, check_output, write_output

    folder = processes_dir(ctx)
    chosen_paper = None if paper == "none" else paper
    store = store_location(ctx)
    try:
        if output:  # before any work: a refused file is refused at once
            check_output(output, force=force, store_location=store)
        if check_dir or write_dir:
            if write_dir:
                written = write_diagrams(Path(write_dir), folder, chosen_paper or "a3", store)
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
                    _fail(
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
        dpi = 150 if fmt == "png" else None
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
                    f"cspr: warning: on {chosen_paper.upper()} {where} prints its text at "
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
            check_output(target, force=True, store_location=store)
            write_output(target, data)
            click.echo(f"wrote {target}", err=True)
    except OutputError as error:
        _fail(f"cspr: {error}")
    except DotMissing:
        _fail(NOT_INSTALLED)
    except Stop as stop:
        _fail(str(stop))


def _case(ctx: click.Context, case_key: str, as_of_text: str | None) -> tuple[Process, Overlay]:
    from .calendar import DateError, parse_date
    from .cli import runtime as open_runtime
    from .runtime import Refused
    from .store import StoreError

    try:
        as_of = parse_date(as_of_text) if as_of_text else dt.date.today()
    except DateError as error:
        raise click.BadParameter(str(error), param_hint="--as-of") from None
    rt = open_runtime(click.get_current_context())
    try:
        view = rt.show(case_key, as_of)
        record, rows = rt.history(case_key)
    except (Refused, StoreError) as error:
        _fail(f"cspr: {error}")
        raise  # pragma: no cover - _fail exits
    process = view.process
    return process, case_overlay(process, record, rows, view.deadlines, as_of)


__all__: Iterable[str] = [
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
