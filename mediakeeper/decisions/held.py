"""The open decisions of a data home, held item by item: what ``engine.listing`` answers
(``decide --json``, ``GET /api/decisions``), made from each queue item as it was last seen
(``seen``), so that after a change only the changed items are looked at again.

``decide`` reads every queue once (``read``) and lists; ``serve`` feeds it every item its
follower sees change (``web.follower``), whoever changed it, and lists from what is held at
every request. What is held of an item: what it asks (``reports.attention.need_of``, from its
queue counts), whether it failed or was skipped (``reports.pace.outstanding_of``), and, once
a listing asked for them, its decisions with their ids (``item.item_decisions``: its output
document read once). An item that changed is held anew, its document read again when next
listed: a decision taken (by the page, ``decide`` in a terminal, or a later batch) changes
its item's queue entry, so no listing made after the follower read that change shows it.
The duplicate groups are read again whenever their files changed (``dupes``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from mediakeeper.core import kinds
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.decisions import dupes, groups
from mediakeeper.decisions.engine import FAILED, decision_json, group_json, queued_json
from mediakeeper.decisions.item import DecideError, item_decisions
from mediakeeper.decisions.listing import outstanding_json
from mediakeeper.decisions.taking import counts_open
from mediakeeper.queue.items import COMPLETED
from mediakeeper.queue.reading import read_lines
from mediakeeper.queue.store import QueueStore
from mediakeeper.reports import records
from mediakeeper.reports.attention import NeedsYou, need_of
from mediakeeper.reports.pace import Outstanding, outstanding_key, outstanding_of


@dataclass
class Held:
    """One item as last seen, and what it asks: ``need`` (its open findings, or not
    identified), ``waiting`` (failed or skipped), ``asks`` (completed with a count still
    open, or no counts to tell by: its document is read when listed); ``decisions``: its
    decisions as a listing gives them (None until one asked)."""

    item: dict[str, Any]
    need: NeedsYou | None
    waiting: Outstanding | None
    opened: frozenset[str] | None  # the codes its counts say are open (None: no counts)
    decisions: list[dict[str, Any]] | None = None

    @property
    def asks(self) -> bool:
        return self.opened is None or bool(self.opened)

    @property
    def name(self) -> str:
        return str(self.item.get("name") or self.item["key"])


class HeldDecisions:
    """Every kind's items that ask something, by key, in queue order (an item that asks
    nothing keeps its place, as None)."""

    def __init__(self, home: Path):
        self.home = Path(home)
        self._kinds: dict[str, dict[str, Held | None]] = {}
        self._lock = threading.Lock()
        self.version = 0  # raised by every change of what is held
        self._made: dict[tuple, tuple[int, dict[str, Any]]] = {}  # (kind, shown) -> listing
        self._dupes: tuple[tuple, list[dict[str, Any]]] | None = None

    @classmethod
    def read(cls, home: Path) -> HeldDecisions:
        """Every queue of ``home`` read once, each item held (a queue that cannot be read
        asks nothing, as the reports count it)."""
        held = cls(home)
        for kind in records.kinds_in(held.home / "status"):
            store = QueueStore(held.home / "status" / kind, kind)
            if not store.exists():
                continue
            try:
                items = read_lines(store).items
            except (MediakeeperError, OSError):
                continue
            for item in items:
                held.seen(kind, item)
        return held

    def seen(self, kind: str, item: dict[str, Any]) -> None:
        """``item`` as ``kind``'s queue holds it now."""
        key = str(item["key"])
        with self._lock:
            items = self._kinds.setdefault(kind, {})
            before = items.get(key)
            if before is not None and before.item == item:
                return
            now = _held(self.home, kind, item)
            if now is None and before is None and key in items:
                return  # asked nothing, asks nothing
            items[key] = now
            self.version += 1

    def gone(self, kind: str, key: str) -> None:
        """The item ``key`` was removed from ``kind``'s queue."""
        with self._lock:
            if self._kinds.get(kind, {}).pop(key, None) is not None:
                self.version += 1

    def as_json(self, kind: str | None = None, *, details: bool = False,
                shown: int | None = None) -> dict[str, Any]:  # fmt: skip
        """What ``engine.listing`` answers: the groups (of ``kind``), worst first, each with
        its decisions' ids (``details``: each explained in full, read afresh, not held);
        ``shown``: at most that many decisions in each group (the first, as the whole
        listing has them), whose documents alone are read. Not to be changed: shared with
        the next caller until something changes."""
        with self._lock:
            version = self.version
            made = self._made.get((kind, shown)) if not details else None
            if made is not None and made[0] == version:
                return {**made[1], **self._duplicates(kind)}
            held = {k: [(key, h) for key, h in items.items() if h is not None]
                    for k, items in self._kinds.items() if kind in (None, k)}  # fmt: skip
        shown_json = self._listing(held, details, shown)
        if not details:
            with self._lock:
                self._made[kind, shown] = (version, shown_json)
        return {**shown_json, **self._duplicates(kind)}

    def _listing(self, held: dict[str, list[tuple[str, Held]]], details: bool,
                 shown: int | None) -> dict[str, Any]:  # fmt: skip
        ordered = sorted(held, key=records.kind_sort_key)
        needs = [h.need for k in ordered for _, h in held[k] if h.need is not None]
        needs.sort(key=lambda i: (i.level, -i.decisions, i.name.casefold(), i.kind, i.name))
        listed = groups.as_json(groups.groups_of(needs))
        waiting = [h.waiting for k in ordered
                   for h in sorted((h for _, h in held[k] if h.waiting is not None),
                                   key=lambda h: outstanding_key(h.waiting))]  # fmt: skip
        if waiting:
            listed["outstanding"] = outstanding_json(waiting)
        by_group = self._by_group(held, listed["groups"], details, shown)
        for group in listed["groups"]:
            group["decisions"] = by_group.get((group["kind"], group["code"]), [])
        for entry in listed.get("outstanding") or ():
            status = FAILED[entry["status"]]
            items = [h.item for _, h in held[entry["kind"]] if h.item.get("status") == status]
            entry["decisions"] = [queued_json(self.home, entry["kind"], i, entry["status"],
                                              full=details) for i in items[:shown]]  # fmt: skip
        return listed

    def _by_group(self, held: dict[str, list[tuple[str, Held]]], listed: list[dict[str, Any]],
                  details: bool, shown: int | None) -> dict[tuple[str, str], list]:  # fmt: skip
        """Each group's decisions, its items by name (each item's document read once, and
        only while a group it asks in lacks decisions, when ``shown`` says how many)."""
        codes: dict[str, set[str]] = {}
        for group in listed:
            codes.setdefault(group["kind"], set()).add(group["code"])
        by_group: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for kind, asked in codes.items():
            if kind not in held or not kinds.get(kind).rewrite:
                continue
            asking = [h for _, h in held[kind] if h.asks]
            asking.sort(key=lambda h: h.name.casefold())
            for h in asking:
                open_here = asked if h.opened is None else asked & h.opened
                if not open_here:
                    continue
                if shown is not None and all(len(by_group.get((kind, c), ())) >= shown
                                             for c in open_here):  # fmt: skip
                    continue
                decisions = self._decisions_of(kind, h, details)
                if not any(d["code"] in asked for d in decisions):
                    continue
                for d in decisions:
                    by_group.setdefault((kind, d["code"]), []).append(d)
        if shown is not None:
            by_group = {g: found[:shown] for g, found in by_group.items()}
        return by_group

    def _decisions_of(self, kind: str, h: Held, details: bool) -> list[dict[str, Any]]:
        """The item's decisions, from its document (held once read, unless ``details``)."""
        if h.decisions is not None and not details:
            return h.decisions
        try:
            found = item_decisions(self.home, kind, h.item, full=details)
        except DecideError:  # no readable output: `decide` says so for that item
            found = None
        made = [decision_json(found, d, full=details) for d in found.decisions] if found else []
        if not details:
            h.decisions = made  # an item seen anew since is another Held: nothing stale kept
        return made

    def _duplicates(self, kind: str | None) -> dict[str, Any]:
        """``{"duplicates": [...]}`` when there are open duplicate groups (of ``kind``), read
        again only when the files they are read from changed."""
        if kind not in (None, dupes.KIND.name):
            return {}
        folder = self.home / "status" / dupes.KIND.name
        key = (_files_state(folder), _files_state(folder / "moves"))
        if self._dupes is None or self._dupes[0] != key:
            found = dupes.as_json(self.home)
            for entry in found:
                entry["decisions"] = [group_json(g, full=False)
                                      for g in dupes.open_groups(self.home, entry["code"])]
            self._dupes = (key, found)
        return {"duplicates": self._dupes[1]} if self._dupes[1] else {}


def _held(home: Path, kind: str, item: dict[str, Any]) -> Held | None:
    """What ``item`` of ``kind`` asks, as the reports count it; None when nothing."""
    waiting = outstanding_of(kind, item)
    if item.get("status") != COMPLETED:
        return Held(item, None, waiting, frozenset()) if waiting else None
    opened = _open_codes(item)
    if opened == frozenset() and not (item.get("details") or {}).get("unidentified"):
        return None  # (the common case, told from the counts alone)
    document = records.once(partial(records.read_output, home, kind, item))
    findings = records.read_findings(item, document) if kind in records.OUTPUT_DIRS else None
    need = None if item.get("missing") else need_of(kind, item, findings)
    if need is None and opened == frozenset():
        return None
    return Held(item, need, None, opened)


def _open_codes(item: Mapping[str, Any]) -> frozenset[str] | None:
    """The codes the item's queue counts say are still open (``taking.counts_open``); None
    when there are no counts to tell by (an old item: its output document says)."""
    counts = (item.get("details") or {}).get("finding_counts")
    if not isinstance(counts, dict):
        return None
    try:
        return frozenset(code for code in counts if counts_open(item, code))
    except (TypeError, ValueError):
        return None


def _files_state(folder: Path) -> tuple:
    """What tells that a folder's files changed: each file's name, size, time and inode."""
    try:
        with os.scandir(folder) as found:
            return tuple(sorted((e.name, *_stat(e)) for e in found))
    except OSError:
        return ()


def _stat(entry: os.DirEntry) -> tuple[int, int, int]:
    st = entry.stat()
    return st.st_size, st.st_mtime_ns, st.st_ino

