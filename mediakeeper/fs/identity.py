"""What says a file is the one seen before, from its ``stat`` alone: compared at once (a
decision's token, a cached answer) or kept in a JSON record (an original's copy, a journal's
counts). Apart from ``fs.checks`` so that a reader that only compares loads nothing else."""

from __future__ import annotations

import os


def identity(st: os.stat_result) -> tuple[int, ...]:
    """What tells a file from its changed self (a rename changes its ctime: not here)."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def lasting_identity(st: os.stat_result) -> list[int]:
    """``identity`` and the ctime, as a list that keeps in JSON: what says a file is still
    the one seen before, whatever was written to it since (a retag keeping size and mtime
    still changes its ctime; a new file, its inode)."""
    return [*identity(st), st.st_ctime_ns]
