"""What a file must be for the toolkit to replace it, and how a refusal is worded: a regular
file (opened without waiting: a FIFO would block), readable, not made read-only by its owner,
a symlink only to a target inside the library, not open for writing by another program (a
read lease, Linux). ``mediakeeper.fs.safewrite`` asks these; ``tags.read`` opens files here too.
"""

from __future__ import annotations

import errno
import fcntl
import os
import signal
import stat
from pathlib import Path

from mediakeeper.core.errors import FileError
from mediakeeper.fs.attrs import user_name
from mediakeeper.fs.write_errors import mount_point

# Finding codes of the files left alone for a reason a person should see on its own.
CHANGED = "changed-during-fix"
READ_ONLY = "read-only-file"
OUTSIDE = "link-outside-library"


def open_regular(path: str) -> int:
    """``path`` opened for reading if it is a regular file, else OSError (a FIFO would block
    the open, or the read: it is opened without waiting, and closed again)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
    except BaseException:
        os.close(fd)
        raise
    return fd


PERMISSION_DENIED = "permission denied"


def cannot_read(err: OSError) -> str:
    """Why a file could not be opened, worded with its fix where there is one."""
    if isinstance(err, PermissionError):
        return f"{PERMISSION_DENIED}: cannot read it as {user_name()}; fix its permissions"
    return err.strerror or str(err)


def target_of(path: str, root: Path | None) -> str:
    """The regular file to replace at ``path``: itself, or the target of a symlink inside
    the library ``root`` (the link stays a link); FileError (``OUTSIDE``) for one outside."""
    try:
        is_link = stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError as err:
        raise FileError(path, cannot_read(err)) from None
    if not is_link:
        return path
    target = os.path.realpath(path)
    root = os.path.realpath(root) if root is not None else None
    if root is None or os.path.commonpath([root, target]) != root:
        where = "outside the library" if root is not None else "not followed here"
        raise FileError(
            path,
            f"a link to {target}, {where}: left alone; fix the file where it is",
            OUTSIDE,
        )
    return target


def refuse_if_read_only(path: str, st: os.stat_result, target: str) -> None:
    """A file its owner made read-only is meant to stay as it is. The mode bits decide, not
    only ``os.access``: root may write any file."""
    if not st.st_mode & stat.S_IWUSR or (os.geteuid() != 0 and not os.access(target, os.W_OK)):
        raise FileError(
            path,
            f"read-only (mode {stat.S_IMODE(st.st_mode):03o}): left alone; "
            "make it writable (chmod u+w) if it should be fixed",
            READ_ONLY,
        )


# The signal a broken lease sends: one ignored unless handled (SIGIO, the default, kills).
_LEASE_SIGNAL = signal.SIGURG
_F_SETSIG = getattr(fcntl, "F_SETSIG", None)


def lease(fd: int, path: str) -> bool:
    """Take a read lease on the original (Linux): any program that opens it for writing from
    now on breaks it, and its open waits until the lease is let go, after the copy is in
    place, or the swap undone. Whether it was taken: only the file's owner (or root) may,
    and not every file system has leases. FileError (``CHANGED``) if another program has
    the file open for writing now."""
    if _F_SETSIG is None or not hasattr(fcntl, "F_SETLEASE"):
        return False
    try:
        fcntl.fcntl(fd, _F_SETSIG, _LEASE_SIGNAL)
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
    except OSError as err:
        if err.errno == errno.EAGAIN:
            raise FileError(
                path, "open for writing by another program: left alone", CHANGED
            ) from None
        return False
    return True


def lease_broken(fd: int) -> bool:
    """Whether a program opened the file for writing since ``lease`` was taken on ``fd``."""
    return fcntl.fcntl(fd, fcntl.F_GETLEASE) != fcntl.F_RDLCK


def disk_full(target: str, needed: int) -> str:
    megabytes = max(1, -(-needed // (1 << 20)))
    return f"disk full ({megabytes} MB needed on {mount_point(target)})"
