"""What the TMDb code shares without the web stack: its records and its key errors.

``lookup/tmdb.py`` imports requests and pydantic; the movie rules, the NFO writer and an
offline or --help run need only these, so they import them from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mediakeeper.core.config import CONFIG_FILE, Settings
from mediakeeper.core.errors import ConfigError, LookupFailed

SITE = "https://www.themoviedb.org"
IMDB_SITE = "https://www.imdb.com"

KEY_HELP = (
    "set TMDB_API_KEY in the environment, or api_key in the [tmdb] section of {config} "
    "(a free TMDb account gives one: https://www.themoviedb.org/settings/api)"
)


class KeyMissing(ConfigError):
    """No TMDb API key in the settings or the environment."""

    def __init__(self, config: str = "mediakeeper.toml") -> None:
        super().__init__("no TMDb API key", KEY_HELP.format(config=config))


class KeyRefused(LookupFailed):
    """TMDb answered 401: the key is wrong or revoked. Never about one movie."""

    what_to_set = "check it: " + KEY_HELP.format(config="mediakeeper.toml")  # never the key

    def __init__(self) -> None:
        super().__init__(
            "TMDb refused the API key (HTTP 401 Unauthorized)",
            network=False,
            status=401,
            hint=self.what_to_set,
        )


@dataclass(frozen=True)
class MovieCandidate:
    """One search result."""

    id: int
    title: str
    original_title: str = ""
    release_date: str = ""  # "YYYY-MM-DD", or "" when TMDb does not know it
    overview: str = ""  # what a person reads to tell candidates apart
    poster_path: str = ""  # TMDb's image path ("/abc.jpg"), "" when it has none

    @property
    def year(self) -> int | None:
        return year_of_date(self.release_date)


@dataclass(frozen=True)
class CastMember:
    name: str
    role: str = ""
    order: int = 0
    profile_path: str = ""


@dataclass(frozen=True)
class MovieDetails:
    """One movie, as the details request (with its appended parts) describes it."""

    id: int
    title: str
    original_title: str = ""
    release_date: str = ""
    overview: str = ""
    tagline: str = ""
    runtime: int = 0  # minutes; 0 when unknown
    genres: tuple[str, ...] = ()
    imdb_id: str = ""
    poster_path: str = ""
    backdrop_path: str = ""
    certification: str = ""  # the US theatrical certification when there is one (e.g. "R")
    directors: tuple[str, ...] = ()
    writers: tuple[str, ...] = ()
    studios: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    cast: tuple[CastMember, ...] = ()
    vote_average: float = 0.0  # TMDb's users' rating, out of 10; 0 with no votes
    vote_count: int = 0
    collection: str = ""  # the collection it belongs to ("The Matrix Collection"), or ""
    keywords: tuple[str, ...] = ()
    trailer: str = ""  # the YouTube key of its official trailer, or ""

    @property
    def year(self) -> int | None:
        return year_of_date(self.release_date)

    @property
    def url(self) -> str:
        return f"{SITE}/movie/{self.id}"

    @property
    def imdb_url(self) -> str:
        return f"{IMDB_SITE}/title/{self.imdb_id}/" if self.imdb_id else ""


def require_api_key(settings: Settings) -> str:
    """The key (``TMDB_API_KEY``, ``MEDIAKEEPER_TMDB_API_KEY`` or ``[tmdb] api_key``)."""
    key = str(settings.get("tmdb", "api_key")).strip()
    if not key:
        raise KeyMissing(str(settings.home / CONFIG_FILE))
    return key


def year_of_date(date: str) -> int | None:
    return int(date[:4]) if re.match(r"\d{4}", date or "") else None
