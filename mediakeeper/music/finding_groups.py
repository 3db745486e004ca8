"""Repeated findings as a person reads them: one line for the same thing found in many tracks.

An album of fifteen 32 kbps files gives fifteen ``low-bitrate`` findings with one message; the
issue report and the dry run show them as one line, "15 tracks (1-15): Lossy file at only
32 kbps; ...": how many, the shared words, and the track numbers as spans. Findings group when
they are of one album, one code and one message, and fared alike (fixed, or not and why);
what a fix changed is worded here too, so a fixed group shares it as well.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mediakeeper.changes.change import TagChange
from mediakeeper.core.decisions import is_open
from mediakeeper.music.model import Track
from mediakeeper.tags import version_after_write
from mediakeeper.tags.values import NUMBER_WITH_TOTAL
from mediakeeper.text.render import path_under
from mediakeeper.text.visible import quoted
from mediakeeper.text.wording import count, spans


@dataclass(frozen=True)
class Group:
    """Findings (records, as :func:`mediakeeper.core.findings.finding_record` makes them) said
    once."""

    findings: tuple[dict[str, Any], ...]
    where: str  # "01 - Song.mp3", "15 tracks (1-15)", "(artist)"
    changed: str  # what the fix changed, or would change ("" when it has none)

    @property
    def first(self) -> dict[str, Any]:
        return self.findings[0]

    @property
    def fixed(self) -> bool:
        return self.first["fixed"]

    @property
    def open(self) -> bool:
        """Decisions for a person (``mediakeeper.core.decisions``), not an info finding."""
        return is_open(self.first)


def group_findings(findings: Iterable[dict[str, Any]], tracks: Iterable[Track]) -> list[Group]:
    """The findings in their order, those that say the same of several tracks of an album as
    one group (placed where the first of them was)."""
    tracks_by_path = {t.path: t for t in tracks}
    groups: dict[tuple, list[dict[str, Any]]] = {}
    changed: dict[tuple, str] = {}
    for f in findings:
        text = what_changed(f, tracks_by_path)
        if _is_a_file(f["path"], f["album"]):
            key = (f["album"], f["code"], f["message"], f["fixed"], f["not_written"], text)
        else:  # an album's or the artist's own finding is one of its kind already
            key = (id(f),)
        groups.setdefault(key, []).append(f)
        changed[key] = text
    return [
        Group(tuple(group), _where(group, tracks_by_path), changed[key])
        for key, group in groups.items()
    ]


def tracks_where(paths: Sequence[str], album: str, tracks_by_path: Mapping[str, Track]) -> str:
    """Several files of ``album`` in a few words: "15 tracks (1-15)", "12 tracks (disc 1: 1-9;
    disc 2: 1-3)"; by name when their numbers do not tell them apart (or they are loose)."""
    numbered = [_disc_and_number(tracks_by_path.get(p)) for p in paths]
    if album and None not in numbered and len(set(numbered)) == len(numbered):
        discs: dict[int, list[int]] = {}
        for disc, number in numbered:
            discs.setdefault(disc, []).append(number)
        if len(discs) == 1:
            listed = spans(next(iter(discs.values())))
        else:
            listed = "; ".join(f"disc {d}: {spans(ns)}" for d, ns in sorted(discs.items()))
    else:
        listed = ", ".join(path_under(p, album) for p in paths)
    return f"{count(len(paths), 'track')} ({listed})"


def what_changed(f: Mapping[str, Any], tracks_by_path: Mapping[str, Track]) -> str:
    """``tag: "old" → "new"`` for each change (naming its file when that is not the finding's
    own); for a finding any rewrite of its file resolves (a legacy tag), what the rewrite did."""
    said = []
    for c in f["changes"]:
        on = "" if c["path"] == f["path"] else path_under(c["path"], f["album"]) + " "
        old, new = _value(c["old"], "(none)"), _value(c["new"], "(removed)")
        said.append(f"{on}{c['tag']}: {old} → {new}")
    details = f["details"]
    if not said and f["fixed"] and details.get("resolved_by_rewrite"):
        track = tracks_by_path.get(f["path"])
        was = details.get("tag_version", "")
        now = version_after_write(track.format, was) if track else "a current version"
        said.append(f"tags rewritten as {now} (were {was}) by the file's other fixes")
    return "; ".join(said)


def _value(value: str | None, absent: str) -> str:
    return absent if value is None else f'"{value}"'


def _is_a_file(path: str, album: str) -> bool:
    return bool(path) and path != album


def _where(group: list[dict[str, Any]], tracks_by_path: Mapping[str, Track]) -> str:
    first = group[0]
    if len(group) == 1:
        return first["path"] or "(artist)"
    return tracks_where([f["path"] for f in group], first["album"], tracks_by_path)


def _disc_and_number(track: Track | None) -> tuple[int, int] | None:
    if track is None:
        return None
    number = NUMBER_WITH_TOTAL.leading(track.tags.get("tracknumber"))
    if number is None:
        return None
    disc = NUMBER_WITH_TOTAL.leading(track.tags.get("discnumber")) or track.disc_folder or 1
    return disc, number


def album_of(path: str, tracks_by_path: Mapping[str, Track]) -> str:
    """The album folder a file belongs to (its scan's word, else its folder)."""
    track = tracks_by_path.get(path)
    return track.album if track is not None else posixpath.dirname(path)


def group_changes(
    changes: Iterable[TagChange], tracks: Iterable[Track]
) -> list[tuple[TagChange, str]]:
    """The same change (tag, old and new value) to several files of an album, said once:
    each group's first change and its files ("'01 - A.mp3'", "15 tracks (1-15) in '2000 - Album'",
    as the dry run says them)."""
    tracks_by_path = {t.path: t for t in tracks}
    groups: dict[tuple, list[TagChange]] = {}
    for change in changes:
        album = album_of(change.path, tracks_by_path)
        groups.setdefault((album, change.tag, change.old, change.new), []).append(change)
    said = []
    for (album, *_), group in groups.items():
        if len(group) == 1:
            said.append((group[0], quoted(group[0].path)))
        else:
            where = tracks_where([c.path for c in group], album, tracks_by_path)
            said.append((group[0], in_album(where, album)))
    return said


def in_album(where: str, album: str) -> str:
    return f"{where} in {quoted(album)}" if album else where
