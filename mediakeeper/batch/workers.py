"""A few worker processes, each with its own pipe.

``multiprocessing.Pool`` shares one task queue whose lock an idle worker holds while it waits;
a worker stopped at that instant dies holding it, and ``Pool.terminate()`` then waits for the
lock forever (seen here as a batch that hung after Ctrl+C). Here no lock is shared: the main
process sends each worker its items down that worker's own pipe and waits on all the pipes at
once, so stopping a worker at any instant can block nothing.

A run may report its item's stage (``mediakeeper.batch.stage_progress``) before its result: the
worker sends it up the same pipe, and the main process hands it to ``progress(item, stage)``
for the item that worker holds first (a worker runs its items in the order they were sent).
The fractions a run reports go the same way, to ``fraction(item, doing, fraction)``.

With ``together``, a worker runs the items waiting in its pipe at once (``Together``): a
job that writes several items' files in one go shares its flushes between them. Their
results come back in order once all are done; a stage reported meanwhile is the first's.

``stop_starting()`` tells every worker to start no more items: each one sent that a worker
has not begun comes back as ``NotStarted`` (a batch that found its service unreachable would
spend a failing lookup on each).
"""

from __future__ import annotations

import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple

from mediakeeper.batch.stage_progress import reporting
from mediakeeper.fs import left_behind
from mediakeeper.lookup import tally
from mediakeeper.system.interrupts import worker_signals
from mediakeeper.system.linux import die_with_parent
from mediakeeper.system.processes import usable_cores

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

STOP_GRACE = 5.0  # seconds a stopped worker gets to finish its atomic write
# A worker spends much of an item waiting for the disk or a web service, so a few per CPU
# still pay; past that each adds memory and contention, not speed.
PER_CPU, MOST = 4, 32


def most_workers() -> int:
    """The most worker processes a batch starts: ``PER_CPU`` per CPU this process may run
    on, and never more than ``MOST``."""
    return min(MOST, PER_CPU * usable_cores())


_HELD = {signal.SIGINT, signal.SIGTERM}


class Stage(NamedTuple):
    """A stage a run reported, sent before its result."""

    stage: str


class Fraction(NamedTuple):
    """How far a run is through what it is doing, sent before its result (transient)."""

    doing: str
    fraction: float


class Held(NamedTuple):
    """The cluster workers holding a run's item now, sent before its result."""

    workers: list[str]


class NotStarted:
    """The result of an item its worker never began: the batch said to start no more, or
    (``unreachable``: the service's name) its job found that this run could not reach the
    service the item needs (``batch.job.NotTried``)."""

    spent = None  # no step run, no lookup made

    def __init__(self, unreachable: str = ""):
        self.unreachable = unreachable


def _worker_init(parent: int) -> None:
    worker_signals()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)  # held since the fork (see _start)
    # A worker must not outlive a main process killed with -9: the next run would release
    # the claim as stale and work on the same item while the orphan still writes to it.
    die_with_parent()
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


class Together(NamedTuple):
    """How a worker runs several items at once: ``run`` takes an iterator of items (the
    first sent, then each one already waiting in the worker's pipe, up to ``most`` in all,
    as it asks for them) and returns their results in order."""

    run: Callable[[Iterator[Any]], list[Any]]
    most: int


class _Waiting:
    """The items of one worker's pipe for ``Together.run``: the one just received, then each
    one already sent, up to ``most``; ``stopped`` once the main process said to stop."""

    def __init__(self, conn: Connection, first: Any, most: int, stopping: Any):
        self.conn, self.first, self.most = conn, first, most
        self.stopping = stopping
        self.stopped = False

    def __iter__(self) -> Iterator[Any]:
        yield self.first
        for _ in range(self.most - 1):
            try:
                # Told to start no more: the items still in the pipe come back unstarted.
                if self.stopping.is_set() or not self.conn.poll():
                    return
                item = self.conn.recv()
            except (EOFError, OSError):
                item = None
            if item is None:
                self.stopped = True
                return
            yield item


def _one_by_one(run: Callable[[Any], Any], items: Iterator[Any]) -> list[Any]:
    """``Together.run`` for a ``run`` of one item (``most`` 1: the one received)."""
    return [run(item) for item in items]


def _serve(
    conn: Connection, together: Together, parent: int, lookups: tally.Shared, slot: int,
    stopping: Any,
) -> None:  # fmt: skip
    _worker_init(parent)
    lookups.use(slot)
    while True:
        try:
            item = conn.recv()
        except (EOFError, OSError):
            return
        if item is None:
            return
        if stopping.is_set():  # ``stop_starting``: it goes back as it was sent
            conn.send(NotStarted())
            continue
        waiting = _Waiting(conn, item, together.most, stopping)
        with reporting(
            lambda stage: conn.send(Stage(stage)),
            lambda doing, fraction: conn.send(Fraction(doing, fraction)),
            lambda workers: conn.send(Held(workers)),
        ):
            results = together.run(iter(waiting))
        for result in results:
            conn.send(result)
        if waiting.stopped:
            return


@dataclass
class _Worker:
    process: Any
    conn: Connection
    slot: int  # its slot of the workers' lookups (``tally.Shared``)
    sent: deque = field(default_factory=deque)  # items sent, oldest first


class Workers:
    """``submit(item)`` runs ``run(item)`` in a worker; ``next_result()`` returns
    ``(item, result)`` as results come back. ``lost(item)`` makes the result of an item whose
    worker died; a replacement worker is started. ``progress(item, stage)`` gets the stages
    runs report, as they come, ``fraction(item, doing, fraction)`` the fractions,
    ``held(item, workers)`` the cluster workers holding it. ``together``: a worker runs the
    items waiting for it at once (``Together``), ``run`` is then not used."""

    def __init__(
        self,
        count: int,
        run: Callable[[Any], Any],
        lost: Callable[[Any], Any],
        progress: Callable[[Any, str], None] = lambda item, stage: None,
        fraction: Callable[[Any, str, float], None] = lambda item, doing, fraction: None,
        held: Callable[[Any, list[str]], None] = lambda item, workers: None,
        together: Together | None = None,
    ):
        # Imported by the batch that forks (before it forks: its workers share it), not by
        # every batch script's start: a dry run or a batch with nothing to do forks none.
        import multiprocessing
        from multiprocessing.connection import wait

        self._context = multiprocessing.get_context("fork")
        self._wait = wait
        self._lost, self._progress = lost, progress
        self._together = together or Together(partial(_one_by_one, run), 1)
        self._fraction = fraction
        self._held = held
        # What the workers sent to web services, read here whenever asked: a stopped
        # worker's lookups are in it, though its item's result never came back.
        self.lookups = tally.Shared(count)
        self._stopping = self._context.Event()  # set: start no more items (``stop_starting``)
        self._workers = [self._start(slot) for slot in range(count)]

    def _start(self, slot: int) -> _Worker:
        parent_end, child_end = self._context.Pipe()
        args = (child_end, self._together, os.getpid(), self.lookups, slot, self._stopping)
        process = self._context.Process(target=_serve, args=args, daemon=True)
        # Ctrl+C and SIGTERM wait while the fork happens: a child gets them only once it has
        # its own handlers (before, the parent's would raise in the middle of Python's
        # after-fork clean-up, printing "Exception ignored" at a Ctrl+C).
        held = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
        try:
            process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
        child_end.close()
        return _Worker(process, parent_end, slot)

    @property
    def in_flight(self) -> int:
        return sum(len(w.sent) for w in self._workers)

    def stop_starting(self) -> None:
        """Every worker starts no more of the items it was sent: each comes back as
        ``NotStarted``; those it runs now finish."""
        self._stopping.set()

    def submit(self, item: Any) -> None:
        worker = min(self._workers, key=lambda w: len(w.sent))
        worker.conn.send(item)
        worker.sent.append(item)

    def next_results(self, results: list[tuple[Any, Any]], most: int, linger: float) -> None:
        """Add the next result to ``results``, then any more that come back within ``linger``
        seconds, up to ``most``, for as long as every worker still has another item queued
        behind the one it works on: recording them together costs one queue transaction
        instead of one each, and no worker waits for it. (Added one by one: an interrupt
        meanwhile loses none.)"""
        results.append(self.next_result())
        deadline = time.monotonic() + linger
        while len(results) < most and all(len(w.sent) >= 2 for w in self._workers):
            left = deadline - time.monotonic()
            ready = self._wait([w.conn for w in self._workers], timeout=left) if left > 0 else []
            if not ready:
                return
            if (got := self._receive(self._fullest(ready))) is not None:
                results.append(got)

    def next_result(self) -> tuple[Any, Any]:
        while True:
            # A timeout brings the main thread back to Python, where signal handlers run.
            ready = self._wait([w.conn for w in self._workers if w.sent], timeout=0.5)
            if ready and (got := self._receive(self._fullest(ready))) is not None:
                return got

    def _fullest(self, ready: list[Any]) -> _Worker:
        """Of the workers with a result ready, the one with the most items sent: taking its
        result first keeps every worker's queue as long as it can be."""
        return max((w for w in self._workers if w.conn in ready), key=lambda w: len(w.sent))

    def _receive(self, worker: _Worker) -> tuple[Any, Any] | None:
        """The worker's next result with its item; None for a stage or fraction (handed on)."""
        try:
            result = worker.conn.recv()
        except (EOFError, OSError):
            return self._replace(worker)
        if isinstance(result, Stage):
            self._progress(worker.sent[0], result.stage)
            return None
        if isinstance(result, Fraction):
            self._fraction(worker.sent[0], result.doing, result.fraction)
            return None
        if isinstance(result, Held):
            self._held(worker.sent[0], result.workers)
            return None
        return worker.sent.popleft(), result

    def _replace(self, dead: _Worker) -> tuple[Any, Any]:
        """A worker died (killed, out of memory): its first item fails, the rest move on."""
        item, rest = dead.sent.popleft(), list(dead.sent)
        left_behind.lost_a_worker()  # a temp file it left in the data home: the next command's
        dead.conn.close()
        dead.process.join(0.1)
        self._workers[self._workers.index(dead)] = fresh = self._start(dead.slot)
        for other in rest:
            fresh.conn.send(other)
            fresh.sent.append(other)
        return item, self._lost(item)

    def stop(self, *, at_once: bool) -> None:
        """Let idle workers finish (``at_once``: SIGTERM now, which waits only for an atomic
        write in progress), then make sure every one is gone."""
        for worker in self._workers:
            with suppress(OSError):
                if at_once:
                    worker.process.terminate()
                else:
                    worker.conn.send(None)
        for worker in self._workers:
            worker.process.join(STOP_GRACE)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()
