"""AcoustID web service (JSON) through the shared cached, rate-limited session.

One call: ``GET /v2/lookup?client=<key>&duration=<s>&fingerprint=<...>&meta=recordings
releasegroups``, answered with the AcoustID tracks the fingerprint matches, each with a score
and its MusicBrainz recordings and their release groups. The application key is the
session's secret parameter ``client``: never part of a cache key, stored as ``REDACTED``,
never in a message. A repeated lookup is answered from the cache (never expires) and costs
no request.

Every value is checked before it is used (pydantic models, ``lookup/answers.py``): a result,
recording or release group without a valid id is left out, any other value that does not fit
alone, and the answer is noted once in the session's ``notes``.

AcoustID answers a refusal with HTTP 400 (429 for its rate limit, 503 when unavailable) and a
body ``{"status": "error", "error": {"code": 4, "message": "invalid API key"}}``: code 4 is
:class:`KeyRefused` (wrong for every track), the others a ``LookupFailed`` saying AcoustID's
own words.
"""

from __future__ import annotations

import json
from typing import Annotated

from mediakeeper.core.config import Settings
from mediakeeper.lookup import answers
from mediakeeper.lookup.acoustid_types import (
    KeyRefused,
    Match,
    Recording,
    ReleaseGroupRef,
    require_key,
)
from mediakeeper.lookup.answers import Answer, check, each, lenient
from mediakeeper.lookup.http import (
    LookupFailed,
    LookupSession,
    ServiceClient,
    check_http_url,
    session_from_settings,
)

META = "recordings releasegroups"
INVALID_KEY = 4  # AcoustID's error code for an unknown application key
MAX_DURATION = 24 * 3600  # seconds: no recording is longer


class AcoustID(ServiceClient):
    """lookup(fingerprint, duration) -> list[Match], best first (1 request)."""

    def __init__(self, session: LookupSession, base_url: str, key: str):
        _check_url(base_url)
        self.session = session
        self.base_url = base_url.rstrip("/")
        self._key = key

    def __repr__(self) -> str:  # never the key
        return f"AcoustID({self.base_url!r})"

    def lookup(self, fingerprint: str, duration: float, track: str = "") -> list[Match]:
        """``track`` names the file in a note on what the answer held that did not fit."""
        params = {
            "client": self._key,
            "duration": max(1, round(duration)),
            "fingerprint": fingerprint,
            "meta": META,
        }
        url = f"{self.base_url}/v2/lookup"
        try:
            response = self.session.get(url, params)
        except LookupFailed as err:
            raise _refusal(err) from None
        try:
            data = json.loads(response.content)
            if not isinstance(data, dict) or data.get("status") != "ok":
                raise ValueError(f"status {_status(data)}")
            if not isinstance(data.get("results"), list):
                raise ValueError("no list of results")
        except (ValueError, RecursionError) as err:  # RecursionError: nested past all reason
            raise self.session.unfit(response, f"not AcoustID's JSON ({err})",
                                     "AcoustID's JSON") from None  # fmt: skip
        answer = f"the lookup of {track or 'a fingerprint'}"
        found = answers.read(_Matches, data["results"], "AcoustID", answer, self.session.notes)
        return sorted((m.record() for m in found), key=lambda m: -m.score)


def acoustid_from_settings(settings: Settings) -> AcoustID:
    """The client for this data home: cache ``status/cache/acoustid.sqlite``, the shared
    limiter ``status/cache/ratelimit.sqlite``, the ``[acoustid]`` settings. Close it."""
    section = settings.section("acoustid")
    key = require_key(settings)
    _check_url(section["url"])
    session = session_from_settings(settings, "acoustid", secret_params=("client",),
                                    name="AcoustID")  # fmt: skip
    session.http.headers["Accept"] = "application/json"
    return AcoustID(session, section["url"], key)


def check_settings(settings: Settings) -> None:
    """ConfigError if the ``[acoustid]`` settings cannot make a single lookup."""
    require_key(settings)
    _check_url(settings.get("acoustid", "url"))


def _check_url(url: str) -> None:
    check_http_url("[acoustid] url", url, "e.g. https://api.acoustid.org")


def _refusal(err: LookupFailed) -> LookupFailed:
    """The refusal in AcoustID's own words, where its body gives them."""
    try:
        said = json.loads(err.body)["error"]
        code, message = int(said["code"]), str(said["message"])
    except (ValueError, KeyError, TypeError):
        return err
    if code == INVALID_KEY:
        return KeyRefused(message)
    return LookupFailed.of(
        "AcoustID", f"{err.why}: error {code}, {message}", network=err.network,
        status=err.status, address=err.address, asked_to_wait=err.asked_to_wait,
    )  # fmt: skip


def _status(data: object) -> str:
    return repr(data.get("status")) if isinstance(data, dict) else "missing"


# -- AcoustID's JSON: pydantic models (lookup/answers.py) -------------------------------------


class _Credit(Answer):
    what = "credited artist"
    name: Annotated[str, check(answers.text, "an artist's name")] = None
    joinphrase: Annotated[str, check(answers.text, "a join phrase", strip=False)] = None
    id: Annotated[str, check(answers.optional_mbid, "an artist id")] = None


Credits = Annotated[tuple[_Credit, ...], each(_Credit, "credited artist")]


def _joined(credits: tuple[_Credit, ...]) -> tuple[str, str]:
    """The credited names joined as MusicBrainz joins them ("A feat. B"), else by ", ", and
    the first credited artist's id."""
    if any(c.joinphrase for c in credits):
        joined = "".join(f"{c.name}{c.joinphrase}" for c in credits)
    else:
        joined = ", ".join(c.name for c in credits)
    return joined, credits[0].id if credits else ""


class _ReleaseGroup(Answer):
    what = "release group"
    id: Annotated[str, check(answers.mbid, "a release group id")] = None
    title: Annotated[str, check(answers.text, "a release group's title")] = None
    type: Annotated[str, check(answers.text, "a release group's type"), lenient("")] = None
    secondarytypes: answers.texts("secondary type") = None
    artists: Credits = None

    def record(self) -> ReleaseGroupRef:
        return ReleaseGroupRef(self.id, self.title, self.type, self.secondarytypes,
                               _joined(self.artists)[0])  # fmt: skip


class _Recording(Answer):
    what = "recording"
    artists: Credits = None
    id: Annotated[str, check(answers.mbid, "a recording id")] = None
    title: Annotated[str, check(answers.text, "a recording's title")] = None
    duration: answers.zero_or(answers.number, "a duration", 0.0, low=0, high=MAX_DURATION) = None
    releasegroups: Annotated[
        tuple[_ReleaseGroup, ...], each(_ReleaseGroup, "release group")
    ] = None

    def record(self) -> Recording:
        artist, artist_id = _joined(self.artists)
        return Recording(self.id, self.title, artist, artist_id, round(self.duration),
                         tuple(rg.record() for rg in self.releasegroups))  # fmt: skip


class _Match(Answer):
    what = "result"
    id: Annotated[str, check(answers.mbid, "a result id")] = None
    score: Annotated[float, check(answers.number, "a score", low=0, high=1)] = None
    recordings: Annotated[tuple[_Recording, ...], each(_Recording, "recording")] = None

    def record(self) -> Match:
        return Match(self.id, self.score, tuple(r.record() for r in self.recordings))


_Matches = Annotated[tuple[_Match, ...], each(_Match, "result")]
