"""Only https, http and mailto addresses in sources (issue 19, finding 3): a
``url: "javascript:..."`` once passed ``validate`` and became a clickable link in the SVG.
``validate`` refuses any other kind at its line, and the diagram never links to one, even
for a case pinned to a process text that was accepted before."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from cspr_engine.draw import dot_source, link_address, render_bytes
from cspr_engine.format.loader import LoadError, load_process
from cspr_engine.frozen import replace

TESTS = Path(__file__).resolve().parent
HOSTILE = TESTS / "hostile" / "javascript_url.yaml"

REFUSED = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " https://www.gov.uk/",
    "javascript://www.gov.uk/%0Aalert(1)",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "file:///etc/passwd",
    "ftp://example.org/x",
    "//evil.example/x",
    "www.gov.uk",
    "https:",
    "https:www.gov.uk",
    "https://www.gov.uk/a b",
    "mailto:",
    "javascript&#58;alert(1)",
]
ALLOWED = [
    "https://www.gov.uk/government/publications/working-together-to-safeguard-children--2",
    "http://www.legislation.gov.uk/ukpga/2004/31/section/16C",
    "HTTPS://WWW.GOV.UK/",
    "mailto:panel@example.gov.uk",
]


def with_url(tmp_path: Path, url: str) -> Path:
    text = HOSTILE.read_text(encoding="utf-8")
    written = re.sub(r"(?m)^    url: .*$", f"    url: '{url}'", text)
    path = tmp_path / "process.yaml"
    path.write_text(written, encoding="utf-8")
    return path


def test_the_hostile_file_is_refused_at_the_url() -> None:
    with pytest.raises(LoadError) as caught:
        load_process(HOSTILE)
    [problem] = caught.value.problems
    line = next(n for n, text in enumerate(HOSTILE.read_text().splitlines(), 1) if "url:" in text)
    assert problem.where.line == line
    assert "https://" in problem.message and "mailto:" in problem.message


@pytest.mark.parametrize("url", REFUSED)
def test_validate_refuses_every_other_kind_of_address(tmp_path: Path, url: str) -> None:
    with pytest.raises(LoadError) as caught:
        load_process(with_url(tmp_path, url))
    assert [p.where.line for p in caught.value.problems] == [9]
    assert link_address(url) is None


@pytest.mark.parametrize("url", ALLOWED)
def test_https_http_and_mailto_are_allowed_and_linked(tmp_path: Path, url: str) -> None:
    process = load_process(with_url(tmp_path, url))
    assert process.sources["wt"].url == url
    assert link_address(url) == url
    assert f'HREF="{url}"' in dot_source(process)


@pytest.mark.parametrize("url", REFUSED)
def test_the_diagram_never_links_to_another_kind(tmp_path: Path, url: str) -> None:
    """As for a case pinned to a process text accepted before the schema refused it."""
    process = load_process(with_url(tmp_path, ALLOWED[0]))
    source = replace(process.sources["wt"], url=url)
    pinned = replace(process, sources={**process.sources, "wt": source})
    text = dot_source(pinned)
    assert "HREF" not in text
    for href in re.findall(r'HREF="([^"]*)"', text):
        assert href.startswith(("https://", "http://", "mailto:"))


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz (dot) is not installed")
def test_no_svg_link_but_https_http_or_mailto(tmp_path: Path) -> None:
    process = load_process(with_url(tmp_path, ALLOWED[0]))
    source = replace(process.sources["wt"], url="javascript:alert(document.domain)")
    pinned = replace(process, sources={**process.sources, "wt": source})
    svg = render_bytes(dot_source(pinned), "svg").decode("utf-8")
    links = re.findall(r'href="([^"]*)"', svg)
    assert all(link.startswith(("https://", "http://", "mailto:")) for link in links), links
