"""Decide what needs you, from the toolkit: python utilities/decide.py --help"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from mediakeeper.cli import decide_dupes
from mediakeeper.cli.command import Command, home_option, settings_for
from mediakeeper.core import kinds, rule_plugins, writemode
from mediakeeper.core.commands import tool_command
from mediakeeper.core.decisions import questions, rules_in
from mediakeeper.core.errors import UsageError
from mediakeeper.core.home import CONFIG_FILE
from mediakeeper.decisions import dupes, groups, outstanding, rules, taking
from mediakeeper.decisions import item as decide
from mediakeeper.decisions.listing import decisions_json, outstanding_json
from mediakeeper.music.fixes import CHANGED_SINCE_SCAN
from mediakeeper.text.wording import count, plural_of, value, written_to


@click.command(
    cls=Command, reads_home=True, context_settings={"help_option_names": ["-h", "--help"]}
)
@home_option
@click.argument("kind", required=False)
@click.argument("name", required=False)
@click.option("--choose", type=click.IntRange(min=1), metavar="N", help="Take listed choice N.")
@click.option("--set", "values", multiple=True, metavar="TAG=VALUE",
              help="Set a tag on the item's tracks (of --album only, when given).")  # fmt: skip
@click.option("--album", metavar="ALBUM", help="With --set: this album only (folder or name).")
@click.option("--dismiss", metavar="CODE", help="Leave the findings of CODE as they are.")
@click.option("--group", metavar="CODE", help="List the items of the group of CODE.")
@click.option("--all", "whole_group", is_flag=True,
              help="With --dismiss CODE or --choose N (and --group CODE): decide the whole "
              "group as one session.")  # fmt: skip
@click.option(
    "--remember",
    is_flag=True,
    help="With --all --dismiss CODE: also record a rule later batches apply.",
)
@click.option("--rules", "list_rules", is_flag=True, help="List the recorded rules.")
@click.option("--forget", metavar="CODE", help="Remove the rule of CODE.")
@click.option("--json", "as_json", is_flag=True, help="Print the groups as one JSON object.")
@click.option("--dry-run", is_flag=True, help="Show what would be written; write nothing.")
@click.option("-i", "--interactive", is_flag=True,
              help="Walk the open music decisions one by one, the choices as keys.")  # fmt: skip
def main(home, kind, name, choose, values, album, dismiss, group, whole_group, remember,
         list_rules, forget, as_json, dry_run, interactive):  # fmt: skip
    """Without arguments: the open decisions of every kind, one line per group (the same
    question in many items), worst first; --json prints them as one JSON object; --group
    CODE lists a group's items. With KIND NAME: that item's decisions, each with its
    numbered choices; --choose N, --set TAG=VALUE or --dismiss CODE takes one. With --all:
    the same choice for a whole group, as one session (undo --session takes it all back);
    --remember records it as a rule. A choice is written through the change journal (undo
    takes it back); the finding is closed with who decided it and when; the item's issue
    report and the index are written again."""
    settings = settings_for(home)
    writing = writemode.chosen(settings.get)  # a choice is written as a fix is
    if kind is not None and kind not in kinds.KINDS:
        raise click.UsageError(f"no kind {kind!r}: one of {', '.join(kinds.KINDS)}")
    if list_rules or forget:
        _rules(settings.home, forget)
        return
    if remember and not whole_group:
        raise decide.DecideError("--remember goes with --all --dismiss CODE")
    if whole_group:
        _whole_group(settings.home, kind, name, group or dismiss, choose, dismiss, values,
                     remember, dry_run, writing)  # fmt: skip
        return
    if interactive:
        _walk(settings.home, dry_run, writing)
        return
    acts = sum(bool(x) for x in (choose, values, dismiss))
    if name is None and acts:
        raise click.UsageError("give the item's NAME after its KIND (or --all: a whole group)")
    if group or as_json or name is None:
        _groups(settings.home, kind, group, as_json)
        return
    if acts > 1:
        raise click.UsageError("one of --choose, --set or --dismiss at a time")
    if kind == dupes.KIND.name and decide_dupes.decide_one(
        settings.home, name, choose=choose, dismiss=dismiss, values=values, dry_run=dry_run
    ):
        return
    if values:  # every value read before any file is: a bad one refuses the whole decision
        values = [_tag_value(pair) for pair in values]
    try:
        item = decide.find_item(settings.home, kind, name)
    except decide.DecideError:
        if (failed := outstanding.find(settings.home, kind, name)) is None:
            raise
        _outstanding(settings.home, failed, choose, bool(values or dismiss))
        return
    found = decide.item_decisions(settings.home, kind, item)
    if not acts:
        click.echo("\n".join(decide.describe(found)))
        return
    if kind == "movies" and choose:
        label = decide.choose_movie(settings.home, found, choose, dry_run=dry_run)
        verb = "would choose" if dry_run else "chose"
        click.echo(f"{verb} {label} for {found.name}: the next movie batch identifies it so")
        return
    if kind != "music":
        raise click.UsageError(f"{kind}: only --choose of a TMDb candidate is taken here")
    changes, closing, what = _what(found, choose, values, album, dismiss)
    taken = decide.take(settings.home, found, changes, closing, what, dry_run=dry_run,
                        dismissing=dismiss or "", writing=writing)  # fmt: skip
    _said(taken, dry_run)


def _outstanding(home: Path, failed, choose: int | None, other: bool) -> None:
    """A failed or skipped item: shown with its last error and choices, or one taken."""
    if other:
        raise decide.DecideError(f"{failed.name} {failed.word}: its choices are --choose N")
    if not choose:
        click.echo("\n".join(outstanding.describe(failed)))
        return
    click.echo(outstanding.take(home, failed, choose))


def _tag_value(pair: str) -> tuple[str, str]:
    """``TAG=VALUE`` as (tag, value); a pair that is not one, or a value that is not text
    (bytes the terminal passed that are not UTF-8), a usage error naming it."""
    tag, sep, new = pair.partition("=")
    if not sep:
        raise decide.DecideError(f"--set takes TAG=VALUE, not {_shown(pair)}")
    try:
        pair.encode("utf-8")
    except UnicodeEncodeError:
        raise decide.DecideError(
            f"--set {_shown(pair)}: not UTF-8 text; nothing written", "give the value as UTF-8"
        ) from None
    return tag.strip(), new


def _shown(text: str) -> str:
    """``text`` as it can be printed, its undecodable bytes as escapes."""
    return repr(text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace"))


def _what(found, choose, values, album, dismiss):
    """(changes, decisions closed, what the person decided): ``decide.what_to_take``, its
    refusals said as usage errors."""
    try:
        return decide.what_to_take(found, choose, values, album, dismiss)
    except UsageError as err:
        raise click.UsageError(str(err)) from None


def _said(taken, dry_run: bool) -> None:
    for change in taken.changes:
        verb = "would set" if dry_run else "set"
        was, new = value(change.old), value(change.new)
        click.echo(f"{verb} {change.tag} of {change.path}: {was} -> {new}")
    for change, why in taken.refused:
        click.echo(f"left alone {change.tag} of {change.path}: {why}", err=True)
    if taken.refused and not taken.session:  # refused before a byte was written
        click.echo("Nothing decided, nothing written: mend what is said above, then decide "
                   "again.", err=True)  # fmt: skip
        sys.exit(1)
    if taken.refused:
        click.echo(_why_nothing(taken), err=True)
        sys.exit(1)
    if taken.files_written.files:
        click.echo(f"values {written_to(*taken.files_written)}")
    closed = count(questions(taken.closed, open_only=False), "decision")
    if dry_run:
        click.echo(f"dry run: {closed} would be closed; nothing written")
    else:
        undo = f" (undo session {taken.session})" if taken.session else ""
        click.echo(f"{closed} closed{undo}")


KEYS = "123456789"  # a choice's key: its number among the decision's own choices


def _walk(home: Path, dry_run: bool, writing: writemode.Writing) -> None:
    """One decision at a time, worst item first: a digit takes that choice, d dismisses the
    finding's code, s passes it over, q stops. Each is written before the next is shown."""
    if not sys.stdin.isatty():
        raise click.UsageError("-i needs a terminal; without it, give --choose, --set or --dismiss")
    passed: set[tuple[str, int]] = set()
    for entry in [e for e in decide.listing(home) if e.kind == "music"]:
        item = decide.find_item(home, entry.kind, entry.name)
        while True:
            found = decide.item_decisions(home, entry.kind, item)
            waiting = [d for d in found.decisions if (entry.name, d.at) not in passed]
            if not waiting:
                break
            decision = waiting[0]
            key = _ask(found, decision)
            if key == "q":
                click.echo("Stopped; the rest wait for the next time.")
                return
            if key == "s":
                passed.add((entry.name, decision.at))
                continue
            if key == "d":
                code = decision.finding["code"]
                closing = [d for d in found.decisions if d.finding["code"] == code]
                taken = decide.take(home, found, (), closing, "dismissed: left as it is",
                                    dry_run=dry_run, dismissing=code)  # fmt: skip
            else:
                choice = decision.choices[KEYS.index(key)]
                taken = decide.take(home, found, choice.changes, [decision],
                                    f"chose {choice.label}", dry_run=dry_run,
                                    writing=writing)  # fmt: skip
            _said(taken, dry_run)
            if dry_run:
                passed.add((entry.name, decision.at))
    click.echo("Nothing left to decide.")


def _ask(found, decision) -> str:
    """Show one decision and read one key among those it offers."""
    f = decision.finding
    click.echo(f"\n{found.name} · {f['severity']} {f['code']} — {f['path'] or '(artist)'}")
    click.echo(f"  {f['message']}")
    keys = KEYS[: len(decision.choices)]
    for key, choice in zip(keys, decision.choices, strict=False):
        click.echo(f"  [{key}] {choice.label}")
    click.echo("  [d] leave it as it is (dismiss)   [s] skip   [q] quit")
    while (key := click.getchar().lower()) not in keys + "dsq":
        pass
    click.echo(f"> {key}")
    return key


SCREEN = 12  # groups listed before the rest are only counted: a screen, with its lines


def _groups(home: Path, kind: str | None, code: str | None, as_json: bool) -> None:
    """The groups worst first (of ``kind`` when given), or the items of the group of
    ``code``; as one JSON object with ``as_json``."""
    if code in dupes.CODES and kind in (None, dupes.KIND.name):
        if as_json:
            chosen = [g for g in dupes.as_json(home) if g["code"] == code]
            click.echo(json.dumps({"total": 0, "groups": [], "duplicates": chosen}))
        else:
            decide_dupes.group_items(home, code)
        return
    if as_json and not code:
        click.echo(json.dumps(decisions_json(home, kind), ensure_ascii=False))
        return
    needs = [n for n in decide.listing(home) if kind in (None, n.kind)]
    found = groups.groups_of(needs)
    if code:
        found = _group_named(found, code, kind)
    if as_json:
        click.echo(json.dumps(groups.as_json(found), ensure_ascii=False))
        return
    waiting = [] if code else outstanding.outstanding_in(home, kind)
    asking_dupes = not code and kind in (None, dupes.KIND.name)
    duplicates = decide_dupes.listing_lines(home) if asking_dupes else []
    if not found and not waiting and not duplicates:
        click.echo("Nothing to decide.")
        return
    total = sum(g.count for g in found)
    if code:
        for group in found:
            click.echo(group.line())
            for need in needs:
                if need.kind == group.kind and (n := _open_in(need, group.code)):
                    click.echo(f"  {need.name}  {count(n, 'decision')}"
                               + (f"  {need.report}" if need.report else ""))  # fmt: skip
        click.echo(f"Decide one: {tool_command('decide', home)} {found[0].kind} NAME; all of "
                   f"them: --all --dismiss {code} (--remember: also later ones)")  # fmt: skip
        return
    click.echo(f"{count(total, 'decision')} in {count(len(found), 'group')}, worst first:")
    shown = found if len(found) <= SCREEN else found[: SCREEN - 1]
    for group in shown:
        click.echo(f"  {group.line()}")
    if len(shown) < len(found):
        click.echo(f"  ... and {count(len(found) - len(shown), 'more group')} (--json lists all)")
    for entry in outstanding_json(waiting):
        noun = kinds.noun(entry["kind"])
        names = ", ".join(entry["items"][:3]) + (" ..." if entry["count"] > 3 else "")
        items = count(entry["count"], noun, plural_of(noun))
        choices = " | ".join(entry["choices"])
        click.echo(f"  {entry['kind']:<7} {entry['status']}  {items}: {names}  [{choices}]")
    for line in duplicates:  # counted apart too: a group a line
        click.echo(line)
    click.echo("A group's items: decide --group CODE; one item: decide KIND NAME; "
               "a whole group: decide KIND --all --dismiss CODE")  # fmt: skip


def _open_in(need, code: str) -> int:
    if code == groups.UNIDENTIFIED:
        return need.decisions if not need.codes else 0
    return next((c.open for c in need.codes if c.code == code), 0)


def _group_named(found, code: str, kind: str | None):
    """The groups of ``code``; an unknown code, or one with no open decision, a usage error."""
    if code != groups.UNIDENTIFIED and rule_plugins.code_of(code) is None:
        raise decide.DecideError(f"no finding code {code!r} (docs/findings.md lists them)")
    chosen = groups.find_group(found, code, kind)
    if not chosen:
        where = f" in {kind}" if kind else ""
        raise decide.DecideError(f"no open {code!r} decision{where}: nothing to decide there")
    return chosen


def _whole_group(home, kind, name, code, choose, dismiss, values, remember, dry_run, writing):
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
    if code in dupes.CODES:
        decide_dupes.decide_whole(home, code, choose=choose, remember=remember, dry_run=dry_run)
        return
    chosen = _group_named(groups.groups_of(decide.listing(home)), code, kind)
    if len(chosen) > 1:
        raise decide.DecideError(f"{code!r} is asked in several kinds: give the KIND")
    group = chosen[0]
    result = taking.take_group(home, group.kind, code, choose=choose, remember=remember,
                               dry_run=dry_run, writing=writing)  # fmt: skip
    for item, taken in result.taken:
        for change in taken.changes:
            verb = "would set" if dry_run else "set"
            click.echo(f"{verb} {change.tag} of {item}/{change.path}: "
                       f"{value(change.old)} -> {value(change.new)}")  # fmt: skip
        for change, why in taken.refused:
            click.echo(f"left alone {change.tag} of {item}/{change.path}: {why}", err=True)
    items = count(sum(1 for _, t in result.taken if t.closed), kinds.noun(group.kind),
                  plural_of(kinds.noun(group.kind)))  # fmt: skip
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


def _rules(home: Path, forget: str | None) -> None:
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


def _why_nothing(taken) -> str:
    """Why a decision refused after its first write: a file changed since the batch read
    it, or the reason the write itself failed (a full disk, ...), said as it is."""
    reasons = list(dict.fromkeys(why for _, why in taken.refused))
    if all(why == CHANGED_SINCE_SCAN for why in reasons):
        return ("Nothing decided: a file changed since the batch read it; run the batch on the "
                "item again, then decide.")  # fmt: skip
    failed = [why for why in reasons if why != CHANGED_SINCE_SCAN]
    written = taken.files_written.files
    undo = f" (what was written: undo --session {taken.session})" if written else ""
    return (f"Nothing decided: {count(len(taken.refused), 'value')} could not be written: "
            f"{failed[0]}; mend that, then decide again{undo}.")  # fmt: skip


if __name__ == "__main__":
    main()
