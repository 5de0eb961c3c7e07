"""Stores as older cspr versions wrote them, made from a store written now.

A store is written with today's cspr, then the columns, indexes and triggers added since
schema ``version`` are dropped and its schema number set back, so that the upgrade and
replay of old stores can be tested on both databases.
"""

from __future__ import annotations

from cspr_engine.store.database import Store

#: Columns added by each schema, by table.
ADDED: dict[int, dict[str, list[str]]] = {
    2: {"history": ["facts_given", "as_of"]},
    3: {
        "cases": ["closed_on", "withdrawn", "wakes_on", "calendar", "ref_key"],
        "history": ["corrects", "void", "row_format", "hash"],
    },
}


def make_old(store: Store, version: int) -> None:
    """Turn ``store`` (written now) into one that cspr wrote at schema ``version``."""
    with store.transaction():
        if version < 3:
            store.execute("DROP INDEX IF EXISTS cases_wakes")
            store.execute("DROP INDEX IF EXISTS cases_by_ref_key")
            if store.dialect.name == "sqlite":
                store.execute("DROP TRIGGER IF EXISTS history_append_only_replace")
        for added in range(3, version, -1):
            for table, columns in ADDED[added].items():
                for column in columns:
                    store.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        store.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(version),))
