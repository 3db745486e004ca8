"""The generic batch runner: claim -> process -> record, for any media kind.

Only this module writes queue state during a batch; a job's ``process`` returns an
:class:`ItemResult` and the runner records it. Jobs may run in worker processes (both cores);
claiming and recording always happen here, in the main process.

Interruption: the first Ctrl+C or SIGTERM stops claiming, kills the workers (every file a job
writes is written atomically, so a kill leaves each file old or new), records results that
already arrived, releases the rest back to ``pending`` and ends the session as interrupted.
A second signal during that short clean-up exits at once; the claim it leaves behind is
recognised as stale and released by the next run.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from mediakeeper.batch import usage
from mediakeeper.batch.job import (
    DISK,
    ItemFailure,
    ItemResult,
    Job,
    NotTried,
    crash_message,
    out_of_space,
)
from mediakeeper.batch.offline import Offline, offline_services
from mediakeeper.batch.offline import clear as clear_offline
from mediakeeper.batch.report import RELEASED, BatchReport, Outcome
from mediakeeper.batch.stage_progress import reporting
from mediakeeper.batch.workers import NotStarted, Together, Workers, most_workers
from mediakeeper.core import kinds
from mediakeeper.core.errors import ConfigError, MediakeeperError, QueueError, unreachable
from mediakeeper.core.kinds import all_counters
from mediakeeper.fs import left_behind
from mediakeeper.fs.readahead import ReadAhead
from mediakeeper.fs.room import Room
from mediakeeper.fs.sweep import sweep_home
from mediakeeper.fs.write_errors import FULL, OutOfSpace, describe
from mediakeeper.lookup import tally
from mediakeeper.queue.fingerprints import FINGERPRINT, Recorder, files_log
from mediakeeper.queue.itemlist import scan
from mediakeeper.queue.items import COMPLETED as ITEM_COMPLETED
from mediakeeper.queue.items import ERROR, PENDING, SKIPPED, is_eligible
from mediakeeper.queue.keyset import KeySet
from mediakeeper.queue.left_out import session_figures
from mediakeeper.queue.session_log import COMPLETED, FAILED, INTERRUPTED, ItemLine, Session
from mediakeeper.queue.store import QueueStore
from mediakeeper.system.interrupts import Interrupted, critical, interruptible
from mediakeeper.text.wording import count

RECORD_WITHIN = 0.5  # seconds a result may wait for others to share its queue transaction


class BatchStopped(MediakeeperError):
    """A job said no item can succeed (``ItemFailure(stop=True)``): the batch ended early."""


class DiskFull(BatchStopped):
    """A worker could not write a file for want of space (or quota): every next item would
    meet it too, so the batch stops as when its own process cannot write the queue (exit 1,
    the file and the full file system named), the item in hand given back untouched."""

    exit_code = 1


@dataclass
class BatchOptions:
    size: int = 10
    statuses: tuple[str, ...] = (PENDING,)
    # Only the items of these keys; taken in their order where they have one (a dict's keys:
    # a scrub's, never verified first), else (a set) in the queue's.
    keys: Collection[str] | None = None
    # The keys are the ones asked for (a name, --keys-from, a scrub's, a resume's): recorded
    # with its session, so that its resume takes none but them (``session_history``).
    asked_keys: bool = False
    checkpoint_every: int = 50
    max_attempts: int = 3
    workers: int = 1
    stop_after_network_failures: int = 3
    # Items in hand per worker. More let the results that come back meanwhile share a queue
    # transaction; but a batch that stops early (the network is down) still finishes each
    # one it holds, so a job that waits on the web keeps few.
    in_hand: int = 2
    local: bool = False  # no web lookups: the disk and the cores set the pace
    resumes: str | None = None  # the session whose unfinished batch this one takes (--resume)
    stop_on_error: bool = False  # the first failed item ends the batch (a pipeline's setting)


class Hooks:
    """What the command line fills in (progress bar, lines); the default does nothing."""

    def started(self, total: int) -> None: ...

    def item_started(self, item: dict[str, Any]) -> None: ...

    def item_finished(self, outcome: Outcome) -> None: ...

    def item_fraction(self, item: dict[str, Any], doing: str, fraction: float) -> None:
        """How far (0 to 1) the job is through ``doing`` with ``item`` (``item_progress``):
        transient, a few a second at most; never recorded."""

    def item_workers(self, item: dict[str, Any], workers: list[str]) -> None:
        """The cluster workers holding ``item``'s steps now (none: back here)."""

    def note(self, line: str, *, warning: bool = False) -> None:
        """A line for a person around the items (the queue created, a killed run's writes
        finished); ``warning``: one that goes to the error stream."""


class Done(NamedTuple):
    """A job's result for one item, as it comes back from a worker."""

    result: ItemResult
    seconds: float
    spent: dict[str, Any] | None = None  # its lookups and bytes (``usage.since``)


class Failed(NamedTuple):
    """A job's failure for one item, as it comes back from a worker (see ItemFailure)."""

    stage: str
    message: str
    network: bool = False
    stop: bool = False
    seconds: float = 0.0
    details: dict[str, Any] | None = None
    spent: dict[str, Any] | None = None
    as_it_was: bool = False  # it goes back as it was claimed (see ItemFailure)


# What comes back for an item: its result, or NotStarted (its worker was told to start no more).
Returned = Done | Failed | NotStarted


def _run_job(job: Job, record: Recorder, item: dict[str, Any]) -> Returned:
    """Run in a worker (or in-process): never raises, so results always come back, with
    what the item's work spent (``usage``)."""
    attempt = _Attempt(item)
    attempt.result_of(partial(_recorded, job.process, record, item, item))
    return attempt.ended()


def _recorded(step: Callable[[Any], ItemResult], record: Recorder, item: dict[str, Any],
              given: Any) -> ItemResult:  # fmt: skip
    """``step(given)``'s result for the item, its files recorded as the job left them (see
    mediakeeper.queue.fingerprints)."""
    result = step(given)
    result.details[FINGERPRINT] = record(item)
    return result


def _failed(err: Exception, seconds: float) -> Failed | NotStarted:
    """What a job's exception makes of its item."""
    if isinstance(err, NotTried):  # given back unbegun, as a worker told to stop gives it
        return NotStarted(unreachable=err.service)
    err = out_of_space(err) or err  # a volume out of space: the batch's, as a job says it
    if isinstance(err, ItemFailure):
        return Failed(err.stage, err.message, err.network, err.stop, seconds, err.details,
                      as_it_was=err.as_it_was)  # fmt: skip
    if isinstance(err, ConfigError):  # wrong for every item (a setting): the batch stops
        return Failed("settings", str(err), stop=True, seconds=seconds)
    # A crash inside one item must not stop the batch.
    return Failed("crash", crash_message(err), seconds=seconds)


@dataclass
class _Attempt:
    """An item a worker runs, alone or with others: its plan (run together), its outcome
    once known, and the time and spending its steps took so far."""

    item: dict[str, Any]
    plan: Any = None
    outcome: Returned | None = None
    seconds: float = 0.0
    spent: dict[str, Any] = field(default_factory=dict)

    def step(self, run: Callable[[], Any]) -> Any:
        """``run()``'s value, its time and spending counted as this item's; None if it
        failed, which is then the outcome."""
        before, started = usage.mark(), time.monotonic()
        try:
            return run()
        except Exception as err:
            self.outcome = _failed(err, 0.0)
            return None
        finally:
            self.took(time.monotonic() - started, usage.since(before))

    def result_of(self, run: Callable[[], ItemResult]) -> None:
        """The outcome: ``run()``'s result, or its failure."""
        if (result := self.step(run)) is not None:
            self.outcome = Done(result, 0.0)

    def took(self, seconds: float, spent: dict[str, Any]) -> None:
        self.seconds += seconds
        self.spent = usage.combined(self.spent, spent)

    def ended(self) -> Returned:
        """The outcome with all the time and spending it took (none: not started)."""
        assert self.outcome is not None
        if isinstance(self.outcome, NotStarted):
            return self.outcome
        return self.outcome._replace(seconds=self.seconds, spent=self.spent)


def _run_together(job: Job, record: Recorder, items: Iterable[dict[str, Any]]) -> list:
    """Several items in one worker (a job with ``plan``, ``commit`` and ``finish``, see
    ``batch.job.Job``): each planned as it is taken, the plans committed at once, then each
    finished. Each item's outcome as ``_run_job`` makes it; the commit's time and spending
    are shared equally between the items it wrote, and its failure is each of theirs."""
    attempts = []
    for item in items:
        attempts.append(attempt := _Attempt(item))
        attempt.plan = attempt.step(partial(job.plan, item))
    if planned := [a for a in attempts if a.outcome is None]:
        before, started = usage.mark(), time.monotonic()
        try:
            job.commit([a.plan for a in planned])
            failed = None
        except Exception as err:
            failed = _failed(err, 0.0)
        seconds = (time.monotonic() - started) / len(planned)
        for a, spent in zip(planned, usage.shared(usage.since(before), len(planned)), strict=True):
            a.took(seconds, spent)
            a.outcome = failed
    for a in planned:
        if a.outcome is None:
            a.result_of(partial(_recorded, job.finish, record, a.item, a.plan))
    return [a.ended() for a in attempts]


class BatchRunner:
    def __init__(
        self,
        store: QueueStore,
        job: Job,
        session: Session,
        options: BatchOptions,
        hooks: Hooks | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.store = store
        self.job = job
        self.session = session
        self.options = options
        self.hooks = hooks or Hooks()
        self.clock = clock
        self.report = BatchReport()
        self._in_flight: dict[str, dict[str, Any]] = {}
        self._taken = KeySet()  # every key this batch claimed, as hashes
        self._network_failures = 0
        self._network_stop = ""  # why the network stopped the batch (unreachable, or failures)
        self._stop_logged = False  # the session log said STOPPING EARLY
        self._offline_noted: set[str] = set()  # the services the log said unreachable
        self._stop_starting: Callable[[], None] = lambda: None  # the workers', once forked
        self._claimed = 0  # items this batch claimed
        self._not_started = 0  # of them, those its workers gave back unstarted
        self._arrived: list[tuple[dict[str, Any], Returned]] = []  # not yet recorded
        self._planned_count = 0  # the items the batch means to take (set as it starts)
        self._lookups_before: Counter[str] = Counter()  # this process's, as the batch starts
        self._workers_lookups: Counter[str] = Counter()  # its workers', once they stopped
        self._stopped_by = ""  # the error that ended the batch, in one line
        record = Recorder(store.dir, kinds.get(store.kind).files_below)
        self._run = partial(_run_job, job, record)
        self._run_together = partial(_run_together, job, record)

    def run(self) -> BatchReport:
        started = self.clock()
        self._lookups_before = tally.by_source(tally.made())
        outcome = FAILED  # unless it ends well or by a signal: anything else is raised on
        full = False  # stopped by a full disk: the closing writes no more than it must
        room: Room | None = None  # for the closing lines, were the disk to fill
        with interruptible():
            try:
                left_behind.writing_home(self.store.dir.parent, create=True)
                room = Room(self.store.dir)
                self.report.released_stale = self.store.release_stale()
                for name in self.report.released_stale:
                    self.session.log(f"RELEASED stale claim of {name} (its process is gone)")
                self.hooks.started(self._planned())
                # A local job that reads ahead runs in a worker even alone: the hints, the
                # records and the claims then go on beside it instead of between its items.
                # (With web lookups the web sets the pace, and a worker holding the next item
                # would only spend one more failing lookup when the service goes down.) With
                # nothing to do no worker is forked: the one claim made inline finds none.
                pooled = self.options.workers > 1 or (
                    self.options.local and hasattr(self.job, "ahead")
                )
                if pooled and self._planned_count:
                    self._run_pool()
                else:
                    self._run_inline()
                self._word_network_stop()
                outcome = FAILED if self.report.stopped_early else COMPLETED
            except Interrupted:
                self.report.interrupted = True
                outcome = INTERRUPTED
            except Exception as err:  # raised on once the session says why it stopped
                full = isinstance(err, DiskFull | OutOfSpace) or getattr(err, "errno", 0) in FULL
                said = describe(err) if isinstance(err, OSError) else str(err)
                self._stopped_by = said or type(err).__name__
                raise
            finally:
                self.report.seconds = self.clock() - started
                self._count_lookups()
                with critical(exit_waits=True):
                    if room is not None:
                        room.free()  # its space is this closing's
                    self._record_arrived()  # results that came back, before the rest goes
                    self._release_in_flight()  # work in hand goes back (none after a clean end)
                    if not full:  # (else the journal holds it all; the next command folds it)
                        self.store.fold()  # the JSON a person opens is complete and current
                    self.session.end(outcome, self._summary())
                clear_offline(self.store.dir, self.session.id)
                sweep_home(self.store.dir.parent)  # what its workers named
                if not self.report.interrupted and not full:  # (a Ctrl+C is answered at once)
                    files_log(self.store.dir).fold_if_grown()  # re-runs append lists again
        return self.report

    def _count_lookups(self) -> None:
        """Every lookup the batch sent or found cached, counted as each went: this process's
        since the batch started, and its workers'. An item stopped mid-lookup (a service that
        hangs, then Ctrl+C) returns no result to say its requests, yet they went out."""
        made = tally.by_source(tally.made())
        made.subtract(self._lookups_before)
        made += self._workers_lookups
        self.report.lookups, self.report.cache_hits = made[tally.NETWORK], made[tally.CACHE]

    def _planned(self) -> int:
        statuses, keys, size = self.options.statuses, self.options.keys, self.options.size
        eligible = 0
        with self.store.locked() as data:  # (load() would drop the state the claims reuse)
            # Read through once, not kept: the store holds its items encoded (itemlist.py),
            # and decodes each it hands out; a batch of ten stops at its tenth.
            for item in scan(data["items"]):
                eligible += is_eligible(item, statuses, keys)
                if eligible >= size:
                    break
        self._planned_count = min(eligible, size)
        return self._planned_count

    def _claim(self, count: int = 1) -> list[dict[str, Any]]:
        """Claim up to ``count`` more items, within the batch size (call in a transaction;
        the items are the runner's once it has been written)."""
        room = self.options.size - self.report.noted - len(self._in_flight)
        if self.report.stopped_early or min(room, count) <= 0:
            return []
        return self.store.claim_many(
            self.session.id,
            min(room, count),
            statuses=self.options.statuses,
            keys=self.options.keys,
            skip=self._taken,  # --retry-errors, --enrich: what just failed or finished
        )

    def _record_and_claim(
        self, finished: list[tuple[dict[str, Any], Returned]], count: int
    ) -> list[dict[str, Any]]:
        """Record the results that came back and claim up to ``count`` more items as one
        queue transaction: one journal line, one fsync. The runner counts the results as
        done, logs them and runs the hooks only once that line is on disk."""
        stop = next((o for _, o in finished if isinstance(o, Failed) and o.stop), None)
        if stop:  # not one item's failure but the batch's: that item goes back untouched
            finished = [(i, o) for i, o in finished if not (isinstance(o, Failed) and o.stop)]
            count = 0
        if self.options.stop_on_error and any(isinstance(o, Failed) for _, o in finished):
            count = 0  # (said in the report as the failure is noted)
        was_stopping = self.report.stopped_early
        with critical(exit_waits=True):
            with self.store.transaction():
                stored = [self._store_outcome(item, outcome) for item, outcome in finished]
                items = self._claim(count)
            self._arrived = []
            self._claimed += len(items)
            self._in_flight.update((item["key"], item) for item in items)
            self._taken.update(item["key"] for item in items)
            done = self._note_outcomes(finished, stored)
            # A stop for the network leaves an item untried, or says nothing once the batch
            # ends (``_word_network_stop``): the log says it when that is sure, as the summary.
            if self.report.stopped_early and not was_stopping and (
                self.report.stopped_early != self._network_stop or self._untried()
            ):
                self._log_stop(self.report.stopped_early)
        for outcome in done:
            self.hooks.item_finished(outcome)
        for item in items:
            self.hooks.item_started(item)
        if stop:
            raise (DiskFull if stop.stage == DISK else BatchStopped)(stop.message)
        return items

    def _run_inline(self) -> None:
        finished = []
        while items := self._record_and_claim(finished, 1):
            with reporting(
                partial(self._record_stage, items[0]),
                partial(self.hooks.item_fraction, items[0]),
                partial(self._record_workers, items[0]),
            ):
                finished = [(items[0], self._run(items[0]))]

    def _record_stage(self, item: dict[str, Any], stage: str) -> None:
        """A job's stage for the item in hand (``item_progress``), on its queue item: one
        journal line. An item no longer this batch's (a checkpoint put back) is left alone."""
        with critical(exit_waits=True), suppress(QueueError):
            self.store.note_stage(item["key"], self.session.id, stage)

    def _record_workers(self, item: dict[str, Any], workers: list[str]) -> None:
        """The cluster workers holding the item's steps now (``report_workers``), on its
        queue item (``details.workers``) as its stage is, and on the live line."""
        with critical(exit_waits=True), suppress(QueueError):
            self.store.note_stage(item["key"], self.session.id, workers=workers)
        self.hooks.item_workers(item, workers)

    def _run_pool(self) -> None:
        # One process per item at most: more would only sit idle (and fork for nothing).
        count = max(1, min(self.options.workers, self._planned_count, most_workers()))
        # Offline, a worker runs the items waiting for it together where the job can (their
        # writes share their flushes); with web lookups the web sets the pace, and an item's
        # result would wait for the next one's lookups.
        together = self.options.local and all(
            hasattr(self.job, step) for step in ("plan", "commit", "finish")
        )
        self.session.log(f"WORKERS {count} processes")
        if hasattr(self.job, "warm"):  # loaded once here, shared by the workers forked below
            self.job.warm()
        workers = Workers(
            count,
            run=self._run,
            lost=lambda item: Failed("crash", "its worker process died"),
            progress=self._record_stage,
            fraction=self.hooks.item_fraction,
            held=self._record_workers,
            # As many as wait for it, up to what it is given to hold.
            together=Together(self._run_together, self.options.in_hand) if together else None,
        )
        # Items in flight are topped up once the results are recorded: while the main process
        # records and claims, each worker is already busy with its next item, and the results
        # that come back meanwhile share one transaction (the more in hand, the more share).
        depth, at_once = self.options.in_hand * count, True
        # Started once the workers are forked (one forked later, to replace a dead one, never
        # touches it): it asks the disk for what the items in the workers' queues will read.
        ahead = ReadAhead(self.job.ahead) if hasattr(self.job, "ahead") else None
        self._stop_starting = workers.stop_starting
        try:
            while True:
                for item in self._record_and_claim(self._arrived, depth - workers.in_flight):
                    workers.submit(item)
                    if ahead:
                        ahead.add(item)
                if not workers.in_flight:
                    break
                workers.next_results(self._arrived, depth, RECORD_WITHIN)
            at_once = False
        finally:
            if ahead:
                ahead.stop()
            workers.stop(at_once=at_once)
            self._workers_lookups = workers.lookups.made()

    def _store_outcome(
        self, item: dict[str, Any], outcome: Returned
    ) -> tuple[str, Path | None]:
        """Write one result to the queue: (the item's status, the checkpoint now due). A run
        of network failures stops the claims that follow in the same transaction, and the
        workers start none of the items they hold (the session log says so once the line is
        on disk)."""
        key, session = item["key"], self.session.id
        if isinstance(outcome, NotStarted):  # given back as an interrupt gives it back
            self.store.release(key, session)
            self._not_started += 1
            if outcome.unreachable and not self.report.stopped_early:
                # Its job found the run's service unreachable: no item can do more.
                self._network_stop = f"{outcome.unreachable} unreachable"
                self.report.stopped_early = self._network_stop
                self._stop_starting()
            return RELEASED, None
        if isinstance(outcome, Done):
            checkpoint = self.store.record_success(
                key,
                session,
                counts=outcome.result.counts,
                details=outcome.result.details,
                checkpoint_every=self.options.checkpoint_every,
            )
            self._network_failures = 0
            return ITEM_COMPLETED, checkpoint
        if outcome.as_it_was:  # not the item's failure: no attempt counted, its results stand
            self.store.release(key, session, untouched=True)
            status = RELEASED
        else:
            status = self.store.record_failure(
                key,
                session,
                stage=outcome.stage,
                message=outcome.message,
                max_attempts=self.options.max_attempts,
            )
            if status not in (ERROR, SKIPPED):  # its folder gone meanwhile: given back, missing
                status = RELEASED
        self._network_failures = self._network_failures + 1 if outcome.network else 0
        limit = self.options.stop_after_network_failures
        if not self.report.stopped_early and self._network_failures >= limit > 0:
            noun = kinds.get(self.store.kind).noun
            # The service named where a job said which it found unreachable (``offline``);
            # with several (the covers' archive and MusicBrainz), which failed is not known.
            offline = [o for o in offline_services(self.store.dir, self.session.id)
                       if not o.refused]  # fmt: skip
            self._network_stop = self.report.stopped_early = (
                f"{offline[0].service} unreachable" if len(offline) == 1 else
                f"{count(self._network_failures, noun)} in a row failed on the network; the "
                "service looks unreachable"
            )  # fmt: skip
            self._stop_starting()  # before the line is on disk: none starts after it
        return status, None

    def _untried(self) -> int:
        """The items of the batch not tried: never claimed, or given back unstarted."""
        return self._not_started + max(0, self._planned_count - self._claimed)

    def _log_stop(self, why: str) -> None:
        self.session.log(f"STOPPING EARLY: {why}")
        self._stop_logged = True

    def _word_network_stop(self) -> None:
        """The stop line, once the batch ended, with the items it did not try and the status
        they kept (in the session log too, if not said yet); none left, no stop to speak of:
        every item was tried, and the ones given back say so."""
        if not self._network_stop or self.report.stopped_early != self._network_stop:
            return
        untried = self._untried()
        noun = kinds.get(self.store.kind).noun
        self.report.stopped_early = (
            f"{self._network_stop}: {count(untried, f'{noun} not tried', f'{noun}s not tried')}"
            f", left {_as_they_were(self.options)}"
        ) if untried else None  # fmt: skip
        if self.report.stopped_early and not self._stop_logged:
            self._log_stop(self.report.stopped_early)
        # A service whose outage stopped the run: it did not go on without it, and its stop
        # line says so.
        self.report.offline = [o for o in self.report.offline
                               if not self._network_stop.startswith(o.service)]  # fmt: skip

    def _note_outcomes(
        self,
        finished: list[tuple[dict[str, Any], Returned]],
        stored: list[tuple[str, Path | None]],
    ) -> list[Outcome]:
        """The runner's side of results the queue holds now: the report and the session log
        (one write for them all)."""
        done, lines, lost = [], [], []
        for (item, outcome), (status, checkpoint) in zip(finished, stored, strict=True):
            key, name = item["key"], item["name"]
            spent = outcome.spent or {}
            lost += [f"lost the cluster's worker {worker} while it ran a step of {name}"
                     for worker in spent.get("workers_lost", ())]  # fmt: skip
            lost += [f"the cluster's worker {worker} did not answer (stopped, or its machine "
                     f"asleep) while it held a step of {name}: the step went to another worker"
                     for worker in spent.get("workers_silent", ())]  # fmt: skip
            if isinstance(outcome, NotStarted):
                noted = Outcome(key, name, status)
                why = f"{outcome.unreachable} unreachable" if outcome.unreachable else (
                    "the batch stopped")
                figures = {"reason": f"not started: {why}"}
            elif isinstance(outcome, Done):
                result = outcome.result
                noted = Outcome(key, name, status, result=result, seconds=outcome.seconds)
                figures = {"seconds": round(outcome.seconds, 3), **result.this_run,
                           **(outcome.spent or {}), **session_figures(result.details)}  # fmt: skip
                if result.problem:
                    figures["problem"] = result.problem
            else:
                noted = Outcome(
                    key, name, status, error=outcome.message, seconds=outcome.seconds,
                    details=dict(outcome.details or {}), stage=outcome.stage,
                    network=outcome.network,
                )  # fmt: skip
                figures = {"stage": outcome.stage, "error": outcome.message,
                           **(outcome.spent or {})}  # fmt: skip
                if self.options.stop_on_error and not self.report.stopped_early:
                    self.report.stopped_early = f"{name} failed, and the first failure stops it"
            lines.append(ItemLine(key, name, status, figures))
            if checkpoint:
                self.report.checkpoints.append(str(checkpoint))
            del self._in_flight[key]
            self.report.note(noted)
            done.append(noted)
        self.session.items(lines)
        self._note_notices(done, lost)
        for _, checkpoint in stored:
            if checkpoint:
                self.session.log(f"CHECKPOINT {checkpoint.name}")
        self._note_offline()
        return done

    def _note_notices(self, done: list[Outcome], more: list[str]) -> None:
        """Each notice once per batch, however many items say it; ``more``: the runner's own
        (a cluster's worker lost mid-step, from what the item spent)."""
        for notice in [n for o in done for n in (o.result.notices if o.result else ())] + more:
            if notice not in self.report.notices:
                self.report.notices.append(notice)
                self.session.log(f"NOTICE {notice}")

    def _note_offline(self) -> None:
        """Each service the run found unreachable, said once in the session log after the
        item that found it (its job raised the flag before it returned), and kept in the
        report. (An offline batch asks no service: it has none to look for.)"""
        if self.options.local or not self.report.noted:
            return
        for offline in offline_services(self.store.dir, self.session.id):
            service, reason, refused = offline
            if service in self._offline_noted:
                continue
            self._offline_noted.add(service)
            self.report.offline.append(offline)
            if refused:  # it answered: the job's notice says what to set
                self.session.log(f"REFUSED: {reason}; no more of its lookups in this run")
                continue
            self.session.log(f"WENT OFFLINE: {unreachable(service, reason)}; no more of its "
                             "lookups in this run, run --enrich later")  # fmt: skip

    def _record_arrived(self) -> None:
        """Results that came back but wait for company when the batch ends (an interrupt):
        recorded now. Should that fail too, their items go back with the rest."""
        if not self._arrived:
            return
        with suppress(MediakeeperError, OSError):  # BatchStopped: that item goes back too
            self._record_and_claim(self._arrived, 0)

    def _release_in_flight(self) -> None:
        """Give back the items in hand, in one queue line; logged once it is on disk."""
        if not self._in_flight:
            return
        released = []
        with self.store.transaction():
            for key, item in self._in_flight.items():
                try:
                    self.store.release(key, self.session.id)
                except QueueError:  # no longer ours (recorded, or a checkpoint put back): not
                    continue  # ours to give back or to report
                released.append(item)
        self._in_flight.clear()
        self.session.items(
            [ItemLine(i["key"], i["name"], RELEASED, {"reason": "interrupted"}) for i in released]
        )
        for item in released:
            self.report.note(Outcome(item["key"], item["name"], RELEASED))

    def _summary(self) -> dict[str, Any]:
        report = self.report
        return {
            "items_done": report.count("completed"),
            "errors": report.count(ERROR),
            "skipped": report.count("skipped"),
            "released": report.count(RELEASED),
            **{c.field: report.total(c.field) for c in all_counters()},
            "lookups": report.lookups,
            "cache_hits": report.cache_hits,
            # How the fixes reached the files (a kind that writes tags; said when it did).
            **{k: n for k in ("files_written", "files_rewritten") if (n := report.total_detail(k))},
            # Why it stopped before its batch was done, where something stopped it.
            **({"stopped": why} if (why := self._stopped_by or report.stopped_early) else {}),
            # The services found unreachable (or refusing this client), the rest run
            # without them: `sessions show` says so.
            **_went_offline(report.offline),
        }


def _went_offline(offline: list[Offline]) -> dict[str, Any]:
    """The summary's word for the services the run went on without, if any: ``offline``,
    each with its reason and whether it refused this client; ``went_offline`` and
    ``refused``, the first of them, as scripts read it before there could be several."""
    if not offline:
        return {}
    first = offline[0]
    return {"went_offline": first.service, **({"refused": True} if first.refused else {}),
            "offline": [o._asdict() for o in offline]}  # fmt: skip


def _as_they_were(options: BatchOptions) -> str:
    """The status the items a batch did not take keep: the statuses it takes from (pending;
    completed for --enrich), as an item it claimed but did not start returns to its own."""
    statuses = list(dict.fromkeys(options.statuses))
    if len(statuses) == 1:
        return statuses[0]
    return f"as they were ({', '.join(statuses[:-1])} or {statuses[-1]})"
