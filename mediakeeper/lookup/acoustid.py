"""AcoustID web service (JSON) through the shared cached, rate-limited session.

One call: ``GET /v2/lookup?client=<key>&duration=<s>&fingerprint=<...>&meta=recordings
releasegroups``, answered with the AcoustID tracks the fingerprint matches, each with a score
and its MusicBrainz recordings and their release groups. The application key is the
session's secret parameter ``client``: never part of a cache key, stored as ``REDACTED``,
never in a message. A repeated lookup is answered from the cache (never expires) and costs
no request.

Every value is checked before it is used (``lookup/answers.py``): a result, recording or
release group without a valid id is left out, any other value that does not fit alone, and
the answer is noted once in the session's ``notes``.

AcoustID answers a refusal with HTTP 400 (429 for its rate limit, 503 when unavailable) and a
body ``{"status": "error", "error": {"code": 4, "message": "invalid API key"}}``: code 4 is
:class:`KeyRefused` (wrong for every track), the others a ``LookupFailed`` saying AcoustID's
own words.
"""

from __future__ import annotations

import json
from typing import Any

from mediakeeper import __version__
from mediakeeper.core.config import Settings
from mediakeeper.lookup import answers
from mediakeeper.lookup.acoustid_types import (
    KeyRefused,
    Match,
    Recording,
    ReleaseGroupRef,
    require_key,
)
from mediakeeper.lookup.answers import Screen
from mediakeeper.lookup.http import LookupFailed, LookupSession, ServiceClient, check_http_url

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
            problem, network = self.session.unusable(
                response, f"not AcoustID's JSON ({err})", "AcoustID's JSON"
            )
            raise LookupFailed(f"acoustid: the answer was {problem}", network=network) from None
        screen = Screen("AcoustID", f"the lookup of {track or 'a fingerprint'}")
        matches = screen.each(data["results"], lambda raw: _match(raw, screen), "result")
        screen.noted(self.session.notes)
        return sorted(matches, key=lambda m: -m.score)


def acoustid_from_settings(settings: Settings) -> AcoustID:
    """The client for this data home: cache ``status/cache/acoustid.sqlite``, the shared
    limiter ``status/cache/ratelimit.sqlite``, the ``[acoustid]`` settings. Close it."""
    section = settings.section("acoustid")
    key = require_key(settings)
    _check_url(section["url"])
    cache_dir = settings.status_dir / "cache"
    session = LookupSession(
        "acoustid",
        cache_path=cache_dir / "acoustid.sqlite",
        rate_limit=float(section["rate_limit"]),
        timeout=float(section["timeout"]),
        retries=int(section["retries"]),
        user_agent=f"mediakeeper/{__version__}",
        limiter_path=cache_dir / "ratelimit.sqlite",
        secret_params=("client",),
    )
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
    return LookupFailed(
        f"{err.message}: AcoustID error {code}, {message}", network=err.network, status=err.status
    )


def _status(data: object) -> str:
    return repr(data.get("status")) if isinstance(data, dict) else "missing"


def _artist(credits: Any, screen: Screen) -> tuple[str, str]:
    """The credited names joined as MusicBrainz joins them ("A feat. B"), else by ", ", and
    the first credited artist's id."""
    names = screen.each(credits, _credit, "credited artist")
    if any(join for _, join, _ in names):
        joined = "".join(f"{name}{join}" for name, join, _ in names)
    else:
        joined = ", ".join(name for name, _, _ in names)
    return joined, names[0][2] if names else ""


def _credit(raw: Any) -> tuple[str, str, str]:
    raw = answers.record(raw, "credited artist")
    return (
        answers.text(raw.get("name"), "an artist's name"),
        answers.text(raw.get("joinphrase"), "a join phrase", strip=False),
        answers.optional_mbid(raw.get("id"), "an artist id"),
    )


def _release_group(raw: Any, screen: Screen) -> ReleaseGroupRef:
    raw = answers.record(raw, "release group")
    return ReleaseGroupRef(
        id=answers.mbid(raw.get("id"), "a release group id"),
        title=answers.text(raw.get("title"), "a release group's title"),
        type=screen.optional(answers.text, raw.get("type"), "a release group's type", ""),
        secondary_types=screen.texts(raw.get("secondarytypes"), "secondary type"),
        artist=_artist(raw.get("artists"), screen)[0],
    )


def _recording(raw: Any, screen: Screen) -> Recording:
    raw = answers.record(raw, "recording")
    artist, artist_id = _artist(raw.get("artists"), screen)
    return Recording(
        id=answers.mbid(raw.get("id"), "a recording id"),
        title=answers.text(raw.get("title"), "a recording's title"),
        artist=artist,
        artist_id=artist_id,
        duration=round(screen.optional(answers.number, raw.get("duration") or 0, "a duration",
                                       0.0, low=0, high=MAX_DURATION)),
        release_groups=tuple(
            screen.each(raw.get("releasegroups"), lambda r: _release_group(r, screen),
                        "release group")
        ),
    )


def _match(raw: Any, screen: Screen) -> Match:
    raw = answers.record(raw, "result")
    return Match(
        id=answers.mbid(raw.get("id"), "a result id"),
        score=answers.number(raw.get("score"), "a score", low=0, high=1),
        recordings=tuple(
            screen.each(raw.get("recordings"), lambda r: _recording(r, screen), "recording")
        ),
    )
