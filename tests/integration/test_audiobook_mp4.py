"""The M4B a book becomes, read box by box: a book over 4 GiB through the real batch script,
and the QuickTime chapter track.

Over 4 GiB an MP4 needs 64-bit chunk offsets (``co64``), a 64-bit ``mdat`` size, tags
rewritten by mutagen without moving the audio under stale offsets, and no 32-bit size
anywhere (space checks, copies, hashes). Decoding 4 GiB of ordinary AAC takes minutes, and
the cost of decoding is per frame: so the audio is made of the largest frames ADTS can carry
(8191 bytes, twenty times a 128k frame). Each is a silent frame from ffmpeg's own AAC
encoder, grown with fill elements (``FIL``, which a decoder skips in one jump) inserted
before its ``END`` element: valid AAC that any decoder plays as silence. One such file of
~720 MB is linked six times into the book folder (the backup and the join still copy every
byte of each).
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from mutagen.mp4 import MP4

from mediakeeper.audiobooks.job import AudiobookJob
from mediakeeper.media import ffmpeg

EXE = ffmpeg.find()
RATE = 44100
FRAME = 8191  # the largest ADTS frame: its length field has 13 bits
HEADER = 7  # an ADTS header without CRC
FILES = 6
FOUR_GIB = 1 << 32
# Frames per file: the six files' payloads (what the MP4 holds) reach 4 GiB plus 16 MiB.
PER_FILE = -(-(FOUR_GIB + (16 << 20)) // (FILES * (FRAME - HEADER)))
NEEDED = 20 << 30  # source, backup, ADTS parts and the book at once, with room to spare


def adts_frames(data: bytes) -> list[bytes]:
    frames, at = [], 0
    while at < len(data):
        length = ((data[at + 3] & 3) << 11) | (data[at + 4] << 3) | (data[at + 5] >> 5)
        frames.append(data[at : at + length])
        at += length
    return frames


def fill_to_max(frame: bytes) -> bytes:
    """``frame`` (ADTS, no CRC) grown to FRAME bytes by fill elements before its END.

    A raw data block ends with END (id 7: bits 111) and zero bits up to the byte: END's
    last bit is the last 1-bit. Each FIL element (id 6) is a 4-bit count of 15 plus an
    8-bit escape (count = 14 + escape, at most 269 bytes), then an extension payload of
    type EXT_FILL (0) with its fill nibble and 0xA5 fill bytes."""
    payload = int.from_bytes(frame[HEADER:], "big")
    bits = (len(frame) - HEADER) * 8
    last = (payload & -payload).bit_length() - 1
    kept = bits - last - 3  # the bits before END
    body, room = payload >> (last + 3), (FRAME - HEADER) * 8 - kept - 3
    elements = -(-room // (15 + 269 * 8))
    size = (room - 15 * elements) // 8  # fill bytes in all; fewer than 8 bits stay as padding
    used = kept
    for n in range(elements):
        count = size // elements + (n < size % elements)
        body = (body << 15) | (6 << 12) | (15 << 8) | (count - 14)
        body = (body << (8 * count)) | int.from_bytes(b"\xa5" * (count - 1), "big")
        used += 15 + 8 * count
    body = ((body << 3) | 7) << ((FRAME - HEADER) * 8 - used - 3)
    head = bytearray(frame[:HEADER])
    head[3] = (head[3] & 0xFC) | (FRAME >> 11)
    head[4] = (FRAME >> 3) & 0xFF
    head[5] = ((FRAME & 7) << 5) | (head[5] & 0x1F)
    return bytes(head) + body.to_bytes(FRAME - HEADER, "big")


def big_m4a(where: Path) -> tuple[Path, bytes]:
    """An M4A of PER_FILE maximal silent frames, and the raw AAC of one frame."""
    made = subprocess.run([EXE, "-nostdin", "-v", "error", "-f", "lavfi",
                           "-i", f"anullsrc=r={RATE}:cl=stereo:d=1", "-c:a", "aac", "-f", "adts",
                           "-"], capture_output=True, check=True)  # fmt: skip
    frame = fill_to_max(adts_frames(made.stdout)[5])  # past the first (it says "Lavc")
    m4a = where / "big.m4a"
    wrap = subprocess.Popen([EXE, "-nostdin", "-v", "error", "-f", "aac", "-i", "pipe:0", "-c",
                             "copy", "-y", os.fspath(m4a)], stdin=subprocess.PIPE)  # fmt: skip
    with wrap.stdin as pipe:
        block = frame * 1024
        for _ in range(PER_FILE // 1024):
            pipe.write(block)
        pipe.write(frame * (PER_FILE % 1024))
    assert wrap.wait() == 0
    return m4a, frame[HEADER:]


def boxes(f, start: int, end: int):
    """(type, where its content starts, where it ends) of the MP4 boxes in [start, end)."""
    at = start
    while at + 8 <= end:
        f.seek(at)
        size, kind = struct.unpack(">I4s", f.read(8))
        head = 8
        if size == 1:
            size, head = struct.unpack(">Q", f.read(8))[0], 16
        elif size == 0:
            size = end - at
        yield kind, at + head, at + size
        at += size


def child(f, span: tuple[int, int], kind: bytes) -> tuple[int, int] | None:
    return next(((s, e) for k, s, e in boxes(f, *span) if k == kind), None)


@dataclass(frozen=True)
class Track:
    id: int
    handler: bytes  # b"soun", b"text", ...
    chapters: list[int]  # the track ids its ``tref/chap`` names
    samples: int
    offset_box: bytes  # b"co64" or b"stco"
    offsets: list[int]


def tracks(path: Path) -> list[Track]:
    """The tracks of the MP4 at ``path``, read from its boxes (not by ffmpeg or mutagen)."""
    found = []
    with open(path, "rb") as f:
        for kind, start, end in boxes(f, *child(f, (0, os.fstat(f.fileno()).st_size), b"moov")):
            if kind != b"trak":
                continue
            tkhd = child(f, (start, end), b"tkhd")
            f.seek(tkhd[0])
            f.seek(tkhd[0] + (20 if f.read(1) == b"\x01" else 12))  # past version and times
            (track_id,) = struct.unpack(">I", f.read(4))
            chapters = []
            if (tref := child(f, (start, end), b"tref")) and (chap := child(f, tref, b"chap")):
                f.seek(chap[0])
                chapters = list(struct.unpack(f">{(chap[1] - chap[0]) // 4}I",
                                              f.read(chap[1] - chap[0])))  # fmt: skip
            mdia = child(f, (start, end), b"mdia")
            f.seek(child(f, mdia, b"hdlr")[0] + 8)  # past version, flags and pre_defined
            handler = f.read(4)
            stbl = child(f, child(f, mdia, b"minf"), b"stbl")
            f.seek(child(f, stbl, b"stsz")[0] + 8)  # past version, flags and sample size
            (samples,) = struct.unpack(">I", f.read(4))
            box = b"co64" if child(f, stbl, b"co64") else b"stco"
            f.seek(child(f, stbl, box)[0] + 4)
            (count,) = struct.unpack(">I", f.read(4))
            width = "Q" if box == b"co64" else "I"
            table = f.read(count * struct.calcsize(width))
            offsets = list(struct.unpack(f">{count}{width}", table))
            found.append(Track(track_id, handler, chapters, samples, box, offsets))
    return found


def chapter_track(path: Path) -> Track:
    """The QuickTime chapter track (what Apple's players show) the sound track names."""
    [sound] = [t for t in tracks(path) if t.handler == b"soun"]
    named = [t for t in tracks(path) if t.id in sound.chapters]
    assert len(named) == 1 and named[0].handler == b"text", (sound, tracks(path))
    return named[0]


def same_bytes(first: Path, second: Path) -> bool:
    with open(first, "rb") as a, open(second, "rb") as b:
        while (chunk := a.read(1 << 22)) == b.read(1 << 22):
            if not chunk:
                return True
    return False


@pytest.fixture
def big_room(tmp_path):
    """tmp_path, emptied at the end: pytest keeps the last runs' folders, 13 GB each here."""
    free = shutil.disk_usage(tmp_path).free
    if free < NEEDED:
        pytest.skip(f"a book over 4 GiB needs {NEEDED >> 30} GB free in {tmp_path}, "
                    f"{free >> 30} GB are")  # fmt: skip
    yield tmp_path
    for child in tmp_path.iterdir():
        shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink()


def test_a_book_over_4_gib_is_joined_tagged_and_backed_up_whole(big_room, music_script):
    tmp_path = big_room
    lib, home, out = tmp_path / "lib", tmp_path / "home", tmp_path / "out"
    book = lib / "Jane Doe - Big Book"
    book.mkdir(parents=True)
    source, payload = big_m4a(tmp_path)
    for n in range(1, FILES + 1):
        os.link(source, book / f"Part {n}.m4a")
    assert FILES * source.stat().st_size > FOUR_GIB

    done = music_script("process_audiobook_batch.py", "--home", home, "--library", lib,
                        "--output", out, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr

    m4b = out / "Jane Doe" / "Big Book" / "Big Book.m4b"
    size = m4b.stat().st_size
    assert size > FOUR_GIB
    [document] = (home / "outputs" / "audiobooks").glob("*.json")
    document = json.loads(document.read_text(encoding="utf-8"))
    # Its length is its files': as the batch decoded all of it (its verify), and as the
    # book's own header (read by mutagen) says.
    frame_seconds = 1024 / RATE
    total = FILES * PER_FILE * frame_seconds
    assert abs(document["seconds"] - total) < 0.05, (document["seconds"], total)
    assert abs(MP4(m4b).info.length - total) < 0.05
    # 64-bit chunk offsets, and the last one (past 4 GiB) points at a frame of the audio.
    [sound] = [t for t in tracks(m4b) if t.handler == b"soun"]
    assert sound.offset_box == b"co64"
    assert sound.offsets == sorted(sound.offsets) and sound.offsets[-1] > FOUR_GIB
    with open(m4b, "rb") as f:
        f.seek(sound.offsets[-1])
        assert f.read(len(payload)) == payload
    # What lies past 4 GiB (found through those offsets) decodes, without one error, to the
    # end. (The part before it is what a 32-bit offset reaches too; the batch decoded all.)
    tail = total * (FOUR_GIB - (32 << 20)) / size
    decoded = ffmpeg.run(EXE, ["-xerror", "-ss", f"{tail:.3f}", "-i", os.fspath(m4b),
                               "-map", "0:a:0", "-f", "null", "-"])  # fmt: skip
    assert decoded.returncode == 0 and not decoded.stderr.strip(), decoded.stderr
    assert abs(decoded.seconds - (total - tail)) < 0.05, (decoded.seconds, total - tail)
    # Each mark where its file starts (the files come from ADTS: no priming).
    marks = [c.start for c in MP4(m4b).chapters]
    assert len(marks) == FILES
    assert chapter_track(m4b).samples == FILES  # and Apple's players see them too
    for n, mark in enumerate(marks):
        assert abs(mark - n * PER_FILE * frame_seconds) < 0.05, (n, mark)
    # The tags mutagen wrote (with the audio past 4 GiB left where the offsets say) read back.
    tags = MP4(m4b).tags
    assert tags["\xa9nam"] == ["Big Book"] and tags["\xa9ART"] == ["Jane Doe"]
    assert tags["aART"] == ["Jane Doe"] and tags["stik"] == [2]
    # The backup: copies (not links) of every file, whole, and its metadata.txt.
    backup = Path(document["backup"])
    copies = sorted(p.name for p in backup.iterdir() if p.suffix == ".m4a")
    assert copies == [f"Part {n}.m4a" for n in range(1, FILES + 1)]
    for name in copies:
        assert (backup / name).stat().st_ino != source.stat().st_ino
        assert same_bytes(backup / name, source), name
    meta = (backup / "metadata.txt").read_text(encoding="utf-8")
    assert f"files: {FILES}\n" in meta
    assert f"bytes: {FILES * source.stat().st_size}\n" in meta


def test_a_stream_copied_book_keeps_its_quicktime_chapter_track_past_76_s_chapters(tmp_path):
    """Apple's players show the chapters of the QuickTime chapter track (a text track the
    sound track's ``tref/chap`` names), not Nero's ``chpl`` that mutagen reads back. ffmpeg's
    automatic movie timescale, which the chapter track takes, is 28,224,000 for a stream
    copy from ADTS: a chapter longer than INT_MAX of those (76 s) was refused, the whole
    track dropped, and ffmpeg still exited 0."""
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - Long Chapters"
    book.mkdir(parents=True)
    for n, seconds in enumerate((80, 2), 1):
        made = ffmpeg.run(EXE, ["-f", "lavfi", "-i", f"anullsrc=r={RATE}:cl=stereo:d={seconds}",
                                "-c:a", "aac", os.fspath(book / f"0{n}.m4a")])  # fmt: skip
        assert made.returncode == 0, made.last_error
    AudiobookJob(home=tmp_path / "home", session="s", output=tmp_path / "out").process(
        {"key": book.name, "name": book.name, "path": os.fspath(book), "run_token": "t"}
    )
    m4b = tmp_path / "out" / "Jane Doe" / "Long Chapters" / "Long Chapters.m4b"
    assert [t.handler for t in tracks(m4b)] == [b"soun", b"text"]
    assert chapter_track(m4b).samples == 2
    read = subprocess.run([EXE, "-nostdin", "-v", "error", "-i", m4b, "-f", "null", "-"],
                          capture_output=True, text=True)  # fmt: skip
    assert read.returncode == 0 and read.stderr == ""  # not "QT chapter track not found"
