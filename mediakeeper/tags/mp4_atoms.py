"""The atoms of an MP4 file (M4A, M4B), read from their headers: what the tag code needs of a
file's structure that mutagen's atom tree, not public, would tell: the tag list's genre atoms
(``mp4_genre``) and the movie atom an undo keeps whole (``regions``). A few reads, nothing read
in full. (``media.mp4_boxes`` walks the same headers for what reads media: ``tags`` reads
nothing of ``media``.)"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

MOST_ATOMS = 10_000  # atoms walked at one level, at most (a tag list holds some dozens)


class Atom(NamedTuple):
    """An atom as its header says: its name, where its header starts, where its content
    starts and where it ends."""

    name: bytes
    at: int
    content: int
    end: int


def children(source: BinaryIO, start: int, stop: int) -> Iterator[Atom]:
    """Each atom from ``start`` to ``stop`` (a parent's content, or the whole file); one
    whose size runs past ``stop`` (a cut file) or is no atom's ends the walk."""
    at = start
    for _ in range(MOST_ATOMS):
        if at + 8 > stop:
            return
        source.seek(at)
        head = source.read(8)
        if len(head) < 8:
            return
        size, name = struct.unpack(">I4s", head)
        content = at + 8
        if size == 1:  # a 64-bit size follows
            large = source.read(8)
            if len(large) < 8:
                return
            size, content = struct.unpack(">Q", large)[0], at + 16
        elif size == 0:  # to the end of its parent
            size = stop - at
        if size < content - at or at + size > stop:
            return
        yield Atom(name, at, content, at + size)
        at += size
