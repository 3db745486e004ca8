"""``python -m mediakeeper``: the ``mediakeeper`` command, with the interpreter at hand."""

from mediakeeper.cli.main import main

main(prog_name="mediakeeper")
