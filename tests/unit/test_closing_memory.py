"""A batch's closing reports (the issue index and this week's report) over a real data home:
queue files written by the store, with change journals, read and counted as a batch reads
them (``reports/closing.py``), under tracemalloc. What they hold must not grow with the
library beyond bounded pieces (sorted runs of rows, index pages of PAGE_ROWS): the peak's
growth per item between two sizes, a count of bytes, never a time. The code before (40508cb)
held the queue's items packed, each item's key, name, report path and findings tally, the
index's whole text and web page, every change's time: 1,013 bytes an item here; now 10."""

from __future__ import annotations

import tracemalloc
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from mediakeeper.changes.journal import CHANGES_DIR, checked_line
from mediakeeper.queue.items import new_item, new_queue
from mediakeeper.queue.store import QueueStore
from mediakeeper.reports.closing import read_closing
from mediakeeper.reports.issue_index import write_issue_indexes
from mediakeeper.reports.records import indexes_on_disk
from mediakeeper.reports.weekly import write_weekly_report

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
# What is left per item: the keys' hashes a queue's read keeps to refuse a duplicate key.
MOST_PER_ITEM = 60


def _home(home: Path, items: int) -> Path:
    queue = []
    for n in range(items):
        name = f"Artist {n:05d}"
        item = new_item(name, name, f"/music/{name}")
        item.update(status="completed", completed_at=f"2026-11-23T{n % 24:02d}:00:00+00:00",
                    track_count=6, issues_found=1, issues_resolved=1,
                    details={"finding_counts": {"whitespace": [1, 1]}})  # fmt: skip
        queue.append(item)
    QueueStore(home / "status" / "music", "music").create(new_queue("music", "/music", queue, NOW))
    changes = home / "status" / "music" / CHANGES_DIR
    changes.mkdir()
    (changes / "20261123_000000_session.jsonl").write_text("".join(
        checked_line({"session": "20261123_000000_session", "artist": f"Artist {n:05d}",
                      "path": f"/music/Artist {n:05d}/01.mp3", "tag": "title", "old": "a ",
                      "new": "a", "at": f"2026-11-23T10:{n % 60:02d}:00.{n:06d}+00:00"})
        for n in range(items)))  # fmt: skip
    return home


def _closing(home: Path) -> None:
    records, counts = read_closing(home, NOW)
    write_issue_indexes(home, records, counts)
    records = replace(records, indexes=indexes_on_disk(home, records.queues))
    write_weekly_report(home, now=NOW, records=records, counts=counts)


def _peak(home: Path) -> int:
    _closing(home)  # once first: imports, compiled templates, the pages of reports
    tracemalloc.start()
    try:
        _closing(home)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_closing_reports_hold_bounded_pieces_not_the_library(tmp_path):
    small, large = 2_500, 7_500
    peaks = [_peak(_home(tmp_path / str(n), n)) for n in (small, large)]
    index = (tmp_path / str(large) / "issues" / "music").glob("index*.md")
    assert len(list(index)) == 15  # every item listed, in pages of 500
    per_item = (peaks[1] - peaks[0]) / (large - small)
    assert per_item < MOST_PER_ITEM, f"{per_item:.0f} bytes of peak per item"
