"""The job protocol: what a media kind's job is to the batch runner (``Job``), what it
returns for one item (``ItemResult``) and how it fails one (``ItemFailure``). A kind imports
these, never the runner."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Protocol

from mediakeeper.fs.links import gone
from mediakeeper.fs.write_errors import FULL, OutOfSpace, describe


@dataclass
class ItemResult:
    """What a job learned about one item. ``counts`` go into the queue item's counters;
    ``run_counts``, where they differ, are what this run found and did (an --enrich run's
    counts keep the fixes of the run before it, for the queue; its summary is its own)."""

    counts: dict[str, int] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    summary: str = ""
    run_counts: dict[str, int] | None = None
    # Something the person must mend though the item is done (a fix the file system would
    # not let it write): said under its line, and the batch exits 1.
    problem: str = ""
    # What the person should know that is not this item's outcome (another data home's
    # leftovers in its folder): said once per batch, at its end and in the session log.
    notices: list[str] = field(default_factory=list)

    @property
    def this_run(self) -> dict[str, int]:
        return self.counts if self.run_counts is None else self.run_counts


DISK = "disk"  # the stage of a full disk's (or quota's) failure: the batch's, not the item's


class ItemFailure(Exception):
    """A job's failure for one item, with the stage it failed in (scan, fix, lookup, ...).

    ``network``: the service could not be reached (enough in a row stop the batch).
    ``stop``: not this item's failure but the whole batch's (a refused API key is wrong for
    every item): the item goes back untouched and the batch ends with this message.
    ``details``: what the attempt cost all the same (its web requests), for the run's totals.
    ``as_it_was``: nothing of the item changed, and the failure is not its own (an --enrich
    lookup whose service is unreachable): it goes back to the status it was claimed from, no
    attempt counted, its results standing, for a later run to try again.
    """

    def __init__(
        self,
        stage: str,
        message: str,
        *,
        network: bool = False,
        stop: bool = False,
        details: dict[str, Any] | None = None,
        as_it_was: bool = False,
    ):
        super().__init__(message)
        self.stage = stage
        self.message = message
        self.network = network
        self.stop = stop
        self.details = details or {}
        self.as_it_was = as_it_was


class NotTried(Exception):
    """The job gives its item back unbegun: this run found ``service`` unreachable already
    (``batch.offline``), and the item has nothing to do without it (an --enrich run's). It
    goes back as it was, counted as not tried, and the batch stops for the network: an
    item a worker holds would otherwise spend a failing lookup before three failures in a
    row were counted."""

    def __init__(self, service: str):
        super().__init__(f"{service} unreachable")
        self.service = service


def enrich_failed(stage: str, message: str, network: bool,
                  spent: dict[str, Any] | None = None) -> ItemFailure:  # fmt: skip
    """An --enrich lookup that failed before anything was written: not the item's failure,
    whose work is done. The service unreachable (``network``), or an answer that cannot be
    used (a 404, not the service's format): it stays completed as it was, its lookups left
    for a later --enrich (``as_it_was``), where an error would spend its attempts and, at the
    last, skip it, out of every count."""
    said = f"{message}; it stays completed, its lookups left"
    return ItemFailure(stage, said, network=network, details=spent, as_it_was=True)


def out_of_space(err: BaseException) -> ItemFailure | None:
    """The batch's failure a volume out of space is (``fs.write_errors.OutOfSpace``, or an
    ``OSError`` of a full disk or quota), where a job would make its error the item's: the
    batch stops in one line naming the volume, the item given back untouched, no attempt
    counted. None for any other error."""
    if isinstance(err, OutOfSpace):
        return ItemFailure(DISK, str(err), stop=True)
    if isinstance(err, OSError) and err.errno in FULL:
        return ItemFailure(DISK, describe(err), stop=True)
    return None


def failure_of(stage: str, err: OSError, message: str | None = None) -> Exception:
    """What a job raises for an OSError of its item's work: ``ItemFailure(stage, message)``
    (``message`` defaults to the error's words), but for a full disk or quota the error
    itself. That is the batch's failure, not the item's: every next item would meet it too,
    and the runner stops the batch naming the file and the full file system (``DiskFull``)."""
    if err.errno in FULL:
        return err
    lost = gone(err.filename) if isinstance(err.filename, str) else ""
    return ItemFailure(stage, lost or message or str(err))


def crash_message(err: BaseException) -> str:
    """A failure nobody worded (a bug: a job's own or a plugin's), said with its type and
    where it was raised, for the person who reports it."""
    import traceback  # here: a crash is rare, and every batch's start would pay for it

    where = traceback.extract_tb(err.__traceback__)[-1]
    return f"{type(err).__name__}: {err} (at {os.path.basename(where.filename)}:{where.lineno})"


class Job(Protocol):
    """One media kind's work on one queue item. Must be picklable when it may run in a worker
    process: with workers > 1, or alone for a local batch when it has ``ahead`` (the runner).

    A job may have ``ahead(item)``: run on a thread of the main process for each item handed to a
    worker while the worker is still busy with the one before, to ask the disk for what the
    item will read (``fs/readahead``); it must change nothing, and what it raises is passed
    over.

    A job may split ``process`` into ``plan(item)`` (everything decided, nothing written:
    whatever it returns), ``commit(plans)`` (the writes of several items' plans at once) and
    ``finish(plan) -> ItemResult``. A worker of an offline batch then runs the items waiting
    for it together: each planned, the plans committed at once (their writes share one
    journal entry and one round of flushes), then each finished; a failed plan is its item's
    failure alone, a failed commit each of its items'. Their results come back once all are
    finished, so a kill before that leaves them all to the next run, which must end where
    this one would have.

    A job may have ``warm()``: run in the main process just before its workers are forked,
    to load what each of them would otherwise load on its own at its first item (a report's
    template engine), which they then share. A job whose first item must start at once
    (verify's first check) leaves it out: it delays that item by what it loads."""

    def process(self, item: dict[str, Any]) -> ItemResult: ...
