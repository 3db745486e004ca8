"""The child processes this process starts that must never outlive it: encoders, decoders,
``flac --test``, an ffmpeg asked its version.

Each is started with the kernel told to SIGKILL it when the thread that started it ends
(``PR_SET_PDEATHSIG``), so even ``kill -9`` of the batch leaves none running for long. But
that kill lands a moment after the death, and a child killed is not yet gone: an ffmpeg
killed while its loader maps its libraries runs on for milliseconds. So every way a command
ends on its own — its normal end (``atexit``) and the immediate exits of an interrupt
(``system.interrupts.exit_now``) — first kills each child still here and waits until it has
ended (``end_all``).

It imports ``subprocess`` only when it starts a child: a command that starts none pays
nothing for it.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import signal
import threading
import time
from typing import TYPE_CHECKING, Any

from mediakeeper.system import interrupts

if TYPE_CHECKING:
    import subprocess
    from collections.abc import Callable, Sequence

_RUNNING: set[subprocess.Popen] = set()
_LOCK = threading.Lock()
END_WITHIN = 5.0  # seconds end_all waits for the children it killed, all together


def _forked() -> None:
    # A forked worker has a copy of the set: its parent's children are not its own.
    _RUNNING.clear()


os.register_at_fork(after_in_child=_forked)
atexit.register(lambda: end_all())
interrupts.before_exit_now(lambda: end_all())


def start(args: Sequence[str], **popen: Any) -> subprocess.Popen:
    """Start a child that dies with the thread starting it, that ``kill_all`` reaches and
    that ``end_all`` waits for; ``forget`` it once it has ended and been waited for."""
    from mediakeeper.system.linux import child_dies_with_parent

    return _child_class()(args, preexec_fn=child_dies_with_parent(), **popen)


@functools.cache
def _child_class() -> type[subprocess.Popen]:
    import subprocess

    class Child(subprocess.Popen):
        """Known here before it is forked: a signal's handler may run while ``Popen`` forks
        it or waits for its exec, and one that exits then must still find it; one that
        raises, the child is ended here. Only ``Popen``'s public constructor is extended."""

        # Until ``Popen.__init__`` sets its own, ``end_all`` reads these: not forked yet.
        pid: int | None = None
        returncode: int | None = None
        forking_since = 0  # the tick it was registered at, for a pid not yet known

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.forking_since = _ticks()
            with _LOCK:
                _RUNNING.add(self)
            try:
                super().__init__(*args, **kwargs)
            except BaseException as err:
                # Ctrl+C while it was forked or waited for its exec: the child may run, and
                # only this object knows it (Popen itself leaves it be). Its pid unknown
                # (the signal came as the fork returned), end_all finds it by its start.
                # An ordinary error with no pid (bad arguments, no fork possible) forked
                # nothing: nothing to find.
                if self.pid is not None:
                    end(self)
                elif isinstance(err, Exception):
                    forget(self)
                raise

    return Child


def forget(proc: subprocess.Popen) -> None:
    with _LOCK:
        _RUNNING.discard(proc)


def end(proc: subprocess.Popen) -> None:
    """Kill ``proc`` if it still runs, wait for it, and forget it: every child's last step,
    whether it ended on its own, went past its time, or its waiter was interrupted."""
    if proc.poll() is None:
        with contextlib.suppress(OSError):
            proc.kill()
    proc.wait()
    forget(proc)


def held() -> list[subprocess.Popen]:
    """The children started here and not yet ended, waited for and forgotten (``end``):
    every way a child's waiter stops leaves none of them."""
    with _LOCK:
        return list(_RUNNING)


def running() -> list[subprocess.Popen]:
    """The children started here that still run."""
    with _LOCK:
        started = list(_RUNNING)
    return [proc for proc in started if proc.pid is not None and proc.poll() is None]


def kill_all() -> None:
    """SIGKILL every child still running, without waiting: for a Ctrl+C the main thread
    receives while other threads wait on them (they see them end, and wait for them)."""
    with _LOCK:
        running = list(_RUNNING)
    for proc in running:
        if proc.pid is not None:  # (None: not forked yet; end_all finds it at the exit)
            with contextlib.suppress(OSError):
                proc.send_signal(signal.SIGKILL)


def end_all() -> None:
    """SIGKILL every child still here and wait, up to ``END_WITHIN`` seconds in all, until
    each has ended. Its exit status is left for whoever waits for it (a thread's ``wait``),
    so this may run at any moment, a signal handler included."""
    # No lock: the handler may have interrupted the thread holding it. A copy of a set is
    # made without letting another thread run meanwhile.
    running = tuple(_RUNNING)
    deadline = time.monotonic() + END_WITHIN
    for proc in running:
        _end(proc, deadline)
    forking = [proc.forking_since for proc in running if proc.pid is None]
    if forking:
        known = {proc.pid for proc in running}
        for pid in _children_started_since(min(forking)):
            if pid not in known:
                _end_pid(pid, deadline)


def _end(proc: subprocess.Popen, deadline: float) -> None:
    if proc.pid is not None and proc.returncode is None:  # forked, not yet waited for
        _end_pid(proc.pid, deadline, lambda: proc.returncode is None)


def _end_pid(pid: int, deadline: float, still_ours: Callable[[], bool] = lambda: True) -> None:
    """SIGKILL child ``pid`` and wait until it has ended, leaving it to be waited for.
    ``still_ours``: whether no one has waited for it yet (asked once its pidfd is open: past
    that, the pidfd is that child's even if the pid is reused)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return  # waited for a moment ago
    except (AttributeError, OSError):  # no pidfd here (not Linux, an old kernel)
        if still_ours():
            _end_polling(pid, deadline)
        return
    try:
        if still_ours():
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(fd, signal.SIGKILL)
            from mediakeeper.system.processes import ended

            ended(fd, deadline - time.monotonic())
    finally:
        os.close(fd)


def _ticks() -> int:
    """Now, in the kernel's clock ticks since boot: the unit of a process's start time."""
    return int(time.clock_gettime(time.CLOCK_BOOTTIME) * _HZ)


_HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _children_started_since(tick: int) -> list[int]:
    """This process's children started at ``tick`` or later: those whose fork has returned
    but whose ``Popen`` does not know its pid yet (a signal's handler ran in between)."""
    from mediakeeper.system.processes import children_of

    return [pid for pid, started in children_of(os.getpid()) if started >= tick - 1]


def _end_polling(pid: int, deadline: float) -> None:
    from mediakeeper.system.processes import is_running

    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
    while is_running(pid) and time.monotonic() < deadline:
        time.sleep(0.005)
