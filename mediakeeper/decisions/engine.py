"""The one decision engine every face calls (``decide`` and ``/api/decisions`` alike): list
the open decisions, explain one (its question in words, its evidence, its choices numbered
within it), preview an answer (exactly which files and fields it would change; nothing
written), take it, and undo a session.

A decision is named by its id (``ids``); an id whose question is no longer asked as it was
(taken already, the batch ran again, or the item's files changed since the batch read them)
is refused (``Stale``) before anything is written. What a kind asks and offers is its own
(``item.questions_of``: its package's ``questions.py``); what each choice does is an act the
engine carries out here once for every kind: tag changes through the change journal
(``answering.take``), verify's accept, verify again and restore (``verifying``), a TMDb
candidate kept for the next batch, a duplicate group's copies set aside or kept whole
(``keeping``), a failed item retried or skipped (``taking.take_outstanding``). Every
answer, a dismissal too, is one session that ``undo --session`` (``undo``) takes back whole.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mediakeeper.changes.writes import would_apply
from mediakeeper.core import writemode
from mediakeeper.core.config import load_settings
from mediakeeper.core.decisions import AGAIN_ONLINE, UNIDENTIFIED, not_identified, questions
from mediakeeper.core.errors import MediakeeperError, UsageError
from mediakeeper.core.questions import (
    ACCEPT,
    AGAIN,
    CANDIDATE,
    KEEP,
    RESTORE,
    SKIP,
    UPGRADE,
    WRITE,
)
from mediakeeper.decisions import (
    copies,
    dupes,
    ids,
    keeping,
    outstanding,
    sessions,
    taking,
    upgrades,
    verifying,
)
from mediakeeper.decisions.answering import (
    changed_files,
    changed_since,
    choose_candidate,
    new_session,
    take,
    what_to_take,
)
from mediakeeper.decisions.item import (
    DecidedBehind,
    DecideError,
    Decision,
    DoesNotFit,
    ItemDecisions,
    Stale,
    decided_behind,
    item_decisions,
    kinds_here,
    queue_of,
    refuse_if_processing,
)
from mediakeeper.decisions.listing import (
    QUEUED,
    HeldDecisions,
    decision_json,
    group_json,
    queued_choices,
    queued_json,
)
from mediakeeper.dupes import questions as dupes_questions
from mediakeeper.queue.items import COMPLETED, ERROR, PENDING, SKIPPED, gone
from mediakeeper.text.commands import tool_command
from mediakeeper.text.wording import back_to

FAILED = {"failed": ERROR, "skipped": SKIPPED}  # a failed item's decision code -> its status


@dataclass(frozen=True)
class Answer:
    """What a person answers one decision: ``choose`` N (counted within it), ``values``
    ((tag, value) pairs, for the files it concerns unless ``scope`` widens it: "album",
    "item"; ``album`` keeps them to one album), or ``dismiss`` (leave it as it is);
    ``fields``: of a choice's changes, only these tags (None: all of them)."""

    choose: int | None = None
    values: tuple[tuple[str, str], ...] = ()
    dismiss: bool = False
    scope: str = "decision"
    fields: tuple[str, ...] | None = None
    album: str | None = None

    def check(self) -> None:
        if sum(bool(x) for x in (self.choose, self.values, self.dismiss)) != 1:
            raise UsageError("give one of choose, set or dismiss")
        if self.fields is not None and not self.choose:
            raise UsageError("fields go with a choice: the fields of choice N to write")
        if self.fields == ():  # none ticked is no answer, never "all of them"
            raise UsageError("no field of the choice chosen: name those to write (to leave "
                             "the files as they are, dismiss it)")  # fmt: skip


@dataclass
class Asking:
    """What an id names now: one item's decision, a queue item itself (failed, skipped, done
    but not identified), or a duplicate group."""

    id: str
    kind: str
    key: str
    code: str
    found: ItemDecisions | None = None
    decision: Decision | None = None
    queued: dict[str, Any] | None = None  # a failed, skipped or unidentified queue item
    group: dict[str, Any] | None = None  # the duplicate group


# ---- list and explain ------------------------------------------------------------------------


def listing(home: Path, kind: str | None = None, *, details: bool = False) -> dict[str, Any]:
    """What ``decide --json`` prints and ``GET /api/decisions`` answers: the groups, each with
    its decisions' ids (``details``: each decision explained in full, as ``explain`` does),
    from every queue read once (``listing.HeldDecisions``: what ``serve`` keeps, item by
    item, between two)."""
    return HeldDecisions.read(home).as_json(kind, details=details)


def explain(home: Path, decision_id: str) -> dict[str, Any]:
    """One decision as ``decide --id ID --json`` and ``GET /api/decisions/{id}`` give it."""
    asking = find(home, decision_id, fresh=False)
    if asking.group is not None:
        return group_json(asking.group, full=True)
    if asking.queued is not None:
        return queued_json(home, asking.kind, asking.queued, asking.code, full=True)
    if asking.decision is None:
        raise DecideError(f"{decision_id[:60]} names an item, not one of its decisions",
                          "`decide KIND NAME --json` lists them")  # fmt: skip
    return decision_json(asking.found, asking.decision, full=True)


def describe_one(shown: Mapping[str, Any]) -> list[str]:
    """One decision explained (``explain``), for a person: its question, its evidence in
    short, its choices numbered within it, its id."""
    lines = question_lines(shown, f"{shown['item']}: ")
    lines += [f"  {c['number']}) {c['label']}" for c in shown.get("choices") or ()]
    if shown.get("can_set"):
        lines.append(f"  or type a value: --set {shown['can_set']}=VALUE")
    note = (shown.get("details") or {}).get("note")
    lines += [f"  ({note})"] if note else []
    return [*lines, f"  id {shown['id']}"]


def question_lines(shown: Mapping[str, Any], named: str) -> list[str]:
    """One decision explained (``explain``), its choices aside: its question after ``named``
    (its item's name as the face shows it), then its evidence in short, each line indented;
    a failed or skipped item's question is where it stopped, and why."""
    from mediakeeper.decisions.item import evidence_lines

    details = shown.get("details") or {}
    lines = [f"{named}{shown['severity']} {shown['code']} — {shown['question']}"]
    if "error" in details:
        lines = [outstanding.said(shown["item"], shown["code"], details.get("stage") or "",
                                  details["attempts"], details["error"])]  # fmt: skip
    for why in details.get("why") or ():  # a duplicate group: why the best ranks first
        lines.append(f"  kept: {why}")
    lines += [f"  {line}" for line in evidence_lines(details)]
    if details.get("copies"):  # a duplicate group: every copy side by side
        lines += [f"  {line}" for line in dupes_questions.side_by_side(details["copies"])]
    return lines


# ---- finding what an id names ----------------------------------------------------------------


def find(home: Path, decision_id: str, *, fresh: bool = True) -> Asking:
    """What ``decision_id`` names, as it is now; ``Stale`` when it is no longer asked (or,
    ``fresh``, when the item's files changed since the batch read them)."""
    kind, key, _, code = ids.parse(decision_id)
    if kind not in kinds_here(home):
        raise Stale(f"decision {decision_id[:40]}...: no kind {kind!r} here")
    no_longer_open = Stale(f"that decision ({kind} {key!r}, {code}) is no longer open: taken "
                           "already, or asked anew by a later batch",
                           "`decide` lists what is open")  # fmt: skip
    if code in dupes.CODES and kind == dupes.KIND.name:
        group = next((g for g in dupes.open_groups(home, code) if g["id"] == key), None)
        if group is None:
            raise no_longer_open
        return Asking(decision_id, kind, key, code, group=group)
    store = queue_of(home, kind)
    if not store.exists():
        raise no_longer_open
    item = next((i for i in store.peek()["items"] if i["key"] == key), None)
    if code in QUEUED:
        if item is None or key not in {i["key"] for i in _queued(home, kind, code)}:
            raise no_longer_open
        return Asking(decision_id, kind, key, code, queued=item)
    if item is not None:
        refuse_if_processing(kind, item)
    if item is None or item.get("status") != COMPLETED:
        raise no_longer_open
    found = item_decisions(home, kind, item)
    decision = found.by_id(decision_id)
    if decision is None and code:  # no code: the item itself (a value for its tracks)
        raise no_longer_open
    if fresh and (changed := changed_since(home, kind, item, decision)):
        raise changed_files(kind, found.name, changed, "decide")
    return Asking(decision_id, kind, key, code, found=found, decision=decision)


def code_named(code: str | None, dismissed: str | None, decision_id: str | None = None
               ) -> str | None:  # fmt: skip
    """The finding code an answer names: ``code``, or the code a dismissal gives
    (``dismissed``), or the id's; UsageError when two of them differ, since taking the one
    would leave the other open while the person believes it closed."""
    named = {c for c in (code, dismissed) if c}
    if decision_id:
        has = ids.parse(decision_id)[3]
        if named - {has}:
            raise UsageError(f"that id's decision is about {has}, not "
                             f"{' or '.join(sorted(named - {has}))}",
                             "with an id, name no other code")  # fmt: skip
        return has
    if len(named) > 1:
        raise UsageError(f"code {code} and dismiss {dismissed} name two decisions",
                         "name one code")  # fmt: skip
    return code or dismissed or None


def resolve(home: Path, kind: str, name: str, code: str | None = None,
            album: str | None = None, *, values: bool = False) -> str:  # fmt: skip
    """The id of the decision ``decide KIND NAME [--code CODE] [--album ALBUM]`` means: the
    item's one decision (of ``code``, of ``album``); a failed item's, a duplicate group's.
    For typed ``values`` without a code, the item itself (``item_id``: its decisions about
    that tag; ``album`` then says which tracks, not which decision)."""
    if values:
        return item_id(home, kind, name) if not code else resolve(home, kind, name, code)
    from mediakeeper.decisions.item import find_item

    if kind == dupes.KIND.name and (group := dupes.find(home, name)) is not None:
        return ids.make(kind, group["id"], "", dupes.code_of(group))
    try:
        item = find_item(home, kind, name)
    except DecideError:
        failed = outstanding.find(home, kind, name)
        if failed is None:
            raise
        item = next(i for i in queue_of(home, kind).peek()["items"]
                    if str(i.get("name") or i["key"]) == failed.name)  # fmt: skip
        return ids.make(kind, item["key"], "", "failed" if item["status"] == ERROR else "skipped")
    found = item_decisions(home, kind, item)
    # Not identified: the item's own question, named by its code or its item's only one.
    asks = item.get("status") == COMPLETED and not_identified(item.get("details"))
    if code == UNIDENTIFIED or (asks and not code and not album and not found.decisions):
        if not asks:
            raise DecideError(f"{found.name} has no open {UNIDENTIFIED!r} decision",
                              "`decide KIND NAME` lists them")  # fmt: skip
        return ids.make(kind, str(item["key"]), "", UNIDENTIFIED)
    try:
        return found.only(code, album).id
    except DecideError:
        if code and (taken := found.taken(code)) and taken.get("session"):
            raise _taken_already(home, found.name, code, taken) from None
        raise


def _taken_already(home: Path, name: str, code: str, taken: dict[str, Any]) -> DecideError:
    """The ``code`` decision of ``name`` answered again: the session that took it (and how),
    and the whole command that takes it back to answer it again."""
    how = ", ".join(str(taken[k]) for k in ("what", "by", "at") if taken.get(k))
    return DecideError(f"{name} has no open {code!r} decision: taken already by session "
                       f"{taken['session']}" + (f" ({how})" if how else ""),
                       f"to take it back and answer again: {tool_command('undo', home)} "
                       f"--session {taken['session']}")  # fmt: skip


def behind_named(home: Path, kind: str | None, name: str | None, code: str | None = None,
                 decision_id: str | None = None) -> DecidedBehind | None:  # fmt: skip
    """The decision ``decide KIND NAME [--code CODE]`` (or ``--id``) names, where a stopped
    answer left it decided in its item's document and still asked by its queue counts
    (``item.decided_behind``); None otherwise (what ``resolve`` and ``find`` then say)."""
    from mediakeeper.decisions.item import find_item

    try:
        if decision_id:
            kind, key, _, code = ids.parse(decision_id)
            store = queue_of(home, kind) if kind in kinds_here(home) else None
            items = store.peek()["items"] if store and store.exists() else []
            item = next((i for i in items if i["key"] == key), None)
        else:
            item = find_item(home, str(kind), str(name))
    except MediakeeperError:  # no such item, queue or id: ``resolve`` and ``find`` say so
        return None
    if item is None or code in QUEUED or kind == dupes.KIND.name:
        return None
    return decided_behind(home, str(kind), item, code or None)


def item_id(home: Path, kind: str, name: str) -> str:
    """The id of an item itself (no code): what a typed value for its tracks is taken for
    when no one decision is named (``decide KIND NAME --set TAG=VALUE``: the item's
    decisions about that tag, or every track when none asks it)."""
    from mediakeeper.decisions.item import find_item

    return ids.make(kind, str(find_item(home, kind, name)["key"]), "", "")


def _queued(home: Path, kind: str, code: str) -> list[dict[str, Any]]:
    """The queue items a decision of ``code`` is about: failed, skipped, or done but not
    identified (where that is a question of its own: ``not_identified``)."""
    items = queue_of(home, kind).peek()["items"]
    if code == UNIDENTIFIED:
        return [i for i in items if i.get("status") == COMPLETED
                and not_identified(i.get("details"))]  # fmt: skip
    # (One failed whose folder is gone asks nothing while it is gone: ``outstanding_of``.)
    return [i for i in items if i.get("status") == FAILED[code] and not gone(i)]


# ---- preview and take ------------------------------------------------------------------------


@dataclass
class Preview:
    """What an answer would do, nothing written: each field of each file it would write
    (old and new), each file it would move and each library folder those moves would leave
    empty (which the take removes), each queue item it would put back, the decisions it
    would close, what would be refused and why; ``token``: the preview's fingerprint, which
    a take may carry to be refused if anything changed since."""

    id: str
    what: str
    writes: list[dict[str, Any]] = field(default_factory=list)
    moves: list[dict[str, str]] = field(default_factory=list)
    queue: list[dict[str, Any]] = field(default_factory=list)
    closes: list[str] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)
    token: str = ""
    emptied: list[str] = field(default_factory=list)

    @property
    def files(self) -> list[str]:
        return list(dict.fromkeys([w["path"] for w in self.writes]
                                  + [m["from"] for m in self.moves]))  # fmt: skip

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "what": self.what, "files": self.files, "writes": self.writes,
                "moves": self.moves, "emptied": self.emptied, "queue": self.queue,
                "closes": self.closes, "refused": self.refused, "token": self.token}  # fmt: skip


def preview(home: Path, decision_id: str, answer: Answer) -> Preview:
    answer.check()
    asking = find(home, decision_id)
    _fields_apply(asking, answer)
    shown = _plan(home, asking, answer)
    shown.token = _token(shown)
    return shown


def _token(shown: Preview) -> str:
    body = json.dumps([shown.id, shown.what, shown.writes, shown.moves, shown.queue,
                       shown.closes], sort_keys=True, default=str)  # fmt: skip
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:24]


def _plan(home: Path, asking: Asking, answer: Answer) -> Preview:
    if asking.group is not None:
        return _plan_dupes(home, asking, answer)
    if asking.queued is not None:
        act = _queued_act(asking, answer)
        status = SKIPPED if act == SKIP else PENDING
        said = AGAIN_ONLINE if act == AGAIN else act
        return Preview(asking.id, said, queue=[{"item": asking.queued.get("name") or asking.key,
                                               "key": asking.key, "status": status,
                                               "goes": back_to(status, asking.kind)}],
                       closes=_closed_with_item(home, asking))  # fmt: skip
    found, decision, choice = _chosen(asking, answer)
    if choice is not None and choice.act in _PLANS:
        return _PLANS[choice.act](home, asking, choice)
    changes, closing, what = what_to_take(
        found, answer.choose, answer.values, answer.album, decision.code if answer.dismiss
        else None, decision=decision, scope=answer.scope, fields=answer.fields,
    )  # fmt: skip
    if not changes and not closing:
        raise DecideError("nothing to write: every track holds that value already")
    shown = Preview(asking.id, what, closes=[d.id for d in closing])
    if changes:  # tags to write: a kind whose document has its folder (a dismissal: any kind)
        folder = Path(found.document["folder"])
        shown.writes = [{"path": str(folder / c.path), "file": c.path, "field": c.tag,
                         "old": c.old, "new": c.new} for c in changes]  # fmt: skip
        writing = writemode.chosen(load_settings(home).get)
        item = {"path": str(folder), "key": found.item["key"]}
        refused = would_apply(item, changes, writing.hard_links).refused
        shown.refused = [{"path": str(folder / c.path), "file": c.path, "field": c.tag,
                          "why": why} for c, why in refused]  # fmt: skip
    return shown


def _closed_with_item(home: Path, asking: Asking) -> list[str]:
    """The decisions an act on a whole item closes, as its take counts them: the item's own
    (failed, skipped, not identified), and where it goes back to pending, completed, every
    one its findings ask (``ItemDecisions.closed_by_pending``)."""
    if asking.found is not None:  # one of an item's decisions: every one the item asks
        return [d.id for d in asking.found.closed_by_pending]
    queued = asking.queued or {}  # a queue item itself: its own, and if done, its findings'
    if queued.get("status") != COMPLETED:  # failed or skipped: its findings ask none
        return [asking.id]
    return [asking.id, *(d.id for d in item_decisions(home, asking.kind, queued).closed_by_pending)]


def _back_to_pending(home: Path, asking: Asking, choice) -> Preview:
    back = {"item": asking.found.name, "key": asking.key, "status": PENDING,
            "goes": back_to(PENDING, asking.kind)}
    if choice.act == CANDIDATE:  # the service id the next batch identifies it by
        back["tmdb_id"] = choice.value
    return Preview(asking.id, choice.label, queue=[back],
                   closes=_closed_with_item(home, asking))  # fmt: skip


def _restoring(home: Path, asking: Asking, choice) -> Preview:
    target, aside = verifying.restore_places(home, asking.found, choice)
    # The damaged file set aside, then the good one copied into its place (the backup kept).
    return Preview(asking.id, choice.label, moves=[
        {"from": str(target), "to": str(aside)},
        {"from": choice.value.path, "to": str(target), "copy": True}],
        closes=[asking.id])  # fmt: skip


def _accepting(home: Path, asking: Asking, choice) -> Preview:
    return Preview(asking.id, choice.label, closes=[asking.id])


def _upgrading(home: Path, asking: Asking, choice) -> Preview:
    """Each file's tag version as it would be written, and where its original goes."""
    found = asking.found
    shown = Preview(asking.id, choice.label, closes=[asking.id])
    for target, aside in upgrades.places(home, found, asking.decision, choice):
        shown.writes.append({"path": str(target), "file": str(target.relative_to(
            found.item["path"])), "field": "tag version", "old": upgrades.LEGACY,
            "new": upgrades.NEW})  # fmt: skip
        shown.moves.append({"from": str(target), "to": str(aside)})
        if why := upgrades.why_not(home, target):
            shown.refused.append({"path": str(target), "file": shown.writes[-1]["file"],
                                  "field": "tag version", "why": why})  # fmt: skip
    return shown


# What each act but a tag change would do, previewed (a tag change's: its writes, above).
_PLANS = {AGAIN: _back_to_pending, CANDIDATE: _back_to_pending, RESTORE: _restoring,
          ACCEPT: _accepting, UPGRADE: _upgrading}  # fmt: skip


def _queued_act(asking: Asking, answer: Answer) -> str:
    """The act a decision about a queue item takes: its choice ``answer.choose``."""
    choices, listed = QUEUED[asking.code], queued_choices(asking.code)
    if answer.values or answer.dismiss or not answer.choose:
        raise DecideError(f"this {asking.code} item takes a choice: {listed}")
    if not 1 <= answer.choose <= len(choices):
        raise DecideError(f"this {asking.code} item has no choice {answer.choose}", listed)
    return choices[answer.choose - 1]


def _plan_dupes(home: Path, asking: Asking, answer: Answer) -> Preview:
    group = asking.group
    if answer.values:
        raise DecideError("a duplicate group takes a choice or a dismissal, not a value")
    keep = "" if answer.dismiss else dupes.numbered(group, answer.choose).keep
    shown = Preview(asking.id, f"kept {keep}" if keep else dupes.KEEP_ALL, closes=[asking.id])
    if keep:  # the tags the kept copy gains from the others, then the others set aside
        shown.writes = [{"path": path, "file": path, "field": tag, "old": None, "new": value}
                        for path, tag, value in copies.would_gain(group, keep)]  # fmt: skip
        settings = load_settings(home)
        shown.moves = [{"from": source, "to": str(target)} for source, target
                       in copies.would_move(settings, group, keep)]  # fmt: skip
        shown.emptied = copies.would_empty(settings, [m["from"] for m in shown.moves])
    return shown


@dataclass
class Result:
    """What taking an answer did: its session (what ``undo --session`` and ``/api/undo``
    take back; "" when nothing was done), the decisions it closed, and for a person's eyes
    what each act did (``taken``: the act's own record, which the command line words)."""

    id: str
    session: str
    closed: int
    what: str
    act: str = WRITE  # what was done (``core.questions``; a dismissal: WRITE, no changes)
    refused: list[dict[str, str]] = field(default_factory=list)
    queued: list[str] = field(default_factory=list)
    taken: Any = None

    def as_json(self) -> dict[str, Any]:
        result: dict[str, Any] = {"id": self.id, "session": self.session,
                                  "closed": self.closed, "what": self.what}  # fmt: skip
        if self.queued:
            result["queued"] = self.queued
        if self.refused:
            result["refused"] = self.refused
        return result


def take_answer(home: Path, decision_id: str, answer: Answer, *, token: str = "",
                writing: writemode.Writing | None = None) -> Result:  # fmt: skip
    """Take ``answer`` for the decision ``decision_id`` as one session; with ``token`` (a
    preview's), refused unless the preview would be the same now."""
    answer.check()
    asking = find(home, decision_id)
    _fields_apply(asking, answer)
    if token and _token(_plan(home, asking, answer)) != token:
        raise Stale("the files or the decision changed since its preview; nothing written",
                    "preview it again")  # fmt: skip
    writing = writing or writemode.chosen(load_settings(home).get)
    if asking.group is not None:
        return _take_dupes(home, asking, answer)
    if asking.queued is not None:
        return _take_queued(home, asking, answer)
    found, decision, choice = _chosen(asking, answer)
    if choice is not None and choice.act in _TAKES:
        return _TAKES[choice.act](home, asking, choice)
    dismissing = decision.code if answer.dismiss else None
    changes, closing, what = what_to_take(
        found, answer.choose, answer.values, answer.album, dismissing, decision=decision,
        scope=answer.scope, fields=answer.fields,
    )  # fmt: skip
    session = "" if changes else new_session(home)  # a dismissal: its own session, undone alike
    done = take(home, found, changes, closing, what, dismissing=dismissing or "",
                writing=writing, session=session)  # fmt: skip
    # Recorded as every decision's session (a choice's or a value's with its tags), so that
    # what lists sessions says it is decide's: a value that closed none has no code.
    if done.session and (done.closed or done.files_written.files):
        sessions.record(home, found.kind, done.session, closing[0].code if done.closed else "",
                        [found.item["key"]], "")  # fmt: skip
    closed = len({(d.code, d.where) for d in closing}) if done.closed else 0
    return Result(asking.id, done.session, closed, what, WRITE,
                  _refused([(found.name, done)]), taken=done)  # fmt: skip


def _take_queued(home: Path, asking: Asking, answer: Answer) -> Result:
    """A queue item's own decision: retried, skipped, or (not identified) run again."""
    act = _queued_act(asking, answer)
    if act == AGAIN:
        again = taking.take_unidentified(home, asking.kind, [asking.queued])
        return Result(asking.id, again.session, again.closed, again.what, act,
                      queued=again.names, taken=again)  # fmt: skip
    done = taking.take_outstanding(home, asking.kind, asking.code, answer.choose,
                                   keys=[asking.key])  # fmt: skip
    back = done.names if act != SKIP else []  # a skipped item is not put back to pending
    return Result(asking.id, done.session, done.closed, done.what, act, queued=back,
                  taken=done)  # fmt: skip


def _take_verifying(home: Path, asking: Asking, choice) -> Result:
    """Accept as is, verify again, restore from the good copy (``verifying``)."""
    acted = verifying.take_choice(home, asking.found, asking.decision, choice)
    closed = sum(questions(t.closed, open_only=False) for _, t in acted.taken)
    return Result(asking.id, acted.session, closed, acted.what, choice.act,
                  _refused(acted.taken), acted.queued, taken=acted)  # fmt: skip


def _take_candidate(home: Path, asking: Asking, choice) -> Result:
    """A TMDb candidate kept for the next batch; the item as it was kept: undo gives it back."""
    found = asking.found
    session, before = new_session(home), copy.deepcopy(found.item)
    label = choose_candidate(home, found, choice)
    sessions.record(home, found.kind, session, asking.code, [found.item["key"]], "",
                    {"status": PENDING, "items": [before]})  # fmt: skip
    closed = len(found.closed_by_pending)  # what its undo opens again
    return Result(asking.id, session, closed, f"chose {label}", CANDIDATE, queued=[found.name],
                  taken=label)  # fmt: skip


def _take_upgrade(home: Path, asking: Asking, choice) -> Result:
    """An ID3v2.2 tag rewritten as ID3v2.4, the original set aside (``upgrades``)."""
    done = upgrades.take(home, asking.found, asking.decision, choice)
    closed = 1 if done.closed else 0
    return Result(asking.id, done.session, closed, choice.label, UPGRADE,
                  _refused([(asking.found.name, done)]), taken=done)  # fmt: skip


# What each act but a tag change does when taken (a tag change: ``take``, above).
_TAKES = {ACCEPT: _take_verifying, AGAIN: _take_verifying, RESTORE: _take_verifying,
          CANDIDATE: _take_candidate, UPGRADE: _take_upgrade}  # fmt: skip


def _take_dupes(home: Path, asking: Asking, answer: Answer) -> Result:
    if answer.values:
        raise DecideError("a duplicate group takes a choice or a dismissal, not a value")
    done = keeping.take(home, asking.group, choose=answer.choose,
                        dismiss=asking.code if answer.dismiss else "")  # fmt: skip
    aside = done.set_aside
    refused = [{"item": "", "path": p, "tag": "", "why": w} for p, w in aside.left_alone] \
        if aside else []  # fmt: skip
    return Result(asking.id, done.session, done.groups, done.what, KEEP, refused, taken=done)


def _refused(taken: Sequence[tuple[str, Any]]) -> list[dict[str, str]]:
    """What each item's decision left alone: a tag of a file, or a file (a verify restore's:
    its tag is "")."""
    return [{"item": name, "path": c.path, "tag": c.tag, "why": why}
            for name, t in taken for c, why in t.refused]  # fmt: skip


def _fields_apply(asking: Asking, answer: Answer) -> None:
    """Fields are a tag choice's: a duplicate group's or a failed item's choices write none
    (a choice of another act is refused in ``_chosen``)."""
    if answer.fields is not None and (asking.group is not None or asking.queued is not None):
        raise DoesNotFit("its choices write no tags: it has no fields to choose",
                          "take it without --fields")  # fmt: skip


def _chosen(asking, answer):
    """The item, the decision the answer is about and the choice it names (None for a value
    or a dismissal); a choice or a dismissal must name its decision."""
    found, decision = asking.found, asking.decision
    if decision is None and not answer.values:
        raise DecideError(f"{found.name}: a choice or a dismissal names its decision",
                          "give --code CODE or --id ID")  # fmt: skip
    choice = decision.choice(answer.choose) if answer.choose else None
    if choice is not None and choice.act != WRITE and answer.fields is not None:  # no tags
        raise DoesNotFit(f"choice {answer.choose} ({choice.label}) writes no tags: it has no "
                          "fields to choose", "take it without --fields")  # fmt: skip
    return found, decision, choice
