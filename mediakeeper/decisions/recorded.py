"""The sessions ``decide`` took, as what lists sessions reads them (``undo --list``, the
page's recent changes): each decision taken from the terminal or the page, one item's or a
group's, is a session recorded under ``status/<kind>/decisions/<session>.json``
(``decisions.sessions.record``) until its undo removes the record; one undone is listed from
the undo's own line (``changes.undone``), which keeps its kind, code and items. Read without
loading what takes or undoes a decision: a listing reads records only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mediakeeper.changes.undone import Undoing
from mediakeeper.text.wording import count

FOLDER = "decisions"  # under status/<kind>/


@dataclass(frozen=True)
class Decided:
    """A session of ``decide``: its ``code`` taken for ``items`` items of ``kind``."""

    session: str
    kind: str
    code: str
    items: int
    at: datetime  # when it was recorded (one undone: when it was undone)
    recorded: bool = True  # False: undone, its record gone with its undo

    @property
    def said(self) -> str:
        """What it changed, as every list of sessions says it (a value set where no decision
        asked it has no code)."""
        if not self.code:
            return f"set tags of {count(self.items, 'item')}"
        return f"decided {self.code} for {count(self.items, 'item')}"


def decided_sessions(home: Path, undos: dict[str, Undoing]) -> list[Decided]:
    """Every session of ``decide`` the home records, oldest first, and those ``undos`` names
    (every session undone, ``latest_undos``: its undo may have been undone since, which
    makes its changes again but not its record) whose record went with their undo."""
    found: dict[str, Decided] = {}
    status = home / "status"
    kinds = sorted(p.name for p in status.iterdir() if p.is_dir()) if status.is_dir() else []
    for kind in kinds:
        for path in sorted((status / kind / FOLDER).glob("*.json")):
            try:
                entry = json.loads(path.read_text(encoding="utf-8"))
                at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            except (OSError, ValueError):
                continue  # being replaced, or edited by hand: not said
            session = str(entry.get("session") or path.stem)
            items = entry.get("items") or []
            found[session] = Decided(session, kind, str(entry.get("code") or ""), len(items), at)
    for session, undoing in undos.items():
        if undoing.kind and session not in found:
            found[session] = Decided(session, undoing.kind, undoing.code, undoing.decided,
                                     undoing.at, recorded=False)  # fmt: skip
    return sorted(found.values(), key=lambda d: (d.at, d.session))
