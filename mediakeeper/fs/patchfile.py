"""A file object over a real file that keeps every write in memory: a tag library saves into
it as into the file, and what it wrote is then compared with the file to find the byte ranges
that really change. The real file is only read (``os.pread``).

A save that would move the audio (the tag outgrew its padding) writes far more than a tag:
past ``limit`` bytes written the patch gives up with an OSError (EFBIG) and marks itself
``outgrown``, so the caller swaps the file instead, and memory stays bounded by ``limit``
whatever the file's size.
"""

from __future__ import annotations

import errno
import io
import os

PAGE = 4096
LIMIT = 8 << 20  # bytes written before a save counts as a rewrite, not a patch
# Changed bytes this close together are written as one range: a range costs a journal
# record and a write call; a few unchanged bytes rewritten cost nothing.
GAP = 64


class PatchFile(io.RawIOBase):
    """``fd`` (open for reading, ``size`` bytes) as a writable file whose writes stay here."""

    def __init__(self, fd: int, size: int, limit: int = LIMIT):
        super().__init__()
        self._fd = fd
        self._base = size  # the real file's size
        self._zero_from = size  # base bytes at or past this were cut off by a truncate
        self.size = size
        self._pos = 0
        self._pages: dict[int, bytearray] = {}
        self._limit = limit
        self.outgrown = False
        self._changes: list[tuple[int, bytes, bytes]] | None = None  # as of the last write

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = (0, self._pos, self.size)[whence]
        if base + offset < 0:
            raise OSError(errno.EINVAL, "negative seek position")
        self._pos = base + offset
        return self._pos

    def _page(self, n: int) -> bytes | bytearray:
        """Page ``n`` as the file now holds it (unwritten bytes past the size are zeros)."""
        if n in self._pages:
            return self._pages[n]
        start = n * PAGE
        real = max(0, min(PAGE, self._zero_from - start))
        data = os.pread(self._fd, real, start) if real else b""
        return data + bytes(PAGE - len(data))

    def read(self, size: int | None = -1) -> bytes:
        # A tag library reads a few bytes at a time, nearly all of them the real file's: those
        # come straight from one pread, not through readinto's buffer and a copy of it.
        pos = self._pos
        end = self.size if size is None or size < 0 else min(self.size, pos + size)
        if pos // PAGE not in self._pages and self._clean_run(pos, end) == end - pos:
            data = os.pread(self._fd, end - pos, pos) if end > pos else b""
            self._pos = pos + len(data)
            return data
        return super().read(size)

    def readinto(self, buffer) -> int:
        end = min(self.size, self._pos + len(buffer))
        if end <= self._pos:
            return 0
        out = memoryview(buffer)
        pos, done = self._pos, 0
        while pos < end:
            n, at = divmod(pos, PAGE)
            take = min(PAGE - at, end - pos)
            if n not in self._pages and pos + take <= self._zero_from:
                take = self._clean_run(pos, end)  # unwritten real bytes: one read
                out[done : done + take] = os.pread(self._fd, take, pos)
            else:
                out[done : done + take] = self._page(n)[at : at + take]
            pos += take
            done += take
        self._pos = pos
        return done

    def _clean_run(self, pos: int, end: int) -> int:
        """How many bytes from ``pos`` (before ``end``) are the real file's, unwritten."""
        stop = min(end, self._zero_from)
        n = pos // PAGE + 1
        while n * PAGE < stop and n not in self._pages:
            n += 1
        return min(stop, n * PAGE) - pos

    def write(self, data) -> int:
        self._changes = None
        data = memoryview(data).cast("B")
        if len(self._pages) * PAGE + len(data) > self._limit:
            self.outgrown = True
            raise OSError(errno.EFBIG, "the change does not fit the file's layout")
        pos = self._pos
        done = 0
        while done < len(data):
            n, at = divmod(pos, PAGE)
            take = min(PAGE - at, len(data) - done)
            if n not in self._pages:
                self._pages[n] = bytearray(self._page(n))
            self._pages[n][at : at + take] = data[done : done + take]
            pos += take
            done += take
        self._pos = pos
        self.size = max(self.size, pos)
        return done

    def truncate(self, size: int | None = None) -> int:
        self._changes = None
        size = self._pos if size is None else size
        if size < self.size:
            self._zero_from = min(self._zero_from, size)
            for n in [n for n in self._pages if n * PAGE >= size]:
                del self._pages[n]
            n, at = divmod(size, PAGE)
            if n in self._pages:
                self._pages[n][at:] = bytes(PAGE - at)
        self.size = size
        return size

    def fileno(self) -> int:  # no mmap of the real file: its bytes must not change here
        raise io.UnsupportedOperation("a patch has no file descriptor")

    def changes(self) -> list[tuple[int, bytes, bytes]]:
        """The ranges whose bytes differ from the real file's: (offset, old, new), in order,
        ranges closer than GAP merged. Only meaningful when the size is unchanged. Found once
        after the last write: the tag write and the in-place write both ask for them."""
        if self._changes is None:
            self._changes = self._found_changes()
        return self._changes

    def _found_changes(self) -> list[tuple[int, bytes, bytes]]:
        touched = set(self._pages)
        if self._zero_from < self._base:  # cut off, then written back (or not)
            touched.update(range(self._zero_from // PAGE, -(-self._base // PAGE)))
        spans: list[list[int]] = []
        for n in sorted(touched):
            start = n * PAGE
            end = min(self._base, start + PAGE)
            if start >= end:
                continue
            old = os.pread(self._fd, end - start, start)
            for a, b in differing(old, bytes(self._page(n)[: end - start])):
                if spans and start + a - spans[-1][1] <= GAP:
                    spans[-1][1] = start + b
                else:
                    spans.append([start + a, start + b])
        return [(a, os.pread(self._fd, b - a, a), self._read_at(a, b - a)) for a, b in spans]

    def _read_at(self, at: int, n: int) -> bytes:
        pos = self._pos
        try:
            self._pos = at
            return self.read(n)
        finally:
            self._pos = pos


def differing(old: bytes, new: bytes) -> list[tuple[int, int]]:
    """The spans [a, b) where ``old`` and ``new`` (same length) differ, found GAP bytes at a
    time (a tag rewritten whole is mostly unchanged: its bytes are compared in C) and
    trimmed to the first and last differing byte."""
    if old == new:
        return []
    spans: list[tuple[int, int]] = []
    for c in range(0, len(old), GAP):
        if old[c : c + GAP] == new[c : c + GAP]:
            continue
        a, b = c, min(len(old), c + GAP)
        while old[a] == new[a]:
            a += 1
        while old[b - 1] == new[b - 1]:
            b -= 1
        if spans and spans[-1][1] >= c:
            spans[-1] = (spans[-1][0], b)
        else:
            spans.append((a, b))
    return spans
