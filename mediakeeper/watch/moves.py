"""A folder moved or renamed within a library is the same item: it keeps its history.

Which files an item's folder holds is kept with the item (its details' ``identity``): the
device and inode of each file (what a rename or a move within one file system keeps, whatever
else changes), with the inode's generation where the file system says it (ext4, btrfs, XFS:
an inode a deleted file let go and a new file was given is another generation, so an album
deleted and another copied in under the same file names is not taken for it moved), and a
content fingerprint (each file's relative path, size and modification time,
``queue.fingerprints``: what a move to another file system keeps). A folder the refresh found
new while an item's folder was found gone is that item moved when its files are the same by
either: the new item takes the gone one's history (status, attempts, outcome, findings,
counts, recorded files) and the gone one stays marked missing with where it went. The folder
gone may have settled before the one that came (a copy, then a delete): any item missing and
not already moved is a candidate. The watcher keeps each item's identity up to date as its
folder settles (``remember``)."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mediakeeper.core import kinds
from mediakeeper.queue import fingerprints
from mediakeeper.queue.itemlist import scan
from mediakeeper.queue.items import IN_PROGRESS, MOVED_TO, PENDING
from mediakeeper.queue.manager import RefreshResult
from mediakeeper.queue.store import QueueStore
from mediakeeper.system import linux

IDENTITY = "identity"  # its key in an item's details
# What a moved item keeps of its own: where it is now, and whether it is there.
OWN_FIELDS = ("key", "name", "path", "missing", "claimed_by", "run_token")


def identity_of(folder: str, tree: bool) -> dict[str, Any]:
    """The identity of the files in ``folder``: {"inodes": a hash of each file's relative
    path, device, inode and the inode's generation, "content": its content fingerprint}.
    OSError when it cannot be read."""
    stats = fingerprints.stats_of(folder, tree=tree)
    digest = hashlib.sha256()
    for path in sorted(stats):
        info = stats[path]
        digest.update(f"{path}\0{info.st_dev}\0{info.st_ino}\0".encode("utf-8", "surrogateescape"))
        digest.update(_generation(os.path.join(folder, path), info) + b"\n")
    files = {p: (i.st_size, i.st_mtime_ns) for p, i in stats.items()}
    return {"inodes": digest.hexdigest()[:32], "content": fingerprints.fingerprint(files)}


# The devices whose file system keeps no generation (NFS, SMB, FAT, tmpfs): asked of their
# first file, then no file of theirs is opened for it (a share's open is a round trip).
_NO_GENERATION: set[int] = set()


def _generation(path: str, info: os.stat_result) -> bytes:
    """The generation of ``path``'s inode, as the file system says it; empty where it says
    none (a file system without one, a file that cannot be opened): the inode alone then
    tells the file, as before a generation was asked."""
    if not stat.S_ISREG(info.st_mode) or info.st_dev in _NO_GENERATION:
        return b""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a link: its file, as its stat
    except OSError:
        return b""
    try:
        if os.fstat(fd).st_ino != info.st_ino:
            return b""  # replaced since its stat: not the file the inode names
        generation = linux.inode_generation(fd)
    finally:
        os.close(fd)
    if generation is None:
        _NO_GENERATION.add(info.st_dev)
        return b""
    return str(generation).encode()


def remember(store: QueueStore, library: str, wanted: Callable[[str], bool]) -> int:
    """Record the identity of every item on disk whose key is ``wanted`` where it changed;
    how many were. The folders are read before the queue is locked (a batch is never kept
    waiting for a walk of the library)."""
    tree = kinds.get(store.kind).files_below
    found: dict[str, dict[str, Any]] = {}
    for item in store.peek()["items"]:
        if item.get("missing") or not wanted(item["key"]):
            continue
        try:
            mark = identity_of(os.path.join(library, item["key"]), tree)
        except OSError:
            continue  # unreadable now: its last identity stands
        if (item.get("details") or {}).get(IDENTITY) != mark:
            found[item["key"]] = mark
    if not found:
        return 0

    def mutate(data: dict[str, Any]) -> list[dict[str, Any]]:
        changed = []
        for item in scan(data["items"]):
            if item["key"] in found:
                item["details"] = {**(item.get("details") or {}), IDENTITY: found[item["key"]]}
                changed.append(item)
        return changed

    return len(store.update(mutate, fold=True))


def recognise_moves(
    store: QueueStore, library: str, result: RefreshResult
) -> list[tuple[str, str]]:
    """The folders ``result`` found new that are items gone (now, or before: the two sides
    of a move may settle apart), moved: each new item takes its gone one's history. Each pair
    is taken out of ``result``'s added and vanished; returned as (from, to)."""
    if not result.added:
        return []
    tree = kinds.get(store.kind).files_below
    by_inodes: dict[str, dict] = {}
    by_content: dict[tuple, dict] = {}
    for item in store.peek()["items"]:
        details = item.get("details") or {}
        if not item.get("missing") or details.get(MOVED_TO):
            continue
        known = details.get(IDENTITY) or {}
        if known.get("inodes"):
            by_inodes.setdefault(known["inodes"], item)
        for mark in (known.get("content"), details.get(fingerprints.FINGERPRINT)):
            if mark:
                by_content.setdefault(_mark_key(mark), item)
    moves: dict[str, dict] = {}  # the new key -> the gone item
    for key in result.added:
        try:
            mark = identity_of(os.path.join(library, key), tree)
        except OSError:
            continue
        old = by_inodes.get(mark["inodes"]) or by_content.get(_mark_key(mark["content"]))
        if old is not None and old["key"] not in {o["key"] for o in moves.values()}:
            moves[key] = old
            _keep_files_list(store, old, key)
    if not moves:
        return []
    _take_history(store, moves)
    pairs = [(old["name"], key) for key, old in moves.items()]
    result.added[:] = [k for k in result.added if k not in moves]
    result.vanished[:] = [n for n in result.vanished if n not in {o for o, _ in pairs}]
    return pairs


def _take_history(store: QueueStore, moves: Mapping[str, dict]) -> None:
    moved_to = {old["key"]: key for key, old in moves.items()}

    def mutate(data: dict) -> list[dict]:
        changed = []
        for item in scan(data["items"]):
            if item["key"] in moves:
                old = moves[item["key"]]
                item.update({f: v for f, v in old.items() if f not in OWN_FIELDS})
                if item["status"] == IN_PROGRESS:  # the batch at work on it keeps the old one
                    item["status"] = PENDING
                details = {**(old.get("details") or {}), "moved_from": old["key"]}
                details.pop(IDENTITY, None)  # its files' as they are now: recorded afresh
                item["details"] = details
                changed.append(item)
            elif item["key"] in moved_to:
                item["details"] = {**(item.get("details") or {}),
                                   MOVED_TO: moved_to[item["key"]]}  # fmt: skip
                changed.append(item)
        return changed

    store.update(mutate, fold=True)


def _keep_files_list(store: QueueStore, old: dict, key: str) -> None:
    """The list of files the gone item completed with, kept for its new key (so that a
    change made with the move is told file by file)."""
    mark = (old.get("details") or {}).get(fingerprints.FINGERPRINT)
    if not mark:
        return
    files = fingerprints.load(store.dir, old["key"], mark)
    if files is not None:
        fingerprints.save(store.dir, key, mark, files)


def _mark_key(mark: Mapping[str, Any]) -> tuple:
    return tuple(sorted(mark.items()))


def moved_tops(pairs: Iterable[tuple[str, str]]) -> set[str]:
    """The top-level folders the items moved to (for the refresh rule to look at again)."""
    return {new.split("/", 1)[0] for _old, new in pairs}
