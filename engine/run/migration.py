"""A case moved from one text of its process to another: the ``migrate`` input.

A migration is an input like any other (:mod:`engine.run.record`): inputs before it are
taken under the old text, inputs after it under the new. Its history row keeps what it
did, so that replay needs nothing else: both texts' hashes, the plan's hash, where each
step goes, what happens to each deadline, and the facts' defaults.

Moving a case, on the day of the move (the old text's clock first brought up to it):

- **Steps**: each step the case is in goes where the plan maps it (a step of the same id
  by default); the new configuration is completed with the steps a compound or parallel
  step enters by default. A step mapped nowhere refuses the move.
- **Facts**: kept where the new text declares them (in its types); the plan's defaults
  are given to a case without them; a fact the plan marks required refuses a case
  without it.
- **Deadlines**: an open one keeps its due date (``keep``, where its rule changed: its
  explanation then says so and it is not worked out again) or is worked out again under
  the new rule (``recompute``), as the plan says for it by the step of the old text that
  holds it (``STEP.deadline``: one process may have a deadline of the same id in several
  steps; a migration recorded before says the id alone, for that deadline in every
  step, and is replayed so); one the new text does not have in that step is closed
  (``lapsed``, or ``missed`` if it had already passed undone); one the new text adds to a
  step the case is in is armed on the day of the move. A due date that would fall before
  the move without having been passed under the old text refuses the move: it would be
  overdue without ever having been seen pending.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from ..frozen import Frozen, field, replace
from ..model import Deadline, Process
from . import facts as fact_values
from .records import CaseRecord, DeadlineRow

#: How the explanation of a deadline that kept its due date across a move starts: such a
#: deadline is not worked out again from the facts.
KEPT = "kept from "


class Migration(Frozen):
    """What a ``migrate`` input applies (its history row keeps it as JSON)."""

    old_hash: str
    new_hash: str
    old_version: str
    new_version: str
    #: SHA-256 of the plan file's text.
    plan: str
    states: Mapping[str, str | None] = field(default_factory=dict)
    #: ``STEP.deadline`` (:func:`deadline_key`) → "keep" or "recompute"; a key without a
    #: step (written before steps were named) stands for the deadline in every step.
    deadlines: Mapping[str, str] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    required: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "from": {"hash": self.old_hash, "version": self.old_version},
            "to": {"hash": self.new_hash, "version": self.new_version},
            "plan": self.plan,
            "states": dict(self.states),
            "deadlines": dict(self.deadlines),
            "defaults": dict(self.defaults),
            "required": list(self.required),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Migration:
        return cls(
            old_hash=data["from"]["hash"],
            new_hash=data["to"]["hash"],
            old_version=str(data["from"]["version"]),
            new_version=str(data["to"]["version"]),
            plan=data["plan"],
            states=dict(data.get("states") or {}),
            deadlines=dict(data.get("deadlines") or {}),
            defaults=dict(data.get("defaults") or {}),
            required=tuple(data.get("required") or ()),
        )


#: The key of a ``migrate`` row's ``facts_given`` that holds the migration.
KEY = "migrate"


def deadline_key(state: str, deadline: str) -> str:
    """How a plan and a migration name a deadline: ``STEP.deadline``, the step of the
    old text that holds it (a process may have a deadline of one id in several steps)."""
    return f"{state}.{deadline}"


def choice_for(migration: Migration, state: str, deadline: str) -> str:
    """What ``migration`` says for an open ``deadline`` of the old text's ``state``: by
    ``STEP.deadline``, else by the id alone (a migration recorded before steps were
    named), else ``recompute``."""
    said = migration.deadlines.get(deadline_key(state, deadline))
    return said or migration.deadlines.get(deadline, "recompute")


class NotMoved(Exception):
    """The case cannot be moved; ``reasons`` says every reason."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


Due = Callable[[Deadline, str, Mapping[str, Any]], tuple[str | None, str]]


def move(
    old: Process,
    new: Process,
    case: CaseRecord,
    migration: Migration,
    on: dt.date,
    due_of: Due,
) -> tuple[CaseRecord, list[str]]:
    """``case`` (derived up to ``on`` under ``old``) as it stands in ``new`` on ``on``,
    and notes on what the move did; raises :class:`NotMoved` with every reason it cannot."""
    reasons: list[str] = []
    notes: list[str] = []
    iso = on.isoformat()
    mapped = {s: _target(migration, new, s) for s in case.states}
    for state in old.leaves(case.states):
        if mapped[state] is None:
            reasons.append(
                f"it is in '{old.states[state].label}' ({state}), which the plan maps to no "
                f"step of {new.id} {new.version}: map it in the plan"
            )
    if reasons:
        raise NotMoved(reasons)
    states = _configuration(new, {t for t in mapped.values() if t is not None}, reasons)
    facts = _facts(old, new, case.facts, migration, reasons, notes)
    typed = fact_values.from_json(new, facts) if not reasons else {}
    deadlines: list[DeadlineRow] = []
    have: set[tuple[str, str]] = set()
    for row in case.deadlines:
        target = mapped.get(row.state) or (row.state if row.state in new.states else None)
        if row.status != "open":
            deadlines.append(row)
            have.add((target or row.state, row.name))
            continue
        rule = new.deadline(target, row.name) if target in states else None
        if rule is None:
            status = "missed" if row.due is not None and row.due < iso else "lapsed"
            deadlines.append(replace(row, status=status, closed_on=iso))
            notes.append(
                f"{deadline_key(row.state, row.name)}: {status} (the new text has no such "
                "deadline there)"
            )
            continue
        assert target is not None
        have.add((target, row.name))
        deadlines.append(
            _carried(old, rule, row, target, typed, migration, on, due_of, reasons, notes)
        )
    for state in states:
        for deadline in new.states[state].deadlines:
            if (state, deadline.id) in have:
                continue
            due, explanation = due_of(deadline, iso, typed) if not reasons else (None, "")
            key = deadline_key(state, deadline.id)
            if due is not None and due < iso:
                reasons.append(
                    f"{key} (new in {new.version}) would be due {due}, before the move "
                    f"on {iso}: it would be overdue without ever having been pending"
                )
            deadlines.append(DeadlineRow(state, deadline.id, iso, due, explanation))
            notes.append(f"{key}: armed (due {due or 'not yet known'})")
    if reasons:
        raise NotMoved(reasons)
    moved = replace(
        case,
        process=new.id,
        version=new.version,
        hash=migration.new_hash,
        states=new.sort_outermost_first(states),
        facts=facts,
        deadlines=tuple(deadlines),
    )
    return moved, notes


def _target(migration: Migration, new: Process, state: str) -> str | None:
    if state in migration.states:
        return migration.states[state]
    return state if state in new.states else None


def _configuration(new: Process, targets: set[str], reasons: list[str]) -> set[str]:
    """The mapped steps, their ancestors, and the steps entered by default with them."""
    active = set(targets)
    for state in targets:
        active.update(new.ancestors(state))
    changed = True
    while changed:
        changed = False
        for state in list(active):
            spec = new.states[state]
            if spec.kind == "parallel":
                missing = [c for c in spec.children if c not in active]
            elif spec.kind == "compound" and not any(c in active for c in spec.children):
                missing = [spec.initial] if spec.initial else []
            else:
                missing = []
            for child in missing:
                active.update(new.entry_set(child))
                changed = True
    for state in active:
        spec = new.states[state]
        inside = [c for c in spec.children if c in active]
        if spec.kind == "compound" and len(inside) > 1:
            names = ", ".join(new.states[c].label for c in inside)
            reasons.append(
                f"the plan puts it in {names} at once, all inside '{spec.label}', where a "
                "case is in one step at a time: map them to one step"
            )
    return active


def _facts(
    old: Process,
    new: Process,
    facts: Mapping[str, Any],
    migration: Migration,
    reasons: list[str],
    notes: list[str],
) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for name, value in facts.items():
        if name not in new.facts:
            notes.append(f"fact {name} left out: {new.id} {new.version} does not have it")
            continue
        try:
            kept[name] = fact_values.to_json(fact_values.coerce(new, name, value))
        except fact_values.FactError as error:
            reasons.append(f"its fact {name} = {value!r} does not fit the new text: {error}")
    for name, value in migration.defaults.items():
        if name not in kept and name in new.facts:
            kept[name] = fact_values.to_json(fact_values.coerce(new, name, value))
            notes.append(f"fact {name} = {kept[name]} (the plan's default)")
    for name in migration.required:
        if name not in kept:
            title = new.facts[name].title if name in new.facts else None
            reasons.append(
                f"the new text needs fact {name}"
                + (f" ({title})" if title else "")
                + ", which it does not have and the plan marks required: give the plan a "
                "default for it, or move this case with a plan that does"
            )
    return kept


def _carried(
    old: Process,
    rule: Deadline,
    row: DeadlineRow,
    target: str,
    facts: Mapping[str, Any],
    migration: Migration,
    on: dt.date,
    due_of: Due,
    reasons: list[str],
    notes: list[str],
) -> DeadlineRow:
    """An open deadline carried into the new text."""
    iso = on.isoformat()
    before = old.deadline(row.state, row.name)
    key = deadline_key(row.state, row.name)
    choice = choice_for(migration, row.state, row.name)
    if choice == "keep" and (before is None or before.rule != rule.rule):
        explanation = f"{KEPT}{old.id} {old.version} on the move to {migration.new_version}: "
        return replace(row, state=target, explanation=explanation + row.explanation)
    if row.explanation.startswith(KEPT) and choice == "keep":
        return replace(row, state=target)
    due, explanation = due_of(rule, row.armed_on, facts)
    if due is not None and due < iso and (row.due is None or row.due >= iso):
        reasons.append(
            f"{key} would be due {due} under the new rules, before the move on {iso}, "
            f"though it was due {row.due or 'on a date not yet known'}: it would fall into the "
            f"past unnoticed; keep its due date in the plan ({key}: keep), or move the case "
            "earlier"
        )
    if due != row.due:
        notes.append(f"{key}: due {row.due or 'not known'} → {due or 'not known'}")
    raised = row.raised_on if due is not None and due < iso else None
    return replace(row, state=target, due=due, explanation=explanation, raised_on=raised)
