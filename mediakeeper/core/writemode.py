"""How a change to a user's file is written: the ``write_mode`` setting and where the
in-place journal lives.

- ``in-place`` (the default): where the new bytes fit the file's layout (same size: the tag's
  padding absorbs the change) only the changed byte ranges are written, journaled first
  (``mediakeeper.fs.inplace``); elsewhere the file is swapped as in ``swap``.
- ``swap``: a changed copy is put in the file's place (``mediakeeper.fs.safewrite``); the copy
  shares the original's blocks where the file system can clone (FICLONE), else it is copied.
- ``copy``: a changed full copy is put in the file's place (today's path), never a clone.

The default is ``in-place`` because a large library's fixes then cost the bytes they change
(a few KB a file) instead of a copy of every fixed file (tens of MB each), need no free
space, and a crash is repaired by the next command from the journal.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

IN_PLACE, SWAP, COPY = "in-place", "swap", "copy"
MODES = (IN_PLACE, SWAP, COPY)
DEFAULT = IN_PLACE
JOURNAL_DIR = "writes"  # under the data home's status/


class WritePolicy(NamedTuple):
    """The mode, and the folder of the in-place journal (None: nothing is written in place)."""

    mode: str = COPY
    journal: Path | None = None

    @property
    def in_place(self) -> bool:
        return self.mode == IN_PLACE and self.journal is not None

    @property
    def clones(self) -> bool:
        return self.mode != COPY


def journal_dir(status_dir: Path) -> Path:
    return status_dir / JOURNAL_DIR


def policy_for(status_dir: Path, mode: str = DEFAULT) -> WritePolicy:
    """The policy of a data home whose ``status/`` is ``status_dir``."""
    if mode not in MODES:
        raise ValueError(f"unknown write mode {mode!r}; expected one of {MODES}")
    return WritePolicy(mode, journal_dir(status_dir))


# What a caller that names no policy gets (a single ``tags.write``, a test): the swap, which
# needs no data home. Tests run the write path's reliability tests under every mode by
# setting this.
fallback = WritePolicy(COPY, None)
