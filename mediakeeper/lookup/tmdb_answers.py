"""TMDb's JSON as pydantic models (``lookup/answers.py``): a search result or a movie without
a valid id or title does not fit; any other value that does not fit is left out alone and
noted. Each model turns into the record the toolkit uses (``lookup/tmdb_types.py``).

(Annotations here are evaluated as written, without ``from __future__ import annotations``:
the checks in them are calls.)
"""

import re
from typing import Annotated, Any

from mediakeeper.lookup import answers
from mediakeeper.lookup.answers import (
    Answer,
    BeforeValidator,
    Unfit,
    check,
    each,
    lenient,
    model_validator,
)
from mediakeeper.lookup.tmdb_types import CastMember, MovieCandidate, MovieDetails

CAST_KEPT = 15  # top-billed actors kept in the details (and the NFO)
IMAGE_PATH = re.compile(r"/[A-Za-z0-9_.-]+")
_IMDB_ID = re.compile(r"tt\d{7,10}")
_YOUTUBE_KEY = re.compile(r"[A-Za-z0-9_-]{11}")


def _text(key: str, *, prose: bool = False) -> Any:
    """An optional text ("" when it does not fit)."""
    limit = answers.PROSE_LIMIT if prose else answers.NAME_LIMIT
    return Annotated[str, check(answers.text, f"the {key}", limit=limit, prose=prose), lenient("")]


def _matching(pattern: re.Pattern[str], what: str) -> Any:
    """An optional text that must match ``pattern`` ("" when it does not)."""

    def rule(value: Any, _key: str) -> str:
        found = answers.text(value, what)
        if found and not pattern.fullmatch(found):
            raise Unfit(f"{what} {found[:40]!r} is not one")
        return found

    return Annotated[str, check(rule, what), lenient("")]


def _names(what: str) -> Any:
    """A list of objects (genres, studios, keywords) read for their names, each once."""
    name = Annotated[
        str, BeforeValidator(lambda raw: answers.text(answers.record(raw, what).get("name"), what))
    ]
    return Annotated[tuple[str, ...], each(name, what)]


MovieId = Annotated[int, check(answers.whole, "a movie id", low=1)]
Title = Annotated[str, check(answers.required_text, "a title")]
ReleaseDate = Annotated[str, check(answers.release_date, "a release date"), lenient("")]
ImagePath = _matching(IMAGE_PATH, "an image path")


class Candidate(Answer):
    what = "result"
    id: MovieId = None
    title: Title = None
    original_title: _text("original_title") = None
    release_date: ReleaseDate = None
    overview: _text("overview", prose=True) = None
    poster_path: ImagePath = None

    def record(self) -> MovieCandidate:
        return MovieCandidate(**self.model_dump())


Candidates = Annotated[tuple[Candidate, ...], each(Candidate, "result")]


class _Cast(Answer):
    what = "cast member"
    name: Annotated[str, check(answers.required_text, "an actor's name")] = None
    character: _text("character") = None
    order: answers.zero_or(answers.whole, "a billing order", 0) = None
    profile_path: ImagePath = None


class _Crew(Answer):
    what = "crew member"
    job: Any = None
    department: Any = None
    name: Annotated[str, check(answers.text, "a crew member's name"), lenient("")] = None


class _Credits(Answer):
    what = "credits"
    cast: Annotated[tuple[_Cast, ...], each(_Cast, "cast member")] = None
    crew: Annotated[tuple[_Crew, ...], each(_Crew, "crew member")] = None


class _Image(Answer):
    what = "image"
    file_path: ImagePath = None


class _Images(Answer):
    what = "images"
    posters: Annotated[tuple[_Image, ...], each(_Image, "image")] = None
    backdrops: Annotated[tuple[_Image, ...], each(_Image, "image")] = None


class _ExternalIds(Answer):
    what = "external_ids"
    imdb_id: _matching(_IMDB_ID, "an IMDb id") = None


class _ReleaseDate(Answer):
    what = "release date"
    type: Any = None
    certification: _text("certification") = None


class _Country(Answer):
    what = "country"
    iso_3166_1: Any = None
    release_dates: Annotated[tuple[_ReleaseDate, ...], each(_ReleaseDate, "release date")] = None


class _ReleaseDates(Answer):
    what = "release_dates"
    results: Annotated[tuple[_Country, ...], each(_Country, "country")] = None


class _Video(Answer):
    what = "video"
    site: Any = None
    type: Any = None
    official: Any = None
    key: _matching(_YOUTUBE_KEY, "a YouTube key") = None

    @model_validator(mode="before")
    @classmethod
    def youtube_keys_alone(cls, raw: Any) -> Any:
        """Another site's video (Vimeo's, whose key is a number) has no YouTube key to
        check: only a YouTube trailer is used, so its key is not read, nor noted unfit."""
        if isinstance(raw, dict) and raw.get("site") != "YouTube":
            return {**raw, "key": None}
        return raw


class _Videos(Answer):
    what = "videos"
    results: Annotated[tuple[_Video, ...], each(_Video, "video")] = None


class _Keywords(Answer):
    what = "keywords"
    keywords: _names("keyword") = None


class _Collection(Answer):
    what = "belongs_to_collection"
    name: _text("name") = None


def _part(model: type[Answer]) -> Any:
    """An appended part (credits, videos, ...): an object, else left out (empty)."""
    return Annotated[model, BeforeValidator(lambda v: v or {}), lenient(model())]


class Details(Answer):
    """A movie: ``Unfit`` without its id or title."""

    what = "movie"
    credits: _part(_Credits) = None
    id: MovieId = None
    title: Title = None
    original_title: _text("original_title") = None
    release_date: ReleaseDate = None
    overview: _text("overview", prose=True) = None
    tagline: _text("tagline", prose=True) = None
    runtime: answers.zero_or(answers.whole, "a runtime", 0) = None
    genres: _names("genre") = None
    imdb_id: _matching(_IMDB_ID, "an IMDb id") = None
    external_ids: _part(_ExternalIds) = None
    poster_path: ImagePath = None
    backdrop_path: ImagePath = None
    images: _part(_Images) = None
    release_dates: _part(_ReleaseDates) = None
    production_companies: _names("studio") = None
    production_countries: _names("country") = None
    vote_average: answers.zero_or(answers.number, "a vote average", 0.0, low=0, high=10) = None
    vote_count: answers.zero_or(answers.whole, "a vote count", 0) = None
    belongs_to_collection: _part(_Collection) = None
    keywords: _part(_Keywords) = None
    videos: _part(_Videos) = None

    def record(self) -> MovieDetails:
        crew = self.credits.crew
        cast = sorted(self.credits.cast, key=lambda c: c.order)[:CAST_KEPT]
        return MovieDetails(
            **self.model_dump(include=_AS_THEY_ARE),
            genres=answers.unique(self.genres),
            imdb_id=self.imdb_id or self.external_ids.imdb_id,
            poster_path=self.poster_path or _first(self.images.posters),
            backdrop_path=self.backdrop_path or _first(self.images.backdrops),
            certification=_certification(self.release_dates),
            directors=answers.unique(c.name for c in crew if c.job == "Director"),
            writers=answers.unique(c.name for c in crew if c.department == "Writing"),
            studios=answers.unique(self.production_companies),
            countries=answers.unique(self.production_countries),
            vote_average=float(self.vote_average),
            collection=self.belongs_to_collection.name,
            keywords=answers.unique(self.keywords.keywords),
            trailer=_trailer(self.videos),
            cast=tuple(
                CastMember(c.name, c.character, c.order, c.profile_path) for c in cast
            ),
        )


_AS_THEY_ARE = {"id", "title", "original_title", "release_date", "overview", "tagline", "runtime",
                "vote_count"}  # fmt: skip


def _first(images: tuple[_Image, ...]) -> str:
    return next((i.file_path for i in images if i.file_path), "")


def _certification(release_dates: _ReleaseDates) -> str:
    """The US certification of the theatrical release (type 3), else of any US release."""
    for country in release_dates.results:
        if country.iso_3166_1 != "US":
            continue
        dates = sorted(country.release_dates, key=lambda d: d.type != 3)
        return next((d.certification for d in dates if d.certification), "")
    return ""


def _trailer(videos: _Videos) -> str:
    """The YouTube key of the official trailer (else of any trailer), or ""."""
    trailers = [v for v in videos.results if v.site == "YouTube" and v.type == "Trailer"]
    trailers.sort(key=lambda v: v.official is not True)
    return next((v.key for v in trailers if v.key), "")
