"""The music job's web lookups: one MusicBrainz client per process, and the two or three
requests that identify one artist and its albums. Decisions live in ``enrich.py``."""

from __future__ import annotations

from collections.abc import Mapping

from mediakeeper.config import Settings
from mediakeeper.lookup.clients import per_process
from mediakeeper.lookup.musicbrainz import (
    ArtistCandidate,
    MusicBrainz,
    cover_url,
    musicbrainz_from_settings,
)
from mediakeeper.music.enrich import (
    EnrichmentPlan,
    choose_artist,
    known_artist_id,
    our_names,
    plan_enrichment,
    search_name,
    unidentified,
)
from mediakeeper.music.model import ArtistScan


class LookupClient:
    """MusicBrainz plus the Cover Art Archive, with the request counters a report needs."""

    def __init__(self, settings: Settings):
        self.musicbrainz: MusicBrainz = musicbrainz_from_settings(settings)
        self.session = self.musicbrainz.session
        self.coverart_url = settings.get("musicbrainz", "coverart_url").rstrip("/")

    def cover(self, release_group_id: str) -> bytes:
        return self.session.get_image(cover_url(release_group_id, self.coverart_url))


def lookup_client(settings: Settings) -> LookupClient:
    return per_process(LookupClient, settings)


def enrich_artist(
    client: LookupClient, scan: ArtistScan, planned: Mapping[tuple[str, str], str | None]
) -> EnrichmentPlan:
    """One search (none when the files carry an artist id) and one browse per 100 albums."""
    artist_id = known_artist_id(scan)
    if artist_id:
        names = tuple(our_names(scan))
        artist = ArtistCandidate(artist_id, search_name(scan), score=100, aliases=names)
    else:
        searched = search_name(scan)
        choice = choose_artist(client.musicbrainz.search_artists(searched), our_names(scan))
        if choice.artist is None:
            return unidentified(scan, choice, searched)
        artist = choice.artist
    groups = client.musicbrainz.release_groups(artist.id)
    return plan_enrichment(scan, artist, groups, planned)
