"""ISO weeks in UTC (Monday 00:00 to the next Monday 00:00), and time arithmetic on them.

Pure: nothing here reads the clock or the disk. Every timestamp the toolkit writes is UTC;
a naive one (a hand-edited file) is taken to be UTC too.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from mediakeeper.core.errors import MediakeeperError
from mediakeeper.text.wording import count

WEEK = timedelta(days=7)
_WEEK_TEXT = re.compile(r"\s*(\d{4})-?[Ww](\d{1,2})\s*")


class BadWeek(MediakeeperError):
    """A week the user named that does not exist or has not started yet."""


@dataclass(frozen=True, order=True)
class Week:
    """One ISO week, named by its Monday."""

    monday: date

    @classmethod
    def of(cls, moment: date | datetime) -> Week:
        """The week holding ``moment`` (a datetime is converted to UTC first)."""
        day = to_utc(moment).date() if isinstance(moment, datetime) else moment
        return cls(day - timedelta(days=day.weekday()))

    @property
    def label(self) -> str:
        year, number, _ = self.monday.isocalendar()
        return f"{year:04d}-W{number:02d}"

    @property
    def short_label(self) -> str:
        return f"W{self.monday.isocalendar()[1]:02d}"

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.monday, time(0), UTC)

    @property
    def end(self) -> datetime:
        """The first instant after the week (the next Monday 00:00 UTC)."""
        return self.start + WEEK

    def shift(self, weeks: int) -> Week:
        return Week(self.monday + timedelta(weeks=weeks))

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def span(self) -> str:
        """``Mon 16 Nov – Sun 22 Nov 2026`` (the year shown once, or twice across new year)."""
        first = f"Mon {self.monday.day} {self.monday:%b}"
        if self.monday.year != self.sunday.year:
            first += f" {self.monday.year}"
        return f"{first} – Sun {self.sunday.day} {self.sunday:%b} {self.sunday.year}"


# The calendar a date can hold (0001-01-01, a Monday, to 9999-12-31, a Friday). The last
# week whose end (the next Monday) is still a date is 9999-W51.
FIRST_WEEK = Week(date.min)
LAST_WEEK = Week(date.max - timedelta(days=date.max.weekday())).shift(-1)


def check_reach(week: Week, weeks_before: int, why: str, latest: Week = LAST_WEEK) -> None:
    """BadWeek unless ``week``, its end and the ``weeks_before`` weeks before it all lie in the
    calendar a date can hold (``why`` names what looks back, e.g. "its chart"); ``latest``:
    the last week that may be named (this one, for a report: a later one has not started),
    said in the hint."""
    first = FIRST_WEEK.shift(weeks_before)
    if week < first:
        problem = (
            f"{why} reaches {count(weeks_before, 'week')} back, before the first date ({date.min})"
        )
    elif week > LAST_WEEK:
        problem = f"it ends after the last date ({date.max})"
    else:
        return
    raise BadWeek(
        f"week {week.label} cannot be reported: {problem}",
        f"name a week from {first.label} to {min(latest, LAST_WEEK).label}",
    )


def parse_week(text: str) -> Week:
    """``"2026-W47"`` (also ``2026W47``, ``2026-w7``) -> that Week; BadWeek otherwise."""
    match = _WEEK_TEXT.fullmatch(text or "")
    if not match:
        raise BadWeek(f"invalid week {text!r}: write it as YYYY-Www, e.g. 2026-W47")
    year, number = int(match.group(1)), int(match.group(2))
    if year < 1:  # no calendar has a year 0
        raise BadWeek(f"invalid week {text!r}: years start at 0001")
    try:
        return Week(date.fromisocalendar(year, number, 1))
    except ValueError:
        last = date(year, 12, 28).isocalendar()[1]
        raise BadWeek(f"invalid week {text!r}: {year} has ISO weeks W01 to W{last:02d}") from None


def weeks_from(first: Week, last: Week) -> list[Week]:
    """Every week from ``first`` to ``last`` inclusive (empty when ``first`` is later)."""
    count = (last.monday - first.monday).days // 7 + 1
    return [first.shift(n) for n in range(max(0, count))]


def to_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def count_in(times: Sequence[datetime], week: Week, as_of: datetime | None = None) -> int:
    """How many of the sorted ``times`` fall in ``week`` (and not after ``as_of``)."""
    end = bisect_left(times, week.end)
    if as_of is not None:
        end = min(end, bisect_right(times, as_of))
    return max(0, end - bisect_left(times, week.start))


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 timestamp from a record, in UTC; None when absent or unreadable."""
    if isinstance(value, datetime):
        return to_utc(value)
    if not isinstance(value, str) or not value:
        return None
    try:
        return to_utc(datetime.fromisoformat(value))
    except ValueError:
        return None


def overlap_seconds(start: datetime, end: datetime, lo: datetime, hi: datetime) -> float:
    """How much of [start, end] lies inside [lo, hi]."""
    return max(0.0, (min(end, hi) - max(start, lo)).total_seconds())


def format_duration(seconds: float) -> str:
    """``"0 min"``, ``"45 min"``, ``"2 h 05 min"`` (rounded to the minute)."""
    minutes = round(max(0.0, seconds) / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def format_moment(moment: datetime | None) -> str:
    """``2026-11-18 14:02`` in UTC, or an em dash."""
    return to_utc(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"
