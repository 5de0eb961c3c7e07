"""Case references: stored as typed (trimmed, NFC), and kept apart from look-alikes.

Two references that a person reading a list could take for one another must not name two
cases: ``LA-7``, ``"LA-7 "``, ``la-7``, the full-width ``ＬＡ-7`` and ``LА-7`` with a
Cyrillic А. :func:`skeleton` folds what a reader cannot tell apart (case, width and
compatibility forms, white space, and Latin look-alikes from the Cyrillic and Greek
alphabets, after Unicode's confusables list) so that the store can keep one case per
skeleton.
"""

from __future__ import annotations

import unicodedata

#: Letters of other scripts that print like Latin ones (lower case, after casefold):
#: the common part of Unicode's confusables for Cyrillic and Greek.
_LOOK_ALIKES = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
        "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j",
        "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ɡ": "g", "һ": "h", "ӏ": "l",
        "α": "a", "β": "b", "ε": "e", "ζ": "z", "η": "n", "ι": "i", "κ": "k", "μ": "u",
        "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w",
        "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "−": "-", "﹘": "-",
    }
)  # fmt: skip


def normal(ref: str) -> str:
    """A reference as stored: trimmed, in Unicode's composed form (NFC)."""
    return unicodedata.normalize("NFC", ref.strip())


def skeleton(ref: str) -> str:
    """What a reader sees of a reference: equal skeletons are references that look alike."""
    folded = unicodedata.normalize("NFKC", ref).casefold().translate(_LOOK_ALIKES)
    return "".join(folded.split())
