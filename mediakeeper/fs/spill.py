"""Rows sorted without holding them all: what a page listing every item of a library (each
completed item's name) is made from, so its size is not the process's.

Rows are added in any order and held until a run of ``run`` of them is complete; the run is
then sorted and written to an unnamed temporary file (gone when closed, or when the process
ends however it ends). Reading merges the runs (``heapq.merge``): one row of each run held at a
time, read a block at a time. A row is a tuple of strings and integers, compared as tuples.
"""

from __future__ import annotations

import heapq
import json
import os
import tempfile
from collections.abc import Iterator
from typing import IO

RUN = 4096  # rows held before they are sorted and written out
_BLOCK = 65536  # bytes read at a time from a run


class SortedRows:
    """Rows added in any order, read back sorted (as often as wanted), held a run at a time."""

    def __init__(self, run: int = RUN):
        self._run = run
        self._held: list[tuple] = []
        self._runs: list[IO[bytes]] = []
        self._count = 0

    def add(self, row: tuple) -> None:
        self._held.append(row)
        self._count += 1
        if len(self._held) >= self._run:
            self._spill()

    def _spill(self) -> None:
        self._held.sort()
        run = tempfile.TemporaryFile()  # noqa: SIM115 (kept open: it is read back later)
        # ASCII JSON: any name (a lone surrogate from a file name too) reads back the same.
        run.write(b"".join(json.dumps(row).encode() + b"\n" for row in self._held))
        run.flush()
        self._runs.append(run)
        self._held = []

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __iter__(self) -> Iterator[tuple]:
        self._held.sort()
        return heapq.merge(*(_rows(run.fileno()) for run in self._runs), iter(self._held))

    def close(self) -> None:
        for run in self._runs:
            run.close()
        self._runs, self._held, self._count = [], [], 0

    def __enter__(self) -> SortedRows:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _rows(fd: int) -> Iterator[tuple]:
    """A run's rows, read at offsets (``pread``): two readings at once never share a place."""
    at, rest = 0, b""
    while block := os.pread(fd, _BLOCK, at):
        at += len(block)
        *lines, rest = (rest + block).split(b"\n")
        yield from (tuple(json.loads(line)) for line in lines)
