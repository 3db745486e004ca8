"""The TMDb client (its two API calls over the shared session) against the local fake TMDb."""

from __future__ import annotations

import json
import re

import pytest

from mediakeeper.core.config import load_settings
from mediakeeper.lookup.http import LookupFailed
from mediakeeper.lookup.tmdb import APPENDED, TMDb, tmdb_from_settings
from mediakeeper.lookup.tmdb_types import KeyMissing, KeyRefused
from tests.servers.tmdb import API_KEY, FakeTMDb


@pytest.fixture
def fake():
    with FakeTMDb() as server:
        yield server


@pytest.fixture
def client(fake, lookup_session, tmp_path):
    def build(api_key: str = API_KEY, **session_options) -> TMDb:
        session = lookup_session(
            service="tmdb",
            name="TMDb",
            secret_params=("api_key",),
            cache_path=tmp_path / "cache" / "tmdb_cache.sqlite",
            **session_options,
        )
        return TMDb(session, fake.url, api_key, images_url=fake.images_url)

    return build


def test_search_and_details_with_everything_appended(fake, client):
    tmdb = client()
    [matrix] = tmdb.search_movies("The Matrix", 1999)
    assert (matrix.id, matrix.title, matrix.year) == (603, "The Matrix", 1999)
    movie = tmdb.movie(603)
    assert (movie.title, movie.year, movie.runtime, movie.imdb_id) == (
        "The Matrix", 1999, 136, "tt0133093"
    )  # fmt: skip
    assert movie.genres == ("Action", "Science Fiction")
    assert movie.certification == "R" and movie.directors[0] == "Lana Wachowski"
    assert movie.cast[0].name == "Keanu Reeves" and movie.cast[0].role.endswith("Neo")
    search, details = fake.api_requests
    assert (search.path, search.param("query"), search.param("year")) == (
        "/3/search/movie", "The Matrix", "1999"
    )  # fmt: skip
    assert search.param("include_adult") == "false" and search.param("language") == "en-US"
    assert details.path == "/3/movie/603"
    assert details.param("append_to_response") == APPENDED
    assert {r.param("api_key") for r in fake.api_requests} == {API_KEY}
    assert tmdb.image(movie.poster_path) == fake.image_bytes("poster603.jpg")


def test_repeats_come_from_the_cache_which_never_holds_the_key(fake, client, tmp_path):
    tmdb = client()
    tmdb.search_movies("Heat", 1995)
    tmdb.movie(949)
    tmdb.search_movies("Heat", 1995)
    tmdb.movie(949)
    assert len(fake.requests) == 2
    assert (tmdb.session.requests_sent, tmdb.session.cache_hits) == (2, 2)
    stored = sorted((tmp_path / "cache").glob("tmdb_cache.sqlite*"))
    assert stored  # the database, and its -wal while the session is open
    for path in stored:
        assert API_KEY.encode() not in path.read_bytes(), path


def test_a_year_that_disagrees_finds_nothing_and_a_blank_title_asks_nothing(fake, client):
    tmdb = client()
    assert tmdb.search_movies("The Matrix", 2005) == []
    assert tmdb.search_movies("   ") == []
    assert len(fake.requests) == 1


def test_404_names_the_id(client):
    with pytest.raises(LookupFailed) as caught:
        client().movie(99999999)
    assert caught.value.status == 404 and not caught.value.network
    assert "no movie with id 99999999" in str(caught.value)


def test_401_is_a_refused_key_and_never_shows_it(fake, client):
    wrong = "ffffffffffffffffffffffffffffffff"
    with pytest.raises(KeyRefused) as caught:
        client(api_key=wrong).search_movies("Heat", 1995)
    assert wrong not in str(caught.value) and "TMDB_API_KEY" in str(caught.value)
    assert [r.status for r in fake.requests] == [401]


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [("3", [3, 3]), (None, [0.05, 0.1])],  # (the sessions here back off from 0.05 s)
)
def test_429_is_retried_with_and_without_retry_after(
    fake, client, retry_after, expected, monkeypatch
):
    import time

    waits: list[float] = []  # urllib3's retry calls time.sleep: recorded instead of slept
    monkeypatch.setattr(time, "sleep", waits.append)  # (in this whole process, for this test)
    fake.fail(429, times=2, retry_after=retry_after)
    [heat] = client().search_movies("Heat", 1995)
    assert heat.id == 949
    assert [r.status for r in fake.requests] == [429, 429, 200]
    # The server's Retry-After is waited for; without one, the client's own back-off, which
    # starts with a real pause (urllib3 alone retries the first failure at once).
    assert waits == pytest.approx(expected)


def test_429_that_never_ends_is_a_network_failure_without_the_key(fake, client):
    fake.fail(429, times=None)
    with pytest.raises(LookupFailed) as caught:
        client(retries=1).search_movies("Heat", 1995)
    assert caught.value.network and caught.value.status == 429
    assert str(caught.value) == "TMDb unreachable (HTTP 429 Too Many Requests, also after retrying)"
    assert API_KEY not in caught.value.address and "api_key=REDACTED" in caught.value.address


def test_a_dead_server_is_a_network_failure_without_the_key(client, fake):
    url = fake.url
    tmdb = client(retries=0)
    fake.stop()
    with pytest.raises(LookupFailed) as caught:
        tmdb.search_movies("Heat", 1995)
    assert str(caught.value) == "TMDb unreachable (Connection refused)"
    assert caught.value.address.startswith(url) and API_KEY not in caught.value.address


def test_a_body_cut_short_fails_and_is_not_kept(fake, client):
    tmdb = client()
    fake.malformed(times=1)
    with pytest.raises(LookupFailed) as caught:
        tmdb.movie(949)
    assert "not JSON" in str(caught.value) and not caught.value.network
    assert tmdb.movie(949).title == "Heat"  # asked again: the broken answer was not cached
    assert [r.status for r in fake.requests] == [200, 200]


def test_a_captive_portal_page_is_a_network_failure(fake, client):
    fake.malformed(times=1, body=b"<!DOCTYPE html><html><body>Log in to the Wi-Fi</body></html>")
    with pytest.raises(LookupFailed) as caught:
        client().search_movies("Heat", 1995)
    assert caught.value.network and "captive portal" in str(caught.value)


def test_settings_without_a_key_are_refused_before_any_request(tmp_path):
    settings = load_settings(tmp_path, environ={})
    with pytest.raises(KeyMissing) as caught:
        tmdb_from_settings(settings)
    assert "TMDB_API_KEY" in str(caught.value) and "[tmdb]" in str(caught.value)
    assert not (tmp_path / "status").exists()


def hostile_details(fake, movie_id: int = 603) -> dict:
    """The Matrix's real details answer with a hostile value in almost every field."""
    body = fake.details(movie_id, APPENDED.split(","))
    body.update(
        tagline=5, overview="Set in the\u0000 22nd century", runtime="long",
        vote_average=float("nan"), vote_count=True, imdb_id="javascript:alert(1)",
        release_date="0001-01-01", poster_path="javascript:x",
        belongs_to_collection="The Matrix Collection",  # a text where an object belongs
        genres=[{"name": 5}, {"name": "Action"}, "Drama"],
    )  # fmt: skip
    body["external_ids"]["imdb_id"] = "tt0133093\u202e"
    body["credits"]["cast"] = [5, {"name": "Keanu Reeves", "character": "Neo", "order": 0},
                               {"name": None, "character": "Morpheus"}]  # fmt: skip
    body["credits"]["crew"] = [{"job": "Director", "department": "Directing", "name": "x" * 5000}]
    body["videos"] = {"results": [{"site": "YouTube", "type": "Trailer", "official": True,
                                   "key": "../../etc/passwd"}]}  # fmt: skip
    return body


def test_values_that_do_not_fit_are_left_out_and_noted_once(fake, client):
    """Wrong types, control characters, a 5,000-character name, an implausible date, ids
    and paths that are none: each is left out; what fits is kept; one note says so."""
    fake.malformed(times=None, path="/3/movie/603", body=json.dumps(hostile_details(fake)).encode())
    tmdb = client()
    movie = tmdb.movie(603)
    assert (movie.id, movie.title, movie.original_title) == (603, "The Matrix", "The Matrix")
    assert (movie.tagline, movie.overview, movie.runtime) == ("", "", 0)
    assert (movie.vote_average, movie.vote_count, movie.imdb_id) == (0.0, 0, "")
    assert (movie.release_date, movie.year, movie.collection) == ("", None, "")
    assert movie.genres == ("Action",)
    assert [c.name for c in movie.cast] == ["Keanu Reeves"] and movie.directors == ()
    assert movie.trailer == "" and movie.poster_path == "/poster603.jpg"  # from its images
    (note,) = tmdb.session.notes
    assert note.startswith("TMDb's answer to the details of movie 603 did not fit its format: ")
    assert "a cast member left out: a cast member that is a number, not an object" in note
    assert re.search(r"; and \d+ more$", note)  # the first three named, the rest counted


def test_another_sites_video_key_is_no_youtube_key_and_no_unfit_value(fake, client):
    """TMDb lists Vimeo videos beside YouTube's, a Vimeo key being a number: only a YouTube
    key is checked (the trailer is YouTube's), so a Vimeo teaser is no note of an answer that
    did not fit, which the batch printed for every such movie."""
    body = fake.details(603, APPENDED.split(","))
    body["videos"] = {"results": [
        {"site": "Vimeo", "type": "Teaser", "official": True, "key": "76979871"},
        {"site": "YouTube", "type": "Trailer", "official": True, "key": "vKQi3bBA1y8"}]}
    fake.malformed(times=None, path="/3/movie/603", body=json.dumps(body).encode())
    tmdb = client()
    assert tmdb.movie(603).trailer == "vKQi3bBA1y8"
    assert tmdb.session.notes == []


def test_an_answer_for_another_movie_or_without_an_id_is_refused(fake, client):
    tmdb = client()
    other = fake.details(604, [])
    fake.malformed(times=1, path="/3/movie/603", body=json.dumps(other).encode())
    with pytest.raises(LookupFailed) as caught:
        tmdb.movie(603)
    assert "the details of movie 604, not of 603" in str(caught.value)
    assert not caught.value.network
    text_id = {**fake.details(603, []), "id": "603"}
    fake.malformed(times=1, path="/3/movie/603", body=json.dumps(text_id).encode())
    with pytest.raises(LookupFailed) as caught:
        tmdb.movie(603)
    assert "a movie id '603' is not a whole number" in str(caught.value)
    assert tmdb.movie(603).title == "The Matrix"  # neither answer was kept in the cache


def test_search_results_that_do_not_fit_are_left_out(fake, client):
    answer = {"page": 1, "total_pages": 1, "total_results": 4, "results": [
        {"id": True, "title": "Truth"}, {"id": 603, "title": ["The Matrix"]}, "Heat",
        {"id": 949, "title": "Heat", "release_date": "1995-12-15"},
    ]}  # fmt: skip
    fake.malformed(times=1, path="/3/search/movie", body=json.dumps(answer).encode())
    tmdb = client()
    assert [(c.id, c.title, c.year) for c in tmdb.search_movies("Heat")] == [(949, "Heat", 1995)]
    (note,) = tmdb.session.notes
    assert note.count("a result left out") == 3
