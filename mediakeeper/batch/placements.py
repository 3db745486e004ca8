"""Placing a finished folder where it belongs, replacing only what the item itself placed.

Each item's placements are recorded in ``<home>/status/<kind>/placed/<slug>.json``: for each
target folder, the files the item put there (size and mtime as they were placed). A target
that does not exist yet gets the folder whole, in one rename (``workdir.place_folder``). One
that exists is filled a file at a time: the item's own recorded files are replaced (only with
``overwrite``), its earlier files the new output no longer has are removed, and everything
else stays: every subfolder (a nested album placed by another item, or the user's) and every
file of the user's. A file of the user's where the new output has one of the same name stops
the placement, naming it: nothing of theirs is ever replaced.

The caller records the manifest (each file's size and SHA-256) before calling :func:`place`,
and passes the same manifest when it resumes: a file already in place with those bytes is
the item's own, moved by a run killed before it could say so.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from mediakeeper.core.errors import MediakeeperError
from mediakeeper.fs.atomic import atomic_write_text, fsync_dir
from mediakeeper.fs.tree import folders_for
from mediakeeper.fs.workdir import (
    PARTIAL,
    PlaceTaken,
    clear_leftovers,
    copy_verified,
    file_hash,
    place_folder,
    same_volume,
)
from mediakeeper.text.wording import count


class PlacementLost(MediakeeperError):
    """A file to place is neither in the folder it comes from nor, whole, at its place."""


def manifest(folder: Path) -> dict[str, list[Any]]:
    """The files directly in ``folder``: name -> [size, SHA-256]."""
    return {
        entry.name: [entry.stat().st_size, file_hash(entry)]
        for entry in sorted(folder.iterdir())
        if entry.is_file() and not entry.name.startswith(PARTIAL)
    }


KEY = "key"  # the item's key in its record: no target folder's path (those are absolute)


class Record:
    """One item's placements: target folder -> {file name: [size, mtime_ns]}, and the item's
    ``key`` (where it is given), which another item's refusal names."""

    def __init__(self, path: Path, key: str | None = None):
        self.path, self.key = path, key

    def load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def owned(self, target: Path) -> set[str]:
        """The files in ``target`` this item placed and nobody changed since."""
        placed = self.load().get(str(target), {})
        return {name for name, stamp in placed.items() if _stamp(target / name) == stamp}

    def add(self, target: Path, names: list[str]) -> None:
        data = self.load()
        data[str(target)] = {name: _stamp(target / name) for name in names}
        if self.key is not None:
            data[KEY] = self.key
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path, json.dumps(data, ensure_ascii=False, indent=1))

    def placed_by_another(self, target: Path, names: list[str]) -> str | None:
        """The item that placed one of ``names`` at ``target`` as it is now, by the records
        beside this one (its key, or an older record's name): None where none did. Read
        only when a placement is refused, never on the way of one that goes through."""
        for path in sorted(self.path.parent.glob("*.json")):
            if path == self.path:
                continue
            data = Record(path).load()
            placed = data.get(str(target))
            if isinstance(placed, dict) and any(
                n in placed and _stamp(target / n) == placed[n] for n in names
            ):
                return str(data.get(KEY) or path.stem)
        return None


def _stamp(path: Path) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def place(folder: Path, target: Path, files: dict[str, list[Any]], record: Record, *,
          move: bool, overwrite: bool, noun: str) -> None:  # fmt: skip
    """``files`` (the manifest recorded before) from ``folder`` to ``target``, as the module
    says. PlaceTaken, saying what to do, where that would replace what the item did not
    place (or its own earlier output, without ``overwrite``)."""
    with folders_for(target):  # (as deep as the album is in its library)
        clear_leftovers(target.parent, target.name)
        if not target.exists() and all((folder / n).is_file() for n in files):
            place_folder(folder, target, move=move, overwrite=False)
        else:
            _into_existing(folder, target, files, record, move=move, overwrite=overwrite,
                           noun=noun)  # fmt: skip
    record.add(target, sorted(files))


def check(target: Path, names: set[str], record: Record, *, overwrite: bool, noun: str,
          placed: frozenset[str] = frozenset()) -> set[str]:  # fmt: skip
    """PlaceTaken if placing ``names`` at ``target`` would replace what the item did not
    place (or, without ``overwrite``, its own earlier output); else the item's own earlier
    files there. ``placed``: those already in place (a resumed placement)."""
    if not target.is_dir():
        return set()
    present = {e.name for e in target.iterdir()
               if not e.is_dir() and not e.name.startswith(PARTIAL)}  # fmt: skip
    own = record.owned(target) & present
    theirs = sorted(present - own - placed)
    if clash := [n for n in theirs if n in names]:
        if (other := record.placed_by_another(target, clash)) is not None:
            raise PlaceTaken(f"{target} holds {_names(clash)}, which the {noun} {other!r} "
                             f"placed there: the two {noun}s go to one place; give one of "
                             "them a place of its own, then run again with --retry-errors")
        raise PlaceTaken(f"{target} holds {_names(clash)} that mediakeeper did not place there: "
                         "move them aside, then run again with --retry-errors")
    if own - placed and not overwrite:
        raise PlaceTaken(f"{target} already holds this {noun}'s earlier output ("
                         f"{count(len(own - placed), 'file')}): run again with --retry-errors "
                         "--overwrite to replace those files (nothing else there is touched)")
    if theirs and not overwrite and not placed:
        raise PlaceTaken(f"{target} already exists and holds files mediakeeper did not place "
                         f"({_names(theirs)}): move them aside, or run again with --retry-errors "
                         f"--overwrite to place the {noun} beside them (they are kept)")
    return own


def _into_existing(folder: Path, target: Path, files: dict[str, list[Any]], record: Record, *,
                   move: bool, overwrite: bool, noun: str) -> None:  # fmt: skip
    target.mkdir(parents=True, exist_ok=True)
    placed = frozenset(n for n in files if _holds(target / n, files[n]))
    own = check(target, set(files), record, overwrite=overwrite, noun=noun, placed=placed)
    for name in sorted(set(files) - placed):
        source = folder / name
        if not source.is_file():
            raise PlacementLost(f"{name} is neither in {folder} nor, whole, in {target}")
        if move and same_volume(source, target):
            os.replace(source, target / name)
        else:
            copy_verified(source, target / name)
    for name in sorted(own - set(files)):  # its earlier output's files the new one has not
        with contextlib.suppress(FileNotFoundError):
            os.unlink(target / name)
    fsync_dir(target)


def _holds(path: Path, entry: list[Any]) -> bool:
    """``path`` is the file of the manifest ``entry`` (size, then bytes)."""
    try:
        return os.stat(path).st_size == entry[0] and file_hash(path) == entry[1]
    except OSError:
        return False


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return shown
