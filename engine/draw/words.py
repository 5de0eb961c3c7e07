"""The words on a diagram: labels wrapped to width, facts, deadlines and conditions in
words from their titles, role abbreviations, and citations of the sources."""

from __future__ import annotations

import hashlib
import html
import re
import textwrap
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Deadline, Process, Transition
from .style import _STOP_WORDS, FALLBACK_COLOURS, ROLE_COLOURS, WRAP

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
    """ "Date the local authority ..." reads mid-sentence as "date the local authority ...",
    "A looked after child ..." as "a looked after child ..."."""
    first = title.split(" ", 1)[0]
    if first == "A" or (len(first) > 1 and first[0].isupper() and first[1:].islower()):
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
    from ..run.calendar import describe_rule

    words = describe_rule(deadline.rule, lambda name: fact_label(process, name))
    prefix = "must be " if deadline.force == "must" else ""
    if deadline.title:
        return f"{deadline.title}: {prefix}{words}"
    return f"{prefix}{words}" if prefix else words


def condition_text(process: Process, transition: Transition) -> str | None:
    """The transition's condition in words, every name by its title: a named condition
    by its title, a fact by its title, a step by its label; never an id."""
    if transition.guard is None:
        return None
    return _Words(process).top(transition.guard.tree)


#: How tightly each kind of condition binds (as in :mod:`engine.conditions.words`): a
#: looser one inside a tighter one is bracketed.
_OR, _AND, _NOT, _ATOM = 1, 2, 3, 5


class _Words:
    """A condition's tree in words, with the titles of the process in place of ids."""

    def __init__(self, process: Process) -> None:
        self.process = process

    def top(self, node: object) -> str:
        from ..conditions.syntax import Name

        condition = self.process.conditions.get(node.name) if isinstance(node, Name) else None
        if condition is not None and not condition.title:
            return self.plain(condition.expression.tree)  # on its own: no brackets
        return self.plain(node)

    def name(self, name: str) -> str:
        condition = self.process.conditions.get(name)
        if condition is not None:
            if condition.title:
                return _sentence_case(condition.title)
            return self.tree(condition.expression.tree, _NOT)
        if name in self.process.facts:
            return fact_label(self.process, name)
        return name.replace("_", " ")

    def step(self, name: str) -> str:
        state = self.process.states.get(name)
        return f"\u201c{state.label}\u201d" if state is not None else name.replace("_", " ")

    def tree(self, node: object, needed: int) -> str:
        from ..conditions.syntax import And, Compare, IsActive, IsSet, Name, Not, Or

        text = self.plain(node)
        if isinstance(node, Name):
            # A title of several words joined by "and", "or" or a comma is bracketed
            # wherever it is not the whole condition.
            loose = needed > _OR and re.search(r",|;| and | or ", text)
            return f"({text})" if loose else text
        binding = {Or: _OR, And: _AND, Not: _NOT, Compare: 4, IsSet: 4, IsActive: 4}.get(
            type(node), _ATOM
        )
        return f"({text})" if binding < needed else text

    def plain(self, node: object) -> str:
        from ..conditions import syntax as c
        from ..conditions.words import describe_tree

        if isinstance(node, c.Name):
            return self.name(node.name)
        if isinstance(node, c.Or):
            return " or ".join(self.tree(op, _OR) for op in node.operands)
        if isinstance(node, c.And):
            return " and ".join(self.tree(op, _AND) for op in node.operands)
        if isinstance(node, c.Not):
            inner = node.operand
            if isinstance(inner, (c.IsSet, c.IsActive)):
                return self.plain(type(inner)(inner.name, not inner.negated))
            if isinstance(inner, c.Name):
                return f"not ({self.plain(inner)})"
            return "not " + self.tree(inner, _ATOM)
        if isinstance(node, c.IsSet):
            return f"{self.name(node.name.name)} is {'not ' if node.negated else ''}recorded"
        if isinstance(node, c.IsActive):
            return f"{self.step(node.name.name)} is {'not ' if node.negated else ''}under way"
        if isinstance(node, c.Compare):
            # Described by the conditions' own words, then the fact ids given their titles.
            names = [n.name for n in (node.left, node.right) if isinstance(n, c.Name)]
            return _with_fact_titles(self.process, describe_tree(node, 0), names)
        return describe_tree(node, 0)  # type: ignore[arg-type]  # a literal or a list


def _with_fact_titles(process: Process, words: str, names: Iterable[str]) -> str:
    """Described comparisons name facts by id ("aware on"); use their titles."""
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


def role_fill(role_id: str, taken: Iterable[str] = ()) -> str:
    """The fill of a role in every diagram: :data:`ROLE_COLOURS` for a known role id, else
    one of :data:`FALLBACK_COLOURS` picked by a hash of the id (not Python's ``hash``,
    which changes between runs), skipping the colours in ``taken`` while any is free."""
    known = ROLE_COLOURS.get(role_id)
    if known is not None:
        return known
    colours = [colour for colour, _ in FALLBACK_COLOURS]
    start = int.from_bytes(hashlib.sha256(role_id.encode("utf-8")).digest()[:4], "big")
    ordered = [colours[(start + i) % len(colours)] for i in range(len(colours))]
    used = set(taken)
    return next((colour for colour in ordered if colour not in used), ordered[0])


def role_fills(process: Process) -> dict[str, str]:
    """Each role's fill (:func:`role_fill`): the same for a role id in every process."""
    fills: dict[str, str] = {}
    for role in process.roles:
        if role in ROLE_COLOURS:
            fills[role] = ROLE_COLOURS[role]
    for role in process.roles:
        if role not in fills:
            fills[role] = role_fill(role, fills.values())
    return {role: fills[role] for role in process.roles}


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
