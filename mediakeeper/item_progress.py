"""How far a job got with the item in hand, for its queue item while it is in progress.

Only the runner writes the queue during a batch, and a job may run in a worker process, so a
job does not write its stage itself: it calls :func:`report_stage`, and whoever runs it (the
runner in the main process, or a worker, which sends it up its pipe to the runner) has set
where that goes with :func:`reporting`. The runner records it on the claimed item
(``details.stage``) in one queue journal line: meant for a few changes per item (a
conversion's stages), not for per-file progress. Outside a batch (a dry run, a test) it goes
nowhere.

The stage is what a person sees (``--list``, ``--show-summary``, the dashboard), never what a
job resumes from: after a ``kill -9`` it may lag behind the job's own record of its work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

_report: Callable[[str], None] | None = None


def report_stage(stage: str) -> None:
    """Say the item in hand has reached ``stage`` (call from the thread running the job)."""
    if _report is not None:
        _report(stage)


@contextmanager
def reporting(to: Callable[[str], None]) -> Iterator[None]:
    """Send the stages reported meanwhile to ``to``."""
    global _report
    before, _report = _report, to
    try:
        yield
    finally:
        _report = before
