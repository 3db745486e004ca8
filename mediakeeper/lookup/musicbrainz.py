"""MusicBrainz web service (XML) through the shared cached, rate-limited session.

Responses are parsed with ``musicbrainzngs.mbxml.parse_message`` and read through pydantic
models into the small typed records below, every value checked on the way
(``lookup/answers.py``: an artist or release group without a valid id or name is left out,
any other value that does not fit alone, noted once per answer in the session's ``notes``);
no HTTP detail leaks out of this module. musicbrainzngs's own transport (urllib) is not
used: it could not go through the cache or the machine-wide limiter.

Requests: ``search_artists`` 1, ``artist`` 1, ``release_groups`` 1 per 100 release groups;
repeated calls are answered from the cache (never expires) and cost none.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from musicbrainzngs import mbxml
from pydantic import Field

from mediakeeper.core.config import Settings
from mediakeeper.lookup import answers
from mediakeeper.lookup.answers import Answer, BeforeValidator, Unfit, check, each, lenient
from mediakeeper.lookup.http import (
    NO_CONTACT,
    LookupFailed,
    LookupSession,
    ServiceClient,
    check_http_url,
    session_from_settings,
    user_agent,
)

COVER_ART_ARCHIVE = "https://coverartarchive.org"
COVER_ARCHIVE = "Cover Art Archive"  # the covers' service, as every line names it
SEARCH_LIMIT = 10  # candidates per search: enough to see a rival of the best one
PAGE_SIZE = 100  # release groups per browse request (the service's maximum)
T = TypeVar("T")
_LUCENE_SPECIAL = re.compile(r'([+\-&|!(){}\[\]^"~*?:\\/])')


RATE_LIMITING = "https://musicbrainz.org/doc/MusicBrainz_API/Rate_Limiting"


class Refused(LookupFailed):
    """MusicBrainz answered 403 or 401: it refuses this client, not one artist (a User-Agent
    without a contact, an address over its limit, a mirror that wants a password), so every
    lookup would meet it; the hint says what to set."""

    def __init__(self, status: int, contact_set: bool):
        if status == 401:
            said = "MusicBrainz asked for a user and password (HTTP 401 Unauthorized)"
            hint = ("a private mirror takes them in [musicbrainz] url "
                    "(https://USER:PASSWORD@HOST), then run this again")  # fmt: skip
        else:
            said = "MusicBrainz refused this client (HTTP 403 Forbidden)"
            cause = (
                "it blocks clients whose User-Agent names no contact: set [musicbrainz] contact "
                "to your e-mail or a URL"
                if not contact_set else
                "it blocks a User-Agent or an address that went over its limit of one request "
                "a second: keep [musicbrainz] rate_limit at 1 or below, and see " + RATE_LIMITING
            )  # fmt: skip
            hint = f"{cause}, then run this again"
        super().__init__(said, network=False, status=status, hint=hint)
        self.what_to_set = hint.removesuffix(", then run this again")


@dataclass(frozen=True)
class ArtistCandidate:
    id: str
    name: str
    sort_name: str = ""
    score: int = 0  # 0-100, from a search; 100 for a direct lookup
    aliases: tuple[str, ...] = ()
    disambiguation: str = ""
    country: str = ""
    type: str = ""  # Person, Group, Orchestra, ... ("" when unknown)


@dataclass(frozen=True)
class ReleaseGroup:
    id: str
    title: str
    first_release_date: str = ""  # "YYYY", "YYYY-MM" or "YYYY-MM-DD"; "" when unknown
    primary_type: str = ""  # Album, Single, EP, ...
    secondary_types: tuple[str, ...] = field(default_factory=tuple)
    disambiguation: str = ""


def cover_url(release_group_id: str, base: str = COVER_ART_ARCHIVE) -> str:
    """The Cover Art Archive front cover of a release group, built without a request."""
    return f"{base.rstrip('/')}/release-group/{release_group_id}/front"


def artist_query(name: str) -> str:
    """The Lucene query for an artist name: the exact phrase as name, alias or sort name.

    MusicBrainz ignores case and diacritics in these fields, so "Bjork" finds Björk and
    "Beatles, The" finds The Beatles; phrases keep "John Williams" from matching every John.
    """
    phrase = _LUCENE_SPECIAL.sub(r"\\\1", " ".join(name.split()))
    return f'artist:"{phrase}" OR alias:"{phrase}" OR sortname:"{phrase}"'


class MusicBrainz(ServiceClient):
    """search_artists(name) -> list[ArtistCandidate] (1 request);
    release_groups(artist_id) -> list[ReleaseGroup] (browse, 100 per page, every page);
    artist(artist_id) -> ArtistCandidate (1 request, inc=aliases).
    Failures raise mediakeeper.lookup.http.LookupFailed (network=True for connection errors,
    timeouts, 5xx/429 after retries; network=False for 4xx and malformed XML).
    404 on artist() raises LookupFailed too; search returning nothing is []."""

    def __init__(self, session: LookupSession, base_url: str):
        _check_base_url(base_url)
        self.session = session
        self.base_url = base_url.rstrip("/")

    def search_artists(self, name: str, limit: int = SEARCH_LIMIT) -> list[ArtistCandidate]:
        """Candidates for ``name``, best first (as MusicBrainz ranks them). No request for a
        blank name."""
        if not name.strip():
            return []
        params = {"query": artist_query(name), "limit": limit}
        return self._fetch(
            "artist", params, f"the search for {name!r}",
            lambda data, read: [a.record() for a in read(_Found, data["artist-list"])],
        )  # fmt: skip

    def artist(self, artist_id: str) -> ArtistCandidate:
        """The artist with this id (aliases included); score 100."""
        artist_id = _checked_id(artist_id)
        return self._fetch(
            f"artist/{artist_id}", {"inc": "aliases"}, f"the lookup of artist {artist_id}",
            lambda data, read: _the_artist(read, data["artist"], artist_id),
        )  # fmt: skip

    def release_groups(self, artist_id: str) -> list[ReleaseGroup]:
        """Every release group of the artist: one request per 100, in the service's order.

        The answer's count is not trusted to end the paging: a page that sent fewer than 100
        is the last, and so is one that brings no release group not seen (a server that
        ignores the offset), or a count of 999,999 would be asked for a page at a time."""
        artist_id = _checked_id(artist_id)
        groups: dict[str, ReleaseGroup] = {}
        offset = 0
        while True:
            params = {"artist": artist_id, "limit": PAGE_SIZE, "offset": offset}
            page, total = self._fetch("release-group", params,
                                      f"the release groups of artist {artist_id}",
                                      _release_group_page)  # fmt: skip
            (page, sent), before = page, len(groups)
            for rg in page:
                groups.setdefault(rg.id, rg)
            offset += sent
            if sent < PAGE_SIZE or len(groups) == before or offset >= total:
                return list(groups.values())

    # -- internals -----------------------------------------------------------------------

    def _fetch(
        self,
        path: str,
        params: Mapping[str, Any],
        answer: str,
        convert: Callable[[dict, Callable[[Any, Any], Any]], T],
    ) -> T:
        """GET ``/ws/2/<path>``, parse, convert (``convert(data, read)``, ``read(shape, raw)``
        reading part of it through ``answers.read``: its note, if any, goes to the session's
        notes); an answer that fails is dropped from the cache."""
        url = f"{self.base_url}/ws/2/{path}"
        try:
            response = self.session.get(url, params)
        except LookupFailed as err:
            if err.status in (401, 403):  # this client refused: every lookup would be
                raise Refused(err.status, NO_CONTACT not in self.session.user_agent) from None
            raise
        notes: list[str] = []

        def read(shape: Any, raw: Any) -> Any:
            return answers.read(shape, raw, "MusicBrainz", answer, notes)

        try:
            converted = convert(mbxml.parse_message(io.BytesIO(response.content)), read)
        except (ET.ParseError, UnicodeError) as err:
            problem = f"not well-formed XML ({err})"
        except (KeyError, TypeError, ValueError, RecursionError) as err:
            problem = f"XML without the expected {err} element"
        else:
            self.session.notes.extend(notes)
            return converted
        raise self.session.unfit(response, problem, "MusicBrainz XML")


def musicbrainz_from_settings(settings: Settings) -> MusicBrainz:
    """The client for this data home: cache ``status/cache/musicbrainz.sqlite``, the shared
    limiter ``status/cache/ratelimit.sqlite``, the ``[musicbrainz]`` settings. Close it."""
    mb = settings.section("musicbrainz")
    _check_base_url(mb["url"])
    session = session_from_settings(settings, "musicbrainz", agent=user_agent(mb["contact"]),
                                    name="MusicBrainz")  # fmt: skip
    return MusicBrainz(session, mb["url"])


def check_settings(settings: Settings) -> None:
    """ConfigError if the ``[musicbrainz]`` settings cannot make a single lookup."""
    _check_base_url(settings.get("musicbrainz", "url"))


def _check_base_url(base_url: str) -> None:
    example = "e.g. https://musicbrainz.org, or http://localhost:5000 for a local mirror"
    check_http_url("[musicbrainz] url", base_url, example)


def _checked_id(artist_id: str) -> str:
    """The id in its canonical (lower-case) form; anything else is refused unsent."""
    canonical = (artist_id or "").strip().lower()
    if not answers.is_mbid(canonical):
        raise LookupFailed(f"{artist_id!r} is not a MusicBrainz id", network=False)
    return canonical


# -- MusicBrainz's XML (as mbxml's dicts): pydantic models (lookup/answers.py) -----------------


def _text(what: str, key: str, limit: int = answers.NAME_LIMIT) -> Any:
    """An optional text under ``key`` ("" when it does not fit)."""
    return Annotated[str, check(answers.text, what, limit=limit), lenient(""), Field(alias=key)]


def _aliases(raws: Any) -> Any:
    return [a.get("alias") if isinstance(a, Mapping) else a for a in raws] if isinstance(
        raws, list) else raws  # fmt: skip


class _Artist(Answer):
    """An artist: ``Unfit`` without an id or a name; any other value that does not fit is
    left out."""

    what = "artist"
    id: Annotated[str, check(answers.mbid, "an artist id")] = None
    name: Annotated[str, check(answers.required_text, "an artist's name")] = None
    sort_name: _text("a sort name", "sort-name") = None
    aliases: Annotated[
        answers.texts("alias"), BeforeValidator(_aliases), Field(alias="alias-list")
    ] = None
    disambiguation: _text("a disambiguation", "disambiguation") = None
    country: _text("a country", "country", 8) = None
    type: _text("an artist's type", "type", 64) = None

    def record(self, score: int = 100) -> ArtistCandidate:
        return ArtistCandidate(self.id, self.name, self.sort_name, score, self.aliases,
                               self.disambiguation, self.country, self.type)  # fmt: skip


class _FoundArtist(_Artist):
    """An artist a search found, with its score (0 when it does not fit: the candidate is
    still compared by its albums)."""

    score: Annotated[
        int, check(answers.whole, "a score", high=100, digits=True), lenient(0),
        Field(alias="ext:score"),
    ] = None  # fmt: skip

    def record(self, score: int | None = None) -> ArtistCandidate:
        return super().record(self.score if score is None else score)


_Found = Annotated[tuple[_FoundArtist, ...], each(_FoundArtist, "artist")]


def _the_artist(read: Callable[[Any, Any], Any], raw: Any, asked: str) -> ArtistCandidate:
    """The artist a lookup by id answered: that one, or no answer at all."""
    try:
        artist = read(_Artist, raw).record()
    except Unfit as err:
        raise ValueError(f"artist: {err}") from None
    if artist.id != asked:
        raise ValueError(f"artist {asked} (it answered {artist.id})")
    return artist


class _ReleaseGroup(Answer):
    what = "release group"
    id: Annotated[str, check(answers.mbid, "a release group id")] = None
    title: Annotated[str, check(answers.required_text, "a release group's title")] = None
    first_release_date: Annotated[
        str, check(answers.release_date, "a first release date"), lenient(""),
        Field(alias="first-release-date"),
    ] = None  # fmt: skip
    primary_type: _text("a primary type", "primary-type", 64) = None
    secondary_types: Annotated[
        answers.texts("secondary type"), Field(alias="secondary-type-list")
    ] = None
    disambiguation: _text("a disambiguation", "disambiguation") = None

    def record(self) -> ReleaseGroup:
        return ReleaseGroup(self.id, self.title, self.first_release_date, self.primary_type,
                            self.secondary_types, self.disambiguation)  # fmt: skip


_ReleaseGroups = Annotated[tuple[_ReleaseGroup, ...], each(_ReleaseGroup, "release group")]


def _release_group_page(
    data: Mapping[str, Any], read: Callable[[Any, Any], Any]
) -> tuple[tuple[list[ReleaseGroup], int], int]:
    """The page's release groups that fit and how many it sent (those left out too), and
    the count the answer claims."""
    sent = data["release-group-list"]
    page = [rg.record() for rg in read(_ReleaseGroups, sent)]
    total = answers.whole(data.get("release-group-count", 0), "count", digits=True)
    return (page, len(sent) if isinstance(sent, list) else len(page)), total
