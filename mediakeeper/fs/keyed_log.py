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
appended is not yet whole. What a reader holds is an index, where each key's last line
is, never the records (the file grows with the library: a whole list of every item's files
held would be the size of the library): a record is read from its line when asked for,
every record one at a time in the order of the keys. A process keeps its index and reads
only what was appended since, so a reader asking for one item after another (a group of
decisions, each taken and recorded in turn) reads the file once.
"""

from __future__ import annotations

import fcntl
import itertools
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from mediakeeper.fs.atomic import append_to, atomic_write_bytes, encode_text
from mediakeeper.text.jsonfmt import dumps_one

FOLDED = "folded"  # in a fold's first line (no "key"): the file's size as the fold left it
FOLD_FROM = 1 << 20  # bytes: a smaller file is read whole in milliseconds, never folded

Record = dict[str, Any]


class KeyedLog:
    """The records appended to ``path``, the last for each key."""

    def __init__(self, path: Path):
        self.path = path
        # Where this log's every record was last read from: a fold after that reading (the
        # file grown past its folded size) reads only what was appended since, not it all.
        self._read: _Kept = {}

    def append(self, key: str, fields: Mapping[str, Any]) -> None:
        """``fields`` as ``key``'s record (the file and its folder made if missing)."""
        data = encode_text(dumps_one({"key": key, **fields}) + "\n")
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
        """``key``'s last record; None when it has none (or the file cannot be read)."""
        try:
            with open(self.path, "rb") as f:
                where = _index(f, self.path, _SEEN).get(key)
                return None if where is None else _record_at(f, where)
        except OSError:
            return None

    def keys(self) -> set[str]:
        """The keys that have a record."""
        try:
            with open(self.path, "rb") as f:
                return set(_index(f, self.path))
        except OSError:
            return set()

    def sorted_records(self) -> Iterator[tuple[str, Record]]:
        """Each key and its last record, in the order of the keys, read one at a time."""
        try:
            f = open(self.path, "rb")  # noqa: SIM115 (closed by the with below)
        except OSError:
            return
        with f:
            index = _index(f, self.path, self._read)
            for key in sorted(index):
                record = _record_at(f, index[key])
                if record is not None:
                    yield key, record

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
        """Keep each key's last record only (in the order of the keys' first appends), its
        line copied as it is."""
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
                    index = _index(f, self.path, self._read)
                    # A fold's own mark: a reader that kept an earlier file's index knows this
                    # one for another even should it get that file's inode number.
                    size = sum(where & _LENGTH for where in index.values())
                    mark = {FOLDED: size, "fold": os.urandom(8).hex()}
                    lines = (_line_at(f, where) for where in index.values())
                    header = encode_text(dumps_one(mark) + "\n")
                    atomic_write_bytes(self.path, itertools.chain([header], lines), durable=False)
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


def _folded_size(f: BinaryIO) -> int:
    try:
        return int(json.loads(f.readline())[FOLDED])
    except (ValueError, KeyError, TypeError):
        return 0


# Where a line is, in one int (a dict of ints is the smallest index): its offset, its length.
_SHIFT = 32
_LENGTH = (1 << _SHIFT) - 1


def _line_at(f: BinaryIO, where: int) -> bytes:
    f.seek(where >> _SHIFT)
    return f.read(where & _LENGTH)


def _record_at(f: BinaryIO, where: int) -> Record | None:
    try:
        return json.loads(_line_at(f, where))
    except ValueError:  # the file changed under the index (replaced by hand)
        return None


HEAD = 64  # bytes: a file's first bytes, which tell it from any other (a fold's mark)

# path -> (device, inode and first bytes; bytes read to the end of the last whole line; index)
_Kept = dict[str, tuple[tuple[int, int, bytes], int, dict[str, int]]]
_SEEN: _Kept = {}  # what this process read of each log, for the next record asked for


def _index(f: BinaryIO, path: Path, kept: _Kept | None = None) -> dict[str, int]:
    """Where each key's last whole line is in the file, from the index ``kept`` holds of it
    and what was appended since (the whole file when it was replaced, by a fold or
    otherwise), then kept there; read whole without ``kept``. Each line is read once, and a
    line cut short or not JSON (a kill, a full disk) is passed over."""
    info = os.fstat(f.fileno())
    f.seek(0)
    identity = (info.st_dev, info.st_ino, f.read(HEAD))
    seen, offset, index = (kept or {}).get(os.fspath(path), (None, 0, {}))
    if seen != identity or info.st_size < offset:
        offset, index = 0, {}
    f.seek(offset)
    for line in f:
        if not line.endswith(b"\n"):
            break  # still being written: read next time
        try:
            key = json.loads(line).get("key")
        except (ValueError, AttributeError):  # cut short (a character too), or not an object
            key = None
        if isinstance(key, str):
            index[key] = offset << _SHIFT | len(line)
        offset += len(line)
    if kept is not None:
        kept[os.fspath(path)] = (identity, offset, index)
    return index
