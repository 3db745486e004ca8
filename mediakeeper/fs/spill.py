"""Spills: what would grow with a library kept in a private file instead of in memory.

``Spill`` is an unlinked file (nobody else can open it; gone when closed, or when the process
ends however it ends) that is only appended to and read at offsets. Where none can be made,
or the disk takes no more (full, over a quota, past a file-size limit), what it holds moves to
memory and it goes on there: a spill never fails its user.

``SortedRows`` sorts rows without holding them all: what a page listing every item of a
library (each completed item's name) is made from, so its size is not the process's. Rows are
added in any order and held until a run of ``run`` of them is complete; the run is then sorted
and appended to a spill in the temporary folder. Reading merges the runs (``heapq.merge``),
each read a block at a time from its place, so what is held is a block of each run. So that
the runs stay few, FAN_IN runs of one size are merged into one run (appended; the dead space
goes with the spill) as soon as they are there, as a count carries in base FAN_IN: never more
than FAN_IN - 1 runs of a size, about 40 runs at 27,000 artists, 60 at a million. A row is a
tuple of strings and integers, compared as tuples.
"""

from __future__ import annotations

import errno
import heapq
import json
import os
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

RUN = 256  # rows held before they are sorted and written out
_BLOCK = 4096  # bytes read at a time from a run
FAN_IN = 16  # runs of one size merged into one


class Spill:
    """An append-only private file of bytes read back at offsets (or, where none can be made
    or the disk takes no more, memory): a queue store's item lines, sorted runs of rows."""

    __slots__ = ("_fd", "_memory", "directory", "size")

    def __init__(self, directory: Path | None):
        self.directory = directory
        self._fd = _private_file(directory) if directory is not None else None
        self._memory = bytearray() if self._fd is None else None
        self.size = 0

    def append(self, data: bytes) -> int:
        """Write ``data`` at the end; returns where it starts."""
        at = self.size
        if self._fd is not None:
            try:
                done = 0  # at an offset: a forked worker shares the file's position, never this
                while done < len(data):
                    done += os.pwrite(self._fd, data[done:], at + done)
            except OSError:
                # A full disk (or a failing one) refuses the spill: what it holds moves to
                # memory, as it was held before there was a spill, and the batch goes on to
                # meet the full disk where it writes a file of its own, which is named then.
                self._to_memory()
        if self._fd is None:
            self._memory += data
        self.size += len(data)
        return at

    def _to_memory(self) -> None:
        self._memory = bytearray(self.read(0, self.size))
        os.close(self._fd)
        self._fd = None

    def read(self, at: int, count: int) -> bytes:
        """Up to ``count`` bytes from ``at`` (fewer only past the end)."""
        if self._fd is None:
            return bytes(self._memory[at : at + count])
        parts, got = [], 0
        while got < count:
            part = os.pread(self._fd, count - got, at + got)
            if not part:
                break
            parts.append(part)
            got += len(part)
        return b"".join(parts)

    def close(self) -> None:
        if getattr(self, "_fd", None) is not None:
            os.close(self._fd)
        self._fd, self._memory, self.size = None, bytearray(), 0

    __del__ = close


def _private_file(directory: Path) -> int | None:
    """An unlinked file in ``directory`` (for a queue's items, the queue's: on the data home's
    disk, not a /tmp that may be memory); None where the folder takes none (memory then)."""
    try:
        return os.open(directory, os.O_TMPFILE | os.O_RDWR | os.O_CLOEXEC, 0o600)
    except (OSError, AttributeError):
        pass
    import tempfile  # here, as below: only a queue too large for memory spills

    try:
        fd, name = tempfile.mkstemp(dir=directory, prefix=".spill-")
    except OSError:
        return None
    os.unlink(name)  # (a file system without O_TMPFILE: unlinked at once)
    return fd


class SortedRows:
    """Rows added in any order, read back sorted (as often as wanted), held a run at a time.
    Its spill goes with it (``close``, or when it is collected)."""

    def __init__(self, run: int = RUN):
        self._run = run
        self._held: list[tuple] = []
        self._spill: Spill | None = None  # made when the first run is complete
        # Where each run starts and ends in the spill, and how many merges made it.
        self._runs: list[tuple[int, int, int]] = []
        self._count = 0

    def add(self, row: tuple) -> None:
        self._held.append(row)
        self._count += 1
        if len(self._held) >= self._run:
            self._spill_held()

    def _spill_held(self) -> None:
        self._held.sort()
        if self._spill is None:
            self._spill = Spill(_temporary_folder())
        self._append(iter(self._held), 0)
        self._held = []
        while len(self._runs) >= FAN_IN and self._runs[-FAN_IN][2] == self._runs[-1][2]:
            merged, level = self._runs[-FAN_IN:], self._runs[-1][2] + 1
            self._append(heapq.merge(*(self._read(run) for run in merged)), level)
            del self._runs[-FAN_IN - 1 : -1]

    def _append(self, rows: Iterator[tuple], level: int) -> None:
        """``rows`` (sorted) appended to the spill as a run, a block at a time."""
        start = self._spill.size
        # ASCII JSON: any name (a lone surrogate from a file name too) reads back the same.
        lines = (json.dumps(row).encode() + b"\n" for row in rows)
        while block := b"".join(islice(lines, 64)):
            self._spill.append(block)
        self._runs.append((start, self._spill.size, level))

    def _read(self, run: tuple[int, int, int]) -> Iterator[tuple]:
        return _rows(self._spill, run[0], run[1])

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __iter__(self) -> Iterator[tuple]:
        self._held.sort()
        return heapq.merge(*(self._read(run) for run in self._runs), iter(self._held))

    def close(self) -> None:
        if self._spill is not None:
            self._spill.close()
        self._spill, self._runs, self._held, self._count = None, [], [], 0

    def __enter__(self) -> SortedRows:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _temporary_folder() -> Path | None:
    """The system's temporary folder; None where there is none to use (memory then)."""
    import tempfile

    try:
        return Path(tempfile.gettempdir())
    except OSError:
        return None


def _rows(spill: Spill, at: int, end: int) -> Iterator[tuple]:
    """The rows of the run from ``at`` to ``end``, read at offsets: two readings at once
    never share a place."""
    rest = b""
    while at < end:
        block = spill.read(at, min(_BLOCK, end - at))
        if not block:
            raise OSError(errno.EIO, "a spill of sorted rows was cut short")
        at += len(block)
        *lines, rest = (rest + block).split(b"\n")
        yield from (tuple(json.loads(line)) for line in lines)
