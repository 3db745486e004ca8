"""One batch of one kind, as every face starts it: ``run_batch``, the toolkit's composition
point. Its flow reads top to bottom in ``run_batch``; the steps are the engine's
(``mediakeeper.batch``) and the kind's plan's (``<kind>/batch.py``), the closing reports
the reports layer's. ``prepare`` does every refusal before anything is touched, so a face
can check a call (or show a dry run) without running it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mediakeeper.batch import selection
from mediakeeper.batch.alerts import AlertingHooks, AlertWatch
from mediakeeper.batch.job import Job
from mediakeeper.batch.plan import BatchPlan, Run, cluster_target, describe
from mediakeeper.batch.report import BatchReport
from mediakeeper.batch.runner import BatchOptions, Hooks
from mediakeeper.batch.runs import check_can_open, eligible_items, open_store
from mediakeeper.batch.runs import run_batch as run_engine
from mediakeeper.batch.workers import most_workers
from mediakeeper.core import kinds
from mediakeeper.core.config import Settings, load_settings
from mediakeeper.core.errors import UsageError
from mediakeeper.fs.sweep import recover_home
from mediakeeper.queue.items import ERROR, SKIPPED
from mediakeeper.queue.manager import empty_library_warning
from mediakeeper.queue.session_log import Session
from mediakeeper.queue.store import QueueStore
from mediakeeper.queue.survey import Survey
from mediakeeper.system.processes import usable_cores
from mediakeeper.text.visible import one_line
from mediakeeper.text.wording import count, queue_name


@dataclass(frozen=True)
class BatchResult:
    """What one batch did: its items by outcome, the decisions it leaves, its session, and
    the exit code the command line ends with (0 all well, 1 something needs you, 130
    interrupted)."""

    completed: int
    failed: int
    skipped: int
    decisions: int
    session: str
    interrupted: bool
    exit_code: int
    weekly_report: Path | None = None
    report: BatchReport = field(default_factory=BatchReport, repr=False, compare=False)


def run_batch(
    home: str | Path, kind: str | kinds.Kind, *, batch_size: int = 10,
    hooks: Hooks | None = None, **options: Any,
) -> BatchResult:  # fmt: skip
    """Run the next ``batch_size`` items of ``kind`` in the data home ``home``, as
    ``process_<kind>_batch.py`` does. ``options`` are named as the command line's flags
    (``offline=True``, ``retry_errors=True``, ``workers=1``, ``item="Artist A"``,
    ``keys=["Artist A"]``: just the items with these keys, a kind's
    own: ``no_fix=True``); an option that does not fit is a ``UsageError``, raised before
    anything is touched. ``hooks`` hear the progress and the lines a person would read."""
    hooks = hooks or Hooks()
    settings = open_home(home, kind, options, hooks)
    options.setdefault("args", as_flags(options))  # as its command line records them
    batch = prepare(settings, kind, batch_size=batch_size, **options)  # every refusal first
    store = batch.open_queue(hooks)  # survey: the queue, made from the library on first use
    batch.select(store)  # which items: pending, errors too, one by name, a session's rest
    session, report = batch.run_items(store, hooks)  # claim, the job's stages, record, checkpoint
    batch.close()  # the kind's closing step
    weekly = write_reports(settings.home)  # every index and this week's report
    return result_of(session, report, weekly)


# The options that choose which items a batch takes, or where: left out of the way its
# session is recorded to have run (``as_flags``, and the command line's ``recorded_args``,
# which leaves out its own spellings of them too), as a resume chooses its own items.
CHOOSING = frozenset({"library", "batch_size", "retry_errors", "dry_run", "resume", "keys",
                      "again", "item", "args", "ask_scheduler"})  # fmt: skip


def as_flags(options: dict[str, Any]) -> list[str]:
    """The options a batch run from a script says how it works with, as its command line's
    flags (``offline=True``: ``--offline``; ``workers=1``: ``--workers 1``; a kind's own
    ``no_fix=True``: ``--no-fix``), for its session's record: ``sessions.py resume`` runs
    the batch again with them (without them, the resume of an offline batch went online)."""
    args: list[str] = []
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if name in CHOOSING or value is None or value is False:
            continue
        if value is True:
            args.append(flag)
        else:
            args += [flag, os.path.abspath(value) if isinstance(value, Path) else str(value)]
    return args


def open_home(
    home: str | Path | None,
    kind: str | kinds.Kind,
    options: dict[str, Any],
    hooks: Hooks,
    *,
    dry_run: bool = False,
) -> Settings:
    """The run's settings (the options that override a setting of the kind's given as such),
    once what a killed run left in the home is finished (each thing told to ``hooks``); a
    ``dry_run`` does not name the home as one it writes (``fs.sweep.recover_home``)."""
    record = _record(kind)
    plan = _plan(record)
    overrides = {key: options.get(key) for key in ("library", "checkpoint_every",
                                                    *plan.setting_options)}  # fmt: skip
    settings = load_settings(home, {record.name: overrides,
                                    "cluster": {"scheduler": options.get("scheduler")}})
    for line in recover_home(settings.status_dir, writes=not dry_run):
        hooks.note(line, warning=True)
    return settings


@dataclass
class Batch:
    """A batch prepared and checked: its settings, the kind's plan, the run as the plan sees
    it, the job's maker, and what the runner takes."""

    record: kinds.Kind
    plan: BatchPlan
    run: Run
    make_job: Any  # (session id) -> Job
    options: BatchOptions
    enrich: bool
    item: str | None = None
    resume: str | None = None
    args: list[str] = field(default_factory=list)  # how it was started, for a resume
    refused: list[str] = field(default_factory=list)  # a cluster's workers refused, one line each
    again: bool = False  # its keys' items taken whatever their status (``prepare``)

    @property
    def settings(self) -> Settings:
        return self.run.settings

    @property
    def overwrite(self) -> bool | None:
        """The batch's --overwrite; None for a kind that places no output of its own (a
        movie done again keeps the files there without it, and fails on none)."""
        return self.run.flags["overwrite"] if self.plan.places else None

    def holds_output(self, item: dict[str, Any]) -> bool:
        """Whether this run's places hold the item's earlier output (``only_item``). Asked
        before any session opens: its places are the job's settings, no session's."""
        return self.make_job("").holds_earlier_output(item)

    def eligible(self) -> list[dict[str, Any]]:
        """The items a real run would take, read without writing anything (a dry run's)."""
        if self.item and not self.resume:
            selection.only_item(self.settings, self.record.name, self.options, self.item,
                                dry_run=True, overwrite=self.overwrite,
                                holds_output=self.holds_output)  # fmt: skip
        if self.enrich:
            store = QueueStore(self.settings.status_dir / self.record.name, self.record.name)
            selection.enrich_only(store, self.options)
        return eligible_items(self.settings, self.record.name, self.options)

    def open_queue(self, hooks: Hooks) -> QueueStore:
        """The kind's queue, created from the library on first use (and said so)."""
        store, created = open_store(self.settings, self.record.name, create=True)
        if created is not None:
            for line, warning in created_lines(self.settings, self.record, store, created):
                hooks.note(line, warning=warning)
        return store

    def select(self, store: QueueStore) -> None:
        """What the runner takes beyond the next pending items: the one item asked for by
        name (whatever its status), the items of ``keys`` (``again``: whatever their
        status), or for ``enrich`` the items whose lookups wait."""
        named = bool(self.item) and not self.resume
        if named:
            selection.only_item(self.settings, self.record.name, self.options, self.item,
                                dry_run=False, overwrite=self.overwrite,
                                holds_output=self.holds_output)  # fmt: skip
        # Its items taken whatever their status: the one named, or every key's (``again``).
        selection.narrow(store, self.options, enrich=self.enrich, named=named or self.again)

    def run_items(self, store: QueueStore, hooks: Hooks) -> tuple[Session, BatchReport]:
        """The kind's check before any item is claimed, then the items claimed, run through
        the job's stages, recorded and checkpointed. Stopped by a signal, it returns with
        ``report.interrupted``."""
        if self.plan.before_claims and self.run.online:
            self.plan.before_claims(self.settings)
        for line in self.refused:
            hooks.note(line, warning=True)
        watched = AlertingHooks(hooks, self.alert_watch())  # failure streaks alert
        try:
            session, report = run_engine(
                store, lambda session: self.make_job(session.id), self.options, watched,
                description=describe(self.options.size, **self.plan.describe(self.run)),
                args=self.args,
            )  # fmt: skip
        finally:
            watched.finish()
        return session, report

    def alert_watch(self) -> AlertWatch:
        """The watch over this batch's failure streaks, as ``[alerts]`` says."""
        get = self.settings.get
        return AlertWatch(self.settings.home, self.record.name, get("alerts", "threshold"),
                          get("alerts", "webhook_url"), get("alerts", "apprise"))  # fmt: skip

    def close(self) -> None:
        """The kind's closing step once the items are done (music: tracks.csv)."""
        if self.plan.after:
            self.plan.after(self.settings)


def created_lines(
    settings: Settings, record: kinds.Kind, store: QueueStore, created: Survey
) -> list[tuple[str, bool]]:
    """What a queue made from the library on first use is said with: the queue and its
    count, the survey's lines, a warning (True) for a library without any item folder."""
    noun = record.noun
    lines = [(f"Created the {queue_name(record.name)} with {count(created.queued, noun)}: "
              f"{one_line(str(store.path))}", False)]  # fmt: skip
    lines += created.lines(noun)
    if not created.queued:
        library = settings.library(record.name).expanduser().resolve()
        lines.append((f"Warning: {empty_library_warning(store, library)}", True))
    return lines


def prepare(
    settings: Settings,
    kind: str | kinds.Kind,
    *,
    batch_size: int = 10,
    item: str | None = None,
    resume: str | None = None,
    keys: list[str] | None = None,
    again: bool = False,
    retry_errors: bool = False,
    offline: bool = False,
    enrich: bool = False,
    workers: int | None = None,
    dry_run: bool = False,
    args: list[str] | None = None,
    library: Any = None,
    checkpoint_every: Any = None,
    scheduler: Any = None,
    ask_scheduler: bool | None = None,
    **flags: Any,
) -> Batch:
    """Check a batch's options against each other, the settings and the kind's plan, and
    build its job: every refusal a ``UsageError`` or ``ConfigError``, before anything is
    touched. ``library``, ``checkpoint_every`` and ``scheduler`` were read into ``settings``
    already. A kind whose heavy step goes to a cluster has its scheduler reached and its
    workers judged here (a real run; ``ask_scheduler=False``: its settings only, as a dry
    run's, for ``schedule``, whose batches run when the scheduler is up or not). ``again``:
    with ``keys``, each of their items taken whatever its status, a completed or skipped one
    back to pending first (a scrub verifies its albums again; ``--keys-from`` takes each
    only as its status stands)."""
    del library, checkpoint_every, scheduler  # in the settings (open_home)
    record = _record(kind)
    plan = _plan(record)
    if batch_size < 1:
        raise UsageError(f"batch_size must be at least 1, not {batch_size}")
    own = plan.own_flags(flags)
    check_can_open(settings, record.name)  # a library typed wrong first: it costs two stats
    online = _online(settings, record, plan, own, offline=offline, enrich=enrich,
                     dry_run=dry_run)  # fmt: skip
    fitted = max(1, min(workers or default_workers(plan), batch_size, most_workers()))
    options = selection.runner_options(
        settings, record.name, batch_size=batch_size, retry_errors=retry_errors,
        workers=fitted, online=online,
    )  # fmt: skip
    if resume:  # what a session left: read now, so a refused one touches nothing
        if item:
            raise UsageError(f"give --resume or --{record.noun}, not both")
        selection.resume_only(settings, record.name, options, resume)
    if keys is not None:  # what ``watch --run`` queued: by key, never the oldest pending
        if item or resume:
            raise UsageError(f"give --keys-from, --{record.noun} or --resume, one of them")
        selection.keys_only(settings, record.name, options, keys)
    elif again:
        raise UsageError("again= takes the items of keys= again: give keys too")
    # The cluster last: the refusals above cost nothing, reaching a scheduler seconds.
    asked = not dry_run if ask_scheduler is None else ask_scheduler
    target, refused = cluster_target(settings, record.name, plan.heavy, dry_run=not asked)
    run = Run(settings, own, online=online, enrich=enrich, workers=fitted, dry_run=dry_run,
              cluster=target)  # fmt: skip
    make_job = plan.jobs(run)
    return Batch(record, plan, run, make_job, options, enrich, item, resume, list(args or []),
                 refused, again)  # fmt: skip


def default_workers(plan: BatchPlan) -> int:
    """The kind's default number of workers: its own, or two where there are two cores."""
    return plan.workers or min(2, usable_cores())


def write_reports(home: Path) -> Path:
    """Every kind's issue index and this week's report, rewritten after a batch."""
    # Imported here: the reports bring jinja2 and the tag tables, which a batch needs only
    # once its items are done.
    from mediakeeper.reports.closing import write_closing_reports

    return write_closing_reports(home, datetime.now(UTC))


def result_of(session: Session, report: BatchReport, weekly: Path | None) -> BatchResult:
    return BatchResult(
        completed=report.count("completed"),
        failed=report.count(ERROR),
        skipped=report.count(SKIPPED),
        decisions=report.decisions,
        session=session.id,
        interrupted=report.interrupted,
        exit_code=report.exit_code,
        weekly_report=weekly,
        report=report,
    )


def _online(settings: Settings, record: kinds.Kind, plan: BatchPlan, flags: dict[str, Any], *,
            offline: bool, enrich: bool, dry_run: bool) -> bool:  # fmt: skip
    """Whether the run may look things up (not offline, and the kind's ``lookups`` setting
    where it has one), once every option that needs the network has been refused without
    it and what a real run with lookups needs (a key) is there."""
    if not plan.looks_up:
        if offline or enrich:
            raise UsageError(f"the {record.name} kind makes no web lookups: "
                             "offline and enrich do not apply")  # fmt: skip
        return False
    online = not offline and (
        settings.get(record.name, "lookups") if "lookups" in record.setting_defaults() else True
    )
    if enrich and not online:
        raise UsageError(f"--enrich looks {record.noun}s up: it cannot run offline")
    for flag, why in plan.needs_network.items():
        if flags.get(flag) and not online:
            raise UsageError(f"--{flag.replace('_', '-')} {why}")
    if plan.requires and online and not dry_run:  # a dry run asks nothing: needs nothing
        needs_network = enrich or any(flags.get(flag) for flag in plan.needs_network)
        plan.requires(settings, offline_fits=not needs_network)  # stop before anything
    return online


def _record(kind: str | kinds.Kind) -> kinds.Kind:
    return kinds.get(kind) if isinstance(kind, str) else kind


def _plan(record: kinds.Kind) -> BatchPlan:
    plan = record.batch_plan()
    if plan is None:
        raise UsageError(f"the {record.name} kind has no batch of its own")
    return plan


__all__ = ["BatchResult", "Job", "prepare", "run_batch"]
