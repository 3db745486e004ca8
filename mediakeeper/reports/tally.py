"""Every figure the reports take from a queue's items, in one pass: each item decoded once and
let go, only counts and tallies by value kept (its findings, its week, what it made), so what
the reports hold does not grow with the library. Pure but for an old item's output document
(read when its queue details do not count its findings), the lists of rows spilled to
temporary files (``fs/spill.py``) and the readings that count a queue as its file is read
(``counted_as_read``, ``read_week``).

Two lists do grow with it, as the pages list them: the week's completed names (the weekly
report lists every one) and, for the issue index, every completed item's name and report.
Those are rows of a ``SortedRows``: a run of a few thousand held, the rest on disk, merged
in order as a page is written. What needs a person (``attention``) is kept whole: it is what
the reports are for, and a library in good order has little of it.

The figures are those of one moment (``Moment``: a week, the moment they stand at, whether
that is now): an item completed after it counts in none of the week's figures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from mediakeeper.core import kinds
from mediakeeper.core.decisions import UPGRADES
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.fs.spill import SortedRows
from mediakeeper.queue.items import (
    COMPLETED,
    ERROR,
    IN_PROGRESS,
    SKIPPED,
    STATUSES,
    gone,
    held_by,
    stage_reached,
)
from mediakeeper.queue.left_out import PluginsLeftOut
from mediakeeper.queue.reading import decoded, read_each
from mediakeeper.queue.store import QueueStore
from mediakeeper.reports import records as rec
from mediakeeper.reports.attention import (
    KindAttention,
    NeedsYou,
    kind_attention,
    need_of,
    report_path,
)
from mediakeeper.reports.change_weeks import ChangeCount, ChangeWeeks
from mediakeeper.reports.made_totals import MadeSum
from mediakeeper.reports.pace import (
    Outstanding,
    Pace,
    QueueProgress,
    nouns,
    outstanding_key,
    outstanding_of,
    pace_from,
)
from mediakeeper.reports.weeks import Week, parse_time

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Moment:
    """What figures are for: ``week``, as they stand at ``as_of`` (a past week's: its end),
    ``current`` when that moment is now (an item completed without a usable time counts as
    completed only then)."""

    week: Week
    as_of: datetime
    current: bool


@dataclass
class QueueTally:
    """One queue's figures at one moment (``tally``)."""

    kind: str
    total: int = 0
    statuses: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    stages: dict[str, int] = field(default_factory=dict)  # in progress, by stage, first seen first
    completed: int = 0  # by the moment (with no usable time too, when it is now)
    by_week: Counter[date] = field(default_factory=Counter)  # completions by then, per Monday
    # The week's completed items: (microseconds since 1970, name folded, name), their order.
    done: SortedRows = field(default_factory=SortedRows)
    tracks: int = 0  # the week's
    found: Counter[str] = field(default_factory=Counter)  # the week's findings by code
    resolved: Counter[str] = field(default_factory=Counter)
    without_output: int = 0  # the week's items whose findings could not be read
    outstanding: list[tuple[tuple, Outstanding]] = field(default_factory=list)  # the first
    outstanding_total: int = 0
    gone: int = 0  # left to do, their folder gone (``queue.items.gone``): no batch takes them
    failed_gone: int = 0  # of them, the failed ones (not counted failed where a retry is said)
    made_week: MadeSum | None = None  # for a kind that makes something
    made_all: MadeSum | None = None
    needs: list[NeedsYou] = field(default_factory=list)  # what needs a person, in queue order
    upgrading: list[dict[str, Any]] = field(default_factory=list)  # items worth a better copy
    # The names of the items worth one whose folder is missing: left out of the upgrades list
    # (their files are not there to replace), which says so.
    upgrading_missing: list[str] = field(default_factory=list)
    # The completed items that lack a rule plugin's findings, the next batches take again.
    plugins_left_out: PluginsLeftOut = field(default_factory=PluginsLeftOut)
    # (name, report path, 1 if its folder is missing else 0) of every completed item, for the
    # issue index (None: not asked for).
    reports: SortedRows | None = None


class Names:
    """The week's completed names, in the order they were completed: read from the tally's
    rows (held a run at a time) each time a page lists them."""

    def __init__(self, rows: SortedRows):
        self._rows = rows

    def __len__(self) -> int:
        return len(self._rows)

    def __bool__(self) -> bool:
        return bool(self._rows)

    def __iter__(self) -> Iterator[str]:
        return (name for *_, name in self._rows)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Names | tuple | list) and tuple(self) == tuple(other)

    __hash__ = None  # type: ignore[assignment]  # equal to a tuple of the same names

    def __repr__(self) -> str:
        return f"Names({len(self)} names)"


def tally(
    kind: str,
    items: Iterable[dict[str, Any]],
    moment: Moment,
    *,
    home: Any = None,
    shown: int = 100,
    listing: bool = False,
) -> QueueTally:
    """``items`` (a queue of ``kind``'s) counted for ``moment``; ``home``: where an old item's
    output document is read from; ``shown``: how many of the failed and skipped items are
    kept (all are counted); ``listing``: also every completed item's name and report."""
    found = QueueTally(kind, reports=SortedRows() if listing else None)
    if kinds.get(kind).makes:
        found.made_week, found.made_all = MadeSum(), MadeSum()
    for n, item in enumerate(items):
        if held_by(item):  # another item's part now (a book's extras/), or moved: counted there
            continue
        found.total += 1
        status = item.get("status", "?")
        found.statuses[status] = found.statuses.get(status, 0) + 1
        if gone(item):
            found.gone += 1
            found.failed_gone += status == ERROR
        if status == COMPLETED:
            _completed(found, item, moment, home)
            found.plugins_left_out.count(item)
        elif status == IN_PROGRESS and (stage := stage_reached(item)):
            found.stages[stage] = found.stages.get(stage, 0) + 1
        waiting = outstanding_of(kind, item)
        if waiting is not None:
            found.outstanding_total += 1
            _keep_first(found.outstanding, (*outstanding_key(waiting), n), waiting, shown)
    found.outstanding.sort(key=lambda pair: pair[0])
    del found.outstanding[shown:]
    return found


def needs_of(kind: str, items: Iterable[dict[str, Any]], home: Any) -> list[NeedsYou]:
    """What the completed ``items`` of a queue of ``kind`` ask of a person, as ``tally``
    finds them (``QueueTally.needs``) with nothing else counted: ``decide``'s listing, where
    a tally of 55,000 items spent about half its time on the week's figures."""
    needs = []
    for item in items:
        if item.get("status") != COMPLETED or item.get("missing"):
            continue  # (an item whose folder is gone asks nothing: ``_completed``)
        document = rec.once(partial(rec.read_output, home, kind, item))
        need = need_of(kind, item, _findings(kind, item, document))
        if need is not None:
            needs.append(need)
    return needs


def _findings(kind: str, item: dict[str, Any], document: Any) -> rec.Findings | None:
    """A completed item's findings counted by code; None for a kind without output
    documents, or an item with neither counts nor a document."""
    return rec.read_findings(item, document) if kind in rec.OUTPUT_DIRS else None


def _completed(found: QueueTally, item: dict[str, Any], moment: Moment, home: Any) -> None:
    kind = found.kind
    has_outputs = kind in rec.OUTPUT_DIRS
    document = rec.once(partial(rec.read_output, home, kind, item))
    findings = _findings(kind, item, document)
    copied = kind in rec.COPIES and rec.was_copied(item, document)
    # An item whose folder is gone (set aside as a duplicate, moved, deleted) asks nothing
    # while it is gone: its decisions follow its files, and come back with them.
    # The same holds for the upgrades list and the index: said missing, never as if there.
    missing = bool(item.get("missing"))
    name = str(item.get("name") or item.get("key"))
    need = None if missing else need_of(kind, item, findings)
    if need is not None:
        found.needs.append(need)
    if findings and any(code in UPGRADES for code in findings):
        if missing:
            found.upgrading_missing.append(name)
        else:
            found.upgrading.append(item)  # kept whole: few, as what needs a person
    if found.reports is not None:
        found.reports.add((name, report_path(kind, item), int(missing)))
    at = parse_time(item.get("completed_at"))
    if (at <= moment.as_of) if at else moment.current:
        found.completed += 1
        if found.made_all is not None:
            found.made_all.add(item, copied)
    if at is None or at > moment.as_of:
        return
    found.by_week[Week.of(at).monday] += 1
    if not moment.week.contains(at):
        return
    found.done.add(((at - _EPOCH) // _MICROSECOND, name.casefold(), name))
    found.tracks += rec.count_of(item.get("track_count"))
    if found.made_week is not None:
        found.made_week.add(item, copied)
    if findings is None:
        found.without_output += has_outputs
        return
    for code, (n, fixed, *_) in findings.items():
        found.found[code] += n
        found.resolved[code] += fixed


def _keep_first(kept: list, key: tuple, value: Any, most: int) -> None:
    """``(key, value)`` into ``kept``, which keeps the ``most`` smallest keys (sorted at
    twice that: a bounded list, sorted a few times)."""
    kept.append((key, value))
    if len(kept) >= 2 * max(most, 1):
        kept.sort(key=lambda pair: pair[0])
        del kept[most:]


def decided_now(found: QueueTally, moment: Moment) -> tuple[int, int]:
    """(skipped, gone): the items a person skipped and those left to do whose folder is gone
    count as decided as the queue stands now (when either happened is not recorded), so only
    for a moment that is now; (0, 0) for a week past."""
    return (found.statuses.get(SKIPPED, 0), found.gone) if moment.current else (0, 0)


@dataclass(frozen=True)
class Counted:
    """What the reports count of a data home at one moment: each queue's tally (in the order
    of the records' queues) and, per kind, the changes journaled in the week by then."""

    moment: Moment
    queues: tuple[QueueTally, ...]
    changes: Mapping[str, ChangeCount]


def counted(records: rec.Records, moment: Moment, *, listing: bool = False) -> Counted:
    """``records`` counted for ``moment`` (each queue's items decoded once)."""
    queues = tuple(
        tally(q.kind, q.items, moment, home=records.home, listing=listing) for q in records.queues
    )
    return Counted(moment, queues, changes_at(records.changes, moment))


def changes_at(changes: Mapping[str, ChangeWeeks], moment: Moment) -> dict[str, ChangeCount]:
    """Per kind, its changes journaled in the moment's week by then (``Counted.changes``)."""
    return {kind: made.count_in(moment.week, moment.as_of) for kind, made in changes.items()}


def progress_of(queue: rec.QueueRecord, found: QueueTally, moment: Moment) -> QueueProgress:
    """A queue's progress at ``moment``, from its tally for it."""
    noun, plural = nouns(queue.kind)
    total, completed = found.total, found.completed
    skip, went = decided_now(found, moment)
    remaining = total - min(total, completed + skip + went)
    pace = _pace(found.by_week, total, remaining, moment, queue.created_at)
    return QueueProgress(
        queue.kind, noun, plural, total, completed, found.statuses, pace, queue.created_at,
        queue.problem, skip, found.stages, found.plugins_left_out, went, found.failed_gone,
    )  # fmt: skip


def combined_pace(
    queues: Sequence[rec.QueueRecord],
    tallies: Sequence[QueueTally],
    progress: Sequence[QueueProgress],
    moment: Moment,
) -> Pace:
    """The pace of every queue together (items of all kinds counted alike). A queue that
    could not be read has no creation time and adds nothing: it does not make the others
    older than they are."""
    by_week = completions(tallies)
    total = sum(p.total for p in progress)
    read = [q for q in queues if not q.problem]
    created = [q.created_at for q in read if q.created_at]
    since = min(created) if created and len(created) == len(read) else None
    return _pace(by_week, total, sum(p.remaining for p in progress), moment, since)


def _pace(
    by_week: Counter[date], total: int, remaining: int, moment: Moment, since: datetime | None
) -> Pace:
    """The pace of ``by_week``'s completions (per Monday) at ``moment``; "empty" for none."""
    pace = pace_from(lambda w: by_week[w.monday], remaining, moment.week, moment.as_of, since)
    if total == 0:
        pace = Pace(pace.weeks, 0, pace.days, 0, 0.0, None, "empty")
    return pace


def completions(tallies: Iterable[QueueTally]) -> Counter[date]:
    """The completions of every tally by their moment, per week (its Monday)."""
    by_week: Counter[date] = Counter()
    for found in tallies:
        by_week.update(found.by_week)
    return by_week


def attention(
    records: rec.Records,
    queues: Iterable[rec.QueueRecord] | None = None,
    tallies: Sequence[QueueTally] | None = None,
) -> tuple[KindAttention, ...]:
    """Per queue (those given, else every one), what needs a person; ``tallies``: theirs, in
    the same order (else only what needs a person is found, ``needs_of``)."""
    queues = records.queues if queues is None else tuple(queues)
    needs = ([t.needs for t in tallies] if tallies is not None
             else [needs_of(q.kind, q.items, records.home) for q in queues])  # fmt: skip
    return tuple(
        kind_attention(q.kind, found, records.indexes)
        for q, found in zip(queues, needs, strict=True)
    )


def read_week(home: Path, moment: Moment) -> tuple[rec.Records, Counted]:
    """The records of ``home`` as ``records.gather`` reads them for the report of the
    moment's week (the changes made since its start; nothing written), but each queue's
    items counted for ``moment`` as they are read, each decoded once (read first and
    counted after, each was decoded twice), none kept."""
    home = Path(home)
    read, sessions, changes = rec.read_home(
        home,
        lambda store: counted_as_read(home, store, moment),
        rec.changes_reader(moment.week.start),
    )
    queues = [queue for queue, _ in read]
    records = rec.Records(
        tuple(queues), tuple(sessions), changes, rec.indexes_on_disk(home, queues), home
    )
    return records, Counted(moment, tuple(found for _, found in read), changes_at(changes, moment))


def counted_as_read(
    home: Path, store: QueueStore, moment: Moment, *, listing: bool = False
) -> tuple[rec.QueueRecord, QueueTally]:
    """The queue as ``records.read_queue`` reads it, but its items handed to their tally as
    the file is read (``queue.reading.read_each``), each decoded once, none kept
    (``listing``: with every completed item's report listed, for the issue index)."""

    def count(lines) -> QueueTally:
        items = (decoded(line) for line in lines)
        return tally(store.kind, items, moment, home=home, listing=listing)

    try:
        fields, found = read_each(store, count)
    except (MediakeeperError, OSError) as err:
        return rec.unreadable(store, err), count(())
    return rec.QueueRecord(store.kind, parse_time(fields.get("created_at"))), found
