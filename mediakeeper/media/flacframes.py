"""The digest of a FLAC's frames: every byte after its metadata blocks, where its audio is.

No tag edit, by the toolkit or another program, touches those bytes (tags, pictures and
padding are metadata blocks), and the same bytes always decode to the same samples: a FLAC
whose frames hash as they did when it was last decoded whole is whole, without decoding it
again.

The digest is the frames' length and CRC-32: what file systems that check their data (btrfs's
crc32c) use to find a disk's damage; it misses a random change once in four billion, and a
change by a program (new audio) changes the STREAMINFO MD5 that is compared as well. It
costs less than a cryptographic hash, which the first pass of every FLAC would pay too, and
a small part of ``flac -t``'s time: a later verify pass, which reads these frames, takes
0.15x ``flac -t``'s CPU (docs/performance.md, Media).
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path

_MAGIC = b"fLaC"
_LAST_BLOCK = 0x80
_CHUNK = 1 << 18  # read into a buffer the CPU cache holds, then summed


def digest(path: Path) -> str:
    """``crc32:<length>:<CRC-32 in hex>`` of ``path``'s frames, or "" for a file that does
    not begin as a FLAC does (an ID3 tag put before it, say) or cannot be read: then
    nothing is compared."""
    try:
        with open(path, "rb", buffering=0) as f:
            if f.read(4) != _MAGIC:
                return ""
            while True:
                head = f.read(4)
                if len(head) < 4:
                    return ""
                f.seek(int.from_bytes(head[1:], "big"), os.SEEK_CUR)
                if head[0] & _LAST_BLOCK:
                    break
            return _crc(f)
    except OSError:
        return ""


def _crc(f) -> str:
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    crc = length = 0
    while read := f.readinto(buffer):
        crc = zlib.crc32(view[:read], crc)  # the GIL let go: the other checks run meanwhile
        length += read
    return f"crc32:{length}:{crc:08x}"
