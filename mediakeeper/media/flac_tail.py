"""Whether a FLAC's frames reach the end its STREAMINFO counts, read from its last bytes.

STREAMINFO counts the samples and the largest block; with a fixed block size (nearly every
encoder's), the last frame's number follows. A whole FLAC ends with that frame: its header
(its CRC-8 right) and, at the file's end, its footer (the CRC-16 of the whole frame, so the
frame's CRC-16 over its bytes and the footer is 0). A FLAC cut short ends inside an earlier
frame, or inside the last one: no frame of the last number whose CRC-16 closes at the end.

A decode of a cut FLAC stops at the cut with an error, as it does at a bad sector; this tells
the two apart where it can, so that a cut is said as a cut (and how much is missing),
without a decode: the last frame is found among the last bytes (a frame is rarely larger
than 64 KB). It claims a cut only where its frames stop before the last one, in a frame
whose CRC never closes: a last frame whose CRC fails may be cut or rotted, and is left to
the decode and the MD5 to tell.
"""

from __future__ import annotations

import os
from pathlib import Path

from mediakeeper.media.mpeg_frames import tags_end

TAIL = 1 << 16


def _table(poly: int, bits: int) -> list[int]:
    top, mask = 1 << (bits - 1), (1 << bits) - 1
    table = []
    for byte in range(256):
        crc = byte << (bits - 8)
        for _ in range(8):
            crc = ((crc << 1) ^ poly if crc & top else crc << 1) & mask
        table.append(crc)
    return table


_CRC8, _CRC16 = _table(0x07, 8), _table(0x8005, 16)


def _crc8(data) -> int:
    crc = 0
    for byte in data:
        crc = _CRC8[crc ^ byte]
    return crc


def _crc16(data) -> int:
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC16[(crc >> 8) ^ byte]
    return crc


def cut(path: Path, total_samples: int, block: int, max_frame: int = 0) -> str:
    """How ``path``'s frames stop short of the end its STREAMINFO counts, or "": whole, or
    nothing to tell by (no count, a variable block size, no frame found among its last
    bytes). ``block``: STREAMINFO's largest block; ``max_frame``: its largest frame, or 0."""
    if total_samples <= 0 or block <= 0:
        return ""
    last = -(-total_samples // block) - 1
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            start = max(0, size - max(TAIL, 2 * max_frame))
            f.seek(start)
            tail = f.read()
    except OSError:
        return ""
    tail = tail[: tags_end(tail, len(tail))]
    found: dict[int, int] = {}  # frame number: where its header is (the last one seen)
    at = len(tail)
    while (at := tail.rfind(b"\xff", 0, at)) >= 0:
        number = _frame_number(tail, at)
        if number is not None and number <= last:
            if number == last and _closes(tail[at:]):
                return ""
            found.setdefault(number, at)
    if not found or max(found) == last:
        # No frame here to tell by; or the last frame is there but its CRC fails: cut
        # inside it, or a byte changed in it. The decode and the MD5 tell.
        return ""
    reached = max(found)
    if _ever_closes(tail[found[reached] :]):
        return ""  # that frame is whole: the next one's header is damaged, not cut off
    return f"its frames stop in frame {reached + 1:,} of {last + 1:,}"


def _closes(frame) -> bool:
    """Whether the frame's CRC-16 closes at the end (zero bytes after it allowed: padding
    a program left, not a cut)."""
    if _crc16(frame) == 0:
        return True
    end = len(frame.rstrip(b"\0"))
    return any(_crc16(frame[: end + k]) == 0 for k in (1, 2) if end + k <= len(frame))


def _ever_closes(frame) -> bool:
    """Whether the frame's CRC-16 closes anywhere in these bytes: it is whole, and what
    follows it is something else."""
    crc = 0
    for i, byte in enumerate(frame):
        crc = ((crc << 8) & 0xFFFF) ^ _CRC16[(crc >> 8) ^ byte]
        if crc == 0 and i > 6:
            return True
    return False


def _frame_number(data, at: int) -> int | None:
    """The frame number of a fixed-block frame header at ``at`` whose CRC-8 is right."""
    if at + 6 > len(data) or data[at + 1] != 0xF8:
        return None
    first = data[at + 4]
    ones = 0
    while ones < 8 and first & (0x80 >> ones):
        ones += 1
    if ones == 1 or ones > 6:
        return None
    length = max(ones, 1)
    number = first & (0x7F >> ones) if ones else first
    p = at + 5
    for _ in range(length - 1):
        if p >= len(data) or data[p] & 0xC0 != 0x80:
            return None
        number = number << 6 | data[p] & 0x3F
        p += 1
    block, rate = data[at + 2] >> 4, data[at + 2] & 0x0F
    if block == 0 or rate == 15:
        return None
    p += {6: 1, 7: 2}.get(block, 0) + {12: 1, 13: 2, 14: 2}.get(rate, 0)
    if p >= len(data) or _crc8(data[at:p]) != data[p]:
        return None
    return number
