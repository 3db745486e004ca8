"""The index of a kind's issue reports: ``issues/<kind>/index.md`` and its page ``index.html``,
written at the end of every batch (and after ``decide`` and ``undo``), beside the reports it
lists. What needs a person first (the items with an error-level finding or a queue error, then
those with warnings, each with its open codes and a link to its report), then every other
report. Derived data, rebuilt whole each time, written atomically.
A report written by an older version, which has no page yet, gets its page here, so every link
of the index and of the dashboard opens one.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from mediakeeper.fs.reports import INDEX, write_missing_page, write_report
from mediakeeper.fs.spill import SortedRows
from mediakeeper.reports.records import OUTPUT_DIRS, Records, gather
from mediakeeper.reports.tally import Moment, attention, counted
from mediakeeper.reports.weekly import CONTEXT
from mediakeeper.reports.weeks import Week
from mediakeeper.text.render import render


def index_path(home: Path, kind: str) -> Path:
    return Path(home) / "issues" / kind / INDEX


def write_issue_indexes(home: Path, records: Records | None = None, counts=None) -> list[Path]:
    """Write the index of every kind's issue reports under ``home``; the paths written.
    ``records`` and ``counts`` (``tally.Counted``, with the reports listed): the home as read
    and counted already (a batch reads it once for the index and the week)."""
    home = Path(home)
    records = gather(home, changes_too=False) if records is None else records
    if counts is None or any(found.reports is None for found in counts.queues):
        now = datetime.now(UTC)
        counts = counted(records, Moment(Week.of(now), now, True), listing=True)
    written = []
    for queue, found, needs in zip(
        records.queues, counts.queues, attention(records, tallies=counts.queues), strict=True
    ):
        if queue.kind not in OUTPUT_DIRS or queue.problem:
            continue
        others = Others(found.reports, {i.report for i in needs.items})
        for _, path in found.reports:
            write_missing_page(home / path)
        text = render(
            "issues_index.md.j2",
            a=needs,
            others=others,
            # Not Path(path).name: pathlib (3.11) interns every part of every path it parses,
            # and the interpreter's table of interned names grew with the index's rows.
            link=posixpath.basename,
            **CONTEXT,
        )
        target = index_path(home, queue.kind)
        write_report(target, text)
        written.append(target)
    return written


class Others:
    """Every completed item's (name, report) but those that need a person, sorted: read from
    the tally's rows (held a run at a time) each time the page lists them."""

    def __init__(self, rows: SortedRows, asking: set[str]):
        self._rows, self._asking = rows, asking
        self._count = sum(1 for _ in self)

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return ((name, path) for name, path in self._rows if path not in self._asking)
