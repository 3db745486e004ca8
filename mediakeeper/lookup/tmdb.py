"""TMDb (The Movie Database, API v3) through the shared cached, rate-limited session.

The client makes two calls of API v3 (``/3/search/movie`` and ``/3/movie/{id}``), and builds
their addresses itself: every request goes through :meth:`LookupSession.get`, the one cached,
rate-limited, retrying ``requests`` session of ``lookup/http.py`` (with its counters, its
translation of failures into ``LookupFailed`` and its redaction of the key). (tmdbsimple, used
before, takes its key only from module globals, which two clients in one process would share
and overwrite.) The base URL is ``[tmdb] url``, so tests point this exact code at a local
server.

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

import json
from typing import Any

import requests

from mediakeeper.core.config import Settings
from mediakeeper.lookup import answers
from mediakeeper.lookup.answers import Unfit, UnfitAnswer
from mediakeeper.lookup.http import (
    LookupFailed,
    LookupSession,
    ServiceClient,
    check_http_url,
    session_from_settings,
)
from mediakeeper.lookup.tmdb_answers import IMAGE_PATH, Candidates, Details
from mediakeeper.lookup.tmdb_types import (
    KeyMissing,
    KeyRefused,
    MovieCandidate,
    MovieDetails,
    require_api_key,
)

API_VERSION = "3"
APPENDED = "images,external_ids,credits,release_dates,keywords,videos"


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
        self._last: requests.Response | None = None  # the answer to drop if it is broken

    def __repr__(self) -> str:  # never the key
        return f"TMDb({self.base_url!r})"

    def search_movies(self, title: str, year: int | None = None) -> list[MovieCandidate]:
        """TMDb's candidates for ``title`` (released in ``year``, when given), best first.
        No request for a blank title."""
        if not title.strip():
            return []
        params: dict[str, Any] = {"query": title, "include_adult": "false", "page": 1}
        if year:
            params["year"] = year
        if self.language:
            params["language"] = self.language
        data = self._call("search/movie", params)
        if not isinstance(data.get("results"), list):
            raise self._malformed("a search answer without its list of results")
        found = answers.read(Candidates, data["results"], "TMDb", f"the search for {title!r}",
                             self.session.notes)  # fmt: skip
        return [candidate.record() for candidate in found]

    def movie(self, tmdb_id: int) -> MovieDetails:
        """The movie with this id, with everything the NFO needs, in one request."""
        if not isinstance(tmdb_id, int) or tmdb_id <= 0:
            raise LookupFailed(f"{tmdb_id!r} is not a TMDb movie id", network=False)
        params: dict[str, Any] = {"append_to_response": APPENDED}
        if self.language:
            params["language"] = self.language
        try:
            data = self._call(f"movie/{tmdb_id}", params)
        except LookupFailed as err:
            if err.status == 404:
                raise LookupFailed(
                    f"TMDb has no movie with id {tmdb_id} (HTTP 404)", network=False, status=404
                ) from None
            raise
        notes: list[str] = []  # the session's only once the answer is this movie's
        try:
            details = answers.read(Details, data, "TMDb", f"the details of movie {tmdb_id}",
                                   notes).record()  # fmt: skip
        except Unfit as err:
            raise self._malformed(f"a movie answer that does not fit ({err})") from None
        if details.id != tmdb_id:
            raise self._malformed(f"the details of movie {details.id}, not of {tmdb_id}")
        self.session.notes.extend(notes)
        return details

    def image_url(self, path: str) -> str:
        """The full address of a TMDb image path such as ``/f89U3ADr1oiB1s9GkdPOEpXUk5H.jpg``."""
        if not IMAGE_PATH.fullmatch(path or ""):
            raise LookupFailed(f"{path!r} is not a TMDb image path", network=False)
        return f"{self.images_url}{path}"

    def image(self, path: str) -> bytes:
        return self.session.get_image(self.image_url(path))

    # -- internals -----------------------------------------------------------------------

    def _call(self, path: str, params: dict[str, Any]) -> Any:
        """One GET of ``path`` (below ``/3/``) through the lookup session, its JSON object.
        The key goes as the ``api_key`` parameter, a secret of the session."""
        self._last = None
        url = f"{self.base_url}/{API_VERSION}/{path}"
        try:
            self._last = self.session.get(url, {**params, "api_key": self._api_key})
            data = json.loads(self._last.content)
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
        if self._last is None:
            return UnfitAnswer(f"{self.session.name} answered {problem}", why=problem)
        return self.session.unfit(self._last, problem, "TMDb's JSON")


def tmdb_from_settings(settings: Settings) -> TMDb:
    """The client for this data home: cache ``status/movies/tmdb_cache.sqlite``, the shared
    limiter ``status/cache/ratelimit.sqlite``, the ``[tmdb]`` settings. Close it."""
    tmdb = settings.section("tmdb")
    api_key = require_api_key(settings)
    _check_url("url", tmdb["url"])
    _check_url("images_url", tmdb["images_url"])
    session = tmdb_session(settings, settings.status_dir / "movies" / "tmdb_cache.sqlite")
    session.http.headers["Accept"] = "application/json"
    return TMDb(
        session,
        tmdb["url"],
        api_key,
        images_url=tmdb["images_url"],
        language=tmdb["language"],
    )


def tmdb_session(settings: Settings, cache_path) -> LookupSession:
    """A session to TMDb (its API or its images) cached in ``cache_path``, under the ``[tmdb]``
    settings and the home's shared limiter ``status/cache/ratelimit.sqlite``. Close it."""
    return session_from_settings(settings, "tmdb", cache_path=cache_path,
                                 secret_params=("api_key",), name="TMDb")  # fmt: skip


def _check_url(key: str, url: str) -> None:
    check_http_url(
        f"[tmdb] {key}", url, "e.g. https://api.themoviedb.org" if key == "url" else None
    )
