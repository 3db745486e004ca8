"""A conversion's working directory and the moves out of it: nothing partial is ever seen.

``<working>/<slug>/`` holds ``_source`` (a verified copy of the album), ``_processed`` (what
was made from it) and ``state.json`` (the stage reached). Files are copied to a temporary
name, flushed, compared by size and SHA-256 with their original, then renamed. A finished
folder reaches its place in one rename: on one volume the folder itself is renamed; across
volumes it is copied beside its place under a hidden temporary name, verified, flushed and
renamed. An existing folder in that place is replaced only when asked (``overwrite``).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mediakeeper.core.errors import MediakeeperError
from mediakeeper.fs.atomic import fsync_dir
from mediakeeper.fs.names import beside
from mediakeeper.fs.tree import folders_for
from mediakeeper.fs.write_errors import FULL, OutOfSpace

CHUNK = 1 << 20
PARTIAL = ".mediakeeper-partial-"  # the prefix of a copy or folder not yet in place
REPLACED = ".mediakeeper-replaced-"  # an output folder being replaced (--overwrite)


class PlaceTaken(MediakeeperError):
    """The place a folder should go is taken, and replacing it was not asked for."""


class CopyMismatch(MediakeeperError):
    """A copy does not read back as its original."""


@dataclass(frozen=True)
class Copied:
    name: str
    size: int
    sha256: str


def file_hash(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def copy_verified(source: Path, target: Path) -> Copied:
    """Copy ``source`` to ``target`` (flushed, compared by size and hash, then renamed into
    place). CopyMismatch if the copy reads back different; OSError as the copy meets it."""
    temp = beside(target, PARTIAL)
    digest = hashlib.sha256()
    try:
        with open(source, "rb") as src, open(temp, "wb") as dst:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                dst.write(chunk)
            dst.flush()
            os.fsync(dst.fileno())
        size = os.stat(source).st_size
        if os.stat(temp).st_size != size or file_hash(temp) != digest.hexdigest():
            raise CopyMismatch(f"the copy of {source} does not read back as its original")
        shutil.copystat(source, temp)
        os.replace(temp, target)
    except BaseException as err:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if isinstance(err, OSError) and err.errno in FULL and err.filename is None:
            # A write names no file: said of the copy's target, and so of its volume.
            raise OSError(err.errno, err.strerror, str(target)) from err
        raise
    return Copied(target.name, size, digest.hexdigest())


def same_volume(first: Path, second: Path) -> bool:
    return _device(first) == _device(second)


def _device(path: Path) -> int:
    """The device of ``path``, or of its nearest folder that exists."""
    for candidate in (path, *path.parents):
        try:
            return os.stat(candidate).st_dev
        except FileNotFoundError:
            continue
    raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(path))


def existing_parent(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path("/")


def clear_leftovers(parent: Path, name: str) -> None:
    """Remove what an earlier, killed placement of ``name`` left beside it."""
    for prefix in (PARTIAL, REPLACED):
        leftover = beside(parent / name, prefix)
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)


def place_folder(folder: Path, target: Path, *, move: bool, overwrite: bool) -> None:
    """Put ``folder``'s files at ``target`` whole or not at all. ``move``: ``folder`` is
    gone afterwards (renamed on one volume); otherwise it stays (an archive copy). PlaceTaken
    if ``target`` exists and ``overwrite`` is false."""
    with folders_for(target):  # an album's place may be 1,000 folders deep, as it was
        _place_folder(folder, target, move=move, overwrite=overwrite)


def _place_folder(folder: Path, target: Path, *, move: bool, overwrite: bool) -> None:
    parent = target.parent
    clear_leftovers(parent, target.name)
    if target.exists() and not overwrite:
        raise PlaceTaken(f"{target} already exists")
    if move and same_volume(folder, parent):
        _rename_into_place(folder, target)
        return
    staged = beside(target, PARTIAL)
    try:
        copy_folder_verified(folder, staged)
        _rename_into_place(staged, target)
    except BaseException:  # a full disk, a kill: nothing of it stays beside the target
        shutil.rmtree(staged, ignore_errors=True)
        raise
    if move:
        shutil.rmtree(folder)
    if move and folder.exists():
        shutil.rmtree(folder)


def copy_folder_verified(folder: Path, target: Path) -> list[Copied]:
    """Every file directly in ``folder`` copied into the new folder ``target``, verified."""
    target.mkdir(parents=True)
    copied = [
        copy_verified(entry, target / entry.name)
        for entry in sorted(folder.iterdir())
        if entry.is_file() and not entry.name.startswith(PARTIAL)
    ]
    fsync_dir(target)
    return copied


def _rename_into_place(staged: Path, target: Path) -> None:
    aside = beside(target, REPLACED)
    replacing = target.exists()
    if replacing:
        os.rename(target, aside)
    try:
        os.rename(staged, target)
    except BaseException:
        if replacing:
            with contextlib.suppress(OSError):
                os.rename(aside, target)
        raise
    fsync_dir(target.parent)
    if replacing:
        shutil.rmtree(aside, ignore_errors=True)


def same_files(first: Path, second: Path) -> bool:
    """Whether two folders hold the same files, byte for byte (directly in them)."""
    names = _file_names(first)
    if names != _file_names(second):
        return False
    return all(
        os.stat(first / n).st_size == os.stat(second / n).st_size
        and file_hash(first / n) == file_hash(second / n)
        for n in names
    )


def _file_names(folder: Path) -> set[str]:
    try:
        return {e.name for e in folder.iterdir() if e.is_file()}
    except OSError:
        return set()


def free_bytes(path: Path) -> int:
    return shutil.disk_usage(existing_parent(path)).free


def volume_of(path: Path) -> tuple[int, Path]:
    """(device, the folder to name it by) for a path that may not exist yet."""
    existing = existing_parent(path)
    return os.stat(existing).st_dev, existing


MB = 1_000_000


class NotEnoughSpace(MediakeeperError, OutOfSpace):
    """A volume short of what an item's work will write, besides the room it must keep."""


def check_space(needs: Mapping[Path, int], min_free_mb: int, album: str) -> None:
    """``needs``: bytes that will land under each path. Summed per volume; each volume must
    keep ``min_free_mb`` free besides. NotEnoughSpace names every volume short and by how
    much."""
    by_volume: dict[int, tuple[Path, int]] = {}
    for path, size in needs.items():
        device, named = volume_of(path)
        previous = by_volume.get(device, (named, 0))
        by_volume[device] = (previous[0], previous[1] + size)
    short = []
    for named, size in by_volume.values():
        want = size + min_free_mb * MB
        have = free_bytes(named)
        if have < want:
            short.append(
                f"{named} needs {_mb(size)} MB (+{min_free_mb} MB kept free) and has "
                f"{_mb(have)} MB free: {_mb(want - have)} MB missing"
            )
    if short:
        raise NotEnoughSpace(f"not enough space for {album}: " + "; ".join(short)
                             + "; free some space, then run again")  # fmt: skip


def check_writable(root: Path) -> None:
    """Refuse, before an hour of encoding, a destination nothing can be written to."""
    where = existing_parent(root)
    if not os.access(where, os.W_OK):
        why = "a read-only file system" if _read_only(where) else "not writable by this user"
        raise MediakeeperError(f"cannot write under {where}: it is {why}")


def _read_only(path: Path) -> bool:
    return bool(os.statvfs(path).f_flag & os.ST_RDONLY)


def _mb(size: int) -> str:
    return f"{max(size, 0) / MB:.1f}"
