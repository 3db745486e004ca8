"""A fake MusicBrainz web service (and Cover Art Archive) on 127.0.0.1, for tests and benchmarks.

It answers the real MusicBrainz XML format (mmd-2.0: ``xmlns="http://musicbrainz.org/ns/mmd-2.0#"``,
search scores as ``ns2:score`` in the ``http://musicbrainz.org/ns/ext#-2.0`` namespace, lists with
``count`` and ``offset``) for the three calls the toolkit makes:

* search  ``GET /ws/2/artist?query=artist:"..." OR alias:"..."&limit=10``
* lookup  ``GET /ws/2/artist/<mbid>?inc=aliases``
* browse  ``GET /ws/2/release-group?artist=<mbid>&limit=100&offset=N``

and, like the Cover Art Archive, ``GET /release-group/<mbid>/front`` (307 to a small JPEG).

Its database is ``tests/fixtures/musicbrainz/artists.xml`` plus artists made in code: by default
one with 230 release groups (three browse pages), and ``add_synthetic_artists(n)`` for
benchmarks. Searching ignores case and diacritics (as MusicBrainz does): an exact name scores
100, an exact alias or sort name 95, a name containing every word of the query less; unknown
names find nothing. An artist may carry the score the live service gave it instead (``score``,
``ns2:score`` in the fixtures): the live search scores same-named artists relative to its top
hit, so the second "Nirvana" scores 86, not 100.

It records every request (``requests``: path, query, headers, monotonic time received) and
can be told to misbehave (``fail``, ``delay``, ``malformed``). It enforces no rate limit and
measures nothing itself; tests read the record.

    with FakeMusicBrainz() as server:          # or the ``fake_musicbrainz`` pytest fixture
        settings: [musicbrainz] url = server.url

A benchmark outside pytest: ``sys.path.insert(0, repo_root)`` then
``from tests.servers.musicbrainz import FakeMusicBrainz``.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from tests.servers.base import (
    COVER_JPEG,
    FakeService,
    Fault,
    RecordedRequest,
    RecordingHandler,
    image_type,
)

XML_TYPE = "application/xml; charset=UTF-8"
MMD_NS = "http://musicbrainz.org/ns/mmd-2.0#"
EXT_NS = "http://musicbrainz.org/ns/ext#-2.0"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "musicbrainz"
PROLIFIC_NAME = "The Prolific Test Ensemble"
_IDS = uuid.UUID("0f5e4a52-6a43-4b6e-9d0b-6d1a3c1f2e77")  # namespace for generated ids
_MBID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass
class FakeReleaseGroup:
    id: str
    title: str
    first_release_date: str = ""
    primary_type: str = "Album"
    secondary_types: tuple[str, ...] = ()
    has_cover: bool = True
    cover: bytes = COVER_JPEG  # what the archive's image server sends


@dataclass
class FakeArtist:
    id: str
    name: str
    sort_name: str
    type: str = "Person"
    country: str = ""
    disambiguation: str = ""
    aliases: list[tuple[str, str, str]] = field(default_factory=list)  # (alias, sort name, type)
    release_groups: list[FakeReleaseGroup] = field(default_factory=list)
    score: int | None = None  # what a search that finds it scores it (None: computed)


class FakeMusicBrainz(FakeService):
    refusal = 503  # "exceeding the allowable rate limit"

    def __init__(self, *, fixtures: bool = True, prolific_release_groups: int = 230):
        super().__init__()
        self.artists: dict[str, FakeArtist] = {}
        if fixtures:
            for artist in load_artists(FIXTURES / "artists.xml"):
                self.artists[artist.id] = artist
            if prolific_release_groups:
                self.add_artist(PROLIFIC_NAME, type="Group", release_groups=prolific_release_groups)

    # -- the database -----------------------------------------------------------------------

    def add_artist(
        self,
        name: str,
        *,
        id: str | None = None,
        sort_name: str | None = None,
        type: str = "Person",
        country: str = "",
        disambiguation: str = "",
        aliases: Iterable[str] = (),
        release_groups: int | Iterable[FakeReleaseGroup | tuple[str, str]] = (),
        score: int | None = None,
    ) -> FakeArtist:
        """Add an artist. ``release_groups`` is a count (generated "Volume 001", ...), or
        FakeReleaseGroup objects, or (title, first release date) pairs. ``score``: what every
        search that finds it scores it (as recorded from the live service), else computed."""
        artist_id = id or str(uuid.uuid5(_IDS, f"artist:{name}:{disambiguation}"))
        if isinstance(release_groups, int):
            release_groups = [
                (f"Volume {n:03d}", f"{1960 + n % 60}-{1 + n % 12:02d}-{1 + n % 28:02d}")
                for n in range(1, release_groups + 1)
            ]
        groups = [
            rg
            if isinstance(rg, FakeReleaseGroup)
            else FakeReleaseGroup(str(uuid.uuid5(_IDS, f"rg:{artist_id}:{rg[0]}")), rg[0], rg[1])
            for rg in release_groups
        ]
        artist = FakeArtist(
            id=artist_id,
            name=name,
            sort_name=sort_name or name,
            type=type,
            country=country,
            disambiguation=disambiguation,
            aliases=[(alias, alias, "Search hint") for alias in aliases],
            release_groups=groups,
            score=score,
        )
        with self._lock:
            self.artists[artist.id] = artist
        return artist

    def add_synthetic_artists(
        self, n: int, *, release_groups: int = 3, prefix: str = "Synthetic Artist"
    ) -> list[FakeArtist]:
        """``n`` artists named "<prefix> 001"..., each with ``release_groups`` albums titled
        "<name> Album 1"... (years 1990, 1991, ...): a library to benchmark against."""
        made = []
        for i in range(1, n + 1):
            name = f"{prefix} {i:03d}"
            groups = [(f"{name} Album {k}", str(1989 + k)) for k in range(1, release_groups + 1)]
            made.append(self.add_artist(name, type="Group", release_groups=groups))
        return made

    def find(self, name: str) -> list[FakeArtist]:
        """The artists exactly named ``name`` (for tests that need their ids)."""
        return [a for a in self.artists.values() if a.name == name]

    # -- answers ----------------------------------------------------------------------------

    def search(self, query: str, limit: int, offset: int) -> bytes:
        terms = _query_terms(query)
        scored = []
        for artist in list(self.artists.values()):
            score = max((_score(artist, f, text) for f, text in terms), default=0)
            if score > 0 and artist.score is not None:
                score = artist.score
            if score > 0:
                scored.append((-score, artist.name, artist.id, artist, score))
        scored.sort(key=lambda row: row[:3])
        page = scored[offset : offset + limit]
        body = "".join(_artist_xml(a, score=s) for *_, a, s in page)
        return _document(
            f'<artist-list count="{len(scored)}" offset="{offset}">{body}</artist-list>'
        )

    def lookup(self, artist_id: str, inc: str) -> bytes | None:
        artist = self.artists.get(artist_id)
        if artist is None:
            return None
        return _document(_artist_xml(artist, aliases="aliases" in inc.split("+")))

    def browse(self, artist_id: str, limit: int, offset: int) -> bytes | None:
        artist = self.artists.get(artist_id)
        if artist is None:
            return None
        groups = artist.release_groups
        body = "".join(_release_group_xml(rg) for rg in groups[offset : offset + limit])
        return _document(
            f'<release-group-list count="{len(groups)}" offset="{offset}">{body}'
            "</release-group-list>"
        )

    def release_group(self, release_group_id: str) -> FakeReleaseGroup | None:
        for artist in list(self.artists.values()):
            for rg in artist.release_groups:
                if rg.id == release_group_id:
                    return rg
        return None


# -- HTTP ---------------------------------------------------------------------------------------


class _Handler(RecordingHandler):
    server_version = "FakeMusicBrainz/1.0"

    def answer(self, fake: FakeMusicBrainz, record: RecordedRequest, fault: Fault | None):
        if fault is not None and fault.kind == "status":
            text = "Your requests are exceeding the allowable rate limit (fake server)."
            return self._send(record, fault.status, _error(text), headers=fault.headers())
        status, body, headers = self._route(fake, record.path, record)
        if fault is not None and fault.kind == "malformed":
            status, headers = 200, {}
            body = fault.body if fault.body is not None else body[: len(body) // 2] + b"<x"
        self._send(record, status, body, headers=headers)

    def _route(self, fake: FakeMusicBrainz, path: str, record: RecordedRequest):
        limit = min(max(_int(record.param("limit"), 25), 1), 100)
        offset = max(_int(record.param("offset"), 0), 0)
        if path == "/ws/2/artist" and record.param("query"):
            return 200, fake.search(record.param("query"), limit, offset), {}
        if path.startswith("/ws/2/artist/"):
            artist_id = path.removeprefix("/ws/2/artist/")
            if not _MBID.match(artist_id):
                return 400, _error("Invalid mbid."), {}
            body = fake.lookup(artist_id, record.param("inc"))
            return (200, body, {}) if body is not None else (404, _error("Not Found"), {})
        if path == "/ws/2/release-group" and record.param("artist"):
            artist_id = record.param("artist")
            if not _MBID.match(artist_id):
                return 400, _error("Invalid mbid."), {}
            body = fake.browse(artist_id, limit, offset)
            return (200, body, {}) if body is not None else (404, _error("Not Found"), {})
        match = re.fullmatch(r"/release-group/([0-9a-f-]{36})/front", path)
        if match:
            rg = fake.release_group(match.group(1))
            if rg is None or not rg.has_cover:
                return 404, b"No cover art found for release group", {"Content-Type": "text/plain"}
            return 307, b"See: image", {"Location": f"{fake.url}/images/{rg.id}-front.jpg"}
        match = re.fullmatch(r"/images/([0-9a-f-]{36})-front\.jpg", path)
        if match and (rg := fake.release_group(match.group(1))) is not None:
            return 200, rg.cover, {"Content-Type": image_type(rg.cover)}
        return 404, _error("Not Found"), {}

    def _send(self, record: RecordedRequest, status: int, body: bytes, headers: dict[str, str]):
        self.send(record, status, body, {"Content-Type": XML_TYPE, **headers})


FakeMusicBrainz.handler = _Handler


# -- XML ----------------------------------------------------------------------------------------


def _document(inner: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<metadata xmlns="{MMD_NS}" xmlns:ns2="{EXT_NS}">{inner}</metadata>'
    ).encode()


def _error(text: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<error><text>{escape(text)}</text>"
        "<text>For usage, please see: https://musicbrainz.org/development/mmd</text></error>"
    ).encode()


def _artist_xml(artist: FakeArtist, *, score: int | None = None, aliases: bool = True) -> str:
    attrs = f"id={quoteattr(artist.id)} type={quoteattr(artist.type)}"
    if score is not None:
        attrs += f' ns2:score="{score}"'
    parts = [
        f"<name>{escape(artist.name)}</name>",
        f"<sort-name>{escape(artist.sort_name)}</sort-name>",
    ]
    if artist.disambiguation:
        parts.append(f"<disambiguation>{escape(artist.disambiguation)}</disambiguation>")
    if artist.country:
        parts.append(f"<country>{escape(artist.country)}</country>")
    if aliases and artist.aliases:
        items = "".join(
            f"<alias sort-name={quoteattr(sort)} type={quoteattr(kind)}>{escape(alias)}</alias>"
            for alias, sort, kind in artist.aliases
        )
        parts.append(f'<alias-list count="{len(artist.aliases)}">{items}</alias-list>')
    return f"<artist {attrs}>{''.join(parts)}</artist>"


def _release_group_xml(rg: FakeReleaseGroup) -> str:
    kind = rg.secondary_types[0] if rg.secondary_types else rg.primary_type
    parts = [f"<title>{escape(rg.title)}</title>"]
    if rg.first_release_date:
        parts.append(f"<first-release-date>{escape(rg.first_release_date)}</first-release-date>")
    if rg.primary_type:
        parts.append(f"<primary-type>{escape(rg.primary_type)}</primary-type>")
    if rg.secondary_types:
        items = "".join(f"<secondary-type>{escape(t)}</secondary-type>" for t in rg.secondary_types)
        parts.append(f"<secondary-type-list>{items}</secondary-type-list>")
    attrs = f"id={quoteattr(rg.id)} type={quoteattr(kind)}"
    return f"<release-group {attrs}>{''.join(parts)}</release-group>"


def load_artists(path: Path) -> list[FakeArtist]:
    """Read artists (with aliases and release groups) from a MusicBrainz XML file."""
    ns = {"mb": MMD_NS}
    root = ET.parse(path).getroot()
    artists = []
    for el in root.iterfind(".//mb:artist", ns):
        artists.append(
            FakeArtist(
                id=el.get("id"),
                name=el.findtext("mb:name", "", ns),
                sort_name=el.findtext("mb:sort-name", "", ns),
                type=el.get("type", ""),
                country=el.findtext("mb:country", "", ns),
                disambiguation=el.findtext("mb:disambiguation", "", ns),
                aliases=[
                    (a.text or "", a.get("sort-name", ""), a.get("type", ""))
                    for a in el.iterfind("mb:alias-list/mb:alias", ns)
                ],
                release_groups=[
                    FakeReleaseGroup(
                        id=rg.get("id"),
                        title=rg.findtext("mb:title", "", ns),
                        first_release_date=rg.findtext("mb:first-release-date", "", ns),
                        primary_type=rg.findtext("mb:primary-type", "", ns),
                        secondary_types=tuple(
                            t.text or ""
                            for t in rg.iterfind("mb:secondary-type-list/mb:secondary-type", ns)
                        ),
                    )
                    for rg in el.iterfind("mb:release-group-list/mb:release-group", ns)
                ],
                score=int(el.get(f"{{{EXT_NS}}}score")) if el.get(f"{{{EXT_NS}}}score") else None,
            )
        )
    return artists


# -- search -------------------------------------------------------------------------------------


def _query_terms(query: str) -> list[tuple[str, str]]:
    """``artist:"Sigur R\\u00f3s" OR alias:"..."`` -> [("artist", "Sigur Rós"), ...]; a query
    without fields searches names and aliases for the whole text."""
    terms = [
        (field_name, re.sub(r"\\(.)", r"\1", text))
        for field_name, text in re.findall(r'(\w+):"((?:[^"\\]|\\.)*)"', query)
    ]
    if not terms:
        text = re.sub(r"\\(.)", r"\1", query)
        terms = [("artist", text), ("alias", text)]
    return terms


def _score(artist: FakeArtist, field_name: str, text: str) -> int:
    wanted = _normal(text)
    if not wanted:
        return 0
    if field_name == "artist":
        return _similarity(wanted, _normal(artist.name), exact=100)
    if field_name == "alias":
        scores = [_similarity(wanted, _normal(alias), exact=95) for alias, *_ in artist.aliases]
        return max(scores, default=0)
    if field_name == "sortname":
        return _similarity(wanted, _normal(artist.sort_name), exact=95)
    return 0


def _similarity(wanted: str, have: str, *, exact: int) -> int:
    if wanted == have:
        return exact
    words, theirs = wanted.split(), have.split()
    if words and all(w in theirs for w in words):
        return int(exact * 0.85 * len(words) / len(theirs))
    return 0


def _normal(text: str) -> str:
    """Case, diacritics and punctuation ignored, as MusicBrainz's search does."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", bare).split())


def _int(value: str, default: int) -> int:
    try:
        return int(value)
    except ValueError:
        return default
