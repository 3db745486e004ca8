"""Walk one artist folder and read every audio file once into Track records.

Layout: ``Artist/Album/track``, loose ``Artist/track`` (album ""), and disc folders such as
``Artist/Album/CD1`` that fold into their album. A damaged file becomes an UnreadableFile and
a folder that cannot be entered, or a link to a folder (never followed: see
``mediakeeper.fs.links``), is listed in ``skipped``; neither stops the scan.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mediakeeper import tags as tagio
from mediakeeper.core.errors import AudioError, LibraryError
from mediakeeper.fs.links import OUTSIDE, linked_file, not_followed
from mediakeeper.fs.names import COMPANION_SUFFIXES, HOME_FOLDER, is_junk, is_temp_copy
from mediakeeper.lookup.images import IMAGE_SUFFIXES
from mediakeeper.music.model import ArtistScan, Track, UnreadableFile
from mediakeeper.text.discs import DISC

# "CD1", "CD 2", "Disc 1", "disk_02", "Disc 2 - Live", "Disc 1 of 2": the number is the disc.
DISC_FOLDER = re.compile(rf"^{DISC}(?:\s+[-–:(\[].*)?$", re.IGNORECASE)
COVER_STEMS = frozenset({"cover", "folder", "front"})
COVER_SUFFIXES = IMAGE_SUFFIXES | {".jpeg"}  # every kind a fetched cover is saved as


def disc_number(name: str) -> int | None:
    """The disc number a folder name stands for, or None if it is not a disc folder."""
    match = DISC_FOLDER.match(name)
    return int(match["disc"]) if match else None


# What keeping one parse costs besides its pictures (more with many tags).
PARSE_OVERHEAD = 8 << 10


@dataclass
class _Walk:
    root: Path
    keep_bytes: int = 0  # what the kept parses may still take
    tracks: list[Track] = field(default_factory=list)
    unreadable: list[UnreadableFile] = field(default_factory=list)
    unsupported: list[UnreadableFile] = field(default_factory=list)
    covers: set[str] = field(default_factory=set)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (folder, why)
    outside: dict[str, str] = field(default_factory=dict)
    elsewhere: dict[str, str] = field(default_factory=dict)
    leftovers: list[str] = field(default_factory=list)
    parsed: dict[str, tagio.Parsed] = field(default_factory=dict)
    home: tuple[int, int] | None = None  # the data home's identity: never read as media


def scan_artist(folder: Path, *, keep_bytes: int = 0, home: Path | None = None) -> ArtistScan:
    """Read one artist folder. LibraryError if the folder itself is missing or unreadable.

    ``keep_bytes``: keep files' parses in ``ArtistScan.parsed``, up to about this much memory
    (embedded pictures count in full), so that tag writes need not parse them again.
    ``home``: the data home, passed over (in ``skipped``) should it lie in the folder."""
    folder = Path(folder)
    walk = _Walk(folder, keep_bytes)
    with contextlib.suppress(OSError):
        walk.home = _identity(os.stat(home)) if home is not None else None
    if folder.is_symlink() and folder.is_dir():  # queued before it became a link
        raise LibraryError(f"{folder}: {not_followed(folder, folder.parent)}")
    try:
        root_id = _identity(os.stat(folder))
        entries = _entries(walk, folder)
    except FileNotFoundError as exc:
        raise LibraryError(f"artist folder not found: {folder}") from exc
    except NotADirectoryError as exc:
        raise LibraryError(f"not a folder: {folder}") from exc
    except OSError as exc:
        raise LibraryError(f"cannot read artist folder {folder}: {exc.strerror}") from exc
    _scan_dir(walk, entries, rel="", album="", disc=None, ancestors=(root_id,))
    return ArtistScan(
        folder=folder.name,
        tracks=tuple(sorted(walk.tracks, key=lambda t: t.path)),
        unreadable=tuple(sorted(walk.unreadable, key=lambda u: u.path)),
        unsupported=tuple(sorted(walk.unsupported, key=lambda u: u.path)),
        cover_albums=frozenset(walk.covers),
        skipped=tuple(sorted(walk.skipped)),
        leftovers=tuple(sorted(walk.leftovers)),
        outside=walk.outside,
        elsewhere=walk.elsewhere,
        parsed=walk.parsed,
    )


# What a person calls the media formats the toolkit does not read (others: by extension).
_OTHER_MEDIA = {
    **dict.fromkeys((".mka", ".mkv", ".webm"), "Matroska"),
    **dict.fromkeys((".mid", ".midi", ".kar"), "MIDI score"),
    **dict.fromkeys((".ra", ".rm", ".ram"), "RealAudio"),
    **dict.fromkeys((".mod", ".xm", ".it", ".s3m"), "tracker module"),
    **dict.fromkeys((".avi", ".mov", ".m4v", ".wmv", ".mpg", ".mpeg", ".vob", ".ts"), "video"),
    **dict.fromkeys((".zip", ".rar", ".7z", ".tar", ".gz"), "archive"),
    ".shn": "Shorten",
    ".amr": "AMR",
    ".au": "Sun audio",
    ".caf": "Core Audio",
    ".dts": "DTS",
    ".wvc": "WavPack correction",
}


def unsupported_kind(suffix: str) -> str:
    """What a file of a format the toolkit does not read is, for its finding."""
    if not suffix:
        return "a file with no extension"
    kind = _OTHER_MEDIA.get(suffix)
    return f"a {kind} file ({suffix})" if kind else f"a {suffix} file"


def is_cover_file(name: str) -> bool:
    """cover.jpg, Folder.PNG, front.jpeg, ...: an image that stands for its album."""
    stem, suffix = os.path.splitext(name)
    return suffix.lower() in COVER_SUFFIXES and stem.lower() in COVER_STEMS


def _identity(st: os.stat_result) -> tuple[int, int]:
    return st.st_dev, st.st_ino


def _entries(walk: _Walk, directory: Path | str) -> list[os.DirEntry[str]]:
    # Real albums start with dots too ("...And Justice for All"); only junk is passed over,
    # and a killed tag write's temp copy is noted on the way, for the job to remove.
    with os.scandir(directory) as it:
        entries = list(it)
    walk.leftovers += [e.path for e in entries if is_temp_copy(e.name)]
    return sorted((e for e in entries if not is_junk(e.name)), key=lambda e: e.name)


# A folder being read: where its listing stands, its path in the artist folder, the album
# and disc its files are of, and the identities of the folders it is in (a loop's sign).
_Level = tuple[Iterator[os.DirEntry[str]], str, str, int | None, tuple[tuple[int, int], ...]]


def _scan_dir(
    walk: _Walk,
    entries: list[os.DirEntry[str]],
    *,
    rel: str,
    album: str,
    disc: int | None,
    ancestors: tuple[tuple[int, int], ...],
) -> None:
    """Every file below, depth first in order of name. The folders being read are kept in a
    list, not in a call per level: no depth is too deep."""
    levels: list[_Level] = [(iter(entries), rel, album, disc, ancestors)]
    while levels:
        listing, rel, album, disc, ancestors = levels[-1]
        entry = next(listing, None)
        if entry is None:
            levels.pop()
            continue
        path = f"{rel}/{entry.name}" if rel else entry.name
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if is_dir and entry.is_symlink():
            walk.skipped.append((path, not_followed(entry.path, walk.root.parent)))
        elif is_dir:
            inner = _enter(walk, entry, path, album, ancestors)
            if inner is not None:
                levels.append(inner)
        else:
            _scan_file(walk, entry, path, album, disc)


def _enter(
    walk: _Walk,
    entry: os.DirEntry[str],
    path: str,
    album: str,
    ancestors: tuple[tuple[int, int], ...],
) -> _Level | None:
    """The folder ``entry`` to read next; None: it is not read (said in ``skipped``)."""
    # Disc folders fold into the album they sit in; any other folder is an album of its own.
    number = disc_number(entry.name) if album else None
    sub_album, sub_disc = (album, number) if number is not None else (path, None)
    try:
        identity = _identity(entry.stat())
        if identity in ancestors:  # a bind mount, say: links are not followed
            walk.skipped.append((path, "a folder that loops, not followed"))
            return None
        if identity == walk.home:
            walk.skipped.append((path, HOME_FOLDER))
            return None
        entries = _entries(walk, entry.path)
    except OSError as exc:
        walk.skipped.append((path, exc.strerror or "cannot read folder"))
        return None
    return iter(entries), path, sub_album, sub_disc, (*ancestors, identity)


def _scan_file(
    walk: _Walk, entry: os.DirEntry[str], path: str, album: str, disc: int | None
) -> None:
    name = entry.name
    suffix = os.path.splitext(name)[1].lower()
    if suffix not in tagio.AUDIO_EXTENSIONS:
        if is_cover_file(name):  # an image: never an audio file's suffix
            walk.covers.add(album)
        elif suffix not in COMPANION_SUFFIXES:
            walk.unsupported.append(UnreadableFile(path, album, unsupported_kind(suffix)))
        return
    try:
        st = entry.stat()
        size = st.st_size
        if size == 0:
            walk.unreadable.append(UnreadableFile(path, album, "empty file"))
            return
        info = tagio.read(entry.path, keep=walk.keep_bytes >= PARSE_OVERHEAD, st=st)
    except OSError as exc:  # e.g. a symlink to nowhere
        walk.unreadable.append(UnreadableFile(path, album, exc.strerror or str(exc)))
        return
    except AudioError as exc:
        reason = exc.message.removeprefix(f"{exc.path}: ")
        found = walk.unsupported if exc.code == "unsupported-format" else walk.unreadable
        found.append(UnreadableFile(path, album, reason))
        return
    if entry.is_symlink() and (leads := linked_file(entry.path, walk.root, walk.root.parent)):
        where, target = leads
        (walk.outside if where == OUTSIDE else walk.elsewhere)[path] = target
    if info.parsed is not None:
        cost = info.parsed.picture_bytes + PARSE_OVERHEAD
        if cost <= walk.keep_bytes:
            walk.parsed[path] = info.parsed
            walk.keep_bytes -= cost
    walk.tracks.append(
        Track(
            path=path,
            album=album,
            format=info.format,
            tags=info.tags,
            duration=info.duration,
            bitrate=info.bitrate,
            lossless=info.lossless,
            tag_version=info.tag_version,
            has_picture=info.has_picture,
            size=size,
            disc_folder=disc,
        )
    )
