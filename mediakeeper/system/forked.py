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

The kernel ends the child with this process, but not the programs the call started: they
would run on, orphaned (a plugin's ffmpeg still writing into a working folder the next run
starts again). With ``programs_too``, the call runs in a grandchild, and the child only
guards it: told by the kernel that this process died (SIGTERM), it kills its whole group,
the call and every program it started.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

from mediakeeper.system.interrupts import worker_signals
from mediakeeper.system.linux import die_with_parent


@contextmanager
def forked(
    body: Callable[[int], None], *, programs_too: bool = False
) -> Iterator[tuple[int, int]]:
    """``(pid, read_end)`` of a child running ``body(write_end)`` (it owns the pipe's write
    end; the child exits 0 when ``body`` returns, 1 when it raises); killed and reaped when
    the block ends. ``programs_too``: the programs ``body`` starts end with this process
    too (the module says how)."""
    parent = os.getpid()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(body, write_end, parent, programs_too)
    os.close(write_end)
    with suppress(OSError):  # (the child does the same: whichever runs first, it is so)
        os.setpgid(pid, pid)
    try:
        yield pid, read_end
    finally:
        os.close(read_end)
        _end(pid)


def _child(body: Callable[[int], None], write_end: int, parent: int, programs_too: bool) -> None:
    code = 1
    try:
        os.setpgid(0, 0)
        if programs_too:
            parent = _guarded(write_end, parent)  # the call's parent is now its guardian
        die_with_parent()
        if os.getppid() != parent:  # the parent died before the line above
            os._exit(1)
        worker_signals()  # Ctrl+C is the parent's to answer; SIGTERM ends the call at once
        body(write_end)
        code = 0
    finally:
        os._exit(code)


def _guarded(write_end: int, parent: int) -> int:
    """In the child: the call's process forked; there, its guardian's pid returned. The
    guardian waits for it and ends as it ended, or kills the whole group (the call, every
    program it started, itself) once ``parent`` dies."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to answer
    signal.signal(signal.SIGTERM, _end_group)
    die_with_parent(signal.SIGTERM)  # a signal it can answer: the group's end
    if os.getppid() != parent:  # the parent died before the line above
        _end_group()
    guardian = os.getpid()
    call = os.fork()
    if call == 0:  # the call's process
        return guardian
    os.close(write_end)  # the call's alone: its end is the pipe's end
    while True:
        try:
            _, status = os.waitpid(call, 0)
            break
        except InterruptedError:
            continue
    if os.WIFSIGNALED(status):  # ended as the call did: how_it_ended says how
        with suppress(OSError, ValueError):  # (SIGKILL keeps its action)
            signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
        os.kill(os.getpid(), os.WTERMSIG(status))
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def print_into(printing_end: int) -> None:
    """In the child: what the call prints goes up ``printing_end`` rather than onto this
    process's terminal (a batch's progress line): its standard output and error, a warning,
    and what the programs it starts print. Python's own streams are opened again on them,
    wherever this process had them point (a test's capture), and what they held unwritten
    at the fork is this process's, never written twice."""
    for printed in (1, 2):
        os.dup2(printing_end, printed)
    os.close(printing_end)
    sys.stdout, sys.stderr = (open(fd, "w", encoding="utf-8", errors="replace", buffering=1,  # noqa: SIM115
                                   closefd=False) for fd in (1, 2))  # fmt: skip


def _end_group(*_: object) -> None:
    os.killpg(0, signal.SIGKILL)


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
