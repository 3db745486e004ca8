"""Inspect and repair the audiobook queue: python utilities/audiobook_queue_manager.py --help"""

import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import utilities.startup  # noqa: F401  (first: a Ctrl+C during the imports below exits 130)

# isort: split

import click

from mediakeeper.cli.queue_manager import Call, build
from mediakeeper.text import wording


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
main = build("audiobooks", {"prune_backups": (PRUNE, prune_backups)})

if __name__ == "__main__":
    main()
