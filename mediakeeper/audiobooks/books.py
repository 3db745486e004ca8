"""What an audiobook is: a folder holding audio files, with its disc folders (``CD1``,
``Disc 2``, ``Part 3``) counted as its own, in order. Files come in natural order ("Chapter 2"
before "Chapter 10")."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from mediakeeper.core.errors import LibraryError
from mediakeeper.fs.names import is_junk
from mediakeeper.media.albums import album_files
from mediakeeper.media.convert import is_audio
from mediakeeper.text.discs import BOOK_PART

DISC = re.compile(rf"^{BOOK_PART}", re.IGNORECASE)


def natural_key(name: str) -> tuple:
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
        for part in re.split(r"(\d+)", name)
        if part
    )


def _subfolders(folder: Path) -> list[Path]:
    try:
        entries = list(os.scandir(folder))
    except OSError as err:
        raise LibraryError(f"cannot read folder {folder}: {err.strerror}") from None
    return sorted(
        (Path(e.path) for e in entries
         if e.is_dir(follow_symlinks=False) and not e.name.startswith(".")
         and not is_junk(e.name)),
        key=lambda p: natural_key(p.name),
    )  # fmt: skip


def _audio_in(folder: Path) -> list[Path]:
    return sorted((p for p in album_files(folder) if is_audio(p.name)),
                  key=lambda p: natural_key(p.name))  # fmt: skip


def disc_folders(folder: Path) -> list[Path]:
    return [d for d in _subfolders(folder) if DISC.match(d.name) and _audio_in(d)]


def find(library: Path) -> list[Path]:
    """Every book folder under ``library``."""
    if not library.is_dir():
        raise LibraryError(f"library folder does not exist: {library}")
    return list(_walk(library))


def _walk(folder: Path) -> Iterator[Path]:
    discs = disc_folders(folder)
    if _audio_in(folder) or discs:
        yield folder
    for sub in _subfolders(folder):
        if sub not in discs:
            yield from _walk(sub)


def book_files(folder: Path) -> list[Path]:
    """The book's audio files in playing order: its own, then each disc folder's."""
    files = _audio_in(folder)
    for disc in disc_folders(folder):
        files += _audio_in(disc)
    return files
