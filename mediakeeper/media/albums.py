"""What a conversion's items are: album folders, any folder under the library that directly
holds audio files, at any depth (``Artist/Album``, ``Album``, ``Artist/Album/CD1``).

Each album is its own item; its key is its path relative to the library, so two albums of
one name under two artists are two items. Hidden folders, the toolkit's own temporary
folders and system folders are not looked into; symbolic links to folders are not followed
(a loop, or the same album twice)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from mediakeeper.core.errors import LibraryError
from mediakeeper.fs.names import is_junk
from mediakeeper.media.convert import is_audio


def find(library: Path) -> list[Path]:
    """Every album folder under ``library`` (the library itself too, if it holds audio)."""
    if not library.is_dir():
        raise LibraryError(f"library folder does not exist: {library}")
    return list(_walk(library))


def _walk(folder: Path) -> Iterator[Path]:
    try:
        entries = list(os.scandir(folder))
    except OSError as err:
        raise LibraryError(f"cannot read folder {folder}: {err.strerror}") from None
    if any(_is_file(e) and is_audio(e.name) and not is_junk(e.name) for e in entries):
        yield folder
    for entry in sorted(entries, key=lambda e: e.name):
        if entry.name.startswith(".") or is_junk(entry.name):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path))


def _is_file(entry: os.DirEntry) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def album_files(folder: Path) -> list[Path]:
    """The files an album keeps (directly in its folder, not hidden), sorted by name."""
    return sorted(
        (Path(e.path) for e in os.scandir(folder)
         if _is_file(e) and not e.name.startswith(".") and not is_junk(e.name)),
        key=lambda p: p.name,
    )  # fmt: skip
