"""Room kept on the data home's disk for a batch's closing lines.

A batch that fills the disk stops, and then has a few lines still to write: its claims given
back to the queue, its session's end and why it stopped. On a full disk the system refuses
those too, so the next run found claims it had to release "of a run that stopped before it
could record why" and the session listed as unrecorded, as after a kill. The batch therefore
sets a little space aside as it starts (a file of ``SIZE`` bytes, allocated, never written)
and frees it just before it closes: the closing lines take that space.

The file is named as an atomic write's temp file of the batch's process (``fs.names``), so
the sweep of the next command deletes the one a killed batch left (``fs.sweep``).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

SIZE = 128 * 1024  # a release of every item in hand and the session's end, many times over


class Room:
    """Space kept in ``folder`` until :meth:`free`; none where the disk has not that much
    left (the batch then runs as it would without)."""

    def __init__(self, folder: Path) -> None:
        self.path: Path | None = folder / f".room.{os.getpid()}-0.tmp"
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        except OSError:
            self.path = None
            return
        try:
            os.posix_fallocate(fd, 0, SIZE)  # (glibc writes the blocks where the system cannot)
        except OSError:
            self.free()
        finally:
            os.close(fd)

    def free(self) -> None:
        """Give the space back (again: nothing)."""
        if self.path is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.path)
            self.path = None
