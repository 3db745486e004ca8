"""What a completed item's files were, so that ``--refresh`` can tell the items changed since.

When a batch records an item completed, it lists the item's files as the job left them (a
fix's rewritten tracks, a movie's ``movie.nfo`` and artwork are in, so the job's own writes
are no change next time): each file's path relative to the item's folder, its size and its
modification time, from directory entries and stat results only, never a tag. The item keeps
a fingerprint of that list in its details (``FINGERPRINT``: how many files, and a hash of the
sorted list), which ``--refresh`` compares with the folder as it is now; the list itself is
appended to ``status/<kind>/files.jsonl`` (``fs.keyed_log``: a file an item would cost more
than the rest of the record) and read only for an item whose fingerprint differs, to say how
many files were added, removed or modified. An older home's lists, a file an item in
``status/<kind>/files/``, are still read.

Not counted: junk, file managers' own files and the toolkit's temp files
(``fsnames.is_not_media``). Links to folders are not followed (``mediakeeper.fs.links``);
a link to a file counts as the file it leads to, as the scan reads it. Which files are an
item's, its kind's record says (``Kind.item_files``).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediakeeper.fs.keyed_log import KeyedLog
from mediakeeper.fs.names import is_not_media
from mediakeeper.fs.tree import too_deep
from mediakeeper.text.slug import inside, slugify

FINGERPRINT = "fingerprint"  # its key in a completed item's details
FILES_LOG = "files.jsonl"  # under status/<kind>/
OLD_FILES_DIR = "files"  # under status/<kind>/: a file an item, before files.jsonl

# A file's relative path (POSIX) -> (size in bytes, modification time in ns).
Files = dict[str, tuple[int, int]]


def files_of(folder: Path | str, *, tree: bool = True, home: Path | None = None) -> Files:
    """The files of the item whose folder is ``folder``: every one below it (``tree``), or
    only those directly in it; the data home ``home``, should it lie there, is none of
    them (it changes at every command). An unreadable folder raises OSError: the item's
    files cannot be told."""
    found = stats_of(folder, tree=tree, home=home)
    return {path: (info.st_size, info.st_mtime_ns) for path, info in found.items()}


def stats_of(
    folder: Path | str, *, tree: bool = True, home: Path | None = None
) -> dict[str, os.stat_result]:
    """``files_of``'s files with their whole stat results (which file each one is: its
    device and inode)."""
    found: dict[str, os.stat_result] = {}
    home_id = _identity(home)
    todo = [(os.fspath(folder), "")]  # a list, not a call per level: no depth is too deep
    while todo:
        where, prefix = todo.pop()
        try:
            entries = os.scandir(where)
        except OSError as err:
            if too_deep(err, where, os.fspath(folder)):  # never readable: none of its files
                continue
            raise
        with entries:
            for entry in entries:
                if is_not_media(entry.name):
                    continue
                path = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    if tree and not (home_id and _is(entry, home_id)):
                        todo.append((entry.path, path + "/"))
                    continue
                _add(entry, path, found)
    return found


def _identity(path: Path | None) -> tuple[int, int] | None:
    try:
        st = os.stat(path) if path is not None else None
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if st else None


def _is(entry: os.DirEntry, identity: tuple[int, int]) -> bool:
    """Whether ``entry`` is the folder of ``identity`` (its inode, free from the listing,
    tells most folders apart without a stat)."""
    if entry.inode() != identity[1]:
        return False
    st = entry.stat(follow_symlinks=False)
    return (st.st_dev, st.st_ino) == identity


def _add(entry: os.DirEntry, path: str, found: dict[str, os.stat_result]) -> None:
    try:
        info = entry.stat()  # a link: the file it leads to
    except FileNotFoundError:
        try:
            info = entry.stat(follow_symlinks=False)  # a broken link: the link
        except FileNotFoundError:
            return  # gone since the listing
    if not stat.S_ISDIR(info.st_mode):  # a link to a folder is not followed
        found[path] = info


def fingerprint(files: Files) -> dict[str, Any]:
    """How many files, and a hash of their sorted (path, size, mtime) list."""
    digest = hashlib.sha256()
    for path in sorted(files):
        size, mtime = files[path]
        digest.update(f"{path}\0{size}\0{mtime}\n".encode("utf-8", "surrogateescape"))
    return {"files": len(files), "sha256": digest.hexdigest()[:32]}


def home_of(status_dir: Path) -> Path:
    """The data home of ``<home>/status/<kind>/``."""
    return status_dir.parent.parent


def files_log(status_dir: Path) -> KeyedLog:
    return KeyedLog(inside(status_dir, FILES_LOG))


def save(status_dir: Path, key: str, mark: Mapping[str, Any], files: Files) -> None:
    """Keep the list ``mark`` is the fingerprint of. Derived data, not flushed: a list a
    crash loses no longer matches its item's fingerprint (see ``load``), and the item's next
    run keeps it again."""
    rows = [[p, s, m] for p, (s, m) in sorted(files.items())]
    files_log(status_dir).append(key, {FINGERPRINT: dict(mark), "files": rows})


def load(status_dir: Path, key: str, mark: Mapping[str, Any]) -> Files | None:
    """The list kept for the item ``key`` whose fingerprint is ``mark``; None when there is
    none that matches it (lost, damaged, or another item's)."""
    record = files_log(status_dir).get(key)
    try:
        if record is not None and record[FINGERPRINT] == mark:
            return {p: (s, m) for p, s, m in record["files"]}
    except (KeyError, TypeError, ValueError):
        return None
    return _load_old(status_dir, key, mark)


def _load_old(status_dir: Path, key: str, mark: Mapping[str, Any]) -> Files | None:
    """The list an older home kept in a file of its own."""
    try:
        path = inside(status_dir, OLD_FILES_DIR, f"{slugify(key)}.json")
        document = json.loads(path.read_bytes())
        if document["key"] != key or document[FINGERPRINT] != mark:
            return None
        return {r["path"]: (r["size"], r["mtime_ns"]) for r in document["files"]}
    except (OSError, ValueError, KeyError, TypeError):
        return None


@dataclass(frozen=True)
class Recorder:
    """Records an item's files once its job is done, in the process that ran it: the
    fingerprint for the item's details (None when the folder cannot be read, so that an
    earlier run's does not stand for this one's)."""

    status_dir: Path
    tree: bool = True

    def __call__(self, item: Mapping[str, Any]) -> dict[str, Any] | None:
        try:
            files = files_of(item["path"], tree=self.tree, home=home_of(self.status_dir))
            mark = fingerprint(files)
            # An item whose files are as its last run left them (a re-run, --enrich) keeps
            # the list it has: nothing appended, unless a crash lost it (it is not flushed).
            unchanged = (item.get("details") or {}).get(FINGERPRINT) == mark
            if not unchanged or load(self.status_dir, item["key"], mark) is None:
                save(self.status_dir, item["key"], mark, files)
        except OSError:
            return None
        return mark


@dataclass(frozen=True)
class Change:
    """How a completed item's files differ from those it completed with; None each when the
    list they were is lost (only the fingerprint tells they differ)."""

    added: int | None
    removed: int | None
    modified: int | None

    def __str__(self) -> str:
        if self.added is None:
            return "its files changed (no record of which)"
        return f"{self.added} added, {self.removed} removed, {self.modified} modified"


def change_since(
    status_dir: Path, item: Mapping[str, Any], folder: Path | str, *, tree: bool = True
) -> Change | None:
    """How the files of ``item`` (completed, with a fingerprint) changed; None if they did
    not. Raises OSError when its folder cannot be read."""
    files = files_of(folder, tree=tree, home=home_of(status_dir))
    mark = item["details"][FINGERPRINT]
    if fingerprint(files) == mark:
        return None
    before = load(status_dir, item["key"], mark)
    if before is None:
        return Change(None, None, None)
    kept = files.keys() & before.keys()
    return Change(
        added=len(files.keys() - before.keys()),
        removed=len(before.keys() - files.keys()),
        modified=sum(1 for path in kept if files[path] != before[path]),
    )
