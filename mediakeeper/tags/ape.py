"""The APEv2 style (Monkey's Audio, WavPack, Musepack, TAK, OptimFROG): keys like Vorbis
comments, case-insensitive, with a number and its total in one value ("3/12") as in ID3.

Keys are Picard's (``table.Field.ape``): "Album Artist", "Track", "Disc", "Year",
``MUSICBRAINZ_ARTISTID`` and so on.
"""

from __future__ import annotations

import os
import struct
from operator import attrgetter

from mutagen.apev2 import (
    TEXT,  # where mutagen finds the tag its save replaces
)
from mutagen.musepack import Musepack

from mediakeeper.tags.styles import VorbisStyle, first, join_pair, leading, split_pair
from mediakeeper.tags.table import Field

_COVER = "COVER ART"  # "Cover Art (Front)", "Cover Art (Back)", ...
_FOOTER = 32  # an APEv2 tag's footer: "APETAGEX", version, size, item count, flags, reserved
_V1 = 128  # an ID3v1 tag
_LYRICS3 = b"LYRICS200"


class APEStyle(VorbisStyle):
    # Written as Picard spells them; mutagen's APEv2 replaces a key in another case.
    names = staticmethod(attrgetter("ape"))

    def view(self, tags) -> dict[str, list[str]]:
        return {key.upper(): list(value) for key, value in tags.items() if value.kind == TEXT}

    def tag_version(self, audio) -> str:
        return "none" if audio.tags is None else "apev2"

    def get(self, tags, field: Field) -> str | None:
        for name in self.names(field):
            # Upper case: the view is, and mutagen's APEv2 finds a key whatever its case.
            upper = name.upper()
            if upper in tags and (value := first(tags[upper])):
                return value
        return None

    def texts(self, tags, field: Field) -> list[str]:
        for name in self.names(field):
            upper = name.upper()
            if upper in tags and (found := [value for value in tags[upper] if value]):
                return found
        return []

    def get_pair(self, tags, field: Field) -> tuple[str | None, str | None]:
        return split_pair(self.get(tags, field))

    def put(self, tags, name: str, values) -> bool:
        """The item under ``name`` given ``values`` (its later values kept), under its key
        as the file spells it (an APEv2 key ignores case; mutagen saves the case it was last
        set in, and orders the items by size, so the key's case is all that keeps an undo
        byte for byte)."""
        stored = next((k for k in tags if k.upper() == name.upper()), None)
        if stored is None:
            return False
        tags[stored] = leading(values, tags[stored])
        return True

    def set_pair(self, tags, field: Field, values: tuple[str | None, str | None]):
        self.set(tags, field, join_pair(*values))

    def _pictures(self, audio) -> list[int]:
        tags = audio.tags or {}
        return [len(value.value) for key, value in tags.items() if key.upper().startswith(_COVER)]

    def has_picture(self, audio, view) -> bool:
        return bool(self._pictures(audio))

    def picture_bytes(self, audio, view) -> int:
        return sum(self._pictures(audio))

    def lossless(self, audio) -> bool:
        return not isinstance(audio, Musepack)  # the others are lossless codecs

    def saved_version(self, version: str) -> str:
        return "apev2"

    def save(self, audio, target, padding=None) -> None:
        after = _after_the_tag(target)
        audio.save(target)  # APEv2 has no padding: a change of length moves its end
        _in_stored_order(audio.tags, target)
        if after:  # mutagen's save deleted them: put back after the tag, as they were
            target.seek(0, os.SEEK_END)
            target.write(after)


def _after_the_tag(target) -> bytes:
    """What follows a file's APEv2 tag, which mutagen's save deletes with the tag it writes
    anew: an ID3v1 tag (old rips have one), a Lyrics3v2 block before it, found where mutagen
    finds them; b"" where nothing does."""
    size = target.seek(0, os.SEEK_END)
    if size < _V1 + _FOOTER:
        return b""
    target.seek(size - _V1)
    if target.read(3) != b"TAG":
        return b""
    footers = [size - _V1 - _FOOTER]
    target.seek(size - _V1 - len(_LYRICS3) - 6)
    lyrics = target.read(len(_LYRICS3) + 6)  # a Lyrics3v2 block ends with its size, then this
    if lyrics.endswith(_LYRICS3) and lyrics[:6].isdigit():
        footers.append(size - _V1 - len(lyrics) - int(lyrics[:6]) - _FOOTER)
    for footer in footers:
        target.seek(max(footer, 0))
        if footer >= 0 and target.read(8) == b"APETAGEX":
            target.seek(footer + _FOOTER)
            return target.read()
    return b""


def _in_stored_order(tags, target) -> None:
    """The items mutagen's save just wrote (ordered by size, as the spec advises) put back in
    the order the file kept them, new ones last: a change to one item then changes that item
    alone, and its undo gives the file its bytes back. Same bytes, same length: only their
    order changes; a tag that does not read as written is left as it is."""
    target.seek(-_FOOTER, os.SEEK_END)
    footer = target.read(_FOOTER)
    if not footer.startswith(b"APETAGEX"):
        return
    size, count = struct.unpack("<2I", footer[12:20])
    end = target.tell() - _FOOTER
    start = end - (size - _FOOTER)
    target.seek(start)
    items = _items(target.read(end - start), count)
    order = [key.upper() for key in tags.keys()]  # noqa: SIM118 (not a dict)
    if items is None or sorted(order) != sorted(items):
        return
    target.seek(start)
    target.write(b"".join(items[key] for key in order))


def _items(data: bytes, count: int) -> dict[str, bytes] | None:
    """Each item's bytes (value length, flags, key, NUL, value) by its key in upper case;
    None where ``data`` is not ``count`` items exactly."""
    items: dict[str, bytes] = {}
    at = 0
    for _ in range(count):
        key_end = data.find(b"\0", at + 8)
        if len(data) < at + 8 or key_end < 0:
            return None
        (length,) = struct.unpack("<I", data[at : at + 4])
        key = data[at + 8 : key_end].decode("ascii", "replace").upper()
        items[key], at = data[at : key_end + 1 + length], key_end + 1 + length
    return items if at == len(data) and len(items) == count else None


APE_STYLE = APEStyle()
