"""Random valid process files, for the differential test (tests/test_differential.py).

:func:`process_text` writes one YAML process file from a seed: compound, parallel and
final states, transitions ``on`` events (several for one event, told apart by ``when``),
``always`` and ``done`` transitions, ``records``, named conditions and guards over every
fact type (date, boolean, choice, number, text), ``is set`` and ``STATE is active``. Its
names are chosen to collide with python-statemachine's: attributes and methods of a
machine (``prepare``, ``send``, ``model``, ``start_configuration_values``), its naming
conventions (``after_review`` beside ``review``, ``on_enter_x`` beside a state ``x``), its
dotted event forms (``error_x``, ``done_state_x``) and the chart's own recheck event
(``facts_recorded``).

Every file is valid by construction (``cspr validate`` accepts it; the test asserts so),
and no run of one can loop for ever: an ``always`` or ``done`` transition only goes to a
state after the whole of its source in document order and outside its ancestors, so each
automatic step replaces an active state by later ones, which cannot go on without end.
Transitions on events go anywhere: into and out of compound and parallel states, to an
ancestor, to the state itself.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import yaml

#: Names a machine, its model or its conventions already use.
MACHINE_WORDS = [
    "prepare",
    "send",
    "model",
    "states",
    "state",
    "events",
    "configuration",
    "configuration_values",
    "current_state",
    "current_state_value",
    "start_configuration_values",
    "activate_initial_state",
    "allowed_events",
    "enabled_events",
    "final_states",
    "is_terminated",
    "initial_state",
    "states_map",
    "state_field",
    "history_values",
    "add_listener",
    "cancel_event",
    "raise_",
    "id",
    "name",
    "on_transition",
    "before_transition",
    "after_transition",
    "on_enter_state",
    "on_exit_state",
    "prepare_event",
    "facts_recorded",
    "error_execution",
    "done_invoke_x",
    "e_review",
    "s_review",
    "review",
    "x",
    "facts",
    "journal",
    "conditions",
    "context",
    "took",
    "entered",
    "left",
]
#: Facts may not be words of the condition language nor start ``on_``-like traps of
#: their own; any plain id will do, so these only vary the names a little.
FACT_WORDS = ["aware_on", "decided_on", "child_died", "looked_after", "abuse", "count", "note"]
OPTIONS = ["known", "suspected", "not_suspected"]
TEXTS = ["abc", "xyz"]
DATES = ["2019-06-01", "2020-01-01", "2020-06-30"]


@dataclass
class Node:
    id: str
    kind: str  # simple, compound, parallel, final
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)
    initial: str | None = None
    order: int = 0
    end: int = 0  # the last document-order number inside it
    on: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    always: list[dict[str, Any]] = field(default_factory=list)
    done: list[dict[str, Any]] = field(default_factory=list)

    def ancestors(self) -> list[Node]:
        found, node = [], self.parent
        while node is not None:
            found.append(node)
            node = node.parent
        return found

    def can_finish(self) -> bool:
        if self.kind == "parallel":
            return all(c.kind in ("compound", "parallel") and c.can_finish() for c in self.children)
        if self.kind == "compound":
            return any(c.kind == "final" for c in self.children)
        return False


class Generator:
    def __init__(self, seed: int | str, max_states: int = 22):
        self.rng = random.Random(seed)
        self.max_states = max_states
        self.taken: set[str] = set()
        self.filler = 0
        self.nodes: list[Node] = []
        self.facts: dict[str, dict[str, Any]] = {}
        self.conditions: dict[str, str] = {}
        self.events: list[str] = []

    # -- names -------------------------------------------------------------------------

    def name(self, preferred: list[str], chance: float = 0.5) -> str:
        rng = self.rng
        if rng.random() < chance:
            free = [n for n in preferred if n not in self.taken]
            if free:
                chosen = rng.choice(free)
                self.taken.add(chosen)
                return chosen
        while True:
            self.filler += 1
            chosen = f"{rng.choice('abcdefgh')}{self.filler}"
            if chosen not in self.taken:
                self.taken.add(chosen)
                return chosen

    # -- the tree ----------------------------------------------------------------------

    def siblings(self, parent: Node | None, depth: int, low: int, high: int) -> list[Node]:
        rng = self.rng
        count = rng.randint(low, high)
        nodes = []
        for index in range(count):
            room = self.max_states - len(self.nodes)
            kinds = ["simple"] * 5
            if depth < 3 and room > 6:
                kinds += ["compound"] * 3 + ["parallel"] * 2
            kind = rng.choice(kinds)
            if index == count - 1 and index > 0 and rng.random() < 0.7:
                kind = "final"
            node = Node(self.name(MACHINE_WORDS, 0.4), kind, parent)
            self.nodes.append(node)
            nodes.append(node)
            if kind == "compound":
                node.children = self.siblings(node, depth + 1, 2, 3)
                if not any(c.kind == "final" for c in node.children) and rng.random() < 0.6:
                    final = Node(self.name(MACHINE_WORDS, 0.3), "final", node)
                    self.nodes.append(final)
                    node.children.append(final)
                if rng.random() < 0.3:
                    node.initial = node.children[0].id
            elif kind == "parallel":
                node.children = [self.region(node, depth + 1) for _ in range(rng.randint(2, 3))]
        return nodes

    def region(self, parallel: Node, depth: int) -> Node:
        rng = self.rng
        kind = (
            "compound" if rng.random() < 0.8 or depth >= 3 else rng.choice(["simple", "parallel"])
        )
        if depth >= 4:
            kind = "simple"
        node = Node(self.name(MACHINE_WORDS, 0.3), kind, parallel)
        self.nodes.append(node)
        if kind == "compound":
            node.children = self.siblings(node, depth + 1, 1, 3)
            if node.children[0].kind == "final":  # a region must not finish on entry
                node.children[0].kind = "simple"
            if not any(c.kind == "final" for c in node.children) and rng.random() < 0.7:
                final = Node(self.name(MACHINE_WORDS, 0.3), "final", node)
                self.nodes.append(final)
                node.children.append(final)
        elif kind == "parallel":
            node.children = [self.region(node, depth + 1) for _ in range(2)]
        return node

    def number(self, nodes: list[Node], start: int) -> int:
        """Document order (preorder) numbers; returns the next free number."""
        for node in nodes:
            node.order = start
            start = self.number(node.children, start + 1)
            node.end = start - 1
        return start

    # -- facts, conditions and guards --------------------------------------------------

    def declare_facts(self) -> None:
        rng = self.rng
        kinds = ["date", "date", "boolean", "choice", "number", "text"]
        kinds += rng.sample(["date", "boolean", "number", "choice"], rng.randint(0, 2))
        for kind in kinds:
            fact: dict[str, Any] = {"type": kind}
            if kind == "choice":
                fact["options"] = list(OPTIONS)
            self.facts[self.name(FACT_WORDS, 0.5)] = fact

    def of_type(self, kind: str) -> list[str]:
        return [name for name, fact in self.facts.items() if fact["type"] == kind]

    def atom(self) -> str:
        rng = self.rng
        choice = rng.randrange(10)
        if choice == 0:
            date = rng.choice(self.of_type("date"))
            return rng.choice(
                [
                    f"{date} < {rng.choice(DATES)}",
                    f"{date} >= {rng.choice(DATES)}",
                    f"{date} <= today",
                    f"today > {date}",
                ]
            )
        if choice == 1 and len(self.of_type("date")) > 1:
            first, second = rng.sample(self.of_type("date"), 2)
            return f"{first} <= {second}"
        if choice == 2:
            flag = rng.choice(self.of_type("boolean"))
            return rng.choice([flag, f"not {flag}", f"{flag} == false"])
        if choice == 3:
            picked = rng.choice(self.of_type("choice"))
            option = rng.choice(OPTIONS)
            return rng.choice(
                [
                    f"{picked} == '{option}'",
                    f"{picked} != '{option}'",
                    f"{picked} in ['{OPTIONS[0]}', '{OPTIONS[1]}']",
                    f"{picked} not in ['{option}']",
                ]
            )
        if choice == 4:
            count = rng.choice(self.of_type("number"))
            return f"{count} {rng.choice(['>=', '<', '==', '!='])} {rng.randint(0, 4)}"
        if choice == 5:
            text = rng.choice(self.of_type("text"))
            return f"{text} {rng.choice(['==', '!='])} '{rng.choice(TEXTS)}'"
        if choice == 6:
            return f"{rng.choice(list(self.facts))} is set"
        if choice in (7, 8):
            return f"{rng.choice(self.nodes).id} is active"
        if self.conditions:
            return rng.choice(list(self.conditions))
        return f"{rng.choice(list(self.facts))} is set"

    def expression(self, depth: int = 0) -> str:
        rng = self.rng
        roll = rng.random()
        if depth >= 2 or roll < 0.5:
            return self.atom()
        if roll < 0.7:
            return f"{self.expression(depth + 1)} and {self.expression(depth + 1)}"
        if roll < 0.9:
            return f"({self.expression(depth + 1)} or {self.expression(depth + 1)})"
        return f"not ({self.expression(depth + 1)})"

    def declare_conditions(self) -> None:
        for _ in range(self.rng.randint(0, 3)):
            text = self.expression()  # names only conditions declared before it
            self.conditions[self.name(["notifiable", "review_needed", "late"], 0.5)] = text

    # -- transitions -------------------------------------------------------------------

    def declare_events(self) -> None:
        rng = self.rng
        base = [self.name(MACHINE_WORDS, 0.6) for _ in range(rng.randint(2, 5))]
        derived = []
        for event in rng.sample(base, min(2, len(base))):
            derived += [f"after_{event}", f"before_{event}", f"on_{event}"]
        for node in rng.sample(self.nodes, min(2, len(self.nodes))):
            derived += [f"on_enter_{node.id}", f"on_exit_{node.id}", f"done_state_{node.id}"]
        derived += [f"error_{rng.choice(base)}"]
        free = [n for n in dict.fromkeys(derived) if n not in self.taken]
        extra = rng.sample(free, min(len(free), rng.randint(1, 4)))
        self.taken.update(extra)
        self.events = base + extra

    def transition(self, target: Node, guarded: bool) -> dict[str, Any]:
        spec: dict[str, Any] = {"to": target.id, "source": "wt"}
        if guarded:
            spec["when"] = self.expression()
        if self.rng.random() < 0.2:
            spec["records"] = self.rng.choice(self.of_type("date"))
        return spec

    def add_on(self, node: Node, event: str, target: Node) -> None:
        rng = self.rng
        existing = node.on.setdefault(event, [])
        # Several transitions for one event: all but a last catch-all have a 'when', and
        # no two the same one.
        guarded = bool(existing) or rng.random() < 0.4
        spec = self.transition(target, guarded)
        if existing and "when" not in existing[-1]:
            existing[-1]["when"] = self.expression()
        existing.append(spec)

    def forward(self, node: Node) -> list[Node]:
        """States an automatic transition from ``node`` may go to: after the whole of it
        in document order, and entered without entering again a parallel state around it
        (which would enter its region holding ``node`` from the start)."""
        found = []
        for target in self.nodes:
            if target.order <= node.end or target in node.ancestors():
                continue
            lineage = node.ancestors()
            domain = next(
                (a for a in lineage if a.kind == "compound" and a.order < target.order <= a.end),
                None,
            )
            entered = []
            for ancestor in target.ancestors():
                if ancestor is domain:
                    break
                entered.append(ancestor)
            if not any(a in lineage for a in entered):
                found.append(target)
        return found

    def wire(self) -> None:
        rng = self.rng
        groups = [self.top, *(n.children for n in self.nodes if n.kind == "compound")]
        for siblings in groups:  # each later sibling reached from an earlier one
            for index in range(1, len(siblings)):
                earlier = [s for s in siblings[:index] if s.kind != "final"]
                self.add_on(rng.choice(earlier), rng.choice(self.events), siblings[index])
        for node in self.nodes:
            if node.kind == "final":
                continue
            if node.kind == "simple" and not node.on:  # no dead end
                self.add_on(node, rng.choice(self.events), rng.choice(self.nodes))
            for _ in range(rng.choice([0, 0, 1, 2])):
                self.add_on(node, rng.choice(self.events), rng.choice(self.nodes))
            later = self.forward(node)
            if later and rng.random() < 0.35:
                for _ in range(rng.randint(1, 2)):
                    node.always.append(self.transition(rng.choice(later), guarded=True))
            if later and node.can_finish() and rng.random() < 0.6:
                node.done.append(self.transition(rng.choice(later), rng.random() < 0.3))
                if rng.random() < 0.2:
                    node.done.append(self.transition(rng.choice(later), False))
                    node.done[0].setdefault("when", self.expression())
        for node in self.nodes:
            for specs in [*node.on.values(), node.always, node.done]:
                self.distinct_guards(specs)

    def distinct_guards(self, specs: list[dict[str, Any]]) -> None:
        seen: set[str] = set()
        for spec in specs:
            while "when" in spec and " ".join(spec["when"].split()) in seen:
                spec["when"] = self.expression()
            if "when" in spec:
                seen.add(" ".join(spec["when"].split()))

    # -- the file ----------------------------------------------------------------------

    def build(self) -> dict[str, Any]:
        self.declare_facts()
        self.top = self.siblings(None, 0, 2, 4)
        if self.top[0].kind == "final":
            self.top[0].kind = "simple"
        self.number(self.top, 1)
        self.declare_conditions()
        self.declare_events()
        self.wire()
        document: dict[str, Any] = {
            "process": "generated",
            "version": "1",
            "title": "A generated chart",
            "sources": {"wt": "Working Together"},
            "facts": self.facts,
        }
        if self.conditions:
            document["conditions"] = self.conditions
        document["states"] = {node.id: self.state(node) for node in self.top}
        return document

    def state(self, node: Node) -> dict[str, Any]:
        spec: dict[str, Any] = {"source": "wt"}
        if node.kind in ("final", "parallel"):
            spec["type"] = node.kind
        if node.initial:
            spec["initial"] = node.initial
        if node.children:
            spec["states"] = {child.id: self.state(child) for child in node.children}
        if node.on:
            spec["on"] = {e: ts[0] if len(ts) == 1 else ts for e, ts in node.on.items()}
        if node.always:
            spec["always"] = node.always[0] if len(node.always) == 1 else node.always
        if node.done:
            spec["done"] = node.done[0] if len(node.done) == 1 else node.done
        return spec


def process_text(seed: int | str, max_states: int = 22) -> str:
    """One random valid process file, the same for the same seed."""
    document = Generator(seed, max_states).build()
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def random_facts(process: Any, rng: random.Random, today: Any) -> dict[str, Any]:
    """Values for some of the process's facts (each left out half the time)."""
    import datetime as dt

    facts: dict[str, Any] = {}
    for fact in process.facts.values():
        if rng.random() < 0.5:
            continue
        if fact.type == "date":
            facts[fact.id] = today + dt.timedelta(days=rng.randint(-400, 400))
        elif fact.type == "boolean":
            facts[fact.id] = rng.random() < 0.5
        elif fact.type == "choice":
            facts[fact.id] = rng.choice(fact.options)
        elif fact.type == "number":
            facts[fact.id] = rng.randint(0, 5)
        elif fact.type == "text":
            facts[fact.id] = rng.choice(TEXTS)
    return facts
