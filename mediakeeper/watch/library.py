"""The libraries a watcher follows, and what it does with a folder that settled: the same
refresh rule as ``--refresh`` (``queue.manager.refresh_queue``), narrowed to the item folders
under the settled top-level folders. A new folder is queued pending, a completed item whose
files changed goes back to pending, a deleted one is marked missing, one that is back is
unmarked: one rule for the command and the watcher (a folder moved: ``moves``)."""

from __future__ import annotations

import os
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mediakeeper.core import kinds
from mediakeeper.core.config import Settings
from mediakeeper.core.errors import QueueError, UsageError
from mediakeeper.fs import left_behind
from mediakeeper.queue import fingerprints
from mediakeeper.queue.items import COMPLETED, IN_PROGRESS, PENDING, claim_is_stale, new_queue
from mediakeeper.queue.manager import RefreshResult, refresh_queue
from mediakeeper.queue.store import QueueStore
from mediakeeper.watch.ignore import marked


@dataclass(frozen=True)
class Watched:
    """A kind whose library is watched: the library as an absolute path (text)."""

    kind: str
    library: str

    def top_of(self, path: str) -> str | None:
        """The top-level folder of the library that ``path`` is in (its name); None for the
        library itself or a path outside it."""
        rel = os.path.relpath(path, self.library)
        if rel == "." or rel.startswith(".." + os.sep) or rel == "..":
            return None
        return rel.split(os.sep, 1)[0]


def watched_libraries(settings: Settings, names: Collection[str] = ()) -> list[Watched]:
    """Each kind (of ``names``; all when empty) with a library: its setting, else the one its
    queue was made from. A kind named that has none is a usage error."""
    for name in names:
        if name not in kinds.KINDS:
            raise UsageError(f"no such kind: {name} (one of {', '.join(kinds.KINDS)})")
    found = []
    for record in kinds.KINDS.values():
        if names and record.name not in names:
            continue
        library = settings.library(record.name) or _queue_library(settings, record.name)
        if library is None:
            if names:
                raise UsageError(f"the {record.name} kind has no library to watch",
                                 f"set [{record.name}] library")  # fmt: skip
            continue
        found.append(Watched(record.name, os.path.abspath(library.expanduser())))
    return found


def _queue_library(settings: Settings, kind: str) -> Path | None:
    store = store_of(settings, kind)
    if not store.exists():
        return None
    try:
        library = store.peek().get("library")
    except QueueError:
        return None
    return Path(library) if isinstance(library, str) and library else None


def holds_items(settings: Settings, watched: Watched) -> bool:
    """Whether the kind's queue holds any item not already marked missing."""
    store = store_of(settings, watched.kind)
    try:
        return store.exists() and any(not i.get("missing") for i in store.peek()["items"])
    except QueueError:
        return False


def pending(settings: Settings, watched: Watched, only: Callable[[str], bool]) -> list[dict]:
    """The kind's pending items (not marked missing) whose keys ``only`` takes, in the
    queue's order: what ``watch --run`` hands to a batch by key."""
    store = store_of(settings, watched.kind)
    try:
        items = store.peek()["items"] if store.exists() else []
    except QueueError:
        return []
    return [i for i in items
            if i["status"] == PENDING and not i.get("missing") and only(i["key"])]  # fmt: skip


def own_writes(settings: Settings, watched: Watched, top: str) -> bool:
    """Whether the files under the top-level folder ``top`` are as the toolkit leaves them,
    so that a change heard there is its own (a batch fixing tags in a watched library): each
    of the kind's items there is held by a running batch (whose writes they are, and which
    records its files as it completes it), or completed with its files as the batch recorded
    them (what the refresh rule compares: nothing it would queue). A folder no item is, or
    a queue that cannot be read: not known to be, so the change waits to settle."""
    store = store_of(settings, watched.kind)
    try:
        items = store.peek()["items"] if store.exists() else []
    except QueueError:
        return False
    under = [i for i in items if i["key"] == top or i["key"].startswith(f"{top}/")]
    tree = kinds.get(watched.kind).files_below
    for item in under:
        if item["status"] == IN_PROGRESS and not claim_is_stale(item.get("claimed_by")):
            continue
        if item["status"] != COMPLETED or item.get("missing"):
            return False
        if not (item.get("details") or {}).get(fingerprints.FINGERPRINT):
            return False  # completed before its files were recorded: not known
        try:
            folder = Path(watched.library, item["key"])
            if fingerprints.change_since(store.dir, item, folder, tree=tree) is not None:
                return False
        except OSError:
            return False
    return bool(under)


def store_of(settings: Settings, kind: str) -> QueueStore:
    return QueueStore(settings.status_dir / kind, kind)


def refresh_settled(
    settings: Settings, watched: Watched, tops: Collection[str] | None,
    skip: Collection[str] = (), listed: Collection[str] | None = None,
) -> RefreshResult:  # fmt: skip
    """Apply the refresh rule to the items under the top-level folders ``tops`` (None:
    every one but those in ``skip``, a catch-up's), making the kind's queue, empty, if it has
    none yet (its folders are then queued as they settle, never all at once). ``listed``:
    the only top-level folders read (a catch-up's, found settled); an item under any other
    is not on disk."""
    store = store_of(settings, watched.kind)
    if not store.exists():
        left_behind.writing_home(store.dir.parent, create=True)
        store.create(new_queue(watched.kind, watched.library, (), datetime.now(UTC)))

    origin = settings.origin(watched.kind, "library") or "the queue's library"

    def read(top: str) -> bool:  # a top-level folder the refresh reads
        return _chosen(top, tops, skip) and (listed is None or top in listed)

    only = taken(watched, tops, skip)
    return refresh_queue(store, Path(watched.library), origin, only=only, tops=read)


def taken(
    watched: Watched, tops: Collection[str] | None, skip: Collection[str] = ()
) -> Callable[[str], bool]:
    """Whether an item's key is under the top-level folders ``tops`` (None: under any but
    those in ``skip``), and not marked to be left alone."""

    def only(key: str) -> bool:
        top = key.split("/", 1)[0]
        return _chosen(top, tops, skip) and not _marked_on_the_way(watched.library, key)

    return only


def _chosen(top: str, tops: Collection[str] | None, skip: Collection[str]) -> bool:
    """Whether the top-level folder ``top`` is one of ``tops`` (None: any not in ``skip``)."""
    return top in tops if tops is not None else top not in skip


def _marked_on_the_way(library: str, key: str) -> bool:
    """Whether the item's folder, or a folder between it and the library, holds a
    ``.mediakeeperignore``."""
    parts = key.split("/")
    return any(marked(os.path.join(library, *parts[:n])) for n in range(1, len(parts) + 1))


def change_lines(
    kind: str, result: RefreshResult, moves: Collection[tuple[str, str]] = ()
) -> list[str]:
    """One line per change queued, with the kind and the item's name."""
    lines = [f"{kind}: {old} moved to {new}: its history kept" for old, new in moves]
    lines += [f"{kind}: queued {name} (new)" for name in result.added]
    lines += [f"{kind}: queued {name} again ({change})" for name, change in result.changed]
    lines += [f"{kind}: {name} is gone: marked missing" for name in result.vanished]
    lines += [f"{kind}: {name} is back" for name in result.returned]
    lines += [f"{kind}: {name}: cannot read its folder now ({why}); looked at again on its "
              "next change" for name, why in result.unreadable]  # fmt: skip
    return lines
