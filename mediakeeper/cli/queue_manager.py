"""The queue manager's actions, shared by every media kind, and its flags (``--list``,
``--reset-artist NAME``, ...); its commands (``list``, ``reset NAME``) are in
``queue_commands.py``, which builds a kind's queue manager from both.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from mediakeeper.batch.plan import QueueAction
from mediakeeper.cli.command import (
    NAMED,
    Group,
    ask,
    echo_json,
    home_option,
    not_a_command,
    settings_for,
)
from mediakeeper.core import kinds
from mediakeeper.core.config import Settings, existing_home
from mediakeeper.core.errors import CheckpointMissing, QueueMissing
from mediakeeper.queue import listing, manager
from mediakeeper.queue.items import STATUSES
from mediakeeper.queue.store import QueueStore
from mediakeeper.queue.survey import Survey
from mediakeeper.text import wording
from mediakeeper.text.commands import kind_command
from mediakeeper.text.visible import one_line, quoted

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

echo = click.echo


@dataclass
class Call:
    """What one invocation asked for, handed to the action that runs it."""

    store: QueueStore
    settings: Settings
    noun: str
    value: str | tuple[str, str] | None = None  # the action's own: a NAME, a checkpoint
    as_json: bool = False
    status: str | None = None
    yes: bool = False
    keep: int = 10
    force: bool = False
    sort: str | None = None
    name: str | None = None  # --name: list only the items whose name contains it
    # What lists the checkpoints in the form typed: the flag's, or `checkpoint list`.
    checkpoints_listed: str = "--list-checkpoints"

    @property
    def kind(self) -> str:
        return self.store.kind


def do_init(c: Call) -> None:
    library = c.settings.library(c.kind)
    if library is None:
        raise click.UsageError(f"--init needs --library PATH (or [{c.kind}] library in settings)")
    found, backup = manager.init_queue(c.store, library, datetime.now(UTC), replace=c.force)
    echo(
        f"Created the {wording.queue_name(c.kind)} at {one_line(str(c.store.path))}: "
        f"{wording.count(found.queued, f'pending {c.noun}')} from "
        f"{one_line(str(library.resolve()))}"
    )
    show_survey(found, c.noun)
    if backup:
        echo(f"The queue it replaced is kept as {one_line(str(backup))}")
    if not found.queued:
        echo(f"Warning: {manager.empty_library_warning(c.store, library.resolve())}", err=True)


def do_refresh(c: Call) -> None:
    result = manager.refresh_queue(
        c.store, c.settings.library(c.kind), c.settings.origin(c.kind, "library")
    )
    for line, warning in result.lines(c.noun):
        echo(line, err=warning)


def show_survey(found: Survey, noun: str) -> None:
    """ "N found, M queued, K skipped: names", then each skipped folder with why, and each
    name in two Unicode forms (a warning)."""
    for line, warning in found.lines(noun):
        echo(line, err=warning)


def do_summary(c: Call) -> None:
    summary = manager.summarize(c.store.peek())
    if c.as_json:
        echo_json({**summary, "plugins_left_out": summary["plugins_left_out"].as_json()})
    else:
        echo(render_summary(summary, c.noun, c.settings.home))


def do_list(c: Call) -> None:
    items = manager.list_items(c.store.peek(), c.status)
    # JSON keeps the queue's order unless --sort is given: scripts read it as it always was.
    order = c.sort or (None if c.as_json else "name")
    items = listing.select(items, c.kind, name=c.name, order=order)
    if c.as_json:
        echo_json(items)
        return
    lines = listing.table(items, c.kind, shutil.get_terminal_size().columns)
    if lines:  # one write, not one a line (55,000 at 55,000 artists)
        echo("\n".join(lines))
    echo(
        wording.count(len(items), c.noun)
        + (f" with status {c.status}" if c.status else "")
        + (f" whose name contains {quoted(c.name)}" if c.name is not None else "")
    )


def do_reset_one(c: Call) -> None:
    name, previous = manager.reset_named(c.store, c.value)
    echo(
        f"{quoted(name)} was already pending; nothing changed"
        if previous == "pending"
        else f"Reset {quoted(name)}: {previous} -> pending"
    )


def do_skip_one(c: Call) -> None:
    name, previous = manager.skip_named(c.store, c.value)
    echo(
        f"{quoted(name)} was already skipped; nothing changed"
        if previous == "skipped"
        else f"Skipped {quoted(name)}: {previous} -> skipped"
    )


MOST_TMDB_ID = 2**31 - 1  # TMDb's ids are 32-bit integers


def do_choose(c: Call) -> None:
    name, movie_id = c.value
    # ASCII digits only ("²" is a digit to isdigit, and no number to int), and within what
    # TMDb's ids are (32-bit): past it, a typo that no lookup, page or script could carry.
    if not (movie_id.isascii() and movie_id.isdigit()) or not 0 < int(movie_id) <= MOST_TMDB_ID:
        raise click.UsageError(f"--choose takes a NAME and a TMDb id (a number from 1 to "
                               f"{MOST_TMDB_ID:,}), not {movie_id!r}")  # fmt: skip
    chosen, previous = manager.choose_named(c.store, name, {"tmdb_id": int(movie_id)})
    echo(
        f"Chose TMDb id {int(movie_id)} for {quoted(chosen)} (no file renamed)"
        + ("" if previous == "pending" else f"; {previous} -> pending")
        + ": the next batch identifies it as that movie"
    )


def _report_reset(c: Call, names: list[str], what: str) -> None:
    """How many went back to pending and the first few names (--list shows them all)."""
    shown = f": {wording.first_few([one_line(n) for n in names])}" if names else ""
    echo(f"Reset {wording.count(len(names), what + c.noun)} to pending{shown}")


def do_reset_errors(c: Call) -> None:
    _report_reset(c, manager.reset_errors(c.store), "errored ")


def do_reset_stale(c: Call) -> None:
    _report_reset(c, c.store.release_stale(), "stale ")


def do_reset_all(c: Call) -> None:
    if not c.yes:
        total = manager.summarize(c.store.peek())["total"]
        ask(f"Put all {wording.count(total, c.noun)} of the {wording.queue_name(c.kind)} back "
            "to pending?")
    names, kept = manager.reset_all(c.store)
    _report_reset(c, names, "")
    for (pid, session), held in kept.items():  # asked all, not all done: said, and exit 1
        echo(f"Left {wording.count(held, c.noun)} to the {c.kind} batch working on them (pid "
             f"{pid}, session {session}): run this again once it has finished")  # fmt: skip
    if kept:
        raise SystemExit(1)


def do_validate(c: Call) -> None:
    problems = manager.validate_file(c.store)
    if c.as_json:
        echo_json({"queue": str(c.store.path), "valid": not problems, "problems": problems})
        if problems:
            raise SystemExit(1)
        return
    if not problems:
        echo(f"{c.store.path}: valid, no problems found")
        return
    for problem in problems:
        echo(f"- {problem}")
    echo(f"{wording.count(len(problems), 'problem')} in {c.store.path}", err=True)
    raise SystemExit(1)


def do_checkpoint(c: Call) -> None:
    echo(f"Checkpoint written: {c.store.checkpoint()}")


def do_list_checkpoints(c: Call) -> None:
    found = c.store.checkpoints()
    for path in found:
        echo(f"{path.name}  ({path.stat().st_size:,} bytes)")
    echo(f"{wording.count(len(found), 'checkpoint')} in {c.store.checkpoint_dir}")


def do_restore(c: Call) -> None:
    try:
        source = manager.resolve_checkpoint(c.store, c.value)
    except CheckpointMissing as err:
        listing = f"{kind_command(c.kind, 'queue', c.settings.home)} {c.checkpoints_listed}"
        err.hint = f"`{listing}` shows them"
        raise
    backup = manager.restore_checkpoint(c.store, source)
    echo(f"Restored {c.store.path} from {source.name}")
    if backup:
        echo(f"The queue it replaced is kept as {one_line(str(backup))}")


def do_prune(c: Call) -> None:
    deleted = manager.prune_checkpoints(c.store, c.keep)
    echo(f"Deleted {wording.count(len(deleted), 'checkpoint')}, kept the newest {c.keep}")


# option name -> (handler, takes a value). Order is the order of --help.
ACTIONS = {
    "init": do_init,
    "refresh": do_refresh,
    "show_summary": do_summary,
    "list_items": do_list,
    "reset_name": do_reset_one,
    "reset_errors": do_reset_errors,
    "reset_stale": do_reset_stale,
    "reset_all": do_reset_all,
    "skip_name": do_skip_one,
    "choose": do_choose,
    "validate_queue": do_validate,
    "checkpoint": do_checkpoint,
    "list_checkpoints": do_list_checkpoints,
    "restore_checkpoint": do_restore,
    "prune_checkpoints": do_prune,
}

# The actions that read the queue and change nothing: they need a data home that is there.
READ_ONLY = ("show_summary", "list_items", "validate_queue", "list_checkpoints")

# The actions that change what items are completed, skipped or failed: the issue indexes,
# which list the completed items' decisions, are written again after them, as after a batch,
# `decide` and `undo`, so they count what the dashboard and the weekly report count.
CHANGES_STATUSES = ("init", "refresh", "reset_name", "reset_errors", "reset_stale",
                    "reset_all", "skip_name", "choose", "restore_checkpoint")  # fmt: skip


# option name -> the actions it changes. Given with any other, it would be silently ignored.
OPTION_ACTIONS = {
    "library": ("init", "refresh"),
    "force": ("init",),
    "as_json": ("show_summary", "list_items", "validate_queue"),
    "status": ("list_items",),
    "sort": ("list_items",),
    "name_filter": ("list_items",),
    "yes": ("reset_all",),
    "keep": ("prune_checkpoints",),
}


def refuse_unused_options(ctx: click.Context, action: str) -> None:
    """A usage error for an option the chosen action does not use (``--status`` without
    ``--list`` would otherwise just show the summary, as if it had been obeyed)."""
    flags = {p.name: p.opts[0] for p in ctx.command.params}
    for name, actions in OPTION_ACTIONS.items():
        given = ctx.get_parameter_source(name) not in (None, ParameterSource.DEFAULT)
        if given and action not in actions:
            needed = " or ".join(flags[a] for a in actions)
            raise click.UsageError(f"{flags[name]} only works with {needed}")


def _checkpoint_options() -> list[Decorator]:
    flag = click.option
    return [
        flag("--checkpoint", is_flag=True, help="Take a checkpoint now."),
        flag("--list-checkpoints", is_flag=True, help="List checkpoints, oldest first."),
        flag(
            "--restore-checkpoint",
            type=NAMED,  # "" (an unset variable) names none: refused, not taken as not given
            metavar="latest|FILE",
            help="Validate a checkpoint and restore it (keeps a copy of the queue it replaces).",
        ),
        flag(
            "--prune-checkpoints",
            is_flag=True,
            help="Delete all but the newest --keep checkpoints.",
        ),
        flag(
            "--keep",
            type=click.IntRange(min=0),
            default=10,
            show_default=True,
            help="With --prune-checkpoints.",
        ),
    ]


def _options(record: kinds.Kind) -> list[Decorator]:
    """The queue manager's options in --help order (the first listed outermost), worded for
    the kind's items (``--reset-artist``), its counters in --show-summary's help."""
    kind, noun, flag = record.name, record.noun, click.option
    extras = "".join(f", {x.noun}s" for x in record.extra_counters)
    return [
        home_option,
        flag("--init", is_flag=True, help=f"Create the queue: one pending item per {noun} folder."),
        flag(
            "--library", type=click.Path(path_type=str), help="Library folder (--init, --refresh)."
        ),
        flag("--force", is_flag=True, help="With --init: replace an existing queue."),
        flag(
            "--refresh",
            is_flag=True,
            help="Add new folders; mark vanished ones as missing; put back to pending the "
            f"completed {noun}s whose files changed since.",
        ),
        flag(
            "--show-summary",
            is_flag=True,
            help=f"Counts by status{extras}, issues, percent done.",
        ),
        flag("--json", "as_json", is_flag=True,
             help="With --show-summary, --list or --validate-queue: JSON output."),
        flag("--list", "list_items", is_flag=True, help=f"List the {noun}s (see --status)."),
        flag("--status", type=click.Choice(STATUSES), help="With --list: only this status."),
        flag(
            "--name",
            "name_filter",
            metavar="TEXT",
            help="With --list: only names containing TEXT (case, accents and spacing aside).",
        ),
        flag(
            "--sort",
            type=click.Choice(listing.sort_orders(kind)),
            help="With --list: the order (default name; counts most first).",
        ),
        flag(
            f"--reset-{noun}",
            "reset_name",
            type=NAMED,
            metavar="NAME",
            help=f"Put one {noun} back to pending (case and accents aside, or a unique start).",
        ),
        flag("--reset-errors", is_flag=True, help="Put every errored item back to pending."),
        flag("--reset-stale", is_flag=True, help="Release claims whose process is gone."),
        flag("--reset-all", is_flag=True, help="Put every item back to pending (asks first)."),
        flag("--yes", is_flag=True, help="Do not ask for confirmation."),
        flag(f"--skip-{noun}", "skip_name", type=NAMED, metavar="NAME",
             help=f"Mark one {noun} skipped."),
        flag("--validate-queue", is_flag=True, help="List every problem; exit 1 if any."),
        *_checkpoint_options(),
        *_choose_option(record),
    ]


def _choose_option(record: kinds.Kind) -> list[Decorator]:
    """``--choose NAME ID`` for a kind whose items a person may identify by hand."""
    if not record.chosen_by:
        return []
    words = (
        f"Identify one {record.noun} as this {record.chosen_by} id (a candidate its report "
        "lists), without renaming a file; the next batch takes it."
    )
    return [click.option("--choose", nargs=2, metavar="NAME ID", help=words)]


def handlers_of(record: kinds.Kind) -> dict[str, Callable[[Call], None]]:
    """Every action of the kind's queue manager: the shared ones, then its package's own
    (``extra_actions``)."""
    extra = extra_actions(record)
    return {**ACTIONS, **{name: handler for name, (_, handler) in extra.items()}}


def extra_actions(record: kinds.Kind) -> Mapping[str, tuple[click.Option, Callable[[Call], None]]]:
    """The kind's own actions (its record's ``actions``), ``{name: (its flag, its handler)}``:
    each handler says what the action did, line by line."""
    return {
        action.name: (click.Option([action.flag], is_flag=True, help=action.help), _saying(action))
        for action in record.queue_actions()
    }


def _saying(action: QueueAction) -> Callable[[Call], None]:
    def handler(c: Call) -> None:
        for line in action.run(c.settings):
            click.echo(line)

    return handler


def run_action(record: kinds.Kind, action: str, home: str | None, **given: Any) -> None:
    """Run one action on the kind's queue: the flags' command and the subcommands
    (``mediakeeper music queue list``) both end here. ``given``: ``library`` and the
    fields of a ``Call`` (``value``, the action's argument; the options that shape it)."""
    kind = record.name
    if action in READ_ONLY:
        existing_home(home)  # a mistyped --home is refused, and nothing is created
    settings = settings_for(home, writes=action not in READ_ONLY,
                            **{kind: {"library": given.get("library")}})  # fmt: skip
    store = QueueStore(settings.status_dir / kind, kind)
    shaping = {k: v for k, v in given.items() if k != "library"}
    call = Call(store, settings, record.noun, **shaping)
    try:
        handlers_of(record)[action](call)
    except QueueMissing as err:
        command = kind_command(kind, "queue", settings.home)
        err.hint = f"create it with: {command} --init --library PATH"
        raise
    if action in CHANGES_STATUSES:
        from mediakeeper.reports.issue_index import write_issue_indexes  # jinja: only here

        write_issue_indexes(settings.home)


def flags_group(record: kinds.Kind) -> click.Group:
    """The kind's queue manager as a group, worded from the kind's record (its noun: the
    ``--reset-artist`` / ``--reset-movie`` flags), whose own flags are the actions as they
    were first written (``--list``, ``--reset-artist NAME``), kept working; its commands
    (``list``, ``reset``, ...) are added by ``cli/queue_commands.py``."""
    kind = record.name
    extra = extra_actions(record)
    handlers = handlers_of(record)

    def command(home, library, force, as_json, status, name_filter, sort, yes, keep, **actions):
        ctx = click.get_current_context()
        chosen = [name for name in handlers if actions.get(name)]
        if ctx.invoked_subcommand is not None:
            if chosen:
                flag = {p.name: p.opts[0] for p in ctx.command.params}[chosen[0]]
                raise click.UsageError(
                    f"give {flag} or the {ctx.invoked_subcommand} command, not both"
                )
            return
        if len(chosen) > 1:
            flags = {p.name: p.opts[0] for p in ctx.command.params}
            raise click.UsageError(
                "give one action at a time, not " + ", ".join(flags[name] for name in chosen)
            )
        action = chosen[0] if chosen else "show_summary"
        refuse_unused_options(ctx, action)
        value = actions.get(action) if isinstance(actions.get(action), str | tuple) else None
        run_action(
            record,
            action,
            home,
            value=value,
            library=library,
            force=force,
            as_json=as_json,
            status=status,
            name=name_filter,
            sort=sort,
            yes=yes,
            keep=keep,
        )

    for decorate in reversed(_options(record)):
        command = decorate(command)
    group = click.group(
        cls=Group,
        invoke_without_command=True,
        help=f"Inspect and repair the {wording.queue_name(kind)} "
        f"(status/{kind}/processing_queue.json): give a command (list, reset, ...), or one "
        "action flag as before (--list, --reset-errors, ...); with neither, the summary.",
        context_settings={"help_option_names": ["-h", "--help"]},
    )(command)
    group.params.extend(option for option, _ in extra.values())
    return group


def render_summary(summary: dict, noun: str, home: Path | None = None) -> str:
    lines = [f"{wording.queue_name(summary['kind'])} — {summary['library']}"]
    for status, count in summary["statuses"].items():
        lines.append(f"  {status:<12}{count:>8,}")
    lines.append(f"  {'total':<12}{summary['total']:>8,}")
    if summary["missing_on_disk"]:
        lines.append(
            f"  ({wording.count(summary['missing_on_disk'], f'{noun} folder')} missing on disk)"
        )
    if summary["without_audio"]:
        folders = wording.count(summary["without_audio"], f"{noun} folder")
        lines.append(f"  ({folders} there with no audio)")
    if summary["in_progress_stages"]:
        at = ", ".join(f"{n:,} {stage}" for stage, n in summary["in_progress_stages"].items())
        lines.append(f"  (in progress: {at})")
    if summary["not_identified"]:
        lines.append(
            f"  ({summary['not_identified']:,} completed but not identified: "
            f"--list --status completed shows why)"
        )
    extra = "".join(
        f"{wording.count(summary[x.total], x.noun)} · "
        for x in kinds.get(summary["kind"]).extra_counters
    )
    lines.append(
        f"{summary['percent_complete']:.1f}% complete · {extra}"
        f"{wording.count(summary['issues_found'], 'finding')}, "
        f"{summary['issues_resolved']:,} resolved"
    )
    if left_out := summary["plugins_left_out"]:  # complete, but for a plugin's findings
        lines.append(f"  of them, {left_out.said(summary['kind'], home)}")
    return "\n".join(lines)


if __name__ == "__main__":  # run by mistake: say which commands to run instead
    not_a_command(
        "the queue managers' shared code", "music_queue_manager.py", "movie_queue_manager.py"
    )
