"""Crash-safe replacement of a user's file with new content, in groups: in place where the
change keeps the file's size (the default policy, ``core.writemode``), else swapped.

A caller hands over a file and a function that turns the file's bytes into the new ones (in a
work file object: in memory for a small file, the copy itself for a large one). The new
content goes into a copy beside the original, which gets the original's owner, group, mode,
extended attributes and ACL; the copies of a group are flushed to disk together and each is
put in its original's place, so a crash at any instant leaves each file old or new, never a
mix. Nothing here knows what the bytes mean: tag writes use it, and so can any job that
replaces a user's file.

Never over someone else's change: the original's identity (inode, size, mtime, ctime) is
taken once its bytes are read, and the copy is put in place only if the file at that path
still has it and, where a read lease could be taken (Linux; the file's owner or root), no
program opened it for writing meanwhile (that program's open waits until the copy is in
place or the swap undone); a file changed, deleted or renamed meanwhile is left alone
(``CHANGED``). On
Linux the copy and the original swap names in one step (``renameat2(RENAME_EXCHANGE)``), which
never creates a path that is gone, and the original swapped out is checked again: if it is
not the file that was read, the swap is undone. Where the swap is missing (another kernel,
some network file systems) a rename follows the check, and a file deleted in the moment
between the two (microseconds) would come back. A change written into the file within the
clock tick of the read that leaves its size alone (an in-place edit of a fixed-size field,
less than ~4 ms after the read) looks like no change: the file system gives no finer sign.

Not replaced at all: anything but a regular file (a FIFO is never opened for reading either),
a file its owner made read-only (``READ_ONLY``), a symlink whose target is outside the
library (``OUTSIDE``; one inside has its target replaced, and stays a link), a file with other
names (``HARD_LINKED``) unless the policy separates it from them.

In place, only the byte ranges that change are written, journaled first
(``mediakeeper.fs.inplace_journal``), under a write lease where Linux grants one. The same
change function is made on a ``PatchFile`` over the file: what it would write is compared with
the file's bytes. Where the file keeps its size, the differing ranges are the whole write;
elsewhere (a tag that outgrew its padding) the file is handed back to be swapped. So is a file
this path cannot write safely in place: one another program has open (no write lease), one not
opened for writing here. The same guarantees as the swap's: the file's identity (inode, size,
mtime, ctime) is checked right before its bytes are written, a symlink only inside the library,
a read-only file left alone; owner, mode, xattrs and ACL are the file's own, never copied.

Order, for a group of files: each change computed (no write); each file's write lease taken
(no other program can open it until it is let go) and identity checked; the journal entry
flushed; the ranges written; the files flushed; the entry retired. A crash leaves a file
with some of its ranges new, others old, until the next command completes them. A group is
one entry, whatever its files' sizes (it writes only what changes), unless its changes pass
``ENTRY_BYTES``: then as many entries as that takes, each written in turn.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from pathlib import Path
from typing import BinaryIO, NamedTuple

from mediakeeper.core import writemode
from mediakeeper.core.errors import FileError
from mediakeeper.fs import left_behind
from mediakeeper.fs.atomic import create_temp, flush_files, fsync_dir, write_all
from mediakeeper.fs.attrs import same_attributes, same_owner_and_mode, user_name
from mediakeeper.fs.checks import (
    CHANGED,
    HARD_LINKED,
    OUTSIDE,
    READ_ONLY,
    disk_full,
    lease,
    lease_broken,
    not_flushed_first,
    open_target,
    refuse_if_read_only,
    refuse_to_replace,
    same_file,
    target_of,
    write_lease,
)
from mediakeeper.fs.filecopy import clone, copy_bytes, may_clone
from mediakeeper.fs.identity import identity
from mediakeeper.fs.inplace_journal import FilePatch, Journal, journal_for, pwrite_all
from mediakeeper.fs.names import TEMP_PREFIX, remove_stale_copies, short_suffix
from mediakeeper.fs.patchfile import PatchFile
from mediakeeper.fs.write_errors import FULL
from mediakeeper.system.interrupts import critical
from mediakeeper.system.linux import exchange

# Files are replaced in groups of at most this many files and bytes (see replace_many): the
# bound on how long a signal waits for a group to be in place.
WRITE_GROUP = 32
GROUP_BYTES = 64 << 20

# A file up to this size is changed in memory and its copy written in one go; a larger one is
# copied first and changed in the copy, so a worker holds at most about twice this in memory.
IN_MEMORY_BYTES = 8 << 20

# Given a work file holding the file's bytes and the file's stat taken once they were read,
# leaves the new content in the work file (from its start; it may grow or shrink it). Raises
# FileError to leave the file alone.
Change = Callable[[BinaryIO, os.stat_result], None]

_NO_EXCHANGE = (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP)
__all__ = [
    "CHANGED",
    "HARD_LINKED",
    "OUTSIDE",
    "READ_ONLY",
    "Replacement",
    "replace",
    "replace_many",
]


class Replacement(NamedTuple):
    """One file to replace: its path; the change; its size if the caller knows it (the
    groups are bounded by bytes; unknown, it is asked of the file); and the library it is
    in (a symlinked file is replaced through its target only when that is inside it)."""

    path: Path
    change: Change
    size: int | None = None
    root: Path | None = None


def replace(path: Path | str, change: Change, *, root: Path | None = None) -> None:
    """Replace one file (see ``replace_many``); FileError if it is left alone."""
    path = Path(path)
    failed = replace_many([Replacement(path, change, root=root)])
    if path in failed:
        raise failed[path]


def replace_many(
    todo: Iterable[Replacement],
    *,
    flush_first: Sequence[Path] = (),
    owner: str = "",
    sweep: bool = True,
    policy: writemode.WritePolicy | None = None,
    rewritten: set[Path] | None = None,
) -> dict[Path, FileError]:
    """Replace several files. Returns the files left alone, with the reason; every other
    one is replaced. ``flush_first``: files (a change journal) that must be on disk before
    any original is replaced; they are flushed with the first group's copies (again with the
    next group's if the disk refused them), which saves them a disk flush of their own.
    ``owner``: the data
    home's id (``fsnames.home_id``), in the names of the copies: stale copies a killed
    process of the same data home left in these folders are removed first, others' are not;
    ``sweep=False``: the caller has just done that (a job that scanned the folders).
    ``policy``: how (``mediakeeper.core.writemode``; by default ``writemode.fallback``): in place
    where the change fits (``_write_in_place``), the rest swapped, from a clone of the
    original where the file system can make one unless the mode is ``copy``.
    ``rewritten``: given, the files written whole (swapped, not changed in place) are added.

    A group's copies are all saved before they are flushed to disk together and put in
    place, so one journal commit can cover the group instead of one per file (see
    ``flush_files``); each file still ends old or new whenever a crash comes, and the
    folders are synced once.
    """
    failed: dict[Path, FileError] = {}
    swept: set[str] = set()
    policy = policy or writemode.fallback
    journal = journal_for(policy.journal) if policy.in_place and policy.journal else None
    # Written in place, a file costs the bytes that change, whatever its size: its group is
    # bounded by its count alone (one journal entry and one flush for 32 files, not for the
    # two or three real-sized FLACs that fill GROUP_BYTES). What must be swapped after all
    # is regrouped by size below.
    for group in _groups(list(todo), by_size=journal is None):
        for folder in {os.path.dirname(r.path) for r in group} - swept if sweep else ():
            remove_stale_copies(folder, owner)
            swept.add(folder)
        swaps: Iterable[list[Replacement]] = [group]
        if journal is not None:
            group, group_failed, flushed = _write_in_place(group, journal, flush_first)
            failed.update(group_failed)
            if flushed:
                flush_first = ()  # on disk now
            swaps = _groups(group)
        for swapped in swaps:
            group_failed, flushed = _replace_group(swapped, flush_first, owner, policy)
            failed.update(group_failed)
            if rewritten is not None:
                rewritten.update(r.path for r in swapped if r.path not in group_failed)
            if flushed:
                flush_first = ()  # on disk now
    return failed


def _groups(todo: list[Replacement], by_size: bool = True) -> Iterator[list[Replacement]]:
    """The files in order, in groups of at most WRITE_GROUP files and (``by_size``)
    GROUP_BYTES bytes (a larger file is a group of its own). No group holds one file twice
    (the file and a link to it, in two artists' folders a worker writes together): a
    group's changes are all made from the bytes before any is written, so the second would
    find the file changed under it and be left alone, as if another program had changed
    it. The later one starts the next group, and its change is made over the first's."""
    group: list[Replacement] = []
    size = 0
    files: set[tuple[int, int]] = set()
    for r in todo:
        try:
            st = os.stat(r.path)
        except OSError:
            st = None  # the write will say why
        n = (r.size if r.size is not None else (st.st_size if st else 0)) if by_size else 0
        file = (st.st_dev, st.st_ino) if st else None
        if group and (len(group) == WRITE_GROUP or size + n > GROUP_BYTES or file in files):
            yield group
            group, size, files = [], 0, set()
        group.append(r)
        size += n
        if file:
            files.add(file)
    if group:
        yield group


class _os_errors:  # ``with _os_errors(path):``
    """An OSError about a file becomes FileError naming it."""

    __slots__ = ("path",)

    def __init__(self, path: Path | str):
        self.path = path

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, traceback) -> bool:
        if isinstance(exc, OSError):
            raise FileError(str(self.path), exc.strerror or str(exc)) from exc
        return False


class _Copy(NamedTuple):
    """A saved copy waiting for its flush: the file as given, the regular file it replaces
    (the path, or a symlink's target), the copy open and its path, and the original's
    stat once its bytes were read."""

    path: Path
    target: str
    fd: int
    tmp: str
    read: os.stat_result
    source: io.FileIO  # the original, open: it holds the lease
    leased: bool


def _replace_group(
    group: list[Replacement],
    flush_first: Sequence[Path],
    owner: str,
    policy: writemode.WritePolicy,
) -> tuple[dict[Path, FileError], bool]:
    """The files left alone, and whether ``flush_first`` reached the disk."""
    failed: dict[Path, FileError] = {}
    flushed = False
    saved: list[_Copy] = []
    placed: set[str] = set()  # copies no longer ours to remove
    # A signal waits until every copy is in its original's place or removed: no leftovers.
    with critical():
        try:
            for r in group:
                try:
                    saved.append(_saved_copy(r, owner, policy))
                except FileError as err:
                    failed[r.path] = err
            try:
                flush_files([c.fd for c in saved], flush_first)
            except OSError as err:  # the disk failed them: none is put in place
                reason = _flush_problem(err, saved)
                failed.update((c.path, FileError(str(c.path), reason)) for c in saved)
            else:
                flushed = True
                for c in saved:
                    try:
                        _put_in_place(c)
                    except FileError as err:
                        failed[c.path] = err
                        if err.code == _KEPT_BACK:  # holds the user's file now: kept
                            placed.add(c.tmp)
                            err.code = CHANGED
                    else:
                        placed.add(c.tmp)
        finally:
            for c in saved:
                os.close(c.fd)
                c.source.close()  # lets a writer waiting on the lease go on
                if c.tmp not in placed:
                    with contextlib.suppress(OSError):
                        os.unlink(c.tmp)
    for folder in {os.path.dirname(c.target) for c in saved if c.tmp in placed}:
        fsync_dir(folder)  # the renames become durable, once per folder
    return failed, flushed


def _flush_problem(err: OSError, saved: list[_Copy]) -> str:
    if err.errno in FULL and saved:
        return disk_full(saved[0].target, sum(c.read.st_size for c in saved))
    return not_flushed_first(err) or err.strerror or str(err)  # a file they wait for?


_KEPT_BACK = "kept-back"  # swapped back, its copy's name now holds the user's file


def _holds_old(patch: _Patch) -> bool:
    """Whether the file still holds the old bytes of every range after a write that failed:
    read through the page cache, which holds whatever a write call took."""
    try:
        return all(os.pread(patch.fd, len(old), at) == old for at, old, _new in patch.ranges)
    except OSError:
        return False  # cannot tell: the next command completes it from the entry


def _retire_unused(journal: Journal) -> None:
    """An entry none of whose files was touched: retired, nothing to complete."""
    try:
        journal.retire()
    except OSError:
        journal.abandon()  # the next command finds each file not begun, and says so


def _put_in_place(c: _Copy) -> None:
    """Put the flushed copy in its original's place, if the original is still the file
    that was read (see the module's docstring); FileError (``CHANGED``) if not."""
    _refuse_if_changed(c)
    try:
        exchange(c.tmp, c.target)
    except OSError as err:
        if err.errno == errno.ENOENT:  # gone since the check
            raise _changed(c.path, "deleted or renamed") from None
        if err.errno not in _NO_EXCHANGE:
            raise FileError(str(c.path), err.strerror or str(err)) from None
        _renamed_in_place(c)
        return
    with _os_errors(c.path):
        out = os.lstat(c.tmp)  # the original, swapped out
    if identity(out) != identity(c.read) or _lease_broken(c):  # since the check
        try:
            exchange(c.tmp, c.target)
        except OSError:
            err = _changed(c.path, f"changed (it is now at {c.tmp}: put it back)")
            err.code = _KEPT_BACK
            err.touched = True  # the copy holds the file's name
            raise err from None
        raise _changed(c.path, "changed")
    with contextlib.suppress(OSError):
        os.unlink(c.tmp)


def _renamed_in_place(c: _Copy) -> None:
    """Where names cannot be swapped: the copy renamed over the original, checked a moment
    before."""
    with _os_errors(c.path):
        os.replace(c.tmp, c.target)


def _refuse_if_changed(c: _Copy) -> None:
    """FileError (``CHANGED``) unless the file at the path is still the one that was read,
    unchanged: its inode, size, mtime and ctime (a chmod, an attribute) as they were."""
    try:
        now = os.lstat(c.target)
    except FileNotFoundError:
        raise _changed(c.path, "deleted or renamed") from None
    except OSError as err:
        raise FileError(str(c.path), err.strerror or str(err)) from None
    if not same_file(c.read, now):
        raise _changed(c.path, "changed")
    if _lease_broken(c):  # opened to be written: the change may not be on disk yet
        raise _changed(c.path, "opened for writing")


def _changed(path: Path | str, what: str) -> FileError:
    """A file another program changed meanwhile (in place or swapped: the same words)."""
    return FileError(str(path), f"{what} by another program while being fixed: left alone", CHANGED)


def _saved_copy(r: Replacement, owner: str, policy: writemode.WritePolicy) -> _Copy:
    """A copy of the file with the change made, not yet flushed to disk, in a new file
    beside the original."""
    path = str(r.path)
    target, src_fd = open_target(path, r.root)
    if policy.journal is not None:  # a data home's: a copy a kill leaves is found from there
        listed = writemode.left_behind_list(policy.journal)
        left_behind.name_temps_folder(listed, os.path.dirname(target))  # never raises
    # A raw file: the whole file is read in one go, and a buffered one costs a few syscalls
    # and objects more per write. Open until the copy is in place: it holds the lease.
    src = open(src_fd, "rb", buffering=0)  # noqa: SIM115 (closed with the group)
    try:
        leased = lease(src_fd, path)
        fd, tmp, st = _copy_changed(r, path, target, src, owner, policy)
    except BaseException:
        src.close()
        raise
    return _Copy(r.path, target, fd, tmp, st, src, leased)


def _copy_changed(
    r: Replacement,
    path: str,
    target: str,
    src: io.FileIO,
    owner: str,
    policy: writemode.WritePolicy,
) -> tuple[int, str, os.stat_result]:
    """The copy (open, and its path) and the original's stat once its bytes were read. A
    clone (shared blocks) is changed in place; a small file without one is changed in
    memory and written whole; a large one is copied by the kernel and changed in the copy."""
    src_fd = src.fileno()
    with _os_errors(path):
        st = os.fstat(src_fd)
        refuse_to_replace(path, st, target, src_fd, policy.hard_links)
        clones = policy.clones and may_clone(src_fd)
        cloned = _cloned(src_fd, target, owner) if clones else None
        if cloned is None and st.st_size <= IN_MEMORY_BYTES:
            with io.BytesIO(src.readall()) as work:
                st = _unchanged_since(st, os.fstat(src_fd), path)
                r.change(work, st)
                with work.getbuffer() as data:
                    fd, tmp = _new_copy(target, owner)
                    with _removed_on_error(fd, tmp), _full(path, target, len(data)):
                        write_all(fd, data)
                        _same_attributes(src_fd, fd, st, path)
        else:
            fd, tmp = cloned or _new_copy(target, owner)
            with _removed_on_error(fd, tmp), open(fd, "r+b", closefd=False) as work:
                if cloned is None:
                    with _full(path, target, st.st_size):
                        copy_bytes(src_fd, fd, st.st_size)
                st = _unchanged_since(st, os.fstat(src_fd), path)
                with _full(path, target, st.st_size):
                    r.change(work, st)
                _same_attributes(src_fd, fd, st, path)
    return fd, tmp, st


def _cloned(src_fd: int, target: str, owner: str) -> tuple[int, str] | None:
    """A new copy sharing the original's blocks, or None where the file system cannot."""
    fd, tmp = _new_copy(target, owner)
    with _removed_on_error(fd, tmp):
        if clone(src_fd, fd):
            return fd, tmp
    os.close(fd)
    os.unlink(tmp)
    return None


def _unchanged_since(before: os.stat_result, after: os.stat_result, path: str) -> os.stat_result:
    """``after``, the file's stat once its bytes were read, if it is still ``before``'s:
    else it changed while being read (an append the read missed, then taken as the file's
    identity, would be swapped over), a ``CHANGED`` FileError."""
    if not same_file(before, after):
        raise FileError(path, "changed by another program while being read: left alone", CHANGED)
    return after


def _lease_broken(c: _Copy) -> bool:
    return c.leased and lease_broken(c.source.fileno())


def _same_attributes(src_fd: int, fd: int, st: os.stat_result, path: str) -> None:
    same_owner_and_mode(fd, st, path)
    same_attributes(src_fd, fd, path)  # the ACL last: it sets the mode's group bits


def _new_copy(target: str, owner: str) -> tuple[int, str]:
    """A new file beside the original, a dot-name (the scanner skips it) that names the data
    home and process making it and keeps the suffix mutagen sniffs formats by."""
    folder, name = os.path.split(target)
    try:
        prefix = f"{TEMP_PREFIX}{owner}." if owner else TEMP_PREFIX
        return create_temp(Path(folder), prefix, ".tmp" + short_suffix(name))
    except OSError as err:
        if isinstance(err, PermissionError):
            reason = f"permission denied: cannot write in its folder as {user_name()}"
            raise FileError(target, reason) from None
        raise


@contextlib.contextmanager
def _full(path: str, target: str, needed: int) -> Iterator[None]:
    """A full disk said as such, with what the copy needs and where (a write that fails
    for want of room may surface as an OSError, or as one mutagen wraps)."""
    try:
        yield
    except (OSError, FileError) as err:
        cause = err if isinstance(err, OSError) else err.__cause__
        if isinstance(cause, OSError) and cause.errno in FULL:
            raise FileError(path, disk_full(target, needed)) from err
        raise


@contextlib.contextmanager
def _removed_on_error(fd: int, tmp: str) -> Iterator[None]:
    try:
        yield
    except BaseException:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


# In place (the module's docstring, In place): only the byte ranges that change, journaled
# first; what does not fit goes back to be swapped.

# A journal entry is written once the changes gathered for it hold this many bytes (old and
# new): what a worker holds in memory, twice over while the entry is encoded. A tag change is
# a few hundred bytes; a tag that grows and shifts a cover picture behind it changes the
# whole picture.
ENTRY_BYTES = 8 << 20


class _Patch(NamedTuple):
    r: Replacement
    target: str
    fd: int
    read: os.stat_result
    ranges: list[tuple[int, bytes, bytes]]


def _write_in_place(
    group: Sequence[Replacement], journal: Journal, flush_first: Sequence[Path] = ()
) -> tuple[list[Replacement], dict[Path, FileError], bool]:
    """Write what fits in place. Returns the replacements to swap instead, the files left
    alone (with the reason), and whether ``flush_first`` reached the disk. The group is
    journaled in one entry, or in several where its changed bytes pass ``ENTRY_BYTES``."""
    swap: list[Replacement] = []
    failed: dict[Path, FileError] = {}
    flushed = False
    with closing(_entries(group, swap, failed)) as entries:
        for entry in entries:
            first = () if flushed else flush_first  # once on disk, not flushed again
            flushed = _committed(entry, journal, first, swap, failed) or flushed
    return swap, failed, flushed


def _entries(group: Sequence[Replacement], swap: list, failed: dict) -> Iterator[list[_Patch]]:
    """The group's files that change in place, prepared (open, their ranges computed), in
    entries of about ``ENTRY_BYTES``; the others go to ``swap`` or ``failed``, or are closed
    at once when they hold the new bytes already. Each entry's files are the taker's to
    close; those of an entry not yet taken are closed here."""
    ready: list[_Patch] = []
    held = 0
    try:
        for r in group:
            try:
                patch = _prepared(r)
            except FileError as err:
                failed[r.path] = err
                continue
            if patch is None:
                swap.append(r)
            elif not patch.ranges:
                os.close(patch.fd)  # the file holds the new bytes already
            else:
                ready.append(patch)
                held += sum(len(old) + len(new) for _at, old, new in patch.ranges)
            if held >= ENTRY_BYTES:
                entry, ready, held = ready, [], 0
                yield entry
        if ready:
            entry, ready = ready, []
            yield entry
    finally:
        for patch in ready:
            os.close(patch.fd)


def _committed(
    ready: list[_Patch], journal: Journal, flush_first: Sequence[Path], swap: list, failed: dict
) -> bool:
    """``ready`` leased, journaled, written, flushed and retired; every file closed after
    (which lets a program waiting on a lease go on). Whether ``flush_first`` reached the disk."""
    try:
        with critical():  # a signal waits until the entry is written and retired
            kept = _leased(ready, swap, failed)
            return bool(kept) and _write(kept, journal, flush_first, failed)
    finally:
        for patch in ready:
            os.close(patch.fd)


def _prepared(r: Replacement) -> _Patch | None:
    """The file open for writing and its change computed; None: swap it instead."""
    path = str(r.path)
    target = target_of(path, r.root)  # FileError for a link out of the library
    try:
        fd = os.open(target, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:
        return None  # leased by another program, read-only to us, not a file: the swap says
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            return None
        refuse_if_read_only(path, st, target)
        if st.st_nlink > 1:  # every name would change: the swap refuses it or separates it
            os.close(fd)
            return None
        patch = PatchFile(fd, st.st_size)
        try:
            r.change(patch, st)
        except FileError:
            if patch.outgrown:
                os.close(fd)
                return None
            _refuse_if_open_changed(path, target, st, fd)  # unreadable as another program saved it
            raise
        if patch.size != st.st_size:
            os.close(fd)
            return None
        _refuse_if_open_changed(path, target, st, fd)
        return _Patch(r, target, fd, st, patch.changes())
    except BaseException:
        os.close(fd)  # every way out that raises has it open
        raise


def _refuse_if_open_changed(path: str, target: str, st: os.stat_result, fd: int) -> None:
    """FileError (``CHANGED``) if the open file is no longer the one ``st`` was taken of."""
    if not same_file(st, os.fstat(fd)):
        raise _changed(path, "deleted or renamed" if _moved(target, st) else "changed")


def _moved(target: str, st: os.stat_result) -> bool:
    """Whether ``target`` no longer leads to the file ``st`` was taken of."""
    try:
        now = os.lstat(target)
    except OSError:
        return True
    return (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino)


def _leased(
    ready: list[_Patch], swap: list[Replacement], failed: dict[Path, FileError]
) -> list[_Patch]:
    """The patches whose file is still the one read, each under a write lease where Linux
    grants one; a file another program has open goes to the swap (which refuses it if that
    program writes), a changed one is left alone. Every file stays open (the caller closes
    them)."""
    kept = []
    for patch in ready:
        if not write_lease(patch.fd):
            swap.append(patch.r)
            continue
        try:
            now: os.stat_result | None = os.lstat(patch.target)
        except OSError:
            now = None
        if now is None or not same_file(patch.read, now):
            what = "deleted or renamed" if _moved(patch.target, patch.read) else "changed"
            failed[patch.r.path] = _changed(patch.r.path, what)
            continue
        kept.append(patch)
    return kept


def _write(
    ready: list[_Patch], journal: Journal, flush_first: Sequence[Path], failed: dict
) -> bool:
    """Journal, write, flush, retire. Whether ``flush_first`` reached the disk."""
    try:
        patches = [FilePatch(p.target, p.read.st_size, p.ranges, p.read.st_dev) for p in ready]
        journal.record(patches, flush_first)
    except OSError as err:
        reason = not_flushed_first(err) if err.filename in map(str, flush_first) else None
        reason = reason or f"the in-place journal could not be written ({err.strerror or err})"
        failed.update((p.r.path, FileError(str(p.r.path), reason)) for p in ready)
        return False
    try:
        for patch in ready:
            for at, _old, new in patch.ranges:
                pwrite_all(patch.fd, new, at)
        flush_files([p.fd for p in ready])
    except OSError as err:
        reason = err.strerror or str(err)
        touched = {p.r.path for p in ready if not _holds_old(p)}
        if touched:
            journal.abandon()  # the next command completes the ranges
        else:
            _retire_unused(journal)  # no byte reached a file (a full btrfs refuses the first)
        for p in ready:
            failed[p.r.path] = FileError(str(p.r.path), reason)
            failed[p.r.path].touched = p.r.path in touched
        return True
    journal.retire()
    return True
