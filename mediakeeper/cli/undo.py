"""Put back tag values changed by mediakeeper: python utilities/undo_changes.py --help"""

from __future__ import annotations

import sys
from collections import Counter

import click

from mediakeeper.cli.command import Command, home_option, settings_for
from mediakeeper.core import kinds
from mediakeeper.music.fixes import undo
from mediakeeper.music.journal import read_journals
from mediakeeper.queue.manager import record_files_again
from mediakeeper.queue.store import QueueStore
from mediakeeper.text.wording import count, value


@click.command(
    cls=Command,
    reads_home=True,  # nothing to list or undo where no batch has run
    context_settings={"help_option_names": ["-h", "--help"]},
)
@home_option
@click.option("--session", metavar="ID", help="Undo every change of this session.")
@click.option("--artist", metavar="NAME", help="Undo every change made to this artist.")
@click.option("--list", "list_sessions", is_flag=True, help="List sessions that changed tags.")
def main(home, session, artist, list_sessions):
    """Undo tag fixes. Every change mediakeeper makes is journaled with its old value under
    status/music/changes/; this puts old values back, newest first. A tag changed again
    since (by you or another program) is left alone and reported. An undo is journaled too,
    so it can itself be undone with the session id it prints."""
    settings = settings_for(home)
    kind_dir = settings.status_dir / kinds.MUSIC.name
    if list_sessions or not (session or artist):
        journals = read_journals(kind_dir)
        counts = Counter(e.session for e in journals.entries)
        artists: dict[str, set[str]] = {}
        for e in journals.entries:
            artists.setdefault(e.session, set()).add(e.artist)
        for sid, changes in counts.items():
            click.echo(f"{sid}  {count(changes, 'change')} to {count(len(artists[sid]), 'artist')}")
        if not counts:
            click.echo("No tag changes have been journaled yet.")
        _show_problems(journals.problems)
        if not list_sessions:
            click.echo("Give --session ID or --artist NAME to undo.", err=True)
            sys.exit(2)
        sys.exit(1 if journals.damaged else 0)
    report = undo(kind_dir, session=session, artist=artist)
    if report.restored:  # the person's own undo is no change for --refresh to act on
        store = QueueStore(kind_dir, kinds.MUSIC.name)
        record_files_again(store, {entry.artist for entry in report.restored})
    for entry in report.restored:
        back = f"{value(entry.new)} -> {value(entry.old)}"
        click.echo(f"restored {entry.tag} of {entry.path}: {back}")
    for entry, reason in report.left_alone:
        click.echo(f"left alone {entry.tag} of {entry.path}: {reason}")
    _show_problems(report.problems)
    damaged = sum(not p.torn for p in report.problems)
    click.echo(
        f"{count(len(report.restored), 'value')} restored, {len(report.left_alone)} left alone"
        + (f", {len(report.already)} already at the old value" if report.already else "")
        + (f", {count(damaged, 'journal line')} unreadable" if damaged else "")
        + f" (undo session {report.undo_session})"
    )
    sys.exit(0 if report.complete else 1)


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
