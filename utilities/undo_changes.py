"""Put back tag values changed by mediakeeper: python utilities/undo_changes.py --help"""

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import click

from mediakeeper.music.fixes import read_journal, undo
from mediakeeper.wording import count
from utilities.cli import Command, home_option, settings_for


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
    kind_dir = settings.status_dir / "music"
    if list_sessions or not (session or artist):
        entries = read_journal(kind_dir)
        counts = Counter(e.session for e in entries)
        artists: dict[str, set[str]] = {}
        for e in entries:
            artists.setdefault(e.session, set()).add(e.artist)
        for sid, changes in counts.items():
            click.echo(f"{sid}  {count(changes, 'change')} to {count(len(artists[sid]), 'artist')}")
        if not counts:
            click.echo("No tag changes have been journaled yet.")
        if not list_sessions:
            click.echo("Give --session ID or --artist NAME to undo.", err=True)
            sys.exit(2)
        return
    report = undo(kind_dir, session=session, artist=artist)
    for entry in report.restored:
        click.echo(f"restored {entry.tag} of {entry.path}: {entry.new!r} -> {entry.old!r}")
    for entry, reason in report.left_alone:
        click.echo(f"left alone {entry.tag} of {entry.path}: {reason}")
    click.echo(
        f"{count(len(report.restored), 'value')} restored, {len(report.left_alone)} left alone"
        + (f", {len(report.already)} already at the old value" if report.already else "")
        + f" (undo session {report.undo_session})"
    )
    sys.exit(1 if report.left_alone else 0)


if __name__ == "__main__":
    main()
