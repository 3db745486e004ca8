"""The watcher: catch up, then follow the libraries' events until asked to stop.

On start every library is compared with its queue by the refresh rule (what changed while no
watcher ran is queued at once), leaving out the folders still being written, which wait to
settle like any other. Then inotify events (``watchfiles``: no polling loop; its polling
fallback where inotify cannot be used) mark folders as changing; each one that settled has
the refresh rule applied to it (``library.refresh_settled``). Events are merged per folder,
and the whole library is compared again every ``RESCAN`` seconds, so that events lost to an
overflow of the kernel's queue (which ``watchfiles`` does not report) never become a missed
change. A library folder that goes away is said, the others are still watched, and it is
watched again once it is back."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from mediakeeper.core.config import Settings
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.watch.ignore import Ignore, marked
from mediakeeper.watch.library import (
    Watched,
    change_lines,
    holds_items,
    recognise_moves,
    refresh_settled,
)
from mediakeeper.watch.settle import Settler, look

RESCAN = 3600.0  # seconds between whole comparisons (events an overflow lost)
WAKE_MS = 1000  # the longest the watcher sleeps between looks at its clock, in ms
STEP_MS = 200  # how often the event thread looks for a stop, in ms
DEBOUNCE_MS = 1600  # the longest a burst of events is gathered before it is handed over
GONE_LOOK = 5.0  # seconds between looks for a library folder that went away


@dataclass
class Watcher:
    settings: Settings
    watched: list[Watched]
    settle: float
    longest: float
    say: Callable[[str], None]
    stop: threading.Event = field(default_factory=threading.Event)
    ignore: Ignore = field(default_factory=Ignore)
    # ``run(kind, how_many)``: a batch for what was queued (``watch --run``); None: queue only
    run: Callable[[str, int], None] | None = None
    polling: bool = False
    tick: Callable[[], None] = lambda: None  # after each wake (the state file's write)
    settler: Settler = field(init=False)
    present: set[str] = field(init=False, default_factory=set)
    mounts: dict[str, tuple[int, int]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.settler = Settler(self.settle, self.longest)
        self.present = {w.library for w in self.watched if os.path.isdir(w.library)}
        self.mounts = {root: _identity(root) for root in self.present}
        for w in self.watched:
            if w.library not in self.present:
                self.say(f"{w.kind}: the library folder {w.library} is not there: "
                         "watching the others; it is watched again once it is back")  # fmt: skip

    # ---- the loop -----------------------------------------------------------------------

    def keep_watch(self) -> None:
        how = " (scanning for changes: [watch] polling)" if self.polling else ""
        for w in self.watched:
            self.say(f"{w.kind}: watching {w.library}{how}")
        caught_up = False
        while not self.stop.is_set():
            if not self.present:
                self.stop.wait(GONE_LOOK)
                self._look_at_roots()
                continue
            try:
                notify = _notifier(sorted(self.present), self.polling, self.settle)
            except (OSError, RuntimeError) as err:  # the watch limit; a share without events
                self._fall_back(err)
                continue
            # The watch is in place before the catch-up reads the libraries: a change made
            # meanwhile is heard, never lost between the two.
            with notify:
                if not caught_up:
                    self.catch_up()
                    caught_up = True
                try:
                    self._follow(notify)
                except RuntimeError as err:  # watchfiles' own: a folder it could not watch
                    self._fall_back(err)

    def _fall_back(self, err: Exception) -> None:
        if self.polling:
            raise err
        self.say(f"cannot watch with inotify ({err}): falling back to scanning the "
                 "libraries for changes")  # fmt: skip
        self.polling = True

    def _follow(self, notify) -> None:
        """Follow the libraries until a stop, a library folder gone or back (the watch is
        then remade), or a rescan is due (after which it goes on)."""
        rescan_at = time.monotonic() + RESCAN
        while not self.stop.is_set():
            due = self.settler.next_due()
            wake = WAKE_MS if due is None else min(WAKE_MS, max(STEP_MS, int(due * 1000)))
            changes = notify.watch(DEBOUNCE_MS, STEP_MS, wake, self.stop)
            if isinstance(changes, set):
                for _change, path in changes:
                    self.heard(path)
            self.take_settled()
            self.tick()
            if self._look_at_roots():
                return
            if time.monotonic() >= rescan_at:
                self.catch_up()
                rescan_at = time.monotonic() + RESCAN

    def _look_at_roots(self) -> bool:
        """Say each library folder gone or back; whether any was (the watch is remade)."""
        now = {w.library for w in self.watched if os.path.isdir(w.library)}
        mounts = {root: _identity(root) for root in now}
        if now == self.present and mounts == self.mounts:
            return False
        remounted = {r for r in now & self.present if mounts[r] != self.mounts.get(r)}
        self.mounts = mounts
        for root in sorted(remounted):  # the same path, another file system: watched anew
            self.say(f"the library folder {root} is another folder now (mounted again?): "
                     "watching it anew")  # fmt: skip
        for w in self.watched:
            if w.library in self.present and w.library not in now:
                self.say(f"{w.kind}: the library folder {w.library} went away: nothing in it "
                         "is marked missing; still watching the others")  # fmt: skip
            elif w.library in now and w.library not in self.present:
                self.say(f"{w.kind}: the library folder {w.library} is back: watching it")
        back = (now - self.present) | remounted
        self.present = now
        if back:
            self.catch_up(only=back)
        return True

    # ---- what events and looks do -------------------------------------------------------

    def heard(self, path: str) -> None:
        """A change under ``path``: its top-level folder waits to settle again."""
        for w in self.watched:
            top = w.top_of(path)
            if top is not None and not self.ignore.noise(top):
                self.settler.touch(os.path.join(w.library, top))

    def take_settled(self) -> None:
        """Look at each folder quiet for the settle time; apply the refresh rule to those
        settled."""
        settled: list[str] = []
        for folder in self.settler.due():
            found = look(folder, self.settle)
            if found.ready:
                self.settler.done(folder)
                settled.append(folder)
            elif not self.settler.not_yet(folder, found.state):
                self.say(f"{folder} has not settled in {self.longest:g} seconds "
                         f"({found.state}): not queued; looked at on its next change")  # fmt: skip
        if not settled:
            return
        for w in self.watched:
            tops = {os.path.basename(f) for f in settled
                    if os.path.dirname(f) == w.library and not marked(f)}  # fmt: skip
            if tops and w.library in self.present:
                self._refresh(w, tops, retry=[os.path.join(w.library, t) for t in tops])

    def catch_up(self, only: set[str] | None = None) -> None:
        """Compare each library (of ``only``) with its queue; folders still being written
        wait to settle."""
        for w in self.watched:
            if w.library not in self.present or (only is not None and w.library not in only):
                continue
            skip, settling = set(), 0
            for entry in _top_folders(w.library):
                if self.ignore.noise(entry.name) or marked(entry.path):
                    skip.add(entry.name)
                elif not look(entry.path, self.settle, open_files=False).ready:
                    skip.add(entry.name)
                    self.settler.touch(entry.path)
                    settling += 1
            queued = self._refresh(w, None, skip=skip)
            self.say(f"{w.kind}: caught up with {w.library} ({queued} queued, "
                     f"{settling} folders still being written)")  # fmt: skip

    def _refresh(self, w: Watched, tops: set[str] | None, *, skip: set[str] = frozenset(),
                 retry: list[str] = ()) -> int:  # fmt: skip
        """Apply the refresh rule; how many items it queued (new or changed)."""
        if not _top_folders(w.library) and holds_items(self.settings, w):
            # Every folder gone at once is a mount gone (its empty mount point left), far
            # more often than a library emptied: nothing is marked missing for it.
            self.say(f"{w.kind}: the library folder {w.library} is empty (a mount gone?): "
                     "nothing marked missing; `queue --refresh` marks them if they were "
                     "deleted")  # fmt: skip
            return 0
        try:
            result = refresh_settled(self.settings, w, tops, skip)
        except (MediakeeperError, OSError) as err:  # a queue locked by a batch, a full disk
            self.say(f"{w.kind}: not refreshed now ({err}); tried again shortly")
            for folder in retry:
                self.settler.touch(folder)
            return 0
        moves = recognise_moves(self.settings, w, result)
        for line in change_lines(w.kind, result, moves):
            self.say(line)
        queued = len(result.added) + len(result.changed)
        if queued and self.run is not None and not self.stop.is_set():
            self.run(w.kind, queued)
        return queued


def _notifier(roots: list[str], polling: bool, settle: float):
    """The event source over ``roots``, started now: inotify, or a scan where it cannot
    (every half settle time, between a second and half a minute: a scan reads every folder)."""
    # Imported here: a batch, which imports this package's neighbours, never needs it.
    from watchfiles._rust_notify import RustNotify

    every_ms = int(1000 * min(30.0, max(1.0, settle / 2)))
    return RustNotify(roots, False, polling, every_ms, True, True)


def _identity(folder: str) -> tuple[int, int]:
    """Which folder a path is now: a file system mounted again on it is another one."""
    try:
        info = os.stat(folder)
    except OSError:
        return (0, 0)
    return info.st_dev, info.st_ino


def _top_folders(library: str) -> list[os.DirEntry]:
    try:
        with os.scandir(library) as entries:
            return [e for e in entries if e.is_dir(follow_symlinks=False)]
    except OSError:
        return []
