"""Rows sorted without holding them all: what a page listing every item of a library (each
completed item's name) is made from, so its size is not the process's.

Rows are added in any order and held until a run of ``run`` of them is complete; the run is
then sorted and appended to one unnamed temporary file (gone when closed, or when the process
ends however it ends). Reading merges the runs (``heapq.merge``), each read a block at a time
from its place in the file, so what is held is a block of each run. So that the runs stay
few, FAN_IN runs of one size are merged into one run (appended; the file's dead space goes
with it) as soon as they are there, as a count carries in base FAN_IN: never more than
FAN_IN - 1 runs of a size, about 40 runs at 27,000 artists, 60 at a million. A row is a tuple
of strings and integers, compared as tuples. Where the temporary folder refuses the file (full,
missing, over a quota), the rows are held in memory from then on: a page is never lost to it.
"""

from __future__ import annotations

import errno
import heapq
import json
import os
import tempfile
from collections.abc import Iterator
from itertools import islice
from typing import IO

from mediakeeper.fs.atomic import write_all

RUN = 256  # rows held before they are sorted and written out
_BLOCK = 4096  # bytes read at a time from a run
FAN_IN = 16  # runs of one size merged into one


class SortedRows:
    """Rows added in any order, read back sorted (as often as wanted), held a run at a time.
    Its file goes with it (``close``, or when it is collected)."""

    def __init__(self, run: int = RUN):
        self._run = run
        self._held: list[tuple] = []
        self._file: IO[bytes] | None = None
        # Where each run starts and ends in the file, and how many merges made it.
        self._runs: list[tuple[int, int, int]] = []
        self._count = 0
        self._spills = True  # until the temporary folder refuses a run

    def add(self, row: tuple) -> None:
        self._held.append(row)
        self._count += 1
        if self._spills and len(self._held) >= self._run:
            self._spill()

    def _spill(self) -> None:
        self._held.sort()
        try:
            if self._file is None:
                self._file = tempfile.TemporaryFile(buffering=0)  # noqa: SIM115 (read back later)
            self._append(iter(self._held), 0)
            self._held = []
            while len(self._runs) >= FAN_IN and self._runs[-FAN_IN][2] == self._runs[-1][2]:
                merged, level = self._runs[-FAN_IN:], self._runs[-1][2] + 1
                self._append(heapq.merge(*(self._read(run) for run in merged)), level)
                del self._runs[-FAN_IN - 1 : -1]
        except OSError:
            # A run cut short is never listed, so the listed runs stay whole. The file now
            # ends in the cut run's bytes, so nothing more goes into it: rows stay in memory.
            self._spills = False

    def _append(self, rows: Iterator[tuple], level: int) -> None:
        """``rows`` (sorted) written at the file's end as a run, a block at a time."""
        fd = self._file.fileno()
        start = end = self._runs[-1][1] if self._runs else 0
        # ASCII JSON: any name (a lone surrogate from a file name too) reads back the same.
        lines = (json.dumps(row).encode() + b"\n" for row in rows)
        while block := b"".join(islice(lines, 64)):
            write_all(fd, block)
            end += len(block)
        self._runs.append((start, end, level))

    def _read(self, run: tuple[int, int, int]) -> Iterator[tuple]:
        return _rows(self._file.fileno(), run[0], run[1])

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __iter__(self) -> Iterator[tuple]:
        self._held.sort()
        return heapq.merge(*(self._read(run) for run in self._runs), iter(self._held))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        self._file, self._runs, self._held, self._count = None, [], [], 0
        self._spills = True

    def __enter__(self) -> SortedRows:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _rows(fd: int, at: int, end: int) -> Iterator[tuple]:
    """The rows of the run from ``at`` to ``end``, read at offsets (``pread``): two readings
    at once never share a place."""
    rest = b""
    while at < end:
        block = os.pread(fd, min(_BLOCK, end - at), at)
        if not block:
            raise OSError(errno.EIO, "a temporary file of sorted rows was cut short")
        at += len(block)
        *lines, rest = (rest + block).split(b"\n")
        yield from (tuple(json.loads(line)) for line in lines)
