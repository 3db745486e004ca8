"""The ASF style (WMA): attributes keyed like Vorbis comments, case and all, with totals in
attributes of their own. Keys are Picard's (``table.Key.asf``): "Author", "WM/AlbumArtist",
"WM/TrackNumber", "TotalTracks", "MusicBrainz/Artist Id" and so on.
"""

from __future__ import annotations

from operator import attrgetter
from pathlib import Path

from mediakeeper.tags.styles import _VorbisStyle

_PICTURE = "WM/Picture"


class ASFStyle(_VorbisStyle):
    names = staticmethod(attrgetter("asf"))

    def view(self, tags) -> dict[str, list[str]]:
        # Attributes as text (a track number may be stored as a number); pictures as bytes.
        view: dict[str, list] = {}
        for name, attribute in tags:
            value = attribute.value
            view.setdefault(name, []).append(value if isinstance(value, bytes) else str(value))
        return view

    def tag_version(self, audio) -> str:
        return "none" if audio.tags is None else "asf"

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
