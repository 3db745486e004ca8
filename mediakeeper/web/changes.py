"""What the page's "Recent changes" lists: every session of the home, newest first, whoever
ran it (a batch from a terminal or from the page, ``decide``, ``decide --all``, an undo, a
``dupes set-aside``), each with what it changed and whether ``undo --session`` has anything
to take back. Read from the records every command already keeps: the batches' session
events (``sessions.jsonl``), the change journal's lines (tag values written), the
decisions' records (``status/<kind>/decisions/<session>.json``), the set-asides' moves
(``changes.moves``) and the sessions undone (``changes.undone.undone_sessions``: one undone
is said so, with when, and offers no Undo; a group's, whose record its undo removed, is
listed from there).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from mediakeeper.changes import moves
from mediakeeper.changes.journal import written_by_session
from mediakeeper.changes.undone import Undoing, undone_sessions
from mediakeeper.decisions.sessions import FOLDER as DECISIONS_FOLDER
from mediakeeper.queue.session_log import load_sessions
from mediakeeper.reports.weeks import parse_time
from mediakeeper.text.wording import count

SHOWN = 50  # sessions listed


@dataclass
class Change:
    """One session as the list shows it."""

    session: str
    kind: str
    at: datetime
    what: list[str] = field(default_factory=list)  # what it did, a clause each
    undoable: bool = False  # undo --session has something to take back
    outcome: str = ""  # a batch's: completed, stopped, running, crashed
    undone: Undoing | None = None  # undone since (wholly, or ``undone.left`` left alone)
    undoes: str = ""  # the session this one is the undo of


def _moment(text: str | None) -> datetime:
    found = parse_time(text) if text else None
    return found or datetime.fromtimestamp(0, UTC)


ChangeOf = Callable[[str, str, datetime], Change]  # (session, kind, at) -> its Change, made once


def recent_changes(home: Path, most: int = SHOWN) -> list[Change]:
    status = home / "status"
    found: dict[str, Change] = {}

    def change(session: str, kind: str, at: datetime) -> Change:
        if session not in found:
            found[session] = Change(session, kind, at)
        return found[session]

    kinds = sorted(p.name for p in status.iterdir() if p.is_dir()) if status.is_dir() else []
    for kind in kinds:
        _batches(status, kind, change)
        _tag_writes(status, kind, change)
        _group_decisions(status, kind, change)
    _set_asides(home, change)
    _undone(home, found, change)
    return sorted(found.values(), key=lambda c: (c.at, c.session), reverse=True)[:most]


def _batches(status: Path, kind: str, change: ChangeOf) -> None:
    """The kind's batches, from their session events."""
    for record in load_sessions(status, kind, items=False):
        c = change(record.id, kind, record.started_at)
        c.outcome = record.outcome
        c.what.append(f"{record.items_done:,} done, {record.items_failed:,} failed")


def _tag_writes(status: Path, kind: str, change: ChangeOf) -> None:
    """The tag values each session wrote, from the kind's change journal (each journal read
    again only once it changed: ``written_by_session``)."""
    for session, written in written_by_session(status / kind).sessions.items():
        c = change(session, kind, _moment(written.last))
        c.what.append(f"{count(written.values, 'tag value')} written to "
                      f"{count(written.files, 'file')}")  # fmt: skip
        c.undoable = True


def _group_decisions(status: Path, kind: str, change: ChangeOf) -> None:
    """The kind's decisions taken for a group (``decide --all``), from their records."""
    for record in sorted((status / kind / DECISIONS_FOLDER).glob("*.json")):
        try:
            entry = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        at = datetime.fromtimestamp(record.stat().st_mtime, UTC)
        c = change(str(entry.get("session") or record.stem), kind, at)
        items = entry.get("items") or []
        code = entry.get("code") or "a group"
        c.what.append(f"decided {code} for {count(len(items), 'item')}")
        c.undoable = True


def _set_asides(home: Path, change: ChangeOf) -> None:
    """``dupes set-aside``'s sessions, journaled apart."""
    for session, files in moves.sessions(home):
        journal = moves.journal_path(home, session)
        at = datetime.fromtimestamp(journal.stat().st_mtime, UTC) if journal.exists() else None
        c = change(session, "dupes", at or datetime.fromtimestamp(0, UTC))
        c.what.append(f"{count(files, 'copy', 'copies')} set aside")
        c.undoable = True


def _undone(home: Path, found: dict[str, Change], change: ChangeOf) -> None:
    """Each session undone said so, and its undo named what it undid; a group's decision,
    whose record went with its undo, listed from the undo's own record."""
    for session, undoing in undone_sessions(home).items():
        if undoing.kind and session not in found:
            c = change(session, undoing.kind, undoing.at)
            c.what.append(f"decided {undoing.code} for {count(undoing.decided, 'item')}")
        if session in found:
            found[session].undone = undoing
        if undoing.by in found:
            found[undoing.by].undoes = session
