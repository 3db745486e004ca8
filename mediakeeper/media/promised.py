"""What an audio file's own headers promise, read before any decode: the length they count
(exact where it is a count of samples or frames, not an estimate from the file's size) and
the byte where its audio should end, so that a file cut short is told, with how much of it
is missing, without decoding anything more.

Each format says it its own way:

- MP3: its first frame's Xing/Info or VBRI header (frames and bytes), or without one its
  frames walked to a last one cut short (``mpeg_frames``);
- MP4/M4A/M4B: ``mdhd``'s duration (mutagen), and its boxes' sizes: a box (the audio's
  ``mdat``) that goes on past the file's end;
- Ogg: its granule positions (mutagen); an Ogg holds no total, so a cut one is told by its
  last page, cut off or not marked end-of-stream (``integrity``);
- FLAC: STREAMINFO's total samples (its MD5 is checked by the decode);
- WAV and AIFF: their ``data``/``SSND`` chunk's size; WavPack: its blocks' total samples,
  and its blocks walked to a last one that goes on past the file's end;
- Monkey's Audio: its descriptor's byte counts; TTA: its seek table's frame sizes; DSF: its
  ``data`` chunk's size.

Pure and cheap: a few small reads of the file (an MP3 without a Xing header: its frames'
headers, one per 26 ms of audio), nothing written.
"""

from __future__ import annotations

import math
import mmap
import os
from dataclasses import dataclass
from pathlib import Path

from mediakeeper.media import flac_tail, mpeg_frames
from mediakeeper.tags.mp4_atoms import atoms

# mutagen's classes whose length is a count (samples, frames, a granule), by class name:
# what says it, for a message.
EXACT = {
    "FLAC": "its STREAMINFO", "WAVE": "its data chunk", "AIFF": "its COMM chunk",
    "WavPack": "its WavPack header", "MP4": "its mdhd", "OggVorbis": "its last Ogg page",
    "OggOpus": "its last Ogg page", "OggFLAC": "its STREAMINFO", "OggSpeex": "its last Ogg page",
    "MonkeysAudio": "its APE header", "TrueAudio": "its TTA header", "DSF": "its fmt chunk",
}  # fmt: skip


@dataclass(frozen=True)
class Promise:
    seconds: float = 0.0  # the length the header gives; 0: unknown
    exact: bool = False  # a count, not an estimate: a shorter decode is a file cut short
    by: str = ""  # what gives the length, for a message ("its LAME/Xing header")
    end: int = 0  # the byte the audio should reach (the file is shorter: cut); 0: not said
    cut: str = ""  # how the header alone shows the file cut short, or ""
    slack: float = 0.0  # seconds the length counts that a decode drops
    to_the_sample: bool = False  # the length counts the very samples a whole decode gives


# Those whose count is of the very samples a whole decode gives, not a count a decoder may
# trim (an encoder's priming, padding) or that rounds to its blocks.
SAMPLE_COUNTS = frozenset({"FLAC", "OggFLAC"})

# Samples an MP4's mdhd may count that its decode drops: an AAC encoder's priming (1024 to
# 2112 samples, skipped by the edit list) and the last frame's padding.
MP4_PRIMING = 2112 + 1024


def read(path: Path, audio) -> Promise:
    """What ``path``'s headers promise; ``audio``: mutagen's reading of it, or None."""
    kind = type(audio).__name__ if audio is not None else ""
    seconds = float(getattr(getattr(audio, "info", None), "length", 0) or 0)
    if kind == "MP3" or (audio is None and path.suffix.lower() == ".mp3"):
        mp3 = mpeg_frames.read(path)
        return Promise(mp3.seconds or seconds, bool(mp3.seconds), mp3.by, mp3.end, mp3.cut)
    end = _end(path, kind)
    exact = seconds > 0 and kind in EXACT and end != UNKNOWN
    cut = _flac_cut(path, audio.info) if kind == "FLAC" else ""
    rate = getattr(audio.info, "sample_rate", 0) if kind == "MP4" else 0
    return Promise(seconds, exact, EXACT.get(kind, "") if exact else "", max(end, 0),
                   cut, MP4_PRIMING / rate if rate else 0.0,
                   exact and kind in SAMPLE_COUNTS)  # fmt: skip


def _flac_cut(path: Path, info) -> str:
    """A FLAC of a fixed block size whose frames stop short of its count (``flac_tail``)."""
    if info.min_blocksize != info.max_blocksize:
        return ""  # a variable block size: the last frame's number is not known
    return flac_tail.cut(path, info.total_samples, info.max_blocksize,
                         getattr(info, "max_framesize", 0))  # fmt: skip


UNKNOWN = -1  # sizes written as unknown (a WAV written to a pipe): the header counts nothing


def _end(path: Path, kind: str) -> int:
    """The byte where the file's audio data ends by its own headers; 0: not said;
    ``UNKNOWN``: said to be unknown."""
    reader = _ENDS.get(kind) or _ENDS.get(path.suffix.lower())
    if reader is None:
        return 0
    try:
        with open(path, "rb") as f:
            return reader(f)
    except (OSError, ValueError, IndexError):
        return 0


def _chunks(f, at: int, end: int, big: bool):
    """(id, where its body starts, its body's size) of each chunk from ``at`` to ``end``."""
    order = "big" if big else "little"
    while at + 8 <= end:
        f.seek(at)
        head = f.read(8)
        if len(head) < 8:
            return
        size = int.from_bytes(head[4:], order)
        yield head[:4], at + 8, size
        at += 8 + size + (size & 1)  # a chunk of an odd size is padded to an even one


def _riff(f) -> int:
    head = f.read(12)
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return 0  # RF64 and others: their sizes are elsewhere
    for name, body, size in _chunks(f, 12, _size(f), big=False):
        if name == b"data":  # 0 or all ones: written before its size was known
            return body + size if 0 < size < 0xFFFFFFFF else UNKNOWN
    return 0


def _aiff(f) -> int:
    head = f.read(12)
    if head[:4] != b"FORM" or head[8:12] not in (b"AIFF", b"AIFC"):
        return 0
    for name, body, size in _chunks(f, 12, _size(f), big=True):
        if name == b"SSND":
            return body + size if size else 0
    return 0


def _dsf(f) -> int:
    """A DSF's chunks count their own 12-byte header in their size: walked apart."""
    head = f.read(28)
    if head[:4] != b"DSD ":
        return 0
    at, end = 28, _size(f)
    while at + 12 <= end:
        f.seek(at)
        chunk = f.read(12)
        size = int.from_bytes(chunk[4:], "little")
        if chunk[:4] == b"data":
            return at + size
        if size < 12:
            return 0
        at += size
    return 0


def _mp4(f) -> int:
    """The end of the box that ends last: an MP4 cut short has a box (its ``mdat``, or the
    ``moov`` after it) whose size goes past the file's end."""
    end = 0  # a header no atom has ends the walk: what came before it is what is said
    for atom in atoms(f, 0, _size(f), most=None):
        if atom.open:
            return 0  # "to the end of the file": not said
        end = atom.end
    return end


def _ape(f) -> int:
    """A Monkey's Audio file of version 3.98 or later: its descriptor counts every part."""
    start = _id3v2_end(f)
    f.seek(start)
    head = f.read(52)
    version = int.from_bytes(head[4:6], "little")
    if head[:4] != b"MAC " or version < 3980 or len(head) < 52:
        return 0
    parts = [int.from_bytes(head[i : i + 4], "little") for i in range(8, 40, 4)]
    descriptor, header, seek, header_data, data, data_high, terminating = parts[:7]
    return start + descriptor + header + seek + header_data + (data_high << 32) + data + terminating


def _tta(f) -> int:
    """A TTA1 file: its header, its seek table (each frame's size) and the frames."""
    start = _id3v2_end(f)
    f.seek(start)
    head = f.read(22)
    if head[:4] != b"TTA1":
        return 0
    rate = int.from_bytes(head[10:14], "little")
    samples = int.from_bytes(head[14:18], "little")
    per_frame = 256 * rate // 245
    if not per_frame:
        return 0
    frames = math.ceil(samples / per_frame)
    table = f.read(4 * frames)
    if len(table) < 4 * frames:
        return start + 22 + 4 * frames + 4  # the seek table itself cut short
    sizes = sum(int.from_bytes(table[i : i + 4], "little") for i in range(0, len(table), 4))
    return start + 22 + 4 * frames + 4 + sizes


def _wavpack(f) -> int:
    """The end of a WavPack file's last block: each block's header says its size, so a file
    cut short has a last block that goes on past its end. (An ffmpeg newer than 5.1 stops at
    that block with a demuxing error, where 5.1 ends the decode quietly: the bytes missing
    tell both apart from damage inside the file.)"""
    at, size, end = 0, _size(f), 0
    while at + 32 <= size:
        f.seek(at)
        head = f.read(8)
        if head[:4] != b"wvpk":
            break  # its APEv2 or ID3v1 tags after the audio
        end = at = at + 8 + int.from_bytes(head[4:8], "little")
    return end


def _id3v2_end(f) -> int:
    """Where the audio begins after any ID3v2 tags (``mpeg_frames``' reading of them)."""
    with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return mpeg_frames.id3v2_end(data)


def _size(f) -> int:
    return os.fstat(f.fileno()).st_size


_ENDS = {
    "WAVE": _riff, ".wav": _riff, "AIFF": _aiff, ".aif": _aiff, ".aiff": _aiff,
    "DSF": _dsf, ".dsf": _dsf, "MP4": _mp4, ".m4a": _mp4, ".m4b": _mp4,
    ".mp4": _mp4, "WavPack": _wavpack, ".wv": _wavpack, "MonkeysAudio": _ape, ".ape": _ape,
    "TrueAudio": _tta, ".tta": _tta,
}  # fmt: skip
