"""What a look at a library found: its item folders, and every folder passed over with why
(a system folder, the toolkit's own working folder, a link to a folder), for the line each
``--init``, ``--refresh`` and batch that makes a queue says: "9 found, 9 queued, 1 skipped"
(a refresh's queued: the new items and the changed ones it put back in line)."""

from __future__ import annotations

import inspect
import os
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mediakeeper.core import kinds
from mediakeeper.core.errors import LibraryError
from mediakeeper.fs.links import is_folder_link, not_followed
from mediakeeper.fs.names import HOME_FOLDER, UNREADABLE, skipped_folder
from mediakeeper.text.fold import unicode_form
from mediakeeper.text.visible import one_line
from mediakeeper.text.wording import count


@dataclass
class Survey:
    found: list[tuple[str, str]]  # (key, folder as text) of each item folder, sorted by key
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path in library, why)
    queued: int = 0  # how many of them the queue took in (new ones)
    # How many it put back in line beside them (a refresh's completed items whose files
    # changed): the next batch takes both, so both are said queued.
    requeued: int = 0

    def line(self, noun: str) -> str:
        """ "9 albums found, 8 queued, 2 skipped:" (each skipped folder follows, with why,
        in ``skipped_lines``); with items put back in line, "9 albums found, 3 queued (1
        new, 2 changed since completed), 0 skipped"."""
        said = f"{count(len(self.found), noun)} found, {self.queued + self.requeued} queued"
        if self.requeued:
            said += f" ({self.queued} new, {self.requeued} changed since completed)"
        return f"{said}, {len(self.skipped)} skipped" + (":" if self.skipped else "")

    def unreadable(self) -> list[str]:
        """The folders (paths in the library) that could not be read: what lies below them
        is unknown, not gone."""
        return [name for name, why in self.skipped if why.startswith(UNREADABLE)]

    def skipped_lines(self) -> list[str]:
        return [f"  {one_line(name)}: {why}" for name, why in self.skipped]

    def twins(self) -> list[list[str]]:
        """The keys that are one name in several Unicode forms ("Björk" composed, and
        decomposed as a Mac writes names: a folder copied from one beside its twin). Every
        list shows them as one name, yet they are two folders: said, never merged."""
        keys = {key for key, _folder in self.found}
        forms: dict[str, list[str]] = {}
        for key, _folder in self.found:  # most names are composed already: checked quickly
            if not unicodedata.is_normalized("NFC", key):
                forms.setdefault(unicodedata.normalize("NFC", key), []).append(key)
        twins = [[composed, *others] if composed in keys else others
                 for composed, others in forms.items()]  # fmt: skip
        return [names for names in twins if len(names) > 1]

    def lines(self, noun: str) -> list[tuple[str, bool]]:
        """What the look is said with, each line with whether it is a warning (stderr): the
        counts, each folder skipped and why, each name in two Unicode forms."""
        lines = [(line, False) for line in (self.line(noun), *self.skipped_lines())]
        for names in self.twins():
            listed = [f"{one_line(name)} ({unicode_form(name)})" for name in names]
            both = ", ".join(listed[:-1]) + f" and {listed[-1]}"
            lines.append((f"Warning: same name in two Unicode forms: {both} are "
                          f"{len(names)} folders, queued as {count(len(names), noun)}: move "
                          "one's contents into the other, or rename one", True))  # fmt: skip
        return lines


def survey(
    kind: str, library: Path, home: Path | None = None, tops: Callable[[str], bool] | None = None
) -> Survey:
    """The items of ``kind`` in ``library`` (key, folder), sorted by key (case-insensitively)
    and the folders passed over. A key is the folder's path relative to the library, in
    POSIX form: for items directly inside it, the folder's name; deeper,
    ``Artist A/Greatest Hits``. The folders are paths as text: a ``Path`` interns every part
    of itself, and the interpreter's table of interned names, once grown to hold a whole
    library's folder names at once, never shrinks. The data home ``home``, when it lies in
    the library, is passed over, said as such (its reports and working copies are no item);
    a home that is the library is refused (LibraryError). ``tops``: the top-level folders
    (by name) looked in (the watcher's settled folders: one it cannot read elsewhere in the
    library is none of its business); every one, and the library itself, when None."""
    inner_home = home_inside(home, library) if home is not None else None
    record = kinds.get(kind)
    finder = record.find
    passed: list[tuple[Path, str]] = []
    if finder is None:
        folders = listed_folders(library, passed)
        if tops is not None:
            folders = [f for f in folders if tops(os.path.basename(f))]
        for _ in range(record.depth - 1):
            folders = [inner for folder in folders for inner in listed_folders(folder, passed)]
        prefix = len(os.path.join(library, ""))  # the folders are made by joining names to it
        keyed = [(folder[prefix:], folder) for folder in folders]
    else:
        roots = [library]
        if tops is not None:  # each top-level folder looked in on its own
            roots = [Path(f) for f in listed_folders(library, passed) if tops(os.path.basename(f))]
        says = "skipped" in inspect.signature(finder).parameters
        # A kind's finder that does not say what it passes over is called without a list.
        found = [
            f for root in roots for f in (finder(root, skipped=passed) if says else finder(root))
        ]
        keyed = [(folder.relative_to(library).as_posix(), str(folder)) for folder in found]
    # Looked at where the survey looks (a finder's walk: anywhere; else its item levels).
    levels = os.path.relpath(inner_home, library).count(os.sep) + 1 if inner_home else 0
    if inner_home is not None and (finder is not None or levels <= record.depth):
        keyed = [(key, folder) for key, folder in keyed if not _within(folder, inner_home)]
        passed = [(p, why) for p, why in passed if not _within(str(p), inner_home)]
        passed.append((Path(inner_home), HOME_FOLDER))
    skipped = [(path.relative_to(library).as_posix(), why) for path, why in passed]
    return Survey(sorted(keyed, key=lambda pair: (pair[0].casefold(), pair[0])), sorted(skipped))


def home_inside(home: Path, library: Path) -> str | None:
    """The data home's folder as it is named in ``library`` (the library as given, not
    resolved, as the survey's folders are) when the home lies in the library; None when it
    is apart or holds the library. LibraryError when it is the library itself."""
    real_home, real_library = os.path.realpath(home), os.path.realpath(library)
    if real_home == real_library:
        raise LibraryError(
            f"the data home {home} is the library {library}: its reports and working copies "
            "would be taken for the library's own",
            "give a --home DIR apart from the library (neither in it nor holding it)",
        )
    if not real_home.startswith(os.path.join(real_library, "")):
        return None
    return os.path.join(library, os.path.relpath(real_home, real_library))


def _within(folder: str, top: str) -> bool:
    return folder == top or folder.startswith(os.path.join(top, ""))


def listed_folders(folder: Path | str, skipped: list[tuple[Path, str]] | None = None) -> list[str]:
    """The item folders directly inside ``folder`` (their paths as text), sorted by name
    (case-insensitively); system folders and links to folders are not items: they are added
    to ``skipped``."""
    folders = []
    for entry in listing(folder):
        why = skipped_folder(entry.name) if _is_dir(entry) else None
        if why is None and is_folder_link(entry):
            why = not_followed(entry.path, folder)
        if why is not None:
            if skipped is not None:
                skipped.append((Path(entry.path), why))
        elif _is_dir(entry):
            folders.append(entry.path)
    return sorted(folders, key=lambda p: (os.path.basename(p).casefold(), os.path.basename(p)))


def not_a_library(folder: Path | str) -> str:
    """Why ``folder`` cannot be a library (it does not exist, or is no folder); "" if it can."""
    if not os.path.exists(folder):
        return f"library folder does not exist: {folder}"
    if not os.path.isdir(folder):
        return f"library path is not a folder: {folder}"
    return ""


def listing(folder: Path | str) -> list[os.DirEntry]:
    """Everything directly inside ``folder`` (a library, or a level of one)."""
    if why := not_a_library(folder):
        raise LibraryError(why)
    try:
        return list(os.scandir(folder))
    except OSError as err:
        raise LibraryError(f"cannot read library folder {folder}: {err.strerror}") from None


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False
