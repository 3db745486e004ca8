"""A book's chapters written into its MP4 by the toolkit, both ways players read them, exact.

- A QuickTime chapter track: a disabled text track, one sample per chapter (its title), that
  the audio track names in a ``tref``/``chap`` box. Apple's players, ffprobe and
  music-metadata read it. Each sample is a chunk of its own and each has its own ``stts``
  entry: music-metadata 11 (what npm installs on Node 20) takes one chapter per chunk and a
  start per ``stts`` entry, so ffmpeg's track (every title in one chunk, equal lengths in
  one entry) read as one chapter there. Times in milliseconds, the track's timescale.
- Nero's ``chpl`` list in ``moov/udta``: a start in 100 ns units and a title each (at most
  255 chapters, titles of 255 bytes: its counts are one byte). mutagen reads it.

``write`` copies an MP4 that has no chapters (ffmpeg's, index before or after its audio)
into one laid out for streaming: ``ftyp``, the index (``moov``) with the chapters, then the
media data, the titles' samples first; every chunk offset of the other tracks moved by as
much as the audio moved. Pure: reads one file, writes another.
"""

from __future__ import annotations

import itertools
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mediakeeper.core.errors import MediakeeperError

TIMESCALE = 1000  # the chapter track's: starts exact to the millisecond
NERO_MOST = 255  # chapters a ``chpl`` holds at most (its count is one byte)
_TITLE_MOST = 255  # bytes of a ``chpl`` title (its length is one byte)
_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"udta", b"tref", b"edts",
               b"dinf"}  # fmt: skip
_CHUNK = 1 << 20
# A text sample's ``encd`` box: its text is UTF-8 (QuickTime's text sample extension).
_UTF8 = struct.pack(">I4sI", 12, b"encd", 0x100)
# The text sample entry QuickTime's chapter tracks carry (ffmpeg writes the same): display
# flags, no justification or colours, the default font (``ftab``: font 1, no name).
_TEXT_ENTRY = bytes.fromhex(
    "0000003b7465787400000000000000010000000100000000000000000000000000000000000000010000"
    "000000000000000d667461620001000100"
)
_GMHD = bytes.fromhex(
    "0000004c676d686400000018676d696e00000000004080008000800000000000"
    "0000002c74657874000100000000000000000000000000000001000000000000000000000000000040000000"
)
_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


class ChaptersFailed(MediakeeperError):
    """The file given is not an MP4 the chapters can be written into."""


@dataclass
class Box:
    """An MP4 box: its type, and its payload, or the boxes a container holds."""

    kind: bytes
    data: bytes = b""
    children: list[Box] = field(default_factory=list)
    container: bool = False

    def find(self, kind: bytes) -> Box | None:
        return next((b for b in self.children if b.kind == kind), None)

    def get(self, *kinds: bytes) -> Box:
        """The box at the path ``kinds`` under this one; ChaptersFailed if there is none."""
        found: Box | None = self
        for kind in kinds:
            found = found.find(kind) if found is not None else None
        if found is None:
            raise ChaptersFailed(f"no {'/'.join(k.decode() for k in kinds)} in the book")
        return found

    def serialised(self) -> bytes:
        payload = b"".join(b.serialised() for b in self.children) if self.container else self.data
        return _box_header(self.kind, len(payload)) + payload


def _holding(kind: bytes, *children: Box) -> Box:
    return Box(kind, children=list(children), container=True)


def write(source: Path, target: Path, chapters: Sequence[tuple[str, float]],
          total: float) -> None:  # fmt: skip
    """``source`` copied to ``target`` with ``chapters`` ((title, start in seconds), the
    first at 0) over ``total`` seconds, as a chapter track and a Nero list."""
    with open(source, "rb") as f:
        top = _top_level(f)
        kinds = [kind for kind, _, _ in top]
        if kinds.count(b"moov") != 1 or kinds.count(b"mdat") != 1 or kinds[0] != b"ftyp":
            raise ChaptersFailed(f"{source.name}: not an MP4 of one index and one media data "
                                 f"({b' '.join(kinds).decode('latin-1')})")  # fmt: skip
        where = {kind: (at, size) for kind, at, size in top}
        f.seek(where[b"ftyp"][0])
        ftyp = f.read(where[b"ftyp"][1])
        f.seek(where[b"moov"][0])
        moov = _holding(b"moov", *_parse(f.read(where[b"moov"][1])[8:]))
        data_at, data_size = _payload(f, *where[b"mdat"])
        titles = [title for title, _ in chapters]
        samples = [_text_sample(title) for title in titles]
        texts = b"".join(samples)
        index = _with_chapters(moov, titles, samples, _milliseconds(chapters, total), len(ftyp),
                               data_at, data_size)  # fmt: skip
        with open(target, "wb") as out:
            out.write(ftyp + index + _box_header(b"mdat", len(texts) + data_size) + texts)
            f.seek(data_at)
            left = data_size
            while left:
                block = f.read(min(_CHUNK, left))
                if not block:
                    raise ChaptersFailed(f"{source.name}: its media data ends early")
                out.write(block)
                left -= len(block)
            out.flush()
            os.fsync(out.fileno())


def _top_level(f) -> list[tuple[bytes, int, int]]:
    """(type, offset, size) of each top-level box."""
    found = []
    end = f.seek(0, os.SEEK_END)
    at = 0
    while at < end:
        f.seek(at)
        head = f.read(16)
        size, kind = struct.unpack(">I4s", head[:8])
        if size == 1:
            size = struct.unpack(">Q", head[8:16])[0]
        elif size == 0:
            size = end - at
        if size < 8 or at + size > end:
            raise ChaptersFailed(f"{f.name}: a box ({kind!r}) runs past the file's end")
        found.append((kind, at, size))
        at += size
    return found


def _payload(f, at: int, size: int) -> tuple[int, int]:
    """Where a top-level box's payload begins, and its size."""
    f.seek(at)
    header = 16 if struct.unpack(">I", f.read(4))[0] == 1 else 8
    return at + header, size - header


def _parse(data: bytes) -> list[Box]:
    boxes = []
    at = 0
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        header = 8
        if size == 1:
            size, header = struct.unpack(">Q", data[at + 8 : at + 16])[0], 16
        elif size == 0:
            size = len(data) - at
        payload = data[at + header : at + size]
        if kind in _CONTAINERS:
            boxes.append(_holding(kind, *_parse(payload)))
        else:
            boxes.append(Box(kind, payload))
        at += size
    return boxes


def _box_header(kind: bytes, payload: int) -> bytes:
    if payload + 8 <= 0xFFFFFFFF:
        return struct.pack(">I4s", payload + 8, kind)
    return struct.pack(">I4sQ", 1, kind, payload + 16)


def _text_sample(title: str) -> bytes:
    text = title.encode("utf-8")[:0xFFFF]
    return struct.pack(">H", len(text)) + text + _UTF8


def _milliseconds(chapters: Sequence[tuple[str, float]], total: float) -> list[int]:
    """Each chapter's start and, last, the end: milliseconds, never going back."""
    marks = [round(start * TIMESCALE) for _, start in chapters]
    if not marks or marks[0] != 0 or any(b < a for a, b in itertools.pairwise(marks)):
        raise ChaptersFailed(f"chapter starts must begin at 0 and go forward: {marks}")
    return [*marks, max(marks[-1] + 1, round(total * TIMESCALE))]


def _with_chapters(moov: Box, titles: list[str], samples: list[bytes], marks: list[int],
                   ftyp: int, data_at: int, data_size: int) -> bytes:  # fmt: skip
    """The index with the chapter track and list, serialised for a file laid out as ftyp
    (``ftyp`` bytes), this index, then the media data: the titles' ``samples``, then the
    old media data (``data_size`` bytes that began at ``data_at``)."""
    moov.children = [b for b in moov.children if not _is_text_track(b)]  # (ffmpeg's)
    mvhd = moov.get(b"mvhd")
    movie_scale = _u32(mvhd.data, 12 if mvhd.data[0] == 0 else 20)
    movie_total = round(marks[-1] * movie_scale / TIMESCALE)
    if movie_total > 0xFFFFFFFF:
        raise ChaptersFailed(f"the book's length does not fit its timescale {movie_scale}")
    tracks = [b for b in moov.children if b.kind == b"trak"]
    track_id = max([_u32(mvhd.data, len(mvhd.data) - 4), *(_track_id(t) + 1 for t in tracks)])
    mvhd.data = mvhd.data[:-4] + struct.pack(">I", track_id + 1)  # the next free id
    _name_chapter_track(_audio_track(tracks), track_id)
    udta = moov.find(b"udta")
    if udta is None:
        udta = _holding(b"udta")
        moov.children.append(udta)
    udta.children = [b for b in udta.children if b.kind != b"chpl"]
    udta.children.append(_chpl(titles, marks))
    texts = sum(map(len, samples))
    wide = ftyp + data_at + data_size + texts + (1 << 20) > 0xFFFFFFFF
    chapter_track = _chapter_track(track_id, samples, marks, movie_total, [0] * len(samples),
                                   wide)  # fmt: skip
    moov.children.append(chapter_track)
    # The index's own size moves the media data: measured with the offsets' width fixed,
    # so the size does not depend on their values.
    size = len(moov.serialised())
    new_data = ftyp + size + len(_box_header(b"mdat", texts + data_size))
    offsets = list(itertools.accumulate((len(s) for s in samples[:-1]), initial=new_data))
    moov.children[-1] = _chapter_track(track_id, samples, marks, movie_total, offsets, wide)
    for track in tracks:
        _move_chunks(track, new_data + texts - data_at)
    built = moov.serialised()
    if len(built) != size:
        raise ChaptersFailed("the index changed size as its offsets were written")
    return built


def _u32(data: bytes, at: int) -> int:
    return struct.unpack(">I", data[at : at + 4])[0]


def _is_text_track(box: Box) -> bool:
    return box.kind == b"trak" and _handler(box) == b"text"


def _handler(track: Box) -> bytes:
    return track.get(b"mdia", b"hdlr").data[8:12]


def _track_id(track: Box) -> int:
    tkhd = track.get(b"tkhd").data
    return _u32(tkhd, 12 if tkhd[0] == 0 else 20)


def _audio_track(tracks: list[Box]) -> Box:
    for track in tracks:
        if _handler(track) == b"soun":
            return track
    raise ChaptersFailed("the book has no audio track")


def _name_chapter_track(audio: Box, track_id: int) -> None:
    """The audio track's ``tref``/``chap``: its chapters are track ``track_id``."""
    audio.children = [b for b in audio.children if b.kind != b"tref"]
    at = next(n for n, b in enumerate(audio.children) if b.kind == b"mdia")
    audio.children.insert(at, _holding(b"tref", Box(b"chap", struct.pack(">I", track_id))))


def _chpl(titles: list[str], marks: list[int]) -> Box:
    """Nero's list: version 1, a count byte, then each start (100 ns) and title."""
    count = min(len(titles), NERO_MOST)
    body = bytearray(struct.pack(">B3xIB", 1, 0, count))
    for title, start in zip(titles[:count], marks, strict=False):
        text = _cut_utf8(title.encode("utf-8"), _TITLE_MOST)
        body += struct.pack(">QB", start * 10_000, len(text)) + text
    return Box(b"chpl", bytes(body))


def _cut_utf8(text: bytes, most: int) -> bytes:
    """``text`` cut to ``most`` bytes, never inside a character."""
    return text[:most].decode("utf-8", "ignore").encode("utf-8")


def _chapter_track(track_id: int, samples: list[bytes], marks: list[int], movie_total: int,
                   offsets: list[int], wide: bool) -> Box:  # fmt: skip
    """The text track: disabled (in the movie, not played), one sample per chapter, each
    its own chunk at ``offsets``, each with its own time entry."""
    count = len(samples)
    durations = [b - a for a, b in itertools.pairwise(marks)]
    tkhd = struct.pack(">B3sIIIIIQhhhH", 0, b"\x00\x00\x02", 0, 0, track_id, 0, movie_total,
                       0, 0, 0, 0, 0) + _MATRIX + struct.pack(">II", 0, 0)  # fmt: skip
    elst = struct.pack(">IIIihh", 0, 1, movie_total, 0, 1, 0)
    mdhd = struct.pack(">IIIIIHH", 0, 0, 0, TIMESCALE, marks[-1], 0x55C4, 0)  # "und"
    hdlr = struct.pack(">II4s12x", 0, 0, b"text") + b"Chapters\x00"
    stts = struct.pack(">II", 0, count) + b"".join(struct.pack(">II", 1, d) for d in durations)
    stsc = struct.pack(">IIIII", 0, 1, 1, 1, 1)
    stsz = struct.pack(">III", 0, 0, count) + b"".join(struct.pack(">I", len(s)) for s in samples)
    kind, width = (b"co64", "Q") if wide else (b"stco", "I")
    chunks = struct.pack(f">II{count}{width}", 0, count, *offsets)
    dref = struct.pack(">II", 0, 1) + struct.pack(">I4sI", 12, b"url ", 1)
    stbl = _holding(b"stbl", Box(b"stsd", struct.pack(">II", 0, 1) + _TEXT_ENTRY),
                    Box(b"stts", stts), Box(b"stsc", stsc), Box(b"stsz", stsz),
                    Box(kind, chunks))  # fmt: skip
    minf = _holding(b"minf", Box(b"gmhd", _GMHD[8:]), _holding(b"dinf", Box(b"dref", dref)),
                    stbl)  # fmt: skip
    mdia = _holding(b"mdia", Box(b"mdhd", mdhd), Box(b"hdlr", hdlr), minf)
    return _holding(b"trak", Box(b"tkhd", tkhd), _holding(b"edts", Box(b"elst", elst)), mdia)


def _move_chunks(track: Box, moved: int) -> None:
    """Every chunk offset of ``track`` moved by ``moved`` bytes."""
    for box in track.get(b"mdia", b"minf", b"stbl").children:
        if box.kind in (b"stco", b"co64"):
            width = "I" if box.kind == b"stco" else "Q"
            count = _u32(box.data, 4)
            values = struct.unpack_from(f">{count}{width}", box.data, 8)
            new = [v + moved for v in values]
            if box.kind == b"stco" and max(new, default=0) > 0xFFFFFFFF:
                raise ChaptersFailed("the book's audio moved past 4 GiB: its offsets need co64")
            box.data = box.data[:8] + struct.pack(f">{count}{width}", *new)
