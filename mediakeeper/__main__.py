"""``python -m mediakeeper``: the ``mediakeeper`` command, with the interpreter at hand."""

from mediakeeper.cli.startup import console

console()
