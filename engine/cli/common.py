"""What every command shares: one way to refuse (one line, exit 1), the options that mean
the same everywhere, where the store is, and tables."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

DEFAULT_DB = "cases.db"
T = TypeVar("T")


# -- shared plumbing ------------------------------------------------------------------------


def fail(message: str) -> None:
    """Print one clear line (or a few, for file problems) on stderr and exit 1."""
    click.echo(message, err=True)
    sys.exit(1)


def refusals(function: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the engine's refusals into one line on stderr and exit status 1."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ..cases.runtime import Refused
        from ..dates import DateError
        from ..store.database import StoreError

        try:
            return function(*args, **kwargs)
        except (Refused, StoreError, DateError) as error:
            fail(f"cspr: {error}")
        except BrokenPipeError:
            # Whoever read the output stopped early (`| head`): what was asked is done,
            # only the rest of its output is not wanted. Stop as `cat` would, silently.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(141)  # 128 + SIGPIPE
        except Exception as error:  # never a traceback for an operator; CSPR_DEBUG shows it
            if os.environ.get("CSPR_DEBUG"):
                raise
            click.echo(
                f"cspr: internal error, nothing was changed ({type(error).__name__}: "
                f"{error}); set CSPR_DEBUG=1 to see details",
                err=True,
            )
            sys.exit(2)

    return wrapper


def parse_date_option(
    _ctx: click.Context | None, param: click.Parameter | None, value: str | None
) -> dt.date | None:
    """A date option's value, or one line saying why it is not a date (exit 1)."""
    if value is None:
        return None
    from ..dates import DateError, parse_date

    try:
        return parse_date(value)
    except DateError as error:
        fail(f"cspr: {param.opts[0] if param else 'date'}: {error}")
        return None  # not reached: fail() exits


def date_option(name: str, help_text: str) -> Callable[..., Any]:
    return click.option(name, callback=parse_date_option, metavar="YYYY-MM-DD", help=help_text)


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
by_option = click.option("--by", metavar="NAME", help="Who records this (default: your user name).")
on_option = date_option(
    "--on", "The date it happened (default: today); may be earlier than what is recorded."
)
as_of_option = date_option("--as-of", "Judge deadlines as of this date (default: today).")


# -- settings: one rule for each (the option, else the environment, else the default) --------


def setting(ctx: click.Context, option: str, variable: str, default: str) -> str:
    """A setting of every command: the global option ``--<option>``, else ``$<variable>``,
    else ``default``."""
    return ctx.find_root().params.get(option) or os.environ.get(variable) or default


def store_location(ctx: click.Context) -> str:
    """The case store: --db, else $CSPR_DB, else ./cases.db."""
    return setting(ctx, "db", "CSPR_DB", DEFAULT_DB)


def processes_folder(ctx: click.Context) -> Path:
    """The folder of process files: --processes, else $CSPR_PROCESSES, else ./processes
    if there is one, else the processes that ship with cspr."""
    from ..cases.runtime import PACKAGED_PROCESSES

    here = "processes" if Path("processes").is_dir() else str(PACKAGED_PROCESSES)
    return Path(setting(ctx, "processes", "CSPR_PROCESSES", here))


def open_store(
    ctx: click.Context, location: str | None = None, *, create: bool = False, **options: Any
):
    """Open a case store (closed with the command), or fail with one line saying why.

    Only a command that records a case creates a store (``create``): a reading command
    pointed at the wrong place must say so, not show an empty register."""
    from ..store.database import Store, StoreError

    where = location or store_location(ctx)
    if where.strip() == ":memory:":
        fail("cspr: a store in memory keeps nothing: give a file or a postgresql:// URL")
    try:
        store = Store(where, create=create, **options)
    except StoreError as error:
        message = str(error)
        if not create and message.startswith("no case store at"):
            message += " (open a case to create one, or set --db / CSPR_DB)"
        fail(f"cspr: {message}")
    ctx.call_on_close(store.close)
    return store


def runtime(ctx: click.Context, *, create: bool = False):
    """The runtime on the command's store and processes folder."""
    from ..cases.runtime import Runtime

    return Runtime(open_store(ctx, create=create), processes_folder(ctx))


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def long_date(iso: str | dt.date | None) -> str:
    if iso is None:
        return "-"
    day = iso if isinstance(iso, dt.date) else dt.date.fromisoformat(iso)
    return day.strftime("%a %Y-%m-%d")


def table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> None:
    """Aligned columns; the header in bold on a terminal."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True))
    click.echo(click.style(line.rstrip(), bold=True))
    for row in rows:
        click.echo("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def echo_where(rt, record, changes: Sequence[str] = ()) -> None:
    """One line after a change: the case, its new revision and the steps it is now in;
    then, for a late entry or a correction, what it changed."""
    if record.withdrawn:
        click.echo(f"case {record.id} revision {record.revision}: withdrawn (opened in error)")
    else:
        leaves = rt.process_of(record).leaves(record.states)
        closed = f" (closed on {record.closed_on})" if record.closed_on else ""
        click.echo(
            f"case {record.id} revision {record.revision}: now in {', '.join(leaves)}{closed}"
        )
    for line in changes:
        click.echo(f"  changed: {line}")


STATUS_COLOURS = {
    "overdue": "red",
    "missed": "red",
    "met": "green",
    "pending": "yellow",
    "lapsed": "blue",
}


def status_text(status: str) -> str:
    return click.style(status, fg=STATUS_COLOURS.get(status))


def days_text(left: int | None, status: str) -> str:
    if left is None:
        return ""
    if status == "overdue":
        days = max(1, -left)
        return f"{days} working day{'s' if days != 1 else ''} overdue"
    return f"{left} working day{'s' if left != 1 else ''} left"


def report_unreadable(unreadable: list[tuple[int, str]]) -> None:
    """One line each on stderr for the cases a listing could not read, then exit 1."""
    for case_id, error in unreadable:
        click.echo(f"cspr: case {case_id} could not be read and is left out: {error}", err=True)
    if unreadable:
        sys.exit(1)


def progress(items: Iterable[T], length: int, label: str) -> Iterator[T]:
    """``items`` with a progress bar on the terminal (on stderr, so that output piped or
    redirected stays clean), and nothing at all when stderr is not a terminal."""
    if length < 2 or not sys.stderr.isatty():
        yield from items
        return
    with click.progressbar(items, length=length, label=label, file=sys.stderr) as bar:
        yield from bar


#: The filters of the case register, shared by ``case list`` and ``export``.
_FILTERS = (
    click.option("--process", metavar="P", help="Only cases of this process (its id)."),
    click.option("--state", metavar="STEP", help="Only cases in this step (its id or title)."),
    click.option("--ref", metavar="PATTERN", help="References like this, e.g. 'LA-2019-*'."),
    click.option("--open", "status", flag_value="open", help="Only open cases."),
    click.option("--closed", "status", flag_value="closed", help="Only closed cases."),
    click.option(
        "--fact", "facts", multiple=True, metavar="NAME=VALUE", help="Only cases with this fact."
    ),
    date_option("--opened-from", "Only cases opened on or after this date."),
    date_option("--opened-to", "Only cases opened on or before this date."),
    click.option(
        "--role",
        metavar="ROLE",
        help="Only cases with a current step (with --overdue: an overdue deadline) of this role.",
    ),
    click.option("--withdrawn", is_flag=True, help="Also cases withdrawn as opened in error."),
)


def case_filter_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """The register's filters as options of a command (see :func:`case_filter`)."""
    for option in reversed(_FILTERS):
        function = option(function)
    return function


def case_filter(rt: Any, options: dict[str, Any], overdue: bool = False) -> Any:
    """The filter the options of :func:`case_filter_options` describe, its names checked
    against the register (refused, with the nearest name, when unknown)."""
    from ..cases.register import CaseFilter, resolve
    from ..cases.runtime import parse_facts

    wanted = CaseFilter(
        process=options["process"],
        ref=options["ref"],
        status=options["status"],
        facts=parse_facts(options["facts"]),
        opened_from=options["opened_from"],
        opened_to=options["opened_to"],
        role=options["role"],
        overdue=overdue,
        withdrawn=options["withdrawn"],
    )
    return resolve(rt, wanted, options["state"])
