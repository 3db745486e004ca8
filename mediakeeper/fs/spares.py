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
original aside in a folder, it names the folder in its data home's list of folders where
files may be left behind (``mediakeeper.fs.left_behind``; ``use`` says which list), and every
command that opens the data home first deletes what ended processes left there
(``mediakeeper.fs.sweep``), and says so.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import stat
import threading
from collections.abc import Iterable
from pathlib import Path

from mediakeeper.fs import left_behind
from mediakeeper.fs.names import TEMP_PREFIX
from mediakeeper.system.processes import Ended

SPARES = f"{TEMP_PREFIX}spares"  # a junk name: scans and the queue pass it over
POOL_BYTES = 1 << 30  # what one process keeps until the batch ends, at most

_SERIAL = itertools.count()
_folders: dict[str, bool] = {}  # folder -> whether originals may go there (asked once)
_kept = [0, 0]  # [the process it counts for, bytes kept]
_lists: dict[str, Path] = {}  # folder -> the list of its data home (``use``)


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
        _folders[key] = _usable(folder)
    return _folders[key]


def _usable(folder: Path) -> bool:
    """Whether originals may go into ``folder`` (asked once a process): named in its data
    home's list, then made if missing. In that order: a kill between the two leaves a listed
    folder, which the sweep removes once empty, never one that no list names. A link there
    is not a folder we made: originals go nowhere we did not choose."""
    try:
        if not stat.S_ISDIR(os.lstat(folder).st_mode):
            return False
    except FileNotFoundError:
        pass  # made below
    except OSError:
        return False
    _name_in_list(os.fspath(folder))
    try:
        folder.mkdir(exist_ok=True)
        return stat.S_ISDIR(os.lstat(folder).st_mode)
    except OSError:
        return False  # a library root we may not write to: delete as before


def _name_in_list(folder: str) -> None:
    """Name ``folder`` in its data home's list (``use``) before the first original goes
    there."""
    listed = _lists.get(folder)
    if listed is not None:
        left_behind.name(listed, folder)


def remove(
    folders: Iterable[Path], owner: str, *, wait: bool = True
) -> threading.Thread | None:
    """Delete the spares in ``folders`` (``SPARES`` folders) of the data home ``owner``'s
    processes that have ended, and this process's own: call once no more files will be
    replaced. An emptied folder is removed too. They are chosen now; with ``wait=False``
    they are deleted on a thread of their own, returned started (not a daemon: the process
    waits for it before it exits), while the batch writes its closing reports."""
    _folders.clear()
    _kept[:] = [0, 0]
    folders = list(folders)
    doomed = ended_processes(folders, owner)
    if wait:
        delete(doomed, folders)
        return None
    thread = threading.Thread(target=delete, args=(doomed, folders), name="spares")
    thread.start()
    return thread


def ended_processes(folders: Iterable[Path | str], owner: str) -> list[str]:
    """The spares in ``folders`` of the data home ``owner``'s processes that have ended, this
    process's included."""
    ended = Ended(own=True)
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
            if ended[int(pid)]:
                doomed.append(os.path.join(folder, name))
    return doomed


def delete(doomed: list[str], folders: Iterable[Path | str]) -> None:
    """Delete the spares ``doomed``, then each of ``folders`` that is empty now."""
    for name in doomed:
        _unlink(name)
    for folder in folders:
        with contextlib.suppress(OSError):  # another batch's spares are still in it
            os.rmdir(folder)


def _unlink(name: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(name)
