"""The file systems mounted inside the libraries (a share mounted on an artist folder), as the
kernel lists them (``fs.mounts``: ``/proc/self/mountinfo``), and those that went away while watched.

A mount that goes away leaves its mount point behind, empty: its items are not gone, and none
is marked missing until it is back. A mount that comes back (or a new one) hides the folder
the watches were on: the watches are made anew. (A library folder that is itself a mount
point is the watcher's roots' own affair.)"""

from __future__ import annotations

import os
from collections.abc import Iterable

from mediakeeper.fs.mounts import holding_mount, mount_table

# File systems whose changes made from another machine send no inotify events here.
NETWORK = frozenset({"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "afs", "ceph", "glusterfs",
                     "fuse.sshfs", "fuse.rclone", "davfs", "fuse.davfs2", "lustre"})  # fmt: skip


def mount_points() -> set[str]:
    return {point for point, _type in mount_table()}


def network_file_system(root: str, table: list[tuple[str, str]] | None = None) -> str | None:
    """The type of the network file system ``root`` lies on, or that is mounted inside it;
    None when it is all local."""
    table = mount_table() if table is None else table
    inside = os.path.join(root, "")
    holding = holding_mount(root, table)
    types = [t for p, t in table if p == holding or p.startswith(inside)]
    return next((t for t in types if t in NETWORK), None)


class Mounts:
    """The mounts strictly inside ``libraries``: those there now, and those gone."""

    def __init__(self, libraries: Iterable[str]):
        self.libraries = [os.path.join(lib, "") for lib in libraries]
        self.now = self._inside()
        self.absent: set[str] = set()

    def _inside(self) -> set[str]:
        return {m for m in mount_points() if any(m.startswith(lib) for lib in self.libraries)}

    def changed(self) -> tuple[set[str], set[str]]:
        """(mounts gone, mounts come) since the last call."""
        now = self._inside()
        gone, come = self.now - now, now - self.now
        self.now = now
        self.absent = (self.absent | gone) - come
        return gone, come

    def held_back(self, library: str) -> set[str]:
        """The top-level folders of ``library`` with a mount gone at or below them (the
        kernel asked again: one gone a moment ago counts, said or not yet)."""
        prefix = os.path.join(library, "")
        gone = self.absent | (self.now - self._inside())
        return {m[len(prefix) :].split(os.sep, 1)[0] for m in gone if m.startswith(prefix)}
