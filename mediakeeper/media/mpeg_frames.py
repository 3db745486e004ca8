"""What an MP3's own frames promise: its length and its bytes, read from its first frame's
Xing/Info or VBRI header (the frame count, the stream's bytes, and the LAME tag's encoder
delay and padding), or, for a file without one, from walking its frames to the last.

An MP3 has no container: mutagen's length for a file without a Xing or VBRI header is an
estimate from its size, so a copy cut short agrees with it, and ffmpeg decodes what is left
without a word. What tells such a cut is a header's counts (the decode is shorter than the
frames it promises, its bytes are fewer) or, without one, a last frame cut short: its
header says more bytes than the file still holds.

A flipped byte inside a frame's audio, in a file without CRCs (nearly every MP3), decodes
without an error: neither this nor any decode can see it. The audio checksum recorded when
the file was last found whole does (bit rot).
"""

from __future__ import annotations

import mmap
import os
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

# kbps by [MPEG-1?][layer]; index 0 is free format, 15 is invalid
_BITRATES = {
    (True, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_SEARCH = 1 << 16  # bytes after the tags in which the first frame is looked for
_TAIL = 1 << 14  # the last bytes walked frame by frame (the largest frame is under 3 KB)


@dataclass(frozen=True)
class Frame:
    """One MPEG audio frame's header."""

    at: int
    version: int  # 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
    layer: int  # 1, 2 or 3
    rate: int
    length: int  # bytes, header included
    mono: bool

    @property
    def samples(self) -> int:
        if self.layer == 1:
            return 384
        return 1152 if self.layer == 2 or self.version == 3 else 576


@dataclass(frozen=True)
class Promise:
    """What the MP3's frames say of it."""

    seconds: float = 0.0  # the length its Xing/VBRI header counts; 0: none counts it
    by: str = ""  # the header that counts it, for a message
    end: int = 0  # the byte its audio should reach, by the header's count; 0: not said
    cut: str = ""  # how its frames show it cut short, or ""


def frame_at(data, at: int) -> Frame | None:
    """The frame whose header begins at ``at``, or None: no valid header there."""
    if at + 4 > len(data) or data[at] != 0xFF or data[at + 1] & 0xE0 != 0xE0:
        return None
    b1, b2, b3 = data[at + 1], data[at + 2], data[at + 3]
    version, layer = (b1 >> 3) & 3, 4 - ((b1 >> 1) & 3)
    rate_index, bitrate_index = (b2 >> 2) & 3, b2 >> 4
    if version == 1 or layer == 4 or rate_index == 3 or bitrate_index in (0, 15):
        return None  # reserved values, or free format (no length to walk by)
    rate = _RATES[version][rate_index]
    kbps = _BITRATES[(version == 3, layer)][bitrate_index]
    padding = (b2 >> 1) & 1
    if layer == 1:
        length = (12 * kbps * 1000 // rate + padding) * 4
    else:
        per = 144 if layer == 2 or version == 3 else 72
        length = per * kbps * 1000 // rate + padding
    return Frame(at, version, layer, rate, length, (b3 >> 6) == 3)


def read(path: Path) -> Promise:
    """What ``path``'s frames promise (see the module's docstring); an empty Promise for a
    file whose frames cannot be found (the decode then says what is wrong)."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size == 0:
                return Promise()
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
                return _read(data, size)
    except (OSError, ValueError):
        return Promise()


def _read(data, size: int) -> Promise:
    start = id3v2_end(data)
    first = _first_frame(data, start)
    if first is None:
        return Promise()
    counted = _xing(data, first) or _vbri(data, first)
    if counted is not None:
        return counted
    end = tags_end(data, size)
    last = _in_tail(data, first, end)
    return Promise(cut=_walk(data, last, end) if last else "")


def id3v2_end(data) -> int:
    """Where the audio begins after any ID3v2 tags (one may follow another)."""
    at = 0
    while data[at : at + 3] == b"ID3" and len(data) >= at + 10:
        flags, body = data[at + 5], data[at + 6 : at + 10]
        footer = 10 if flags & 0x10 else 0
        at += 10 + footer + (body[0] << 21 | body[1] << 14 | body[2] << 7 | body[3])
    return at


def _first_frame(data, start: int) -> Frame | None:
    """The first frame after the tags: a valid header followed by another valid header
    (or by the end), so that a stray 0xFF in the tags' padding is not taken for one."""
    at = start
    limit = min(len(data), start + _SEARCH)
    while (at := data.find(b"\xff", at, limit)) >= 0:
        frame = frame_at(data, at)
        if frame is not None:
            after = at + frame.length
            if after >= len(data) or frame_at(data, after) is not None:
                return frame
        at += 1
    return None


def _xing_offset(frame: Frame) -> int:
    """Where a Layer III frame's side information ends: a Xing/Info header begins there."""
    if frame.version == 3:
        return frame.at + 4 + (17 if frame.mono else 32)
    return frame.at + 4 + (9 if frame.mono else 17)


class Xing(NamedTuple):
    """A Layer III frame's Xing/Info header: its tag, its counts (None: not there) and where
    what follows them (a LAME tag) begins."""

    tag: bytes
    frames: int | None
    count: int | None
    after: int


def _xing_header(data, frame: Frame) -> Xing | None:
    at = _xing_offset(frame)
    tag = data[at : at + 4]
    if frame.layer != 3 or tag not in (b"Xing", b"Info"):
        return None
    flags = int.from_bytes(data[at + 4 : at + 8], "big")
    p = at + 8
    frames = count = None
    if flags & 1:
        frames, p = int.from_bytes(data[p : p + 4], "big"), p + 4
    if flags & 2:
        count, p = int.from_bytes(data[p : p + 4], "big"), p + 4
    p += (100 if flags & 4 else 0) + (4 if flags & 8 else 0)
    return Xing(bytes(tag), frames, count, p)


def _xing(data, frame: Frame) -> Promise | None:
    xing = _xing_header(data, frame)
    if xing is None:
        return None
    trimmed = _lame_trim(data, xing.after)
    name = f"its {'LAME/' if trimmed is not None else ''}{xing.tag.decode()} header"
    return _counted(frame, xing.frames or 0, xing.count or 0, trimmed or 0, name)


def xing_frames(path: Path) -> int | None:
    """The frame count ``path``'s Xing (or Info) header holds, or None: no such header, or
    no count in it."""
    try:
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            first = _first_frame(data, id3v2_end(data))
            xing = _xing_header(data, first) if first is not None else None
    except (OSError, ValueError):  # (ValueError: an empty file, which mmap refuses)
        return None
    return xing.frames if xing is not None else None


def _lame_trim(data, at: int) -> int | None:
    """The encoder delay and padding a LAME tag (LAME's, or ffmpeg's ``Lavc``) records, in
    samples, or None: no LAME tag. A decoder drops them: the decode is that much shorter."""
    if data[at : at + 4] not in (b"LAME", b"Lavc", b"Lavf", b"GOGO") or len(data) < at + 24:
        return None
    b0, b1, b2 = data[at + 21], data[at + 22], data[at + 23]
    return (b0 << 4 | b1 >> 4) + ((b1 & 0x0F) << 8 | b2)


def _vbri(data, frame: Frame) -> Promise | None:
    at = frame.at + 4 + 32
    if data[at : at + 4] != b"VBRI":
        return None
    count = int.from_bytes(data[at + 10 : at + 14], "big")
    frames = int.from_bytes(data[at + 14 : at + 18], "big")
    return _counted(frame, frames, count, 0, "its VBRI header")


def _counted(frame: Frame, frames: int, count: int, trim: int, by: str) -> Promise:
    """The promise of a header counting ``frames`` after its own and ``count`` bytes from
    its own frame on (either 0: not counted)."""
    samples = frames * frame.samples - trim
    seconds = samples / frame.rate if frames and samples > 0 else 0.0
    return Promise(seconds=seconds, by=by if seconds else "",
                   end=frame.at + count if count else 0)  # fmt: skip


def tags_end(data, size: int) -> int:
    """Where the audio ends: before an ID3v1 tag and an APEv2 tag at the end, if any."""
    end = size
    if end >= 128 and data[end - 128 : end - 125] == b"TAG":
        end -= 128
    if end >= 32 and data[end - 32 : end - 24] == b"APETAGEX":
        body = int.from_bytes(data[end - 20 : end - 16], "little")
        header = 32 if int.from_bytes(data[end - 12 : end - 8], "little") & (1 << 31) else 0
        end -= body + header
    return max(end, 0)


def _in_tail(data, first: Frame, end: int) -> Frame | None:
    """A frame among the last ``_TAIL`` bytes, to walk to the end from: a header like the
    first frame's (its version, layer and rate) followed by two more, so that a 0xFF in
    the audio is not taken for one. None: no such frame (nothing is judged then)."""
    start = end - _TAIL
    if start <= first.at:
        return first
    at = start
    while (at := data.find(b"\xff", at, end)) >= 0:
        if _chained(data, first, at, end):
            return frame_at(data, at)
        at += 1
    return None


def _chained(data, first: Frame, at: int, end: int, count: int = 3) -> bool:
    for _ in range(count):
        if at >= end:
            return True  # the chain reaches the end (or goes past it: the walk tells)
        frame = frame_at(data, at)
        if frame is None or (frame.version, frame.layer, frame.rate) != (
                first.version, first.layer, first.rate):  # fmt: skip
            return False
        at += frame.length
    return True


def _walk(data, frame: Frame, end: int) -> str:
    """How the frames from ``frame`` on show the file cut short, or "": the last one's
    header says more bytes than are left, or a header itself is cut off. Bytes after the
    last frame that are no frame (an encoder's or a tagger's) are no cut."""
    at = frame.at
    while at < end:
        found = frame_at(data, at)
        if found is None:
            if end - at < 4 and data[at] == 0xFF:
                return f"its last MPEG frame's header is cut off after {end - at} bytes"
            return ""
        if at + found.length > end:
            missing = at + found.length - end
            return (f"its last MPEG frame is cut short ({missing:,} of its "
                    f"{found.length:,} bytes missing)")  # fmt: skip
        at += found.length
    return ""
