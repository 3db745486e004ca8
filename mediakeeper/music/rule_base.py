"""What every music rule works with: the ``Context`` a rule reads the scan through, and the
small helpers that word findings alike (severities come from :mod:`mediakeeper.core.findings`).

Paths: a per-file finding names the file, an album finding the album folder, and an
artist-wide finding (artist-name-variant) the artist folder itself, as "".
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from mediakeeper import tags
from mediakeeper.changes.change import TagChange
from mediakeeper.core.errors import said
from mediakeeper.core.findings import SEVERITY, Finding
from mediakeeper.fs.checks import CHANGED, HARD_LINKED, READ_ONLY
from mediakeeper.music.fixplan import Plan
from mediakeeper.music.model import ArtistScan, Track

# The music codes that only a write finds: a fix's file left alone when it was to be
# written. (A link out of the library is found by the rules too, when the scan sees it, and
# by the write, when it appears between the scan and the write.)
WRITE_CODES = frozenset({CHANGED, READ_ONLY, HARD_LINKED})

_LABEL = {"albumartist": "album artist", "tracknumber": "track number", "date": "year"}


def label(tag: str) -> str:
    return _LABEL.get(tag, tag)


def tag_code(prefix: str, tag: str) -> str:
    """ "missing-album", "inconsistent-year" (the date tag's findings speak of the year)."""
    return f"{prefix}-{'year' if tag == 'date' else tag}"


@dataclass(frozen=True)
class Context:
    """What every rule reads: the scan, its tracks grouped, and tag values through the plan."""

    scan: ArtistScan
    plan: Plan
    tracks: tuple[Track, ...]  # sorted by path
    groups: tuple[tuple[str, tuple[Track, ...]], ...]  # by album folder, loose ("") included

    @classmethod
    def of(cls, scan: ArtistScan) -> Context:
        tracks = tuple(sorted(scan.tracks, key=lambda t: t.path))
        groups: dict[str, list[Track]] = defaultdict(list)
        for track in tracks:
            groups[track.album].append(track)
        return cls(scan, Plan(), tracks, tuple((a, tuple(g)) for a, g in sorted(groups.items())))

    def albums(self) -> Iterator[tuple[str, tuple[Track, ...]]]:
        """Album folders only; loose tracks are not an album."""
        return ((album, tracks) for album, tracks in self.groups if album)

    # The plan's own methods, looked up once: the rules ask them hundreds of times an artist.
    @cached_property
    def value(self) -> Callable[[Track, str], str]:
        return self.plan.value

    @cached_property
    def key(self) -> Callable[[Track, str], str | None]:
        return self.plan.key

    def disc(self, track: Track) -> int:
        # The disc number's key is the number it starts with, as text ("2/3": "2"): read
        # through the plan's keys, it is parsed once a stage, not at each of the rules' asks.
        number = self.key(track, "discnumber")
        return (int(number) if number is not None else 0) or track.disc_folder or 1

    def by_disc(self, tracks: Iterable[Track]) -> dict[int, list[Track]]:
        """An album's tracks per disc, in their order."""
        discs: dict[int, list[Track]] = defaultdict(list)
        for track in tracks:
            discs[self.disc(track)].append(track)
        return discs

    def change(self, track: Track, tag: str, new: str) -> TagChange:
        return self.plan.change(track, tag, new)

    @cached_property
    def _paths(self) -> frozenset[str]:
        return frozenset(track.path for track in self.tracks)

    def refused_change(self, change: Any) -> str | None:
        """Why a change a rule plugin proposes is no fix the batch may write, or None: it
        must be a ``change`` of one of the artist's tracks (the files the rule was given,
        never another artist's or one outside the library), of a text tag the toolkit
        writes, to a text or None."""
        if not isinstance(change, TagChange):
            return f"changes {said(change)}, not a change made by ctx.change"
        if change.path not in self._paths:
            return f"changes {change.path!r}, a file it was not given"
        if change.tag not in tags.FIELD_OF:
            return f"changes the tag {change.tag!r}, which mediakeeper does not write"
        if not (change.new is None or isinstance(change.new, str)):
            return (f"changes {change.tag} of {change.path!r} to "
                    f"{said(change.new)}, not a text")  # fmt: skip
        return None


Rule = Callable[[Context], Iterable[Finding]]


def finding(
    code: str,
    path: str,
    album: str,
    message: str,
    changes: Iterable[TagChange] = (),
    **details: Any,
) -> Finding:
    return Finding(code, SEVERITY[code], path, message, album, tuple(changes), details)


def counts_text(counts: Counter[str]) -> str:
    """ "3 say 'Abbey Road', 2 say 'Abbey Rd.'" with the commonest first."""
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{n} {'says' if n == 1 else 'say'} {v!r}" for v, n in ordered)
