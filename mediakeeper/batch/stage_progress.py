"""How far a job got with the item in hand, for its queue item while it is in progress, and
for the live line of a terminal.

Only the runner writes the queue during a batch, and a job may run in a worker process, so a
job does not write its stage itself: it calls :func:`report_stage`, and whoever runs it (the
runner in the main process, or a worker, which sends it up its pipe to the runner) has set
where that goes with :func:`reporting`. The runner records it on the claimed item
(``details.stage``) in one queue journal line: meant for a few changes per item (a
conversion's stages), not for per-file progress. Outside a batch (a dry run, a test) it goes
nowhere.

The stage is what a person sees (``--list``, ``--show-summary``, the dashboard), never what a
job resumes from: after a ``kill -9`` it may lag behind the job's own record of its work.

Beside it a transient channel, :func:`report_fraction`: how far through what it is doing the
job is ("encoding", 0.43), for the live line of a batch on a terminal (through the runner's
``Hooks``, up a worker's pipe the same way). It is never recorded anywhere, and at most one
each ``EVERY`` seconds goes on.

And :func:`report_workers`: the cluster's workers that hold the item's steps now
(``batch/cluster.py``), recorded as the stage is (``details.workers``), so ``/api/batches``
and the page say where an item in flight is; a change only when that set changes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

EVERY = 0.25  # seconds between two fractions passed on: a live line needs no more

_report: Callable[[str], None] | None = None
_tell: Callable[[str, float], None] | None = None
_told: tuple[float, str] = (0.0, "")  # when the last fraction went on, and of what
_hold: Callable[[list[str]], None] | None = None
_HOLD_LOCK = threading.Lock()  # a job's threads (an album's tracks) report at once


def report_stage(stage: str) -> None:
    """Say the item in hand has reached ``stage`` (call from the thread running the job)."""
    if _report is not None:
        _report(stage)


def report_fraction(doing: str, fraction: float) -> None:
    """Say how far (0 to 1) the item in hand is through ``doing`` (call from the thread
    running the job). Dropped when the last one of the same ``doing`` went on less than
    ``EVERY`` seconds ago, unless it says ``doing`` is done."""
    global _told
    if _tell is None:
        return
    now = time.monotonic()
    when, what = _told
    if what == doing and now - when < EVERY and fraction < 1:  # (the end always goes on)
        return
    _told = (now, doing)
    _tell(doing, min(1.0, max(0.0, fraction)))


def report_workers(workers: list[str]) -> None:
    """Say which cluster workers hold the item in hand's steps now (none: back here)."""
    if _hold is not None:
        with _HOLD_LOCK:
            _hold(sorted(workers))


@contextmanager
def reporting(
    to: Callable[[str], None],
    fractions: Callable[[str, float], None] | None = None,
    workers: Callable[[list[str]], None] | None = None,
) -> Iterator[None]:
    """Send the stages reported meanwhile to ``to``, the fractions to ``fractions``, the
    workers holding the item to ``workers``."""
    global _report, _tell, _told, _hold
    before = _report, _tell, _told, _hold
    _report, _tell, _told, _hold = to, fractions, (0.0, ""), workers
    try:
        yield
    finally:
        _report, _tell, _told, _hold = before
