"""An MP4's genre as players read it, where the file holds the old numeric ``gnre`` atom.

``gnre`` holds an ID3v1 genre's number plus one (iTunes wrote it before ``©gen``). mutagen
reads it as the genre's name, added to the ``©gen`` values, and its save writes ``©gen``
only: a file with ``gnre`` alone reads and saves as it should. But a file with both (a
tagger added ``©gen`` and left ``gnre``) read as both, the ``gnre`` one first where its atom
comes first; and any write of the file (a title fix) saved both into ``©gen``, so a player
then showed the old numeric genre first, or both. ``©gen`` is the atom that replaced
``gnre``, what a tagger set last: it wins where both are stored (ffmpeg reads whichever
comes last in the file), and a write keeps its values and drops ``gnre``, so every player
then agrees.

mutagen's atom tree is not public, so the ``ilst`` atom's children are found by their
headers (``mp4_atoms``).
"""

from __future__ import annotations

import os
from typing import Any, BinaryIO

from mediakeeper.tags.mp4_atoms import children
from mediakeeper.tags.table import FIELD_OF

_GENRE = FIELD_OF["genre"].mp4  # ©gen, as the tag table keys it
_NUMBERED = b"gnre"


def settle(audio: Any, source: BinaryIO) -> None:
    """Leave in ``audio``'s ``©gen`` (mutagen's MP4, parsed from ``source``, its genre read
    as two values or more: ``tags.reading.load`` asks only then) only the values its
    ``©gen`` atom stores, where the file stores a ``gnre`` atom too."""
    tags = audio.tags
    at = source.tell()
    try:
        order = _genre_atoms(source)
    finally:
        source.seek(at)
    if _NUMBERED not in order or _GENRE.encode("latin-1") not in order:
        return  # gnre alone is the genre; without gnre, nothing was added
    stored = order[_GENRE.encode("latin-1")][1]
    merged = list(tags[_GENRE])
    extra = len(merged) - stored  # the values mutagen read from gnre (none: not a genre)
    if extra <= 0:
        return
    numbered_first = order[_NUMBERED][0] < order[_GENRE.encode("latin-1")][0]
    tags[_GENRE] = merged[extra:] if numbered_first else merged[:stored]


def _genre_atoms(source: BinaryIO) -> dict[bytes, tuple[int, int]]:
    """``©gen`` and ``gnre`` of the tag list (``moov.udta.meta.ilst``), each with its place
    among the list's atoms and its count of ``data`` atoms (its values)."""
    end = source.seek(0, os.SEEK_END)
    span = (0, end)
    for name, skip in ((b"moov", 0), (b"udta", 0), (b"meta", 4), (b"ilst", 0)):
        found = next((a for a in children(source, *span) if a.name == name), None)
        if found is None:
            return {}
        span = (found.content + skip, found.end)
    wanted: dict[bytes, tuple[int, int]] = {}
    for place, atom in enumerate(children(source, *span)):
        if atom.name in (_NUMBERED, _GENRE.encode("latin-1")) and atom.name not in wanted:
            values = sum(c.name == b"data" for c in children(source, atom.content, atom.end))
            wanted[atom.name] = (place, values)
    return wanted
