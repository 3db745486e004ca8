"""AcoustID web service (JSON) through the shared cached, rate-limited session.

One call: ``GET /v2/lookup?client=<key>&duration=<s>&fingerprint=<...>&meta=recordings
releasegroups``, answered with the AcoustID tracks the fingerprint matches, each with a score
and its MusicBrainz recordings and their release groups. The application key is the
session's secret parameter ``client``: never part of a cache key, stored as ``REDACTED``,
never in a message. A repeated lookup is answered from the cache (never expires) and costs
no request.

AcoustID answers a refusal with HTTP 400 (429 for its rate limit, 503 when unavailable) and a
body ``{"status": "error", "error": {"code": 4, "message": "invalid API key"}}``: code 4 is
:class:`KeyRefused` (wrong for every track), the others a ``LookupFailed`` saying AcoustID's
own words.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from mediakeeper import __version__
from mediakeeper.core.config import Settings
from mediakeeper.lookup.acoustid_types import (
    KeyRefused,
    Match,
    Recording,
    ReleaseGroupRef,
    require_key,
)
from mediakeeper.lookup.http import LookupFailed, LookupSession, ServiceClient, check_http_url

META = "recordings releasegroups"
INVALID_KEY = 4  # AcoustID's error code for an unknown application key


class AcoustID(ServiceClient):
    """lookup(fingerprint, duration) -> list[Match], best first (1 request)."""

    def __init__(self, session: LookupSession, base_url: str, key: str):
        _check_url(base_url)
        self.session = session
        self.base_url = base_url.rstrip("/")
        self._key = key

    def __repr__(self) -> str:  # never the key
        return f"AcoustID({self.base_url!r})"

    def lookup(self, fingerprint: str, duration: float) -> list[Match]:
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
            if data.get("status") != "ok":
                raise ValueError(f"status {data.get('status')!r}")
            matches = [_match(raw) for raw in data["results"]]
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            problem, network = self.session.unusable(
                response, f"not AcoustID's JSON ({err})", "AcoustID's JSON"
            )
            raise LookupFailed(f"acoustid: the answer was {problem}", network=network) from None
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


def _artist(credits: Sequence[Mapping[str, Any]] | None) -> str:
    """The credited names joined as MusicBrainz joins them ("A feat. B"), else by ", "."""
    credits = credits or []
    if any("joinphrase" in c for c in credits):
        return "".join(f"{c.get('name', '')}{c.get('joinphrase', '')}" for c in credits)
    return ", ".join(c.get("name", "") for c in credits)


def _release_group(raw: Mapping[str, Any]) -> ReleaseGroupRef:
    return ReleaseGroupRef(
        id=raw["id"],
        title=raw.get("title") or "",
        type=raw.get("type") or "",
        secondary_types=tuple(raw.get("secondarytypes") or ()),
        artist=_artist(raw.get("artists")),
    )


def _recording(raw: Mapping[str, Any]) -> Recording:
    artists = raw.get("artists") or []
    return Recording(
        id=raw["id"],
        title=raw.get("title") or "",
        artist=_artist(artists),
        artist_id=(artists[0].get("id") or "") if artists else "",
        duration=int(raw.get("duration") or 0),
        release_groups=tuple(_release_group(rg) for rg in raw.get("releasegroups") or ()),
    )


def _match(raw: Mapping[str, Any]) -> Match:
    return Match(
        id=raw["id"],
        score=float(raw["score"]),
        recordings=tuple(_recording(r) for r in raw.get("recordings") or ()),
    )
