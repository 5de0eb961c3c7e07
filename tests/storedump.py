"""Everything in a case store, to compare before and after something that must change
nothing (or only add). Works on any store location ``Store`` opens."""

from __future__ import annotations

from cspr_engine.cases.dbcopy import table_rows
from cspr_engine.store.database import TABLES, Store


def dump(location: str) -> dict[str, list[tuple]]:
    """Every row of every table, in key order."""
    with Store(location, create=False) as store:
        return {table: list(table_rows(store, table)) for table in ["meta", *TABLES]}


def only_added(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> bool:
    """Whether ``after`` holds every row of ``before`` unchanged (and perhaps more)."""
    return all(set(rows) <= set(after[table]) for table, rows in before.items())
