"""Decide what needs you, from the toolkit: python utilities/decide.py --help"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mediakeeper.cli import decide_dupes, decide_verify
from mediakeeper.cli.command import Command, home_option, settings_for
from mediakeeper.cli.decide_groups import rules_command, show_groups, take_whole_group
from mediakeeper.cli.decide_walk import walk
from mediakeeper.core import kinds, writemode
from mediakeeper.core.decisions import questions
from mediakeeper.core.errors import UsageError
from mediakeeper.decisions import dupes, outstanding, verifying
from mediakeeper.decisions import item as decide
from mediakeeper.music.fixes import CHANGED_SINCE_SCAN
from mediakeeper.text.wording import count, value, written_to


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
@click.option("--all-groups", "every_group", is_flag=True,
              help="List every group, not a screen's worth (pipe it to less to page).")  # fmt: skip
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
@click.option(
    "-i",
    "--interactive",
    is_flag=True,
    help="Walk the open decisions one by one: a choice's number, or a value.",
)
def main(home, kind, name, choose, values, album, dismiss, group, every_group, whole_group,
         remember, list_rules, forget, as_json, dry_run, interactive):  # fmt: skip
    """Without arguments: the open decisions of every kind, one line per group (the same
    question in many items), worst first, a screen's worth (--all-groups: every one); --json
    prints them as one JSON object; --group
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
        rules_command(settings.home, forget)
        return
    if remember and not whole_group:
        raise decide.DecideError("--remember goes with --all --dismiss CODE")
    if whole_group:
        take_whole_group(settings.home, kind, name, group or dismiss, choose, dismiss, values,
                         remember, dry_run, writing)  # fmt: skip
        return
    if interactive:
        walk(settings.home, dry_run, writing, _said)
        return
    acts = sum(bool(x) for x in (choose, values, dismiss))
    if name is None and acts:
        raise click.UsageError("give the item's NAME after its KIND (or --all: a whole group)")
    if group or as_json or name is None:
        show_groups(settings.home, kind, group, as_json, every=every_group)
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
    if choose and _chose_apart(settings.home, found, choose, dry_run):
        return
    decide.rewriter(kind)  # a kind decided by its own commands is refused before anything
    changes, closing, what = _what(found, choose, values, album, dismiss)
    taken = decide.take(settings.home, found, changes, closing, what, dry_run=dry_run,
                        dismissing=dismiss or "", writing=writing)  # fmt: skip
    _said(taken, dry_run)


def _chose_apart(home: Path, found, choose: int, dry_run: bool) -> bool:
    """A choice that is no tag change, taken: a movie's TMDb candidate (kept for the next
    batch), or a verify choice (``decide_verify``). Whether it was one."""
    if decide.is_candidate(found, choose):
        label = decide.choose_movie(home, found, choose, dry_run=dry_run)
        verb = "would choose" if dry_run else "chose"
        click.echo(f"{verb} {label} for {found.name}: the next batch identifies it so")
        return True
    if verifying.act_of(found, choose):
        decide_verify.said(home, verifying.take_one(home, found, choose, dry_run=dry_run))
        return True
    return False


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


def _said(taken, dry_run: bool, *, stop: bool = True) -> None:
    """What a decision wrote and closed; a refused one exits 1 (``stop``), or is said and
    left open (``decide -i`` goes on to the next)."""
    for change in taken.changes:
        verb = "would set" if dry_run else "set"
        was, new = value(change.old), value(change.new)
        click.echo(f"{verb} {change.tag} of {change.path}: {was} -> {new}")
    for change, why in taken.refused:
        click.echo(f"left alone {decide_verify.what_of(change)}: {why}", err=True)
    if taken.refused:
        click.echo(_why_nothing(taken) if taken.session else "Nothing decided, nothing "
                   "written: mend what is said above, then decide again.", err=True)  # fmt: skip
        if stop:
            sys.exit(1)
        return
    if taken.files_written.files:
        click.echo(f"values {written_to(*taken.files_written)}")
    closed = count(questions(taken.closed, open_only=False), "decision")
    if dry_run:
        click.echo(f"dry run: {closed} would be closed; nothing written")
    else:
        undo = f" (undo session {taken.session})" if taken.session else ""
        click.echo(f"{closed} closed{undo}")


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
