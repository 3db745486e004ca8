"""The tags of a WAV's RIFF ``LIST``/``INFO`` chunk, read-only.

mutagen reads a WAV's ``id3 `` chunk only, and has no public API for the INFO chunk, where
ffmpeg (``-metadata title=...``), Windows and many rippers write a WAV's tags: such a file
read as untagged, and showed a false ``missing-*`` finding for each field. So the chunk is
read here: the file's top-level chunks walked by their headers (the audio skipped, never
read), each INFO sub-chunk a field. Bounded: at most ``MOST_CHUNKS`` chunks walked and an
INFO list of at most ``MOST_INFO_BYTES`` read; a size running past the file's end ends the
walk (a cut file is read as far as it goes). A WAV's ID3 chunk wins where both hold a field
(``reading``); the toolkit writes the ID3 chunk only, so the INFO chunk keeps what it had.
"""

from __future__ import annotations

import os
import struct
from typing import BinaryIO

MOST_CHUNKS = 1000  # a WAV has a handful (fmt, data, LIST, id3, bext, ...)
MOST_INFO_BYTES = 1 << 20  # a megabyte of text tags: far past any real INFO list

# INFO sub-chunk -> the logical field it holds (ITRK and IPRT: a track number, "3" or "3/9").
FIELDS = {
    b"INAM": "title",
    b"IART": "artist",
    b"IPRD": "album",
    b"ICRD": "date",
    b"IGNR": "genre",
    b"ITRK": "tracknumber",
    b"IPRT": "tracknumber",
    b"ICMT": "comments",
}


def info_tags(source: BinaryIO) -> dict[str, str]:
    """Logical name -> value of each field the file's INFO chunk holds (a track number's
    total as ``tracktotal``); {} for a file with none, or not a RIFF WAVE. The file object's
    position is left where the walk ended."""
    source.seek(0)
    head = source.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return {}
    end = source.seek(0, os.SEEK_END)
    at, found = 12, {}
    for _ in range(MOST_CHUNKS):
        if at + 8 > end:
            break
        source.seek(at)
        name, size = struct.unpack("<4sI", source.read(8))
        if at + 8 + size > end:
            break  # past the file's end: a cut or damaged file, read as far as it goes
        if name == b"LIST" and 4 <= size <= MOST_INFO_BYTES:
            body = source.read(size)
            if body[:4] == b"INFO":
                for key, value in _sub_chunks(body[4:]):
                    field = FIELDS.get(key)
                    if field is not None and value.strip() and field not in found:
                        found[field] = value
        at += 8 + size + (size & 1)  # chunks are padded to an even length
    number, _, total = found.pop("tracknumber", "").partition("/")
    if number.strip():
        found["tracknumber"] = number.strip()
    if total.strip():
        found["tracktotal"] = total.strip()
    return found


def _sub_chunks(body: bytes):
    """(id, text) of each sub-chunk of an INFO list, up to one that runs past its end."""
    at = 0
    while at + 8 <= len(body):
        key, size = struct.unpack_from("<4sI", body, at)
        if at + 8 + size > len(body):
            return
        yield key, _text(body[at + 8 : at + 8 + size])
        at += 8 + size + (size & 1)


def _text(raw: bytes) -> str:
    """A sub-chunk's text: up to its first NUL, as UTF-8 (what ffmpeg and most taggers
    write), else Latin-1 (the older programs' code page, which every byte decodes in). Its
    spaces are kept: a title with a trailing space is the whitespace rule's to find."""
    raw = raw.split(b"\x00", 1)[0]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")
