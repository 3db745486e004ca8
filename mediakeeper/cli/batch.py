"""The ``process_<kind>_batch`` command, built once and shared by every media kind: each
script is ``main = build_batch("<kind>")``.

What every batch has is here: the options (batch size, ``--<noun> NAME``, retry errors, dry
run, ``--offline`` and ``--enrich`` where the kind makes web lookups, library, checkpoints,
workers, -q/-v, --home) and the flow (settings, the items a batch takes, the queue created on
first use, the run with its progress, the closing lines, the exit code). What differs is
declared by the kind in a ``BatchSpec`` (its own options, its job, its dry run, a step after
the batch), ``BATCH`` in its package's ``cli.py``, loaded only when its command is built.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from mediakeeper.batch import selection
from mediakeeper.batch.job import Job
from mediakeeper.batch.runner import BatchOptions
from mediakeeper.batch.runs import eligible_items
from mediakeeper.cli import batch_options as opts
from mediakeeper.cli.command import Command, home_option, kind_part, not_a_command, settings_for
from mediakeeper.cli.progress_line import ProgressHooks, verbosity_options
from mediakeeper.core import kinds
from mediakeeper.core.config import Settings
from mediakeeper.core.errors import ConfigError, MediakeeperError
from mediakeeper.queue.store import QueueStore
from mediakeeper.text.wording import count

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


@dataclass(frozen=True)
class Run:
    """One invocation, as the kind's hooks see it. ``flags``: the kind's own options, by
    parameter name (``no_fix``); ``online``: web lookups allowed (not ``--offline``, and the
    kind's ``lookups`` setting where it has one)."""

    settings: Settings
    flags: Mapping[str, Any]
    online: bool
    enrich: bool
    workers: int


@dataclass(frozen=True)
class BatchSpec:
    """What a kind's batch command adds to the common one.

    ``jobs(run)`` returns the job of a session (a function of its id); it is called before
    any item is chosen, so it may refuse the options (a ``ConfigError`` is a usage error).
    ``dry_run(run, items)`` prints the preview of the items a real run would take.
    ``describe(run)`` names the run's choices for the session log, in order
    (``{"offline": True}`` -> "offline").
    """

    help: str  # the command's --help text
    jobs: Callable[[Run], Callable[[str], Job]]
    dry_run: Callable[[Run, list[dict[str, Any]]], None]
    describe: Callable[[Run], Mapping[str, bool]]
    # The kind's own options, placed after --dry-run (``click.option(...)`` decorators).
    options: tuple[Decorator, ...] = ()
    # A kind that makes web lookups: the --offline help. It gets --offline and --enrich, and
    # ``lookup_options`` after them. None: neither (a run is then never offline).
    offline_help: str | None = None
    lookup_options: tuple[Decorator, ...] = ()
    # Options (parameter names) that need the network: refused with --offline, saying why.
    needs_network: Mapping[str, str] = field(default_factory=dict)
    # Options that override the [<kind>] setting of the same name (library and
    # checkpoint_every always do).
    setting_options: tuple[str, ...] = ()
    workers: int | None = None  # --workers default; None: two where there are two cores
    # A real run with lookups: what it needs before anything is touched (a key), and what it
    # checks once the queue is open, before any item is claimed (the service's settings).
    requires: Callable[[Settings], None] | None = None
    before_claims: Callable[[Settings], None] | None = None
    after: Callable[[Settings], None] | None = None  # once the batch has ended (closing files)


def previewing(
    jobs: Callable[[Run], Callable[[str], Job]],
    preview: Callable[[Any, dict[str, Any]], list[str]],
    noun: str,
) -> Callable[[Run, list[dict[str, Any]]], None]:
    """The dry run of a kind whose job previews an item as lines (its stages, the ffmpeg
    commands): each item's lines, or why a real run would fail it, then a closing line."""

    def dry_run(run: Run, items: list[dict[str, Any]]) -> None:
        job = jobs(run)("dry-run")
        for item in items:
            try:
                lines = preview(job, item)
            except (MediakeeperError, OSError) as err:  # a real run marks this item error
                click.echo(f"{item['name']}: would fail: {err}")
                continue
            for line in lines:
                click.echo(line)
        click.echo(f"dry run: {count(len(items), noun)}; nothing was written")

    return dry_run


def spec_of(record: kinds.Kind) -> BatchSpec:
    part = kind_part(record)
    if part is None or not isinstance(getattr(part, "BATCH", None), BatchSpec):
        raise LookupError(f"kind {record.name!r} has no BATCH in its package's cli.py")
    return part.BATCH


def _options(record: kinds.Kind, spec: BatchSpec) -> list[Decorator]:
    """The batch command's options in --help order, the first listed outermost (as stacked
    decorators): every kind's, the kind's own after --dry-run, the lookup ones if it looks up."""
    noun = record.noun
    decorators: list[Decorator] = [
        home_option,
        opts.batch_size(noun),
        opts.item(noun),
        opts.resume(),
        opts.retry_errors(noun),
        opts.dry_run(),
        *spec.options,
    ]
    if spec.offline_help is not None:
        decorators += [opts.offline(spec.offline_help), opts.enrich(noun), *spec.lookup_options]
    decorators += [
        opts.library(record.label),
        opts.checkpoint_every(noun),
        opts.workers(noun, default=spec.workers),
        verbosity_options,
    ]
    return decorators


def build_batch(kind: str) -> click.Command:
    """The ``process_<kind>_batch`` command, worded from the kind's record (its noun: the
    ``--artist`` / ``--movie`` option) and its ``BatchSpec``."""
    record = kinds.get(kind)
    spec = spec_of(record)

    def main(**params: Any) -> None:
        _run_batch(kind, record, spec, params)

    for decorate in reversed(_options(record, spec)):
        main = decorate(main)
    return click.command(
        cls=Command,
        help=inspect.cleandoc(spec.help),
        context_settings={"help_option_names": ["-h", "--help"]},
    )(main)


def _run_batch(kind: str, record: kinds.Kind, spec: BatchSpec, params: dict[str, Any]) -> None:
    """One invocation, in the order that keeps a refused one harmless: the options every batch
    has are taken out of ``params`` (what remains is the kind's own, ``Run.flags``), the
    settings read and every refusal made before the kind's job is built, the item or session
    asked for checked, then a dry run or the run itself."""
    noun = record.noun
    home, batch_size, name = params.pop("home"), params.pop("batch_size"), params.pop(noun)
    retry_errors, dry_run = params.pop("retry_errors"), params.pop("dry_run")
    resume = params.pop("resume")
    offline, enrich = params.pop("offline", False), params.pop("enrich", False)
    library, checkpoint_every = params.pop("library"), params.pop("checkpoint_every")
    asked_workers = params.pop("workers")
    overrides = {"library": library, "checkpoint_every": checkpoint_every}
    overrides.update({key: params[key] for key in spec.setting_options})
    settings = settings_for(home, **{kind: overrides})
    say_old_ffmpeg = opts.note_old_ffmpeg(settings, record)
    online = _online(kind, record, spec, settings, params, offline, enrich, dry_run)
    workers = opts.fitted_workers(asked_workers, batch_size, noun)
    run = Run(settings, params, online=online, enrich=enrich, workers=workers)
    try:
        make_job = spec.jobs(run)
    except ConfigError as err:  # a setting the kind's options give (no output folder)
        raise click.UsageError(str(err)) from None
    options = selection.runner_options(
        settings,
        kind,
        batch_size=batch_size,
        retry_errors=retry_errors,
        workers=workers,
        online=online,
    )
    if resume:  # what `sessions.py resume` runs
        opts.resume_only(settings, record, options, resume, name)
    elif name:
        opts.only_item(settings, record, options, name, dry_run)
    if dry_run:
        if enrich:  # the same items the batch would take, read without writing
            selection.enrich_only(QueueStore(settings.status_dir / kind, kind), options)
        say_old_ffmpeg()
        return spec.dry_run(run, eligible_items(settings, kind, options))
    _run_for_real(record, spec, run, make_job, options, retry_errors, say_old_ffmpeg)


def _online(
    kind: str,
    record: kinds.Kind,
    spec: BatchSpec,
    settings: Settings,
    params: Mapping[str, Any],
    offline: bool,
    enrich: bool,
    dry_run: bool,
) -> bool:
    """Whether the run may look things up (not ``--offline``, and the kind's ``lookups``
    setting where it has one), once every option that needs the network has been refused
    without it and what a real run with lookups needs (a key) is there: all of it before
    anything is touched, so a refused run leaves the home as it was."""
    online = not offline and (
        settings.get(kind, "lookups") if "lookups" in record.setting_defaults() else True
    )
    noun = record.noun
    opts.refuse_offline(enrich, online, "--enrich", f"looks {noun}s up: it cannot run offline")
    for flag, why in spec.needs_network.items():
        opts.refuse_offline(params[flag], online, f"--{flag.replace('_', '-')}", why)
    if spec.requires and online and not dry_run:  # a dry run asks nothing: needs nothing
        spec.requires(settings)  # stop here, before anything is touched
    return online


def _run_for_real(
    record: kinds.Kind,
    spec: BatchSpec,
    run: Run,
    make_job: Callable[[str], Job],
    options: BatchOptions,
    retry_errors: bool,
    say_old_ffmpeg: Callable[[], None],
) -> None:
    """The batch itself, apart from the choosing above so that a dry run never reaches it:
    the queue opened (created on first use), the kind's check before any item is claimed,
    the items run with their progress, then the closing lines (the old ffmpeg's first) and
    the exit code."""
    settings, noun = run.settings, record.noun
    store = opts.prepare_store(settings, record, options, enrich=run.enrich)
    if spec.before_claims and run.online:
        spec.before_claims(settings)
    session, report = opts.run_with_progress(
        store,
        lambda session: make_job(session.id),
        options,
        ProgressHooks(noun, reports=_reports(settings.home, record)),
        noun=noun,
        description=opts.describe(options.size, **spec.describe(run)),
        after=(lambda report: spec.after(settings)) if spec.after else None,
    )
    del store  # the queue's items, held by its store: not through the closing reports
    say_old_ffmpeg()
    opts.finish(settings, record, session, report, online=run.online, retry_errors=retry_errors,
                lookups=spec.offline_help is not None)  # fmt: skip


def _reports(home: Path, record: kinds.Kind) -> Path | None:
    """The kind's issue reports folder, when it writes them."""
    return home / "issues" / record.name if record.report_template else None


if __name__ == "__main__":  # run by mistake: say which commands to run instead
    not_a_command(
        "the batch scripts' shared command", "process_music_batch.py", "process_movie_batch.py"
    )
