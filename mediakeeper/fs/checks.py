"""What a file must be for the toolkit to replace it, and how a refusal is worded: a regular
file (opened without waiting: a FIFO would block), readable, not made read-only by its owner,
a symlink only to a target inside the library, a file of one name unless the settings let
its other names be separated from it, not open for writing by another program (a read
lease, Linux). ``mediakeeper.fs.safewrite`` asks these; ``tags.read`` opens files here too.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import signal
import stat
from pathlib import Path

from mediakeeper.core.errors import FileError
from mediakeeper.core.writemode import LEAVE
from mediakeeper.fs.attrs import user_name
from mediakeeper.fs.identity import lasting_identity
from mediakeeper.fs.write_errors import mount_point
from mediakeeper.system.linux import APPEND_ONLY, IMMUTABLE, inode_flags

# Finding codes of the files left alone for a reason a person should see on its own.
CHANGED = "changed-during-fix"
READ_ONLY = "read-only-file"
OUTSIDE = "link-outside-library"
HARD_LINKED = "hard-linked-file"


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


def open_target(path: str, root: Path | None) -> tuple[str, int]:
    """The file to replace at ``path`` (``target_of``) and it opened for reading
    (``open_regular``); FileError, worded, if it may not be or cannot be."""
    target = target_of(path, root)
    try:
        return target, open_regular(target)
    except OSError as err:
        raise FileError(path, cannot_read(err)) from None


def content_hash(path: Path | str) -> str:
    """A hash of the file's bytes (BLAKE2b, 128 bits): what tells a file rewritten by another
    program that kept its size and time (a retag) from the one read before (the dupes
    scan keeps it for each file; a set-aside checks it right before the move)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, lambda: hashlib.blake2b(digest_size=16)).hexdigest()


def same_file(a: os.stat_result, b: os.stat_result) -> bool:
    """Whether ``b`` is still the file ``a`` was: its identity and ctime (a chmod, an
    attribute) as they were."""
    return lasting_identity(a) == lasting_identity(b)


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


def refuse_if_hard_linked(path: str, st: os.stat_result, hard_links: str) -> None:
    """A file with other names (hard links) shares its bytes with whatever holds those: a
    download client seeding it, another folder. A fix written into it changes them all, so
    it is left alone unless ``hard_links`` (``core.writemode``) says to separate it."""
    if st.st_nlink > 1 and hard_links == LEAVE:
        raise FileError(
            path,
            f"has {st.st_nlink} names (hard links: a download client's copy, another folder): "
            "left alone, since a fix would change every one; set "
            'music.hard_links = "separate" to give the library a file of its own',
            HARD_LINKED,
        )


def refuse_if_flagged(path: str, fd: int) -> None:
    """A file made immutable or append-only (``chattr +i``, ``+a``) cannot be replaced nor
    written in place, even by root; asked before a copy of it is made for nothing."""
    flags = inode_flags(fd)
    for flag, what, letter in ((IMMUTABLE, "immutable", "i"), (APPEND_ONLY, "append-only", "a")):
        if flags & flag:
            raise FileError(
                path,
                f"{what} (chattr +{letter}): left alone; "
                f"clear the flag (chattr -{letter}) if it should be fixed",
                READ_ONLY,
            )


def refuse_to_replace(path: str, st: os.stat_result, target: str, fd: int, hard_links: str) -> None:
    """FileError if the file open at ``fd`` (``st``: its stat) is one the write leaves alone
    whatever its change: read-only, immutable or append-only, or a name among others."""
    refuse_if_read_only(path, st, target)
    refuse_if_flagged(path, fd)
    refuse_if_hard_linked(path, st, hard_links)


def why_left_alone(path: str, root: Path | None, hard_links: str) -> FileError | None:
    """What a write of ``path`` would refuse it for, told before it (a dry run): a link out
    of the library ``root``, a file that cannot be read, or ``refuse_to_replace``'s; None if
    it would be written (unless another program changes it meanwhile)."""
    try:
        target, fd = open_target(path, root)
        try:
            refuse_to_replace(path, os.fstat(fd), target, fd, hard_links)
        finally:
            os.close(fd)
    except FileError as err:
        return err
    return None


# The signal a broken lease sends: one ignored unless handled. The default, SIGIO, kills the
# lease holder the moment another program opens its file.
_LEASE_SIGNAL = signal.SIGURG
_F_SETSIG = getattr(fcntl, "F_SETSIG", None)
LEASES = _F_SETSIG is not None and hasattr(fcntl, "F_SETLEASE")


def take_lease(fd: int, kind: int) -> None:
    """A lease of ``kind`` (``fcntl.F_RDLCK`` or ``F_WRLCK``) on ``fd``, whose breaking sends
    a signal that does nothing (only ``F_GETLEASE`` tells). OSError as ``fcntl`` raises it:
    EAGAIN while another program has the file open in a way the lease forbids."""
    fcntl.fcntl(fd, _F_SETSIG, _LEASE_SIGNAL)
    fcntl.fcntl(fd, fcntl.F_SETLEASE, kind)


def lease(fd: int, path: str) -> bool:
    """Take a read lease on the original (Linux): any program that opens it for writing from
    now on breaks it, and its open waits until the lease is let go, after the copy is in
    place, or the swap undone. Whether it was taken: only the file's owner (or root) may,
    and not every file system has leases. FileError (``CHANGED``) if another program has
    the file open for writing now."""
    if not LEASES:
        return False
    try:
        take_lease(fd, fcntl.F_RDLCK)
    except OSError as err:
        if err.errno == errno.EAGAIN:
            raise FileError(
                path, "open for writing by another program: left alone", CHANGED
            ) from None
        return False
    return True


def write_lease(fd: int) -> bool:
    """A write lease on ``fd`` (no other program can open the file until ``fd`` is closed;
    one that tries waits, and its open goes on once it is); False if another program has the
    file open. Where leases are missing (another OS, some file systems, not the file's
    owner) True: the identity check right before the write is what stands."""
    if not LEASES:
        return True
    try:
        take_lease(fd, fcntl.F_WRLCK)
    except OSError as err:
        return err.errno != errno.EAGAIN
    return True


def lease_broken(fd: int) -> bool:
    """Whether a program opened the file for writing since ``lease`` was taken on ``fd``."""
    return fcntl.fcntl(fd, fcntl.F_GETLEASE) != fcntl.F_RDLCK


def not_flushed_first(err: OSError) -> str | None:
    """Why nothing was written when a file that must reach the disk first (a change journal)
    did not: named, with the system's reason; None if ``err`` is not about such a file."""
    if err.filename is None:
        return None
    return f"{err.filename} could not be written to disk first ({err.strerror or err})"


def disk_full(target: str, needed: int) -> str:
    megabytes = max(1, -(-needed // (1 << 20)))
    return f"disk full ({megabytes} MB needed on {mount_point(target)})"
