"""The file systems mounted on this machine as the kernel lists them for this process
(``/proc/self/mountinfo``): where a path's file system is mounted, a bind mount too (a
library on a read-only bind mount of a folder lies on the same device as the folder, which
``os.path.ismount`` cannot tell apart)."""

from __future__ import annotations

import os
import re

MOUNTINFO = "/proc/self/mountinfo"
_ESCAPE = re.compile(r"\\([0-7]{3})")


def mount_table(text: str | None = None) -> list[tuple[str, str]]:
    """(mount point, file system type) of each mount the kernel lists for this process
    (``text``: a ``mountinfo`` as read; by default this process's own)."""
    if text is None:
        try:
            with open(MOUNTINFO, encoding="utf-8", errors="surrogateescape") as info:
                text = info.read()
        except OSError:
            return []
    found = []
    for line in text.splitlines():
        fields = line.split(" ")
        if len(fields) > 4 and " - " in line:  # the fifth: the mount point, spaces as \040
            fstype = line.split(" - ", 1)[1].split(" ", 1)[0]
            found.append((_ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), fields[4]), fstype))
    return found


def holding_mount(path: str, table: list[tuple[str, str]] | None = None) -> str | None:
    """The mount point of the file system ``path`` (absolute, links resolved) lies on: the
    longest listed mount point it lies in; None where the table cannot be read."""
    table = mount_table() if table is None else table
    inside = os.path.join(path, "")
    return max((p for p, _t in table if inside.startswith(os.path.join(p, ""))),
               key=len, default=None)  # fmt: skip
