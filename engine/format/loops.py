"""Automatic steps that would go round for ever: a check ``cspr validate`` makes.

An automatic ("as soon as") transition is taken the moment its condition holds. Two or
more of them that lead into one another, with conditions that all hold for the same
facts, would never let a case settle: the engine refuses such a change when it meets
one (``interpreter.Unsettled``), but a policy lead should hear of it when the file is
checked. This check follows the automatic transitions from step to step, and for each
loop among them tries every combination of the values the loop's conditions tell apart
(each option of a choice, true, false and not recorded, a date or number before, on and
after each one written in them). A loop is reported only when some combination makes
every condition of it true; a loop whose conditions ask about steps or ``today``, or
read a fact one of its own transitions records, is left to the engine to catch.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Sequence

from ..conditions import Context, Expression
from ..conditions.syntax import (
    And,
    Compare,
    IsActive,
    IsSet,
    ListValue,
    Literal,
    Name,
    Node,
    Not,
    Or,
    walk,
)
from ..model import Process, Transition
from ..problems import Problem

#: Loops looked at, at most, and value combinations tried for each.
MAX_LOOPS = 500
MAX_COMBINATIONS = 20_000


def automatic_loops(process: Process) -> Iterator[Problem]:
    """Each loop of automatic transitions whose conditions can all hold at once."""
    following = _following(process)
    automatic = [t for t in process.transitions() if id(t) in following]
    reported: set[frozenset[int]] = set()
    for loop in itertools.islice(_loops(automatic, following), MAX_LOOPS):
        members = frozenset(id(t) for t in loop)
        if members in reported:
            continue
        facts = _facts_that_loop(process, loop)
        if facts is None:
            continue
        reported.add(members)
        round_ = " → ".join([loop[0].source_state, *(t.target for t in loop)])
        given = ", ".join(f"{k} = {_word(v)}" for k, v in facts.items()) or "any facts"
        conditions = "; ".join(f"`{t.guard.text}`" for t in loop if t.guard is not None)
        yield Problem(
            loop[0].where,
            f"these automatic steps go round for ever when {given}: {round_} (each taken "
            f"as soon as its condition holds: {conditions}); make one of the conditions "
            "exclusive of the others (for example `when: x` on one and `when: not x` on "
            "the next)",
        )


def _following(process: Process) -> dict[int, list[Transition]]:
    """For each automatic transition, those that can fire once it is taken: the
    automatic transitions of the steps it enters and of their ancestors."""
    automatic = [t for t in process.transitions() if t.trigger == "always"]
    by_state: dict[str, list[Transition]] = {}
    for transition in automatic:
        by_state.setdefault(transition.source_state, []).append(transition)
    found: dict[int, list[Transition]] = {}
    for transition in automatic:
        if transition.target not in process.states:
            continue  # reported by another check
        active = {*process.entry_set(transition.target), *process.ancestors(transition.target)}
        found[id(transition)] = [t for s in sorted(active) for t in by_state.get(s, [])]
    return found


def _loops(
    automatic: list[Transition], following: dict[int, list[Transition]]
) -> Iterator[list[Transition]]:
    """Elementary loops of the graph, each once, from its transition written first,
    found by a depth-first walk."""
    transitions = {id(t): t for t in automatic}
    order = list(transitions)
    rank = {key: i for i, key in enumerate(order)}
    for start in order:
        stack = [(start, iter(following.get(start, [])))]
        path = [transitions[start]]
        on_path = {start}
        while stack:
            _, pending = stack[-1]
            for nxt in pending:
                key = id(nxt)
                if key == start:
                    yield list(path)
                elif key not in on_path and rank[key] > rank[start]:
                    stack.append((key, iter(following.get(key, []))))
                    path.append(nxt)
                    on_path.add(key)
                    break
            else:
                stack.pop()
                on_path.discard(id(path.pop()))


def _facts_that_loop(process: Process, loop: list[Transition]) -> dict[str, object] | None:
    """Values of the facts the loop's conditions read that make all of them true, if
    any; ``None`` when none do or the check cannot tell."""
    guards = [t.guard for t in loop if t.guard is not None]
    if any(_negates(a.tree, b.tree) for a in guards for b in guards):
        return None  # `x` and `not x`: never true together, whatever the facts
    if any(process.states[t.source_state].children for t in loop):
        return None  # an inner step's own automatic transitions would be looked at first
    # A transition written before one of the loop's, from the same step, is taken
    # instead whenever its condition holds too: the loop needs those not to hold.
    before = [u.guard for t in loop for u in _written_before(process, t)]
    if any(guard is None for guard in before):
        return None
    earlier = [guard for guard in before if guard is not None]
    recorded = {t.records for t in loop if t.records}
    every = [*guards, *earlier]
    if any(process.asks_about_steps(guard) for guard in every):
        return None
    names = {n for g in every for n in process.reads(g.names) if n not in process.conditions}
    if "today" in names or names & recorded or not names <= set(process.facts):
        return None
    ordered = sorted(names)
    literals = [n.value for g in [*guards, *earlier] for n in _literals(process, g)]
    domains = [_domain(process, name, literals) for name in ordered]
    combinations = itertools.islice(itertools.product(*domains), MAX_COMBINATIONS)
    for values in combinations:
        facts = {k: v for k, v in zip(ordered, values, strict=True) if v is not None}
        context = Context(facts, process.expressions, frozenset())
        if all(g.evaluate(context) is True for g in guards) and not any(
            g.evaluate(context) is True for g in earlier
        ):
            return facts
    return None


def _written_before(process: Process, transition: Transition) -> list[Transition]:
    """The automatic transitions of the same step written before ``transition``."""
    found = []
    for other in process.states[transition.source_state].transitions:
        if other is transition:
            break
        if other.trigger == "always":
            found.append(other)
    return found


def _negates(tree: Node, other: Node) -> bool:
    """Whether one of the parts ``other`` requires (an ``and`` requires each) is ``not``
    one of the parts ``tree`` requires."""
    wanted = {_shape(part) for part in _required(tree)}
    return any(
        isinstance(part, Not) and _shape(part.operand) in wanted for part in _required(other)
    )


def _required(tree: Node) -> tuple[Node, ...]:
    return tree.operands if isinstance(tree, And) else (tree,)


def _shape(node: Node) -> tuple:
    """A condition's tree without where its words are written: equal for equal texts."""
    if isinstance(node, Name):
        return ("name", node.name)
    if isinstance(node, Literal):
        return ("literal", type(node.value), node.value)
    if isinstance(node, ListValue):
        return ("list", *(_shape(item) for item in node.items))
    if isinstance(node, Not):
        return ("not", _shape(node.operand))
    if isinstance(node, (And, Or)):
        return (type(node).__name__, *(_shape(o) for o in node.operands))
    if isinstance(node, Compare):
        return ("compare", node.op, _shape(node.left), _shape(node.right))
    if isinstance(node, (IsSet, IsActive)):
        return (type(node).__name__, node.name.name, node.negated)
    return ("other", id(node))  # pragma: no cover - every node kind is handled above


def _literals(process: Process, expression: Expression) -> Iterator[Literal]:
    """The values written in ``expression`` and in the conditions it names."""
    named = process.reads(expression.names) & process.conditions.keys()
    trees = [expression.tree, *(process.conditions[n].expression.tree for n in sorted(named))]
    for tree in trees:
        for node in walk(tree):
            if isinstance(node, Literal):
                yield node
            elif isinstance(node, ListValue):
                yield from node.items


def _domain(process: Process, name: str, literals: Sequence[object]) -> list[object]:
    """The values of fact ``name`` worth trying: not recorded, and each value the
    conditions can tell apart."""
    kind = process.facts[name]
    values: list[object] = [None]
    if kind.type == "boolean":
        values += [True, False]
    elif kind.type == "choice":
        values += list(kind.options)
    elif kind.type == "text":
        values += [v for v in literals if isinstance(v, str)] + ["something else"]
    elif kind.type == "number":
        numbers = [v for v in literals if isinstance(v, (int, float)) and not isinstance(v, bool)]
        values += sorted({n + d for n in numbers for d in (-1, 0, 1)}) or [0]
    elif kind.type == "date":
        days = [v for v in literals if isinstance(v, dt.date)]
        one = dt.timedelta(days=1)
        values += sorted({d + k * one for d in days for k in (-1, 0, 1)}) or [dt.date(2020, 1, 1)]
    return list(dict.fromkeys(values))


def _word(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.isoformat() if isinstance(value, dt.date) else repr(value)


__all__ = ["automatic_loops"]
