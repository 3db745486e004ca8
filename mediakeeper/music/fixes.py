"""Safe tag changes with a change journal, and undo.

Every change is journaled before the file is touched: one JSON line per tag with its old and
new value, in ``status/music/changes/<session>.jsonl``. The tag write itself replaces the file
atomically (see ``mediakeeper.tags.write``), so a kill at any instant leaves each file old or
new and the journal always knows at least as much as the files. Undo puts old values back,
newest first, and leaves alone any tag that was changed again since.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mediakeeper import tags
from mediakeeper.atomic import encode_text
from mediakeeper.errors import AudioError, MediakeeperError
from mediakeeper.music.model import TagChange

CHANGES_DIR = "changes"


class ChangeJournal:
    """Append-only journal of one session's tag changes."""

    def __init__(self, status_kind_dir: Path, session: str):
        self.dir = status_kind_dir / CHANGES_DIR
        self.session = session
        self.path = self.dir / f"{session}.jsonl"

    def record(self, artist: str, changes: Iterable[tuple[Path, TagChange]]) -> None:
        """Append the changes (with the file each one is in) in one write, then fsync."""
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        lines = [
            json.dumps(
                {
                    "session": self.session,
                    "artist": artist,
                    "path": str(path),
                    "tag": c.tag,
                    "old": c.old,
                    "new": c.new,
                    "at": stamp,
                },
                ensure_ascii=False,
            )
            + "\n"
            for path, c in changes
        ]
        if not lines:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        # One write per call, O_APPEND: workers sharing a session never interleave.
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, encode_text("".join(lines)))
            os.fdatasync(fd)
        finally:
            os.close(fd)


@dataclass(frozen=True)
class Applied:
    changes: tuple[TagChange, ...]  # written now, or found already in place (a resumed run)
    refused: tuple[tuple[TagChange, str], ...]  # left alone, with the reason


def apply_changes(
    artist_dir: Path,
    artist: str,
    changes: Iterable[TagChange],
    journal: ChangeJournal,
    *,
    verify: bool = True,
    parsed: Mapping[str, tags.Parsed] | None = None,
) -> Applied:
    """Apply planned changes file by file. With ``verify`` each file is read first, which makes
    this idempotent: a change whose file already holds the new value counts as applied; one
    whose file no longer holds the old value is refused. ``parsed``: the scan's kept parses by
    path, written without parsing again (``tags.write`` checks that each file is unchanged)."""
    done: list[TagChange] = []
    refused: list[tuple[TagChange, str]] = []
    writes: list[tuple[Path, list[TagChange], tags.Parsed | None]] = []
    for rel_path, file_changes in _by_path(changes).items():
        path = artist_dir / rel_path
        kept = (parsed or {}).get(rel_path)
        try:
            # Not kept when verifying (a resume: rare): a whole artist's parses at once could
            # hold more embedded art than the scan's budget allows.
            current = tags.read(path).tags if verify else None
        except AudioError as err:
            refused += [(c, err.message) for c in file_changes]
            continue
        to_write = []
        for change in file_changes:
            now = current.get(change.tag) if current is not None else change.old
            if now == change.new:
                done.append(change)
            elif now == change.old:
                to_write.append(change)
            else:
                refused.append((change, f"{change.tag} changed since the scan (now {now!r})"))
        if to_write:
            writes.append((path, to_write, kept))
    # One durable journal append for the whole artist, before any file is touched.
    journal.record(artist, [(path, change) for path, batch, _ in writes for change in batch])
    failed = tags.write_many(
        (path, {c.tag: c.new for c in to_write}, kept) for path, to_write, kept in writes
    )
    for path, to_write, _ in writes:
        if path in failed:
            refused += [(c, failed[path].message) for c in to_write]
        else:
            done += to_write
    return Applied(tuple(done), tuple(refused))


def _by_path(records: Iterable[Any]) -> dict[str, list[Any]]:
    """Changes or journal entries grouped by their ``path``, in their order."""
    grouped: dict[str, list[Any]] = {}
    for record in records:
        grouped.setdefault(record.path, []).append(record)
    return grouped


# ---- undo -------------------------------------------------------------------------------


@dataclass(frozen=True)
class JournalEntry:
    session: str
    artist: str
    path: str
    tag: str
    old: str | None
    new: str | None
    at: str


def read_journal(status_kind_dir: Path) -> list[JournalEntry]:
    """Every journaled change of every session, oldest first (torn last lines passed over)."""
    directory = status_kind_dir / CHANGES_DIR
    entries = []
    for path in sorted(directory.glob("*.jsonl")) if directory.is_dir() else ():
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                raw = json.loads(line)
                entries.append(JournalEntry(**{k: raw[k] for k in JournalEntry.__annotations__}))
            except (ValueError, KeyError, TypeError):
                continue
    return sorted(entries, key=lambda e: e.at)


@dataclass
class UndoReport:
    restored: list[JournalEntry]
    left_alone: list[tuple[JournalEntry, str]]
    undo_session: str
    # Already holding the old value: undone before (e.g. by --artist, then by --session), or
    # journaled by a run killed before it wrote the file (the resumed run journals it again).
    already: list[JournalEntry] = field(default_factory=list)


def undo(
    status_kind_dir: Path, *, session: str | None = None, artist: str | None = None
) -> UndoReport:
    """Put back the old values of one session's (or one artist's) changes, newest first."""
    if not (session or artist):
        raise MediakeeperError("say what to undo", "give --session ID or --artist NAME")
    everything = read_journal(status_kind_dir)
    wanted = [
        e
        for e in everything
        if (session is None or e.session == session)
        and (artist is None or e.artist.casefold() == artist.casefold())
    ]
    if not wanted:
        known = sorted({e.session for e in everything})
        hint = ("sessions with changes: " + ", ".join(known[-5:])) if known else "no changes yet"
        target = f"session {session}" if session else f"artist {artist!r}"
        raise MediakeeperError(f"no journaled changes for {target}", hint)

    undo_id = "undo_" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    journal = ChangeJournal(status_kind_dir, undo_id)
    report = UndoReport([], [], undo_id)
    # Decide file by file, newest entry first, so a tag changed twice in the selection ends at
    # its oldest value; then, as apply_changes does, journal everything before any write, and
    # write each file once. A file that cannot be read or written is left alone; the rest go on.
    writes: list[tuple[Path, list[JournalEntry], dict[str, str | None]]] = []
    for path_text, entries in _by_path(reversed(wanted)).items():
        path = Path(path_text)
        try:
            values: dict[str, str | None] = dict(tags.read(path).tags)
        except AudioError as err:
            report.left_alone += [(e, err.message) for e in entries]
            continue
        restore = []
        for entry in entries:
            now = values.get(entry.tag)
            if now == entry.old:
                report.already.append(entry)
            elif now != entry.new:
                reason = f"{entry.tag} was changed again since (now {now!r})"
                report.left_alone.append((entry, reason))
            else:
                values[entry.tag] = entry.old
                restore.append(entry)
        if restore:
            writes.append((path, restore, {e.tag: values.get(e.tag) for e in restore}))
    by_artist: dict[str, list[tuple[Path, TagChange]]] = {}
    for path, restore, _ in writes:
        for e in restore:
            change = TagChange(e.path, e.tag, e.new, e.old)
            by_artist.setdefault(e.artist, []).append((path, change))
    for artist_name, changes in by_artist.items():
        journal.record(artist_name, changes)
    failed = tags.write_many((path, values, None) for path, _, values in writes)
    for path, restore, _ in writes:
        if path in failed:
            report.left_alone += [(e, failed[path].message) for e in restore]
        else:
            report.restored += restore
    return report
