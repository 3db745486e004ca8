"""MusicBrainz enrichment decisions: pure functions, no network (``job.py`` does the fetching).

Who is this artist? ``choose_artist`` accepts only a confident match: a high search score and
a normalised name or alias equal to a name we have. Two plausible candidates are ambiguous and
nothing is written. Which release group is this album folder? ``match_albums`` compares
normalised titles and uses the year to break ties. ``plan_enrichment`` turns the answers into
tag changes (ids, and missing years from the first release date) and findings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from mediakeeper.findings import Finding, finding_of
from mediakeeper.lookup.musicbrainz import ArtistCandidate, ReleaseGroup, cover_url
from mediakeeper.music.fixplan import folder_year, most_common, year_of
from mediakeeper.music.model import ArtistScan, TagChange, Track
from mediakeeper.textfold import words
from mediakeeper.wording import count

CONFIDENT_SCORE = 90
MUSICBRAINZ = "https://musicbrainz.org"

_EDITION = re.compile(
    r"\s*[\(\[][^)\]]*(remaster|edition|deluxe|expanded|anniversary|bonus|version|mono|stereo)"
    r"[^)\]]*[\)\]]\s*$",
    re.IGNORECASE,
)


def normalise(text: str) -> str:
    """For comparing names and titles: case, accents, punctuation, "&", a leading "The"."""
    return words(text).removeprefix("the ")


def normalise_title(title: str) -> str:
    """A title without edition noise: "OK Computer (Remastered)" -> "ok computer"."""
    previous = None
    while previous != title:
        previous, title = title, _EDITION.sub("", title)
    return normalise(title)


# ---- the artist -------------------------------------------------------------------------


def dominant(values: Iterable[str]) -> str:
    """The most common non-empty value ("" when there is none); ties as the fixes break them
    (``most_common``: the smallest, whatever the order)."""
    present = [v.strip() for v in values if v and v.strip()]
    return most_common(present) if present else ""


def known_artist_id(scan: ArtistScan) -> str:
    """An artist id the files already carry (album artist id first), or ""."""
    ids = [t.tags.get("musicbrainz_albumartistid", "") for t in scan.tracks]
    return dominant(ids) or dominant(t.tags.get("musicbrainz_artistid", "") for t in scan.tracks)


def our_names(scan: ArtistScan) -> list[str]:
    """Names to identify the artist by: the folder name and the dominant album artist tag."""
    names = [scan.folder, dominant(t.tags.get("albumartist", "") for t in scan.tracks)]
    names.append(dominant(t.tags.get("artist", "") for t in scan.tracks))
    seen, unique = set(), []
    for name in names:
        if name and normalise(name) not in seen:
            seen.add(normalise(name))
            unique.append(name)
    return unique


def search_name(scan: ArtistScan) -> str:
    """What to search for: the dominant album artist tag, else the folder name."""
    return dominant(t.tags.get("albumartist", "") for t in scan.tracks) or scan.folder


@dataclass(frozen=True)
class ArtistChoice:
    artist: ArtistCandidate | None
    plausible: tuple[ArtistCandidate, ...] = ()  # when ambiguous: every plausible candidate


def choose_artist(candidates: Sequence[ArtistCandidate], names: Sequence[str]) -> ArtistChoice:
    wanted = {normalise(n) for n in names if n}
    plausible = tuple(
        c
        for c in candidates
        if c.score >= CONFIDENT_SCORE
        and wanted & {normalise(n) for n in (c.name, c.sort_name, *c.aliases) if n}
    )
    if len(plausible) == 1:
        return ArtistChoice(plausible[0])
    return ArtistChoice(None, plausible)


# ---- the albums -------------------------------------------------------------------------


@dataclass(frozen=True)
class AlbumFolder:
    folder: str
    title: str
    year: str  # "" when unknown


def album_folders(scan: ArtistScan) -> list[AlbumFolder]:
    """Each album folder with the title and year it claims (tags first, then its name)."""
    by_album: dict[str, list[Track]] = {}
    for track in scan.tracks:
        if track.album:
            by_album.setdefault(track.album, []).append(track)
    folders = []
    for folder, tracks in sorted(by_album.items()):
        name = folder.rsplit("/", 1)[-1]
        title = dominant(t.tags.get("album", "") for t in tracks)
        if not title:
            title = re.sub(r"^[\(\[]?\d{4}[\)\]]?\s*[-.]?\s*", "", name) or name
        year = dominant(year_of(t.tags.get("date")) or "" for t in tracks) or (
            folder_year(name) or ""
        )
        folders.append(AlbumFolder(folder, title, year))
    return folders


@dataclass(frozen=True)
class AlbumMatch:
    album: AlbumFolder
    group: ReleaseGroup | None
    candidates: tuple[ReleaseGroup, ...] = ()  # same title, when the year could not decide


def match_albums(albums: Sequence[AlbumFolder], groups: Sequence[ReleaseGroup]) -> list[AlbumMatch]:
    by_title: dict[str, list[ReleaseGroup]] = {}
    for group in groups:
        by_title.setdefault(normalise_title(group.title), []).append(group)
    matches = []
    for album in albums:
        same = by_title.get(normalise_title(album.title), [])
        if len(same) > 1 and album.year:
            same = [g for g in same if g.first_release_date[:4] == album.year] or same
        if len(same) > 1:  # prefer an album over a single or EP of the same name
            albums_only = [g for g in same if g.primary_type == "Album"]
            same = albums_only if len(albums_only) == 1 else same
        if len(same) == 1:
            matches.append(AlbumMatch(album, same[0]))
        else:
            matches.append(AlbumMatch(album, None, tuple(same)))
    return matches


# ---- the plan ---------------------------------------------------------------------------


@dataclass
class EnrichmentPlan:
    artist: ArtistCandidate | None
    matches: list[AlbumMatch] = field(default_factory=list)
    changes: list[TagChange] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def summary(self) -> dict:
        """What the queue item and the outputs record."""
        matched = [m for m in self.matches if m.group]
        return {
            "musicbrainz_artist_id": self.artist.id if self.artist else None,
            "musicbrainz_artist": self.artist.name if self.artist else None,
            "albums_matched": len(matched),
            "albums_total": len(self.matches),
        }

    def links(self) -> dict:
        """Ids, links and cover URLs for the outputs and the report."""
        artist = self.artist
        return {
            "artist": None
            if artist is None
            else {"id": artist.id, "name": artist.name, "url": f"{MUSICBRAINZ}/artist/{artist.id}"},
            "albums": [
                {
                    "folder": m.album.folder,
                    "title": m.album.title,
                    "release_group": None
                    if m.group is None
                    else {
                        "id": m.group.id,
                        "title": m.group.title,
                        "first_release_date": m.group.first_release_date,
                        "url": f"{MUSICBRAINZ}/release-group/{m.group.id}",
                        "cover": cover_url(m.group.id),
                    },
                }
                for m in self.matches
            ],
        }


def unidentified(scan: ArtistScan, choice: ArtistChoice, searched: str) -> EnrichmentPlan:
    """No confident artist: a finding says why, and nothing is written."""
    if choice.plausible:
        listed = "; ".join(
            f"{c.name}{f' ({c.disambiguation})' if c.disambiguation else ''} [{c.id}]"
            for c in choice.plausible
        )
        finding = _finding(
            "ambiguous-artist",
            "",
            f"MusicBrainz has {count(len(choice.plausible), 'artist')} called {searched!r}: "
            f"{listed}. "
            "Tag one track with the right MusicBrainz artist id and run --enrich again.",
            candidates=[c.id for c in choice.plausible],
        )
    else:
        finding = _finding(
            "artist-not-found",
            "",
            f"No confident MusicBrainz match for {searched!r}; nothing was written.",
        )
    return EnrichmentPlan(None, findings=[finding])


def plan_enrichment(
    scan: ArtistScan,
    artist: ArtistCandidate,
    groups: Sequence[ReleaseGroup],
    planned: Mapping[tuple[str, str], str | None],
) -> EnrichmentPlan:
    """Ids for every track of a matched album and years for tracks that have none.

    ``planned`` holds the offline fixes' values by (path, tag), so a year the fixes already
    fill is left to them. A tag that already holds a different id is never overwritten.
    """
    plan = EnrichmentPlan(artist, match_albums(album_folders(scan), groups))
    by_album: dict[str, list[Track]] = {}
    for track in scan.tracks:
        by_album.setdefault(track.album, []).append(track)
    artist_names = {normalise(n) for n in (artist.name, artist.sort_name, *artist.aliases) if n}
    for match in plan.matches:
        if match.group is None:
            plan.findings.append(_unmatched(match))
            continue
        year = match.group.first_release_date[:4]
        for track in by_album[match.album.folder]:
            wanted = {
                "musicbrainz_albumartistid": artist.id,
                "musicbrainz_releasegroupid": match.group.id,
            }
            if normalise(track.tags.get("artist", "")) in artist_names:
                wanted["musicbrainz_artistid"] = artist.id
            if year and not _value(track, "date", planned):
                wanted["date"] = year
            for tag, value in wanted.items():
                if not track.tags.get(tag):
                    plan.changes.append(TagChange(track.path, tag, None, value))
    return plan


def _value(track: Track, tag: str, planned: Mapping[tuple[str, str], str | None]) -> str:
    key = (track.path, tag)
    return (planned[key] if key in planned else track.tags.get(tag)) or ""


def _unmatched(match: AlbumMatch) -> Finding:
    album = match.album
    if match.candidates:
        listed = ", ".join(
            f"{g.title} ({g.first_release_date or 'no date'})" for g in match.candidates
        )
        message = f"{album.title!r} matches several MusicBrainz release groups: {listed}."
    else:
        message = f"No MusicBrainz release group of this artist is called {album.title!r}."
    return _finding(
        "unmatched-album",
        album.folder,
        message,
        album=album.folder,
        candidates=[g.id for g in match.candidates],
    )


def _finding(code: str, path: str, message: str, *, album: str = "", **details) -> Finding:
    return finding_of(code, path, message, album=album, details=details)


def fill_years(findings: Sequence[Finding], changes: Sequence[TagChange]) -> list[Finding]:
    """Give each missing-year finding the year enrichment found for its file, making it fixed."""
    years = {c.path: c for c in changes if c.tag == "date"}
    filled = []
    for finding in findings:
        change = years.get(finding.path)
        if finding.code == "missing-year" and not finding.changes and change is not None:
            finding = replace(
                finding,
                message=finding.message + f" Filled from MusicBrainz: {change.new}.",
                changes=(change,),
            )
        filled.append(finding)
    return filled
