"""``properties:`` of a process file → :class:`~engine.model.Property` records, checked.

A property is a statement a policy lead expects to hold on every path a case can take;
``cspr explore`` checks it. Two kinds:

- an invariant, ``always: CONDITION`` (or ``never: CONDITION``): a condition over facts,
  ``today`` and ``STATE is active`` that holds in every configuration a case can reach;
- an ordering, ``happens: X`` with ``only_after: Y`` (or a list, any one of them): the
  step ``X`` is entered, or the event ``X`` taken, only once ``Y`` has been.

Only the main file's properties belong to a process: an included file's describe that
file's own process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ..conditions import Expression
from ..model import Process, Property
from ..problems import Problem, did_you_mean

if TYPE_CHECKING:  # pragma: no cover
    from . import yamlsource

#: Names a condition may use besides facts and conditions.
_BUILTIN = frozenset({"today"})


def read_properties(
    document: yamlsource.Document,
    expression: Callable[[yamlsource.Document, tuple[str | int, ...], str], Expression | None],
) -> dict[str, Property]:
    """The properties written in ``document`` (its shape already checked); a condition
    that does not parse is reported by ``expression`` and the property left out."""
    found: dict[str, Property] = {}
    specs = document.data.get("properties")
    if not isinstance(specs, dict):
        return found
    for key, spec in specs.items():
        if not isinstance(spec, dict):
            continue
        base = ("properties", key)
        common: dict[str, Any] = {
            "id": key,
            "title": str(spec.get("title") or key),
            "description": spec.get("description"),
            "source": spec.get("source"),
            "where": document.where(base, key=True),
            "source_at": document.where((*base, "source")),
        }
        for word, negated in (("always", False), ("never", True)):
            text = spec.get(word)
            if isinstance(text, str):
                path = (*base, word)
                parsed = expression(document, path, text)
                if parsed is not None:
                    names_at = tuple(document.text_offset(path, o) for _, o in parsed.name_offsets)
                    found[key] = Property(
                        kind="invariant",
                        condition=parsed,
                        negated=negated,
                        names_at=names_at,
                        **common,
                    )
                break
        else:
            happens = spec.get("happens")
            after = spec.get("only_after")
            if isinstance(after, str):
                after = [after]
            if isinstance(happens, str) and isinstance(after, list):
                found[key] = Property(
                    kind="ordering",
                    happens=happens,
                    after=tuple(str(a) for a in after),
                    names_at=(
                        document.where((*base, "happens")),
                        *(
                            document.where((*base, "only_after", i))
                            if isinstance(spec.get("only_after"), list)
                            else document.where((*base, "only_after"))
                            for i in range(len(after))
                        ),
                    ),
                    **common,
                )
    return found


def check_properties(process: Process) -> list[Problem]:
    """What a schema cannot check: the names a property uses, and its source."""
    problems: list[Problem] = []
    events = set(process.events())
    steps = set(process.states)
    values = set(process.facts) | set(process.conditions) | _BUILTIN
    for prop in process.properties.values():
        if prop.source is not None and prop.source not in process.sources:
            problems.append(
                Problem(
                    prop.source_at,
                    f"property '{prop.id}' cites unknown source '{prop.source}'"
                    + did_you_mean(prop.source, process.sources),
                )
            )
        if prop.kind == "invariant" and prop.condition is not None:
            problems.extend(_condition_names(prop, prop.condition, values, steps))
        else:
            names = [prop.happens or "", *prop.after]
            for index, name in enumerate(names):
                if name in steps or name in events:
                    continue
                where = prop.names_at[index] if index < len(prop.names_at) else prop.where
                problems.append(
                    Problem(
                        where,
                        f"property '{prop.id}': '{name}' is neither a step nor an event of "
                        f"process '{process.id}'" + did_you_mean(name, steps | events),
                    )
                )
    return problems


def _condition_names(
    prop: Property, condition: Expression, values: set[str], steps: set[str]
) -> Iterable[Problem]:
    offsets = dict(condition.name_offsets)
    at = dict(zip((o for _, o in condition.name_offsets), prop.names_at, strict=False))
    for name in sorted(condition.names - values):
        yield Problem(
            at.get(offsets.get(name, -1), prop.where),
            f"property '{prop.id}': unknown fact or condition '{name}'"
            + did_you_mean(name, values),
        )
    for name in sorted(condition.states - steps):
        yield Problem(
            at.get(offsets.get(name, -1), prop.where),
            f"property '{prop.id}': unknown step '{name}'" + did_you_mean(name, steps),
        )
