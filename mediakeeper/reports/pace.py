"""Progress and pace of one queue at one moment. Pure: records and a moment in, figures out.

Pace is the number of items completed in the four ISO weeks ending with the report's week
(weeks without work count as zero), per week of time that has passed in that window since the
queue was created — so a week still running is not counted as a full week, and the weeks
before the queue existed are not counted at all (a queue younger than a week counts as a week
old, so one busy evening does not promise that pace every day). What is left is what is
neither completed nor skipped nor gone: a skipped item is decided, as is one whose folder is
gone before its turn, which no batch takes (both as the queue stands now, so in the current
week's figures only). The projected completion date divides
what is left by that pace; with no pace there is no date, never a division by zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from mediakeeper.core import kinds
from mediakeeper.core.decisions import status_word
from mediakeeper.queue.items import COMPLETED, ERROR, SKIPPED, gone, last_failure
from mediakeeper.queue.left_out import PluginsLeftOut
from mediakeeper.reports.records import QueueRecord
from mediakeeper.reports.weeks import Week, count_in, parse_time
from mediakeeper.text.failures import plain_error
from mediakeeper.text.wording import plural_of

PACE_WEEKS = 4
MIN_PACE_DAYS = 7.0  # the shortest time a pace is measured over
FAR_AWAY_DAYS = 100 * 365  # beyond this a projected date means nothing
MESSAGE_LENGTH = 300


@dataclass(frozen=True)
class Pace:
    weeks: tuple[tuple[Week, int], ...]  # the window's weeks, oldest first, with completions
    completed: int  # completed in the window, up to the report's moment
    days: float  # how much of the window has passed
    remaining: int
    per_week: float
    projected: date | None
    state: str  # "empty", "done", "no pace", "projected", "too slow"

    def describe(self, plural: str) -> str:
        """``12.5 artists/week · done around Tue 2 Mar 2027``, or why there is no date."""
        if self.state == "empty":
            return "nothing queued"
        if self.state == "done":
            return "all done"
        if self.state == "no pace":
            return "no pace yet"
        rate = f"{self.per_week:.1f} {plural}/week"
        if self.state == "too slow":
            return f"{rate} · more than 100 years to go at this pace"
        return f"{rate} · done around {format_day(self.projected)}"


@dataclass(frozen=True)
class QueueProgress:
    kind: str
    noun: str
    plural: str
    total: int
    completed: int  # as of the report's moment
    statuses: Mapping[str, int]  # now
    pace: Pace
    created_at: datetime | None
    problem: str | None = None
    # Skipped items counted as decided: the queue's now, so only when the moment is now (when
    # an item was skipped is not recorded, a past week cannot place it).
    skipped: int = 0
    # The items in progress by the stage their job reported (conversions), now.
    stages: Mapping[str, int] = field(default_factory=dict)
    # The completed items that lack a rule plugin's findings (as ``stages``: now).
    plugins_left_out: PluginsLeftOut = field(default_factory=PluginsLeftOut)
    # Items left to do whose folder is gone (``queue.items.gone``): no batch takes them, so
    # they are decided as skipped ones are (as ``skipped``: now).
    gone: int = 0
    # Of ``gone``, the failed ones: counted gone, not failed (a retry takes none of them).
    failed_gone: int = 0

    @property
    def failed(self) -> int:
        """The failed items a retry takes: not those whose folder is gone."""
        return self.statuses.get(ERROR, 0) - self.failed_gone

    @property
    def decided(self) -> int:
        """Completed, skipped or gone: nothing left to do for them."""
        return min(self.total, self.completed + self.skipped + self.gone)

    @property
    def percent(self) -> float:
        return percent(self.decided, self.total)

    @property
    def remaining(self) -> int:
        return self.total - self.decided


@dataclass(frozen=True)
class Outstanding:
    """An item that needs a person: errored (retryable) or skipped."""

    kind: str
    name: str
    status: str
    message: str
    stage: str
    attempts: int
    at: datetime | None
    key: str = ""  # its queue key (names may be alike: an album's in two artists)

    @property
    def word(self) -> str:
        return status_word(self.status)


def percent(part: int, whole: int) -> float:
    """Rounded down to one decimal, so 100.0 means every item, never 99.96."""
    return math.floor(1000 * part / whole) / 10 if whole else 0.0


def format_day(day: date | None) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}" if day else "—"


def nouns(kind: str) -> tuple[str, str]:
    noun = kinds.noun(kind)
    return noun, plural_of(noun)


def pace_for(
    times: Sequence[datetime],
    remaining: int,
    week: Week,
    as_of: datetime,
    since: datetime | None = None,
) -> Pace:
    """``times``: sorted completion times; ``since``: when the queue was created (None: the
    window's start)."""
    return pace_from(lambda w: count_in(times, w, as_of), remaining, week, as_of, since)


def pace_from(
    completions: Callable[[Week], int],
    remaining: int,
    week: Week,
    as_of: datetime,
    since: datetime | None = None,
) -> Pace:
    """``pace_for`` from ``completions(week)``: how many items were completed in a week, up to
    ``as_of``."""
    window = [week.shift(n - PACE_WEEKS + 1) for n in range(PACE_WEEKS)]
    start = max(window[0].start, since) if since else window[0].start
    per_week_counts = tuple((w, completions(w)) for w in window)
    completed = sum(count for _, count in per_week_counts)
    days = max(MIN_PACE_DAYS, (as_of - start).total_seconds() / 86400)
    per_week = completed * 7 / days
    projected, state = None, "projected"
    if remaining <= 0:
        state = "done"
    elif completed == 0:
        state = "no pace"
    else:
        needed = math.ceil(remaining * days / completed)
        if needed > FAR_AWAY_DAYS:
            state = "too slow"
        else:
            projected = as_of.date() + timedelta(days=needed)
    return Pace(per_week_counts, completed, days, max(0, remaining), per_week, projected, state)


def unidentified(queue: QueueRecord) -> int:
    """Its completed items that are not identified (offline, no match)."""
    return sum(
        1
        for item in queue.items
        if item.get("status") == COMPLETED and (item.get("details") or {}).get("unidentified")
    )


def outstanding(queue: QueueRecord) -> list[Outstanding]:
    """The queue's failed items, then its skipped ones, each with its latest message. A
    completed item not identified (offline, no match) is none of them: it is a decision,
    listed with its findings and what looks it up (``attention``), counted apart here."""
    found = [o for o in (outstanding_of(queue.kind, item) for item in queue.items) if o]
    found.sort(key=outstanding_key)
    return found


def outstanding_of(kind: str, item: Mapping[str, Any]) -> Outstanding | None:
    """The item as an outstanding one, if it failed or was skipped. One failed whose folder
    is gone is not: no retry takes it, and it asks nothing while it is gone (``gone``: it
    counts as decided, and comes back in line with its folder)."""
    status = item.get("status")
    if status not in (ERROR, SKIPPED) or gone(item):
        return None
    last = last_failure(item)
    message = item.get("last_error") or last.get("message") or ""
    if not message and status == SKIPPED:
        message = "skipped by hand"
    return Outstanding(
        kind=kind,
        name=str(item.get("name") or item.get("key")),
        status=status,
        message=plain_error(str(message), most=MESSAGE_LENGTH),  # as every face says it
        stage=str(last.get("stage") or ""),
        attempts=int(item.get("attempts") or 0),
        at=parse_time(last.get("at")),
        key=str(item.get("key") or ""),
    )


def outstanding_key(o: Outstanding) -> tuple[int, str, str]:
    """Failed first, then skipped; by name."""
    return ({ERROR: 0, SKIPPED: 1}.get(o.status, 2), o.name.casefold(), o.name)


def one_line(text: str, limit: int = MESSAGE_LENGTH) -> str:
    """Messages are data from anywhere (tracebacks too): one line, of a readable length."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
