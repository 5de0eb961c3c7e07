"""The ``cspr`` command: validate process files, step cases, see what is due.

Thin by design: parse options, call the engine, print. Heavy modules (the statechart
library, jsonschema, graphviz) are imported inside the commands that need them, and each
command's module only when it is run (:class:`~engine.cli.main.LazyGroup`).
"""

from __future__ import annotations

import atexit
import gc

from .cases import case
from .main import main

# The other commands are imported when run: see LazyGroup.lazy in main.py.
main.add_command(case)

# On the way out, Python would collect and free, one by one, the objects of the two
# hundred-odd modules a command imports: about 7 ms, a tenth of `cspr case show`.
# Frozen, they are left to the operating system, which takes the whole process back at
# once. Nothing of the engine relies on a finaliser at exit (stores are closed with their
# command, files with the `with` that opened them; standard output is flushed after this).
atexit.register(gc.freeze)

__all__ = ["main"]
