"""The backups books leave (``<backup>/<folder>_<YYYYMMDD_HHMMSS>/`` with ``metadata.txt``)
and their pruning: only when a person asks (the queue manager's ``--prune-backups``), only
folders this toolkit made (named so, holding ``metadata.txt``), only those older than
``backup_retention_days``, each named as it goes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mediakeeper.batch.plan import QueueAction
from mediakeeper.core.config import Settings
from mediakeeper.fs.tree import remove_tree
from mediakeeper.text.wording import count

_STAMP = re.compile(r"_(\d{8}_\d{6})(?:_\d+)?$")


def backup_root(settings: Settings) -> Path:
    raw = settings.get("audiobooks", "backup")
    return Path(raw).expanduser() if raw else settings.home / "backup"


def made_at(folder: Path) -> datetime | None:
    match = _STAMP.search(folder.name)
    if match is None or not (folder / "metadata.txt").is_file():
        return None
    return datetime.strptime(match.group(1), "%Y%m%d_%H%M%S").replace(tzinfo=UTC)


def expired(root: Path, days: int, now: datetime) -> list[Path]:
    """The backups under ``root`` made more than ``days`` days before ``now``, oldest first."""
    if not root.is_dir():
        return []
    dated = [(when, p) for p in root.iterdir()
             if p.is_dir() and not p.is_symlink() and (when := made_at(p)) is not None]  # fmt: skip
    return [p for when, p in sorted(dated) if now - when > timedelta(days=days)]


def prune(root: Path, days: int, now: datetime) -> list[Path]:
    gone = []
    for folder in expired(root, days, now):
        remove_tree(folder)  # a backup is as deep as its book
        gone.append(folder)
    return gone


def prune_backups(settings: Settings) -> Iterator[str]:
    """The queue manager's --prune-backups: prune, saying each folder deleted, then a total."""
    days = int(settings.get("audiobooks", "backup_retention_days"))
    root = backup_root(settings)
    gone = prune(root, days, datetime.now(UTC))
    for folder in gone:
        yield f"Deleted {folder}"
    yield f"Deleted {count(len(gone), 'backup')} older than {days} days in {root}"


PRUNE = QueueAction(
    "--prune-backups",
    "Delete the books' backups older than [audiobooks] backup_retention_days (30), "
    "naming each; nothing else ever deletes one.",
    prune_backups,
)
