"""The APEv2 style (Monkey's Audio, WavPack, Musepack, TAK, OptimFROG): keys like Vorbis
comments, case-insensitive, with a number and its total in one value ("3/12") as in ID3.

Keys are Picard's (``table.Key.ape``): "Album Artist", "Track", "Disc", "Year",
``MUSICBRAINZ_ARTISTID`` and so on.
"""

from __future__ import annotations

from operator import attrgetter
from pathlib import Path

from mutagen.apev2 import TEXT
from mutagen.musepack import Musepack

from mediakeeper.tags.styles import _first, _join, _others, _split, _VorbisStyle
from mediakeeper.tags.table import Key

_COVER = "COVER ART"  # "Cover Art (Front)", "Cover Art (Back)", ...


class APEStyle(_VorbisStyle):
    # Written as Picard spells them; mutagen's APEv2 replaces a key in another case.
    names = staticmethod(attrgetter("ape"))

    def view(self, tags) -> dict[str, list[str]]:
        return {key.upper(): list(value) for key, value in tags.items() if value.kind == TEXT}

    def tag_version(self, audio) -> str:
        return "none" if audio.tags is None else "apev2"

    def get(self, tags, key: Key) -> str | None:
        for name in self.names(key):
            # Upper case: the view is, and mutagen's APEv2 finds a key whatever its case.
            upper = name.upper()
            if upper in tags and (value := _first(tags[upper])):
                return value
        return None

    def get_pair(self, tags, number: Key, total: Key) -> tuple[str | None, str | None]:
        return _split(self.get(tags, number))

    def put(self, tags, name: str, value: str) -> bool:
        """The item under ``name`` given ``value``, under its key as the file spells it (an
        APEv2 key ignores case; mutagen saves the case it was last set in, and orders the
        items by size, so the key's case is all that keeps an undo byte for byte)."""
        stored = next((k for k in tags if k.upper() == name.upper()), None)
        if stored is None:
            return False
        tags[stored] = [value, *_others(tags[stored])]
        return True

    def set_pair(self, tags, number: Key, total: Key, values: tuple[str | None, str | None]):
        self.set(tags, number, _join(*values))

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

    def save(self, audio, target: Path, padding=None) -> None:
        audio.save(target)  # APEv2 has no padding: a change of length moves its end


APE_STYLE = APEStyle()
