"""Small derived records, one for each item, kept in one appended file instead of a file an
item: an item's files for ``--refresh`` (``queue.fingerprints``), an artist's rows of
``tracks.csv`` (``music.outputs``).

Creating a file is the dearest thing a job's outputs do on a page-cached library (the
inode, its folder entry, and on ext4 a pass over the inodes freed lately), so records that
only the toolkit reads are appended to one file a kind instead: one ``write`` to a file
already there.

Each line is a JSON object with its item's ``key``; a key's last whole line is its record.
An append is one ``write`` with O_APPEND under a shared lock (writers of several processes
never interleave) and is not flushed: what a crash loses is derived, made again by the next
run or said as unknown. A line cut short (a kill, a full disk) is passed over, and the next
append starts a line of its own. The file is folded (each key's last record only,
replacing it atomically under the exclusive lock, which the appends wait for) once it has
grown to twice its folded size, so that re-runs do not grow it without end; its first line
says that size.

Reading needs no lock: a rename shows the old file or the new one, and a line still being
appended is not yet whole. A process keeps what it read and reads only what was appended
since, so a reader asking for one item after another (a group of decisions, each taken
and recorded in turn) reads the file once.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from mediakeeper.fs.atomic import append_to, atomic_write_bytes, encode_text
from mediakeeper.text.jsonfmt import dumps_one

FOLDED = "folded"  # the first line's only key: the file's size as a fold left it
FOLD_FROM = 1 << 20  # bytes: a smaller file is read whole in milliseconds, never folded

Record = dict[str, Any]


class KeyedLog:
    """The records appended to ``path``, the last for each key."""

    def __init__(self, path: Path):
        self.path = path

    def append(self, key: str, fields: Mapping[str, Any]) -> None:
        """``fields`` as ``key``'s record (the file and its folder made if missing)."""
        data = encode_text(dumps_one({**fields, "key": key}) + "\n")
        flags = os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC
        while True:
            try:
                fd = os.open(self.path, flags, 0o644)
            except FileNotFoundError:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, flags, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_SH)
                if _current(fd, self.path):  # not replaced by a fold meanwhile
                    append_to(fd, data, self.path)
                    return
            finally:
                os.close(fd)

    def get(self, key: str) -> Record | None:
        return self.records().get(key)

    def records(self) -> dict[str, Record]:
        """Each key's last record (empty when there is no file or it cannot be read): the
        process's own copy, brought up to date by the next call; not to be changed."""
        try:
            with open(self.path, "rb") as f:
                return _read(f, self.path)
        except OSError:
            return {}

    def fold_if_grown(self) -> bool:
        """Fold the file if it has grown to twice its folded size (and past ``FOLD_FROM``);
        whether it did. A fold that fails (a full disk) leaves the file as it was: only
        longer than it needs to be, so it is not an error."""
        try:
            with open(self.path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                if size < FOLD_FROM or size < 2 * _folded_size(f):
                    return False
            self.fold()
        except OSError:
            return False
        return True

    def fold(self) -> None:
        """Keep each key's last record only (in the order of the keys' first appends)."""
        while True:
            try:
                fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                return
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)  # the appends wait, then write to the new file
                if not _current(fd, self.path):
                    continue
                with open(fd, "rb", closefd=False) as f:
                    last = {r["key"]: r for r in _lines(f.read())}
                lines = [encode_text(dumps_one(r) + "\n") for r in last.values()]
                # A fold's own mark: a reader that kept an earlier file's records knows this
                # one for another even should it get that file's inode number.
                mark = {FOLDED: sum(map(len, lines)), "fold": os.urandom(8).hex()}
                header = encode_text(dumps_one(mark) + "\n")
                atomic_write_bytes(self.path, [header, *lines], durable=False)
                return
            finally:
                os.close(fd)


def _current(fd: int, path: Path) -> bool:
    """Whether the open file ``fd`` is still the one at ``path``."""
    here = os.fstat(fd)
    try:
        there = os.stat(path)
    except FileNotFoundError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def _lines(data: bytes) -> Iterator[Record]:
    """The records of whole lines, in order (a cut or foreign line passed over)."""
    for raw in data.split(b"\n"):
        try:
            record = json.loads(raw)
        except ValueError:  # cut short (a UTF-8 character too), or the last, empty line
            continue
        if isinstance(record, dict) and isinstance(record.get("key"), str):
            yield record


def _folded_size(f: BinaryIO) -> int:
    try:
        return int(json.loads(f.readline())[FOLDED])
    except (ValueError, KeyError, TypeError):
        return 0


HEAD = 64  # bytes: a file's first bytes, which tell it from any other (a fold's mark)

# path -> (device, inode and first bytes; bytes read to the end of the last whole line; records)
_SEEN: dict[str, tuple[tuple[int, int, bytes], int, dict[str, Record]]] = {}


def _read(f: BinaryIO, path: Path) -> dict[str, Record]:
    """The file's records, reading only what was appended since this process last read it
    (the whole file when it was replaced, by a fold or otherwise)."""
    info = os.fstat(f.fileno())
    identity = (info.st_dev, info.st_ino, f.read(HEAD))
    seen, offset, records = _SEEN.get(os.fspath(path), (None, 0, {}))
    if seen != identity or info.st_size < offset:
        offset, records = 0, {}
    if info.st_size > offset:
        f.seek(offset)
        data = f.read()
        whole = data.rfind(b"\n") + 1  # a line still being written is read next time
        records.update((r["key"], r) for r in _lines(data[:whole]))
        offset += whole
    _SEEN[os.fspath(path)] = (identity, offset, records)
    return records
