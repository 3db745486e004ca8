"""Bytes of a file replaced by bytes of another length, what follows them moved: how an undo
gives back a tag that a write rewrote with another size (``mediakeeper.fs.recorded.Span``'s
``new_length``), and a view of a file as such replacements would leave it, read without
writing anything (so a chain of them is checked whole before the first is made).
"""

from __future__ import annotations

import io
from typing import BinaryIO

CHUNK = 1 << 20  # bytes moved at a time: memory stays bounded whatever the file's size


def splice(work: BinaryIO, at: int, n: int, data: bytes, size: int) -> int:
    """Replace the ``n`` bytes at ``at`` of ``work`` (``size`` bytes long) with ``data``,
    moving the bytes after them; the new size."""
    end, shift = at + n, len(data) - n
    if shift > 0:  # grown: moved from the end backwards, never over bytes still to move
        for stop in range(size, end, -CHUNK):
            start = max(end, stop - CHUNK)
            work.seek(start)
            chunk = work.read(stop - start)
            work.seek(start + shift)
            work.write(chunk)
    elif shift < 0:  # shrunk: moved from the front forwards, then cut
        for start in range(end, size, CHUNK):
            work.seek(start)
            chunk = work.read(min(CHUNK, size - start))
            work.seek(start + shift)
            work.write(chunk)
        work.truncate(size + shift)
    work.seek(at)
    work.write(data)
    return size + shift


class Spliced:
    """``work`` (``size`` bytes) as :meth:`splice` calls would leave it, read without a
    write: runs of the file as it is, and the bytes given."""

    def __init__(self, work: BinaryIO, size: int):
        self._work = work
        self._parts: list[tuple[int, int] | bytes] = [(0, size)] if size else []

    @property
    def size(self) -> int:
        return sum(_length(part) for part in self._parts)

    def read(self, at: int, n: int) -> bytes:
        """Up to ``n`` bytes from ``at``."""
        out = io.BytesIO()
        pos = 0
        for part in self._parts:
            length = _length(part)
            lo, hi = max(at, pos), min(at + n, pos + length)
            if lo < hi:
                if isinstance(part, tuple):
                    self._work.seek(part[0] + lo - pos)
                    out.write(self._work.read(hi - lo))
                else:
                    out.write(part[lo - pos : hi - pos])
            pos += length
        return out.getvalue()

    def splice(self, at: int, n: int, data: bytes) -> None:
        """As :func:`splice` would change the file."""
        before: list[tuple[int, int] | bytes] = []
        after: list[tuple[int, int] | bytes] = []
        pos = 0
        for part in self._parts:
            length = _length(part)
            if pos < at:
                before.append(_cut(part, 0, min(length, at - pos)))
            if pos + length > at + n:
                after.append(_cut(part, max(0, at + n - pos), length))
            pos += length
        self._parts = [part for part in (*before, bytes(data), *after) if _length(part)]


def _length(part: tuple[int, int] | bytes) -> int:
    return part[1] if isinstance(part, tuple) else len(part)


def _cut(part: tuple[int, int] | bytes, lo: int, hi: int) -> tuple[int, int] | bytes:
    """Bytes ``lo`` to ``hi`` of a part."""
    if isinstance(part, tuple):
        return (part[0] + lo, hi - lo)
    return part[lo:hi]
