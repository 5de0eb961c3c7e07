"""Which events a case can take now, and in words why the others are refused.

Works from the model alone (no statechart library), so ``cspr case show`` stays fast.
Transition selection follows the chart's rule: the innermost active state with an enabled
transition for the event wins, and within a state the first enabled in document order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..conditions import Context
from ..frozen import Frozen, field
from ..model import Process, Transition
from ..problems import did_you_mean


class EventCheck(Frozen):
    """Whether an event is allowed now, the transitions it would take, and why not."""

    name: str
    allowed: bool
    transitions: tuple[Transition, ...] = ()
    reasons: tuple[str, ...] = field(default=())

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "allowed": self.allowed}
        if not self.allowed:
            data["reason"] = self.reason
        return data


def context(process: Process, facts: Mapping[str, Any], active: list[str], today: dt.date):
    return Context({**facts, "today": today}, process.expressions, set(active))


def events_now(process: Process, active: list[str]) -> list[str]:
    """Events the active states listen for, in document order."""
    seen: dict[str, None] = {}
    for state_id in process.sort_outermost_first(active):
        for transition in process.states[state_id].transitions:
            if transition.trigger == "event" and transition.event:
                seen.setdefault(transition.event)
    return list(seen)


def check_event(
    process: Process,
    active: list[str],
    facts: Mapping[str, Any],
    event: str,
    today: dt.date,
) -> EventCheck:
    """Would ``event`` on ``today`` move the case, and if not, why not?"""
    ctx = context(process, facts, active, today)
    candidates = [
        t
        for state_id in reversed(process.sort_outermost_first(active))
        for t in process.states[state_id].transitions
        if t.trigger == "event" and t.event == event
    ]
    if not candidates:
        expected = events_now(process, active)
        if event not in process.events():
            hint = did_you_mean(event, process.events())
            return EventCheck(
                event,
                False,
                reasons=(f"'{event}' is not an event of process '{process.id}'{hint}",),
            )
        where = ", ".join(process.leaves(active)) or "no state"
        return EventCheck(
            event,
            False,
            reasons=(
                f"'{event}' is not expected now: the case is in {where}; "
                f"expected now: {', '.join(expected) or 'nothing'}",
            ),
        )
    chosen: list[Transition] = []
    regions_done: set[str] = set()
    reasons: list[str] = []
    for transition in candidates:
        region = _region(process, transition.source_state)
        if region in regions_done:
            continue
        if transition.guard is None or transition.guard.evaluate(ctx) is True:
            chosen.append(transition)
            regions_done.add(region)
        else:
            target = process.states[transition.target].label
            why = "; ".join(transition.guard.explain(ctx))
            reasons.append(f"not to '{target}' because {why}")
    if chosen:
        return EventCheck(event, True, tuple(chosen))
    return EventCheck(event, False, reasons=tuple(reasons))


def _region(process: Process, state_id: str) -> str:
    """The nearest ancestor region a transition belongs to (for parallel selection)."""
    chain = [state_id, *process.ancestors(state_id)]
    for node in chain:
        parent = process.states[node].parent
        if parent is not None and process.states[parent].kind == "parallel":
            return node
    return ""


def check_all(
    process: Process, active: list[str], facts: Mapping[str, Any], today: dt.date
) -> list[EventCheck]:
    return [check_event(process, active, facts, e, today) for e in events_now(process, active)]
