"""The scrub: which albums ``verify scrub`` verifies next, and what it keeps between runs.

Least recently looked at first, never-verified first of all, so each run goes on where the last
stopped: ``--percent 5`` nightly covers the library every 20 nights, each album once. An
album's last verify is the later of its last completed verify (the queue's ``completed_at``)
and its last scrub that verified it (``status/verify/scrub.json``); one the scrub could not
verify is kept apart (``unverified``): it waits for its turn to come round again, not first
thing every night, and never counts as verified. "Last scrub" is written only once a scrub
really verified something. Coverage: the share of the library verified within N days. A run
with any problem raises one alert (``alert_payload``) with the host and a summary; a run
without one raises none."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mediakeeper.core.errors import MediakeeperError, UsageError
from mediakeeper.fs.atomic import atomic_write_text
from mediakeeper.queue.items import iso
from mediakeeper.system.processes import host

KIND = "verify"
RECORD = "scrub.json"  # under status/verify/
NEVER = datetime.min.replace(tzinfo=UTC)
KEPT_PROBLEMS = 20  # the albums an alert names
DEFAULT_DAYS = 30.0  # the coverage window when no --older-than is given
MOST_DAYS = 36_500  # a window past a century is a typo (and past 2,700 years, no date)


@dataclass(frozen=True)
class Album:
    key: str
    name: str
    last: datetime | None  # its last verify or scrub that verified it; None: never verified
    tried: datetime | None = None  # the last scrub that could not verify it

    @property
    def looked(self) -> datetime:
        """When it was last looked at, verified or not: the scrub's order."""
        return max(t for t in (self.last, self.tried, NEVER) if t is not None)


def record_path(status_dir: Path) -> Path:
    return status_dir / KIND / RECORD


def load_record(status_dir: Path) -> dict[str, Any]:
    """{"last_scrub": time or None, "albums": {key: time verified}, "unverified": {key:
    time a scrub could not verify it}}."""
    try:
        data = json.loads(record_path(status_dir).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"last_scrub": None, "albums": {}, "unverified": {}}
    except (OSError, ValueError) as err:
        where = record_path(status_dir)
        raise MediakeeperError(f"the scrub record {where} cannot be read ({err})",
                               "move it aside to start the order afresh") from None  # fmt: skip
    data.setdefault("albums", {})
    data.setdefault("unverified", {})
    data.setdefault("last_scrub", None)
    return data


def save_record(status_dir: Path, record: Mapping[str, Any]) -> None:
    atomic_write_text(record_path(status_dir), json.dumps(record, indent=1, sort_keys=True) + "\n")


def albums_of(
    items: Iterable[Mapping[str, Any]], record: Mapping[str, Any]
) -> list[Album]:  # fmt: skip
    """The queue's albums on disk (not missing), least recently looked at first."""
    scrubbed, tried = record.get("albums", {}), record.get("unverified", {})
    found = []
    for item in items:
        if item.get("missing"):
            continue
        stamps = [s for s in (item.get("completed_at"), scrubbed.get(item["key"])) if s]
        last = max(datetime.fromisoformat(s) for s in stamps) if stamps else None
        failed = tried.get(item["key"])
        failed_at = datetime.fromisoformat(failed) if failed else None
        if failed_at is not None and last is not None and failed_at < last:
            failed_at = None  # verified since (in the same second: fail closed, not since)
        found.append(Album(item["key"], item["name"], last, failed_at))
    return sorted(found, key=lambda a: (a.looked, a.key.casefold(), a.key))


def check(percent: float | None, older_than: float | None) -> None:
    """A UsageError for a share or a window no run can take (nan fails every comparison)."""
    if percent is not None and not 0 < percent <= 100:
        raise UsageError(f"--percent must be more than 0 and at most 100, not {percent:g}")
    if older_than is not None and not 0 <= older_than <= MOST_DAYS:
        raise UsageError(f"--older-than must be 0 days or more, at most {MOST_DAYS:,}, not "
                         f"{older_than:g}")  # fmt: skip


def choose(albums: list[Album], now: datetime, *, percent: float | None,
           older_than: float | None) -> list[Album]:  # fmt: skip
    """The albums this run verifies: ``percent`` of the library (rounded up, at least one),
    or those not verified within ``older_than`` days (at most ``percent`` of the library
    when both are given); both as ``check`` lets them through."""
    chosen = albums
    if older_than is not None:
        since = now - timedelta(days=older_than)
        chosen = [a for a in albums if a.looked < since]
    if percent is not None:
        chosen = chosen[: math.ceil(len(albums) * percent / 100)]
    return chosen


def unreachable(percent: float | None, older_than: float | None) -> str | None:
    """What to say when nightly runs at ``percent`` cannot verify the whole library within
    ``older_than`` days (30 without it): the coverage asked for would never be reached."""
    days = older_than if older_than is not None else DEFAULT_DAYS
    if percent is None or days <= 0 or math.ceil(100 / percent) <= days:
        return None
    needed = math.ceil(100 / days)
    return (f"note: at {percent:g}% a night the library takes {math.ceil(100 / percent)} nights,"
            f" more than {days:g} days: run --percent {needed} or more nightly to keep it all"
            " verified within that")


def coverage(albums: list[Album], now: datetime, days: float,
             run_began: datetime | None = None) -> tuple[int, int]:  # fmt: skip
    """(albums verified within ``days`` days, albums in the library). An album verified
    since ``run_began`` (by the run that asks) counts in any window, a window of 0 days or
    one shorter than the run itself too. An album the last scrub could not verify is not
    counted, whenever it was verified before (fail closed)."""
    since = now - timedelta(days=days)
    if run_began is not None:  # to the second: the record keeps its times so
        since = min(since, run_began.replace(microsecond=0))
    good = [a for a in albums if a.last is not None and a.last >= since and a.tried is None]
    return len(good), len(albums)


def scrubbed(status_dir: Path, key: str, now: datetime, *, verified: bool) -> None:
    """Record one album the scrub looked at: verified (fine, or damage found), or not (it
    could not be); "last scrub" only ever after one verified something."""
    record = load_record(status_dir)
    if verified:
        record["albums"][key] = iso(now)
        record["unverified"].pop(key, None)
        record["last_scrub"] = iso(now)
    else:
        record["unverified"][key] = iso(now)
    save_record(status_dir, record)


def alert_payload(home: Path, summary: str, problems: list[dict[str, str]],
                  now: datetime) -> dict[str, Any]:  # fmt: skip
    """A scrub's alert, as the webhook receives it and ``serve`` tells it: the host, the
    summary line and each album with a problem ({"album", "problem"})."""
    return {"version": 1, "event": "scrub", "kind": KIND, "host": host(),
            "home": str(home), "summary": summary, "problems": problems[:KEPT_PROBLEMS],
            "at": iso(now)}  # fmt: skip
