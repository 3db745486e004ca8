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
from pathlib import Path

from mediakeeper.fs.reports import INDEX, write_missing_page, write_report
from mediakeeper.queue.items import COMPLETED
from mediakeeper.reports.attention import attention, report_path
from mediakeeper.reports.records import OUTPUT_DIRS, Records, gather
from mediakeeper.reports.weekly import CONTEXT
from mediakeeper.text.render import render


def index_path(home: Path, kind: str) -> Path:
    return Path(home) / "issues" / kind / INDEX


def write_issue_indexes(home: Path, records: Records | None = None) -> list[Path]:
    """Write the index of every kind's issue reports under ``home``; the paths written.
    ``records``: the home as read already (a batch reads it once for the index and the week)."""
    home = Path(home)
    records = gather(home, changes_too=False) if records is None else records
    written = []
    for queue, needs in zip(records.queues, attention(records), strict=True):
        if queue.kind not in OUTPUT_DIRS or queue.problem:
            continue
        asking = {i.report for i in needs.items}
        others = sorted(
            (str(item.get("name") or item.get("key")), report_path(queue.kind, item))
            for item in queue.items
            if item.get("status") == COMPLETED
        )
        for _, path in others:
            write_missing_page(home / path)
        others = [(name, path) for name, path in others if path not in asking]
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
