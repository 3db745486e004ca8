"""Linux calls Python's os module lacks, through ctypes (or an ioctl); elsewhere they do
nothing (or, for ``exchange``, say they are missing)."""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import signal
import sys
from functools import cache

_PR_SET_PDEATHSIG = 1
_SYNC_FILE_RANGE_WRITE = 2
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_FS_IOC_GETFLAGS = 0x80086601  # _IOR('f', 1, long); the kernel reads and writes an int
_FS_IOC_GETVERSION = 0x80087601  # _IOR('v', 1, long); an int too
IMMUTABLE, APPEND_ONLY = 0x10, 0x20  # FS_IMMUTABLE_FL, FS_APPEND_FL: chattr +i, +a


@cache
def _libc():
    """The C library this process already has loaded (no lookup, no ldconfig run)."""
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def die_with_parent(sent: signal.Signals = signal.SIGKILL) -> None:
    """Have the kernel send this process ``sent`` (SIGKILL: its end) when its parent dies."""
    prctl = getattr(_libc(), "prctl", None)
    if prctl is not None:
        prctl(_PR_SET_PDEATHSIG, sent)


def child_dies_with_parent():
    """A ``preexec_fn`` for a child that must not outlive the thread that starts it (an
    encoder whose batch is killed): ``prctl`` is looked up here, before the fork, so the
    child between fork and exec only makes the call."""
    prctl = getattr(_libc(), "prctl", None)
    parent = os.getpid()

    def preexec() -> None:
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
            # A parent killed between the fork and the prctl sends no signal: the child
            # has been handed to a reaper already, and must not run its endless job.
            if os.getppid() != parent:
                os._exit(1)

    return preexec


@cache
def _sync_file_range():
    call = getattr(_libc(), "sync_file_range", None)
    if call is not None:
        call.argtypes = (ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint)
    return call


def start_writeback(fd: int) -> None:
    """Start writing a file's dirty data out, without waiting: a hint; fsync decides."""
    if (sync_file_range := _sync_file_range()) is not None:
        sync_file_range(fd, 0, 0, _SYNC_FILE_RANGE_WRITE)


@cache
def _renameat2():
    call = getattr(_libc(), "renameat2", None)  # glibc 2.28 and later
    if call is not None:
        path = ctypes.c_char_p
        call.argtypes = (ctypes.c_int, path, ctypes.c_int, path, ctypes.c_uint)
    return call


def exchange(first: str, second: str) -> None:
    """Swap two existing paths in one atomic step (``renameat2(RENAME_EXCHANGE)``): each name
    then leads to the other's file. OSError as a rename gives it: ENOENT if either is gone,
    EINVAL or ENOSYS where the call or the file system lacks the exchange."""
    call = _renameat2()
    if call is None:
        raise OSError(errno.ENOSYS, os.strerror(errno.ENOSYS))
    a, b = os.fsencode(first), os.fsencode(second)
    if call(_AT_FDCWD, a, _AT_FDCWD, b, _RENAME_EXCHANGE) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), first, None, second)


def inode_flags(fd: int) -> int:
    """The file's inode flags, as ``lsattr`` shows them (``IMMUTABLE``, ``APPEND_ONLY``); 0
    where the file system keeps none."""
    flags = bytearray(8)
    try:
        fcntl.ioctl(fd, _FS_IOC_GETFLAGS, flags)
    except OSError:
        return 0
    return int.from_bytes(flags[:4], sys.byteorder)


def inode_generation(fd: int) -> int | None:
    """The generation of the file's inode (ext4, btrfs, XFS: an inode a deleted file let go
    and a new file was given is another generation, what an NFS file handle tells them apart
    by); None where the file system keeps none."""
    generation = bytearray(8)
    try:
        fcntl.ioctl(fd, _FS_IOC_GETVERSION, generation)
    except OSError:
        return None
    return int.from_bytes(generation[:4], sys.byteorder)


def io_bytes() -> tuple[int, int] | None:
    """(read, written): the bytes this process passed through read() and write() and their
    kin (files, pipes; from the disk or its cache alike), its threads' and those of the
    children it has waited for included (Linux's ``rchar`` and ``wchar``); None elsewhere."""
    try:  # os.read, not open(): read around every step of every item, at a third the cost
        fd = os.open("/proc/self/io", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        text = os.read(fd, 4096)  # seven short lines, made whole at each read
    except OSError:
        return None
    finally:
        os.close(fd)
    words = text.split()  # "rchar: N", "wchar: N" lead, in this order
    if words[0:1] != [b"rchar:"] or words[2:3] != [b"wchar:"]:
        return None
    try:
        return int(words[1]), int(words[3])
    except ValueError:
        return None


_SYS_CACHESTAT = 451  # one number on every architecture (Linux 6.5 and later)


class _CachestatRange(ctypes.Structure):
    _fields_ = (("off", ctypes.c_uint64), ("len", ctypes.c_uint64))


class _Cachestat(ctypes.Structure):
    _fields_ = tuple((name, ctypes.c_uint64) for name in (
        "nr_cache", "nr_dirty", "nr_writeback", "nr_evicted", "nr_recently_evicted"))  # fmt: skip


@cache
def _syscall():
    call = getattr(_libc(), "syscall", None) if sys.platform == "linux" else None
    if call is not None:
        call.restype = ctypes.c_long
    return call


def cached_pages(fd: int, offset: int, length: int) -> int | None:
    """How many pages of the file's bytes ``offset`` to ``offset + length`` are in the page
    cache (``cachestat``), without reading them or touching the access time; None where the
    kernel cannot tell (before Linux 6.5, elsewhere)."""
    call = _syscall()
    if call is None:
        return None
    found = _Cachestat()
    span = _CachestatRange(offset, length)
    if call(_SYS_CACHESTAT, fd, ctypes.byref(span), ctypes.byref(found), 0) != 0:
        return None
    return found.nr_cache
