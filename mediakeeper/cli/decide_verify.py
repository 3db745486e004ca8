"""``decide`` over verify's choices (``decisions.verifying``): what accept as is, verify again
or a restore from the backup copy did, said, with the command that takes it back."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mediakeeper.core.decisions import questions
from mediakeeper.queue.items import PENDING
from mediakeeper.text.commands import tool_command
from mediakeeper.text.visible import one_line
from mediakeeper.text.wording import NO_FILE_WRITTEN, back_to, count


def what_of(change, item: str = "") -> str:
    """A change left alone: a tag of a file (of ``item``), or a file itself (a restore's)."""
    if not change.tag:
        return one_line(str(change.path))
    return f"{change.tag} of {item}/{change.path}" if item else f"{change.tag} of {change.path}"


def said(home: Path, acted, *, stop: bool = True) -> None:
    """One item's verify choice: what it did, what it closed, how to take it back; a file
    left as it was exits 1 (``stop``; ``decide -i`` goes on to the next)."""
    taken = [t for _, t in acted.taken]
    lines(taken)
    dry = not acted.session
    closed = count(sum(questions(t.closed, open_only=False) for t in taken), "decision")
    if acted.queued:  # its decisions closed with it: a pending album asks none
        names = one_line(", ".join(acted.queued))
        click.echo(f"dry run: {names} would go {back_to(PENDING, 'verify')}: {closed} would "
                   f"be closed; {NO_FILE_WRITTEN}" if dry else
                   f"{names}: back to pending; the next verify batch checks it again "
                   f"({closed} closed)")  # fmt: skip
    else:
        click.echo(f"dry run: {closed} would be closed ({acted.what}); nothing written" if dry
                   else f"{closed} closed ({acted.what})")  # fmt: skip
    if not dry and (acted.queued or any(t.closed for t in taken)):
        click.echo(f"To take it back:\n  {tool_command('undo', home)} --session {acted.session}")
    if stop and any(t.refused for t in taken):
        sys.exit(1)


def lines(taken, items=()) -> None:
    """What each restore did (or would do), and each change or file left alone (stderr),
    a tag's named with its item (of ``items``, one per taken, where given)."""
    for t, item in zip(taken, items or [""] * len(taken), strict=True):
        for line in t.said:
            click.echo(one_line(line))
        for change, why in t.refused:
            click.echo(f"left alone {what_of(change, item)}: {one_line(why)}", err=True)


def group_queued(home: Path, result, dry_run: bool) -> bool:
    """``--all`` with verify again: the albums back to pending, said. Whether it was that."""
    if not result.queued:
        return False
    albums = f"{count(len(result.queued), 'album')} ({one_line(', '.join(result.queued))})"
    closed = count(result.closed, "decision")  # each album's, closed with it
    if dry_run:
        click.echo(f"dry run: {albums} would go {back_to(PENDING, 'verify')}: {closed} would "
                   f"be closed; {NO_FILE_WRITTEN}")  # fmt: skip
        return True
    click.echo(f"{albums} back to pending, as one session: the next verify batch checks them "
               f"again ({closed} closed); to take them all back:\n  "
               f"{tool_command('undo', home)} --session {result.session}")  # fmt: skip
    return True
