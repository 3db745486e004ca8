"""Names in a library that are not media: file-system and NAS junk, our own temp files."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

from mediakeeper.system.processes import Ended
from mediakeeper.text.visible import HIDDEN

# Folders that file systems, NAS boxes, sync and backup tools create: never media, never
# looked into (docs/reference.md lists them). Every other folder is media, leading dots
# included ("...And Justice for All", "...Like Clockwork"). Compared case-insensitively.
JUNK_FOLDERS = frozenset(
    {".git", ".Trash", ".Trashes", ".AppleDouble", ".Spotlight-V100", ".fseventsd",
     ".TemporaryItems", ".DocumentRevisions-V100", "@eaDir", "lost+found", "$RECYCLE.BIN",
     "System Volume Information", ".stfolder", ".stversions", ".sync", "#recycle",
     "#snapshot", "@Recycle", "@Recently-Snapshot", ".@__thumb", ".snapshot", ".zfs"}
)  # fmt: skip
_JUNK_FOLDERS = frozenset(name.casefold() for name in JUNK_FOLDERS)
# Folders named by a prefix: a desktop's trash on a removable volume (".Trash-1000"), and
# the toolkit's own hidden working folders (".mediakeeper.spares", ".mediakeeper-partial-*").
JUNK_FOLDER_PREFIXES = (".Trash-", ".mediakeeper")


# Why a data home that lies in a library is passed over there (a survey, a music scan).
HOME_FOLDER = "the data home (its reports and working copies are no media of the library)"
# How a survey's note about a folder it could not read begins: the items below it are held
# back by a refresh (neither marked missing nor queued), never taken for gone.
UNREADABLE = "cannot be read"


def skipped_folder(name: str) -> str | None:
    """Why a folder of this name is never looked into, in a person's words; None: it is
    looked into like any other."""
    if name.startswith(".mediakeeper"):
        return "the toolkit's own working folder"
    if name.casefold() in _JUNK_FOLDERS or name.startswith(JUNK_FOLDER_PREFIXES):
        return "a system folder"
    return None


# Files that file systems, file managers and NAS boxes leave in any folder.
JUNK_FILES = frozenset(
    {".DS_Store", "Thumbs.db", "ehthumbs.db", "desktop.ini", "Desktop.ini", ".directory"}
)

# What comes with an album and is not media: pictures, cue sheets, rip logs, playlists,
# notes, booklets, checksums, lyrics. Passed over without a word; any other file that is not
# media the toolkit reads is reported (``unsupported-format``).
COMPANION_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff", ".heic"}
    | {".cue", ".log", ".m3u", ".m3u8", ".pls", ".txt", ".nfo", ".pdf", ".rtf", ".md"}
    | {".accurip", ".md5", ".sfv", ".ffp", ".sha1", ".sha256", ".st5", ".lrc", ".url"}
)

TEMP_PREFIX = ".mediakeeper."  # safewrite's temp copies; a killed write leaves one behind

# Files that file managers make in a folder as it is browsed: never media, never a change.
BROWSER_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini", ".directory"})
# The temp file of an atomic write (mediakeeper.fs.atomic: ".<name>.<pid>-<n>.tmp", a long
# name's ``stand_in`` in place of the name), which a
# kill leaves behind beside the file it was writing (a movie's .nfo, a cover).
_ATOMIC_TEMP = re.compile(r"\..+\.([0-9]+)-[0-9]+\.tmp")


NAME_MAX = 255  # bytes of one name, on every Linux file system (and FAT/exFAT: 255 units)
SHORT_SUFFIX = 16  # bytes: a suffix longer than this is no format's, and is not kept


def name_bytes(name: str) -> int:
    return len(os.fsencode(name))


def short_suffix(name: str) -> str:
    """The suffix of ``name`` (``.flac``), which a temp copy keeps for the tools that go by
    it; "" when it is too long to be a format's (a name of dots and words)."""
    suffix = os.path.splitext(name)[1]
    return suffix if name_bytes(suffix) <= SHORT_SUFFIX else ""


def stand_in(name: str) -> str:
    """A short name for ``name`` (at most 36 bytes), where ``name`` itself leaves no room:
    a hash of it and its suffix, the same at each call (a resume finds it again)."""
    return hashlib.sha256(os.fsencode(name)).hexdigest()[:20] + short_suffix(name)


def fitted(prefix: str, name: str, suffix: str = "", *, room: int = 0) -> str:
    """``prefix + name + suffix``, or where that with ``room`` bytes more (what a caller
    adds: a process id) would pass NAME_MAX, ``prefix + stand_in(name) + suffix``: a temp
    or record name never passes the limit the name it stands for keeps to."""
    whole = prefix + name + suffix
    return whole if name_bytes(whole) + room <= NAME_MAX else prefix + stand_in(name) + suffix


def cut_to_fit(stem: str, suffix: str) -> str:
    """``stem + suffix``, the stem cut (whole characters) where the two would pass NAME_MAX:
    a 255-byte ``x.mp3`` converted is ``x.opus`` one byte shorter, not a name no file system
    takes."""
    while stem and name_bytes(stem + suffix) > NAME_MAX:
        stem = stem[:-1]
    return stem + suffix


def beside(target: Path, prefix: str) -> Path:
    """A temporary name of ``target`` beside it: ``prefix`` + its name, or where that would
    pass 255 bytes (a valid name of 245 bytes), ``prefix`` + a hash of its name + its
    suffix, the same at each call so a resume finds it."""
    return target.with_name(fitted(prefix, target.name))


def free_by_serial(name: str, taken: Callable[[str], bool], joiner: str = "-") -> str:
    """``name``, or where it is ``taken`` the first of ``name-2``, ``name-3``, ... that is
    not (``joiner`` between the name and its serial): a name beside those of the same moment
    (a checkpoint of the same day and count, a copy kept within the same second) that never
    replaces one of them."""
    candidates = itertools.chain([name], (f"{name}{joiner}{n}" for n in itertools.count(2)))
    return next(c for c in candidates if not taken(c))


def readable(name: str) -> str:
    """A name as text a tag or a report can hold: a file name whose bytes are not UTF-8 (one
    written in a legacy code page: ``Caf\xe9``) arrives with surrogate escapes, which no
    UTF-8 writer takes; its bytes are read as Windows-1252 instead ("Café"), the code page
    such names come from most often (any byte it lacks becomes U+FFFD)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(name).decode("cp1252", "replace")
    return name


def name_text(name: str) -> str:
    """A file or folder name as the text of a tag or a search: ``readable``, its hidden
    characters (an escape, a bell, a right-to-left override, a left-to-right mark copied with
    a title: ``visible.HIDDEN``) spaces, a player would show them as boxes and a search match
    nothing, and its runs of spaces one."""
    return " ".join(HIDDEN.sub(" ", readable(name)).split())


def home_id(home: Path | str) -> str:
    """A short stable id of a data home (its resolved path's hash), in the names of the temp
    copies it makes in a library another data home may work on too."""
    home = os.fspath(home)
    # Asked at each artist's writes, and resolving a path is a stat a part: an absolute one
    # is resolved once (a relative one depends on the working folder).
    return _home_id(home) if os.path.isabs(home) else _hashed(home)


@lru_cache(maxsize=16)
def _home_id(home: str) -> str:
    return _hashed(home)


def _hashed(home: str) -> str:
    resolved = os.path.realpath(home).encode("utf-8", "surrogateescape")
    return hashlib.sha256(resolved).hexdigest()[:10]


def temp_copy_owner(name: str) -> tuple[str, int] | None:
    """Who made a temp copy: (its data home's id, "" for a copy from before they carried
    one; its process id); None if ``name`` is no temp copy."""
    end = name.find(".tmp", len(TEMP_PREFIX))
    if not name.startswith(TEMP_PREFIX) or end < 0:
        return None
    head = name[len(TEMP_PREFIX) : end]
    home, _, process = head.rpartition(".")
    pid, _, serial = process.partition("-")
    if not (pid.isdigit() and serial.isdigit()):
        return None
    return home, int(pid)


def is_temp_copy(name: str) -> bool:
    """A temp copy that a killed tag write left beside the file (the original is intact)."""
    return name.startswith(TEMP_PREFIX) and ".tmp" in name


def is_junk(name: str) -> bool:
    """macOS resource forks ("._x.mp3"), our own temp files, system folders and files."""
    return (
        name.startswith(("._", TEMP_PREFIX))
        or name in JUNK_FILES
        or skipped_folder(name) is not None
    )


def is_not_media(name: str) -> bool:
    """Junk, a file manager's own file, or a temp file of ours: nothing a change of which
    makes an item's files different (``mediakeeper.queue.fingerprints``)."""
    return is_junk(name) or name in BROWSER_FILES or _ATOMIC_TEMP.fullmatch(name) is not None


def atomic_temp_pid(name: str) -> int | None:
    """The process that made an atomic write's temp file of this name; None: no such file."""
    made = _ATOMIC_TEMP.fullmatch(name)
    return int(made.group(1)) if made else None


def stale_copies(folder: str, owner: str) -> tuple[list[str], list[str]]:
    """The temp copies in ``folder`` left by ended processes: those of the data home
    ``owner`` (safe to remove), and another data home's (its process may run where this one
    cannot see it, in another container: left to it). A running process's are not stale."""
    try:
        names = os.listdir(folder)
    except OSError:
        return [], []
    return sort_stale((os.path.join(folder, name) for name in names), owner)


def sort_stale(paths: Iterable[str], owner: str) -> tuple[list[str], list[str]]:
    """``stale_copies`` of the given paths (others than temp copies are passed over)."""
    ours: list[str] = []
    others: list[str] = []
    ended = Ended(own=False)
    for path in paths:
        made_by = temp_copy_owner(os.path.basename(path))
        if made_by is None:
            continue
        home, pid = made_by
        if not ended[pid]:
            continue
        # "": a copy from before copies carried their data home, removed as it was then.
        (ours if home in (owner, "") else others).append(path)
    return ours, others


def remove_stale_copies(folder: str, owner: str) -> list[str]:
    """Remove this data home's stale copies in ``folder``; returns the others' stale ones."""
    ours, others = stale_copies(folder, owner)
    for path in ours:
        with contextlib.suppress(OSError):
            os.unlink(path)
    return others
