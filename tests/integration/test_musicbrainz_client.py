"""The MusicBrainz client (lookup/musicbrainz.py) against the fake MusicBrainz on 127.0.0.1:
real XML over real HTTP, through the real cached, rate-limited session."""

from __future__ import annotations

import uuid

import pytest

from mediakeeper import __version__
from mediakeeper.core.config import load_settings
from mediakeeper.core.errors import ConfigError
from mediakeeper.lookup.http import LookupFailed
from mediakeeper.lookup.musicbrainz import (
    PAGE_SIZE,
    ArtistCandidate,
    MusicBrainz,
    ReleaseGroup,
    artist_query,
    cover_url,
    musicbrainz_from_settings,
)

FIXTURE_ARTISTS = ["Björk", "Sigur Rós", "Motörhead", "The Beatles", "AC/DC"]


@pytest.fixture
def musicbrainz(fake_musicbrainz, lookup_session):
    """``musicbrainz(**session_options)`` -> a client of the fake server."""

    def build(**options) -> MusicBrainz:
        return MusicBrainz(lookup_session(**options), fake_musicbrainz.url)

    return build


def artist_id(server, name: str) -> str:
    (artist,) = server.find(name)
    return artist.id


# -- search -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Björk", "Sigur Rós", "Motörhead"])
def test_names_with_diacritics_round_trip(fake_musicbrainz, musicbrainz, name):
    (found,) = musicbrainz().search_artists(name)
    assert found.name == name and found.score == 100
    (record,) = fake_musicbrainz.requests
    assert record.param("query").startswith(f'artist:"{name}"')  # sent as UTF-8, decoded intact
    assert record.param("limit") == "10"


@pytest.mark.parametrize(
    ("folder", "name", "alias"),
    [
        ("Bjork", "Björk", "Bjork"),
        ("Sigur Ros", "Sigur Rós", "Sigur Ros"),
        ("MOTORHEAD", "Motörhead", "Motorhead"),
    ],
)
def test_plain_ascii_folder_names_find_the_artist(musicbrainz, folder, name, alias):
    (found,) = musicbrainz().search_artists(folder)
    assert found.name == name and alias in found.aliases and found.score == 100


def test_a_candidate_carries_what_matching_needs(fake_musicbrainz, musicbrainz):
    (found,) = musicbrainz().search_artists("Björk")
    assert found == ArtistCandidate(
        id=artist_id(fake_musicbrainz, "Björk"),
        name="Björk",
        sort_name="Björk",
        score=100,
        aliases=("Bjork", "Björk Guðmundsdóttir"),
        disambiguation="",
        country="IS",
        type="Person",
    )


def test_an_ambiguous_name_gives_every_plausible_candidate(musicbrainz):
    found = musicbrainz().search_artists("John Williams")
    best = [c for c in found if c.score == 100]
    assert len(best) == 2 and {c.name for c in best} == {"John Williams"}
    assert {c.disambiguation for c in best} == {
        "US composer & conductor",
        "Australian classical guitarist",
    }
    assert len({c.id for c in best}) == 2
    assert [c.name for c in found if c.score < 100] == ["John Williams Trio"]


def test_an_artist_missing_from_the_database_is_an_empty_list(fake_musicbrainz, musicbrainz):
    assert musicbrainz().search_artists("Nobody Has This Name") == []
    assert len(fake_musicbrainz.requests) == 1


def test_a_blank_name_is_not_searched(fake_musicbrainz, musicbrainz):
    assert musicbrainz().search_artists("   ") == []
    assert fake_musicbrainz.requests == []


def test_lucene_special_characters_are_escaped():
    assert artist_query("AC/DC") == r'artist:"AC\/DC" OR alias:"AC\/DC" OR sortname:"AC\/DC"'
    assert artist_query('Say "Hi"  (Band)!').startswith(r'artist:"Say \"Hi\" \(Band\)\!"')


def test_a_name_with_special_characters_is_found(fake_musicbrainz, musicbrainz):
    (found,) = musicbrainz().search_artists("AC/DC")
    assert found.name == "AC/DC"
    assert fake_musicbrainz.requests[0].param("query").startswith(r'artist:"AC\/DC"')


def test_a_sort_name_finds_the_artist(musicbrainz):
    (found,) = musicbrainz().search_artists("Beatles, The")
    assert found.name == "The Beatles" and found.sort_name == "Beatles, The"


# -- lookup -----------------------------------------------------------------------------------


def test_lookup_by_id_includes_aliases(fake_musicbrainz, musicbrainz):
    found = musicbrainz().artist(artist_id(fake_musicbrainz, "Sigur Rós"))
    assert (found.name, found.aliases, found.score) == ("Sigur Rós", ("Sigur Ros",), 100)
    (record,) = fake_musicbrainz.requests
    assert record.param("inc") == "aliases"


def test_an_upper_case_id_is_looked_up_in_canonical_form(fake_musicbrainz, musicbrainz):
    mbid = artist_id(fake_musicbrainz, "Björk")
    assert musicbrainz().artist(f" {mbid.upper()} ").id == mbid
    assert fake_musicbrainz.requests[0].path == f"/ws/2/artist/{mbid}"


def test_lookup_of_an_unknown_id_is_a_404(fake_musicbrainz, musicbrainz):
    with pytest.raises(LookupFailed) as caught:
        musicbrainz().artist(str(uuid.uuid4()))
    assert (caught.value.network, caught.value.status) == (False, 404)


def test_an_id_that_is_not_an_mbid_is_refused_without_a_request(fake_musicbrainz, musicbrainz):
    client = musicbrainz()
    for bad in ("", "not-an-id", "../../admin", str(uuid.uuid4()).upper() + "/x"):
        with pytest.raises(LookupFailed) as caught:
            client.artist(bad)
        assert caught.value.network is False
        with pytest.raises(LookupFailed):
            client.release_groups(bad)
    assert fake_musicbrainz.requests == []


# -- browse ----------------------------------------------------------------------------------


def test_release_groups_of_an_ordinary_artist(fake_musicbrainz, musicbrainz):
    groups = musicbrainz().release_groups(artist_id(fake_musicbrainz, "Motörhead"))
    assert [g.title for g in groups] == [
        "Overkill",
        "Bomber",
        "Ace of Spades",
        "No Sleep ’til Hammersmith",
    ]
    live = groups[-1]
    assert live == ReleaseGroup(
        id=live.id,
        title="No Sleep ’til Hammersmith",
        first_release_date="1981-06-27",
        primary_type="Album",
        secondary_types=("Live",),
    )
    (record,) = fake_musicbrainz.requests
    assert (record.param("limit"), record.param("offset")) == ("100", "0")


def test_more_than_100_release_groups_take_one_request_per_page(fake_musicbrainz, musicbrainz):
    (prolific,) = [a for a in fake_musicbrainz.artists.values() if len(a.release_groups) == 230]
    groups = musicbrainz().release_groups(prolific.id)
    assert len(groups) == 230 and len({g.id for g in groups}) == 230
    assert [g.title for g in groups] == [rg.title for rg in prolific.release_groups]
    pages = fake_musicbrainz.requests_to("/ws/2/release-group")
    assert [(r.param("offset"), r.param("limit")) for r in pages] == [
        ("0", str(PAGE_SIZE)),
        ("100", str(PAGE_SIZE)),
        ("200", str(PAGE_SIZE)),
    ]


def test_browsing_an_unknown_artist_is_a_404(musicbrainz):
    with pytest.raises(LookupFailed) as caught:
        musicbrainz().release_groups(str(uuid.uuid4()))
    assert (caught.value.network, caught.value.status) == (False, 404)


# -- request counts ----------------------------------------------------------------------------


def identify(client: MusicBrainz, name: str) -> tuple[ArtistCandidate, list[ReleaseGroup]]:
    """What the music job does for an artist without ids in its tags."""
    best = client.search_artists(name)[0]
    return best, client.release_groups(best.id)


def test_an_artist_costs_one_search_and_one_browse_page(fake_musicbrainz, musicbrainz):
    client = musicbrainz()
    for name in FIXTURE_ARTISTS:
        before = len(fake_musicbrainz.requests)
        identify(client, name)
        assert len(fake_musicbrainz.requests) - before == 2, name
    identify(client, "The Prolific Test Ensemble")
    assert len(fake_musicbrainz.requests) == 2 * len(FIXTURE_ARTISTS) + 1 + 3
    assert client.session.requests_sent == len(fake_musicbrainz.requests)


def test_a_second_run_makes_no_requests(fake_musicbrainz, musicbrainz):
    first = musicbrainz()
    names = [*FIXTURE_ARTISTS, "The Prolific Test Ensemble", "Nobody Has This Name"]
    answers = {}
    for name in names[:-1]:
        answers[name] = identify(first, name)
    assert first.search_artists(names[-1]) == []
    first.close()
    sent = len(fake_musicbrainz.requests)

    second = musicbrainz()  # a new session on the same cache file: the next run
    for name in names[:-1]:
        assert identify(second, name) == answers[name]
    assert second.search_artists(names[-1]) == []
    assert len(fake_musicbrainz.requests) == sent
    assert second.session.requests_sent == 0
    assert second.session.cache_hits == 2 * len(FIXTURE_ARTISTS) + 4 + 1


# -- failures --------------------------------------------------------------------------------


def test_malformed_xml_is_not_a_network_failure_and_is_not_kept(fake_musicbrainz, musicbrainz):
    client = musicbrainz()
    fake_musicbrainz.malformed(times=1)
    with pytest.raises(LookupFailed) as caught:
        client.search_artists("Björk")
    assert caught.value.network is False and "not well-formed XML" in str(caught.value)
    (found,) = client.search_artists("Björk")  # asked again, not served from the cache
    assert found.name == "Björk"
    assert len(fake_musicbrainz.requests) == 2


def test_xml_of_the_wrong_shape_is_malformed(fake_musicbrainz, musicbrainz):
    fake_musicbrainz.malformed(body=b'<?xml version="1.0"?><error><text>Oops</text></error>')
    with pytest.raises(LookupFailed) as caught:
        musicbrainz().search_artists("Björk")
    assert caught.value.network is False


def test_a_captive_portal_page_is_a_network_failure(fake_musicbrainz, musicbrainz):
    fake_musicbrainz.malformed(body=b"<!DOCTYPE html><html><body>Log in to the Wi-Fi</body>")
    with pytest.raises(LookupFailed) as caught:
        musicbrainz().search_artists("Björk")
    assert caught.value.network is True and "captive portal" in str(caught.value)


def test_503_then_success(fake_musicbrainz, musicbrainz):
    fake_musicbrainz.fail(503, times=2, path="/ws/2/release-group")
    groups = musicbrainz(retries=2).release_groups(artist_id(fake_musicbrainz, "Björk"))
    assert len(groups) == 5
    assert [r.status for r in fake_musicbrainz.requests] == [503, 503, 200]


def test_503_every_time_is_a_network_failure(fake_musicbrainz, musicbrainz):
    fake_musicbrainz.fail(503, times=None)
    with pytest.raises(LookupFailed) as caught:
        musicbrainz(retries=2).search_artists("Björk")
    assert (caught.value.network, caught.value.status) == (True, 503)


def test_a_timeout_is_a_network_failure(fake_musicbrainz, musicbrainz):
    fake_musicbrainz.delay(3, times=None)
    with pytest.raises(LookupFailed) as caught:
        musicbrainz(timeout=0.2, retries=0).search_artists("Björk")
    assert caught.value.network is True


# -- covers and settings -----------------------------------------------------------------------


def test_cover_url_is_built_without_a_request(fake_musicbrainz):
    rg = "03a4551f-70e5-4382-953d-532cacafab1c"
    assert cover_url(rg) == f"https://coverartarchive.org/release-group/{rg}/front"
    assert cover_url(rg, fake_musicbrainz.url + "/") == (
        f"{fake_musicbrainz.url}/release-group/{rg}/front"
    )
    assert fake_musicbrainz.requests == []


def test_a_cover_downloads_through_the_cached_session(fake_musicbrainz, lookup_session):
    session = lookup_session()
    rg = fake_musicbrainz.find("Björk")[0].release_groups[0].id
    image = session.get(cover_url(rg, fake_musicbrainz.url))
    assert image.content.startswith(b"\xff\xd8\xff") and image.content.endswith(b"\xff\xd9")
    assert session.get(cover_url(rg, fake_musicbrainz.url)).from_cache
    assert len(fake_musicbrainz.requests) == 2  # the redirect and the image, once


def test_a_web_page_cached_for_a_cover_is_forgotten_with_every_hop(
    fake_musicbrainz, lookup_session
):
    """A captive portal's page cached by an earlier version (or any plain get) is refused
    from the cache too, and forgotten under the redirect's key and the image's: the next
    fetch, back on a real network, asks the archive again."""
    session = lookup_session()
    rg = fake_musicbrainz.find("Björk")[0].release_groups[0].id
    url = cover_url(rg, fake_musicbrainz.url)
    fake_musicbrainz.malformed(times=None, path="/images/", body=b"<!DOCTYPE html><html>")
    assert session.get(url).content.startswith(b"<!DOCTYPE")  # cached, redirect and page
    fake_musicbrainz.clear_faults()
    with pytest.raises(LookupFailed, match="web page") as refused:
        session.get_image(url)  # served from the cache
    assert refused.value.network
    image = session.get_image(url)
    assert image.startswith(b"\xff\xd8\xff")


def test_client_from_settings(fake_musicbrainz, tmp_path):
    environ = {
        "MEDIAKEEPER_MUSICBRAINZ_URL": fake_musicbrainz.url,
        "MEDIAKEEPER_MUSICBRAINZ_CONTACT": "me@example.com",
        "MEDIAKEEPER_MUSICBRAINZ_RATE_LIMIT": "50",
    }
    settings = load_settings(tmp_path, environ=environ)
    with musicbrainz_from_settings(settings) as client:
        assert client.search_artists("Björk")[0].name == "Björk"
        assert client.session.timeout == 30.0
    cache = tmp_path / "status" / "cache"
    assert (cache / "musicbrainz.sqlite").is_file() and (cache / "ratelimit.sqlite").is_file()
    agent = fake_musicbrainz.requests[0].headers["User-Agent"]
    assert agent == f"mediakeeper/{__version__} ( me@example.com )"


def test_a_bad_url_setting_is_a_config_error(tmp_path):
    environ = {"MEDIAKEEPER_MUSICBRAINZ_URL": "musicbrainz.org"}
    with pytest.raises(ConfigError, match=r"\[musicbrainz\] url"):
        musicbrainz_from_settings(load_settings(tmp_path, environ=environ))
