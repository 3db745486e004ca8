"""Gathering what the toolkit recorded under a data home into plain data: the I/O half of the
reports. Everything after :func:`gather` is pure, so the same records give the same report.

Read, never written: every ``status/<kind>/processing_queue.json`` (with its journal replayed,
without taking the lock), every ``status/<kind>/sessions.jsonl`` (from its checkpoint) and the
tag changes journaled under ``status/<kind>/changes/``, counted by week (a reset of the queue
leaves those alone). Only the closing reports' reading writes the session log's checkpoint and
the journals' counts anew.
Each completed item's findings, counted by code, travel in its queue details
(``finding_counts``); only an item recorded before they did has its
``outputs/.../<slug>.json`` read instead (``read_output``, when ``reports/tally.py`` counts
it); the same for ``copied`` (made without re-encoding), in a kind that counts it
(``Kind.makes.copies``: audiobooks).
A queue that does not parse becomes a record with a ``problem``; it never stops a report.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from mediakeeper.changes.journal import CHANGES_DIR
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.core.kinds import KINDS
from mediakeeper.fs.reports import INDEX
from mediakeeper.queue.items import finding_counts
from mediakeeper.queue.reading import read_lines
from mediakeeper.queue.session_log import EVENTS_FILE, RUNNING, SessionRecord, load_sessions
from mediakeeper.queue.store import QUEUE_FILE, QueueStore
from mediakeeper.reports.change_weeks import ChangeWeeks, in_hand
from mediakeeper.reports.weeks import parse_time
from mediakeeper.text.slug import inside, slugify

T = TypeVar("T")

# The kinds listed first, in this order; any other kind follows alphabetically.
KIND_ORDER = tuple(KINDS)
# Where a kind keeps one JSON document per item with its "findings" (kinds without: none).
OUTPUT_DIRS = {k.name: k.output_dir for k in KINDS.values() if k.output_dir}
# The kinds whose output documents say which items were made without re-encoding.
COPIES = {k.name for k in KINDS.values() if k.makes and k.makes.copies and k.output_dir}
NOT_KINDS = {"reports", "cache"}
KIND_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")  # what the toolkit names a kind's folder

# code -> (found, settled, open questions); an item counted before questions: (found, settled)
Findings = dict[str, tuple[int, ...]]


@dataclass(frozen=True)
class QueueRecord:
    kind: str
    created_at: datetime | None
    items: Sequence[dict[str, Any]] = ()  # each read decoded afresh (EncodedItems)
    problem: str | None = None  # why the queue could not be read


@dataclass(frozen=True)
class Records:
    """Everything a report is computed from."""

    queues: tuple[QueueRecord, ...] = ()
    sessions: tuple[SessionRecord, ...] = ()
    # kind -> its journaled changes counted by week (what resets leave behind).
    changes: dict[str, ChangeWeeks] = field(default_factory=dict)
    # The kinds whose issue reports have their index (issues/<kind>/index.md) on disk.
    indexes: frozenset[str] = frozenset()
    home: Path | None = None  # where they were read (an old item's output document is there)

    def earliest(self) -> datetime | None:
        """The first moment anything was recorded: a queue created or a session started."""
        moments = [q.created_at for q in self.queues if q.created_at]
        moments += [s.started_at for s in self.sessions]
        return min(moments, default=None)


def kinds_in(status_dir: Path) -> list[str]:
    """Every media kind with a queue or session records under ``status/``."""
    if not status_dir.is_dir():
        return []
    found = [
        d.name
        for d in status_dir.iterdir()
        if d.is_dir()
        and d.name not in NOT_KINDS
        and KIND_NAME.fullmatch(d.name)
        and ((d / QUEUE_FILE).exists() or (d / EVENTS_FILE).exists())
    ]
    return sorted(found, key=kind_sort_key)


def kind_sort_key(kind: str) -> tuple[int, str]:
    return (KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER), kind)


def gather(
    home: Path, *, changes_too: bool = True, changes_since: datetime | None = None
) -> Records:
    """Read the data home. ``changes_too``: count the journaled changes by week (every
    journal line, where its counts were not kept: ``ChangeWeeks``); ``changes_since``: at
    least those made since then (the journals last written before it are not read)."""
    home = Path(home)
    read_changes = changes_reader(changes_since) if changes_too else None
    queues, sessions, changes = read_home(home, read_queue, read_changes)
    return Records(tuple(queues), tuple(sessions), changes, indexes_on_disk(home, queues), home)


def changes_reader(
    since: datetime | None,
) -> Callable[[Path, list[SessionRecord]], ChangeWeeks]:
    """How ``gather`` reads a kind's change journals (``read_home``'s ``read_changes``): the
    changes made since ``since`` at least, counted by week, nothing written."""

    def read_changes(status_kind_dir: Path, sessions: list[SessionRecord]) -> ChangeWeeks:
        # A batch still running: the fixes of the items in its hands are not yet made.
        running = {s.id for s in sessions if s.outcome == RUNNING}
        held = in_hand(status_kind_dir, running) if running else None
        return ChangeWeeks.read(status_kind_dir, since, in_hand=held)

    return read_changes


def read_home(
    home: Path,
    read_queue: Callable[[QueueStore], T],
    read_changes: Callable[[Path, list[SessionRecord]], Any] | None = None,
    *,
    checkpoint: bool = False,
) -> tuple[list[T], list[SessionRecord], dict[str, Any]]:
    """Each kind's queue as ``read_queue`` reads it (where the kind has one), every session
    (by start), and per kind what ``read_changes`` makes of its change journals and its
    sessions (where it has some; None: not read). ``checkpoint``: the closing reports'
    reading, which may write each session log's checkpoint anew (``load_sessions``)."""
    status_dir = Path(home) / "status"
    queues, sessions, changes = [], [], {}
    for kind in kinds_in(status_dir):
        of_kind = load_sessions(status_dir, kind, items=False, checkpoint=checkpoint)
        sessions += of_kind
        if read_changes is not None and (status_dir / kind / CHANGES_DIR).is_dir():
            changes[kind] = read_changes(status_dir / kind, of_kind)
        store = QueueStore(status_dir / kind, kind)
        if store.exists():
            queues.append(read_queue(store))
    sessions.sort(key=lambda s: (s.started_at, s.id))
    return queues, sessions, changes


def indexes_on_disk(home: Path, queues: Sequence[QueueRecord]) -> frozenset[str]:
    """The kinds of ``queues`` whose issue index is on disk now."""
    return frozenset(q.kind for q in queues if (home / "issues" / q.kind / INDEX).is_file())


def once(read: Callable[[], dict | None]) -> Callable[[], dict | None]:
    """``read``, called at most once. (functools.cache made a cycle: each item's lingered
    until a garbage collection.)"""
    held: list[dict | None] = []

    def document() -> dict | None:
        if not held:
            held.append(read())
        return held[0]

    return document


def read_queue(store: QueueStore) -> QueueRecord:
    try:
        # No lock, no lock file: a report never gets in a batch's way. The items stay
        # encoded: held as dicts, they made the reports' peak grow with the library.
        view = read_lines(store)
    except (MediakeeperError, OSError) as err:
        return unreadable(store, err)
    return QueueRecord(store.kind, parse_time(view.fields.get("created_at")), view.items)


def unreadable(store: QueueStore, err: MediakeeperError | OSError) -> QueueRecord:
    """The record of a queue that could not be read, saying why."""
    why = f"{store.path}: {err.strerror or err}" if isinstance(err, OSError) else str(err)
    return QueueRecord(store.kind, None, (), problem=why)


def read_findings(item: dict[str, Any], document: Callable[[], dict | None]) -> Findings | None:
    """One item's findings counted by code, from its details' counts or else its output
    ``document()``; None if there are neither."""
    details = item.get("details") if isinstance(item.get("details"), dict) else {}
    counts = details.get("finding_counts")
    if isinstance(counts, dict):
        try:
            return {str(code): tuple(_counts(numbers)) for code, numbers in counts.items()}
        except (TypeError, ValueError):
            pass  # not what a job writes: the output document decides
    written = document()
    if written is None:
        return None
    try:
        found = [f for f in written["findings"] if isinstance(f, dict) and f.get("code")]
        return {code: tuple(numbers) for code, numbers in finding_counts(found).items()}
    except (ValueError, KeyError, TypeError):
        return None


def _counts(numbers: Any) -> list[int]:
    """[found, settled] or [found, settled, open questions] as a job writes them: whole
    numbers, none below 0. Anything else is a hand edit's (1e400, which JSON reads as
    infinity; -7; 2.5), not a count: ValueError, and the item's document decides."""
    if not isinstance(numbers, list | tuple) or len(numbers) not in (2, 3):
        raise ValueError(numbers)
    if not all(type(n) is int and n >= 0 for n in numbers):  # (a bool is no count either)
        raise ValueError(numbers)
    return list(numbers)


def count_of(value: Any) -> int:
    """A count a record holds (an item's tracks, a session's lookups): a whole number above
    0, else 0 (text, a flag or a negative number, as a hand-edited file may hold, counts
    nothing)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def was_copied(item: dict[str, Any], document: Callable[[], dict | None]) -> bool:
    """Whether the item was made without re-encoding, from its details or else (an item
    completed before the details said so) its output ``document()``."""
    details = item.get("details") if isinstance(item.get("details"), dict) else {}
    if isinstance(details.get("copied"), bool):
        return details["copied"]
    return (document() or {}).get("copied") is True


def output_path(home: Path, kind: str, item: dict[str, Any]) -> Path:
    """Where one completed item's output document is (``outputs/.../<slug>.json``);
    MediakeeperError for a slug that would lead out of its folder."""
    details = item.get("details") if isinstance(item.get("details"), dict) else {}
    slug = details.get("slug") or slugify(str(item["key"]))
    return inside(home, *OUTPUT_DIRS[kind], f"{slug}.json")


def read_output(home: Path, kind: str, item: dict[str, Any]) -> dict[str, Any] | None:
    """One completed item's output document (``output_path``); None if it is missing or
    unreadable."""
    try:
        path = output_path(home, kind, item)
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, MediakeeperError):
        return None
    return document if isinstance(document, dict) else None
