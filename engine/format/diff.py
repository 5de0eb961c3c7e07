"""What changed between two texts of a process, in words, for a policy lead to review
(``cspr process diff``): steps, transitions, deadlines, facts, conditions, roles and
sources added, removed or changed, each with its id and title, grouped by step.

Only what a rule says is compared (where it is written, or how it is wrapped, is not):
two texts that differ only in comments or layout have no differences.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ..frozen import Frozen, field
from ..model import ENTRY, Before, Deadline, DueRule, EarliestOf, OnDate, Process, State, Within
from ..model import Transition as Arrow


class Change(Frozen):
    """One difference: ``kind`` is added, removed or changed; ``what`` the kind of rule
    (step, transition, deadline, fact, condition, role, source, process); ``details``
    say, for a change, each field's old and new value in words."""

    kind: str
    what: str
    id: str
    title: str | None = None
    #: The step it belongs to (a transition's or a deadline's), else None.
    step: str | None = None
    details: tuple[tuple[str, str, str], ...] = ()
    #: For an added or removed rule: what it says, in words.
    says: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "what": self.what,
            "id": self.id,
            "title": self.title,
            "step": self.step,
            "says": self.says,
            "changes": [{"field": f, "old": a, "new": b} for f, a, b in self.details],
        }

    def line(self) -> str:
        mark = {"added": "+", "removed": "-", "changed": "~"}[self.kind]
        name = f"{self.what} {self.id}" + (f' "{self.title}"' if self.title else "")
        if self.kind == "changed":
            parts = "; ".join(f"{f}: {' → '.join(_short_pair(a, b))}" for f, a, b in self.details)
            return f"{mark} {name}: {parts}"
        return f"{mark} {name}" + (f": {self.says}" if self.says else "")


class Report(Frozen):
    """Every difference from ``old`` to ``new``."""

    old: str
    new: str
    changes: tuple[Change, ...] = field(default=())
    #: Step ids in the order they are reported (new text's order, then removed ones).
    steps: tuple[str, ...] = ()
    step_titles: Mapping[str, str] = field(default_factory=dict)

    @property
    def same(self) -> bool:
        return not self.changes

    def counts(self) -> dict[str, int]:
        counts = {"added": 0, "removed": 0, "changed": 0}
        for change in self.changes:
            counts[change.kind] += 1
        return counts

    def as_json(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "same": self.same,
            "counts": self.counts(),
            "changes": [c.as_json() for c in self.changes],
        }

    def lines(self) -> list[str]:
        out = [f"From {self.old}", f"to   {self.new}"]
        if self.same:
            return [*out, "", "No differences in what the rules say."]
        groups: dict[str, list[Change]] = {}
        for change in self.changes:
            if change.what == "step" or change.step is not None:
                continue
            groups.setdefault(change.what, []).append(change)
        for what, heading in _HEADINGS:
            if groups.get(what):
                out += ["", heading, *(f"  {c.line()}" for c in groups[what])]
        steps = [s for s in self.steps if self._step_changes(s)]
        if steps:
            out += ["", "Steps"]
        for step in steps:
            own = [c for c in self.changes if c.what == "step" and c.id == step]
            rest = [c for c in self.changes if c.step == step]
            title = self.step_titles.get(step)
            if own and own[0].kind != "changed":
                out.append(f"  {own[0].line()}")
            else:
                out.append(f"  {step}" + (f' "{title}"' if title else ""))
                rest = own + rest
            out += [f"    {c.line()}" for c in rest]
        counts = self.counts()
        out += [
            "",
            f"{len(self.changes)} difference(s): {counts['added']} added, "
            f"{counts['removed']} removed, {counts['changed']} changed",
        ]
        return out

    def _step_changes(self, step: str) -> bool:
        return any(c.step == step or (c.what == "step" and c.id == step) for c in self.changes)


_HEADINGS = (
    ("process", "Process"),
    ("fact", "Facts"),
    ("condition", "Conditions"),
    ("role", "Roles"),
    ("source", "Sources"),
)


def diff_processes(old: Process, new: Process, old_name: str = "", new_name: str = "") -> Report:
    """Every difference from ``old`` to ``new``."""
    changes: list[Change] = []
    changes += _process_changes(old, new)
    changes += _table(
        "fact", old.facts, new.facts, ("type", "options", "title", "description", "source")
    )
    changes += _table(
        "condition",
        old.conditions,
        new.conditions,
        ("expression", "title", "description", "source"),
    )
    changes += _table("role", old.roles, new.roles, ("title", "description"))
    changes += _table("source", old.sources, new.sources, ("title", "url"))
    steps = [*new.states, *(s for s in old.states if s not in new.states)]
    titles = {}
    for step in steps:
        a, b = old.states.get(step), new.states.get(step)
        either = b or a
        titles[step] = either.label if either is not None else step
        changes += _step_changes(old, new, step, a, b)
    return Report(
        old_name or _name(old),
        new_name or _name(new),
        tuple(changes),
        tuple(steps),
        titles,
    )


def _name(process: Process) -> str:
    return f"{process.id} {process.version} ({process.file})"


def _process_changes(old: Process, new: Process) -> list[Change]:
    details = []
    for name in ("id", "version", "title", "description", "initial"):
        a, b = getattr(old, name), getattr(new, name)
        if a != b:
            details.append((name, _words(a), _words(b)))
    if _period(old) != _period(new):
        details.append(("in force", _period(old), _period(new)))
    if old.chosen_by != new.chosen_by:
        details.append(
            ("chosen by", old.chosen_by or "the opening date", new.chosen_by or "the opening date")
        )
    return (
        [Change("changed", "process", new.id, new.title, details=tuple(details))] if details else []
    )


def _period(process: Process) -> str:
    start, until = process.in_force_from, process.in_force_until
    if start is None and until is None:
        return "no period"
    return f"{start or 'always'} to {until or 'no end yet'}"


def _table(what: str, old: Mapping[str, Any], new: Mapping[str, Any], fields: Iterable[str]):
    fields = tuple(fields)
    for key in [*new, *(k for k in old if k not in new)]:
        a, b = old.get(key), new.get(key)
        title = getattr(b or a, "title", None)
        if a is None:
            yield Change("added", what, key, title, says=_says(what, b))
        elif b is None:
            yield Change("removed", what, key, title, says=_says(what, a))
        else:
            details = tuple(
                (name, _words(getattr(a, name)), _words(getattr(b, name)))
                for name in fields
                if getattr(a, name) != getattr(b, name)
            )
            if details:
                yield Change("changed", what, key, title, details=details)


def _says(what: str, item: Any) -> str | None:
    if what == "fact":
        options = f" ({', '.join(item.options)})" if item.options else ""
        return f"a {item.type}{options}"
    if what == "condition":
        return f"when {item.expression.text}"
    if what == "source":
        return item.url
    return None


def _step_changes(old: Process, new: Process, step: str, a: State | None, b: State | None):
    if a is None or b is None:
        state = b or a
        assert state is not None
        where = f"in {state.parent}" if state.parent else "at the top"
        parts = [f"a {state.kind} step {where}"]
        parts += [f"deadline {d.id} ({rule_words(d.rule)})" for d in state.deadlines]
        parts += [_arrow_words(t) for t in state.transitions]
        kind = "added" if a is None else "removed"
        return [Change(kind, "step", step, state.title, says="; ".join(parts))]
    changes = []
    details = tuple(
        (name, _words(getattr(a, name)), _words(getattr(b, name)))
        for name in ("title", "kind", "parent", "initial", "by", "force", "source", "description")
        if getattr(a, name) != getattr(b, name)
    )
    if details:
        changes.append(Change("changed", "step", step, b.title, details=details))
    changes += _deadline_changes(step, a.deadlines, b.deadlines)
    changes += _arrow_changes(step, a.transitions, b.transitions)
    return changes


def _deadline_changes(step: str, old: Iterable[Deadline], new: Iterable[Deadline]):
    was, now = {d.id: d for d in old}, {d.id: d for d in new}
    for key in [*now, *(k for k in was if k not in now)]:
        a, b = was.get(key), now.get(key)
        if a is None or b is None:
            d = b or a
            assert d is not None
            says = f"{rule_words(d.rule)}, {d.force}" + (f", by {d.by}" if d.by else "")
            kind = "added" if a is None else "removed"
            yield Change(kind, "deadline", key, d.title, step=step, says=says)
            continue
        details = []
        if a.rule != b.rule:
            details.append(("period", rule_words(a.rule), rule_words(b.rule)))
        for name in ("title", "by", "force", "raises", "minimum", "met_by", "source"):
            if getattr(a, name) != getattr(b, name):
                details.append((name, _words(getattr(a, name)), _words(getattr(b, name))))
        if details:
            yield Change("changed", "deadline", key, b.title, step=step, details=tuple(details))


def _arrow_key(t: Arrow) -> tuple[str, str | None, str]:
    return (t.trigger, t.event, t.target)


def _arrow_changes(step: str, old: Iterable[Arrow], new: Iterable[Arrow]):
    was: dict[tuple[Any, ...], Arrow] = {}
    now: dict[tuple[Any, ...], Arrow] = {}
    for table, arrows in ((was, old), (now, new)):
        for arrow in arrows:
            key = _arrow_key(arrow)
            n = sum(1 for k in table if k[:3] == key)
            table[(*key, n)] = arrow
    for key in [*now, *(k for k in was if k not in now)]:
        a, b = was.get(key), now.get(key)
        ident = _arrow_id(key)
        if a is None or b is None:
            t = b or a
            assert t is not None
            kind = "added" if a is None else "removed"
            yield Change(kind, "transition", ident, t.title, step=step, says=_arrow_words(t))
            continue
        details = []
        if (a.guard and a.guard.text) != (b.guard and b.guard.text):
            details.append(("when", _guard(a), _guard(b)))
        for name in ("title", "by", "records", "source"):
            if getattr(a, name) != getattr(b, name):
                details.append((name, _words(getattr(a, name)), _words(getattr(b, name))))
        if details:
            yield Change("changed", "transition", ident, b.title, step=step, details=tuple(details))


def _arrow_id(key: tuple[Any, ...]) -> str:
    trigger, event, target, n = key
    start = (
        f"on {event}"
        if trigger == "event"
        else f"({'as soon as' if trigger == 'always' else 'when done'})"
    )
    return f"{start} → {target}" + (f" #{n + 1}" if n else "")


def _arrow_words(t: Arrow) -> str:
    start = f"on {t.event}" if t.trigger == "event" else t.label
    words = f"{start} → {t.target}"
    if t.guard is not None:
        words += f" when {t.guard.text}"
    if t.records:
        words += f", records {t.records}"
    return words


def _guard(t: Arrow) -> str:
    return t.guard.text if t.guard is not None else "(always)"


def rule_words(rule: DueRule) -> str:
    """A due rule as a policy lead writes it: "5 working days from aware_on"."""
    if isinstance(rule, Within):
        base = "entering the step" if rule.base == ENTRY else rule.base
        return f"{rule.duration} from {base}"
    if isinstance(rule, Before):
        return f"{rule.duration} before {rule.base}"
    if isinstance(rule, OnDate):
        return f"on {rule.date.isoformat()}"
    if isinstance(rule, EarliestOf):
        return "the earliest of " + "; ".join(rule_words(r) for r in rule.rules)
    return str(rule)


def _words(value: Any) -> str:
    if value is None or value == ():
        return "(none)"
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    text = value.text if hasattr(value, "text") else str(value)
    text = " ".join(text.split())
    return json.dumps(text, ensure_ascii=False) if len(text) > 60 or " " in text else text


def _short(words: str, most: int = 90) -> str:
    """A long value cut for a line (``--json`` gives it whole)."""
    if len(words) <= most:
        return words
    return words[: most - 4].rstrip() + ' …"'


def _short_pair(old: str, new: str, most: int = 90) -> tuple[str, str]:
    """Two long values cut to where they start to differ, so that a line shows the change
    itself, not the words they share."""
    if len(old) <= most and len(new) <= most:
        return old, new
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    start = max(0, old.rfind(" ", 0, max(0, start - 20)) + 1)
    cut = [w[start:] for w in (old, new)]
    mark = '"…' if start and old.startswith('"') else ("…" if start else "")
    return tuple(mark + _short(w, most) for w in cut)  # type: ignore[return-value]
