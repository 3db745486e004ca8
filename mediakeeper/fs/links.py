"""Links to folders are never followed into, anywhere in a library: why, in a person's words.

A link that leaves the library would have a job write outside it (tag fixes, a movie's
.nfo); one that loops (``ln -s . "Self Loop"``, a link to the library or a folder holding
it) would make an item of the whole library, whose fixes collide with every other item's;
one that stays inside would have the same files processed twice, under two names. So a
folder link is reported, saying where it leads, and passed over: at ``--init`` and
``--refresh`` when it stands for an item, by the scan when it is inside one, and by a job
given one (a queue made before the link was). A link to a file is read like the file; if
it leads outside the library, its fixes are not made; if it leads into another item's
folder (an artist's view of a compilation's track), they are that item's to make
(``linked_file``): two items fixing one file through two names would each undo the other's
fix whenever their albums tell different values, run after run.
"""

from __future__ import annotations

import os
from pathlib import Path

from mediakeeper.text.visible import quoted


def not_followed(link: Path | str, library: Path | str) -> str:
    """Why the link to a folder at ``link`` is not followed; ``library``: the library's
    folder (an item's parent)."""
    target = os.path.realpath(link)
    library = os.path.realpath(library)
    where = os.path.realpath(os.path.dirname(os.path.abspath(link)))
    if _inside(where, target):  # the link stands inside what it leads to
        return "a link to a folder that loops, not followed"
    if _inside(target, library):
        inside = os.path.relpath(target, library)
        return (
            f"a link to {quoted(inside)} in the library, not followed "
            "(its files would be processed twice)"
        )
    return f"a link to a folder outside the library ({target}), not followed"


OUTSIDE, ELSEWHERE = "outside", "elsewhere"


def linked_file(link: Path | str, item: Path | str, library: Path | str) -> tuple[str, str] | None:
    """Where a link to a file in the folder ``item`` leads, unless into ``item`` itself:
    (``OUTSIDE``, its target) for one out of the library: the file is read (its findings
    stand) but never written, and its findings say so; (``ELSEWHERE``, its path in the
    library) for one into another item's folder: fixed by that item, never through the
    link."""
    target = os.path.realpath(link)
    library = os.path.realpath(library)
    if not _inside(target, library):
        return OUTSIDE, target
    if _inside(target, os.path.realpath(item)):
        return None
    return ELSEWHERE, os.path.relpath(target, library)


def gone(path: Path | str) -> str:
    """Why the file at ``path`` cannot be read where it is a link whose file is gone (deleted,
    moved, its drive not mounted): a track lost, said as such, never a file left out as if
    the album had no such track; "" for any other path."""
    if not os.path.islink(path) or os.path.exists(path):
        return ""
    return (f"{quoted(os.path.basename(path))} is a link to {quoted(os.readlink(path))}, "
            "which is gone (deleted, moved, or on a drive not mounted): put the file back, "
            "or delete the link")


def is_folder_link(entry: os.DirEntry[str]) -> bool:
    """Whether a listed entry is a link that leads to a folder."""
    try:
        return entry.is_symlink() and entry.is_dir()
    except OSError:
        return False


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)
