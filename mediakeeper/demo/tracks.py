"""Real audio files for tests, benchmarks and the demo, made from the tiny committed templates.

Each template in ``mediakeeper/data`` is about a second of silence with no tags at all; a
track is a copy of one with tags written through ``mediakeeper.tags`` (the code under test
for reading, the code the product uses for writing). ``mediakeeper.demo.templates`` holds
the exact ffmpeg command, or the header builder, that made each of the newer ones.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Callable, Mapping
from importlib.resources import files
from pathlib import Path

import mutagen
from mutagen.apev2 import BINARY, APEValue
from mutagen.asf import ASFByteArrayAttribute
from mutagen.flac import FLAC, Picture
from mutagen.id3 import APIC, ID3, Encoding
from mutagen.id3 import delete as delete_id3
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4, MP4Cover

from mediakeeper import tags as tagio
from mediakeeper.tags import styles as tagio_styles
from mediakeeper.tags.ape import APE_STYLE
from mediakeeper.tags.asf import ASF_STYLE
from mediakeeper.tags.formats import KINDS

# Every format whose tags are written, by the name tags.read gives it; then those read only.
FORMATS: tuple[str, ...] = (
    *("mp3", "flac", "m4a", "ogg", "opus"),
    *("wav", "aiff", "dsf", "dff", "tta"),  # ID3 in another container
    *("ape", "wv", "mpc", "tak", "ofr"),  # APEv2
    "wma",  # ASF
    *("m4b", "mp4", "3gp"),  # the MP4 family
    *("oggflac", "spx"),  # Vorbis comments in Ogg
)
READ_ONLY: tuple[str, ...] = ("aac", "ac3")
# The file name extension of a format whose name is not one.
_SUFFIX = {"oggflac": "oga"}


def suffix(fmt: str) -> str:
    """The extension a file of ``fmt`` is named with (".oga" for Ogg FLAC)."""
    return "." + _SUFFIX.get(fmt, fmt)

# A valid 1x1 PNG: the smallest real picture every tag format accepts.
PNG_1X1 = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
    b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe"
    b"\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82"
)


def template_bytes(name: str) -> bytes:
    """A template by file name, e.g. ``silence.flac`` or ``silence_64k.mp3`` (64 kbps)."""
    return (files("mediakeeper") / "data" / name).read_bytes()


def make_track(
    dest: Path,
    fmt: str,
    tags: Mapping[str, str],
    *,
    id3_version: int = 4,
    picture: bool = False,
    template: str | None = None,
) -> Path:
    """Write a ``fmt`` file at ``dest`` carrying exactly ``tags`` (logical names); a
    read-only format (``READ_ONLY``) takes no tags."""
    if fmt not in FORMATS + READ_ONLY:
        raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS + READ_ONLY}")
    if fmt in READ_ONLY and (tags or picture):
        raise ValueError(f"{fmt} files cannot hold tags")
    if id3_version not in (3, 4):
        raise ValueError("id3_version must be 3 or 4")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(template_bytes(template or f"silence.{fmt}"))
    style = KINDS[type(mutagen.File(dest))][1]
    id3 = style is tagio_styles.ID3_STYLE
    if id3 and id3_version == 3:  # tags.write keeps the version a file already has
        audio = mutagen.File(dest)
        audio.add_tags()
        audio.save(v2_version=3)
    if fmt not in READ_ONLY:
        tagio.write(dest, dict(tags))
    if picture:
        audio = mutagen.File(dest)
        if audio.tags is None:
            audio.add_tags()
        _EMBED[style](audio)
        if id3 and id3_version == 3:
            audio.tags.update_to_v23()
            audio.save(v2_version=3)
        else:
            audio.save()
    return dest


def _embed_id3(audio: MP3) -> None:
    audio.tags.add(
        APIC(encoding=Encoding.UTF8, mime="image/png", type=3, desc="Cover", data=PNG_1X1)
    )


def _flac_picture() -> Picture:
    pic = Picture()
    pic.type, pic.mime, pic.width, pic.height, pic.depth = 3, "image/png", 1, 1, 24
    pic.data = PNG_1X1
    return pic


def _embed_flac(audio: FLAC) -> None:
    audio.add_picture(_flac_picture())


def _embed_vorbis(audio) -> None:
    if isinstance(audio, FLAC):
        _embed_flac(audio)
        return
    # Ogg has no picture block; the FLAC picture structure goes into a comment, base64'd.
    audio.tags["METADATA_BLOCK_PICTURE"] = [base64.b64encode(_flac_picture().write()).decode()]


def _embed_mp4(audio: MP4) -> None:
    audio.tags["covr"] = [MP4Cover(PNG_1X1, imageformat=MP4Cover.FORMAT_PNG)]


def _embed_ape(audio) -> None:
    # An APEv2 picture: its file name, a zero byte, the image (as foobar2000 and Picard).
    audio.tags["Cover Art (Front)"] = APEValue(b"cover.png\x00" + PNG_1X1, BINARY)


def _embed_asf(audio) -> None:
    # WM/Picture: type, size, MIME type and description (UTF-16, zero-ended), then the image.
    head = bytes([3]) + struct.pack("<I", len(PNG_1X1))
    mime = "image/png\x00".encode("utf-16-le") + "\x00".encode("utf-16-le")
    audio.tags["WM/Picture"] = [ASFByteArrayAttribute(head + mime + PNG_1X1)]


_EMBED: dict[object, Callable] = {
    tagio_styles.ID3_STYLE: _embed_id3,
    tagio_styles.VORBIS_STYLE: _embed_vorbis,
    tagio_styles.MP4_STYLE: _embed_mp4,
    APE_STYLE: _embed_ape,
    ASF_STYLE: _embed_asf,
}


def make_id3v1_only(dest: Path, tags: Mapping[str, str]) -> Path:
    """An MP3 whose only tag is ID3v1 (title, artist, album, date, tracknumber, genre)."""
    make_track(dest, "mp3", tags)
    ID3(dest).save(dest, v1=2)  # v1=2: create the ID3v1 tag from the v2 frames
    delete_id3(dest, delete_v1=False, delete_v2=True)
    return Path(dest)


# ID3v2.2 has three-letter frame ids; mutagen reads them but can no longer write them.
_V22_FRAMES = {
    "title": "TT2",
    "artist": "TP1",
    "albumartist": "TP2",
    "album": "TAL",
    "discnumber": "TPA",
    "date": "TYE",
    "genre": "TCO",
}


def make_id3v22(dest: Path, tags: Mapping[str, str]) -> Path:
    """An MP3 with a raw ID3v2.2 tag in front of the audio (text tags and track numbers)."""
    texts = {_V22_FRAMES[k]: v for k, v in tags.items() if k in _V22_FRAMES}
    unknown = set(tags) - set(_V22_FRAMES) - {"tracknumber", "tracktotal"}
    if unknown:
        raise ValueError(f"ID3v2.2 helper cannot write {sorted(unknown)}")
    if "tracknumber" in tags or "tracktotal" in tags:
        total = tags.get("tracktotal")
        texts["TRK"] = f"{tags.get('tracknumber', '')}/{total}" if total else tags["tracknumber"]
    frames = b"".join(_v22_text_frame(fid, text) for fid, text in texts.items())
    size = len(frames)
    syncsafe = bytes((size >> shift) & 0x7F for shift in (21, 14, 7, 0))
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(b"ID3\x02\x00\x00" + syncsafe + frames + template_bytes("silence.mp3"))
    return dest


def _v22_text_frame(frame_id: str, text: str) -> bytes:
    try:
        body = b"\x00" + text.encode("latin-1")
    except UnicodeEncodeError:
        body = b"\x01" + text.encode("utf-16")  # with BOM, as v2.2 requires
    return frame_id.encode("ascii") + struct.pack(">I", len(body))[1:] + body
