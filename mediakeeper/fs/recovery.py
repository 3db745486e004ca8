"""What every command does first on a data home: the in-place writes a killed run left are
completed or rolled back, and the temp files and replaced originals it left in the library
and the data home are deleted (``fs.sweep``). Said as lines for a person; the face that
opened the home shows them."""

from __future__ import annotations

from pathlib import Path

from mediakeeper.core.writemode import journal_dir
from mediakeeper.fs import left_behind
from mediakeeper.fs.inplace_journal import recover
from mediakeeper.fs.sweep import sweep_home
from mediakeeper.text.wording import count, format_size


def recover_home(status_dir: Path) -> list[str]:
    """Finish what a killed run left in the data home of ``status_dir``, then name the home
    as written by this command (``left_behind.writing_home``). Returns what was done, a line
    each."""
    lines = [
        f"{found.path}: an in-place write a killed run left: {found.outcome}"
        for found in recover(journal_dir(status_dir))
    ]
    swept = sweep_home(status_dir)
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
