"""After an undo: every surface tells it at once, and the next check keeps it. The undone
artists' fixes are no longer counted as fixed (their findings open again, saying which undo
took them back, as do the decisions whose choice it took back), their output documents hold
the restored values, and their issue reports (without the undo line, nothing is left to
undo), queue counts and the index are written again (``answering.write_again``). The tags it
put back are marked in each artist's queue details (``dismissals.undone_marked``): the undo
changed the files, so ``--refresh`` sends the artist back to be checked, and that check
leaves those tags as the person put them."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mediakeeper.changes.journal import JournalEntry
from mediakeeper.decisions.answering import group_done, write_again
from mediakeeper.decisions.item import ItemDecisions, queue_of
from mediakeeper.queue.dismissals import UNDONE, undone_marked
from mediakeeper.queue.items import COMPLETED
from mediakeeper.queue.store import QueueStore
from mediakeeper.reports.records import read_output


def after_undo(home: Path, restored: Iterable[JournalEntry], session: str) -> list[str]:
    """Mark what the undo put back, and write the undone artists' outputs again; the names
    of those written."""
    restored = list(restored)
    store = queue_of(home, "music")
    if not restored or not store.exists():
        return []
    _mark(store, restored, session)
    artists = {e.artist for e in restored}
    items = [i for i in store.peek()["items"] if i["key"] in artists and i["status"] == COMPLETED]
    written = []
    for item in items:
        document = read_output(home, "music", item)
        if document is None:
            continue
        back = {(os.path.abspath(e.path), e.tag): e for e in restored if e.artist == item["key"]}
        _reopen(document, back, session)
        # Its files are not recorded as they are now: the undo is a change --refresh acts on.
        write_again(home, ItemDecisions("music", item, document), files_now=False,
                    index=False, store=store)  # fmt: skip
        written.append(str(item.get("name") or item["key"]))
    group_done(home, store)
    return written


def _mark(store: QueueStore, restored: list[JournalEntry], session: str) -> None:
    """Each undone artist's restored tags in its details, whatever its status: a pending
    artist's next check keeps them too."""

    def mutate(data: dict[str, Any]) -> list[dict[str, Any]]:
        changed = []
        for item in data["items"]:
            folder = os.path.abspath(item["path"])
            slots = [(os.path.relpath(os.path.abspath(e.path), folder), e.tag)
                     for e in restored if e.artist == item["key"]]  # fmt: skip
            if slots:
                details = item.get("details") or {}
                marks = undone_marked(details, folder, slots, session)
                item["details"] = {**details, UNDONE: marks}
                changed.append(item)
        return changed

    store.update(mutate)  # folded once with the artists' counts (``group_done``)


def _reopen(document: dict, back: dict[tuple[str, str], JournalEntry], session: str) -> None:
    """The document as the undo left the files: tags restored, the findings whose fixes it
    took back open again, nothing of this artist's left to undo."""
    folder = Path(document["folder"])

    def slot(path: str, tag: str) -> tuple[str, str]:
        return os.path.abspath(folder / path), tag

    for track in document.get("tracks") or []:
        for tag in {tag for path, tag in back if path == slot(track["path"], "")[0]}:
            old = back[slot(track["path"], tag)].old
            if old is None:
                track["tags"].pop(tag, None)
            else:
                track["tags"][tag] = old
    sessions = {e.session for e in back.values()}
    for finding in document.get("findings") or []:
        taken_back = any(slot(c["path"], c["tag"]) in back for c in finding["changes"])
        chosen = (finding.get("decided") or {}).get("session")
        if finding.get("fixed") and taken_back:
            finding["fixed"] = False
        elif chosen and chosen in sessions:  # a person's choice taken back: asked again
            finding.pop("decided")
        else:
            continue
        finding["details"] = {**finding.get("details", {}), "undone": session}
    summary = document.setdefault("summary", {})
    summary["changes_written"] = summary["loudness_changes"] = 0
