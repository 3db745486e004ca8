"""An issue report on disk: its Markdown (for the terminal and git), ``x.md``, and the web
page made from that Markdown (for a browser), ``x.html`` beside it.

A page is made when it is read, not when its report is written: a batch writes every item's
Markdown, and most pages would never be opened (docs/performance.md). Its readers make it:
``serve`` answers a page from its Markdown (``read_page``), and a command a person runs to
read pages on disk (``report``, ``dashboard``) makes the pages it links (``linked``). A page
made is kept: it is made again when its report changes (``write_report`` makes it again
before the Markdown, so a page on disk is never older than the Markdown beside it), and a
reader that finds it made from other text (a write a kill cut, another version of the
toolkit) makes it again. ``made_from`` (``report_page``) names what a page was made from.

The pages a person opens first on disk, a kind's index pages and its upgrades list, are made
with their Markdown (``write_report(now=True)``): their links to other reports lead to those
reports' pages where they are made, else to their Markdown, so no link of a page on disk
leads nowhere. ``serve`` makes any page asked for, so the pages it answers link every page.

Derived data (processing again rebuilds it): atomic, no fsync unless asked. A report is
written only when it changes: a Markdown file that holds the text already (beside a page, if
one was made, that names that text as what it was made from) is left as it is, unrendered.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from mediakeeper.core.kind_record import Kind
from mediakeeper.fs.atomic import (
    atomic_write_text,
    encode_text,
    flush_files,
    fsync_dir,
    holds,
    write_if_changed,
)
from mediakeeper.text.slug import inside, page_of

INDEX = "index.md"  # issues/<kind>/index.md: every report of the kind
# A link of a report's Markdown to another report beside it or near it (the index's rows).
_REPORT_LINK = re.compile(r"\]\(([^()\s:#/][^()\s:#]*\.md)\)")


def page_path(report: Path) -> Path:
    return Path(page_of(os.fspath(report)))


def write_item_outputs(
    home: Path, kind: Kind, slug: str, document: Mapping[str, Any], called: str
) -> None:
    """One item's outputs: its document as ``outputs/<kind>/<slug>.json`` and its issue report
    ``issues/<kind>/<slug>.md`` (its page made when read), rendered from the kind's template
    with the document under the name the template gives an item (``called``: "album",
    "book")."""
    # Imported once an item is done: importing jinja2 up front would hold back a job's start.
    from mediakeeper.text.render import render

    assert kind.output_dir is not None and kind.report_template is not None
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    atomic_write_text(inside(home, *kind.output_dir, f"{slug}.json"), text)
    report = render(kind.report_template, **{called: document}, home=home)
    write_report(inside(home, "issues", kind.name, f"{slug}.md"), report, durable=True)


def write_report(
    path: Path, markdown: str, *, durable: bool = False, now: bool = False,
    written: Collection[str] = (),
) -> bool:  # fmt: skip
    """``path``: the report's ``.md``. Its page beside it is made again if one was made (a
    reader made it); ``now``: made whether or not (an index page, an upgrades list), linking
    the pages made of the reports it links (``written``: the names of reports whose pages
    are written with this one, the index's other pages) and the Markdown of the others.
    Whether anything was written (False: the report on disk says this already)."""
    path = Path(path)
    page, text = page_path(path), encode_text(markdown)
    on_disk = _made_from(page)
    if on_disk is None and not now:  # no page made: none made now (the batch's every item)
        return write_if_changed(path, text, durable=durable)
    from mediakeeper.text.report_page import made_from

    unmade = _unmade(path, markdown, written)
    made = made_from(text, source=path.name, index=_index_of(path), unmade=unmade)
    if on_disk != made:
        atomic_write_text(page, _page(path, markdown, made, unmade), durable=durable)
    elif holds(path, text):
        if durable:  # as a write would leave them: on disk
            flush_files((), [page, path])
            fsync_dir(path.parent)
        return False
    write_if_changed(path, text, durable=durable)
    return True


def read_page(report: Path | str) -> bytes | None:
    """The page of ``report`` (its ``.md``) for a reader who asked for it, every link to
    another report leading to that report's page (asked for in turn): the page on disk when
    it was made from the report as it stands, else made now and, where it reads the same on
    disk (it links no report whose page is not made), written beside it for the next reader.
    None when there is no report. Its bytes, as a file holds them."""
    from mediakeeper.text.report_page import made_from

    path = Path(report)
    page, html = page_path(path), None
    for _ in range(3):  # a report written while its page was made: made again
        try:
            text = path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
        made = made_from(text, source=path.name, index=_index_of(path))
        on_disk = _page_bytes(page)
        if on_disk is not None and _named(on_disk[:512]) == made:
            return on_disk
        markdown = text.decode("utf-8", errors="replace")
        html = encode_text(_page(path, markdown, made, ()))
        if _unmade(path, markdown, ()):  # on disk it would link those reports' Markdown
            return html
        try:
            write_if_changed(page, html, durable=False)
        except OSError:  # a home this reader cannot write (read-only): answered all the same
            return html
        if holds(path, text):
            return html
    return html


def make_page(report: Path | str) -> bool:
    """Make the page of ``report`` (its ``.md``) where it is missing or outdated, for a page
    on disk that links it; whether the page is there now (False: no report)."""
    path = Path(report)
    try:
        text = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return False
    from mediakeeper.text.report_page import made_from

    markdown = text.decode("utf-8", errors="replace")
    unmade = _unmade(path, markdown, ())
    made = made_from(text, source=path.name, index=_index_of(path), unmade=unmade)
    if _made_from(page_path(path)) == made:
        return True
    write_if_changed(page_path(path), encode_text(_page(path, markdown, made, unmade)),
                     durable=False)  # fmt: skip
    return True


def linked(home: Path | str, report: str, *, make: bool = False) -> str:
    """How a page on disk links ``report`` (a path under ``home``): to its page where it is
    made (made now if ``make``: a command a person runs to read), else to its Markdown."""
    if not report.endswith(".md"):
        return report
    where = os.path.join(home, report)
    made = make_page(where) if make else os.path.exists(page_of(where))
    return page_of(report) if made else report


def _unmade(path: Path, markdown: str, written: Collection[str]) -> tuple[str, ...]:
    """The reports ``markdown`` links whose pages are not made (nor in ``written``)."""
    folder = os.fspath(path.parent)
    return tuple(sorted({
        href for href in _REPORT_LINK.findall(markdown)
        if href not in written and not os.path.exists(page_of(os.path.join(folder, href)))
    }))  # fmt: skip


def _index_of(path: Path) -> str:
    """The page of the kind's index, which a report's page links ("" for the index itself)."""
    return "" if path.name == INDEX else page_path(path.with_name(INDEX)).name


def _made_from(page: Path) -> str | None:
    """What the page on disk names as made from (``report_page.made_from``); "" for a page
    that names nothing (an older version's, a link), None for no page."""
    head = _page_bytes(page, 512)  # in its head, before any tag's text
    return None if head is None else _named(head)


def _page_bytes(page: Path, most: int = -1) -> bytes | None:
    """The page's bytes (its first ``most``), b"" for a link (never followed: a page is a
    file the toolkit wrote, replaced when made), None for no page."""
    try:
        fd = os.open(page, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError:
        return b""
    if stat.S_ISDIR(os.fstat(fd).st_mode):  # a folder where the page goes: no page
        os.close(fd)
        return b""
    with open(fd, "rb") as f:
        return f.read(most)


def _named(head: bytes) -> str:
    from mediakeeper.text.report_page import MADE_FROM

    found = MADE_FROM.search(head)
    return found.group(1).decode() if found else ""


def _page(path: Path, markdown: str, made: str, unmade: Collection[str]) -> str:
    from mediakeeper.text.report_page import report_page

    return report_page(
        markdown, source=path.name, index=_index_of(path), made=made, unmade=frozenset(unmade)
    )
