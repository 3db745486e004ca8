"""The ``process_<kind>_batch`` command, built once and shared by every media kind: each
script is ``main = build_batch("<kind>")``.

What every batch has is here: the options (batch size, ``--<noun> NAME``, retry errors, dry
run, ``--offline`` and ``--enrich`` where the kind makes web lookups, library, checkpoints,
workers, -q/-v, --home) and the flow (settings, the items a batch takes, the queue created on
first use, the run with its progress, the closing lines, the exit code), over the library's
batch (``mediakeeper.runs.batch``). What differs is declared by the kind: its plan
(``<kind>/batch.py``: its job, its checks, a step after the batch, and the words of its
command: its options, its --help, its dry run's lines), loaded only when its command is
built.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import click

from mediakeeper.batch.plan import BatchPlan, Option
from mediakeeper.cli import batch_options as opts
from mediakeeper.cli.command import (
    Command,
    echo_json,
    home_option,
    lines_on_stderr,
    not_a_command,
)
from mediakeeper.cli.progress_line import ProgressHooks
from mediakeeper.cli.verbosity import VERBOSE, chosen_verbosity, verbosity_options
from mediakeeper.core import kinds
from mediakeeper.core.errors import UsageError
from mediakeeper.runs.batch import default_workers, open_home, prepare
from mediakeeper.system import collector

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def plan_of(record: kinds.Kind) -> BatchPlan:
    """The kind's plan, which says what its batch command adds (its --help, its options, its
    dry run); LookupError for a kind without a batch command of its own."""
    plan = record.batch_plan()
    if plan is None or not plan.help or plan.dry_run is None:
        raise LookupError(f"kind {record.name!r} has no batch command: its plan says none")
    return plan


def _own_options(plan: BatchPlan, *, lookup: bool) -> list[Decorator]:
    """The kind's own options (``batch.plan.Option``) as Click's: those of its lookups, or
    the others; each with its default from the plan's ``flags``."""
    return [_click_option(o, plan.flags[o.name]) for o in plan.options if o.lookup == lookup]


def _click_option(option: Option, default: Any) -> Decorator:
    if not option.value:
        return click.option(option.flag, is_flag=True, default=default, help=option.help)
    kind = click.Choice(option.choices) if option.choices else (
        click.Path(path_type=str) if option.value == "PATH" else None)  # fmt: skip
    return click.option(option.flag, type=kind, default=default, help=option.help)


def _options(record: kinds.Kind, plan: BatchPlan) -> list[Decorator]:
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
        *_own_options(plan, lookup=False),
    ]
    if plan.offline_help is not None:
        decorators += [opts.offline(plan.offline_help), opts.enrich(noun),
                       *_own_options(plan, lookup=True)]  # fmt: skip
    decorators += [
        opts.library(record.label),
        opts.checkpoint_every(noun),
        opts.workers(noun, default=default_workers(plan)),
    ]
    if plan.heavy is not None:
        decorators.append(opts.scheduler())
    decorators += [opts.as_json(), verbosity_options]
    return decorators


def build_batch(kind: str) -> click.Command:
    """The ``process_<kind>_batch`` command, worded from the kind's record (its noun: the
    ``--artist`` / ``--movie`` option) and its plan."""
    record = kinds.get(kind)
    plan = plan_of(record)

    def main(**params: Any) -> None:
        _run_batch(record, plan, params)

    for decorate in reversed(_options(record, plan)):
        main = decorate(main)
    return click.command(
        cls=Command,
        help=inspect.cleandoc(plan.help),
        context_settings={"help_option_names": ["-h", "--help"]},
    )(main)


def _run_batch(record: kinds.Kind, plan: BatchPlan, params: dict[str, Any]) -> None:
    """One invocation: the options parsed into the library's batch (``runs.batch``), every
    refusal made before anything is touched, then a dry run or the batch itself, drawn;
    with ``--json``, drawn on standard error, then its session printed as ``sessions show
    --json`` prints it (a dry run has no session: refused)."""
    as_json = params.pop("as_json")
    if as_json and params["dry_run"]:
        raise click.UsageError("--json prints a batch's session, which a --dry-run has none of")
    with lines_on_stderr(as_json):
        ran = _batch(record, plan, params)
    if ran is None:  # a dry run
        return
    status_dir, session_id, exit_code = ran
    if as_json:
        from mediakeeper.cli.sessions import session_document

        echo_json(session_document(status_dir, session_id))
    collector.exiting()  # every file is written and closed by now
    sys.exit(exit_code)


def _batch(record: kinds.Kind, plan: BatchPlan,
           params: dict[str, Any]) -> tuple[Path, str, int] | None:  # fmt: skip
    """The batch: its data home's status folder, its session and its exit code; or its dry
    run (None)."""
    noun = record.noun
    home, batch_size, item = params.pop("home"), params.pop("batch_size"), params.pop(noun)
    dry_run, asked_workers = params.pop("dry_run"), params.pop("workers")
    keys = opts.read_keys(params.pop("keys_from"))
    retry_errors = params["retry_errors"]
    hooks = ProgressHooks(noun)
    settings = open_home(home, record, params, hooks, dry_run=dry_run)
    say_old_ffmpeg = opts.note_old_ffmpeg(settings, record, dry_run=dry_run)
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
        for line in plan.dry_run(replace(batch.run, verbose=chosen_verbosity() == VERBOSE), items):
            click.echo(line)
        return None
    hooks.reports = _reports(settings.home, record)
    store = batch.open_queue(hooks)
    batch.select(store)
    session, report = opts.interruptible(hooks, partial(batch.run_items, store, hooks),
                                         after=lambda report: batch.close())  # fmt: skip
    waiting = opts.waiting_after(store, report)
    del store  # the queue's items, held by its store: not through the closing reports
    say_old_ffmpeg()
    exit_code = opts.finish(settings, record, session, report, online=batch.run.online,
                            retry_errors=retry_errors, waiting=waiting,
                            lookups=batch.plan.looks_up)  # fmt: skip
    return settings.status_dir, session.id, exit_code


def _reports(home: Path, record: kinds.Kind) -> Path | None:
    """The kind's issue reports folder, when it writes them."""
    return home / "issues" / record.name if record.report_template else None


if __name__ == "__main__":  # run by mistake: say which commands to run instead
    not_a_command(
        "the batch scripts' shared command", "process_music_batch.py", "process_movie_batch.py"
    )
