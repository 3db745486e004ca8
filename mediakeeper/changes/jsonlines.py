"""The changes' own journals of steps (a set-aside's moves, a swap's, the sessions undone):
one JSON object per line, each on disk before what it says is done, read back whole lines
only.

A line can be cut short (an append stopped by a full disk, anywhere in the file: the next
append starts a line of its own), and with it a character of a name cut in two. What such a
line said was never done, so reading passes over it, whatever bytes it ends in.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mediakeeper.fs.atomic import append_lines, encode_text
from mediakeeper.text.jsonfmt import dumps_one


def append(path: Path, entry: dict[str, Any]) -> None:
    """``entry`` as one line of ``path`` (its folder made), flushed to disk before it returns."""
    path.parent.mkdir(parents=True, exist_ok=True)
    append_lines(path, encode_text(dumps_one(entry) + "\n"), durable=True)


def read(path: Path) -> list[dict[str, Any]] | None:
    """Every whole line's object, in the order written; None when ``path`` cannot be read."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    found = []
    for raw in data.split(b"\n"):
        try:
            entry = json.loads(raw)
        except ValueError:  # cut short (UTF-8 cut in two too), or the spare empty line
            continue
        if isinstance(entry, dict):
            found.append(entry)
    return found
