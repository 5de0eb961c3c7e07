"""What ``cspr explore`` finds (:mod:`engine.run.explore` finds it): the steps of a path,
each property's verdict with its counterexample, what is never reached and why, and the
whole exploration, each as JSON for ``--json`` and in words for the terminal."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..model import Process, Property, Transition
from . import facts as fact_values


@dataclass
class Step:
    """One thing done to a case on a path: ``open`` (with facts), ``send`` an event
    (with facts), ``set`` facts, or ``tick`` (time passes up to ``on``)."""

    action: str
    on: dt.date
    event: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        facts = {k: fact_values.to_json(v) for k, v in self.facts.items()}
        if self.action == "open":
            return {"open": facts, "on": self.on.isoformat()}
        if self.action == "tick":
            return {"tick": self.on.isoformat()}
        if self.action == "set":
            return {"set": facts, "on": self.on.isoformat()}
        found: dict[str, Any] = {"send": self.event, "on": self.on.isoformat()}
        if facts:
            found["facts"] = facts
        return found

    def words(self) -> str:
        """The step in a sentence: ``2019-09-29  send lscb_notified with x=true``."""
        facts = self._facts(", ")
        day = self.on.isoformat()
        if self.action == "open":
            return f"{day}  open" + (f" with {facts}" if facts else "")
        if self.action == "tick":
            return f"{day}  time passes to {day}"
        if self.action == "set":
            return f"{day}  set {facts}"
        return f"{day}  send {self.event}" + (f" with {facts}" if facts else "")

    def brief(self) -> str:
        """The step in a few words, for a path on one line: ``lscb_notified 2019-09-29``."""
        facts = self._facts(",")
        day = self.on.isoformat()
        if self.action == "open":
            return f"open {day}" + (f" [{facts}]" if facts else "")
        if self.action == "tick":
            return f"tick {day}"
        if self.action == "set":
            return f"set {facts} {day}"
        return f"{self.event} {day}" + (f" [{facts}]" if facts else "")

    def _facts(self, separator: str) -> str:
        return separator.join(f"{k}={fact_values.to_json(v)}" for k, v in self.facts.items())


@dataclass
class Checked:
    """A property and its verdict: the shortest counterexample when it fails."""

    property: Property
    holds: bool
    counterexample: list[Step] | None = None
    #: The active steps (innermost) and facts where it fails.
    states: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    why: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.property.id,
            "title": self.property.title,
            "kind": self.property.kind,
            "source": self.property.source,
            "holds": self.holds,
            "counterexample": (
                None
                if self.counterexample is None
                else [step.as_json() for step in self.counterexample]
            ),
            "why": self.why or None,
            "states": self.states or None,
        }


@dataclass
class Unreachable:
    """A step or transition no path reaches, and why."""

    kind: str  # "step" or "transition"
    id: str
    why: str
    transition: Transition | None = None

    def as_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"kind": self.kind, "id": self.id, "why": self.why}
        if self.transition is not None:
            t = self.transition
            found.update({"from": t.source_state, "to": t.target, "label": t.label})
            found["where"] = str(t.where)
        return found


@dataclass
class Exploration:
    process: Process
    configurations: int
    transitions: int
    seconds: float
    unreachable: list[Unreachable]
    paths: dict[str, list[Step]]
    properties: list[Checked]
    complete: bool = True
    steps_reached: int = 0
    transitions_taken: int = 0
    #: For each step, the innermost steps the case is in at the end of its path.
    path_ends: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok_ignoring_bound(self) -> bool:
        """Nothing found wrong: every property holds in what was explored, and every
        step is reached (a step not reached before the --max limit proves nothing)."""
        return all(c.holds for c in self.properties) and not (
            self.complete and any(u.kind == "step" for u in self.unreachable)
        )

    @property
    def ok(self) -> bool:
        return (
            self.complete
            and all(c.holds for c in self.properties)
            and not any(u.kind == "step" for u in self.unreachable)
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "process": self.process.id,
            "version": self.process.version,
            "configurations": self.configurations,
            "transitions": self.transitions,
            "complete": self.complete,
            "seconds": round(self.seconds, 3),
            "unreachable": [u.as_json() for u in self.unreachable],
            "paths": {
                state: [step.as_json() for step in steps] for state, steps in self.paths.items()
            },
            "properties": [c.as_json() for c in self.properties],
        }


__all__ = ["Checked", "Exploration", "Step", "Unreachable"]
