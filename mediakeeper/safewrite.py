"""Crash-safe replacement of a user's file with new content, in groups.

A caller hands over a file and a function that turns the file's bytes into the new ones (in a
work file object: in memory for a small file, the copy itself for a large one). The new
content goes into a copy beside the original, the copies of a group are flushed to disk
together and each is renamed over its original, so a crash at any instant leaves each file
old or new, never a mix. The copy gets the original's owner, group and mode. Nothing here
knows what the bytes mean: tag writes use it, and so can any job that replaces a user's file.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, NamedTuple

from mediakeeper import spares as spare
from mediakeeper.atomic import create_temp, flush_files, fsync_dir, write_all
from mediakeeper.errors import FileError
from mediakeeper.fsnames import TEMP_PREFIX
from mediakeeper.interrupts import critical

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


class Replacement(NamedTuple):
    """One file to replace: its path, the change, and its size if the caller knows it (the
    groups are bounded by bytes; unknown, it is asked of the file)."""

    path: Path
    change: Change
    size: int | None = None


def replace(path: Path | str, change: Change) -> None:
    """Replace one file (see ``replace_many``); FileError if it is left alone."""
    path = Path(path)
    failed = replace_many([Replacement(path, change)])
    if path in failed:
        raise failed[path]


def replace_many(
    todo: Iterable[Replacement], *, flush_first: Sequence[Path] = (), spares: Path | None = None
) -> dict[Path, FileError]:
    """Replace several files. Returns the files left alone, with the reason; every other
    one is replaced. ``flush_first``: files (a change journal) that must be on disk before
    any original is replaced; they are flushed with the first group's copies (again with the
    next group's if the disk refused them), which saves them a disk flush of their own.
    ``spares``: a folder (``mediakeeper.spares.SPARES``) on the files' file system where the
    replaced originals are kept, for later copies to be written into.

    A group's copies are all saved before they are flushed to disk together and renamed, so
    one journal commit can cover the group instead of one per file (see ``flush_files``);
    each file still ends old or new whenever a crash comes, and the folders are synced once.
    """
    failed: dict[Path, FileError] = {}
    for group in _groups(list(todo)):
        group_failed, flushed = _replace_group(group, flush_first, spares)
        failed.update(group_failed)
        if flushed:
            flush_first = ()  # on disk now
    return failed


def _groups(todo: list[Replacement]) -> Iterator[list[Replacement]]:
    """The files in order, in groups of at most WRITE_GROUP files and GROUP_BYTES bytes (a
    larger file is a group of its own)."""
    group: list[Replacement] = []
    size = 0
    for r in todo:
        n = r.size if r.size is not None else _size(r.path)
        if group and (len(group) == WRITE_GROUP or size + n > GROUP_BYTES):
            yield group
            group, size = [], 0
        group.append(r)
        size += n
    if group:
        yield group


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0  # the write will say why


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


def _replace_group(
    group: list[Replacement], flush_first: Sequence[Path], spares: Path | None
) -> tuple[dict[Path, FileError], bool]:
    """The files left alone, and whether ``flush_first`` reached the disk."""
    failed: dict[Path, FileError] = {}
    flushed = False
    saved: list[tuple[Path, int, str]] = []  # (original, its saved copy: open, and its path)
    placed: dict[str, Path] = {}  # copy -> the original it has replaced
    # A signal waits until every copy is renamed over its original or removed: no leftovers.
    with critical():
        try:
            for r in group:
                try:
                    saved.append((r.path, *_saved_copy(r, spares)))
                except FileError as err:
                    failed[r.path] = err
            try:
                flush_files([fd for _, fd, _ in saved], flush_first)
            except OSError as err:  # the disk failed them: none is put in place
                reason = err.strerror or str(err)
                if err.filename is not None:  # not the copies: a file they wait for
                    reason = f"{err.filename} could not be written to disk first ({reason})"
                failed.update((path, FileError(str(path), reason)) for path, _, _ in saved)
            else:
                flushed = True
                for path, _, tmp in saved:
                    original = spare.keep(path, spares) if spares else None
                    try:
                        with _os_errors(path):
                            os.replace(tmp, path)
                    except FileError as err:
                        failed[path] = err
                        if original is not None:
                            spare.drop(original)  # still the file's own: never reused
                    else:
                        placed[tmp] = path
                        if original is not None:
                            spare.kept(original)
        finally:
            for _, fd, tmp in saved:
                os.close(fd)
                if tmp not in placed:
                    with contextlib.suppress(OSError):
                        os.unlink(tmp)
    for folder in {os.path.dirname(path) for path in placed.values()}:
        fsync_dir(folder)  # the renames become durable, once per folder
    return failed, flushed


def _saved_copy(r: Replacement, spares: Path | None) -> tuple[int, str]:
    """A copy of the file with the change made, not yet flushed to disk: the copy's open
    descriptor and its path. The copy is written over a spare of about its size if there is
    one (see ``mediakeeper.spares``), else into a new file beside the original."""
    path = r.path
    # A raw file: the whole file is read in one go, and a buffered one costs a few syscalls
    # and objects more per write.
    with _os_errors(path), open(path, "rb", buffering=0) as src:
        st = os.fstat(src.fileno())
        if st.st_size <= IN_MEMORY_BYTES:
            with io.BytesIO(src.readall()) as work:
                st = os.fstat(src.fileno())  # after the read: a change during it shows
                r.change(work, st)
                with work.getbuffer() as data:
                    fd, tmp = _copy_file(path, spares, st.st_dev, len(data))
                    with _removed_on_error(fd, tmp):
                        write_all(fd, data)
                        os.ftruncate(fd, len(data))  # a spare may have been longer
                        _same_owner_and_mode(fd, st, path)
        else:
            fd, tmp = _copy_file(path, spares, st.st_dev, st.st_size)
            with _removed_on_error(fd, tmp), open(fd, "r+b", closefd=False) as work:
                shutil.copyfileobj(src, work, 1 << 20)
                work.truncate()  # a spare may have been longer
                st = os.fstat(src.fileno())  # after the copy: a change during it shows
                r.change(work, st)
                _same_owner_and_mode(fd, st, path)
    return fd, tmp


def _same_owner_and_mode(fd: int, st: os.stat_result, path: Path) -> None:
    """Give the copy the original's owner, group and mode (in that order: a change of owner
    clears set-id bits). The copy is made by whoever runs the batch; root (a NAS, a container)
    would otherwise take every fixed file from its owner and its media server's group. A copy
    that cannot belong to the original's owner is not put in its place. Asked only when the
    owner differs: where a file system gives every file the same one (FAT, a share mounted
    with uid=), a change of owner may be refused even when it changes nothing."""
    copy = os.fstat(fd)
    if (copy.st_uid, copy.st_gid) != (st.st_uid, st.st_gid):
        try:
            os.fchown(fd, st.st_uid, st.st_gid)
        except PermissionError:
            raise FileError(
                str(path),
                f"cannot keep its owner (uid {st.st_uid}, gid {st.st_gid}): "
                "run the batch as that user, or as root",
            ) from None
    os.fchmod(fd, stat.S_IMODE(st.st_mode))


def _copy_file(path: Path, spares: Path | None, device: int, size: int) -> tuple[int, str]:
    """Where a copy of ``size`` bytes goes: a spare that fits, or a new file beside the
    original, a dot-name (the scanner skips it) that keeps the suffix mutagen sniffs
    formats by."""
    reused = spare.take(spares, device, size) if spares else None
    return reused or create_temp(path.parent, TEMP_PREFIX, ".tmp" + path.suffix)


@contextlib.contextmanager
def _removed_on_error(fd: int, tmp: str) -> Iterator[None]:
    try:
        yield
    except BaseException:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
