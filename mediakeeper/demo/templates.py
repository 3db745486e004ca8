"""How each template in ``mediakeeper/data`` was made (``synth`` copies them into tracks).

Every template is about a second of silence with no tags. Made once and committed; run
``python -m mediakeeper.demo.templates DIR`` to make them again into DIR (ffmpeg from the
``imageio_ffmpeg`` package for the first group).

- ``FFMPEG``: the formats ffmpeg writes, each with the exact command that made it (mono
  8 kHz silence, ``-fflags +bitexact`` so that a rerun gives the same bytes). Ogg FLAC is
  then stripped of the encoder comment ffmpeg adds.
- ``HEADERS``: the formats ffmpeg cannot write (Monkey's Audio, Musepack SV7, TAK,
  OptimFROG, DSF, DSDIFF, Ogg Speex), built here from the structures mutagen's parsers read: their
  headers only, declaring one second, with no coded audio. mutagen identifies, reads and
  tags them like real files; a player would play nothing.
"""

from __future__ import annotations

import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

_IN = "-f lavfi -i anullsrc=r=8000:cl=mono -t 1 -map_metadata -1 -fflags +bitexact"
# Template file name -> ffmpeg arguments after "ffmpeg -v error".
FFMPEG: dict[str, str] = {
    "silence.wav": f"{_IN} -c:a pcm_u8",
    "silence.aiff": _IN.replace("r=8000", "r=4000") + " -c:a pcm_s8",
    "silence.wv": f"{_IN} -c:a wavpack",
    "silence.tta": f"{_IN} -c:a tta",
    "silence.ac3": _IN.replace("r=8000", "r=32000") + " -c:a ac3 -b:a 32k",
    "silence.wma": f"{_IN} -c:a wmav2 -b:a 24k -f asf",
    "silence.m4b": f"{_IN} -c:a aac -b:a 8k -f ipod",
    "silence.mp4": f"{_IN} -c:a aac -b:a 8k -f mp4",
    "silence.3gp": f"{_IN} -c:a aac -b:a 8k -f 3gp",
    "silence.aac": f"{_IN} -c:a aac -b:a 8k -f adts",
    "silence.oggflac": f"{_IN} -c:a flac -f ogg",
}

_RATE = 8000  # samples per second the header-only templates declare (one second of them)


def monkeys_audio() -> bytes:
    """APE 3.99: the descriptor (52 bytes) and the header (24) mutagen's MonkeysAudioInfo
    reads; one frame of 8000 blocks."""
    descriptor = b"MAC " + struct.pack("<HHIIIIIII", 3990, 0, 52, 24, 0, 0, 0, 0, 0)
    descriptor += bytes(16)  # MD5 of nothing stored
    header = struct.pack("<HHIIIHHI", 2000, 0, _RATE, _RATE, 1, 16, 1, _RATE)
    return descriptor + header


def musepack_sv7() -> bytes:
    """Musepack SV7: "MP+", version 7, 39 frames of 1152 samples at 44.1 kHz (~1 s)."""
    return b"MP+\x07" + struct.pack("<II", 39, 0) + bytes(24)


def tak() -> bytes:
    """TAK: "tBaK", a STREAM_INFO block (fields LSB first, as mutagen's reader takes them)
    and an END block."""
    fields = (  # (bits, value)
        (6, 0),  # codec
        (4, 0),  # profile
        (4, 0),  # frame duration
        (35, _RATE),  # samples
        (3, 0),  # data type
        (18, _RATE - 6000),  # sample rate - 6000
        (5, 16 - 8),  # bits per sample - 8
        (4, 0),  # channels - 1
        (1, 0),  # no extension
    )
    value, shift = 0, 0
    for bits, field in fields:
        value |= field << shift
        shift += bits
    info = value.to_bytes((shift + 7) // 8, "little") + bytes(3)  # + CRC
    block = bytes([1]) + len(info).to_bytes(3, "little") + info
    return b"tBaK" + block + bytes(4)  # END: type 0, size 0


def optimfrog() -> bytes:
    """OptimFROG: "OFR ", a 15-byte header (8000 16-bit mono samples at 8 kHz), padded to the
    76 bytes mutagen reads."""
    header = b"OFR " + struct.pack("<IIHBBIHB", 15, _RATE, 0, 2, 0, _RATE, 0, 0)
    return header + bytes(76 - len(header))


def dsf() -> bytes:
    """DSF: the DSD chunk (no metadata yet), the fmt chunk (mono DSD64, one second of
    samples declared) and an empty data chunk."""
    rate = 2_822_400
    fmt = b"fmt " + struct.pack("<QIIIIIIQII", 52, 1, 0, 1, 1, rate, 1, rate, 4096, 0)
    data = b"data" + struct.pack("<Q", 12)
    total = 28 + len(fmt) + len(data)
    return b"DSD " + struct.pack("<QQQ", 28, total, 0) + fmt + data


def _iff_chunk(cid: bytes, body: bytes) -> bytes:
    """A DSDIFF chunk: id, 64-bit big-endian size, body padded to an even length."""
    return cid + struct.pack(">Q", len(body)) + body + b"\x00" * (len(body) % 2)


def dsdiff() -> bytes:
    """DSDIFF: FRM8 "DSD " with its version, the sound properties (DSD64, mono, DST
    compressed) and a DST chunk whose frame table declares 75 frames at 75 a second."""
    prop = b"SND " + _iff_chunk(b"FS  ", struct.pack(">L", 2_822_400))
    prop += _iff_chunk(b"CHNL", struct.pack(">H", 1) + b"C   ")
    prop += _iff_chunk(b"CMPR", b"DST " + bytes([3]) + b"DST")
    body = b"DSD " + _iff_chunk(b"FVER", struct.pack(">L", 0x01050000))
    body += _iff_chunk(b"PROP", prop)
    body += _iff_chunk(b"DST ", _iff_chunk(b"FRTE", struct.pack(">LH", 75, 75)))
    return _iff_chunk(b"FRM8", body)


def ogg_speex() -> bytes:
    """Ogg Speex: the 80-byte Speex header, an empty comment packet and a last page whose
    granule position is one second of 8 kHz narrowband audio."""
    from mutagen.ogg import OggPage

    header = b"Speex   " + b"1.2".ljust(20, b"\x00")
    header += struct.pack("<10i", 1, 80, _RATE, 0, 4, 1, -1, 160, 0, 1) + bytes(8)
    comment = struct.pack("<I", 0) + struct.pack("<I", 0)  # no vendor, no comments
    pages = []
    for sequence, (packet, position) in enumerate(((header, 0), (comment, 0), (b"", _RATE))):
        page = OggPage()
        page.serial, page.sequence, page.position = 0x5EE5, sequence, position
        page.first, page.last = sequence == 0, sequence == 2
        page.packets = [packet]
        pages.append(page.write())
    return b"".join(pages)


HEADERS: dict[str, Callable[[], bytes]] = {
    "silence.ape": monkeys_audio,
    "silence.mpc": musepack_sv7,
    "silence.tak": tak,
    "silence.ofr": optimfrog,
    "silence.dsf": dsf,
    "silence.dff": dsdiff,
    "silence.spx": ogg_speex,
}


def make_all(folder: Path) -> None:  # pragma: no cover - run once by hand
    import imageio_ffmpeg
    import mutagen

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    for name, args in FFMPEG.items():
        out = folder / name
        subprocess.run([ffmpeg, "-v", "error", "-y", *args.split(), str(out)], check=True)
        if name.endswith(".oggflac"):
            audio = mutagen.File(out)
            audio.tags.clear()
            audio.save()
    for name, build in HEADERS.items():
        (folder / name).write_bytes(build())


if __name__ == "__main__":  # pragma: no cover
    make_all(Path(sys.argv[1]))
