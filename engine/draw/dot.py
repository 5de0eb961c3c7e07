"""A process (or one page of it, with a case) as Graphviz dot, and dot drawn as svg, pdf
or png."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import graphviz

    from ..model import Process, State, Transition
from .direction import choose_direction
from .overlay import Overlay, _is_within
from .style import (
    CASE_INK,
    CLUSTER_FILLS,
    DEADLINE_MARK,
    FINAL_MARK,
    FONT,
    FONT_SIZE,
    INITIAL_MARK,
    INK,
    MARGIN,
    NO_ROLE_FILL,
    OVERDUE_INK,
    PAPERS,
    TITLE_SIZE,
    WRAP,
    DotMissing,
)
from .words import (
    _esc,
    _lines,
    abbreviations,
    citation,
    deadline_text,
    fact_label,
    link_address,
    responsible,
    role_fills,
    source_numbers,
    transition_text,
    wrap,
)


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


@dataclass(frozen=True)
class _Arrow:
    """One transition drawn on a page: its ends there and its label."""

    key: tuple[str, int]
    transition: Transition
    source: str | None  #: the box or open cluster of the source here; None: another page
    target: str | None
    tail: str  #: the node the arrow leaves
    head: str  #: the node it enters
    home: str | None  #: the open cluster that holds both ends (None: the page)
    label: str  #: HTML-like label text
    steps: tuple[int, ...]  #: the case's steps that took it

    @property
    def label_node(self) -> str:
        return f"__label__{self.key[0]}__{self.key[1]}"


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
    arrows: list[_Arrow] = field(init=False, default_factory=list)

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

    @staticmethod
    def enter_name(state_id: str) -> str:
        """An invisible point at the top of a parallel step, where arrows into it end (at
        its border), so no arrow seems to point at one of its regions."""
        return f"__enter__{state_id}"

    def chain(self, node: str) -> list[str]:
        """The open boxes (clusters) on this page that hold ``node``, outermost first."""
        for prefix in ("__start__", "__enter__"):
            if node.startswith(prefix) and node[len(prefix) :] in self.process.states:
                owner = node[len(prefix) :]
                return [*self.chain(owner), owner]
        if node not in self.process.states:
            return []  # the page's start point, a grey box for another page
        return [
            a
            for a in reversed(self.process.ancestors(node))
            if a in self.inside and self.is_cluster(a)
        ]

    def entry_node(self, state_id: str) -> str:
        state = self.process.states[state_id]
        if not self.is_cluster(state_id):
            return state_id
        if state.kind == "compound":
            return self.start_name(state_id)
        return self.enter_name(state_id)

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
            # Every arrow passes through its label, a node a rank of its own: ranks half as
            # far apart as with no labels, as dot sets them for labels of its own.
            "ranksep": "0.13",
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
            self.arrows = self.plan_arrows()
            if root is None:
                self.start(body, None, process.initial)
                for state_id in process.top_states:
                    self.add_state(body, state_id, depth=0)
            else:
                self.add_state(body, root, depth=0)
            self.add_labels(body, None)
            for arrow in self.arrows:
                self.add_transition(body, arrow)
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
                else:
                    cluster.node(
                        self.enter_name(state_id),
                        label="",
                        shape="point",
                        width="0.01",
                        height="0.01",
                        style="invis",
                        ordering="out",
                    )
                for child in self.written_order(state):
                    if state.kind == "parallel" and not self.is_cluster(child):
                        with cluster.subgraph(name=f"cluster_region_{child}") as lane:
                            lane.attr(label="", style="dashed", color=INK, penwidth="1", margin="8")
                            self.add_state(lane, child, depth + 1)
                    else:
                        self.add_state(cluster, child, depth + 1, region=state.kind == "parallel")
                if state.kind == "parallel":
                    self.align_regions(cluster, state_id)
                    self.stack_regions(cluster, state_id)
                self.add_labels(cluster, state_id)
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

    def written_order(self, state: State) -> list[str]:
        """The children of ``state`` in the order they are written in the dot text.

        Dot keeps parallel regions in the order they are written (it ignores arrows
        within a rank between boxes in boxes), and left to right it turns the page so
        that this order runs bottom to top: regions are written last first there, so they
        read in document order, top to bottom or left to right."""
        children = list(state.children)
        if state.kind == "parallel" and choose_direction(self) == "LR":
            children.reverse()
        return children

    def align_regions(self, graph: Any, state_id: str) -> None:
        """Invisible arrows from the top of a parallel step to its regions, through one
        invisible point a region, the points on one rank: the regions of its first row
        start side by side, in the order they are written (:meth:`written_order`)."""
        anchor = self.enter_name(state_id)
        first_row = self.process.states[state_id].children[: self.lanes_per_row(state_id)]
        regions = [r for r in self.written_order(self.process.states[state_id]) if r in first_row]
        points = [f"__lane__{region}" for region in regions]
        with graph.subgraph() as row:
            row.attr(rank="same")
            for point in points:
                row.node(point, label="", shape="point", width="0.01", style="invis")
        for point, region in zip(points, regions, strict=True):
            graph.edge(anchor, point, style="invis")
            graph.edge(point, self.entry_node(region), style="invis")

    def stack_regions(self, graph: Any, state_id: str) -> None:
        """Invisible arrows that put each region of a second row under one of the first."""
        children = self.process.states[state_id].children
        per_row = self.lanes_per_row(state_id)
        for above, below in zip(children, children[per_row:], strict=False):
            graph.edge(self.exit_node(above), self.entry_node(below), style="invis")

    @staticmethod
    def stub_name(state_id: str, outgoing: bool) -> str:
        return f"__{'to' if outgoing else 'from'}__{state_id}"

    def stub(self, graph: Any, state_id: str, outgoing: bool) -> str:
        """A grey box for a step on another page, where an arrow leaves or enters this one."""
        name = self.stub_name(state_id, outgoing)
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
            # Room for the rounded corners: the words never run into the border.
            margin="0.14,0.05",
            color="#666666",
            fontcolor="#333333",
            tooltip=f"{label}: continues{where or ' elsewhere'}",
        )
        return name

    def plan_arrows(self) -> list[_Arrow]:
        """The arrows on this page, in document order, each with where its label goes."""
        arrows = []
        for state in self.process.states.values():
            for i, transition in enumerate(state.transitions):
                arrow = self.plan_arrow((state.id, i), transition)
                if arrow is not None:
                    arrows.append(arrow)
        return arrows

    def plan_arrow(self, key: tuple[str, int], t: Transition) -> _Arrow | None:
        process = self.process
        source, target = self.rep(t.source_state), self.rep(t.target)
        if source is None and target is None:
            return None
        if (
            source is not None
            and source == target
            and (source, target) != (t.source_state, t.target)
        ):
            return None  # both ends inside one box on this page
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
        tail = self.exit_node(source) if source else self.stub_name(t.source_state, False)
        head_node = self.entry_node(target) if target else self.stub_name(t.target, True)
        outer, inner = self.chain(tail), self.chain(head_node)
        home = None
        for a, b in zip(outer, inner, strict=False):
            if a != b:
                break
            home = a
        # The label is a node of its own in the innermost box that holds both ends, laid
        # out like a step: so it never crosses a border, sits on a step or on a line.
        return _Arrow(key, t, source, target, tail, head_node, home, label, tuple(steps))

    def add_labels(self, graph: Any, home: str | None) -> None:
        """The labels of the arrows whose ends are both in ``home`` (None: the page)."""
        for arrow in self.arrows:
            if arrow.home == home:
                graph.node(
                    arrow.label_node,
                    label=f"<{arrow.label}>",
                    shape="plaintext",
                    width="0",  # as small as the words (a node is 0.75 x 0.5 in at least)
                    height="0",
                    style="",
                    margin="0.02,0.02",
                    tooltip=self.arrow_tooltip(arrow.transition),
                )

    def arrow_tooltip(self, t: Transition) -> str:
        process = self.process
        return self.tip(
            f"{process.states[t.source_state].label} → {process.states[t.target].label}",
            f"event: {t.event}" if t.event else None,
            f"condition: {t.guard.text}" if t.guard else None,
            f"by: {self.role_title(t.by)}" if t.by else None,
            f"records the date as: {fact_label(process, t.records)}" if t.records else None,
            self.cite(t.source),
        )

    def add_transition(self, graph: Any, arrow: _Arrow) -> None:
        """An arrow in two pieces, into its label and out of it."""
        process, t = self.process, arrow.transition
        source, target = arrow.source, arrow.target
        if source is None:
            self.stub(graph, t.source_state, False)
        if target is None:
            self.stub(graph, t.target, True)
        attrs: dict[str, str] = {"tooltip": self.arrow_tooltip(t)}
        if t.trigger == "always":
            attrs["style"] = "dashed"
        if arrow.steps:
            attrs.update(color=CASE_INK, penwidth="3")
        into: dict[str, str] = {**attrs, "arrowhead": "none"}
        out = dict(attrs)
        if (
            source
            and self.is_cluster(source)
            and not (target and _is_within(process, target, source))
        ):
            into["ltail"] = self.cluster_name(source)
        if (
            target
            and self.is_cluster(target)
            and not (source and _is_within(process, source, target))
        ):
            out["lhead"] = self.cluster_name(target)
        graph.edge(arrow.tail, arrow.label_node, **into)
        graph.edge(arrow.label_node, arrow.head, **out)

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
