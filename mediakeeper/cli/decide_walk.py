"""``decide -i``: the open decisions walked one at a time on a terminal, worst item first.
Each choice is shown with the number ``decide KIND NAME`` lists it under, and typed as that
number; ``v`` types a value for the tag a decision is about, ``d`` dismisses the finding's
code, ``s`` passes it over, ``q`` stops. Each answer is written before the next is shown."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mediakeeper.cli import decide_verify
from mediakeeper.cli.decide_said import said
from mediakeeper.core import kinds, writemode
from mediakeeper.core.questions import AGAIN, CANDIDATE
from mediakeeper.decisions import engine
from mediakeeper.decisions import item as decide
from mediakeeper.decisions.taking import VERIFYING
from mediakeeper.text.visible import one_line


def walk(home: Path, dry_run: bool, writing: writemode.Writing) -> None:
    """Each open decision asked in turn, and each answer taken before the next is shown."""
    if not sys.stdin.isatty():
        raise click.UsageError("-i needs a terminal; without it, give --choose, --set or --dismiss")
    passed: set[str] = set()
    for entry in decide.listing(home):
        if not kinds.get(entry.kind).rewrite:
            continue
        try:
            item = decide.find_item(home, entry.kind, entry.name)
        except decide.DecideError:
            continue  # not completed (failed, skipped): listed by `decide`, retried there
        while True:
            found = decide.item_decisions(home, entry.kind, item)
            waiting = [d for d in found.decisions if d.id not in passed]
            if not waiting:
                break
            decision = waiting[0]
            answer = _ask(found, decision)
            if answer == "q":
                click.echo("Stopped; the rest wait for the next time.")
                return
            taken = answer != "s" and _take(home, decision, answer, dry_run, writing)
            if taken == AGAIN and not dry_run:  # back to pending: its next batch asks anew
                break
            if not taken or dry_run:  # passed over, refused, or (dry run) not written
                passed.add(decision.id)
            item = decide.find_item(home, entry.kind, entry.name)  # as the answer left it
    click.echo("Nothing left to decide.")


def _ask(found, decision) -> str:
    """Show one decision and read one answer among those it offers: a choice's number, or
    v (then the value), d, s or q."""
    click.echo(f"\n{one_line(found.name)} · {decision.severity} {decision.code} — "
               f"{one_line(decision.words)}")  # fmt: skip
    for line in decide.evidence_lines(decision.evidence):
        click.echo(f"  {one_line(line)}")
    for choice in decision.choices:
        click.echo(f"  [{choice.number}] {one_line(choice.label)}")
    if decision.note:  # where a restore's copy is, or why none is offered
        click.echo(f"  ({decision.note})")
    tag = decision.tag
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


def _take(home, decision, answer, dry_run, writing) -> bool | str:
    """Take the answer through the engine (``decisions.engine``); whether a decision was
    taken (a refused value is said, and the decision passed over), or ``AGAIN``: the album
    is back to pending (verify again)."""
    if answer == "d":
        asked = engine.Answer(dismiss=True)
    elif answer.startswith("v"):
        asked = engine.Answer(values=((decision.tag, answer[1:]),))
    else:
        asked = engine.Answer(choose=int(answer))
    try:
        if dry_run:
            shown = engine.preview(home, decision.id, asked)
            for w in shown.writes:
                click.echo(f"would set {w['field']} of {w['file']}: {w['old']!r} -> {w['new']!r}")
            click.echo(f"dry run: {shown.what}; nothing written")
            return True
        result = engine.take_answer(home, decision.id, asked, writing=writing)
    except decide.DecideError as err:
        click.echo(f"  {err}", err=True)
        return False
    if result.act in VERIFYING:
        decide_verify.said(home, result.taken, stop=False)
        return AGAIN if result.queued else bool(result.closed)
    if result.act == CANDIDATE:
        click.echo(f"chose {result.taken}: the next batch identifies it so")
        return False  # its document stays as it is until that batch: not asked again now
    said(result.taken, dry_run, stop=False)
    return True
