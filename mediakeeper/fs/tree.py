"""Folder trees of any depth: walked, made and removed by a loop over the folders still to
visit, never by a call per level. Python 3.11's ``os.walk``, ``Path.rglob``,
``Path.mkdir(parents=True)``, ``os.makedirs`` and ``shutil.rmtree`` call themselves once per
level, and a library 1,000 folders deep passes the interpreter's recursion limit
(``RecursionError``, a traceback instead of a result)."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

Walked = tuple[str, list[str], list[str]]  # (folder, its folders, its other names)


def walk(top: Path | str, onerror: Callable[[OSError], object] | None = None) -> Iterator[Walked]:
    """``os.walk(top)``: each folder top-down, with the names of its folders and of the rest,
    in the order the folders are met; a link to a folder is listed with the folders but not
    entered; ``folders`` may be pruned in place to leave some out. A folder that cannot be
    read is passed to ``onerror`` (if given) and left out."""
    stack = [os.fspath(top)]
    while stack:
        where = stack.pop()
        try:
            with os.scandir(where) as it:
                entries = list(it)
        except OSError as err:
            if onerror is not None:
                onerror(err)
            continue
        folders: list[str] = []
        names: list[str] = []
        links: set[str] = set()
        for entry in entries:
            if _is_dir(entry):
                folders.append(entry.name)
                if entry.is_symlink():
                    links.add(entry.name)
            else:
                names.append(entry.name)
        yield where, folders, names
        stack += [os.path.join(where, n) for n in reversed(folders) if n not in links]


def too_deep(err: OSError, where: str, top: str) -> bool:
    """Whether ``where``, a folder below ``top``, could not be read for its path is longer
    than a program may open (PATH_MAX): a corner no read will ever reach, to be passed over
    (a survey notes it), never a reason to stop, nor to wait."""
    return err.errno == errno.ENAMETOOLONG and where != top


def files_below(top: Path | str) -> Iterator[str]:
    """The path of every file below ``top`` (a link to a file counts as the file, and one
    whose file is gone too: a file lost, which reading it says; a link to a folder is not
    entered), folder by folder."""
    for where, _folders, names in walk(top):
        for name in names:
            path = os.path.join(where, name)
            if os.path.isfile(path) or not os.path.exists(path):  # (a link to nothing)
                yield path


def make_folders(path: Path | str) -> list[str]:
    """``os.makedirs(path, exist_ok=True)``, its missing parents made one by one from the
    nearest that exists; the folders it made, outermost first."""
    path = os.path.abspath(path)
    missing = []
    while not os.path.isdir(path):
        missing.append(path)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    made = []
    for folder in reversed(missing):
        try:
            os.mkdir(folder)
            made.append(folder)
        except FileExistsError:
            if not os.path.isdir(folder):
                raise
    return made


@contextmanager
def folders_for(target: Path) -> Iterator[None]:
    """``target``'s parent made (``make_folders``) for what the block puts at ``target``;
    when the block fails (a full disk, a kill), every folder this made, and ``target`` if it
    was not there before, removed again, each only while it is empty: a placement that
    failed leaves no empty ``<output>/Artist`` behind, and never takes what another put."""
    made = make_folders(target.parent)
    if not os.path.lexists(target):
        made.append(os.fspath(target))
    try:
        yield
    except BaseException:
        for folder in reversed(made):
            with contextlib.suppress(OSError):  # not empty (another's files), or gone
                os.rmdir(folder)
        raise


def remove_tree(top: Path | str, *, ignore_errors: bool = False) -> None:
    """``shutil.rmtree(top)``: every file below ``top`` removed, then each folder, deepest
    first; a link is removed, never what it leads to. ``ignore_errors``: what cannot be
    removed stays, silently (a folder gone already too)."""
    top = os.fspath(top)
    folders: list[str] = []

    def failed(err: OSError) -> None:
        if not ignore_errors:
            raise err

    if os.path.islink(top):
        failed(OSError(f"cannot remove a link as a folder tree: {top}"))
        return
    for where, inner, names in walk(top, onerror=failed):
        folders.append(where)
        for name in names + [n for n in inner if os.path.islink(os.path.join(where, n))]:
            try:
                os.unlink(os.path.join(where, name))
            except OSError as err:
                failed(err)
    for folder in reversed(folders):
        try:
            os.rmdir(folder)
        except OSError as err:
            failed(err)


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False
