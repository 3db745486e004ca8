"""A file's embedded cover: read from every container that holds one, and, as the value
``cover``, written and journaled as a tag's is.

The value is the cover as a ``data:`` URI (its type and its bytes, base64): what the change
journal keeps of it, so an undo puts back exactly what was there, and comparing two values
compares the pictures. None: the file holds no picture. Writing a value makes it the
front cover (the front covers it had replaced, its other pictures kept); writing None
takes away the picture the value was read from (the front covers, else the first picture).
The tag write (``write``) and the journal's readers take ``cover`` beside the tag table's
names; only the formats whose pictures mutagen writes (ID3, MP4, FLAC, Ogg) take it.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass
from pathlib import Path

from mutagen.flac import FLAC, Picture
from mutagen.id3 import APIC, ID3
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4, MP4Cover

from mediakeeper.tags.formats import STYLE_OF_FORMAT
from mediakeeper.tags.reading import load, translated
from mediakeeper.tags.styles import ID3_STYLE, MP4_STYLE, VORBIS_STYLE
from mediakeeper.tags.table import COVER as COVER  # the value's name, named there

FRONT = 3  # the picture type of a front cover (ID3, FLAC)
_PICTURE = "METADATA_BLOCK_PICTURE"  # an Ogg file's picture, a FLAC picture block in base64
_URI = re.compile(r"data:([\w.+-]+/[\w.+-]+);base64,([A-Za-z0-9+/=]*)\Z")


@dataclass(frozen=True)
class Cover:
    data: bytes
    mime: str
    kind: int = FRONT
    description: str = ""  # (a value's is none: what a person sets is the picture)


def as_value(cover: Cover | None) -> str | None:
    if cover is None:
        return None
    return f"data:{cover.mime};base64,{base64.b64encode(cover.data).decode('ascii')}"


def from_value(value: str) -> Cover:
    """The cover a value names; ValueError for text that is not a picture's ``data:`` URI."""
    found = _URI.match(value)
    if not found:
        raise ValueError("a cover is written from a data: URI of an image")
    try:
        return Cover(base64.b64decode(found.group(2), validate=True), found.group(1))
    except binascii.Error:
        raise ValueError("the cover's data: URI is not base64") from None


def embedded_cover(audio) -> Cover | None:
    """The front cover embedded in a file mutagen opened (else its first picture): ID3
    APIC, MP4 ``covr``, FLAC picture, Ogg ``METADATA_BLOCK_PICTURE``."""
    if audio is None or audio.tags is None:
        return None
    if isinstance(audio, MP3) or isinstance(audio.tags, ID3):
        apics = audio.tags.getall("APIC")
        best = next((a for a in apics if a.type == FRONT), apics[0]) if apics else None
        return Cover(best.data, best.mime, int(best.type)) if best else None
    if isinstance(audio, MP4):
        covers = audio.tags.get("covr") or []
        if not covers:
            return None
        png = covers[0].imageformat == MP4Cover.FORMAT_PNG
        return Cover(bytes(covers[0]), "image/png" if png else "image/jpeg")
    pictures = _pictures(audio)
    if not pictures:
        return None
    best = next((p for p in pictures if p.type == FRONT), pictures[0])
    return Cover(best.data, best.mime or "image/jpeg", int(best.type))


OTHER = 0  # the picture type of a picture whose type is not known


def embedded_pictures(audio) -> list[Cover]:
    """Every picture embedded in a file mutagen opened, in its order, each with its type and
    description (an MP4 ``covr`` holds neither: its first is taken as the front cover, the
    others as of no known type)."""
    if audio is None or audio.tags is None:
        return []
    if isinstance(audio, MP3) or isinstance(audio.tags, ID3):
        return [Cover(a.data, a.mime, int(a.type), a.desc) for a in audio.tags.getall("APIC")]
    if isinstance(audio, MP4):
        return [Cover(bytes(c), "image/png" if c.imageformat == MP4Cover.FORMAT_PNG
                      else "image/jpeg", FRONT if n == 0 else OTHER)
                for n, c in enumerate(audio.tags.get("covr") or [])]  # fmt: skip
    if not hasattr(audio.tags, "vendor"):  # (APEv2 and the rest: no picture read from them)
        return []
    return [Cover(p.data, p.mime or "image/jpeg", int(p.type), p.desc) for p in _pictures(audio)]


MP4_IMAGES = {"image/jpeg": MP4Cover.FORMAT_JPEG, "image/png": MP4Cover.FORMAT_PNG}


def put_pictures(audio, pictures: list[Cover]) -> list[str]:
    """Make ``pictures`` the pictures of a file mutagen opened, its tags present, each with
    its type and description where the container holds them, as Picard writes them (ID3:
    one APIC each, a description made unique as ID3 asks; MP4: ``covr``, in order). Returns
    what it could not hold, in words: an MP4 holds no types or descriptions, and JPEG and
    PNG pictures only."""
    lost: list[str] = []
    if isinstance(audio, MP3) or isinstance(audio.tags, ID3):
        audio.tags.delall("APIC")
        taken: set[str] = set()
        for picture in pictures:
            desc, n = picture.description, 1
            while desc in taken:  # (a second APIC of one description would replace the first)
                n += 1
                desc = f"{picture.description} ({n})".lstrip()
            taken.add(desc)
            audio.tags.add(APIC(encoding=3, mime=picture.mime, type=picture.kind, desc=desc,
                                data=picture.data))  # fmt: skip
    elif isinstance(audio, MP4):
        held = [p for p in pictures if p.mime in MP4_IMAGES]
        if others := sorted({p.mime for p in pictures} - MP4_IMAGES.keys()):
            lost.append(f"{len(pictures) - len(held)} picture(s) of {', '.join(others)} "
                        "(an MP4 holds JPEG and PNG only)")  # fmt: skip
        if any(p.description or p.kind != (FRONT if n == 0 else OTHER)
               for n, p in enumerate(held)):  # fmt: skip
            lost.append("the pictures' types and descriptions (" + ", ".join(
                f"{_KINDS.get(p.kind, f'type {p.kind}')}" + (f" {p.description!r}"
                if p.description else "") for p in held) + "): an MP4 keeps only their "
                "order, the first taken as the front cover")  # fmt: skip
        if held:
            audio.tags["covr"] = [MP4Cover(p.data, imageformat=MP4_IMAGES[p.mime]) for p in held]
        else:
            audio.tags.pop("covr", None)
    elif hasattr(audio.tags, "vendor"):  # Vorbis comments: FLAC, Ogg Vorbis, Opus
        made = [_picture(p) for p in pictures]
        if isinstance(audio, FLAC):
            audio.clear_pictures()
            for picture in made:
                audio.add_picture(picture)
        else:
            if _PICTURE in audio.tags:
                del audio.tags[_PICTURE]
            if made:
                audio.tags[_PICTURE] = [base64.b64encode(p.write()).decode("ascii") for p in made]
    elif pictures:
        lost.append(f"{len(pictures)} picture(s): its tags hold none")
    return lost


# The picture types' names (ID3 and FLAC share them), for what a message says.
_KINDS = {0: "other", 3: "front cover", 4: "back cover", 5: "leaflet page", 6: "media",
          7: "lead artist", 8: "artist", 18: "illustration", 19: "band logo"}  # fmt: skip


def _picture(cover: Cover) -> Picture:
    made = Picture()
    made.data, made.mime, made.type = cover.data, cover.mime, cover.kind
    made.desc = cover.description
    return made


def cover(path: Path | str) -> str | None:
    """The value of a file's cover (AudioError if it cannot be read)."""
    with translated(path):
        return as_value(embedded_cover(load(path, os.path.splitext(path)[1])))


def takes_cover(fmt: str) -> bool:
    """Whether ``set_cover`` writes into a file of ``fmt`` (``read``'s format names)."""
    return STYLE_OF_FORMAT.get(fmt) in (ID3_STYLE, MP4_STYLE, VORBIS_STYLE)


def set_cover(audio, value: str | None) -> None:
    """Write ``value`` (``as_value``'s) into a file mutagen opened, its tags present."""
    put_cover(audio, from_value(value) if value is not None else None)


def put_cover(audio, cover: Cover | None) -> None:
    """Make ``cover`` the picture of a file mutagen opened, its tags present, as a value
    written does (of its own picture type: a value's is the front cover's); None takes
    the picture away."""
    if isinstance(audio, MP3) or isinstance(audio.tags, ID3):
        apics = audio.tags.getall("APIC")
        audio.tags.delall("APIC")
        for apic in _kept(apics, cover is not None):
            audio.tags.add(apic)
        if cover:
            audio.tags.add(
                APIC(encoding=3, mime=cover.mime, type=cover.kind, desc="", data=cover.data)
            )
    elif isinstance(audio, MP4):
        rest = (audio.tags.get("covr") or [])[1:]
        if cover:
            png = cover.mime == "image/png"
            fmt = MP4Cover.FORMAT_PNG if png else MP4Cover.FORMAT_JPEG
            rest = [MP4Cover(cover.data, imageformat=fmt), *rest]
        if rest:
            audio.tags["covr"] = rest
        else:
            audio.tags.pop("covr", None)
    elif hasattr(audio.tags, "vendor"):  # Vorbis comments: FLAC, Ogg Vorbis, Opus
        kept = _kept(_pictures(audio), cover is not None)
        if cover:
            made = Picture()
            made.data, made.mime, made.type = cover.data, cover.mime, cover.kind
            kept.append(made)
        if isinstance(audio, FLAC):
            audio.clear_pictures()
            for picture in kept:
                audio.add_picture(picture)
        else:
            if _PICTURE in audio.tags:  # Vorbis comment names are read in any case
                del audio.tags[_PICTURE]
            if kept:
                audio.tags[_PICTURE] = [base64.b64encode(p.write()).decode("ascii") for p in kept]
    else:
        raise ValueError("a cover is written to ID3, MP4, FLAC and Ogg files only")


def _kept(pictures: list, replacing: bool) -> list:
    """The pictures a write keeps: all but the front covers (all but the one a value was
    read from, when there is no front cover and the cover is taken away)."""
    fronts = [p for p in pictures if p.type == FRONT]
    if fronts or replacing:
        return [p for p in pictures if p.type != FRONT]
    return pictures[1:]


def _pictures(audio) -> list[Picture]:
    """A Vorbis-comment file's pictures: FLAC's blocks, an Ogg file's comments."""
    if isinstance(audio, FLAC):
        return list(audio.pictures)
    blocks = [v for k, values in audio.tags.items() if k.upper() == _PICTURE for v in values]
    return [Picture(base64.b64decode(b)) for b in blocks]
