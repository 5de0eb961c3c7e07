"""``python -m engine.cli``: the ``cspr`` command."""

from . import main

main()
