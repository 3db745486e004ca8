"""The music job's web lookups: one MusicBrainz client per process, and the requests that
identify one artist and its albums (a search and a browse; a browse more for each other artist
of the same name, up to ``MAX_COMPARED``). Decisions live in ``enrich.py``."""

from __future__ import annotations

from collections.abc import Mapping

from mediakeeper.core.config import Settings
from mediakeeper.lookup.clients import per_process
from mediakeeper.lookup.musicbrainz import (
    ArtistCandidate,
    MusicBrainz,
    cover_url,
    musicbrainz_from_settings,
)
from mediakeeper.music.enrich import (
    MAX_COMPARED,
    EnrichmentPlan,
    album_folders,
    choose_artist,
    known_artist_id,
    our_names,
    plan_enrichment,
    plausible_artists,
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
    """One search (none when the files carry an artist id) and one browse per 100 release
    groups of each same-named artist compared (the first ``MAX_COMPARED``)."""
    mb = client.musicbrainz
    artist_id = known_artist_id(scan)
    if artist_id:
        names = tuple(our_names(scan))
        artist = ArtistCandidate(artist_id, search_name(scan), score=100, aliases=names)
        return plan_enrichment(scan, artist, mb.release_groups(artist.id), planned)
    searched = search_name(scan)
    plausible = plausible_artists(mb.search_artists(searched), our_names(scan))
    browsed = [(c, mb.release_groups(c.id)) for c in plausible[:MAX_COMPARED]]
    choice = choose_artist(album_folders(scan), browsed, len(plausible))
    if choice.artist is None:
        return unidentified(choice, searched)
    return plan_enrichment(scan, choice.artist, choice.groups, planned)
