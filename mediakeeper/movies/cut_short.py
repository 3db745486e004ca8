"""Is a video file cut short? Told from its container's own sizes, never by decoding it.

A copy that stopped, a download that failed half way: the file has a name and some bytes, and
a player stops (or refuses) part way. The container's headers say how long it should be:

* MP4 / MOV / M4V (ISO BMFF): each top-level box gives its size; a box (its ``mdat``, the
  video itself) that runs past the file's end is a cut, and so is a file whose boxes end
  without a ``moov`` (the index a player needs, written last by most muxers);
* Matroska / WebM: the ``Segment`` element's size (a size written as unknown, as a live
  recording leaves it, tells nothing);
* AVI: each ``RIFF`` chunk's size (an AVI over 1 GB is several).

Anything else (MPEG-TS, MPEG-PS, ISO images, disc folders, a header not understood) is "cannot
tell", never a guess. The cost is a few reads of 16 bytes at the start of the file and at each
top-level box (an MP4 has four or five; a fragmented one many, of which :data:`MAX_BOXES` are
read before giving up), not a read of the video.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from mediakeeper.tags.mp4_atoms import atoms

MAX_BOXES = 256  # a fragmented MP4 has a box pair per few seconds: past this, cannot tell
# The top-level boxes an ISO BMFF / QuickTime file may begin with.
_MP4_FIRST = frozenset({b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"})
_EBML = b"\x1a\x45\xdf\xa3"
_SEGMENT = b"\x18\x53\x80\x67"


def cut_short(path: Path) -> str:
    """How ``path``'s own headers show it cut short ("1,234 bytes of its mdat box missing
    (the file has 5,678)"), or "" when they do not (whole, or a container this cannot tell)."""
    try:
        # Not blocking on a FIFO named like a video (its open would wait for a writer, and
        # the batch with it): only a regular file's headers are read.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:  # unreadable or gone meanwhile: other findings say so
        return ""
    try:
        with open(fd, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                return ""
            size = st.st_size
            head = f.read(16)
            if head[:4] == _EBML:
                return _matroska(f, size)
            if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
                return _avi(f, size)
            if head[4:8] in _MP4_FIRST:
                return _mp4(f, size)
    except OSError:  # unreadable or gone meanwhile: other findings say so
        return ""
    return ""


def _past(what: str, end: int, size: int) -> str:
    missing = end - size
    return f"{missing:,} byte{'s' * (missing != 1)} of {what} missing (the file has {size:,})"


def _mp4(f, size: int) -> str:
    seen, end = set(), 0
    # A header no box has ends the walk: the boxes before it are what is told.
    for n, box in enumerate(atoms(f, 0, size, most=None)):
        if n == MAX_BOXES:
            return ""  # more boxes than read: cannot tell
        # "To the end of the file" (open): the last box, whole by definition.
        if not box.open and not box.name.isascii():
            return ""  # not a box header: damage or a misreading, not told apart here
        if box.end > size:
            return _past(f"its {box.name.decode(errors='replace')} box", box.end, size)
        seen.add(box.name)
        end = box.end
    if end >= size and b"mdat" in seen and b"moov" not in seen and b"moof" not in seen:
        return "it ends without its moov box (the index a player needs, written last)"
    return ""


def _vint(data: bytes, at: int) -> tuple[int, int]:
    """An EBML variable-length integer at ``at``: (value, its length); value -1 for a size
    written as unknown (all its bits set)."""
    first = data[at]
    length = 8 - first.bit_length() + 1
    if not first or at + length > len(data):
        raise ValueError("not an EBML number")
    value = int.from_bytes(data[at : at + length], "big") & ((1 << (7 * length)) - 1)
    return (-1 if value == (1 << (7 * length)) - 1 else value), length


def _matroska(f, size: int) -> str:
    f.seek(0)
    data = f.read(64)
    try:
        at = 4
        header_size, n = _vint(data, at)
        at += n + header_size  # past the EBML header
        f.seek(at)
        data = f.read(12)
        if data[:4] != _SEGMENT:
            return ""
        segment_size, n = _vint(data, 4)
    except (ValueError, IndexError):
        return ""
    if segment_size < 0:
        return ""
    end = at + 4 + n + segment_size
    return _past("its Segment", end, size) if end > size else ""


def _avi(f, size: int) -> str:
    at = 0
    for _ in range(MAX_BOXES):
        if at + 12 > size:
            return ""
        f.seek(at)
        head = f.read(12)
        if head[:4] != b"RIFF":
            return ""  # bytes after the last RIFF chunk: not the video's
        end = at + 8 + int.from_bytes(head[4:8], "little")
        if end > size:
            return _past(f"its RIFF {head[8:12].decode(errors='replace').strip()} chunk", end, size)
        at = end + (end & 1)
    return ""
