"""``mediakeeper dupes``: copies of one recording found by their sound, listed, and the
non-best set aside (never deleted). Thin over the library (``mediakeeper.runs.dupes``,
``mediakeeper.decisions.copies`` and ``.dupes``, ``mediakeeper.dupes.saved``); ``batch`` and
``queue`` are the kind's own commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from mediakeeper.cli.command import (
    Command,
    Group,
    echo_json,
    home_option,
    lines_on_stderr,
    settings_for,
)
from mediakeeper.core.config import existing_home
from mediakeeper.dupes import kept
from mediakeeper.dupes.saved import load_groups, public, sure, would_free
from mediakeeper.system import collector
from mediakeeper.text.commands import kind_command, tool_command
from mediakeeper.text.visible import one_line
from mediakeeper.text.wording import count, format_size

if TYPE_CHECKING:
    from mediakeeper.decisions.copies import SetAside

KIND_VERBS = ("batch", "queue")


class DupesGroup(Group):
    """The listing, ``scan`` and ``set-aside``, and the kind's ``batch`` and ``queue``."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*self.commands, *KIND_VERBS]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in KIND_VERBS:
            from mediakeeper.cli.main import command_of  # main imports this module lazily

            return command_of("dupes", cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=DupesGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})  # fmt: skip
@home_option
@click.option("--json", "as_json", is_flag=True, help="Print the groups as JSON.")
@click.pass_context
def main(ctx, home, as_json):
    """Duplicates found by their sound (Chromaprint, locally) across the music library: the
    same album twice, the same recording as a loose or untagged copy, the same recording on
    another release (listed, never set aside by --all). Run `dupes scan` first; this lists
    the groups it found, album groups first, the most space wasted first."""
    if ctx.invoked_subcommand is not None:
        return
    where = _home(home, writes=False)
    kept_whole = kept.load(where)
    every = load_groups(where) or []
    found = _listed(every, kept_whole)
    if as_json:
        echo_json({"groups": public(found)})
        return
    for g in found:
        for line in group_lines(g, f"{g['level']} {g['id']}:"):
            click.echo(line)
        for why in g["why"]:
            click.echo(f"       kept: {why}")
        if not sure(g):
            click.echo(f"       question: {one_line(g['doubt'])} (`{tool_command('decide', where)} "
                       f"dupes {g['id']}`; set-aside --all leaves it)")  # fmt: skip
    if kept_whole:
        click.echo(f"({count(len(kept_whole), 'group')} kept whole: "
                   f"`{kind_command('dupes', 'kept', where)}`)")  # fmt: skip
    if not found:
        click.echo(f"No duplicates found (run `{kind_command('dupes', 'scan', where)}` after a "
                   "change).")  # fmt: skip
        return
    _, freed = would_free(where, every)
    aside = "release groups and questions" if not all(map(sure, found)) else "release groups"
    click.echo(f"{count(len(found), 'group')}; `{kind_command('dupes', 'set-aside', where)} "
               f"--all` would move {format_size(freed)} out of the library ({aside} "
               "aside)")  # fmt: skip


def _listed(every: list[dict], kept_whole) -> list[dict]:
    """The groups the listing lists: all but those kept whole."""
    return [g for g in every if g["id"] not in kept_whole]


@main.command("scan", cls=Command)
@home_option
@click.option("--library", type=click.Path(file_okay=False), help="The music library to scan "
              "(default: [dupes] library, else [music] library).")  # fmt: skip
@click.option("--workers", type=click.IntRange(1, 64), help="Albums fingerprinted at once.")
@click.option("--json", "as_json", is_flag=True, help='The groups as the listing\'s --json gives '
              'them, and the session: {"session", "groups"}; the other lines on standard '
              "error.")  # fmt: skip
def scan(home, library, workers, as_json):
    """Fingerprint every audio file not fingerprinted yet or changed since (a resumable
    batch: stop it any time, even with kill -9; the next scan goes on), then group."""
    # The batch's machinery (its runner, workers and progress line) is imported by the one
    # command that runs it, not by ``decide``, which says groups and set-asides as this
    # module does.
    with collector.loading():
        from mediakeeper.cli.progress_line import ProgressHooks
        from mediakeeper.runs import dupes

    with lines_on_stderr(as_json):
        result = dupes.scan(home, library=library, hooks=ProgressHooks("album"), workers=workers)
        if result.interrupted:
            click.echo(f"interrupted: `{kind_command('dupes', 'scan', result.home)}` goes on "
                       "from here", err=True)  # fmt: skip
            sys.exit(130)
        levels = {level: sum(g["level"] == level for g in result.groups)
                  for level in ("album", "track", "release")}  # fmt: skip
        click.echo(f"{count(len(result.groups), 'duplicate group')}: "
                   + ", ".join(f"{n} {level}" for level, n in levels.items())
                   + f"; `{kind_command('dupes', '', result.home)}` lists them")
    if as_json:
        echo_json({"session": result.batch.session if result.batch else None,
                   "groups": public(_listed(result.groups, kept.load(result.home)))})  # fmt: skip
    sys.exit(1 if result.batch and result.batch.failed else 0)


@main.command("set-aside", cls=Command)
@home_option
@click.argument("ids", nargs=-1, metavar="[ID]...")
@click.option("--all", "every", is_flag=True, help="Every album and track group.")
@click.option(
    "--include-releases",
    is_flag=True,
    help="With --all: release groups too (a compilation's or a single's copy).",
)
def set_aside(home, ids, every, include_releases):
    """Move every copy but the best of the groups given into the holding folder ([dupes]
    holding, default <home>/set-aside/), each at its path relative to the library. Nothing
    is deleted; the kept copy first gains the MusicBrainz ids, ReplayGain and cover it lacks.
    Each file is checked to be the one graded (size, time, a hash of its bytes) right before
    it moves; a group whose best the sound cannot tell is left for `decide dupes ID`; the
    library folders the moves empty are removed. All of it journaled, and finished by the
    next set-aside or undo after a kill: the undo command it prints puts every file back."""
    # The moves' machinery (the change journal, the tag library, the grader) is imported by
    # the commands that move or keep files, not by the listing, nor by ``decide``'s.
    with collector.loading():
        from mediakeeper.decisions import copies

    existing_home(home)
    if include_releases and not every:  # the groups given by ID are taken whatever their level
        raise click.UsageError("--include-releases goes with --all")
    done = copies.set_aside(home, list(ids), every=every, include_releases=include_releases)
    said_set_aside(done, left_alone_err=False)
    click.echo(f"{count(len(done.moved), 'file')} of {count(done.groups, 'group')} set aside "
               f"({format_size(done.freed)})")  # fmt: skip
    if done.moved or done.tagged:
        click.echo(f"To put them back: {tool_command('undo', done.home)} --session {done.session}")
    if done.stopped:
        click.echo(f"Error: {done.stopped}", err=True)
    sys.exit(1 if done.left_alone or done.questions or done.stopped else 0)


@main.command("keep-all", cls=Command)
@home_option
@click.argument("ids", nargs=-1, required=True, metavar="ID...")
def keep_all(home, ids):
    """Keep every copy of these groups: they are no longer listed nor set aside by --all
    (remembered while their copies are the same; `dupes kept --reset` forgets, and so does
    the undo of the session it prints)."""
    with collector.loading():  # as set-aside imports it
        from mediakeeper.decisions import copies, keeping

    where = _home(home, writes=True)
    chosen = copies.chosen(load_groups(where) or [], list(ids), every=False, include_releases=True,
                           home=where)  # fmt: skip
    done = keeping.keep_all(where, chosen)
    click.echo(f"{count(done.groups, 'group')} kept whole" + (
        f" ({len(ids) - done.groups} already)" if done.groups < len(ids) else ""))  # fmt: skip
    if done.session:
        click.echo(f"To ask again: {tool_command('undo', where)} --session {done.session}")


@main.command("kept", cls=Command)
@home_option
@click.argument("ids", nargs=-1, metavar="[ID]...")
@click.option("--reset", is_flag=True, help="Forget the groups given (every one without ID).")
def kept_groups(home, ids, reset):
    """List the groups kept whole ("keep all"), or forget them with --reset."""
    where = _home(home, writes=reset)
    if reset:
        gone = kept.reset(where, list(ids))
        click.echo(f"{count(len(gone), 'group')} no longer kept whole")
        return
    if ids:
        raise click.UsageError("IDs go with --reset")
    kept_whole = kept.load(where)
    if not kept_whole:
        click.echo("No group is kept whole.")
    for group_id, entry in kept_whole.items():
        click.echo(f"{entry['level']} {group_id} (kept {entry['at']}):")
        for path in entry["copies"]:
            click.echo(f"  {one_line(path)}")


def _home(home: str | None, *, writes: bool) -> Path:
    """The data home a command of these reads (a mistyped ``--home`` refused, nothing made),
    its settings read as every command reads them: a broken settings file is refused here
    too, and what a killed run left half-written is finished first where it ``writes``."""
    return settings_for(str(existing_home(home)), writes=writes).home


def said_set_aside(done: SetAside, *, left_alone_err: bool) -> None:
    """What a set-aside did, file by file, as ``dupes set-aside`` and ``decide`` say it."""
    for session in done.resumed:
        click.echo(f"finished set-aside session {session}, which a kill had cut short "
                   f"(`{tool_command('undo', done.home)} --session {session}` puts its files "
                   "back)")  # fmt: skip
    for change in done.tagged:
        click.echo(f"kept copy gained {change.tag}: {one_line(change.path)}")
    for source, target in done.moved:
        click.echo(f"set aside {one_line(str(source))} -> {one_line(str(target))}")
    for folder in done.removed:
        click.echo(f"removed the folder it emptied {one_line(folder)}")
    for path, why in done.left_alone:
        click.echo(f"left alone {one_line(str(path))}: {one_line(why)}", err=left_alone_err)
    for group_id, why in done.questions:
        click.echo(f"left for you: group {group_id}: {one_line(why)}; choose the copy kept with "
                   f"`{tool_command('decide', done.home)} dupes {group_id}`")  # fmt: skip


def group_lines(group, head: str, indent: str = "") -> list[str]:
    """A duplicate group as ``dupes`` and ``decide --group`` list it: its copies, the one
    kept marked, each with its grade and size."""
    lines = [f"{indent}{head} {count(len(group['copies']), 'copy', 'copies')}, "
             f"{format_size(group['waste'])} in the copies not kept"]  # fmt: skip
    for c in group["copies"]:
        best = "keep?" if group.get("doubt") else "keep "  # a question: the best is a guess
        mark = best if c["path"] == group["best"] else "     "
        lines.append(f"{indent}  {mark} {one_line(c['path'])}  "
                     f"[{c['grade']}, {format_size(c['size'])}]")
    return lines
