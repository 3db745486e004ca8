"""Loudness tags for a music library's files, journaled like every tag change (so
``undo_changes.py`` puts the old values back): the replaygain processor measures, and the
changes go through the tag table (``tags.LOUDNESS``) and ``changes.writes.apply_changes``.

Per album folder (the tracks of one folder make the album gain), each file gets
``replaygain_track_gain/peak`` and ``replaygain_album_gain/peak``; an Opus file
``r128_track_gain``/``r128_album_gain`` and loses any ``replaygain_*`` (RFC 7845).

Each album stands alone: one that cannot be measured (a file that does not decode) is a
``loudness-not-measured`` finding naming the file, and the artist's other albums get their
gains. A silent track gets no track gain (and loses one it had): ``silent-track``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from mediakeeper import tags
from mediakeeper.changes.change import TagChange
from mediakeeper.changes.writes import Applied, ChangeJournal, apply_changes
from mediakeeper.core.findings import Finding, finding_of
from mediakeeper.media import replaygain

_RG = tuple(n for n in tags.LOUDNESS if n.startswith("replaygain_"))
# The codes only a --replaygain run reports.
CODES = frozenset({"loudness-not-measured", "silent-track"})
_TRACK = ("replaygain_track_gain", "replaygain_track_peak", "r128_track_gain")


def planned(exe: str, artist_dir: Path, files: Iterable[Path]
            ) -> tuple[list[TagChange], list[Finding]]:  # fmt: skip
    """The loudness changes of ``files`` (under ``artist_dir``): measured now, against the
    values the files hold; and the findings (an album not measured, a silent track)."""
    by_album: dict[Path, list[Path]] = {}
    for path in sorted(files):
        by_album.setdefault(path.parent, []).append(path)
    changes: list[TagChange] = []
    found: list[Finding] = []
    for folder, album in by_album.items():
        where = str(folder.relative_to(artist_dir))
        try:
            tracks = replaygain.measure_tracks(exe, album)
            measured = replaygain.gains(tracks)
        except replaygain.MeasureFailed as err:
            found.append(finding_of("loudness-not-measured", "" if where == "." else where,
                                    f"{err.message}; this album's gains were not written"))
            continue
        for path, new in measured.items():
            rel = str(path.relative_to(artist_dir))
            if tracks[path].silent:
                found.append(finding_of("silent-track", rel, f"{path.name} is silent "
                                        "(nothing above -70 LUFS): no track gain written"))
            changes += _changes(path, rel, new, silent=tracks[path].silent)
    return changes, found


def _changes(path: Path, rel: str, new: dict[str, str], *, silent: bool) -> list[TagChange]:
    now = tags.loudness(path)
    wanted: dict[str, str | None] = {k.lower(): v for k, v in new.items()}
    if replaygain.is_opus(path):
        wanted.update({n: None for n in _RG})
    if silent:  # a gain it had (+52 dB from an earlier run) goes too
        wanted.update({n: None for n in _TRACK if n not in wanted})
    return [TagChange(rel, tag, now.get(tag), value)
            for tag, value in wanted.items() if now.get(tag) != value]  # fmt: skip


def apply(
    exe: str, artist_dir: Path, artist: str, files: Iterable[Path], journal: ChangeJournal,
    *, swept: bool = False,
) -> tuple[Applied, list[Finding]]:
    """Measure and write, journaled first (``apply_changes``; ``swept`` as there); and the
    findings of the measuring."""
    changes, found = planned(exe, artist_dir, files)
    return apply_changes(artist_dir, artist, changes, journal, swept=swept), found
