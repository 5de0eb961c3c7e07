"""The case register: finding cases by what operators know about them.

A filter names processes, steps and roles by id or by title; one that names nothing the
register knows is refused with the nearest name ("did you mean"), never answered with an
empty list. Cases are read one at a time, so that one damaged case is reported and the
others still listed.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Iterator, Mapping
from typing import Any

from ..frozen import Frozen, field
from ..model import Process
from ..problems import did_you_mean
from ..run import facts as fact_values
from ..run.records import CaseRecord
from .runtime import DeadlineView, Refused, Runtime


class CaseFilter(Frozen):
    """Which cases to list. Empty fields do not filter."""

    process: str | None = None
    #: Step ids (any of them active).
    states: frozenset[str] = frozenset()
    #: A pattern over references, as in a shell (``LA-2019-*``), ignoring case.
    ref: str | None = None
    #: "open" or "closed", or None for both.
    status: str | None = None
    facts: Mapping[str, str] = field(default_factory=dict)
    opened_from: dt.date | None = None
    opened_to: dt.date | None = None
    role: str | None = None
    overdue: bool = False
    withdrawn: bool = False


class Listed(Frozen):
    """A case as the register shows it."""

    record: CaseRecord
    process: Process
    #: Its overdue deadlines as of the date asked about.
    overdue: list[DeadlineView]

    @property
    def current(self) -> list[str]:
        """The titles of the innermost steps it is in."""
        return [self.process.states[s].label for s in self.process.leaves(self.record.states)]

    def as_json(self) -> dict[str, Any]:
        r = self.record
        return {
            "id": r.id,
            "ref": r.ref,
            "process": r.process,
            "version": r.version,
            "states": r.states,
            "current": self.current,
            "overdue": [d.name for d in self.overdue],
            "opened_on": r.opened_on,
            "last_on": r.last_on,
            "closed_on": r.closed_on,
            "withdrawn": r.withdrawn,
            "facts": dict(r.facts),
        }


def resolve(runtime: Runtime, wanted: CaseFilter, state: str | None = None) -> CaseFilter:
    """``wanted`` with its names checked against what the register holds, and ``state``
    (an id or a title) turned into the step ids it names: refused, with the nearest
    name, if a process, step or role is unknown."""
    processes = list(runtime.processes_in_store())
    names = sorted({p.id for p in processes})
    if wanted.process is not None and wanted.process not in names:
        raise Refused(
            f"no case of process '{wanted.process}' in the register"
            + (did_you_mean(wanted.process, names) or f"; its processes: {', '.join(names)}")
        )
    if wanted.process is not None:
        processes = [p for p in processes if p.id == wanted.process]
    if state is not None:
        wanted = _with_states(wanted, state, processes)
    if wanted.role is not None:
        roles = {r for p in processes for r in p.roles}
        titles = {p.roles[r].title.casefold(): r for p in processes for r in p.roles}
        role = wanted.role if wanted.role in roles else titles.get(wanted.role.casefold())
        if role is None:
            raise Refused(
                f"no role '{wanted.role}' in these processes"
                + (
                    did_you_mean(wanted.role, sorted(roles))
                    or f"; roles: {', '.join(sorted(roles))}"
                )
            )
        wanted = _replace(wanted, role=role)
    for name in wanted.facts:
        if not any(name in p.facts for p in processes):
            known = sorted({f for p in processes for f in p.facts})
            raise Refused(f"no fact '{name}' in these processes" + did_you_mean(name, known))
    return wanted


def _with_states(wanted: CaseFilter, state: str, processes: list[Process]) -> CaseFilter:
    ids = {s for p in processes for s in p.states if s == state}
    ids |= {
        s
        for p in processes
        for s, st in p.states.items()
        if st.title is not None and st.title.casefold() == state.casefold()
    }
    if not ids:
        known = sorted({s for p in processes for s in p.states})
        titles = sorted({st.title for p in processes for st in p.states.values() if st.title})
        raise Refused(
            f"no step '{state}' in these processes"
            + (did_you_mean(state, known) or did_you_mean(state, titles))
        )
    return _replace(wanted, states=frozenset(ids))


def _replace(wanted: CaseFilter, **changes: Any) -> CaseFilter:
    from ..frozen import replace

    return replace(wanted, **changes)


def matching(
    runtime: Runtime, wanted: CaseFilter, as_of: dt.date
) -> Iterator[Listed | tuple[int, str]]:
    """The cases ``wanted`` describes, in id order; a case that cannot be read is given as
    ``(id, why)`` and the others follow."""
    for case_id in runtime.store.case_ids(wanted.process):
        try:
            record = runtime.store.find(str(case_id))
            if not keeps(wanted, record):
                continue
            process = runtime.process_of(record)
            if not keeps_facts(wanted, record, process):
                continue
            overdue = [
                view
                for view in (runtime.deadline_view(process, row, as_of) for row in record.deadlines)
                if view.status == "overdue"
            ]
        except Refused:
            raise
        except Exception as error:  # noqa: BLE001 - one damaged case must not stop the rest
            yield case_id, " ".join(str(error).split()) or type(error).__name__
            continue
        if wanted.overdue:
            overdue = [d for d in overdue if wanted.role is None or d.role == wanted.role]
            if not overdue:
                continue
        elif wanted.role is not None and not any(
            process.responsible(s) == wanted.role for s in process.leaves(record.states)
        ):
            continue
        yield Listed(record, process, overdue)


def keeps(wanted: CaseFilter, record: CaseRecord) -> bool:
    if record.withdrawn and not wanted.withdrawn:
        return False
    if wanted.states and not wanted.states & set(record.states):
        return False
    if wanted.ref is not None and not fnmatch.fnmatch(
        (record.ref or "").casefold(), wanted.ref.casefold()
    ):
        return False
    if wanted.status == "open" and record.closed_on is not None:
        return False
    if wanted.status == "closed" and record.closed_on is None:
        return False
    if wanted.opened_from and record.opened_on < wanted.opened_from.isoformat():
        return False
    return not (wanted.opened_to and record.opened_on > wanted.opened_to.isoformat())


def keeps_facts(wanted: CaseFilter, record: CaseRecord, process: Process) -> bool:
    for name, text in wanted.facts.items():
        if name not in process.facts or name not in record.facts:
            return False
        try:
            value = fact_values.coerce(process, name, text)
        except fact_values.FactError as error:
            raise Refused(str(error)) from None
        if fact_values.to_json(value) != record.facts[name]:
            return False
    return True
