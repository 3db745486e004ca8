"""Safe tag changes with a change journal.

Every change is journaled before the file is touched: one JSON line per tag with its old and
new value, in ``status/music/changes/<session>.jsonl``, on disk before any file is written.
The tag write itself (see ``mediakeeper.tags.write_many``) leaves each file old or new, or
with ranges the next command completes, so the journal always knows at least as much as the
files. ``mediakeeper.changes.undo`` puts old values back through the same steps.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from mediakeeper import tags
from mediakeeper.changes import originals
from mediakeeper.changes.change import TagChange
from mediakeeper.changes.journal import CHANGES_DIR, checked_line
from mediakeeper.core import writemode
from mediakeeper.core.errors import AudioError, MediakeeperError
from mediakeeper.fs.atomic import append_lines, encode_text, fsync_dir
from mediakeeper.fs.checks import why_left_alone
from mediakeeper.fs.names import home_id
from mediakeeper.tags.cover import COVER, cover
from mediakeeper.text.visible import is_unicode
from mediakeeper.text.wording import value


class ChangeJournal:
    """Append-only journal of one session's tag changes, and how they are written
    (``writing``: the settings' ``write_mode`` and ``hard_links``, see
    ``mediakeeper.core.writemode``)."""

    def __init__(
        self,
        status_kind_dir: Path,
        session: str,
        writing: writemode.Writing = writemode.DEFAULT_WRITING,
    ):
        self.dir = status_kind_dir / CHANGES_DIR
        self.session = session
        self.path = self.dir / f"{session}.jsonl"
        self.policy = writemode.policy_for(status_kind_dir.parent, writing)

    def record(
        self,
        changes: Iterable[tuple[str, Path, TagChange]],
        sizes: Mapping[Path, int | None] | None = None,
    ) -> str:
        """Append the changes (each with its artist and the file it is in, and that file's
        size now from ``sizes`` where known) in one write; their stamp (``at``). The caller
        flushes the journal before it touches a file (``tags.write_many``'s
        ``flush_first``); its name is made durable here."""
        # To the microsecond: a fix, its undo and a fix again may all fall in one second, and
        # undo must still know which came first.
        stamp = datetime.now(UTC).isoformat(timespec="microseconds")
        changes = list(changes)
        for _, path, c in changes:  # a value no tag can hold never reaches the journal
            if c.new is not None and not is_unicode(c.new):
                raise MediakeeperError(
                    f"the new {c.tag} of {path} is not UTF-8 text (it holds undecodable bytes)",
                    "nothing was written",
                )
        lines = [
            checked_line(
                {
                    "session": self.session,
                    "artist": artist,
                    "path": str(path),
                    "tag": c.tag,
                    "old": c.old,
                    "new": c.new,
                    "at": stamp,
                    **_size_of(path, sizes),
                }
            )
            for artist, path, c in changes
        ]
        if lines:
            self._append(lines)
        return stamp

    def unwritten(self, changes: Iterable[tuple[Path, TagChange, str]], at: str) -> None:
        """Say that these changes, journaled at ``at``, were not written: each write left its
        file as it was (with the reason). Every reader of the journal then passes over their
        entries, so no count, list or undo holds a change that was never made. Not flushed,
        and not said at all where the disk refuses it (a full one): the undo's own check
        (``changes.undo``) stands for a line that is missing."""
        lines = [
            checked_line(
                {
                    "session": self.session,
                    "path": str(path),
                    "tag": c.tag,
                    "unwritten": at,
                    "reason": reason,
                }
            )
            for path, c, reason in changes
        ]
        if lines:
            with contextlib.suppress(OSError):
                self._append(lines)

    def _append(self, lines: list[str]) -> None:
        data = encode_text("".join(lines))
        # One write per call: workers sharing a session never interleave.
        try:
            try:
                append_lines(self.path, data, durable=False)
            except FileNotFoundError:  # the first change of all: its folder is made once
                self.dir.mkdir(parents=True, exist_ok=True)
                append_lines(self.path, data, durable=False)
        except OSError as err:  # a short write names no file: the journal is the one
            raise OSError(err.errno, err.strerror, str(self.path)) from err
        if self.path not in _NAMED:
            # The file's name (and its folder's) must survive a crash too. Once per process,
            # after it has seen the file: another worker may have created it a moment ago and
            # not synced the folder yet.
            fsync_dir(self.dir)
            fsync_dir(self.dir.parent)
            _NAMED.add(self.path)


_NAMED: set[Path] = set()  # journals whose names this process has made durable


def _size_of(path: Path, sizes: Mapping[Path, int | None] | None) -> dict[str, int]:
    size = (sizes or {}).get(path)
    return {} if size is None else {"size": size}


class FilesWritten(NamedTuple):
    """How changes reached the files: how many were written, and how many of those whole
    (a changed copy swapped in), the rest in place. The "written to" lines say it
    (``text.wording.written_to``)."""

    files: int = 0
    whole: int = 0


@dataclass(frozen=True)
class Applied:
    changes: tuple[TagChange, ...]  # written now, or found already in place (a resumed run)
    refused: tuple[tuple[TagChange, str], ...]  # left alone, with the reason
    # Files left alone for a reason that is a finding of its own (changed while being fixed,
    # read-only, a link out of the library): path in the artist folder -> (code, reason).
    left_alone: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    # The files a change was written to now.
    files_written: FilesWritten = field(default_factory=FilesWritten)
    # Of ``changes``, those whose file held the new value already (a run stopped after
    # writing it): nothing written for them now.
    already: tuple[TagChange, ...] = ()


def apply_changes(
    artist_dir: Path,
    artist: str,
    changes: Iterable[TagChange],
    journal: ChangeJournal,
    *,
    verify: bool = True,
    parsed: Mapping[str, tags.Parsed] | None = None,
    swept: bool = False,
) -> Applied:
    """Apply planned changes file by file. With ``verify`` each file is read first, which makes
    this idempotent: a change whose file already holds the new value counts as applied; one
    whose file no longer holds the old value is refused. ``parsed``: the scan's kept parses by
    path, written without parsing again while the file is unchanged; without ``verify`` too a
    file whose tag changed since the scan is refused, by the write itself. ``swept``: the
    caller has just removed this data home's stale temp copies from the artist's folders."""
    artists = [Artist(artist_dir, artist, changes, parsed)]
    return apply_together(artists, journal, verify=verify, swept=swept)[0]


class Artist(NamedTuple):
    """One artist folder's planned changes (paths in ``folder``) for ``apply_together``, and
    the scan's kept parses by path."""

    folder: Path
    key: str
    changes: Iterable[TagChange]
    parsed: Mapping[str, tags.Parsed] | None = None


def apply_together(
    artists: Iterable[Artist], journal: ChangeJournal, *, verify: bool, swept: bool = False
) -> list[Applied]:
    """``apply_changes`` for several artist folders at once (a worker's batch of artists):
    their changes journaled in one append and written in one group of files, so they share
    the journal entries and the rounds of flushes one artist alone would have (a commit per
    round, on a journaled file system). Each artist's ``Applied``, in order."""
    artists = list(artists)
    files = [_files_of(a.folder, a.key, a.changes, a.parsed) for a in artists]
    done = carry_out(
        [file for own in files for file in own],
        journal,
        verify=verify,
        changed=CHANGED_SINCE_SCAN,
        sweep=not swept,
    )
    return [
        _applied(a, {path for path, _, _ in own}, done)
        for a, own in zip(artists, files, strict=True)
    ]


def _applied(artist: Artist, paths: set[Path], done: Done) -> Applied:
    """What ``done`` did to ``artist``'s files (at ``paths``)."""
    mine = Done(
        written=[step for step in done.written if step.artist == artist.key],
        already=[step for step in done.already if step.artist == artist.key],
        refused=[(step, why) for step, why in done.refused if step.artist == artist.key],
        coded={path: found for path, found in done.coded.items() if path in paths},
        rewritten=done.rewritten & paths,
    )
    applied = [step.source for step in mine.already + mine.written]
    refused = tuple((step.source, why) for step, why in mine.refused)
    coded = {str(path.relative_to(artist.folder)): found for path, found in mine.coded.items()}
    already = tuple(step.source for step in mine.already)
    return Applied(tuple(applied), refused, coded, mine.files_written, already)


CHANGED_SINCE_SCAN = "changed since the scan"  # why a planned change's tag is left alone


def _files_of(
    artist_dir: Path,
    artist: str,
    changes: Iterable[TagChange],
    parsed: Mapping[str, tags.Parsed] | None = None,
) -> list[tuple[Path, list[Step], tags.Parsed | None]]:
    """Each file's steps of planned ``changes`` (paths in ``artist_dir``), with its kept parse."""
    parsed = parsed or {}
    return [
        (artist_dir / rel, [Step(artist, c, c) for c in group], parsed.get(rel))
        for rel, group in by_path(changes).items()
    ]


class Step(NamedTuple):
    """One tag of one file to take from ``change.old`` to ``change.new``, for ``artist``;
    ``source`` is what the caller is told about (the planned change, the undone entry);
    ``size``: the file's size before ``change.old`` was written (an undo's step), which a
    file whose every step is written gets back (``tags.FileWrite.size``)."""

    artist: str
    change: TagChange
    source: Any
    size: int | None = None


@dataclass
class Done:
    written: list[Step] = field(default_factory=list)
    already: list[Step] = field(default_factory=list)  # the file held the new value already
    refused: list[tuple[Step, str]] = field(default_factory=list)
    coded: dict[Path, tuple[str, str]] = field(default_factory=dict)  # see Applied.left_alone
    rewritten: set[Path] = field(default_factory=set)  # written whole (swapped), not in place

    @property
    def files_written(self) -> FilesWritten:
        """The files the written steps are in (a dry run's: would be in), and of them those
        the write swapped."""
        return FilesWritten(len({step.change.path for step in self.written}), len(self.rewritten))


def carry_out(
    files: Iterable[tuple[Path, list[Step], tags.Parsed | None]],
    journal: ChangeJournal,
    *,
    verify: bool,
    changed: str,
    sweep: bool = True,
    backs: Mapping[Path, list[tags.BytesBack]] | None = None,
) -> Done:
    """Take each file's steps in order against the file's values (``verify``: read now, else
    taken to be each step's old value), a step seeing what the steps before it leave; then
    journal every change to be written, in one append, before any file is touched; then write
    each file once, refused if it no longer holds those values (``tags.FileWrite``). A file
    that cannot be read or written is left alone; the rest go on. ``changed`` words why a
    step whose file holds a third value is refused. ``backs``: an undo's, the bytes to put
    back in a file instead of its values (``mediakeeper.changes.originals``); what each write
    replaced is kept there, for the undo of this one."""
    done = Done()
    made: dict[Path, list | None] = {}
    writes = [
        (path, steps, write._replace(made=made, back=(backs or {}).get(path)))
        for path, steps, write in _planned_writes(files, done, verify=verify, changed=changed)
    ]
    # The journal reaches the disk before any file is touched (with the copies, or the entry).
    sizes = {path: _size_now(path) for path, _, _ in writes}
    at = journal.record(
        ((s.artist, path, s.change) for path, steps, _ in writes for s in steps), sizes
    )
    failed = tags.write_many(
        (write for _, _, write in writes),
        flush_first=[journal.path],
        owner=home_id(journal.dir.parents[2]),  # <home>/status/<kind>/changes
        sweep=sweep,
        policy=journal.policy,
        rewritten=done.rewritten,
    )
    for path, steps, _ in writes:
        if path in failed:
            done.refused += [(step, failed[path].reason) for step in steps]
            if failed[path].code is not None:
                done.coded[path] = (failed[path].code, failed[path].reason)
        else:
            done.written += steps
    journal.unwritten(
        ((path, s.change, failed[path].reason) for path, steps, _ in writes
         if path in failed and not failed[path].touched for s in steps),
        at,
    )  # fmt: skip
    kept = {path: spans for path, spans in made.items() if path not in failed}
    originals.record(journal.dir.parent, journal.session, kept)
    return done


def _size_now(path: Path) -> int | None:
    """The file's size before it is written (journaled: an undo gives it back)."""
    try:
        return os.stat(path).st_size
    except OSError:
        return None  # the write says why it cannot be written


def _planned_writes(
    files: Iterable[tuple[Path, list[Step], tags.Parsed | None]],
    done: Done,
    *,
    verify: bool,
    changed: str,
) -> list[tuple[Path, list[Step], tags.FileWrite]]:
    """Each file's write, decided before anything is journaled or written (so that the one
    journal append can hold every change of the call): the steps already in place or refused
    (the file holds a third value, or its container cannot hold the new one) go to ``done``,
    a file that cannot be read is refused whole, and a file with steps left gets one
    ``tags.FileWrite`` of their new values, expecting the values it held."""
    writes: list[tuple[Path, list[Step], tags.FileWrite]] = []
    libraries: dict[tuple[Path, str], Path | None] = {}  # by folder and artist: one look each
    for path, steps, kept in files:
        try:
            held = _values_now(path, steps, verify=verify)  # what the write checks it holds
        except AudioError as err:
            done.refused += [(step, err.reason) for step in steps]
            continue
        to_write = []
        for step in _sorted_steps(steps, held, done, changed=changed):
            new = step.change.new
            if new and (why := tags.refused_by(path, step.change.tag, new)):
                done.refused.append((step, why))  # its container cannot hold it (MP4's numbers)
            else:
                to_write.append(step)
        if to_write:
            values = {step.change.tag: step.change.new for step in to_write}
            expect = {tag: held.get(tag) for tag in values}
            where = (path.parent, steps[0].artist)
            if where not in libraries:
                libraries[where] = library_of(path, steps[0].artist)
            root = libraries[where]
            # The size the oldest step's change found, where every step is taken: the file
            # is then taken all the way back, its padding too.
            size = steps[-1].size if len(to_write) == len(steps) else None
            write = tags.FileWrite(path, values, kept, expect, root, size)
            writes.append((path, to_write, write))
    return writes


def _values_now(path: Path, steps: list[Step], *, verify: bool) -> dict[str, Any]:
    """The file's values of the steps' tags: read now with ``verify`` (an ``AudioError`` if
    it cannot be), else each tag as its first step expects it (the write itself refuses a
    file that no longer holds that)."""
    # The read keeps no parse: a whole artist's parses at once could hold more embedded art
    # than the scan's budget allows (and verifying is rare: a resume).
    if verify:
        current = dict(tags.read(path).tags)
        if unscanned := {step.change.tag for step in steps} - {COVER, *tags.LOGICAL_TAGS}:
            current.update(tags.read_fields(path, unscanned))
        if any(step.change.tag == COVER for step in steps):
            current[COVER] = cover(path)
        return current
    expected: dict[str, Any] = {}
    for step in steps:
        expected.setdefault(step.change.tag, step.change.old)
    return expected


def _sorted_steps(
    steps: list[Step], held: Mapping[str, Any], done: Done, *, changed: str
) -> list[Step]:
    """The steps still to write, in order, each seeing what the ones before it leave; a step
    already in place goes to ``done.already``, one whose file holds a third value to
    ``done.refused`` (``changed`` words why)."""
    current = dict(held)
    # Where each tag's steps lead: a file already there needs none of them (an undo run
    # twice, over a tag the selection changed more than once).
    target = {step.change.tag: step.change.new for step in steps}
    done_tags = {tag for tag, value in target.items() if current.get(tag) == value}
    to_write = []
    for step in steps:
        tag, old, new = step.change.tag, step.change.old, step.change.new
        now = current.get(tag)
        if now == new or tag in done_tags:
            done.already.append(step)
        elif now == old:
            to_write.append(step)
            current[tag] = new
        else:
            done.refused.append((step, f"{tag} {changed} (now {value(now)})"))
    return to_write


def library_of(path: Path, artist: str) -> Path | None:
    """The library a file of the artist folder ``artist`` (its key: its path in the library)
    is in: a symlinked file is fixed through its target only inside it."""
    names = Path(artist).parts  # made once, not again for each parent
    depth = len(names)
    for folder in path.parents:
        if folder.parts[-depth:] == names:
            return folder.parents[depth - 1]
    return None


def foreseen(
    files: Iterable[tuple[Path, list[Step], tags.Parsed | None]],
    hard_links: str,
    *,
    verify: bool,
    changed: str,
) -> Done:
    """What ``carry_out`` would do with ``files``, nothing journaled or written (a dry run):
    each step sorted as it sorts them, and each file its write would leave alone (read-only,
    immutable, a name among others, a link out of the library, unreadable) refused with why;
    ``written`` holds what would be written."""
    done = Done()
    for path, steps, write in _planned_writes(files, done, verify=verify, changed=changed):
        refused = why_left_alone(str(path), write.root, hard_links)
        if refused is None:
            done.written += steps
        else:
            done.refused += [(step, refused.reason) for step in steps]
            if refused.code is not None:
                done.coded[path] = (refused.code, refused.reason)
    return done


def would_apply(item: Mapping[str, Any], changes: Iterable[TagChange], hard_links: str) -> Applied:
    """What ``apply_changes`` would make of planned ``changes`` (paths in ``item``'s artist
    folder), as far as can be told before it (``foreseen``): nothing journaled or written."""
    artist = Artist(Path(item["path"]), item["key"], list(changes))
    files = _files_of(artist.folder, artist.key, artist.changes)
    done = foreseen(files, hard_links, verify=False, changed=CHANGED_SINCE_SCAN)
    return _applied(artist, {path for path, _, _ in files}, done)


def by_path(records: Iterable[Any]) -> dict[str, list[Any]]:
    """Changes or journal entries grouped by their ``path``, in their order."""
    grouped: dict[str, list[Any]] = {}
    for record in records:
        grouped.setdefault(record.path, []).append(record)
    return grouped
