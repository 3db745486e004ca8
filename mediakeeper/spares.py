"""Replaced originals kept and reused, so that fixing thousands of tags neither creates nor
deletes thousands of files, nor frees and allocates their blocks.

A tag write saves a copy and renames it over the original, and the original used to be
deleted by that rename. Deleting costs more than its own moment on some file systems: on ext4
without a journal every file created in the next minute scans past each recently deleted
one, and with the ``discard`` mount option freeing a file's blocks waits for the disk. On the
build machine the two took a third of a pass that fixes 3,500 files. So the original gets a
second name first, in a hidden folder beside the artist folders (``SPARES``), and a later
copy of about its size is written over it instead of into a new file: its blocks are
rewritten where they lie.

Safety: a spare is written into only while its hidden name is its last (``st_nlink == 1``),
so a file the user has also linked elsewhere is never touched; its hidden name is simply
dropped. A process reuses only its own spares. When the batch ends, the main process deletes
the spares of every process that has ended (``remove``), a killed one's included.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import stat
import threading
from collections.abc import Iterable
from pathlib import Path

from mediakeeper.fsnames import TEMP_PREFIX
from mediakeeper.processes import is_running

SPARES = f"{TEMP_PREFIX}spares"  # a junk name: scans and the queue pass it over
# What one process keeps at most; beyond, an original is deleted by the rename as before.
POOL_FILES = 64
POOL_BYTES = 256 << 20
BLOCK = 4096  # the usual file-system block: what a spare's fit is counted in


def folder_for(artist_folder: Path | str) -> Path:
    """Where the spares of tag writes in ``artist_folder`` go: beside it, in the library."""
    return Path(_parent(artist_folder), SPARES)


def folders_for(artist_folders: Iterable[Path | str]) -> set[Path]:
    """``folder_for`` of each, one Path per library folder: a batch ends with every artist
    folder of its queue, which usually share one, and a Path each took 10 ms of 930."""
    return {Path(parent, SPARES) for parent in {_parent(f) for f in artist_folders}}


def _parent(artist_folder: Path | str) -> str:
    return os.path.dirname(os.fspath(artist_folder).rstrip("/"))


class _Pool:
    """This process's spares in one folder (on ``device``): name -> size, and their sum."""

    def __init__(self, device: int):
        self.device = device
        self.sizes: dict[str, int] = {}
        self.total = 0

    def pop(self, name: str) -> None:
        self.total -= self.sizes.pop(name)


# By the folder's path as a string: a tag write looks its pool up by a spare's name, and
# making a Path of it cost more than the rest of the look-up.
_pools: dict[str, _Pool | None] = {}
_owner = 0  # the process the pools belong to (a forked child starts with none)
_SERIAL = itertools.count()


def take(folder: Path, device: int, size: int) -> tuple[int, str] | None:
    """A spare in ``folder`` on ``device`` for a copy of ``size`` bytes, open for reading and
    writing; its path. None if none fits: make a new file as usual. Fits: as many blocks as
    the copy needs, else fewer (the copy only adds blocks); one with more would free some."""
    pool = _pools.get(os.fspath(folder)) if _owner == os.getpid() else None
    if pool is None or pool.device != device:
        return None
    room = _blocks(size) * BLOCK  # the largest spare that fits
    while True:
        name, best = None, -1
        for candidate, have in pool.sizes.items():
            if best < have <= room:
                name, best = candidate, have
        if name is None:
            return None
        pool.pop(name)
        try:
            fd = os.open(name, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            continue  # removed meanwhile
        try:
            st = os.fstat(fd)
            if stat.S_ISREG(st.st_mode) and st.st_nlink == 1:
                _clear_user_attributes(fd)
                return fd, name
        except OSError:
            pass
        os.close(fd)  # not ours alone any more: never written into
        _unlink(name)


def keep(original: Path, folder: Path) -> str | None:
    """Give ``original`` a second name in ``folder`` before a copy replaces it; pass the name
    to ``kept`` once the copy is in place, or to ``drop`` if it is not. None: not kept (the
    file system refuses, another device, the pool is full); the rename deletes it as before."""
    pool = _pool(folder)
    if pool is None or len(pool.sizes) >= POOL_FILES:
        return None
    while True:
        name = os.path.join(folder, f"{os.getpid()}-{next(_SERIAL)}")
        try:
            os.link(original, name, follow_symlinks=False)
            return name
        except FileExistsError:
            continue  # left by an earlier process that had this pid
        except OSError:
            return None  # no hard links here (FAT, some network shares), another device


def kept(name: str) -> None:
    """The copy has replaced the original: a later copy may be written over it. Over the
    pool's byte budget the largest spare goes."""
    pool = _pools[os.path.dirname(name)]
    assert pool is not None  # keep() gave the name
    try:
        size = os.stat(name).st_size
    except OSError:
        return  # gone meanwhile
    pool.sizes[name] = size
    pool.total += size
    while pool.total > POOL_BYTES:
        largest = max(pool.sizes, key=pool.sizes.__getitem__)
        pool.pop(largest)
        _unlink(largest)


def drop(name: str) -> None:
    """The copy did not replace the original: its second name goes at once."""
    _unlink(name)


def remove(folders: Iterable[Path], *, wait: bool = True) -> threading.Thread | None:
    """Delete the spares in ``folders`` (``SPARES`` folders) of every process that has
    ended, and this process's own: call once no more tag writes will come. An emptied
    folder is removed too. They are chosen now; with ``wait=False`` they are deleted on a
    thread of their own, returned started (not a daemon: the process waits for it before
    it exits). Where freeing a file's blocks waits for the disk to trim them (the discard
    mount option), a whole library's spares took 45 ms to delete, which the batch's closing
    reports can take instead."""
    global _pools
    _pools = {}
    folders = list(folders)
    ended = {os.getpid(): True}  # by pid, asked once: a process keeps dozens of spares
    doomed = []
    for folder in folders:
        try:
            names = os.listdir(folder)
        except OSError:
            continue  # none made here
        for name in names:
            pid, _, serial = name.partition("-")
            if not (pid.isdigit() and serial.isdigit()):
                continue  # not a name keep() gives: not ours to delete
            owner = int(pid)
            if owner not in ended:
                ended[owner] = not is_running(owner)
            if ended[owner]:
                doomed.append(os.path.join(folder, name))
    if wait:
        _delete(doomed, folders)
        return None
    thread = threading.Thread(target=_delete, args=(doomed, folders), name="spares")
    thread.start()
    return thread


def _delete(doomed: list[str], folders: list[Path]) -> None:
    for name in doomed:
        _unlink(name)
    for folder in folders:
        with contextlib.suppress(OSError):  # another batch's spares are still in it
            os.rmdir(folder)


def _pool(folder: Path) -> _Pool | None:
    """This process's pool in ``folder``; None where the folder cannot be made (asked once)."""
    global _owner, _pools
    if _owner != os.getpid():
        _owner, _pools = os.getpid(), {}
    key = os.fspath(folder)
    if key not in _pools:
        try:
            folder.mkdir(exist_ok=True)
            st = os.lstat(folder)
            # A symlink there is not a folder we made: originals go nowhere we did not choose.
            _pools[key] = _Pool(st.st_dev) if stat.S_ISDIR(st.st_mode) else None
        except OSError:
            _pools[key] = None  # a library root we may not write to: delete as before
    return _pools[key]


def _blocks(size: int) -> int:
    return -(-size // BLOCK)


def _clear_user_attributes(fd: int) -> None:
    """The old file's own attributes are not the next one's."""
    try:
        names = os.listxattr(fd)
    except OSError as err:
        if err.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            return
        raise
    for attribute in names:
        if attribute.startswith("user."):
            os.removexattr(fd, attribute)


def _unlink(name: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(name)
