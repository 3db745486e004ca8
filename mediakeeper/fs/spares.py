"""Replaced originals set aside and deleted after the batch, so that fixing thousands of tags
does not delete thousands of files while the batch runs.

A replaced original used to be deleted by the rename that replaced it. Deleting costs more
than its own moment on some file systems: on ext4 without a journal every file created in the
next minute scans past each recently deleted one, and with the ``discard`` mount option
freeing a file's blocks waits for the disk. So the original is moved (or, where the copy is
renamed over it, linked) into a hidden folder beside the artist folders (``SPARES``), and
deleted from there when the batch ends, on a thread while the batch writes its reports.

A spare is never written into: it may still be open in a player, which must go on reading
its own track. A process keeps at most ``POOL_BYTES`` of them; beyond that an original is
deleted at once. Names carry the data home's id and the process's id; ``remove`` deletes
those of its own data home whose process has ended, this process's included.

A batch killed before its end leaves its spares behind. So before a process sets the first
original aside in a folder, it names the folder in its data home's list (``use`` says which:
``writemode.spares_list``, beside the in-place journal), and every command that opens the
data home first deletes what ended processes left in the listed folders (``sweep``), and
says so.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import os
import stat
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from mediakeeper.fs.atomic import fsync_dir, write_all
from mediakeeper.fs.names import TEMP_PREFIX
from mediakeeper.system.processes import is_running

SPARES = f"{TEMP_PREFIX}spares"  # a junk name: scans and the queue pass it over
POOL_BYTES = 1 << 30  # what one process keeps until the batch ends, at most

_SERIAL = itertools.count()
_folders: dict[str, bool] = {}  # folder -> whether originals may go there (asked once)
_kept = [0, 0]  # [the process it counts for, bytes kept]
_lists: dict[str, Path] = {}  # folder -> the list of its data home (``use``)


class Swept(NamedTuple):
    """What ``sweep`` deleted: originals and their bytes."""

    files: int
    size: int


def folder_for(artist_folder: Path | str) -> Path:
    """Where the originals replaced in ``artist_folder`` go: beside it, in the library."""
    return Path(_parent(artist_folder), SPARES)


def _parent(artist_folder: Path | str) -> str:
    return os.path.dirname(os.fspath(artist_folder).rstrip("/"))


def use(folder: Path, listed: Path) -> None:
    """Originals set aside in ``folder`` belong to the data home whose list of such folders
    is ``listed``: the first one a process puts there names the folder in it."""
    _lists[os.fspath(folder)] = listed


def set_aside(name: str, folder: Path, size: int, owner: str) -> bool:
    """Move a replaced original (at ``name``) into ``folder``, named for the data home
    ``owner``; False if it is not (the folder cannot be made or used, the budget is spent):
    the caller deletes it."""
    if not _room(folder, size):
        return False
    try:
        os.rename(name, _new_name(folder, owner))
    except OSError:
        return False
    _count(size)
    return True


def keep(original: str, folder: Path, owner: str) -> str | None:
    """Give ``original`` a second name in ``folder`` before a copy is renamed over it; pass
    the name to ``kept`` once the copy is in place, or to ``drop`` if it is not. None: not
    kept (no hard links here, the budget is spent): the rename deletes it as before."""
    try:
        size = os.lstat(original).st_size
    except OSError:
        return None
    if not _room(folder, size):
        return None
    name = _new_name(folder, owner)
    try:
        os.link(original, name, follow_symlinks=False)
    except OSError:
        return None  # no hard links here (FAT, some network shares), another device
    return name


def kept(name: str) -> None:
    """The copy has replaced the original: its second name stays until the batch ends."""
    with contextlib.suppress(OSError):
        _count(os.lstat(name).st_size)


def drop(name: str) -> None:
    """The copy did not replace the original: its second name goes at once."""
    _unlink(name)


def _new_name(folder: Path, owner: str) -> str:
    return os.path.join(folder, f"{owner}.{os.getpid()}-{next(_SERIAL)}")


def _count(size: int) -> None:
    if _kept[0] != os.getpid():
        _kept[:] = [os.getpid(), 0]
    _kept[1] += size


def _room(folder: Path, size: int) -> bool:
    if _kept[0] == os.getpid() and _kept[1] + size > POOL_BYTES:
        return False
    key = os.fspath(folder)
    if key not in _folders:
        try:
            folder.mkdir(exist_ok=True)
            # A symlink there is not a folder we made: originals go nowhere we did not choose.
            _folders[key] = stat.S_ISDIR(os.lstat(folder).st_mode)
        except OSError:
            _folders[key] = False  # a library root we may not write to: delete as before
        if _folders[key]:
            _name_in_list(key)
    return _folders[key]


def _name_in_list(folder: str) -> None:
    """Name ``folder`` in its data home's list (flushed) before the first original goes
    there (asked once, with ``_room``'s look at the folder). Where it cannot be named, what a
    killed process leaves there waits for a batch's end, as it did before the list."""
    listed = _lists.get(folder)
    if listed is None or "\n" in folder:
        return
    line = os.fsencode(folder) + b"\n"
    try:
        os.makedirs(listed.parent, exist_ok=True)
        with _locked(listed, os.O_WRONLY | os.O_APPEND | os.O_CREAT) as fd:
            write_all(fd, line)
            os.fsync(fd)
            new = os.fstat(fd).st_size == len(line)
        if new:
            fsync_dir(listed.parent)
    except OSError:
        pass


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


def sweep(listed: Path, owner: str) -> Swept:
    """Delete what ended processes of the data home ``owner`` left in the folders its list
    ``listed`` names (a killed batch's originals), and forget the folders now gone. Any
    command that opens the data home does this first."""
    try:
        with _locked(listed, os.O_RDWR) as fd:
            with os.fdopen(os.dup(fd), "rb") as f:
                names = dict.fromkeys(os.fsdecode(n) for n in f.read().split(b"\n") if n)
            # Only folders of spares: a line put there by hand empties and removes no other.
            folders = [name for name in names if os.path.basename(name) == SPARES]
            doomed = _ended_processes(folders, owner)
            size = sum(_size(name) for name in doomed)
            _delete(doomed, [Path(folder) for folder in folders])
            left = [folder for folder in folders if os.path.isdir(folder)]
            if left != folders:  # emptied in place: a process may be waiting on its lock
                os.ftruncate(fd, 0)
                os.lseek(fd, 0, os.SEEK_SET)  # the read left the shared offset at the end
                write_all(fd, b"".join(os.fsencode(folder) + b"\n" for folder in left))
                os.fsync(fd)
    except OSError:
        return Swept(0, 0)  # no list: nothing was ever set aside, or it cannot be read
    return Swept(len(doomed), size)


def _size(name: str) -> int:
    try:
        return os.lstat(name).st_size
    except OSError:
        return 0


def remove(
    folders: Iterable[Path], owner: str, *, wait: bool = True
) -> threading.Thread | None:
    """Delete the spares in ``folders`` (``SPARES`` folders) of the data home ``owner``'s
    processes
    that have ended, and this process's own: call once no more files will be replaced. An
    emptied folder is removed too. They are chosen now; with ``wait=False`` they are deleted
    on a thread of their own, returned started (not a daemon: the process waits for it
    before it exits), while the batch writes its closing reports."""
    _folders.clear()
    _kept[:] = [0, 0]
    folders = list(folders)
    doomed = _ended_processes(folders, owner)
    if wait:
        _delete(doomed, folders)
        return None
    thread = threading.Thread(target=_delete, args=(doomed, folders), name="spares")
    thread.start()
    return thread


def _ended_processes(folders: Iterable[Path | str], owner: str) -> list[str]:
    """The spares in ``folders`` of the data home ``owner``'s processes that have ended, this
    process's included."""
    ended = {os.getpid(): True}  # by pid, asked once: a process keeps dozens of spares
    doomed = []
    for folder in folders:
        try:
            names = os.listdir(folder)
        except OSError:
            continue  # none made here
        for name in names:
            home, _, process = name.rpartition(".")
            pid, _, serial = process.partition("-")
            if home not in (owner, "") or not (pid.isdigit() and serial.isdigit()):
                continue  # another data home's, or not a name given here ("": from before
                # names carried one, deleted by whichever data home ends a batch first)
            if int(pid) not in ended:
                ended[int(pid)] = not is_running(int(pid))
            if ended[int(pid)]:
                doomed.append(os.path.join(folder, name))
    return doomed


def _delete(doomed: list[str], folders: Iterable[Path | str]) -> None:
    for name in doomed:
        _unlink(name)
    for folder in folders:
        with contextlib.suppress(OSError):  # another batch's spares are still in it
            os.rmdir(folder)


def _unlink(name: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(name)
