"""How a change to a user's file is written: the ``write_mode`` and ``hard_links`` settings
and where the in-place journal lives.

- ``in-place`` (the default): where the new bytes fit the file's layout (same size: the tag's
  padding absorbs the change) only the changed byte ranges are written, journaled first
  (``mediakeeper.fs.safewrite``, in place); elsewhere the file is swapped as in ``swap``.
- ``swap``: a changed copy is put in the file's place (``mediakeeper.fs.safewrite``); the copy
  shares the original's blocks where the file system can clone (FICLONE), else it is copied.
- ``copy``: a changed full copy is put in the file's place (today's path), never a clone.

The default is ``in-place`` because a large library's fixes then cost the bytes they change
(a few KB a file) instead of a copy of every fixed file (tens of MB each), need no free
space, and a crash is repaired by the next command from the journal.

A file with other names (hard links: a download client's copy that must stay byte for byte
as it was, to be seeded) is never written in place, which would change every name:

- ``leave`` (the default): it is left alone, with a finding that says why;
- ``separate``: it is swapped, so the library's name gets a file of its own (a clone where the
  file system can make one, else a copy: the file's size again) and the other names keep
  the original.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

IN_PLACE, SWAP, COPY = "in-place", "swap", "copy"
MODES = (IN_PLACE, SWAP, COPY)
DEFAULT = IN_PLACE
LEAVE, SEPARATE = "leave", "separate"
HARD_LINKS = (LEAVE, SEPARATE)
JOURNAL_DIR = "writes"  # under the data home's status/
LEFT_BEHIND_LIST = "left-behind"  # in JOURNAL_DIR: see left_behind_list


class Writing(NamedTuple):
    """What the settings chose: ``write_mode`` and ``hard_links`` (``[music]``'s: the section
    of the kind whose record holds them)."""

    mode: str = DEFAULT
    hard_links: str = LEAVE


DEFAULT_WRITING = Writing()


def chosen(get: Callable[[str, str], Any]) -> Writing:
    """The settings' choice, through a settings ``get(section, key)``: of the kind whose
    record has the settings (its tag changes are the ones written in place)."""
    section = next(iter(tag_writing_kinds()), None)
    if section is None:
        return DEFAULT_WRITING
    return Writing(get(section, "write_mode"), get(section, "hard_links"))


def tag_writing_kinds() -> list[str]:
    """The kinds whose fixes are tag changes written to the user's files (journaled): those
    whose record has the ``write_mode`` setting."""
    from mediakeeper.core.kinds import KINDS  # the registry reads this module's words

    return [k.name for k in KINDS.values() if "write_mode" in k.settings]


class WritePolicy(NamedTuple):
    """The mode, the folder of the in-place journal (None: nothing is written in place), and
    what a file with other names gets (``HARD_LINKS``)."""

    mode: str = COPY
    journal: Path | None = None
    hard_links: str = LEAVE

    @property
    def in_place(self) -> bool:
        return self.mode == IN_PLACE and self.journal is not None

    @property
    def clones(self) -> bool:
        return self.mode != COPY


def journal_dir(status_dir: Path) -> Path:
    return status_dir / JOURNAL_DIR


def left_behind_list(journal: Path) -> Path:
    """The list of the folders where the processes of the data home whose in-place journal
    is in ``journal`` (``journal_dir``, ``WritePolicy.journal``) may leave files behind when
    killed (``mediakeeper.fs.left_behind``): what a killed batch left is found from it."""
    return journal / LEFT_BEHIND_LIST


def policy_for(status_dir: Path, writing: Writing = DEFAULT_WRITING) -> WritePolicy:
    """The policy of a data home whose ``status/`` is ``status_dir``."""
    if writing.mode not in MODES:
        raise ValueError(f"unknown write mode {writing.mode!r}; expected one of {MODES}")
    if writing.hard_links not in HARD_LINKS:
        raise ValueError(f"unknown hard_links {writing.hard_links!r}; expected one of {HARD_LINKS}")
    return WritePolicy(writing.mode, journal_dir(status_dir), writing.hard_links)


# What a caller that names no policy gets (a single ``tags.write``, a test): the swap, which
# needs no data home. Tests run the write path's reliability tests under every mode by
# setting this.
fallback = WritePolicy(COPY, None)
