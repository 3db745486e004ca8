"""What ``decide --json`` prints and ``GET /api/decisions`` answers (``engine.listing``): the
open decisions of every kind (or one) as groups, worst first, the counts adding up to
``total``, each group with its decisions (``decision_json``); failed and skipped items,
counted apart as every surface counts them, under ``outstanding`` (``queued_json``), and
duplicate groups under ``duplicates`` (``group_json``), when there are any.

It is made from each queue item as it was last seen (``HeldDecisions.seen``), so that after
a change only the changed items are looked at again. ``decide`` reads every queue once
(``HeldDecisions.read``) and lists; ``serve`` feeds it every item its follower sees change
(``web.follower``), whoever changed it, and lists from what is held at every request. What
is held of an item: what it asks (``reports.attention.need_of``, from its queue counts),
whether it failed or was skipped (``reports.pace.outstanding_of``), and, once a listing
asked for them, its decisions with their ids (``item.item_decisions``: its output document
read once); a group's decision ids alone (``group_asking``: a dismissal's preview, a paged
preview's token) are told from each item's queue details where they say them
(``core.decisions.questions_asked``), no document read. Each group (a kind and a code,
``groups``) keeps its count and its items by name as they change, so a listing is made
without going over every item. An item that changed is
held anew, its document read again when next listed: a decision taken (by the page,
``decide`` in a terminal, or a later batch) changes its item's queue entry, so no listing
made after the follower read that change shows it. The duplicate groups are read again
whenever their files changed (``dupes``).
"""

from __future__ import annotations

import bisect
import itertools
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from mediakeeper.core import kinds
from mediakeeper.core.config import load_settings
from mediakeeper.core.decisions import (
    AGAIN_ONLINE,
    AGAIN_ONLINE_SAID,
    UNIDENTIFIED,
    open_codes,
    questions_asked,
    stage_word,
    unidentified_question,
)
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.core.questions import AGAIN, RETRY, SKIP, Asked
from mediakeeper.decisions import dupes, groups, ids, outstanding
from mediakeeper.decisions.item import (
    DecideError,
    Decision,
    ItemDecisions,
    item_decisions,
    questions_of,
)
from mediakeeper.fs.identity import identity
from mediakeeper.queue.items import COMPLETED
from mediakeeper.queue.reading import read_lines
from mediakeeper.queue.store import QueueStore
from mediakeeper.reports import records
from mediakeeper.reports.attention import NeedsYou, need_of
from mediakeeper.reports.pace import Outstanding, outstanding_key, outstanding_of
from mediakeeper.text.failures import plain_error

# What a decision about a queue item itself offers, by its code.
QUEUED = {"failed": (RETRY, SKIP), "skipped": (RETRY,), UNIDENTIFIED: (AGAIN,)}


def queued_choices(code: str) -> str:
    """A failed (or skipped) item's choices, numbered: "1 retry, 2 skip"; one not identified,
    "1 run it again online"."""
    return ", ".join(f"{n} {AGAIN_ONLINE if c == AGAIN else c}"
                     for n, c in enumerate(QUEUED[code], 1))  # fmt: skip


def decision_json(found: ItemDecisions, d: Decision, *, full: bool) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "id": d.id, "kind": found.kind, "item": found.name, "key": found.item["key"],
        "album": d.where, "code": d.code, "severity": d.severity, "question": d.words,
        "files": list(d.files),
    }  # fmt: skip
    if full:
        shown["details"] = {
            "question": d.words, "code": d.code, "files": list(d.files),
            "findings": [{"path": f.get("path"), "message": f.get("message")}
                         for f in d.findings],
            **d.evidence, **({"note": d.note} if d.note else {}),
        }  # fmt: skip
        shown["choices"] = [_choice_json(c) for c in d.choices]
        shown["can_set"] = d.tag or None
    return shown


def _choice_json(choice) -> dict[str, Any]:
    return {"number": choice.number, "label": choice.label, "act": choice.act,
            **({"file": choice.file} if choice.file else {})}  # fmt: skip


def queued_json(home: Path, kind: str, item: Mapping[str, Any], code: str, *,
                full: bool) -> dict[str, Any]:  # fmt: skip
    """A decision about a queue item itself: a failed or skipped item, its stage and last
    error in words, retry or skip; or one done but not identified, why, and run it again."""
    if code == UNIDENTIFIED:
        name = str(item.get("name") or item["key"])
        question = unidentified_question(name)
        shown = _item_question(kind, item, name, code, "warning", question)
        if full:
            why = str((item.get("details") or {}).get("unidentified") or "")
            choices = [{"number": 1, "label": AGAIN_ONLINE_SAID, "act": AGAIN}]
            _full(shown, {"note": why}, choices)
        return shown
    said = outstanding_of(kind, item)
    name, stage = said.name, said.stage
    question = f"{name} {code}{f' at {stage_word(stage)}' if stage else ''}: retry it or skip it?"
    shown = _item_question(kind, item, name, code, "error", question)
    if full:
        error = plain_error(said.message, _working_of(home, kind))
        choices = [{"number": n, "label": outstanding.LABELS[c], "act": c}
                   for n, c in enumerate(QUEUED[code], 1)]  # fmt: skip
        _full(shown, {"stage": stage, "attempts": said.attempts, "error": error}, choices)
    return shown


def _item_question(kind: str, item: Mapping[str, Any], name: str, code: str, severity: str,
                   question: str) -> dict[str, Any]:  # fmt: skip
    """A queue item's decision as listed: about the item, no album and no file."""
    return {
        "id": ids.make(kind, str(item["key"]), "", code), "kind": kind, "item": name,
        "key": item["key"], "album": "", "code": code, "severity": severity,
        "question": question, "files": [],
    }  # fmt: skip


def _full(shown: dict[str, Any], details: dict[str, Any], choices: list[dict]) -> None:
    """A queue item's decision shown whole: its details (what it asks, and ``details``) and
    its choices; no value to set."""
    shown["details"] = {"question": shown["question"], "code": shown["code"], "files": [],
                        **details}  # fmt: skip
    shown["choices"] = choices
    shown["can_set"] = None


def _working_of(home: Path, kind: str) -> list[Path]:
    """The folders a kind's jobs work in: the data home's, and the kind's own setting."""
    found = [home / "working"]
    if set_to := load_settings(home).values.get(kind, {}).get("working"):
        found.append(Path(set_to).expanduser())
    return found


def group_json(group: dict[str, Any], *, full: bool) -> dict[str, Any]:
    asked = _dupes_asked(group)
    asks = questions_of(dupes.KIND.name)
    shown: dict[str, Any] = {
        "id": ids.make(dupes.KIND.name, group["id"], "", dupes.code_of(group)),
        "kind": dupes.KIND.name, "item": asks.evidence(asked)["name"], "key": group["id"],
        "album": "", "code": dupes.code_of(group), "severity": dupes.SEVERITY,
        "question": asks.words(asked), "files": [c["path"] for c in group["copies"]],
    }  # fmt: skip
    if full:
        shown["details"] = {"question": shown["question"], "code": shown["code"],
                            "files": shown["files"], **asks.evidence(asked)}  # fmt: skip
        offered, _ = asks.offers(asked)
        shown["choices"] = [{"number": n, "label": o.label, "act": o.act}
                            for n, o in enumerate(offered, 1)]  # fmt: skip
        shown["can_set"] = None
    return shown


def _dupes_asked(group: dict[str, Any]) -> Asked:
    return Asked(dupes.KIND.name, dupes.code_of(group), "", group, {}, ())


def outstanding_json(waiting) -> list[dict[str, Any]]:
    """The failed and skipped items by kind and status: each with its choices."""
    by: dict[tuple[str, str], list] = {}
    for item in waiting:
        by.setdefault((item.kind, item.word), []).append(item)
    return [
        {"kind": kind, "status": word, "count": len(items), "items": [i.name for i in items],
         "choices": [c.partition(" ")[0] for c in outstanding.choices_of(items[0])]}
        for (kind, word), items in by.items()
    ]  # fmt: skip


@dataclass
class Held:
    """One item as last seen, and what it asks: ``need`` (its open findings, or not
    identified), ``waiting`` (failed or skipped); ``order``: its place in its queue as first
    seen; ``decisions``: its decisions as a listing gives them (None until one asked);
    ``asked``: the ids of its decisions of each code a group asked for (``group_asking``)."""

    item: dict[str, Any]
    need: NeedsYou | None
    waiting: Outstanding | None
    order: int
    decisions: list[dict[str, Any]] | None = None
    asked: dict[str, list[str]] | None = None

    @property
    def name(self) -> str:
        return str(self.item.get("name") or self.item["key"])

    def rank(self) -> tuple:
        """Its place among a group's items: by name as ``groups.groups_of`` lists them."""
        need = self.need
        return (self.name.casefold(), need.level, -need.decisions, self.name, self.order, self)


@dataclass
class Asking:
    """One group's decisions counted, and its items' ranks (``Held.rank``), in order."""

    count: int = 0
    ranks: list[tuple] = field(default_factory=list)


class HeldDecisions:
    """Every kind's items that ask something, by key; each group's count and items."""

    def __init__(self, home: Path):
        self.home = Path(home)
        self._kinds: dict[str, dict[str, Held]] = {}
        self._order: dict[str, dict[str, int]] = {}  # each key's place, as first seen
        self._places: dict[str, Iterator[int]] = {}  # each kind's next place (none given twice)
        self._groups: dict[tuple[str, str], Asking] = {}
        self._waiting: dict[str, dict[str, Held]] = {}  # the failed and skipped, by kind
        self._lock = threading.Lock()
        self.version = 0  # raised by every change of what is held
        self._waited = 0  # raised by every change of the failed and skipped
        self._made: dict[tuple, tuple[int, dict[str, Any]]] = {}  # (kind, shown) -> listing
        self._outstanding: dict[tuple, tuple[int, list[dict[str, Any]]]] = {}  # likewise
        self._dupes: tuple[tuple, list[dict[str, Any]]] | None = None
        self.unreadable: dict[str, str] = {}  # what ``read`` could not read: kind -> why

    @classmethod
    def read(cls, home: Path, kind: str | None = None) -> HeldDecisions:
        """Every queue of ``home`` (or ``kind``'s) read once, each item held; a queue that
        cannot be read asks nothing, and is in ``unreadable`` (kind -> why) to be said."""
        held = cls(home)
        for one in [kind] if kind else records.kinds_in(held.home / "status"):
            store = QueueStore(held.home / "status" / one, one)
            if not store.exists():
                continue
            try:
                items = read_lines(store).items
            except (MediakeeperError, OSError) as err:
                held.unreadable[one] = records.unreadable(store, err).problem or ""
                continue
            for item in items:
                held.seen(one, item)
        return held

    def seen(self, kind: str, item: dict[str, Any]) -> None:
        """``item`` as ``kind``'s queue holds it now."""
        key = str(item["key"])
        with self._lock:
            order = self._order.setdefault(kind, {})
            if (at := order.get(key)) is None:
                at = order[key] = next(self._places.setdefault(kind, itertools.count()))
            items = self._kinds.setdefault(kind, {})
            before = items.get(key)
            if before is not None and before.item == item:
                return
            now = _held(self.home, kind, item, at)
            if before is None and now is None:
                return  # asked nothing, asks nothing
            if before is not None:
                self._drop(kind, key, before)
            if now is not None:
                self._add(kind, key, now)
            self.version += 1

    def gone(self, kind: str, key: str) -> None:
        """The item ``key`` was removed from ``kind``'s queue."""
        with self._lock:
            self._order.get(kind, {}).pop(key, None)
            if (before := self._kinds.get(kind, {}).get(key)) is not None:
                self._drop(kind, key, before)
                self.version += 1

    def _add(self, kind: str, key: str, held: Held) -> None:
        self._kinds[kind][key] = held
        if held.waiting is not None:
            self._waiting.setdefault(kind, {})[key] = held
            self._waited += 1
        if held.need is not None:
            rank = held.rank()
            for code, n in groups.asked_in(held.need):
                asking = self._groups.setdefault((kind, code), Asking())
                asking.count += n
                bisect.insort(asking.ranks, rank)

    def _drop(self, kind: str, key: str, held: Held) -> None:
        del self._kinds[kind][key]
        if held.waiting is not None:
            del self._waiting[kind][key]
            self._waited += 1
        if held.need is not None:
            rank = held.rank()
            for code, n in groups.asked_in(held.need):
                asking = self._groups[kind, code]
                asking.count -= n
                del asking.ranks[bisect.bisect_left(asking.ranks, rank)]
                if not asking.ranks:
                    del self._groups[kind, code]

    def kinds_asking(self, code: str, kind: str | None = None) -> list[str]:
        """The kinds (``kind`` alone, when given) whose items ask ``code``, as held."""
        with self._lock:
            return sorted({k for k, c in self._groups if c == code and kind in (None, k)},
                          key=records.kind_sort_key)  # fmt: skip

    def group_items(self, kind: str, code: str) -> list[dict[str, Any]]:
        """The queue items asking ``code`` in ``kind``, as held, by name as the group lists
        them (those of one name as their queue holds them)."""
        with self._lock:
            asking = self._groups.get((kind, code))
            ranks = list(asking.ranks) if asking else []
        return [h.item for h in _by_name(ranks)]

    def group_asking(self, kind: str, code: str) -> list[tuple[dict[str, Any], list[str]]]:
        """The group of ``code`` in ``kind``: its items as held, by name as the group lists
        them, each with the ids of its decisions of ``code``, from the item's queue details
        where they say them (``core.decisions.questions_asked``: no document read), else
        from its document (read once, and held: a group previewed again reads none)."""
        if not kinds.get(kind).rewrite:
            return []  # decided by its own commands: no ids here
        with self._lock:
            asking = self._groups.get((kind, code))
            ranks = list(asking.ranks) if asking else []
        found = []
        for held in _by_name(ranks):
            decided = held.asked.get(code) if held.asked is not None else None
            if decided is None:
                decided = self._asked_of(kind, held, code)
                held.asked = {**(held.asked or {}), code: decided}  # held anew if it changes
            found.append((held.item, decided))
        return found

    def _asked_of(self, kind: str, held: Held, code: str) -> list[str]:
        wheres = questions_asked(held.item.get("details"), code)
        if wheres is None:  # an item recorded before its details said them
            return [d["id"] for d in self._decisions_of(kind, held, False) if d["code"] == code]
        return [ids.make(kind, str(held.item["key"]), where, code) for where in wheres]

    def as_json(self, kind: str | None = None, *, details: bool = False,
                shown: int | None = None) -> dict[str, Any]:  # fmt: skip
        """What ``engine.listing`` answers: the groups (of ``kind``), worst first, each with
        its decisions' ids (``details``: each explained in full, read afresh, not held);
        ``shown``: at most that many decisions in each group (the first, as the whole
        listing has them), and the names of their items alone, whose documents alone are
        read. Not to be changed: shared with the next caller until something changes."""
        with self._lock:
            version = self.version
            made = self._made.get((kind, shown)) if not details else None
            if made is not None and made[0] == version:
                return {**made[1], **self._duplicates(kind)}
            asking = {g: (a.count, list(a.ranks)) for g, a in self._groups.items()
                      if kind in (None, g[0])}  # fmt: skip
            waited = self._outstanding.get((kind, shown)) if not details else None
            if waited is None or waited[0] != self._waited:
                waiting = {k: list(items.values()) for k, items in self._waiting.items()
                           if kind in (None, k) and items}  # fmt: skip
                waited = (self._waited, self._waiting_json(waiting, details, shown))
                if not details:
                    self._outstanding[kind, shown] = waited
        listed = self._listing(asking, details, shown)
        if waited[1]:
            listed["outstanding"] = waited[1]
        if not details:
            with self._lock:
                self._made[kind, shown] = (version, listed)
        return {**listed, **self._duplicates(kind, details)}

    def _listing(self, asking: dict[tuple[str, str], tuple[int, list[tuple]]], details: bool,
                 shown: int | None) -> dict[str, Any]:  # fmt: skip
        found = groups.worst_first(
            groups.group_of(kind, code, count, tuple(r[3] for r in ranks[:shown]))
            for (kind, code), (count, ranks) in asking.items())  # fmt: skip
        listed = groups.as_json(found)
        for group in listed["groups"]:
            _, ranks = asking[group["kind"], group["code"]]
            group["decisions"] = self._group_decisions(group["kind"], group["code"], ranks,
                                                       details, shown)  # fmt: skip
        return listed

    def _waiting_json(self, waiting: dict[str, list[Held]], details: bool,
                      shown: int | None) -> list[dict[str, Any]]:  # fmt: skip
        """The failed and skipped items by kind and status (``outstanding``), each with its
        decisions, as their queue holds them."""
        held = [h for k in sorted(waiting, key=records.kind_sort_key)
                for h in sorted(waiting[k], key=lambda h: (outstanding_key(h.waiting), h.order))]
        listed = outstanding_json([h.waiting for h in held]) if held else []
        for entry in listed:
            status = outstanding.GROUPS[entry["status"]]
            items = sorted((h for h in waiting[entry["kind"]] if h.item.get("status") == status),
                           key=lambda h: h.order)  # fmt: skip
            entry["decisions"] = [queued_json(self.home, entry["kind"], h.item, entry["status"],
                                              full=details) for h in items[:shown]]  # fmt: skip
        return listed

    def _group_decisions(self, kind: str, code: str, ranks: list[tuple], details: bool,
                         shown: int | None) -> list[dict[str, Any]]:  # fmt: skip
        """The group's decisions, its items by name (those of one name as their queue holds
        them), each item's document read once: ``shown`` decisions at most."""
        if code == UNIDENTIFIED:  # the item itself: no document read
            return [queued_json(self.home, kind, h.item, code, full=details)
                    for h in itertools.islice(_by_name(ranks), shown)]  # fmt: skip
        if not kinds.get(kind).rewrite:
            return []  # decided by its own commands: no ids here
        found: list[dict[str, Any]] = []
        for held in _by_name(ranks):
            if shown is not None and len(found) >= shown:
                break
            found += [d for d in self._decisions_of(kind, held, details) if d["code"] == code]
        return found[:shown]

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

    def _duplicates(self, kind: str | None, details: bool = False) -> dict[str, Any]:
        """``{"duplicates": [...]}`` when there are open duplicate groups (of ``kind``), read
        again only when the files they are read from changed (``details``: each decision
        explained in full, as the others are, read afresh, not held)."""
        if kind not in (None, dupes.KIND.name):
            return {}
        if details:
            found = self._duplicate_groups(full=True)
            return {"duplicates": found} if found else {}
        folder = self.home / "status" / dupes.KIND.name
        key = (_files_state(folder), _files_state(folder / "moves"))
        if self._dupes is None or self._dupes[0] != key:
            self._dupes = (key, self._duplicate_groups(full=False))
        return {"duplicates": self._dupes[1]} if self._dupes[1] else {}

    def _duplicate_groups(self, *, full: bool) -> list[dict[str, Any]]:
        found = dupes.as_json(self.home)
        for entry in found:
            entry["decisions"] = [
                group_json(g, full=full) for g in dupes.open_groups(self.home, entry["code"])
            ]
        return found


def _by_name(ranks: list[tuple]) -> Iterator[Held]:
    """A group's items from their ranks (``Held.rank``), by name as ``groups.groups_of``
    lists them, those of one name (case aside) as their queue holds them."""
    at = 0
    while at < len(ranks):
        name, run = ranks[at][0], []
        while at < len(ranks) and ranks[at][0] == name:
            run.append(ranks[at][-1])
            at += 1
        yield from sorted(run, key=lambda h: h.order)


def _held(home: Path, kind: str, item: dict[str, Any], order: int) -> Held | None:
    """What ``item`` of ``kind`` asks, as the reports count it; None when nothing."""
    waiting = outstanding_of(kind, item)
    if item.get("status") != COMPLETED:
        return Held(item, None, waiting, order) if waiting else None
    opened = open_codes(item.get("details"))
    if opened == frozenset() and not (item.get("details") or {}).get("unidentified"):
        return None  # nothing open (the common case, told from the counts alone)
    document = records.once(partial(records.read_output, home, kind, item))
    findings = records.read_findings(item, document) if kind in records.OUTPUT_DIRS else None
    need = None if item.get("missing") else need_of(kind, item, findings)
    return Held(item, need, None, order) if need is not None else None


def _files_state(folder: Path) -> tuple:
    """What tells that a folder's files changed: each file's name and identity."""
    try:
        with os.scandir(folder) as found:
            return tuple(sorted((e.name, *identity(e.stat())) for e in found))
    except OSError:
        return ()

