"""A fake TMDb (API v3 and its image server) on 127.0.0.1, for tests.

It answers TMDb's real JSON for the calls the toolkit makes:

* search   ``GET /3/search/movie?api_key=...&query=...&year=...&include_adult=false&page=1``
* details  ``GET /3/movie/<id>?api_key=...&append_to_response=images,external_ids,credits,
  release_dates`` (each appended part as TMDb nests it)
* images   ``GET <images_path>/<file>.jpg`` (default ``/t/p/original``, like
  ``https://image.tmdb.org/t/p/original``): a small JPEG that names its file

and TMDb's errors with their bodies: 401 ``status_code`` 7 for a missing or wrong key, 404
``status_code`` 34 for an unknown movie, 429 ``status_code`` 25 (scripted with ``fail``, with
or without ``Retry-After``).

Its database is a handful of real movies (``FIXTURE_MOVIES``) plus any ``add_movie`` makes.
Searching ignores case, accents and punctuation and finds every movie whose title or original
title holds all the query's words; ``year`` keeps the movies released that year. It records
every request (``requests``; the key is kept in memory only) and enforces no rate limit.

    with FakeTMDb() as server:        # settings: [tmdb] url = server.url,
        ...                           #           images_url = server.images_url, api_key = API_KEY
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import ClassVar

from tests.servers.base import (
    COVER_JPEG,
    COVER_PNG,
    FakeService,
    Fault,
    RecordedRequest,
    RecordingHandler,
    image_type,
)

API_KEY = "0123456789abcdef0123456789abcdef"  # what a real v3 key looks like: 32 hex digits
APPENDABLE = ("images", "external_ids", "credits", "release_dates")
GENRES = {28: "Action", 18: "Drama", 80: "Crime", 878: "Science Fiction", 35: "Comedy",
          10749: "Romance", 12: "Adventure", 53: "Thriller"}  # fmt: skip


@dataclass
class FakeMovie:
    id: int
    title: str
    release_date: str  # "YYYY-MM-DD" or ""
    original_title: str = ""
    original_language: str = "en"
    overview: str = ""
    tagline: str = ""
    runtime: int = 100
    genre_ids: tuple[int, ...] = (18,)
    imdb_id: str = ""
    poster_path: str | None = None  # None: made from the id; "" = TMDb has no poster
    backdrop_path: str | None = None
    popularity: float = 10.0
    certification: str = ""
    directors: tuple[str, ...] = ()
    writers: tuple[str, ...] = ()
    cast: tuple[tuple[str, str], ...] = ()  # (actor, character), top billed first
    companies: tuple[str, ...] = ()
    countries: tuple[tuple[str, str], ...] = (("US", "United States of America"),)
    collection: str = ""  # the collection's name, "" for none
    keywords: tuple[str, ...] = ()
    trailer: str = ""  # a YouTube key

    def __post_init__(self) -> None:
        self.original_title = self.original_title or self.title
        if self.poster_path is None:
            self.poster_path = f"/poster{self.id}.jpg"
        if self.backdrop_path is None:
            self.backdrop_path = f"/backdrop{self.id}.jpg"


FIXTURE_MOVIES = [
    FakeMovie(603, "The Matrix", "1999-03-30", imdb_id="tt0133093", runtime=136,
              genre_ids=(28, 878), popularity=80.5, certification="R",
              overview="Set in the 22nd century, The Matrix tells the story of a computer "
                       "hacker who joins a group of underground insurgents fighting the vast "
                       "and powerful computers who now rule the earth.",
              tagline="Welcome to the Real World.",
              directors=("Lana Wachowski", "Lilly Wachowski"),
              writers=("Lana Wachowski", "Lilly Wachowski"),
              cast=(("Keanu Reeves", "Thomas A. Anderson / Neo"),
                    ("Laurence Fishburne", "Morpheus"), ("Carrie-Anne Moss", "Trinity")),
              companies=("Warner Bros. Pictures", "Village Roadshow Pictures"),
              collection="The Matrix Collection", trailer="vKQi3bBA1y8",
              keywords=("dystopia", "artificial intelligence (a.i.)")),
    FakeMovie(604, "The Matrix Reloaded", "2003-05-15", imdb_id="tt0234215", popularity=40.0),
    FakeMovie(949, "Heat", "1995-12-15", imdb_id="tt0113277", runtime=170, genre_ids=(28, 80),
              directors=("Michael Mann",), cast=(("Al Pacino", "Lt. Vincent Hanna"),)),
    FakeMovie(194, "Amélie", "2001-04-25", original_title="Le Fabuleux Destin d'Amélie Poulain",
              original_language="fr", imdb_id="tt0211915", genre_ids=(35, 10749),
              countries=(("FR", "France"),)),
    FakeMovie(593, "Solaris", "1972-03-20", original_title="Солярис", original_language="ru",
              imdb_id="tt0069293", genre_ids=(18, 878)),
    FakeMovie(2103, "Solaris", "2002-11-27", imdb_id="tt0307479", genre_ids=(18, 878)),
    FakeMovie(335984, "Blade Runner 2049", "2017-10-04", imdb_id="tt1856101", genre_ids=(878,)),
    FakeMovie(78, "Blade Runner", "1982-06-25", imdb_id="tt0083658", genre_ids=(878,)),
    FakeMovie(62, "2001: A Space Odyssey", "1968-04-02", imdb_id="tt0062622", genre_ids=(878,)),
    FakeMovie(807, "Se7en", "1995-09-22", imdb_id="tt0114369", genre_ids=(80, 53)),
]  # fmt: skip


@dataclass
class FakeTMDb(FakeService):
    refusal: ClassVar[int] = 429  # "over the allowed limit of 40"
    api_key: str = API_KEY
    images_path: str = "/t/p/original"
    fixtures: bool = True
    movies: dict[int, FakeMovie] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__()
        if self.fixtures:
            for movie in FIXTURE_MOVIES:
                self.movies.setdefault(movie.id, FakeMovie(**vars(movie)))

    @property
    def images_url(self) -> str:
        return self.url + self.images_path

    # -- the database -----------------------------------------------------------------------

    def add_movie(self, title: str, release_date: str, **fields) -> FakeMovie:
        movie_id = fields.pop("id", None) or max([*self.movies, 900000]) + 1
        movie = FakeMovie(movie_id, title, release_date, **fields)
        with self._lock:
            self.movies[movie.id] = movie
        return movie

    def image_bytes(self, file_name: str) -> bytes:
        """What the image server sends for ``/<file_name>``: a valid JPEG naming its file
        (a COM segment after the start marker), so every picture is different; a PNG for a
        name ending in .png, as TMDb holds a few."""
        if file_name.endswith(".png"):
            return COVER_PNG
        comment = file_name.encode()
        segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
        return COVER_JPEG[:2] + segment + COVER_JPEG[2:]

    # -- the record -------------------------------------------------------------------------

    @property
    def api_requests(self) -> list[RecordedRequest]:
        """Requests to the API (search and details), not to the image server."""
        return self.requests_to("/3/")

    # -- answers ----------------------------------------------------------------------------

    def search(self, query: str, year: str) -> dict:
        words = _normal(query).split()

        def holds_every_word(title: str) -> bool:
            return all(w in _normal(title).split() for w in words)

        found = [
            m
            for m in list(self.movies.values())
            if words
            and (holds_every_word(m.title) or holds_every_word(m.original_title))
            and (not year or m.release_date[:4] == year)
        ]
        found.sort(key=lambda m: (-m.popularity, m.title, m.id))
        results = [_search_result(m) for m in found[:20]]
        return {"page": 1, "results": results, "total_pages": 1 if found else 0,
                "total_results": len(found)}  # fmt: skip

    def details(self, movie_id: int, appended: list[str]) -> dict | None:
        movie = self.movies.get(movie_id)
        if movie is None:
            return None
        body = _details(movie)
        for part in appended:
            if part == "images":
                backdrop, poster = movie.backdrop_path, movie.poster_path
                body["images"] = {
                    "backdrops": [_image(backdrop, 1.778)] if backdrop else [],
                    "logos": [],
                    "posters": [_image(poster, 0.667)] if poster else [],
                }
            elif part == "external_ids":
                body["external_ids"] = {"imdb_id": movie.imdb_id or None, "wikidata_id": None,
                                        "facebook_id": None, "instagram_id": None,
                                        "twitter_id": None}  # fmt: skip
            elif part == "credits":
                body["credits"] = _credits(movie)
            elif part == "release_dates":
                body["release_dates"] = _release_dates(movie)
            elif part == "keywords":
                body["keywords"] = {"keywords": [{"id": 9000 + n, "name": k}
                                                 for n, k in enumerate(movie.keywords)]}
            elif part == "videos":
                body["videos"] = {"results": _videos(movie)}
        return body


# -- HTTP ---------------------------------------------------------------------------------------


class _Handler(RecordingHandler):
    server_version = "FakeTMDb/1.0"

    def answer(self, fake: FakeTMDb, record: RecordedRequest, fault: Fault | None) -> None:
        if fault is not None and fault.kind == "status":
            return self._json(record, fault.status, _error(fault.status), fault.headers())
        status, body, content_type = self._route(fake, record.path, record)
        if fault is not None and fault.kind == "malformed":  # the real answer, broken
            status = 200
            body = fault.body if fault.body is not None else body[: len(body) // 2]
        self._send(record, status, body, content_type)

    def _route(self, fake: FakeTMDb, path: str, record: RecordedRequest):
        """(status, body, content type) of the real answer."""
        json_type = "application/json;charset=utf-8"
        if path.startswith(fake.images_path + "/"):
            name = path.removeprefix(fake.images_path + "/")
            known = {
                p.lstrip("/")
                for m in list(fake.movies.values())
                for p in (m.poster_path, m.backdrop_path)
                if p
            }
            if name not in known:
                return 404, b"Not Found", "text/plain"
            image = fake.image_bytes(name)
            return 200, image, image_type(image)
        if not path.startswith("/3/"):
            return 404, _json(_error(404)), json_type
        if record.param("api_key") != fake.api_key:
            return 401, _json(_error(401)), json_type
        if path == "/3/search/movie":
            return 200, _json(fake.search(record.param("query"), record.param("year"))), json_type
        match = re.fullmatch(r"/3/movie/(\d+)", path)
        if match:
            appended = [p for p in record.param("append_to_response").split(",") if p]
            body = fake.details(int(match.group(1)), appended)
            return (200 if body else 404), _json(body or _error(404)), json_type
        return 404, _json(_error(404)), json_type

    def _json(self, record, status: int, body: dict, headers: dict[str, str] | None = None):
        self._send(record, status, _json(body), "application/json;charset=utf-8", headers)

    def _send(self, record, status, body: bytes, content_type: str, headers=None) -> None:
        self.send(record, status, body, {"Content-Type": content_type, **(headers or {})})


FakeTMDb.handler = _Handler


# -- TMDb's JSON --------------------------------------------------------------------------------

_ERRORS = {
    401: (7, "Invalid API key: You must be granted a valid key."),
    404: (34, "The resource you requested could not be found."),
    429: (25, "Your request count (41) is over the allowed limit of 40."),
}


def _json(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def _error(status: int) -> dict:
    code, message = _ERRORS.get(status, (11, "Internal error: Something went wrong, contact TMDb."))
    return {"success": False, "status_code": code, "status_message": message}


def _search_result(m: FakeMovie) -> dict:
    return {"adult": False, "backdrop_path": m.backdrop_path or None,
            "genre_ids": list(m.genre_ids), "id": m.id,
            "original_language": m.original_language, "original_title": m.original_title,
            "overview": m.overview, "popularity": m.popularity,
            "poster_path": m.poster_path or None, "release_date": m.release_date,
            "title": m.title, "video": False, "vote_average": 7.5, "vote_count": 1000}  # fmt: skip


def _details(m: FakeMovie) -> dict:
    return {
        "adult": False, "backdrop_path": m.backdrop_path or None,
        "belongs_to_collection": {"id": 2344, "name": m.collection, "poster_path": None,
                                  "backdrop_path": None} if m.collection else None,
        "budget": 0, "genres": [{"id": g, "name": GENRES.get(g, "Drama")} for g in m.genre_ids],
        "homepage": "", "id": m.id, "imdb_id": m.imdb_id or None,
        "original_language": m.original_language, "original_title": m.original_title,
        "overview": m.overview, "popularity": m.popularity, "poster_path": m.poster_path or None,
        "production_companies": [
            {"id": n + 1, "logo_path": None, "name": c, "origin_country": "US"}
            for n, c in enumerate(m.companies)
        ],
        "production_countries": [{"iso_3166_1": iso, "name": n} for iso, n in m.countries],
        "release_date": m.release_date, "revenue": 0, "runtime": m.runtime,
        "spoken_languages": [{"english_name": "English", "iso_639_1": "en", "name": "English"}],
        "status": "Released", "tagline": m.tagline, "title": m.title, "video": False,
        "vote_average": 7.5, "vote_count": 1000,
    }  # fmt: skip


def _videos(m: FakeMovie) -> list[dict]:
    """A teaser on Vimeo and a fan-made trailer first, then the official YouTube trailer."""
    if not m.trailer:
        return []
    return [
        {"iso_639_1": "en", "name": "Teaser", "key": "v1", "site": "Vimeo", "type": "Teaser",
         "official": True, "id": "a1"},
        {"iso_639_1": "en", "name": "Fan trailer", "key": "fan", "site": "YouTube",
         "type": "Trailer", "official": False, "id": "a2"},
        {"iso_639_1": "en", "name": "Official Trailer", "key": m.trailer, "site": "YouTube",
         "type": "Trailer", "official": True, "id": "a3"},
    ]  # fmt: skip


def _image(path: str, ratio: float) -> dict:
    return {"aspect_ratio": ratio, "height": 1500, "iso_639_1": None, "file_path": path,
            "vote_average": 5.3, "vote_count": 10, "width": int(1500 * ratio)}  # fmt: skip


def _credits(m: FakeMovie) -> dict:
    cast = [
        {"adult": False, "gender": 0, "id": 1000 + n, "known_for_department": "Acting",
         "name": actor, "original_name": actor, "popularity": 5.0,
         "profile_path": f"/profile{m.id}_{n}.jpg", "cast_id": n + 1, "character": role,
         "credit_id": f"credit{m.id}c{n}", "order": n}
        for n, (actor, role) in enumerate(m.cast)
    ]  # fmt: skip
    crew = [
        {"adult": False, "gender": 0, "id": 2000 + n, "known_for_department": dept,
         "name": name, "original_name": name, "popularity": 5.0, "profile_path": None,
         "credit_id": f"credit{m.id}w{n}", "department": dept, "job": job}
        for n, (name, dept, job) in enumerate(
            [*((d, "Directing", "Director") for d in m.directors),
             *((w, "Writing", "Writer") for w in m.writers)]
        )
    ]  # fmt: skip
    return {"cast": cast, "crew": crew}


def _release_dates(m: FakeMovie) -> dict:
    if not m.certification:
        return {"results": []}
    return {"results": [{"iso_3166_1": "US", "release_dates": [
        {"certification": m.certification, "descriptors": [], "iso_639_1": "", "note": "",
         "release_date": f"{m.release_date}T00:00:00.000Z", "type": 3}]}]}  # fmt: skip


def _normal(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", bare).split())
