"""One watcher per data home, and one scrub: ``status/watch.lock`` and
``status/verify/scrub.lock``, each held with ``flock`` for its process's life (the kernel lets
go of it when the process ends, however it ends) and naming its holder, so that a second is
refused with who holds the home. (Two scrubs at once verified every album twice.)"""

from __future__ import annotations

import fcntl
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from mediakeeper.core.errors import AlreadyRunning, WatcherRunning
from mediakeeper.system.processes import host

LOCK_NAME = "watch.lock"


class HomeLock:
    """The lock of one process of its kind per data home: ``name`` under ``status/``;
    ``refused`` is the error a second one is refused with, given who holds it."""

    name = ""

    def __init__(self, status_dir: Path):
        self.path = status_dir / self.name
        self._fd: int | None = None

    def refused(self, holder: str) -> AlreadyRunning:
        raise NotImplementedError

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise self.refused(self.holder_words()) from None
        holder = {"pid": os.getpid(), "host": host(),
                  "since": datetime.now(UTC).isoformat(timespec="seconds"),
                  "command": " ".join(sys.argv)}  # fmt: skip
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(holder) + "\n").encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.close(self._fd)
            self._fd = None

    def holder(self) -> dict | None:
        """Who holds the lock, as it wrote itself down; None when nobody said."""
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def holder_words(self) -> str:
        held = self.holder()
        if not held:
            return "a process that has not said who it is yet"
        return f"pid {held.get('pid')} on {held.get('host')}, since {held.get('since')}"

    def __enter__(self) -> HomeLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


class WatchLock(HomeLock):
    name = LOCK_NAME

    def refused(self, holder: str) -> AlreadyRunning:
        return WatcherRunning(f"another watcher keeps watch over this data home: {holder}",
                              "one watcher per home; stop that one first (kill -TERM its pid)")


class ScrubLock(HomeLock):
    name = "verify/scrub.lock"

    def refused(self, holder: str) -> AlreadyRunning:
        return AlreadyRunning(f"another scrub is verifying this data home: {holder}",
                              "one scrub at a time; wait for it to end, or stop it first "
                              "(kill -INT its pid: it goes on from there next time)")


def running_watcher(status_dir: Path) -> dict | None:
    """The watcher holding this home now (for ``serve``'s health); None when none does."""
    lock = WatchLock(status_dir)
    try:
        fd = os.open(lock.path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return lock.holder() or {}
    finally:
        os.close(fd)
    return None
