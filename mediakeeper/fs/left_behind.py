"""A data home's list of the library folders where its processes may leave files behind when
they are killed, so that the next command, whatever it is, can delete them
(``mediakeeper.fs.sweep``).

Two kinds of file are left behind: replaced originals set aside until a batch ends
(``mediakeeper.fs.spares``), and temp files: the copy a swap was making
(``mediakeeper.fs.safewrite``: a copy of a 25 MB track, hidden beside it), or an atomic
write's (``mediakeeper.fs.atomic``: a movie's .nfo or artwork, an album's cover). A folder
is named, and the list flushed, before the first such file goes there, so no kill can leave
one that no list names. A line is a folder of spares (``<folder>``) or a folder of one
process's temp files (``temps <pid> <folder>``); the sweep forgets a line once nothing can be
left there any more.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from mediakeeper.core import writemode
from mediakeeper.fs.atomic import fsync_dir, write_all

TEMPS = "temps "  # a folder of one process's temp files: "temps <pid> <folder>"
_RECENT = 64  # folders a process remembers having named (an artist's albums, and more)

_named: dict[tuple[int, str, str], None] = {}  # (process, list, folder), oldest first


def name(listed: Path, line: str) -> None:
    """Add ``line`` to the list ``listed`` and flush it. Where it cannot be added, what a
    killed process leaves there waits for that process's batch to run again, as it did
    before the list."""
    if "\n" in line:
        return  # a folder whose name holds a line break cannot be listed
    data = os.fsencode(line) + b"\n"
    try:
        os.makedirs(listed.parent, exist_ok=True)
        with _locked(listed, os.O_WRONLY | os.O_APPEND | os.O_CREAT) as fd:
            write_all(fd, data)
            os.fsync(fd)
            new = os.fstat(fd).st_size == len(data)
        if new:
            fsync_dir(listed.parent)
    except OSError:
        pass


def name_temps_folder(listed: Path, folder: str) -> None:
    """Before this process makes its first temp file in ``folder``: name the folder, with
    this process, in the list ``listed``. Asked for each copy; each folder is named once
    while this process remembers it (its last few)."""
    key = (os.getpid(), os.fspath(listed), folder)
    if key in _named:
        return
    name(listed, f"{TEMPS}{os.getpid()} {folder}")
    _named[key] = None
    if len(_named) > _RECENT:
        del _named[next(iter(_named))]


def will_write_in(folder: Path | str, status_dir: Path) -> None:
    """Before a job of the data home whose ``status/`` is ``status_dir`` writes files into a
    library folder through temp files (``mediakeeper.fs.atomic``: a movie's .nfo and
    artwork, an album's cover): name the folder, so that the next command deletes the temp
    file a kill leaves there."""
    name_temps_folder(list_of(status_dir), os.fspath(folder))


def list_of(status_dir: Path) -> Path:
    """The list of the data home whose ``status/`` is ``status_dir``."""
    return writemode.left_behind_list(writemode.journal_dir(status_dir))


def temps_line(line: str) -> tuple[int, str] | None:
    """(process id, folder) of a line naming a folder of temp files; None for another."""
    if not line.startswith(TEMPS):
        return None
    pid, _, folder = line[len(TEMPS) :].partition(" ")
    return (int(pid), folder) if pid.isdigit() and folder else None


def sweep(listed: Path, keep: Callable[[str], bool]) -> None:
    """Ask ``keep`` of each line of the list (it deletes what is left behind there, and says
    whether the line is still needed) and forget the lines it does not keep. OSError: there
    is no list, or it cannot be read."""
    _named.clear()  # the lines this process named may be forgotten now: named again
    with _locked(listed, os.O_RDWR) as fd:
        with os.fdopen(os.dup(fd), "rb") as f:
            lines = dict.fromkeys(os.fsdecode(line) for line in f.read().split(b"\n") if line)
        left = [line for line in lines if keep(line)]
        if len(left) != len(lines):  # emptied in place: a process may be waiting on its lock
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)  # the read left the shared offset at the end
            write_all(fd, b"".join(os.fsencode(line) + b"\n" for line in left))
            os.fsync(fd)


@contextlib.contextmanager
def _locked(listed: Path, flags: int) -> Iterator[int]:
    """The list open and locked: a process naming a folder and a sweep forgetting folders
    never both write it."""
    fd = os.open(listed, flags | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)
