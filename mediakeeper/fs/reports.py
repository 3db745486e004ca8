"""An issue report on disk: its Markdown (for the terminal and git) and the web page made from
that Markdown (for the dashboard's and the weekly report's links), ``x.md`` beside ``x.html``.

Every writer of a report (each kind's, ``decide``, ``undo``, the index) goes through
``write_report``, so the page is never left telling what the Markdown no longer says: the page
is written first, then the Markdown, each atomically, so at every moment the page is at least
as new as the Markdown beside it. Derived data (processing again rebuilds it): atomic, no fsync
unless asked.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mediakeeper.core.kind_record import Kind
from mediakeeper.fs.atomic import atomic_write_text
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


def write_report(path: Path, markdown: str, *, durable: bool = False) -> None:
    """``path``: the report's ``.md``; its page goes beside it."""
    path = Path(path)
    atomic_write_text(page_path(path), _page(path, markdown), durable=durable)
    atomic_write_text(path, markdown, durable=durable)


def _page(path: Path, markdown: str) -> str:
    # Imported when a page is made: the commands that only read reports (the dashboard, the
    # weekly report's records) need no Markdown renderer.
    from mediakeeper.text.report_page import report_page

    index = "" if path.name == INDEX else page_path(path.with_name(INDEX)).name
    return report_page(markdown, source=path.name, index=index)


def write_missing_page(path: Path | str) -> bool:
    """The page of a report written before reports had pages (a data home of an older
    version), made from its Markdown; True if one was written."""
    # Looked for by name: a Path made for each of a library's reports (pathlib, 3.11, interns
    # every part it parses) grew the interpreter's table of interned names with the library.
    name = os.fspath(path)
    if os.path.exists(page_of(name)):
        return False
    path = Path(name)
    try:
        markdown = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return False
    atomic_write_text(page_path(path), _page(path, markdown), durable=False)
    return True
