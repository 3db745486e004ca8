"""The issue index in pages (reports/issue_index.py): what needs a person on the first page,
then every other report by name, PAGE_ROWS to a page, each page linking the others both ways,
each with its web page; pages left from a longer list removed. Real queue files, real pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from mediakeeper.queue.items import new_item, new_queue
from mediakeeper.queue.store import QueueStore
from mediakeeper.reports import issue_index
from mediakeeper.reports.issue_index import write_issue_indexes

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def _home(tmp_path, others: int, asking: int):
    items = []
    for n in range(others + asking):
        name = f"Band {n:03d}"
        item = new_item(name, name, f"/m/{name}")
        open_ones = 1 if n >= others else 0  # the last ones keep a warning open
        item.update(status="completed", completed_at="2026-11-23T10:00:00+00:00",
                    details={"finding_counts": {"missing-year": [1, 1 - open_ones]}})  # fmt: skip
        items.append(item)
    items.reverse()  # the index sorts them
    QueueStore(tmp_path / "status" / "music", "music").create(new_queue("music", "/m", items, NOW))
    return tmp_path


def _listed(text: str) -> list[str]:
    return re.findall(r"^- \[(Band \d+)\]", text, re.M)


def test_a_long_list_is_in_pages_linked_both_ways_and_shrinks_without_stale_pages(
    tmp_path, monkeypatch
):
    home = _home(tmp_path, others=22, asking=3)
    folder = home / "issues" / "music"
    monkeypatch.setattr(issue_index, "PAGE_ROWS", 10)
    written = write_issue_indexes(home)
    assert [p.name for p in written] == ["index.md", "index-2.md", "index-3.md"]
    pages = [(folder / p.name).read_text() for p in written]
    # What needs a person is on the first page only; every other report once, in order.
    assert "## Warnings" in pages[0] and "Band 023" in pages[0]
    assert all("## Warnings" not in page and "Band 023" not in page for page in pages[1:])
    assert [name for page in pages for name in _listed(page)] == [
        f"Band {n:03d}" for n in range(22)
    ]
    assert "## Nothing to decide · 11 to 20 of 22\n" in pages[1]
    assert pages[0].endswith(
        "\nPages: **1** [2](index-2.md) [3](index-3.md) · [next](index-2.md)\n"
    )
    assert pages[1].startswith("# Issue reports — music · page 2 of 3\n")
    assert pages[1].endswith(
        "\nPages: [1](index.md) **2** [3](index-3.md) · [previous](index.md) · [next](index-3.md)\n"
    )
    web = (folder / "index-3.html").read_text()
    assert '<a href="index-2.html">previous</a>' in web and 'href="index.html"' in web

    monkeypatch.setattr(issue_index, "PAGE_ROWS", 20)
    written = write_issue_indexes(home)
    assert [p.name for p in written] == ["index.md", "index-2.md"]
    assert not (folder / "index-3.md").exists() and not (folder / "index-3.html").exists()
    assert _listed((folder / "index-2.md").read_text()) == ["Band 020", "Band 021"]


def test_a_list_that_fits_one_page_has_no_page_links(tmp_path):
    home = _home(tmp_path, others=5, asking=1)
    text = write_issue_indexes(home)[0].read_text()
    assert "Pages:" not in text and "page 1" not in text
    assert text.endswith("- [Band 004](band-004-" + text.rsplit("(band-004-", 1)[1])
    assert _listed(text) == [f"Band {n:03d}" for n in range(5)]
