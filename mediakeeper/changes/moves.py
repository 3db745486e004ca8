"""Copies set aside and put back: each move journaled before it is made.

``status/dupes/moves/<session>.jsonl``: one line per move, ``{"from", "to", "size"}``,
flushed to disk before the file moves, so a run killed between the two leaves a line whose
file is still at ``from`` (its undo says so and moves nothing). A move within one file
system is a rename (the very bytes, inode and times); across file systems a copy with its
times and mode, flushed, compared, and only then the original removed. Nothing is ever
deleted: undo renames each file back to its own path, newest first, and a file found at
neither place, or with something in the way, is left alone and said."""

from __future__ import annotations

import errno
import filecmp
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from mediakeeper.fs.atomic import append_lines, encode_text, fsync_dir
from mediakeeper.text.slug import inside


def journal_path(home: Path, session: str) -> Path:
    return inside(home, "status", "dupes", "moves", f"{session}.jsonl")


def in_holding(holding: Path, library: Path, path: Path) -> Path:
    """Where ``path`` goes: its path relative to the library under the holding folder (a
    name taken already there gets " (2)", " (3)" before its extension)."""
    target = holding / path.relative_to(library)
    n = 2
    while target.exists():
        target = target.with_name(f"{path.stem} ({n}){path.suffix}")
        n += 1
    return target


def move(home: Path, session: str, source: Path, target: Path) -> None:
    """Move ``source`` to ``target``, journaled first."""
    line = json.dumps({"from": str(source), "to": str(target), "size": source.stat().st_size},
                      ensure_ascii=False) + "\n"  # fmt: skip
    journal = journal_path(home, session)
    journal.parent.mkdir(parents=True, exist_ok=True)
    append_lines(journal, encode_text(line), durable=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    _relocate(source, target)


def _relocate(source: Path, target: Path) -> None:
    try:
        os.rename(source, target)
    except OSError as err:
        if err.errno != errno.EXDEV:
            raise
        if not copy_compared(source, target):
            raise OSError(f"the copy of {source} in the holding folder differs") from None
        source.unlink()
    fsync_dir(target.parent)
    fsync_dir(source.parent)


def copy_compared(source: Path, target: Path) -> bool:
    """``source`` copied to ``target`` with its times and mode, flushed and compared byte for
    byte; False (the copy removed) when it reads back different."""
    shutil.copy2(source, target)
    with open(target, "rb+") as copied:
        os.fsync(copied.fileno())
    if filecmp.cmp(source, target, shallow=False):
        return True
    target.unlink()
    return False


def moved(home: Path, session: str) -> list[dict[str, str]]:
    """The moves of ``session`` in the order made ([] when it moved nothing)."""
    try:
        lines = journal_path(home, session).read_text("utf-8").split("\n")
    except OSError:
        return []
    found = []
    for line in lines:
        try:
            found.append(json.loads(line))
        except ValueError:
            continue  # a torn last line: that move was never made
    return found


@dataclass
class PutBack:
    restored: list[str] = field(default_factory=list)
    left_alone: list[tuple[str, str]] = field(default_factory=list)  # (path, why)


def put_back(home: Path, session: str, holding: Path) -> PutBack:
    """Every file ``session`` moved, renamed back to its own path, newest first; the
    folders it leaves empty in ``holding`` removed."""
    done = PutBack()
    for entry in reversed(moved(home, session)):
        source, target = Path(entry["from"]), Path(entry["to"])
        if source.exists() and not target.exists():
            continue  # journaled, then the run was killed before the move: never made
        if source.exists():
            done.left_alone.append((str(source), "another file is at its own path"))
            continue
        if not target.exists():
            done.left_alone.append((str(source), f"it is no longer at {target}"))
            continue
        source.parent.mkdir(parents=True, exist_ok=True)
        _relocate(target, source)
        done.restored.append(str(source))
        prune(target.parent, holding)
    return done


def prune(folder: Path, holding: Path) -> None:
    while folder != holding and holding in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
