"""What killed processes of a data home left, finished: every command that opens the data
home first completes or rolls back the in-place writes a killed run left
(``inplace_journal.recover``), then deletes the temp files in the library and the data home
(``recover_home``, said as lines for the face to show); the folders come from the home's list
(``mediakeeper.fs.left_behind``). A batch sweeps again when it ends, while the folders are
fresh in the page cache.

A list may also name a folder of replaced originals (``SPARES``, beside the artist folders):
tag writes of earlier versions set originals aside there until their batch ended, and a
killed batch left them; their files are deleted, then the folder."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import NamedTuple

from mediakeeper.core.writemode import journal_dir
from mediakeeper.fs import left_behind, tree
from mediakeeper.fs.inplace_journal import recover
from mediakeeper.fs.names import TEMP_PREFIX, atomic_temp_pid, home_id, sort_stale
from mediakeeper.system.processes import Ended, is_running
from mediakeeper.text.wording import count, format_size

SPARES = f"{TEMP_PREFIX}spares"  # a folder of replaced originals (the module's docstring)


class Swept(NamedTuple):
    """What ``sweep`` deleted: replaced originals and their bytes, temp files and theirs (in
    the library), temp files in the data home and theirs."""

    originals: int = 0
    originals_size: int = 0
    temps: int = 0
    temps_size: int = 0
    home_temps: int = 0
    home_temps_size: int = 0


def sweep(listed: Path, owner: str) -> Swept:
    """Delete what ended processes of the data home ``owner`` left in the folders its list
    ``listed`` names: the temp files of writes cut short (a swap's copy, an atomic write's),
    and the replaced originals a killed batch had set aside; forget the folders where nothing
    can be left any more."""
    deleted = {"originals": [0, 0], "temps": [0, 0], "home_temps": [0, 0]}  # [files, bytes]

    def keep(line: str) -> bool:
        home = left_behind.home_line(line)
        if home is not None:
            pid, started, folder = home
            if pid == os.getpid() or is_running(pid, started):
                return True  # writing there now
            _delete(_home_temps(folder), deleted["home_temps"])
            return False
        temps = left_behind.temps_line(line)
        if temps is not None:
            pid, folder = temps
            if pid != os.getpid() and is_running(pid):
                return True  # it may be making one there now
            _delete(_left_in(folder, pid, owner), deleted["temps"])
            return False
        if os.path.basename(line) != SPARES:
            return False  # a line put there by hand: no other folder is emptied or removed
        _delete(_spares_left(line, owner), deleted["originals"])
        with contextlib.suppress(OSError):  # the folder too, once empty
            os.rmdir(line)
        return os.path.isdir(line)

    # No list: nothing was ever left behind, or it cannot be read.
    with contextlib.suppress(OSError):
        left_behind.sweep(listed, keep)
    return Swept(*deleted["originals"], *deleted["temps"], *deleted["home_temps"])


def sweep_home(status_dir: Path) -> Swept:
    """``sweep`` the list of the data home whose ``status/`` is ``status_dir``. Every command
    that opens the data home does this first; every batch again when it ends, as its workers
    have ended then and the folders they named are fresh in the page cache: the next command
    would read each of them again."""
    return sweep(left_behind.list_of(status_dir), home_id(status_dir.parent))


def recover_home(status_dir: Path, *, writes: bool = True) -> list[str]:
    """Finish what a killed run left in the data home of ``status_dir``, then name the home
    as written by this command (``left_behind.writing_home``), unless it ``writes`` nothing
    there (a dry run: it leaves the home as it found it, the list's time too). Returns what
    was done, a line each."""
    lines = [
        f"{found.path}: an in-place write a killed run left: {found.outcome}"
        for found in recover(journal_dir(status_dir))
    ]
    swept = sweep_home(status_dir)
    if writes:
        left_behind.writing_home(status_dir)  # where a batch has made the list
    for n, size, noun, why in (
        (swept.home_temps, swept.home_temps_size, "temp file", "a killed command had left in "
         "the data home"),
        (swept.temps, swept.temps_size, "temp file", "a killed write had left in the library"),
        (swept.originals, swept.originals_size, "replaced original", "a stopped batch had kept "
         "until its end"),
    ):  # fmt: skip
        if n:
            lines.append(f"deleted {count(n, noun)} ({format_size(size)}) that {why}")
    return lines


def _left_in(folder: str, pid: int, owner: str) -> list[str]:
    """What the ended process ``pid`` may have left in ``folder``: the data home ``owner``'s
    stale temp copies (``names.stale_copies``), and that process's atomic writes' temp files
    (their names carry no data home; the process does)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []  # gone, or out of reach: nothing to delete there now
    paths = [os.path.join(folder, name) for name in names]
    made = [p for p, name in zip(paths, names, strict=True) if atomic_temp_pid(name) == pid]
    return sort_stale(paths, owner)[0] + made


def _spares_left(folder: str, owner: str) -> list[str]:
    """The replaced originals in the ``SPARES`` folder ``folder`` of the data home ``owner``'s
    processes that have ended (named ``<owner>.<pid>-<serial>``; "" for the owner: named by
    no data home, anyone's to delete)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    ended = Ended(own=True)
    found = []
    for name in names:
        home, _, process = name.rpartition(".")
        pid, _, serial = process.partition("-")
        if home in (owner, "") and pid.isdigit() and serial.isdigit() and ended[int(pid)]:
            found.append(os.path.join(folder, name))
    return found


def _home_temps(home: str) -> list[str]:
    """The temp files of atomic writes that ended processes left anywhere in the data home
    ``home`` (its queue, outputs, reports: written by a command and by its workers)."""
    ended = Ended(own=False)
    found = []
    for where, _folders, names in tree.walk(home):
        for name in names:
            pid = atomic_temp_pid(name)
            if pid is not None and ended[pid]:
                found.append(os.path.join(where, name))
    return found


def _delete(names: list[str], tally: list[int]) -> None:
    """Delete ``names``, adding to ``tally`` ([files, bytes]) what was deleted."""
    for name in names:
        try:
            size = os.lstat(name).st_size
            os.unlink(name)
        except OSError:
            continue
        tally[0] += 1
        tally[1] += size
