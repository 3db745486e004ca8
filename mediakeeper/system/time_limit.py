"""A Python call bounded in time: run in a forked child, killed when its time is up.

A thread cannot be stopped from outside; a process can. So the call runs in a child forked
from this process (it sees everything this process holds, nothing is sent down), in a
process group of its own, and its result (or the exception it raised) comes back pickled up a
pipe. Past ``limit`` seconds the child and anything it started (its group) are killed and
:class:`OverTime` is raised here: whatever the call did is lost with its process, so nothing
it half did is ever seen. The child dies with this process (``kill -9`` of a batch leaves no
call running); Ctrl+C is this process's to answer (the child ignores it: the pipeline steps'
watchdog, ``mediakeeper.pipelines.watchdog``, runs its steps the same way, stopped when they
stall rather than at a fixed time).
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import time
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from mediakeeper.system.interrupts import worker_signals
from mediakeeper.system.linux import die_with_parent


class OverTime(Exception):
    """The call did not return within its limit and was stopped."""


class CallDied(Exception):
    """The call's process ended without a result (killed, out of memory)."""


def call_within(call: Callable[[], Any], limit: float) -> Any:
    """``call()``'s result, or the exception it raised raised here; OverTime past ``limit``
    seconds. The result and the exception must pickle (one that does not is said as a
    RuntimeError)."""
    parent = os.getpid()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(call, write_end, parent)
    os.close(write_end)
    with suppress(OSError):  # (the child does the same: whichever runs first, it is so)
        os.setpgid(pid, pid)
    try:
        sent = _read_until(read_end, time.monotonic() + limit)
    finally:
        os.close(read_end)
        _end(pid)
    if sent is None:
        raise OverTime(f"it did not finish within {limit:g} s")
    if not sent:
        raise CallDied("its process ended before it returned")
    kind, value = pickle.loads(sent)
    if kind == "raised":
        raise value
    return value


def _child(call: Callable[[], Any], write_end: int, parent: int) -> None:
    code = 1
    try:
        os.setpgid(0, 0)
        die_with_parent()
        if os.getppid() != parent:  # the parent died before the line above
            os._exit(1)
        worker_signals()  # Ctrl+C is the parent's to answer; SIGTERM ends the call at once
        try:
            sent = pickle.dumps(("returned", call()))
        except Exception as err:
            try:
                sent = pickle.dumps(("raised", err))
            except Exception:  # an exception that does not pickle: its words do
                sent = pickle.dumps(("raised", RuntimeError(f"{type(err).__name__}: {err}")))
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(sent)
        code = 0
    finally:
        os._exit(code)


def _read_until(read_end: int, deadline: float) -> bytes | None:
    """Everything the child sends, up to its end (b"": it sent nothing); None at the
    deadline."""
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([read_end], [], [], left)
        if ready:
            chunk = os.read(read_end, 1 << 16)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def _end(pid: int) -> None:
    """The child and its group killed if still there, and reaped."""
    for kill in (os.killpg, os.kill):  # its group; itself, were it not yet in its own
        with suppress(OSError):  # already gone
            kill(pid, signal.SIGKILL)
    with suppress(ChildProcessError):
        os.waitpid(pid, 0)
