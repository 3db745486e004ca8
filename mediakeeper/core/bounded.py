"""Files a person writes, read only when their size is one such a file can have.

A file the toolkit parses whole (YAML, TOML) costs time and memory in step with its size,
and nothing stops a wrong path from naming a 40 MB log or a disk image: PyYAML spent many
seconds on one before it refused it. So each is refused, one line naming it, its size and the
bound, before a byte of it is parsed, and read no further than the bound (a file still
growing, a FIFO). The bounds are far above any real file of the kind:

* a pipeline file (YAML): ``PIPELINE_FILE``, 1 MB (a pipeline of a thousand steps is 100 kB);
* a settings file (``mediakeeper.toml``, the recorded home's ``config.toml``):
  ``SETTINGS_FILE``, 1 MB;
* a book's ``desc.txt`` or ``reader.txt``: ``TEXT_FILE``, 1 MB (read as one that cannot
  be: the book is made without it).

Within the bound, a TOML file nested a few thousand deep still ends Python's parser in a
RecursionError: ``toml_of`` says it as the TOML error it is.

Files the toolkit writes itself and reads back (queues, their journals, session records,
work files) are not bounded here: they grow with the library (a queue of 55,000 artists
holds tens of MB), and are read a line at a time where they grow without end.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from mediakeeper.core.errors import MediakeeperError

PIPELINE_FILE = 1_000_000
SETTINGS_FILE = 1_000_000
TEXT_FILE = 1_000_000  # a book's desc.txt or reader.txt


class TooLarge(MediakeeperError):
    """A file larger than its kind may be: not parsed."""

    exit_code = 2


def read_bounded(path: str | os.PathLike, limit: int, what: str) -> bytes:
    """The bytes of ``path``, a ``what`` ("pipeline file"); TooLarge when it holds more than
    ``limit`` bytes, said from its size before anything is read where the system knows it."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        data = b"" if size > limit else f.read(limit + 1)
    if size > limit or len(data) > limit:
        held = _megabytes(size) if size > limit else f"more than {_megabytes(limit)}"
        raise TooLarge(f"{Path(path)}: {held}, larger than a {what} may be "
                       f"({_megabytes(limit)} at most): not read")  # fmt: skip
    return data


def _megabytes(size: int) -> str:
    """The bounds are megabytes: said so here, as core imports nothing of ``text``."""
    return f"{size / 1e6:.1f} MB"


def toml_of(text: str) -> dict[str, Any]:
    """``tomllib.loads(text)``, a nesting too deep for the parser's recursion raised as the
    ``TOMLDecodeError`` it is (each caller words that one)."""
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise tomllib.TOMLDecodeError("it nests too deep to be read") from None
