"""Fixtures shared by the test files: a fresh case store on each backend.

``store_location`` gives a new, empty store's location once for SQLite (a file in the
test's folder) and once for PostgreSQL: a schema of its own in the database that
``CSPR_TEST_POSTGRES`` names (``.ci/postgres-start`` starts a throwaway server and sets
it), dropped afterwards. Without that variable, or without psycopg, the PostgreSQL runs
are skipped and say why.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from itertools import count

import pytest
from cspr_engine.store.dialects import with_search_path

POSTGRES_URL = os.environ.get("CSPR_TEST_POSTGRES")

# The suite keeps its own cache folder (made 0700, as cspr wants it), never the user's
# ~/.cache/cspr-engine: set before any test, so the commands tests run inherit it too.
os.environ["CSPR_CACHE"] = tempfile.mkdtemp(prefix="cspr-tests-cache-")


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
def new_postgres_location(postgres_admin) -> Iterator[Callable[[], str]]:
    """Makes ``postgresql://`` URLs whose tables live in new, empty schemas (dropped after
    the test)."""
    schemas: list[str] = []

    def make() -> str:
        schemas.append(f"cspr_test_{uuid.uuid4().hex[:12]}")
        postgres_admin.execute(f"CREATE SCHEMA {schemas[-1]}")
        return with_search_path(POSTGRES_URL, schemas[-1])

    try:
        yield make
    finally:
        for schema in schemas:
            postgres_admin.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def postgres_location(new_postgres_location) -> str:
    """A ``postgresql://`` URL whose tables live in a new, empty schema."""
    return new_postgres_location()


@pytest.fixture(params=["sqlite", "postgresql"])
def new_store_location(request, tmp_path) -> Callable[[], str]:
    """Makes new, empty case store locations: SQLite files, then PostgreSQL schemas."""
    if request.param == "postgresql":
        return request.getfixturevalue("new_postgres_location")
    names = (str(tmp_path / f"cases-{n}.db" if n else tmp_path / "cases.db") for n in count())
    return lambda: next(names)


@pytest.fixture
def store_location(new_store_location) -> str:
    """A new, empty case store's location: a SQLite file, then a PostgreSQL schema."""
    return new_store_location()
