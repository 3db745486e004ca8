"""What the watcher never takes for a change, and what keeps a folder from settling.

Noise (dotfiles, a NAS's ``@eaDir`` thumbnails, the toolkit's own temp files) is passed over.
A download or copy still in progress (``.part``, ``.!qB``, ``.crdownload``, ``.tmp``) is no
item's file either, but a folder holding one is still being written: it has not settled. A
folder holding a ``.mediakeeperignore`` is never queued. More name patterns (globs) come from
``[watch] ignore``."""

from __future__ import annotations

import os
from collections.abc import Iterable
from fnmatch import fnmatchcase

from mediakeeper.fs.names import is_not_media

IN_PROGRESS = (".part", ".!qb", ".crdownload", ".tmp")  # compared case-insensitively
NOISE_FOLDERS = frozenset({"@eaDir"})
MARKER = ".mediakeeperignore"


class Ignore:
    """The ignore list: the built-in names and the person's own globs."""

    def __init__(self, patterns: Iterable[str] = ()):
        self.patterns = tuple(p.strip() for p in patterns if p.strip())

    @classmethod
    def from_setting(cls, text: str) -> Ignore:
        """``[watch] ignore``: globs separated by commas ("*.nfo-old, Incoming*")."""
        return cls(text.split(","))

    def noise(self, name: str) -> bool:
        """A name whose changes are no change at all."""
        if name in (MARKER,):
            return False  # its arrival or removal changes whether the folder is taken
        return (
            name.startswith(".")
            or name in NOISE_FOLDERS
            or is_not_media(name)
            or any(fnmatchcase(name, p) for p in self.patterns)
        )


def in_progress(name: str) -> bool:
    """A file still being downloaded or copied under a temporary name."""
    return name.casefold().endswith(IN_PROGRESS)


def marked(folder: str) -> bool:
    """A folder the person asked the watcher to leave alone."""
    return os.path.exists(os.path.join(folder, MARKER))
