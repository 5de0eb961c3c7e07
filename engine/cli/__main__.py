"""``python -m cspr_engine.cli``: the ``cspr`` command."""

from . import main

main()
