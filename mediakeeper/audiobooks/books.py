"""What an audiobook is: a folder holding audio files, with its disc folders (``CD1``,
``Disc 2``, ``Part 3``, ``Part One``) counted as its own, in order. Files come in natural
order ("Chapter 2" before "Chapter 10", "Chapter Two" before "Chapter Ten", a prologue
first)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from mediakeeper.core.errors import LibraryError
from mediakeeper.fs.tree import files_below
from mediakeeper.media.albums import Skipped, album_files, is_audio, passed_over, unreadable
from mediakeeper.text.discs import BOOK_PART, DISC_WORD
from mediakeeper.text.visible import one_line
from mediakeeper.text.wording import count

# A book's folder of bonus material: the book's own, never its chapters nor a book of its own
# (one was, titled "extras" by an author named as the book's folder); left where it is.
EXTRAS = re.compile(
    r"^(?:extras?|bonus(?:[\s._-]+(?:material|features?|content|tracks?))?|supplements?"
    r"|supplemental(?:[\s._-]+material)?)$",
    re.IGNORECASE,
)
_UNITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
          "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
          "eighteen", "nineteen")
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_NUMBER_WORDS = re.compile(
    rf"\b(?:(?P<tens>{'|'.join(_TENS)})(?:[\s-]?(?P<unit>{'|'.join(_UNITS[1:10])}))?"
    rf"|(?P<small>{'|'.join(_UNITS)}))\b",
    re.IGNORECASE,
)
# Its disc or part folders: "CD1", "Disc 2", "Part 3", and "Part One", "Disc Two".
DISC = re.compile(rf"^(?:{BOOK_PART}|(?:{DISC_WORD}|part)[\s._-]*(?:{_NUMBER_WORDS.pattern}))",
                  re.IGNORECASE)  # fmt: skip
# A book's parts before and after its chapters, named so without a number.
_FRONT = re.compile(r"^\W*(?:prologue|prolog|foreword|preface|introduction)\b", re.IGNORECASE)
_BACK = re.compile(r"^\W*(?:epilogue|epilog|afterword)\b", re.IGNORECASE)


def _as_digits(match: re.Match) -> str:
    if match["small"]:
        return str(_UNITS.index(match["small"].casefold()))
    tens = 20 + 10 * _TENS.index(match["tens"].casefold())
    return str(tens + (_UNITS.index(match["unit"].casefold()) if match["unit"] else 0))


def natural_key(name: str) -> tuple:
    """Numbers in order, whether in digits or English words ("Chapter 2" before "Chapter 10",
    "Chapter Two" before "Chapter Ten"); a name starting "Prologue" (or "Foreword") before the
    rest, "Epilogue" (or "Afterword") after, as the book reads."""
    place = 0 if _FRONT.match(name) else 2 if _BACK.match(name) else 1
    return (place, *(
        (0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
        for part in re.split(r"(\d+)", _NUMBER_WORDS.sub(_as_digits, name))
        if part
    ))  # fmt: skip


def _subfolders(folder: Path, library: Path | None = None, skipped: Skipped | None = None
                ) -> list[Path]:
    """The folders in ``folder`` looked into (system folders and links are not: those are
    added to ``skipped``, with why), in natural order."""
    entries = list(os.scandir(folder))
    noted: Skipped = [] if skipped is None else skipped
    return sorted(
        (Path(e.path) for e in entries
         if not passed_over(e, library or folder, noted) and e.is_dir(follow_symlinks=False)),
        key=lambda p: natural_key(p.name),
    )  # fmt: skip


def _audio_in(folder: Path) -> list[Path]:
    return sorted((p for p in album_files(folder) if is_audio(p.name)),
                  key=lambda p: natural_key(p.name))  # fmt: skip


def disc_folders(folder: Path) -> list[Path]:
    return [d for d in _subfolders(folder) if DISC.match(d.name) and _audio_in(d)]


def find(library: Path, skipped: Skipped | None = None) -> list[Path]:
    """Every book folder under ``library``; the folders passed over are added to
    ``skipped``."""
    if not library.is_dir():
        raise LibraryError(f"library folder does not exist: {library}")
    return list(_walk(library, [] if skipped is None else skipped))


def _walk(library: Path, skipped: Skipped) -> Iterator[Path]:
    """The book folders top-down, in natural order; the folders still to look into are
    kept in a list, not in a call per level: no depth is too deep."""
    todo = [library]
    while todo:
        folder = todo.pop()
        try:
            discs = disc_folders(folder)
            book = bool(_audio_in(folder) or discs)
            inner = _subfolders(folder, library, skipped)
        except OSError as err:  # one corner passed over, said; the rest is read
            unreadable(folder, library, skipped, err)
            continue
        if book:
            yield folder
            inner = [sub for sub in inner if not EXTRAS.match(sub.name)]
        todo += reversed([sub for sub in inner if sub not in discs])


def book_files(folder: Path) -> list[Path]:
    """The book's audio files in playing order: its own, then each disc folder's."""
    files = _audio_in(folder)
    for disc in disc_folders(folder):
        files += _audio_in(disc)
    return files


def left_out(folder: Path) -> list[str]:
    """What the book folder holds in its other folders (``extras/``, ``covers/``): never its
    chapters, said so a person does not take them for lost. Its extras (``EXTRAS``) and the
    folders without audio are left where they are, and in the backup; other folders holding
    audio are books of their own in the queue (``find``)."""
    lines = []
    discs = set(disc_folders(folder))
    for sub in _subfolders(folder):
        if sub in discs:
            continue
        below = [Path(p) for p in files_below(sub)]
        if not below:
            continue
        audio = sum(is_audio(p.name) for p in below)
        held = count(audio, "audio file") if audio else count(len(below), "file")
        why = ("no audio: left where it is" if not audio
               else "the book's extras, left where they are" if EXTRAS.match(sub.name)
               else "not a disc folder (CD1, Disc 2, Part 3): its audio is a book of its own "
               "in the queue")  # fmt: skip
        lines.append(f"{one_line(sub.name)}/ ({held}) is not in the book: {why}")
    return lines
