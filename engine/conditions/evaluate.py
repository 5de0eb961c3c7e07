"""A condition evaluated against a case's facts and steps, in three-valued (Kleene) logic,
and explained in plain words when it does not hold; how deep an evaluation can go.

Evaluation and explanation never raise, whatever facts they are given: a running case
must never crash on a badly typed fact."""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Mapping
from operator import methodcaller

from ..frozen import Frozen, field
from .syntax import (
    IN_OPS,
    MAX_EVAL_DEPTH,
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
from .values import (
    KIND_PHRASES,
    ORDER_WORDS,
    UNKNOWN,
    compare_values,
    compatible,
    format_value,
    kind_of,
    normalize,
)
from .words import describe_tree

# -- the model --------------------------------------------------------------------------


class Context(Frozen):
    """What a condition is evaluated against.

    ``facts`` maps fact names to recorded values (a missing key, or ``None``, means "not
    recorded yet"); ``conditions`` maps condition names to their expressions; ``active``
    holds the ids of the states the case is currently in.
    """

    facts: Mapping[str, object] = field(default_factory=dict)
    conditions: Mapping[str, Expression] = field(default_factory=dict)
    active: Collection[str] = frozenset()
    #: Named conditions decided before against ``conditions`` (which must then never
    #: change): given by whoever evaluates the same conditions many times over.
    memo: ConditionMemo | None = field(default=None, compare=False, repr=False)


class Expression(Frozen):
    """A parsed condition: its text and its tree. Build one with :func:`parse`."""

    text: str
    # Equal texts always give equal trees, so comparing the text is enough (and avoids
    # ``Literal(True) == Literal(1)`` surprises from Python's bool/int equality).
    tree: Node = field(repr=False, compare=False)

    def __str__(self) -> str:
        return self.text

    @functools.cached_property
    def names(self) -> frozenset[str]:
        """Names used as values (facts or conditions), not those only under ``is active``."""
        states = {id(n.name) for n in walk(self.tree) if isinstance(n, IsActive)}
        return frozenset(
            n.name for n in walk(self.tree) if isinstance(n, Name) and id(n) not in states
        )

    @functools.cached_property
    def states(self) -> frozenset[str]:
        """Names used with ``is active`` / ``is not active``."""
        return frozenset(n.name.name for n in walk(self.tree) if isinstance(n, IsActive))

    @functools.cached_property
    def name_offsets(self) -> tuple[tuple[str, int], ...]:
        """Every name (values and states) with its 0-based offset, in text order."""
        found = [(n.name, n.offset) for n in walk(self.tree) if isinstance(n, Name)]
        return tuple(sorted(found, key=lambda pair: pair[1]))

    def evaluate(self, ctx: Context, decided: dict[str, bool | None] | None = None) -> bool | None:
        """``True``, ``False`` or ``None`` (unknown). Never raises.

        ``decided`` keeps the named conditions decided on the way; give the same dict to
        evaluate several expressions against one context without deciding them again."""
        try:
            evaluator = _Evaluator(ctx, decided)
            memo = ctx.memo
            key = None if memo is None else memo.expression_key(self, evaluator)
            if memo is None or key is None:
                return evaluator.decide(self.tree)
            if key in memo.results:
                return memo.results[key]
            result = evaluator.decide(self.tree)
            memo.keep(key, result)
            return result
        except RecursionError:  # pragma: no cover - belt and braces; depth is bounded
            return None

    def holds(self, ctx: Context) -> bool:
        """Whether a guard with this expression passes: only when it is ``True``."""
        return self.evaluate(ctx) is True

    def explain(self, ctx: Context) -> list[str]:
        """Plain-words reasons why the expression is not ``True``; ``[]`` when it is."""
        try:
            return _Evaluator(ctx).reasons(self.tree, True)
        except RecursionError:  # pragma: no cover - belt and braces; depth is bounded
            return ["this condition is nested too deeply to explain"]


class ConditionMemo:
    """Conditions already decided, by the values of what they read.

    A guard such as ``notifiable`` is decided again at every event, every replay and
    every configuration ``cspr explore`` visits, always from the same few facts and
    steps. A guard or named condition depends only on the facts it reads and on whether
    the steps it asks about (``STATE is active``) are active, through the conditions it
    names; so, unless it is in a cycle or deep enough to meet :data:`MAX_EVAL_DEPTH`,
    its answer is kept under those values (their types too: ``True`` is not ``1`` here)
    and those steps' activity. The conditions must stay as they are for as long as the
    memo is used: a process's do."""

    #: Answers kept at most; then the memo starts again.
    LIMIT = 100_000
    #: How many named conditions deep a memo looks before giving up on one.
    MAX_CHAIN = 20

    def __init__(self, conditions: Mapping[str, Expression]) -> None:
        self.conditions = conditions
        #: What each named condition (by name) and each expression (by text) reads: its
        #: facts, its steps and how deep it goes; None when its answer is not kept.
        self.plans: dict[str, _Plan | None] = {}
        self.expression_plans: dict[str, _Plan | None] = {}
        self.results: dict[tuple, bool | None] = {}

    def key(self, name: str, ev: _Evaluator) -> tuple | None:
        """What the answer of the named condition ``name`` is kept under, if it can be."""
        if name in self.plans:
            plan = self.plans[name]
        else:
            tree = ev.condition_tree(name)
            plan = self.plans[name] = None if tree is None else self._plan(tree, ev, (name,))
        return self._key(("condition", name), plan, ev)

    def expression_key(self, expression: Expression, ev: _Evaluator) -> tuple | None:
        """What the answer of a whole expression (a guard) is kept under, if it can be."""
        text = expression.text
        if text in self.expression_plans:
            plan = self.expression_plans[text]
        else:
            plan = self.expression_plans[text] = self._plan(expression.tree, ev, ())
        return self._key(("expression", text), plan, ev)

    def keep(self, key: tuple, result: bool | None) -> None:
        if len(self.results) >= self.LIMIT:
            self.results.clear()
        self.results[key] = result

    def _key(self, what: tuple[str, str], plan: _Plan | None, ev: _Evaluator) -> tuple | None:
        if plan is None or ev.depth + plan[2] >= MAX_EVAL_DEPTH:
            return None
        try:
            facts, active = ev.ctx.facts, ev.ctx.active
            key = (
                *what,
                *[(type(v), v) for v in map(facts.get, plan[0])],
                *[state in active for state in plan[1]],
            )
            hash(key)
        except Exception:  # an odd mapping or an unhashable value: decided afresh
            return None
        return key

    def _plan(self, tree: Node, ev: _Evaluator, chain: tuple[str, ...]) -> _Plan | None:
        if len(chain) > self.MAX_CHAIN:
            return None
        facts: set[str] = set()
        states: set[str] = set()
        depths: dict[str, int] = {}
        asked = {id(n.name) for n in walk(tree) if isinstance(n, IsActive)}
        for node in walk(tree):
            if isinstance(node, IsActive):
                states.add(node.name.name)
            elif isinstance(node, Name) and id(node) not in asked and node.name not in depths:
                inner_tree = ev.condition_tree(node.name)
                if inner_tree is None:
                    facts.add(node.name)
                    continue
                if node.name in chain:
                    return None  # a cycle: its answer depends on where the walk began
                inner = self._plan(inner_tree, ev, (*chain, node.name))
                if inner is None:
                    return None
                facts.update(inner[0])
                states.update(inner[1])
                depths[node.name] = inner[2]
        return tuple(sorted(facts)), tuple(sorted(states)), _tree_depth(tree, depths)


#: What a condition reads: its facts, the steps it asks about, how deep it goes.
_Plan = tuple[tuple[str, ...], tuple[str, ...], int]


# -- evaluation and explanation ---------------------------------------------------------


def _join(reasons: list[str], joiner: str) -> str:
    """Reasons in one sentence; nested lists of reasons are bracketed to keep them apart."""
    if len(reasons) == 1:
        return reasons[0]
    return joiner.join(f"({r})" if "; " in r else r for r in reasons)


class _Evaluator:
    """One evaluation against one context; remembers the conditions it has decided."""

    def __init__(self, ctx: Context, decided: dict[str, bool | None] | None = None) -> None:
        self.ctx = ctx
        self.decided: dict[str, bool | None] = {} if decided is None else decided
        self.stack: list[str] = []  # conditions being evaluated, to cut cycles
        self.cycles = 0
        self.depth = 0

    # lookups

    def condition_tree(self, name: str) -> Node | None:
        try:
            found = self.ctx.conditions.get(name)
        except Exception:
            return None
        if isinstance(found, Expression):
            return found.tree
        # A model Condition (which holds its Expression) is accepted too.
        inner = getattr(found, "expression", None)
        return inner.tree if isinstance(inner, Expression) else None

    def fact(self, name: str) -> object:
        try:
            raw = self.ctx.facts.get(name)
        except Exception:
            return UNKNOWN
        return UNKNOWN if raw is None else normalize(raw)

    def condition(self, name: str, tree: Node) -> bool | None:
        if name in self.decided:
            return self.decided[name]
        if name in self.stack:
            # A condition that depends on itself can never be decided.
            self.cycles += 1
            return None
        memo = self.ctx.memo
        key = None if memo is None else memo.key(name, self)
        if memo is not None and key is not None and key in memo.results:
            found = self.decided[name] = memo.results[key]
            return found
        cycles = self.cycles
        self.stack.append(name)
        truth, deepest = _compiled(tree)  # as decide(), a Python frame fewer a level
        try:
            result = truth(self) if self.depth + deepest < MAX_EVAL_DEPTH else self.truth(tree)
        finally:
            self.stack.pop()
        if self.cycles == cycles:
            # A result cut short by a cycle depends on where the walk began: not kept.
            self.decided[name] = result
            if memo is not None and key is not None:
                memo.keep(key, result)
        return result

    # evaluation

    def decide(self, tree: Node) -> bool | None:
        """The truth of a whole tree: compiled (:func:`_compiled`) when no part of it can
        reach the depth limit from here, else walked node by node. Both give the same
        answer; the compiled one only skips the per-node bookkeeping."""
        truth, deepest = _compiled(tree)
        if self.depth + deepest < MAX_EVAL_DEPTH:
            return truth(self)
        return self.truth(tree)

    def value_at(self, name: str, offset: int) -> object:
        """A name's value from inside a compiled tree, ``offset`` evaluation levels below
        where the tree began (which is where a named condition's depth counts from)."""
        tree = self.condition_tree(name)
        if tree is None:
            return self.fact(name)
        base = self.depth
        self.depth = base + offset
        try:
            result = self.condition(name, tree)
        finally:
            self.depth = base
        return UNKNOWN if result is None else result

    def is_set_at(self, name: str, offset: int) -> bool:
        """``name is set`` from inside a compiled tree (see :meth:`value_at`)."""
        tree = self.condition_tree(name)
        if tree is None:
            return self.fact(name) is not UNKNOWN
        base = self.depth
        self.depth = base + offset
        try:
            return self.condition(name, tree) is not None
        finally:
            self.depth = base

    def value(self, node: Node) -> object:
        """An operand's value, or ``UNKNOWN``."""
        if isinstance(node, Name):
            tree = self.condition_tree(node.name)
            if tree is None:
                return self.fact(node.name)
            result = self.condition(node.name, tree)
            return UNKNOWN if result is None else result
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, ListValue):
            return tuple(item.value for item in node.items)
        result = self.truth(node)
        return UNKNOWN if result is None else result

    def truth(self, node: Node) -> bool | None:
        if self.depth >= MAX_EVAL_DEPTH:
            return None
        self.depth += 1
        try:
            return self._truth(node)
        finally:
            self.depth -= 1

    def _truth(self, node: Node) -> bool | None:
        if isinstance(node, (Name, Literal, ListValue)):
            value = self.value(node)
            return value if isinstance(value, bool) else None
        if isinstance(node, Not):
            inner = self.truth(node.operand)
            return None if inner is None else not inner
        if isinstance(node, And):
            result: bool | None = True
            for operand in node.operands:
                current = self.truth(operand)
                if current is False:
                    return False
                if current is None:
                    result = None
            return result
        if isinstance(node, Or):
            result = False
            for operand in node.operands:
                current = self.truth(operand)
                if current is True:
                    return True
                if current is None:
                    result = None
            return result
        if isinstance(node, Compare):
            left = self.value(node.left)
            right = self.value(node.right)
            if left is UNKNOWN or right is UNKNOWN:
                return None
            return compare_values(node.op, left, right)
        if isinstance(node, IsSet):
            return self.is_set(node.name.name) != node.negated
        if isinstance(node, IsActive):
            return self.is_active(node.name.name) != node.negated
        return None  # pragma: no cover - every node kind is handled above

    def is_set(self, name: str) -> bool:
        tree = self.condition_tree(name)
        if tree is not None:
            return self.condition(name, tree) is not None
        return self.fact(name) is not UNKNOWN

    def is_active(self, name: str) -> bool:
        try:
            return bool(name in self.ctx.active)
        except Exception:
            return False

    # explanation

    def reasons(self, node: Node, want: bool) -> list[str]:
        """Why ``node`` is not ``want``, in plain words; ``[]`` when it is."""
        actual = self.truth(node)
        if actual is want:
            return []
        if self.depth >= MAX_EVAL_DEPTH:
            return ["this condition is nested too deeply to explain"]
        self.depth += 1
        try:
            return self._reasons(node, actual, want)
        finally:
            self.depth -= 1

    def _reasons(self, node: Node, actual: bool | None, want: bool) -> list[str]:
        if isinstance(node, Name):
            return self.name_reasons(node.name, actual, want)
        if isinstance(node, Literal):
            if isinstance(node.value, bool):
                return [f"'{format_value(node.value)}' {'never' if want else 'always'} holds"]
            return [f"{format_value(node.value)} is not true or false"]
        if isinstance(node, ListValue):
            return ["a list is not true or false"]
        if isinstance(node, Not):
            return self.reasons(node.operand, not want)
        if isinstance(node, And):
            if want:
                return self.each(node.operands, True, lambda v: v is not True)
            if actual is True:
                return ["all of these hold: " + _join(self.each(node.operands, False), "; ")]
            return self.each(node.operands, False, lambda v: v is None)
        if isinstance(node, Or):
            if want:
                parts = [_join(self.reasons(op, True), " and ") for op in node.operands]
                return ["none of these holds: " + _join([p for p in parts if p], "; ")]
            return self.each(node.operands, False, lambda v: v is actual)
        if isinstance(node, Compare):
            return self.compare_reasons(node, actual)
        if isinstance(node, IsSet):
            return [self.set_sentence(node.name.name, self.is_set(node.name.name))]
        if isinstance(node, IsActive):
            active = self.is_active(node.name.name)
            return [f"{node.name.name} is {'active' if active else 'not active'}"]
        return []  # pragma: no cover - every node kind is handled above

    def each(
        self,
        operands: tuple[Node, ...],
        want: bool,
        keep: Callable[[bool | None], bool] | None = None,
    ) -> list[str]:
        found: list[str] = []
        for operand in operands:
            if keep is None or keep(self.truth(operand)):
                found.extend(self.reasons(operand, want))
        return found

    def name_reasons(self, name: str, actual: bool | None, want: bool) -> list[str]:
        tree = self.condition_tree(name)
        if tree is not None:
            if name in self.stack:
                return [f"condition '{name}' refers back to itself, so it cannot be decided"]
            if actual is True:
                return [f"condition '{name}' holds"]
            self.stack.append(name)
            try:
                inner = self.reasons(tree, True)
            finally:
                self.stack.pop()
            if want:
                head = f"condition '{name}' does not hold"
            else:
                head = f"condition '{name}' cannot be decided yet"
            return [f"{head}: {_join(inner, '; ')}" if inner else head]
        value = self.fact(name)
        if value is UNKNOWN:
            return [f"{name} is not recorded yet"]
        if isinstance(value, bool):
            return [f"{name} is {format_value(value)}"]
        return [f"{name} is {format_value(value)}, not true or false"]

    def set_sentence(self, name: str, recorded: bool) -> str:
        if self.condition_tree(name) is not None:
            return (
                f"condition '{name}' "
                + ("can already" if recorded else "cannot yet")
                + " be decided"
            )
        if recorded:
            return f"{name} is already recorded ({format_value(self.fact(name))})"
        return f"{name} is not recorded yet"

    def unknown_reasons(self, operand: Node, value: object) -> list[str]:
        if value is not UNKNOWN:
            return []
        if isinstance(operand, Name):
            return self.name_reasons(operand.name, None, False)
        return self.reasons(operand, True)

    def subject(self, node: Node, value: object) -> str:
        if isinstance(node, Name):
            if self.condition_tree(node.name) is not None:
                return f"condition '{node.name}' ({format_value(value)})"
            return f"{node.name} ({format_value(value)})"
        if isinstance(node, Literal):
            return format_value(value)
        return f"({describe_tree(node, 0)}) ({format_value(value)})"

    def compare_reasons(self, node: Compare, actual: bool | None) -> list[str]:
        left = self.value(node.left)
        right = self.value(node.right)
        if actual is None:
            return self.unknown_reasons(node.left, left) + self.unknown_reasons(node.right, right)
        return [self.compare_sentence(node, left, right, actual)]

    def compare_sentence(self, node: Compare, left: object, right: object, actual: bool) -> str:
        """What is actually so about ``node``, given that it came out ``actual``."""
        op = node.op
        a = self.subject(node.left, left)
        if isinstance(node.right, ListValue):
            items = format_value(right)
        elif isinstance(node.right, Name):
            items = f"the values of {self.subject(node.right, right)}"
        else:
            items = self.subject(node.right, right)
        if not compatible(op, left, right):
            if op in IN_OPS and not isinstance(right, tuple):
                return f"{self.subject(node.right, right)} is not a list of values"
            if op in IN_OPS:
                return f"{a} is {KIND_PHRASES[kind_of(left)]}, so it cannot be looked up in {items}"
            b = self.subject(node.right, right)
            if kind_of(left) == kind_of(right) == "boolean":
                return f"{a} and {b} are true/false values, which cannot be put in order"
            return (
                f"{a} is {KIND_PHRASES[kind_of(left)]} and {b} is "
                f"{KIND_PHRASES[kind_of(right)]}, so they cannot be compared"
            )
        plain_fact = isinstance(node.left, Name) and self.condition_tree(node.left.name) is None
        if op in ("==", "!="):
            equal = actual if op == "==" else not actual
            if plain_fact and isinstance(node.right, Literal):
                name = node.left.name  # type: ignore[union-attr]
                if equal:
                    return f"{name} is {format_value(right)}"
                return f"{name} is {format_value(left)}, not {format_value(right)}"
            b = self.subject(node.right, right)
            return f"{a} is the same as {b}" if equal else f"{a} is not the same as {b}"
        if op in IN_OPS:
            member = actual if op == "in" else not actual
            assert isinstance(right, tuple)
            if plain_fact:
                name = node.left.name  # type: ignore[union-attr]
                if not right:
                    return f"{name} is {format_value(left)}, and the list after '{op}' is empty"
                single = isinstance(node.right, ListValue) and len(right) == 1
                if member:
                    return f"{name} is {format_value(left)}" + (
                        "" if single else f", one of {items}"
                    )
                return f"{name} is {format_value(left)}, not {'' if single else 'one of '}{items}"
            return f"{a} is {'' if member else 'not '}one of {items}"
        words = ORDER_WORDS[kind_of(left)][op]
        b = self.subject(node.right, right)
        return f"{a} is {'' if actual else 'not '}{words} {b}"


# -- compiled trees ----------------------------------------------------------------------
#
# A guard is decided many times over (every event, every replay, every configuration
# ``cspr explore`` visits), so each tree is turned once into nested closures that do what
# :meth:`_Evaluator._truth` and :meth:`_Evaluator.value` do for it, without looking at
# node kinds or counting depth on the way. Closures only: nothing is generated as text and
# nothing from a process file is ever run as code. ``level`` is how many truth frames of
# the walk enclose a node (the root's is 0); a named condition met at that level is
# decided ``level + 1`` frames down, as the walk would.

_Truth = Callable[["_Evaluator"], "bool | None"]
_Value = Callable[["_Evaluator"], object]
#: Compiled trees by the id of their root, the root kept so that its id is not reused.
_COMPILED: dict[int, tuple[Node, _Truth, int]] = {}


def _compiled(tree: Node) -> tuple[_Truth, int]:
    """The tree's compiled truth, and the deepest level any of its truth frames is at."""
    entry = _COMPILED.get(id(tree))
    if entry is None or entry[0] is not tree:
        levels = [0]
        truth = _compile_truth(tree, 0, levels)
        entry = _COMPILED[id(tree)] = (tree, truth, max(levels))
    return entry[1], entry[2]


def _compile_truth(node: Node, level: int, levels: list[int]) -> _Truth:
    levels.append(level)
    if isinstance(node, (Name, Literal, ListValue)):
        value = _compile_value(node, level, levels)

        def as_truth(ev: _Evaluator) -> bool | None:
            found = value(ev)
            return found if isinstance(found, bool) else None

        return as_truth
    if isinstance(node, Not):
        operand = _compile_truth(node.operand, level + 1, levels)

        def negation(ev: _Evaluator) -> bool | None:
            inner = operand(ev)
            return None if inner is None else not inner

        return negation
    if isinstance(node, (And, Or)):
        operands = tuple(_compile_truth(o, level + 1, levels) for o in node.operands)
        decisive = isinstance(node, Or)  # the value that settles it at once

        def junction(ev: _Evaluator) -> bool | None:
            result: bool | None = not decisive
            for operand in operands:
                current = operand(ev)
                if current is decisive:
                    return decisive
                if current is None:
                    result = None
            return result

        return junction
    if isinstance(node, Compare):
        left = _compile_value(node.left, level, levels)
        right = _compile_value(node.right, level, levels)
        op = node.op

        def comparison(ev: _Evaluator) -> bool | None:
            a = left(ev)
            b = right(ev)
            if a is UNKNOWN or b is UNKNOWN:
                return None
            return compare_values(op, a, b)

        return comparison
    if isinstance(node, IsSet):
        is_set = methodcaller("is_set_at", node.name.name, level + 1)
        if node.negated:
            return lambda ev: not is_set(ev)
        return is_set
    if isinstance(node, IsActive):
        is_active = methodcaller("is_active", node.name.name)
        if node.negated:
            return lambda ev: not is_active(ev)
        return is_active
    return lambda ev: None  # pragma: no cover - every node kind is handled above


def _compile_value(node: Node, level: int, levels: list[int]) -> _Value:
    if isinstance(node, Name):
        return methodcaller("value_at", node.name, level + 1)  # no Python frame of its own
    if isinstance(node, Literal):
        constant = node.value
        return lambda ev: constant
    if isinstance(node, ListValue):
        items = tuple(item.value for item in node.items)
        return lambda ev: items
    truth = _compile_truth(node, level + 1, levels)

    def operand(ev: _Evaluator) -> object:
        result = truth(ev)
        return UNKNOWN if result is None else result

    return operand


# -- how deep an evaluation goes ----------------------------------------------------------


def evaluation_depths(conditions: Mapping[str, Expression]) -> dict[str, int]:
    """How deep deciding each named condition goes, counted as the evaluator counts
    against :data:`MAX_EVAL_DEPTH` (following the conditions it names; a condition that
    depends on itself is cut where it comes back, as the evaluator cuts it). Worked out
    without recursion over the conditions, so a chain of thousands costs no stack."""
    depths: dict[str, int] = {}
    state: dict[str, int] = {}  # 1: being worked out, 2: done
    for root in conditions:
        if root in state:
            continue
        stack = [(root, iter(sorted(conditions[root].names & conditions.keys())))]
        state[root] = 1
        while stack:
            name, pending = stack[-1]
            for used in pending:
                if used not in state:
                    state[used] = 1
                    stack.append((used, iter(sorted(conditions[used].names & conditions.keys()))))
                    break
            else:
                stack.pop()
                state[name] = 2
                # A name still being worked out is a cycle: the evaluator stops there.
                depths[name] = _tree_depth(conditions[name].tree, depths)
    return depths


def evaluation_depth(expression: Expression, depths: Mapping[str, int]) -> int:
    """How deep deciding ``expression`` goes, given :func:`evaluation_depths`."""
    return _tree_depth(expression.tree, depths)


def _tree_depth(node: Node, depths: Mapping[str, int]) -> int:
    """Nested ``truth`` calls the evaluator makes for ``node`` (this one included)."""

    def value(operand: Node) -> int:  # what finding an operand's value adds
        if isinstance(operand, Name):
            return depths.get(operand.name, 0)
        if isinstance(operand, (Literal, ListValue)):
            return 0
        return _tree_depth(operand, depths)

    if isinstance(node, (Name, Literal, ListValue)):
        return 1 + value(node)
    if isinstance(node, Not):
        return 1 + _tree_depth(node.operand, depths)
    if isinstance(node, (And, Or)):
        return 1 + max(_tree_depth(operand, depths) for operand in node.operands)
    if isinstance(node, Compare):
        return 1 + max(value(node.left), value(node.right))
    if isinstance(node, IsSet):
        return 1 + value(node.name)
    return 1
