"""Where a library's events come from: inotify over the library (``watchfiles``), else a
periodic scan of it (``Scan``), one source per library, so that a library inotify cannot follow
falls back to scanning alone and the others keep their events.

inotify fails quietly where it matters most: ``watchfiles`` told to pass over a folder it
cannot read passes over every folder after it too, and a watch the kernel refuses for a
folder made later (the watch limit, ``fs.inotify.max_user_watches``, reached) is never said
at all; that folder's changes are simply never heard. So a library is watched with every
failure raised (``WatchFailed``), and the folders that settled are checked against what the
kernel really watches (``Events.unwatched``: the watches listed in ``/proc/self/fdinfo``).
The scan is the toolkit's own, not ``watchfiles``' polling, which stops for good at the first
folder it cannot read.

Only ``watchfiles``' public API is used: its ``watch`` generator (its debounce and step, a
stop event, a timeout that yields an empty set, ``force_polling`` off, permission errors
raised) and the errors it raises."""

from __future__ import annotations

import errno
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

LIMIT = "the inotify watch limit is reached (fs.inotify.max_user_watches)"
# watchfiles' Change values, as its generator yields them (its enum imported only with it)
MODIFIED = 2  # a path whose content changed: what a scan tells of a folder that changed
DELETED = 3  # a change that removed its path


class WatchFailed(Exception):
    """inotify cannot follow a library; ``str()`` says why, in the person's words."""


Heard = set[tuple[int, str]] | str  # the changes heard (change, path), or why none


@dataclass(frozen=True)
class Pace:
    """How a source is asked for changes: a burst gathered up to ``debounce_ms``, ended by
    ``step_ms`` of quiet; a call returns after ``timeout_ms`` with none; ``stop`` ends it."""

    debounce_ms: int
    step_ms: int
    timeout_ms: int
    stop: threading.Event


@dataclass
class Events:
    """inotify over one library: ``watchfiles.watch``'s changes, one set at a time."""

    root: str
    changes: Iterator[set]  # the watchfiles.watch generator, its watches made
    fd: int | None  # its inotify descriptor (None: not found, taken on trust)
    first: set = field(default_factory=set)  # heard while the watches were made

    def watch(self) -> Heard:
        """The changes heard (a set of (change, path)), or why none ("timeout", "stop").
        A ``RuntimeError`` is watchfiles' own: a watch it lost."""
        if self.first:
            heard, self.first = self.first, set()
            return heard
        try:
            heard = next(self.changes)
        except StopIteration:  # its stop event set
            return "stop"
        return heard or "timeout"

    def close(self) -> None:
        self.changes.close()  # the generator's exit closes its watcher

    def unwatched(self, folder: str) -> list[str]:
        """The folders at or below ``folder`` that the kernel does not watch for this
        library."""
        watched = _watched(self.fd) if self.fd is not None else None
        if watched is None:
            return []  # no fdinfo to tell: taken on trust
        return [path for path, key in _folders(folder) if key not in watched]


@dataclass
class Scan:
    """A library looked at every ``every`` seconds: each top-level folder whose files or
    folders changed since the last look (their count, sizes and latest change time), came
    or went, is told as changed. A folder it cannot read is passed over, the rest still
    looked at."""

    root: str
    every: float
    pace: Pace
    seen: dict[str, tuple[int, int, int]] = field(init=False)
    due: float = field(init=False)

    def __post_init__(self) -> None:
        if not os.path.isdir(self.root):
            raise WatchFailed(f"{self.root} is not there")
        self.seen, self.due = _signatures(self.root), time.monotonic() + self.every

    def watch(self) -> Heard:
        stop, step, timeout = self.pace.stop, self.pace.step_ms / 1000, self.pace.timeout_ms / 1000
        wait = self.due - time.monotonic()
        if wait > timeout:
            return "stop" if pause(stop, timeout, step) else "timeout"
        if wait > 0 and pause(stop, wait, step):
            return "stop"
        try:
            now = _signatures(self.root)
        except OSError:  # the library itself gone or unreadable: the look at the roots tells
            now = self.seen
        self.due = time.monotonic() + self.every
        changed = {(MODIFIED, os.path.join(self.root, top)) for top in now.keys() | self.seen.keys()
                   if now.get(top) != self.seen.get(top)}  # fmt: skip
        self.seen = now
        return changed or "timeout"

    def close(self) -> None:
        pass

    def unwatched(self, folder: str) -> list[str]:
        return []  # a scan reads them all


Source = Events | Scan


def pause(stop: threading.Event, seconds: float, step: float = 0.2) -> bool:
    """Sleep up to ``seconds``, looking at ``stop`` every ``step``; whether it was set.
    Never ``stop.wait()``: the signal handler that sets ``stop`` runs in this same thread,
    and one that comes while ``wait`` holds the event's lock waits for it forever."""
    deadline = time.monotonic() + seconds
    while not stop.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(step, left))
    return True


def open_source(root: str, polling: bool, every: float, pace: Pace) -> Source:
    """Follow ``root`` from now on: inotify (every folder below it, or WatchFailed), or a
    scan every ``every`` seconds."""
    if polling:
        return Scan(root, every, pace)
    # Imported here: a batch, which imports this package's neighbours, never needs it.
    import watchfiles

    before = _inotify_fds()
    changes = watchfiles.watch(
        root, watch_filter=None, debounce=pace.debounce_ms, step=pace.step_ms,
        stop_event=pace.stop, rust_timeout=pace.timeout_ms, yield_on_timeout=True,
        debug=False, raise_interrupt=False, force_polling=False, recursive=True,
        ignore_permission_denied=False,
    )  # fmt: skip
    try:
        # Its watches are made at the first ask (every failure raised then); what it hears
        # meanwhile is kept for the first ``watch``.
        first = next(changes, set())
    except PermissionError as err:
        why = f"a folder in it cannot be read: {_about(err)}"
    except OSError as err:
        limit = "MaxFilesWatch" in str(err) or err.errno == errno.ENOSPC
        why = LIMIT if limit else _about(err)
    except RuntimeError as err:  # watchfiles' own: the watcher could not be made at all
        why = str(err)
    else:
        return Events(root, changes, min(_inotify_fds() - before, default=None), first)
    _let_go(before)
    raise WatchFailed(why)


def _let_go(before: set[int], longest: float = 2.0) -> None:
    """Wait (briefly) for the watches of a watcher that failed half made to be let go: its
    thread closes them after the failure is told, and until then they count against the
    limit the next library's watches are made under."""
    deadline = time.monotonic() + longest
    while _inotify_fds() - before and time.monotonic() < deadline:
        time.sleep(0.01)


def why_unwatched(folder: str) -> str:
    """Why the kernel does not watch ``folder``, a folder that is there: one it may not
    read is refused a watch; any other that it does not watch was refused for the limit
    (the only other refusal, running out of kernel memory, stops far more than a watch)."""
    try:
        os.close(os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC))
    except PermissionError:
        return f"a folder in it cannot be read: {folder}"
    except OSError as err:
        return f"{folder} cannot be watched ({err.strerror or err})"
    return LIMIT


def _about(err: OSError) -> str:
    """The folder watchfiles names in its message (``... about ["/x"]``), else the message."""
    found = re.search(r'about \["(.*?)"\]', str(err))
    return found.group(1) if found else str(err)


def _inotify_fds() -> set[int]:
    found = set()
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return found
    for name in names:
        try:
            if os.readlink(f"/proc/self/fd/{name}") == "anon_inode:inotify":
                found.add(int(name))
        except OSError:
            continue  # the listing's own descriptor, closed since
    return found


_WATCH = re.compile(r"^inotify wd:\S+ ino:([0-9a-f]+) sdev:([0-9a-f]+)", re.MULTILINE)


def _watched(fd: int) -> set[tuple[int, int]] | None:
    """(device, inode) of every folder the inotify descriptor ``fd`` watches; the device as
    the kernel writes it there (major << 20 | minor)."""
    try:
        with open(f"/proc/self/fdinfo/{fd}", encoding="ascii") as info:
            text = info.read()
    except OSError:
        return None
    return {(int(dev, 16), int(ino, 16)) for ino, dev in _WATCH.findall(text)}


def _folders(folder: str):
    """Each folder at or below ``folder`` (links to folders not followed), with its key as
    fdinfo writes it."""
    todo = [folder]
    while todo:
        where = todo.pop()
        try:
            info = os.stat(where, follow_symlinks=False)
        except OSError:
            continue  # gone since: no watch owed
        try:
            with os.scandir(where) as entries:
                todo.extend(e.path for e in entries if e.is_dir(follow_symlinks=False))
        except OSError:
            pass  # unreadable itself: owed a watch all the same (the kernel refuses it)
        yield where, (os.major(info.st_dev) << 20 | os.minor(info.st_dev), info.st_ino)


def _signatures(root: str) -> dict[str, tuple[int, int, int]]:
    """Each top-level folder of ``root``: (entries below it, their total size, the latest
    change time in ns). A file written, renamed or removed moves the last."""
    found = {}
    with os.scandir(root) as entries:
        tops = [e for e in entries if e.is_dir(follow_symlinks=False)]
    for top in tops:
        count = size = latest = 0
        todo = [top.path]
        while todo:
            where = todo.pop()
            try:
                info = os.stat(where, follow_symlinks=False)
                latest = max(latest, info.st_mtime_ns, info.st_ctime_ns)
                with os.scandir(where) as entries:
                    for entry in entries:
                        if entry.is_dir(follow_symlinks=False):
                            todo.append(entry.path)
                            continue
                        st = entry.stat(follow_symlinks=False)
                        count, size = count + 1, size + st.st_size
                        latest = max(latest, st.st_mtime_ns, st.st_ctime_ns)
            except OSError:
                continue  # gone since, or unreadable: what can be read still tells
        found[top.name] = (count, size, latest)
    return found
