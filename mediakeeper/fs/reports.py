"""An issue report on disk: its Markdown (for the terminal and git) and the web page made from
that Markdown (for the dashboard's and the weekly report's links), ``x.md`` beside ``x.html``.

Every writer of a report (each kind's, ``decide``, ``undo``, the index) goes through
``write_report``, so the page is never left telling what the Markdown no longer says: the page
is written first, then the Markdown, each atomically, so at every moment the page is at least
as new as the Markdown beside it. Derived data (processing again rebuilds it): atomic, no fsync
unless asked.

A report is written only when it changes: a Markdown file that holds the text already, beside
a page that names that text as what it was made from (``report_page.made_from``), is left as
it is, page unrendered (a re-run, a ``decide`` that leaves an artist's report as it was, an
index whose lists did not move). A page from other text (a write a kill cut between the page
and its Markdown) or from another version of the toolkit is made again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
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


def page_path(report: Path) -> Path:
    return Path(page_of(os.fspath(report)))


def write_item_outputs(
    home: Path, kind: Kind, slug: str, document: Mapping[str, Any], called: str
) -> None:
    """One item's outputs: its document as ``outputs/<kind>/<slug>.json`` and its issue report
    ``issues/<kind>/<slug>.md`` (and page), rendered from the kind's template with the document
    under the name the template gives an item (``called``: "album", "book")."""
    # Imported once an item is done: importing jinja2 up front would hold back a job's start.
    from mediakeeper.text.render import render

    assert kind.output_dir is not None and kind.report_template is not None
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    atomic_write_text(inside(home, *kind.output_dir, f"{slug}.json"), text)
    report = render(kind.report_template, **{called: document}, home=home)
    write_report(inside(home, "issues", kind.name, f"{slug}.md"), report, durable=True)


def write_report(path: Path, markdown: str, *, durable: bool = False) -> bool:
    """``path``: the report's ``.md``; its page goes beside it. Whether anything was written
    (False: the report on disk says this already)."""
    # Imported when a report is written: the commands that only read reports (the dashboard,
    # the weekly report's records) need no Markdown renderer.
    from mediakeeper.text.report_page import made_from

    path = Path(path)
    page, text = page_path(path), encode_text(markdown)
    made = made_from(text, source=path.name, index=_index_of(path))
    if _made_from(page) != made:
        atomic_write_text(page, _page(path, markdown, made), durable=durable)
    elif holds(path, text):
        if durable:  # as a write would leave them: on disk
            flush_files((), [page, path])
            fsync_dir(path.parent)
        return False
    write_if_changed(path, text, durable=durable)
    return True


def _index_of(path: Path) -> str:
    """The page of the kind's index, which a report's page links ("" for the index itself)."""
    return "" if path.name == INDEX else page_path(path.with_name(INDEX)).name


def _made_from(page: Path) -> str:
    """What the page on disk names as made from (``report_page.made_from``); "" for none."""
    from mediakeeper.text.report_page import MADE_FROM

    try:
        with open(page, "rb") as f:
            found = MADE_FROM.search(f.read(512))  # in its head, before any tag's text
    except OSError:
        return ""
    return found.group(1).decode() if found else ""


def _page(path: Path, markdown: str, made: str) -> str:
    from mediakeeper.text.report_page import report_page

    return report_page(markdown, source=path.name, index=_index_of(path), made=made)


def write_missing_page(path: Path | str) -> bool:
    """The page of a report written before reports had pages (a data home of an older
    version), made from its Markdown; True if one was written."""
    # Looked for by name, a Path made only for a page to write: a Path made for each of a
    # library's reports (pathlib, 3.11, interns every part it parses) grew the interpreter's
    # table of interned names with the library.
    name = os.fspath(path)
    if os.path.exists(page_of(name)):
        return False
    from mediakeeper.text.report_page import made_from

    try:
        with open(name, "rb") as markdown_file:
            text = markdown_file.read()
    except FileNotFoundError:  # a report the queue names, never written: no page to make
        return False
    path = Path(name)
    made = made_from(text, source=path.name, index=_index_of(path))
    markdown = text.decode("utf-8", errors="replace")
    atomic_write_text(page_path(path), _page(path, markdown, made), durable=False)
    return True
