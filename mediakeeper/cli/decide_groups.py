"""``decide`` over groups: the listing (worst first, each group with what its code means, or
a group's items) and the rules (``--rules``, ``--forget``); a whole group decided is
``decide_whole``'s. Nothing here writes a user's file, so the listing loads none of the
machinery that does."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mediakeeper.cli import decide_dupes
from mediakeeper.cli.command import echo_json
from mediakeeper.core import kinds, rule_plugins
from mediakeeper.core.decisions import asks_identity, rules_in
from mediakeeper.core.home import CONFIG_FILE
from mediakeeper.decisions import dupes, groups, outstanding, rules
from mediakeeper.decisions import item as decide
from mediakeeper.decisions.listing import HeldDecisions, outstanding_json
from mediakeeper.text.commands import tool_command
from mediakeeper.text.fold import unicode_form, unicode_twins
from mediakeeper.text.visible import one_line, visible
from mediakeeper.text.wording import count, plural_of

SCREEN = 10  # groups listed (two lines each) before the rest are only counted: a screen


def show_groups(
    home: Path, kind: str | None, code: str | None, as_json: bool, *, every: bool = False
) -> None:
    """The groups worst first (of ``kind`` when given), a screen's worth (``every``: all of
    them), or the items of the group of ``code``; as one JSON object with ``as_json``."""
    if as_json:  # the engine's listing (each decision with its id), of one group's code
        held = HeldDecisions.read(home)  # every queue read once, as the API lists
        echo_json(_listed(home, held, kind, code), indent=None)
        _unreadable(_of(held.unreadable, kind))
        return
    if code in outstanding.GROUPS:
        _show_outstanding(home, kind, code)
        return
    if code in dupes.CODES and kind in (None, dupes.KIND.name):
        decide_dupes.group_items(home, code)
        return
    needs, unreadable = decide.listed(home)
    unread = _of(unreadable, kind)
    _show_listing(home, kind, code, [n for n in needs if kind in (None, n.kind)], every,
                  all_read=not unread)  # fmt: skip
    _unreadable(unread)


def _of(unreadable: dict[str, str], kind: str | None) -> dict[str, str]:
    """The queues of ``kind`` (of every kind: None) that could not be read, with why."""
    return {k: why for k, why in unreadable.items() if kind in (None, k)}


def _unreadable(unread: dict[str, str]) -> None:
    """Each queue that could not be read, after what is listed: what it asks is not known,
    so it is said, exit 2, as a damaged queue is for every command."""
    for name, why in unread.items():
        click.echo(f"{name}: its decisions are not listed: the queue cannot be read: {why}",
                   err=True)  # fmt: skip
    if unread:
        sys.exit(2)


def _show_listing(
    home: Path, kind: str | None, code: str | None, needs, every: bool, *, all_read: bool
) -> None:
    found = groups.groups_of(needs)
    if code:
        found = group_named(found, code, kind)
    waiting = [] if code else outstanding.outstanding_in(home, kind)
    asking_dupes = not code and kind in (None, dupes.KIND.name)
    duplicates = decide_dupes.listing_lines(home) if asking_dupes else []
    if not found and not waiting and not duplicates:
        if all_read:  # else the queues not read are said instead
            click.echo("Nothing to decide.")
        return
    if code:
        _show_items(home, needs, found, code)
        return
    total = sum(g.count for g in found)
    if found:  # failed items and duplicates alone are counted apart, on their own lines
        click.echo(f"{count(total, 'decision')} in {count(len(found), 'group')}, worst first:")
    shown = found if every or len(found) <= SCREEN else found[: SCREEN - 1]
    for group in shown:
        _echo_group(group, indent="  ")
    if len(shown) < len(found):
        more = count(len(found) - len(shown), "more group")
        click.echo(f"  ... and {more} (decide --all-groups lists them all)")
    for entry in outstanding_json(waiting):
        noun = kinds.noun(entry["kind"])
        names = ", ".join(map(one_line, entry["items"][:3]))
        names += " ..." if entry["count"] > 3 else ""
        items = count(entry["count"], noun, plural_of(noun))
        choices = " | ".join(entry["choices"])
        click.echo(visible(f"  {entry['kind']:<7} {entry['status']}  {items}: {names}  "
                           f"[{choices}]"))
    for line in duplicates:  # counted apart too: a group a line
        click.echo(one_line(line))
    word = outstanding_json(waiting)[0]["status"] if waiting else ""
    for line in _next_steps(home, word):
        click.echo(line)


def _next_steps(home: Path, waiting: str) -> list[str]:
    """What the listing says to type next, each a whole command to paste from anywhere (its
    program and the data home, as every command the toolkit prints), the words in capitals
    to fill in; ``waiting``: the status of the failed (or skipped) items listed, if any."""
    decide = tool_command("decide", home)
    steps = [f"A group's items: {decide} --group CODE", f"One item: {decide} KIND NAME",
             f"A whole group: {decide} KIND --all --dismiss CODE"]  # fmt: skip
    if waiting:
        steps.append(f"The {waiting} ones: {decide} KIND --all --group {waiting} --choose N")
    return steps


def _listed(home: Path, held: HeldDecisions, kind: str | None, code: str | None) -> dict:
    """``decide --json`` (``--group CODE``: that group's entries alone, under the key it is
    listed under; the total, of the findings' groups, as they add up)."""
    shown = held.as_json(kind)
    if not code:
        return shown
    if code not in (*outstanding.GROUPS, *dupes.CODES):
        group_named(groups.groups_of(decide.listing(home)), code, kind)  # an unknown code: said
    chosen = {key: [g for g in shown.get(key, ()) if code in (g.get("code"), g.get("status"))]
              for key in ("groups", "outstanding", "duplicates")}  # fmt: skip
    return {"total": sum(g["count"] for g in chosen["groups"]), "groups": chosen["groups"],
            **{key: chosen[key] for key in ("outstanding", "duplicates") if chosen[key]}}


def _echo_group(group: groups.Group, indent: str = "") -> None:
    for line in group.lines():
        click.echo(one_line(indent + line))


def _show_items(home: Path, needs, found, code: str) -> None:
    for group in found:
        _echo_group(group)
        listed = [(need, n) for need in needs
                  if need.kind == group.kind and (n := _open_in(need, group.code))]  # fmt: skip
        names = [need.name for need, _ in listed]
        for need, n in listed:
            # one name in two Unicode forms looks the same twice: each said with its form
            form = f" ({unicode_form(need.name)})" if unicode_twins(need.name, names) else ""
            click.echo(visible(f"  {one_line(need.name)}{form}  {count(n, 'decision')}"
                               + (f"  {need.report}" if need.report else "")))
    decide = f"{tool_command('decide', home)} {found[0].kind}"
    every = (f"--all --group {code} --choose 1 (its one choice)" if code == groups.UNIDENTIFIED
             else f"--all --dismiss {code} (--remember: also later ones)")  # fmt: skip
    click.echo(f"One of them: {decide} NAME")
    click.echo(f"All of them: {decide} {every}")


def _show_outstanding(home: Path, kind: str | None, group: str) -> None:
    """A kind's failed (or skipped) items, each with its last error, and their choices."""
    kind, items = outstanding.group_choices(home, kind, group)
    for item in items:
        click.echo(one_line(outstanding.describe(item)))
    choices = "; ".join(f"{n}) {c}" for n, c in enumerate(outstanding.choices_of(items[0]), 1))
    click.echo(f"All of them as one session: {tool_command('decide', home)} {kind} --all "
               f"--group {group} --choose N ({choices})")  # fmt: skip


def _open_in(need, code: str) -> int:
    if code == groups.UNIDENTIFIED:
        return int(asks_identity(need.note, (c.code for c in need.codes)))
    return next((c.open for c in need.codes if c.code == code), 0)


def group_named(found, code: str, kind: str | None):
    """The groups of ``code``; an unknown code, or one with no open decision, a usage error."""
    if code != groups.UNIDENTIFIED and rule_plugins.code_of(code) is None:
        raise decide.DecideError(f"no finding code {code!r} (docs/findings.md lists them)")
    chosen = groups.find_group(found, code, kind)
    if not chosen:
        where = f" in {kind}" if kind else ""
        raise decide.DecideError(f"no open {code!r} decision{where}: nothing to decide there")
    return chosen


def rules_command(home: Path, forget: str | None) -> None:
    if forget:
        if rule_plugins.code_of(forget) is None:
            raise decide.DecideError(f"no finding code {forget!r} (docs/findings.md lists them)")
        if not rules.forget(home, forget):
            raise decide.DecideError(f"no rule for {forget!r} in {home / CONFIG_FILE}")
        click.echo(f"rule for {forget} removed: its findings are asked again from the next batch")
        return
    recorded = rules_in(home)
    if not recorded:
        click.echo("No rules recorded.")
    for code, answer in recorded.items():
        click.echo(f'{code} = "{answer}"')
