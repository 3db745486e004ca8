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

from mediakeeper.text.render import html_twin, render, shown


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
            token.attrSet("href", html_twin(href))
            if following.type == "text" and following.content == href:
                following.content = html_twin(href)


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


def report_page(markdown: str, *, source: str, index: str = "") -> str:
    """The page of one report. ``source``: the Markdown file's name, which the page names
    (the terminal's and git's form); ``index``: the page of every report of the kind, linked
    from the page's foot ("": this is the index)."""
    md = _parser()
    env: dict[str, Any] = {}
    tokens = md.parse(markdown, env)
    _link_pages(tokens)
    _label_cells(tokens)
    body = shown(md.renderer.render(tokens, md.options, env))
    return render(
        "issue_report.html.j2",
        title=shown(_title(tokens)),
        body=Markup(body),  # markdown-it's output: every text in it escaped already
        source=source,
        index=index,
    )
