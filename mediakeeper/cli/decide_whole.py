"""``decide --all``: the same choice for every open decision of a group, as one session (a
finding code's decisions of any kind, a kind's failed or skipped items, or a level of
duplicate groups), said with the command that takes it all back."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mediakeeper.cli import decide_dupes, decide_said, decide_verify
from mediakeeper.cli.command import echo_json
from mediakeeper.core import kinds
from mediakeeper.core.home import CONFIG_FILE
from mediakeeper.decisions import engine, whole_group
from mediakeeper.decisions.item import DecideError
from mediakeeper.system.interrupts import EXIT_INTERRUPTED
from mediakeeper.text.commands import tool_command
from mediakeeper.text.wording import NO_FILE_WRITTEN, count, plural_of, values_written


def take_whole_group(home, kind, name, group, choose, dismiss, values, remember, dry_run,
                     writing, *, as_json: bool = False):  # fmt: skip
    """``--all``: one choice for every open decision of a group (``group``, or the code
    ``dismiss`` names), as one session; a dry run's ``as_json``: its preview as the API
    gives it (``preview_json``)."""
    if name is not None:
        raise DecideError("--all decides a whole group: give KIND, not an item's NAME")
    if values:
        raise DecideError("--all takes --dismiss CODE or --choose N, not --set")
    if not (choose or dismiss):
        raise DecideError("--all needs a choice: --dismiss CODE, or --group CODE --choose N")
    if choose and dismiss:
        raise DecideError("one of --choose or --dismiss at a time")
    code = engine.code_named(group, dismiss)  # refused: two groups named
    if choose and not code:
        raise DecideError("--all --choose N needs the group: --group CODE")
    result = whole_group.take_group(home, kind, code, choose=choose, remember=remember,
                               dry_run=dry_run, writing=writing)  # fmt: skip
    if as_json:
        echo_json(result.preview_json())
    elif result.family == "queue":
        _said_outstanding(home, result.taken, code, dry_run)
    elif result.family == "dupes":
        decide_dupes.said_whole(home, result, choose, dry_run)
    else:
        _said_group(home, result.kind, code, result.taken, dry_run)


def _said_group(home: Path, kind: str, code: str, result, dry_run: bool) -> None:
    """What a whole group's choice wrote and closed, and how to take it all back."""
    for item, taken in result.taken:
        for line in decide_said.change_lines(taken, dry_run, item):
            click.echo(line)
    decide_verify.lines([t for _, t in result.taken], [item for item, _ in result.taken])
    if decide_verify.group_queued(home, result, dry_run):
        return
    if result.files_written.files:  # none in a dry run
        click.echo(values_written(*result.files_written))
    items = count(sum(1 for _, t in result.taken if t.closed), kinds.noun(kind),
                  plural_of(kinds.noun(kind)))  # fmt: skip
    if dry_run:
        rule = f", and the rule {result.rule} recorded for later batches" if result.rule else ""
        click.echo(f"dry run: {count(result.closed, 'decision')} in {items} would be closed "
                   f"({result.what}){rule}; nothing written")  # fmt: skip
        return
    if result.interrupted:
        _said_interrupted(home, kind, result, items)
    click.echo(f"{count(result.closed, 'decision')} in {items} closed ({result.what}), as one "
               f"session; to take them all back:\n  {tool_command('undo', home)} --session "
               f"{result.session}")  # fmt: skip
    if result.rule:
        click.echo(f"rule recorded in {home / CONFIG_FILE}: {result.rule}; later batches "
                   f"settle such findings by it (decide --forget {code} removes it)")  # fmt: skip
    if result.refused:
        click.echo(f"{count(len(result.refused), 'item')} not decided: mend what is said above, "
                   "then decide again.", err=True)  # fmt: skip
        sys.exit(1)


def _said_interrupted(home: Path, kind: str, result, items: str) -> None:
    """A Ctrl+C stopped the group: what it decided before (its session, to take back), and
    that the same command decides the rest; exit 130."""
    noun = kinds.noun(kind)
    rest = count(result.left_open, f"more {noun}", f"more {plural_of(noun)}")
    if result.session:
        click.echo(f"interrupted: {count(result.closed, 'decision')} in {items} closed "
                   f"({result.what}) before the stop, as one session; to take them back:\n"
                   f"  {tool_command('undo', home)} --session {result.session}", err=True)
    else:
        click.echo("interrupted before the first decision: nothing changed", err=True)
    click.echo(f"the decisions of {rest} are still open: the same command decides them",
               err=True)  # fmt: skip
    sys.exit(EXIT_INTERRUPTED)


def _said_outstanding(home: Path, taken, group: str, dry_run: bool) -> None:
    """``--all --group failed --choose N``: what was done to every failed item of a kind."""
    noun = kinds.noun(taken.kind)
    items = f"{count(len(taken.names), f'{group} {noun}', f'{group} {plural_of(noun)}')}"
    closed = count(taken.closed, "decision")
    if dry_run:
        click.echo(f"dry run: {items} would be put to {taken.what}: {closed} would be closed; "
                   f"{NO_FILE_WRITTEN}")  # fmt: skip
        return
    click.echo(
        f"{items} put to {taken.what} ({', '.join(taken.names)}), as one session ({closed} "
        f"closed); to take them all back:\n  {tool_command('undo', home)} --session "
        f"{taken.session}"
    )
