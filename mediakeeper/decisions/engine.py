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
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mediakeeper.changes.writes import would_apply
from mediakeeper.core import kinds, rule_plugins, writemode
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
    rewriter,
    take,
    what_to_take,
)
from mediakeeper.decisions.item import (
    DISMISSED,
    DecidedBehind,
    DecideError,
    Decision,
    DoesNotFit,
    ItemDecisions,
    Stale,
    decided_behind,
    item_decisions,
    queue_of,
)
from mediakeeper.decisions.listing import (
    QUEUED,
    HeldDecisions,
    decision_json,
    group_json,
    queued_json,
)
from mediakeeper.dupes import questions as dupes_questions
from mediakeeper.fs.identity import identity
from mediakeeper.queue.fingerprints import FINGERPRINT
from mediakeeper.queue.items import COMPLETED, ERROR, PENDING, SKIPPED
from mediakeeper.reports import records

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
    if kind not in kinds.KINDS:
        raise Stale(f"decision {decision_id[:40]}...: no kind {kind!r} here")
    gone = Stale(f"that decision ({kind} {key!r}, {code}) is no longer open: taken already, "
                 "or asked anew by a later batch", "`decide` lists what is open")  # fmt: skip
    if code in dupes.CODES and kind == dupes.KIND.name:
        group = next((g for g in dupes.open_groups(home, code) if g["id"] == key), None)
        if group is None:
            raise gone
        return Asking(decision_id, kind, key, code, group=group)
    store = queue_of(home, kind)
    if not store.exists():
        raise gone
    item = next((i for i in store.peek()["items"] if i["key"] == key), None)
    if code in QUEUED:
        if item is None or key not in {i["key"] for i in _queued(home, kind, code)}:
            raise gone
        return Asking(decision_id, kind, key, code, queued=item)
    if item is None or item.get("status") != COMPLETED:
        raise gone
    found = item_decisions(home, kind, item)
    decision = found.by_id(decision_id)
    if decision is None and code:  # no code: the item itself (a value for its tracks)
        raise gone
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
    return found.only(code, album).id


def behind_named(home: Path, kind: str | None, name: str | None, code: str | None = None,
                 decision_id: str | None = None) -> DecidedBehind | None:  # fmt: skip
    """The decision ``decide KIND NAME [--code CODE]`` (or ``--id``) names, where a stopped
    answer left it decided in its item's document and still asked by its queue counts
    (``item.decided_behind``); None otherwise (what ``resolve`` and ``find`` then say)."""
    from mediakeeper.decisions.item import find_item

    try:
        if decision_id:
            kind, key, _, code = ids.parse(decision_id)
            store = queue_of(home, kind) if kind in kinds.KINDS else None
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
    return [i for i in items if i.get("status") == FAILED[code]]


# ---- preview and take ------------------------------------------------------------------------


@dataclass
class Preview:
    """What an answer would do, nothing written: each field of each file it would write
    (old and new), each file it would move, each queue item it would put back, the
    decisions it would close, what would be refused and why; ``token``: the preview's
    fingerprint, which a take may carry to be refused if anything changed since."""

    id: str
    what: str
    writes: list[dict[str, Any]] = field(default_factory=list)
    moves: list[dict[str, str]] = field(default_factory=list)
    queue: list[dict[str, Any]] = field(default_factory=list)
    closes: list[str] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)
    token: str = ""

    @property
    def files(self) -> list[str]:
        return list(dict.fromkeys([w["path"] for w in self.writes]
                                  + [m["from"] for m in self.moves]))  # fmt: skip

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "what": self.what, "files": self.files, "writes": self.writes,
                "moves": self.moves, "queue": self.queue, "closes": self.closes,
                "refused": self.refused, "token": self.token}  # fmt: skip


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
                                               "key": asking.key, "status": status}],
                       closes=[asking.id])  # fmt: skip
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


def _back_to_pending(home: Path, asking: Asking, choice) -> Preview:
    back = {"item": asking.found.name, "key": asking.key, "status": PENDING}
    if choice.act != CANDIDATE:
        return Preview(asking.id, choice.label, queue=[back])
    # The movie pending again asks none of its questions: each closed, as its take says.
    return Preview(asking.id, choice.label, queue=[{**back, "tmdb_id": choice.value}],
                   closes=[d.id for d in asking.found.decisions])  # fmt: skip


def _restoring(home: Path, asking: Asking, choice) -> Preview:
    target, aside = verifying.restore_places(home, asking.found, choice)
    return Preview(asking.id, choice.label, moves=[
        {"from": str(target), "to": str(aside)},
        {"from": choice.value.path, "to": str(target)}], closes=[asking.id])  # fmt: skip


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
    choices, listed = QUEUED[asking.code], _queued_choices(asking.code)
    if answer.values or answer.dismiss or not answer.choose:
        raise DecideError(f"this {asking.code} item takes a choice: {listed}")
    if not 1 <= answer.choose <= len(choices):
        raise DecideError(f"this {asking.code} item has no choice {answer.choose}", listed)
    return choices[answer.choose - 1]


def _queued_choices(code: str) -> str:
    """A failed (or skipped) item's choices, numbered: "1 retry, 2 skip"; one not identified,
    "1 run it again online"."""
    return ", ".join(f"{n} {AGAIN_ONLINE if c == AGAIN else c}"
                     for n, c in enumerate(QUEUED[code], 1))  # fmt: skip


def _plan_dupes(home: Path, asking: Asking, answer: Answer) -> Preview:
    group = asking.group
    if answer.values:
        raise DecideError("a duplicate group takes a choice or a dismissal, not a value")
    keep = "" if answer.dismiss else dupes.numbered(group, answer.choose).keep
    shown = Preview(asking.id, f"kept {keep}" if keep else dupes.KEEP_ALL, closes=[asking.id])
    if keep:
        holding = copies.holding_of(load_settings(home))
        shown.moves = [{"from": c["path"], "to": str(holding / c["path"])}
                       for c in group["copies"] if c["path"] != keep]  # fmt: skip
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
        return Result(asking.id, again.session, 1, again.what, act, queued=again.names,
                      taken=again)  # fmt: skip
    done = taking.take_outstanding(home, asking.kind, asking.code, answer.choose,
                                   keys=[asking.key])  # fmt: skip
    back = done.names if act != SKIP else []  # a skipped item is not put back to pending
    return Result(asking.id, done.session, 1, done.what, act, queued=back, taken=done)


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
    closed = len(found.decisions)  # pending again, it asks none: what its undo opens again
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


# ---- a whole group ---------------------------------------------------------------------------


@dataclass
class GroupResult:
    """A whole group decided as one session (``decide --all``, ``"all": true``): ``family``
    says whose record ``taken`` is: "findings" (``taking.GroupTaken``), "dupes"
    (``keeping.Taken``) or "queue" (failed or skipped items, ``taking.QueueTaken``); a
    dismissal's dry run, "closing": the decisions it would close (each ``{"id", "item"}``)."""

    family: str
    kind: str
    code: str
    taken: Any
    choose: int | None = None  # the choice taken for every decision (None: dismissed)

    def as_json(self) -> dict[str, Any]:
        t = self.taken
        if self.family == "queue":
            back = t.names if t.status == PENDING else []  # skipped: not put back
            return {"session": t.session, "closed": len(t.names), "what": t.what,
                    **({"queued": back} if back else {})}  # fmt: skip
        if self.family == "dupes":
            aside = t.set_aside
            refused = [{"item": "", "path": p, "tag": "", "why": w}
                       for p, w in aside.left_alone] if aside else []  # fmt: skip
            return {"session": t.session, "closed": t.groups, "what": t.what,
                    **({"refused": refused} if refused else {})}  # fmt: skip
        refused = [{"item": name, "path": c.path, "tag": c.tag, "why": why}
                   for name, done in t.taken for c, why in done.refused]  # fmt: skip
        return {"session": t.session, "closed": t.closed, "what": t.what,
                **({"queued": t.queued} if t.queued else {}),
                **({"refused": refused} if refused else {})}  # fmt: skip


    def preview_json(self) -> dict[str, Any]:
        """A dry run's (``take_group(dry_run=True)``): every field of every file it would
        write (``path``: where the file is), every file it would move, every item it would
        put back, the decisions it would close (``decisions``: each one's ``id`` and
        ``item``; ``closes``: how many), what would be refused and why; and ``token``, which
        a take may carry to be refused if the group or any of those files changed since."""
        t, shown = self.taken, {"what": "", "writes": [], "moves": [], "queue": [],
                                "closes": 0, "refused": [], "decisions": []}  # fmt: skip
        if self.family == "queue":
            shown.update(what=t.what, closes=len(t.names),
                         queue=[{"item": n, "status": t.status} for n in t.names],
                         decisions=[{"id": ids.make(t.kind, k, "", self.code), "item": n}
                                    for k, n in zip(t.keys, t.names, strict=True)])  # fmt: skip
        elif self.family == "closing":  # as "findings" says a dismissal: no file written
            shown.update(what=DISMISSED, closes=len(t), decisions=list(t))
        elif self.family == "dupes":
            best = self.choose == 1  # else every copy kept where it is
            shown.update(what=dupes_questions.KEEP_BEST if best else dupes_questions.KEEP_ALL,
                         closes=len(t))
            for g, d in ((g, group_json(g, full=False)) for g in t):
                shown["decisions"].append({"id": d["id"], "item": d["item"]})
                shown["moves"] += [{"from": c["path"], "group": g["id"], "item": d["item"]}
                                   for c in g["copies"] if best and c["path"] != g["best"]]
        else:
            shown.update(what=t.what, closes=t.closed, queue=[
                {"item": n, "status": "pending"} for n in t.queued])  # fmt: skip
            asked = {f.name: f for f in t.asked}
            for name, done in t.taken:
                found = asked.get(name)
                # Tags to write: a kind whose document has its folder (verify's has none).
                folder = Path(found.document["folder"]) if found and done.changes else Path()
                shown["writes"] += [{"item": name, "path": str(folder / c.path), "file": c.path,
                                     "field": c.tag, "old": c.old, "new": c.new}
                                    for c in done.changes]  # fmt: skip
                shown["refused"] += [{"item": name, "file": c.path, "field": c.tag, "why": w}
                                     for c, w in done.refused]  # fmt: skip
                if found and done.closed:
                    shown["decisions"] += [{"id": d.id, "item": name}
                                           for d in found.of_code(self.code)]  # fmt: skip
        shown["token"] = _group_token(shown)
        return shown


def _group_token(shown: Mapping[str, Any]) -> str:
    """A whole group's preview's fingerprint: all it says, and each file it would write or
    move as it is now (``fs.identity.identity``): a file changed since is another token."""
    files = sorted({w["path"] for w in shown["writes"]} | {m["from"] for m in shown["moves"]})
    body = json.dumps([shown, [_file_state(f) for f in files]], sort_keys=True, default=str)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:24]


def _file_state(path: str) -> list[int] | None:
    try:
        return list(identity(os.stat(path)))
    except OSError:
        return None


def take_group(home: Path, kind: str | None, code: str, *, choose: int | None = None,
               remember: bool = False, dry_run: bool = False, token: str = "",
               writing: writemode.Writing | None = None,
               held: HeldDecisions | None = None) -> GroupResult:  # fmt: skip
    """Dismiss (``choose`` None) or take choice ``choose`` for every open decision of the group
    ``code`` (of ``kind``; of the one kind that asks it when None), as one session: a finding
    code's (``taking.take_group``), a duplicate level's (``keeping.take_group``: with
    ``dry_run`` nothing is taken, its groups are), or a kind's failed or skipped items.
    With ``token`` (its preview's, ``preview_json``, or a paged preview's, ``group_page``),
    refused before anything is written unless the preview would be the same now: the same
    decisions, writes and moves, and every file they touch as it was. The group's items
    are found from each queue read once (``held``: what ``serve`` holds, read from the
    queues as they changed), each asking item's document read once; a dismissal previewed
    from ``held`` (it writes no file) is the decisions it would close, as held (``family``
    "closing"), which ``preview_json`` says as the dry run of "findings" says it: the same
    token."""
    paged = token.startswith(PAGED)
    if token and not dry_run and not paged:
        now = take_group(home, kind, code, choose=choose, dry_run=True, writing=writing)
        if now.preview_json()["token"] != token:
            raise _group_changed()
    if code == UNIDENTIFIED:
        return _take_unidentified(home, kind, choose, remember, dry_run, held)
    if code in outstanding.GROUPS:
        if remember:
            raise DecideError(f"--remember records a finding code's answer; {code} items are "
                              "asked each time", "leave out --remember")  # fmt: skip
        if not choose:
            raise DoesNotFit(f"{code} items take a numbered choice, not a dismissal",
                             f"their choices: {_queued_choices(code)}")  # fmt: skip
        done = taking.take_outstanding(home, kind, code, choose, dry_run=dry_run)
        return GroupResult("queue", done.kind, code, done, choose)
    if code in dupes.CODES:
        if kind not in (None, dupes.KIND.name):
            raise DecideError(f"no open {code!r} decision in {kind}: nothing to decide there",
                              "`decide` lists the groups")  # fmt: skip
        if dry_run:  # refused as the take would be
            found = keeping.asked(home, code, choose=choose, remember=remember)
            return GroupResult("dupes", dupes.KIND.name, code, found, choose)
        done = keeping.take_group(home, code, choose=choose, remember=remember)
        return GroupResult("dupes", dupes.KIND.name, code, done, choose)
    held_before = held is not None  # serve's: the decisions it holds answer a dismissal
    held = held or HeldDecisions.read(home, kind)  # each queue read once, no document yet
    kind = _asked_in(held, kind, code)
    if paged and not dry_run and _items_token(home, kind, code, choose, held) != token:
        raise _group_changed()
    if held_before and dry_run and choose is None and not remember:  # nothing written
        rewriter(kind)
        closing = [{"id": d, "item": str(item.get("name") or item["key"])}
                   for item, decided in held.group_asking(kind, code) for d in decided]
        if not closing:
            raise DecideError(f"no open {code!r} decision in {kind}", "`decide` lists the groups")
        return GroupResult("closing", kind, code, closing)
    writing = writing or writemode.chosen(load_settings(home).get)
    done = taking.take_group(home, kind, code, choose=choose, remember=remember,
                             dry_run=dry_run, writing=writing,
                             items=held.group_items(kind, code),
                             as_recorded=paged and not dry_run)  # fmt: skip
    return GroupResult("findings", kind, code, done, choose)


def _take_unidentified(home: Path, kind: str | None, choose: int | None, remember: bool,
                       dry_run: bool, held: HeldDecisions | None) -> GroupResult:  # fmt: skip
    """Every item of a kind done but not identified run again (its one choice), as one
    session."""
    if remember:
        raise DecideError("--remember records a finding code's answer; an item not identified "
                          "is asked each time", "leave out --remember")  # fmt: skip
    if choose != 1:
        raise DoesNotFit(f"{UNIDENTIFIED} items take their one choice, 1"
                         + ("" if choose else ", not a dismissal"),
                         f"their choices: {_queued_choices(UNIDENTIFIED)}")  # fmt: skip
    held = held or HeldDecisions.read(home, kind)
    kind = _asked_in(held, kind, UNIDENTIFIED)
    done = taking.take_unidentified(home, kind, held.group_items(kind, UNIDENTIFIED),
                                    dry_run=dry_run)  # fmt: skip
    return GroupResult("queue", kind, UNIDENTIFIED, done, choose)


def _group_changed() -> Stale:
    """What refuses a group's take whose preview (whole or paged) is no longer so."""
    return Stale("the group or its files changed since its preview; nothing written",
                 "preview it again")


def _asked_in(held: HeldDecisions, kind: str | None, code: str) -> str:
    """The one kind (``kind``, when given) whose items ask the finding code ``code``, as
    held."""
    if code != UNIDENTIFIED and rule_plugins.code_of(code) is None:
        raise DecideError(f"no finding code {code!r} (docs/findings.md lists them)")
    chosen = held.kinds_asking(code, kind)
    if not chosen:
        raise DecideError(f"no open {code!r} decision{f' in {kind}' if kind else ''}: nothing "
                          "to decide there", "`decide` lists the groups")  # fmt: skip
    if len(chosen) > 1:
        raise DecideError(f"{code!r} is asked in several kinds: give the KIND")
    return chosen[0]


PAGED = "p"  # a paged preview's token begins so (``group_page``); a whole one's is hex


@dataclass
class GroupPage:
    """A whole group's preview, its items a page at a time (``group_page``): ``shown``, what
    ``preview_json`` says of the page's items (``whole``: of the whole group's); ``names``,
    the page's items, in the group's order, from the group's item ``start``; ``items`` and
    ``decisions``, the whole group's; ``token``, the whole group's."""

    shown: dict[str, Any]
    names: list[str]
    items: int
    decisions: int
    token: str
    whole: bool
    start: int


def group_page(home: Path, kind: str, code: str, choose: int | None, held: HeldDecisions,
               start: int, size: int) -> GroupPage:  # fmt: skip
    """What answering every decision of a group would do, nothing written, as the page
    shows it ``size`` items at a time from item ``start``. A dismissal, a failed item's
    choice or a duplicate group's: the whole group's preview (``take_group``'s dry run,
    from what ``held`` holds), its token the one the take checks. A choice of a finding
    code, which writes files: the writes of the page's items alone, each computed from
    those items' documents (exactly what the whole group's dry run says of them), beside
    the whole group's items and decisions as held, and a token over the whole group
    (``PAGED``, ``_items_token``: its decisions, each item's document and its files as
    the batch recorded them), so each further page is computed when asked. The take
    carrying that token computes the whole group again and is refused, nothing written,
    unless the token is the same now and every file it writes is as the batch recorded
    it: what it writes is then what the pages, each computed from the same documents,
    said together."""
    if choose is None or code in (*outstanding.GROUPS, *dupes.CODES, UNIDENTIFIED):
        shown = take_group(home, kind, code, choose=choose, dry_run=True,
                           held=held).preview_json()  # fmt: skip
        parts = ("decisions", "writes", "moves", "queue")
        names = list(dict.fromkeys(one["item"] for part in parts for one in shown[part]))
        start = min(start, max(len(names) - 1, 0) // size * size)
        return GroupPage(shown, names[start:start + size], len(names), shown["closes"],
                         shown["token"], whole=True, start=start)  # fmt: skip
    kind = _asked_in(held, kind, code)
    rewriter(kind)
    asking = held.group_asking(kind, code)
    decisions = sum(len(decided) for _, decided in asking)
    if not decisions:
        raise DecideError(f"no open {code!r} decision in {kind}", "`decide` lists the groups")
    start = min(start, (len(asking) - 1) // size * size)  # past the last page: the last
    page = [item for item, _ in asking[start:start + size]]
    done = taking.take_group(home, kind, code, choose=choose, dry_run=True, items=page,
                             writing=writemode.chosen(load_settings(home).get))  # fmt: skip
    shown = GroupResult("findings", kind, code, done, choose).preview_json()
    token = _items_token(home, kind, code, choose, held, asking)
    names = [str(item.get("name") or item["key"]) for item in page]
    return GroupPage(shown, names, len(asking), decisions, token, whole=False, start=start)


def _items_token(home: Path, kind: str, code: str, choose: int | None, held: HeldDecisions,
                 asking: list[tuple[dict[str, Any], list[str]]] | None = None) -> str:  # fmt: skip
    """A paged preview's token (``group_page``): the choice, the group's decisions item by
    item, each item's output document as it is now (size, time, inode: the writes are read
    from it) and the fingerprint of its files as the batch recorded them (the take refuses
    a file it writes that is not as recorded: ``taking.take_group``'s ``as_recorded``)."""
    asking = held.group_asking(kind, code) if asking is None else asking
    entries = [[str(item["key"]), decided, _document_state(home, kind, item),
                (item.get("details") or {}).get(FINGERPRINT)] for item, decided in asking]
    body = json.dumps([kind, code, choose, entries], sort_keys=True, default=str)
    return PAGED + hashlib.sha256(body.encode("utf-8")).hexdigest()[:24]


def _document_state(home: Path, kind: str, item: dict[str, Any]) -> list[int] | None:
    try:
        return _file_state(str(records.output_path(home, kind, item)))
    except MediakeeperError:
        return None


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
