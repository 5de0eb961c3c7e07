"""Diagrams: everything in the model is on the page, output is stable, --check catches drift."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from cspr_engine import draw as render
from cspr_engine.cases.runtime import Runtime
from cspr_engine.cli.diagram import diagram_command
from cspr_engine.draw import dot_source, pages, render_bytes
from cspr_engine.format.loader import load_process
from cspr_engine.run.calendar import describe_rule
from cspr_engine.store.database import Store

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "examples" / "mini.yaml"
SHIPPED = sorted((ROOT / "processes").glob("*.yaml"))
D = dt.date.fromisoformat

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None,
    reason="Graphviz 'dot' is not installed (apt-get install graphviz): svg/pdf not tested",
)


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(diagram_command, list(args), env=env)


def svg_text(svg: bytes) -> str:
    """All the words of an SVG, in drawing order, one space between lines."""
    tree = ET.fromstring(svg)
    words = [
        "".join(element.itertext())
        for element in tree.iter()
        if element.tag.endswith("}text") or element.tag == "text"
    ]
    return " ".join(" ".join(words).split())


def expected_words(process) -> dict[str, list[str]]:
    """What must be readable on the diagram, computed from the model, not the renderer."""
    deadlines = [
        describe_rule(d.rule, lambda name: render.fact_label(process, name))
        for d in process.deadlines()
    ]
    return {
        "state titles": [s.label for s in process.states.values()],
        "roles": [r.title for r in process.roles.values()],
        "deadlines": deadlines,
    }


def assert_all_shown(text: str, process) -> None:
    for what, items in expected_words(process).items():
        missing = [item for item in items if " ".join(item.split()) not in text]
        assert not missing, f"{what} missing from the diagram: {missing}"


# -- words -------------------------------------------------------------------------------------


def test_wrap_keeps_words_whole_at_about_28_characters():
    text = "Date the local authority became aware of the incident and notified the Panel"
    lines = render.wrap(text)
    assert " ".join(lines) == text
    assert all(len(line) <= 28 for line in lines)
    assert render.wrap("Supercalifragilisticexpialidocious-and-then-some") == [
        "Supercalifragilisticexpialidocious-and-then-some"
    ]


def test_deadline_words_use_fact_titles_else_the_id_with_spaces():
    process = load_process(MINI)
    texts = [render.deadline_text(process, d) for d in process.deadlines()]
    assert "must be within 5 working days of aware on" in texts
    assert "within 6 months of decided on" in texts


def test_a_role_has_the_same_colour_in_every_process():
    seen: dict[str, set[str]] = {}
    for path in SHIPPED:
        for role, fill in render.role_fills(load_process(path)).items():
            seen.setdefault(role, set()).add(fill)
    assert {"panel", "partners", "local_authority", "reviewer", "lscb"} <= set(seen)
    assert all(len(fills) == 1 for fills in seen.values()), seen
    assert seen["panel"] == {render.ROLE_COLOURS["panel"]}
    # Every role of a shipped process has a colour of its own (badges aside).
    assert set(render.ROLE_COLOURS) >= set(seen)
    assert len(set(render.ROLE_COLOURS.values())) == len(render.ROLE_COLOURS)


def test_a_new_role_hashes_to_the_same_fallback_colour_every_time():
    fallback = {colour for colour, _ in render.FALLBACK_COLOURS}
    for role in ("family", "secretary_of_state", "ofsted"):
        assert render.role_fill(role) == render.role_fill(role) in fallback
    assert render.role_fill("panel") == render.ROLE_COLOURS["panel"]
    taken = render.role_fill("family")
    assert render.role_fill("family", [taken]) != taken  # the next free one


def test_every_role_gets_a_distinct_badge_and_fill():
    process = load_process(MINI)
    badges = render.abbreviations(process)
    fills = render.role_fills(process)
    assert badges == {"la": "LA", "sp": "SP"}
    assert len(set(fills.values())) == len(fills)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_conditions_are_in_words_from_titles_never_ids(path):
    process = load_process(path)
    for transition in process.transitions():
        if transition.guard is None:
            continue
        text = render.condition_text(process, transition)
        bare = re.sub("\u201c[^\u201d]*\u201d", "", text)  # without the steps' own labels
        for name in transition.guard.names:
            plain = name.replace("_", " ")
            titles = [
                getattr(process.conditions.get(name), "title", None),
                getattr(process.facts.get(name), "title", None),
                getattr(process.states.get(name), "label", None),
            ]
            if any(t and plain.lower() in t.lower() for t in titles):
                continue  # the id's words are the title's own
            assert not re.search(rf"\b{re.escape(plain)}\b", bare), (transition.guard.text, text)
        assert "_" not in text, text


def test_a_named_condition_inside_another_reads_by_its_title():
    process = load_process(ROOT / "processes" / "cspr.yaml")
    texts = {
        t.guard.text: render.condition_text(process, t)
        for t in process.transitions()
        if t.guard is not None
    }
    assert texts["not lac_died"] == "not (a looked after child has died)"
    assert texts["lac_died"] == "a looked after child has died"
    assert "“National review” is under way" in texts["national_review is active"]


def _lightness(colour: str) -> float:
    def linear(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(int(colour[i : i + 2], 16)) for i in (1, 3, 5))
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 116 * y ** (1 / 3) - 16


def test_palette_reads_in_greyscale_and_keeps_black_text_legible():
    lightness = [_lightness(colour) for colour, _ in render.PALETTE]
    assert all(a - b >= 5 for a, b in zip(lightness, lightness[1:], strict=False))
    assert min(lightness) >= 50  # black text keeps a contrast of at least 4.5:1


# -- dot source ----------------------------------------------------------------------------------


def test_dot_output_is_deterministic_and_has_no_absolute_paths(tmp_path):
    copy = tmp_path / "mini.yaml"
    copy.write_text(MINI.read_text(encoding="utf-8"), encoding="utf-8")
    process = load_process(copy)
    first = dot_source(process)
    assert first == dot_source(load_process(copy))
    assert str(tmp_path) not in first and "/work/" not in first
    assert not re.search(r"\b20\d\d-\d\d-\d\dT", first)  # no timestamps


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_dot_output_is_deterministic(path):
    process = load_process(path)
    assert dot_source(process) == dot_source(load_process(path))


def test_dot_draws_clusters_parallel_regions_initial_and_final_states():
    source = dot_source(load_process(MINI))
    assert "subgraph cluster_response" in source and "runs in parallel" in source
    assert "subgraph cluster_notification" in source and "dashed" in source
    assert "__start__ " in source or "__start__ [" in source
    assert re.search(r"\bclosed \[.*peripheries=2", source)
    assert "when done" in source  # the done transition
    assert "must be within 5 working days of aware on" in source
    assert "[1]" in source and "Working Together 2018, chapter 4" in source


def test_no_sources_leaves_out_marks_and_list():
    source = dot_source(load_process(MINI), sources=False)
    assert "[1]" not in source and ">Sources<" not in source


def test_a4_and_a3_set_a_landscape_page():
    process = load_process(MINI)
    assert 'size="11.09,7.67!"' in dot_source(process, paper="a4")
    assert 'size="15.94,11.09!"' in dot_source(process, paper="a3")
    assert not re.search(r"\bsize=", dot_source(process, paper=None))


# -- svg and pdf ---------------------------------------------------------------------------------


@needs_dot
def test_svg_shows_every_state_role_and_deadline_of_mini():
    process = load_process(MINI)
    text = svg_text(render_bytes(dot_source(process), "svg"))
    assert_all_shown(text, process)
    for symbol in ("initial", "final step", "parallel", "deadline", "automatic", "when all"):
        assert symbol in text, symbol


@needs_dot
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_svg_shows_every_state_role_and_deadline_of_the_shipped_processes(path):
    process = load_process(path)
    assert_all_shown(svg_text(render_bytes(dot_source(process), "svg")), process)


@needs_dot
def test_svg_has_tooltips_with_the_full_citation():
    svg = render_bytes(dot_source(load_process(MINI)), "svg").decode("utf-8")
    assert 'xlink:title="notifying' in svg
    assert "Source [1] Working Together 2018, chapter 4" in svg


@needs_dot
@pytest.mark.parametrize("paper", ["a4", "a3"])
def test_every_printed_page_is_legible_and_together_they_show_everything(paper):
    process = load_process(MINI)
    book = pages(process, paper)
    text = ""
    for number in range(1, len(book) + 1):
        source = dot_source(process, paper=paper, page=number)
        assert render.printed_font_size(source) >= render.MIN_PRINTED
        text += " " + svg_text(render_bytes(source, "svg"))
    assert_all_shown(text, process)
    pdf = render.print_pdf(process, paper)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type /Page\b", pdf)) == len(book)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@needs_dot
@pytest.mark.parametrize("paper", ["a4", "a3"])
def test_command_writes_a_pdf_page_a_printed_page_each_at_the_paper_size(tmp_path, paper):
    process = load_process(MINI)
    out = tmp_path / "mini.pdf"
    result = invoke(str(MINI), "-o", str(out), "--paper", paper)
    assert result.exit_code == 0, result.output
    found = render.printed_pages(out.read_bytes())
    assert len(found) == len(pages(process, paper))
    width, height = (round(v * 72) for v in render.PAPERS[paper])
    for page in found:
        assert page.fits(paper)
        assert abs(page.width - width) <= 2 or abs(page.height - height) <= 2, page
        assert page.smallest >= render.MIN_PRINTED


@needs_dot
def test_command_writes_svg_with_every_title_and_the_role_colours(tmp_path):
    process = load_process(MINI)
    out = tmp_path / "mini.svg"
    assert invoke(str(MINI), "-o", str(out), "--paper", "a4").exit_code == 0
    svg = out.read_text(encoding="utf-8")
    assert_all_shown(svg_text(svg.encode("utf-8")), process)
    for fill in render.role_fills(process).values():
        assert f'fill="{fill.lower()}"' in svg.lower()


@needs_dot
@pytest.mark.parametrize("paper", ["a4", "a3"])
def test_png_is_drawn_a_page_a_file_at_print_resolution(tmp_path, paper):
    from cspr_engine.cli.diagram import PNG_DPI, png_page_names

    process = load_process(ROOT / "processes" / "scr.yaml")
    out = tmp_path / "scr.png"
    result = invoke(
        "scr", "-o", str(out), "--paper", paper, env={"CSPR_PROCESSES": str(ROOT / "processes")}
    )
    assert result.exit_code == 0, result.output
    names = png_page_names(out, len(pages(process, paper)))
    assert len(names) > 1 and not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in names)
    width, height = (v * PNG_DPI[paper] for v in render.PAPERS[paper])
    for name in names:
        w, h = _png_size(name.read_bytes())
        assert w <= width + 2 and h <= height + 2
        assert w >= width * 0.95 or h >= height * 0.95, (name, w, h)
    one = tmp_path / "one.png"
    assert invoke("scr", "--page", "2", "-o", str(one), "--paper", paper,
                  env={"CSPR_PROCESSES": str(ROOT / "processes")}).exit_code == 0  # fmt: skip
    assert _png_size(one.read_bytes()) == _png_size(names[1].read_bytes())


@needs_dot
def test_without_o_an_existing_file_is_kept_unless_forced(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mini.png").write_bytes(b"mine")
    refused = invoke(str(MINI), "--format", "png", "--paper", "none")
    assert refused.exit_code == 1
    assert "mini.png exists; use --force" in refused.stderr
    assert (tmp_path / "mini.png").read_bytes() == b"mine"
    forced = invoke(str(MINI), "--format", "png", "--paper", "none", "--force")
    assert forced.exit_code == 0, forced.output
    assert _png_size((tmp_path / "mini.png").read_bytes())[0] > 100


def test_a_damaged_pdf_is_reported_not_raised():
    from cspr_engine.draw.files import _print_problems

    for junk in (b"", b"%PDF-1.5\nnot really", b"hello"):
        with pytest.raises(render.NotAPdf):
            render.printed_pages(junk)
        assert _print_problems(junk, "a3") == ["not a PDF written by cspr diagram"]


# -- layout: nothing overlaps -----------------------------------------------------------------


@needs_dot
@pytest.mark.parametrize("paper", ["a4", "a3"])
def test_no_label_crosses_a_border_or_sits_on_a_box_or_line(paper):
    from tests.layout_check import problems

    process = load_process(MINI)
    for number in range(1, len(pages(process, paper)) + 1):
        assert problems(dot_source(process, paper=paper, page=number)) == []


@needs_dot
def test_no_label_crosses_a_border_on_the_cspr_overview_and_its_biggest_part():
    from tests.layout_check import problems

    process = load_process(ROOT / "processes" / "cspr.yaml")
    book = pages(process, "a3")
    biggest = max(
        range(len(book)),
        key=lambda i: len(list(process.descendants(book[i].root or ""))) if book[i].root else 0,
    )
    for number in sorted({1, biggest + 1}):
        assert problems(dot_source(process, paper="a3", page=number)) == [], number


@needs_dot
def test_parallel_regions_run_in_document_order_and_the_start_arrow_enters_the_box():
    import json
    import subprocess

    process = load_process(ROOT / "processes" / "cspr.yaml")
    source = dot_source(process, paper="a3", page=1)
    start = re.search(r"^\s*__start__ -> (\S+) \[([^\]]*)\]", source, re.MULTILINE)
    assert start.group(1) == "__enter__case_open" and "lhead=cluster_case_open" in start.group(2)
    layout = json.loads(
        subprocess.run(["dot", "-Tjson"], input=source.encode(), capture_output=True).stdout
    )
    where = {}
    for item in layout["objects"]:
        if "pos" in item:
            x, y = (float(v) for v in item["pos"].split(","))
            where[item["name"]] = (x, y)
        elif "bb" in item:
            x0, y0, x1, y1 = (float(v) for v in item["bb"].split(","))
            where[item["name"]] = ((x0 + x1) / 2, (y0 + y1) / 2)
    direction = re.search(r"rankdir=(\w+)", source).group(1)
    book = pages(process, "a3")
    first_row = process.states["case_open"].children
    if book[0].stack:
        first_row = first_row[: (len(first_row) + 1) // 2]
    points = [where[f"__lane__{region}"] for region in first_row]
    if direction == "LR":  # top to bottom: y falls
        assert [p[1] for p in points] == sorted((p[1] for p in points), reverse=True)
    else:
        assert [p[0] for p in points] == sorted(p[0] for p in points)


# -- Graphviz missing ------------------------------------------------------------------------


def test_without_dot_the_dot_format_works_and_others_fail_in_one_line(tmp_path, monkeypatch):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    ok = invoke(str(MINI), "--format", "dot")
    assert ok.exit_code == 0 and ok.output.startswith("digraph mini {")
    result = invoke(str(MINI), "-o", str(tmp_path / "mini.svg"))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [render.NOT_INSTALLED]
    assert render.NOT_INSTALLED == (
        "cspr: Graphviz 'dot' is not installed; install it with: apt-get install graphviz "
        "(Debian/Ubuntu) or brew install graphviz (macOS)"
    )


# -- --check and --write -----------------------------------------------------------------------


def _processes(tmp_path: Path) -> Path:
    folder = tmp_path / "processes"
    folder.mkdir()
    shutil.copy(MINI, folder / "mini.yaml")
    return folder


@needs_dot
def test_check_passes_on_fresh_diagrams_and_fails_on_a_stale_one(tmp_path):
    folder = _processes(tmp_path)
    out = tmp_path / "diagrams"
    out.mkdir()
    process = load_process(folder / "mini.yaml")
    (out / "mini.dot").write_text(dot_source(process), encoding="utf-8")
    (out / "mini.svg").write_text("<svg/>", encoding="utf-8")
    (out / "mini.pdf").write_bytes(render.print_pdf(process, "a3"))
    (out / "mini-a4.pdf").write_bytes(render.print_pdf(process, "a4"))
    env = {"CSPR_PROCESSES": str(folder)}

    fresh = invoke("--check", str(out), env=env)
    assert fresh.exit_code == 0, fresh.output

    yaml = folder / "mini.yaml"
    yaml.write_text(
        yaml.read_text(encoding="utf-8").replace("title: A minimal", "title: A changed"),
        encoding="utf-8",
    )
    stale = invoke("--check", str(out), env=env)
    assert stale.exit_code == 1
    lines = stale.stderr.splitlines()
    assert len(lines) == 1
    assert "mini.dot" in lines[0] and "cspr diagram --write" in lines[0]


def test_check_names_a_missing_diagram_and_one_without_a_process(tmp_path):
    folder = _processes(tmp_path)
    out = tmp_path / "diagrams"
    out.mkdir()
    (out / "gone.dot").write_text("digraph gone {}\n", encoding="utf-8")
    result = invoke("--check", str(out), env={"CSPR_PROCESSES": str(folder)})
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert any("mini.dot: missing" in line for line in lines)
    assert any("gone.dot" in line and "delete it" in line for line in lines)


@needs_dot
def test_write_then_check_passes(tmp_path):
    folder = _processes(tmp_path)
    out = tmp_path / "diagrams"
    env = {"CSPR_PROCESSES": str(folder)}
    written = invoke("--write", str(out), env=env)
    assert written.exit_code == 0, written.output
    names = ["mini-a4.pdf", "mini.dot", "mini.pdf", "mini.svg"]
    assert sorted(p.name for p in out.iterdir()) == names
    assert invoke("--check", str(out), env=env).exit_code == 0


def test_the_committed_diagrams_match_the_process_files():
    diagrams = ROOT / "diagrams"
    assert any(diagrams.glob("*.dot")), "the diagrams are committed beside the process files"
    lines = render.stale_diagrams(diagrams, ROOT / "processes")
    assert not lines, "\n".join(lines)


@needs_dot
def test_check_fails_on_a_pdf_that_prints_under_8_pt_or_is_too_big(tmp_path):
    folder = _processes(tmp_path)
    out = tmp_path / "diagrams"
    env = {"CSPR_PROCESSES": str(folder)}
    assert invoke("--write", str(out), env=env).exit_code == 0
    # The whole chart blown up to a poster: too big for A4; on a postcard: too small.
    source = dot_source(load_process(folder / "mini.yaml"), paper=None)
    for name, size in (("mini-a4.pdf", "20,14"), ("mini.pdf", "4,3")):
        sized = source.replace("digraph mini {", f'digraph mini {{\n\tsize="{size}!"', 1)
        (out / name).write_bytes(render_bytes(sized, "pdf"))
    result = invoke("--check", str(out), env=env)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 2, lines
    text = "\n".join(lines)
    assert re.search(r"mini\.pdf: page 1 prints its text at \d\.\d pt on A3, under 8 pt", text)
    assert re.search(r"mini-a4\.pdf: page 1 is \d+ x \d+ pt, larger than A4 landscape", text)


def test_every_page_of_the_committed_pdfs_fits_its_paper_and_prints_at_8_pt_or_more():
    """Read from the committed PDFs (no Graphviz run): A3 and A4, every shipped process."""
    diagrams = ROOT / "diagrams"
    assert any(diagrams.glob("*.pdf")), "the printable diagrams are committed too"
    for process in SHIPPED:
        for paper in ("a3", "a4"):
            path = diagrams / render.pdf_name(process.stem, paper, "a3")
            found = render.printed_pages(path.read_bytes())
            assert found, path
            for number, page in enumerate(found, start=1):
                assert page.fits(paper), (path.name, number, page)
                assert page.smallest >= render.MIN_PRINTED, (path.name, number, page)


@needs_dot
def test_printed_pages_reads_the_size_dot_scaled_the_text_to():
    process = load_process(MINI)
    for paper in ("a4", "a3"):
        source = dot_source(process, paper=paper, page=1)
        (page,) = render.printed_pages(render_bytes(source, "pdf"))
        assert page.smallest == pytest.approx(render.printed_font_size(source), abs=0.06)
        assert page.fits(paper)


# -- one case on the diagram ---------------------------------------------------------------


@pytest.fixture
def case_db(tmp_path):
    db = tmp_path / "c.db"
    with Store(db) as store:
        runtime = Runtime(store)
        facts = {"aware_on": "2019-12-20", "child_died": "true", "abuse_or_neglect": "known"}
        runtime.open(str(MINI), facts, on=D("2019-12-20"), ref="LA-1", by="tester")
        runtime.send("LA-1", "panel_notified", on=D("2019-12-23"), by="tester")
    return db


def test_case_overlay_marks_active_states_steps_and_overdue_deadlines(case_db):
    result = invoke(
        "--case", "LA-1", "--as-of", "2020-03-02", "--format", "dot",
        env={"CSPR_DB": str(case_db)},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    source = result.stdout
    nodes = {m.group(1): m.group(0) for m in re.finditer(r"^\s*(\w+) \[.*$", source, re.MULTILINE)}
    for active in ("notified", "reviewing"):
        assert "penwidth=4" in nodes[active], active
    for inactive in ("notifying", "reviewing_late", "publishing", "closed"):
        assert "penwidth=4" not in nodes[inactive], inactive
    assert "step 1" in source  # notifying → notified
    assert "OVERDUE" in source  # the rapid review was due on 2020-01-15
    assert "Case 1 (ref LA-1), as of 2020-03-02" in source


def test_steps_through_a_done_transition_are_numbered_in_order(case_db):
    with Store(case_db) as store:
        runtime = Runtime(store)
        runtime.send("LA-1", "review_done", on=D("2020-01-06"), by="tester")
        view = runtime.show("LA-1", D("2020-01-06"))
        record, rows = runtime.history("LA-1")
    overlay = render.case_overlay(view.process, record, rows, view.deadlines)
    process = view.process
    taken = {
        f"{key[0]}→{process.states[key[0]].transitions[key[1]].target}": numbers
        for key, numbers in overlay.steps.items()
    }
    assert taken == {
        "notifying→notified": (1,),
        "reviewing→reviewed": (2,),
        "response→publishing": (3,),
    }
    assert overlay.active == {"publishing"}


@needs_dot
def test_case_overlay_svg(case_db, tmp_path):
    out = tmp_path / "case.svg"
    result = invoke(
        "--case", "LA-1", "--as-of", "2020-03-02", "-o", str(out), "--paper", "none",
        env={"CSPR_DB": str(case_db)},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = svg_text(out.read_bytes())
    assert "OVERDUE" in text and "step 1" in text
