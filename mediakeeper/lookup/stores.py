"""SQLite files that may be damaged: the lookup cache and the shared rate-limit bucket.

A file that is not a readable SQLite database is moved aside as
``<name>.corrupt-<UTC timestamp>`` (with its -wal/-shm/-journal siblings), a
``CacheRebuiltWarning`` says so, and a fresh one is started: never a crash. A file lock makes
sure only one process moves a given file aside.
"""

from __future__ import annotations

import contextlib
import errno
import sqlite3
import threading
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock

from mediakeeper.core.errors import ConfigError

_CORRUPT = ("SQLITE_CORRUPT", "SQLITE_NOTADB")


class CacheRebuiltWarning(UserWarning):
    """A cache or rate-limit file was unreadable; it was moved aside and started afresh."""


class CacheLocked(ConfigError):
    """Another program held a cache in a write for longer than a lookup may wait: wrong for
    every item alike, so a batch stops (a ``ConfigError``) rather than wait without end."""

    def __init__(self, path: Path, wait: float):
        super().__init__(
            f"{path}: locked by another program for over {wait:g} s",
            "close what holds it open, such as a database browser, a backup or a stuck "
            "process, and run again",
        )


_BUSY = ("SQLITE_BUSY", "SQLITE_LOCKED")
SQLITE_WAIT = 5.0  # seconds Python's sqlite3 waits for another writer unless told otherwise


def is_busy(err: sqlite3.Error) -> bool:
    """Does this error say another connection holds the file in a write?"""
    return error_name(err) in _BUSY


def locked(err: sqlite3.OperationalError, path: Path, wait: float) -> Exception:
    """``CacheLocked`` for a busy file; any other error as it was."""
    return CacheLocked(path, wait) if is_busy(err) else err


def wait_for_writes(path: Path, wait: float) -> None:
    """Return once a write to the SQLite file at ``path`` could begin, within ``wait``
    seconds; else ``CacheLocked``. Nothing is written (the write begun is rolled back); any
    other problem is left for the file's own user to meet."""
    try:
        con = sqlite3.connect(path, timeout=wait, isolation_level=None)
    except sqlite3.Error:
        return
    try:
        _begin_write(con, path, wait)
    finally:
        con.close()


class WriteWaiter:
    """``wait_for_writes`` for a file checked before each of many writes (a cache, before
    each answer it saves), on one connection kept for them all, where a new one each time
    cost a connection a check (docs/performance.md). Safe from any thread; close it."""

    def __init__(self, path: Path, wait: float):
        self.path, self.wait = path, wait
        self._con: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            if self._con is None:
                try:
                    self._con = sqlite3.connect(self.path, timeout=self.wait,
                                                isolation_level=None, check_same_thread=False)
                except sqlite3.Error:
                    return
            _begin_write(self._con, self.path, self.wait)

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None


def _begin_write(con: sqlite3.Connection, path: Path, wait: float) -> None:
    try:
        con.execute("BEGIN IMMEDIATE")  # SQLite waits up to the timeout for the other writer
        con.execute("ROLLBACK")
    except sqlite3.OperationalError as err:
        if is_busy(err):
            raise CacheLocked(path, wait) from None


class CacheUnwritable(ConfigError):
    """A lookup cache's folder this user may not write (its permissions, a read-only mount):
    wrong for every item alike, so a batch stops in one line."""

    def __init__(self, path: Path, reason: str):
        super().__init__(
            f"{path.parent}: the lookup cache {path.name} cannot be written there ({reason})",
            "make that folder writable for this user and run again",
        )


_NOT_WRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS)


@contextlib.contextmanager
def writable(path: Path) -> Iterator[None]:
    """``CacheUnwritable`` for the file at ``path`` where opening it, its folder or its lock
    file was refused; any other ``OSError`` (a full disk) as it was."""
    try:
        yield
    except OSError as err:
        if err.errno not in _NOT_WRITABLE:
            raise
        raise CacheUnwritable(path, err.strerror or str(err)) from None


def open_sqlite(path: Path, opener: Callable[[Path], Any]) -> tuple[Any, int | None]:
    """Open a SQLite-backed store, moving an unreadable file aside first (once)."""
    for attempt in (1, 2):
        ensure_readable(path)
        before = inode(path)
        try:
            return opener(path), inode(path)
        except sqlite3.DatabaseError as err:
            if error_name(err) not in _CORRUPT or attempt == 2:
                raise
            with FileLock(f"{path}.lock"):
                if inode(path) == before:
                    move_aside(path, str(err))
    raise AssertionError("unreachable")


def ensure_readable(path: Path) -> None:
    problem = probe(path)
    if problem is None:
        return
    with FileLock(f"{path}.lock"):
        problem = probe(path)  # another process may have dealt with it meanwhile
        if problem is not None:
            move_aside(path, problem)


def probe(path: Path) -> str | None:
    """What is wrong with the SQLite file at ``path``, or None (absent files are fine)."""
    if not path.exists():
        return None
    try:
        con = sqlite3.connect(path, timeout=30)
        try:
            con.execute("SELECT name, sql FROM sqlite_master").fetchall()
        finally:
            con.close()
    except sqlite3.DatabaseError as err:
        if error_name(err) in _CORRUPT:
            return str(err)
    return None


def move_aside(path: Path, problem: str) -> Path | None:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    try:
        path.replace(target)
    except FileNotFoundError:
        return None
    for suffix in ("-wal", "-shm", "-journal"):
        sibling = path.with_name(path.name + suffix)
        with contextlib.suppress(FileNotFoundError):
            sibling.replace(path.with_name(f"{path.name}{suffix}.corrupt-{stamp}"))
    warnings.warn(
        f"{path} is not a readable SQLite database ({problem}); "
        f"moved it to {target.name} and started a new one",
        CacheRebuiltWarning,
        stacklevel=2,
    )
    return target


def inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except FileNotFoundError:
        return None


def error_name(err: sqlite3.Error) -> str:
    name = getattr(err, "sqlite_errorname", "") or ""
    if not name:  # older SQLite bindings: fall back on the message
        text = str(err).lower()
        if "not a database" in text:
            return "SQLITE_NOTADB"
        if "malformed" in text:
            return "SQLITE_CORRUPT"
    return name


def is_corruption(err: sqlite3.Error) -> bool:
    """Does this error say the database file itself is damaged?"""
    return error_name(err) in _CORRUPT
