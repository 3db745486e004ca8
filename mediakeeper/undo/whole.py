"""One session undone whole, as ``undo --session ID`` and ``POST /api/undo`` both do: a group
decided by ``decide --all`` opened again (its dismissals and rule gone,
``decisions.sessions``), then whatever tag changes the session journaled put back
(``restore``) and every surface written again (``surfaces``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mediakeeper.core import writemode
from mediakeeper.decisions import sessions
from mediakeeper.music.journal import read_journals
from mediakeeper.undo.restore import UndoReport, undo
from mediakeeper.undo.surfaces import after_undo


@dataclass
class SessionUndone:
    """What undoing a session did: the group it opened again (None: it was no group's), the
    values put back (None: the session journaled no tag change), and the artists to check
    again once ``--refresh`` sends them back."""

    group: sessions.Undone | None
    report: UndoReport | None
    again: list[str]


def undo_session(home: Path, session: str, writing: writemode.Writing) -> SessionUndone:
    kind_dir = home / "status" / "music"
    group = sessions.undo(home, session)
    if group is not None and not any(e.session == session
                                     for e in read_journals(kind_dir).entries):  # fmt: skip
        return SessionUndone(group, None, [])
    report = undo(kind_dir, session=session, writing=writing)
    again = after_undo(home, report.restored, report.undo_session)
    return SessionUndone(group, report, again)
