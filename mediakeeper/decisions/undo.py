"""One session undone whole, as ``undo --session ID`` and ``POST /api/undo`` both do: the files
a ``dupes set-aside`` session moved put back at their own paths (``decisions.copies``), the
damaged files a verify restore set aside put back and the checksums it accepted as they were
(``decisions.verifying``), a group decided by ``decide --all`` (or duplicate groups kept
whole) opened again (its dismissals and rule gone, ``decisions.sessions``), then whatever
tag changes the session journaled put back (``changes.undo``: a set-aside's kept copies lose
the tags and cover they gained) and every surface written again (``undo_surfaces``).

Each session undone is noted in ``status/undone.jsonl`` (``changes.undone``: the session, the
undo's own session, when, and whether all of it came back), so what lists sessions can say
which are undone already and by what, a group's too once its record is gone; and an undo of
a session undone whole already is refused, whatever the session was. A dry run goes through
each of those steps, each saying what it would do and writing nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mediakeeper.batch.session_history import refuse_while_running
from mediakeeper.changes import undone as undone_ledger
from mediakeeper.changes.journal import journaled
from mediakeeper.changes.moves import PutBack
from mediakeeper.changes.undo import NothingJournaled, UndoReport, undo
from mediakeeper.core import kinds, writemode
from mediakeeper.core.errors import NotFound
from mediakeeper.decisions import copies, sessions, verifying
from mediakeeper.decisions.undo_surfaces import Surfaces, after_undo
from mediakeeper.pipelines.made import refuse_made
from mediakeeper.queue.session_log import kind_of
from mediakeeper.reports.closing import write_closing_reports
from mediakeeper.text.commands import tool_command
from mediakeeper.text.slug import one_name


@dataclass
class SessionUndone:
    """What undoing a session did (a dry run: would do): the files put back (None: it moved
    none), the group it opened again (None: it was no group's), the values put back (None:
    the session journaled no tag change), the decisions those values opened again, and the
    artists to check again once ``--refresh`` sends them back; and the duplicate groups
    listed again once the files it set aside are back (their decisions open again)."""

    put_back: PutBack | None
    group: sessions.Undone | None
    report: UndoReport | None
    surfaces: Surfaces = field(default_factory=Surfaces)
    groups_again: int = 0

    @property
    def idle(self) -> bool:
        """Whether it changed nothing: each value and file already back (an undo again)."""
        return (self.group is None and not (self.report and self.report.restored)
                and not (self.put_back and self.put_back.restored))  # fmt: skip

    @property
    def none_of_it(self) -> bool:
        """Whether none of a session of tag changes is undone: no value put back now nor
        before, each left alone (changed again since: a later session's to take back)."""
        return (self.put_back is None and self.group is None and self.report is not None
                and not self.report.restored and not self.report.already)  # fmt: skip

    @property
    def reopened(self) -> int:
        """The decisions open again: the group's, the duplicate groups listed again, and
        those whose fix or choice the values put back took back."""
        group = self.group.reopened if self.group else 0
        return group + self.groups_again + self.surfaces.reopened

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
            "reopened": self.reopened,
        }
        if moved is not None:  # a set-aside's (or a restore's) files, back at their own paths
            result["put_back"] = len(moved.restored)
            left += [{"path": path, "tag": "", "why": why} for path, why in moved.left_alone]
        result["left_alone"] = left
        stopped = moved is not None and bool(moved.stopped)
        result["complete"] = not left and not stopped and (report is None or report.complete)
        return result


def undo_session(home: Path, session: str, writing: writemode.Writing, *,
                 dry_run: bool = False) -> SessionUndone:  # fmt: skip
    """Undo the session ``session`` whole (a dry run: say all it would do, writing nothing).
    NotFound for an id that names no session, or one undone whole already (its undo's own
    session is what to undo to have it made again); BatchRunning for a batch's session that
    still runs (a dry run only reads: it may look)."""
    _undoable(home, session)
    if not dry_run:
        refuse_while_running(home / "status", session)
    undone = _undo_session(home, session, writing, dry_run)
    # Undone again with nothing left to put back: the undo that did it stays the one named;
    # none of it undone (made again by an undo's undo, whose undo takes it back): no mark.
    if not dry_run and not undone.none_of_it and not (
            undone.idle and session in undone_ledger.undone_sessions(home)):  # fmt: skip
        _note(home, session, undone)
    return undone


def _undoable(home: Path, session: str) -> None:
    """Refuse, as a name that matches nothing, an id no session could have (a path: never
    looked for), a pipeline's session (it made new files and changed none: said so) and a
    session undone whole already, whatever kind of session it was."""
    listed = f"`{tool_command('undo', home)} --list` lists the sessions"
    if not one_name(session):
        raise NotFound(f"no session {session!r}", listed)
    refuse_made(home, session)  # its albums are new files: nothing to put back
    done = undone_ledger.undone_sessions(home).get(session)
    if done is not None and not done.left:
        by = f" by {done.by}" if done.by else ""
        again = (f"to have it made again, undo the undo: {tool_command('undo', home)} "
                 f"--session {done.by}") if done.by else listed  # fmt: skip
        raise NotFound(f"session {session} was undone already ({done.when}{by}); nothing to undo",
                       again)  # fmt: skip


def _undo_session(home: Path, session: str, writing: writemode.Writing,
                  dry_run: bool) -> SessionUndone:  # fmt: skip
    kind_dir = home / "status" / "music"
    moved, groups_again = copies.put_back(home, session, dry_run=dry_run) or (None, 0)
    if moved is None:  # a verify session's restored files and accepted checksums, first
        moved = verifying.undo(home, session, dry_run=dry_run)
    tagged = journaled(kind_dir, session)
    group = sessions.undo(home, session, dry_run=dry_run, tagged=tagged)
    if (moved is not None or group is not None) and not tagged:
        if moved is not None and not dry_run:
            write_closing_reports(home, datetime.now(UTC))  # the space setting aside would free
        return SessionUndone(moved, group, None, groups_again=groups_again)
    try:
        report = undo(kind_dir, session=session, dry_run=dry_run, writing=writing)
    except NothingJournaled:
        if (kind := kind_of(session)) not in kinds.INSTALLED:
            raise
        # A batch of a kind (a conversion, a verify pass, a music batch that fixed nothing):
        # said as what it is, not as "no journaled changes" and a list of other sessions.
        raise NothingJournaled(f"session {session} is a {kind} batch's and changed no tags: "
                               "nothing to undo", f"`{tool_command('sessions', home)} show "
                               f"{session}` says what it did") from None  # fmt: skip
    surfaces = after_undo(home, report, dry_run=dry_run)
    if moved is not None and not dry_run:
        write_closing_reports(home, datetime.now(UTC))
    return SessionUndone(moved, group, report, surfaces, groups_again)


def _note(home: Path, session: str, undone: SessionUndone) -> None:
    shown, group = undone.as_json(session), undone.group
    by = shown["session"] if shown["session"] != session else ""
    left = len(shown["left_alone"]) + (group.left if group else 0)
    # A put-back a full disk stopped has files still to move: partly undone, so the same undo
    # finishes it rather than being refused as undone already.
    left += bool(undone.put_back and undone.put_back.stopped)
    kind, code, decided = (group.kind, group.code, group.decided) if group else ("", "", 0)
    undone_ledger.note(home, session, by=by, left=left, kind=kind, code=code, decided=decided)
