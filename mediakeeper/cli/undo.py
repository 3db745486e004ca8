"""Put back what a session changed (tag values, files set aside or swapped, decisions taken):
python utilities/undo_changes.py --help"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from mediakeeper.changes import moves
from mediakeeper.changes.journal import written_by_session
from mediakeeper.changes.undone import Undoing, latest_undos, undone_sessions
from mediakeeper.cli.command import NAMED, Command, ask, echo_json, home_option, settings_for
from mediakeeper.core import writemode
from mediakeeper.decisions.recorded import Decided, decided_sessions
from mediakeeper.system import collector
from mediakeeper.system.interrupts import EXIT_INTERRUPTED, Interrupted
from mediakeeper.text.commands import queue_manager, tool_command
from mediakeeper.text.fold import fold
from mediakeeper.text.visible import one_line, quoted
from mediakeeper.text.wording import count, value, values_written

# The undo itself (the tags put back through their table and mutagen, a session's files and
# decisions, the reports written again) is imported where it runs: listing the sessions
# reads journals only, and starts in about half the time.


@click.command(
    cls=Command,
    reads_home=True,  # nothing to list or undo where no batch has run
    context_settings={"help_option_names": ["-h", "--help"]},
)
@home_option
@click.option("--session", type=NAMED, metavar="ID", help="Undo every change of this session.")
@click.option("--artist", type=NAMED, metavar="NAME", help="Undo every change made to this artist.")
@click.option("--list", "list_sessions", is_flag=True,
              help="List sessions that changed tags, took decisions or set duplicates aside.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Read the files and show every value it would restore, and every one it would "
    "leave alone and why (with --session, also every file it would put back and the "
    "decisions it would open again); write nothing.",
)
@click.option("--yes", is_flag=True, help="Undo without asking when --artist is only a prefix.")
@click.option("--json", "as_json", is_flag=True,
              help="With --list: print the sessions as one JSON object (with --session of a "
              "pipeline's session: what it made).")
def main(home, session, artist, list_sessions, dry_run, yes, as_json):
    """Undo what a session (or every session, for one artist) changed. Every tag change
    mediakeeper makes is journaled with its old value under status/music/changes/; this puts
    old values back, newest first. A tag changed again since (by you, another program or a
    later session) is left alone and reported. A change whose write left its file alone (a
    second name, a read-only file) was never made: it is neither listed nor undone. An undo
    is journaled too, so it can itself be undone with the session id it prints. The session
    of a `dupes set-aside` or of a restore from a backup also puts every file it moved back
    at its own path, and a decision's session (a dismissal too) opens its decisions again.
    A pipeline's session made new files and changed none of yours: it says which, and
    deletes none."""
    # Its list, and a dry run, write nothing: the home is left as it was, times too.
    settings = settings_for(home, writes=bool(session or artist) and not dry_run)
    kind_dir = settings.status_dir / "music"
    if session:  # one artist of it too, whose undo would look for journaled changes
        _refuse_pipeline_session(settings.home, session, as_json)
    if as_json and not list_sessions:
        raise click.UsageError("--json goes with --list (or --session, of a pipeline's session)")
    if list_sessions or not (session or artist):
        _list_sessions(settings.home, kind_dir, as_json, asked=list_sessions)
    writing = writemode.chosen(settings.get)
    asked = None  # the changes to take back, where they were read before the undo
    if artist and not dry_run:
        if session:  # (a whole session's undo refuses it itself, as the page's does)
            with collector.loading():
                from mediakeeper.batch.session_history import refuse_while_running
            refuse_while_running(settings.status_dir, session)
        with collector.loading():
            from mediakeeper.changes.undo import selected
        # Read once for the check, the question and the undo: at 55,000 artists the journals
        # of a few months take 20 s and 500 MB a reading (docs/performance.md, undo).
        asked = selected(kind_dir, session, artist)
        if asked.wanted:  # (none: only lines that could not be read, which the undo names)
            _refuse_if_held(kind_dir, asked, artist)
            if not _confirm_artist(asked, artist, yes):
                asked = None  # asked first: what the person waited on is read again
    try:
        if session and not artist:
            _whole_session(settings.home, session, writing, dry_run)
        with collector.loading():
            from mediakeeper.changes.undo import undo
            from mediakeeper.decisions.undo_surfaces import after_undo

        report = undo(kind_dir, session=session, artist=artist, dry_run=dry_run, writing=writing,
                      asked=asked)  # fmt: skip
        asked = None  # every change read, let go before the decisions are written again
        surfaces = after_undo(settings.home, report, dry_run=dry_run)
    except Interrupted:
        if dry_run:  # nothing put back: "interrupted", as any command says it
            raise
        # Each file is whole, old or new; the values put back so far stay put back.
        click.echo("interrupted: what was put back stays; the same undo command finishes it "
                   "and opens their decisions again", err=True)  # fmt: skip
        sys.exit(EXIT_INTERRUPTED)
    _said_values(report, surfaces, settings.home, dry_run=dry_run)


def _refuse_pipeline_session(home: Path, session: str, as_json: bool) -> None:
    """``--session`` of a pipeline's session, which made new files and changed none: what it
    made, in the one line the page's undo gives too (or, ``--json``, as fields), exit 2 as
    for any session with nothing to undo."""
    with collector.loading():
        from mediakeeper.pipelines.made import PipelineMadeFiles, refuse_made

    try:
        refuse_made(home, session)
    except PipelineMadeFiles as refused:
        if not as_json:
            raise
        echo_json(refused.made.as_json())
        sys.exit(refused.exit_code)


def _list_sessions(home: Path, kind_dir: Path, as_json: bool, *, asked: bool) -> None:
    """``--list`` (``asked``), or no session or artist given: the sessions that changed
    tags, then those of ``decide`` (with the tags they wrote), then the ``dupes set-aside``
    ones, each with what became of it; exits."""
    summed = written_by_session(kind_dir)
    undos = latest_undos(home)
    undone = undone_sessions(home, undos)
    undoes = {u.by: sid for sid, u in undone.items() if u.by}
    decided = {d.session: d for d in decided_sessions(home, undos)}
    set_aside = moves.sessions(home)  # dupes set-aside: files moved, tags or not
    if as_json:
        echo_json(_listed(summed, decided, set_aside, undone, undoes))
        sys.exit(1 if summed.damaged else 0)
    tagged = [sid for sid in summed.sessions if sid not in decided]
    for sid in [*tagged, *decided]:
        said = [f"{decided[sid].said} ({decided[sid].kind})"] if sid in decided else []
        if (written := summed.sessions.get(sid)) is not None:
            said.append(_changes_said(written))
        click.echo(f"{sid}  {'; '.join(said)}{_undone_note(sid, undone, undoes)}")
    for sid, files in set_aside:
        click.echo(f"{sid}  {count(files, 'file')} set aside (dupes)"
                   f"{_undone_note(sid, undone, undoes)}")  # fmt: skip
    if not summed.sessions and not decided and not set_aside:
        # Lines that could not be read may be changes: said below, not denied here.
        click.echo("No tag changes could be read." if summed.damaged
                   else "No tag changes have been made yet.")  # fmt: skip
    _show_problems(summed.problems)
    if not asked:
        click.echo("Give --session ID or --artist NAME to undo.", err=True)
        sys.exit(2)
    sys.exit(1 if summed.damaged else 0)


def _changes_said(written) -> str:
    """A session's tag changes; one stopped half-way (its journal written before its files)
    said as what it planned, not as what it wrote."""
    changes = f"{count(written.values, 'change')} to {count(written.artists, 'artist')}"
    if written.stopped:
        return (f"stopped before it finished: {changes} planned, not all written (the same "
                "command run again finishes it)")  # fmt: skip
    return changes


def _whole_session(home: Path, session: str, writing, dry_run: bool) -> None:
    """``--session``: its files put back, its group opened again, its tags undone, each said
    (a dry run: what would be, nothing written); exits. Its reports and index are written
    again; the undone tags kept as the person's decision, which the next check of the artist
    (after --refresh) does not fix again."""
    with collector.loading():
        from mediakeeper.decisions.undo import undo_session

    undone = undo_session(home, session, writing, dry_run=dry_run)
    files_left = False
    if undone.put_back is not None:
        _said_put_back(undone.put_back, dry_run)
        files_left = bool(undone.put_back.left_alone or undone.put_back.stopped)
    if undone.groups_again:  # the duplicate groups its files are back in: asked again
        click.echo(f"{count(undone.groups_again, 'decision')} {'would ' * dry_run}open again")
    if undone.group is not None and (undone.report is None or undone.group.reopened
                                     or undone.group.rule):  # a choice's: said by its values
        _said_group(undone.group, session, dry_run)
    if undone.report is None:
        sys.exit(1 if files_left and not dry_run else 0)
    _said_values(undone.report, undone.surfaces, home, dry_run=dry_run, files_left=files_left)


def _said_values(report, surfaces, home: Path, *, dry_run: bool, files_left: bool = False) -> None:
    """The values put back (a dry run: that would be) and those left alone, each said, then
    the decisions they open again (or, an undo's undo, close again as they were) and the
    artists to check again; exits."""
    damaged = sum(not p.torn for p in report.problems)
    if dry_run:
        _said_dry(report, damaged)
        _show_problems(report.problems)
        _said_decisions(surfaces, "would ")
        sys.exit(1 if damaged else 0)
    for entry in report.restored:
        back = f"{value(entry.new)} -> {value(entry.old)}"
        click.echo(f"restored {entry.tag} of {one_line(entry.path)}: {back}")
    for entry, reason in report.left_alone:
        click.echo(f"left alone {entry.tag} of {one_line(entry.path)}: {reason}")
    _show_problems(report.problems)
    click.echo(
        f"{count(len(report.restored), 'value')} restored, {len(report.left_alone)} left alone"
        + (f", {len(report.already)} already at the old value" if report.already else "")
        + (f", {len(report.resumed)} of them put back by an earlier undo"
           if report.resumed else "")
        + (f", {count(damaged, 'journal line')} unreadable" if damaged else "")
        + (f" (undo session {report.undo_session})" if report.restored else "")  # its journal
    )
    for later in report.changed_since:  # the values left alone are that session's now
        click.echo(f"To take back what session {later} changed since:\n"
                   f"  {tool_command('undo', home)} --session {later}")  # fmt: skip
    if report.files_written.files:
        click.echo(values_written(*report.files_written))
    _said_decisions(surfaces, "")
    if again := surfaces.again:  # checked again once --refresh sends them back
        many = f"these {count(len(again), 'artist')}"
        who = ", ".join(map(one_line, again)) if len(again) <= 3 else many
        click.echo(f"To check {who} again, keeping what you undid as a decision "
                   f"for you:\n  {queue_manager('music', home)} --refresh")  # fmt: skip
    sys.exit(0 if report.complete and not files_left else 1)


def _said_decisions(surfaces, would: str) -> None:
    if surfaces.reopened:
        click.echo(f"{count(surfaces.reopened, 'decision')} {would}open again")
    if surfaces.settled:  # an undo's undo: its fixes made again
        closed = "would be closed" if would else "closed"
        click.echo(f"{count(surfaces.settled, 'decision')} {closed} again, as they were")


def _said_group(undone, session: str, dry_run: bool) -> None:
    """A group decided by ``decide --all``: its decisions open again, its rule forgotten;
    or its failed (or skipped) items as they were (a dry run: would be)."""
    would = "would " * dry_run
    opened = f"{would}open again"
    if undone.queue or undone.left:
        left = f"; {count(undone.left, 'item')} a batch took since, left to it" * bool(undone.left)
        click.echo(f"{count(undone.queue, 'item')} {would}{'be ' * dry_run}back as they were, "
                   f"{count(undone.reopened, 'decision')} {opened}{left} (session {session})")
        return
    rule = f"; rule {undone.rule} {would}{'be ' * dry_run}forgotten" if undone.rule else ""
    click.echo(f"{count(undone.reopened, 'decision')} in {count(undone.items, 'item')} "
               f"{opened}{rule} (session {session})")  # fmt: skip


def _said_put_back(done, dry_run: bool) -> None:
    would = "would " * dry_run
    for path in done.restored:
        click.echo(f"{would}put back {one_line(str(path))}")
    for path, why in done.left_alone:
        shown = one_line(str(path))
        click.echo(f"would leave alone {shown}: {why}" if dry_run else f"left alone {shown}: {why}")
    click.echo(f"{'dry run: ' * dry_run}{count(len(done.restored), 'file')} "
               f"{'would be ' * dry_run}put back, {len(done.left_alone)} left alone"
               + "; nothing written" * dry_run)  # fmt: skip
    if done.stopped:
        click.echo(f"Error: {done.stopped}", err=True)


def _refuse_if_held(kind_dir: Path, asked, artist: str) -> None:
    """An artist a running batch holds is refused: what it has written so far would be put
    back, then the batch would write the rest and record every fix as made. ``asked``: the
    undo's ``selected`` changes."""
    with collector.loading():
        from mediakeeper.changes.undo import artist_named
        from mediakeeper.queue.manager import refuse_if_held
        from mediakeeper.queue.store import QueueStore

    refuse_if_held(QueueStore(kind_dir, "music"), artist_named(asked.everything, artist))


def _confirm_artist(asked, artist: str, yes: bool) -> bool:
    """A NAME that is only the start of a journaled artist's is asked about first (or needs
    --yes); with no answer to read, nothing is restored and the error names --yes. What the
    undo would refuse (a NAME that fits several artists or none, a session unknown or
    without that artist's changes) was said when ``asked`` (its ``selected`` changes) was
    read, and nothing asked. Whether nothing was asked (the changes read still stand)."""
    if yes:  # nothing asked: the undo itself says what it refuses
        return True
    with collector.loading():
        from mediakeeper.changes.undo import artist_named

    found = artist_named(asked.everything, artist)
    if fold(found) == fold(artist):
        return True
    ask(f"{quoted(artist)} is the start of {quoted(found)}: undo its changes?")
    return False


def _said_dry(report, damaged: int) -> None:
    for entry in report.restored:
        click.echo(f"would restore {entry.tag} of {one_line(entry.path)}: "
                   f"{value(entry.new)} -> {value(entry.old)}")  # fmt: skip
    for entry, reason in report.left_alone:
        click.echo(f"would leave alone {entry.tag} of {one_line(entry.path)}: {reason}")
    click.echo(
        f"dry run: {count(len(report.restored), 'value')} would be restored, "
        f"{len(report.left_alone)} left alone"
        + (f", {len(report.already)} already at the old value" if report.already else "")
        + (f", {len(report.resumed)} of them put back by an earlier undo"
           if report.resumed else "")
        + (f", {count(damaged, 'journal line')} unreadable" if damaged else "")
        + "; nothing written"
    )


def _listed(summed, decided: dict[str, Decided], set_aside: list[tuple[str, int]],
            undone: dict[str, Undoing], undoes: dict[str, str]) -> dict[str, Any]:  # fmt: skip
    """``--list --json``: each session as the lines say it, and the journal lines passed
    over (``damaged``: a change that may stay; else cut short, never made)."""

    def became(sid: str) -> dict[str, Any]:
        done = undone.get(sid)
        return {"undo_of": undoes.get(sid),
                "undone": None if done is None else {"at": done.at.isoformat(), "by": done.by,
                                                     "left_alone": done.left}}  # fmt: skip

    def tags(sid: str) -> dict[str, Any]:
        w = summed.sessions.get(sid)
        return {} if w is None else {"values": w.values, "files": w.files, "artists": w.artists,
                                     "stopped": w.stopped}  # fmt: skip

    return {
        "sessions": [
            *({"session": sid, "what": "tags", **tags(sid), **became(sid)}
              for sid in summed.sessions if sid not in decided),
            *({"session": sid, "what": "decisions", "kind": d.kind, "code": d.code,
               "items": d.items, **tags(sid), **became(sid)} for sid, d in decided.items()),
            *({"session": sid, "what": "set-aside", "files": files, **became(sid)}
              for sid, files in set_aside),
        ],
        "problems": [{"line": str(p), "damaged": not p.torn} for p in summed.problems],
    }


def _undone_note(sid: str, undone: dict[str, Undoing], undoes: dict[str, str]) -> str:
    """What became of session ``sid`` since, as the page's recent changes say it: undone (when,
    by which session), partly undone, or itself the undo of another session."""
    notes = [f"the undo of {undoes[sid]}"] if sid in undoes else []
    if (done := undone.get(sid)) is not None:
        by = f" by {done.by}" if done.by else ""
        left = f", {count(done.left, 'change')} left alone" if done.left else ""
        notes.append(f"{'partly undone' if done.left else 'undone'} {done.when}{by}{left}")
    return f"  ({'; '.join(notes)})" if notes else ""


def _show_problems(problems) -> None:
    """The journal lines passed over, on stderr: a damaged one is an error (its change may
    stay), a cut-short one a note (its change was never made)."""
    for problem in problems:
        click.echo(f"{'note' if problem.torn else 'Error'}: {problem}", err=True)
    if any(not p.torn for p in problems):
        click.echo(
            "Error: check those changes by hand; mend or delete the lines to stop this message",
            err=True,
        )


if __name__ == "__main__":
    main()
