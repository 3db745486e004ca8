"""The ASF style (WMA): attributes keyed like Vorbis comments, case and all, with totals in
attributes of their own. Keys are Picard's (``table.Field.asf``): "Author", "WM/AlbumArtist",
"WM/TrackNumber", "TotalTracks", "MusicBrainz/Artist Id" and so on.
"""

from __future__ import annotations

import contextlib
from operator import attrgetter
from pathlib import Path

from mutagen.asf import (
    ASFBoolAttribute,
    ASFDWordAttribute,
    ASFQWordAttribute,
    ASFUnicodeAttribute,
    ASFWordAttribute,
)

from mediakeeper.tags.styles import VorbisStyle
from mediakeeper.tags.table import Field
from mediakeeper.tags.values import Flag

_PICTURE = "WM/Picture"
_NUMBERS = (ASFDWordAttribute, ASFQWordAttribute, ASFWordAttribute)


class ASFStyle(VorbisStyle):
    names = staticmethod(attrgetter("asf"))

    def view(self, tags) -> dict[str, list[str]]:
        # Attributes as text (a track number may be stored as a number, a flag as a boolean:
        # "1" or "0"); pictures as bytes.
        view: dict[str, list] = {}
        for name, attribute in tags:
            value = attribute.value
            if isinstance(attribute, ASFBoolAttribute):
                value = "1" if value else "0"
            view.setdefault(name, []).append(value if isinstance(value, bytes) else str(value))
        return view

    def tag_version(self, audio) -> str:
        return "none" if audio.tags is None else "asf"

    def same_key(self, stored: str, name: str) -> bool:
        return stored == name  # ASF attribute names are case-sensitive

    def value_like(self, old, value: str):
        """``value`` as an attribute of ``old``'s kind, language and stream: a number stays
        a number where it reads back as the same text (a track number stored as a DWORD),
        a boolean a boolean where it is "1" or "0" (as the view reads it), so an undo writes
        the attribute back as it was."""
        where = {"language": old.language, "stream": old.stream}
        if isinstance(old, ASFBoolAttribute) and value in ("0", "1"):
            return ASFBoolAttribute(value == "1", **where)
        if isinstance(old, _NUMBERS) and value.isascii() and value.isdigit():
            with contextlib.suppress(ValueError):  # out of the number's range: text
                if str(int(value)) == value:  # "07" would read back as "7"
                    return type(old)(value, **where)
        return ASFUnicodeAttribute(value, **where)

    def new_value(self, field: Field, value: str):
        """A flag new to the file as a boolean attribute, as Windows Media and beets write
        it; any other value as text."""
        parsed = field.type.parse(value) if isinstance(field.type, Flag) else None
        return ASFBoolAttribute(parsed) if isinstance(parsed, bool) else value

    def has_picture(self, audio, view) -> bool:
        return _PICTURE in view

    def picture_bytes(self, audio, view) -> int:
        return sum(len(value) for value in view.get(_PICTURE, ()))

    def lossless(self, audio) -> bool:
        return "Lossless" in (audio.info.codec_name or "")

    def saved_version(self, version: str) -> str:
        return "asf"

    def save(self, audio, target: Path, padding=None) -> None:
        audio.save(target, padding=padding)


ASF_STYLE = ASFStyle()
