"""The journal of in-place writes, in the data home (``status/writes/``), and the repair of
what a killed run left in it.

Each process keeps one journal file, ``<pid>-<start tick>.journal``, holding at most one
entry: the byte ranges a write group is about to overwrite, each file's old and new bytes,
under a SHA-256 of the whole. The entry is flushed to disk before any of its files is
written, and blanked once they are all flushed: so a file can only be mid-write while a
whole entry naming its old and new bytes is on disk. An entry that fails its checksum was
cut short while being written, before any of its files was touched: it is discarded. The
file keeps its size between entries (``ROOM``), each written over the last: an entry's
flush is then its bytes alone, with no block to allocate or size to record.

``recover`` runs first in every command that opens the data home: for each journal file of a
process that no longer runs, each range is made wholly new where the file holds, byte by
byte, the old or the new bytes (a write cut short is completed); a file whose every range
still holds the old bytes was not yet touched and is left as it is; a file that holds other
bytes, or another size, was changed since by another program and is left alone. A file that
cannot be reached now (its drive is not mounted, a network share is down, it may not be
opened by this user) keeps its part of the entry, for the first command that reaches it;
only a file gone from a drive that is there (deleted or moved) is given up. An entry that
cannot be read (another user's, in a shared data home) is left as it is.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import errno
import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from mediakeeper.fs.atomic import atomic_write_bytes, flush_files, fsync_dir
from mediakeeper.system.processes import is_running, own_start_time

MAGIC = b"mediakeeper-inplace-1"
SUFFIX = ".journal"
ENTRY_MODE = 0o600  # an entry holds the files' tag bytes: the user's alone, as their files are
# The journal file is grown in steps of this size, with written zeros (never a hole, whose
# first write would allocate), and kept so between entries: most entries are a few KB, and
# one written over blocks already on the disk is flushed as its bytes alone (fdatasync),
# about a third cheaper here than one whose flush also records a new size, after blocks
# freed by the last retire (issue 72, docs/performance.md). A larger entry grows it; the
# next retire takes it back to this size.
ROOM = 64 << 10


class FilePatch(NamedTuple):
    """One file's ranges to overwrite: (offset, old bytes, new bytes); ``dev``: the file
    system it is on (0: not known, an entry of an earlier version)."""

    path: str
    size: int
    ranges: Sequence[tuple[int, bytes, bytes]]
    dev: int = 0


class Recovered(NamedTuple):
    path: str
    outcome: str  # COMPLETED, UNTOUCHED, DONE, LEFT_ALONE, GONE, KEPT, UNREADABLE


COMPLETED = "completed"  # cut short mid-write: finished now
UNTOUCHED = "not begun"  # every range still old: left as it was
DONE = "already complete"
LEFT_ALONE = "changed since by another program: left alone"
GONE = "gone since (deleted or moved): nothing to complete"
UNREADABLE = "its journal entry cannot be read ({}): left for a command that can read it"
KEPT = (
    "out of reach now (its drive not mounted, or not this user's to open): kept, to be "
    "completed by the first command that reaches it"
)


def encode(patches: Sequence[FilePatch]) -> bytes:
    b64 = base64.b64encode
    body = json.dumps(
        [
            {"path": p.path, "size": p.size, "dev": p.dev,
             "ranges": [[at, b64(old).decode(), b64(new).decode()] for at, old, new in p.ranges]}
            for p in patches
        ],
        separators=(",", ":"),
    ).encode()  # fmt: skip
    return b"%s %s %d\n%s" % (MAGIC, hashlib.sha256(body).hexdigest().encode(), len(body), body)


def decode(data: bytes) -> list[FilePatch] | None:
    """The entry's patches; None for an empty or cut-short entry."""
    head, _, body = data.partition(b"\n")
    parts = head.split(b" ")
    if len(parts) != 3 or parts[0] != MAGIC or not parts[2].isdigit():
        return None
    body = body[: int(parts[2])]
    if hashlib.sha256(body).hexdigest().encode() != parts[1]:
        return None
    b64 = base64.b64decode
    return [
        FilePatch(
            f["path"],
            f["size"],
            [(at, b64(old), b64(new)) for at, old, new in f["ranges"]],
            f.get("dev", 0),
        )
        for f in json.loads(body)
    ]


class Journal:
    """This process's journal file in ``folder``, made on first use."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.pid = os.getpid()
        self.fd: int | None = None
        self.room = 0  # the file's size: what an entry can be written over
        self.path = folder / f"{os.getpid()}-{own_start_time() or 0}{SUFFIX}"

    def record(self, patches: Sequence[FilePatch], flush_first: Sequence[Path] = ()) -> None:
        """The entry on disk (with ``flush_first``, in the same flush); OSError if not."""
        data = encode(patches)
        if self.fd is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, ENTRY_MODE)
            fsync_dir(self.folder)  # its name must outlive a crash as much as its bytes
            self.room = 0
        if len(data) > self.room:  # grown, zeros after the entry
            data += bytes(-len(data) % ROOM)
        # Bytes of an earlier entry may follow this one's: its header says its length, and
        # one cut short (a header of one entry over the body of another) fails its checksum.
        pwrite_all(self.fd, data, 0)
        self.room = max(self.room, len(data))  # once written: a full disk may stop it
        flush_files([self.fd], flush_first, data_only=True)

    def retire(self) -> None:
        """Every file of the entry is on disk: the entry is no longer needed, and its header
        is blanked. Not flushed: an entry a crash brings back names files that hold its new
        bytes, which ``recover`` leaves as they are."""
        if self.fd is not None:
            os.pwrite(self.fd, bytes(len(MAGIC)), 0)
            if self.room > ROOM:  # a large entry's room given back
                os.ftruncate(self.fd, ROOM)
                self.room = ROOM

    def abandon(self) -> None:
        """A write failed part-way: the entry stays, for ``recover`` once this process ends,
        under a name of its own; the next entry goes into a new file."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
            with contextlib.suppress(OSError):
                os.rename(self.path, f"{self.path}.{os.urandom(4).hex()}{SUFFIX}")

    def close(self) -> None:
        """Removed: this process writes no more (a forked child's copy leaves it be)."""
        if self.fd is not None and self.pid == os.getpid():
            os.close(self.fd)
            self.fd = None
            with contextlib.suppress(OSError):
                os.unlink(self.path)


_journals: dict[tuple[int, Path], Journal] = {}


def journal_for(folder: Path) -> Journal:
    """This process's journal in ``folder`` (a forked worker gets its own)."""
    key = (os.getpid(), folder)
    if key not in _journals:
        journal = _journals[key] = Journal(folder)
        atexit.register(journal.close)
        import multiprocessing.util  # here: every command recovers, few write in place

        # A batch's worker ends in os._exit, past atexit, after its multiprocessing
        # finalizers: without one, each worker left an empty journal file behind.
        multiprocessing.util.Finalize(journal, journal.close, exitpriority=0)
    return _journals[key]


def recover(folder: Path) -> list[Recovered]:
    """Repair what the ended processes' journals in ``folder`` name (see the module's
    docstring), and remove those journals, or keep in each only the files out of reach now.
    What was found, file by file."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    found: list[Recovered] = []
    changed = False  # an entry rewritten or removed: the folder flushed once at the end
    for name in names:
        if not name.endswith(SUFFIX) or _still_running(name):
            continue
        path = folder / name
        try:
            data = path.read_bytes()
        except OSError as err:  # another user's, or the disk failed it: left, and said
            found.append(Recovered(str(path), UNREADABLE.format(err.strerror or err)))
            continue
        try:
            patches = decode(data)
        except (ValueError, KeyError, TypeError):
            patches = None  # cut short: nothing was written under it
        outcomes = [(p, repair(p)) for p in patches or ()]
        found += [Recovered(p.path, outcome) for p, outcome in outcomes]
        kept = [p for p, outcome in outcomes if outcome == KEPT]
        if kept and len(kept) == len(outcomes):
            continue  # none of its files reached: the entry stays as it is, unwritten
        with contextlib.suppress(OSError):
            if kept:
                atomic_write_bytes(path, encode(kept), mode=ENTRY_MODE)
            else:
                os.unlink(path)
        changed = True
    if changed:
        fsync_dir(folder)
    return found


def _still_running(name: str) -> bool:
    pid, _, rest = name.partition("-")
    started = rest.split(".")[0]
    if not pid.isdigit():
        return False
    return is_running(int(pid), started if started not in ("", "0") else None)


def repair(patch: FilePatch) -> str:
    """Make one file's ranges wholly new where it holds old or new bytes in each of them."""
    try:
        fd = os.open(patch.path, os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError as err:
        if err.errno == errno.ELOOP:
            return LEFT_ALONE  # a link stands there now
        return GONE if _gone(patch, err) else KEPT
    try:
        if os.fstat(fd).st_size != patch.size:
            return LEFT_ALONE
        states = [_state(os.pread(fd, len(old), at), old, new) for at, old, new in patch.ranges]
        if "other" in states:
            return LEFT_ALONE
        if all(s == "old" for s in states):
            return UNTOUCHED
        if all(s == "new" for s in states):
            return DONE
        for (at, _old, new), s in zip(patch.ranges, states, strict=True):
            if s != "new":
                pwrite_all(fd, new, at)
        os.fsync(fd)
        return COMPLETED
    finally:
        os.close(fd)


def _gone(patch: FilePatch, err: OSError) -> bool:
    """Whether a file that cannot be opened is gone from a file system that is there, rather
    than out of reach: its folder, or the nearest folder above it that exists, is on the file
    system the file was on (an entry of an earlier version: its folder exists)."""
    if err.errno not in (errno.ENOENT, errno.ENOTDIR):
        return False  # EACCES, EIO, ESTALE, ...: there, perhaps, but not reachable now
    folder = os.path.dirname(patch.path)
    while True:
        try:
            st = os.stat(folder)
        except OSError:
            above = os.path.dirname(folder)
            if above == folder:
                return False
            folder = above
            continue
        if patch.dev == 0:
            return folder == os.path.dirname(patch.path)
        return st.st_dev == patch.dev


def pwrite_all(fd: int, data: bytes, at: int) -> None:
    """``os.pwrite`` until every byte is written (one call may write only part)."""
    view = memoryview(data)
    while view:
        n = os.pwrite(fd, view, at)
        view, at = view[n:], at + n


def _state(now: bytes, old: bytes, new: bytes) -> str:
    if now == new:
        return "new"
    if now == old:
        return "old"
    if len(now) == len(old) and all(c in (o, n) for c, o, n in zip(now, old, new, strict=True)):
        return "torn"
    return "other"
