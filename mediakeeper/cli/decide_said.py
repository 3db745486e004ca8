"""What a decision answered did (``decide KIND NAME --choose N``, ``--set TAG=VALUE``,
``--dismiss``, and each answer of ``decide -i``), or with ``--dry-run`` would do, said as its
act says it, with the command that takes it back. Imported when a decision is answered."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mediakeeper.changes.writes import CHANGED_SINCE_SCAN
from mediakeeper.cli import decide_dupes, decide_verify
from mediakeeper.cli.preview_lines import would_lines
from mediakeeper.core.decisions import questions
from mediakeeper.core.questions import CANDIDATE, KEEP, SKIP
from mediakeeper.decisions import engine, ids, taking
from mediakeeper.decisions.item import DecidedBehind
from mediakeeper.decisions.taking import VERIFYING
from mediakeeper.text.commands import tool_command
from mediakeeper.text.visible import one_line
from mediakeeper.text.wording import NO_FILE_WRITTEN, count, value, values_written


def previewed(shown: engine.Preview, *, stop: bool = True) -> None:
    """A dry run: each field of each file it would write, each move, each queue item put
    back, and what it would close; one that would be refused exits 1 (``stop``), or is said
    (``decide -i`` goes on to the next): said by what refuses it alone, as the take says it
    (its writes were said as "would set", which the take, refused whole, never makes)."""
    for line in () if shown.refused else would_lines(shown.writes, shown.moves, shown.emptied):
        click.echo(line)
    for q in () if shown.refused else shown.queue:
        click.echo(f"would put {one_line(str(q['item']))} {q['goes']}")
    if not shown.refused and not shown.files:
        click.echo(f"{NO_FILE_WRITTEN.capitalize()}.")
    for r in shown.refused:
        click.echo(f"left alone {r['field']} of {one_line(r['file'])}: {r['why']}", err=True)
    if shown.refused:
        click.echo("Nothing decided, nothing written: mend what is said above, then decide "
                   "again.", err=True)  # fmt: skip
        if stop:
            sys.exit(1)
        return
    click.echo(f"dry run: {count(len(shown.closes), 'decision')} would be closed "
               f"({shown.what}); nothing written")  # fmt: skip


def behind(home: Path, left: DecidedBehind, *, dry_run: bool) -> None:
    """A decision an answer stopped half-way had decided (its document says so) while its
    queue counts still ask it: those written again (``taking.mend_behind``; a dry run
    writes nothing), said with what was decided and its undo."""
    decided, name = left.decided, left.found.name
    by = f" by {decided['by']}" if decided.get("by") else ""
    at = f" at {decided['at']}" if decided.get("at") else ""
    click.echo(one_line(f"{name}: its {left.code} decision was taken already "
                        f"({decided.get('what')}{by}{at}) by a decide stopped before it wrote "
                        "the queue's counts"))  # fmt: skip
    if dry_run:
        click.echo("dry run: those counts would be written again; nothing written")
        return
    taking.mend_behind(home, left)
    click.echo("its counts are written again: `decide` lists it no more")
    if decided.get("session"):
        click.echo(f"To take it back (and answer again):\n  {tool_command('undo', home)} "
                   f"--session {decided['session']}")  # fmt: skip


def taken(home: Path, result: engine.Result, *, stop: bool = True) -> None:
    """What an answer did, said as its act says it, with the command that takes it back; a
    file or value left alone exits 1 (``stop``), or is said (``decide -i`` goes on)."""
    taken, undo = result.taken, _undo(home, result.session)
    if ids.parse(result.id)[3] in engine.QUEUED:  # a queue item itself: retried, or skipped
        names, closed = ", ".join(taken.names), count(result.closed, "decision")
        click.echo(f"{names}: skipped; later batches leave it out ({closed} closed)"
                   if result.act == SKIP else f"{names}: back to pending; the next batch "
                   f"tries it again ({closed} closed)")  # fmt: skip
        click.echo(f"To take it back:\n  {undo}")
    elif result.act in VERIFYING:
        decide_verify.said(home, taken, stop=stop)
    elif result.act == CANDIDATE:
        click.echo(f"chose {taken} for {result.queued[0]}: the next batch identifies it so "
                   f"({count(result.closed, 'decision')} closed)")  # fmt: skip
        click.echo(f"To take it back:\n  {undo}")
    elif result.act == KEEP:
        decide_dupes.said(home, taken, stop=stop)
    else:
        said(home, taken, False, stop=stop)


def said(home: Path, taken, dry_run: bool, *, stop: bool = True) -> None:
    """What a decision wrote and closed, with the whole command that takes it back (as a
    group's answer says it); a refused one exits 1 (``stop``), or is said and left open
    (``decide -i`` goes on to the next). A dry run refused says what refuses it alone, as the
    take does (its writes, never made, are not said as "would set")."""
    for line in () if dry_run and taken.refused else change_lines(taken, dry_run):
        click.echo(line)
    for change, why in taken.refused:
        click.echo(f"left alone {decide_verify.what_of(change)}: {why}", err=True)
    if taken.refused:
        click.echo(_why_nothing(home, taken) if taken.session else "Nothing decided, nothing "
                   "written: mend what is said above, then decide again.", err=True)  # fmt: skip
        if stop:
            sys.exit(1)
        return
    for line in taken.said:  # what else it did (an upgraded tag's file set aside)
        click.echo(one_line(line))
    if taken.files_written.files:
        click.echo(values_written(*taken.files_written))
    closed = count(questions(taken.closed, open_only=False), "decision")
    if dry_run:
        click.echo(f"dry run: {closed} would be closed; nothing written")
    elif taken.session:
        click.echo(f"{closed} closed; to take it back:\n  {_undo(home, taken.session)}")
    else:
        click.echo(f"{closed} closed")


def change_lines(taken, dry_run: bool, item: str = "") -> list[str]:
    """Each field a decision wrote (or would write), old and new, its file after ``item/``
    where given; one its file held already (a stopped run wrote it) said as such, never as a
    write from a value the file no longer holds."""
    verb, named = "would set" if dry_run else "set", f"{item}/" if item else ""
    return [f"{change.tag} of {named}{change.path}: already {value(change.new)}"
            if change in taken.already else
            f"{verb} {change.tag} of {named}{change.path}: {value(change.old)} -> "
            f"{value(change.new)}" for change in taken.changes]  # fmt: skip


def _undo(home: Path, session: str) -> str:
    return f"{tool_command('undo', home)} --session {session}"


def _why_nothing(home: Path, taken) -> str:
    """Why a decision refused after its first write: a file changed since the batch read
    it, or the reason the write itself failed (a full disk, ...), said as it is."""
    reasons = list(dict.fromkeys(why for _, why in taken.refused))
    if all(why == CHANGED_SINCE_SCAN for why in reasons):
        return ("Nothing decided: a file changed since the batch read it; run the batch on the "
                "item again, then decide.")  # fmt: skip
    failed = [why for why in reasons if why != CHANGED_SINCE_SCAN]
    written = taken.files_written.files
    undo = f" (what was written: {_undo(home, taken.session)})" if written else ""
    return (f"Nothing decided: {count(len(taken.refused), 'value')} could not be written: "
            f"{failed[0]}; mend that, then decide again{undo}.")  # fmt: skip
