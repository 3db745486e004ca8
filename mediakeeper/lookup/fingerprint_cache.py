"""Chromaprint fingerprints kept by file identity, so a file is decoded for one only once.

``status/cache/chromaprints.sqlite`` in the data home maps a file's identity (device, inode,
size, mtime in nanoseconds) to its fingerprint and decoded duration. A file rewritten or
replaced has another identity and is fingerprinted afresh (another program's tag edit costs
one decode more, but a fingerprint of other audio is never served); the toolkit's own tag
writes, which leave the audio as it was, carry the fingerprint to the new identity
(``follow``). Every worker
process opens its own connection; a file that is not a readable SQLite database is moved
aside and started afresh (``stores.py``), like the HTTP caches beside it.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from filelock import FileLock

from mediakeeper.lookup.stores import is_busy, locked, open_sqlite, writable
from mediakeeper.media.chromaprint import Fingerprint

FILE_NAME = "chromaprints.sqlite"
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS chromaprints (dev INTEGER, ino INTEGER, size INTEGER, "
    "mtime_ns INTEGER, duration REAL, fingerprint TEXT, PRIMARY KEY (dev, ino, size, mtime_ns))"
)

Identity = tuple[int, int, int, int]


def identity(path: Path | str) -> Identity:
    st = os.stat(path)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _connect(path: Path, wait: float) -> sqlite3.Connection:
    # One process at a time: two workers setting WAL on a new file at once make SQLite
    # refuse one ("database is locked") rather than wait (as for the HTTP caches).
    with FileLock(f"{path}.lock"):
        con = sqlite3.connect(path, timeout=wait, isolation_level=None)
        try:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute(_SCHEMA)
        except sqlite3.OperationalError as err:
            con.close()
            raise locked(err, path, wait) from None
    return con


class FingerprintCache:
    """``get(path, compute)``: the cached fingerprint of ``path``, or ``compute(path)``'s,
    stored. ``computed`` and ``reused`` count what this process did."""

    def __init__(self, cache_dir: Path, wait: float = 60.0):
        """``wait``: seconds another program's write to the file is waited for, then
        ``CacheLocked`` (the batch stops in one line rather than fail each artist)."""
        self.path = cache_dir / FILE_NAME
        self.wait = wait
        with writable(self.path):
            cache_dir.mkdir(parents=True, exist_ok=True)
            self._con, _ = open_sqlite(self.path, lambda path: _connect(path, wait))
        self.computed = 0
        self.reused = 0
        self._seen: dict[str, Identity] = {}  # path -> its identity when last read here

    def get(self, path: Path | str, compute: Callable[[Path | str], Fingerprint]) -> Fingerprint:
        key = self._seen[os.fspath(path)] = identity(path)
        row = self._con.execute(
            "SELECT duration, fingerprint FROM chromaprints "
            "WHERE dev = ? AND ino = ? AND size = ? AND mtime_ns = ?",
            key,
        ).fetchone()
        if row is not None:
            self.reused += 1
            return Fingerprint(float(row[0]), row[1])
        found = compute(path)
        self.computed += 1
        if identity(path) == key:  # not one that changed while it was decoded
            self._write(
                "INSERT OR REPLACE INTO chromaprints VALUES (?, ?, ?, ?, ?, ?)",
                (*key, found.duration, found.fingerprint),
            )
        return found

    def _write(self, sql: str, values: tuple) -> None:
        try:
            self._con.execute(sql, values)
        except sqlite3.OperationalError as err:
            raise locked(err, self.path, self.wait) from None

    def follow(self, path: Path | str) -> bool:
        """The file was just rewritten by the toolkit's own tag write, its audio untouched:
        its fingerprint goes with it to its new identity (no decode on the next run)."""
        old = self._seen.get(os.fspath(path))
        try:
            new = identity(path)
        except OSError:
            return False
        if old is None or new == old:
            return False
        try:
            self._con.execute(
                "INSERT OR IGNORE INTO chromaprints SELECT ?, ?, ?, ?, duration, fingerprint "
                "FROM chromaprints WHERE dev = ? AND ino = ? AND size = ? AND mtime_ns = ?",
                (*new, *old),
            )
        except sqlite3.OperationalError as err:
            # Held by another program, after the artist's tags were written: not worth
            # stopping the batch for (its files are changed already); one decode more later.
            if not is_busy(err):
                raise
            return False
        self._seen[os.fspath(path)] = new
        return True

    def close(self) -> None:
        self._con.close()
