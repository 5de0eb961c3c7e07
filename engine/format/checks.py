"""Checks on a loaded process that a JSON Schema cannot express.

Each check is a small generator of :class:`~engine.loader.Problem`; :func:`check` runs
them all so that a policy lead sees every mistake in one go. Messages say what to write
instead, with a "did you mean" where a close name exists."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

from ..conditions import (
    MAX_EVAL_DEPTH,
    WORDS,
    evaluation_depth,
    evaluation_depths,
)
from ..model import (
    ENTRY,
    NOWHERE,
    Before,
    Condition,
    Deadline,
    DueRule,
    EarliestOf,
    Fact,
    Process,
    State,
    Transition,
    Within,
)
from ..problems import Location, Problem, did_you_mean

if TYPE_CHECKING:  # pragma: no cover
    from ..conditions import Expression
from .comparisons import Locate, at_offset, comparisons, conditions_written
from .loops import automatic_loops

#: Names every condition may use besides facts and conditions: ``today`` is the date the
#: event being decided happened on (the operator's ``--on`` date).
BUILTIN_NAMES = frozenset({"today"})

Check = Callable[[Process], Iterator[Problem]]


def check(
    process: Process,
    structural: bool = True,
    unparsed_conditions: frozenset[str] = frozenset(),
    locate: Locate | None = None,
) -> list[Problem]:
    """Every problem the checks find.

    ``structural=False`` skips the checks whose findings would only echo problems already
    reported (reachability and dead ends, when the shape is wrong or parts are missing);
    ``unparsed_conditions`` names the conditions whose text could not be read, so that
    their uses are not also reported as unknown names. ``locate`` places a character of a
    condition's text (without it, offsets are counted along the line the text starts on).
    """
    targets = list(unknown_targets(process))
    where = locate or at_offset
    checks: list[Check] = [
        functools.partial(unknown_names_in_conditions, unparsed=unparsed_conditions),
        condition_cycles,
        functools.partial(comparisons, locate=where),
        condition_depths,
        deadline_bases,
        recorded_facts,
        unknown_roles_and_sources,
        names_of_the_language,
        clashing_names,
        ambiguous_transitions,
        state_kinds,
        choice_options,
        clashing_ids,
        internal_event_names,
        missing_sources,
        deadline_met_by,
        automatic_loops,
    ]
    # A transition to an unknown state leaves the state it meant unreached: judging what
    # is reachable before the target is fixed would only echo that mistake.
    if structural and not targets:
        checks += [unreachable_states, dead_ends]
    return [*targets, *(problem for each in checks for problem in each(process))]


def warnings(process: Process) -> list[Problem]:
    """What is worth a second look but not wrong: ``cspr validate`` prints these without
    refusing the file."""
    return list(unused_sources(process))


def _value_at(written: Location, fallback: Location) -> Location:
    """Where a value is written, or (for a model not read from a file) its owner."""
    return fallback if written == NOWHERE else written


def unknown_targets(process: Process) -> Iterator[Problem]:
    for transition in process.transitions():
        if transition.target not in process.states:
            yield Problem(
                transition.where,
                f"unknown state '{transition.target}'"
                + (did_you_mean(transition.target, process.states) or _known("states", process)),
            )


def _known(kind: str, process: Process) -> str:
    names = {
        "states": process.states,
        "facts": process.facts,
        "roles": process.roles,
        "sources": process.sources,
    }[kind]
    shown = ", ".join(list(names)[:12])
    return f"; the {kind} are: {shown}" + (", ..." if len(names) > 12 else "")


def _names_written(process: Process) -> Iterator[tuple[Expression, str, Location]]:
    """Every name in every condition, with the line and column it is written at."""
    for expression, when_at, names_at in conditions_written(process):
        for index, (name, offset) in enumerate(expression.name_offsets):
            # Without the loader's places (a model built in code), count along one line.
            where = names_at[index] if index < len(names_at) else at_offset(when_at, offset)
            yield expression, name, where


def unknown_names_in_conditions(
    process: Process, unparsed: frozenset[str] = frozenset()
) -> Iterator[Problem]:
    values = set(process.facts) | set(process.conditions) | BUILTIN_NAMES
    for expression, name, where in _names_written(process):
        if name in expression.states:
            if name not in process.states:
                yield Problem(
                    where,
                    f"unknown state '{name}' in 'is active'" + did_you_mean(name, process.states),
                )
        elif name not in values and name not in unparsed:
            hint = did_you_mean(name, values)
            if not hint and name in process.states:
                hint = f" — '{name}' is a state; write '{name} is active'"
            yield Problem(
                where,
                f"unknown name '{name}': not a fact or condition of this process"
                + (hint or "; declare it under 'facts' or 'conditions'"),
            )


def condition_cycles(process: Process) -> Iterator[Problem]:
    """Each condition that depends on itself, through however many others (found with
    Tarjan's strongly connected components, without recursion: linear in the conditions,
    however long their chains)."""
    conditions = process.conditions
    uses = {name: sorted(c.expression.names & conditions.keys()) for name, c in conditions.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cyclic: set[str] = set()
    for root in conditions:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            name, position = work.pop()
            if position == 0:
                index[name] = low[name] = len(index)
                stack.append(name)
                on_stack.add(name)
            else:
                used = uses[name][position - 1]
                low[name] = min(low[name], low[used])
            for next_position in range(position, len(uses[name])):
                used = uses[name][next_position]
                if used not in index:
                    work.append((name, next_position + 1))
                    work.append((used, 0))
                    break
                if used in on_stack:
                    low[name] = min(low[name], index[used])
            else:
                if low[name] == index[name]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == name:
                            break
                    if len(component) > 1 or name in uses[name]:
                        cyclic.update(component)
    for name in cyclic:
        condition = conditions[name]
        yield Problem(
            condition.where,
            f"condition '{condition.id}' depends on itself; write it in terms of facts instead",
        )


def condition_depths(process: Process) -> Iterator[Problem]:
    """Conditions (and guards) that name conditions that name conditions... deeper than
    the engine can decide and explain: accepted here, every event they guard would be
    refused with "nested too deeply to explain"."""
    expressions = process.expressions
    depths = evaluation_depths(expressions)
    too_deep = {name for name, depth in depths.items() if depth > MAX_EVAL_DEPTH}
    # Reported once, at the outermost condition of each chain.
    inner = {n for other in too_deep for n in expressions[other].names if n != other}
    for name in sorted(too_deep - inner):
        condition = process.conditions[name]
        yield Problem(
            condition.where,
            f"condition '{name}' goes {depths[name]} levels deep through the conditions it "
            f"names ({_chain(name, expressions, depths)}); the engine can decide and explain "
            f"a condition at most {MAX_EVAL_DEPTH} levels deep, so write some of these "
            "conditions in terms of facts rather than of other conditions",
        )
    for transition in process.transitions():
        guard = transition.guard
        if guard is None or guard.names & too_deep:
            continue
        depth = evaluation_depth(guard, depths)
        if depth > MAX_EVAL_DEPTH:
            yield Problem(
                transition.where,
                f"the 'when' of this transition goes {depth} levels deep through the "
                f"conditions it names; the engine can decide and explain a condition at most "
                f"{MAX_EVAL_DEPTH} levels deep, so write some of them in terms of facts",
            )


def _chain(name: str, expressions: Mapping[str, Expression], depths: Mapping[str, int]) -> str:
    """The deepest path of named conditions from ``name``, shortened in the middle."""
    chain = [name]
    seen = {name}
    while True:
        inner = [n for n in expressions[chain[-1]].names if n in depths and n not in seen]
        if not inner:
            break
        chain.append(max(inner, key=lambda n: (depths[n], n)))
        seen.add(chain[-1])
    if len(chain) > 6:
        chain = [*chain[:3], "...", *chain[-2:]]
    return " → ".join(chain)


# -- names ------------------------------------------------------------------------------

_MEANINGS = {
    "and": "joins conditions",
    "or": "joins conditions",
    "not": "negates a condition",
    "in": "tests a value against a list",
    "is": "starts 'is set' and 'is active'",
    "set": "is part of 'NAME is set'",
    "active": "is part of 'STATE is active'",
    "true": "is a value",
    "false": "is a value",
    "today": "is the date of the event being recorded",
}


def _renamed(kind: str, name: str) -> str:
    return {"date": f"{name}_on", "boolean": f"{name}_flag", "condition": f"{name}_holds"}.get(
        kind, f"{name}_value"
    )


def _named_things(process: Process) -> Iterator[tuple[str, str, str, Location]]:
    """(what, id, kind for a new name, where) for every fact and named condition."""
    for fact in process.facts.values():
        yield "fact", fact.id, str(fact.type), fact.where
    for condition in process.conditions.values():
        yield "condition", condition.id, "condition", condition.where


def names_of_the_language(process: Process) -> Iterator[Problem]:
    """A fact or condition called by a word of the condition language (``today``,
    ``and``, ``set``...), or with ``__``: a condition could not name it, or would read it
    as the word."""
    for what, name, kind, where in _named_things(process):
        if name in WORDS:
            meaning = _MEANINGS.get(name, "is refused in conditions")
            yield Problem(
                where,
                f"{what} '{name}' is named with a word of the condition language ('{name}' "
                f"{meaning}), so a condition could not use it; choose another id, for "
                f"example '{_renamed(kind, name)}'",
            )
        elif "__" in name:
            yield Problem(
                where,
                f"{what} '{name}' has two underscores in a row, which a condition cannot "
                f"name; write '{name.replace('__', '_')}'",
            )


def clashing_names(process: Process) -> Iterator[Problem]:
    """A fact or condition with a state's id (``escalated`` the fact and ``escalated is
    active`` the state read alike), or a fact and a condition with one id (a condition
    would always mean the condition)."""
    for what, name, kind, where in _named_things(process):
        if name in process.states:
            yield Problem(
                where,
                f"{what} '{name}' has the same id as the state at "
                f"{process.states[name].where}; one name for two things confuses readers "
                f"('{name}' in a condition would mean the {what}, '{name} is active' the "
                f"state), so rename the {what}, for example to '{_renamed(kind, name)}'",
            )
        if what == "condition" and name in process.facts:
            yield Problem(
                where,
                f"condition '{name}' has the same id as the fact at "
                f"{process.facts[name].where}, so conditions naming it would never read the "
                f"fact; rename the condition, for example to '{_renamed(kind, name)}'",
            )


def unused_sources(process: Process) -> Iterator[Problem]:
    """A declared source that no state, deadline, transition, fact or condition cites."""
    cited = {name for kind, name, _ in _roles_and_sources_written(process) if kind == "sources"}
    for source in process.sources.values():
        if source.key not in cited:
            yield Problem(
                source.where,
                f"source '{source.key}' is declared but no rule cites it; cite it with "
                f"'source: {source.key}' where it applies, or remove it",
            )


def _date_facts(process: Process) -> list[str]:
    return [f.id for f in process.facts.values() if f.type == "date"]


def _counting_rules(rule: DueRule) -> Iterator[Within | Before]:
    """The parts of a due rule that count from a base (a date fact or entry)."""
    if isinstance(rule, (Within, Before)):
        yield rule
    elif isinstance(rule, EarliestOf):
        for inner in rule.rules:
            yield from _counting_rules(inner)


def deadline_bases(process: Process) -> Iterator[Problem]:
    date_facts = _date_facts(process)
    for deadline in process.deadlines():
        for rule in _counting_rules(deadline.rule):
            base = rule.base
            if base == ENTRY or base in date_facts:
                continue
            if base in process.facts:
                problem = f"counts from '{base}', a {process.facts[base].type} fact"
            else:
                problem = f"counts from '{base}', which is not a fact" + did_you_mean(
                    base, [*date_facts, ENTRY]
                )
            yield Problem(
                _value_at(rule.base_at, deadline.where),
                f"deadline '{deadline.id}' {problem}; it must count from a date fact "
                f"({', '.join(date_facts) or 'none declared'}) or from 'entry'",
            )


def recorded_facts(process: Process) -> Iterator[Problem]:
    date_facts = _date_facts(process)
    for transition in process.transitions():
        name = transition.records
        if name is None or name in date_facts:
            continue
        if name in process.facts:
            # Declared with another type: say so, rather than suggest declaring it again.
            message = (
                f"'{name}' is a {process.facts[name].type} fact, but 'records' must name a "
                f"date fact; write one of: {', '.join(date_facts) or '(none declared)'}"
            )
        else:
            message = f"'records: {name}' must name a date fact" + (
                did_you_mean(name, date_facts) or "; declare it under 'facts' with type: date"
            )
        yield Problem(_value_at(transition.records_at, transition.where), message)


def _roles_and_sources_written(process: Process) -> Iterator[tuple[str, str, Location]]:
    """Every 'by' (kind "roles") and 'source' (kind "sources") with where it is written."""
    for state in process.states.values():
        items: tuple[State | Deadline | Transition, ...] = (
            state,
            *state.deadlines,
            *state.transitions,
        )
        for item in items:
            if item.by is not None:
                yield "roles", item.by, _value_at(item.by_at, item.where)
            if item.source is not None:
                yield "sources", item.source, _value_at(item.source_at, item.where)
    owners: tuple[Fact | Condition, ...] = (*process.facts.values(), *process.conditions.values())
    for owner in owners:
        if owner.source is not None:
            yield "sources", owner.source, _value_at(owner.source_at, owner.where)


def unknown_roles_and_sources(process: Process) -> Iterator[Problem]:
    known = {"roles": process.roles, "sources": process.sources}
    for kind, name, where in _roles_and_sources_written(process):
        if name not in known[kind]:
            yield Problem(
                where,
                f"unknown {kind.removesuffix('s')} '{name}'"
                + (did_you_mean(name, known[kind]) or _known(kind, process)),
            )


def ambiguous_transitions(process: Process) -> Iterator[Problem]:
    for state in process.states.values():
        groups: dict[tuple[str, str | None], list[Transition]] = {}
        for transition in state.transitions:
            groups.setdefault((transition.trigger, transition.event), []).append(transition)
        for (trigger, event), transitions in groups.items():
            name = f"event '{event}'" if trigger == "event" else f"'{trigger}'"
            for transition in transitions[:-1]:
                if transition.guard is None:
                    yield Problem(
                        transition.where,
                        f"{name} from '{state.id}' has several transitions but this one has "
                        "no 'when', so the ones after it can never be taken; give each a "
                        "'when' that tells them apart (or move the catch-all last)",
                    )
            yield from _repeated_conditions(state, name, transitions)
        for transition in state.transitions:
            if transition.trigger == "always" and transition.guard is None:
                yield Problem(
                    transition.where,
                    f"an 'always' transition from '{state.id}' needs a 'when': without one "
                    "the step would be left the moment it is entered",
                )


def _repeated_conditions(
    state: State, name: str, transitions: list[Transition]
) -> Iterator[Problem]:
    """Transitions whose 'when' says the same as an earlier one's for the same trigger:
    the earlier one is always taken first, so they never are."""
    first_with: dict[str, Transition] = {}
    for transition in transitions:
        if transition.guard is None:
            continue
        text = " ".join(str(transition.guard).split())
        earlier = first_with.setdefault(text, transition)
        if earlier is not transition:
            yield Problem(
                transition.where,
                f"{name} from '{state.id}' already has a transition with 'when: {text}' "
                f"(to '{earlier.target}', at line {earlier.where.line}), which is always "
                "taken first, so this one can never be; give it a 'when' that tells the two "
                "apart, or remove it",
            )


def state_kinds(process: Process) -> Iterator[Problem]:
    for state in process.states.values():
        if state.kind == "final" and (state.transitions or state.children or state.deadlines):
            yield Problem(
                state.where,
                f"final state '{state.id}' cannot have transitions, deadlines or child states; "
                "remove them or drop 'type: final'",
            )
        if state.kind == "parallel" and len(state.children) < 2:
            yield Problem(
                state.where,
                f"parallel state '{state.id}' needs at least two child states (regions) to "
                "run side by side",
            )
        yield from _done_problems(process, state)


def _done_problems(process: Process, state: State) -> Iterator[Problem]:
    if not any(t.trigger == "done" for t in state.transitions):
        return
    if state.include and not state.children:
        return  # its include could not be read, which is reported where it is named
    if state.kind not in ("compound", "parallel"):
        yield Problem(state.where, f"'done' on '{state.id}' needs child states, one of them final")
    elif not _can_finish(process, state.id):
        yield Problem(
            state.where,
            f"'done' on '{state.id}' can never happen: "
            + (
                "every region needs a final state"
                if state.kind == "parallel"
                else "it has no final child state"
            ),
        )


def _can_finish(process: Process, state_id: str) -> bool:
    state = process.states[state_id]
    if state.kind == "parallel":
        return all(_can_finish(process, child) for child in state.children)
    if state.kind == "compound":
        return any(process.states[c].kind == "final" for c in state.children)
    return state.kind == "final"


def choice_options(process: Process) -> Iterator[Problem]:
    for fact in process.facts.values():
        if fact.type == "choice" and not fact.options:
            yield Problem(
                fact.where, f"choice fact '{fact.id}' needs 'options', e.g. [known, suspected]"
            )
        if fact.type != "choice" and fact.options:
            yield Problem(
                fact.where,
                f"fact '{fact.id}' has 'options' but is of type {fact.type}; "
                "write 'type: choice' or remove the options",
            )


def clashing_ids(process: Process) -> Iterator[Problem]:
    """An event with a state's id: ``cspr case send CASE review`` beside a step
    ``review`` reads ambiguously. (The compiled chart no longer needs them apart, nor
    refuses python-statemachine's own words such as ``send`` or ``prepare``: it names
    states ``s_<id>`` and events ``e_<id>``, see :mod:`engine.run.chart`.)"""
    for event, where in _events_declared(process).items():
        if event in process.states:
            yield Problem(
                where,
                f"event '{event}' has the same id as a state; give the event its own name "
                f"(for example '{event}_done')",
            )


def _events_declared(process: Process) -> dict[str, Location]:
    """Every event a transition listens for or a deadline raises, where first written."""
    events: dict[str, Location] = {}
    for transition in process.transitions():
        if transition.trigger == "event" and transition.event:
            events.setdefault(transition.event, transition.where)
    for deadline in process.deadlines():
        if deadline.raises:
            events.setdefault(deadline.raises, deadline.where)
    return events


#: Event ids that statecharts (SCXML, python-statemachine) read as the start of their own
#: events' names, matching by dotted prefix: ``done`` matches ``done.state.<id>`` (a
#: compound state finished), ``error`` matches ``error.execution``. Ids cannot hold a dot,
#: so no other id can be read so.
INTERNAL_EVENT_WORDS = frozenset({"done", "error"})


def internal_event_names(process: Process) -> Iterator[Problem]:
    """An event called ``done`` or ``error``. ``on: {done: closed}`` reads as "when the
    step is done" but is an event someone must record, and statechart tools take it for
    their internal ``done.state`` (or ``error.``) events; the engine runs either way, but
    the reader cannot tell which was meant."""
    for transition in process.transitions():
        if transition.trigger == "event" and transition.event in INTERNAL_EVENT_WORDS:
            yield Problem(transition.where, _internal_event_message(process, transition))
    for deadline in process.deadlines():
        if deadline.raises in INTERNAL_EVENT_WORDS:
            yield Problem(
                deadline.where,
                f"deadline '{deadline.id}' raises '{deadline.raises}', the name statecharts "
                f"give their own {deadline.raises} events; name the event after the deadline "
                f"passing, for example 'raises: {deadline.id}_passed'",
            )


def _internal_event_message(process: Process, transition: Transition) -> str:
    state = process.states[transition.source_state]
    if transition.event == "error":
        return (
            f"event 'error' from '{state.id}' has the name statecharts give their own error "
            "events (error.execution); name it after what went wrong, for example "
            f"'{state.id}_failed'"
        )
    if state.children:
        instead = (
            f"to go on when '{state.id}' reaches its final state write 'done: "
            f"{transition.target}' beside 'on:' (not under it); for an event someone records, "
            f"name it after what happened, for example '{state.id}_finished'"
        )
    else:
        instead = f"name it after what happened, for example '{state.id}_finished'"
    return (
        f"event 'done' from '{state.id}' reads as the step being done, but under 'on:' it is "
        f"an event someone records (statecharts also match 'done' to their own "
        f"done.state events); {instead}"
    )


def missing_sources(process: Process) -> Iterator[Problem]:
    """Every rule must be traceable to the guidance it comes from."""
    for state in process.states.values():
        if state.source is None and state.include is None:
            yield Problem(state.where, _cite(f"state '{state.id}'"))
        for deadline in state.deadlines:
            if deadline.source is None:
                yield Problem(deadline.where, _cite(f"deadline '{deadline.id}'"))
        for transition in state.transitions:
            if transition.source is None:
                yield Problem(
                    transition.where, _cite(f"transition '{transition.label}' of '{state.id}'")
                )


def _cite(what: str) -> str:
    return f"{what} has no 'source'; cite the document and section it comes from"


def _reachable(process: Process) -> set[str]:
    reached: set[str] = set()
    pending = list(process.initial_configuration()) if process.initial else []
    while pending:
        state_id = pending.pop()
        if state_id in reached or state_id not in process.states:
            continue
        reached.add(state_id)
        pending.extend(process.entry_set(state_id)[1:])
        for transition in process.states[state_id].transitions:
            if transition.target in process.states:
                pending.extend(process.entry_set(transition.target))
                pending.extend(process.ancestors(transition.target))
    return reached


def unreachable_states(process: Process) -> Iterator[Problem]:
    reached = _reachable(process)
    for state in process.states.values():
        if state.id not in reached:
            yield Problem(
                state.where,
                f"state '{state.id}' can never be reached: no transition leads to it or to "
                "a state that starts it; add one, or remove the state",
            )


def dead_ends(process: Process) -> Iterator[Problem]:
    for state in process.states.values():
        if state.kind != "simple":
            continue
        lineage: Iterable[str] = [state.id, *process.ancestors(state.id)]
        # An ancestor's 'done' needs this state to finish, so it is no way out.
        exits = [t for s in lineage for t in process.states[s].transitions if t.trigger != "done"]
        if not exits:
            yield Problem(
                state.where,
                f"state '{state.id}' has no way out and is not final; add a transition "
                "('on', 'always') or write 'type: final'",
            )


def deadline_met_by(process: Process) -> Iterator[Problem]:
    """Every way a deadline's ``met_by`` names is an event of a transition that leaves its
    step (from the step, from inside it, from a step around it, or from a region beside
    it whose transition leaves a step around it), or a step the way out enters."""
    for deadline in process.deadlines():
        if not deadline.met_by or deadline.state not in process.states:
            continue
        leaving: dict[str, None] = {}
        for transition in process.transitions():
            if (
                transition.trigger == "event"
                and transition.event
                and _leaves(process, transition, deadline.state)
            ):
                leaving.setdefault(transition.event)
        for way in deadline.met_by:
            if way in leaving or way in process.states:
                continue
            hint = did_you_mean(way, [*leaving, *process.states]) or (
                "; write an event of a transition out of the step ("
                + (", ".join(leaving) or "none")
                + "), or the id of a step the way out enters"
            )
            yield Problem(
                deadline.where,
                f"deadline '{deadline.id}': met_by '{way}' is neither an event that leaves "
                f"'{deadline.state}' nor a step{hint}",
            )


def _leaves(process: Process, transition: Transition, step: str) -> bool:
    """Whether taking ``transition`` while ``step`` is active leaves ``step``."""
    source, target = transition.source_state, transition.target
    if target not in process.states:
        return False
    lineage = [step, *process.ancestors(step)]
    source_lineage = [source, *process.ancestors(source)]
    # The step and the transition's source must be able to be active together.
    common = next((s for s in lineage if s in source_lineage), None)
    if common is None:
        return False
    if common not in (step, source) and process.states[common].kind != "parallel":
        return False
    # The transition leaves everything below its domain: the nearest compound state
    # above the source that holds the target too.
    target_lineage = {target, *process.ancestors(target)}
    domain = next(
        (
            s
            for s in process.ancestors(source)
            if s in target_lineage and process.states[s].kind != "parallel"
        ),
        None,
    )
    return domain is None or (domain != step and domain in lineage)
