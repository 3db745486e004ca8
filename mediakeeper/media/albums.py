"""What a conversion's items are: album folders, any folder under the library that directly
holds audio files, at any depth (``Artist/Album``, ``Album``, ``Artist/Album/CD1``).

Each album is its own item; its key is its path relative to the library, so two albums of
one name under two artists are two items. Only system folders and the toolkit's own working
folders are not looked into (``fs.names.skipped_folder``: a name's leading dot means nothing,
"...And Justice for All" is an album); symbolic links to folders are not followed (a loop, or
the same album twice). Both are named, with why, in ``skipped``."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

from mediakeeper.core.errors import LibraryError
from mediakeeper.fs.links import is_folder_link, not_followed
from mediakeeper.fs.names import UNREADABLE, is_junk, skipped_folder
from mediakeeper.fs.tree import too_deep

# Formats whose every file is lossy, by extension; .m4a depends on its codec (AAC or ALAC).
# Here, not with the conversions: a verify batch lists albums without their imports (tags,
# every mutagen format).
LOSSY_EXTENSIONS = frozenset({".mp3", ".ogg", ".opus", ".aac", ".mpc", ".wma"})
LOSSLESS_EXTENSIONS = frozenset({".flac", ".wav", ".aif", ".aiff", ".wv", ".ape", ".alac"})
AUDIO_EXTENSIONS = LOSSY_EXTENSIONS | LOSSLESS_EXTENSIONS | {".m4a"}


# What verify also checks, beyond what the other kinds take: formats ffmpeg decodes and
# whose headers say how long they are (True Audio, DSD in DSF and DSDIFF, TAK), which the
# conversions do not take as sources.
CHECKED_EXTENSIONS = AUDIO_EXTENSIONS | {".tta", ".dsf", ".dff", ".tak"}


def is_audio(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in AUDIO_EXTENSIONS


def is_checked(name: str) -> bool:
    """Whether verify checks a file of this name (``CHECKED_EXTENSIONS``)."""
    return os.path.splitext(name)[1].lower() in CHECKED_EXTENSIONS


Skipped = list[tuple[Path, str]]  # folders passed over, each with why


def find(library: Path, skipped: Skipped | None = None, *,
         audio: Callable[[str], bool] = is_audio) -> list[Path]:  # fmt: skip
    """Every album folder under ``library`` (the library itself too, if it holds audio: a
    file whose name ``audio`` takes); the folders passed over are added to ``skipped``."""
    if not library.is_dir():
        raise LibraryError(f"library folder does not exist: {library}")
    return list(_walk(library, [] if skipped is None else skipped, audio))


def find_checked(library: Path, skipped: Skipped | None = None) -> list[Path]:
    """The album folders verify checks: those holding any file it checks (``is_checked``)."""
    return find(library, skipped, audio=is_checked)


def _walk(library: Path, skipped: Skipped, audio: Callable[[str], bool]) -> Iterator[Path]:
    """The album folders top-down, each folder's in order of name; the folders still to
    look into are kept in a list, not in a call per level: no depth is too deep."""
    todo = [library]
    while todo:
        folder = todo.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as err:
            unreadable(folder, library, skipped, err)
            continue
        if any(_is_file(e) and audio(e.name) and not is_junk(e.name) for e in entries):
            yield folder
        entries.sort(key=lambda e: e.name)
        inner = [e for e in entries if not passed_over(e, library, skipped) and _entered(e)]
        todo += (Path(e.path) for e in reversed(inner))


def unreadable(folder: Path, library: Path, skipped: Skipped, err: OSError) -> None:
    """A folder a walk cannot read: the library itself stops it (LibraryError); any folder
    below is one corner passed over, noted in ``skipped`` with why, and the rest is read."""
    if folder == library:
        raise LibraryError(f"cannot read folder {folder}: {err.strerror}") from None
    why = err.strerror or str(err)
    if too_deep(err, str(folder), str(library)):
        why = (f"its path is {len(os.fsencode(folder)):,} bytes long, longer than the system "
               "lets a program open: move it higher up to have it read")  # fmt: skip
    skipped.append((folder, f"{UNREADABLE}: {why}"))


def passed_over(entry: os.DirEntry, library: Path, skipped: Skipped) -> bool:
    """Whether ``entry`` is a folder not looked into (noted in ``skipped`` with why)."""
    why = skipped_folder(entry.name) if _is_dir(entry) else None
    if why is None and is_folder_link(entry):
        why = not_followed(entry.path, library)
    if why is not None:
        skipped.append((Path(entry.path), why))
    return why is not None or is_junk(entry.name)


def _entered(entry: os.DirEntry) -> bool:
    return entry.is_dir(follow_symlinks=False)


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _is_file(entry: os.DirEntry) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def album_files(folder: Path) -> list[Path]:
    """The files an album keeps (directly in its folder, not hidden), sorted by name; a link
    whose file is gone among them (a track lost, which reading it says), never left out as
    if the album had no such track."""
    return sorted(
        (Path(e.path) for e in os.scandir(folder)
         if (_is_file(e) or _dangling(e)) and not e.name.startswith(".")
         and not is_junk(e.name)),
        key=lambda p: p.name,
    )  # fmt: skip


def _dangling(entry: os.DirEntry) -> bool:
    """A link that leads to nothing (its file deleted or moved, its drive not mounted)."""
    return entry.is_symlink() and not os.path.exists(entry.path)
