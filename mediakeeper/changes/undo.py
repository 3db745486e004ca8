"""Undo: the old values of journaled tag changes put back, newest first.

Each value is checked against its file first: a tag changed again since (by the person or
another program) is left alone and said. The values go through the same write as a batch's
fixes (``mediakeeper.changes.writes.carry_out``), journaled under an undo session of their own,
so an undo can be undone. Where a file still holds what the undone writes left, the bytes
they replaced are put back instead, so the file is byte for byte what it was. A dry run
reads the files and says what the undo would restore, what it would leave alone and why,
and what already holds the old value; it writes nothing.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from mediakeeper import tags
from mediakeeper.changes import originals
from mediakeeper.changes.change import TagChange
from mediakeeper.changes.journal import (
    UNDO_PREFIX,
    JournalEntry,
    JournalProblem,
    is_undo,
    read_journals,
    unfinished,
)
from mediakeeper.changes.writes import (
    ChangeJournal,
    FilesWritten,
    Step,
    by_path,
    carry_out,
    foreseen,
)
from mediakeeper.core import writemode
from mediakeeper.core.errors import MediakeeperError, NotFound
from mediakeeper.fs import last_given
from mediakeeper.text.commands import tool_command
from mediakeeper.text.fold import caseless
from mediakeeper.text.matching import find_name
from mediakeeper.text.visible import one_line, quoted, shell_word
from mediakeeper.text.wording import first_few

CHANGED_AGAIN = "was changed again since"  # why a tag holding a third value is left alone


class NothingJournaled(NotFound):
    """No journaled change for the session or artist an undo names."""


def artist_named(everything: list[JournalEntry], artist: str) -> str:
    """The journaled spelling of the artist ``artist`` means (as ``_artist_named``)."""
    key = _artist_named(everything, artist)
    return next(e.artist for e in everything if caseless(e.artist) == key)


def _artist_named(everything: list[JournalEntry], artist: str) -> str:
    """The journaled artist ``artist`` means, found as every command finds a name
    (``mediakeeper.text.matching``), as its :func:`caseless` key: spellings that differ only by
    case or by how an accent is encoded are one artist."""
    spellings = {caseless(e.artist): e.artist for e in everything}
    try:
        found = find_name(
            artist,
            spellings.values(),
            missing=f"no journaled changes for artist {quoted(artist)}",
            otherwise=_sessions_hint(everything),
        )
    except NotFound as err:
        raise NothingJournaled(err.message, err.hint) from None
    return caseless(found)


def _sessions_hint(everything: list[JournalEntry]) -> str:
    """The batches that changed tags, newest first (undo sessions only when there is
    nothing else)."""
    if not everything:
        return "no changes yet"
    sessions = list(dict.fromkeys(e.session for e in reversed(everything)))  # newest first
    batches = [s for s in sessions if not is_undo(s)] or sessions
    more = " (--list shows them all)" if len(sessions) > 5 else ""
    return "sessions with changes, newest first: " + ", ".join(batches[:5]) + more


def _none_of_artist_in(status_kind_dir: Path, everything: list[JournalEntry], session: str,
                       artist: str) -> None:  # fmt: skip
    """Raise, where ``session`` changed tags but none of ``artist``'s: saying the session has
    no changes would send the person looking for another session, when it is the artist
    that is not in it. Names the session's artists and the dry run that lists its changes."""
    theirs = list(dict.fromkeys(e.artist for e in everything if e.session == session))
    if not theirs:
        return  # no such session: said as such by the caller
    home = status_kind_dir.parent.parent
    listing = f"{tool_command('undo', home)} --session {shell_word(session)} --dry-run"
    raise NothingJournaled(
        f"session {session} changed no tags of artist {quoted(artist_named(everything, artist))}",
        f"its artists: {first_few([one_line(a) for a in theirs])}; each of its changes: {listing}",
    )


def _net(steps: list[Step]) -> list[JournalEntry]:
    """The sources of steps done to each tag, one entry per tag and file: from the value the
    first step found to the one the last left (a tag fixed, undone and fixed again was walked
    back step by step, each checked against the file, and is reported once)."""
    first: dict[tuple[str, str], JournalEntry] = {}
    last: dict[tuple[str, str], JournalEntry] = {}
    for step in steps:
        key = (step.source.path, step.source.tag)
        first.setdefault(key, step.source)
        last[key] = step.source
    return [replace(entry, old=last[key].old) for key, entry in first.items()]


@dataclass
class UndoReport:
    restored: list[JournalEntry]
    left_alone: list[tuple[JournalEntry, str]]
    undo_session: str
    # Already holding the old value: undone before (e.g. by --artist, then by --session), or
    # journaled by a run killed before it wrote the file (the resumed run journals it again).
    already: list[JournalEntry] = field(default_factory=list)
    # Lines of the journals undone that could not be read (see mediakeeper.changes.journal).
    problems: list[JournalProblem] = field(default_factory=list)
    # The files the restored values were (a dry run: would be) written to.
    files_written: FilesWritten = field(default_factory=FilesWritten)
    # Of ``already``, those an earlier undo wrote back (its journal holds that very step): an
    # undo stopped half-way (Ctrl+C, a kill) before it opened their decisions again, or one
    # that ran to its end (``--artist``, then ``--session``), whose decisions are open already.
    resumed: list[JournalEntry] = field(default_factory=list)
    # The later sessions that changed tags ``left_alone`` since: the values are theirs now,
    # and their own undo takes them back.
    changed_since: list[str] = field(default_factory=list)

    @property
    def taken_back(self) -> list[JournalEntry]:
        """The values whose fixes this undo takes back on every surface: those it restored,
        and those an undo stopped half-way had restored."""
        return [*self.restored, *self.resumed]

    @property
    def complete(self) -> bool:
        """Every change asked for was undone or found undone already."""
        return not self.left_alone and not any(not p.torn for p in self.problems)


class JournalUnwritable(MediakeeperError):
    exit_code = 1


@dataclass(frozen=True)
class Selected:
    everything: list[JournalEntry]  # the journals read: an artist's all, a session's on
    wanted: list[JournalEntry]  # the changes asked for (none: only unreadable lines)
    problems: list[JournalProblem]  # the lines of their journals that could not be read


def selected(status_kind_dir: Path, session: str | None, artist: str | None) -> Selected:
    """The journaled changes an undo of ``session`` and/or ``artist`` takes back, read and
    nothing written; an artist's name that fits several or none, a session with no changes
    (or none of the artist's) raise, so a command says so before it asks anything. None
    asked for, only lines that could not be read: those lines, which the undo reports."""
    if not (session or artist):
        raise MediakeeperError("say what to undo", "give --session ID or --artist NAME")
    # A session's undo (of one artist's changes too) weighs its changes against the later
    # ones only: the journals of the weeks before it are not read. An artist's, all.
    journals = read_journals(status_kind_dir, after=session)
    everything = journals.entries
    # Any journal may hold an artist's changes; a session's are in its own.
    problems = [p for p in journals.problems if session is None or p.session == session]
    try:
        wanted = _selected(everything, session, artist)
    except NothingJournaled:
        if not (session and artist) and not (artist and any(not p.torn for p in problems)):
            raise
        # An artist none of these name: said below, from every journal; or, where lines
        # could not be read, its changes may be among them: the undo names them, exit 1.
        wanted = []
    if not wanted and not problems:
        if session and artist:  # the artist may have changes before it: every journal read
            _none_of_artist_in(status_kind_dir, read_journals(status_kind_dir).entries,
                               session, artist)  # fmt: skip
        target = f"session {one_line(session)}" if session else f"artist {quoted(artist)}"
        hint = _sessions_hint(read_journals(status_kind_dir).entries)  # every session's
        raise NothingJournaled(f"no journaled changes for {target}", hint)
    return Selected(everything, wanted, problems)


def undo(status_kind_dir: Path, *, session: str | None = None, artist: str | None = None,
         dry_run: bool = False, writing: writemode.Writing = writemode.DEFAULT_WRITING,
         asked: Selected | None = None) -> UndoReport:  # fmt: skip
    """Put back the old values of one session's (or one artist's) changes, newest first.

    A damaged journal line does not stop the rest from being undone: its change cannot be
    known, and refusing all the others for it would leave the user nothing to run (the
    damage stays). Each undone value is still checked against its file, so a gap in a tag's
    history leaves that tag alone rather than writing a wrong value; the report names the
    line, and the command exits 1. The values are written as ``writing`` (the music
    settings ``write_mode`` and ``hard_links``) says, as a batch's fixes are. ``asked``: the
    ``selected`` changes, read already by a caller that weighed them first (the journals
    hold every change ever made: read once, not again here)."""
    if asked is None:
        asked = selected(status_kind_dir, session, artist)
    everything, wanted, problems = asked.everything, asked.wanted, asked.problems
    if not wanted:
        return UndoReport([], [], "", problems=problems)
    wanted, superseded, changed_since = _in_effect(wanted, everything)
    files, odd = _undo_steps(wanted)
    if dry_run:
        done = foreseen(files, writing.hard_links, verify=True, changed=CHANGED_AGAIN)
        undo_id = ""
    else:
        undo_id = last_given.stamped(status_kind_dir.parent, "undo", prefix=UNDO_PREFIX)
        journal = ChangeJournal(status_kind_dir, undo_id, writing)
        with unfinished(status_kind_dir, undo_id):
            done = _write_undo(files, journal, _bytes_back(status_kind_dir, files))
    already = _net(done.already)
    return UndoReport(
        restored=_net(done.written),
        left_alone=[*superseded, *_one_per_tag([*odd, *done.refused])],
        undo_session=undo_id,
        already=already,
        problems=problems,
        files_written=done.files_written,
        resumed=_put_back_before(already, everything),
        changed_since=changed_since,
    )


def _put_back_before(already: list[JournalEntry],
                     everything: list[JournalEntry]) -> list[JournalEntry]:  # fmt: skip
    """Of the changes found at their old value, those an undo's journal wrote back (the same
    tag of the same file from the change's new value to its old one)."""
    undone = {(e.path, e.tag, e.old, e.new) for e in everything if is_undo(e.session)}
    return [e for e in already if (e.path, e.tag, e.new, e.old) in undone]


def _in_effect(
    wanted: list[JournalEntry], everything: list[JournalEntry]
) -> tuple[list[JournalEntry], list[tuple[JournalEntry, str]], list[str]]:
    """The changes to take back, the tags left alone because a later change, not among
    them, found the tag holding another value than they left: then they were never written
    (journaled first, the file then left alone: a second name, a read-only file, a full
    disk) or were undone or overwritten since, and what the file holds is that later
    session's doing, even where it is the same value. Taking it back would undo that
    session's work. What the changes left is their newest's new value (a tag changed twice
    in a session is walked back whole). And the sessions of those later changes."""
    asked = {id(e) for e in wanted}
    later: dict[tuple[str, str], list[JournalEntry]] = {}  # not asked for, newest first
    found_gone: dict[tuple[str, str], JournalEntry | None] = {}  # by whom, for each tag
    for entry in reversed(everything):  # newest first: what came later is known by then
        key = (entry.path, entry.tag)
        if id(entry) not in asked:
            later.setdefault(key, []).append(entry)
        elif key not in found_gone:  # the newest change asked for of this tag
            found_gone[key] = next((e for e in later.get(key, ()) if e.old != entry.new), None)
    left: dict[tuple[str, str], tuple[JournalEntry, str]] = {}
    for entry in reversed(wanted):  # one line a tag, for its newest change
        if (by := found_gone[(entry.path, entry.tag)]) is not None:
            left.setdefault((entry.path, entry.tag),
                            (entry, f"changed again by session {by.session} since"))  # fmt: skip
    since = list(dict.fromkeys(by.session for by in found_gone.values() if by is not None))
    return ([e for e in wanted if found_gone[(e.path, e.tag)] is None], list(left.values()),
            since)  # fmt: skip


def _one_per_tag(refused: Iterable[tuple[Step, str]]) -> list[tuple[JournalEntry, str]]:
    """One line per tag and file left alone: its newest step's reason."""
    said: dict[tuple[str, str], tuple[JournalEntry, str]] = {}
    for step, why in refused:
        said.setdefault((step.source.path, step.source.tag), (step.source, why))
    return list(said.values())


def _selected(
    entries: list[JournalEntry], session: str | None, artist: str | None
) -> list[JournalEntry]:
    """The journaled changes of the session and/or the artist asked for."""
    key = None if artist is None else _artist_named(entries, artist)
    return [e for e in entries if (session is None or e.session == session)
            and (key is None or caseless(e.artist) == key)]  # fmt: skip


def _undo_steps(wanted: list[JournalEntry]):
    """Each file's steps back, and the steps of paths that are not files (with why). Newest
    entry first, so a tag changed twice in the selection ends at its oldest value; each step
    takes a tag back from the entry's new value to its old one."""
    files, odd = [], []
    for path, group in by_path(reversed(wanted)).items():
        steps = [Step(e.artist, TagChange(e.path, e.tag, e.new, e.old), e, e.size) for e in group]
        why = _not_regular(path)
        if why:  # never opened: a FIFO would wait forever, a device is no one's tags
            odd += [(step, why) for step in steps]
        else:
            files.append((Path(path), steps, None))
    return files, odd


def _bytes_back(status_kind_dir: Path, files) -> dict[Path, list[tags.BytesBack]]:
    """The bytes each file's undone writes replaced, newest first, where the file still holds
    what every one of them left (``mediakeeper.changes.originals``): put back, the file is its
    old bytes again. Any other file gets its old values back."""
    kept: dict[str, dict[str, list[tags.BytesBack]]] = {}
    backs: dict[Path, list[tags.BytesBack]] = {}
    for path, steps, _ in files:
        chain: list[tags.BytesBack] = []
        for session in dict.fromkeys(step.source.session for step in steps):  # newest first
            if session not in kept:
                kept[session] = originals.read(status_kind_dir, session)
            writes = kept[session].get(str(path))
            if not writes:
                break
            chain += reversed(writes)
        else:
            if chain and tags.holds(path, chain):
                backs[path] = chain
    return backs


def _write_undo(files, journal: ChangeJournal, backs: dict[Path, list[tags.BytesBack]]):
    """The steps written through the undo's own journal; a journal that cannot be written
    stops it before any file is touched, said as such."""
    try:
        return carry_out(files, journal, verify=True, changed=CHANGED_AGAIN, backs=backs)
    except OSError as err:
        if err.filename != str(journal.path):
            raise
        # The journal is written before any file: nothing was changed.
        why = os.strerror(err.errno) if err.errno else err.strerror
        raise JournalUnwritable(
            f"cannot write the undo's change journal {journal.path}: {why}",
            "nothing was changed; free space in the data home or make it writable, then undo again",
        ) from None


def _not_regular(path: str) -> str | None:
    """Why a journaled path is not a file to read and write, if it is not one."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None  # reading it says why
    if stat.S_ISREG(mode):
        return None
    return "not a regular file (a folder)" if stat.S_ISDIR(mode) else "not a regular file"
