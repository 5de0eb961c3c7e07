"""Fixtures shared by the test files: a fresh case store on each backend.

``store_location`` gives a new, empty store's location once for SQLite (a file in the
test's folder) and once for PostgreSQL: a schema of its own in the database that
``CSPR_TEST_POSTGRES`` names (``.ci/postgres-start`` starts a throwaway server and sets
it), dropped afterwards. Without that variable, or without psycopg, the PostgreSQL runs
are skipped and say why.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest

POSTGRES_URL = os.environ.get("CSPR_TEST_POSTGRES")


def postgres_skip_reason() -> str | None:
    """Why the PostgreSQL tests cannot run here, or None if they can."""
    if not POSTGRES_URL:
        return (
            "CSPR_TEST_POSTGRES is not set: no PostgreSQL server to test against "
            "(.ci/run starts one with .ci/postgres-start)"
        )
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[object]:
    """One connection to the test server, for making and dropping schemas."""
    reason = postgres_skip_reason()
    if reason:
        pytest.skip(reason)
    import psycopg

    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute("SET lock_timeout = '30s'")
        yield connection


@pytest.fixture
def postgres_location(postgres_admin) -> Iterator[str]:
    """A ``postgresql://`` URL whose tables live in a new, empty schema."""
    schema = f"cspr_test_{uuid.uuid4().hex[:12]}"
    postgres_admin.execute(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{joiner}options={quote(f'-csearch_path={schema}')}"
    finally:
        postgres_admin.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request, tmp_path) -> str:
    """A new, empty case store's location: a SQLite file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        return str(tmp_path / "cases.db")
    return request.getfixturevalue("postgres_location")
