"""A user's file swapped for a copy of it, the file itself set aside (never deleted), each
step journaled first, so ``undo --session`` puts the file back byte for byte: a damaged file
replaced by its good copy (verify's restore), an MP3 by its tags rewritten as ID3v2.4 (the
legacy-tag upgrade). Kind-neutral: the caller says which copy and where the file goes aside.

``status/changes/swapped/<session>.jsonl`` holds, for each file, a line ``{"file", "aside",
"copy", "as"}`` flushed to disk before anything moves (``as``: the identity the copy will have
in place), then ``{"placed", "as"}`` once it is there. (A home made by an older release may
hold a session's journal at ``status/verify/restored/``, where it was kept when only verify
swapped files: it is read, and undone, there.) The good copy is first written beside the file
under a hidden temporary name (``fs.names.TEMP_PREFIX``: a killed run's is swept) and compared
byte for byte with the copy checked, itself unchanged since (size and time); the damaged file
then gains its set-aside name (a second name where the holding folder is on its file system,
else a whole copy made as a set-aside's moves make it: ``changes.moves.copy_whole``, through a
temp file, flushed and compared, a full holding disk named and no partial copy left), and the
good copy swaps names with it in one step
(``renameat2(RENAME_EXCHANGE)``; a rename where the swap is missing): the file's name leads to
a whole file at every instant, the damaged one or the good one. A file changed by another
program meanwhile is left alone (the swap undone), and said.

Undo moves each set-aside file back over the copy put in its place (``moves.relocate``: a
rename, else a whole copy then the set-aside file removed), newest first, when that copy is
still the one placed (else it is left alone and said); a file never swapped (a run killed
between the steps) only loses its extra set-aside name. A full library disk stops the undo with
what it put back so far kept and the rest still journaled, as a set-aside's undo.
"""

from __future__ import annotations

import contextlib
import errno
import filecmp
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediakeeper.changes import jsonlines, moves
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.fs import left_behind
from mediakeeper.fs.atomic import atomic_write_text, create_temp, fsync_dir
from mediakeeper.fs.filecopy import copy_bytes
from mediakeeper.fs.identity import identity
from mediakeeper.fs.names import TEMP_PREFIX, home_id, short_suffix
from mediakeeper.system.interrupts import critical
from mediakeeper.system.linux import exchange
from mediakeeper.text.slug import inside

_NO_EXCHANGE = (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP)
_NO_LINK = (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP)


class Refused(MediakeeperError):
    """A file left as it was, and why."""


@dataclass(frozen=True)
class Good:
    """A copy to put in a file's place: where, and its size and modification time as it was
    checked (a copy changed since is not put in place)."""

    path: str
    size: int
    mtime_ns: int


def journal_path(home: Path, session: str) -> Path:
    return inside(home, "status", "changes", "swapped", f"{session}.jsonl")


def _journal_of(home: Path, session: str) -> Path:
    """The journal of ``session`` where it is: this release's folder, else the one an older
    release kept it in (verify's, when only a restore swapped files)."""
    path = journal_path(home, session)
    if not path.exists():
        older = inside(home, "status", "verify", "restored", f"{session}.jsonl")
        if older.exists():
            return older
    return path


def _journal(home: Path, session: str, entry: dict[str, Any]) -> None:
    jsonlines.append(journal_path(home, session), entry)


def put_in_place(home: Path, session: str, target: Path, good: Good, aside: Path, *,
                 was: os.stat_result | None = None) -> None:
    """``good`` in ``target``'s place, the file there set aside at ``aside``; Refused (the
    file as it was) when the copy or the file changed (``was``: since it was read as that),
    or the file is not a regular one."""
    try:
        st = os.lstat(target)
    except OSError as err:
        raise Refused(f"{target} cannot be read: {err.strerror}") from None
    if was is not None and identity(st) != identity(was):
        raise Refused(f"{target} changed since it was read: left alone")
    if not stat.S_ISREG(st.st_mode):
        raise Refused(f"{target} is not a regular file: left alone")
    left_behind.will_write_in(target.parent, home / "status")
    with critical():
        tmp = _copied(home, good, target, st)
        try:
            # The copy's identity, which the file will have once swapped: an undo after a
            # kill between the swap and the line below still knows the copy it placed.
            _journal(home, session, {"file": str(target), "aside": str(aside), "copy": good.path,
                                     "as": list(identity(os.lstat(tmp)))})  # fmt: skip
            _set_aside(home, target, aside)
            try:
                _swap(tmp, target, st)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(aside)  # the file is still where it was: its extra name goes
                raise
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)  # the damaged file's spare name after the swap, or the copy
        _journal(home, session, {"placed": str(target), "as": list(identity(os.lstat(target)))})


def _copied(home: Path, good: Good, target: Path, st: os.stat_result) -> str:
    """The good copy written beside ``target`` (its mode; the copy's times), flushed, and
    compared byte for byte with the copy that was checked."""
    prefix = f"{TEMP_PREFIX}{home_id(home)}."
    fd, tmp = create_temp(target.parent, prefix, ".tmp" + short_suffix(target.name))
    try:
        with open(good.path, "rb") as source:
            was = os.fstat(source.fileno())
            if (was.st_size, was.st_mtime_ns) != (good.size, good.mtime_ns):
                raise Refused(f"the backup copy {good.path} changed since it was checked")
            copy_bytes(source.fileno(), fd, was.st_size)
        os.fchmod(fd, stat.S_IMODE(st.st_mode))
        with contextlib.suppress(OSError):  # another owner's file: ours then
            os.fchown(fd, st.st_uid, st.st_gid)
        os.utime(fd, ns=(was.st_atime_ns, was.st_mtime_ns))
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        os.unlink(tmp)
        raise
    os.close(fd)
    if not filecmp.cmp(good.path, tmp, shallow=False):
        os.unlink(tmp)
        raise Refused(f"the copy written from {good.path} reads back different: left alone")
    return tmp


def _set_aside(home: Path, target: Path, aside: Path) -> None:
    """``aside`` made a second name of ``target`` (the very file), or a whole copy."""
    aside.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(target, aside, follow_symlinks=False)
    except OSError as err:
        if err.errno not in _NO_LINK:
            raise
        try:
            moves.copy_whole(home, target, aside)
        except moves.Refused as why:
            raise Refused(f"the set-aside copy of {target}: {why}: left alone") from None
        except moves.NoRoom as full:
            raise Refused(full.message) from None
    fsync_dir(aside.parent)


def _swap(tmp: str, target: Path, st: os.stat_result) -> None:
    """The copy at ``tmp`` put at ``target`` if that is still the file read as ``st``."""
    if identity(os.lstat(target)) != identity(st):
        raise Refused(f"{target} changed since it was checked: left alone")
    try:
        exchange(tmp, os.fspath(target))
    except OSError as err:
        if err.errno not in _NO_EXCHANGE:
            raise
        os.replace(tmp, target)
    else:
        if identity(os.lstat(tmp)) != identity(st):  # changed in the moment before the swap
            exchange(tmp, os.fspath(target))
            raise Refused(f"{target} changed while it was restored: left alone") from None
    fsync_dir(target.parent)


def _read(home: Path, session: str) -> tuple[list[dict[str, Any]], dict[str, tuple]] | None:
    """The files ``session`` set out to restore, and the identity of each copy it placed
    (None: it restored none)."""
    if (lines := jsonlines.read(_journal_of(home, session))) is None:
        return None
    entries, placed = [], {}
    for entry in lines:
        if "placed" in entry:
            placed[entry["placed"]] = tuple(entry["as"])
        else:
            entries.append(entry)
    return entries, placed


def planned(home: Path, session: str) -> list[str]:
    """The files an undo of ``session`` would put back, newest first."""
    found = _read(home, session)
    return [e["file"] for e in reversed(found[0]) if e["file"] in found[1]] if found else []


def put_back(home: Path, session: str, holding: Path) -> moves.PutBack | None:
    """Every file ``session`` restored, its damaged file put back, newest first (None: the
    session restored none). A full disk stops it (``stopped``): what it put back so far
    kept, the rest still journaled for the next undo."""
    if (found := _read(home, session)) is None:
        return None
    entries, placed = found
    done, left = moves.PutBack(), []

    def keep(entry: dict[str, Any]) -> None:
        left.extend([entry] + ([{"placed": entry["file"], "as": placed[entry["file"]]}]
                               if entry["file"] in placed else []))  # fmt: skip

    newest_first = list(reversed(entries))
    for n, entry in enumerate(newest_first):
        target, aside = Path(entry["file"]), Path(entry["aside"])
        moves.drop_cut_copies(aside)  # a set-aside's copy a kill cut short
        expected = tuple(entry["as"]) if "as" in entry else None
        try:
            why = _put_back_one(home, target, aside, placed.get(entry["file"]), expected)
        except moves.Refused as err:
            why = f"its damaged file at {aside}: {err}"
        except moves.NoRoom as full:
            done.stopped = full.message
            for rest in newest_first[n:]:
                keep(rest)
            break
        if why is None:
            done.restored.append(str(target))
            moves.prune(aside.parent, holding)
        elif why:
            done.left_alone.append((str(target), why))
            keep(entry)
    _keep(home, session, left[::-1])
    return done


def _keep(home: Path, session: str, left: list[dict[str, Any]]) -> None:
    """The journal of what is still to put back (a file left alone, for a later undo once
    it is mended); none left: gone, and undoing the session again finds nothing."""
    path = _journal_of(home, session)
    if not left:
        path.unlink(missing_ok=True)
        return
    atomic_write_text(path, "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in left))


def _put_back_one(home: Path, target: Path, aside: Path, placed: tuple | None,
                   expected: tuple | None = None) -> str | None:  # fmt: skip
    """None: put back; "": never restored (nothing to do); else why it is left alone.
    ``placed``: the copy's identity journaled once it was in place; ``expected``: the one
    journaled before the swap (None in an older journal)."""
    try:
        now = os.lstat(target)
    except FileNotFoundError:
        now = None
    swapped = now is not None and identity(now) == (placed or expected)
    if not aside.exists():
        return f"the damaged file is no longer at {aside}" if placed or swapped else ""
    if now is not None and not swapped and placed is None:  # killed before the swap
        if os.path.samefile(aside, target) or filecmp.cmp(aside, target, shallow=False):
            os.unlink(aside)
            return ""
        return f"it is not the copy restored: the damaged file is at {aside}"
    if now is not None and not swapped:
        return f"it changed since it was restored: the damaged file is at {aside}"
    moves.relocate(home, aside, target)  # over the restored copy: its backup still holds it
    return None
