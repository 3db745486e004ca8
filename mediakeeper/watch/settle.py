"""When a folder has settled: nothing under it changed for the settle time.

The watcher hears of changes through events, each one pushing its folder's quiet time back
(``Settler.touch``). Once the events have been quiet for the settle time, the folder itself
is looked at (``look``): every file's size and times must have stood still for the settle
time too (a copy that sends no events, on a share, or one missed), no download may still be
in progress under a temporary name, and every file must open: a file that cannot be read yet
(its copier still holds it without read permission) is looked at again later, never taken
for broken or gone. A folder that never settles is given up after the longest wait, with a
note, rather than queued half-written."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from mediakeeper.fs.tree import too_deep
from mediakeeper.watch.ignore import in_progress

SETTLED, GONE = "settled", "gone"
FUTURE = 2.0  # seconds ahead of our clock past which a file's time is another clock's


@dataclass(frozen=True)
class Look:
    """What a look at a folder found: ``SETTLED``, ``GONE``, or why it is not settled yet."""

    state: str

    @property
    def ready(self) -> bool:
        return self.state in (SETTLED, GONE)


def look(folder: str, settle: float, *, wall: Callable[[], float] = time.time,
         open_files: bool = True) -> Look:  # fmt: skip
    """Whether ``folder`` has settled. ``open_files``: also open each file (the watcher's
    check before queuing; a catch-up over a whole library reads the times only)."""
    if not os.path.lexists(folder):
        return Look(GONE)
    if not os.path.isdir(folder):
        return Look(SETTLED)  # a loose file beside the item folders: no item, nothing to wait for
    now = wall()
    recent = now - settle
    try:
        for path, info in _files(folder):
            name = os.path.basename(path)
            if in_progress(name):
                return Look(f"a file is still being written under a temporary name: {name}")
            changed = max(info.st_mtime, info.st_ctime)
            # A time in the future is a share's clock ahead of ours, not a write: the events'
            # quiet alone tells then (else the folder would wait until the longest wait).
            if recent < changed <= now + FUTURE:
                return Look(f"a file changed less than the settle time ago: {name}")
            if open_files and stat.S_ISREG(info.st_mode):  # a FIFO's open would wait forever
                with open(path, "rb"):
                    pass
    except FileNotFoundError:
        return Look("a file went away while it was looked at")
    except OSError as err:
        return Look(f"cannot be read yet: {err.strerror or err}")
    return Look(SETTLED)


def _files(folder: str):
    """Every file below ``folder`` with its stat result (links to folders not followed); a
    list of folders still to read, not a call per level: no library is too deep."""
    todo = [folder]
    while todo:
        where = todo.pop()
        try:
            entries = os.scandir(where)
        except OSError as err:
            if too_deep(err, where, folder):  # never readable: no copy in it to wait for
                continue
            raise
        with entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    todo.append(entry.path)
                else:
                    yield entry.path, entry.stat(follow_symlinks=False)


@dataclass
class Waiting:
    first: float  # when its first change not yet settled was heard
    last: float  # when it last changed, or was last found not settled
    why: str = ""
    told: float = 0.0  # when its wait was last said to the person


@dataclass
class Settler:
    """The folders heard changing, until each has settled (or waited too long)."""

    settle: float
    longest: float
    clock: Callable[[], float] = time.monotonic
    waiting: dict[str, Waiting] = field(default_factory=dict)

    def touch(self, folder: str) -> bool:
        """``folder`` changed: it waits the settle time again. Whether it was not waiting
        yet (a wait that begins, to be said)."""
        now = self.clock()
        known = self.waiting.get(folder)
        if known is None:
            self.waiting[folder] = Waiting(now, now, told=now)
            return True
        known.last = now
        return False

    def still(self, every: float) -> list[tuple[str, Waiting]]:
        """The folders still waiting whose wait was last said ``every`` seconds ago or more
        (each then counted as said now): a long copy is told while it lasts, not only once
        it ends."""
        now, found = self.clock(), []
        for folder, known in sorted(self.waiting.items()):
            if now - known.told >= every:
                known.told = now
                found.append((folder, known))
        return found

    def due(self) -> list[str]:
        """The folders quiet for the settle time: to be looked at."""
        now = self.clock()
        return sorted(f for f, w in self.waiting.items() if now - w.last >= self.settle)

    def not_yet(self, folder: str, why: str) -> bool:
        """A folder looked at and found not settled: waits again; False once it has waited
        the longest time (it is then forgotten until it changes again)."""
        now = self.clock()
        known = self.waiting[folder]
        if now - known.first >= self.longest:
            del self.waiting[folder]
            return False
        known.last, known.why = now, why
        return True

    def done(self, folder: str) -> None:
        self.waiting.pop(folder, None)

    def next_due(self) -> float | None:
        """Seconds until the next folder is due; None when none waits."""
        if not self.waiting:
            return None
        now = self.clock()
        return max(0.0, min(w.last + self.settle - now for w in self.waiting.values()))
