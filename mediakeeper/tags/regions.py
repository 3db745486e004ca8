"""An MP3's tags at its two ends, kept whole where a write changes their size: what makes the
undo of a write that changed the tag's version byte for byte.

An MP3 keeps its ID3v2 tag at its start and its ID3v1 tag in its last 128 bytes, the audio
between. mutagen cannot write ID3v2.2 and writes no ID3v1-only file: a change to an MP3 with
either (or with no tag at all) rewrites its tag as ID3v2.4, a head of another size, and
moves the audio. The bytes it replaced are then not a few spans of a file that kept its
size (``mediakeeper.fs.recorded``), but the head and the tail as they were: kept whole,
with the length and SHA-256 of what the write put there (``Span.new_length``), once the
audio between is found to be the same bytes after the write as before. An undo gives the
head and tail back, and is itself kept the same way (the file's tags then change version
back), so that its undo gives the fixed bytes back.

An MP4 whose movie atom (its tags within) is its last, after the audio (as ffmpeg writes
it), is kept the same way, that atom its tail: a tag with no padding after it, which a
write rewrites with room, then gets its bytes back too, where mutagen would always leave a
``free`` atom.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import BinaryIO

from mutagen.mp4 import MP4

from mediakeeper.fs.recorded import LIMIT, Recorded, Span
from mediakeeper.tags.formats import BY_EXTENSION, load_mp4_audio
from mediakeeper.tags.mp4_atoms import children

SUFFIXES = (".mp3", ".mp2")  # ID3v2 at the file's start (in WAV and AIFF it is a chunk)
MP4_SUFFIXES = frozenset(s for s, parse in BY_EXTENSION.items() if parse in (MP4, load_mp4_audio))
V1 = 128  # an ID3v1 tag: the file's last bytes, from "TAG"
_CHUNK = 1 << 20


@dataclass
class Ends:
    """An MP3's head (its ID3v2 tag, or nothing) and tail (its ID3v1 tag, or nothing) as
    they were before a write, the file's size then, and the SHA-256 of the audio between
    them: taken just before a write first reaches it (an MP3's tag that changes size moves
    it), None while none has (an MP4's movie atom rewritten after its audio), so that audio
    no write reaches is not read at all (a copy's bytes are read once, by the copy)."""

    head: bytes
    tail: bytes
    size: int
    suffix: str
    middle: str | None = None

    def read_middle(self, work: BinaryIO) -> None:
        self.middle = _sha256(work, len(self.head), self.size - len(self.tail))

    def replaced(self, work: BinaryIO) -> list[Span] | None:
        """What a write that left ``work`` replaced at the file's two ends; None where it
        changed the audio between them too (or left an end too large to keep)."""
        size = work.seek(0, 2)
        head, tail = _lengths(work, size, self.suffix)
        if max(head, tail) > LIMIT:
            return None
        if self.middle is None:  # not written: the same bytes, if still where they were
            if (head, size - tail) != (len(self.head), self.size - len(self.tail)):
                return None
        elif _sha256(work, head, size - tail) != self.middle:
            return None
        spans = []
        if self.head or head:
            spans.append(Span(0, self.head, _sha256(work, 0, head), head))
        if self.tail or tail:
            spans.append(Span(size - tail, self.tail, _sha256(work, size - tail, size), tail))
        return spans


def before(suffix: str, work: Recorded, size: int, *, always: bool = False) -> Ends | None:
    """The ends of an MP3 (a file named with ``suffix``) about to be written, where the write
    may change their size: its tag is not ID3v2.3 or v2.4, which a save keeps as they are
    (``always``: whatever its tag, for a write that puts kept ends back); of an MP4 whose
    movie atom is its last, whatever its tags. None for any other file, or an end too large
    to keep (its undo goes by its values). ``work`` is watched for the first write that
    reaches the audio between them (``Ends.middle``)."""
    suffix = suffix.lower()
    if suffix not in SUFFIXES and suffix not in MP4_SUFFIXES:
        return None
    work.seek(0)
    if suffix in SUFFIXES and not always and work.read(4) in (b"ID3\x03", b"ID3\x04"):
        return None
    head, tail = _lengths(work, size, suffix)
    if max(head, tail) > LIMIT or (suffix in MP4_SUFFIXES and not tail):
        return None
    work.seek(0)
    kept_head = work.read(head)
    work.seek(size - tail)
    ends = Ends(kept_head, work.read(tail), size, suffix)
    work.watch(head, size - tail, lambda: ends.read_middle(work))
    return ends


def _lengths(work: BinaryIO, size: int, suffix: str) -> tuple[int, int]:
    """The bytes of the ID3v2 tag at the start of ``work`` (header, frames, padding and a
    v2.4 footer) and of the ID3v1 tag at its end, each 0 where there is none; of an MP4,
    nothing and its last atom where that is its movie atom (else nothing)."""
    if suffix in MP4_SUFFIXES:
        return 0, _trailing_movie(work, size)
    work.seek(0)
    header = work.read(10)
    head = 0
    if len(header) == 10 and header[:3] == b"ID3" and not any(b & 0x80 for b in header[6:10]):
        head = 10 + sum(b << (7 * (3 - i)) for i, b in enumerate(header[6:10]))
        if header[3] == 4 and header[5] & 0x10:  # a footer: the header again, at the end
            head += 10
        head = min(head, size)
    tail = 0
    if size - head >= V1:
        work.seek(size - V1)
        tail = V1 if work.read(3) == b"TAG" else 0
    return head, tail


def _trailing_movie(work: BinaryIO, size: int) -> int:
    """The bytes from an MP4's movie atom (``moov``) to its end, where that atom is the last
    of the file's top-level atoms and they fill it exactly; 0 otherwise (damaged, or another
    atom after it)."""
    atoms = list(children(work, 0, size))  # top level: a handful
    last = atoms[-1] if atoms else None
    return size - last.at if last and last.end == size and last.name == b"moov" else 0


def _sha256(work: BinaryIO, start: int, end: int) -> str:
    digest = hashlib.sha256()
    work.seek(start)
    while start < end:
        chunk = work.read(min(_CHUNK, end - start))
        if not chunk:
            break
        digest.update(chunk)
        start += len(chunk)
    return digest.hexdigest()
