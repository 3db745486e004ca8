"""``decide -i``: the open decisions walked one at a time on a terminal, worst item first
and, within an item, its worst question first (errors before warnings).
Each choice is shown with the number ``decide KIND NAME`` lists it under, and typed as that
number; ``v`` types a value for the tag a decision is about, ``d`` dismisses the finding's
code, ``s`` passes it over, ``q`` stops. Each answer is written before the next is shown."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mediakeeper.cli import decide_verify
from mediakeeper.core import kinds, writemode
from mediakeeper.decisions import item as decide
from mediakeeper.decisions import verifying
from mediakeeper.decisions.backups import AGAIN
from mediakeeper.text.visible import visible


def walk(home: Path, dry_run: bool, writing: writemode.Writing, said) -> None:
    """``said(taken, dry_run)`` tells what each decision wrote."""
    if not sys.stdin.isatty():
        raise click.UsageError("-i needs a terminal; without it, give --choose, --set or --dismiss")
    passed: set[tuple[str, str, int]] = set()
    for entry in decide.listing(home):
        if not kinds.get(entry.kind).rewrite:
            continue
        try:
            item = decide.find_item(home, entry.kind, entry.name)
        except decide.DecideError:
            continue  # not completed (failed, skipped): listed by `decide`, retried there
        while True:
            found = decide.item_decisions(home, entry.kind, item)
            waiting = [
                d
                for asked in decide.asked(found.decisions)
                for d in asked
                if (entry.kind, entry.name, d.at) not in passed
            ]  # worst first
            if not waiting:
                break
            decision = waiting[0]
            answer = _ask(found, decision)
            if answer == "q":
                click.echo("Stopped; the rest wait for the next time.")
                return
            taken = answer != "s" and _take(home, found, decision, answer, dry_run, writing, said)
            if taken == AGAIN and not dry_run:  # back to pending: its next batch asks anew
                break
            if not taken or dry_run:  # passed over, refused, or (dry run) not written
                passed.add((entry.kind, entry.name, decision.at))
    click.echo("Nothing left to decide.")


def _tag_of(found, decision) -> str:
    """The tag a decision is about, where a value typed for it can settle it ("": none)."""
    if not kinds.get(found.kind).sets_tags:
        return ""
    return str((decision.finding.get("details") or {}).get("tag") or "")


def _ask(found, decision) -> str:
    """Show one decision and read one answer among those it offers: a choice's number, or
    v (then the value), d, s or q."""
    f = decision.finding
    where = visible(f["path"]) if f["path"] else "(item)"
    click.echo(f"\n{visible(found.name)} · {f['severity']} {f['code']} — {where}")
    click.echo(f"  {visible(f['message'])}")
    for choice in decision.choices:
        click.echo(f"  [{choice.number}] {visible(choice.label)}")
    if decision.note:  # where a restore's copy is, or why none is offered
        click.echo(f"  ({decision.note})")
    tag = _tag_of(found, decision)
    typed = f"[v] type a value for {tag}   " if tag else ""
    click.echo(f"  {typed}[d] leave it as it is (dismiss)   [s] skip   [q] quit")
    numbers = {str(c.number) for c in decision.choices}
    offered = numbers | {"d", "s", "q"} | ({"v"} if tag else set())
    while (answer := _line("> ", key=True)) not in offered:
        if answer is None:
            return "q"
        click.echo(f"  one of: {', '.join(sorted(offered, key=lambda a: (len(a), a)))}")
    if answer == "v":
        value = _line(f"  {tag} = ")
        return "q" if value is None else "v" + value
    return answer


def _line(prompt: str, *, key: bool = False) -> str | None:
    """One line typed by the person (a ``key`` in lower case, a value as typed); None at
    the end of input, which stops the walk as q does."""
    try:
        typed = click.prompt(prompt, default="", show_default=False, prompt_suffix="").strip()
    except click.Abort:
        return None
    return typed.lower() if key else typed


def _take(home, found, decision, answer, dry_run, writing, said) -> bool | str:
    """Take the answer; whether a decision was taken (a refused value is said, and the
    decision passed over), or ``AGAIN``: the album is back to pending (verify again)."""
    if answer == "d":
        code = decision.finding["code"]
        changes, closing, what = decide.what_to_take(found, dismiss=code)
        taken = decide.take(home, found, changes, closing, what, dry_run=dry_run,
                            dismissing=code)  # fmt: skip
    elif answer.startswith("v"):
        tag, value = _tag_of(found, decision), answer[1:]
        try:
            changes, settles = decide.set_changes(found, tag, value, decision.finding.get("album")
                                                  or None)  # fmt: skip
        except decide.DecideError as err:
            click.echo(f"  {err}", err=True)
            return False
        taken = decide.take(home, found, changes, settles or [decision], f"set {tag}={value}",
                            dry_run=dry_run, writing=writing)  # fmt: skip
    elif verifying.act_of(found, int(answer)):
        acted = verifying.take_one(home, found, int(answer), dry_run=dry_run)
        decide_verify.said(home, acted, stop=False)
        return AGAIN if acted.queued else any(t.closed for _, t in acted.taken)
    elif decide.is_candidate(found, int(answer)):
        label = decide.choose_movie(home, found, int(answer), dry_run=dry_run)
        click.echo(f"chose {label}: the next batch identifies it so")
        return False  # its document stays as it is until that batch: not asked again now
    else:
        _, choice = found.choice(int(answer))
        taken = decide.take(home, found, choice.changes, [decision], f"chose {choice.label}",
                            dry_run=dry_run, writing=writing)  # fmt: skip
    said(taken, dry_run, stop=False)
    return True
