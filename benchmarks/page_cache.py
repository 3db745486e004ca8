"""Emptying the page cache before a timed run, so that it reads from the disk as a batch run
days after the last does. Shared by the benchmarks that measure cold reads."""

from __future__ import annotations

import os


def drop_caches() -> bool:
    """Write dirty pages back, then empty the page cache: True if done (it needs root, and a
    kernel that lets this container)."""
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as drop:
            drop.write("3\n")
    except OSError:
        return False
    return True
