"""Commands on the case store itself: ``cspr db upgrade``, ``cspr db copy``, ``cspr backup``."""

from __future__ import annotations

from pathlib import Path

import click

from .common import fail, open_store, processes_folder, progress, refusals

# -- the store itself --------------------------------------------------------------------------


@click.group("db")
def db_group() -> None:
    """Create, upgrade and copy case stores (SQLite files and PostgreSQL databases)."""


@db_group.command("upgrade")
@click.pass_context
@refusals
def db_upgrade(ctx) -> None:
    """Create the case store's tables, or bring a store written by an older cspr up to date.

    Run `cspr backup` first. The store is --db (or $CSPR_DB); an up-to-date store is left
    as it is, one written by a newer cspr is refused.

    \b
    Example:
      cspr backup cases-before-upgrade.db && cspr db upgrade
      cspr --db postgresql://cspr@db.example.org/cases db upgrade
    """
    from ..cases.runtime import Runtime

    store = open_store(ctx, create=True, upgrade=True)
    was, now = store.found_schema, store.schema_version()
    if was is None:
        click.echo(f"{store.path}: created (schema {now})")
    elif was == now:
        click.echo(f"{store.path}: already up to date (schema {now})")
    else:
        click.echo(f"{store.path}: upgraded from schema {was} to {now}")
        if store.chained:
            click.echo(f"  {store.chained} history row(s) chained by hash, in recording order")
        for clash in store.look_alikes:
            click.echo(f"  {clash}: kept, but look-alike references are refused from now on")
    if was is not None and was < 3:
        # From schema 3 a case is derived from its inputs: derive every case again.
        report = Runtime(store, processes_folder(ctx)).rederive_all()
        changed = [(record, lines) for record, lines in report if lines]
        click.echo(
            f"  {len(report)} case(s) derived again from their history; {len(changed)} changed:"
            if changed
            else f"  {len(report)} case(s) derived again from their history; none changed"
        )
        for record, lines in changed:
            name = f"case {record.id}" + (f" ({record.ref})" if record.ref else "")
            for line in lines:
                click.echo(f"  {name}: {line}")


@db_group.command("copy")
@click.argument("source", metavar="FROM")
@click.argument("target", metavar="TO")
@click.pass_context
@refusals
def db_copy(ctx, source, target) -> None:
    """Copy every case, deadline, history row and process text from FROM to TO.

    FROM and TO are SQLite files or postgresql:// URLs; TO must be empty (it is created if
    need be). Ids and revisions are kept. The copy is checked before it is committed: the
    same rows as FROM, row for row, and every case replays from its history to what is
    stored (as `cspr case verify` does). If anything differs, nothing is kept. On a
    terminal, a progress bar on stderr shows the copying, the checking and the replaying.

    \b
    Example:
      cspr db copy cases.db postgresql://cspr@db.example.org/cases
      cspr db copy postgresql://cspr@db.example.org/cases snapshot.db
    """
    from ..cases.dbcopy import copy_store

    counts = copy_store(
        open_store(ctx, source), open_store(ctx, target, create=True), progress=progress
    )
    click.echo(
        f"copied {counts['cases']} case(s), {counts['deadlines']} deadline(s), "
        f"{counts['history']} history row(s) and {counts['process_texts']} process text(s); "
        "the copy matches row for row and every case replays from its history"
    )


@click.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
@click.pass_context
@refusals
def backup(ctx, path, force) -> None:
    """Copy the case store into the new SQLite file PATH, while others carry on working.

    The copy is one consistent moment of the store (SQLite's online backup; for a
    PostgreSQL store, every row copied in one snapshot and checked row for row). An
    existing PATH is refused unless --force. To restore, stop cspr, copy the backup over
    the store (for PostgreSQL: `cspr db copy PATH` into an empty database), and run
    `cspr case verify --all`.

    \b
    Example:
      cspr backup backups/cases-$(date +%F).db
    """
    from ..outputs import OutputError, check_output

    target = Path(path)
    store = open_store(ctx)
    try:
        # Never onto the store, its -wal, -shm or -journal file, or a link to them.
        check_output(path, force=force, store_location=store.location)
    except OutputError as error:
        fail(f"cspr: {error}")
    from ..cases.dbcopy import backup_store

    cases = backup_store(store, target)
    click.echo(f"backed up {cases} case(s) from {store.path} to {path}")
