"""Signals, and the steps they must never cut in half.

A step that must finish once started (an atomic file replacement, recording a result in the
queue) runs inside ``critical()``. A signal that arrives meanwhile is acted on when the
outermost critical step ends:

* in the main process of a batch (``interruptible``), the first SIGINT/SIGTERM raises
  ``Interrupted``; a second one exits at once, or, inside a step marked ``exit_waits`` (a
  queue line and its log line: a moment), as that step ends;
* in a worker process (``worker_signals``), SIGTERM — the batch stopping its workers —
  keeps its default action (the process ends at once), but ``critical()`` blocks it in the
  kernel for the duration of the step, so it lands right after. No Python-level handler: it
  would run only when the interpreter next gets control, while the default action ends a
  worker wherever it waits or works. SIGINT is ignored (Ctrl+C reaches the whole process
  group; the main decides).

So a Ctrl+C never leaves a temp copy in the library: the copy is renamed or removed first.

Steps are counted per thread. Python runs a signal's handler in the main thread alone, so
the action waits for the main thread's steps only; a step in another thread (a pool's record
written) is never cut by a signal, and goes on to its end while the main acts on it.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

EXIT_INTERRUPTED = 130


class Interrupted(BaseException):
    """Raised in the main process by the first Ctrl+C or SIGTERM."""


_BEFORE_EXIT: list[Callable[[], None]] = []  # exit_now's first steps


class _State:
    deferred: Callable[[], None] | None = None  # the main thread's, at its steps' end
    hits = 0
    worker = False  # in a worker, critical() blocks SIGTERM in the kernel instead


class _Steps(threading.local):
    """This thread's critical steps. One count shared by threads would hold the main's
    signal for another thread's step, then act on it in that thread; and two threads
    counting at once could lose a count between them."""

    depth = 0
    exit_waits = 0  # how many enclosing critical steps a second signal waits for too


_steps = _Steps()
_TERM = {signal.SIGTERM}


@contextmanager
def critical(*, exit_waits: bool = False) -> Iterator[None]:
    """Hold any signal's action until this step (and every enclosing one) has finished.
    ``exit_waits``: in the main process a second signal waits for this step too; keep it to
    short steps. Elsewhere a second Ctrl+C exits at once, even in a long tag write (whose
    copies a kill leaves are safe: the next scan removes them)."""
    steps = _steps
    if _State.worker and steps.depth == 0:
        signal.pthread_sigmask(signal.SIG_BLOCK, _TERM)
    steps.depth += 1
    steps.exit_waits += exit_waits
    try:
        yield
    finally:
        steps.depth -= 1
        steps.exit_waits -= exit_waits
        if steps.depth == 0:
            if _State.worker:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, _TERM)  # a pending SIGTERM ends us
            elif _State.deferred is not None and (
                threading.current_thread() is threading.main_thread()  # whose steps held it
            ):
                action, _State.deferred = _State.deferred, None
                action()


def _now_or_later(action: Callable[[], None]) -> None:
    if _steps.depth:  # a handler runs in the main thread: its steps
        _State.deferred = _State.deferred or action  # the first signal decides
    else:
        action()


def _raise_interrupted(name: str) -> Callable[[], None]:
    def action() -> None:
        raise Interrupted(name)

    return action


def before_exit_now(action: Callable[[], None]) -> None:
    """Have ``exit_now`` run ``action`` first (``system.children`` ends this process's
    children: none may outlive it, even for a moment)."""
    _BEFORE_EXIT.append(action)


def exit_now(code: int = EXIT_INTERRUPTED) -> None:
    """End the process at once, past Python's clean-up (which another signal could only cut
    short): a second Ctrl+C, or a signal before a command's own handling."""
    for action in _BEFORE_EXIT:
        action()
    os._exit(code)


@contextmanager
def interruptible() -> Iterator[None]:
    """In the main process: first SIGINT/SIGTERM raises Interrupted (after any critical step);
    a second one exits at once, or as the step marked ``exit_waits`` in hand ends."""
    owner = os.getpid()
    _State.hits, _State.deferred = 0, None

    def handler(signum, frame):
        if os.getpid() != owner:  # a worker forked before worker_signals() replaced this
            _now_or_later(exit_now)
            return
        _State.hits += 1
        if _State.hits == 1:
            _now_or_later(_raise_interrupted(signal.Signals(signum).name))
        elif _steps.exit_waits:  # a queue line and its log line: at the step's end
            _State.deferred = exit_now
        else:
            exit_now()

    def unraisable(hook: sys.UnraisableHookArgs) -> None:
        """Python drops an exception raised inside a ``__del__`` or a callback (an
        "Exception ignored in" trace on stderr): an Interrupted raised there would leave the
        batch running as if the Ctrl+C never came. It is sent again, a moment later and
        from another thread: sent from here, its handler would run here, inside this hook,
        and raise where it is dropped again."""
        if isinstance(hook.exc_value, Interrupted) and os.getpid() == owner:
            import threading

            _State.hits -= 1
            again = signal.Signals[str(hook.exc_value)]
            resend = threading.Timer(0.01, os.kill, (owner, again))
            resend.daemon = True
            resend.start()
        else:
            dropped(hook)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    dropped, sys.unraisablehook = sys.unraisablehook, unraisable
    try:
        yield
    finally:
        sys.unraisablehook = dropped
        for sig, old in previous.items():
            signal.signal(sig, old)


def worker_signals() -> None:
    """In a worker process: ignore Ctrl+C; SIGTERM ends the process, after any critical step."""
    _steps.depth, _steps.exit_waits = 0, 0
    _State.deferred, _State.worker = None, True
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
