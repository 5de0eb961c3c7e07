"""The ``cspr`` command: validate process files, step cases, see what is due.

Thin by design: parse options, call the engine, print. Heavy modules (the statechart
library, jsonschema, graphviz) are imported inside the commands that need them, and
``cspr diagram`` only when it is run (:class:`~engine.cli.main.LazyGroup`).
"""

from __future__ import annotations

from .cases import case
from .clock import due, tick
from .explore import explore
from .export import export
from .main import main
from .processes import scenario, validate
from .report import report
from .stores import backup, db_group
from .versions import migrate_group, process_group

for command in (validate, case, tick, due, export, report, db_group, backup, scenario, explore):
    main.add_command(command)
for command in (process_group, migrate_group):  # when guidance changes
    main.add_command(command)

__all__ = ["main"]
