"""Processes on this machine: whether one still runs, and which one a pid was (Linux /proc;
elsewhere only the kernel's yes or no); the cores this one may run on."""

from __future__ import annotations

import os
import select
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a batch that starts no program does not import subprocess for this
    import subprocess


def host() -> str:
    """This machine's name, as a claim, a lock or a session names where its process runs:
    ``socket.gethostname``'s answer, read from ``uname`` so that a batch's start does not
    import socket (docs/performance.md, "Starting a command")."""
    return os.uname().nodename


def usable_cores() -> int:
    """The cores this process may run on, which every "how many at once" counts from: fewer
    than the machine has where ``taskset``, a container's cpuset or a benchmark limits it
    (``os.cpu_count`` counts the machine's)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (which may hold spaces), from
    the state on; None if there is no such entry to read."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("ascii", "replace")
    except OSError:
        return None
    return stat[stat.rfind(")") + 2 :].split()


def start_time(pid: int) -> str | None:
    """The kernel's start tick of ``pid``, so a reused pid is not mistaken for the process
    that had it."""
    fields = _stat_fields(pid)
    return fields[19] if fields is not None and len(fields) > 19 else None  # field 22


_OWN_START: dict[int, str | None] = {}  # by pid: a forked child has its own


def own_start_time() -> str | None:
    """This process's start tick, read once: a batch claims hundreds of items."""
    pid = os.getpid()
    if pid not in _OWN_START:
        _OWN_START[pid] = start_time(pid)
    return _OWN_START[pid]


def children_of(parent: int) -> list[tuple[int, int]]:
    """The processes whose parent is ``parent``, each with its start tick (``start_time``),
    from a walk of /proc; none where there is no /proc."""
    found = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    for entry in entries:
        fields = _stat_fields(int(entry)) if entry.isdigit() else None
        if fields and len(fields) > 19 and int(fields[1]) == parent:
            found.append((int(entry), int(fields[19])))
    return found


def is_running(pid: int, started: str | None = None) -> bool:
    """Whether process ``pid`` runs: it exists and is no zombie (ended, not yet waited for by
    its parent); given ``started`` (its ``start_time`` when it was seen), it is still that
    process, not a later one that got its pid."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's: it exists
    fields = _stat_fields(pid)
    if fields is None:
        return True  # no /proc to ask further
    if fields[0] == "Z":
        return False
    return started is None or len(fields) <= 19 or fields[19] == started


class Ended(dict):
    """Whether each process (by pid) has ended, asked of the kernel once a pid: a sweep meets
    dozens of files one process left. ``own``: what this process counts as (its own
    leftovers are stale for the batch that ends, in use for a command that runs)."""

    def __init__(self, *, own: bool):
        super().__init__({os.getpid(): own})

    def __missing__(self, pid: int) -> bool:
        self[pid] = ended = not is_running(pid)
        return ended


def wait(proc: subprocess.Popen, timeout: float | None) -> int:
    """``proc.wait(timeout)``, woken the instant the child ends. ``Popen.wait`` with a timeout
    polls with growing sleeps, so a child that ended is heard late and a core idles
    meanwhile. The kernel's process file descriptor (``pidfd_open``, Linux 5.3) becomes
    readable as the child ends; where there is none, ``Popen.wait``.
    subprocess.TimeoutExpired past ``timeout``."""
    import subprocess  # loaded already: the caller started ``proc``

    if timeout is None or not hasattr(os, "pidfd_open"):
        return proc.wait(timeout)
    try:
        fd = os.pidfd_open(proc.pid)
    except OSError:  # already reaped, or a kernel without it
        return proc.wait(timeout)
    try:
        if not ended(fd, timeout):
            raise subprocess.TimeoutExpired(proc.args, timeout)
    finally:
        os.close(fd)
    return proc.wait()


def ended(pidfd: int, timeout: float) -> bool:
    """Whether the process of ``pidfd`` has ended, waiting for it up to ``timeout`` seconds:
    a pidfd becomes readable as its process ends (epoll: poll() would take the timeout in
    whole milliseconds)."""
    with select.epoll() as ready:
        ready.register(pidfd, select.EPOLLIN)
        return bool(ready.poll(max(0.0, timeout)))
