"""An issue report as a web page: its Markdown, the one source of what the report says,
rendered as CommonMark with tables into a page styled as the dashboard and the weekly report
are (the same ``_style.html.j2``).

The renderer is markdown-it: markdown-it-pyrs (its compiled port, the ``fast`` extra) where it
is installed, 15 times faster, else markdown-it-py; both write the same HTML, byte for byte,
and the few changes below work on that HTML, whichever wrote it.

What a report shows comes from tags and folder names, which can hold anything (``<script>``):
raw HTML in the Markdown is not passed through (the renderers have no HTML rule), so every
character of it is shown as text, and markdown-it refuses ``javascript:`` and ``data:`` links.
A link to another Markdown report (the index's) opens that report's page. On a phone a
table's rows are stacked, each cell under its column's heading (``data-label``), so no column
is out of sight. A hidden control from a tag (a right-to-left override, a zero-width space)
is shown as its escape, as on every page (``mediakeeper.text.visible``).

A page names what it was made from (``made_from``: a hash of its Markdown, its names and the
code and templates that make pages), so a writer can tell a page that is still right from one
to make again without rendering it (``mediakeeper.fs.reports``).
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from urllib.parse import unquote

from markupsafe import Markup

from mediakeeper.text.render import TEMPLATES, render, shown
from mediakeeper.text.slug import page_of
from mediakeeper.text.visible import visible

# CommonMark's rules and tables, without raw HTML: in both renderers, the same set.
_RULES = ["blockquote", "code", "fence", "heading", "hr", "lheading", "list", "paragraph",
          "reference", "autolink", "backticks", "emphasis", "entity", "escape", "image", "link",
          "newline", "table"]  # fmt: skip


def renderer(name: str = "") -> Callable[[str], str]:
    """Markdown to HTML: ``"markdown-it-pyrs"``, ``"markdown-it-py"``, or "" for the fastest
    installed."""
    if name in ("", "markdown-it-pyrs"):
        try:
            import markdown_it_pyrs
        except ImportError:
            if name:
                raise
        else:
            fast = markdown_it_pyrs.MarkdownIt("zero").enable_many(_RULES).render

            def render(markdown: str) -> str:
                try:
                    return fast(markdown)
                except UnicodeEncodeError:  # a name that is not UTF-8, kept as surrogates
                    return _markdown_it_py()(markdown)  # (Rust takes UTF-8 only)

            return render
    return _markdown_it_py()


@cache
def _markdown_it_py() -> Callable[[str], str]:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    assert {*md.get_active_rules()["block"], *md.get_active_rules()["inline"]} >= set(_RULES)
    return md.render


_render: Callable[[str], str] | None = None  # the renderer this process uses, chosen once

_LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.S)
_TABLE = re.compile(r"<table>.*?</table>\n", re.S)
_HEADING = re.compile(r"<th(?: [^>]*)?>(.*?)</th>", re.S)
_TAG = re.compile(r"<[^>]*>")
_TITLE = re.compile(r"<h[1-6]>(.*?)</h[1-6]>", re.S)
_WRAPPED = '<div class="table-scroll">\n<table class="stack">'  # stacked on a phone


def _relative(href: str) -> bool:
    """A link within the data home (``x.md``, ``../music/x.md``), not a web address."""
    return ":" not in href.split("/", 1)[0] and not href.startswith(("/", "#"))


def _linker(unmade: frozenset[str]) -> Callable[[re.Match], str]:
    def link(match: re.Match) -> str:
        """A link to a report opens its page (but a report of ``unmade``: its Markdown); a
        link that reads as its file's name (the index's ``[x.md](x.md)``) reads as the
        page's."""
        href, text = match.groups()
        # As the renderer wrote it: HTML-escaped, and a letter past ASCII percent-encoded
        # (``ægir-….md`` as ``%C3%A6gir-….md``); ``unmade`` names the files as they are.
        named = unquote(html.unescape(href))
        if _relative(href) and named not in unmade:
            text = page_of(text) if html.unescape(text) == named else text
            href = page_of(href)
        return f'<a href="{href}">{text}</a>'

    return link


def _text(fragment: str) -> str:
    """What a piece of the renderer's HTML reads as, still escaped for HTML."""
    return _TAG.sub("", fragment)


def _labelled(table: re.Match) -> str:
    """The table wrapped to scroll, each cell of its body carrying its column's heading, which
    a phone's layout shows before the cell when it stacks the rows."""
    head, sep, body = table.group(0).partition("<tbody>")
    headings = [_text(h) for h in _HEADING.findall(head)]
    rows = body.split("<tr>")
    for n, row in enumerate(rows[1:], 1):
        cells = row.split("<td")
        for c, cell in enumerate(cells[1:], 1):
            if c <= len(headings) and headings[c - 1]:
                attributes, rest = cell.split(">", 1)
                cells[c] = f'{attributes} data-label="{headings[c - 1]}">{rest}'
        rows[n] = "<td".join(cells)
    return (head + sep + "<tr>".join(rows)).replace("<table>", _WRAPPED, 1) + "</div>\n"


def _title(body: str) -> str:
    """The text of the report's first heading, for the window's title."""
    heading = _TITLE.search(body)
    return html.unescape(_text(heading.group(1))) if heading else ""


# Rows of a table, or items of a list, rendered at a time: markdown-it-py holds every row's
# tokens until the end, so a page rendered whole would grow with the library; in slices its
# rendering holds the same at any size.
SLICE_ROWS = 50


# The page's head names what it was made from (``made_from``), before anything a tag can fill.
MADE_FROM = re.compile(rb'<meta name="mediakeeper-made-from" content="([0-9a-f]{64})">')
_MAKERS = ("issue_report.html.j2", "_style.html.j2")  # the templates a page is made with


@cache
def _makers() -> bytes:
    """What makes a page, besides its Markdown: this module, the templates, the render
    module's fingerprint (its source, Jinja's and Python's versions). A new version that
    makes pages otherwise makes every page again."""
    parts = [Path(__file__).read_bytes(), *((TEMPLATES / name).read_bytes() for name in _MAKERS)]
    from mediakeeper.text import render as rendering

    parts.append(rendering.VERSION.encode())
    return hashlib.sha256(b"\0".join(parts)).digest()


def made_from(
    markdown: bytes, *, source: str, index: str = "", unmade: tuple[str, ...] = ()
) -> str:
    """The hash a page made of ``markdown`` (as its file holds it) under these names carries;
    ``unmade``: the reports it links whose pages were not made (linked as Markdown)."""
    digest = hashlib.sha256(_makers())
    for name in (source, index, *unmade):
        part = name.encode("utf-8", "surrogateescape")
        digest.update(b"%d:%s" % (len(part), part))
    digest.update(markdown)
    return digest.hexdigest()


def report_page(
    markdown: str, *, source: str, index: str = "", made: str = "",
    unmade: frozenset[str] = frozenset(),
) -> str:  # fmt: skip
    """The page of one report. ``source``: the Markdown file's name, which the page names
    (the terminal's and git's form); ``index``: the page of every report of the kind, linked
    from the page's foot ("": this is the index); ``made``: its ``made_from``, named in the
    page's head; ``unmade``: the reports it links whose pages are not made, linked as their
    Markdown (a page on disk: ``fs.reports``)."""
    global _render
    _render = _render or renderer()
    body, title, link = [], "", _linker(unmade)
    for text, opens, closes in _pieces(markdown):
        piece = _LINK.sub(link, _TABLE.sub(_labelled, _render(text)))
        title = title or _title(piece)
        body.append(visible(shown(_joined(piece, opens, closes))))
    return render(
        "issue_report.html.j2",
        title=shown(title or "Issue report"),
        body=Markup("".join(body)),  # markdown-it's HTML: every text in it escaped already
        source=source,
        index=index,
        made_from=made,
    )


def _pieces(markdown: str):
    """``(text, opens, closes)``: the Markdown in pieces parsed one at a time, a long table
    or list cut into slices of SLICE_ROWS rows (a table's each with its heading; ``opens``:
    the piece starts the block, ``closes``: it ends it). Only a block between blank lines is
    cut: it is a block of its own whatever comes before and after it."""
    lines = markdown.split("\n")
    start = n = 0
    while n < len(lines):
        run = _run_at(lines, n) if n == 0 or not lines[n - 1].strip() else None
        if run is None:
            n += 1
            continue
        head, end = run
        rows = end - n - head
        if rows > SLICE_ROWS and (end == len(lines) or not lines[end].strip()):
            yield "\n".join(lines[start:n]), True, True
            for at in range(0, rows, SLICE_ROWS):
                first = n + head + at
                piece = [*lines[n : n + head], *lines[first : min(first + SLICE_ROWS, end)]]
                yield "\n".join(piece), at == 0, at + SLICE_ROWS >= rows
            start = end
        n = end
    yield "\n".join(lines[start:]), True, True


def _run_at(lines: list[str], n: int) -> tuple[int, int] | None:
    """``(heading lines, end)`` of the table or the list of one-line items that starts at line
    ``n``, or None."""
    if _table_at(lines, n):
        head, prefix = 2, "|"
    elif lines[n].startswith("- "):
        head, prefix = 0, "- "
    else:
        return None
    end = n + head
    while end < len(lines) and lines[end].startswith(prefix):
        end += 1
    return head, end


def _table_at(lines: list[str], n: int) -> bool:
    """Whether a table's heading row starts at line ``n`` (its delimiter row follows)."""
    if not lines[n].startswith("|") or n + 1 >= len(lines):
        return False
    delimiter = lines[n + 1].replace(" ", "")
    return "-" in delimiter and set(delimiter) <= set("|-:")


def _joined(piece: str, opens: bool, closes: bool) -> str:
    """A slice's HTML as part of one table or list: its start (a table's heading) only where
    the block opens, its end only where it closes."""
    if not opens:
        piece = piece.split("<tbody>\n", 1)[-1] if "<tbody>" in piece else piece[len("<ul>\n"):]
    if not closes:
        piece = piece[: piece.rfind("</tbody>" if "</tbody>" in piece else "</ul>")]
    return piece
