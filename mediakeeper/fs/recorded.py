"""A file object that keeps the bytes a save overwrites: what an undo needs to give a file
back byte for byte, whatever the tag library did to its layout (frame order, padding,
field case), as long as the file kept its size.

It wraps the file a change is made in (a patch, a copy, bytes in memory) and passes every
call through; before a page is first written, its bytes as they were are kept. Past
``limit`` kept bytes (a save that moves the audio) it stops keeping them and says so: such
a change is undone by its values instead.

Bytes too many to keep (an MP3's audio between its tags) can be watched instead: whoever
needs them as they were is called just before the first write that reaches them
(``watch``), so that bytes no write reaches are not read at all.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from typing import BinaryIO, NamedTuple

from mediakeeper.fs.patchfile import PAGE, differing

LIMIT = 1 << 20  # bytes kept before a change counts as too large to give back byte for byte


class Span(NamedTuple):
    """Bytes a change replaced: where, what they were, and the SHA-256 of what it wrote;
    ``new_length``: how many bytes it wrote there, where not as many as it replaced (a tag
    rewritten at a file's start or end with another size, the bytes after it moved)."""

    offset: int
    old: bytes
    new_sha256: str
    new_length: int | None = None

    @property
    def written(self) -> int:
        """How many bytes the change left at ``offset``, in place of ``old``."""
        return len(self.old) if self.new_length is None else self.new_length


class Recorded(io.RawIOBase):
    """``work`` (``size`` bytes) passed through, the old bytes of every written page kept."""

    def __init__(self, work: BinaryIO, size: int, limit: int = LIMIT):
        super().__init__()
        self._work = work
        self._base = size
        self._limit = limit
        self._before: dict[int, bytes] = {}
        self.overflowed = False
        self._watched: tuple[int, int, Callable[[], None]] | None = None

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._work.tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._work.seek(offset, whence)

    def readinto(self, buffer) -> int:
        return self._work.readinto(buffer)

    def fileno(self) -> int:  # no mmap around the recorder: every write must pass here
        raise io.UnsupportedOperation("a recorded file has no descriptor")

    def write(self, data) -> int:
        data = memoryview(data).cast("B")
        pos = self._work.tell()
        self._keep(pos, pos + len(data))
        return self._work.write(data)

    def truncate(self, size: int | None = None) -> int:
        size = self._work.tell() if size is None else size
        self._keep(size, self._base)
        return self._work.truncate(size)

    def watch(self, start: int, end: int, before_reached: Callable[[], None]) -> None:
        """Call ``before_reached`` once, just before the first write or truncation that
        reaches [start, end), those bytes still as they were."""
        self._watched = (start, end, before_reached)

    def _keep(self, start: int, end: int) -> None:
        """The pages of [start, end) within the old size, kept before they change (the
        watcher called first, where they reach its bytes)."""
        if self._watched is not None and self._watched[0] < end and start < self._watched[1]:
            before_reached, self._watched = self._watched[2], None
            pos = self._work.tell()
            before_reached()
            self._work.seek(pos)
        if self.overflowed:
            return
        pos = self._work.tell()
        for n in range(start // PAGE, -(-min(end, self._base) // PAGE)):
            if n in self._before:
                continue
            if len(self._before) * PAGE >= self._limit:
                self.overflowed = True
                self._before.clear()
                break
            self._work.seek(n * PAGE)
            self._before[n] = self._work.read(min(PAGE, self._base - n * PAGE))
        self._work.seek(pos)

    def spans(self) -> list[Span] | None:
        """What the change replaced, in order; None where it cannot be given back byte for
        byte (it changed the size, or moved more than ``limit`` bytes)."""
        size = self._work.seek(0, io.SEEK_END)
        if self.overflowed or size != self._base:
            return None
        found: list[Span] = []
        for n in sorted(self._before):
            old = self._before[n]
            self._work.seek(n * PAGE)
            new = self._work.read(len(old))
            for a, b in differing(old, new):
                found.append(Span(n * PAGE + a, old[a:b], hashlib.sha256(new[a:b]).hexdigest()))
        return found
