"""MusicBrainz enrichment decisions: pure functions, no network (``enrich_lookups.py`` asks).

Who is this artist? Every search candidate whose normalised name, sort name or alias equals a
name we have is plausible, whatever its score: the live search scores same-named artists
relative to its top hit (the grunge band 100, the 1960s UK band 86), so a score says nothing
about which one the folder holds. The albums do: ``choose_artist`` takes the candidate whose
release groups match clearly more of the folder's albums than every other's; when none does,
the name is ambiguous, and a lone candidate matching none of them is doubtful. Nothing is
written then. Which release group is this album folder? ``match_albums`` compares normalised
titles and uses the year to break ties. ``plan_enrichment`` turns the answers into tag
changes (ids, and missing years from the first release date) and findings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from mediakeeper.changes.change import TagChange
from mediakeeper.core.findings import Finding, finding_of
from mediakeeper.lookup.musicbrainz import ArtistCandidate, ReleaseGroup, cover_url
from mediakeeper.music.fixplan import folder_year, most_common
from mediakeeper.music.model import ArtistScan, Track
from mediakeeper.tags.values import DATE
from mediakeeper.text.fold import words
from mediakeeper.text.wording import count

# Same-named candidates whose albums are compared (one browse each), in the search's order.
MAX_COMPARED = 5
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
        year = dominant(DATE.year(t.tags.get("date")) or "" for t in tracks) or (
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
            same = [g for g in same if DATE.year(g.first_release_date) == album.year] or same
        if len(same) > 1:  # prefer an album over a single or EP of the same name
            albums_only = [g for g in same if g.primary_type == "Album"]
            same = albums_only if len(albums_only) == 1 else same
        if len(same) == 1:
            matches.append(AlbumMatch(album, same[0]))
        else:
            matches.append(AlbumMatch(album, None, tuple(same)))
    return matches


# ---- which of the same-named artists --------------------------------------------------


def plausible_artists(
    candidates: Sequence[ArtistCandidate], names: Sequence[str]
) -> tuple[ArtistCandidate, ...]:
    """The candidates with a name, sort name or alias equal to one of ours, in the search's
    order, whatever their scores (they are relative to the top hit, not to our name)."""
    wanted = {normalise(n) for n in names if n}
    return tuple(
        c
        for c in candidates
        if wanted & {normalise(n) for n in (c.name, c.sort_name, *c.aliases) if n}
    )


@dataclass(frozen=True)
class Compared:
    """A plausible artist, its release groups, and how many of the folder's album titles they
    have."""

    artist: ArtistCandidate
    groups: tuple[ReleaseGroup, ...]
    matched: int


@dataclass(frozen=True)
class ArtistChoice:
    artist: ArtistCandidate | None
    groups: tuple[ReleaseGroup, ...] = ()  # the chosen artist's release groups
    compared: tuple[Compared, ...] = ()  # when none is chosen: every candidate compared
    albums: int = 0  # the folder's albums
    not_compared: int = 0  # plausible candidates past MAX_COMPARED


def choose_artist(
    albums: Sequence[AlbumFolder],
    browsed: Sequence[tuple[ArtistCandidate, Sequence[ReleaseGroup]]],
    plausible: int | None = None,
) -> ArtistChoice:
    """The plausible artist (with its release groups, as browsed) whose release groups match
    more of ``albums`` than every other's do; a lone one only when it matches at least one
    album (or the folder has none). ``plausible``: how many there were, ``browsed`` being the
    first MAX_COMPARED of them."""
    compared = tuple(
        Compared(artist, tuple(groups), _titles_matched(albums, groups))
        for artist, groups in browsed
    )
    not_compared = max((plausible or 0) - len(compared), 0)
    best = max((c.matched for c in compared), default=0)
    winners = [c for c in compared if c.matched == best]
    lone = len(compared) == 1 and not not_compared
    if len(winners) == 1 and (best > 0 or (lone and not albums)):
        return ArtistChoice(winners[0].artist, winners[0].groups)
    return ArtistChoice(None, (), compared, len(albums), not_compared)


def _titles_matched(albums: Sequence[AlbumFolder], groups: Sequence[ReleaseGroup]) -> int:
    """Albums with a release group of their title, even when the year cannot tell which of
    several it is: the artist has that album all the same."""
    return sum(1 for m in match_albums(albums, groups) if m.group or m.candidates)


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


def unidentified(choice: ArtistChoice, searched: str) -> EnrichmentPlan:
    """No artist chosen: a finding says why, and nothing is written."""
    compared = choice.compared
    retry = "tag one track with its MusicBrainz artist id and run --enrich again."
    if not compared:
        finding = _finding(
            "artist-not-found",
            "",
            f"No MusicBrainz artist is called {searched!r} (by name, sort name or alias); "
            "nothing was written.",
        )
    elif len(compared) == 1 and not choice.not_compared:
        [only] = compared
        finding = _finding(
            "doubtful-artist",
            "",
            f"MusicBrainz's only artist called {searched!r}, {_named(only.artist)}, has none "
            f"of the {count(choice.albums, 'album')} here: it may be another artist of that "
            f"name, so nothing was written. If it is this one, {retry}",
            candidates=_records(choice),
            albums_total=choice.albums,
        )
    else:
        plausible = len(compared) + choice.not_compared
        listed = "; ".join(
            f"{_named(c.artist)} matches {c.matched} of {choice.albums}" for c in compared
        )
        more = f"; {choice.not_compared} more not compared" if choice.not_compared else ""
        finding = _finding(
            "ambiguous-artist",
            "",
            f"MusicBrainz has {count(plausible, 'artist')} called {searched!r} and the albums "
            f"do not tell them apart: {listed}{more}. Tell which: {retry}",
            candidates=_records(choice),
            albums_total=choice.albums,
        )
    return EnrichmentPlan(None, findings=[finding])


def _named(artist: ArtistCandidate) -> str:
    told = f" ({artist.disambiguation})" if artist.disambiguation else ""
    return f"{artist.name}{told} [{artist.id}]"


def _records(choice: ArtistChoice) -> list[dict]:
    return [
        {
            "id": c.artist.id,
            "name": c.artist.name,
            "disambiguation": c.artist.disambiguation,
            "albums_matched": c.matched,
        }
        for c in choice.compared
    ]


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
        year = DATE.year(match.group.first_release_date)
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
