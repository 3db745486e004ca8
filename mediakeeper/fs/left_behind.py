"""A data home's list of the library folders where its processes may leave files behind when
they are killed, so that the next command, whatever it is, can delete them
(``mediakeeper.fs.sweep``).

What is left behind is temp files: the copy a swap was making (``mediakeeper.fs.safewrite``:
a copy of a 25 MB track, hidden beside it), or an atomic write's (``mediakeeper.fs.atomic``:
a movie's .nfo or artwork, an album's cover). A folder is named, and the list flushed, before
the first such file goes there, so no kill can leave one that no list names. A line is a
folder of one process's temp files (``temps <pid> <folder>``), or a folder of replaced
originals (``<folder>``, ``sweep.SPARES``); the sweep forgets a line once nothing can be left
there any more.

The data home itself is written the same way (its queue, outputs, reports): every command
that opens it adds ``home <pid> <start> <folder>`` and takes it away when it ends (a dry run,
or a command that only reads, writes nothing there and leaves the list alone), so only a
command that was killed, or a batch that lost a worker, leaves its line, and the sweep then
looks through the whole data home once.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from mediakeeper.core import writemode
from mediakeeper.fs.atomic import fsync_dir, write_all
from mediakeeper.system.processes import own_start_time

TEMPS = "temps "  # a folder of one process's temp files: "temps <pid> <folder>"
HOME = "home "  # a data home a running command writes: "home <pid> <start> <folder>"
_RECENT = 64  # folders a process remembers having named (an artist's albums, and more)

_named: dict[tuple[int, str, str], None] = {}  # (process, list, folder), oldest first
_writing: set[tuple[int, Path]] = set()  # (process, list) named by writing_home
_lost_a_worker = False


def name(listed: Path, line: str, *, durable: bool = True, create: bool = True) -> bool:
    """Add ``line`` to the list ``listed`` (made if missing, with ``create``) and
    (``durable``) flush it; whether it was added. Where it cannot be, what a killed process
    leaves there is not found by the sweep (a batch that reaches a folder again still deletes
    the stale copies it finds there)."""
    if "\n" in line:
        return False  # a folder whose name holds a line break cannot be listed
    data = os.fsencode(line) + b"\n"
    try:
        if create:
            os.makedirs(listed.parent, exist_ok=True)
        flags = os.O_WRONLY | os.O_APPEND | (os.O_CREAT if create else 0)
        with _locked(listed, flags) as fd:
            write_all(fd, data)
            if durable:
                os.fsync(fd)
            new = os.fstat(fd).st_size == len(data)
        if new and durable:
            fsync_dir(listed.parent)
    except OSError:
        return False
    return True


def writing_home(status_dir: Path, *, create: bool = False) -> None:
    """This command writes into the data home whose ``status/`` is ``status_dir``, and so do
    the workers it starts: name the data home, and forget it again when the command ends
    (not on a kill, nor when one of its workers was lost: ``lost_a_worker``). The list is
    made (``create``) by a queue's creation and a batch's start: a command that only looks,
    or one refused, leaves the data home as it found it. Not flushed: a line a power cut
    loses leaves temp files until the next command that is killed, whose sweep deletes
    every ended process's."""
    listed, pid = list_of(status_dir), os.getpid()
    if (pid, listed) in _writing:
        return
    line = f"{HOME}{pid} {own_start_time() or 0} {os.fspath(status_dir.parent)}"
    if name(listed, line, durable=False, create=create):
        _writing.add((pid, listed))
        atexit.register(_forget_at_exit, listed, line, pid)



def lost_a_worker() -> None:
    """A worker of this command died: the temp file it may have left in the data home is
    looked for by the next command (this command's line stays when it ends)."""
    global _lost_a_worker
    _lost_a_worker = True


def _forget_at_exit(listed: Path, line: str, pid: int) -> None:
    if os.getpid() != pid or _lost_a_worker:  # a forked child ending, or a lost worker
        return
    with contextlib.suppress(OSError):
        sweep(listed, lambda kept: kept != line, durable=False)


def home_line(line: str) -> tuple[int, str, str] | None:
    """(process id, its start, data home folder) of a line naming a data home; None else."""
    if not line.startswith(HOME):
        return None
    pid, _, rest = line[len(HOME) :].partition(" ")
    started, _, folder = rest.partition(" ")
    return (int(pid), started, folder) if pid.isdigit() and folder else None


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


def sweep(listed: Path, keep: Callable[[str], bool], *, durable: bool = True) -> None:
    """Ask ``keep`` of each line of the list (it deletes what is left behind there, and says
    whether the line is still needed) and forget the lines it does not keep, flushed
    (``durable``). OSError: there is no list, or it cannot be read."""
    _named.clear()  # the lines this process named may be forgotten now: named again
    with _locked(listed, os.O_RDWR) as fd:
        with os.fdopen(os.dup(fd), "rb") as f:
            lines = dict.fromkeys(os.fsdecode(line) for line in f.read().split(b"\n") if line)
        left = [line for line in lines if keep(line)]
        if len(left) != len(lines):  # rewritten in place: a process may be waiting on its lock
            # The kept lines over the front, then the rest cut off: a kill between the two
            # leaves each kept line listed, and a tail of old lines (perhaps the end of one)
            # that the next sweep forgets, never a list emptied of lines still needed.
            data = b"".join(os.fsencode(line) + b"\n" for line in left)
            os.lseek(fd, 0, os.SEEK_SET)  # the read left the shared offset at the end
            write_all(fd, data)
            os.ftruncate(fd, len(data))
            if durable:
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
