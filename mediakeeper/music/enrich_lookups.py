"""The music job's web lookups: one MusicBrainz client per process, and the requests that
identify one artist and its albums (a search and a browse; a browse more for each other artist
of the same name, up to ``MAX_COMPARED``). Decisions live in ``enrich.py``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mediakeeper.core.config import Settings
from mediakeeper.core.errors import LookupFailed
from mediakeeper.fs.atomic import atomic_write_bytes
from mediakeeper.fs.left_behind import will_write_in
from mediakeeper.lookup.answers import UnfitAnswer
from mediakeeper.lookup.clients import per_process
from mediakeeper.lookup.images import image_suffix
from mediakeeper.lookup.musicbrainz import (
    COVER_ARCHIVE,
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
from mediakeeper.music.model import ArtistScan, Track
from mediakeeper.music.scan import is_cover_file


class LookupClient:
    """MusicBrainz plus the Cover Art Archive, with the request counters a report needs."""

    def __init__(self, settings: Settings):
        self.musicbrainz: MusicBrainz = musicbrainz_from_settings(settings)
        self.session = self.musicbrainz.session
        self.coverart_url = settings.get("musicbrainz", "coverart_url").rstrip("/")

    def cover(self, release_group_id: str) -> bytes:
        """The archive answers through MusicBrainz's session: its failures name it."""
        url = cover_url(release_group_id, self.coverart_url)
        return self.session.get_image(url, name=COVER_ARCHIVE)


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


def fetch_covers(
    client: LookupClient, folder: Path, state: dict[str, Any], tracks: list[Track], home: Path
) -> tuple[list[str], list[str], LookupFailed | None]:
    """A cover for each matched album that has none yet (never overwrites one): cover.jpg,
    or cover.png, .gif or .webp when the archive's image is one of those. Returns the covers
    written, the notes on what the archive sent that is no picture (never written), and the
    failure that found the archive unreachable (None when it answered): the albums after it
    are not asked, their covers wait for a later run."""
    with_art = {t.album for t in tracks if t.has_picture}
    fetched, notes = [], []
    for album in state["musicbrainz"]["albums"]:
        group = album["release_group"]
        album_dir = folder / album["folder"]
        if group is None or album["folder"] in with_art or _has_cover(album_dir):
            continue
        try:
            image = client.cover(group["id"])
        except LookupFailed as err:
            if err.network:  # the archive is unreachable: what was written stands
                return fetched, notes, err
            if isinstance(err, UnfitAnswer):  # no cover on the archive is normal; this is not
                notes.append(f"the cover of {album['folder']} was not written: {err.message}")
            continue
        target = album_dir / f"cover{image_suffix(image)}"  # get_image: one of the kinds
        will_write_in(album_dir, home)  # what a kill leaves: deleted
        atomic_write_bytes(target, image)
        fetched.append(str(target.relative_to(folder)))
    return fetched, notes, None


def _has_cover(album_dir: Path) -> bool:
    try:
        names = os.listdir(album_dir)
    except OSError:
        return True  # cannot look: do not write
    return any(is_cover_file(name) for name in names)
