"""The sessions undone whole (``status/undone.jsonl``): a line for each, written by a session's
undo (``decisions.undo``: its values, files and decisions put back) and read by what lists
sessions (``undo --list``, the page's recent changes) to say which are undone already and by
what, a group's too once the undo has removed its record. Read without loading the undo
itself: a listing reads journals only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mediakeeper.changes import jsonlines

UNDONE = "undone.jsonl"  # under status/: one line per session undone whole


@dataclass(frozen=True)
class Undoing:
    """A session undone, as ``status/undone.jsonl`` has it: ``by`` the undo's own session
    ("" where the undo wrote no file, so nothing can redo it), ``at`` when, ``left`` how many
    changes it left alone (0: all came back); and for a group's session, whose record the undo
    removes, its ``kind``, ``code`` and how many items it had ``decided``."""

    session: str
    by: str
    at: datetime
    left: int
    kind: str = ""
    code: str = ""
    decided: int = 0

    @property
    def when(self) -> str:
        """When, as every surface says it to a person: local time, to the minute."""
        return self.at.astimezone().strftime("%Y-%m-%d %H:%M")


def note(home: Path, session: str, *, by: str, left: int, kind: str = "", code: str = "",
         decided: int = 0) -> None:  # fmt: skip
    """``session`` undone just now by the undo session ``by`` ("": it wrote no file), ``left``
    changes left alone; a group's session with its ``kind``, ``code`` and items ``decided``."""
    line: dict[str, Any] = {"session": session, "by": by,
                            "at": datetime.now(UTC).isoformat(timespec="seconds"), "left": left}
    if kind:
        line |= {"kind": kind, "code": code, "decided": decided}
    jsonlines.append(home / "status" / UNDONE, line)


def latest_undos(home: Path) -> dict[str, Undoing]:
    """The latest undo of every session ever undone whole, by id, whether it stands or was
    itself undone since (a group's session made again keeps the kind, code and count its
    first undo noted: its record went with that undo)."""
    latest: dict[str, Undoing] = {}
    for line in jsonlines.read(home / "status" / UNDONE) or []:
        try:
            at, session = datetime.fromisoformat(line["at"]), str(line["session"])
            group = (str(line.get("kind") or ""), str(line.get("code") or ""),
                     int(line.get("decided") or 0))  # fmt: skip
            if not group[0] and (earlier := latest.get(session)) is not None:
                group = (earlier.kind, earlier.code, earlier.decided)  # its record went then
            latest[session] = Undoing(session, str(line.get("by") or ""), at,
                                      int(line.get("left") or 0), *group)  # fmt: skip
        except (ValueError, KeyError, TypeError):
            continue  # a line not of this shape (edited by hand): that undo is not said
    return latest


def undone_sessions(home: Path, latest: dict[str, Undoing] | None = None) -> dict[str, Undoing]:
    """Every session undone now, by id: the latest undo of each (``latest``, read here if
    not given), unless that undo's own session was itself undone since (its changes made
    again)."""
    latest = latest_undos(home) if latest is None else latest

    def stands(session: str, seen: frozenset[str] = frozenset()) -> bool:
        record = latest.get(session)
        if record is None or session in seen:
            return False
        return not (record.by and stands(record.by, seen | {session}))

    return {s: r for s, r in latest.items() if stands(s)}
