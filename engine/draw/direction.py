"""Which way a page runs, top to bottom or left to right, estimated from the model alone
(so the dot text does not depend on whether Graphviz is installed)."""

from __future__ import annotations

from typing import Any, Protocol

from ..model import Process
from .style import PAPERS


class Laid(Protocol):
    """What choosing a direction reads of a drawing (:class:`engine.draw.dot._Drawing`)."""

    process: Process
    page: Any
    paper: str | None

    def rep(self, state_id: str) -> str | None: ...

    def is_cluster(self, state_id: str) -> bool: ...

    def exit_node(self, state_id: str) -> str: ...


# -- layout: which way the chart runs ------------------------------------------------------


def _ranks(drawing: Laid) -> tuple[int, int]:
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


def _leaf(drawing: Laid, state_id: str, last: bool) -> str:
    while drawing.is_cluster(state_id):
        state = drawing.process.states[state_id]
        if state.kind == "compound" and not last:
            state_id = state.initial or state.children[0]
        else:
            state_id = drawing.exit_node(state_id) if last else state.children[0]
    return state_id


def choose_direction(drawing: Laid) -> str:
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
