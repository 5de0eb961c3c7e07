"""The look of every diagram: page margins, fonts, inks and marks, and one palette of role
colours shared by every process (:data:`ROLE_COLOURS`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    pass


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
#: One colour per role in every process, keyed by role id, so a role looks the same in
#: every diagram. The roles of the shipped processes spread over the lightness range:
#: cspr's four roles get L* 95, 80, 68 and 56; scr's five 95, 86, 80, 74 and 62.
ROLE_COLOURS: Mapping[str, str] = {
    "local_authority": PALETTE[0][0],  # yellow
    "lscb": PALETTE[1][0],  # sky blue
    "partners": PALETTE[2][0],  # orange
    "lscb_chair": PALETTE[3][0],  # bluish green
    "panel": PALETTE[4][0],  # reddish purple
    "lead_reviewer": PALETTE[5][0],  # blue
    "reviewer": PALETTE[6][0],  # vermillion
}
#: Colours for any other role (a process of your own): the same Okabe-Ito hues at other
#: lightnesses (L* 95, 92, 90, 88, 83, 77), chosen by a hash of the role id, so a new role
#: keeps its colour from one diagram to the next (the next free one if two roles of one
#: process hash alike).
FALLBACK_COLOURS: tuple[tuple[str, str], ...] = (
    ("#E4F3FC", "pale sky blue"),
    ("#F9E7BE", "pale orange"),
    ("#C7EAE0", "pale bluish green"),
    ("#F0D6E4", "pale reddish purple"),
    ("#B1D4E7", "pale blue"),
    ("#EBB386", "pale vermillion"),
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
