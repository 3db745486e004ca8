"""How every command says a warning of the library (a plugin left out, a damaged cache
rebuilt): one ``Warning: ...`` line on stderr, never Python's two (the toolkit's file and
line, then its source line). In place from a command's start (``cli.startup``): the kinds'
plugins are read as the commands' modules load, before a command is there to word it. It
imports nothing: the start-up code loads it within milliseconds."""

from __future__ import annotations

import sys


def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """``warnings.showwarning`` of every command."""
    sys.stderr.write(f"Warning: {message}\n")
