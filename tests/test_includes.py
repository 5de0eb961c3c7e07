"""Includes come from the parsed ``include:`` key only (issue 19, item 3).

A line that merely starts with ``include:`` (inside a ``description: |`` block, say) is
text, not an include; an include must name a regular file inside the process folder; and
includes nest at most :data:`engine.format.loader.MAX_INCLUDE_DEPTH` deep, refused in one line.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from cspr_engine.format.loader import MAX_INCLUDE_DEPTH, LoadError, load_process, read_bundle
from cspr_engine.problems import Problem

TOP = """\
process: top
version: "1"
title: Top
sources: {{s: test}}
description: |
  A note that happens to hold a line like
  include: {described}
states:
  part:
    source: s
    include: {included}
"""

PART = """\
process: part{n}
version: "1"
title: Part {n}
sources: {{s: test}}
states:
  {state}
"""


def part(n: int, include: str | None = None) -> str:
    state = (
        f"p{n}: {{source: s, include: {include}}}"
        if include
        else f"end{n}: {{type: final, source: s}}"
    )
    return PART.format(n=n, state=state)


def problems(path: Path) -> list[Problem]:
    with pytest.raises(LoadError) as caught:
        load_process(path)
    return caught.value.problems


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "processes"
    folder.mkdir()
    (folder / "part.yaml").write_text(part(1), encoding="utf-8")
    return folder


def test_a_line_in_a_description_is_not_an_include(folder: Path, tmp_path: Path):
    secret = tmp_path / "secret.yaml"
    secret.write_text("not: for the store\n", encoding="utf-8")
    top = folder / "top.yaml"
    top.write_text(TOP.format(described="../secret.yaml", included="part.yaml"), encoding="utf-8")
    bundle = read_bundle(top)
    assert sorted(bundle.texts) == ["part.yaml", "top.yaml"]
    load_process(top)


def test_a_fifo_named_in_a_description_is_never_opened(folder: Path):
    os.mkfifo(folder / "pipe.yaml")
    top = folder / "top.yaml"
    top.write_text(TOP.format(described="pipe.yaml", included="part.yaml"), encoding="utf-8")
    done = threading.Event()
    thread = threading.Thread(target=lambda: (load_process(top), done.set()), daemon=True)
    thread.start()
    thread.join(10)
    assert done.is_set(), "reading the bundle waited on a FIFO"


def test_an_include_that_is_a_fifo_is_refused_where_it_is_named(folder: Path):
    os.mkfifo(folder / "pipe.yaml")
    top = folder / "top.yaml"
    top.write_text(TOP.format(described="x", included="pipe.yaml"), encoding="utf-8")
    (problem,) = problems(top)
    assert (problem.where.line, problem.where.column) == (11, 14)
    assert "'pipe.yaml': it is not a regular file" in problem.message


@pytest.mark.parametrize(
    "included", ["../outside.yaml", "/etc/hostname.yaml", "sub/../../outside.yaml"]
)
def test_an_include_outside_the_process_folder_is_refused(folder: Path, included: str):
    (folder.parent / "outside.yaml").write_text(part(9), encoding="utf-8")
    top = folder / "top.yaml"
    top.write_text(TOP.format(described="x", included=included), encoding="utf-8")
    assert list(read_bundle(top).texts) == ["top.yaml"]
    (problem,) = problems(top)
    assert problem.where.line == 11
    assert "outside the process folder" in problem.message


def test_a_link_leading_outside_the_process_folder_is_refused(folder: Path):
    (folder.parent / "outside.yaml").write_text(part(9), encoding="utf-8")
    (folder / "link.yaml").symlink_to(folder.parent / "outside.yaml")
    top = folder / "top.yaml"
    top.write_text(TOP.format(described="x", included="link.yaml"), encoding="utf-8")
    (problem,) = problems(top)
    assert "'link.yaml': it leads outside the process folder" in problem.message


def test_an_include_in_a_sub_folder_is_read(folder: Path):
    (folder / "sub").mkdir()
    (folder / "sub" / "deeper.yaml").write_text(part(2), encoding="utf-8")
    (folder / "part.yaml").write_text(part(1, "sub/deeper.yaml"), encoding="utf-8")
    top = folder / "top.yaml"
    top.write_text(TOP.format(described="x", included="part.yaml"), encoding="utf-8")
    assert sorted(read_bundle(top).texts) == ["part.yaml", "sub/deeper.yaml", "top.yaml"]
    load_process(top)


def _chain(folder: Path, length: int) -> Path:
    for n in range(1, length + 1):
        include = f"part{n + 1}.yaml" if n < length else None
        (folder / f"part{n}.yaml").write_text(part(n, include), encoding="utf-8")
    top = folder / "top.yaml"
    top.write_text(TOP.format(described="x", included="part1.yaml"), encoding="utf-8")
    return top


def test_includes_as_deep_as_the_limit_are_read(folder: Path):
    process = load_process(_chain(folder, MAX_INCLUDE_DEPTH))
    assert f"end{MAX_INCLUDE_DEPTH}" in process.states


def test_a_chain_of_300_includes_is_one_line_at_the_limit(folder: Path):
    top = _chain(folder, 300)
    assert len(read_bundle(top).texts) == MAX_INCLUDE_DEPTH + 1
    (problem,) = problems(top)
    assert problem.where.file.endswith(f"part{MAX_INCLUDE_DEPTH}.yaml")
    assert f"includes nest more than {MAX_INCLUDE_DEPTH} files deep" in problem.message
    assert "\n" not in problem.message
