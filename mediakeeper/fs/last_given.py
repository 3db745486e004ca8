"""The last session id given in a data home, of each family (a kind's batches, the decisions,
the undos): ``status/session_ids.json``, so that no id is ever given twice.

An id names a session's records, its change journal, its set-aside moves and its decisions
for good: given again, the new session's changes would join the old one's journal, and its
undo take both back. What a family's next id was once read from (a session's log) may be
deleted (``sessions clean``) while the rest of it stays, so the last id given is kept apart,
and only here. It is read and written under the file's lock (two processes starting at once
wait for each other: a few microseconds and a flush), and replaced whole (old or new at every
instant, a full disk leaving the old), flushed, before the id is used. A file lost or damaged
(deleted, a hand's edit) is as none: each family's ``choose`` then looks at what it can find
of its earlier ids, so a fault costs a slower start, never an id given twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mediakeeper.fs.atomic import atomic_write_bytes, encode_text, naming

FILE = "session_ids.json"
STAMP = "%Y%m%dT%H%M%S%f"  # an id of the moment's: to the microsecond


def give(status_dir: Path, family: str, choose: Callable[[str | None], str]) -> str:
    """A new id of ``family`` in the data home whose ``status/`` is ``status_dir``:
    ``choose(last)``, told the last id of the family this file recorded (None when it records
    none: never given here, or the file lost), under the file's lock; recorded, and flushed,
    before it is returned."""
    path = status_dir / FILE
    status_dir.mkdir(parents=True, exist_ok=True)
    with naming(path):
        fd = _locked(path)
        try:
            given = _read(fd)
            given[family] = new = choose(given.get(family))
            data = encode_text(json.dumps(given, ensure_ascii=False, sort_keys=True)) + b"\n"
            # Replaced whole: a kill or a full disk leaves the ids as they were, never torn.
            atomic_write_bytes(path, data)
        finally:
            os.close(fd)  # the lock let go
    return new


def _locked(path: Path) -> int:
    """The file open, locked: its lock is held on the file now at ``path`` (one that was
    replaced while this process waited is let go, and the new one locked)."""
    while True:
        fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # let go as it is closed, or its process dies
            held, there = os.fstat(fd), os.stat(path)
            if (held.st_dev, held.st_ino) == (there.st_dev, there.st_ino):
                return fd
        except FileNotFoundError:
            pass  # deleted while it waited: made again
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


def stamped(status_dir: Path, family: str, *, prefix: str = "", suffix: str = "") -> str:
    """An id of this moment, ``<prefix>YYYYmmddTHHMMSSffffff<suffix>``, given through
    ``give``: a microsecond after the family's last one where the clock gives no later moment
    (two processes within one microsecond, a clock set back)."""

    def choose(last: str | None) -> str:
        moment = datetime.now(UTC)
        if last is not None and last.startswith(prefix) and last.endswith(suffix):
            with contextlib.suppress(ValueError):
                then = datetime.strptime(last[len(prefix) : len(last) - len(suffix)], STAMP)
                moment = max(moment, then.replace(tzinfo=UTC) + timedelta(microseconds=1))
        return f"{prefix}{moment.strftime(STAMP)}{suffix}"

    return give(status_dir, family, choose)


def _read(fd: int) -> dict[str, str]:
    """The ids the file records, by family; none when it is empty, cut short or damaged."""
    with os.fdopen(os.dup(fd), "rb") as f:
        text = f.read()
    try:
        given = json.loads(text)
    except (ValueError, RecursionError):
        return {}
    if not isinstance(given, dict):
        return {}
    return {k: v for k, v in given.items() if isinstance(v, str)}
