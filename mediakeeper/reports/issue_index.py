"""The index of a kind's issue reports: ``issues/<kind>/index.md`` and its page ``index.html``,
written at the end of every batch (and after ``decide``, ``undo`` and a queue manager's
change of statuses: ``cli.queue_manager.CHANGES_STATUSES``), beside the reports it
lists. What needs a person first (the items with an error-level finding or a queue error, then
those with warnings, each with its open codes and a link to its report), then every other
report, sorted by name, PAGE_ROWS to a page: ``index.md`` lists the first, ``index-2.md`` the
next, and so on, each page linking every other (so neither a page's Markdown nor its web page
is ever the size of the library). Derived data, rebuilt whole each time, each page written
atomically; pages left from a longer list are removed.
The index's pages are made with it (a person opens them on disk); a report's own page is made
when it is read (``fs.reports``), so an index page links the pages made and the Markdown of
the reports whose pages are not: no link of it leads nowhere, and making the index makes no
report's page (it ends every batch, after the workers).
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

from mediakeeper.fs.reports import INDEX, page_path, write_report
from mediakeeper.fs.spill import SortedRows
from mediakeeper.reports.attention import MISSING_WHY, KindAttention
from mediakeeper.reports.records import OUTPUT_DIRS, Records, gather
from mediakeeper.reports.tally import Moment, attention, counted
from mediakeeper.reports.upgrades import write_upgrades
from mediakeeper.reports.weekly import CONTEXT
from mediakeeper.reports.weeks import Week
from mediakeeper.text.render import render

PAGE_ROWS = 500  # the other reports an index page lists; the rest on the next pages
_PAGE = re.compile(r"index-(\d+)\.md")


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
        asking = {i.report for i in needs.items}
        count = sum(1 for _, path, _ in found.reports if path not in asking)
        others = Others(found.reports, asking, count)
        written += _write_pages(home / "issues" / queue.kind, needs, others)
    return written + write_upgrades(home, counts.queues)


def _write_pages(folder: Path, needs: KindAttention, others: Others) -> list[Path]:
    """The index's pages: the first with what needs a person and the first PAGE_ROWS other
    reports, each next one the next PAGE_ROWS (each page's text and web page bounded, at
    any size of the library); pages left from a longer list removed."""
    pages = max(1, -(-len(others) // PAGE_ROWS))
    rows, written = iter(others), []
    names = [page_name(page) for page in range(1, pages + 1)]  # made together: linked as pages
    for page in range(1, pages + 1):
        text = render(
            "issues_index.md.j2",
            a=needs,
            others=list(islice(rows, PAGE_ROWS)),
            page=page,
            pages=pages,
            first=(page - 1) * PAGE_ROWS + 1,
            total=len(others),
            page_name=page_name,
            missing_why=MISSING_WHY,
            # Not Path(path).name: pathlib (3.11) interns every part of every path it parses,
            # and the interpreter's table of interned names grew with the index's rows.
            link=posixpath.basename,
            **CONTEXT,
        )
        write_report(folder / page_name(page), text, now=True, written=names)
        written.append(folder / page_name(page))
    # The folder read an entry at a time (it holds every report: glob listed them all).
    with os.scandir(folder) as entries:
        stale = [e.name for e in entries if (n := _PAGE.fullmatch(e.name)) and int(n[1]) > pages]
    for name in stale:
        (folder / name).unlink(missing_ok=True)  # never a Markdown page without its web page
        page_path(folder / name).unlink(missing_ok=True)
    return written


def page_name(page: int) -> str:
    """``index.md``, ``index-2.md``, ...: never an item's report (a slug ends in 8 hex digits)."""
    return INDEX if page == 1 else f"index-{page}.md"


class Others:
    """Every completed item's (name, report, whether its folder is missing) but those that
    need a person (``count`` of them), sorted: read from the tally's rows (held a run at a
    time) each time the pages list them."""

    def __init__(self, rows: SortedRows, asking: set[str], count: int):
        self._rows, self._asking, self._count = rows, asking, count

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[tuple[str, str, bool]]:
        return (
            (name, path, bool(missing))
            for name, path, missing in self._rows
            if path not in self._asking
        )
