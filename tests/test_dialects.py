"""Database passwords are never printed (issue 19, finding 4), in any form a location can
take them: a URL's user part or its ``?password=`` query, percent-encoded or not, with a
bare ``%``, in a libpq ``key=value`` connection string, or quoted back by libpq when it
cannot read the address. A connection string is a PostgreSQL database, never a SQLite
file of that name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from click.testing import CliRunner
from cspr_engine.cli import main
from cspr_engine.store.database import Store, StoreError
from cspr_engine.store.dialects import (
    PostgreSQL,
    SQLite,
    dialect_for,
    display_location,
    is_postgres,
    scrub,
    secrets_in,
)

TESTS = Path(__file__).resolve().parent
SECRET = "s3cret-w0rd"

#: (location with SECRET in it, what is shown).
FORMS = [
    ("postgresql://clerk:s3cret-w0rd@db.example/cases", "postgresql://clerk:***@db.example/cases"),
    ("postgres://clerk:s3cret-w0rd@db.example:5433/cases",
     "postgres://clerk:***@db.example:5433/cases"),
    ("postgresql://:s3cret-w0rd@db.example/cases", "postgresql://:***@db.example/cases"),
    ("postgresql://clerk@db.example/cases?password=s3cret-w0rd",
     "postgresql://clerk@db.example/cases?password=***"),
    ("postgresql://clerk@db.example/cases?sslmode=require&PASSWORD=s3cret-w0rd&connect_timeout=5",
     "postgresql://clerk@db.example/cases?sslmode=require&PASSWORD=***&connect_timeout=5"),
    ("postgresql://clerk@db.example/cases?pass%77ord=s3cret-w0rd",
     "postgresql://clerk@db.example/cases?pass%77ord=***"),
    ("postgresql://clerk@db.example/cases?sslpassword=s3cret-w0rd",
     "postgresql://clerk@db.example/cases?sslpassword=***"),
    ("postgresql://clerk:s3cret%2Dw0rd@db.example/cases", "postgresql://clerk:***@db.example/cases"),
    ("postgresql://clerk@db.example/cases?password=s3cret%2Dw0rd",
     "postgresql://clerk@db.example/cases?password=***"),
    ("postgresql://clerk:s3cret-w0rd%@db.example/cases", "postgresql://clerk:***@db.example/cases"),
    ("postgresql://clerk:s3cret/w0rd@db.example/cases", "postgresql://clerk:***@db.example/cases"),
    ("postgresql://clerk:s3cret@w0rd@db.example/cases", "postgresql://clerk:***@db.example/cases"),
    ("postgresql://clerk:s3cret?w0rd@db.example/cases", "postgresql://clerk:***@db.example/cases"),
    ("postgresql://clerk@db.example/cases?password=s3cret&w0rd",
     "postgresql://clerk@db.example/cases?password=***&***"),
    ("host=db.example user=clerk password=s3cret-w0rd dbname=cases",
     "host=db.example user=clerk password=*** dbname=cases"),
    ("host=db.example user=clerk password = 's3cret w0rd' dbname=cases",
     "host=db.example user=clerk password=*** dbname=cases"),
    ("host=db.example password='s3cret \\' w0rd'", "host=db.example password=***"),
    ("host=db.example password=s3cret w0rd", "host=db.example password=*** ***"),
    ("host='db.example password=s3cret-w0rd", "host=***"),
    ("host=db.example user=clerk PassWord=s3cret-w0rd", "host=db.example user=clerk PassWord=***"),
]  # fmt: skip


def pieces(location: str) -> list[str]:
    """Every piece of SECRET that a location holds, as written and decoded, that no
    message may show (its halves when it is split by a space, &, / or @ in it)."""
    found = {SECRET, "s3cret", "w0rd", "s3cret%2Dw0rd"}
    return [piece for piece in found if piece in location or piece == SECRET]


@pytest.mark.parametrize(("location", "shown"), FORMS)
def test_every_form_of_a_password_is_hidden_when_shown(location: str, shown: str) -> None:
    assert is_postgres(location)
    assert display_location(location) == shown
    assert dialect_for(location).display() == shown
    assert isinstance(dialect_for(location), PostgreSQL)
    for piece in pieces(location):
        assert piece not in shown
    assert secrets_in(location)


def test_locations_without_a_password_are_shown_as_given() -> None:
    for location in (
        "postgresql://clerk@db.example/cases",
        "postgresql://clerk@/cases?host=/run/postgresql&options=-csearch_path%3Dcspr",
        "host=db.example user=clerk dbname=cases",
        "cases.db",
        "/srv/cspr/cases.db",
        ":memory:",
    ):
        assert display_location(location) == location
        assert secrets_in(location) == []


@pytest.mark.parametrize("name", ["cases.db", "./host=x.db", "folder/user=me.db", "x y.db"])
def test_file_names_stay_sqlite_files(name: str) -> None:
    assert not is_postgres(name)
    assert isinstance(dialect_for(name), SQLite)


def test_messages_are_scrubbed_of_every_form() -> None:
    location = "postgresql://clerk:s3cret%2Dw0rd@db.example/cases"
    assert scrub('unexpected "s3cret-w0rd" and "s3cret%2Dw0rd"', location) == (
        'unexpected "***" and "***"'
    )
    assert scrub("nothing secret", location) == "nothing secret"
    assert scrub("a message with ab in it", "postgresql://u:ab@h/d") is None


# -- through the command, without a server --------------------------------------------------


def cspr(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cspr_engine.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,  # a hang guard, not a speed check
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(TESTS.parent), "CSPR_NO_CACHE": "1"},
    )


def unreachable(tmp_path: Path) -> list[str]:
    """Locations of a server that is not there (a Unix socket folder with no socket),
    each with SECRET in a different form, several of which libpq cannot read."""
    socket = tmp_path / "no-server"
    socket.mkdir(exist_ok=True)
    host = quote(str(socket), safe="")
    return [
        f"postgresql://clerk:{SECRET}@/cases?host={host}",
        f"postgresql://clerk@/cases?host={host}&password={SECRET}",
        f"postgresql://clerk@/cases?password={quote(SECRET, safe='')}&host={host}",
        f"postgresql://clerk:{SECRET}%@/cases?host={host}",  # a bare %
        f"postgresql://clerk:{SECRET}%e9@/cases?host={host}",  # not UTF-8
        f"postgresql://clerk:s3cret w0rd@/cases?host={host}",  # a space libpq quotes back
        f"postgresql://clerk@/cases?host={host}&password={SECRET}&bogus=1",
        f"postgresql://clerk:{SECRET}@[::1/cases",  # libpq quotes the whole URL back
        f"host={socket} user=clerk password={SECRET} dbname=cases",
        f"host={socket} user=clerk password='s3cret w0rd' dbname=cases",
        f"host={socket} user=clerk password=s3cret w0rd dbname=cases",  # "w0rd" quoted back
        f"host={socket} user=clerk password='{SECRET}",  # unterminated
    ]


@pytest.mark.parametrize("command", [["case", "list"], ["case", "show", "LA-1"],
                                     ["db", "upgrade"], ["backup", "copy.db"]])  # fmt: skip
def test_a_password_is_never_printed_when_the_server_cannot_be_used(
    tmp_path: Path, command: list[str]
) -> None:
    pytest.importorskip("psycopg", reason="psycopg is not installed")
    for location in unreachable(tmp_path):
        result = cspr("--db", location, *command, cwd=tmp_path)
        output = result.stdout + result.stderr
        assert result.returncode == 1, output
        assert "Traceback" not in output
        assert len(output.splitlines()) == 1, output
        assert output.startswith("cspr: cannot connect to "), output
        for piece in pieces(location):
            assert piece not in output, (location, output)
        assert "***" in output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["no-server"]  # no file made


def test_a_connection_string_is_never_taken_for_a_file_name(tmp_path: Path) -> None:
    pytest.importorskip("psycopg", reason="psycopg is not installed")
    socket = tmp_path / "no-server"
    socket.mkdir()
    location = f"host={socket} user=clerk dbname=cases"
    result = cspr("--db", location, "case", "list", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith(f"cspr: cannot connect to {location}: "), result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["no-server"]
    with pytest.raises(StoreError, match="cannot connect to host="):
        Store(location)


# -- with a server ------------------------------------------------------------------------------


def _with_password_moved(url: str, form: str) -> str:
    """``url`` (postgresql://user:password@/db?query) with its password written ``form``."""
    parts = urlsplit(url)
    password = parts.password or ""
    bare = url.replace(f":{password}@", "@", 1)
    joiner = "&" if "?" in bare else "?"
    if form == "query":
        return f"{bare}{joiner}password={quote(password, safe='')}"
    if form == "encoded":
        return url.replace(f":{password}@", f":{''.join(f'%{b:02X}' for b in password.encode())}@")
    host = dict(pair.split("=", 1) for pair in (parts.query or "").split("&") if "=" in pair)
    words = [f"user={parts.username}", f"password='{password}'", f"dbname={parts.path[1:]}"]
    words += [f"{key}={value}" for key, value in host.items()]
    return " ".join(words).replace("options=-csearch_path%3D", "options=-csearch_path=")


@pytest.mark.parametrize("form", ["query", "encoded", "conninfo"])
def test_no_message_of_a_working_store_shows_its_password(
    postgres_location: str, tmp_path: Path, form: str
) -> None:
    location = _with_password_moved(postgres_location, form)
    password = urlsplit(postgres_location).password or ""
    assert password
    outputs = []
    runner = CliRunner()
    for args in (
        ["db", "upgrade"],
        ["case", "show", "LA-404"],
        ["case", "list"],
        ["backup", str(tmp_path / "backup.db")],
        ["backup", str(tmp_path / "backup.db")],  # refused: it exists
    ):
        result = runner.invoke(main, ["--db", location, *args])
        outputs.append(result.output)
    text = "".join(outputs)
    assert "no case 'LA-404' in " in text and "backed up 0 case(s) from " in text, text
    assert "***" in text
    encoded = "".join(f"%{b:02X}" for b in password.encode())
    for piece in (password, encoded, quote(password, safe="")):
        assert piece not in text, text
