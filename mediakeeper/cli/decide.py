"""Decide what needs you, from the toolkit: python utilities/decide.py --help"""

from __future__ import annotations

import contextlib
from pathlib import Path

import click

from mediakeeper.cli.command import NAMED, Command, echo_json, home_option, settings_for
from mediakeeper.cli.decide_groups import rules_command, show_groups
from mediakeeper.core import writemode
from mediakeeper.core.decisions import UNIDENTIFIED, not_identified
from mediakeeper.decisions import dupes
from mediakeeper.decisions import item as decide
from mediakeeper.decisions.item import SCOPES, kinds_here
from mediakeeper.decisions.listing import decision_json, queued_json
from mediakeeper.queue.items import COMPLETED
from mediakeeper.system import collector
from mediakeeper.text.commands import last_name
from mediakeeper.text.visible import one_line


@click.command(
    cls=Command, reads_home=True, context_settings={"help_option_names": ["-h", "--help"]}
)
@home_option
@click.argument("kind", required=False)
@click.argument("name", required=False)
@click.option("--id", "decision_id", type=NAMED, metavar="ID",
              help="The decision of this id (`decide --json` gives each one's).")  # fmt: skip
@click.option("--code", type=NAMED, metavar="CODE",
              help="With KIND NAME: the item's decision of this finding code.")  # fmt: skip
@click.option("--choose", type=click.IntRange(min=1), metavar="N",
              help="Take choice N of the decision (numbered within it, as listed).")  # fmt: skip
@click.option("--set", "values", multiple=True, metavar="TAG=VALUE",
              help="Set a tag on the files the decision is about (the item's decisions about "
              "that tag; every track when none asks it); --scope widens it.")  # fmt: skip
@click.option("--scope", type=click.Choice(SCOPES),
              help="With --set: the decision's files (the default), every track of their "
              "albums, or of the item.")  # fmt: skip
@click.option("--fields", metavar="TAG,...",
              help="With --choose: write only these fields of the choice (a proposal's).")
@click.option("--album", type=NAMED, metavar="ALBUM",
              help="The item's decision about this album; with --set: this album's tracks.")
@click.option("--dismiss", metavar="CODE", is_flag=False, flag_value="",
              help="Leave the decision as it is (CODE: the item's decision of that code; "
              "with --id, no CODE is needed).")  # fmt: skip
@click.option("--group", type=NAMED, metavar="CODE", help="List the items of the group of CODE.")
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
@click.option("--forget", type=NAMED, metavar="CODE", help="Remove the rule of CODE.")
@click.option("--json", "as_json", is_flag=True,
              help="Print as one JSON object: the groups, with each decision's id; with KIND "
              "NAME or --id, the decisions with their details and choices. Not with an "
              "answer, but --all --dry-run: its preview, as the API's.")  # fmt: skip
@click.option("--dry-run", is_flag=True,
              help="Show exactly which files and fields it would change; write nothing.")
@click.option(
    "-i",
    "--interactive",
    is_flag=True,
    help="Walk every open decision `decide` lists, in its order (the findings worst first, "
    "failed or skipped items, duplicate groups), one by one: a choice's number, or a value.",
)
def main(home, kind, name, decision_id, code, choose, values, scope, fields, album, dismiss,
         group, every_group, whole_group, remember, list_rules, forget, as_json, dry_run,
         interactive):  # fmt: skip
    """Without arguments: the open decisions of every kind by group (the same question in
    many items, with what it means), worst first, a screen's worth (--all-groups: every
    one); --json prints them as one JSON object, each decision with its id; --group CODE
    lists a group's items. With KIND NAME (or --id ID):
    that item's decisions, each its question in words, its evidence and its choices
    numbered within it; --choose N, --set TAG=VALUE or --dismiss takes one (--code CODE
    names which of the item's, where it has several); --dry-run shows exactly which files
    and fields it would change. With --all: the same choice for a whole group, as one
    session (undo --session takes it all back); --remember records it as a rule. Every
    answer, a dismissal too, is one session that undo --session takes back; the finding is
    closed with who decided it and when; the item's issue report and the index are written
    again."""
    # Listing and showing, a rule's list and a dry run write nothing: the home is left as it
    # was, times too.
    takes = whole_group or interactive or forget or choose or values or dismiss is not None
    settings = settings_for(home, writes=bool(takes) and not dry_run)
    writing = writemode.chosen(settings.get)  # a choice is written as a fix is
    if kind is not None and kind not in (known := kinds_here(settings.home)):
        raise click.UsageError(f"no kind {kind!r}: one of {', '.join(known)}")
    if list_rules or forget:
        _rules(settings.home, forget, as_json)
        return
    previewed_whole = whole_group and dry_run  # its --json: the preview, as the API's
    _shaping_alone(as_json=as_json and bool(takes) and not previewed_whole,
                   scope=scope is not None and not values,
                   remember=remember and not whole_group)  # fmt: skip
    if fields is not None:  # (none named, or no --choose: the answer's own check says so)
        fields = tuple(dict.fromkeys(f.strip() for f in fields.split(",") if f.strip()))
        if whole_group:
            raise decide.DecideError("--fields goes with one decision's --choose N, not --all")
    # Taking a decision loads what writes: the tag library, the change journal, the media
    # probes and the reports written again. Each of the three ways to take one imports it
    # here, as it is taken, so that listing and showing decisions load none of it; it loads
    # as the command's first modules did (``collector.loading``).
    if whole_group:
        with collector.loading():
            from mediakeeper.cli.decide_whole import take_whole_group

        take_whole_group(settings.home, kind, name, group, choose, dismiss, values,
                         remember, dry_run, writing, as_json=as_json)  # fmt: skip
        return
    if interactive:
        with collector.loading():
            from mediakeeper.cli.decide_walk import walk

        walk(settings.home, dry_run, writing)
        return
    dismissing = dismiss is not None
    acts = sum(bool(x) for x in (choose, values, dismissing))
    if name is None and decision_id is None:
        if acts:
            raise click.UsageError("give the item's NAME after its KIND, or --id ID (or --all: "
                                   "a whole group)")  # fmt: skip
        _no_item_named(code, album)
        _only_with_an_answer(fields=fields is not None, dry_run=dry_run)
        show_groups(settings.home, kind, group, as_json, every=every_group)
        return
    if acts > 1:
        raise click.UsageError("one of --choose, --set or --dismiss at a time")
    if name is not None and kind is None:
        raise click.UsageError("give the item's KIND before its NAME")
    if not acts:
        _only_with_an_answer(fields=fields is not None, dry_run=dry_run)
        _show(settings.home, kind, name, decision_id, code, album, as_json)
        return
    with collector.loading():
        from mediakeeper.cli import decide_said
        from mediakeeper.decisions import engine

    answer = engine.Answer(choose=choose, values=tuple(_tag_value(p) for p in values),
                           dismiss=dismissing, scope=scope or SCOPES[0],
                           album=album if values else None,
                           fields=fields)
    answer.check()  # before the decision is looked for: what is wrong with the answer first
    named = engine.code_named(code, dismiss, decision_id)  # refused: two decisions named
    behind = engine.behind_named(settings.home, kind, name, named, decision_id)
    if behind is not None:  # a stopped answer's: its counts written again, nothing else
        decide_said.behind(settings.home, behind, dry_run=dry_run)
        return
    decision_id = decision_id or engine.resolve(settings.home, kind, name, named, album,
                                                values=bool(values))  # fmt: skip
    if dry_run:
        decide_said.previewed(engine.preview(settings.home, decision_id, answer))
        return
    decide_said.taken(settings.home, engine.take_answer(settings.home, decision_id, answer,
                                                        writing=writing))  # fmt: skip


def _shaping_alone(*, as_json: bool, scope: bool, remember: bool) -> None:
    """An option that shapes what it is not given with: a usage error, nothing taken."""
    if as_json:  # a script reading it would take the answer's text for no answer at all
        raise click.UsageError("--json lists decisions (and an --all --dry-run's preview); an "
                               "answer (--choose, --set, --dismiss, --all, -i) prints text: "
                               "leave --json out")  # fmt: skip
    if scope:
        raise click.UsageError("--scope widens a --set; give --set TAG=VALUE")
    if remember:
        raise decide.DecideError("--remember goes with --all --dismiss CODE")


def _rules(home: Path, forget: str | None, as_json: bool) -> None:
    if as_json:
        raise click.UsageError("--rules and --forget print text; --json lists decisions")
    rules_command(home, forget)


def _no_item_named(code: str | None, album: str | None) -> None:
    """A listing's options: those naming one of an item's decisions are refused there."""
    for flag, given in (("--code", code), ("--album", album)):
        if given is not None:
            raise click.UsageError(f"{flag} names one of an item's decisions: give KIND NAME "
                                   "before it (--group CODE lists a group's items)")


def _only_with_an_answer(*, fields: bool, dry_run: bool) -> None:
    """Options that shape an answer, refused where none is given (they were passed over)."""
    if fields:
        raise click.UsageError("--fields goes with --choose N")
    if dry_run:
        raise click.UsageError("--dry-run previews an answer: give --choose N, --set TAG=VALUE "
                               "or --dismiss")  # fmt: skip


def _show(home: Path, kind, name, decision_id, code, album, as_json: bool) -> None:
    """An item's decisions, or one decision (``--id``, ``--code``; a failed item's, a
    duplicate group's), as text or JSON: what ``engine.explain`` says."""
    item = None
    if not (decision_id or code):  # else a failed item, a duplicate group: ``resolve`` says
        with contextlib.suppress(decide.DecideError):
            item = decide.find_item(home, kind, name)
    if item is not None:
        found = decide.item_decisions(home, kind, item)
        if as_json:
            shown = [decision_json(found, d, full=True) for d in found.decisions]
            # Done but not identified: its own question, last, as ``describe`` says it.
            if item["status"] == COMPLETED and not_identified(item.get("details")):
                shown.append(queued_json(home, kind, item, UNIDENTIFIED, full=True))
            echo_json({"kind": kind, "item": found.name, "key": found.item["key"],
                       "decisions": shown}, indent=None)  # fmt: skip
            return
        click.echo("\n".join(map(one_line, decide.describe(found))))  # each line whole
        for twin in decide.twins_said(home, kind, item):
            click.echo(f"  {one_line(twin)}")
        if (behind := decide.decided_behind(home, kind, item)) is not None:
            again = f"decide {kind} --dismiss {behind.code} {last_name(found.name)}"
            click.echo(one_line(f"  {behind.code}: still listed by `decide`, though decided "
                                f"({behind.decided.get('what')}): an answer stopped half-way; "
                                f"answering it again ({again}) writes its counts"))  # fmt: skip
        return
    with collector.loading():  # it explains these: loaded as ``main`` says
        from mediakeeper.decisions import engine

    shown = engine.explain(home, decision_id or engine.resolve(home, kind, name, code, album))
    if as_json:  # an item named: its decisions, as any item's are given (an id, or a
        # duplicate group's, which is one decision: that one)
        echo_json(shown if decision_id or kind == dupes.KIND.name else {
            "kind": shown["kind"], "item": shown["item"], "key": shown["key"],
            "decisions": [shown]}, indent=None)  # fmt: skip
        return
    click.echo("\n".join(map(one_line, engine.describe_one(shown))))


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


if __name__ == "__main__":
    main()
