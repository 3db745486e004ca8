"""The watcher: catch up, then follow the libraries' events until asked to stop.

On start every library is compared with its queue by the refresh rule (what changed while no
watcher ran is queued at once), leaving out the folders still being written, which wait to
settle like any other. Then events (``sources``: inotify, no polling loop; a scan of a library
inotify cannot follow, said) mark folders as changing; each one that settled has the refresh
rule applied to it (``library.refresh_settled``). Events are merged per folder, and the whole
library is compared again every ``RESCAN`` seconds, so that events lost to an overflow of the
kernel's queue (which ``watchfiles`` does not report) never become a missed change. A library
folder that goes away is said, the others are still watched, and it is watched again once it
is back."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from mediakeeper.core.config import Settings
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.text.wording import count
from mediakeeper.watch.ignore import Ignore, marked
from mediakeeper.watch.library import (
    Watched,
    change_lines,
    holds_items,
    own_writes,
    pending,
    refresh_settled,
    store_of,
    taken,
)
from mediakeeper.watch.mounts import Mounts, network_file_system
from mediakeeper.watch.moves import moved_tops, recognise_moves, remember
from mediakeeper.watch.settle import Settler, look
from mediakeeper.watch.sources import (
    DELETED,
    Pace,
    Source,
    WatchFailed,
    open_source,
    pause,
    why_unwatched,
)

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
    # ``run(kind, keys)``: a batch of these items (``watch --run``), its exit code; None:
    # queue only
    run: Callable[[str, list[str]], int] | None = None
    polling: bool = False
    tick: Callable[[], None] = lambda: None  # after each wake (the state file's write)
    settler: Settler = field(init=False)
    present: set[str] = field(init=False, default_factory=set)
    mounts: dict[str, tuple[int, int]] = field(init=False, default_factory=dict)
    scanned: dict[str, str] = field(init=False, default_factory=dict)  # inotify failed: why
    inner: Mounts = field(init=False)  # the mounts inside the libraries
    # What this watch did, for the line it ends with: items queued new and again, marked
    # missing, moved; batches run and the items handed to them.
    tally: Counter = field(init=False, default_factory=Counter)
    started: float = field(init=False, default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.settler = Settler(self.settle, self.longest)
        self.present = {w.library for w in self.watched if os.path.isdir(w.library)}
        self.mounts = {root: _identity(root) for root in self.present}
        self.inner = Mounts(w.library for w in self.watched)
        for w in self.watched:
            if w.library not in self.present:
                self.say(f"{w.kind}: the library folder {w.library} is not there: "
                         "watching the others; it is watched again once it is back")  # fmt: skip

    # ---- the loop -----------------------------------------------------------------------

    def keep_watch(self) -> None:
        how = " (scanning for changes: [watch] polling)" if self.polling else ""
        for w in self.watched:
            self.say(f"{w.kind}: watching {w.library}{how}")
        while not self.stop.is_set():
            if not self.present:
                pause(self.stop, GONE_LOOK)
                self._look_at_roots()
                continue
            # The watches are in place before the catch-up reads the libraries: a change
            # made meanwhile is heard, never lost between the two. So at the start, and again
            # each time the watches are remade (a library gone or back, a mount, a library
            # inotify stopped following): what changed while none was in place is queued.
            sources = self._open_sources()
            try:
                self.catch_up()
                self._follow(sources)
            finally:
                for source in sources:
                    source.close()

    def _open_sources(self) -> list[Source]:
        """A source of events per library there: inotify, or a scan for the libraries
        inotify cannot follow (each said, the others keep inotify)."""
        sources = []
        for root in sorted(self.present):
            remote = None if self.polling or root in self.scanned else network_file_system(root)
            if remote:
                self._fall_back(root, f"it is on a network file system ({remote}): changes "
                                "made from another machine send no events")  # fmt: skip
            scan = self.polling or root in self.scanned
            try:
                sources.append(open_source(root, scan, self.scan_every, self._pace))
                continue
            except WatchFailed as err:
                if scan:  # not even a scan: the folder went away meanwhile
                    continue
                self._fall_back(root, str(err))
            try:
                sources.append(open_source(root, True, self.scan_every, self._pace))
            except WatchFailed:
                continue  # gone meanwhile: the look at the roots says so
        return sources

    def _fall_back(self, root: str, why: str) -> None:
        self.scanned[root] = why
        self.tick()  # told to the other faces at once
        for w in self.watched:
            if w.library == root:
                self.say(f"{w.kind}: cannot watch {root} with inotify ({why}): scanning it "
                         f"for changes every {self.scan_every:g} seconds instead")  # fmt: skip

    @property
    def _pace(self) -> Pace:
        """How each source is asked: the libraries share the longest sleep between two
        looks at the clock (each source gathers its events while another is asked)."""
        timeout = max(STEP_MS, WAKE_MS // max(1, len(self.present)))
        return Pace(DEBOUNCE_MS, STEP_MS, timeout, self.stop)

    @property
    def scan_every(self) -> float:
        """Seconds between scans of a library without events: half the settle time, between
        a second and half a minute (a scan reads every folder)."""
        return min(30.0, max(1.0, self.settle / 2))

    def _follow(self, sources: list[Source]) -> None:
        """Follow the libraries until a stop, a library folder gone or back, a library
        inotify stopped following (the sources are then remade), or a rescan is due
        (after which it goes on)."""
        rescan_at = time.monotonic() + RESCAN
        while not self.stop.is_set():
            if not sources:  # none could be made: the look at the roots tells why
                due = self.settler.next_due()
                pause(self.stop, WAKE_MS / 1000 if due is None else min(WAKE_MS / 1000, due))
            for source in sources:  # each source gathers its events while another is asked
                try:
                    changes = source.watch()
                except RuntimeError as err:  # watchfiles' own: a watch it lost
                    self._fall_back(source.root, str(err))
                    return
                if isinstance(changes, set):
                    self.heard([path for _change, path in changes])
                    if (DELETED, source.root) in changes:
                        self._root_removed(source.root)
                        return
            if self.take_settled(sources):
                return
            self._say_still_waiting()
            self.tick()
            if self._look_at_roots():
                return
            if time.monotonic() >= rescan_at:
                self.catch_up()
                rescan_at = time.monotonic() + RESCAN

    def _root_removed(self, root: str) -> None:
        """The library folder ``root`` itself was removed or renamed: its watch died with it,
        and is remade. One made again in its place may have the very identity the old one
        had (ext4 gives a freed inode back at once), which ``_look_at_roots`` cannot tell
        from the old: said here."""
        if self._look_at_roots() or root not in self.present:
            return  # said there: gone, or another folder
        for w in self.watched:
            if w.library == root:
                self.say(f"{w.kind}: the library folder {root} was made again: watching it "
                         "anew")  # fmt: skip

    def _look_at_mounts(self) -> bool:
        """Say each mount inside a library gone or come; whether any was (the watches are
        remade: those on a mount gone died with it, a mount come hides the folder they
        were on)."""
        gone, come = self.inner.changed()
        for point in sorted(gone):
            self.say(f"{point} was unmounted: nothing in it is marked missing until it is "
                     "mounted again")  # fmt: skip
        for point in sorted(come):
            self.say(f"{point} is mounted: watching it")
        return bool(gone or come)  # the watches remade, then every library caught up

    def _look_at_roots(self) -> bool:
        """Say each library folder gone or back; whether any was (the watch is remade)."""
        if self._look_at_mounts():
            return True
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
        for root in back:  # a library back, or mounted again: inotify is tried anew
            self.scanned.pop(root, None)
        return True  # the watches remade, then every library caught up

    # ---- what events and looks do -------------------------------------------------------

    def heard(self, paths: list[str]) -> None:
        """Changes under ``paths`` (one burst of events): each top-level folder they lie in
        waits to settle again, but for one not waiting yet whose files are as the toolkit
        left them (``own_writes``: a batch's own fixes), which is no change from outside."""
        tops: dict[tuple[str, str], Watched] = {}
        for path in paths:
            for w in self.watched:
                top = w.top_of(path)
                if top is not None and not self.ignore.noise(top):
                    tops[w.library, top] = w
        for (library, top), w in tops.items():
            waiting = os.path.join(library, top) in self.settler.waiting
            if waiting or not own_writes(self.settings, w, top):
                self._wait(w, top)

    def _wait(self, w: Watched, top: str) -> None:
        """The top-level folder ``top`` waits to settle (again); a wait that begins is said."""
        folder = os.path.join(w.library, top)
        if self.settler.touch(folder) and os.path.isdir(folder):
            self.say(f"{w.kind}: {top} is changing: queued once nothing in it has changed "
                     f"for {_span(self.settle)}")  # fmt: skip

    @property
    def remind_every(self) -> float:
        """Seconds between the lines telling that a folder still has not settled: twice the
        settle time, between 10 s and a minute."""
        return min(60.0, max(10.0, 2 * self.settle))

    def _say_still_waiting(self) -> None:
        now = self.settler.clock()
        for folder, known in self.settler.still(self.remind_every):
            quiet = now - known.last
            why = known.why or ("still changing" if quiet < 1 else
                                f"nothing changed for {_span(quiet)}")  # fmt: skip
            self.say(f"{self._named(folder)}: still waiting for it to settle for "
                     f"{_span(now - known.first)} ({why})")  # fmt: skip

    def _named(self, folder: str) -> str:
        """``kind: top`` for a top-level folder of a library."""
        for w in self.watched:
            if os.path.dirname(folder) == w.library:
                return f"{w.kind}: {os.path.basename(folder)}"
        return folder

    def summary(self) -> str:
        """What this watch did, in one line: said when it stops."""
        done, t = [], self.tally
        queued = [f"{t[k]} {k}" for k in ("new", "changed") if t[k]]
        if queued:
            done.append(f"queued {', '.join(queued)}")
        if t["missing"]:
            done.append(f"marked {t['missing']} missing")
        if t["moved"]:
            done.append(f"followed {count(t['moved'], 'move')}")
        if t["batches"]:
            done.append(f"ran {count(t['batches'], 'batch')} of "
                        f"{count(t['handed'], 'item')}")  # fmt: skip
        said = f"watched for {_span(time.monotonic() - self.started)}: "
        said += "; ".join(done) if done else "nothing changed"
        waiting = [os.path.basename(f) for f in sorted(self.settler.waiting)
                   if os.path.isdir(f)]  # fmt: skip
        if waiting:
            said += f"; still settling, not queued: {', '.join(waiting)}"
        return said

    def take_settled(self, sources: list[Source] = ()) -> bool:
        """Look at each folder quiet for the settle time; apply the refresh rule to those
        settled. Whether a library's inotify was found not to follow a folder that settled
        (it is then scanned instead: the sources are to be remade)."""
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
            return False
        for w in self.watched:
            tops = {os.path.basename(f) for f in settled
                    if os.path.dirname(f) == w.library and not marked(f)}  # fmt: skip
            tops -= self.inner.held_back(w.library)
            if tops and w.library in self.present:
                self._refresh(w, tops, retry=[os.path.join(w.library, t) for t in tops])
        return self._check_watched(sources, settled)

    def _check_watched(self, sources: list[Source], settled: list[str]) -> bool:
        """Whether inotify watches every folder of those that settled; a library where it
        does not (the watch limit reached since, a folder it may not read) is scanned from
        now on. Its folders that settled were looked at all the same: nothing is missed."""
        lost = False
        for source in sources:
            if source.root in self.scanned:
                continue
            under = [f for f in settled if os.path.dirname(f) == source.root]
            missing = next((m for f in under for m in source.unwatched(f)), None)
            if missing is not None:
                self._fall_back(source.root, why_unwatched(missing))
                lost = True
        return lost

    def catch_up(self, only: set[str] | None = None) -> None:
        """Compare each library (of ``only``) with its queue; folders still being written
        wait to settle."""
        for w in self.watched:
            if w.library not in self.present or (only is not None and w.library not in only):
                continue
            skip, settling = self.inner.held_back(w.library), 0
            entries = _top_folders(w.library)
            for entry in entries:
                if self.stop.is_set():  # a catch-up of a large library is cancelled at once
                    return
                if self.ignore.noise(entry.name) or marked(entry.path):
                    skip.add(entry.name)
                elif not look(entry.path, self.settle, open_files=False).ready:
                    skip.add(entry.name)
                    self._wait(w, entry.name)
                    settling += 1
            # Only the folders looked at are read: one made since is left to its events,
            # never read (nor run) half-copied.
            listed = {entry.name for entry in entries} - skip
            queued = self._refresh(w, None, skip=skip, listed=listed)
            self.say(f"{w.kind}: caught up with {w.library} ({queued} queued, "
                     f"{count(settling, 'folder')} still being written)")  # fmt: skip

    def _refresh(self, w: Watched, tops: set[str] | None, *, skip: set[str] = frozenset(),
                 retry: list[str] = (), listed: set[str] | None = None) -> int:  # fmt: skip
        """Apply the refresh rule; how many items it queued (new or changed). ``listed``:
        the top-level folders a catch-up found settled (the only ones it reads)."""
        if not _top_folders(w.library) and holds_items(self.settings, w):
            # Every folder gone at once is a mount gone (its empty mount point left), far
            # more often than a library emptied: nothing is marked missing for it.
            self.say(f"{w.kind}: the library folder {w.library} is empty (a mount gone?): "
                     "nothing marked missing; `queue --refresh` marks them if they were "
                     "deleted")  # fmt: skip
            return 0
        try:
            result = refresh_settled(self.settings, w, tops, skip, listed)
        except (MediakeeperError, OSError) as err:  # a queue locked by a batch, a full disk
            self.say(f"{w.kind}: not refreshed now ({err}); tried again shortly")
            for folder in retry:
                self.settler.touch(folder)
            return 0
        store, moves, results = store_of(self.settings, w.kind), [], [result]
        try:
            moves = recognise_moves(store, w.library, result)
            if moves:  # the refresh rule once more, for what changed with the move
                results.append(refresh_settled(self.settings, w, moved_tops(moves)))
        except (MediakeeperError, OSError) as err:
            self.say(f"{w.kind}: moved folders not told apart now ({err})")
        try:
            # Every item's, those still being written too: a move may come before they settle.
            remember(store, w.library, taken(w, tops))
        except (MediakeeperError, OSError) as err:
            self.say(f"{w.kind}: which files each item holds not recorded now ({err})")
        for line in change_lines(w.kind, result, moves):
            self.say(line)
        for line in (line for again in results[1:] for line in change_lines(w.kind, again)):
            self.say(line)
        for r in results:
            self.tally.update(new=len(r.added), changed=len(r.changed), missing=len(r.vanished))
        self.tally["moved"] += len(moves)
        if self.run is not None:
            self._run_pending(w, results, taken(w, tops, skip))
        return sum(len(r.added) + len(r.changed) for r in results)

    def _run_pending(self, w: Watched, results: list, only) -> None:
        """``--run``: a batch, by key, of what this refresh queued (new or changed), then
        one of the other items pending among those it looked at (at the start: every
        pending item of the library, what waited while no watcher ran). Each is looked at
        as its batch is handed over, not before the batch ahead of it ran (which may take
        hours): one written to meanwhile runs once its folder settles."""
        queued = {name for r in results for name in (*r.added, *(n for n, _ in r.changed))}
        for first in (True, False):
            if self.stop.is_set():
                return
            keys = [i["key"] for i in pending(self.settings, w, only)
                    if (i["name"] in queued) == first and self._settled(w, i["key"])]  # fmt: skip
            if keys:
                self.run(w.kind, keys)
                self.tally.update(batches=1, handed=len(keys))

    def _settled(self, w: Watched, key: str) -> bool:
        """Whether the item ``key``'s folder has settled; one written to since it was
        queued waits to settle (it is run then)."""
        if look(os.path.join(w.library, *key.split("/")), self.settle, open_files=False).ready:
            return True
        self._wait(w, key.split("/", 1)[0])
        return False


def _span(seconds: float) -> str:
    """A time span as a person reads it: ``30 s``, ``1.5 s``, ``4 min``, ``2 h 5 min``."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return (f"{seconds:.1f}".removesuffix(".0") if seconds < 10 else f"{seconds:.0f}") + " s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h" + (f" {minutes % 60} min" if minutes % 60 else "")


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
