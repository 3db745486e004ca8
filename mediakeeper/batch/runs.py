"""Getting a batch of any media kind going: the queue (created on first use), the session,
the runner. Scripts call :func:`run_batch`; dry runs call :func:`eligible_items`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from mediakeeper.batch.job import Job
from mediakeeper.batch.runner import BatchOptions, BatchReport, BatchRunner, Hooks
from mediakeeper.core import kinds
from mediakeeper.core.config import Settings
from mediakeeper.core.errors import QueueMissing
from mediakeeper.queue.items import (
    IN_PROGRESS,
    PENDING,
    claim_is_stale,
    given_back,
    is_eligible,
    lacks_work,
)
from mediakeeper.queue.manager import check_library, init_queue, new_items, refreshed_items
from mediakeeper.queue.session_log import Session, start_session
from mediakeeper.queue.store import QueueStore
from mediakeeper.queue.survey import Survey, listing
from mediakeeper.text.wording import queue_name


def open_store(
    settings: Settings, kind: str, *, create: bool
) -> tuple[QueueStore, Survey | None]:
    """The kind's queue; with ``create``, made from the library on first use.
    Returns the store and what a newly created queue was made of (None if it existed)."""
    store = QueueStore(settings.status_dir / kind, kind)
    library = settings.library(kind)
    if store.exists():
        # A queue that does not parse, or is another library's, stops the run here, before
        # any session.
        check_library(store, store.peek(), library, settings.origin(kind, "library"))
        return store, None
    if not create or library is None:
        raise QueueMissing(
            f"no {queue_name(kind)} at {store.path}",
            f"give --library PATH once (or set [{kind}] library in mediakeeper.toml)",
        )
    return store, init_queue(store, library, datetime.now(UTC))[0]


def check_can_open(settings: Settings, kind: str) -> None:
    """What ``open_store`` would refuse, found without reading the queue (two stats): no
    queue yet and no library to make it from, or a library that is no folder. A batch asks
    it before its other checks (a key, a scheduler), so that a library path typed wrong is
    said first, not after the key is mended."""
    library = settings.library(kind)
    if QueueStore(settings.status_dir / kind, kind).exists():
        return
    if library is None:
        open_store(settings, kind, create=False)  # raises the helpful message
    if not library.is_dir():
        listing(library)  # raises the library's own words (missing, not a folder)


def eligible_items(
    settings: Settings, kind: str, options: BatchOptions, *, refresh: bool = False
) -> list[dict[str, Any]]:
    """The items a batch would take, read without writing anything (not even a lock file);
    ``refresh``: a batch that refreshes its queue first (a pipeline's), from the queue as the
    refresh would leave it."""
    store = QueueStore(settings.status_dir / kind, kind)
    library = settings.library(kind)
    if store.exists():
        origin = settings.origin(kind, "library")
        if refresh:
            queued = refreshed_items(store, library, origin)
        else:
            data = store.peek()
            check_library(store, data, library, origin)
            queued = data["items"]
        # As the batch will see them: it first gives back the claims of processes gone.
        items = [_released_if_stale(item) for item in queued]
    else:
        if library is None:
            open_store(settings, kind, create=False)  # raises the helpful message
        items = new_items(kind, library.resolve(), settings.home)
    if options.keys is None and kinds.get(kind).runs_rule_plugins:
        # As the batch will see them: it takes these again first (``selection.narrow``).
        items = [{**item, "status": PENDING} if lacks_work(item, options.max_attempts) else item
                 for item in items]  # fmt: skip
    chosen = [item for item in items if is_eligible(item, options.statuses, options.keys)]
    return chosen[: options.size]


def _released_if_stale(item: dict[str, Any]) -> dict[str, Any]:
    if item["status"] != IN_PROGRESS or not claim_is_stale(item.get("claimed_by")):
        return item
    return {**item, **given_back(item)}


def run_batch(
    store: QueueStore,
    make_job: Callable[[Session], Job],
    options: BatchOptions,
    hooks: Hooks,
    *,
    description: str = "",
    args: list[str] | None = None,
    recorded: Mapping[str, Any] | None = None,
) -> tuple[Session, BatchReport]:
    # What it takes, for ``sessions.py resume`` to take the rest of it, and what the caller
    # records to be run again (a pipeline's file and its hash).
    taking = {**(recorded or {}), "batch_size": options.size, "statuses": list(options.statuses)}
    if options.asked_keys and options.keys is not None:
        taking["keys"] = list(options.keys)
    if options.resumes:
        taking["resumes"] = options.resumes
    session = start_session(
        store.dir.parent, store.kind, description=description, settings=taking, args=args
    )
    return session, BatchRunner(store, make_job(session), session, options, hooks).run()
