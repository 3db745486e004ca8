"""After an undo: every surface tells it at once, and the next check keeps it. The undone
artists' fixes are no longer counted as fixed (their findings open again, saying which undo
took them back, as do the decisions whose choice it took back), their output documents hold
the restored values, and their issue reports (without the undo line, nothing is left to
undo), queue counts and the index are written again (``answering.write_again``). The tags it
put back are marked in each artist's queue details (``dismissals.undone_marked``): the undo
changed the files, so ``--refresh`` sends the artist back to be checked, and that check
leaves those tags as the person put them.

A finding an undo opens again keeps what it was (``WAS`` in its details: fixed, or the
person's ``decided``), so that undoing that undo, which makes its fixes again, settles it
again as it was: the redo reopens nothing and leaves no artist to check again."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mediakeeper.changes.journal import JournalEntry
from mediakeeper.changes.undo import UndoReport
from mediakeeper.core.decisions import questions
from mediakeeper.decisions.answering import group_done, write_again
from mediakeeper.decisions.item import ItemDecisions, queue_of
from mediakeeper.queue.dismissals import UNDONE, undone_marked
from mediakeeper.queue.items import COMPLETED
from mediakeeper.queue.store import QueueStore
from mediakeeper.reports.records import read_output

WAS = "was"  # in a finding's details, beside ``undone``: what it was before that undo


@dataclass
class Surfaces:
    """What an undo did to the decisions: how many it opened again, how many it settled
    again (an undo's undo), and the artists to check again (those it reopened a finding of,
    or whose document names none it settled)."""

    reopened: int = 0
    settled: int = 0
    again: list[str] = field(default_factory=list)


def after_undo(home: Path, report: UndoReport, *, dry_run: bool = False) -> Surfaces:
    """Mark what the undo put back (``report.taken_back``: the values it wrote, and those an
    earlier undo wrote), and write the undone artists' outputs again (a dry run: only counts
    what it would open again)."""
    restored, session = report.taken_back, report.undo_session
    # An artist whose files this undo left as they were (an earlier undo, stopped or not,
    # had put its values back) is only to be checked again if its findings open again now.
    written = {e.artist for e in report.restored}
    store = queue_of(home, "music")
    if not restored or not store.exists():
        return Surfaces()
    if not dry_run:
        _mark(store, restored, session)
    artists = {e.artist for e in restored}
    items = [i for i in store.peek()["items"] if i["key"] in artists and i["status"] == COMPLETED]
    done = Surfaces()
    for item in items:
        document = read_output(home, "music", item)
        if document is None:
            continue
        back = {(os.path.abspath(e.path), e.tag): e for e in restored if e.artist == item["key"]}
        reopened, settled = _reopen(document, back, session)
        done.reopened, done.settled = done.reopened + reopened, done.settled + settled
        if reopened or (item["key"] in written and not settled):  # a redo: nothing to check
            done.again.append(str(item.get("name") or item["key"]))
        if not dry_run:
            # Its files are not recorded as they are now: the undo is a change --refresh acts on.
            write_again(home, ItemDecisions("music", item, document), files_now=False,
                        index=False, store=store)  # fmt: skip
    if not dry_run:
        group_done(home, store)
    return done


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


def _reopen(document: dict, back: dict[tuple[str, str], JournalEntry],
            session: str) -> tuple[int, int]:
    """The document as the undo left the files: tags restored, the findings whose fixes it
    took back open again (each keeping what it was), those an undone undo had opened settled
    again as they were, nothing of this artist's left to undo. The decisions it opened again,
    and those it settled."""
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
    reopened, settled = [], []
    for finding in document.get("findings") or []:
        details = finding.get("details") or {}
        taken_back = any(slot(c["path"], c["tag"]) in back for c in finding["changes"])
        decided = finding.get("decided") or {}
        if details.get("undone") in sessions and _settle(finding, session, taken_back):
            settled.append(finding)  # an undo undone: made again, so settled as it was
            continue
        if finding.get("fixed") and taken_back:
            finding["fixed"] = False
            was: dict[str, Any] = {"fixed": True}
        elif decided.get("session") in sessions:
            was = {"decided": finding.pop("decided")}  # a person's choice taken back: asked again
        else:
            continue
        reopened.append(finding)
        finding["details"] = {**details, "undone": session, WAS: was}
    summary = document.setdefault("summary", {})
    summary["changes_written"] = summary["loudness_changes"] = 0
    return questions(reopened), questions(settled, open_only=False)


def _settle(finding: dict[str, Any], session: str, taken_back: bool) -> bool:
    """A finding an undo opened, settled again as it was before that undo (fixed, where the
    redo made its fix again; the person's choice, now the redo ``session``'s, whose journal
    holds its values now, so that its undo asks it again); whether it was. One decided since
    is the person's: left alone."""
    details = dict(finding["details"])
    was = details.pop(WAS, None) or {}
    if finding.get("fixed") or finding.get("decided"):
        return False
    if was.get("decided"):
        finding["decided"] = {**was["decided"], "session": session}
    elif taken_back:  # fixed (as a record from before ``WAS`` says by its undone mark alone)
        finding["fixed"] = True
    else:
        return False
    details.pop("undone")
    finding["details"] = details
    return True
