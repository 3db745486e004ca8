"""The scrub: which albums ``verify scrub`` verifies next, and what it keeps between runs.

Least recently verified first, never-verified first of all, so each run goes on where the last
stopped: ``--percent 5`` nightly covers the library every 20 nights, each album once. An
album's last look is the later of its last completed verify (the queue's ``completed_at``)
and its last scrub (``status/verify/scrub.json``: an album that fails is looked at again
only when its turn comes round, not first thing every night). "Last scrub" is written only
once a scrub really verified something. Coverage: the share of the library verified within
N days."""

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

KIND = "verify"
RECORD = "scrub.json"  # under status/verify/
NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Album:
    key: str
    name: str
    last: datetime | None  # its last verify or scrub; None: never verified


def record_path(status_dir: Path) -> Path:
    return status_dir / KIND / RECORD


def load_record(status_dir: Path) -> dict[str, Any]:
    """{"last_scrub": time or None, "albums": {key: time scrubbed}}."""
    try:
        data = json.loads(record_path(status_dir).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"last_scrub": None, "albums": {}}
    except (OSError, ValueError) as err:
        where = record_path(status_dir)
        raise MediakeeperError(f"the scrub record {where} cannot be read ({err})",
                               "move it aside to start the order afresh") from None  # fmt: skip
    data.setdefault("albums", {})
    data.setdefault("last_scrub", None)
    return data


def save_record(status_dir: Path, record: Mapping[str, Any]) -> None:
    atomic_write_text(record_path(status_dir), json.dumps(record, indent=1, sort_keys=True) + "\n")


def albums_of(items: Iterable[Mapping[str, Any]], scrubbed: Mapping[str, str]) -> list[Album]:
    """The queue's albums on disk (not missing), least recently looked at first."""
    found = []
    for item in items:
        if item.get("missing"):
            continue
        stamps = [s for s in (item.get("completed_at"), scrubbed.get(item["key"])) if s]
        last = max(datetime.fromisoformat(s) for s in stamps) if stamps else None
        found.append(Album(item["key"], item["name"], last))
    return sorted(found, key=lambda a: (a.last or NEVER, a.key.casefold(), a.key))


def choose(albums: list[Album], now: datetime, *, percent: float | None,
           older_than: float | None) -> list[Album]:  # fmt: skip
    """The albums this run verifies: ``percent`` of the library (rounded up, at least one),
    or those not verified within ``older_than`` days (at most ``percent`` of the library
    when both are given)."""
    if percent is not None and not 0 < percent <= 100:
        raise UsageError(f"--percent must be more than 0 and at most 100, not {percent:g}")
    if older_than is not None and older_than < 0:
        raise UsageError(f"--older-than must be 0 days or more, not {older_than:g}")
    chosen = albums
    if older_than is not None:
        since = now - timedelta(days=older_than)
        chosen = [a for a in albums if a.last is None or a.last < since]
    if percent is not None:
        chosen = chosen[: math.ceil(len(albums) * percent / 100)]
    return chosen


def coverage(albums: list[Album], now: datetime, days: float) -> tuple[int, int]:
    """(albums verified within ``days`` days, albums in the library)."""
    since = now - timedelta(days=days)
    return sum(1 for a in albums if a.last is not None and a.last >= since), len(albums)


def scrubbed(status_dir: Path, keys: Iterable[str], now: datetime) -> None:
    """Record the albums a scrub verified and the scrub itself (only ever after one ran)."""
    keys = list(keys)
    if not keys:
        return
    record = load_record(status_dir)
    for key in keys:
        record["albums"][key] = iso(now)
    record["last_scrub"] = iso(now)
    save_record(status_dir, record)
