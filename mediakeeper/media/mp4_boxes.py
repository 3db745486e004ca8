"""The boxes (atoms) of an ISO base media file (MP4, M4A, M4B, MOV), read from their headers.

Every box begins with its size (32 bits; 1: a 64-bit size follows; 0: it runs to the end of
its parent) and its four-letter type. One walk over those headers serves whoever needs a
file's structure without a parser: the byte where an audio file's last box ends
(``promised``), a video cut short (``movies.cut_short``). Each caller says what an odd header
means to it; the walk reads sixteen bytes a box and nothing of their content. (The tag code
keeps its own walk, ``tags.mp4_atoms``: ``media`` reads tags, so ``tags`` reads nothing of
``media``.)
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple


class Box(NamedTuple):
    """A box as its header says: its type, where its header starts, where its content
    starts, and where it ends (None: "to the end of its parent"; before ``content``: a size
    that no box can have, so not a box's header at all)."""

    kind: bytes
    at: int
    content: int
    end: int | None


def boxes(f: BinaryIO, start: int, stop: int, most: int | None = None) -> Iterator[Box]:
    """Each box from ``start`` to ``stop`` (a parent's content, or the whole file), at most
    ``most`` of them. The walk ends after a box whose end is not another box's start: one
    that runs past ``stop`` (the file cut short), one to its parent's end, or a header that
    is not a box's; and where fewer than a header's bytes are left."""
    at = start
    for _ in range(most) if most is not None else itertools.count():
        if at + 8 > stop:
            return
        f.seek(at)
        head = f.read(16)
        if len(head) < 8:
            return
        size, content = int.from_bytes(head[:4], "big"), at + 8
        if size == 1:  # a 64-bit size follows
            if len(head) < 16:
                return
            size, content = int.from_bytes(head[8:16], "big"), at + 16
        end = None if size == 0 else at + size
        yield Box(head[4:8], at, content, end)
        if end is None or end < content or end > stop:
            return
        at = end
