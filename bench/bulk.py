"""Stores with many cases, made fast for the timer-sweep and replay benchmarks.

Opening 100,000 cases one by one through the runtime would take minutes, so the cases are
made this way, and the benchmark says so: a few real cases are opened through
:class:`engine.runtime.Runtime` (their states, facts, deadlines and history computed by
the engine), and then their rows in every table are copied, in one transaction, under new
ids and references. Every case is therefore a real case of the shipped CSPR process, but
all cases copied from one template share its dates.

``due`` of the cases are copies of templates opened in May 2024, whose first deadlines have
passed by :data:`AS_OF`; the others are copies of templates opened on or after
:data:`AS_OF`, none of whose deadlines has.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cspr_engine.cases.runtime import Runtime
from cspr_engine.store.database import HISTORY_COLUMNS, Store, row_hash
from cspr_engine.store.refs import skeleton

ROOT = Path(__file__).resolve().parent.parent
#: The day ``cspr tick --as-of`` runs on in the sweep.
AS_OF = dt.date(2024, 6, 3)
FACTS = {"child_died": "true", "abuse_or_neglect": "suspected"}
TEMPLATES = 10


def make_store(path: Path, cases: int, due: int) -> None:
    """A store at ``path`` with ``cases`` open CSPR cases, ``due`` of them with a deadline
    passed by :data:`AS_OF` (both at least :data:`TEMPLATES`)."""
    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    with Store(path) as store:
        rt = Runtime(store, ROOT / "processes")
        late, current = [], []
        for i in range(TEMPLATES):
            for group, opened in ((late, dt.date(2024, 5, 1)), (current, AS_OF)):
                on = opened + dt.timedelta(days=i)
                facts = {**FACTS, "aware_on": on.isoformat()}
                group.append(rt.open("cspr", facts, on=on, by="bench", ref=f"TEMPLATE-{on}"))
        # The templates are cases of the store too.
        templates = [late[i % TEMPLATES].id for i in range(due - TEMPLATES)]
        templates += [current[i % TEMPLATES].id for i in range(cases - due - TEMPLATES)]
        _copy(store, templates)


def make_replay_store(path: Path, cases: int) -> None:
    """A store at ``path`` with ``cases`` copies of one case stepped through the whole main
    CSPR path (see :mod:`bench.mainpath`) through the runtime: a history to replay each."""
    from .mainpath import main_path

    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    steps = main_path()
    with Store(path) as store:
        rt = Runtime(store, ROOT / "processes")
        record = rt.open("cspr", steps.facts, on=steps.opened_on, by="bench", ref="REPLAY")
        for step in steps.steps:
            if step.raised:  # raised by a deadline passing: a tick records it
                rt.tick(step.on, by="bench")
            else:
                rt.send("REPLAY", step.event, on=step.on, facts=step.facts, by="bench")
        _copy(store, [record.id] * (cases - 1))


def _copy(store: Store, templates: list[int]) -> None:
    db = store.db
    rows: dict[str, dict[int, list[tuple]]] = {}
    columns: dict[str, list[str]] = {}
    for table, key in (("cases", "id"), ("deadlines", "case_id"), ("history", "case_id")):
        cursor = db.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
        columns[table] = [d[0] for d in cursor.description]
        at = columns[table].index(key)
        rows[table] = {}
        for row in cursor:
            rows[table].setdefault(row[at], []).append(row)
    with store.transaction():
        next_case = db.execute("SELECT max(id) FROM cases").fetchone()[0] + 1
        next_deadline = db.execute("SELECT max(id) FROM deadlines").fetchone()[0] + 1
        batches: dict[str, list[tuple]] = {"cases": [], "deadlines": [], "history": []}
        for number, template in enumerate(templates):
            case_id = next_case + number
            for row in rows["cases"][template]:
                batches["cases"].append(
                    _with(
                        row,
                        columns["cases"],
                        id=case_id,
                        ref=f"BENCH-{case_id}",
                        ref_key=skeleton(f"BENCH-{case_id}"),
                    )
                )
            for row in rows["deadlines"][template]:
                batches["deadlines"].append(
                    _with(row, columns["deadlines"], id=next_deadline, case_id=case_id)
                )
                next_deadline += 1
            previous = None  # each copy's rows chained afresh: the case id is in every hash
            for row in rows["history"][template]:
                names = columns["history"]
                values = [case_id, *(row[names.index(c)] for c in HISTORY_COLUMNS)]
                previous = row_hash(previous, values)
                batches["history"].append(_with(row, names, case_id=case_id, hash=previous))
        for table, batch in batches.items():
            marks = ", ".join("?" for _ in columns[table])
            db.executemany(f"INSERT INTO {table} VALUES ({marks})", batch)  # noqa: S608


def _with(row: tuple, columns: list[str], **changes: object) -> tuple:
    values = list(row)
    for name, value in changes.items():
        values[columns.index(name)] = value
    return tuple(values)
