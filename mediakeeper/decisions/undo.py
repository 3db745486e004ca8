"""One session undone whole, as ``undo --session ID`` and ``POST /api/undo`` both do: the files
a ``dupes set-aside`` session moved put back at their own paths (``decisions.copies``), the
damaged files a verify restore set aside put back and the checksums it accepted as they were
(``decisions.verifying``), a group decided by ``decide --all`` (or duplicate groups kept
whole) opened again (its dismissals and rule gone, ``decisions.sessions``), then whatever
tag changes the session journaled put back (``changes.undo``: a set-aside's kept copies lose
the tags and cover they gained) and every surface written again (``undo_surfaces``).

Each session undone is noted in ``status/undone.jsonl`` (``changes.undone``: the session, the
undo's own session, when, and whether all of it came back), so what lists sessions can say
which are undone already and by what, a group's too once its record is gone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mediakeeper.changes import undone as undone_ledger
from mediakeeper.changes.journal import journaled
from mediakeeper.changes.moves import PutBack
from mediakeeper.changes.undo import UndoReport, undo
from mediakeeper.core import writemode
from mediakeeper.decisions import copies, sessions, verifying
from mediakeeper.decisions.undo_surfaces import after_undo
from mediakeeper.reports.closing import write_closing_reports


@dataclass
class SessionUndone:
    """What undoing a session did: the files put back (None: it moved none), the group it
    opened again (None: it was no group's), the values put back (None: the session journaled
    no tag change), and the artists to check again once ``--refresh`` sends them back."""

    put_back: PutBack | None
    group: sessions.Undone | None
    report: UndoReport | None
    again: list[str]

    @property
    def nothing(self) -> bool:
        """Whether there was nothing to undo: no session of that id."""
        return self.group is None and self.report is None and self.put_back is None

    @property
    def idle(self) -> bool:
        """Whether it changed nothing: each value and file already back (an undo again)."""
        return (self.group is None and not (self.report and self.report.restored)
                and not (self.put_back and self.put_back.restored))  # fmt: skip

    def as_json(self, session: str) -> dict[str, Any]:
        """The answer of ``POST /api/undo`` (docs/api.md): ``session`` (the undo's own, or the
        one undone when the undo wrote no file), ``restored`` (values put back), ``reopened``
        (decisions open again), ``left_alone`` (each with path, tag and why) and ``complete``,
        and ``put_back`` for a session that moved files."""
        report, moved = self.report, self.put_back
        left = [{"path": e.path, "tag": e.tag, "why": why} for e, why in report.left_alone] \
            if report else []  # fmt: skip
        result: dict[str, Any] = {  # an undo that restored no value wrote no journal
            "session": report.undo_session if report and report.restored else session,
            "restored": len(report.restored) if report else 0,
            "reopened": self.group.reopened if self.group else 0,
        }
        if moved is not None:  # a set-aside's (or a restore's) files, back at their own paths
            result["put_back"] = len(moved.restored)
            left += [{"path": path, "tag": "", "why": why} for path, why in moved.left_alone]
        result["left_alone"] = left
        result["complete"] = not left and (report is None or report.complete)
        return result


def undo_session(home: Path, session: str, writing: writemode.Writing) -> SessionUndone:
    undone = _undo_session(home, session, writing)
    # Undone again with nothing left to put back: the undo that did it stays the one named.
    if not undone.nothing and not (undone.idle and session in undone_ledger.undone_sessions(home)):
        _note(home, session, undone)
    return undone


def _undo_session(home: Path, session: str, writing: writemode.Writing) -> SessionUndone:
    kind_dir = home / "status" / "music"
    moved = copies.put_back(home, session)
    if moved is None:  # a verify session's restored files and accepted checksums, first
        moved = verifying.undo(home, session)
    group = sessions.undo(home, session)
    tagged = journaled(kind_dir, session)
    if (moved is not None or group is not None) and not tagged:
        if moved is not None:
            write_closing_reports(home, datetime.now(UTC))  # the space setting aside would free
        return SessionUndone(moved, group, None, [])
    report = undo(kind_dir, session=session, writing=writing)
    again = after_undo(home, report.restored, report.undo_session)
    if moved is not None:
        write_closing_reports(home, datetime.now(UTC))
    return SessionUndone(moved, group, report, again)


def _note(home: Path, session: str, undone: SessionUndone) -> None:
    shown, group = undone.as_json(session), undone.group
    by = shown["session"] if shown["session"] != session else ""
    left = len(shown["left_alone"]) + (group.left if group else 0)
    kind, code, decided = (group.kind, group.code, group.decided) if group else ("", "", 0)
    undone_ledger.note(home, session, by=by, left=left, kind=kind, code=code, decided=decided)
