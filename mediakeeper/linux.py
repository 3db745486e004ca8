"""Two Linux calls Python's os module lacks, through ctypes; elsewhere they do nothing."""

from __future__ import annotations

import ctypes
import signal
from functools import cache

_PR_SET_PDEATHSIG = 1
_SYNC_FILE_RANGE_WRITE = 2


@cache
def _libc():
    """The C library this process already has loaded (no lookup, no ldconfig run)."""
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def die_with_parent() -> None:
    """Have the kernel SIGKILL this process when its parent dies."""
    prctl = getattr(_libc(), "prctl", None)
    if prctl is not None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


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
