"""The library as the page browses it: every item of every kind, searchable by name (case and
accents aside), filtered by status and open code, sorted and paged, without reading a queue
per request.

The follower (``follower.QueueFollow``) already reads each queue once and then only what a
batch appends to its journal; it keeps an :class:`Entry` per item beside what it compares
for events, built from the item as it is read. A listing runs over those entries: a search
is a substring test of a name folded once when the item changed, a page a slice. The
orders are kept sorted as entries change (``Listing``), not sorted per request: at 100,000
items a request costs a pass over the entries (filters) or nothing (a page of one order).
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints

from mediakeeper.core.decisions import UNIDENTIFIED, item_decisions, not_identified, open_by_code
from mediakeeper.queue.items import (
    COMPLETED,
    ERROR,
    IN_PROGRESS,
    PENDING,
    SKIPPED,
    STATUSES,
    stage_reached,
)
from mediakeeper.text.failures import plain_error
from mediakeeper.text.fold import fold
from mediakeeper.text.slug import slugify
from mediakeeper.web.bodies import Params, Word

SORTS = ("name", "status", "recent", "decisions")
STATUS_ORDER = {ERROR: 0, IN_PROGRESS: 1, SKIPPED: 2, PENDING: 3, COMPLETED: 4}
MOST_LISTED = 500  # the most items one page of a listing holds
MOST_SEARCHED = 500  # the longest name a search takes (the page's box takes as many)
ERROR_LENGTH = 300  # a failure's text, as the reports cut it


@dataclass(frozen=True, slots=True)
class Entry:
    """One item as the library lists it."""

    key: str
    name: str
    folded: str  # name and key, folded as a search folds what a person types
    status: str
    stage: str
    attempts: int
    error: str  # the last error in a person's words: one line, no working-folder paths
    started_at: str  # ISO times, "" for never
    completed_at: str
    issues_found: int
    issues_resolved: int
    codes: tuple[str, ...]  # its open decisions' codes
    decisions: int
    slug: str  # its issue report's file name, without the extension
    path: str  # the folder the item is

    @property
    def at(self) -> str:
        """When it last finished (or started)."""
        return self.completed_at or self.started_at

    def as_json(self) -> dict[str, Any]:
        """As ``/api/queues/{kind}/items`` lists it."""
        return {"key": self.key, "name": self.name, "path": self.path, "status": self.status,
                "attempts": self.attempts, "started_at": self.started_at or None,
                "completed_at": self.completed_at or None, "last_error": self.error or None,
                "issues_found": self.issues_found, "issues_resolved": self.issues_resolved,
                "stage": self.stage, "codes": list(self.codes),
                "decisions": self.decisions}  # fmt: skip


def entry_of(item: Mapping[str, Any]) -> Entry:
    details = item.get("details") if isinstance(item.get("details"), dict) else {}
    key, name = str(item["key"]), str(item.get("name") or item["key"])
    status = str(item.get("status"))
    codes = open_by_code(details.get("finding_counts")) if status == COMPLETED else {}
    # Not identified is a question of its own, counted and filtered by as `decide` lists it.
    unidentified = status == COMPLETED and not_identified(details)
    why = str(item.get("last_error") or "")
    return Entry(
        key=key, name=name, folded=folded(f"{name}\0{key}"), status=status,
        stage=stage_reached(item), attempts=_whole(item.get("attempts")),
        error=plain_error(why, most=ERROR_LENGTH) if why else "",
        started_at=str(item.get("started_at") or ""),
        completed_at=str(item.get("completed_at") or ""),
        issues_found=_whole(item.get("issues_found")),
        issues_resolved=_whole(item.get("issues_resolved")),
        codes=tuple(sorted(codes)) + ((UNIDENTIFIED,) if unidentified else ()),
        decisions=item_decisions(details) if status == COMPLETED else 0,
        slug=str(details.get("slug") or slugify(key)), path=str(item.get("path") or ""),
    )  # fmt: skip


def folded(text: str) -> str:
    """``text.fold.fold``, with its ASCII case at the cost of ``lower`` (an ASCII text has no
    accent to take off: the same answer, a third of the first read of a big queue)."""
    return text.lower() if text.isascii() else fold(text)


def _whole(value: Any) -> int:
    return value if type(value) is int else 0


def _key(sort: str):
    """Where an entry stands in an order: one place each, its key last (two names may fold
    alike, "Björk" and "Bjork": ``Listing.changed`` finds an entry by its place)."""
    if sort == "status":
        return lambda e: (STATUS_ORDER.get(e.status, 9), e.folded, e.key)
    if sort == "recent":
        return lambda e: (e.at, e.folded, e.key)  # listed newest first
    if sort == "decisions":
        return lambda e: (-e.decisions, e.folded, e.key)
    return lambda e: (e.folded, e.key)


class Listing:
    """A queue's entries in each order: an order is sorted when first asked for, then kept
    in order as the entries change (``changed``: each changed entry's place found by
    halving, not every entry sorted again at each change of a queue a batch is changing)."""

    def __init__(self) -> None:
        self._keys: dict[str, list[tuple]] = {}  # each order's places, ascending
        self._sorted: dict[str, list[Entry]] = {}  # its entries, at the same places
        self._version = -1
        self._newest: list[Entry] | None = None  # "recent", newest first, as of _version
        self._codes: list[str] | None = None

    def changed(self, before: Entry | None, after: Entry | None) -> None:
        """An entry changed (``before`` None: added; ``after`` None: removed)."""
        for sort, keys in self._keys.items():
            place, entries = _key(sort), self._sorted[sort]
            if before is not None:
                at = bisect.bisect_left(keys, place(before))
                del keys[at], entries[at]
            if after is not None:
                now = place(after)
                at = bisect.bisect_left(keys, now)
                keys.insert(at, now)
                entries.insert(at, after)

    def _at(self, version: int) -> None:
        if version != self._version:
            self._version, self._newest, self._codes = version, None, None

    def codes(self, entries: Mapping[str, Entry], version: int) -> list[str]:
        """Every open code among the entries: the choices of the code filter."""
        self._at(version)
        if self._codes is None:
            self._codes = sorted({code for entry in entries.values() for code in entry.codes})
        return self._codes

    def ordered(self, entries: Mapping[str, Entry], version: int, sort: str) -> list[Entry]:
        if sort not in self._keys:
            place = _key(sort)
            found = sorted(((place(e), e) for e in entries.values()), key=itemgetter(0))
            self._keys[sort], self._sorted[sort] = [k for k, _ in found], [e for _, e in found]
        if sort != "recent":
            return self._sorted[sort]
        self._at(version)
        if self._newest is None:
            self._newest = self._sorted[sort][::-1]
        return self._newest


def _at_most_a_page(limit: int) -> int:
    return min(limit, MOST_LISTED)


class Query(Params):
    """What a person asked the library for: the query string of ``/library`` and of
    ``/api/queues/{kind}/items`` (``bodies.query``: a wrong field is 400 naming it, never
    echoing it); a limit past a page is a page."""

    status: Literal[STATUSES] | None = None
    code: Word = ""  # an open decision's code
    q: Annotated[str, StringConstraints(max_length=MOST_SEARCHED)] = ""
    sort: Literal[SORTS] = "name"
    offset: Annotated[int, Field(ge=0, le=10**9)] = 0
    limit: Annotated[int, Field(ge=1), AfterValidator(_at_most_a_page)] = 50


def select(ordered: list[Entry], query: Query) -> tuple[int, list[Entry]]:
    """How many entries match ``query``, and the page of them it asks for."""
    wanted = folded(" ".join(query.q.split())) if query.q.strip() else ""
    if not (query.status or query.code or wanted):
        return len(ordered), ordered[query.offset : query.offset + query.limit]
    total, chosen = 0, []
    end = query.offset + query.limit
    for entry in ordered:
        if query.status and entry.status != query.status:
            continue
        if query.code and query.code not in entry.codes:
            continue
        if wanted and wanted not in entry.folded:
            continue
        if query.offset <= total < end:
            chosen.append(entry)
        total += 1
    return total, chosen
