"""The life cycle of a queue item, as QueueStore's methods: claiming items in queue order,
recording how each went (completed, error, skipped), giving claims back.

A mixin rather than functions so that ``QueueStore`` stays the one class callers know; it
relies on the store's lock (``locked``), its index of keys and its journal (``_commit``,
``update``), all in ``mediakeeper.queue.store``. Which transitions are legal, and what an item
looks like once given back, are decided in ``mediakeeper.queue.items``.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping
from pathlib import Path
from typing import Any

from mediakeeper.core.errors import QueueError
from mediakeeper.queue.itemlist import scan
from mediakeeper.queue.items import (
    COMPLETED,
    ERROR,
    IN_PROGRESS,
    PENDING,
    SKIPPED,
    check_transition,
    claim_is_stale,
    given_back,
    is_eligible,
    iso,
    make_claim,
)


class ClaimsMixin:
    """Claims and results of items (see the module docstring for what it relies on)."""

    def _set_status(self, item: dict[str, Any], status: str) -> None:
        check_transition(item["status"], status)
        if self._completed is not None:
            self._completed += (status == COMPLETED) - (item["status"] == COMPLETED)
        item["status"] = status
        for statuses, first in self._claim_from.items():
            if status in statuses:  # it may be claimed again: claims must look from it on
                self._claim_from[statuses] = min(first, self._index.get(item["key"], 0))

    def _completed_count(self, data: dict[str, Any]) -> int:
        """Completed items, for the checkpoint rule: counted once, then kept by _set_status
        while only this process changes the queue (a count per record would be O(n))."""
        if self._completed is None:
            self._completed = sum(1 for i in scan(data["items"]) if i["status"] == COMPLETED)
        return self._completed

    def claim_next(
        self,
        session: str,
        *,
        statuses: tuple[str, ...] = (PENDING,),
        keys: set[str] | None = None,
    ) -> dict[str, Any] | None:
        """Claim the first item in queue order whose status is one of ``statuses``."""
        claimed = self.claim_many(session, 1, statuses=statuses, keys=keys)
        return claimed[0] if claimed else None

    def claim_many(
        self,
        session: str,
        count: int,
        *,
        statuses: tuple[str, ...] = (PENDING,),
        keys: set[str] | None = None,
        skip: Container[str] = frozenset(),
    ) -> list[dict[str, Any]]:
        """Claim up to ``count`` items in queue order, in one transaction (one journal line).
        ``skip``: keys not to take (a batch never takes an item twice)."""
        claimed: list[dict[str, Any]] = []
        with self.locked() as data:
            items, now = data["items"], self.clock()
            # Claims start where the last one with these statuses left off: no item before it
            # could be taken, and _set_status moves it back for one that can again: a claim
            # does not walk the whole queue.
            first = self._claim_from.get(statuses, 0) if keys is None else 0
            frontier = first  # every item before it: not eligible, or claimed just now
            # Looked at one at a time (scan keeps none decoded); only those claimed are taken
            # live, to be changed in place.
            for position, seen in enumerate(scan(items, first), first):
                if len(claimed) == count:
                    break
                if not is_eligible(seen, statuses, keys) or seen["key"] in skip:
                    if frontier == position and seen["key"] not in skip:
                        frontier += 1
                    continue
                item = items[position]
                was = item["status"]
                self._set_status(item, IN_PROGRESS)
                item["claimed_by"] = make_claim(session, now, was)
                item["started_at"] = iso(now)
                if "workers" in (item.get("details") or {}):  # a stopped batch's: none holds it now
                    item["details"] = {k: v for k, v in item["details"].items() if k != "workers"}
                # Kept across an interrupted attempt, so the job can resume its own work file.
                item["run_token"] = item.get("run_token") or f"{session}:{item['key']}"
                claimed.append(item)
                if frontier == position:
                    frontier += 1
            if keys is None:
                self._claim_from[statuses] = frontier
            if claimed:
                self._commit(claimed)
        return [dict(item) for item in claimed]

    def _give_back(self, item: dict[str, Any]) -> None:
        back = given_back(item)
        self._set_status(item, back.pop("status"))
        item.update(back)

    def _owned(self, data: dict[str, Any], key: str, session: str) -> dict[str, Any]:
        item = data["items"][self._index[key]]
        claim = item.get("claimed_by") or {}
        if item["status"] != IN_PROGRESS or claim.get("session") != session:
            raise QueueError(f"{item['name']!r} is no longer claimed by session {session}")
        return item

    def record_success(
        self,
        key: str,
        session: str,
        *,
        counts: Mapping[str, int] | None = None,
        details: Mapping[str, Any] | None = None,
        checkpoint_every: int = 0,
    ) -> Path | None:
        """Mark the item completed. Returns the checkpoint written, if this one was due."""
        with self.locked() as data:
            item = self._owned(data, key, session)
            self._set_status(item, COMPLETED)
            item.update(counts or {})
            item["details"] = {**item.get("details", {}), **(details or {})}
            item["attempts"] += 1
            item["failures"] = 0
            item["completed_at"] = iso(self.clock())
            item["completed_by"] = session  # who did it, seen by a follower that missed the claim
            item["claimed_by"] = None
            item["last_error"] = None
            item["run_token"] = None
            self._commit([item])
            done = self._completed_count(data)
            # Not again at the same count: --enrich takes completed items and completes them
            # once more, which returns the count to the multiple it was already at.
            if checkpoint_every and done % checkpoint_every == 0 and done != self._last_checkpoint:
                return self._checkpoint(done)
        return None

    def note_stage(self, key: str, session: str, stage: str | None = None, *,
                   workers: list[str] | None = None) -> None:  # fmt: skip
        """How far the job got with an item this session holds (``details.stage``, see
        ``mediakeeper.batch.stage_progress``); kept when the item is given back, so a person sees
        where it stopped. ``workers``: the cluster workers holding its steps now
        (``details.workers``)."""
        said = {"stage": stage, "workers": workers}
        changes = {name: value for name, value in said.items() if value is not None}
        with self.locked() as data:
            item = self._owned(data, key, session)
            details = item.get("details") or {}
            if any(details.get(name) != value for name, value in changes.items()):
                item["details"] = {**details, **changes}
                self._commit([item])

    def record_failure(
        self, key: str, session: str, *, stage: str, message: str, max_attempts: int = 3
    ) -> str:
        """Mark the item ``error``, or ``skipped`` once it has failed ``max_attempts`` times
        since it last succeeded or was reset (a queue from before ``failures``: since then)."""
        with self.locked() as data:
            item = self._owned(data, key, session)
            item["attempts"] += 1
            item["failures"] = item.get("failures", 0) + 1
            now = iso(self.clock())
            item["error_history"].append(
                {"at": now, "stage": stage, "message": message, "session": session}
            )
            item["last_error"] = message
            item["claimed_by"] = None
            item["run_token"] = None
            status = SKIPPED if max_attempts and item["failures"] >= max_attempts else ERROR
            self._set_status(item, status)
            self._commit([item])
            return status

    def release(self, key: str, session: str) -> None:
        """Give an unfinished claim back (interrupted): the status it was claimed from, no
        attempt counted."""
        with self.locked() as data:
            item = self._owned(data, key, session)
            self._give_back(item)
            self._commit([item])

    def release_stale(self, is_stale: Callable[[Any], bool] = claim_is_stale) -> list[str]:
        """Give back every in_progress item whose process is gone."""

        def mutate(data):
            changed = []
            for item in scan(data["items"]):  # one at a time; update() puts those changed back
                if item["status"] == IN_PROGRESS and is_stale(item.get("claimed_by")):
                    self._give_back(item)
                    changed.append(item)
            return changed

        return [item["name"] for item in self.update(mutate)]
