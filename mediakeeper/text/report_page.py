"""An issue report as a web page: its Markdown, the one source of what the report says,
rendered by markdown-it-py into a page styled as the dashboard and the weekly report are (the
same ``_style.html.j2``).

What a report shows comes from tags and folder names, which can hold anything (``<script>``):
raw HTML in the Markdown is not passed through (``html: False``), so every character of it is
shown as text, and markdown-it refuses ``javascript:`` and ``data:`` links. A link to another
Markdown report (the index's) opens that report's page. On a phone a table's rows are stacked,
each cell under its column's heading (``data-label``), so no column is out of sight.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from itertools import pairwise
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

from mediakeeper.text.render import render, shown
from mediakeeper.text.slug import page_of


@cache
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    table = '<div class="table-scroll">\n<table class="stack">\n'  # stacked on a phone
    md.add_render_rule("table_open", lambda *_: table)
    md.add_render_rule("table_close", lambda *_: "</table>\n</div>\n")
    return md


def _relative(href: str) -> bool:
    """A link within the data home (``x.md``, ``../music/x.md``), not a web address."""
    return ":" not in href.split("/", 1)[0] and not href.startswith(("/", "#"))


def _link_pages(tokens: Sequence[Token]) -> None:
    """A link to a report opens its page; a link that reads as its file's name (the index's
    ``[x.md](x.md)``) reads as the page's."""
    for token, following in pairwise([*tokens, Token("end", "", 0)]):
        if token.children:
            _link_pages(token.children)
        href = token.attrGet("href") if token.type == "link_open" else None
        if isinstance(href, str) and _relative(href):
            token.attrSet("href", page_of(href))
            if following.type == "text" and following.content == href:
                following.content = page_of(href)


def _text(inline: Token) -> str:
    return "".join(c.content for c in inline.children or () if c.type in ("text", "code_inline"))


def _label_cells(tokens: Sequence[Token]) -> None:
    """Each cell of a table's body carries its column's heading, which a phone's layout shows
    before the cell when it stacks the rows."""
    headings: list[str] = []
    column = 0
    for token, following in pairwise(tokens):
        if token.type == "thead_open":
            headings = []
        elif token.type == "th_open":
            headings.append(_text(following))
        elif token.type == "tr_open":
            column = 0
        elif token.type == "td_open":
            if column < len(headings) and headings[column]:
                token.attrSet("data-label", headings[column])
            column += 1


def _title(tokens: Sequence[Token]) -> str:
    """The text of the report's first heading, for the window's title."""
    for heading, inline in pairwise(tokens):
        if heading.type == "heading_open":
            return _text(inline)
    return "Issue report"


# Rows of a table, or items of a list, parsed at a time: markdown-it holds about 8 KB of
# tokens a row, so an index of 20,000 artists parsed whole would hold 160 MB; in slices a
# page's parse costs the same at any size.
SLICE_ROWS = 50
_STARTS = ("tbody_open", "bullet_list_open")  # what a slice after the first leaves out before
_ENDS = ("tbody_close", "table_close", "bullet_list_close")  # and a slice before the last after


def report_page(markdown: str, *, source: str, index: str = "") -> str:
    """The page of one report. ``source``: the Markdown file's name, which the page names
    (the terminal's and git's form); ``index``: the page of every report of the kind, linked
    from the page's foot ("": this is the index)."""
    md = _parser()
    body, title = [], ""
    for text, opens, closes in _pieces(markdown):
        env: dict[str, Any] = {}
        tokens = md.parse(text, env)
        _link_pages(tokens)
        _label_cells(tokens)
        title = title or _title(tokens)
        tokens = _joined(tokens, opens, closes)
        body.append(shown(md.renderer.render(tokens, md.options, env)))
    return render(
        "issue_report.html.j2",
        title=shown(title or "Issue report"),
        body=Markup("".join(body)),  # markdown-it's output: every text in it escaped already
        source=source,
        index=index,
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


def _joined(tokens: list[Token], opens: bool, closes: bool) -> list[Token]:
    """A slice's tokens as part of one table or list: its start (a table's heading) only
    where the block opens, its end only where it closes."""
    if not opens:
        body = next(i for i, t in enumerate(tokens) if t.type in _STARTS)
        tokens = tokens[body + 1 :]
    if not closes:
        tokens = [t for t in tokens if t.type not in _ENDS]
    return tokens
