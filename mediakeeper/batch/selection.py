"""Which items a batch takes: the policy behind ``--retry-errors``, ``--<noun> NAME``,
``--resume SESSION_ID`` and ``--enrich``, for any media kind. The batch scripts parse their
flags, call these and render what happened; the runner then claims within the
``BatchOptions`` they set.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Collection
from typing import Any

from mediakeeper.batch.runner import BatchOptions
from mediakeeper.batch.runs import eligible_items, open_store
from mediakeeper.batch.session_history import find_session, resume_keys
from mediakeeper.core import kinds
from mediakeeper.core.config import Settings
from mediakeeper.core.errors import ConfigError, NotFound, UsageError
from mediakeeper.queue.items import (
    COMPLETED,
    ERROR,
    IN_PROGRESS,
    PENDING,
    PLUGINS_LEFT_OUT,
    SKIPPED,
    STATUSES,
    lacks_work,
)
from mediakeeper.queue.manager import find_item, refuse_if_live, reset_where
from mediakeeper.queue.store import QueueStore
from mediakeeper.text.commands import kind_command, queue_manager
from mediakeeper.text.visible import quoted


def runner_options(
    settings: Settings,
    kind: str,
    *,
    batch_size: int,
    retry_errors: bool,
    workers: int,
    online: bool,
) -> BatchOptions:
    """The runner's options from the flags and the kind's ``[<kind>]`` settings. Offline,
    each worker has six items in hand (an item takes milliseconds, and results share queue
    transactions); with web lookups two (an item takes seconds, and a batch that stops for a
    dead network finishes fewer failing lookups first)."""
    return BatchOptions(
        size=batch_size,
        statuses=(PENDING, ERROR) if retry_errors else (PENDING,),
        checkpoint_every=settings.get(kind, "checkpoint_every"),
        max_attempts=settings.get(kind, "max_attempts"),
        workers=workers,
        in_hand=2 if online else 6,
        local=not online,
    )


def only_item(settings: Settings, kind: str, options: BatchOptions, name: str, dry_run: bool,
              overwrite: bool | None = None,
              holds_output: Callable[[dict[str, Any]], bool] | None = None):  # fmt: skip
    """``--<noun> NAME``: the batch takes just that item, whatever its status, unless another
    batch is working on it now (a claim whose process is gone is released and taken).
    ``overwrite``: the batch's ``--overwrite`` for a kind that places its output (None: a
    kind without it); a completed item whose places hold its earlier output
    (``holds_output(item)``) is then made again only with it, else refused here: the run
    could only fail on that output. Into places that hold none of it, it is made again."""
    item = find_named(settings, kind, name, dry_run)
    refuse_if_live(item)
    if (overwrite is False and item["status"] == COMPLETED
            and (holds_output is None or holds_output(item))):  # fmt: skip
        noun = kinds.get(kind).noun
        raise ConfigError(f"the {noun} {quoted(item['name'])} is done already",
                          "give --overwrite as well to make it again: its earlier output is "
                          "replaced, nothing else there")  # fmt: skip
    options.keys, options.asked_keys = {item["key"]}, True
    options.statuses = tuple(s for s in STATUSES if s != IN_PROGRESS)
    options.size = 1


def resume_only(settings: Settings, kind: str, options: BatchOptions, session_id: str) -> None:
    """``--resume SESSION_ID``: the batch takes just what that session of this kind left
    unfinished and the rest of its batch (``session_commands.resumable``), of the statuses
    that session took (what it held went back to the status it was taken from): an item
    another batch finishes while this one runs is not taken again."""
    record = find_session(settings.status_dir, session_id)
    if record.kind != kind:
        raise NotFound(
            f"session {session_id} is a {record.kind} session, not a {kind} one",
            f"resume it with `{kind_command(record.kind, 'batch', settings.home)} --resume "
            f"{session_id}`",
        )
    options.keys, options.asked_keys = resume_keys(settings.status_dir, session_id), True
    took = record.settings.get("statuses")
    if isinstance(took, list) and took and set(took) <= set(STATUSES) - {IN_PROGRESS}:
        options.statuses = tuple(took)
    else:  # a session from before sessions recorded what they take
        options.statuses = tuple(s for s in STATUSES if s != IN_PROGRESS)
    options.size = len(options.keys)
    options.resumes = session_id


def keys_only(settings: Settings, kind: str, options: BatchOptions, keys: list[str]) -> None:
    """``--keys-from FILE``: the batch takes just the items with these keys (``watch --run``
    hands over what it queued), each only if its status is one the batch takes. A key the
    queue does not hold is refused, before anything is touched."""
    store = QueueStore(settings.status_dir / kind, kind)
    if store.exists():
        known = {item["key"] for item in store.peek()["items"]}
        unknown = [key for key in keys if key not in known]
        if unknown:
            raise UsageError(f"no item with the key {unknown[0]!r} in the {kind} queue",
                             f"`{queue_manager(kind, settings.home)} --list` shows every "
                             "item")  # fmt: skip
    options.keys = dict.fromkeys(keys)  # in their order (a scrub's: never verified first)
    options.asked_keys = True
    options.size = min(options.size, len(options.keys))


def find_named(settings: Settings, kind: str, name: str, dry_run: bool) -> dict[str, Any]:
    """The queue item called ``name`` (case-insensitive). A dry run without a queue looks
    among the library's folders and writes nothing; a real run creates the queue."""
    store = QueueStore(settings.status_dir / kind, kind)
    if not store.exists() and dry_run:
        everything = BatchOptions(size=sys.maxsize, statuses=(PENDING,))
        items = eligible_items(settings, kind, everything)
        record = kinds.get(kind)
        every_name = f"each folder {record.item_layout} is one {record.noun}"
        where = f"the library {settings.library(kind)}"  # no queue yet
    else:
        items = open_store(settings, kind, create=True)[0].peek()["items"]
        every_name = f"`{queue_manager(kind, settings.home)} --list` shows every name"
        where = "the queue"
    return find_item({"items": items}, name, every_name, where=where)


def narrow(store: QueueStore, options: BatchOptions, *, enrich: bool, named: bool = False) -> None:
    """``options`` narrowed for ``--enrich``, or made able to take the one item
    ``--<noun> NAME`` chose (``named``: ``only_item``; or every key's, ``run_batch``'s
    ``again``). The items of ``--keys-from`` and ``--resume`` are taken only as their
    statuses stand: one done or skipped meanwhile (by another batch, or a person) is left
    as it is."""
    if enrich:  # completed items that were processed offline (--<noun> NAME: just that one)
        enrich_only(store, options)
    elif named:
        make_claimable(store, options.keys)
    elif options.keys is None and kinds.get(store.kind).runs_rule_plugins:
        retake_left_out(store, options.max_attempts)  # no other kind's queue is read for them


def make_claimable(store: QueueStore, keys: Collection[str]) -> None:
    """``--<noun> NAME`` re-processes a completed or skipped item: back to pending first."""
    reset_where(store, lambda i: i["key"] in keys and i["status"] in (COMPLETED, SKIPPED))


def retake_left_out(store: QueueStore, max_attempts: int) -> list[str]:
    """The completed items that lack part of their work back to pending, so that this batch
    takes them again, first (queue order), without the person having to know: the plugin
    may have been mended, or its limit raised. Only ``max_attempts`` runs in a row: a plugin
    that hangs for good would have each batch take the same items, and never the pending
    ones; after that they wait for the person (``--show-summary`` says so)."""
    if not store.exists():
        return []
    # Looked for without the lock (read through once, only the lines naming it decoded): a
    # batch opens its session before it waits for a queue another process holds, so that
    # what waits is seen; the lock is taken only where there is one to reset.
    keys = {i["key"] for i in store.read_through(key=PLUGINS_LEFT_OUT)
            if lacks_work(i, max_attempts)}  # fmt: skip
    if not keys:
        return []  # (the queue is written only when one is there)
    return reset_where(store, lambda item: item["key"] in keys and lacks_work(item, max_attempts))


def not_enriched(store: QueueStore) -> set[str]:
    """Completed items whose lookups have not happened yet (processed offline)."""
    return {
        i["key"]
        for i in store.peek()["items"]
        if i["status"] == COMPLETED and not i.get("details", {}).get("enriched")
    }


def enrich_only(store: QueueStore, options: BatchOptions) -> None:
    """``--enrich``: the batch takes the completed items that were processed offline (within
    ``options.keys`` when ``--<noun> NAME`` chose one). They stay completed until their
    lookups are recorded: a batch never takes an item twice, so it moves on after each."""
    wanted = not_enriched(store) if store.exists() else set()  # a dry run before any queue
    if options.keys is not None:
        wanted &= set(options.keys)
    options.keys = wanted
    options.statuses = (COMPLETED,)
