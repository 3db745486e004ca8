"""How many tag changes a kind's journals hold for each ISO week, for the reports' "tag
changes" (a batch's closing reports, the dashboard, ``report``): the fixes, and apart from
them the values an undo put back (an undo's journal, ``changes.journal.is_undo``).

Each journal is counted a line at a time (``changes.journal.written_stamps``), holding a
count a week, never the changes. The closing reports keep each journal's counts, with its
sessions' sums for ``undo --list`` (``changes.journal.SessionSums``, folded in the same
reading), in
``status/<kind>/changes/weeks.json`` (``changes/kept.py``: by the journal's identity, size
and times, never believed when damaged). A reading takes them for a journal that is
unchanged, so in the week of a large pass (``--replaygain`` over the whole library) no
batch's close reads its journal again.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

from mediakeeper.changes.journal import (
    CHANGES_DIR,
    SessionSums,
    is_undo,
    journal_identity,
    journal_paths,
    written_stamps,
)
from mediakeeper.changes.kept import keep_entries, kept_entries
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.queue.items import IN_PROGRESS
from mediakeeper.queue.store import QueueStore
from mediakeeper.reports.weeks import Week, count_in, parse_time


@dataclass(frozen=True)
class JournalWeeks:
    """One journal's changes: how many were made in each week (by its Monday), and when its
    latest was."""

    path: Path
    weeks: dict[date, int]
    last: datetime | None
    leave_out: frozenset[str] = frozenset()  # the artists whose changes are not counted

    @property
    def taken_back(self) -> bool:
        """An undo's journal: its changes are values put back, not fixes."""
        return is_undo(self.path.stem)

    def count_in(self, week: Week, as_of: datetime | None) -> int:
        """Its changes made in ``week``, not after ``as_of``. The week's count, unless some
        of the week's changes may be later than ``as_of`` (a week still running, and this
        journal written after it): those are read again, a rare case."""
        if as_of is None or as_of >= week.end or self.last is None or as_of >= self.last:
            return self.weeks.get(week.monday, 0)
        return count_in(sorted(_moments(self.path, self.leave_out)), week, as_of)


class ChangeCount(NamedTuple):
    """A week's journaled changes: the fixes written, and apart from them the values an undo
    put back (counted together, an undo of 11 values would read as 11 more fixes)."""

    fixes: int = 0
    taken_back: int = 0

    def __add__(self, other: object) -> ChangeCount:
        if not isinstance(other, ChangeCount):
            return NotImplemented
        return ChangeCount(self.fixes + other.fixes, self.taken_back + other.taken_back)


@dataclass(frozen=True)
class ChangeWeeks:
    """A kind's journaled changes, counted by week."""

    journals: tuple[JournalWeeks, ...] = ()

    def count_in(self, week: Week, as_of: datetime | None = None) -> ChangeCount:
        """How many changes were made in ``week`` (and not after ``as_of``): fixes, and
        values taken back."""
        fixes = taken_back = 0
        for journal in self.journals:
            n = journal.count_in(week, as_of)
            if journal.taken_back:
                taken_back += n
            else:
                fixes += n
        return ChangeCount(fixes, taken_back)

    @classmethod
    def read(
        cls,
        status_kind_dir: Path,
        since: datetime | None = None,
        *,
        keep: bool = False,
        in_hand: Mapping[str, frozenset[str]] | None = None,
    ) -> ChangeWeeks:
        """The kind's journals counted. ``since``: at least every change made since then
        (``journal_paths``). ``keep``: the closing reports' reading, which keeps the counts
        of the journals it read for the next. ``in_hand``: by running session, the items it
        holds (``in_hand``): their changes are not counted (not yet done), nor kept."""
        kept = _kept(status_kind_dir)
        fresh: dict[str, Any] = {}
        journals = []
        for path in journal_paths(status_kind_dir, since):
            if held_now := (in_hand or {}).get(path.stem):
                journals.append(_counted(path, held_now))
                continue
            before = journal_identity(path)
            held = kept.get(path.name)
            if before is not None and held is not None and held["id"] == before:
                journals.append(JournalWeeks(path, held["weeks"], held["last"]))
                continue
            # Kept: its sessions summed in the same reading (undo --list takes them).
            sums = SessionSums(path) if keep and before is not None else None
            counted = _counted(path, sums=sums)
            journals.append(counted)
            # Kept only if no line came while it was read: its counts are of the file then.
            if sums is not None and journal_identity(path) == before:
                fresh[path.name] = {"id": before, "weeks": counted.weeks, "last": counted.last,
                                    "sums": sums.kept()}  # fmt: skip
        if fresh:
            _keep(status_kind_dir, {**kept, **fresh})
        return cls(tuple(journals))


def in_hand(status_kind_dir: Path, running: set[str]) -> dict[str, frozenset[str]]:
    """The items each of the ``running`` sessions holds, as its queue says, for those whose
    journal is there: a batch journals an item's fixes before it records the item done, and
    an interrupt gives it back, so they are not yet changes made. Read only while one runs."""
    if not any((status_kind_dir / CHANGES_DIR / f"{sid}.jsonl").exists() for sid in running):
        return {}
    store = QueueStore(status_kind_dir, status_kind_dir.name)
    try:
        items = store.peek()["items"] if store.exists() else []
    except (MediakeeperError, OSError):
        return {}  # a queue that cannot be read: its report says so
    held: dict[str, set[str]] = {}
    for item in items:
        session = (item.get("claimed_by") or {}).get("session")
        if item.get("status") == IN_PROGRESS and session in running:
            held.setdefault(session, set()).add(item["key"])
    return {sid: frozenset(keys) for sid, keys in held.items()}


def _moments(
    path: Path, leave_out: frozenset[str] = frozenset(), sums: SessionSums | None = None
) -> Iterator[datetime]:
    """When each of the journal's written changes was made (a stamp that reads as no time is
    passed over; and the changes of the artists ``leave_out``); one append's changes share
    their stamp, read once. ``sums``: its sessions summed in the same reading."""
    stamp = moment = None
    for at in written_stamps(path, leave_out, sums):
        if at != stamp:
            stamp, moment = at, parse_time(at)
        if moment is not None:
            yield moment


def _counted(
    path: Path, leave_out: frozenset[str] = frozenset(), *, sums: SessionSums | None = None
) -> JournalWeeks:
    weeks: Counter[date] = Counter()
    last = week = None
    for moment in _moments(path, leave_out, sums):
        if week is None or not week.contains(moment):
            week = Week.of(moment)
        weeks[week.monday] += 1
        last = moment if last is None or moment > last else last
    return JournalWeeks(path, dict(weeks), last, leave_out)


def _kept(status_kind_dir: Path) -> dict[str, dict[str, Any]]:
    """The kept counts by journal name, read back (each Monday a date, each last moment a
    time, the sessions' sums as written: ``written_by_session`` checks them); none for an
    entry not as ``_keep`` writes it (its journal is then read)."""
    kept = {}
    for name, held in kept_entries(status_kind_dir / CHANGES_DIR).items():
        with contextlib.suppress(ValueError, KeyError, TypeError, AttributeError):
            weeks = {date.fromisoformat(monday): n for monday, n in held["weeks"].items()
                     if type(n) is int and n > 0}  # fmt: skip
            if len(weeks) != len(held["weeks"]):
                continue
            last = None if held["last"] is None else parse_time(held["last"])
            if held["last"] is not None and last is None:
                continue
            kept[name] = {"id": held["id"], "weeks": weeks, "last": last,
                          "sums": held.get("sums")}  # fmt: skip
    return kept


def _keep(status_kind_dir: Path, journals: dict[str, dict[str, Any]]) -> None:
    """The counts written for the next reading, of the journals still there."""
    there = {path.name for path in journal_paths(status_kind_dir)}
    written = {
        name: {"id": held["id"], "last": held["last"] and held["last"].isoformat(),
               "weeks": {monday.isoformat(): n for monday, n in held["weeks"].items()},
               **({"sums": held["sums"]} if held.get("sums") is not None else {})}
        for name, held in journals.items()
        if name in there
    }  # fmt: skip
    keep_entries(status_kind_dir / CHANGES_DIR, written)
