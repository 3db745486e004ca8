"""TMDb (The Movie Database, API v3) through the shared cached, rate-limited session.

tmdbsimple builds the URLs and parameters. Its ``REQUESTS_SESSION`` is a small stand-in whose
``request`` hands every call to :meth:`LookupSession.get`: the one cached, rate-limited,
retrying ``requests`` session of ``lookup/http.py`` (with its counters, its translation of
failures into ``LookupFailed`` and its redaction of the key). tmdbsimple's base URL is set
from ``[tmdb] url``, so tests point this exact code at a local server.

The API key is a secret: ``api_key`` is a secret parameter of the session, so it is neither
part of a cache key nor stored in the cache, and no message, record or file made here holds
it. A 401 raises :class:`KeyRefused` (the key is wrong for every request, not for one movie).

Requests: ``search_movies`` 1, ``movie`` 1 (images, external ids, credits, release dates,
keywords and videos appended), ``image`` 1 per picture; every repeated call is answered from
the cache.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import requests
import tmdbsimple

from mediakeeper import __version__
from mediakeeper.core.config import Settings
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
        try:
            return [_candidate(raw) for raw in data["results"]]
        except (KeyError, TypeError, ValueError) as err:
            raise self._malformed(f"a search answer without the expected {err}") from None

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
        try:
            return _details(data)
        except (KeyError, TypeError, ValueError) as err:
            raise self._malformed(f"a movie answer without the expected {err}") from None

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
        except ValueError:  # not JSON (a proxy's page, a body cut short)
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


# -- TMDb's JSON -> records ---------------------------------------------------------------------


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    return value.strip() if isinstance(value, str) else ""


def _candidate(raw: Mapping[str, Any]) -> MovieCandidate:
    return MovieCandidate(
        id=int(raw["id"]),
        title=_text(raw, "title"),
        original_title=_text(raw, "original_title"),
        release_date=_text(raw, "release_date"),
    )


def _details(raw: Mapping[str, Any]) -> MovieDetails:
    credits = raw.get("credits") or {}
    crew = credits.get("crew") or []
    cast = sorted(credits.get("cast") or [], key=lambda c: c.get("order", 0))
    external = raw.get("external_ids") or {}
    return MovieDetails(
        id=int(raw["id"]),
        title=_text(raw, "title"),
        original_title=_text(raw, "original_title"),
        release_date=_text(raw, "release_date"),
        overview=_text(raw, "overview"),
        tagline=_text(raw, "tagline"),
        runtime=int(raw.get("runtime") or 0),
        genres=tuple(_text(g, "name") for g in raw.get("genres") or [] if _text(g, "name")),
        imdb_id=_text(raw, "imdb_id") or _text(external, "imdb_id"),
        poster_path=_text(raw, "poster_path") or _first_image(raw, "posters"),
        backdrop_path=_text(raw, "backdrop_path") or _first_image(raw, "backdrops"),
        certification=_certification(raw.get("release_dates") or {}),
        directors=_unique(_text(c, "name") for c in crew if c.get("job") == "Director"),
        writers=_unique(_text(c, "name") for c in crew if c.get("department") == "Writing"),
        studios=_unique(_text(c, "name") for c in raw.get("production_companies") or []),
        countries=_unique(_text(c, "name") for c in raw.get("production_countries") or []),
        vote_average=float(raw.get("vote_average") or 0.0),
        vote_count=int(raw.get("vote_count") or 0),
        collection=_text(raw.get("belongs_to_collection") or {}, "name"),
        keywords=_unique(_text(k, "name") for k in (raw.get("keywords") or {}).get("keywords", [])),
        trailer=_trailer(raw.get("videos") or {}),
        cast=tuple(
            CastMember(
                name=_text(c, "name"),
                role=_text(c, "character"),
                order=int(c.get("order") or 0),
                profile_path=_text(c, "profile_path"),
            )
            for c in cast[:CAST_KEPT]
            if _text(c, "name")
        ),
    )


def _trailer(videos: Mapping[str, Any]) -> str:
    """The YouTube key of the official trailer (else of any trailer), or ""."""
    trailers = [v for v in videos.get("results") or []
                if v.get("site") == "YouTube" and v.get("type") == "Trailer" and _text(v, "key")]
    trailers.sort(key=lambda v: not v.get("official"))
    return _text(trailers[0], "key") if trailers else ""


def _first_image(raw: Mapping[str, Any], kind: str) -> str:
    images = (raw.get("images") or {}).get(kind) or []
    return next((_text(i, "file_path") for i in images if _text(i, "file_path")), "")


def _certification(release_dates: Mapping[str, Any]) -> str:
    """The US certification of the theatrical release (type 3), else of any US release."""
    for country in release_dates.get("results") or []:
        if country.get("iso_3166_1") != "US":
            continue
        dates = sorted(country.get("release_dates") or [], key=lambda d: d.get("type") != 3)
        return next((_text(d, "certification") for d in dates if _text(d, "certification")), "")
    return ""


def _unique(names) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n for n in names if n))
