"""Decide what needs you, from the toolkit: python utilities/decide.py --help"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from mediakeeper.cli.command import Command, home_option, settings_for
from mediakeeper.core import kinds, writemode
from mediakeeper.core.errors import UsageError
from mediakeeper.reports import decide
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
@click.option("--dry-run", is_flag=True, help="Show what would be written; write nothing.")
@click.option("-i", "--interactive", is_flag=True,
              help="Walk the open music decisions one by one, the choices as keys.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True,
              help="The open decisions as JSON (what /api/decisions answers).")  # fmt: skip
def main(home, kind, name, choose, values, album, dismiss, dry_run, interactive, as_json):
    """Without arguments: the open decisions of every kind, one line per item, worst first.
    With KIND NAME: that item's decisions, each with its numbered choices; --choose N,
    --set TAG=VALUE or --dismiss CODE takes one. A choice is written through the change
    journal (undo takes it back); the finding is closed with who decided it and when; the
    item's issue report and the index are written again."""
    settings = settings_for(home)
    writing = writemode.chosen(settings.get)  # a choice is written as a fix is
    if interactive:
        _walk(settings.home, dry_run, writing)
        return
    if as_json:
        click.echo(json.dumps(decide.decisions_json(settings.home), ensure_ascii=False, indent=2))
        return
    if kind is None:
        _list(settings.home)
        return
    if name is None:
        raise click.UsageError("give the item's NAME after its KIND")
    if kind not in kinds.KINDS:
        raise click.UsageError(f"no kind {kind!r}: one of {', '.join(kinds.KINDS)}")
    found = decide.item_decisions(settings.home, kind, decide.find_item(settings.home, kind, name))
    acts = sum(bool(x) for x in (choose, values, dismiss))
    if acts > 1:
        raise click.UsageError("one of --choose, --set or --dismiss at a time")
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


def _what(found, choose, values, album, dismiss):
    """(changes, decisions closed, what the person decided): the library's reading, its
    refusals with the usage line."""
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
        click.echo("Nothing decided: a file changed since the batch read it; run the batch "
                   "on the item again, then decide.", err=True)  # fmt: skip
        sys.exit(1)
    if taken.files_written.files:
        click.echo(f"values {written_to(*taken.files_written)}")
    closed = count(len(taken.closed), "decision")
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


def _list(home: Path) -> None:
    items = decide.listing(home)
    if not items:
        click.echo("Nothing to decide.")
        return
    total = sum(i.decisions for i in items)
    click.echo(f"{count(total, 'decision')} in {count(len(items), 'item')}, worst first:")
    for n, i in enumerate(items, 1):
        level = "error" if i.level == 0 else "warning"
        what = " · ".join(filter(None, (i.codes_text(), i.note)))
        click.echo(f"{n:>3}. {i.kind:<7} {i.name}  [{level}] {what}")
    click.echo("See one: decide KIND NAME; take a choice: decide KIND NAME --choose N")


if __name__ == "__main__":
    main()
