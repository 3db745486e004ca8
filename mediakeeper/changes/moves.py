"""Copies set aside and put back: each move journaled before it is made, old-or-new at every
instant, finished by the next command after a kill.

``status/dupes/moves/<session>.jsonl``, one line each, flushed before what it says is done:

- ``{"from", "to", "size", "mtime_ns", "hash"}``: a file about to move (its identity as it
  was graded, checked right before the move);
- ``{"album"}``: an album copy's folder about to be set aside (its pictures and logs go
  with its tracks, after a kill too);
- ``{"folder"}``: a library folder the moves emptied, about to be removed (undo makes it
  again);
- ``{"end"}``: the session ended (``completed``, ``stopped``, or ``interrupted`` when the
  next command finished a killed one).

A move within one file system is a rename (the very bytes, inode and times). Across file
systems the file is copied under a temp name in the target's folder (named in the data
home's list first, so that a kill's leftover is swept by the next command), with its times
and mode, flushed, and checked to hold what was graded; only then is it renamed into place
and the original removed. A full disk leaves no partial copy and names the full file system.
A kill between the rename and the removal leaves the file at both places, byte for byte the
same: ``recover`` (the next set-aside's or undo's first step) removes the original. Undo
moves each file back the same way, newest first, and removes an extra copy only where the
two are the same bytes; never a file a later session set aside again (what the holding
folder has of it is that session's), and never a session undone whole again. One set-aside
or undo at a time (``exclusive``)."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mediakeeper.changes import jsonlines
from mediakeeper.changes.undone import undone_sessions
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.fs import filecopy, left_behind
from mediakeeper.fs.atomic import TEMP_ROOM, create_temp, fsync_dir
from mediakeeper.fs.checks import content_hash
from mediakeeper.fs.names import cut_to_fit, fitted
from mediakeeper.fs.write_errors import FULL, describe
from mediakeeper.system.processes import is_running
from mediakeeper.text.slug import inside

COMPLETED, STOPPED, INTERRUPTED = "completed", "stopped", "interrupted"
CHANGED = "changed since the scan"


class Busy(MediakeeperError):
    exit_code = 1


class Refused(Exception):
    """A file that is not what was graded: left where it is (``str``: why)."""


class NoRoom(MediakeeperError):
    """A disk too full for a copy (none is left behind): the rest is not tried."""

    exit_code = 1


class ReadOnly(MediakeeperError):
    """A file to move out of a folder on a read-only file system: refused before any moves."""

    exit_code = 1


def moves_dir(home: Path) -> Path:
    return inside(home, "status", "dupes", "moves")


def journal_path(home: Path, session: str) -> Path:
    return inside(home, "status", "dupes", "moves", f"{session}.jsonl")


@contextlib.contextmanager
def exclusive(home: Path) -> Iterator[None]:
    """Held while a set-aside or an undo moves files (the kernel lets go however the process
    ends): a second one is refused, and a journal with no end while it is held is a killed
    session's."""
    folder = moves_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy("another set-aside or undo is moving files of this data home",
                       "let it finish, then run this again") from None  # fmt: skip
        yield
    finally:
        os.close(fd)


def record(home: Path, session: str, entry: dict[str, Any]) -> None:
    """One journal line, on disk before what it says is done."""
    jsonlines.append(journal_path(home, session), entry)


def lines(home: Path, session: str) -> list[dict[str, Any]]:
    """The journal's whole lines (one cut short said something never done)."""
    return jsonlines.read(journal_path(home, session)) or []


def moved(home: Path, session: str) -> list[dict[str, Any]]:
    """The moves of ``session`` in the order made ([] when it moved nothing)."""
    return [e for e in lines(home, session) if "from" in e and "to" in e]


def sessions(home: Path) -> list[tuple[str, int]]:
    """Every set-aside session with its moves, oldest first: (session, files)."""
    try:
        journals = sorted(moves_dir(home).glob("*.jsonl"), key=lambda p: p.stat().st_mtime_ns)
    except OSError:
        return []
    return [(p.stem, n) for p in journals if (n := len(moved(home, p.stem)))]


def in_holding(holding: Path, library: Path, path: Path) -> Path:
    """Where ``path`` goes: its path relative to the library under the holding folder (a
    name taken already there gets " (2)", " (3)" before its extension, the name cut where
    that would pass 255 bytes)."""
    target = holding / path.relative_to(library)
    n = 2
    while target.exists():
        target = target.with_name(cut_to_fit(path.stem, f" ({n}){path.suffix}"))
        n += 1
    return target


def unchanged(file: dict[str, Any]) -> str:
    """Why the file ``file`` (``{"path", "size", "mtime_ns", "inode", "hash"}``) is not what
    was graded, or "": where a hash was kept, its size then its bytes' hash (a retag that
    kept the size and time changes it; an undo puts the graded bytes back at a later time,
    and a file put back from another disk is a new inode with the same bytes); an older
    scan's, without a hash, by its size, time and inode."""
    try:
        st = os.stat(file["path"])
    except OSError as err:
        return f"it is gone ({err.strerror})"
    same_stat = (st.st_size, st.st_mtime_ns) == (file["size"], file["mtime_ns"])
    if not file.get("hash"):
        return "" if same_stat and st.st_ino == file["inode"] else CHANGED
    if st.st_size != file["size"]:
        return CHANGED
    if content_hash(file["path"]) == file["hash"]:
        return ""
    if same_stat:  # a retag that kept the size and time
        return f"{CHANGED} (its size and time are the same, its bytes are not)"
    return CHANGED


def move(home: Path, session: str, file: dict[str, Any], target: Path) -> None:
    """Move ``file`` (as ``unchanged`` takes it) to ``target``, its identity checked right
    before, journaled first. ``Refused``: not what was graded (nothing moved); ``NoRoom``: the
    target's disk is full (no partial copy left)."""
    source = Path(file["path"])
    why = unchanged(file)
    if why:
        raise Refused(why)
    record(home, session, {"from": str(source), "to": str(target), "size": file["size"],
                           "mtime_ns": file["mtime_ns"], "hash": file.get("hash", "")})  # fmt: skip
    relocate(home, source, target, file.get("hash", ""))


def relocate(home: Path, source: Path, target: Path, expect: str = "") -> None:
    """``source`` renamed to ``target``, or, across file systems, copied (checked to hold
    ``expect``, or ``source``'s bytes) and renamed into place, then ``source`` removed
    (verify's restores put a damaged file back this way too). ``Refused``, ``NoRoom``: as
    ``copy_whole``; ``source`` is then where it was."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(source, target)
    except OSError as err:
        if err.errno != errno.EXDEV:
            raise
        copy_whole(home, source, target, expect)
        os.unlink(source)
    fsync_dir(target.parent)
    fsync_dir(source.parent)


def copy_whole(home: Path, source: Path, target: Path, expect: str = "") -> None:
    """``source`` copied to ``target`` through a temp file in its folder (in the data home's
    list first: a kill's leftover is swept; ``drop_cut_copies`` too), with its times and
    mode, flushed, its hash compared with ``expect`` (or ``source``'s): ``target`` is whole
    or not there. The temp file removed on any failure; ``Refused``: it read back
    different; ``NoRoom``: the target's disk is full, named. Verify's restores set a damaged
    file aside this way too."""
    left_behind.will_write_in(target.parent, home / "status")
    fd, tmp = create_temp(target.parent, fitted(".", target.name, ".", room=TEMP_ROOM), ".tmp")
    try:
        try:
            with open(source, "rb") as src:
                st = os.fstat(src.fileno())
                filecopy.copy_bytes(src.fileno(), fd, st.st_size)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
        os.chmod(tmp, st.st_mode & 0o7777)
        if content_hash(tmp) != (expect or content_hash(source)):
            raise Refused(f"{CHANGED} (it changed while it was copied)")
        os.rename(tmp, target)
    except BaseException as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(err, OSError) and err.errno in FULL:
            raise NoRoom(describe(OSError(err.errno, err.strerror, str(target)))) from None
        raise


def prune_emptied(home: Path, session: str, folder: Path, stop: Path) -> list[str]:
    """The folders from ``folder`` up to ``stop`` (not included) that the moves left empty,
    each journaled, then removed; those removed."""
    removed = []
    while folder != stop and stop in folder.parents:
        if not os.path.lexists(folder):  # removed already (by the run a kill cut short)
            folder = folder.parent
            continue
        try:
            if any(os.scandir(folder)):
                break
        except OSError:
            break
        record(home, session, {"folder": str(folder), "mode": os.stat(folder).st_mode & 0o7777})
        try:
            folder.rmdir()
        except OSError:
            break
        removed.append(str(folder))
        folder = folder.parent
    if removed:
        fsync_dir(folder)
    return removed


def end(home: Path, session: str, outcome: str) -> None:
    """The session ended (where it journaled anything)."""
    if journal_path(home, session).exists():
        record(home, session, {"end": outcome})


def _same_bytes(a: Path, b: Path, expect: str) -> bool:
    """Whether ``a`` and ``b`` hold the same bytes (those hashed ``expect``, when given)."""
    try:
        if a.stat().st_size != b.stat().st_size:
            return False
        ha = content_hash(a)
        return ha == content_hash(b) and (not expect or ha == expect)
    except OSError:
        return False


def recover(home: Path, library: Path) -> list[tuple[str, list[dict[str, Any]]]]:
    """Sessions a kill left without an end (call it holding ``exclusive``): each move it cut
    between the copy and the removal of the original finished (the two the same bytes), the
    ``library`` folders its moves emptied removed, the session ended as interrupted. Each
    such session with the moves it made."""
    found = []
    for journal in sorted(moves_dir(home).glob("*.jsonl")):
        session = journal.stem
        entries = lines(home, session)
        if not entries or any("end" in e for e in entries):
            continue
        made = []
        for entry in (e for e in entries if "from" in e and "to" in e):
            source, target = Path(entry["from"]), Path(entry["to"])
            drop_cut_copies(target)
            if source.exists() and target.exists():
                if not _same_bytes(source, target, entry.get("hash", "")):
                    continue  # another file at one of the two places: undo says so
                os.unlink(source)
                fsync_dir(source.parent)
            if target.exists() and not source.exists():
                made.append(entry)
        for folder in dict.fromkeys(Path(e["from"]).parent for e in made):
            prune_emptied(home, session, folder, library)
        end(home, session, INTERRUPTED)
        found.append((session, made))
    return found


def drop_cut_copies(target: Path) -> None:
    """The temp copies that killed moves left beside ``target`` (``copy_whole`` names them from
    it, with its process's pid): a kill mid-copy leaves one on the holding disk, which the
    home's sweep does not look through."""
    prefix = fitted(".", target.name, ".", room=TEMP_ROOM)
    with contextlib.suppress(OSError):
        for name in os.listdir(target.parent):
            pid = name[len(prefix):].split("-", 1)[0]
            if name.startswith(prefix) and name.endswith(".tmp") and pid.isdigit() \
                    and not is_running(int(pid)):
                os.unlink(target.parent / name)


@dataclass
class PutBack:
    restored: list[str] = field(default_factory=list)
    left_alone: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    stopped: str = ""  # a full disk: why the rest was not tried


def put_back(home: Path, session: str, holding: Path, *, dry_run: bool = False) -> PutBack:
    """Every file ``session`` moved, moved back to its own path, newest first (a copy found
    at both places, the same bytes, is removed from the holding folder); the folders it
    removed made again; the folders it leaves empty in ``holding`` removed. A full disk
    stops it (``stopped``) with what it put back so far kept and the rest left alone. A file
    a later session moved again is left alone too: what the holding folder has of it is that
    session's to put back. (A session undone whole before is refused before it comes here,
    ``decisions.undo``; one partly undone is tried again, for what it left alone may come
    back now.) A dry run: what it would do, told by the same checks, nothing moved or made."""
    done = PutBack()
    again = moved_since(home, session)
    entries = lines(home, session)[::-1]
    for n, entry in enumerate(entries):
        if "folder" in entry:
            with contextlib.suppress(OSError):
                if not dry_run:
                    os.makedirs(entry["folder"], mode=entry.get("mode", 0o777), exist_ok=True)
            continue
        if "from" not in entry or "to" not in entry:
            continue
        source, target = Path(entry["from"]), Path(entry["to"])
        if entry["from"] in again:
            done.left_alone.append((str(source), f"moved again by session {again[entry['from']]} "
                                    "since"))  # fmt: skip
            continue
        if source.exists() and not target.exists():
            continue  # journaled, then the run was killed before the move: never made
        if not target.exists():
            done.left_alone.append((str(source), f"it is no longer at {target}"))
            continue
        try:
            why = _moved_back(home, source, target, entry.get("hash", ""), dry_run)
        except NoRoom as err:
            done.stopped = err.message
            done.left_alone += [(e["from"], "not tried: the undo stopped at a full disk")
                                for e in entries[n:] if "from" in e and "to" in e
                                and os.path.lexists(e["to"])]  # fmt: skip
            break
        if why:
            done.left_alone.append((str(source), why))
            continue
        done.restored.append(str(source))
        if not dry_run:
            prune(target.parent, holding)
    return done


def _moved_back(home: Path, source: Path, target: Path, digest: str, dry_run: bool) -> str:
    """``target`` (in the holding folder) moved back to ``source`` (a dry run: found able to
    be): "", or why it is left alone. NoRoom on a full disk."""
    if source.exists():
        if not _same_bytes(source, target, digest):
            return "another file is at its own path"
        if not dry_run:
            os.unlink(target)  # a move cut short: the original never left
        return ""
    if not dry_run:
        try:
            relocate(home, target, source, digest)
        except Refused as why:
            return f"its copy at {target} {why}"
    return ""


def moved_since(home: Path, session: str) -> dict[str, str]:
    """The files a set-aside session started after ``session`` moved, by their library path:
    that session (the first), unless its undo put every file back."""
    undone = undone_sessions(home)
    found: dict[str, str] = {}
    for later, _ in sorted(sessions(home), key=lambda s: _started(s[0])):
        if _started(later) <= _started(session) or (later in undone and not undone[later].left):
            continue
        for entry in moved(home, later):
            found.setdefault(entry["from"], later)
    return found


def _started(session: str) -> tuple[str, int]:
    """Which session started first: their ids are ``YYYYMMDD_dupes_N`` (``start_session``),
    N counted within the day, past 999 too."""
    day, _, number = session.rpartition("_")
    return (day, int(number)) if number.isdigit() else (session, 0)


def prune(folder: Path, holding: Path) -> None:
    """The folders from ``folder`` up to ``holding`` (not included) left empty, removed."""
    while folder != holding and holding in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
