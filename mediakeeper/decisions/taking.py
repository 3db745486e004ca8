"""A whole group decided at once: the same choice taken for every open decision of one code
in one kind's items, as ONE session (``sessions``), so one ``undo --session`` brings every one
of them back. A dismissal, or the choice numbered N among each decision's own choices where
that choice is the same for every decision of the group (checked before anything is written;
verify's choices are taken by ``verifying``).
With ``remember`` the answer becomes a rule (``rules``) later batches of every kind apply.
Every kind whose decisions are taken from ``decide`` (``Kind.rewrite``) alike; and a kind's
failed (or skipped) items, retried or skipped together (``take_outstanding``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mediakeeper.changes.writes import FilesWritten
from mediakeeper.core import kinds, writemode
from mediakeeper.core.decisions import (
    AGAIN_ONLINE,
    DISMISSED,
    UNIDENTIFIED,
    check_rules,
    open_codes,
    questions,
)
from mediakeeper.core.questions import ACCEPT, AGAIN, CANDIDATE, DISMISS, RESTORE, UPGRADE
from mediakeeper.decisions import outstanding, rules, sessions, verifying
from mediakeeper.decisions.answering import (
    Taken,
    changed_files,
    changed_since,
    group_done,
    new_session,
    rewriter,
    take,
    write_again,
)
from mediakeeper.decisions.item import (
    DecidedBehind,
    DecideError,
    ItemDecisions,
    counts_lag,
    item_decisions,
    queue_of,
)
from mediakeeper.queue.items import COMPLETED, PENDING
from mediakeeper.queue.store import QueueStore
from mediakeeper.reports.issue_index import write_issue_indexes
from mediakeeper.system.interrupts import Interrupted, critical

VERIFYING = (ACCEPT, AGAIN, RESTORE)  # verify's acts (``verifying``), not tag changes


@dataclass
class GroupTaken:
    session: str  # "" in a dry run, or when nothing was decided
    what: str
    taken: list[tuple[str, Taken]] = field(default_factory=list)  # (item name, what it took)
    rule: str = ""  # the rule recorded ("": none)
    queued: list[str] = field(default_factory=list)  # verify again: the albums back to pending
    asked: list[ItemDecisions] = field(default_factory=list)  # the items decided, as they were
    interrupted: bool = False  # a Ctrl+C stopped it: ``taken`` are the items decided before

    @property
    def left_open(self) -> int:
        """The items asked that a stop left undecided (none unless ``interrupted``)."""
        return len(self.asked) - len(self.taken)

    @property
    def closed(self) -> int:
        return sum(questions(t.closed, open_only=False) for _, t in self.taken)

    @property
    def refused(self) -> list[tuple[str, Taken]]:
        return [(name, t) for name, t in self.taken if t.refused]

    @property
    def files_written(self) -> FilesWritten:
        """The files every item's values were written to (each item's files are its own)."""
        written = [t.files_written for _, t in self.taken]
        return FilesWritten(sum(w.files for w in written), sum(w.whole for w in written))


def take_group(
    home: Path,
    kind: str,
    code: str,
    *,
    choose: int | None = None,
    remember: bool = False,
    dry_run: bool = False,
    writing: writemode.Writing = writemode.DEFAULT_WRITING,
    items: list[dict[str, Any]] | None = None,
    as_recorded: bool = False,
) -> GroupTaken:
    """Dismiss (``choose`` None) or take choice ``choose`` for every open decision of
    ``code`` in ``kind``'s items (``items``: those asking it, as the caller read them; else
    read from the queue). ``as_recorded``: refused (``Stale``) before anything is written
    unless every file of every decision taken is as the batch recorded it (or as a
    decision or an undo since left it: ``answering.changed_since``)."""
    rewriter(kind)  # a kind decided by its own commands: refused before anything
    if remember:
        if choose is not None:
            raise DecideError("--remember records a dismissal only",
                              "give --all --dismiss CODE --remember")  # fmt: skip
        check_rules({code: DISMISS}, "--remember")
    asking = items_asking(home, kind, code, full=choose is not None,  # a dismissal: no choices
                          items=items, mend=not dry_run)  # fmt: skip
    if not asking:
        raise DecideError(f"no open {code!r} decision in {kind}", "`decide` lists the groups")
    act = _act(asking, code, choose) if choose is not None else ""
    if act == UPGRADE:  # each file set aside
        raise DecideError(f"the tag upgrade of {code!r} is taken item by item",
                          f"decide {kind} NAME --code {code} --choose {choose}")  # fmt: skip
    if act == CANDIDATE:  # one movie's own
        raise DecideError(f"the choices of {code!r} are each item's own",
                          f"decide each item: decide {kind} NAME")  # fmt: skip
    label = _same_choice(asking, code, choose) if choose is not None else ""
    if as_recorded and not dry_run:
        for found in asking:
            for decision in found.of_code(code):
                if changed := changed_since(home, kind, found.item, decision):
                    raise changed_files(kind, found.name, changed, "preview the group again")
    if act in VERIFYING:  # not a tag
        chosen = [(f, [d for d in f.decisions if d.code == code]) for f in asking]
        acted = verifying.take(home, chosen, act, code, dry_run=dry_run)
        return GroupTaken(acted.session, acted.what, acted.taken, queued=acted.queued,
                          asked=[f for f, _ in chosen])  # fmt: skip
    what = f"chose {label}" if choose is not None else DISMISSED
    session = "" if dry_run else new_session(home)
    result, store = GroupTaken(session, what, asked=asking), queue_of(home, kind)
    if not dry_run:  # recorded first: a kill half-way leaves a session undo takes back whole
        sessions.record(home, kind, session, code, [f.item["key"] for f in asking], "")
    _take_each(home, code, choose, result, store, dry_run=dry_run, writing=writing)
    if dry_run:  # the rule it would record, where it does not stand already
        if remember and not rules.stands(home, code, DISMISS):
            result.rule = f'{code} = "{DISMISS}"'
        return result
    with critical():
        _recorded(home, kind, code, result, remember)
        group_done(home, store)
    return result


def _take_each(home: Path, code: str, choose: int | None, result: GroupTaken, store: QueueStore,
               *, dry_run: bool, writing: writemode.Writing) -> None:  # fmt: skip
    """Take the group's choice (``choose``; None: dismiss) in each item asking it, in
    ``result``; a Ctrl+C stops it between two items (``result.interrupted``), the rest open."""
    try:
        for found in result.asked:
            closing = found.of_code(code)
            changes = (tuple(c for d in closing for c in d.choices[choose - 1].changes)
                       if choose else ())  # fmt: skip
            # An item's tags, its closed decision and its place in the result, never one
            # without the others.
            with critical():
                taken = take(home, found, changes, closing, result.what, dry_run=dry_run,
                             writing=writing, dismissing="" if choose else code,
                             session=result.session, index=False, store=store)  # fmt: skip
                result.taken.append((found.name, taken))
    except Interrupted:  # what was taken is recorded by the caller; the rest stays open
        result.interrupted = True


def _recorded(home: Path, kind: str, code: str, result: GroupTaken, remember: bool) -> None:
    """The group's session recorded as taken (the items it decided; its rule, remembered
    here, unless a stop left some open); one that decided nothing is no session."""
    edit = rules.remember(home, code, DISMISS) if remember and not result.interrupted else None
    if edit is not None:
        result.rule = f'{code} = "{DISMISS}"'
    decided = [found.item["key"] for found, (_, t) in zip(result.asked, result.taken,
                                                          strict=False) if t.closed]  # fmt: skip
    if decided or not result.interrupted:
        # The settings file's text before and after the rule: its undo puts it back exactly.
        settings = {"settings": {"before": edit.before, "after": edit.after}} if edit else {}
        sessions.record(home, kind, result.session, code, decided,
                        DISMISS if result.rule else "", **settings)  # fmt: skip
    else:  # stopped before its first item
        sessions.drop(home, kind, result.session)
        result.session = ""


def items_asking(home: Path, kind: str, code: str | Collection[str], *, full: bool = True,
                 items: list[dict[str, Any]] | None = None,
                 mend: bool = False) -> list[ItemDecisions]:  # fmt: skip
    """Every completed item with an open decision of ``code`` (or of one of several codes),
    its decisions read once (an item's queue counts say whether to open its document), of
    ``items`` when given, else of the kind's queue. ``mend``: an item whose counts still ask
    what its document has closed (a kill between the two writes of its decision) has its
    counts written again from the document, so that ``decide`` stops listing it."""
    codes = {code} if isinstance(code, str) else set(code)
    if items is None:
        store = QueueStore(home / "status" / kinds.get(kind).name, kind)
        if not store.exists():
            raise DecideError(f"no {kind} queue in {home}", "run a batch first")
        items = store.peek()["items"]
    found = []
    for item in items:
        if item.get("status") != COMPLETED or not _may_ask(item, codes):
            continue
        try:
            decisions = item_decisions(home, kind, item, full=full, codes=codes)
        except DecideError:  # no readable output: `decide` says so for that item
            continue
        if any(d.code in codes for d in decisions.decisions):
            found.append(decisions)
        elif mend and counts_lag(item, decisions.document):
            write_again(home, decisions, files_now=False)
    return sorted(found, key=lambda f: f.name.casefold())


def mend_behind(home: Path, behind: DecidedBehind) -> None:
    """The item's queue counts (and the index) written again from its document, as the
    stopped answer would have: ``decide`` lists the decision no more."""
    write_again(home, behind.found, files_now=False)


def _may_ask(item: dict[str, Any], codes: Collection[str]) -> bool:
    """Whether the item's queue counts leave one of ``codes`` open (no counts: its output
    document says)."""
    opened = open_codes(item.get("details"))
    return opened is None or not opened.isdisjoint(codes)


def _same_choice(asking: list[ItemDecisions], code: str, choose: int) -> str:
    """The label of choice ``choose``, the same in every decision of the group (their other
    choices may differ: a restore offered where a good copy is), or why not."""
    offered = [tuple(c.label for c in d.choices) for d in _of_code(asking, code)]
    labels = {choices[choose - 1] if choose <= len(choices) else "" for choices in offered}
    if len(labels) == 1 and "" not in labels:
        return labels.pop()
    if all(choose > len(choices) for choices in offered):
        listed = "; ".join(f"{n}) {label}" for n, label in enumerate(offered[0], 1))
        raise DecideError(f"{code!r} has no choice {choose}",
                          f"its choices: {listed}" if listed else
                          f"it has no numbered choice: give --all --dismiss {code}")  # fmt: skip
    raise DecideError(f"choice {choose} of {code!r} is not the same for every item",
                      "decide each item: decide KIND NAME")  # fmt: skip


def _of_code(asking: list[ItemDecisions], code: str):
    return [d for found in asking for d in found.decisions if d.code == code]


def _act(asking: list[ItemDecisions], code: str, choose: int) -> str:
    """What choice ``choose`` does (``core.questions``), as the group's decisions offer it.
    A group offering a movie's candidates has choices each item's own, whatever the number
    (``CANDIDATE``); "": no decision has such a choice, which ``_same_choice`` says."""
    decisions = _of_code(asking, code)
    if any(c.act == CANDIDATE for d in decisions for c in d.choices):
        return CANDIDATE
    acts = [d.choices[choose - 1].act for d in decisions if choose <= len(d.choices)]
    return acts[0] if acts else ""


@dataclass
class QueueTaken:
    """A kind's failed (or skipped) items retried or skipped together."""

    session: str  # "" in a dry run
    kind: str
    what: str  # "retry", "skip"
    names: list[str]
    keys: list[str]  # the items' keys, as ``names``
    status: str  # what they are put to: pending (retried) or skipped
    # Not identified: its items' findings' decisions, closed with them ({"id", "item"}).
    closing: list[dict[str, str]] = field(default_factory=list)

    @property
    def closed(self) -> int:
        """The decisions it closes: each item's own, and those closed with it."""
        return len(self.names) + len(self.closing)


def take_unidentified(home: Path, kind: str, items: list[dict[str, Any]], *,
                      dry_run: bool = False) -> QueueTaken:  # fmt: skip
    """Items done but not identified (``items``: their queue items) back to pending, for a
    batch online to identify, as one session whose undo gives each back as it was."""
    # Read before they go back: a pending item asks none of its findings' decisions either.
    closing = {str(i["key"]): [{"id": d.id, "item": found.name} for d in found.closed_by_pending]
               for i in items for found in [item_decisions(home, kind, i)]}  # fmt: skip
    if not dry_run:
        session = new_session(home)
        items = sessions.again_items(home, kind, session, UNIDENTIFIED, set(closing))
    return QueueTaken("" if dry_run else session, kind, f"{PENDING} ({AGAIN_ONLINE})",
                      [str(i.get("name") or i["key"]) for i in items],
                      [str(i["key"]) for i in items], PENDING,
                      [d for i in items for d in closing[str(i["key"])]])  # fmt: skip


def take_outstanding(
    home: Path, kind: str | None, group: str, choose: int, *, dry_run: bool = False,
    keys: list[str] | None = None,
) -> QueueTaken:
    """Choice ``choose`` (retry, skip) for every item of the group ``group`` (failed,
    skipped) of ``kind`` (those of ``keys`` only, when given: one item's decision), as one
    session whose undo gives each item back as it was."""
    kind, items = outstanding.group_choices(home, kind, group, keys)
    if dry_run:
        what, status = outstanding.act_of(items, choose)
        return QueueTaken("", kind, what, [o.name for o in items], [o.key for o in items],
                          status)  # fmt: skip
    what, before, status = outstanding.take_all(home, kind, items, choose)
    session = new_session(home)
    sessions.record(home, kind, session, group, [i["key"] for i in before], "",
                    {"status": status, "items": before})  # fmt: skip
    write_issue_indexes(home)
    return QueueTaken(session, kind, what, [str(i.get("name") or i["key"]) for i in before],
                      [str(i["key"]) for i in before], status)  # fmt: skip
