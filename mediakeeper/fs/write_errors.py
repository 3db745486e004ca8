"""What a person is told when the system refuses a file operation (OSError): which file, and
for a full disk, which file system is full."""

from __future__ import annotations

import errno
import os

from mediakeeper.fs.names import NAME_MAX, name_bytes

FULL = frozenset({errno.ENOSPC, errno.EDQUOT})  # what a full disk or quota says


class OutOfSpace(Exception):
    """A volume the work writes to is full, or short of what the work needs (its error says
    which, and what to do): every next item would meet it too, so it is never one item's
    failure (an ``OSError`` of ``FULL`` is the same)."""


def is_full(err: BaseException) -> bool:
    """Whether ``err`` says a volume is full (``OutOfSpace``, or an ``OSError`` of ``FULL``)."""
    return isinstance(err, OutOfSpace) or (isinstance(err, OSError) and err.errno in FULL)


def mount_point(path: str) -> str:
    """The mount point of the file system holding ``path`` (which may not exist any more: a
    temp file removed after its write failed; or not yet: a target about to be written),
    symbolic links resolved: as the kernel's mount table says (a bind mount is its own, where
    ``os.path.ismount`` sees the file system it lies on), else as ``os.path.ismount`` says."""
    here = os.path.realpath(path)
    while not os.path.exists(here) and here != os.path.dirname(here):
        here = os.path.dirname(here)
    from mediakeeper.system.mounts import holding  # (said of a failed write: not at a start)

    if (point := holding(here)) is not None:
        return point
    while not os.path.ismount(here):
        here = os.path.dirname(here)
    return here


def describe(err: OSError) -> str:
    """One line: a full disk (a read-only one) names the file not written and the full
    (read-only) file system's mount point; any other refusal says what the system said, and
    about which file."""
    name = err.filename if isinstance(err.filename, str) else None
    if err.errno in FULL:
        what = "disk full" if err.errno == errno.ENOSPC else "disk quota exceeded"
        if name is None:
            return f"{what}: a file could not be written ({err.strerror})"
        return (
            f"{what}: could not write {name} (no space left on the file system mounted at "
            f"{mount_point(name)}); free some space there and run this again"
        )
    if err.errno == errno.EROFS and name is not None:
        return (f"read-only file system: could not write {name} (the file system mounted at "
                f"{mount_point(name)} is read-only); mount it read-write and run this again")
    if err.errno == errno.ENAMETOOLONG and name and (long := _too_long(name)):
        return (f"file name too long: {name} (a name of {long:,} bytes, where a file system "
                f"takes {NAME_MAX} at most): give a shorter name")  # fmt: skip
    where = f": {name}" if name else ""
    return f"{err.strerror or err}{where}"


def _too_long(path: str) -> int:
    """The bytes of the longest name in ``path`` where one passes NAME_MAX, else 0 (the
    whole path is then what is too long, as the system says)."""
    return max((n for n in map(name_bytes, path.split(os.sep)) if n > NAME_MAX), default=0)
