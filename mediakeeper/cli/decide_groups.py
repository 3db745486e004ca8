"""``decide`` over groups: the listing (worst first, each group with what its code means, or
a group's items), a whole group decided as one session (``--all``: a finding code's
decisions of any kind, or a kind's failed or skipped items), and the rules (``--rules``,
``--forget``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from mediakeeper.cli import decide_dupes, decide_verify
from mediakeeper.core import kinds, rule_plugins
from mediakeeper.core.commands import tool_command
from mediakeeper.core.decisions import asks_identity, rules_in
from mediakeeper.core.home import CONFIG_FILE
from mediakeeper.decisions import dupes, engine, groups, outstanding, rules
from mediakeeper.decisions import item as decide
from mediakeeper.decisions.listing import outstanding_json
from mediakeeper.text.wording import count, plural_of, value

SCREEN = 10  # groups listed (two lines each) before the rest are only counted: a screen
HINT = ("A group's items: decide --group CODE; one item: decide KIND NAME; a whole group: "
        "decide KIND --all --dismiss CODE")  # fmt: skip


def show_groups(
    home: Path, kind: str | None, code: str | None, as_json: bool, *, every: bool = False
) -> None:
    """The groups worst first (of ``kind`` when given), a screen's worth (``every``: all of
    them), or the items of the group of ``code``; as one JSON object with ``as_json``."""
    if as_json:  # the engine's listing (each decision with its id), of one group's code
        click.echo(json.dumps(_listed(home, kind, code), ensure_ascii=False))
        return
    if code in outstanding.GROUPS:
        _show_outstanding(home, kind, code)
        return
    if code in dupes.CODES and kind in (None, dupes.KIND.name):
        decide_dupes.group_items(home, code)
        return
    needs = [n for n in decide.listing(home) if kind in (None, n.kind)]
    found = groups.groups_of(needs)
    if code:
        found = group_named(found, code, kind)
    waiting = [] if code else outstanding.outstanding_in(home, kind)
    asking_dupes = not code and kind in (None, dupes.KIND.name)
    duplicates = decide_dupes.listing_lines(home) if asking_dupes else []
    if not found and not waiting and not duplicates:
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
        names = ", ".join(entry["items"][:3]) + (" ..." if entry["count"] > 3 else "")
        items = count(entry["count"], noun, plural_of(noun))
        choices = " | ".join(entry["choices"])
        click.echo(f"  {entry['kind']:<7} {entry['status']}  {items}: {names}  [{choices}]")
    for line in duplicates:  # counted apart too: a group a line
        click.echo(line)
    word = outstanding_json(waiting)[0]["status"] if waiting else ""
    click.echo(HINT + (f"; {word} ones: --all --group {word} --choose N" if word else ""))


def _listed(home: Path, kind: str | None, code: str | None) -> dict:
    """``decide --json`` (``--group CODE``: that group's entries alone, under the key it is
    listed under; the total, of the findings' groups, as they add up)."""
    shown = engine.listing(home, kind)
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
        click.echo(indent + line)


def _show_items(home: Path, needs, found, code: str) -> None:
    for group in found:
        _echo_group(group)
        for need in needs:
            if need.kind == group.kind and (n := _open_in(need, group.code)):
                click.echo(f"  {need.name}  {count(n, 'decision')}"
                           + (f"  {need.report}" if need.report else ""))  # fmt: skip
    click.echo(f"Decide one: {tool_command('decide', home)} {found[0].kind} NAME; all of "
               f"them: --all --dismiss {code} (--remember: also later ones)")  # fmt: skip


def _show_outstanding(home: Path, kind: str | None, group: str) -> None:
    """A kind's failed (or skipped) items, each with its last error, and their choices."""
    kind, items = outstanding.group_choices(home, kind, group)
    for item in items:
        click.echo(outstanding.describe(item)[0])
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


def take_whole_group(home, kind, name, code, choose, dismiss, values, remember, dry_run, writing):
    """``--all``: one choice for every open decision of a group, as one session."""
    if name is not None:
        raise decide.DecideError("--all decides a whole group: give KIND, not an item's NAME")
    if values:
        raise decide.DecideError("--all takes --dismiss CODE or --choose N, not --set")
    if not (choose or dismiss):
        raise decide.DecideError("--all needs a choice: --dismiss CODE, or --group CODE --choose N")
    if choose and dismiss:
        raise decide.DecideError("one of --choose or --dismiss at a time")
    if choose and not code:
        raise decide.DecideError("--all --choose N needs the group: --group CODE")
    result = engine.take_group(home, kind, code, choose=choose, remember=remember,
                               dry_run=dry_run, writing=writing)  # fmt: skip
    if result.family == "queue":
        _said_outstanding(home, result.taken, code, dry_run)
    elif result.family == "dupes":
        decide_dupes.said_whole(home, result.taken, choose, dry_run)
    else:
        _said_group(home, result.kind, code, result.taken, dry_run)


def _said_group(home: Path, kind: str, code: str, result, dry_run: bool) -> None:
    """What a whole group's choice wrote and closed, and how to take it all back."""
    for item, taken in result.taken:
        for change in taken.changes:
            verb = "would set" if dry_run else "set"
            click.echo(f"{verb} {change.tag} of {item}/{change.path}: "
                       f"{value(change.old)} -> {value(change.new)}")  # fmt: skip
    decide_verify.lines([t for _, t in result.taken], [item for item, _ in result.taken])
    if decide_verify.group_queued(home, result, dry_run):
        return
    items = count(sum(1 for _, t in result.taken if t.closed), kinds.noun(kind),
                  plural_of(kinds.noun(kind)))  # fmt: skip
    if dry_run:
        click.echo(f"dry run: {count(result.closed, 'decision')} in {items} would be closed "
                   f"({result.what}); nothing written")  # fmt: skip
        return
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


def _said_outstanding(home: Path, taken, group: str, dry_run: bool) -> None:
    """``--all --group failed --choose N``: what was done to every failed item of a kind."""
    noun = kinds.noun(taken.kind)
    items = f"{count(len(taken.names), f'{group} {noun}', f'{group} {plural_of(noun)}')}"
    if dry_run:
        click.echo(f"dry run: {items} would be put to {taken.what}; nothing written")
        return
    click.echo(
        f"{items} put to {taken.what} ({', '.join(taken.names)}), as one session; to "
        f"take them all back:\n  {tool_command('undo', home)} --session {taken.session}"
    )


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
