"""What a running watcher shows the other faces (``serve``'s health, a script): whether one
runs, what it watches, the libraries it scans for inotify cannot follow them (``scanned``:
library -> why), and the last lines it said (what it queued, a library gone).
``status/watch.json``, replaced whole at most once a second while lines come; whether the
watcher still runs is the lock's to say (``lock.running_watcher``), never this file's."""

from __future__ import annotations

import json
import os
import time
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mediakeeper.fs.atomic import atomic_write_text
from mediakeeper.system.processes import host
from mediakeeper.watch.lock import running_watcher

STATE_NAME = "watch.json"
KEPT = 50  # the last lines kept
EVERY = 1.0  # seconds: the most often the file is replaced


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class WatchState:
    def __init__(self, status_dir: Path, libraries: list[dict[str, str]], polling: bool):
        self.path = status_dir / STATE_NAME
        self.data: dict[str, Any] = {
            "pid": os.getpid(), "host": host(), "since": _now(),
            "libraries": libraries, "polling": polling, "scanned": {}, "stopped": None,
        }  # fmt: skip
        self.lines: deque[dict[str, str]] = deque(maxlen=KEPT)
        self.dirty, self.written = True, 0.0

    def said(self, line: str) -> None:
        self.lines.append({"at": _now(), "line": line})
        self.dirty = True
        self.write()

    def write(self, *, now: bool = False, scanned: dict[str, str] | None = None) -> None:
        """Replace the file if lines came since, and a second has passed (``now``: at once).
        ``scanned``: the libraries scanned for inotify could not follow them, and why."""
        if scanned is not None and scanned != self.data.get("scanned"):
            self.data["scanned"], self.dirty = dict(scanned), True
        if not self.dirty or (not now and time.monotonic() - self.written < EVERY):
            return
        document = {**self.data, "recent": list(self.lines)}
        atomic_write_text(self.path, json.dumps(document, indent=1) + "\n", durable=False)
        self.dirty, self.written = False, time.monotonic()

    def stopped(self) -> None:
        self.data["stopped"] = _now()
        self.dirty = True
        self.write(now=True)


def watch_status(status_dir: Path) -> dict[str, Any]:
    """For ``serve``: {"running": bool, "holder": who holds the lock, and the last state
    written (its libraries, polling, recent lines), or {} when no watcher ever ran}."""
    holder = running_watcher(status_dir)
    try:
        last = json.loads((status_dir / STATE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        last = {}
    return {"running": holder is not None, "holder": holder, **last}
