"""A report's web page made in slices (``report_page.SLICE_ROWS``): a long table or list is
parsed a slice at a time so a page's memory does not grow with the library, and the page is
the very page a whole parse makes, byte for byte, wherever the slices fall."""

from __future__ import annotations

import tracemalloc

import pytest

from mediakeeper.text import report_page as page_of


def index(n: int, after: str = "\n") -> str:
    rows = "\n".join(f"| [Artist {i}](artist-{i}.md) | `whitespace`, `missing-year` | 3 |"
                     for i in range(n))  # fmt: skip
    items = "\n".join(f"- [Artist {i}](artist-{i}.md)" for i in range(n))
    return (f"# Issue reports — music\n\n## Errors\n\n| artist | open | n |\n|---|---|---:|\n"
            f"{rows}\n\n## Nothing to decide\n\n{items}{after}")  # fmt: skip


def made(markdown: str, rows: int, monkeypatch) -> str:
    monkeypatch.setattr(page_of, "SLICE_ROWS", rows)
    return page_of.report_page(markdown, source="index.md")


@pytest.mark.parametrize("n", [1, 7, 8, 50, 51, 120])
@pytest.mark.parametrize("after", ["\n", "", "\n\nAfter the list.\n", "\ntext on the next line\n"])
def test_a_page_made_in_slices_is_the_page_made_whole(n, after, monkeypatch):
    whole = made(index(n, after), 10**9, monkeypatch)
    assert whole.count("<tr>") == n + 1 and whole.count("<li>") == n
    for rows in (1, 7, 50):
        assert made(index(n, after), rows, monkeypatch) == whole, rows


def test_a_long_index_s_page_holds_no_more_memory_per_row_than_its_text():
    """Parsed whole, markdown-it held about 8 KB a row (7.7 MB for 930 artists)."""
    page_of.report_page(index(3), source="index.md")  # imports and caches first

    def peak(n: int) -> int:
        text = index(n)
        tracemalloc.start()
        try:
            page_of.report_page(text, source="index.md")
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    per_row = (peak(2000) - peak(500)) / 1500
    assert per_row < 3000, f"{per_row:.0f} bytes a row"
