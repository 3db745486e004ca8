"""A whole group answered as one session (``decide --all``, ``"all": true``): every open
decision of one question, a finding code's, a duplicate level's, or a kind's failed, skipped
or unidentified items, previewed (whole, or a page of its items at a time for the page),
each preview with a token its take checks, and taken. The engine (``engine``) names and
takes one decision; this is the same act over a group, through the same refusals
(``Stale``, ``DecideError``, ``DoesNotFit``) and the same takes (``taking``, ``keeping``).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediakeeper.core import rule_plugins, writemode
from mediakeeper.core.config import load_settings
from mediakeeper.core.decisions import DISMISSED, UNIDENTIFIED
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.decisions import copies, dupes, ids, keeping, outstanding, taking
from mediakeeper.decisions.answering import rewriter
from mediakeeper.decisions.item import DecideError, DoesNotFit, Stale
from mediakeeper.decisions.listing import HeldDecisions, group_json, queued_choices
from mediakeeper.dupes import questions as dupes_questions
from mediakeeper.dupes import saved
from mediakeeper.fs.identity import identity
from mediakeeper.queue.fingerprints import FINGERPRINT
from mediakeeper.queue.items import PENDING
from mediakeeper.reports import records


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
    home: Path | None = None  # a duplicate level's dry run: where its moves would go

    def as_json(self) -> dict[str, Any]:
        t = self.taken
        if self.family == "queue":
            back = t.names if t.status == PENDING else []  # skipped: not put back
            return {"session": t.session, "closed": t.closed, "what": t.what,
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
        ``item``; ``closes``: how many), what would be refused and why (a duplicate level's:
        ``emptied`` too, the library folders its moves leave empty); and ``token``, which
        a take may carry to be refused if the group or any of those files changed since."""
        t, shown = self.taken, {"what": "", "writes": [], "moves": [], "queue": [],
                                "closes": 0, "refused": [], "decisions": []}  # fmt: skip
        if self.family == "queue":
            shown.update(what=t.what, closes=t.closed,
                         queue=[{"item": n, "status": t.status} for n in t.names],
                         decisions=[{"id": ids.make(t.kind, k, "", self.code), "item": n}
                                    for k, n in zip(t.keys, t.names, strict=True)]
                         + t.closing)  # fmt: skip
        elif self.family == "closing":  # as "findings" says a dismissal: no file written
            shown.update(what=DISMISSED, closes=len(t), decisions=list(t))
        elif self.family == "dupes":
            best = self.choose == 1  # else every copy kept where it is
            # Keeping the best leaves a group whose best the sound cannot tell (its
            # ``doubt``) open, for a person: neither closed nor moved.
            decided = [g for g in t if not best or saved.sure(g)]
            shown.update(what=dupes_questions.KEEP_BEST if best else dupes_questions.KEEP_ALL,
                         closes=len(decided))
            settings = load_settings(self.home) if best else None
            for g, d in ((g, group_json(g, full=False)) for g in decided):
                shown["decisions"].append({"id": d["id"], "item": d["item"]})
                if not best:
                    continue
                # The tags the best gains from the copies set aside, as the take writes them,
                # then each file it sets aside (an album copy's tracks and what comes with
                # them), where it goes.
                gains = copies.would_gain(g, g["best"])
                shown["writes"] += [{"item": d["item"], "group": g["id"], "path": path,
                                     "file": path, "field": tag, "old": None, "new": value}
                                    for path, tag, value in gains]  # fmt: skip
                shown["moves"] += [{"from": source, "to": str(target), "group": g["id"],
                                    "item": d["item"]} for source, target
                                   in copies.would_move(settings, g, g["best"])]  # fmt: skip
            # The library folders those moves leave empty, which the take removes.
            moving = [m["from"] for m in shown["moves"]]
            shown["emptied"] = copies.would_empty(settings, moving) if best else []
        else:
            shown.update(what=t.what, closes=t.closed, queue=[
                {"item": n, "status": "pending"} for n in t.queued])  # fmt: skip
            asked, queued = {f.name: f for f in t.asked}, set(t.queued)
            for name, done in t.taken:
                found = asked.get(name)
                # Tags to write: a kind whose document has its folder (verify's has none).
                folder = Path(found.document["folder"]) if found and done.changes else Path()
                shown["writes"] += [{"item": name, "path": str(folder / c.path), "file": c.path,
                                     "field": c.tag, "old": c.old, "new": c.new}
                                    for c in done.changes]  # fmt: skip
                shown["refused"] += [{"item": name, "file": c.path, "field": c.tag, "why": w}
                                     for c, w in done.refused]  # fmt: skip
                if found and done.closed:  # back to pending (verify again): every one it asks
                    closing = found.closed_by_pending if name in queued else \
                        found.of_code(self.code)  # fmt: skip
                    shown["decisions"] += [{"id": d.id, "item": name} for d in closing]
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
                             f"their choices: {queued_choices(code)}")  # fmt: skip
        done = taking.take_outstanding(home, kind, code, choose, dry_run=dry_run)
        return GroupResult("queue", done.kind, code, done, choose)
    if code in dupes.CODES:
        if kind not in (None, dupes.KIND.name):
            raise DecideError(f"no open {code!r} decision in {kind}: nothing to decide there",
                              "`decide` lists the groups")  # fmt: skip
        if dry_run:  # refused as the take would be
            found = keeping.asked(home, code, choose=choose, remember=remember)
            return GroupResult("dupes", dupes.KIND.name, code, found, choose, home)
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
                         f"their choices: {queued_choices(UNIDENTIFIED)}")  # fmt: skip
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
