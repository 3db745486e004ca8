"""``decide``'s part for duplicate groups (``mediakeeper.decisions.dupes``): listed after the
findings' groups and the failed items, shown one at a time with numbered choices, taken one
group at a time or for a whole level (``--all``) as one session, whose undo command is printed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from mediakeeper.cli.dupes import group_lines, said_set_aside
from mediakeeper.cli.preview_lines import would_lines
from mediakeeper.decisions import dupes
from mediakeeper.decisions.item import DecideError
from mediakeeper.dupes.questions import name_of
from mediakeeper.text.commands import tool_command
from mediakeeper.text.visible import one_line
from mediakeeper.text.wording import count, format_size

if TYPE_CHECKING:
    from mediakeeper.decisions.keeping import Taken
    from mediakeeper.decisions.whole_group import GroupResult

SHOWN_IDS = 3  # groups named on a listing's line before "..."


def listing_lines(home: Path) -> list[str]:
    """One line per level with open duplicate groups, as ``decide`` lists failed items: its
    first groups by name, as the page names them, each with its id (``decide dupes ID``)."""
    found = dupes.open_groups(home)
    named = {g["id"]: f"{name_of(g)} ({g['id']})" for g in found}
    lines = []
    for group in dupes.decision_groups(home, found):
        names = "; ".join(named[i] for i in group.items[:SHOWN_IDS])
        more = " ..." if group.count > SHOWN_IDS else ""
        lines.append(f"  {group.kind:<7} {group.code}  {count(group.count, 'group')}: "
                     f"{names}{more}  [{' | '.join(group.choices)}]")  # fmt: skip
    return lines


def group_items(home: Path, code: str) -> None:
    """``decide --group duplicate-LEVEL``: each open group with its copies."""
    found = dupes.open_groups(home, code)
    if not found:
        raise DecideError(f"no open {code!r} decision: nothing to decide there")
    click.echo(f"dupes   {code}  {count(len(found), 'group')}  [{' | '.join(dupes.CHOICES)}]")
    for group in found:
        for line in group_lines(group, f"{group['id']}:", indent="  "):
            click.echo(line)
    decide = tool_command("decide", home)  # each a whole command, pasted from anywhere
    click.echo(f"One of them: {decide} dupes ID")
    click.echo(f"Keep the best of each: {decide} dupes --all --group {code} --choose 1")
    click.echo(f"Keep all of each: {decide} dupes --all --dismiss {code}")


def said_whole(home: Path, result: GroupResult, choose: int | None, dry_run: bool) -> None:
    """``decide --all``: keep the best (``--choose 1``) or keep all (``--choose 2``,
    ``--dismiss CODE``) for every open group of a level, as one session (a dry run: what it
    would do to each of the groups it would decide, as its API preview says it)."""
    if not dry_run:
        said(home, result.taken)
        return
    shown = result.preview_json()
    for group in result.taken:
        for line in _would(group, choose, shown):
            click.echo(line)
    for line in would_lines(emptied=shown["emptied"]):  # as the take says it
        click.echo(line)
    gained, moved, emptied = shown["writes"], shown["moves"], shown["emptied"]
    what = [f"{count(len(gained), 'value')} written to "
            f"{count(len({w['path'] for w in gained}), 'file')}"] if gained else []
    what += [f"{count(len(moved), 'file')} set aside"] if moved else []
    what += [f"{count(len(emptied), 'emptied folder')} removed"] if emptied else []
    said_what = f" ({', '.join(what)})" if what else ""
    # The groups it would decide, as its preview counts them: a question left for you is not.
    click.echo(f"dry run: {count(shown['closes'], 'group')} would be decided{said_what}; "
               "nothing moved")  # fmt: skip


def _would(group: dict, choose: int | None, shown: dict) -> list[str]:
    """What a level's answer would do to one of its groups: keep all its copies, leave it
    for a person (a question), or keep its best, each tag the best gains and each file set
    aside, where it goes (``shown``: the level's preview, ``preview_json``)."""
    if choose != 1:  # keep all
        return [f"would keep all {len(group['copies'])} copies of {group['id']}"]
    if group.get("doubt"):  # a level's keep the best leaves it
        return [f"would leave {group['id']} for you: {one_line(group['doubt'])}"]
    gains, moves = ([one for one in shown[part] if one["group"] == group["id"]]
                    for part in ("writes", "moves"))  # fmt: skip
    return [f"would keep {one_line(group['best'])}", *would_lines(gains, moves)]


def said(home: Path, taken: Taken, *, stop: bool = True) -> None:
    """What keeping a group's copy did; a file left alone, a group left for a person (a
    question a whole level's keep the best does not take) or a set-aside stopped exits 1
    (``stop``), or is said (``decide -i`` goes on to the next)."""
    done = taken.set_aside
    if done is not None:
        said_set_aside(done, left_alone_err=True)
    for group_id in taken.kept_whole:
        click.echo(f"kept whole: {group_id}")
    freed = f", {format_size(done.freed)} set aside" if done is not None else ""
    click.echo(f"{count(taken.groups, 'group')} decided ({taken.what}{freed})")
    if taken.session:
        click.echo(f"To take it back:\n  {tool_command('undo', home)} --session {taken.session}")
    if done is not None and done.stopped:
        click.echo(f"Error: {done.stopped}", err=True)
    if stop and done is not None and (done.left_alone or done.questions or done.stopped):
        sys.exit(1)
