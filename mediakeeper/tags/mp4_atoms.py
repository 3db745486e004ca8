"""The atoms (boxes) of an ISO base media file (MP4, M4A, M4B, MOV), read from their headers:
the one walk of a file's structure without a parser, for the tag code (the tag list's genre
atoms, ``mp4_genre``; the movie atom an undo keeps whole, ``regions``) and for what reads
media (the byte where an audio file's last atom ends, ``media.promised``; a video cut short,
``movies.cut_short``): ``media`` reads tags, so it walks here.

Every atom begins with its size (32 bits; 1: a 64-bit size follows; 0: it runs to the end of
its parent) and its four-letter type. The walk reads sixteen bytes an atom and nothing of
their content; each caller says what an odd header means to it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

MOST_ATOMS = 10_000  # atoms walked at one level, at most (a tag list holds some dozens)


class Atom(NamedTuple):
    """An atom as its header says: its name, where its header starts, where its content
    starts and where it ends: past the walk's ``stop`` for one cut short. ``open``: its size
    is 0, "to the end of its parent", so ``end`` is the walk's ``stop``, which the header
    itself does not say."""

    name: bytes
    at: int
    content: int
    end: int
    open: bool = False


def atoms(source: BinaryIO, start: int, stop: int, most: int | None = MOST_ATOMS) -> Iterator[Atom]:
    """Each atom from ``start`` to ``stop`` (a parent's content, or the whole file), at most
    ``most`` of them (None: every one). An atom that runs past ``stop`` (the file cut short:
    its ``mdat``, or the ``moov`` after it) is the last one given; the walk ends there too
    after an atom to its parent's end, before a header no atom has (a size smaller than the
    header itself), and where fewer than a header's bytes are left."""
    at = start
    for _ in range(most) if most is not None else itertools.count():
        if at + 8 > stop:
            return
        source.seek(at)
        head = source.read(16)
        if len(head) < 8:
            return
        size, content = int.from_bytes(head[:4], "big"), at + 8
        if size == 1:  # a 64-bit size follows
            if len(head) < 16:
                return
            size, content = int.from_bytes(head[8:16], "big"), at + 16
        if size == 0:
            yield Atom(head[4:8], at, content, stop, open=True)
            return
        if at + size < content:
            return
        yield Atom(head[4:8], at, content, at + size)
        if at + size > stop:
            return
        at += size


def children(source: BinaryIO, start: int, stop: int) -> Iterator[Atom]:
    """The whole atoms of ``atoms``: one cut short ends the walk, not given."""
    return itertools.takewhile(lambda atom: atom.end <= stop, atoms(source, start, stop))
