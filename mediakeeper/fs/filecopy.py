"""Copying a file's bytes into another file the cheapest way the file system offers: a clone
that shares the blocks (FICLONE: btrfs, XFS with reflink, bcachefs, ZFS 2.2+), else the
kernel's ``copy_file_range`` (no trip through this process), else read and write."""

from __future__ import annotations

import errno
import fcntl
import os

FICLONE = 0x40049409  # _IOW(0x94, 9, int)

# Where a clone is refused for want of support, not of room or rights: asked once a device.
_NO_CLONE = (errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOTTY, errno.EXDEV, errno.EINVAL,
             errno.ENOSYS, errno.EBADF)  # fmt: skip
_cannot_clone: set[int] = set()


def clone(src_fd: int, dst_fd: int) -> bool:
    """Make ``dst_fd`` share ``src_fd``'s blocks (the whole file); False where the file
    system cannot (remembered for the device). Other OSErrors (ENOSPC) are raised."""
    device = os.fstat(dst_fd).st_dev
    if device in _cannot_clone:
        return False
    try:
        fcntl.ioctl(dst_fd, FICLONE, src_fd)
    except OSError as err:
        if err.errno not in _NO_CLONE:
            raise
        _cannot_clone.add(device)
        return False
    return True


def may_clone(fd: int) -> bool:
    """Whether a clone onto ``fd``'s device is still worth trying."""
    return os.fstat(fd).st_dev not in _cannot_clone


def copy_bytes(src_fd: int, dst_fd: int, size: int) -> None:
    """Copy the first ``size`` bytes of ``src_fd`` to the start of ``dst_fd`` in the kernel."""
    done = 0
    while done < size:
        try:
            n = os.copy_file_range(src_fd, dst_fd, size - done, done, done)
        except OSError as err:
            if err.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                raise
            _copy_through(src_fd, dst_fd, done, size)
            return
        if n == 0:  # the source ended early: it changed, which the caller checks
            return
        done += n


def _copy_through(src_fd: int, dst_fd: int, done: int, size: int) -> None:
    while done < size:
        data = os.pread(src_fd, min(1 << 20, size - done), done)
        if not data:
            return
        view = memoryview(data)
        while view:  # a write may take only part
            n = os.pwrite(dst_fd, view, done)
            view, done = view[n:], done + n
