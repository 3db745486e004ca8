"""A group's decisions taken as one session, and that session taken back whole.

A session of ``decide --all`` is recorded under ``status/<kind>/decisions/<session>.json``:
its code, the items it decided and the rule it remembered, and for a group of failed (or
skipped) items each queue item as it was. ``undo --session ID`` reads it: every finding
that session closed is open again, the dismissals it left in the items' details go (so the
next batch asks again), the rule it recorded is forgotten, and the queue items it retried
or skipped are as they were (those a batch has taken since are left to it); the tags it
wrote (``--all --choose``) are the change journal's, put back by undo as any other. A
dupes session's items are duplicate groups kept whole ("keep all"): its undo asks them again.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mediakeeper.core.decisions import item_decisions, questions, rules_in
from mediakeeper.decisions import rules
from mediakeeper.decisions.answering import group_done, write_again
from mediakeeper.decisions.item import ItemDecisions, queue_of
from mediakeeper.decisions.outstanding import GROUPS
from mediakeeper.decisions.recorded import FOLDER
from mediakeeper.dupes import kept as kept_whole
from mediakeeper.dupes.kind import KIND as DUPES
from mediakeeper.fs.atomic import atomic_write_text
from mediakeeper.queue import dismissals
from mediakeeper.queue.items import COMPLETED, PENDING
from mediakeeper.queue.manager import put_where, restore
from mediakeeper.reports.closing import write_closing_reports
from mediakeeper.reports.issue_index import write_issue_indexes
from mediakeeper.reports.records import read_output


@dataclass(frozen=True)
class Undone:
    reopened: int  # decisions open again
    items: int
    rule: str  # the rule forgotten ("": none)
    queue: int = 0  # failed or skipped items put back as they were
    left: int = 0  # of those, items a batch has taken since: left to it
    kind: str = ""  # the session's, as its record (removed by the undo) said
    code: str = ""
    decided: int = 0  # the items it had decided


def record(
    home: Path, kind: str, session: str, code: str, keys: list[str], rule: str, queue=None,
    **more: Any,
) -> None:  # fmt: skip
    """``queue``: {"status": what the items were put to, "items": each as it was}; ``more``:
    what a kind's own undo reads (verify's ``ledger``: the checksums an acceptance replaced,
    ``decisions.verifying``)."""
    path = _path(home, kind, session)
    entry = {"session": session, "kind": kind, "code": code, "items": keys, "rule": rule}
    text = json.dumps({**entry, **({"queue": queue} if queue else {}), **more},
                      ensure_ascii=False, indent=1)  # fmt: skip
    atomic_write_text(path, text + "\n")


def drop(home: Path, kind: str, session: str) -> None:
    """Forget the record of ``session``, which decided nothing (``record`` wrote it first)."""
    _path(home, kind, session).unlink(missing_ok=True)


def again(home: Path, kind: str, session: str, code: str, keys: set[str]) -> list[str]:
    """The completed items of ``keys`` back to pending (attempts from none) for the next
    batch, as the session ``session`` undo gives back (each item as it was); their names."""
    return [str(i.get("name") or i["key"]) for i in again_items(home, kind, session, code, keys)]


def again_items(home: Path, kind: str, session: str, code: str,
                keys: set[str]) -> list[dict[str, Any]]:  # fmt: skip
    """``again``, answered with the items put back, each as it was."""
    store = queue_of(home, kind)
    before = put_where(store, lambda i: i["key"] in keys and i["status"] == COMPLETED,
                       PENDING, fresh=True)  # fmt: skip
    record(home, kind, session, code, [i["key"] for i in before], "",
           {"status": PENDING, "items": before})  # fmt: skip
    write_issue_indexes(home)
    return before


def _path(home: Path, kind: str, session: str) -> Path:
    return home / "status" / kind / FOLDER / f"{session}.json"


def find(home: Path, session: str) -> Path | None:
    """The record of the group session ``session``, of whichever kind (None: not one)."""
    if not session or "/" in session or session.startswith("."):
        return None
    status = home / "status"
    kinds = sorted(p.name for p in status.iterdir() if p.is_dir()) if status.is_dir() else []
    return next((p for k in kinds if (p := _path(home, k, session)).is_file()), None)


def undo(home: Path, session: str, *, dry_run: bool = False,
         tagged: bool = False) -> Undone | None:  # fmt: skip
    """Take back the group session ``session`` (a dry run: say what that would do, writing
    nothing); None when no group session has that id. ``tagged``: the session wrote tags,
    whose undo (``undo_surfaces``) opens its decisions again, as an item's choice's."""
    path = find(home, session)
    if path is None:
        return None
    entry = json.loads(path.read_text(encoding="utf-8"))
    kind, code, keys = entry["kind"], entry["code"], set(entry["items"])
    was = {"kind": kind, "code": code, "decided": len(keys)}
    if kind == DUPES.name:  # duplicate groups kept whole: asked again
        if dry_run:
            again = kept_whole.of_session(home, session)
        else:
            again = kept_whole.forget_session(home, session)
            write_closing_reports(home, datetime.now(UTC))  # the space setting aside would free
            os.unlink(path)
        return Undone(len(again), len(again), "", **was)
    store = queue_of(home, kind)
    if queue := entry.get("queue"):
        back = restore(store, queue["items"], queue["status"], dry_run=dry_run)
        if not dry_run:
            write_issue_indexes(home)
            os.unlink(path)
        return Undone(sum(map(_asks, back)), 0, "", len(back), len(queue["items"]) - len(back),
                      **was)  # fmt: skip
    reopened = items = 0
    for item in [i for i in store.peek()["items"] if i["key"] in keys]:
        document = read_output(home, kind, item)
        if document is None:
            continue
        back = [] if tagged else _reopen(document, session)
        details = item.get("details") or {}
        kept = {c: d for c, d in (details.get(dismissals.KEY) or {}).items()
                if (d.get("decided") or {}).get("session") != session}  # fmt: skip
        if back or kept != (details.get(dismissals.KEY) or {}):
            if not dry_run:
                write_again(home, ItemDecisions(kind, item, document), {dismissals.KEY: kept},
                            index=False, store=store)  # fmt: skip
            reopened, items = reopened + questions(back), items + 1
    rule = entry.get("rule") or ""
    if not dry_run:
        if rule and rules_in(home).get(code) == rule:
            kept = entry.get("settings")
            rules.take_back(home, code, rules.Edit(kept["before"], kept["after"]) if kept else None)
        group_done(home, store)
        os.unlink(path)  # taken back: undoing it again finds nothing to undo
    return Undone(reopened, items, f'{code} = "{rule}"' if rule else "", **was)


def _asks(item: dict[str, Any]) -> int:
    """The decisions a queue item given back asks: a failed or skipped one its own, a
    completed one its open findings' (a movie's candidate asked again, an album verified)
    and, not identified, that."""
    if item["status"] in GROUPS.values():
        return 1
    return item_decisions(item.get("details")) if item["status"] == COMPLETED else 0


def _reopen(document: dict[str, Any], session: str) -> list[dict[str, Any]]:
    """The findings ``session`` closed, open again."""
    back = []
    for finding in document.get("findings") or []:
        if (finding.get("decided") or {}).get("session") == session:
            finding.pop("decided")
            back.append(finding)
    return back
