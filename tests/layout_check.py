"""What a trainer sees wrong on a printed page, found in the layout Graphviz computed.

``problems(source)`` lays the dot source out (``dot -Tjson``) and lists, in words, each
place where a label crosses a box's border, sits on a step or on another label, or an
arrow runs through a label; and each step box that straddles a border or sits in a box it
does not belong to. Run as a script to check every page of the shipped processes:

    .venv/bin/python tests/layout_check.py [process ...]
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 in points

#: Points a label may touch a border or a line by before it counts (anti-aliasing, pens).
SLACK = 1.5


def layout(source: str) -> dict:
    done = subprocess.run(
        ["dot", "-Tjson"], input=source.encode("utf-8"), capture_output=True, check=True
    )
    return json.loads(done.stdout)


def _bb(text: str) -> Rect:
    x0, y0, x1, y1 = (float(v) for v in text.split(","))
    return x0, y0, x1, y1


def _centred(pos: str, width: float, height: float) -> Rect:
    x, y = (float(v) for v in pos.split(",")[:2])
    return x - width / 2, y - height / 2, x + width / 2, y + height / 2


def _text_rect(ops: list[dict]) -> Rect | None:
    """The extent of the text an xdot draw list writes."""
    size, found = 11.0, []
    for op in ops:
        if op.get("op") == "F":
            size = float(op["size"])
        elif op.get("op") == "T":
            x, y = op["pt"]
            width = float(op["width"])
            left = {"l": x, "c": x - width / 2, "r": x - width}[op["align"]]
            found.append((left, y - 0.25 * size, left + width, y + 0.8 * size))
    if not found:
        return None
    return (
        min(r[0] for r in found),
        min(r[1] for r in found),
        max(r[2] for r in found),
        max(r[3] for r in found),
    )


def _shrunk(rect: Rect, by: float = SLACK) -> Rect:
    return rect[0] + by, rect[1] + by, rect[2] - by, rect[3] - by


def _overlap(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _inside(a: Rect, b: Rect) -> bool:
    """``a`` wholly inside ``b``."""
    return a[0] >= b[0] and a[1] >= b[1] and a[2] <= b[2] and a[3] <= b[3]


def _crosses(a: Rect, box: Rect) -> bool:
    """``a`` is partly in ``box`` and partly out: it crosses the border."""
    a = _shrunk(a)
    return _overlap(a, box) and not _inside(a, box)


def _curve(pos: str) -> list[tuple[float, float]]:
    """Points along an edge's B-spline (its ``pos``), every few points."""
    points = [
        tuple(float(v) for v in part.split(","))
        for part in pos.split()
        if not part.startswith(("e,", "s,"))
    ]
    out: list[tuple[float, float]] = []
    for i in range(0, len(points) - 3, 3):
        p0, p1, p2, p3 = points[i : i + 4]
        for step in range(13):
            t = step / 12
            u = 1 - t
            out.append(
                (
                    u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0],
                    u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1],
                )
            )
    return out


def problems(source: str) -> list[str]:
    """Everything that overlaps on the page drawn from ``source`` (see the module)."""
    graph = layout(source)
    objects = graph.get("objects", [])
    clusters = [
        o
        for o in objects
        if o.get("name", "").startswith("cluster") and o["name"] != "cluster___body"
    ]
    nodes = [o for o in objects if "pos" in o and not o.get("name", "").startswith("cluster")]
    node_rects = {
        n["_gvid"]: _centred(n["pos"], float(n["width"]) * 72, float(n["height"]) * 72)
        for n in nodes
        if n.get("style") != "invis" and n.get("shape") != "point"
    }
    members = {c["_gvid"]: set(c.get("nodes", [])) for c in clusters}
    boxes = {c["_gvid"]: _bb(c["bb"]) for c in clusters}
    names = {c["_gvid"]: c["name"].removeprefix("cluster_") for c in clusters}
    names.update({n["_gvid"]: n["name"] for n in nodes})
    found: list[str] = []
    # Step boxes: inside the boxes they belong to, clear of every other.
    for gvid, rect in node_rects.items():
        for cluster, box in boxes.items():
            if gvid in members[cluster]:
                if not _inside(_shrunk(rect), box):
                    found.append(f"box '{names[gvid]}' spills over '{names[cluster]}'")
            elif _overlap(_shrunk(rect), box):
                found.append(f"box '{names[gvid]}' sits on '{names[cluster]}', not its own")
    # Box titles (cluster labels): inside their box, clear of boxes inside it.
    labels: list[tuple[str, Rect]] = []
    for cluster in clusters:
        if "lp" not in cluster:
            continue
        width, height = float(cluster["lwidth"]) * 72, float(cluster["lheight"]) * 72
        rect = _centred(cluster["lp"], width, height)
        title = names[cluster["_gvid"]]
        labels.append((f"title '{title}'", rect))
        if not _inside(_shrunk(rect), boxes[cluster["_gvid"]]):
            found.append(f"title '{title}' spills out of its box")
        for other, box in boxes.items():
            if other != cluster["_gvid"] and _crosses(rect, box):
                found.append(f"title '{title}' crosses the border of '{names[other]}'")
        for gvid, node_rect in node_rects.items():
            if _overlap(_shrunk(rect), node_rect):
                found.append(f"title '{title}' sits on box '{names[gvid]}'")
    # Arrow labels: clear of every border, box, title and line.
    edges = [e for e in graph.get("edges", []) if e.get("style") != "invis" and "pos" in e]
    for edge in edges:
        rect = _text_rect(edge.get("_ldraw_", []))
        if rect is None:
            continue
        words = " ".join(op["text"] for op in edge.get("_ldraw_", []) if op.get("op") == "T")[:40]
        labels.append((f"label '{words}'", rect))
        for cluster, box in boxes.items():
            if _crosses(rect, box):
                found.append(f"label '{words}' crosses the border of '{names[cluster]}'")
        for gvid, node_rect in node_rects.items():
            if _overlap(_shrunk(rect), node_rect):
                found.append(f"label '{words}' sits on box '{names[gvid]}'")
        for other in edges:
            if any(_inside((x, y, x, y), _shrunk(rect, 2.5)) for x, y in _curve(other["pos"])):
                found.append(f"label '{words}' has a line through it")
                break
    for i, (what, rect) in enumerate(labels):
        for other, other_rect in labels[i + 1 :]:
            if _overlap(_shrunk(rect), _shrunk(other_rect)):
                found.append(f"{what} overlaps {other}")
    return found


def shipped_pages(names: list[str]) -> Iterator[tuple[str, str, int, str]]:
    """(process, paper, page number, dot source) for every printed page."""
    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    from cspr_engine.draw import dot_source, pages
    from cspr_engine.format.loader import load_process

    for path in sorted((root / "processes").glob("*.yaml")):
        if names and path.stem not in names:
            continue
        process = load_process(path)
        for paper in ("a3", "a4"):
            for number in range(1, len(pages(process, paper)) + 1):
                yield path.stem, paper, number, dot_source(process, paper=paper, page=number)


if __name__ == "__main__":
    total = 0
    for stem, paper, number, source in shipped_pages(sys.argv[1:]):
        for problem in problems(source):
            total += 1
            print(f"{stem} {paper.upper()} page {number}: {problem}")
    print(f"{total} problem(s)")
