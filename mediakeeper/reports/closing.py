"""The data home read once for the reports every batch writes as it ends (the issue index and
this week's report), counted as it is read: each queue's items are handed to their tally as
the file is read (``tally.counted_as_read``), each decoded once, none held; the journaled
changes are counted, not kept. What the reports hold then is the tallies' counts and the rows
spilled for the pages' lists (``reports/tally.py``), whatever the library's size.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

from mediakeeper.reports import records as rec
from mediakeeper.reports.change_weeks import ChangeCount, ChangeWeeks
from mediakeeper.reports.tally import Counted, Moment, counted_as_read
from mediakeeper.reports.weeks import Week, to_utc


def read_closing(home: Path, now: datetime) -> tuple[rec.Records, Counted]:
    """The records of ``home`` (its queues without their items) and their counts for the
    week of ``now``, as they stand at ``now``, with every completed item's report listed."""
    home, now = Path(home), to_utc(now)
    moment = Moment(Week.of(now), now, True)
    read, sessions, changes = rec.read_home(
        home,
        lambda store: counted_as_read(home, store, moment, listing=True),
        lambda d, _sessions: changes_in(d, moment),
        checkpoint=True,  # the sessions logged since, folded in for every later reader
    )
    queues = [queue for queue, _ in read]
    records = rec.Records(
        tuple(queues), tuple(sessions), {}, rec.indexes_on_disk(home, queues), home
    )
    return records, Counted(moment, tuple(found for _, found in read), changes)


def changes_in(status_kind_dir: Path, moment: Moment) -> ChangeCount:
    """How many journaled changes (fixes, and values taken back) were written in the moment's
    week, by its ``as_of``: counted a journal at a time, of those written in the week (the
    journals hold every change ever made)."""
    week = moment.week  # not the weeks before; what it counts kept for the next batch
    return ChangeWeeks.read(status_kind_dir, since=week.start, keep=True).count_in(
        week, moment.as_of
    )


def write_closing_reports(home: Path, now: datetime) -> Path:
    """After a batch: every kind's issue index and this week's report, from the home read
    once (each queue counted as it is read, none held). Returns the weekly report's
    Markdown path (its web page beside it)."""
    from mediakeeper.reports.issue_index import write_issue_indexes
    from mediakeeper.reports.weekly import write_weekly_report

    records, counts = read_closing(home, now)
    write_issue_indexes(home, records, counts)
    records = replace(records, indexes=rec.indexes_on_disk(home, records.queues))
    weekly_md, _html = write_weekly_report(home, now=now, records=records, counts=counts)
    return weekly_md
