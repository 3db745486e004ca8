"""What the audiobook batch adds to every kind's (``mediakeeper/cli/batch.py``): the output
and bitrate options over their [audiobooks] settings, --overwrite, the job's settings refused
as a usage error before anything is touched, and the dry run's lines. It makes no web
lookups: no --offline, no --enrich."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from mediakeeper.audiobooks.batch import jobs
from mediakeeper.audiobooks.settings import preview
from mediakeeper.cli.batch import BatchSpec, previewing
from mediakeeper.cli.command import not_a_command
from mediakeeper.cli.queue_manager import Call
from mediakeeper.text import wording

BATCH = BatchSpec(
    help="""Make each pending book folder (its CD1, Disc 2 ... folders with it) into one M4B with
    one chapter per file: backed up first (verified), its files measured by decoding them,
    joined (as they are when all are AAC of one rate and channels, else encoded once),
    tagged and verified in a working directory (<data home>/working/audiobooks), then moved
    into <output>/<Author>/<Title>/. Stop any time with Ctrl+C or even kill -9: the next run
    resumes each book at its last finished step.""",
    dry_run=previewing(jobs, preview, "book"),
    options=(
        click.option(
            "--output",
            type=click.Path(path_type=str),
            help="Audiobook library the M4B files go into ([audiobooks] output).",
        ),
        click.option(
            "--bitrate",
            help="AAC bit rate of a book that must be encoded, as ffmpeg says it: 64k "
            "([audiobooks] bitrate, default 128k). A book of AAC files is joined as it is.",
        ),
        click.option(
            "--overwrite", is_flag=True, help="Replace the book's own earlier M4B and cover in "
            "the output; your files there are kept."
        ),
    ),
)


def prune_backups(c: Call) -> None:
    from mediakeeper.audiobooks import backups

    days = int(c.settings.get("audiobooks", "backup_retention_days"))
    root = backups.backup_root(c.settings)
    gone = backups.prune(root, days, datetime.now(UTC))
    for folder in gone:
        click.echo(f"Deleted {folder}")
    click.echo(f"Deleted {wording.count(len(gone), 'backup')} older than {days} days in {root}")


PRUNE = click.Option(
    ["--prune-backups"],
    is_flag=True,
    help="Delete the books' backups older than [audiobooks] backup_retention_days (30), "
    "naming each; nothing else ever deletes one.",
)
QUEUE_ACTIONS = {"prune_backups": (PRUNE, prune_backups)}  # its queue manager's own


if __name__ == "__main__":  # run by mistake: say which commands to run instead
    not_a_command(
        "the audiobook batch's own parts",
        "process_audiobook_batch.py",
        "audiobook_queue_manager.py",
    )
