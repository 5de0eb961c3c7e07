"""The ``cspr`` command group: its global options, and the commands imported only when
run."""

from __future__ import annotations

import click

# -- the command group ----------------------------------------------------------------------


class LazyGroup(click.Group):
    """A group whose commands are imported only when they are run (or listed by --help),
    so that a command starts without importing every other one: ``cspr case show``
    imports the ``case`` commands and nothing else of the command line. Only ``case`` is
    added when the group is made (in ``engine/cli/__init__.py``)."""

    #: Each command's name → (its module, relative to this package; its attribute).
    lazy = {
        "backup": (".stores", "backup"),
        "db": (".stores", "db_group"),
        "diagram": (".diagram", "diagram_command"),
        "due": (".clock", "due"),
        "explore": (".explore", "explore"),
        "export": (".export", "export"),
        "migrate": (".versions", "migrate_group"),
        "process": (".versions", "process_group"),
        "report": (".report", "report"),
        "scenario": (".processes", "scenario"),
        "tick": (".clock", "tick"),
        "validate": (".processes", "validate"),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            import importlib

            module, attribute = self.lazy[name]
            return getattr(importlib.import_module(module, __package__), attribute)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    metavar="PATH|URL",
    help="Case store: a SQLite file, or postgresql://user@host/db for a shared one "
    "(default: $CSPR_DB, else ./cases.db).",
)
@click.option(
    "--processes",
    metavar="DIR",
    help="Folder of process files (default: $CSPR_PROCESSES, else ./processes).",
)
@click.version_option(package_name="cspr-engine")
def main(db: str | None, processes: str | None) -> None:
    """Run statutory child safeguarding review processes as statecharts.

    \b
    Examples:
      cspr validate processes/
      cspr case open cspr --ref LA-2019-041 --fact aware_on=2019-12-20
      cspr case send LA-2019-041 panel_notified --on 2019-12-23
      cspr due --within 5
    """
