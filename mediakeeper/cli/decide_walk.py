"""``decide -i``: every open decision ``decide`` lists, walked one at a time on a terminal
in its order: the findings' groups worst first, then the failed or skipped items, then the
duplicate groups. Each choice is shown with the number ``decide KIND NAME`` lists it under,
and typed as that number; ``v`` types a value for the tag a decision is about, ``d``
dismisses it, ``s`` passes it over, ``q`` stops. Each answer is written before the next is
shown; a decision an earlier answer closed (or sent back to be checked again) is not asked."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from mediakeeper.cli import decide_said
from mediakeeper.core import writemode
from mediakeeper.decisions import engine
from mediakeeper.decisions import item as decide
from mediakeeper.text.visible import one_line
from mediakeeper.text.wording import count

# What ``decide`` lists, in its order: the keys of ``engine.listing`` that hold decisions.
LISTED = ("groups", "outstanding", "duplicates")


def walk(home: Path, dry_run: bool, writing: writemode.Writing) -> None:
    """Each open decision asked in turn, and each answer taken before the next is shown;
    those an answer opens (none yet asked) are asked once the list is walked."""
    if not sys.stdin.isatty():
        raise click.UsageError("-i needs a terminal; without it, give --choose, --set or --dismiss")
    asked: set[str] = set()
    skipped: set[str] = set()
    while waiting := [i for i in _listed_ids(home) if i not in asked]:
        for decision_id in waiting:
            asked.add(decision_id)
            shown = _asked_anew(home, decision_id, None)
            while shown is not None:
                answer = _ask(shown)
                if answer == "q":
                    click.echo("Stopped; the rest wait for the next time.")
                    return
                if answer == "s":
                    skipped.add(decision_id)
                    break
                _take(home, shown, answer, dry_run, writing)
                shown = _asked_anew(home, decision_id, shown)
        if dry_run:  # nothing was written: the same decisions are open still
            break
    _said_end(home, skipped, dry_run)


def _said_end(home: Path, skipped: set[str], dry_run: bool) -> None:
    """How the walk ended: nothing left, or the decisions passed over (s) that are still
    open, which ``decide`` lists; a dry run left every decision open."""
    passed = len(skipped & set(_listed_ids(home)))
    said = f"{count(passed, 'decision')} skipped, still open: " if passed else ""
    if dry_run:
        click.echo(f"{said or 'Dry run: '}nothing written; `decide` lists what is open.")
    elif passed:
        click.echo(f"{said}`decide` lists them (and `decide -i` asks them again).")
    else:
        click.echo("Nothing left to decide.")


def _asked_anew(
    home: Path, decision_id: str, before: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The decision as it is asked now, or None: closed (by an answer, or its item back to
    pending), or asked as ``before`` was (an answer refused, a candidate kept for the next
    batch: asked once). One an answer narrowed (a damaged album's first file restored, the
    next one's copy gone) is asked again, as it stands."""
    try:
        shown = engine.explain(home, decision_id)
    except decide.DecideError:
        return None
    return None if shown == before else shown


def _listed_ids(home: Path) -> Iterator[str]:
    listed = engine.listing(home)
    for key in LISTED:
        for entry in listed.get(key) or ():
            yield from (d["id"] for d in entry["decisions"])


def _ask(shown: dict[str, Any]) -> str:
    """Show one decision and read one answer among those it offers: a choice's number, or
    v (then the value), d, s or q."""
    click.echo("")
    for line in engine.question_lines(shown, f"{shown['item']} · "):
        click.echo(one_line(line))
    choices = shown.get("choices") or []
    for choice in choices:
        click.echo(f"  [{choice['number']}] {one_line(choice['label'])}")
    if note := (shown.get("details") or {}).get("note"):  # where a copy is, or why none is
        click.echo(f"  ({one_line(note)})")
    tag = shown.get("can_set")
    dismissed = shown["code"] not in engine.QUEUED  # a failed item is retried or skipped
    keys = [f"[v] type a value for {tag}"] * bool(tag)
    keys += ["[d] leave it as it is (dismiss)"] * dismissed + ["[s] skip", "[q] quit"]
    click.echo("  " + "   ".join(keys))
    numbers = {str(c["number"]) for c in choices}
    offered = numbers | {"s", "q"} | ({"v"} if tag else set()) | ({"d"} if dismissed else set())
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


def _take(
    home: Path, shown: dict[str, Any], answer: str, dry_run: bool, writing: writemode.Writing
) -> None:
    """Take the answer through the engine (``decisions.engine``) and say what it did, as
    ``decide`` says each answer (a dry run: what it would do); a refused answer is said, its
    decision left open, and the walk goes on."""
    decision_id = shown["id"]
    if answer == "d":
        asked = engine.Answer(dismiss=True)
    elif answer.startswith("v"):
        asked = engine.Answer(values=((shown["can_set"], answer[1:]),))
    else:
        asked = engine.Answer(choose=int(answer))
    try:
        if dry_run:
            decide_said.previewed(engine.preview(home, decision_id, asked), stop=False)
            return
        result = engine.take_answer(home, decision_id, asked, writing=writing)
    except decide.DecideError as err:
        click.echo(f"  {err}", err=True)
        return
    decide_said.taken(home, result, stop=False)
