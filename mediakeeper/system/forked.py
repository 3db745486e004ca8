"""A Python call run apart in a forked child that can be killed whatever it is stuck in.

A thread cannot be stopped from outside; a process can. So the call runs in a child forked
from this process (it sees everything this process holds, nothing is sent down), in a process
group of its own, so that killing the group also ends any program the call started (an
ffmpeg). It sends what it has to say up a pipe; the caller reads that pipe as it needs (to a
deadline, ``system.time_limit``; while watching for signs of progress,
``pipelines.watchdog``) and, however it leaves, the child and its group are killed and reaped:
whatever the call half did is lost with its process, never seen. The child dies with this
process (``kill -9`` of a batch leaves no call running); Ctrl+C is this process's to answer
(the child ignores it) and SIGTERM ends the child at once.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

from mediakeeper.system.interrupts import worker_signals
from mediakeeper.system.linux import die_with_parent


@contextmanager
def forked(body: Callable[[int], None]) -> Iterator[tuple[int, int]]:
    """``(pid, read_end)`` of a child running ``body(write_end)`` (it owns the pipe's write
    end; the child exits 0 when ``body`` returns, 1 when it raises); killed and reaped when
    the block ends."""
    parent = os.getpid()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(body, write_end, parent)
    os.close(write_end)
    with suppress(OSError):  # (the child does the same: whichever runs first, it is so)
        os.setpgid(pid, pid)
    try:
        yield pid, read_end
    finally:
        os.close(read_end)
        _end(pid)


def _child(body: Callable[[int], None], write_end: int, parent: int) -> None:
    code = 1
    try:
        os.setpgid(0, 0)
        die_with_parent()
        if os.getppid() != parent:  # the parent died before the line above
            os._exit(1)
        worker_signals()  # Ctrl+C is the parent's to answer; SIGTERM ends the call at once
        body(write_end)
        code = 0
    finally:
        os._exit(code)


def how_it_ended(pid: int) -> str:
    """How the child ended, in words (it is reaped here): its exit code or its signal."""
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return "already reaped"
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit code {os.WEXITSTATUS(status)}"


def _end(pid: int) -> None:
    """The child and its group killed if still there, and reaped."""
    for kill in (os.killpg, os.kill):  # its group; itself, were it not yet in its own
        with suppress(OSError):  # already gone
            kill(pid, signal.SIGKILL)
    with suppress(ChildProcessError):  # reaped already
        os.waitpid(pid, 0)
