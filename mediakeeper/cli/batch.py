"""The ``process_<kind>_batch`` command, built once and shared by every media kind: each
script is ``main = build_batch("<kind>")``.

What every batch has is here: the options (batch size, ``--<noun> NAME``, retry errors, dry
run, ``--offline`` and ``--enrich`` where the kind makes web lookups, library, checkpoints,
workers, -q/-v, --home) and the flow (settings, the items a batch takes, the queue created on
first use, the run with its progress, the closing lines, the exit code), over the library's
batch (``mediakeeper.runs.batch``). What differs is declared by the kind: its plan
(``<kind>/batch.py``: its job, its checks, a step after the batch) and a ``BatchSpec``
(``BATCH`` in its package's ``cli.py``: its options, its --help, its dry run's lines),
loaded only when its command is built.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import click

from mediakeeper.batch.job import Job
from mediakeeper.batch.plan import Run
from mediakeeper.cli import batch_options as opts
from mediakeeper.cli.command import Command, home_option, kind_part, not_a_command
from mediakeeper.cli.progress_line import ProgressHooks, verbosity_options
from mediakeeper.core import kinds
from mediakeeper.core.errors import MediakeeperError, UsageError
from mediakeeper.runs.batch import default_workers, open_home, prepare
from mediakeeper.text.wording import count

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


@dataclass(frozen=True)
class BatchSpec:
    """What a kind's batch command adds to the common one; the batch itself is the kind's
    plan (``<kind>/batch.py``, run by ``mediakeeper.runs.batch``).

    ``dry_run(run, items)`` prints the preview of the items a real run would take.
    """

    help: str  # the command's --help text
    dry_run: Callable[[Run, list[dict[str, Any]]], None]
    # The kind's own options, placed after --dry-run (``click.option(...)`` decorators).
    options: tuple[Decorator, ...] = ()
    # A kind that makes web lookups: the --offline help. It gets --offline and --enrich, and
    # ``lookup_options`` after them. None: neither (a run is then never offline).
    offline_help: str | None = None
    lookup_options: tuple[Decorator, ...] = ()


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
        raise LookupError(f"kind {record.name!r} has no BATCH in mediakeeper/cli/kinds/")
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
        opts.keys_from(),
        opts.retry_errors(noun),
        opts.dry_run(),
        *spec.options,
    ]
    if spec.offline_help is not None:
        decorators += [opts.offline(spec.offline_help), opts.enrich(noun), *spec.lookup_options]
    decorators += [
        opts.library(record.label),
        opts.checkpoint_every(noun),
        opts.workers(noun, default=default_workers(record.batch_plan())),
    ]
    if record.batch_plan().heavy is not None:
        decorators.append(opts.scheduler())
    decorators += [verbosity_options]
    return decorators


def build_batch(kind: str) -> click.Command:
    """The ``process_<kind>_batch`` command, worded from the kind's record (its noun: the
    ``--artist`` / ``--movie`` option) and its ``BatchSpec``."""
    record = kinds.get(kind)
    spec = spec_of(record)

    def main(**params: Any) -> None:
        _run_batch(record, spec, params)

    for decorate in reversed(_options(record, spec)):
        main = decorate(main)
    return click.command(
        cls=Command,
        help=inspect.cleandoc(spec.help),
        context_settings={"help_option_names": ["-h", "--help"]},
    )(main)


def _run_batch(record: kinds.Kind, spec: BatchSpec, params: dict[str, Any]) -> None:
    """One invocation: the options parsed into the library's batch (``runs.batch``), every
    refusal made before anything is touched, then a dry run or the batch itself, drawn."""
    noun = record.noun
    home, batch_size, item = params.pop("home"), params.pop("batch_size"), params.pop(noun)
    dry_run, asked_workers = params.pop("dry_run"), params.pop("workers")
    keys = opts.read_keys(params.pop("keys_from"))
    retry_errors = params["retry_errors"]
    hooks = ProgressHooks(noun)
    settings = open_home(home, record, params, hooks)
    say_old_ffmpeg = opts.note_old_ffmpeg(settings, record)
    workers = opts.fitted_workers(asked_workers, batch_size, noun)
    try:
        batch = prepare(settings, record, batch_size=batch_size, item=item, keys=keys,
                        dry_run=dry_run, workers=workers, args=opts.recorded_args(noun),
                        **params)  # fmt: skip
    except UsageError as err:  # options that do not go together: with the usage line
        raise click.UsageError(str(err)) from None
    if dry_run:
        items = batch.eligible()
        say_old_ffmpeg()
        return spec.dry_run(batch.run, items)
    hooks.reports = _reports(settings.home, record)
    store = batch.open_queue(hooks)
    batch.select(store)
    session, report = opts.interruptible(hooks, partial(batch.run_items, store, hooks),
                                         after=lambda report: batch.close())  # fmt: skip
    del store  # the queue's items, held by its store: not through the closing reports
    say_old_ffmpeg()
    opts.finish(settings, record, session, report, online=batch.run.online,
                retry_errors=retry_errors,
                lookups=batch.plan.looks_up)  # fmt: skip


def _reports(home: Path, record: kinds.Kind) -> Path | None:
    """The kind's issue reports folder, when it writes them."""
    return home / "issues" / record.name if record.report_template else None


if __name__ == "__main__":  # run by mistake: say which commands to run instead
    not_a_command(
        "the batch scripts' shared command", "process_music_batch.py", "process_movie_batch.py"
    )
