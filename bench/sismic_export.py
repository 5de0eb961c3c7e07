"""A process model → Sismic's YAML statechart format (for the benchmark only).

Sismic is a bench-only extra: the engine never imports it. The exported chart is the
same chart the engine runs: the same states (compound, parallel, final), the same
transitions in the same order of preference, the same guards, and the same bookkeeping
actions (each state entered or left and each transition taken is noted in a journal, and
``records:`` sets its fact to the event's date), so that the three engines do the same work
per event.

What Sismic lacks is translated:

- Guards are translated from the condition language into Python for Sismic's evaluator,
  keeping its three-valued logic: a fact not recorded is ``None`` (unknown), and the
  helpers in the preamble (``_and``, ``_or``, ``_not``, ``_cmp``) return ``None`` for
  unknown, so a guard passes only when it is exactly ``True``, as in the engine.
- Several transitions of one state for one event are tried in document order: Sismic's
  transition ``priority`` (higher first) says so.
- ``done:`` transitions (python-statemachine's ``done.state.X`` events) become eventless
  transitions guarded by "a final child is active" (compound) or "every region is done"
  (parallel).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml
from cspr_engine.conditions import (
    And,
    Compare,
    Expression,
    IsActive,
    IsSet,
    ListValue,
    Literal,
    Name,
    Node,
    Not,
    Or,
)
from cspr_engine.model import Process, State, Transition

PREAMBLE = """\
from datetime import date as _date

def _not(x):
    return None if x is None else not x

def _and(*xs):
    if any(x is False for x in xs):
        return False
    return None if any(x is None for x in xs) else True

def _or(*xs):
    if any(x is True for x in xs):
        return True
    return None if any(x is None for x in xs) else False

def _truth(x):
    return x if isinstance(x, bool) else None

def _kind(x):
    if isinstance(x, bool):
        return 'boolean'
    if isinstance(x, (int, float)):
        return 'number'
    return type(x).__name__

def _cmp(op, left, right, _kind=_kind):  # preamble names are not globals
    if left is None or right is None:
        return None
    if op in ('in', 'not in'):
        member = any(_kind(item) == _kind(left) and item == left for item in right)
        return member if op == 'in' else not member
    if _kind(left) != _kind(right):
        return False
    if op == '==':
        return left == right
    if op == '!=':
        return left != right
    if _kind(left) == 'boolean':
        return False
    if op == '<':
        return left < right
    if op == '<=':
        return left <= right
    if op == '>':
        return left > right
    return left >= right
"""


class Exporter:
    """One process → the Sismic statechart mapping (see :func:`to_yaml`)."""

    def __init__(self, process: Process):
        self.process = process
        self.conditions = process.expressions
        #: Transitions by number, for the journal (the number is what the chart notes).
        self.transitions: list[Transition] = []

    # -- guards ---------------------------------------------------------------------

    def guard(self, expression: Expression) -> str:
        return f"({self.truth(expression.tree)}) is True"

    def truth(self, node: Node) -> str:
        if isinstance(node, Name):
            if node.name in self.conditions:
                return self.truth(self.conditions[node.name].tree)
            return f"_truth({node.name})"
        if isinstance(node, Literal):
            return f"_truth({self.literal(node.value)})"
        if isinstance(node, Not):
            return f"_not({self.truth(node.operand)})"
        if isinstance(node, And):
            return "_and(" + ", ".join(self.truth(o) for o in node.operands) + ")"
        if isinstance(node, Or):
            return "_or(" + ", ".join(self.truth(o) for o in node.operands) + ")"
        if isinstance(node, Compare):
            return f"_cmp({node.op!r}, {self.value(node.left)}, {self.value(node.right)})"
        if isinstance(node, IsSet):
            inner = (
                self.truth(self.conditions[node.name.name].tree)
                if node.name.name in self.conditions
                else node.name.name
            )
            return f"(({inner}) {'is' if node.negated else 'is not'} None)"
        if isinstance(node, IsActive):
            return f"({'not ' if node.negated else ''}active({node.name.name!r}))"
        raise ValueError(f"cannot translate {node!r}")

    def value(self, node: Node) -> str:
        if isinstance(node, Name):
            if node.name in self.conditions:
                return self.truth(self.conditions[node.name].tree)
            return node.name
        if isinstance(node, Literal):
            return self.literal(node.value)
        if isinstance(node, ListValue):
            return "(" + "".join(f"{self.literal(i.value)}, " for i in node.items) + ")"
        return self.truth(node)

    @staticmethod
    def literal(value: Any) -> str:
        if isinstance(value, dt.date):
            return f"_date({value.year}, {value.month}, {value.day})"
        return repr(value)

    # -- states ---------------------------------------------------------------------

    def done(self, state: State) -> str:
        """Python for "``state`` has finished" (its done event would be raised)."""
        if state.kind == "parallel":
            return (
                "(" + " and ".join(self.done(self.process.states[c]) for c in state.children) + ")"
            )
        finals = [c for c in state.children if self.process.states[c].kind == "final"]
        return "(" + " or ".join(f"active({f!r})" for f in finals) + ")" if finals else "False"

    def transition(self, transition: Transition, priority: int) -> dict[str, Any]:
        number = len(self.transitions)
        self.transitions.append(transition)
        action = f"_journal.append(('transition', {number}))"
        if transition.records:
            action += f"\n{transition.records} = today"
        spec: dict[str, Any] = {"target": transition.target, "action": action}
        guards = []
        if transition.trigger == "event":
            spec["event"] = transition.event
        elif transition.trigger == "done":
            guards.append(self.done(self.process.states[transition.source_state]))
        if transition.guard is not None:
            guards.append(self.guard(transition.guard))
        if guards:
            spec["guard"] = " and ".join(guards)
        if priority:
            spec["priority"] = priority
        return spec

    def state(self, state: State) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "name": state.id,
            "on entry": f"_journal.append(('enter', {state.id!r}))",
            "on exit": f"_journal.append(('exit', {state.id!r}))",
        }
        if state.kind == "final":
            spec["type"] = "final"
        children = [self.state(self.process.states[c]) for c in state.children]
        if state.kind == "parallel":
            spec["parallel states"] = children
        elif children:
            spec["states"] = children
            spec["initial"] = state.initial
        # The first of several transitions for one trigger has the highest priority.
        transitions = []
        for transition in state.transitions:
            rivals = [
                t
                for t in state.transitions
                if (t.trigger, t.event) == (transition.trigger, transition.event)
            ]
            priority = len(rivals) - rivals.index(transition) if len(rivals) > 1 else 0
            transitions.append(self.transition(transition, priority))
        if transitions:
            spec["transitions"] = transitions
        return spec

    def statechart(self) -> dict[str, Any]:
        root = {
            "name": root_name(self.process),
            "initial": self.process.initial,
            "states": [self.state(self.process.states[top]) for top in self.process.top_states],
        }
        return {
            "statechart": {
                "name": f"{self.process.id} {self.process.version}",
                "preamble": PREAMBLE,
                "root state": root,
            }
        }


def root_name(process: Process) -> str:
    """The name of the state the exported chart wraps the process's top states in."""
    return f"{process.id}__process"


def to_yaml(process: Process) -> str:
    """The process as a Sismic YAML statechart."""
    return yaml.safe_dump(Exporter(process).statechart(), sort_keys=False, width=100)


def initial_context(process: Process, facts: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """Sismic's context for a case: every fact (``None`` when not recorded), ``today``
    and the journal the chart's actions write to."""
    context: dict[str, Any] = dict.fromkeys(process.facts)
    context.update(facts)
    context["today"] = today
    context["_journal"] = []
    return context
