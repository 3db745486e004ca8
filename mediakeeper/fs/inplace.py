"""Writing a change into a user's file in place: only the byte ranges that change, journaled
first (``mediakeeper.fs.inplace_journal``), under a write lease where Linux grants one.

A change (the same function the swap of ``mediakeeper.fs.safewrite`` takes) is made on a
``PatchFile`` over the file: what it would write is compared with the file's bytes. Where the
file keeps its size, the differing ranges are the whole write; elsewhere (a tag that outgrew
its padding) the file is handed back to be swapped. So is a file this path cannot write
safely in place: one another program has open (no write lease), one not opened for writing
here. The same guarantees as the swap's: the file's identity (inode, size, mtime, ctime) is
checked right before its bytes are written, a symlink only inside the library, a read-only
file left alone; owner, mode, xattrs and ACL are the file's own, never copied.

Order, for a group of files: each change computed (no write); each file's write lease taken
(no other program can open it until it is let go) and identity checked; the journal entry
flushed; the ranges written; the files flushed; the entry retired. A crash leaves a file
with some of its ranges new, others old, until the next command completes them. A group is
one entry, whatever its files' sizes (it writes only what changes), unless its changes pass
``ENTRY_BYTES``: then as many entries as that takes, each written in turn.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any, NamedTuple

from mediakeeper.core.errors import FileError
from mediakeeper.fs.atomic import flush_files
from mediakeeper.fs.checks import (
    CHANGED,
    not_flushed_first,
    refuse_if_read_only,
    same_file,
    target_of,
    write_lease,
)
from mediakeeper.fs.inplace_journal import FilePatch, Journal, pwrite_all
from mediakeeper.fs.patchfile import PatchFile
from mediakeeper.system.interrupts import critical

# A journal entry is written once the changes gathered for it hold this many bytes (old and
# new): what a worker holds in memory, twice over while the entry is encoded. A tag change is
# a few hundred bytes; a tag that grows and shifts a cover picture behind it changes the
# whole picture.
ENTRY_BYTES = 8 << 20


class _Patch(NamedTuple):
    r: Any  # safewrite.Replacement
    target: str
    fd: int
    read: os.stat_result
    ranges: list[tuple[int, bytes, bytes]]


def write_group(
    group: Sequence[Any], journal: Journal, flush_first: Sequence[Path] = ()
) -> tuple[list[Any], dict[Path, FileError], bool]:
    """Write what fits in place. Returns the replacements to swap instead, the files left
    alone (with the reason), and whether ``flush_first`` reached the disk. The group is
    journaled in one entry, or in several where its changed bytes pass ``ENTRY_BYTES``."""
    swap: list[Any] = []
    failed: dict[Path, FileError] = {}
    flushed = False
    with closing(_entries(group, swap, failed)) as entries:
        for entry in entries:
            first = () if flushed else flush_first  # once on disk, not flushed again
            flushed = _committed(entry, journal, first, swap, failed) or flushed
    return swap, failed, flushed


def _entries(group: Sequence[Any], swap: list, failed: dict) -> Iterator[list[_Patch]]:
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


def _prepared(r) -> _Patch | None:
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
            _refuse_if_changed(path, target, st, fd)  # unreadable as another program saved it
            raise
        if patch.size != st.st_size:
            os.close(fd)
            return None
        _refuse_if_changed(path, target, st, fd)
        return _Patch(r, target, fd, st, patch.changes())
    except BaseException:
        os.close(fd)  # every way out that raises has it open
        raise


def _refuse_if_changed(path: str, target: str, st: os.stat_result, fd: int) -> None:
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


def _changed(path: str, what: str) -> FileError:
    return FileError(path, f"{what} by another program while being fixed: left alone", CHANGED)


def _leased(ready: list[_Patch], swap: list[Any], failed: dict[Path, FileError]) -> list[_Patch]:
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
            failed[patch.r.path] = _changed(str(patch.r.path), what)
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
        journal.abandon()  # the next command completes the ranges
        reason = err.strerror or str(err)
        failed.update((p.r.path, FileError(str(p.r.path), reason)) for p in ready)
        return True
    journal.retire()
    return True
