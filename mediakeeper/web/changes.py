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

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from mediakeeper.changes import moves
from mediakeeper.changes.journal import written_by_session
from mediakeeper.changes.undone import Undoing, latest_undos, undone_sessions
from mediakeeper.decisions.recorded import decided_sessions
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
    outcome: str = ""  # a batch's: completed, stopped, running, unrecorded
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
    undos = latest_undos(home)
    undone = undone_sessions(home, undos)
    _decisions(home, undos, undone, change)
    _set_asides(home, change)
    _undone(undone, found)
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
        if written.stopped:  # its journal holds what it planned, written before its files
            c.what.append(f"stopped before it finished: {count(written.values, 'tag value')} "
                          f"to {count(written.files, 'file')} planned, not all written")
        else:
            c.what.append(f"{count(written.values, 'tag value')} written to "
                          f"{count(written.files, 'file')}")  # fmt: skip
        c.undoable = True


def _decisions(home: Path, undos: dict[str, Undoing], undone: dict[str, Undoing],
               change: ChangeOf) -> None:  # fmt: skip
    """The decisions taken (``decide``, one item's or a group's), from their records; one
    undone, whose record went with its undo, from the undo's own (``undos``). One whose
    undo was undone since has its tags written again: undoable as its tags say
    (``_tag_writes``), where one undone (``undone``) is not."""
    for decided in decided_sessions(home, undos):
        c = change(decided.session, decided.kind, decided.at)
        c.what.append(decided.said)
        c.undoable = decided.recorded or (c.undoable and decided.session not in undone)


def _set_asides(home: Path, change: ChangeOf) -> None:
    """``dupes set-aside``'s sessions, journaled apart."""
    for session, files in moves.sessions(home):
        journal = moves.journal_path(home, session)
        at = datetime.fromtimestamp(journal.stat().st_mtime, UTC) if journal.exists() else None
        c = change(session, "dupes", at or datetime.fromtimestamp(0, UTC))
        c.what.append(f"{count(files, 'copy', 'copies')} set aside")
        c.undoable = True


def _undone(undone: dict[str, Undoing], found: dict[str, Change]) -> None:
    """Each session undone said so, and its undo named what it undid."""
    for session, undoing in undone.items():
        if session in found:
            found[session].undone = undoing
        if undoing.by in found:
            found[undoing.by].undoes = session
