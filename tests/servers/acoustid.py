"""A fake AcoustID web service on 127.0.0.1, for tests.

It answers AcoustID's real JSON for the one call the toolkit makes:

* lookup ``GET /v2/lookup?client=<key>&duration=<s>&fingerprint=<base64>&meta=recordings
  releasegroups``: ``{"status": "ok", "results": [{"id", "score", "recordings": [{"id",
  "title", "duration", "artists": [{"id", "name"}], "releasegroups": [{"id", "title",
  "type", "secondarytypes", "artists"}]}]}]}``, best first; a fingerprint it does not know
  has ``"results": []``.

and its errors, with the status and body the real service sends: 400 ``{"status": "error",
"error": {"code": 4, "message": "invalid API key"}}`` for a wrong key, 2 for a missing
parameter, 3 for a fingerprint that does not decode, 8 for a duration that is not a positive
integer; 429 code 14 ("rate limit (3.000000 requests per second) exceeded, try again
later", without Retry-After, as the real one) and 503 code 13, scripted with ``fail``.

Its database is what ``add_track`` puts in it: a fingerprint (as ffmpeg's chromaprint muxer
makes it from the test's audio), its duration, and the AcoustID tracks it matches, each with
a score and recordings. A fingerprint matches when it is exactly one added and the duration
is within 7 seconds of the added one's (the real service compares the audio; the tests make
each file's audio, so an exact fingerprint is what they have). It records every request
(``requests``; the key is kept in memory only).

    with FakeAcoustID() as server:      # settings: [acoustid] url = server.url, key = API_KEY
        server.add_track(fp, 180, [match(0.97, recording(...))])
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.servers.base import FakeService, Fault, RecordedRequest, RecordingHandler

API_KEY = "Xq3fAcoustIdKey9"  # what a real application key looks like: 8-10 letters and digits
JSON_TYPE = "application/json; charset=UTF-8"
_IDS = uuid.UUID("4d1c0d2e-9e58-4a55-8d6b-0c8f7a8d2a11")  # namespace for generated ids
_ERRORS = {
    2: (400, 'missing required parameter "{name}"'),
    3: (400, "invalid fingerprint"),
    4: (400, "invalid API key"),
    5: (500, "internal error"),
    8: (400, 'parameter "{name}" must be a positive integer'),
    13: (503, "service currently unavailable, try again later"),
    14: (429, "rate limit (3.000000 requests per second) exceeded, try again later"),
}
_BY_STATUS = {429: 14, 503: 13, 500: 5}


def new_id(*parts: str) -> str:
    return str(uuid.uuid5(_IDS, ":".join(parts)))


def artist(name: str) -> dict[str, str]:
    return {"id": new_id("artist", name), "name": name}


def release_group(title: str, by: str, type: str = "Album", *secondary: str) -> dict[str, Any]:
    group: dict[str, Any] = {"id": new_id("rg", by, title), "title": title, "type": type,
                             "artists": [artist(by)]}  # fmt: skip
    if secondary:
        group["secondarytypes"] = list(secondary)
    return group


def recording(title: str, by: str, duration: int, *groups: dict[str, Any]) -> dict[str, Any]:
    return {"id": new_id("recording", by, title), "title": title, "duration": duration,
            "artists": [artist(by)], "releasegroups": list(groups)}  # fmt: skip


def match(score: float, *recordings: dict[str, Any], id: str | None = None) -> dict[str, Any]:
    """One AcoustID track in an answer; without recordings, one linked to none yet."""
    found: dict[str, Any] = {"id": id or new_id("track", str(score), *map(str, recordings)),
                             "score": score}  # fmt: skip
    if recordings:
        found["recordings"] = list(recordings)
    return found


@dataclass
class _Known:
    duration: float
    results: list[dict[str, Any]] = field(default_factory=list)


class FakeAcoustID(FakeService):
    refusal = 503

    def __init__(self, api_key: str = API_KEY):
        super().__init__()
        self.api_key = api_key
        self.tracks: dict[str, _Known] = {}

    def add_track(self, fingerprint: str, duration: float, results: list[dict[str, Any]]):
        """What a lookup of this fingerprint answers: ``results`` (``match(...)``), best
        first as the service sorts them."""
        ordered = sorted(results, key=lambda r: -r["score"])
        self.tracks[fingerprint] = _Known(duration, ordered)

    def lookup(self, fingerprint: str, duration: int) -> list[dict[str, Any]]:
        known = self.tracks.get(fingerprint)
        if known is None or abs(known.duration - duration) > 7:
            return []
        return known.results


class _Handler(RecordingHandler):
    server_version = "FakeAcoustID/1.0"

    def answer(self, fake: FakeAcoustID, record: RecordedRequest, fault: Fault | None) -> None:
        if fault is not None and fault.kind == "status":
            code = _BY_STATUS.get(fault.status, 5)
            return self._send(record, fault.status, _error(code), fault.headers())
        status, body = self._route(fake, record)
        if fault is not None and fault.kind == "malformed":
            status = 200
            body = fault.body if fault.body is not None else body[: len(body) // 2]
        self._send(record, status, body)

    def _route(self, fake: FakeAcoustID, record: RecordedRequest) -> tuple[int, bytes]:
        if record.path != "/v2/lookup":
            return 404, b"Not Found"
        for name in ("client", "fingerprint", "duration"):
            if not record.param(name):
                return _status(2), _error(2, name=name)
        if record.param("client") != fake.api_key:
            return _status(4), _error(4)
        duration = record.param("duration")
        if not duration.isdigit() or int(duration) <= 0:
            return _status(8), _error(8, name="duration")
        if not _decodes(record.param("fingerprint")):
            return _status(3), _error(3)
        results = fake.lookup(record.param("fingerprint"), int(duration))
        wanted = set(record.param("meta").split())
        shown = [_with_meta(r, wanted) for r in results]
        return 200, json.dumps({"status": "ok", "results": shown}).encode()

    def _send(self, record, status: int, body: bytes, headers=None) -> None:
        self.send(record, status, body, {"Content-Type": JSON_TYPE, **(headers or {})})


FakeAcoustID.handler = _Handler


def _status(code: int) -> int:
    return _ERRORS[code][0]


def _error(code: int, **words: str) -> bytes:
    message = _ERRORS[code][1].format(**words)
    return json.dumps({"status": "error", "error": {"code": code, "message": message}}).encode()


def _decodes(fingerprint: str) -> bool:
    try:
        raw = base64.urlsafe_b64decode(fingerprint + "=" * (-len(fingerprint) % 4))
    except (binascii.Error, ValueError):
        return False
    return len(raw) >= 4


def _with_meta(result: dict[str, Any], wanted: set[str]) -> dict[str, Any]:
    """A result as the meta asked for it: recordings only with ``recordings``, their release
    groups only with ``releasegroups``."""
    shown = {"id": result["id"], "score": result["score"]}
    if "recordings" in wanted and "recordings" in result:
        shown["recordings"] = [
            {k: v for k, v in r.items() if k != "releasegroups" or "releasegroups" in wanted}
            for r in result["recordings"]
        ]
    return shown
