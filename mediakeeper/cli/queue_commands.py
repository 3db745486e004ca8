"""A queue manager's actions as commands: ``mediakeeper music queue list --status error``,
``reset NAME``, ``reset --errors``, ``checkpoint restore latest`` ... Each runs the very
action its flag runs (``queue_manager.run_action``), so ``--list --status error`` and
``list --status error`` say the same; the flags stay for the scripts and habits that use
them (docs/reference.md lists both)."""

from __future__ import annotations

import click

from mediakeeper.cli.command import home_option, not_a_command
from mediakeeper.cli.queue_manager import extra_actions, flags_group, run_action
from mediakeeper.core import kinds
from mediakeeper.core.kinds import Kind
from mediakeeper.queue import listing
from mediakeeper.queue.items import STATUSES

_json = click.option("--json", "as_json", is_flag=True, help="JSON output.")
_library = click.option("--library", type=click.Path(path_type=str), help="Library folder.")


def _command(group: click.Group, name: str, help: str, *options):
    """Decorate a function as the group's command ``name``, with --home and ``options``."""

    def decorate(f):
        for option in reversed((home_option, *options)):
            f = option(f)
        return group.command(name, help=help)(f)

    return decorate


def build(kind: str) -> click.Group:
    """A kind's queue manager (``<kind>_queue_manager.py``, ``mediakeeper <kind> queue``):
    its flags and its commands, both worded from the kind's record."""
    record = kinds.get(kind)
    group = flags_group(record)
    add_commands(group, record)
    return group


def add_commands(group: click.Group, record: Kind) -> None:
    _reading_commands(group, record)
    _changing_commands(group, record)
    _checkpoint_commands(group, record)
    for name, (option, _) in extra_actions(record).items():
        _extra_command(group, record, name, option)


def _reading_commands(group: click.Group, record: Kind) -> None:
    @_command(group, "summary", "Counts by status, issues, percent done.", _json)
    def summary(home, as_json):
        run_action(record, "show_summary", home, as_json=as_json)

    @_command(
        group,
        "list",
        f"List the {record.noun}s, by name unless --sort says otherwise.",
        click.option("--status", type=click.Choice(STATUSES), help="Only this status."),
        click.option("--name", "name_filter", metavar="TEXT", help="Only names containing TEXT."),
        click.option("--sort", type=click.Choice(listing.sort_orders(record.name))),
        _json,
    )
    def list_(home, status, name_filter, sort, as_json):
        run_action(
            record,
            "list_items",
            home,
            status=status,
            name=name_filter,
            sort=sort,
            as_json=as_json,
        )

    @_command(group, "validate", "List every problem of the queue; exit 1 if any.", _json)
    def validate(home, as_json):
        run_action(record, "validate_queue", home, as_json=as_json)


def _changing_commands(group: click.Group, record: Kind) -> None:
    noun = record.noun

    @_command(
        group,
        "init",
        f"Create the queue: one pending item per {noun} folder of the library.",
        _library,
        click.option("--force", is_flag=True, help="Replace an existing queue (kept aside)."),
    )
    def init(home, library, force):
        run_action(record, "init", home, library=library, force=force)

    @_command(group, "refresh", "Add new folders, mark vanished ones, redo changed ones.", _library)
    def refresh(home, library):
        run_action(record, "refresh", home, library=library)

    @_command(
        group,
        "reset",
        f"Put one {noun} (NAME), or the errored, stale or all items, back to pending.",
        click.argument("name", required=False),
        click.option("--errors", is_flag=True, help="Every errored item."),
        click.option("--stale", is_flag=True, help="Release claims whose process is gone."),
        click.option("--all", "all_", is_flag=True, help="Every item (asks first)."),
        click.option("--yes", is_flag=True, help="With --all: do not ask."),
    )
    def reset(home, name, errors, stale, all_, yes):
        chosen = [
            w
            for w, on in (("NAME", name), ("--errors", errors), ("--stale", stale), ("--all", all_))
            if on
        ]
        if len(chosen) != 1:
            raise click.UsageError("give one of NAME, --errors, --stale or --all")
        if yes and not all_:
            raise click.UsageError("--yes only works with --all")
        action = {
            "NAME": "reset_name",
            "--errors": "reset_errors",
            "--stale": "reset_stale",
            "--all": "reset_all",
        }[chosen[0]]
        run_action(record, action, home, value=name, yes=yes)

    @_command(group, "skip", f"Mark one {noun} skipped.", click.argument("name"))
    def skip(home, name):
        run_action(record, "skip_name", home, value=name)

    if record.chosen_by:

        @_command(
            group,
            "choose",
            f"Identify one {noun} as this {record.chosen_by} id; the next batch takes it.",
            click.argument("name"),
            click.argument("id_", metavar="ID"),
        )
        def choose(home, name, id_):
            run_action(record, "choose", home, value=(name, id_))


def _checkpoint_commands(group: click.Group, record: Kind) -> None:
    @group.group(
        "checkpoint",
        invoke_without_command=True,
        help="Take a checkpoint now; or list, restore or prune them.",
    )
    @home_option
    @click.pass_context
    def checkpoint(ctx, home):
        if ctx.invoked_subcommand is None:
            run_action(record, "checkpoint", home)

    @_command(checkpoint, "list", "List the checkpoints, oldest first.")
    def list_(home):
        run_action(record, "list_checkpoints", home)

    @_command(
        checkpoint,
        "restore",
        "Validate a checkpoint and restore it (keeps a copy of the queue it replaces).",
        click.argument("which", metavar="latest|FILE"),
    )
    def restore(home, which):
        run_action(record, "restore_checkpoint", home, value=which,
                   checkpoints_listed="checkpoint list")  # fmt: skip

    @_command(
        checkpoint,
        "prune",
        "Delete all but the newest --keep checkpoints.",
        click.option("--keep", type=click.IntRange(min=0), default=10, show_default=True),
    )
    def prune(home, keep):
        run_action(record, "prune_checkpoints", home, keep=keep)


def _extra_command(group: click.Group, record: Kind, name: str, option: click.Option) -> None:
    """The kind's own action (its plan's ``actions``: the audiobooks' ``--prune-backups``) as a
    command of the same name (``prune-backups``)."""

    @_command(group, option.opts[0].lstrip("-"), option.help or "")
    def extra(home):
        run_action(record, name, home)


if __name__ == "__main__":  # run by mistake: say which commands to run instead
    not_a_command(
        "the queue managers' commands", "music_queue_manager.py", "movie_queue_manager.py"
    )
