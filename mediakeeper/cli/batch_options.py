"""What every ``process_<kind>_batch`` shares: its Click options and the command-line steps
around a batch (the queue created and said so, a progress bar, the closing lines). Which
items a batch takes is the library's policy: ``mediakeeper.batch.selection``. The command itself
is assembled from these by ``mediakeeper.cli.batch.build_batch``.

The options are decorator factories that take the item's noun (``artist``, ``movie``), so
each kind's ``--help`` is worded for its own items (``item("movie")`` is ``--movie NAME``).
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import sys
from collections.abc import Callable, Mapping
from typing import Any

import click
from click.core import ParameterSource

from mediakeeper.batch import selection
from mediakeeper.batch.job import Job
from mediakeeper.batch.runner import BatchOptions, BatchReport, Interrupted
from mediakeeper.batch.runs import open_store, run_batch
from mediakeeper.batch.workers import MOST, PER_CPU, most_workers
from mediakeeper.cli.command import NAMED
from mediakeeper.cli.progress_line import ProgressHooks, render_summary, say
from mediakeeper.cli.verbosity import QUIET, VERBOSE, chosen_verbosity
from mediakeeper.core.config import Settings
from mediakeeper.core.kinds import Kind
from mediakeeper.queue.items import ERROR, GONE, SKIPPED, waiting_names
from mediakeeper.queue.manager import refresh_queue
from mediakeeper.queue.session_log import Session
from mediakeeper.queue.store import QueueStore
from mediakeeper.runs.batch import CHOOSING, created_lines, write_reports
from mediakeeper.system.interrupts import EXIT_INTERRUPTED, exit_now
from mediakeeper.system.processes import usable_cores
from mediakeeper.text.commands import (
    kind_argv,
    kind_command,
    queue_manager,
    resume_command,
    tool_command,
    waiting_hints,
)
from mediakeeper.text.visible import one_line, shell_join
from mediakeeper.text.wording import count, first_few

# ---- options --------------------------------------------------------------------------------


def batch_size(noun: str):
    return click.option(
        "--batch-size",
        type=click.IntRange(min=1),
        default=10,
        show_default=True,
        help=f"How many {noun}s to process in this run.",
    )


def item(noun: str):
    """``--<noun> NAME``: just this item, whatever its status (the value arrives as ``noun``)."""
    return click.option(
        f"--{noun}",
        type=NAMED,
        metavar="NAME",
        help=f"Process just this {noun} (case and accents aside, or a unique start).",
    )


def resume():
    """``--resume SESSION_ID``: what ``sessions.py resume`` runs."""
    return click.option(
        "--resume",
        type=NAMED,
        metavar="SESSION_ID",
        help="Take just what that session left unfinished when it was interrupted or killed "
        "(`mediakeeper sessions list` shows the sessions).",
    )


def keys_from():
    """``--keys-from FILE``: the items by key, as ``watch --run`` hands over what it queued."""
    return click.option(
        "--keys-from",
        type=click.File("r", encoding="utf-8"),
        metavar="FILE",
        help="Take just the items whose keys FILE lists (a JSON list; - reads it from "
        "standard input): what `mediakeeper watch --run` hands over.",
    )


def read_keys(given) -> list[str] | None:
    """The keys ``--keys-from`` names, or None when it was not given; a file that is not a
    JSON list of texts is a usage error."""
    if given is None:
        return None
    try:
        keys = json.loads(given.read())
    except (ValueError, UnicodeDecodeError) as err:
        raise click.UsageError(f"--keys-from {given.name}: not JSON ({err})") from None
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise click.UsageError(f"--keys-from {given.name}: not a list of item keys (a JSON "
                               'list of texts, each an item\'s "key" as the queue\'s list '
                               "--json gives it)")  # fmt: skip
    if not keys:
        raise click.UsageError(f"--keys-from {given.name}: the list is empty: name one item's "
                               "key at least")  # fmt: skip
    return keys


def retry_errors(noun: str):
    return click.option(
        "--retry-errors", is_flag=True, help=f"Also take {noun}s whose last run failed."
    )


def dry_run():
    return click.option(
        "--dry-run",
        is_flag=True,
        help="Show what would change; write nothing at all, not even the queue.",
    )


def as_json():
    return click.option(
        "--json", "as_json", is_flag=True,
        help="Once the batch has ended, print its session as one JSON document (as `sessions "
        "show ID --json`); the other lines go to standard error.",
    )  # fmt: skip


def offline(help: str):
    return click.option("--offline", is_flag=True, help=help)


def enrich(noun: str):
    return click.option(
        "--enrich", is_flag=True, help=f"Look up completed {noun}s that were processed offline."
    )


def library(label: str):
    """``label``: how the library is called in ``--help`` ("Music", "Movie")."""
    return click.option(
        "--library",
        type=click.Path(path_type=str),
        help=f"{label} library folder; creates the queue on first use.",
    )


def checkpoint_every(noun: str):
    return click.option(
        "--checkpoint-every",
        type=click.IntRange(min=1),
        help=f"Completed {noun}s between checkpoints (default from settings: 50).",
    )


def workers(noun: str, default: int | None = None):
    """``default``: None = two processes where there are two cores."""
    return click.option(
        "--workers",
        type=click.IntRange(min=1),
        default=default or min(2, usable_cores()),
        show_default=True,
        help=f"{noun.capitalize()}s processed at once (one process each).",
    )


def scheduler():
    """A kind whose heavy steps a Dask cluster may take (its plan's ``heavy``)."""
    return click.option(
        "--scheduler",
        metavar="ADDRESS",
        help="Send the heavy steps (encodes) to the workers of the Dask scheduler at ADDRESS "
        "(tcp://HOST:8786, or tls://; overrides [cluster] scheduler). The library's bytes "
        "travel; the workers need no shared folder. Needs pip install 'mediakeeper[cluster]'.",
    )


# ---- the steps around a batch ---------------------------------------------------------------


def fitted_workers(asked: int, batch_size: int, noun: str) -> int:
    """``--workers`` within the batch size and ``most_workers()`` (the batch itself starts
    no more than it has items). A number given on the command line that is lowered is said so
    in one line; the default always fits."""
    fitted = min(asked, batch_size, most_workers())
    context = click.get_current_context(silent=True)
    given = context is not None and (
        context.get_parameter_source("workers") is ParameterSource.COMMANDLINE
    )
    if fitted < asked and given:
        why = (
            f"the batch takes at most {count(batch_size, noun)}"
            if fitted == batch_size
            else f"at most {PER_CPU} per CPU and {MOST} in all"
        )
        click.echo(f"--workers {asked} lowered to {fitted}: {why}", err=True)
    return fitted


# The command line's own options that choose which items a batch takes, or where, and how
# its result is printed (``--json``), beside the library's (``runs.batch.CHOOSING``): left out
# of the way a session is recorded to have run, as a resume chooses its own items and is read
# by a person.
COMMAND_CHOOSING = CHOOSING | {"home", "resume_session", "keys_from", "as_json"}


def _as_given(param: click.Option, value: Any) -> str:
    return os.path.abspath(value) if isinstance(param.type, click.Path) else str(value)


def recorded_args(noun: str) -> list[str]:
    """The options given on this batch's command line that say how it works (--offline,
    --no-fix, --workers 1, -v), for its session's record: ``sessions.py resume`` runs the
    batch again with them."""
    context = click.get_current_context(silent=True)
    if context is None:
        return []
    args: list[str] = []
    for param in context.command.params:
        if param.name in COMMAND_CHOOSING | {noun} or not isinstance(param, click.Option):
            continue
        if context.get_parameter_source(param.name) is not ParameterSource.COMMANDLINE:
            continue
        value = context.params.get(param.name)
        if not param.expose_value:  # -q / -v keep their choice on the context
            value = {"quiet": QUIET, "verbose": VERBOSE}.get(param.name) == chosen_verbosity()
        if param.is_flag:
            if value:
                args.append(param.opts[-1])
            elif value is False and param.secondary_opts:
                args.append(param.secondary_opts[-1])
        elif value is not None:  # a folder absolute: a resume or a hint runs from anywhere
            args += [param.opts[-1], _as_given(param, value)]
    return args


def prepare_store(
    settings: Settings, record: Kind, options: BatchOptions, *, enrich: bool, refresh: bool
) -> QueueStore:
    """The kind's queue (created, and said so, on first use; ``refresh``: else refreshed, and
    what changed said), with ``options`` narrowed for ``--enrich`` (``selection.narrow``: a
    pipeline's run, its one caller, names no item)."""
    store = open_created(settings, record, refresh=refresh)
    selection.narrow(store, options, enrich=enrich)
    return store


def open_created(settings: Settings, record: Kind, *, refresh: bool = False) -> QueueStore:
    """The kind's queue, created from the library on first use, and said so; ``refresh``:
    one that exists refreshed as ``queue --refresh`` does (new folders added, vanished ones
    marked, changed completed ones pending), said only when it changed something."""
    store, created = open_store(settings, record.name, create=True)
    if created is not None:
        for line, warning in created_lines(settings, record, store, created):
            click.echo(line, err=warning)
    elif refresh:
        found = refresh_queue(store, settings.library(record.name),
                              settings.origin(record.name, "library"))  # fmt: skip
        if found.changed_any:
            for line, warning in found.lines(record.noun):
                click.echo(line, err=warning)
    return store


def waiting_after(store: QueueStore, report: BatchReport) -> dict[str, list[str]]:
    """The queue's failed and skipped items, read only after a batch that took none (what
    its "Nothing to do" names): none otherwise."""
    if report.noted or report.interrupted:
        return {}
    return waiting_names(store.peek()["items"])


def exit_on_signals_if_interrupted(report: BatchReport) -> None:
    """After an interrupted batch (whose signal handlers are gone), one more Ctrl+C or SIGTERM
    while the closing files are written still means "interrupted, stop now" (exit 130), not
    Click's "Aborted!" (exit 1). Every write after a batch is atomic."""
    if report.interrupted:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda signum, frame: exit_now())
        # As Python shuts down it gives signals back their default action: one more then
        # would end the process as killed by it (-2), not with 130. Everything is written.
        atexit.register(_ignore_signals)


def _ignore_signals() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)


def run_with_progress(
    store: QueueStore,
    make_job: Callable[[Session], Job],
    options: BatchOptions,
    hooks: ProgressHooks,
    *,
    noun: str,
    description: str,
    after: Callable[[BatchReport], None] | None = None,
    recorded: Mapping[str, Any] | None = None,
) -> tuple[Session, BatchReport]:
    """Run the batch (``interruptible``); ``recorded``: what its session records beside what
    it takes (a pipeline's file and its hash, for a resume)."""
    args = recorded_args(noun)
    return interruptible(
        hooks,
        lambda: run_batch(store, make_job, options, hooks, description=description, args=args,
                          recorded=recorded),
        after=after,
    )


def interruptible(
    hooks: ProgressHooks,
    run: Callable[[], tuple[Session, BatchReport]],
    *,
    after: Callable[[BatchReport], None] | None = None,
) -> tuple[Session, BatchReport]:
    """Run a batch's items; a first Ctrl+C or SIGTERM ends the program with exit code 130.
    ``after`` runs once the batch has ended (closing files), as a second signal allows."""
    try:
        session, report = run()
        exit_on_signals_if_interrupted(report)
        if after is not None:
            after(report)
    except Interrupted:
        hooks.close()  # the bar's last line first, then the word
        click.echo("interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    finally:
        hooks.close()
    return session, report


def finish(
    settings: Settings,
    record: Kind,
    session: Session,
    report: BatchReport,
    *,
    online: bool,
    retry_errors: bool,
    waiting: Mapping[str, list[str]],
    lookups: bool = True,
) -> int:
    """The closing lines (summary, session log, reports), this week's report; the exit code;
    ``waiting``: the queue's failed and skipped items (``queue.items.waiting_names``)."""
    kind, noun = record.name, record.noun
    retry = shell_join([*kind_argv(kind, "batch", settings.home), *recorded_args(noun),
                        "--retry-errors"])  # fmt: skip
    say_nothing_to_do(report, noun, retry_errors=retry_errors,
                      then=f"`{kind_command(kind, 'queue', settings.home)} --show-summary` "
                      "shows where things stand.", waiting=waiting,
                      manager=queue_manager(kind, settings.home), retry=retry)  # fmt: skip
    say(render_summary(report, noun, resume=resume_command(settings.home, session.id),
                       offline=not online, lookups=lookups))  # fmt: skip
    exit_code, awaiting = report.exit_code, report.awaiting
    # Paths in the data home, on one line each: the home may hold a line feed (one_line).
    click.echo(f"session log: {one_line(str(session.log_path))}")
    weekly_md = write_reports(settings.home)  # every run updates this week's
    issues = settings.home / "issues" / kind
    if (issues / "index.md").is_file():  # a kind that writes none (dupes) has none to name
        click.echo(f"issue reports: {one_line(str(issues))} (index.md lists them)")
    if awaiting:
        click.echo(f"decide them: {tool_command('decide', settings.home)}")
    click.echo(f"weekly report: {one_line(str(weekly_md))} (and .html)")
    return exit_code


def say_nothing_to_do(
    report: BatchReport,
    noun: str,
    *,
    retry_errors: bool,
    then: str,
    waiting: Mapping[str, list[str]],
    manager: str,
    retry: str,
) -> None:
    """The lines of a batch that found nothing to take (and was not interrupted before it
    looked), ``then`` saying where to look next; and the items that wait though (``waiting``,
    by status: ``queue.items.waiting_names``), named, with what lists and takes them again
    (``text.commands.waiting_hints``: ``manager`` the queue's, "" for none; ``retry`` this
    command with --retry-errors, which a batch run with it names no more)."""
    if report.noted or report.interrupted:
        return
    errors = " or errors" if retry_errors else ""
    click.echo(f"Nothing to do: no pending {noun}s{errors}. {then}")
    say_gone(waiting.get(GONE, []), noun, manager)
    failed, skipped = waiting.get(ERROR, []), waiting.get(SKIPPED, [])
    if not failed and not skipped:
        return
    said = " and ".join(count(len(names), f"{status} {noun}")
                        for status, names in (("failed", failed), ("skipped", skipped)) if names)
    names = first_few([one_line(name) for name in [*failed, *skipped]], NAMED_WAITING)
    click.echo(f"Still waiting, {said}: {names}")
    for command, what in waiting_hints(manager, noun, errors=len(failed), skipped=len(skipped),
                                       retry="" if retry_errors else retry):  # fmt: skip
        click.echo(f"  {command} {what}")


NAMED_WAITING = 3  # names on the line; the queue manager's --list lists them all


def say_gone(names: list[str], noun: str, manager: str) -> None:
    """The items left pending (or failed) whose folder is gone (``queue.items.gone``), named
    beside a batch's "Nothing to do": its words would otherwise hide them, and the queue's
    list still calls them pending. ``manager`` "": a pipeline's, whose next run refreshes."""
    if not names:
        return
    shown = first_few([one_line(name) for name in names], NAMED_WAITING)
    back = f"`{manager} --refresh`" if manager else "the next run"
    click.echo(f"Gone from disk, {count(len(names), noun)} left to do: {shown} (kept with its "
               f"history, counted as gone, not as work left; {back} puts one back in line "
               "once its folder is back)")  # fmt: skip


def note_old_ffmpeg(
    settings: Settings, record: Kind | None = None, *, dry_run: bool = False
) -> Callable[[], None]:
    """What says one line when the ffmpeg on PATH is older than the toolkit works with and
    the one it ships is used instead (``ffmpeg.find``), for a batch that runs ffmpeg (a kind
    that ``makes`` files; ``record`` None: a pipeline); nothing with ``[ffmpeg] path`` set.
    The version is asked now and read when the line is said, after the batch, so that no
    media batch's first item waits for it; the data home keeps the answer with the file's
    identity (``status/cache/ffmpeg.json``), so that the next batch asks only an ffmpeg it
    has not seen (a dry run reads what is kept and writes nothing)."""
    if settings.get("ffmpeg", "path") or (record is not None and record.makes is None):
        return lambda: None
    from mediakeeper.media import ffmpeg  # imported by media batches alone

    ffmpeg.ask_passed_over(settings.status_dir / "cache" / "ffmpeg.json",
                           keep=not dry_run)  # fmt: skip

    def say_it() -> None:
        if note := ffmpeg.passed_over():
            click.echo(f"Note: {note}", err=True)

    return say_it


if __name__ == "__main__":  # run by mistake: say which commands to run instead
    from mediakeeper.cli.command import not_a_command

    not_a_command(
        "the batch scripts' shared options", "process_music_batch.py", "process_movie_batch.py"
    )

