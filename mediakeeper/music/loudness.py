"""Loudness tags for a music library's files, journaled like every tag change (so
``undo_changes.py`` puts the old values back): the replaygain processor measures, and the
changes go through the tag table (``tags.LOUDNESS``) and ``fixes.apply_changes``.

Per album folder (the tracks of one folder make the album gain), each file gets
``replaygain_track_gain/peak`` and ``replaygain_album_gain/peak``; an Opus file
``r128_track_gain``/``r128_album_gain`` and loses any ``replaygain_*`` (RFC 7845).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from mediakeeper import tags
from mediakeeper.media import replaygain
from mediakeeper.music.fixes import Applied, ChangeJournal, apply_changes
from mediakeeper.music.model import TagChange

_RG = tuple(n for n in tags.LOUDNESS if n.startswith("replaygain_"))


def planned(exe: str, artist_dir: Path, files: Iterable[Path]) -> list[TagChange]:
    """The loudness changes of ``files`` (under ``artist_dir``): measured now, against the
    values the files hold. MeasureFailed if a file does not decode."""
    by_album: dict[Path, list[Path]] = {}
    for path in sorted(files):
        by_album.setdefault(path.parent, []).append(path)
    changes = []
    for album in by_album.values():
        for path, new in replaygain.measure_album(exe, album).items():
            now = tags.loudness(path)
            wanted: dict[str, str | None] = {k.lower(): v for k, v in new.items()}
            if replaygain.is_opus(path):
                wanted.update({n: None for n in _RG})
            rel = str(path.relative_to(artist_dir))
            changes += [
                TagChange(rel, tag, now.get(tag), value)
                for tag, value in wanted.items()
                if now.get(tag) != value
            ]
    return changes


def apply(
    exe: str, artist_dir: Path, artist: str, files: Iterable[Path], journal: ChangeJournal,
    *, swept: bool = False,
) -> Applied:
    """Measure and write, journaled first (``apply_changes``; ``swept`` as there)."""
    return apply_changes(artist_dir, artist, planned(exe, artist_dir, files), journal,
                         swept=swept)  # fmt: skip
