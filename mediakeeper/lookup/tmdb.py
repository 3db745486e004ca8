"""TMDb (The Movie Database, API v3) through the shared cached, rate-limited session.

tmdbsimple builds the URLs and parameters. Its ``REQUESTS_SESSION`` is a small stand-in whose
``request`` hands every call to :meth:`LookupSession.get`: the one cached, rate-limited,
retrying ``requests`` session of ``lookup/http.py`` (with its counters, its translation of
failures into ``LookupFailed`` and its redaction of the key). tmdbsimple's base URL is set
from ``[tmdb] url``, so tests point this exact code at a local server.

The API key is a secret: ``api_key`` is a secret parameter of the session, so it is neither
part of a cache key nor stored in the cache, and no message, record or file made here holds
it. A 401 raises :class:`KeyRefused` (the key is wrong for every request, not for one movie).

Every value of an answer is checked before it is used (``lookup/answers.py``): a result
without a valid id or title is left out, any other value that does not fit alone, and the
answer is noted once in the session's ``notes``.

Requests: ``search_movies`` 1, ``movie`` 1 (images, external ids, credits, release dates,
keywords and videos appended), ``image`` 1 per picture; every repeated call is answered from
the cache.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import requests
import tmdbsimple

from mediakeeper import __version__
from mediakeeper.core.config import Settings
from mediakeeper.lookup import answers
from mediakeeper.lookup.answers import Screen, Unfit
from mediakeeper.lookup.http import LookupFailed, LookupSession, ServiceClient, check_http_url
from mediakeeper.lookup.tmdb_types import (
    CastMember,
    KeyMissing,
    KeyRefused,
    MovieCandidate,
    MovieDetails,
    require_api_key,
)

APPENDED = "images,external_ids,credits,release_dates,keywords,videos"
CAST_KEPT = 15  # top-billed actors kept in the details (and the NFO)
_IMAGE_PATH = re.compile(r"/[A-Za-z0-9_.-]+")
_IMDB_ID = re.compile(r"tt\d{7,10}")
_YOUTUBE_KEY = re.compile(r"[A-Za-z0-9_-]{11}")


class _Transport:
    """What tmdbsimple takes for its requests session: every request it makes goes through
    :meth:`LookupSession.get`; the last response is kept so a broken body can be dropped."""

    def __init__(self, session: LookupSession):
        self.session = session
        self.last: requests.Response | None = None

    def request(self, method: str, url: str, params=None, **_ignored: Any) -> requests.Response:
        if method != "GET":
            raise LookupFailed(f"tmdb: {method} requests are never made", network=False)
        self.last = None
        self.last = self.session.get(url, params)
        return self.last


class TMDb(ServiceClient):
    """search_movies(title, year) -> list[MovieCandidate] (1 request, the first page);
    movie(id) -> MovieDetails (1 request); image(path) -> bytes (1 request).
    Failures raise LookupFailed (network=True when TMDb could not be reached or kept
    answering 429/5xx), KeyRefused on 401."""

    def __init__(
        self,
        session: LookupSession,
        base_url: str,
        api_key: str,
        *,
        images_url: str = "https://image.tmdb.org/t/p/original",
        language: str = "en-US",
    ):
        if not api_key:
            raise KeyMissing()
        _check_url("url", base_url)
        _check_url("images_url", images_url)
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.images_url = images_url.rstrip("/")
        self.language = language
        self._api_key = api_key
        self._transport = _Transport(session)

    def __repr__(self) -> str:  # never the key
        return f"TMDb({self.base_url!r})"

    def search_movies(self, title: str, year: int | None = None) -> list[MovieCandidate]:
        """TMDb's candidates for ``title`` (released in ``year``, when given), best first.
        No request for a blank title."""
        if not title.strip():
            return []
        params: dict[str, Any] = {"query": title, "include_adult": False, "page": 1}
        if year:
            params["year"] = year
        if self.language:
            params["language"] = self.language
        data = self._call(lambda: tmdbsimple.Search(), "movie", params)
        if not isinstance(data.get("results"), list):
            raise self._malformed("a search answer without its list of results")
        screen = Screen("TMDb", f"the search for {title!r}")
        found = screen.each(data["results"], lambda raw: _candidate(raw, screen), "result")
        screen.noted(self.session.notes)
        return found

    def movie(self, tmdb_id: int) -> MovieDetails:
        """The movie with this id, with everything the NFO needs, in one request."""
        if not isinstance(tmdb_id, int) or tmdb_id <= 0:
            raise LookupFailed(f"tmdb: {tmdb_id!r} is not a TMDb movie id", network=False)
        params: dict[str, Any] = {"append_to_response": APPENDED}
        if self.language:
            params["language"] = self.language
        try:
            data = self._call(lambda: tmdbsimple.Movies(tmdb_id), "info", params)
        except LookupFailed as err:
            if err.status == 404:
                raise LookupFailed(
                    f"TMDb has no movie with id {tmdb_id} (HTTP 404)", network=False, status=404
                ) from None
            raise
        screen = Screen("TMDb", f"the details of movie {tmdb_id}")
        try:
            details = _details(data, screen)
        except Unfit as err:
            raise self._malformed(f"a movie answer that does not fit ({err})") from None
        if details.id != tmdb_id:
            raise self._malformed(f"the details of movie {details.id}, not of {tmdb_id}")
        screen.noted(self.session.notes)
        return details

    def image_url(self, path: str) -> str:
        """The full address of a TMDb image path such as ``/f89U3ADr1oiB1s9GkdPOEpXUk5H.jpg``."""
        if not _IMAGE_PATH.fullmatch(path or ""):
            raise LookupFailed(f"tmdb: {path!r} is not an image path", network=False)
        return f"{self.images_url}{path}"

    def image(self, path: str) -> bytes:
        return self.session.get_image(self.image_url(path))

    # -- internals -----------------------------------------------------------------------

    def _call(self, make: Callable[[], Any], method: str, params: dict[str, Any]) -> Any:
        """One tmdbsimple call, sent through the lookup session."""
        # tmdbsimple reads these module globals when a request is sent; the session is set on
        # the endpoint itself below.
        tmdbsimple.API_KEY = self._api_key
        tmdbsimple.USE_BEARER_AUTH = False
        endpoint = make()
        endpoint.base_uri = f"{self.base_url}/{tmdbsimple.API_VERSION}"
        endpoint.session = self._transport
        try:
            data = getattr(endpoint, method)(**params)
        except LookupFailed as err:
            if err.status == 401:
                raise KeyRefused() from None
            raise
        except (ValueError, RecursionError):  # not JSON (a proxy's page, a body cut short)
            raise self._malformed("a body that is not JSON") from None
        if not isinstance(data, dict):
            raise self._malformed("JSON that is not an object")
        return data

    def _malformed(self, problem: str) -> LookupFailed:
        response, network = self._transport.last, False
        if response is not None:
            problem, network = self.session.unusable(response, problem, "TMDb's JSON")
        return LookupFailed(f"tmdb: the answer was {problem}", network=network)


def tmdb_from_settings(settings: Settings) -> TMDb:
    """The client for this data home: cache ``status/movies/tmdb_cache.sqlite``, the shared
    limiter ``status/cache/ratelimit.sqlite``, the ``[tmdb]`` settings. Close it."""
    tmdb = settings.section("tmdb")
    api_key = require_api_key(settings)
    _check_url("url", tmdb["url"])
    _check_url("images_url", tmdb["images_url"])
    session = LookupSession(
        "tmdb",
        cache_path=settings.status_dir / "movies" / "tmdb_cache.sqlite",
        rate_limit=float(tmdb["rate_limit"]),
        timeout=float(tmdb["timeout"]),
        retries=int(tmdb["retries"]),
        user_agent=f"mediakeeper/{__version__}",
        limiter_path=settings.status_dir / "cache" / "ratelimit.sqlite",
        secret_params=("api_key",),
    )
    session.http.headers["Accept"] = "application/json"
    return TMDb(
        session,
        tmdb["url"],
        api_key,
        images_url=tmdb["images_url"],
        language=tmdb["language"],
    )


def _check_url(key: str, url: str) -> None:
    check_http_url(
        f"[tmdb] {key}", url, "e.g. https://api.themoviedb.org" if key == "url" else None
    )


# -- TMDb's JSON -> records: every value checked (lookup/answers.py) ----------------------------


def _candidate(raw: Any, screen: Screen) -> MovieCandidate:
    raw = answers.record(raw, "result")
    return MovieCandidate(
        id=_movie_id(raw.get("id")),
        title=answers.required_text(raw.get("title"), "a title"),
        original_title=_text(raw, "original_title", screen),
        release_date=screen.optional(answers.release_date, raw.get("release_date"),
                                     "a release date", ""),
        overview=_text(raw, "overview", screen, prose=True),
        poster_path=_image(raw, "poster_path", screen),
    )


def _details(raw: Any, screen: Screen) -> MovieDetails:
    """The movie: ``Unfit`` without its id or title; any other value that does not fit is
    left out (noted on ``screen``)."""
    credits = _part(raw, "credits", screen)
    crew = screen.each(credits.get("crew"), lambda c: answers.record(c, "crew member"),
                       "crew member")
    cast = screen.each(credits.get("cast"), lambda c: _cast_member(c, screen), "cast member")
    names = partial(_names, screen=screen)
    return MovieDetails(
        id=_movie_id(raw.get("id")),
        title=answers.required_text(raw.get("title"), "a title"),
        original_title=_text(raw, "original_title", screen),
        release_date=screen.optional(answers.release_date, raw.get("release_date"),
                                     "a release date", ""),
        overview=_text(raw, "overview", screen, prose=True),
        tagline=_text(raw, "tagline", screen, prose=True),
        runtime=screen.optional(answers.whole, raw.get("runtime") or 0, "a runtime", 0),
        genres=names(raw.get("genres"), "genre"),
        imdb_id=_imdb_id(raw, screen) or _imdb_id(_part(raw, "external_ids", screen), screen),
        poster_path=_image(raw, "poster_path", screen) or _first_image(raw, "posters", screen),
        backdrop_path=(_image(raw, "backdrop_path", screen)
                       or _first_image(raw, "backdrops", screen)),
        certification=_certification(_part(raw, "release_dates", screen), screen),
        directors=names([c for c in crew if c.get("job") == "Director"], "director"),
        writers=names([c for c in crew if c.get("department") == "Writing"], "writer"),
        studios=names(raw.get("production_companies"), "studio"),
        countries=names(raw.get("production_countries"), "country"),
        vote_average=screen.optional(answers.number, raw.get("vote_average") or 0,
                                     "a vote average", 0.0, low=0, high=10),
        vote_count=screen.optional(answers.whole, raw.get("vote_count") or 0, "a vote count", 0),
        collection=_text(_part(raw, "belongs_to_collection", screen), "name", screen),
        keywords=names(_part(raw, "keywords", screen).get("keywords"), "keyword"),
        trailer=_trailer(_part(raw, "videos", screen), screen),
        cast=tuple(sorted(cast, key=lambda c: c.order)[:CAST_KEPT]),
    )


def _movie_id(value: Any) -> int:
    return answers.whole(value, "a movie id", low=1)


def _cast_member(raw: Any, screen: Screen) -> CastMember:
    raw = answers.record(raw, "cast member")
    return CastMember(
        name=answers.required_text(raw.get("name"), "an actor's name"),
        role=_text(raw, "character", screen),
        order=screen.optional(answers.whole, raw.get("order") or 0, "a billing order", 0),
        profile_path=_image(raw, "profile_path", screen),
    )


def _text(raw: Mapping[str, Any], key: str, screen: Screen, prose: bool = False) -> str:
    limit = answers.PROSE_LIMIT if prose else answers.NAME_LIMIT
    return screen.optional(answers.text, raw.get(key), f"the {key}", "", limit=limit,
                           prose=prose)  # fmt: skip


def _part(raw: Mapping[str, Any], key: str, screen: Screen) -> Mapping[str, Any]:
    """An appended part (credits, videos, ...): an object, else left out."""
    return screen.optional(lambda v, what: answers.record(v or {}, what), raw.get(key), key, {})


def _names(items: Any, what: str, screen: Screen) -> tuple[str, ...]:
    """The names of a list of objects (genres, studios, people), each once."""
    named = screen.each(items, lambda i: answers.record(i, what).get("name"), what)
    return answers.unique(screen.texts(named, what))


def _pattern(pattern: re.Pattern[str], what: str) -> Any:
    def check(value: Any, _what: str) -> str:
        found = answers.text(value, what)
        if found and not pattern.fullmatch(found):
            raise Unfit(f"{what} {found[:40]!r} is not one")
        return found

    return check


def _image(raw: Mapping[str, Any], key: str, screen: Screen) -> str:
    return screen.optional(_pattern(_IMAGE_PATH, "an image path"), raw.get(key), key, "")


def _imdb_id(raw: Mapping[str, Any], screen: Screen) -> str:
    return screen.optional(_pattern(_IMDB_ID, "an IMDb id"), raw.get("imdb_id"), "imdb_id", "")


def _trailer(videos: Mapping[str, Any], screen: Screen) -> str:
    """The YouTube key of the official trailer (else of any trailer), or ""."""
    found = screen.each(videos.get("results"), lambda v: answers.record(v, "video"), "video")
    trailers = [v for v in found if v.get("site") == "YouTube" and v.get("type") == "Trailer"]
    trailers.sort(key=lambda v: v.get("official") is not True)
    keys = (screen.optional(_pattern(_YOUTUBE_KEY, "a YouTube key"), v.get("key"), "key", "")
            for v in trailers)  # fmt: skip
    return next((key for key in keys if key), "")


def _first_image(raw: Mapping[str, Any], kind: str, screen: Screen) -> str:
    images = screen.each(_part(raw, "images", screen).get(kind),
                         lambda i: answers.record(i, "image"), "image")  # fmt: skip
    return next((path for i in images if (path := _image(i, "file_path", screen))), "")


def _certification(release_dates: Mapping[str, Any], screen: Screen) -> str:
    """The US certification of the theatrical release (type 3), else of any US release."""
    countries = screen.each(release_dates.get("results"), lambda c: answers.record(c, "country"),
                            "country")  # fmt: skip
    for country in countries:
        if country.get("iso_3166_1") != "US":
            continue
        dates = screen.each(country.get("release_dates"), lambda d: answers.record(d, "date"),
                            "release date")  # fmt: skip
        dates.sort(key=lambda d: d.get("type") != 3)
        return next((c for d in dates if (c := _text(d, "certification", screen))), "")
    return ""
