"""A case drawn over its process: the steps it is in, the path it took, and its deadlines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from ..cases.runtime import DeadlineView
    from ..model import Process, Transition
    from ..run.records import HistoryRow


# -- a case on the diagram ----------------------------------------------------------------


@dataclass(frozen=True)
class Overlay:
    """One case drawn over its process: where it is, the steps it took, late deadlines."""

    title: str
    active: frozenset[str] = frozenset()
    #: (source state, index in its transitions) → the step numbers that took it.
    steps: Mapping[tuple[str, int], tuple[int, ...]] = field(default_factory=dict)
    #: (state, deadline id) → (status, due date or None).
    deadlines: Mapping[tuple[str, str], tuple[str, dt.date | None]] = field(default_factory=dict)


def case_overlay(
    process: Process,
    record: Any,
    rows: Sequence[HistoryRow],
    deadlines: Sequence[DeadlineView] = (),
    as_of: dt.date | None = None,
) -> Overlay:
    """The overlay for one case, from its record, history rows and deadline views."""
    steps: dict[tuple[str, int], list[int]] = {}
    number = 0
    for row in rows:
        before = set(row.states_before)
        if not before and row.action == "open":
            before = set()
        events = [e for e in (row.event or "").split(",") if e]
        for key in match_steps(process, before, set(row.states_after), events):
            number += 1
            steps.setdefault(key, []).append(number)
    late: dict[tuple[str, str], tuple[str, dt.date | None]] = {}
    for view in deadlines:
        late[(view.state, view.name)] = (view.status, view.due)
    ref = f" (ref {record.ref})" if getattr(record, "ref", None) else ""
    when = f", as of {as_of.isoformat()}" if as_of else ""
    return Overlay(
        title=f"Case {record.id}{ref}{when}",
        active=frozenset(record.states),
        steps={k: tuple(v) for k, v in steps.items()},
        deadlines=late,
    )


def _indexed(process: Process) -> Iterator[tuple[tuple[str, int], Transition]]:
    for state in process.states.values():
        for i, transition in enumerate(state.transitions):
            yield (state.id, i), transition


def _is_within(process: Process, state_id: str, container: str | None) -> bool:
    return container is None or container in [state_id, *process.ancestors(state_id)]


def _apply(process: Process, config: frozenset[str], transition: Transition) -> frozenset[str]:
    """The configuration after an external transition (SCXML semantics, enough for drawing)."""
    source, target = transition.source_state, transition.target
    target_line = [target, *process.ancestors(target)]
    domain = next(
        (
            a
            for a in process.ancestors(source)
            if a in target_line[1:] and process.states[a].kind != "parallel"
        ),
        None,
    )
    exited = {s for s in config if s != domain and _is_within(process, s, domain)}
    entered: list[str] = []
    for state_id in reversed(target_line[1:]):
        if state_id == domain or not _is_within(process, state_id, domain):
            continue
        entered.append(state_id)
        parent = process.states[state_id]
        if parent.kind == "parallel":  # entering a parallel state enters its other regions
            for region in parent.children:
                if region not in target_line:
                    entered.extend(process.entry_set(region))
    entered.extend(process.entry_set(target))
    return frozenset((config - exited) | set(entered))


def _completed(process: Process, config: frozenset[str]) -> set[str]:
    """Compound and parallel states in ``config`` whose insides have finished."""
    done: set[str] = set()
    for state_id in sorted(config, key=lambda s: -process.depth(s)):
        state = process.states[state_id]
        if state.kind == "compound":
            if any(c in config and process.states[c].kind == "final" for c in state.children):
                done.add(state_id)
        elif state.kind == "parallel" and all(c in done for c in state.children):
            done.add(state_id)
    return done


def match_steps(
    process: Process, before: set[str], after: set[str], events: Sequence[str]
) -> list[tuple[str, int]]:
    """The transitions that took a case from ``before`` to ``after``, in order.

    Guards are not evaluated (the facts at the time are not at hand); instead the shortest
    chain of transitions (the events, then automatic and "when done" ones) that reaches
    ``after`` is taken. An empty list when none does.
    """
    transitions = dict(_indexed(process))
    start = frozenset(before) if before else frozenset(process.initial_configuration())
    goal = frozenset(after)
    pending_events = list(events)
    limit = 8  # transitions in one recorded change, at most

    def eventless(config: frozenset[str]) -> list[tuple[str, int]]:
        done = _completed(process, config)
        return [
            key
            for key, t in transitions.items()
            if t.source_state in config
            and (t.trigger == "always" or (t.trigger == "done" and t.source_state in done))
        ]

    def search(
        config: frozenset[str],
        events_left: tuple[str, ...],
        path: tuple[tuple[str, int], ...],
        depth: int,
    ) -> tuple[tuple[str, int], ...] | None:
        if config == goal and not events_left:
            return path
        if len(path) >= depth:
            return None
        options = eventless(config)
        if events_left:
            options = [
                key
                for key, t in transitions.items()
                if t.trigger == "event" and t.event == events_left[0] and t.source_state in config
            ] + options
        for key in options:
            t = transitions[key]
            rest = events_left[1:] if t.trigger == "event" else events_left
            found = search(_apply(process, config, t), rest, (*path, key), depth)
            if found is not None:
                return found
        if events_left:  # an event that changed nothing (refused or internal)
            return search(config, events_left[1:], path, depth)
        return None

    for depth in range(limit + 1):
        found = search(start, tuple(pending_events), (), depth)
        if found is not None:
            return list(found)
    return []
