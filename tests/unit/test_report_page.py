"""A report's web page made in slices (``report_page.SLICE_ROWS``): a long table or list is
rendered a slice at a time so a page's memory does not grow with the library, and the page is
the very page a whole rendering makes, byte for byte, wherever the slices fall; and the same
page from either renderer (markdown-it-pyrs where installed, markdown-it-py)."""

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


RENDERERS = ["markdown-it-py", "markdown-it-pyrs"]

# What the reports hold, and what they must never pass on: names that look like Markdown or
# HTML, a right-aligned column, code, links to reports and to the web, a refused link.
REPORT = """# Zoë & <b>Co</b> — issue report

19 tracks in `Zoë & Co` · **3 fixed**, *2 decisions for you*.

<script>alert(1)</script>

## 1971 \\- Album \\[live\\]

| code | where | what changed | n |
|---|---|---|---:|
| `missing-year` | 1971/07 - \\<i\\>.flac | date: (none) → "1971" | 2 |
| `whitespace` | [Artist](../music/artist-1.md) | `a  b` → `a b` |  |

- **info** `missing-cover` — [artist-1.md](artist-1.md): see [MusicBrainz](https://musicbrainz.org/x.md)
- [x](javascript:alert(1)) and [i](data:text/html;base64,AA==)
"""


def made(markdown: str, rows: int, monkeypatch, name: str = "") -> str:
    monkeypatch.setattr(page_of, "SLICE_ROWS", rows)
    monkeypatch.setattr(page_of, "_render", page_of.renderer(name))
    return page_of.report_page(markdown, source="index.md")


def test_both_renderers_make_the_same_page(monkeypatch):
    pytest.importorskip("markdown_it_pyrs")  # the fast extra, installed up to Python 3.12
    for text in (REPORT, index(120), index(3, "\n\nAfter the list.\n")):
        pages = [made(text, 50, monkeypatch, name) for name in RENDERERS]
        assert pages[0] == pages[1]
    page = made(REPORT, 50, monkeypatch, "markdown-it-pyrs")
    assert "<title>Zoë &amp; &lt;b&gt;Co&lt;/b&gt; — issue report · mediakeeper</title>" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page
    assert 'href="javascript:' not in page and 'href="data:' not in page
    assert '<td style="text-align:right" data-label="n">2</td>' in page
    assert '<a href="../music/artist-1.html">Artist</a>' in page
    assert '<a href="artist-1.html">artist-1.html</a>' in page
    assert 'href="https://musicbrainz.org/x.md"' in page
    assert '<div class="table-scroll">\n<table class="stack">' in page


@pytest.mark.parametrize("name", RENDERERS)
@pytest.mark.parametrize("n", [1, 7, 8, 50, 51, 120])
@pytest.mark.parametrize("after", ["\n", "", "\n\nAfter the list.\n", "\ntext on the next line\n"])
def test_a_page_made_in_slices_is_the_page_made_whole(n, after, name, monkeypatch):
    if name == "markdown-it-pyrs":
        pytest.importorskip("markdown_it_pyrs")
    whole = made(index(n, after), 10**9, monkeypatch, name)
    assert whole.count("<tr>") == n + 1 and whole.count("<li>") == n
    for rows in (1, 7, 50):
        assert made(index(n, after), rows, monkeypatch, name) == whole, rows


def test_a_long_index_s_page_holds_no_more_memory_per_row_than_its_text(monkeypatch):
    """Parsed whole, markdown-it-py held about 8 KB a row (7.7 MB for 930 artists)."""
    monkeypatch.setattr(page_of, "_render", page_of.renderer("markdown-it-py"))
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
